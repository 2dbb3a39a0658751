-- Channel settings: per-org provider credentials. Every statement filters by
-- org_id, except the webhook lookup, which resolves the org from hook_id.

-- name: ListChannelSettings :many
SELECT * FROM channel_settings WHERE org_id = @org_id ORDER BY channel;

-- name: GetChannelSettings :one
SELECT * FROM channel_settings WHERE org_id = @org_id AND channel = @channel;

-- name: LockChannelSettings :one
-- Serializes changes to one channel's settings (a PUT merges into them).
SELECT * FROM channel_settings WHERE org_id = @org_id AND channel = @channel FOR UPDATE;

-- name: GetChannelSettingsByHook :one
-- The webhook receivers' lookup: the hook id is unique, the channel must match.
SELECT * FROM channel_settings WHERE hook_id = @hook_id AND channel = @channel;

-- name: UpsertChannelSettings :one
-- Writes merged settings. hook_id and created_* are only taken on insert.
INSERT INTO channel_settings AS s (
    org_id, channel, enabled, config, secrets, secret_hints, hook_id, revision, status,
    checked_at, check_error, rate_per_second, created_by, updated_by, created_at, updated_at
) VALUES (
    @org_id, @channel, @enabled, @config, sqlc.narg(secrets), @secret_hints, @hook_id, @revision, @status,
    sqlc.narg(checked_at), sqlc.narg(check_error), sqlc.narg(rate_per_second), sqlc.narg(actor), sqlc.narg(actor), @now, @now
)
ON CONFLICT (org_id, channel) DO UPDATE SET
    enabled = excluded.enabled,
    config = excluded.config,
    secrets = excluded.secrets,
    secret_hints = excluded.secret_hints,
    revision = excluded.revision,
    status = excluded.status,
    checked_at = excluded.checked_at,
    check_error = excluded.check_error,
    rate_per_second = excluded.rate_per_second,
    updated_by = excluded.updated_by,
    updated_at = excluded.updated_at
RETURNING *;

-- name: DeleteChannelSettings :execrows
DELETE FROM channel_settings WHERE org_id = @org_id AND channel = @channel;

-- name: MarkChannelChecking :one
-- A connection check was asked for: the page shows "checking" until the
-- check job records its result.
UPDATE channel_settings SET status = 'checking', check_error = NULL
WHERE org_id = @org_id AND channel = @channel
RETURNING *;

-- name: RecordChannelCheck :execrows
-- The check job's result, with what it learned from the provider merged into
-- config (bot_username, event_public_key). Only when the settings are still
-- the ones it checked and a check is still awaited; no row otherwise.
UPDATE channel_settings SET
    status = @status,
    check_error = sqlc.narg(check_error),
    checked_at = sqlc.arg(now)::timestamptz,
    config = config || @learned::jsonb
WHERE org_id = @org_id AND channel = @channel AND revision = @revision AND status = 'checking';
