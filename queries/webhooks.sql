-- Provider webhooks: the call log (webhook_requests), the raw events
-- (webhook_events) and what processing them needs. Every statement is
-- scoped by org_id, except the log row of a call whose hook matched no org.

-- name: IngestSendGridBatch :one
-- Stores a signed SendGrid batch in one statement: one webhook_events row
-- per object of the JSON array (keyed by sg_event_id, or a hash of the
-- event when it has none), skipping events already stored, then the call's
-- log row. The verdict is duplicate when the batch had events and none was
-- new. body must be a JSON array (checked by the caller). latency_us is the
-- time the call took before this statement; the statement's own time is
-- added (measured here, after the events are in: ins runs before req,
-- which reads its count).
WITH elems AS (
    SELECT e AS payload,
           coalesce(e ->> 'sg_event_id', 'h:' || md5(e::text)) AS event_key,
           coalesce(e ->> 'event', '') AS kind
    FROM jsonb_array_elements(@body::jsonb) AS e
    WHERE jsonb_typeof(e) = 'object'
), ins AS (
    INSERT INTO webhook_events (org_id, request_id, provider, event_key, kind, payload, received_at)
    SELECT @org_id::uuid, @id::uuid, 'sendgrid', event_key, kind, payload, sqlc.arg(received_at)::timestamptz FROM elems
    ON CONFLICT (org_id, provider, event_key) DO NOTHING
    RETURNING 1
), counts AS (
    SELECT (SELECT count(*) FROM elems)::integer AS total, (SELECT count(*) FROM ins)::integer AS inserted
), req AS (
    INSERT INTO webhook_requests (id, org_id, provider, kind, verdict, reason, http_status, latency_us, events, snippet, received_at)
    SELECT @id::uuid, @org_id::uuid, 'sendgrid', 'events',
           CASE WHEN c.total > 0 AND c.inserted = 0 THEN 'duplicate' ELSE 'accepted' END,
           CASE WHEN c.inserted < c.total THEN (c.total - c.inserted) || ' of ' || c.total || ' events were already received' ELSE '' END,
           @http_status, sqlc.arg(latency_us)::integer + (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000000)::integer,
           c.total, @snippet, sqlc.arg(received_at)::timestamptz
    FROM counts c
    RETURNING verdict
)
SELECT req.verdict, counts.total, counts.inserted FROM req, counts;

-- name: IngestWebhookEvents :one
-- Stores a signed call's events (any provider) and its log row in one
-- statement, like IngestSendGridBatch, from parallel arrays.
WITH ins AS (
    INSERT INTO webhook_events (org_id, request_id, provider, event_key, kind, payload, received_at)
    SELECT @org_id::uuid, @id::uuid, @provider::text, t.event_key, t.kind, t.payload, sqlc.arg(received_at)::timestamptz
    FROM (SELECT unnest(@event_keys::text[]) AS event_key, unnest(@kinds::text[]) AS kind,
                 unnest(@payloads::jsonb[]) AS payload) t
    ON CONFLICT (org_id, provider, event_key) DO NOTHING
    RETURNING 1
), counts AS (
    SELECT cardinality(@event_keys::text[])::integer AS total, (SELECT count(*) FROM ins)::integer AS inserted
), req AS (
    INSERT INTO webhook_requests (id, org_id, provider, kind, verdict, reason, http_status, latency_us, events, snippet, received_at)
    SELECT @id::uuid, @org_id::uuid, @provider::text, @kind::text,
           CASE WHEN c.total > 0 AND c.inserted = 0 THEN 'duplicate' ELSE 'accepted' END,
           CASE WHEN c.inserted < c.total THEN (c.total - c.inserted) || ' of ' || c.total || ' events were already received'
                ELSE @reason::text END,
           @http_status, sqlc.arg(latency_us)::integer + (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000000)::integer,
           c.total, @snippet, sqlc.arg(received_at)::timestamptz
    FROM counts c
    RETURNING verdict
)
SELECT req.verdict, counts.total, counts.inserted FROM req, counts;

-- name: RecordWebhookRequest :exec
-- Logs a call that stored no events: refused (bad signature, bad request,
-- unknown hook) or answered without events (a verify handshake).
INSERT INTO webhook_requests (org_id, provider, kind, verdict, reason, http_status, latency_us, events, snippet, received_at)
VALUES (sqlc.narg(org_id), @provider, @kind, @verdict, @reason, @http_status, @latency_us, 0, @snippet, sqlc.arg(received_at)::timestamptz);

