-- Contacts, groups and CSV imports. Every statement is scoped by org_id.
-- The list, export and bulk statements filter through contacts_matching()
-- (migrations/000002), which Postgres inlines.

-- name: CreateContact :one
-- Inserts unless a unique channel value is taken (then no row comes back
-- and the caller looks up the contact it collides with).
INSERT INTO contacts (
    org_id, email, phone, whatsapp, telegram_chat_id, telegram_username, instagram_id, instagram_username,
    first_name, last_name, locale, timezone, attributes, tags, consent
) VALUES (
    @org_id, sqlc.narg(email), sqlc.narg(phone), sqlc.narg(whatsapp), sqlc.narg(telegram_chat_id),
    sqlc.narg(telegram_username), sqlc.narg(instagram_id), sqlc.narg(instagram_username),
    @first_name, @last_name, @locale, @timezone, @attributes, @tags, @consent
)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: FindContactConflict :one
-- The other contact of the org holding one of these channel values, and
-- which field collides (the first in email, phone, whatsapp, telegram,
-- instagram order).
SELECT id, (CASE
        WHEN email_normalized = lower(sqlc.narg(email)::text) THEN 'email'
        WHEN phone = sqlc.narg(phone)::text THEN 'phone'
        WHEN whatsapp = sqlc.narg(whatsapp)::text THEN 'whatsapp'
        WHEN telegram_chat_id = sqlc.narg(telegram_chat_id)::text THEN 'telegram_chat_id'
        ELSE 'instagram_id' END)::text AS field
FROM contacts
WHERE org_id = @org_id AND id <> @exclude_id
  AND (email_normalized = lower(sqlc.narg(email)::text)
       OR phone = sqlc.narg(phone)::text
       OR whatsapp = sqlc.narg(whatsapp)::text
       OR telegram_chat_id = sqlc.narg(telegram_chat_id)::text
       OR instagram_id = sqlc.narg(instagram_id)::text)
ORDER BY (email_normalized = lower(sqlc.narg(email)::text)) IS NOT TRUE,
         (phone = sqlc.narg(phone)::text) IS NOT TRUE,
         (whatsapp = sqlc.narg(whatsapp)::text) IS NOT TRUE,
         (telegram_chat_id = sqlc.narg(telegram_chat_id)::text) IS NOT TRUE
LIMIT 1;

-- name: GetContact :one
SELECT * FROM contacts WHERE org_id = @org_id AND id = @id;

-- name: GetContactByID :one
-- Reads a contact by id alone: only for the unsubscribe page, where the id
-- comes from a token signed by the server.
SELECT * FROM contacts WHERE id = @id;

-- name: UpdateContact :one
-- Nullable channel fields change when their set_ flag is true (to NULL to
-- clear); the other fields change when given.
UPDATE contacts SET
    email = CASE WHEN @set_email::boolean THEN sqlc.narg(email) ELSE email END,
    phone = CASE WHEN @set_phone::boolean THEN sqlc.narg(phone) ELSE phone END,
    whatsapp = CASE WHEN @set_whatsapp::boolean THEN sqlc.narg(whatsapp) ELSE whatsapp END,
    telegram_chat_id = CASE WHEN @set_telegram_chat_id::boolean THEN sqlc.narg(telegram_chat_id) ELSE telegram_chat_id END,
    telegram_username = CASE WHEN @set_telegram_username::boolean THEN sqlc.narg(telegram_username) ELSE telegram_username END,
    instagram_id = CASE WHEN @set_instagram_id::boolean THEN sqlc.narg(instagram_id) ELSE instagram_id END,
    instagram_username = CASE WHEN @set_instagram_username::boolean THEN sqlc.narg(instagram_username) ELSE instagram_username END,
    first_name = coalesce(sqlc.narg(first_name), first_name),
    last_name = coalesce(sqlc.narg(last_name), last_name),
    locale = coalesce(sqlc.narg(locale), locale),
    timezone = coalesce(sqlc.narg(timezone), timezone),
    attributes = coalesce(sqlc.narg(attributes)::jsonb, attributes),
    tags = coalesce(sqlc.narg(tags)::text[], tags),
    updated_at = now()
