DROP FUNCTION IF EXISTS campaign_audience(uuid, uuid[], uuid[], text[], boolean);
DROP FUNCTION IF EXISTS campaign_first_ok(text[], text, text, text, text);
DROP TABLE IF EXISTS campaign_recipients;
DROP TABLE IF EXISTS campaigns;
DROP FUNCTION IF EXISTS campaign_recipient_rank(text);