-- name: ListWebhookRequests :many
-- The webhook log, newest first (the index's order: received_at DESC, id);
-- after_* is the keyset cursor.
SELECT * FROM webhook_requests
WHERE org_id = @org_id::uuid
  AND (sqlc.narg(provider)::text IS NULL OR provider = sqlc.narg(provider)::text)
  AND (sqlc.narg(verdict)::text IS NULL OR verdict = sqlc.narg(verdict)::text)
  AND (sqlc.narg(after_time)::timestamptz IS NULL
       OR received_at < sqlc.narg(after_time)::timestamptz
       OR (received_at = sqlc.narg(after_time)::timestamptz AND id > @after_id::uuid))
ORDER BY received_at DESC, id
LIMIT @lim;

-- name: LockPendingWebhookEvents :many
-- A request's events not processed yet, locked until the processing
-- transaction ends (a second run waits, then skips what the first did).
SELECT id, provider, kind, payload, received_at FROM webhook_events
WHERE org_id = @org_id AND request_id = @request_id AND processed_at IS NULL
ORDER BY id
FOR UPDATE;

-- name: FinishWebhookEvents :exec
-- Marks events processed, each with its error ('' when it went through).
UPDATE webhook_events e SET processed_at = sqlc.arg(now)::timestamptz, error = t.error
FROM (SELECT unnest(@ids::bigint[]) AS id, unnest(@errors::text[]) AS error) t
WHERE e.org_id = @org_id AND e.id = t.id AND e.processed_at IS NULL;

-- name: NoteWebhookRequestError :exec
-- Keeps why a call's events could not be processed yet (the transaction
-- that applies status events failed; the job will be retried).
UPDATE webhook_events SET error = @error
WHERE org_id = @org_id AND request_id = @request_id AND processed_at IS NULL;

-- name: NoteWebhookEventError :exec
-- Keeps why an event could not be processed yet (it will be retried).
UPDATE webhook_events SET error = @error WHERE org_id = @org_id AND id = @id AND processed_at IS NULL;

