-- Templates and their versions. Every statement filters by org_id; the
-- version joins repeat it so a version can never be read across orgs.

-- name: CreateTemplate :one
INSERT INTO templates (org_id, name, channel, created_by, updated_by, created_at, updated_at)
VALUES (@org_id, @name, @channel, sqlc.narg(created_by), sqlc.narg(created_by), @now, @now)
RETURNING *;

-- name: CreateTemplateVersion :one
INSERT INTO template_versions (
    org_id, template_id, version, subject, body_html, body_text, body_text_generated, body,
    provider_template_name, provider_template_sid, variables, created_by, updated_by, created_at, updated_at
) VALUES (
    @org_id, @template_id, @version, @subject, @body_html, @body_text, @body_text_generated, @body,
    @provider_template_name, @provider_template_sid, @variables, sqlc.narg(created_by), sqlc.narg(created_by), @now, @now
)
RETURNING *;

-- name: GetTemplate :one
-- The template with its newest version.
SELECT sqlc.embed(t), sqlc.embed(v)
FROM templates t
JOIN template_versions v ON v.org_id = t.org_id AND v.template_id = t.id AND v.version = t.latest_version
WHERE t.org_id = @org_id AND t.id = @id;

-- name: GetUsableTemplate :one
-- The template with the version in use (approved).
SELECT sqlc.embed(t), sqlc.embed(v)
FROM templates t
JOIN template_versions v ON v.org_id = t.org_id AND v.template_id = t.id AND v.version = t.approved_version
WHERE t.org_id = @org_id AND t.id = @id;

-- name: GetDefaultTemplate :one
-- The channel's default template with the version in use.
SELECT sqlc.embed(t), sqlc.embed(v)
FROM templates t
JOIN template_versions v ON v.org_id = t.org_id AND v.template_id = t.id AND v.version = t.approved_version
WHERE t.org_id = @org_id AND t.channel = @channel AND t.is_default;

-- name: LockTemplate :one
-- Serializes changes to one template (edits, reviews, default).
SELECT * FROM templates WHERE org_id = @org_id AND id = @id FOR UPDATE;

-- name: LockDefaultSlot :exec
-- Serializes default changes of one org and channel, so that two concurrent
-- make-default calls do not both see no other default.
SELECT pg_advisory_xact_lock(hashtextextended('templates:default:' || sqlc.arg(org_id)::uuid::text || ':' || sqlc.arg(channel)::text, 0));

-- name: GetTemplateVersion :one
SELECT * FROM template_versions
WHERE org_id = @org_id AND template_id = @template_id AND version = @version;

-- name: ListTemplateVersions :many
SELECT * FROM template_versions
WHERE org_id = @org_id AND template_id = @template_id
ORDER BY version DESC;

-- name: ListTemplates :many
-- Keyset-paginated by (lower(name), id). search is an ILIKE pattern the
-- caller escapes. sort_name is the cursor's first half.
SELECT sqlc.embed(t), sqlc.embed(v), lower(t.name)::text AS sort_name
FROM templates t
JOIN template_versions v ON v.org_id = t.org_id AND v.template_id = t.id AND v.version = t.latest_version
WHERE t.org_id = @org_id
  AND (sqlc.narg(channel)::text IS NULL OR t.channel = sqlc.narg(channel)::text)
  AND (sqlc.narg(status)::text IS NULL OR v.status = sqlc.narg(status)::text)
  AND (NOT @only_usable::boolean OR t.approved_version IS NOT NULL)
  AND (sqlc.narg(search)::text IS NULL OR t.name ILIKE sqlc.narg(search)::text)
  AND (sqlc.narg(after_name)::text IS NULL
       OR (lower(t.name), t.id) > (sqlc.narg(after_name)::text, sqlc.narg(after_id)::uuid))
ORDER BY lower(t.name), t.id
LIMIT @max_rows;

-- name: RenameTemplate :one
UPDATE templates SET name = @name, updated_by = sqlc.narg(updated_by), updated_at = @now
WHERE org_id = @org_id AND id = @id
RETURNING *;

