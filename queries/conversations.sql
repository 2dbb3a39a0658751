-- Conversations on the chat channels: inbound messages, the contact they
-- come from, the thread, unread counts and Telegram onboarding codes.
-- Every statement is scoped by org_id.

-- name: GetInboundByProviderID :one
SELECT * FROM inbound_messages
WHERE org_id = @org_id AND channel = @channel AND provider_message_id = @provider_message_id;

-- name: InsertInboundMessage :one
-- No row back: a concurrent delivery of the same provider message won.
INSERT INTO inbound_messages (org_id, conversation_id, contact_id, channel, provider_message_id, from_address, body, media, received_at)
VALUES (@org_id, @conversation_id, @contact_id, @channel, @provider_message_id, @from_address, @body, @media, sqlc.arg(received_at)::timestamptz)
ON CONFLICT (org_id, channel, provider_message_id) DO NOTHING
RETURNING *;

-- name: UpsertWhatsAppSender :one
-- The contact holding the WhatsApp number, or a new one. Names are filled
-- only on a contact that has none: a name someone typed in wins over the
-- profile name.
INSERT INTO contacts AS c (org_id, whatsapp, first_name, last_name)
VALUES (@org_id, @address, @first_name, @last_name)
ON CONFLICT (org_id, whatsapp) WHERE whatsapp IS NOT NULL DO UPDATE SET
    first_name = CASE WHEN c.first_name = '' AND c.last_name = '' THEN excluded.first_name ELSE c.first_name END,
    last_name = CASE WHEN c.first_name = '' AND c.last_name = '' THEN excluded.last_name ELSE c.last_name END,
    updated_at = CASE WHEN c.first_name = '' AND c.last_name = '' AND (excluded.first_name <> '' OR excluded.last_name <> '')
                      THEN now() ELSE c.updated_at END
RETURNING *;

-- name: UpsertTelegramSender :one
INSERT INTO contacts AS c (org_id, telegram_chat_id, telegram_username, first_name, last_name)
VALUES (@org_id, @address, sqlc.narg(username), @first_name, @last_name)
ON CONFLICT (org_id, telegram_chat_id) WHERE telegram_chat_id IS NOT NULL DO UPDATE SET
    telegram_username = coalesce(c.telegram_username, excluded.telegram_username),
    first_name = CASE WHEN c.first_name = '' AND c.last_name = '' THEN excluded.first_name ELSE c.first_name END,
    last_name = CASE WHEN c.first_name = '' AND c.last_name = '' THEN excluded.last_name ELSE c.last_name END,
    updated_at = CASE WHEN (c.first_name = '' AND c.last_name = '' AND (excluded.first_name <> '' OR excluded.last_name <> ''))
                        OR (c.telegram_username IS NULL AND excluded.telegram_username IS NOT NULL)
                      THEN now() ELSE c.updated_at END
RETURNING *;

-- name: UpsertInstagramSender :one
INSERT INTO contacts AS c (org_id, instagram_id, instagram_username, first_name, last_name)
VALUES (@org_id, @address, sqlc.narg(username), @first_name, @last_name)
ON CONFLICT (org_id, instagram_id) WHERE instagram_id IS NOT NULL DO UPDATE SET
    instagram_username = coalesce(c.instagram_username, excluded.instagram_username),
    first_name = CASE WHEN c.first_name = '' AND c.last_name = '' THEN excluded.first_name ELSE c.first_name END,
    last_name = CASE WHEN c.first_name = '' AND c.last_name = '' THEN excluded.last_name ELSE c.last_name END,
    updated_at = CASE WHEN (c.first_name = '' AND c.last_name = '' AND (excluded.first_name <> '' OR excluded.last_name <> ''))
                        OR (c.instagram_username IS NULL AND excluded.instagram_username IS NOT NULL)
                      THEN now() ELSE c.updated_at END
RETURNING *;

-- name: GetContactByTelegramChat :one
SELECT * FROM contacts WHERE org_id = @org_id AND telegram_chat_id = @chat_id::text;

-- name: LinkTelegramChat :one
-- Gives a contact the Telegram chat (a start code made for it was used),
-- filling the username and names it lacks.
UPDATE contacts AS c SET
    telegram_chat_id = @chat_id::text,
    telegram_username = coalesce(c.telegram_username, sqlc.narg(username)::text),
    first_name = CASE WHEN c.first_name = '' AND c.last_name = '' THEN @first_name::text ELSE c.first_name END,
    last_name = CASE WHEN c.first_name = '' AND c.last_name = '' THEN @last_name::text ELSE c.last_name END,
    updated_at = now()