WHERE org_id = @org_id AND id = @id
RETURNING *;

-- name: DeleteContact :execrows
DELETE FROM contacts WHERE org_id = @org_id AND id = @id;

-- name: ListContactGroupIDs :many
SELECT group_id FROM contact_group_members WHERE org_id = @org_id AND contact_id = @contact_id ORDER BY group_id;

-- The list, one statement per sort order so that each walks its index.
-- after_* is the keyset cursor: the sort value and id of the last row seen.

-- name: ListContactsCreatedDesc :many
SELECT * FROM contacts_matching(@org_id, sqlc.narg(search), sqlc.narg(tag), sqlc.narg(group_id), sqlc.narg(has_channel), sqlc.narg(opted_out)) c
WHERE sqlc.narg(after_time)::timestamptz IS NULL OR (c.created_at, c.id) < (sqlc.narg(after_time)::timestamptz, @after_id::uuid)
ORDER BY c.created_at DESC, c.id DESC
LIMIT @lim;

-- name: ListContactsCreatedAsc :many
SELECT * FROM contacts_matching(@org_id, sqlc.narg(search), sqlc.narg(tag), sqlc.narg(group_id), sqlc.narg(has_channel), sqlc.narg(opted_out)) c
WHERE sqlc.narg(after_time)::timestamptz IS NULL OR (c.created_at, c.id) > (sqlc.narg(after_time)::timestamptz, @after_id::uuid)
ORDER BY c.created_at, c.id
LIMIT @lim;

-- name: ListContactsNameDesc :many
SELECT * FROM contacts_matching(@org_id, sqlc.narg(search), sqlc.narg(tag), sqlc.narg(group_id), sqlc.narg(has_channel), sqlc.narg(opted_out)) c
WHERE sqlc.narg(after_text)::text IS NULL OR (c.sort_name, c.id) < (sqlc.narg(after_text)::text, @after_id::uuid)
ORDER BY c.sort_name DESC, c.id DESC
LIMIT @lim;

-- name: ListContactsNameAsc :many
SELECT * FROM contacts_matching(@org_id, sqlc.narg(search), sqlc.narg(tag), sqlc.narg(group_id), sqlc.narg(has_channel), sqlc.narg(opted_out)) c
WHERE sqlc.narg(after_text)::text IS NULL OR (c.sort_name, c.id) > (sqlc.narg(after_text)::text, @after_id::uuid)
ORDER BY c.sort_name, c.id
LIMIT @lim;

-- name: ListContactsEmailDesc :many
SELECT * FROM contacts_matching(@org_id, sqlc.narg(search), sqlc.narg(tag), sqlc.narg(group_id), sqlc.narg(has_channel), sqlc.narg(opted_out)) c
WHERE sqlc.narg(after_text)::text IS NULL OR (coalesce(c.email_normalized, ''), c.id) < (sqlc.narg(after_text)::text, @after_id::uuid)
ORDER BY coalesce(c.email_normalized, '') DESC, c.id DESC
LIMIT @lim;

-- name: ListContactsEmailAsc :many
SELECT * FROM contacts_matching(@org_id, sqlc.narg(search), sqlc.narg(tag), sqlc.narg(group_id), sqlc.narg(has_channel), sqlc.narg(opted_out)) c
WHERE sqlc.narg(after_text)::text IS NULL OR (coalesce(c.email_normalized, ''), c.id) > (sqlc.narg(after_text)::text, @after_id::uuid)
ORDER BY coalesce(c.email_normalized, ''), c.id
LIMIT @lim;

-- name: ListAttributeKeysMatching :many
-- The attribute names in use among the matching contacts: the export's columns.
SELECT DISTINCT k::text AS key
FROM contacts_matching(@org_id, sqlc.narg(search), sqlc.narg(tag), sqlc.narg(group_id), sqlc.narg(has_channel), sqlc.narg(opted_out)) c,
     jsonb_object_keys(c.attributes) AS k