-- name: TouchTemplate :exec
-- Records a change to the template's versions.
UPDATE templates SET latest_version = @latest_version, updated_by = sqlc.narg(updated_by), updated_at = @now
WHERE org_id = @org_id AND id = @id;

-- name: UpdateTemplateVersionContent :one
-- Edits a version that is not approved; it becomes a draft again, so what
-- an admin reviews is always what was submitted.
UPDATE template_versions SET
    subject = @subject, body_html = @body_html, body_text = @body_text,
    body_text_generated = @body_text_generated, body = @body,
    provider_template_name = @provider_template_name, provider_template_sid = @provider_template_sid,
    variables = @variables,
    status = 'draft', rejection_reason = NULL, rejected_by = NULL, rejected_at = NULL,
    submitted_by = NULL, submitted_at = NULL,
    updated_by = sqlc.narg(updated_by), updated_at = @now
WHERE org_id = @org_id AND template_id = @template_id AND version = @version AND status <> 'approved'
RETURNING *;

-- name: SubmitTemplateVersion :one
UPDATE template_versions SET
    status = 'pending_approval', rejection_reason = NULL, rejected_by = NULL, rejected_at = NULL,
    submitted_by = sqlc.narg(actor), submitted_at = @now::timestamptz, updated_at = @now::timestamptz
WHERE org_id = @org_id AND template_id = @template_id AND version = @version AND status IN ('draft', 'rejected')
RETURNING *;

-- name: ApproveTemplateVersion :one
UPDATE template_versions SET
    status = 'approved', approved_by = sqlc.narg(actor), approved_at = @now::timestamptz, updated_at = @now::timestamptz
WHERE org_id = @org_id AND template_id = @template_id AND version = @version AND status = 'pending_approval'
RETURNING *;

-- name: RejectTemplateVersion :one
UPDATE template_versions SET
    status = 'rejected', rejection_reason = @reason::text, rejected_by = sqlc.narg(actor), rejected_at = @now::timestamptz, updated_at = @now::timestamptz
WHERE org_id = @org_id AND template_id = @template_id AND version = @version AND status = 'pending_approval'
RETURNING *;

-- name: SupersedeTemplateVersion :exec
UPDATE template_versions SET superseded_at = @now::timestamptz
WHERE org_id = @org_id AND template_id = @template_id AND version = @version AND superseded_at IS NULL;

-- name: SetTemplateApprovedVersion :exec
UPDATE templates SET approved_version = @approved_version::integer, updated_by = sqlc.narg(updated_by), updated_at = @now
WHERE org_id = @org_id AND id = @id;

-- name: ClearDefaultTemplate :exec
-- Unsets the channel's default; call under LockDefaultSlot, then SetDefaultTemplate.
UPDATE templates SET is_default = false, updated_at = @now
WHERE org_id = @org_id AND channel = @channel AND is_default;

-- name: SetDefaultTemplate :execrows
UPDATE templates SET is_default = true, updated_by = sqlc.narg(updated_by), updated_at = @now
WHERE org_id = @org_id AND id = @id AND approved_version IS NOT NULL;

-- name: DeleteTemplate :execrows
DELETE FROM templates WHERE org_id = @org_id AND id = @id;

-- name: GetTemplateSettings :one
SELECT * FROM org_template_settings WHERE org_id = @org_id;

-- name: UpsertTemplateSettings :one
INSERT INTO org_template_settings (org_id, email_footer_html, email_footer_text, updated_by, updated_at)
VALUES (@org_id, @email_footer_html, @email_footer_text, sqlc.narg(updated_by), @now)
ON CONFLICT (org_id) DO UPDATE SET
    email_footer_html = excluded.email_footer_html,
    email_footer_text = excluded.email_footer_text,
    updated_by = excluded.updated_by,
    updated_at = excluded.updated_at
RETURNING *;

-- name: GetOrgName :one
SELECT name FROM orgs WHERE id = @org_id;
