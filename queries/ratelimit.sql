-- name: TakeRateLimitToken :one
-- Refills the bucket for the time since its last use and takes @cost tokens,
-- in one statement. No row back means the bucket had too few tokens.
INSERT INTO rate_limit_buckets AS b (key, tokens, updated_at)
VALUES (sqlc.arg(key), sqlc.arg(burst)::float8 - sqlc.arg(cost)::float8, sqlc.arg(now)::timestamptz)
ON CONFLICT (key) DO UPDATE SET
    tokens = least(sqlc.arg(burst)::float8, b.tokens + greatest(0, extract(epoch FROM (sqlc.arg(now)::timestamptz - b.updated_at)))::float8 * sqlc.arg(rate)::float8) - sqlc.arg(cost)::float8,
    updated_at = greatest(b.updated_at, sqlc.arg(now)::timestamptz)
WHERE least(sqlc.arg(burst)::float8, b.tokens + greatest(0, extract(epoch FROM (sqlc.arg(now)::timestamptz - b.updated_at)))::float8 * sqlc.arg(rate)::float8) >= sqlc.arg(cost)::float8
RETURNING tokens;

-- name: PeekRateLimitTokens :one
SELECT least(sqlc.arg(burst)::float8, tokens + greatest(0, extract(epoch FROM (sqlc.arg(now)::timestamptz - updated_at)))::float8 * sqlc.arg(rate)::float8)::float8 AS tokens
FROM rate_limit_buckets WHERE key = sqlc.arg(key);

-- name: DeleteIdleRateLimitBuckets :execrows
DELETE FROM rate_limit_buckets WHERE updated_at < sqlc.arg(before);
