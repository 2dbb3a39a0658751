-- Outbound messages, their attachments and timeline, provider calls and
-- idempotency keys. Every statement is scoped by org_id.

-- name: CreateUpload :one
INSERT INTO uploads (id, org_id, filename, content_type, size_bytes, sha256, storage_key, origin, created_by)
VALUES (@id, @org_id, @filename, @content_type, @size_bytes, @sha256, @storage_key, @origin, sqlc.narg(created_by))
RETURNING *;

-- name: GetUpload :one
SELECT * FROM uploads WHERE org_id = @org_id AND id = @id;

-- name: GetUploadByID :one
-- For signed links: the token names the upload; nothing else is known.
SELECT * FROM uploads WHERE id = @id;

-- name: GetUploads :many
SELECT * FROM uploads WHERE org_id = @org_id AND id = ANY(@ids::uuid[]);

-- name: DeleteUnusedUpload :one
-- An upload no message refers to may be deleted.
DELETE FROM uploads u WHERE u.org_id = @org_id AND u.id = @id
  AND NOT EXISTS (SELECT 1 FROM outbound_message_attachments a WHERE a.upload_id = u.id)
RETURNING *;

-- name: RecipientState :one
-- Whether a send to address on channel is blocked: the address is on the
-- org's suppression list, or the contact opted out of the channel.
SELECT
    EXISTS (SELECT 1 FROM suppressions s
            WHERE s.org_id = @org_id AND s.channel = @channel::text AND s.value = @address::text) AS suppressed,
    coalesce((SELECT c.consent -> @channel::text ->> 'status' = 'opted_out'
              FROM contacts c WHERE c.org_id = @org_id AND c.id = sqlc.narg(contact_id)::uuid), false)::boolean AS opted_out;

-- name: FindContactByAddress :one
SELECT contact_id FROM contact_channels
WHERE org_id = @org_id AND channel = @channel::text AND address = @address::text
LIMIT 1;

-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys
WHERE org_id = @org_id AND key = @key AND created_at > sqlc.arg(since)::timestamptz;

-- name: ClaimIdempotencyKey :one
-- Claims the key for message_id; an expired claim is taken over. No row
-- back means a live claim exists (read it with GetIdempotencyKey).
INSERT INTO idempotency_keys AS k (org_id, key, request_hash, message_id, created_at)
VALUES (@org_id, @key, @request_hash, @message_id, sqlc.arg(now)::timestamptz)
ON CONFLICT (org_id, key) DO UPDATE
    SET request_hash = excluded.request_hash, message_id = excluded.message_id, created_at = excluded.created_at
    WHERE k.created_at <= sqlc.arg(since)::timestamptz
RETURNING *;

-- name: DeleteExpiredIdempotencyKeys :execrows
DELETE FROM idempotency_keys WHERE created_at < sqlc.arg(before)::timestamptz;

-- name: CreateOutboundMessage :one
INSERT INTO outbound_messages (
    id, org_id, channel, contact_id, conversation_id, to_address, template_id, template_version,
    subject, body_html, body_text, provider, request_id, created_by, api_key_id, created_at, updated_at
) VALUES (
    @id, @org_id, @channel, sqlc.narg(contact_id), sqlc.narg(conversation_id), @to_address,
    sqlc.narg(template_id), sqlc.narg(template_version), @subject, @body_html, @body_text, @provider,
    @request_id, sqlc.narg(created_by), sqlc.narg(api_key_id), sqlc.arg(now)::timestamptz, sqlc.arg(now)::timestamptz
)
RETURNING *;

-- name: AttachUploads :exec
INSERT INTO outbound_message_attachments (org_id, message_id, upload_id, position)
SELECT @org_id, @message_id, unnest(@upload_ids::uuid[]), generate_series(0, cardinality(@upload_ids::uuid[]) - 1);

-- name: GetOutboundMessage :one
SELECT * FROM outbound_messages WHERE org_id = @org_id AND id = @id;

-- name: MessageAttachments :many
SELECT u.* FROM outbound_message_attachments a
JOIN uploads u ON u.org_id = a.org_id AND u.id = a.upload_id
WHERE a.org_id = @org_id AND a.message_id = @message_id
ORDER BY a.position;