-- name: InstagramMessagesReadBy :many
-- Instagram reports reads as a watermark: every message to that user sent
-- before it was read. The org's Instagram messages to each reader sent at
-- or before the reader's watermark and not yet read (or beyond), looking
-- back 30 days (far past Instagram's reply window).
SELECT DISTINCT ON (m.id) m.provider_message_id::text AS provider_message_id, r.watermark::timestamptz AS watermark
FROM (SELECT unnest(@readers::text[]) AS reader, unnest(@watermarks::timestamptz[]) AS watermark) r
JOIN outbound_messages m
  ON m.org_id = @org_id AND m.channel = 'instagram' AND m.to_address = r.reader
 AND m.created_at >= r.watermark - interval '30 days'
WHERE m.provider = 'instagram' AND m.provider_message_id IS NOT NULL
  AND m.sent_at IS NOT NULL AND m.sent_at <= r.watermark
  AND message_status_rank(m.status) < message_status_rank('read')
ORDER BY m.id, r.watermark;

-- name: SuppressFromWebhook :many
-- Adds the addresses a provider reported (bounces, spam complaints,
-- unsubscribes) to the org's suppression list on the channel, set-based:
-- addresses already suppressed are left as they are. Each is linked to the
-- contact holding it; when opt_out is set (a complaint or an unsubscribe)
-- that contact's consent on the channel becomes opted_out. Every change is
-- a consent_events row (opted_out, or suppressed for a bounce), as
-- internal/suppression records them. Returns the values newly suppressed.
WITH input AS (
    SELECT DISTINCT ON (value) value, reason, note, opt_out
    FROM (SELECT unnest(@vals::text[]) AS value, unnest(@reasons::text[]) AS reason,
                 unnest(@notes::text[]) AS note, unnest(@opt_outs::boolean[]) AS opt_out) t
    WHERE value <> ''
    ORDER BY value, opt_out DESC
), matched AS (
    SELECT i.value, i.reason, i.note, i.opt_out, cc.contact_id, coalesce(cc.opted_out, false) AS already_opted_out
    FROM input i
    LEFT JOIN contact_channels cc ON cc.org_id = @org_id AND cc.channel = @channel::text AND cc.address = i.value
), supp AS (
    INSERT INTO suppressions (org_id, channel, value, reason, source, note, contact_id)
    SELECT @org_id, @channel::text, m.value, m.reason, @source::text, m.note, m.contact_id FROM matched m
    ON CONFLICT (org_id, channel, value) DO NOTHING
    RETURNING value
), consent AS (
    UPDATE contacts c SET
        consent = jsonb_set(c.consent, ARRAY[@channel::text],
            jsonb_build_object('status', 'opted_out', 'source', @source::text, 'at', sqlc.arg(at)::timestamptz)),
        updated_at = now()
    FROM matched m
    WHERE c.org_id = @org_id AND c.id = m.contact_id AND m.opt_out AND NOT m.already_opted_out
    RETURNING c.id
), events AS (
    INSERT INTO consent_events (org_id, contact_id, channel, value, action, reason, source)
    SELECT @org_id, m.contact_id, @channel::text, m.value, CASE WHEN m.opt_out THEN 'opted_out' ELSE 'suppressed' END, m.reason, @source::text
    FROM matched m
    WHERE m.value IN (SELECT value FROM supp) OR m.contact_id IN (SELECT id FROM consent)
    RETURNING 1
)
SELECT value FROM supp ORDER BY value;

-- name: TryLockWebhookSweep :one
-- One sweep at a time: a transaction-level advisory lock (the key is
-- "whswee" in ASCII, 0x776873776565), released at commit or rollback.
SELECT pg_try_advisory_xact_lock(131290497508709) AS locked;

-- name: SweepWebhookRequests :many
-- The sweep's bookkeeping for the calls whose processing job gave up (the
-- caller found them). A call swept fewer than max_sweeps times counts one
-- more (the caller queues its job again: requeue). Otherwise the sweep
-- gives up on its unprocessed events: marked processed and failed, with
-- the last error their processing noted, and counted on the call's log
-- row (failed).
WITH t AS (
    SELECT unnest(@org_ids::uuid[]) AS org_id, unnest(@request_ids::uuid[]) AS request_id
), again AS (
    UPDATE webhook_requests r SET sweeps = r.sweeps + 1
    FROM t
    WHERE r.org_id = t.org_id AND r.id = t.request_id AND r.sweeps < @max_sweeps::smallint
    RETURNING r.id
), given_up AS (
    UPDATE webhook_events e SET
        processed_at = sqlc.arg(now)::timestamptz, failed_at = sqlc.arg(now)::timestamptz,
        error = 'gave up after ' || @max_sweeps::smallint || ' retries by the sweep: '
                || coalesce(nullif(e.error, ''), 'its processing never completed')
    FROM t
    WHERE e.org_id = t.org_id AND e.request_id = t.request_id AND e.processed_at IS NULL
      AND t.request_id NOT IN (SELECT id FROM again)
    RETURNING e.request_id
), failed AS (
    SELECT g.request_id, count(*)::integer AS n FROM given_up g GROUP BY g.request_id
), counted AS (
    UPDATE webhook_requests r SET failed_events = r.failed_events + f.n
    FROM failed f, t
    WHERE t.request_id = f.request_id AND r.org_id = t.org_id AND r.id = f.request_id
    RETURNING r.id
)
SELECT t.org_id::uuid AS org_id, t.request_id::uuid AS request_id,
       (t.request_id IN (SELECT id FROM again))::boolean AS requeue,
       coalesce((SELECT f.n FROM failed f WHERE f.request_id = t.request_id), 0)::integer AS failed
FROM t ORDER BY t.request_id;

-- name: FailedWebhookEvents :many
-- The events given up on, of the calls listed (a page of the log), at
-- most per_request of each.
SELECT r.request_id::uuid AS request_id, f.id, f.kind, f.error, f.failed_at::timestamptz AS failed_at
FROM unnest(@request_ids::uuid[]) AS r(request_id)
CROSS JOIN LATERAL (
    SELECT e.id, e.kind, e.error, e.failed_at FROM webhook_events e
    WHERE e.org_id = @org_id AND e.request_id = r.request_id AND e.failed_at IS NOT NULL
    ORDER BY e.id
    LIMIT @per_request
) f
ORDER BY r.request_id, f.id;