ORDER BY 1
LIMIT 200;

-- name: DeleteContactsByID :execrows
DELETE FROM contacts WHERE org_id = @org_id AND id = ANY(@ids::uuid[]);

-- name: DeleteContactsMatching :execrows
DELETE FROM contacts
WHERE org_id = @org_id AND id IN (
    SELECT m.id FROM contacts_matching(@org_id, sqlc.narg(search), sqlc.narg(tag), sqlc.narg(group_id), sqlc.narg(has_channel), sqlc.narg(opted_out)) m);

-- name: AddContactsToGroupsByID :execrows
INSERT INTO contact_group_members (org_id, group_id, contact_id)
SELECT c.org_id, g.id, c.id
FROM contacts c JOIN contact_groups g ON g.org_id = c.org_id
WHERE c.org_id = @org_id AND c.id = ANY(@ids::uuid[]) AND g.id = ANY(@group_ids::uuid[])
ON CONFLICT DO NOTHING;

-- name: AddContactsMatchingToGroups :execrows
INSERT INTO contact_group_members (org_id, group_id, contact_id)
SELECT c.org_id, g.id, c.id
FROM contacts_matching(@org_id, sqlc.narg(search), sqlc.narg(tag), sqlc.narg(group_id), sqlc.narg(has_channel), sqlc.narg(opted_out)) c
JOIN contact_groups g ON g.org_id = c.org_id AND g.id = ANY(@group_ids::uuid[])
ON CONFLICT DO NOTHING;

-- name: RemoveContactsFromGroupsByID :execrows
DELETE FROM contact_group_members
WHERE org_id = @org_id AND contact_id = ANY(@ids::uuid[]) AND group_id = ANY(@group_ids::uuid[]);

-- name: RemoveContactsMatchingFromGroups :execrows
DELETE FROM contact_group_members m
WHERE m.org_id = @org_id AND m.group_id = ANY(@group_ids::uuid[]) AND m.contact_id IN (
    SELECT c.id FROM contacts_matching(@org_id, sqlc.narg(search), sqlc.narg(tag), sqlc.narg(group_id), sqlc.narg(has_channel), sqlc.narg(opted_out)) c);

-- name: CountGroupsIn :one
SELECT count(*) FROM contact_groups WHERE org_id = @org_id AND id = ANY(@ids::uuid[]);

-- name: CreateGroup :one
INSERT INTO contact_groups (org_id, name, description, color)
VALUES (@org_id, @name, @description, @color)
ON CONFLICT DO NOTHING
RETURNING *;

-- name: GetGroup :one
SELECT g.*, (SELECT count(*) FROM contact_group_members m WHERE m.group_id = g.id)::bigint AS contact_count
FROM contact_groups g WHERE g.org_id = @org_id AND g.id = @id;

-- name: GroupExists :one
SELECT EXISTS (SELECT 1 FROM contact_groups WHERE org_id = @org_id AND id = @id);

-- name: ListGroups :many
SELECT g.*, (SELECT count(*) FROM contact_group_members m WHERE m.group_id = g.id)::bigint AS contact_count
FROM contact_groups g WHERE g.org_id = @org_id
ORDER BY lower(g.name), g.id;

-- name: UpdateGroup :one
UPDATE contact_groups SET
    name = coalesce(sqlc.narg(name), name),
    description = coalesce(sqlc.narg(description), description),
    color = coalesce(sqlc.narg(color), color),
    updated_at = now()
WHERE org_id = @org_id AND id = @id
RETURNING *;

-- name: DeleteGroup :execrows
DELETE FROM contact_groups WHERE org_id = @org_id AND id = @id;

-- Imports.

-- name: CreateImport :one
INSERT INTO contact_imports (org_id, created_by, filename, delimiter, default_country)
VALUES (@org_id, sqlc.narg(created_by), @filename, @delimiter, @default_country)
RETURNING *;

