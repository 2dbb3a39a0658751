-- API processes keep verified keys in memory (apikeys.KeyCache). Every
-- change that can end a key's use — revoke, regenerate, an edit of its
-- scopes or expiry, a delete (also by an org's deletion) — is announced
-- on the api_keys channel with the key's (old) prefix, in the changing
-- transaction: listeners forget the key when it commits. Usage counting
-- (last_used_at) announces nothing.
CREATE FUNCTION api_keys_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('api_keys', OLD.prefix);
    RETURN NULL;
END;
$$;

CREATE TRIGGER api_keys_notify_change
AFTER UPDATE OF prefix, secret_hash, scopes, expires_at, revoked_at OR DELETE ON api_keys
FOR EACH ROW EXECUTE FUNCTION api_keys_notify_change();