WHERE c.org_id = @org_id AND c.id = @id
RETURNING *;

-- name: LockStartCode :one
SELECT * FROM telegram_start_codes WHERE org_id = @org_id AND code = @code FOR UPDATE;

-- name: MarkStartCodeUsed :exec
UPDATE telegram_start_codes SET used_at = sqlc.arg(now)::timestamptz WHERE org_id = @org_id AND code = @code;

-- name: GetContactStartCode :one
SELECT * FROM telegram_start_codes WHERE org_id = @org_id AND contact_id = @contact_id;

-- name: GetOrgStartCode :one
-- The newest org-wide code (one made for no contact).
SELECT * FROM telegram_start_codes WHERE org_id = @org_id AND contact_id IS NULL
ORDER BY created_at DESC LIMIT 1;

-- name: PutContactStartCode :one
-- The contact's code: a new one, or the existing one replaced (rotated).
INSERT INTO telegram_start_codes AS s (code, org_id, contact_id, created_at)
VALUES (@code, @org_id, @contact_id, sqlc.arg(now)::timestamptz)
ON CONFLICT (org_id, contact_id) WHERE contact_id IS NOT NULL DO UPDATE SET
    code = excluded.code, created_at = excluded.created_at, used_at = NULL
RETURNING *;

-- name: CreateOrgStartCode :one
INSERT INTO telegram_start_codes (code, org_id, contact_id, created_at)
VALUES (@code, @org_id, NULL, sqlc.arg(now)::timestamptz)
RETURNING *;

-- name: MergeTelegramOnlyContact :exec
-- Folds a contact known only by its Telegram chat (created when the person
-- wrote to the bot before using their start code) into the contact the code
-- was made for: its messages, suppressions, consent history and group
-- memberships move over, and its tags, attributes and consent fill what the
-- target lacks. The caller moves the conversation and deletes the source.
WITH src AS (
    SELECT f.* FROM contacts f WHERE f.org_id = @org_id AND f.id = @from_id
), inb AS (
    UPDATE inbound_messages i SET contact_id = @to_id WHERE i.org_id = @org_id AND i.contact_id = @from_id
), outb AS (
    UPDATE outbound_messages o SET contact_id = @to_id WHERE o.org_id = @org_id AND o.contact_id = @from_id
), sup AS (
    UPDATE suppressions s SET contact_id = @to_id WHERE s.org_id = @org_id AND s.contact_id = @from_id
), cev AS (
    UPDATE consent_events e SET contact_id = @to_id WHERE e.org_id = @org_id AND e.contact_id = @from_id
), grp AS (
    INSERT INTO contact_group_members (org_id, group_id, contact_id, created_at)
    SELECT m.org_id, m.group_id, @to_id, m.created_at FROM contact_group_members m
    WHERE m.org_id = @org_id AND m.contact_id = @from_id
    ON CONFLICT DO NOTHING
)
UPDATE contacts AS t SET
    tags = ARRAY(SELECT DISTINCT unnest(t.tags || src.tags)),
    attributes = src.attributes || t.attributes,
    consent = src.consent || t.consent,
    telegram_username = coalesce(t.telegram_username, src.telegram_username),
    first_name = CASE WHEN t.first_name = '' AND t.last_name = '' THEN src.first_name ELSE t.first_name END,
    last_name = CASE WHEN t.first_name = '' AND t.last_name = '' THEN src.last_name ELSE t.last_name END,
    updated_at = now()
FROM src
WHERE t.org_id = @org_id AND t.id = @to_id;

-- name: GetContactConversation :one
SELECT * FROM conversations WHERE org_id = @org_id AND contact_id = @contact_id AND channel = @channel;

-- name: MoveConversationToContact :exec
UPDATE conversations SET contact_id = @to_contact_id WHERE org_id = @org_id AND id = @id;

-- name: MoveThread :exec
-- Moves every message of conversation from_id into into_id (before
-- FoldConversation deletes from_id).
WITH inb AS (
    UPDATE inbound_messages i SET conversation_id = @into_id::uuid WHERE i.org_id = @org_id AND i.conversation_id = @from_id::uuid
)
UPDATE outbound_messages o SET conversation_id = @into_id::uuid WHERE o.org_id = @org_id AND o.conversation_id = @from_id::uuid;

