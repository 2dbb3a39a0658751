-- name: CreateUser :one
INSERT INTO users (email, name, password_hash, email_verified_at)
VALUES (@email, @name, sqlc.narg(password_hash), sqlc.narg(email_verified_at))
ON CONFLICT ((lower(email))) DO NOTHING
RETURNING *;

-- name: GetUser :one
SELECT * FROM users WHERE id = @id;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE lower(email) = lower(@email);

-- name: UpdateUserProfile :one
UPDATE users SET
    name = coalesce(sqlc.narg(name), name),
    phone = coalesce(sqlc.narg(phone), phone),
    updated_at = now()
WHERE id = @id
RETURNING *;

-- name: SetUserPassword :exec
UPDATE users SET password_hash = @password_hash, updated_at = now() WHERE id = @id;

-- name: MarkUserEmailVerified :exec
UPDATE users SET email_verified_at = coalesce(email_verified_at, now()), updated_at = now() WHERE id = @id;

-- name: SetUserStaff :exec
UPDATE users SET is_staff = @is_staff, updated_at = now() WHERE id = @id;

-- name: GetUserIdentity :one
SELECT * FROM user_identities WHERE provider = @provider AND subject = @subject;

-- name: CreateUserIdentity :exec
INSERT INTO user_identities (provider, subject, user_id, email)
VALUES (@provider, @subject, @user_id, @email)
ON CONFLICT (provider, subject) DO NOTHING;

-- name: CreateRefreshToken :one
INSERT INTO refresh_tokens (family_id, user_id, org_id, token_hash, user_agent, ip, expires_at)
VALUES (@family_id, @user_id, sqlc.narg(org_id), @token_hash, @user_agent, @ip, @expires_at)
RETURNING *;

-- name: UseRefreshToken :one
-- Marks a live token used, atomically: of two concurrent refreshes one wins.
UPDATE refresh_tokens SET used_at = sqlc.arg(now)::timestamptz
WHERE token_hash = @token_hash AND used_at IS NULL AND revoked_at IS NULL AND expires_at > sqlc.arg(now)::timestamptz
RETURNING *;

-- name: GetRefreshTokenByHash :one
SELECT * FROM refresh_tokens WHERE token_hash = @token_hash;

-- name: RevokeRefreshFamily :exec
UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, sqlc.arg(now)::timestamptz) WHERE family_id = @family_id;

-- name: RevokeUserRefreshTokensInOrg :exec
-- Sessions of a removed member that had the org active lose it at the next refresh.
UPDATE refresh_tokens SET org_id = NULL
WHERE user_id = @user_id AND org_id = @org_id AND used_at IS NULL AND revoked_at IS NULL;

-- name: SetRefreshFamilyOrg :exec
UPDATE refresh_tokens SET org_id = @org_id
WHERE family_id = @family_id AND user_id = @user_id AND used_at IS NULL AND revoked_at IS NULL;

-- name: GetLiveSessionUser :one
-- The user behind a live refresh token (the dashboard's session cookie).
SELECT u.* FROM refresh_tokens rt JOIN users u ON u.id = rt.user_id
WHERE rt.token_hash = @token_hash AND rt.revoked_at IS NULL AND rt.used_at IS NULL AND rt.expires_at > sqlc.arg(now)::timestamptz;

-- name: DeleteExpiredRefreshTokens :execrows
DELETE FROM refresh_tokens WHERE expires_at < @before;

-- name: CreateSSOLoginState :exec
INSERT INTO sso_login_states (state_hash, provider, nonce, code_verifier, redirect, expires_at)
VALUES (@state_hash, @provider, @nonce, @code_verifier, @redirect, @expires_at);

-- name: TakeSSOLoginState :one
DELETE FROM sso_login_states WHERE state_hash = @state_hash AND provider = @provider AND expires_at > sqlc.arg(now)::timestamptz
RETURNING *;

-- name: DeleteExpiredSSOLoginStates :execrows
DELETE FROM sso_login_states WHERE expires_at < @before;

-- name: RevokeUserSessionsExcept :exec
UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, sqlc.arg(now)::timestamptz)
WHERE user_id = @user_id AND family_id <> @keep_family_id;
