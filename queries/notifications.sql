-- Notifications belong to one user in one org: every statement filters by
-- both, so another member's (or another org's) is never read or changed.

-- name: CreateNotification :one
-- Only for a member of the org: a producer naming someone who has left
-- inserts nothing.
INSERT INTO notifications (org_id, user_id, kind, title, body, link, created_at)
SELECT m.org_id, m.user_id, @kind, @title, @body, @link, @now
FROM org_members m
WHERE m.org_id = @org_id AND m.user_id = @user_id
RETURNING *;

-- name: GetNotification :one
SELECT * FROM notifications WHERE org_id = @org_id AND user_id = @user_id AND id = @id;

-- name: ListNotifications :many
-- Newest first, keyset on (created_at, id).
SELECT * FROM notifications
WHERE org_id = @org_id AND user_id = @user_id
  AND (NOT @unread_only::boolean OR read_at IS NULL)
  AND (sqlc.narg(before_at)::timestamptz IS NULL
       OR (created_at, id) < (sqlc.narg(before_at)::timestamptz, sqlc.narg(before_id)::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @lim;

-- name: CountUnreadNotifications :one
SELECT count(*) FROM notifications WHERE org_id = @org_id AND user_id = @user_id AND read_at IS NULL;

-- name: MarkNotificationRead :one
-- Keeps the first read time.
UPDATE notifications SET read_at = coalesce(read_at, @now::timestamptz)
WHERE org_id = @org_id AND user_id = @user_id AND id = @id
RETURNING *;

-- name: MarkAllNotificationsRead :execrows
UPDATE notifications SET read_at = @now::timestamptz
WHERE org_id = @org_id AND user_id = @user_id AND read_at IS NULL AND created_at <= @up_to;
