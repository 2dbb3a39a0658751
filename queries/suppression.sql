-- The suppression list and consent history. Every statement is scoped by org_id.

-- name: CreateSuppression :one
-- Adds a suppression unless the value is already suppressed on the channel
-- (then no row comes back).
INSERT INTO suppressions (org_id, channel, value, reason, source, note, contact_id, created_by)
VALUES (@org_id, @channel, @value, @reason, @source, @note, sqlc.narg(contact_id), sqlc.narg(created_by))
ON CONFLICT (org_id, channel, value) DO NOTHING
RETURNING *;

-- name: GetSuppressionByValue :one
SELECT * FROM suppressions WHERE org_id = @org_id AND channel = @channel AND value = @value;

-- name: GetSuppression :one
SELECT * FROM suppressions WHERE org_id = @org_id AND id = @id;

-- name: ListSuppressions :many
-- Newest first; after_* is the keyset cursor. search is a LIKE pattern.
SELECT * FROM suppressions
WHERE org_id = @org_id
  AND (sqlc.narg(channel)::text IS NULL OR channel = sqlc.narg(channel)::text)
  AND (sqlc.narg(reason)::text IS NULL OR reason = sqlc.narg(reason)::text)
  AND (sqlc.narg(search)::text IS NULL OR value LIKE sqlc.narg(search)::text)
  AND (sqlc.narg(after_time)::timestamptz IS NULL OR (created_at, id) < (sqlc.narg(after_time)::timestamptz, @after_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @lim;

-- name: UpdateSuppression :one
UPDATE suppressions SET
    reason = coalesce(sqlc.narg(reason), reason),
    note = coalesce(sqlc.narg(note), note),
    updated_at = now()
WHERE org_id = @org_id AND id = @id
RETURNING *;

-- name: DeleteSuppression :one
DELETE FROM suppressions WHERE org_id = @org_id AND id = @id RETURNING *;

-- name: DeleteSuppressionByValue :one
DELETE FROM suppressions WHERE org_id = @org_id AND channel = @channel AND value = @value RETURNING *;

-- name: SuppressedAmong :many
-- The values of the list that are suppressed on the channel: the set-based
-- check for sends. values must be normalized like contact fields.
SELECT value FROM suppressions
WHERE org_id = @org_id AND channel = @channel AND value = ANY(@values::text[])
ORDER BY value;

-- name: ImportSuppressions :execrows
-- Adds a batch of suppressions at once; the values already suppressed are
-- left as they are. It counts the rows added.
INSERT INTO suppressions (org_id, channel, value, reason, source, note, created_by)
SELECT @org_id, b.channel, b.value, b.reason, 'import', '', sqlc.narg(created_by)
FROM (SELECT unnest(@channels::text[]) AS channel, unnest(@vals::text[]) AS value,
             unnest(@reasons::text[]) AS reason) b
ON CONFLICT (org_id, channel, value) DO NOTHING;

-- name: SetContactConsent :one
-- Records one channel's consent on the contact and returns the contact.
UPDATE contacts SET
    consent = jsonb_set(consent, ARRAY[@channel::text],
        jsonb_build_object('status', @status::text, 'source', @source::text, 'at', @at::timestamptz)),
    updated_at = now()
WHERE org_id = @org_id AND id = @id
RETURNING *;

-- name: InsertConsentEvent :exec
INSERT INTO consent_events (org_id, contact_id, channel, value, action, reason, source, actor_user_id, actor_api_key_id)
VALUES (@org_id, sqlc.narg(contact_id), @channel, @value, @action, @reason, @source,
        sqlc.narg(actor_user_id), sqlc.narg(actor_api_key_id));

-- name: ListConsentEvents :many
SELECT * FROM consent_events
WHERE org_id = @org_id AND contact_id = @contact_id
ORDER BY created_at DESC, id
LIMIT 200;

-- name: LockContact :one
-- Reads a contact and holds it until the transaction ends, so that
-- concurrent consent changes of one contact apply one after the other.
SELECT * FROM contacts WHERE org_id = @org_id AND id = @id FOR UPDATE;