-- name: InsertImportChunk :exec
INSERT INTO contact_import_chunks (import_id, seq, data) VALUES (@import_id, @seq, @data);

-- name: FinishImportUpload :one
UPDATE contact_imports SET size_bytes = @size_bytes, header = @header, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: GetImport :one
SELECT * FROM contact_imports WHERE org_id = @org_id AND id = @id;

-- name: GetImportForWork :one
-- The worker's read: the job carries both ids.
SELECT * FROM contact_imports WHERE org_id = @org_id AND id = @id;

-- name: ListImports :many
SELECT * FROM contact_imports WHERE org_id = @org_id ORDER BY created_at DESC, id DESC LIMIT 100;

-- name: GetImportChunk :one
SELECT data FROM contact_import_chunks WHERE import_id = @import_id AND seq = @seq;

-- name: SetImportDelimiter :exec
UPDATE contact_imports SET delimiter = @delimiter, header = @header, updated_at = now()
WHERE org_id = @org_id AND id = @id AND status IN ('uploaded', 'ready');

-- name: StartImport :one
-- Moves an import that has not run yet to queued with its mapping.
UPDATE contact_imports SET
    status = 'queued', mapping = @mapping, overwrite = @overwrite, group_ids = @group_ids, tags = @tags,
    delimiter = @delimiter, header = @header, updated_at = now()
WHERE org_id = @org_id AND id = @id AND status IN ('uploaded', 'ready')
RETURNING *;

-- name: SetImportCounted :exec
-- The analysis result; it never moves an import backwards.
UPDATE contact_imports SET
    rows_total = @rows_total,
    status = CASE WHEN status = 'uploaded' THEN 'ready' ELSE status END,
    updated_at = now()
WHERE id = @id AND status IN ('uploaded', 'ready', 'queued');

-- name: SetImportRunning :exec
UPDATE contact_imports SET status = 'running', phase = 'reading', rows_done = 0, error = '',
    started_at = coalesce(started_at, now()), updated_at = now()
WHERE id = @id AND status IN ('queued', 'running');

-- name: SetImportProgress :exec
UPDATE contact_imports SET rows_done = @rows_done, phase = @phase, updated_at = now()
WHERE id = @id AND status = 'running';

-- name: FailImport :exec
UPDATE contact_imports SET status = 'failed', phase = '', error = @error, finished_at = now(), updated_at = now()
WHERE id = @id AND status <> 'completed';

-- name: CompleteImport :exec
UPDATE contact_imports SET status = 'completed', phase = '', rows_total = @rows_total, rows_done = @rows_total,
    created_count = @created_count, merged_count = @merged_count, rejected_count = @rejected_count,
    error = '', finished_at = now(), updated_at = now()
WHERE id = @id;

-- name: DeleteImport :execrows
DELETE FROM contact_imports WHERE org_id = @org_id AND id = @id AND status <> 'running';

-- name: DeleteImportChunks :exec
DELETE FROM contact_import_chunks WHERE import_id = @import_id;

-- name: ListImportRejects :many
SELECT line, reason, fields FROM contact_import_rejects
WHERE import_id = @import_id AND line > @after_line
ORDER BY line
LIMIT @lim;

-- name: LockImport :exec
-- Serializes attempts at one import (a rescued job and a late original).
SELECT pg_advisory_xact_lock(hashtextextended(@lock_key::text, 0));

-- name: ClearImportStaging :exec
DELETE FROM contact_import_rows WHERE import_id = @import_id;

-- name: ClearImportRejects :exec
DELETE FROM contact_import_rejects WHERE import_id = @import_id;