-- name: FoldConversation :exec
-- Deletes conversation from_id (its messages moved by MoveThread), adding
-- its unread count and newest activity to into_id.
WITH gone AS (
    DELETE FROM conversations d WHERE d.org_id = @org_id AND d.id = @from_id RETURNING d.*
)
UPDATE conversations AS c SET
    unread_count = c.unread_count + g.unread_count,
    last_message_at = greatest(c.last_message_at, g.last_message_at),
    last_message_preview = CASE WHEN g.last_message_at > c.last_message_at THEN g.last_message_preview ELSE c.last_message_preview END,
    last_message_direction = CASE WHEN g.last_message_at > c.last_message_at THEN g.last_message_direction ELSE c.last_message_direction END,
    last_inbound_at = CASE WHEN c.last_inbound_at IS NULL THEN g.last_inbound_at
                           WHEN g.last_inbound_at IS NULL THEN c.last_inbound_at
                           ELSE greatest(c.last_inbound_at, g.last_inbound_at) END
FROM gone g
WHERE c.org_id = @org_id AND c.id = @into_id;

-- name: DeleteContactRow :exec
DELETE FROM contacts WHERE org_id = @org_id AND id = @id;

-- name: TouchConversationInbound :one
-- A contact's message opens or moves their conversation: one more unread,
-- and the newest message (by the provider's time) gives the preview.
INSERT INTO conversations AS c (org_id, contact_id, channel, unread_count, last_message_at, last_message_preview, last_message_direction, last_inbound_at)
VALUES (@org_id, @contact_id, @channel, 1, sqlc.arg(at)::timestamptz, @preview, 'inbound', sqlc.arg(at)::timestamptz)
ON CONFLICT (org_id, contact_id, channel) DO UPDATE SET
    unread_count = c.unread_count + 1,
    last_inbound_at = CASE WHEN c.last_inbound_at IS NULL THEN excluded.last_inbound_at
                           ELSE greatest(c.last_inbound_at, excluded.last_inbound_at) END,
    last_message_at = greatest(c.last_message_at, excluded.last_message_at),
    last_message_preview = CASE WHEN excluded.last_message_at >= c.last_message_at THEN excluded.last_message_preview ELSE c.last_message_preview END,
    last_message_direction = CASE WHEN excluded.last_message_at >= c.last_message_at THEN 'inbound' ELSE c.last_message_direction END
RETURNING *;

-- name: NotifyConversations :exec
-- Tells every API process's listener (LISTEN conversations) about a change;
-- delivered only if the transaction commits.
SELECT pg_notify('conversations', @payload::text);

-- name: GetConversationView :one
SELECT sqlc.embed(v), sqlc.embed(k) FROM conversations v
JOIN contacts k ON k.org_id = v.org_id AND k.id = v.contact_id
WHERE v.org_id = @org_id AND v.id = @id;

-- name: ListConversationViews :many
-- Newest activity first, with a keyset cursor; every filter optional.
-- search is a lower-cased LIKE pattern on the contact's name, addresses and
-- usernames.
SELECT sqlc.embed(v), sqlc.embed(k) FROM conversations v
JOIN contacts k ON k.org_id = v.org_id AND k.id = v.contact_id
WHERE v.org_id = @org_id
  AND (sqlc.narg(channel)::text IS NULL OR v.channel = sqlc.narg(channel)::text)
  AND (NOT @unread_only::boolean OR v.unread_count > 0)
  AND (sqlc.narg(search)::text IS NULL
       OR k.search_text LIKE sqlc.narg(search)::text
       OR coalesce(k.telegram_chat_id, '') LIKE sqlc.narg(search)::text
       OR coalesce(k.instagram_id, '') LIKE sqlc.narg(search)::text)
  AND (sqlc.narg(before_time)::timestamptz IS NULL
       OR (v.last_message_at, v.id) < (sqlc.narg(before_time)::timestamptz, @before_id::uuid))
ORDER BY v.last_message_at DESC, v.id DESC
LIMIT @lim;

-- name: MarkConversationRead :one
UPDATE conversations SET unread_count = 0 WHERE org_id = @org_id AND id = @id
RETURNING *;

-- name: GetConversation :one
SELECT * FROM conversations WHERE org_id = @org_id AND id = @id;

-- name: ListThread :many
-- The conversation's messages, both ways, newest first from the cursor
-- (the page is shown oldest first). Outbound messages carry their
-- attachments in the same shape as inbound media.
SELECT t.id, t.direction, t.body, t.media, t.at, t.status, t.error_code, t.error_reason,
       t.template_id, t.sent_at, t.delivered_at, t.read_at, t.failed_at
FROM (
    SELECT i.id, 'inbound'::text AS direction, i.body, i.media, i.received_at AS at, ''::text AS status,
           ''::text AS error_code, ''::text AS error_reason, NULL::uuid AS template_id,
           NULL::timestamptz AS sent_at, NULL::timestamptz AS delivered_at, NULL::timestamptz AS read_at, NULL::timestamptz AS failed_at
    FROM inbound_messages i
    WHERE i.org_id = @org_id AND i.conversation_id = @conversation_id
      AND (sqlc.narg(before_time)::timestamptz IS NULL OR (i.received_at, i.id) < (sqlc.narg(before_time)::timestamptz, @before_id::uuid))
    UNION ALL
    SELECT m.id, 'outbound'::text, m.body_text, coalesce((
               SELECT jsonb_agg(jsonb_build_object('upload_id', u.id, 'content_type', u.content_type,
                                                   'filename', u.filename, 'size', u.size_bytes) ORDER BY a.position)
               FROM outbound_message_attachments a JOIN uploads u ON u.org_id = a.org_id AND u.id = a.upload_id
               WHERE a.org_id = m.org_id AND a.message_id = m.id), '[]'::jsonb),
           m.created_at, m.status, m.error_code, m.error_reason, m.template_id,
           m.sent_at, m.delivered_at, m.read_at, m.failed_at
    FROM outbound_messages m
    WHERE m.org_id = @org_id AND m.conversation_id = @conversation_id
      AND (sqlc.narg(before_time)::timestamptz IS NULL OR (m.created_at, m.id) < (sqlc.narg(before_time)::timestamptz, @before_id::uuid))
) t
ORDER BY t.at DESC, t.id DESC
LIMIT @lim;

-- name: NotifyMessageConversations :exec
-- Tells listeners about the conversations of outbound messages whose
-- status changed (a batch of provider events), one notice per conversation.
SELECT pg_notify('conversations', json_build_object(
           'org_id', t.org_id, 'conversation_id', t.conversation_id, 'kind', 'outbound')::text)
FROM (SELECT DISTINCT m.org_id, m.conversation_id FROM outbound_messages m
      WHERE m.org_id = @org_id AND m.id = ANY(@message_ids::uuid[]) AND m.conversation_id IS NOT NULL) t;

-- name: AddPendingInboundMedia :exec
-- Records an inbound medium's storage key before its file is written
-- (committed on its own): see MediaCleanupWorker.
INSERT INTO inbound_media_pending (storage_key, org_id, channel, provider_message_id, created_at)
VALUES (@storage_key, @org_id, @channel, @provider_message_id, sqlc.arg(now)::timestamptz);

-- name: ClaimPendingInboundMedia :execrows
-- In the transaction that stores the message: its files are no longer
-- pending. Fewer rows than keys means the cleanup took some already.
DELETE FROM inbound_media_pending WHERE org_id = @org_id AND storage_key = ANY(@storage_keys::text[]);

-- name: StaleInboundMedia :many
-- Pending media older than before, oldest first, locked until the
-- cleanup's transaction ends (a concurrent cleanup skips them, and a
-- message claiming one waits, then finds it gone). With each: its upload
-- row, if one was recorded, and whether the message it was saved for is
-- stored and refers to it (the message's transaction should have removed
-- the pending row then; the file is kept all the same).
SELECT p.storage_key, p.org_id, u.id AS upload_id,
       (u.id IS NOT NULL AND EXISTS (
           SELECT 1 FROM inbound_messages m
           WHERE m.org_id = p.org_id AND m.channel = p.channel AND m.provider_message_id = p.provider_message_id
             AND m.media @> jsonb_build_array(jsonb_build_object('upload_id', u.id))
       ))::boolean AS referenced
FROM inbound_media_pending p
LEFT JOIN uploads u ON u.org_id = p.org_id AND u.storage_key = p.storage_key
WHERE p.created_at < sqlc.arg(before)::timestamptz
ORDER BY p.created_at
LIMIT @lim
FOR UPDATE OF p SKIP LOCKED;

-- name: DeleteOrphanInboundUploads :many
-- Deletes the inbound uploads recorded for orphaned files, unless a
-- message attaches them; returns the storage keys of those deleted.
DELETE FROM uploads u
USING (SELECT unnest(@org_ids::uuid[]) AS org_id, unnest(@storage_keys::text[]) AS storage_key) t
WHERE u.org_id = t.org_id AND u.storage_key = t.storage_key AND u.origin = 'inbound'
  AND NOT EXISTS (SELECT 1 FROM outbound_message_attachments a WHERE a.upload_id = u.id)
RETURNING u.storage_key;

-- name: DeletePendingInboundMedia :exec
DELETE FROM inbound_media_pending p
USING (SELECT unnest(@org_ids::uuid[]) AS org_id, unnest(@storage_keys::text[]) AS storage_key) t
WHERE p.org_id = t.org_id AND p.storage_key = t.storage_key;
