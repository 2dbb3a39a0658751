-- Org price tables. Prices are numeric(12,6) in the tables and whole
-- millionths (bigint) at the edge, so Go never rounds a price.

-- name: SeedPricing :exec
-- Gives an org its table, copied from the list prices; an org that has one
-- keeps it.
WITH p AS (
    INSERT INTO org_pricing (org_id, currency) VALUES (@org_id, 'USD')
    ON CONFLICT (org_id) DO NOTHING
    RETURNING org_id
)
INSERT INTO org_prices (org_id, channel, category, country, price)
SELECT p.org_id, l.channel, l.category, l.country, l.price FROM p CROSS JOIN list_prices l;

-- name: GetPricing :one
SELECT currency, updated_by, updated_at FROM org_pricing WHERE org_id = @org_id;

-- name: LockPricing :one
-- Serializes replacements of one org's table.
SELECT org_id FROM org_pricing WHERE org_id = @org_id FOR UPDATE;

-- name: ListOrgPrices :many
SELECT channel, category, country, (price * 1000000)::bigint AS price_micros
FROM org_prices
WHERE org_id = @org_id
ORDER BY array_position(ARRAY['email', 'whatsapp', 'telegram', 'instagram'], channel),
         array_position(ARRAY['', 'marketing', 'utility', 'authentication', 'service'], category),
         country;

-- name: ListListPrices :many
SELECT channel, category, country, (price * 1000000)::bigint AS price_micros
FROM list_prices
ORDER BY array_position(ARRAY['email', 'whatsapp', 'telegram', 'instagram'], channel),
         array_position(ARRAY['', 'marketing', 'utility', 'authentication', 'service'], category),
         country;

-- name: UpdatePricing :exec
UPDATE org_pricing SET currency = @currency, updated_by = sqlc.narg(updated_by), updated_at = @now
WHERE org_id = @org_id;

-- name: DeleteOrgPrices :exec
DELETE FROM org_prices WHERE org_id = @org_id;

-- name: InsertOrgPrices :exec
INSERT INTO org_prices (org_id, channel, category, country, price)
SELECT @org_id, unnest(@channels::text[]), unnest(@categories::text[]), unnest(@countries::text[]),
       unnest(@price_micros::bigint[]) / 1000000.0;

-- name: EstimateCost :many
-- Prices count rows per channel: each line takes its country's row, or the
-- default row of its channel and category (empty country). Lines no row
-- prices are counted as unpriced. One statement, whatever the number of lines.
WITH lines AS (
    SELECT unnest(@channels::text[]) AS channel, unnest(@categories::text[]) AS category,
           unnest(@countries::text[]) AS country, unnest(@counts::bigint[]) AS n
)
SELECT l.channel::text AS channel,
       sum(l.n)::bigint AS messages,
       coalesce(sum(l.n * p.price) * 1000000, 0)::bigint AS cost_micros,
       coalesce(sum(l.n) FILTER (WHERE p.price IS NULL), 0)::bigint AS unpriced
FROM lines l
LEFT JOIN LATERAL (
    SELECT op.price FROM org_prices op
    WHERE op.org_id = @org_id AND op.channel = l.channel AND op.category = l.category
      AND op.country IN (l.country, '')
    -- The country's own row sorts before the default ('').
    ORDER BY op.country DESC
    LIMIT 1
) p ON true
GROUP BY l.channel;

-- name: LinePrices :many
-- The price of one message of each line (the country's row, else the
-- default row of its channel and category), in line order; price_micros
-- is -1 for a line no row prices.
SELECT l.ord::int AS ord, coalesce((p.price * 1000000)::bigint, -1)::bigint AS price_micros
FROM (SELECT unnest(@channels::text[]) AS channel, unnest(@categories::text[]) AS category,
             unnest(@countries::text[]) AS country, generate_subscripts(@channels::text[], 1) AS ord) l
LEFT JOIN LATERAL (
    SELECT op.price FROM org_prices op
    WHERE op.org_id = @org_id AND op.channel = l.channel AND op.category = l.category
      AND op.country IN (l.country, '')
    ORDER BY op.country DESC
    LIMIT 1
) p ON true
ORDER BY l.ord;
