DROP TABLE IF EXISTS rate_limit_buckets, sso_login_states, api_key_usage_daily, api_keys,
    invitations, refresh_tokens, org_members, orgs, user_identities, users;
