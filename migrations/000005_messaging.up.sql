-- The messaging hub: attachments, outbound messages with their event
-- timeline, provider call log, idempotency keys, webhook calls and events,
-- conversations with their inbound messages, and Telegram onboarding codes.
-- Every row is written before anything acts on it (rule 5).

-- A file uploaded for sending (or received from a contact). The bytes
-- live in the Storage (local disk by default) under storage_key.
CREATE TABLE uploads (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    filename     text NOT NULL CHECK (filename <> '' AND length(filename) <= 255),
    -- Sniffed from the bytes, never taken from the client.
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL CHECK (size_bytes >= 0),
    sha256       bytea NOT NULL,
    storage_key  text NOT NULL UNIQUE,
    -- 'upload' (a member or API client) or 'inbound' (media a contact sent).
    origin       text NOT NULL DEFAULT 'upload' CHECK (origin IN ('upload', 'inbound')),
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id)
);
CREATE INDEX uploads_org_created_idx ON uploads (org_id, created_at);

-- Where status only moves forward: a later event never moves a message
-- back (a late "delivered" after "read" changes nothing). Failures rank
-- above delivered so that a bounce reported after a tentative delivery
-- wins; a spam complaint outranks everything.
CREATE FUNCTION message_status_rank(status text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE status
        WHEN 'queued' THEN 0
        WHEN 'sending' THEN 10
        WHEN 'sent' THEN 20
        WHEN 'delivered' THEN 30
        WHEN 'undelivered' THEN 35
        WHEN 'failed' THEN 35
        WHEN 'bounced' THEN 35
        WHEN 'read' THEN 40
        WHEN 'opened' THEN 40
        WHEN 'clicked' THEN 50
        WHEN 'spam' THEN 60
    END
$$;

-- Conversations: one per (contact, channel) for the chat channels.
CREATE TABLE conversations (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id               uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    contact_id           uuid NOT NULL,
    channel              text NOT NULL CHECK (channel IN ('whatsapp', 'telegram', 'instagram')),
    unread_count         integer NOT NULL DEFAULT 0 CHECK (unread_count >= 0),
    last_message_at      timestamptz NOT NULL DEFAULT now(),
    last_message_preview text NOT NULL DEFAULT '',
    last_message_direction text NOT NULL DEFAULT 'inbound' CHECK (last_message_direction IN ('inbound', 'outbound')),
    -- The contact's newest message: Instagram allows replies for 24 h after it.
    last_inbound_at      timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, id),
    UNIQUE (org_id, contact_id, channel),
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE CASCADE
);
CREATE INDEX conversations_org_recent_idx ON conversations (org_id, last_message_at DESC, id DESC);

CREATE TABLE outbound_messages (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id              uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    channel             text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'telegram', 'instagram')),
    contact_id          uuid,
    conversation_id     uuid,
    -- Normalized: email as given (domain lower-cased), E.164, chat id, IGSID.
    to_address          text NOT NULL CHECK (to_address <> ''),
    template_id         uuid,
    template_version    integer,
    subject             text NOT NULL DEFAULT '',
    body_html           text NOT NULL DEFAULT '',
    body_text           text NOT NULL DEFAULT '',
    status              text NOT NULL DEFAULT 'queued' CHECK (message_status_rank(status) IS NOT NULL),
    provider            text NOT NULL CHECK (provider IN ('sendgrid', 'twilio', 'telegram', 'instagram')),
    provider_message_id text,
    error_code          text NOT NULL DEFAULT '',
    error_reason        text NOT NULL DEFAULT '',
    -- Provider calls made for it (River attempts plus snoozes are in the job).
    attempts            integer NOT NULL DEFAULT 0,
    request_id          text NOT NULL DEFAULT '',
    created_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    api_key_id          uuid REFERENCES api_keys (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    sent_at             timestamptz,
    delivered_at        timestamptz,
    read_at             timestamptz,
    failed_at           timestamptz,
    UNIQUE (org_id, id),
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE SET NULL (contact_id),
    FOREIGN KEY (org_id, conversation_id) REFERENCES conversations (org_id, id) ON DELETE SET NULL (conversation_id),
    FOREIGN KEY (org_id, template_id) REFERENCES templates (org_id, id) ON DELETE SET NULL (template_id)
);
-- The Outbound log: newest first, filtered by channel and status.
CREATE INDEX outbound_messages_org_created_idx ON outbound_messages (org_id, created_at DESC, id DESC);
CREATE INDEX outbound_messages_org_channel_created_idx ON outbound_messages (org_id, channel, created_at DESC, id DESC);
CREATE INDEX outbound_messages_org_status_idx ON outbound_messages (org_id, status, created_at DESC);
-- Webhooks find a message by the provider's id, within the hook's org.
CREATE UNIQUE INDEX outbound_messages_provider_id_key ON outbound_messages (org_id, provider, provider_message_id)
    WHERE provider_message_id IS NOT NULL;
CREATE INDEX outbound_messages_contact_idx ON outbound_messages (org_id, contact_id, created_at DESC) WHERE contact_id IS NOT NULL;
CREATE INDEX outbound_messages_conversation_idx ON outbound_messages (org_id, conversation_id, created_at) WHERE conversation_id IS NOT NULL;

