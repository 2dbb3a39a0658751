DROP TABLE IF EXISTS inbound_media_pending;
ALTER TABLE webhook_requests DROP COLUMN IF EXISTS failed_events, DROP COLUMN IF EXISTS sweeps;
ALTER TABLE webhook_events DROP COLUMN IF EXISTS failed_at;
