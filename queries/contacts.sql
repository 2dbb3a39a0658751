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

-- A search alone first walks the sort order's index from the cursor, at
-- most @walk contacts, and keeps those whose search_text matches (as
-- contacts_matching's search does). When matches are dense (a common
-- name), the page fills within a few hundred rows, where the trigram index
-- would fetch and sort every match: tens of thousands in a large org. When
-- the walk does not fill the page, matches are sparse, and the List
-- statement above (the trigram index, then a sort of the few matches)
-- answers. A search with other filters goes to the List statement, where
-- the planner intersects the trigram index with the filters'.

-- name: WalkContactsCreatedDesc :many
SELECT * FROM (
    SELECT c.* FROM contacts c
    WHERE c.org_id = @org_id
      AND (sqlc.narg(after_time)::timestamptz IS NULL OR (c.created_at, c.id) < (sqlc.narg(after_time)::timestamptz, @after_id::uuid))
    ORDER BY c.created_at DESC, c.id DESC
    LIMIT @walk
) w
WHERE search_text LIKE @search::text
ORDER BY created_at DESC, id DESC
LIMIT @lim;

-- name: WalkContactsCreatedAsc :many
SELECT * FROM (
    SELECT c.* FROM contacts c
    WHERE c.org_id = @org_id
      AND (sqlc.narg(after_time)::timestamptz IS NULL OR (c.created_at, c.id) > (sqlc.narg(after_time)::timestamptz, @after_id::uuid))
    ORDER BY c.created_at, c.id
    LIMIT @walk
) w
WHERE search_text LIKE @search::text
ORDER BY created_at, id
LIMIT @lim;

-- name: WalkContactsNameDesc :many
SELECT * FROM (
    SELECT c.* FROM contacts c
    WHERE c.org_id = @org_id
      AND (sqlc.narg(after_text)::text IS NULL OR (c.sort_name, c.id) < (sqlc.narg(after_text)::text, @after_id::uuid))
    ORDER BY c.sort_name DESC, c.id DESC
    LIMIT @walk
) w
WHERE search_text LIKE @search::text
ORDER BY sort_name DESC, id DESC
LIMIT @lim;

-- name: WalkContactsNameAsc :many
SELECT * FROM (
    SELECT c.* FROM contacts c
    WHERE c.org_id = @org_id
      AND (sqlc.narg(after_text)::text IS NULL OR (c.sort_name, c.id) > (sqlc.narg(after_text)::text, @after_id::uuid))
    ORDER BY c.sort_name, c.id
    LIMIT @walk
) w
WHERE search_text LIKE @search::text
ORDER BY sort_name, id
LIMIT @lim;

