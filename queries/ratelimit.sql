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

-- name: ReserveRateLimitSlot :one
-- Reserves the next @slots send slots of a paced limit (GCRA, the
-- scheduling form of a token bucket): updated_at holds the theoretical
-- arrival time after the last reserved slot. A reservation moves it on by
-- the slots' intervals, unless the first slot lies further ahead than the
-- caller will wait. No row back: refused.
INSERT INTO rate_limit_buckets AS b (key, tokens, updated_at)
VALUES (sqlc.arg(key), 0, sqlc.arg(now)::timestamptz + make_interval(secs => sqlc.arg(interval_s)::float8 * sqlc.arg(slots)::int))
ON CONFLICT (key) DO UPDATE SET
    updated_at = greatest(b.updated_at, sqlc.arg(now)::timestamptz) + make_interval(secs => sqlc.arg(interval_s)::float8 * sqlc.arg(slots)::int)
WHERE greatest(b.updated_at, sqlc.arg(now)::timestamptz) <= sqlc.arg(now)::timestamptz + make_interval(secs => sqlc.arg(horizon_s)::float8)
RETURNING updated_at;

-- name: PeekRateLimitSlot :one
SELECT updated_at FROM rate_limit_buckets WHERE key = sqlc.arg(key);
