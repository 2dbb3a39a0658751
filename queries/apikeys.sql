-- name: CreateAPIKey :one
INSERT INTO api_keys (org_id, name, prefix, secret_hash, scopes, created_by, expires_at)
VALUES (@org_id, @name, @prefix, @secret_hash, @scopes, sqlc.narg(created_by), sqlc.narg(expires_at))
RETURNING *;

-- name: ListAPIKeys :many
SELECT * FROM api_keys WHERE org_id = @org_id ORDER BY created_at DESC, id;

-- name: GetAPIKey :one
SELECT * FROM api_keys WHERE org_id = @org_id AND id = @id;

-- name: GetAPIKeyByPrefix :one
SELECT * FROM api_keys WHERE prefix = @prefix;

-- name: RevokeAPIKey :one
UPDATE api_keys SET revoked_at = coalesce(revoked_at, sqlc.arg(now)::timestamptz)
WHERE org_id = @org_id AND id = @id
RETURNING *;

-- name: RegenerateAPIKey :one
UPDATE api_keys SET prefix = @prefix, secret_hash = @secret_hash, regenerated_at = sqlc.arg(now)::timestamptz
WHERE org_id = @org_id AND id = @id AND revoked_at IS NULL
RETURNING *;

-- name: RecordAPIKeyUsage :exec
-- Folds a batch of per-key, per-day counts in one statement.
WITH batch AS (
    SELECT unnest(@key_ids::uuid[]) AS api_key_id, unnest(@days::date[]) AS day,
           unnest(@counts::bigint[]) AS requests, unnest(@last_used::timestamptz[]) AS last_used
), usage AS (
    INSERT INTO api_key_usage_daily (api_key_id, org_id, day, requests)
    SELECT b.api_key_id, k.org_id, b.day, b.requests
    FROM batch b JOIN api_keys k ON k.id = b.api_key_id
    ON CONFLICT (api_key_id, day) DO UPDATE SET requests = api_key_usage_daily.requests + excluded.requests
)
UPDATE api_keys k SET last_used_at = greatest(k.last_used_at, m.last_used)
FROM (SELECT api_key_id, max(last_used) AS last_used FROM batch GROUP BY api_key_id) m
WHERE k.id = m.api_key_id;

-- name: ListAPIKeyUsage :many
SELECT api_key_id, day, requests FROM api_key_usage_daily
WHERE org_id = @org_id AND day >= @since
ORDER BY api_key_id, day;