-- name: AnalyzeImportRows :exec
-- Gives the planner statistics of the rows just staged (ANALYZE counts the
-- transaction's own rows); without them it guesses the table empty and
-- picks nested loops that are quadratic in the file's size.
ANALYZE contact_import_rows;

-- name: PropagateImportRoots :execrows
-- One round of clustering: each row takes the smallest root among the rows
-- sharing any channel value with it. Repeated (with ShortcutImportRoots)
-- until nothing changes, every row of a cluster holds the cluster's first line.
UPDATE contact_import_rows r SET root = n.root
FROM (
    SELECT line, least(
        root,
        CASE WHEN email_normalized IS NULL THEN root ELSE min(root) OVER (PARTITION BY email_normalized) END,
        CASE WHEN phone IS NULL THEN root ELSE min(root) OVER (PARTITION BY phone) END,
        CASE WHEN whatsapp IS NULL THEN root ELSE min(root) OVER (PARTITION BY whatsapp) END,
        CASE WHEN telegram_chat_id IS NULL THEN root ELSE min(root) OVER (PARTITION BY telegram_chat_id) END,
        CASE WHEN instagram_id IS NULL THEN root ELSE min(root) OVER (PARTITION BY instagram_id) END
    ) AS root
    FROM contact_import_rows
    WHERE import_id = @import_id AND reject_reason IS NULL
) n
WHERE r.import_id = @import_id AND r.line = n.line AND n.root < r.root;

-- name: ShortcutImportRoots :execrows
-- Pointer jumping: a row takes its root's root, so long chains of
-- duplicates converge in a logarithmic number of rounds.
UPDATE contact_import_rows r SET root = p.root
FROM contact_import_rows p
WHERE r.import_id = @import_id AND p.import_id = @import_id AND p.line = r.root AND p.root < r.root;

-- name: ConsolidateImportClusters :execrows
-- Folds each cluster of several rows into its first row: the first
-- non-empty value of each field in line order, the union of tags, and
-- attributes where the earliest line wins per key (jsonb keeps the last
-- value given for a key, and the lines come latest first).
WITH multi AS (
    SELECT x.root FROM contact_import_rows x
    WHERE x.import_id = @import_id AND x.reject_reason IS NULL
    GROUP BY x.root HAVING count(*) > 1
), members AS (
    SELECT x.* FROM contact_import_rows x JOIN multi ON multi.root = x.root
    WHERE x.import_id = @import_id AND x.reject_reason IS NULL
), f AS (
    SELECT m.root,
        (array_agg(m.email ORDER BY m.line) FILTER (WHERE m.email IS NOT NULL))[1] AS email,
        (array_agg(m.phone ORDER BY m.line) FILTER (WHERE m.phone IS NOT NULL))[1] AS phone,
        (array_agg(m.whatsapp ORDER BY m.line) FILTER (WHERE m.whatsapp IS NOT NULL))[1] AS whatsapp,
        (array_agg(m.telegram_chat_id ORDER BY m.line) FILTER (WHERE m.telegram_chat_id IS NOT NULL))[1] AS telegram_chat_id,
        (array_agg(m.telegram_username ORDER BY m.line) FILTER (WHERE m.telegram_username IS NOT NULL))[1] AS telegram_username,
        (array_agg(m.instagram_id ORDER BY m.line) FILTER (WHERE m.instagram_id IS NOT NULL))[1] AS instagram_id,
        (array_agg(m.instagram_username ORDER BY m.line) FILTER (WHERE m.instagram_username IS NOT NULL))[1] AS instagram_username,
        (array_agg(m.first_name ORDER BY m.line) FILTER (WHERE m.first_name IS NOT NULL))[1] AS first_name,
        (array_agg(m.last_name ORDER BY m.line) FILTER (WHERE m.last_name IS NOT NULL))[1] AS last_name,
        (array_agg(m.locale ORDER BY m.line) FILTER (WHERE m.locale IS NOT NULL))[1] AS locale,
        (array_agg(m.timezone ORDER BY m.line) FILTER (WHERE m.timezone IS NOT NULL))[1] AS timezone
    FROM members m
    GROUP BY m.root
), t AS (
    SELECT m.root, array_agg(DISTINCT tag ORDER BY tag) AS tags
    FROM members m, unnest(m.tags) AS tag
    GROUP BY m.root
), a AS (
    SELECT m.root, jsonb_object_agg(e.k, e.v ORDER BY m.line DESC) AS attributes
    FROM members m, jsonb_each(m.attributes) AS e (k, v)
    GROUP BY m.root
)
UPDATE contact_import_rows r SET
    email = f.email, email_normalized = lower(f.email), phone = f.phone, whatsapp = f.whatsapp,
    telegram_chat_id = f.telegram_chat_id, telegram_username = f.telegram_username,
    instagram_id = f.instagram_id, instagram_username = f.instagram_username,
    first_name = f.first_name, last_name = f.last_name, locale = f.locale, timezone = f.timezone,
    tags = t.tags, attributes = a.attributes
FROM f LEFT JOIN t ON t.root = f.root LEFT JOIN a ON a.root = f.root
WHERE r.import_id = @import_id AND r.line = f.root;

-- name: MatchImportRoots :execrows
-- Finds the existing contact of each cluster by any channel value. A
-- cluster matching two different contacts cannot be merged: it is rejected
-- with the reason.
WITH m AS (
    SELECT r.line, c.id, 'email' AS field
    FROM contact_import_rows r JOIN contacts c ON c.org_id = @org_id AND c.email_normalized = r.email_normalized
    WHERE r.import_id = @import_id AND r.line = r.root AND r.reject_reason IS NULL
    UNION ALL
    SELECT r.line, c.id, 'phone'
    FROM contact_import_rows r JOIN contacts c ON c.org_id = @org_id AND c.phone = r.phone
    WHERE r.import_id = @import_id AND r.line = r.root AND r.reject_reason IS NULL
    UNION ALL
    SELECT r.line, c.id, 'whatsapp'
    FROM contact_import_rows r JOIN contacts c ON c.org_id = @org_id AND c.whatsapp = r.whatsapp
    WHERE r.import_id = @import_id AND r.line = r.root AND r.reject_reason IS NULL
    UNION ALL
    SELECT r.line, c.id, 'telegram_chat_id'
    FROM contact_import_rows r JOIN contacts c ON c.org_id = @org_id AND c.telegram_chat_id = r.telegram_chat_id
    WHERE r.import_id = @import_id AND r.line = r.root AND r.reject_reason IS NULL
    UNION ALL
    SELECT r.line, c.id, 'instagram_id'
    FROM contact_import_rows r JOIN contacts c ON c.org_id = @org_id AND c.instagram_id = r.instagram_id
    WHERE r.import_id = @import_id AND r.line = r.root AND r.reject_reason IS NULL
), g AS (
    SELECT m.line, array_agg(DISTINCT m.id) AS ids,
           string_agg(m.field || ' matches contact ' || m.id::text, ', ' ORDER BY m.field) AS detail
    FROM m GROUP BY m.line
)
UPDATE contact_import_rows r SET
    contact_id = CASE WHEN cardinality(g.ids) = 1 THEN g.ids[1] END,
    match_error = CASE WHEN cardinality(g.ids) > 1
        THEN 'matches several existing contacts (' || g.detail || ')' END
FROM g
WHERE r.import_id = @import_id AND r.line = g.line;

-- name: MergeImportIntoExisting :execrows
-- Merges clusters into the contacts they matched: empty fields are filled;
-- with overwrite, the file's non-empty values replace the stored ones. Tags
-- are added, attributes merged. Contacts that would not change are not written.
WITH matched AS (
    SELECT r.* FROM contact_import_rows r
    WHERE r.import_id = @import_id AND r.line = r.root AND r.contact_id IS NOT NULL
), f AS (
    SELECT m.contact_id,
        (array_agg(m.email ORDER BY m.line) FILTER (WHERE m.email IS NOT NULL))[1] AS email,
        (array_agg(m.phone ORDER BY m.line) FILTER (WHERE m.phone IS NOT NULL))[1] AS phone,
        (array_agg(m.whatsapp ORDER BY m.line) FILTER (WHERE m.whatsapp IS NOT NULL))[1] AS whatsapp,
        (array_agg(m.telegram_chat_id ORDER BY m.line) FILTER (WHERE m.telegram_chat_id IS NOT NULL))[1] AS telegram_chat_id,
        (array_agg(m.telegram_username ORDER BY m.line) FILTER (WHERE m.telegram_username IS NOT NULL))[1] AS telegram_username,
        (array_agg(m.instagram_id ORDER BY m.line) FILTER (WHERE m.instagram_id IS NOT NULL))[1] AS instagram_id,
        (array_agg(m.instagram_username ORDER BY m.line) FILTER (WHERE m.instagram_username IS NOT NULL))[1] AS instagram_username,
        (array_agg(m.first_name ORDER BY m.line) FILTER (WHERE m.first_name IS NOT NULL))[1] AS first_name,
        (array_agg(m.last_name ORDER BY m.line) FILTER (WHERE m.last_name IS NOT NULL))[1] AS last_name,
        (array_agg(m.locale ORDER BY m.line) FILTER (WHERE m.locale IS NOT NULL))[1] AS locale,
        (array_agg(m.timezone ORDER BY m.line) FILTER (WHERE m.timezone IS NOT NULL))[1] AS timezone
    FROM matched m
    GROUP BY m.contact_id
), t AS (
    SELECT m.contact_id, array_agg(DISTINCT tag ORDER BY tag) AS tags
    FROM matched m, unnest(m.tags) AS tag
    GROUP BY m.contact_id
), at AS (
    SELECT m.contact_id, jsonb_object_agg(e.k, e.v ORDER BY m.line DESC) AS attributes
    FROM matched m, jsonb_each(m.attributes) AS e (k, v)
    GROUP BY m.contact_id
), n AS (
    SELECT c.id,
        CASE WHEN @overwrite::boolean AND f.email_normalized IS DISTINCT FROM c.email_normalized THEN coalesce(f.email, c.email)
             ELSE coalesce(c.email, f.email) END AS email,
        CASE WHEN @overwrite THEN coalesce(f.phone, c.phone) ELSE coalesce(c.phone, f.phone) END AS phone,
        CASE WHEN @overwrite THEN coalesce(f.whatsapp, c.whatsapp) ELSE coalesce(c.whatsapp, f.whatsapp) END AS whatsapp,
        CASE WHEN @overwrite THEN coalesce(f.telegram_chat_id, c.telegram_chat_id) ELSE coalesce(c.telegram_chat_id, f.telegram_chat_id) END AS telegram_chat_id,
        CASE WHEN @overwrite THEN coalesce(f.telegram_username, c.telegram_username) ELSE coalesce(c.telegram_username, f.telegram_username) END AS telegram_username,
        CASE WHEN @overwrite THEN coalesce(f.instagram_id, c.instagram_id) ELSE coalesce(c.instagram_id, f.instagram_id) END AS instagram_id,
        CASE WHEN @overwrite THEN coalesce(f.instagram_username, c.instagram_username) ELSE coalesce(c.instagram_username, f.instagram_username) END AS instagram_username,
        CASE WHEN (@overwrite OR c.first_name = '') AND f.first_name IS NOT NULL THEN f.first_name ELSE c.first_name END AS first_name,
        CASE WHEN (@overwrite OR c.last_name = '') AND f.last_name IS NOT NULL THEN f.last_name ELSE c.last_name END AS last_name,
        CASE WHEN (@overwrite OR c.locale = '') AND f.locale IS NOT NULL THEN f.locale ELSE c.locale END AS locale,
        CASE WHEN (@overwrite OR c.timezone = '') AND f.timezone IS NOT NULL THEN f.timezone ELSE c.timezone END AS timezone,
        CASE WHEN @overwrite THEN c.attributes || coalesce(at.attributes, '{}')
             ELSE coalesce(at.attributes, '{}') || c.attributes END AS attributes,
        c.tags || ARRAY(SELECT x FROM unnest(t.tags) AS x WHERE x <> ALL (c.tags)) AS tags
    FROM (SELECT f.*, lower(f.email) AS email_normalized FROM f) f
    JOIN contacts c ON c.org_id = @org_id AND c.id = f.contact_id
    LEFT JOIN t ON t.contact_id = f.contact_id
    LEFT JOIN at ON at.contact_id = f.contact_id
)
UPDATE contacts c SET
    email = n.email, phone = n.phone, whatsapp = n.whatsapp, telegram_chat_id = n.telegram_chat_id,
    telegram_username = n.telegram_username, instagram_id = n.instagram_id, instagram_username = n.instagram_username,
    first_name = n.first_name, last_name = n.last_name, locale = n.locale, timezone = n.timezone,
    attributes = n.attributes, tags = n.tags, updated_at = now()
FROM n
WHERE c.org_id = @org_id AND c.id = n.id
  AND (c.email, c.phone, c.whatsapp, c.telegram_chat_id, c.telegram_username, c.instagram_id, c.instagram_username,
       c.first_name, c.last_name, c.locale, c.timezone, c.attributes, c.tags)
      IS DISTINCT FROM
      (n.email, n.phone, n.whatsapp, n.telegram_chat_id, n.telegram_username, n.instagram_id, n.instagram_username,
       n.first_name, n.last_name, n.locale, n.timezone, n.attributes, n.tags);

-- name: InsertImportNewContacts :execrows
-- Clusters that matched nobody become new contacts, with their staged ids.
INSERT INTO contacts (
    id, org_id, email, phone, whatsapp, telegram_chat_id, telegram_username, instagram_id, instagram_username,
    first_name, last_name, locale, timezone, attributes, tags
)
SELECT r.new_id, @org_id, r.email, r.phone, r.whatsapp, r.telegram_chat_id, r.telegram_username, r.instagram_id,
    r.instagram_username, coalesce(r.first_name, ''), coalesce(r.last_name, ''), coalesce(r.locale, ''),
    coalesce(r.timezone, ''), coalesce(r.attributes, '{}'), coalesce(r.tags, '{}')
FROM contact_import_rows r
WHERE r.import_id = @import_id AND r.line = r.root AND r.reject_reason IS NULL AND r.match_error IS NULL
  AND r.contact_id IS NULL
ORDER BY r.line;

-- name: AddImportedToGroups :execrows
INSERT INTO contact_group_members (org_id, group_id, contact_id)
SELECT DISTINCT g.org_id, g.id, coalesce(r.contact_id, r.new_id)
FROM contact_import_rows r JOIN contact_groups g ON g.org_id = @org_id AND g.id = ANY(@group_ids::uuid[])
WHERE r.import_id = @import_id AND r.line = r.root AND r.reject_reason IS NULL AND r.match_error IS NULL
ON CONFLICT DO NOTHING;

-- name: InsertImportRejects :execrows
INSERT INTO contact_import_rejects (import_id, line, reason, fields)
SELECT r.import_id, r.line, coalesce(r.reject_reason, root.match_error), r.raw
FROM contact_import_rows r
LEFT JOIN contact_import_rows root ON root.import_id = r.import_id AND root.line = r.root
WHERE r.import_id = @import_id AND (r.reject_reason IS NOT NULL OR root.match_error IS NOT NULL);

-- name: CountImportRows :one
SELECT count(*)::integer AS total,
    (count(*) FILTER (WHERE r.reject_reason IS NOT NULL OR root.match_error IS NOT NULL))::integer AS rejected,
    (count(*) FILTER (WHERE r.line = r.root AND r.reject_reason IS NULL AND r.match_error IS NULL
                         AND r.contact_id IS NULL))::integer AS created
FROM contact_import_rows r
LEFT JOIN contact_import_rows root ON root.import_id = r.import_id AND root.line = r.root
WHERE r.import_id = @import_id;

-- name: PurgeAbandonedImports :execrows
-- Imports uploaded but never started, or failed, before the cutoff: their
-- stored files are the bulk of what they hold.
DELETE FROM contact_imports
WHERE status IN ('uploaded', 'ready', 'failed') AND updated_at < @before;
