-- name: CreateOrg :one
INSERT INTO orgs (name, slug, timezone, default_country)
VALUES (@name, @slug, @timezone, @default_country)
RETURNING *;

-- name: GetOrg :one
SELECT * FROM orgs WHERE id = @id;

-- name: UpdateOrg :one
UPDATE orgs SET
    name = coalesce(sqlc.narg(name), name),
    timezone = coalesce(sqlc.narg(timezone), timezone),
    default_country = coalesce(sqlc.narg(default_country), default_country),
    updated_at = now()
WHERE id = @id
RETURNING *;

-- name: DeleteOrg :execrows
DELETE FROM orgs WHERE id = @id;

-- name: AddMember :one
INSERT INTO org_members (org_id, user_id, role) VALUES (@org_id, @user_id, @role)
ON CONFLICT (org_id, user_id) DO NOTHING
RETURNING *;

-- name: GetMemberRole :one
SELECT role FROM org_members WHERE org_id = @org_id AND user_id = @user_id;

-- name: GetMember :one
SELECT m.org_id, m.user_id, m.role, m.created_at, u.email, u.name
FROM org_members m JOIN users u ON u.id = m.user_id
WHERE m.org_id = @org_id AND m.user_id = @user_id;

-- name: ListMembers :many
SELECT m.org_id, m.user_id, m.role, m.created_at, u.email, u.name
FROM org_members m JOIN users u ON u.id = m.user_id
WHERE m.org_id = @org_id
ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'admin' THEN 1 WHEN 'member' THEN 2 ELSE 3 END, lower(u.email);

-- name: SetMemberRole :one
UPDATE org_members SET role = @role, updated_at = now()
WHERE org_id = @org_id AND user_id = @user_id
RETURNING *;

-- name: RemoveMember :execrows
DELETE FROM org_members WHERE org_id = @org_id AND user_id = @user_id AND role <> 'owner';

-- name: ListUserMemberships :many
SELECT o.id, o.name, o.slug, o.timezone, o.default_country, o.created_at, o.updated_at, m.role
FROM org_members m JOIN orgs o ON o.id = m.org_id
WHERE m.user_id = @user_id
ORDER BY lower(o.name), o.id;

-- name: FirstMembership :one
SELECT org_id, role FROM org_members WHERE user_id = @user_id ORDER BY created_at, org_id LIMIT 1;

-- name: CreateInvitation :one
INSERT INTO invitations (org_id, email, role, token_hash, invited_by, expires_at)
VALUES (@org_id, @email, @role, @token_hash, sqlc.narg(invited_by), @expires_at)
RETURNING *;

-- name: RevokeOpenInvitationsForEmail :exec
UPDATE invitations SET revoked_at = sqlc.arg(now)::timestamptz
WHERE org_id = @org_id AND lower(email) = lower(@email) AND accepted_at IS NULL AND revoked_at IS NULL;

-- name: ListInvitations :many
SELECT * FROM invitations
WHERE org_id = @org_id AND accepted_at IS NULL AND revoked_at IS NULL
ORDER BY created_at DESC;

-- name: GetInvitation :one
SELECT * FROM invitations WHERE org_id = @org_id AND id = @id;

-- name: RevokeInvitation :one
UPDATE invitations SET revoked_at = sqlc.arg(now)::timestamptz
WHERE org_id = @org_id AND id = @id AND accepted_at IS NULL AND revoked_at IS NULL
RETURNING *;

-- name: GetOpenInvitationByToken :one
SELECT i.*, o.name AS org_name, coalesce(u.name, '') AS inviter_name
FROM invitations i
JOIN orgs o ON o.id = i.org_id
LEFT JOIN users u ON u.id = i.invited_by
WHERE i.token_hash = @token_hash AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > sqlc.arg(now)::timestamptz;

-- name: AcceptInvitation :one
UPDATE invitations SET accepted_at = sqlc.arg(now)::timestamptz, accepted_by = @accepted_by
WHERE id = @id AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > sqlc.arg(now)::timestamptz
RETURNING *;

-- name: MarkInvitationReadyToSend :one
-- The delivery job's work until email sending exists: record the invitation as ready.
UPDATE invitations SET delivery_status = 'ready_to_send', delivery_ready_at = sqlc.arg(now)::timestamptz
WHERE org_id = @org_id AND id = @id AND delivery_status = 'queued'
RETURNING *;

-- name: DeleteExpiredInvitations :execrows
DELETE FROM invitations WHERE accepted_at IS NULL AND expires_at < @before;

-- name: IsMemberByEmail :one
SELECT EXISTS (
    SELECT 1 FROM org_members m JOIN users u ON u.id = m.user_id
    WHERE m.org_id = @org_id AND lower(u.email) = lower(@email)
);
