-- Identity, tenancy, sessions, API keys and the shared rate limiter.

CREATE TABLE users (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email             text NOT NULL CHECK (email <> ''),
    name              text NOT NULL DEFAULT '',
    phone             text NOT NULL DEFAULT '',
    -- NULL for accounts that only ever signed in with SSO.
    password_hash     text,
    is_staff          boolean NOT NULL DEFAULT false,
    email_verified_at timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- An SSO identity (issuer subject) linked to a user.
CREATE TABLE user_identities (
    provider   text NOT NULL,
    subject    text NOT NULL,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, subject)
);
CREATE INDEX user_identities_user_id_idx ON user_identities (user_id);

CREATE TABLE orgs (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name            text NOT NULL CHECK (name <> ''),
    slug            text NOT NULL UNIQUE,
    timezone        text NOT NULL DEFAULT 'UTC',
    default_country text NOT NULL DEFAULT 'US',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE org_members (
    org_id     uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX org_members_user_id_idx ON org_members (user_id);
-- Exactly one owner per org; ownership moves only by transfer.
CREATE UNIQUE INDEX org_members_one_owner ON org_members (org_id) WHERE role = 'owner';

-- Rotating refresh tokens. A family is one login; every refresh adds a row
-- and marks its parent used. Presenting a used token revokes the family.
CREATE TABLE refresh_tokens (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    family_id  uuid NOT NULL,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     uuid REFERENCES orgs (id) ON DELETE SET NULL,
    token_hash bytea NOT NULL UNIQUE,
    user_agent text NOT NULL DEFAULT '',
    ip         text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family_id_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_id_idx ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expires_at_idx ON refresh_tokens (expires_at);

CREATE TABLE invitations (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email             text NOT NULL,
    role              text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    token_hash        bytea NOT NULL UNIQUE,
    invited_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    -- queued: written by the API; ready_to_send: the delivery job ran (email
    -- delivery arrives with the messaging hub); sent/failed after that.
    delivery_status   text NOT NULL DEFAULT 'queued'
                      CHECK (delivery_status IN ('queued', 'ready_to_send', 'sent', 'failed')),
    delivery_ready_at timestamptz,
    accepted_at       timestamptz,
    accepted_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    revoked_at        timestamptz,
    expires_at        timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invitations_org_id_idx ON invitations (org_id, created_at DESC);
CREATE UNIQUE INDEX invitations_one_open ON invitations (org_id, lower(email))
    WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE INDEX invitations_expires_at_idx ON invitations (expires_at) WHERE accepted_at IS NULL;

CREATE TABLE api_keys (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name           text NOT NULL CHECK (name <> ''),
    -- The public part of the key, used to find it; the secret is kept as SHA-256.
    prefix         text NOT NULL UNIQUE,
    secret_hash    bytea NOT NULL,
    scopes         text[] NOT NULL,
    created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz,
    last_used_at   timestamptz,
    revoked_at     timestamptz,
    regenerated_at timestamptz
);
CREATE INDEX api_keys_org_id_idx ON api_keys (org_id, created_at DESC);

CREATE TABLE api_key_usage_daily (
    api_key_id uuid NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    org_id     uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    day        date NOT NULL,
    requests   bigint NOT NULL,
    PRIMARY KEY (api_key_id, day)
);
CREATE INDEX api_key_usage_daily_org_idx ON api_key_usage_daily (org_id, day);

-- State of an OpenID Connect login between start and callback.
CREATE TABLE sso_login_states (
    state_hash    bytea PRIMARY KEY,
    provider      text NOT NULL,
    nonce         text NOT NULL,
    code_verifier text NOT NULL,
    redirect      text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL
);

-- Token buckets shared by every process: one row per limited key.
CREATE TABLE rate_limit_buckets (
    key        text PRIMARY KEY,
    tokens     double precision NOT NULL,
    updated_at timestamptz NOT NULL
);