-- name: ListOutboundMessages :many
-- Newest first with a keyset cursor; every filter optional.
SELECT * FROM outbound_messages
WHERE org_id = @org_id
  AND (sqlc.narg(channel)::text IS NULL OR channel = sqlc.narg(channel)::text)
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status)::text)
  AND (sqlc.narg(contact_id)::uuid IS NULL OR contact_id = sqlc.narg(contact_id)::uuid)
  AND (sqlc.narg(search)::text IS NULL OR to_address ILIKE sqlc.narg(search)::text OR subject ILIKE sqlc.narg(search)::text)
  AND (sqlc.narg(after_time)::timestamptz IS NULL OR (created_at, id) < (sqlc.narg(after_time)::timestamptz, @after_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @lim;

-- name: CreateMessageEvent :exec
INSERT INTO message_events (org_id, message_id, status, source, detail, occurred_at)
VALUES (@org_id, @message_id, @status, @source, @detail, sqlc.arg(occurred_at)::timestamptz);

-- name: ListMessageEvents :many
SELECT * FROM message_events WHERE org_id = @org_id AND message_id = @message_id
ORDER BY occurred_at, id;

-- name: StartSending :one
-- Moves a queued (or retried) message to sending and counts the attempt,
-- taking its slot of a per-recipient limit first when @slot_key is not
-- empty (Telegram's one message a second per chat; the slot is reserved
-- as ReserveRateLimitSlot reserves one): one statement, one round trip.
-- Its commit does not wait for the disk: a mark or slot lost in a crash
-- only means the job runs again. sendable false: the message is gone or
-- past sending. sendable without started: no slot within @horizon_s, and
-- slot_current is the arrival time that refused it.
WITH async AS (
    SELECT set_config('synchronous_commit', 'off', true)
), msg AS (
    SELECT m.id FROM outbound_messages m
    WHERE m.org_id = @org_id AND m.id = @id AND m.status IN ('queued', 'sending')
), slot AS (
    INSERT INTO rate_limit_buckets AS b (key, tokens, updated_at)
    SELECT @slot_key::text, 0, sqlc.arg(now)::timestamptz + make_interval(secs => @interval_s::float8)
    FROM msg WHERE @slot_key::text <> ''
    ON CONFLICT (key) DO UPDATE SET
        updated_at = greatest(b.updated_at, sqlc.arg(now)::timestamptz) + make_interval(secs => @interval_s::float8)
    WHERE greatest(b.updated_at, sqlc.arg(now)::timestamptz) <= sqlc.arg(now)::timestamptz + make_interval(secs => @horizon_s::float8)
    RETURNING b.updated_at
), started AS (
    UPDATE outbound_messages m SET status = 'sending', attempts = m.attempts + 1, updated_at = sqlc.arg(now)::timestamptz
    WHERE m.org_id = @org_id AND m.id IN (SELECT msg.id FROM msg)
      AND (@slot_key::text = '' OR EXISTS (SELECT 1 FROM slot))
    RETURNING m.id
)
SELECT EXISTS (SELECT 1 FROM msg) AS sendable,
       EXISTS (SELECT 1 FROM started) AS started,
       slot.updated_at AS slot_reserved,
       cur.updated_at AS slot_current
FROM async
LEFT JOIN slot ON true
LEFT JOIN rate_limit_buckets cur ON cur.key = @slot_key::text AND slot.updated_at IS NULL;

-- name: MarkSent :one
UPDATE outbound_messages SET
    status = CASE WHEN message_status_rank(status) < message_status_rank('sent') THEN 'sent' ELSE status END,
    provider_message_id = @provider_message_id,
    sent_at = coalesce(sent_at, sqlc.arg(now)::timestamptz),
    updated_at = sqlc.arg(now)::timestamptz
WHERE org_id = @org_id AND id = @id
RETURNING *;

-- name: MarkFailed :one
-- A send that will not be retried: the provider refused it, retries ran
-- out, or the address became suppressed.
UPDATE outbound_messages SET
    status = 'failed', error_code = @error_code, error_reason = @error_reason,
    failed_at = sqlc.arg(now)::timestamptz, updated_at = sqlc.arg(now)::timestamptz
WHERE org_id = @org_id AND id = @id AND status IN ('queued', 'sending')
RETURNING *;

-- name: NoteSendError :exec
-- Keeps the last transient error on the message while it is retried.
UPDATE outbound_messages SET error_code = @error_code, error_reason = @error_reason, updated_at = sqlc.arg(now)::timestamptz
WHERE org_id = @org_id AND id = @id;

-- name: ApplyProviderStatuses :many
-- Applies a batch of provider events (by the provider's message id) in one
-- statement. Each event is recorded in the timeline; the status moves only
-- forward, to the highest-ranked event of the batch; timestamps keep their
-- first value.
WITH ev AS (
    SELECT unnest(@provider_message_ids::text[]) AS provider_message_id, unnest(@statuses::text[]) AS status,
           unnest(@occurred_ats::timestamptz[]) AS occurred_at, unnest(@details::jsonb[]) AS detail,
           generate_series(1, cardinality(@provider_message_ids::text[])) AS ord
), matched AS (
    SELECT m.id, m.org_id, ev.status, ev.occurred_at, ev.detail, ev.ord
    FROM ev JOIN outbound_messages m
      ON m.org_id = @org_id AND m.provider = @provider AND m.provider_message_id = ev.provider_message_id
     AND m.provider_message_id IS NOT NULL -- lets the planner use the partial unique index
), timeline AS (
    INSERT INTO message_events (org_id, message_id, status, source, detail, occurred_at)
    SELECT org_id, id, status, 'provider', detail, occurred_at FROM matched ORDER BY ord
), best AS (
    SELECT DISTINCT ON (id) id, status, occurred_at, detail
    FROM matched WHERE message_status_rank(status) IS NOT NULL
    ORDER BY id, message_status_rank(status) DESC, occurred_at
), firsts AS (
    SELECT id,
           min(occurred_at) FILTER (WHERE status = 'delivered') AS delivered_at,
           min(occurred_at) FILTER (WHERE status IN ('read', 'opened', 'clicked')) AS read_at,
           min(occurred_at) FILTER (WHERE status IN ('failed', 'bounced', 'undelivered', 'spam')) AS failed_at
    FROM matched GROUP BY id
)
UPDATE outbound_messages m SET
    status = CASE WHEN message_status_rank(b.status) > message_status_rank(m.status) THEN b.status ELSE m.status END,
    delivered_at = coalesce(m.delivered_at, f.delivered_at),
    read_at = coalesce(m.read_at, f.read_at),
    failed_at = coalesce(m.failed_at, f.failed_at),
    error_code = CASE WHEN message_status_rank(b.status) > message_status_rank(m.status) AND b.status IN ('failed', 'bounced', 'undelivered', 'spam')
                      THEN coalesce(b.detail ->> 'code', '') ELSE m.error_code END,
    error_reason = CASE WHEN message_status_rank(b.status) > message_status_rank(m.status) AND b.status IN ('failed', 'bounced', 'undelivered', 'spam')
                        THEN coalesce(b.detail ->> 'reason', '') ELSE m.error_reason END,
    updated_at = now()
FROM best b JOIN firsts f ON f.id = b.id
WHERE m.id = b.id
RETURNING m.id, m.status, m.channel, m.to_address, m.contact_id;

-- name: CreateProviderEvent :exec
INSERT INTO provider_events (org_id, provider, operation, message_id, latency_ms, http_status, error_code, outcome, created_at)
VALUES (sqlc.narg(org_id), @provider, @operation, sqlc.narg(message_id), @latency_ms, @http_status, @error_code, @outcome, sqlc.arg(created_at)::timestamptz);

-- name: EnsureEmailContact :one
-- A send to a raw address matches the contact holding it or creates one,
-- so that consent, unsubscribe links and the contact's history apply.
INSERT INTO contacts (org_id, email) VALUES (@org_id, @address)
ON CONFLICT (org_id, email_normalized) WHERE email_normalized IS NOT NULL DO UPDATE SET updated_at = contacts.updated_at
RETURNING *;

-- name: EnsureWhatsAppContact :one
INSERT INTO contacts (org_id, whatsapp) VALUES (@org_id, @address)
ON CONFLICT (org_id, whatsapp) WHERE whatsapp IS NOT NULL DO UPDATE SET updated_at = contacts.updated_at
RETURNING *;

-- name: EnsureTelegramContact :one
INSERT INTO contacts (org_id, telegram_chat_id) VALUES (@org_id, @address)
ON CONFLICT (org_id, telegram_chat_id) WHERE telegram_chat_id IS NOT NULL DO UPDATE SET updated_at = contacts.updated_at
RETURNING *;

-- name: EnsureInstagramContact :one
INSERT INTO contacts (org_id, instagram_id) VALUES (@org_id, @address)
ON CONFLICT (org_id, instagram_id) WHERE instagram_id IS NOT NULL DO UPDATE SET updated_at = contacts.updated_at
RETURNING *;

-- name: TouchConversationOutbound :one
-- A message to a contact on a chat channel joins (or opens) their conversation.
INSERT INTO conversations AS c (org_id, contact_id, channel, last_message_at, last_message_preview, last_message_direction)
VALUES (@org_id, @contact_id, @channel, sqlc.arg(at)::timestamptz, @preview, 'outbound')
ON CONFLICT (org_id, contact_id, channel) DO UPDATE SET
    last_message_at = greatest(c.last_message_at, excluded.last_message_at),
    last_message_preview = CASE WHEN excluded.last_message_at >= c.last_message_at THEN excluded.last_message_preview ELSE c.last_message_preview END,
    last_message_direction = CASE WHEN excluded.last_message_at >= c.last_message_at THEN 'outbound' ELSE c.last_message_direction END
RETURNING *;

-- name: LastInboundAt :one
SELECT last_inbound_at FROM conversations
WHERE org_id = @org_id AND contact_id = @contact_id AND channel = @channel;

-- name: ListInboundMessages :many
-- The inbound log: what contacts sent, newest first with a keyset cursor,
-- each with its contact's name and handles. Every filter optional; search
-- matches the text, the sender's address and the contact's name.
SELECT m.id, m.conversation_id, m.contact_id, m.channel, m.provider_message_id, m.from_address, m.body, m.media,
       m.received_at, m.created_at, c.first_name, c.last_name, c.telegram_username, c.instagram_username
FROM inbound_messages m
JOIN contacts c ON c.org_id = m.org_id AND c.id = m.contact_id
WHERE m.org_id = @org_id
  AND (sqlc.narg(channel)::text IS NULL OR m.channel = sqlc.narg(channel)::text)
  AND (sqlc.narg(contact_id)::uuid IS NULL OR m.contact_id = sqlc.narg(contact_id)::uuid)
  AND (sqlc.narg(search)::text IS NULL OR m.body ILIKE sqlc.narg(search)::text OR m.from_address ILIKE sqlc.narg(search)::text
       OR (c.first_name || ' ' || c.last_name) ILIKE sqlc.narg(search)::text)
  AND (sqlc.narg(after_time)::timestamptz IS NULL OR (m.received_at, m.id) < (sqlc.narg(after_time)::timestamptz, @after_id::uuid))
ORDER BY m.received_at DESC, m.id DESC
LIMIT @lim;

-- name: GetInboundMessage :one
SELECT m.id, m.conversation_id, m.contact_id, m.channel, m.provider_message_id, m.from_address, m.body, m.media,
       m.received_at, m.created_at, c.first_name, c.last_name, c.telegram_username, c.instagram_username
FROM inbound_messages m
JOIN contacts c ON c.org_id = m.org_id AND c.id = m.contact_id
WHERE m.org_id = @org_id AND m.id = @id;

-- name: MessageForSend :one
-- What a send job needs, in one read: the message, whether its address is
-- suppressed or its contact opted out since it was queued, whether it
-- carries attachments, and the org's settings of the channel (its send
-- rate and sealed credentials; NULL when the channel is not set up).
SELECT sqlc.embed(m),
    EXISTS (SELECT 1 FROM suppressions s
            WHERE s.org_id = m.org_id AND s.channel = m.channel
              AND s.value = CASE WHEN m.channel = 'email' THEN lower(m.to_address) ELSE m.to_address END) AS suppressed,
    coalesce((SELECT c.consent -> m.channel ->> 'status' = 'opted_out'
              FROM contacts c WHERE c.org_id = m.org_id AND c.id = m.contact_id), false)::boolean AS opted_out,
    EXISTS (SELECT 1 FROM outbound_message_attachments a WHERE a.org_id = m.org_id AND a.message_id = m.id) AS has_attachments,
    cs.enabled AS channel_enabled, cs.hook_id AS channel_hook_id, cs.config AS channel_config,
    cs.secrets AS channel_secrets, cs.rate_per_second AS channel_rate_per_second
FROM outbound_messages m
LEFT JOIN channel_settings cs ON cs.org_id = m.org_id AND cs.channel = m.channel
WHERE m.org_id = @org_id AND m.id = @id;

-- name: FinishSentMany :many
-- Records providers' acceptances in one statement: each message moves to
-- sent (never back), its timeline gets the event and the call its
-- provider_events row. The send workers of a process batch their results
-- (any orgs) so that a busy channel pays one commit per batch rather than
-- one per message. The commit does not wait for the disk: the jobs whose
-- results these are complete afterwards, and River's durable commit of
-- their completion flushes the log up to and past this one (see the
-- finisher).
WITH async AS (
    SELECT set_config('synchronous_commit', 'off', true)
), b AS (
    SELECT unnest(@org_ids::uuid[]) AS org_id, unnest(@ids::uuid[]) AS id,
           unnest(@provider_message_ids::text[]) AS provider_message_id, unnest(@ats::timestamptz[]) AS at,
           unnest(@latencies_ms::int[]) AS latency_ms, unnest(@http_statuses::int[]) AS http_status
), sent AS (
    UPDATE outbound_messages o SET
        status = CASE WHEN message_status_rank(o.status) < message_status_rank('sent') THEN 'sent' ELSE o.status END,
        provider_message_id = b.provider_message_id,
        sent_at = coalesce(o.sent_at, b.at),
        error_code = '', error_reason = '',
        updated_at = b.at
    FROM b
    -- = ANY lets the planner fetch the rows by primary key rather than
    -- scan the table to join with the unnested batch.
    WHERE o.id = ANY(@ids::uuid[]) AND o.org_id = b.org_id AND o.id = b.id
    RETURNING o.id, o.org_id, o.provider, o.conversation_id, b.provider_message_id, b.at, b.latency_ms, b.http_status
), ev AS (
    INSERT INTO message_events (org_id, message_id, status, source, detail, occurred_at)
    SELECT sent.org_id, sent.id, 'sent', 'worker', jsonb_build_object('provider_message_id', sent.provider_message_id), sent.at FROM sent
), pe AS (
    INSERT INTO provider_events (org_id, provider, operation, message_id, latency_ms, http_status, outcome, created_at)
    SELECT sent.org_id, sent.provider, 'send', sent.id, sent.latency_ms, sent.http_status, 'ok', sent.at FROM sent
)
SELECT sent.id, sent.org_id, sent.conversation_id FROM sent, async;

-- name: DeleteUnmatchedWebhookRequests :execrows
-- Calls whose hook id matched no org: anyone can make them, so they are
-- kept only long enough to debug a misconfigured provider.
DELETE FROM webhook_requests WHERE org_id IS NULL AND received_at < sqlc.arg(before)::timestamptz;

-- name: DeleteOldProviderEvents :execrows
DELETE FROM provider_events WHERE created_at < sqlc.arg(before)::timestamptz;

-- name: SendOrgFacts :many
-- What rendering needs of each org in the batch: its name, its default
-- country (for local phone numbers) and its email footer (NULL: the
-- built-in one).
SELECT o.id, o.name, o.default_country, s.email_footer_html, s.email_footer_text
FROM orgs o
LEFT JOIN org_template_settings s ON s.org_id = o.id
WHERE o.id = ANY(@org_ids::uuid[]);

-- name: EnsureEmailContacts :exec
-- Creates the contacts of raw addresses that match none. DO NOTHING waits
-- for a concurrent insert of the same address and skips it; the rows are
-- read by SendRecipients, a later statement that sees them. Sorted, so
-- concurrent batches take the index locks in the same order.
INSERT INTO contacts (org_id, email)
SELECT a.org_id, a.address
FROM (SELECT unnest(@org_ids::uuid[]) AS org_id, unnest(@addresses::text[]) AS address) a
ORDER BY 1, 2
ON CONFLICT (org_id, email_normalized) WHERE email_normalized IS NOT NULL DO NOTHING;

-- name: EnsureWhatsAppContacts :exec
INSERT INTO contacts (org_id, whatsapp)
SELECT a.org_id, a.address
FROM (SELECT unnest(@org_ids::uuid[]) AS org_id, unnest(@addresses::text[]) AS address) a
ORDER BY 1, 2
ON CONFLICT (org_id, whatsapp) WHERE whatsapp IS NOT NULL DO NOTHING;

-- name: EnsureTelegramContacts :exec
INSERT INTO contacts (org_id, telegram_chat_id)
SELECT a.org_id, a.address
FROM (SELECT unnest(@org_ids::uuid[]) AS org_id, unnest(@addresses::text[]) AS address) a
ORDER BY 1, 2
ON CONFLICT (org_id, telegram_chat_id) WHERE telegram_chat_id IS NOT NULL DO NOTHING;

-- name: EnsureInstagramContacts :exec
INSERT INTO contacts (org_id, instagram_id)
SELECT a.org_id, a.address
FROM (SELECT unnest(@org_ids::uuid[]) AS org_id, unnest(@addresses::text[]) AS address) a
ORDER BY 1, 2
ON CONFLICT (org_id, instagram_id) WHERE instagram_id IS NOT NULL DO NOTHING;

-- name: SendRecipients :many
-- Each send's contact (by id, or by its address on the channel; the nil
-- uuid means "by address"), the contact's address on the channel, and
-- whether the address is suppressed or the contact opted out. A send
-- whose contact is not found has no row.
WITH b AS (
    SELECT unnest(@idx::int[]) AS idx, unnest(@org_ids::uuid[]) AS org_id, unnest(@channels::text[]) AS channel,
           nullif(unnest(@contact_ids::uuid[]), '00000000-0000-0000-0000-000000000000') AS contact_id,
           unnest(@addresses::text[]) AS address
), m AS MATERIALIZED (
    -- Materialized: each send's contact id is worked out once, and the
    -- join below is by primary key. Inlined, the CASE (subqueries and
    -- all) became the join condition, which a plan made on a young
    -- table's statistics ran for every pair of send and contact.
    SELECT b.idx, b.org_id, b.channel,
           -- CASE runs only its branch's subquery, each on its channel's
           -- unique index.
           CASE WHEN b.contact_id IS NOT NULL THEN b.contact_id
                WHEN b.channel = 'email' THEN (SELECT x.id FROM contacts x WHERE x.org_id = b.org_id AND x.email_normalized = lower(b.address))
                WHEN b.channel = 'whatsapp' THEN (SELECT x.id FROM contacts x WHERE x.org_id = b.org_id AND x.whatsapp = b.address)
                WHEN b.channel = 'telegram' THEN (SELECT x.id FROM contacts x WHERE x.org_id = b.org_id AND x.telegram_chat_id = b.address)
                WHEN b.channel = 'instagram' THEN (SELECT x.id FROM contacts x WHERE x.org_id = b.org_id AND x.instagram_id = b.address)
           END AS contact_id
    FROM b
)
SELECT m.idx::int AS idx, sqlc.embed(c),
       coalesce(CASE m.channel WHEN 'email' THEN c.email WHEN 'whatsapp' THEN c.whatsapp
                               WHEN 'telegram' THEN c.telegram_chat_id WHEN 'instagram' THEN c.instagram_id END, '')::text AS address,
       EXISTS (SELECT 1 FROM suppressions s
               WHERE s.org_id = m.org_id AND s.channel = m.channel
                 AND s.value = CASE m.channel WHEN 'email' THEN c.email_normalized WHEN 'whatsapp' THEN c.whatsapp
                                              WHEN 'telegram' THEN c.telegram_chat_id WHEN 'instagram' THEN c.instagram_id END) AS suppressed,
       coalesce(c.consent -> m.channel ->> 'status' = 'opted_out', false)::boolean AS opted_out
FROM m
JOIN contacts c ON c.id = m.contact_id AND c.org_id = m.org_id;

-- name: TouchConversationsOutbound :many
-- Chat messages join (or open) their contacts' conversations; one row per
-- (org, contact, channel), sorted for a stable lock order.
INSERT INTO conversations AS c (org_id, contact_id, channel, last_message_at, last_message_preview, last_message_direction)
SELECT b.org_id, b.contact_id, b.channel, b.at, b.preview, 'outbound'
FROM (SELECT unnest(@org_ids::uuid[]) AS org_id, unnest(@contact_ids::uuid[]) AS contact_id, unnest(@channels::text[]) AS channel,
             unnest(@ats::timestamptz[]) AS at, unnest(@previews::text[]) AS preview) b
ORDER BY 1, 2, 3
ON CONFLICT (org_id, contact_id, channel) DO UPDATE SET
    last_message_at = greatest(c.last_message_at, excluded.last_message_at),
    last_message_preview = CASE WHEN excluded.last_message_at >= c.last_message_at THEN excluded.last_message_preview ELSE c.last_message_preview END,
    last_message_direction = CASE WHEN excluded.last_message_at >= c.last_message_at THEN 'outbound' ELSE c.last_message_direction END
RETURNING c.id, c.org_id, c.contact_id, c.channel;

-- name: ClaimIdempotencyKeys :many
-- ClaimIdempotencyKey for a batch (keys unique within it): the keys
-- returned are claimed; the others have a live claim to replay.
INSERT INTO idempotency_keys AS k (org_id, key, request_hash, message_id, created_at)
SELECT unnest(@org_ids::uuid[]), unnest(@keys::text[]), unnest(@request_hashes::bytea[]), unnest(@message_ids::uuid[]), sqlc.arg(now)::timestamptz
ORDER BY 1, 2
ON CONFLICT (org_id, key) DO UPDATE
    SET request_hash = excluded.request_hash, message_id = excluded.message_id, created_at = excluded.created_at
    WHERE k.created_at <= sqlc.arg(since)::timestamptz
RETURNING k.message_id;

-- name: CreateOutboundMessages :many
-- The batch's messages (queued) with their first timeline event. The nil
-- uuid and version 0 stand for NULL.
WITH b AS (
    SELECT unnest(@ids::uuid[]) AS id, unnest(@org_ids::uuid[]) AS org_id, unnest(@channels::text[]) AS channel,
           unnest(@contact_ids::uuid[]) AS contact_id, unnest(@conversation_ids::uuid[]) AS conversation_id,
           unnest(@to_addresses::text[]) AS to_address, unnest(@template_ids::uuid[]) AS template_id,
           unnest(@template_versions::int[]) AS template_version, unnest(@subjects::text[]) AS subject,
           unnest(@bodies_html::text[]) AS body_html, unnest(@bodies_text::text[]) AS body_text,
           unnest(@providers::text[]) AS provider, unnest(@request_ids::text[]) AS request_id,
           unnest(@created_by::uuid[]) AS created_by, unnest(@api_key_ids::uuid[]) AS api_key_id
), msg AS (
    INSERT INTO outbound_messages (
        id, org_id, channel, contact_id, conversation_id, to_address, template_id, template_version,
        subject, body_html, body_text, provider, request_id, created_by, api_key_id, created_at, updated_at
    )
    SELECT b.id, b.org_id, b.channel, nullif(b.contact_id, '00000000-0000-0000-0000-000000000000'),
           nullif(b.conversation_id, '00000000-0000-0000-0000-000000000000'), b.to_address,
           nullif(b.template_id, '00000000-0000-0000-0000-000000000000'), nullif(b.template_version, 0),
           b.subject, b.body_html, b.body_text, b.provider, b.request_id,
           nullif(b.created_by, '00000000-0000-0000-0000-000000000000'), nullif(b.api_key_id, '00000000-0000-0000-0000-000000000000'),
           sqlc.arg(now)::timestamptz, sqlc.arg(now)::timestamptz
    FROM b
    RETURNING *
), ev AS (
    INSERT INTO message_events (org_id, message_id, status, source, detail, occurred_at)
    SELECT msg.org_id, msg.id, 'queued', 'api',
           CASE WHEN msg.request_id = '' THEN '{}'::jsonb ELSE jsonb_build_object('request_id', msg.request_id) END,
           sqlc.arg(now)::timestamptz
    FROM msg
)
SELECT * FROM msg;
