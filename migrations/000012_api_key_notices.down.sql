DROP TRIGGER IF EXISTS api_keys_notify_change ON api_keys;
DROP FUNCTION IF EXISTS api_keys_notify_change();