-- name: WalkContactsEmailDesc :many
-- (The sort key is a column of the walk, so that the planner sees the walk
-- ordered by it and stops at the page's end.)
SELECT id, org_id, email, email_normalized, phone, whatsapp, telegram_chat_id, telegram_username, instagram_id, instagram_username, first_name, last_name, locale, timezone, attributes, tags, consent, sort_name, search_text, created_at, updated_at
FROM (
    SELECT c.*, coalesce(c.email_normalized, '') AS email_key FROM contacts c
    WHERE c.org_id = @org_id
      AND (sqlc.narg(after_text)::text IS NULL OR (coalesce(c.email_normalized, ''), c.id) < (sqlc.narg(after_text)::text, @after_id::uuid))
    ORDER BY coalesce(c.email_normalized, '') DESC, c.id DESC
    LIMIT @walk
) w
WHERE search_text LIKE @search::text
ORDER BY email_key DESC, id DESC
LIMIT @lim;

-- name: WalkContactsEmailAsc :many
-- (The sort key is a column of the walk, so that the planner sees the walk
-- ordered by it and stops at the page's end.)
SELECT id, org_id, email, email_normalized, phone, whatsapp, telegram_chat_id, telegram_username, instagram_id, instagram_username, first_name, last_name, locale, timezone, attributes, tags, consent, sort_name, search_text, created_at, updated_at
FROM (
    SELECT c.*, coalesce(c.email_normalized, '') AS email_key FROM contacts c
    WHERE c.org_id = @org_id
      AND (sqlc.narg(after_text)::text IS NULL OR (coalesce(c.email_normalized, ''), c.id) > (sqlc.narg(after_text)::text, @after_id::uuid))
    ORDER BY coalesce(c.email_normalized, ''), c.id
    LIMIT @walk
) w
WHERE search_text LIKE @search::text
ORDER BY email_key, id
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
-- The counts were added up by the merge's batches.
UPDATE contact_imports SET status = 'completed', phase = '',
    rows_total = created_count + merged_count + rejected_count,
    rows_done = created_count + merged_count + rejected_count,
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
-- Serializes attempts at one import (a rescued job and a late original):
-- the staging, completing and failing transactions take it first, then read
-- how far the import got.
SELECT pg_advisory_xact_lock(hashtextextended(@lock_key::text, 0));

-- name: LockImportShared :exec
-- The lock a merge batch takes: batches run side by side, while the steps
-- that take LockImport (staging, completing) wait for them.
SELECT pg_advisory_xact_lock_shared(hashtextextended(@lock_key::text, 0));

-- name: ClearImportStaging :exec
DELETE FROM contact_import_rows WHERE import_id = @import_id;

-- name: ImportStagingPresent :one
-- Whether the staged rows are there: the table is unlogged, so a crash of
-- the server empties it even when the import says it was staged.
SELECT EXISTS (SELECT 1 FROM contact_import_rows WHERE import_id = @import_id);

-- name: ClearOrphanedImportStaging :execrows
-- Staged rows of imports that are not running (finished, failed for good
-- or deleted while a worker was away).
DELETE FROM contact_import_rows r
WHERE NOT EXISTS (SELECT 1 FROM contact_imports i WHERE i.id = r.import_id AND i.status IN ('queued', 'running'));

-- name: SetImportWorkMem :exec
-- Room, for this transaction, to hash and sort a whole file's rows in
-- memory: at the server's default (4 MB) a million rows spill to disk.
SELECT set_config('work_mem', '128MB', true);

-- name: AnalyzeImportRows :exec
-- Gives the planner statistics of the rows just staged (ANALYZE counts the
-- transaction's own rows); without them it guesses the table empty and
-- picks nested loops that are quadratic in the file's size.
ANALYZE contact_import_rows;

-- name: SetImportStaged :exec
UPDATE contact_imports SET staged = @staged, updated_at = now() WHERE id = @id;

-- name: LinkImportDuplicates :execrows
-- The first clustering step, one pass over the file: each row that shares
-- a channel value with another row is marked dup and takes as root the
-- first line among the rows it shares a value with. Rows sharing nothing,
-- most of a file, are not written. (The values are listed once, in one
-- scan, and kept for the two uses below.)
WITH k AS MATERIALIZED (
    SELECT line, ch, val FROM (
        SELECT x.line, unnest(ARRAY[1, 2, 3, 4, 5]) AS ch,
               unnest(ARRAY[x.email_normalized, x.phone, x.whatsapp, x.telegram_chat_id, x.instagram_id]) AS val
        FROM contact_import_rows x
        WHERE x.import_id = @import_id AND x.reject_reason IS NULL
    ) s
    WHERE val IS NOT NULL
), shared AS (
    SELECT k.ch, k.val, min(k.line) AS first FROM k GROUP BY k.ch, k.val HAVING count(*) > 1
), linked AS (
    SELECT k.line, min(shared.first) AS root
    FROM k JOIN shared ON shared.ch = k.ch AND shared.val = k.val
    GROUP BY k.line
)
UPDATE contact_import_rows r SET root = linked.root, dup = true
FROM linked
WHERE r.import_id = @import_id AND r.line = linked.line;

-- name: PropagateImportRoots :execrows
-- One round of clustering among the dup rows: each takes the smallest root
-- among the rows sharing any channel value with it. Repeated (with
-- ShortcutImportRoots) until nothing changes, every row of a cluster holds
-- the cluster's first line.
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
    WHERE import_id = @import_id AND dup
) n
WHERE r.import_id = @import_id AND r.dup AND r.line = n.line AND n.root < r.root;

-- name: ShortcutImportRoots :execrows
-- Pointer jumping: a row takes its root's root, so long chains of
-- duplicates converge in a logarithmic number of rounds.
UPDATE contact_import_rows r SET root = p.root
FROM contact_import_rows p
WHERE r.import_id = @import_id AND r.dup AND p.import_id = @import_id AND p.line = r.root AND p.root < r.root;

-- name: MatchImportRoots :execrows
-- Finds the existing contact of each folded cluster by any of its channel
-- values. A cluster matching two different contacts cannot be merged: it
-- is rejected with the reason.
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

-- name: JoinImportClustersByContact :execrows
-- Clusters that matched the same existing contact become one cluster under
-- the first of their roots (to be folded again), so that the contact gets
-- one set of values.
WITH roots AS (
    SELECT x.line, min(x.line) OVER (PARTITION BY x.contact_id) AS target,
           count(*) OVER (PARTITION BY x.contact_id) AS n
    FROM contact_import_rows x
    WHERE x.import_id = @import_id AND x.line = x.root AND x.contact_id IS NOT NULL
), moved AS (
    SELECT roots.line, roots.target FROM roots WHERE roots.n > 1
    UNION
    SELECT y.line, roots.target
    FROM roots JOIN contact_import_rows y ON y.import_id = @import_id AND y.dup AND y.root = roots.line
    WHERE roots.n > 1
)
UPDATE contact_import_rows r SET root = moved.target, dup = true
FROM moved
WHERE r.import_id = @import_id AND r.line = moved.line;

-- name: FoldImportClusters :execrows
-- Folds each cluster of several rows into its root row, which is what gets
-- merged or inserted: the first non-empty value of each field in line
-- order, the union of tags, and attributes where the earliest line wins per
-- key (jsonb keeps the last value given for a key, and the lines come
-- latest first). The one definition of how rows of a file combine, whether
-- they become a new contact or fill an existing one.
WITH members AS (
    SELECT x.* FROM contact_import_rows x
    WHERE x.import_id = @import_id AND x.dup AND x.reject_reason IS NULL
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

-- name: ImportLastLine :one
SELECT coalesce(max(line), 0)::integer FROM contact_import_rows WHERE import_id = @import_id;

-- name: CreateImportBatches :exec
-- Splits the file's lines into the merge's batches, once: an import staged
-- again (after a server crash emptied the staging table) keeps its batches
-- and what they say is done.
INSERT INTO contact_import_batches (import_id, from_line, to_line)
SELECT @import_id, b, least(b + sqlc.arg(batch_lines)::integer, sqlc.arg(last_line)::integer)
FROM generate_series(0, sqlc.arg(last_line)::integer - 1, sqlc.arg(batch_lines)::integer) AS b
WHERE NOT EXISTS (SELECT 1 FROM contact_import_batches x WHERE x.import_id = @import_id);

-- name: ClaimImportBatch :one
-- The next batch no transaction is merging, locked until this one ends.
SELECT from_line, to_line FROM contact_import_batches
WHERE import_id = @import_id AND NOT done
ORDER BY from_line
LIMIT 1
FOR UPDATE SKIP LOCKED;

-- name: MarkImportBatchDone :exec
UPDATE contact_import_batches SET done = true WHERE import_id = @import_id AND from_line = @from_line;

-- name: CountOpenImportBatches :one
SELECT count(*)::integer FROM contact_import_batches WHERE import_id = @import_id AND NOT done;

-- name: DeleteImportBatches :exec
DELETE FROM contact_import_batches WHERE import_id = @import_id;

-- name: MergeImportIntoExisting :execrows
-- Merges the folded clusters of the batch into the contacts they matched:
-- empty fields are filled; with overwrite, the file's non-empty values
-- replace the stored ones. Tags are added, attributes merged. Contacts that
-- would not change are not written.
WITH n AS (
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
        CASE WHEN @overwrite THEN c.attributes || coalesce(f.attributes, '{}')
             ELSE coalesce(f.attributes, '{}') || c.attributes END AS attributes,
        c.tags || ARRAY(SELECT x FROM unnest(f.tags) AS x WHERE x <> ALL (c.tags)) AS tags
    FROM contact_import_rows f
    JOIN contacts c ON c.org_id = @org_id AND c.id = f.contact_id
    WHERE f.import_id = @import_id AND f.line > @from_line AND f.line <= @to_line
      AND f.line = f.root AND f.contact_id IS NOT NULL
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
-- The batch's clusters that matched nobody become new contacts, with their
-- staged ids, in line order: the ids are time-ordered (UUIDv7) in line
-- order, so the two id indexes are appended to. (Email order, for the two
-- email indexes, measured a third slower: the id indexes then take random
-- inserts.)
INSERT INTO contacts (
    id, org_id, email, phone, whatsapp, telegram_chat_id, telegram_username, instagram_id, instagram_username,
    first_name, last_name, locale, timezone, attributes, tags
)
SELECT r.new_id, @org_id, r.email, r.phone, r.whatsapp, r.telegram_chat_id, r.telegram_username, r.instagram_id,
    r.instagram_username, coalesce(r.first_name, ''), coalesce(r.last_name, ''), coalesce(r.locale, ''),
    coalesce(r.timezone, ''), coalesce(r.attributes, '{}'), coalesce(r.tags, '{}')
FROM contact_import_rows r
WHERE r.import_id = @import_id AND r.line > @from_line AND r.line <= @to_line
  AND r.line = r.root AND r.reject_reason IS NULL AND r.match_error IS NULL AND r.contact_id IS NULL
ORDER BY r.line;

-- name: AddImportedToGroups :execrows
INSERT INTO contact_group_members (org_id, group_id, contact_id)
SELECT g.org_id, g.id, coalesce(r.contact_id, r.new_id)
FROM contact_import_rows r JOIN contact_groups g ON g.org_id = @org_id AND g.id = ANY(@group_ids::uuid[])
WHERE r.import_id = @import_id AND r.line > @from_line AND r.line <= @to_line
  AND r.line = r.root AND r.reject_reason IS NULL AND r.match_error IS NULL
ON CONFLICT DO NOTHING;

-- name: InsertImportRejects :execrows
-- The batch's rows that were not imported: invalid, or of a cluster that
-- matched several contacts (only rows of a cluster, dup, look at their root).
INSERT INTO contact_import_rejects (import_id, line, reason, fields)
SELECT r.import_id, r.line,
    coalesce(r.reject_reason, r.match_error,
             (SELECT root.match_error FROM contact_import_rows root WHERE root.import_id = r.import_id AND root.line = r.root)),
    r.raw
FROM contact_import_rows r
WHERE r.import_id = @import_id AND r.line > @from_line AND r.line <= @to_line
  AND (r.reject_reason IS NOT NULL OR r.match_error IS NOT NULL
       OR (r.dup AND r.root <> r.line AND EXISTS (
           SELECT 1 FROM contact_import_rows root
           WHERE root.import_id = r.import_id AND root.line = r.root AND root.match_error IS NOT NULL)))
ON CONFLICT DO NOTHING;

-- name: RecordImportBatch :exec
-- Adds up the batch's rows (rejected: its rejects; created: the new
-- contacts; the rest were merged), in the batch's transaction.
UPDATE contact_imports i SET
    created_count = i.created_count + b.created,
    rejected_count = i.rejected_count + b.rejected,
    merged_count = i.merged_count + b.total - b.created - b.rejected,
    rows_done = i.created_count + i.merged_count + i.rejected_count + b.total,
    phase = 'merging', updated_at = now()
FROM (
    SELECT count(*)::integer AS total, sqlc.arg(created)::integer AS created, sqlc.arg(rejected)::integer AS rejected
    FROM contact_import_rows r
    WHERE r.import_id = sqlc.arg(id)::uuid AND r.line > sqlc.arg(from_line)::integer AND r.line <= sqlc.arg(to_line)::integer
) b
WHERE i.id = sqlc.arg(id)::uuid;

-- name: PurgeAbandonedImports :execrows
-- Imports uploaded but never started, or failed, before the cutoff: their
-- stored files are the bulk of what they hold.
DELETE FROM contact_imports
WHERE status IN ('uploaded', 'ready', 'failed') AND updated_at < @before;
