-- Per-org provider settings of the four channels ("channels"): one row per
-- (org, channel) once the org has configured it. Non-secret fields are plain
-- JSON in config; the secret fields are one JSON object sealed with
-- AES-256-GCM (internal/secretbox) bound to the row's org and channel, so a
-- sealed value copied into another row does not open. secret_hints keeps,
-- per set secret, its last four characters (empty for short secrets) so the
-- settings page can say what is set without decrypting anything.

CREATE TABLE channel_settings (
    org_id          uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    channel         text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'telegram', 'instagram')),
    enabled         boolean NOT NULL DEFAULT true,
    -- Non-secret fields, by name: {"from_email": "...", ...}. Values are strings.
    config          jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
    -- The sealed JSON object of the secret fields; NULL when none is set.
    secrets         bytea,
    -- {"api_key": "ab12", ...}: a key per set secret, with its last 4 characters.
    secret_hints    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(secret_hints) = 'object'),
    -- Names the org and channel in webhook URLs (/api/callbacks/<provider>/<hook_id>/):
    -- 128 random bits, base64url. Kept for the life of the row.
    hook_id         text NOT NULL CHECK (hook_id ~ '^[A-Za-z0-9_-]{22}$'),
    -- Bumped when a credential or setting changes, so that a connection
    -- check started before the change does not record its result over it.
    revision        integer NOT NULL DEFAULT 1 CHECK (revision >= 1),
    status          text NOT NULL DEFAULT 'unchecked' CHECK (status IN ('unchecked', 'checking', 'ok', 'error')),
    checked_at      timestamptz,
    -- The provider's reason of the last failed check.
    check_error     text,
    -- Sends per second; NULL: the channel's default.
    rate_per_second double precision CHECK (rate_per_second > 0 AND rate_per_second <= 10000),
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, channel),
    CONSTRAINT channel_settings_hook_id_key UNIQUE (hook_id)
);