CREATE TABLE outbound_message_attachments (
    org_id     uuid NOT NULL,
    message_id uuid NOT NULL,
    upload_id  uuid NOT NULL,
    position   smallint NOT NULL,
    PRIMARY KEY (message_id, position),
    FOREIGN KEY (org_id, message_id) REFERENCES outbound_messages (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, upload_id) REFERENCES uploads (org_id, id) ON DELETE RESTRICT
);
CREATE INDEX outbound_message_attachments_upload_idx ON outbound_message_attachments (upload_id);

-- Every status a message went through, in the order it happened, including
-- events that did not move the status (a late "delivered", a second open).
CREATE TABLE message_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      uuid NOT NULL,
    message_id  uuid NOT NULL,
    status      text NOT NULL CHECK (message_status_rank(status) IS NOT NULL OR status IN ('deferred', 'processed', 'retrying', 'rate_limited', 'unsubscribed')),
    -- api, worker or provider.
    source      text NOT NULL CHECK (source IN ('api', 'worker', 'provider')),
    detail      jsonb NOT NULL DEFAULT '{}',
    occurred_at timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, message_id) REFERENCES outbound_messages (org_id, id) ON DELETE CASCADE
);
CREATE INDEX message_events_message_idx ON message_events (message_id, occurred_at, id);

-- One row per provider call: the monitoring issue builds latency
-- percentiles and error rates from it.
CREATE TABLE provider_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      uuid REFERENCES orgs (id) ON DELETE CASCADE,
    provider    text NOT NULL,
    operation   text NOT NULL,
    message_id  uuid,
    latency_ms  integer NOT NULL CHECK (latency_ms >= 0),
    http_status integer NOT NULL DEFAULT 0,
    error_code  text NOT NULL DEFAULT '',
    -- ok, retryable, rate_limited or permanent.
    outcome     text NOT NULL CHECK (outcome IN ('ok', 'retryable', 'rate_limited', 'permanent')),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX provider_events_provider_created_idx ON provider_events (provider, created_at);
CREATE INDEX provider_events_org_created_idx ON provider_events (org_id, created_at);

-- Idempotency-Key: the same key within 24 h answers with the first message.
CREATE TABLE idempotency_keys (
    org_id       uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    key          text NOT NULL CHECK (key <> '' AND length(key) <= 255),
    -- SHA-256 of the request body: the same key with another body is refused.
    request_hash bytea NOT NULL,
    message_id   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- Every call a provider made to /api/callbacks, accepted or not: the
-- webhook log. org_id is NULL when the hook id matched no org.
CREATE TABLE webhook_requests (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid REFERENCES orgs (id) ON DELETE CASCADE,
    provider    text NOT NULL,
    -- status, inbound, events...
    kind        text NOT NULL DEFAULT '',
    -- accepted, duplicate, bad_signature, bad_request, unknown_hook.
    verdict     text NOT NULL,
    reason      text NOT NULL DEFAULT '',
    http_status integer NOT NULL,
    latency_us  integer NOT NULL DEFAULT 0,
    events      integer NOT NULL DEFAULT 0,
    snippet     text NOT NULL DEFAULT '',
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_requests_org_received_idx ON webhook_requests (org_id, received_at DESC, id);

-- Each provider event, raw, unique by the provider's own id so that a
-- replay changes nothing; processed by a job inserted in the same
-- transaction.
CREATE TABLE webhook_events (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- No foreign key to orgs: rows go with their request (which goes with
    -- its org), and a 1,000-event batch would pay 1,000 extra key checks.
    org_id       uuid NOT NULL,
    request_id   uuid NOT NULL REFERENCES webhook_requests (id) ON DELETE CASCADE,
    provider     text NOT NULL,
    -- sg_event_id; MessageSid + status; update_id; mid + kind...
    event_key    text NOT NULL,
    kind         text NOT NULL,
    payload      jsonb NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz,
    error        text NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX webhook_events_key ON webhook_events (org_id, provider, event_key);
CREATE INDEX webhook_events_request_idx ON webhook_events (request_id);
CREATE INDEX webhook_events_unprocessed_idx ON webhook_events (received_at) WHERE processed_at IS NULL;

-- What contacts sent us on the chat channels.
CREATE TABLE inbound_messages (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id              uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    conversation_id     uuid NOT NULL,
    contact_id          uuid NOT NULL,
    channel             text NOT NULL CHECK (channel IN ('whatsapp', 'telegram', 'instagram')),
    provider_message_id text NOT NULL,
    from_address        text NOT NULL,
    body                text NOT NULL DEFAULT '',
    -- [{"upload_id", "content_type", "filename", "size"}]
    media               jsonb NOT NULL DEFAULT '[]',
    received_at         timestamptz NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, channel, provider_message_id),
    FOREIGN KEY (org_id, conversation_id) REFERENCES conversations (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE CASCADE
);
CREATE INDEX inbound_messages_conversation_idx ON inbound_messages (org_id, conversation_id, received_at);
CREATE INDEX inbound_messages_org_received_idx ON inbound_messages (org_id, received_at DESC, id DESC);

-- Telegram onboarding: t.me/<bot>?start=<code> links the chat to the
-- contact the code was made for (or creates one for an org-wide code).
CREATE TABLE telegram_start_codes (
    code       text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_-]{8,64}$'),
    org_id     uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    contact_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz,
    FOREIGN KEY (org_id, contact_id) REFERENCES contacts (org_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX telegram_start_codes_contact_key ON telegram_start_codes (org_id, contact_id) WHERE contact_id IS NOT NULL;
