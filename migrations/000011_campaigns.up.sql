-- Campaigns: one message to every contact of some groups, on one or more
-- channels, with its recipients materialized as rows before anything is
-- sent (DESIGN.md rule 5), and its KPIs kept as counters that webhook
-- processing bumps set-based (never recounted by scanning recipients).

-- Where a recipient's status only moves forward: message_status_rank's
-- order, plus cancelled (a recipient never sent because the campaign was
-- cancelled), which nothing moves.
CREATE FUNCTION campaign_recipient_rank(status text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE status WHEN 'cancelled' THEN 100 ELSE message_status_rank(status) END
$$;

CREATE TABLE campaigns (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id              uuid NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name                text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    -- draft -> scheduled (waiting for scheduled_at) -> running <-> paused
    -- -> completed; cancelled from any state but completed.
    status              text NOT NULL DEFAULT 'draft'
                        CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled')),
    -- The channels in preference order, each with its approved template
    -- (template_ids[i] is the template of channels[i]).
    channels            text[] NOT NULL DEFAULT '{}',
    template_ids        uuid[] NOT NULL DEFAULT '{}',
    -- first_available: each contact gets the message once, on the first
    -- channel of the order it can be reached on; every_channel: on each
    -- selected channel it can be reached on.
    delivery            text NOT NULL DEFAULT 'first_available' CHECK (delivery IN ('first_available', 'every_channel')),
    include_group_ids   uuid[] NOT NULL DEFAULT '{}',
    exclude_group_ids   uuid[] NOT NULL DEFAULT '{}',
    scheduled_at        timestamptz,
    -- Recipients per second at most; NULL: as fast as the channels allow.
    throttle_per_second integer CHECK (throttle_per_second > 0),
    -- How long after the last send the campaign completes even if some
    -- recipients never got a final status (no delivery report came).
    settle_seconds      integer NOT NULL DEFAULT 3600 CHECK (settle_seconds BETWEEN 0 AND 604800),
    -- The KPIs. targeted: recipients materialized; queued: waiting to be
    -- sent (a gauge: it falls as recipients are sent, fail or are
    -- cancelled); the others count recipients that ever reached the
    -- milestone (the recipient's <milestone>_at was set).
    targeted_count      integer NOT NULL DEFAULT 0,
    queued_count        integer NOT NULL DEFAULT 0,
    sent_count          integer NOT NULL DEFAULT 0,
    delivered_count     integer NOT NULL DEFAULT 0,
    opened_count        integer NOT NULL DEFAULT 0,
    read_count          integer NOT NULL DEFAULT 0,
    clicked_count       integer NOT NULL DEFAULT 0,
    bounced_count       integer NOT NULL DEFAULT 0,
    spam_count          integer NOT NULL DEFAULT 0,
    failed_count        integer NOT NULL DEFAULT 0,
    unsubscribed_count  integer NOT NULL DEFAULT 0,
    cancelled_count     integer NOT NULL DEFAULT 0,
    created_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    updated_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    started_at          timestamptz,
    -- When the start job wrote the recipients (NULL: not yet).
    materialized_at     timestamptz,
    paused_at           timestamptz,
    last_sent_at        timestamptz,
    completed_at        timestamptz,
    cancelled_at        timestamptz,
    CONSTRAINT campaigns_channels_templates CHECK (cardinality(channels) = cardinality(template_ids)),
    UNIQUE (org_id, id)
);
-- The list, newest first, keyset-paginated.
CREATE INDEX campaigns_org_created_idx ON campaigns (org_id, created_at DESC, id DESC);
-- The scheduler's two questions: which scheduled campaigns are due, and
-- which running ones might be complete. Both stay tiny.
CREATE INDEX campaigns_scheduled_idx ON campaigns (scheduled_at) WHERE status = 'scheduled';
CREATE INDEX campaigns_running_idx ON campaigns (id) WHERE status = 'running';

-- One row per (contact, channel) the campaign sends to, written by the
-- start job before anything is sent. Email recipients are their own
-- message record (no outbound_messages row: a million-recipient campaign
-- would write everything twice); chat recipients point at the outbound
-- message the messaging send path delivers (message_id).
CREATE TABLE campaign_recipients (
    -- Sequential: a million inserts append to the index, and the id is
    -- short in SendGrid's custom args.
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id              uuid NOT NULL,
    campaign_id         uuid NOT NULL,
    -- No foreign key to contacts: a recipient outlives its contact (the
    -- campaign's history stays whole), and a million inserts would pay a
    -- million key checks.
    contact_id          uuid NOT NULL,
    channel             text NOT NULL CHECK (channel IN ('email', 'whatsapp', 'telegram', 'instagram')),
    address             text NOT NULL,
    status              text NOT NULL DEFAULT 'queued' CHECK (campaign_recipient_rank(status) IS NOT NULL),
    message_id          uuid,
    provider_message_id text,
    -- The email batch job that claimed it: a retried job resends what it
    -- had claimed (status sending), and only that.
    send_job_id         bigint,
    error_code          text NOT NULL DEFAULT '',
    error               text NOT NULL DEFAULT '',
    last_event          text NOT NULL DEFAULT '',
    last_event_at       timestamptz,
    -- Milestones: set once (the first time), each bumping its counter.
    sent_at             timestamptz,
    delivered_at        timestamptz,
    opened_at           timestamptz,
    read_at             timestamptz,
    clicked_at          timestamptz,
    bounced_at          timestamptz,
    spam_at             timestamptz,
    failed_at           timestamptz,
    unsubscribed_at     timestamptz,
    cancelled_at        timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id) ON DELETE CASCADE
);
-- The recipients table of a campaign (keyset by id), filtered by channel
-- or status as it scans.
CREATE INDEX campaign_recipients_campaign_idx ON campaign_recipients (campaign_id, id);
-- What is still in play: claims of queued recipients (by channel), resume
-- and cancel, and the completion check ("is anything not final left?").
-- Partial, so it shrinks to nothing as the campaign finishes.
CREATE INDEX campaign_recipients_open_idx ON campaign_recipients (campaign_id, status, channel, id)
    WHERE status IN ('queued', 'sending', 'sent');
-- Chat webhooks reach the recipient through its outbound message.
CREATE INDEX campaign_recipients_message_idx ON campaign_recipients (message_id) WHERE message_id IS NOT NULL;

-- campaign_first_ok is the position (1-based) in channels of the first
-- channel whose verdict is 'ok', NULL when none is. A plain expression,
-- inlined into the caller.
CREATE FUNCTION campaign_first_ok(channels text[], v_email text, v_whatsapp text, v_telegram text, v_instagram text)
RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN (CASE channels[1] WHEN 'email' THEN v_email WHEN 'whatsapp' THEN v_whatsapp WHEN 'telegram' THEN v_telegram WHEN 'instagram' THEN v_instagram END) = 'ok' THEN 1
        WHEN (CASE channels[2] WHEN 'email' THEN v_email WHEN 'whatsapp' THEN v_whatsapp WHEN 'telegram' THEN v_telegram WHEN 'instagram' THEN v_instagram END) = 'ok' THEN 2
        WHEN (CASE channels[3] WHEN 'email' THEN v_email WHEN 'whatsapp' THEN v_whatsapp WHEN 'telegram' THEN v_telegram WHEN 'instagram' THEN v_instagram END) = 'ok' THEN 3
        WHEN (CASE channels[4] WHEN 'email' THEN v_email WHEN 'whatsapp' THEN v_whatsapp WHEN 'telegram' THEN v_telegram WHEN 'instagram' THEN v_instagram END) = 'ok' THEN 4
    END
$$;

-- campaign_audience is the one definition of who a campaign reaches, shared
-- by the estimate (which counts it) and the start job (which inserts its
-- chosen rows), so that the estimate is exactly what is sent. One row per
-- contact of the include groups (deduped: a semi-join) and selected
-- channel, in preference order (ord), with:
--   excluded  the contact is in an exclude group;
--   verdict   ok, no_address, opted_out (consent) or suppressed;
--   first_ok  the ord of the contact's first ok channel (NULL: none);
--   chosen    the row is a recipient: not excluded, ok, and either every
--             channel is wanted or it is the contact's first ok channel.
-- It is a single SELECT so that Postgres inlines it: the suppression list
-- is hash-joined once per channel (not probed per contact), and both
-- group lists are hash-joined.
CREATE FUNCTION campaign_audience(p_org uuid, p_include uuid[], p_exclude uuid[], p_channels text[], p_every boolean)
RETURNS TABLE (contact_id uuid, excluded boolean, channel text, ord integer, address text, verdict text, first_ok integer, chosen boolean)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT v.id, v.excluded, ch.channel, ch.ord::integer,
           CASE ch.channel WHEN 'email' THEN v.email WHEN 'whatsapp' THEN v.whatsapp
                           WHEN 'telegram' THEN v.telegram_chat_id WHEN 'instagram' THEN v.instagram_id END,
           CASE ch.channel WHEN 'email' THEN v.v_email WHEN 'whatsapp' THEN v.v_whatsapp
                           WHEN 'telegram' THEN v.v_telegram WHEN 'instagram' THEN v.v_instagram END,
           campaign_first_ok(p_channels, v.v_email, v.v_whatsapp, v.v_telegram, v.v_instagram),
           NOT v.excluded
             AND (CASE ch.channel WHEN 'email' THEN v.v_email WHEN 'whatsapp' THEN v.v_whatsapp
                                  WHEN 'telegram' THEN v.v_telegram WHEN 'instagram' THEN v.v_instagram END) = 'ok'
             AND (p_every OR ch.ord = campaign_first_ok(p_channels, v.v_email, v.v_whatsapp, v.v_telegram, v.v_instagram))
    FROM (
        SELECT c.id, c.email, c.whatsapp, c.telegram_chat_id, c.instagram_id,
               x.contact_id IS NOT NULL AS excluded,
               CASE WHEN c.email IS NULL THEN 'no_address'
                    WHEN c.consent -> 'email' ->> 'status' = 'opted_out' THEN 'opted_out'
                    WHEN se.id IS NOT NULL THEN 'suppressed' ELSE 'ok' END AS v_email,
               CASE WHEN c.whatsapp IS NULL THEN 'no_address'
                    WHEN c.consent -> 'whatsapp' ->> 'status' = 'opted_out' THEN 'opted_out'
                    WHEN sw.id IS NOT NULL THEN 'suppressed' ELSE 'ok' END AS v_whatsapp,
               CASE WHEN c.telegram_chat_id IS NULL THEN 'no_address'
                    WHEN c.consent -> 'telegram' ->> 'status' = 'opted_out' THEN 'opted_out'
                    WHEN st.id IS NOT NULL THEN 'suppressed' ELSE 'ok' END AS v_telegram,
               CASE WHEN c.instagram_id IS NULL THEN 'no_address'
                    WHEN c.consent -> 'instagram' ->> 'status' = 'opted_out' THEN 'opted_out'
                    WHEN si.id IS NOT NULL THEN 'suppressed' ELSE 'ok' END AS v_instagram
        FROM contacts c
        LEFT JOIN (SELECT DISTINCT m.contact_id FROM contact_group_members m
                   WHERE m.org_id = p_org AND m.group_id = ANY (p_exclude)) x ON x.contact_id = c.id
        LEFT JOIN suppressions se ON se.org_id = p_org AND se.channel = 'email' AND se.value = c.email_normalized
        LEFT JOIN suppressions sw ON sw.org_id = p_org AND sw.channel = 'whatsapp' AND sw.value = c.whatsapp
        LEFT JOIN suppressions st ON st.org_id = p_org AND st.channel = 'telegram' AND st.value = c.telegram_chat_id
        LEFT JOIN suppressions si ON si.org_id = p_org AND si.channel = 'instagram' AND si.value = c.instagram_id
        WHERE c.org_id = p_org
          AND EXISTS (SELECT 1 FROM contact_group_members m
                      WHERE m.org_id = p_org AND m.group_id = ANY (p_include) AND m.contact_id = c.id)
    ) v
    CROSS JOIN LATERAL unnest(p_channels) WITH ORDINALITY AS ch(channel, ord)
$$;
