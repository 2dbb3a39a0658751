package auth

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/ratelimit"
)

// Service holds what sessions need: the database, the token issuer and a clock.
type Service struct {
	DB         dbutil.Executor
	Tokens     *Tokens
	Now        func() time.Time
	RefreshTTL time.Duration
	// LoginPerEmail and LoginPerIP throttle login attempts across replicas.
	LoginPerEmail ratelimit.Limit
	LoginPerIP    ratelimit.Limit
}

// Session is what a successful sign-in hands out.
type Session struct {
	AccessToken  string
	ExpiresIn    int
	RefreshToken string
	UserID       uuid.UUID
	OrgID        uuid.NullUUID
}

// User is a person who signs in.
type User struct {
	ID            uuid.UUID `json:"id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	Phone         string    `json:"phone"`
	IsStaff       bool      `json:"is_staff"`
	EmailVerified bool      `json:"email_verified"`
	HasPassword   bool      `json:"has_password"`
	CreatedAt     time.Time `json:"created_at"`
}

// UserFromRow converts a stored user.
func UserFromRow(u dbsqlc.User) User {
	return User{
		ID: u.ID, Email: u.Email, Name: u.Name, Phone: u.Phone, IsStaff: u.IsStaff,
		EmailVerified: u.EmailVerifiedAt != nil, HasPassword: u.PasswordHash != nil, CreatedAt: u.CreatedAt,
	}
}

// NormalizeEmail checks an address and returns it trimmed, with its domain
// lower-cased (the local part is kept: some servers treat it as case-sensitive).
func NormalizeEmail(location, raw string) (string, error) {
	s := strings.TrimSpace(raw)
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || !strings.Contains(s, "@") || len(s) > 254 {
		return "", fault.Field(location, "must be an email address like ada@example.com", raw)
	}
	at := strings.LastIndex(s, "@")
	return s[:at] + "@" + strings.ToLower(s[at+1:]), nil
}

// CheckPassword enforces the password policy.
func CheckPassword(location, pw string) error {
	if len([]rune(pw)) < MinPasswordLength {
		return fault.Field(location, fmt.Sprintf("must be at least %d characters", MinPasswordLength), nil)
	}
	if len(pw) > 1024 {
		return fault.Field(location, "must be at most 1024 bytes", nil)
	}
	return nil
}

// ErrEmailTaken is returned by CreateUser when the address has an account.
var ErrEmailTaken = fault.New(fault.Conflict, "this email already has an account: sign in instead")

// CreateUser inserts a user in tx. password may be empty for SSO accounts.
func CreateUser(ctx context.Context, tx dbutil.Executor, email, name, password string, verified *time.Time) (dbsqlc.User, error) {
	var hash *string
	if password != "" {
		h, err := HashPassword(password)
		if err != nil {
			return dbsqlc.User{}, err
		}
		hash = &h
	}
	u, err := dbsqlc.New().CreateUser(ctx, tx, dbsqlc.CreateUserParams{Email: email, Name: name, PasswordHash: hash, EmailVerifiedAt: verified})
	if errors.Is(err, pgx.ErrNoRows) {
		return dbsqlc.User{}, ErrEmailTaken
	}
	if err != nil {
		return dbsqlc.User{}, fmt.Errorf("inserting user: %w", err)
	}
	return u, nil
}

// Login checks credentials (throttled per email and per client IP) and
// starts a session, in orgID when the user belongs to it, else in the
// user's first org. Unknown emails and wrong passwords answer alike, in
// about the same time.
func (s *Service) Login(ctx context.Context, email, password string, orgID uuid.NullUUID, client Client) (*Session, error) {
	now := s.Now()
	norm := strings.ToLower(strings.TrimSpace(email))
	for _, t := range []struct {
		key   string
		limit ratelimit.Limit
	}{{"login:ip:" + client.IP, s.LoginPerIP}, {"login:email:" + norm, s.LoginPerEmail}} {
		res, err := ratelimit.Take(ctx, s.DB, t.key, t.limit, 1, now)
		if err != nil {
			return nil, err
		}
		if !res.Allowed {
			return nil, fault.RateLimited("too many sign-in attempts; try again later", res.RetryAfter)
		}
	}
	u, err := dbsqlc.New().GetUserByEmail(ctx, s.DB, norm)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && u.PasswordHash == nil) {
		_, _ = VerifyPassword(password, dummyHash())
		return nil, ErrInvalidLogin
	}
	if err != nil {
		return nil, fmt.Errorf("reading user: %w", err)
	}
	ok, err := VerifyPassword(password, *u.PasswordHash)
	if err != nil {
		return nil, fmt.Errorf("verifying password: %w", err)
	}
	if !ok {
		return nil, ErrInvalidLogin
	}
	var sess *Session
	err = dbutil.WithTx(ctx, s.DB, func(tx pgx.Tx) error {
		sess, err = s.StartSession(ctx, tx, u, orgID, client)
		return err
	})
	return sess, err
}

// Client describes where a session comes from.
type Client struct {
	IP        string
	UserAgent string
}

// StartSession opens a new refresh-token family for u and issues its first
// tokens. preferOrg is used when u is a member; otherwise the first org.
func (s *Service) StartSession(ctx context.Context, tx dbutil.Executor, u dbsqlc.User, preferOrg uuid.NullUUID, client Client) (*Session, error) {
	org, role, err := s.pickOrg(ctx, tx, u.ID, preferOrg)
	if err != nil {
		return nil, err
	}
	return s.issue(ctx, tx, u, uuid.New(), org, role, client)
}

func (s *Service) pickOrg(ctx context.Context, db dbutil.Executor, userID uuid.UUID, prefer uuid.NullUUID) (uuid.NullUUID, Role, error) {
	q := dbsqlc.New()
	if prefer.Valid {
		role, err := q.GetMemberRole(ctx, db, dbsqlc.GetMemberRoleParams{OrgID: prefer.UUID, UserID: userID})
		if err == nil {
			return prefer, Role(role), nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return uuid.NullUUID{}, "", fmt.Errorf("reading membership: %w", err)
		}
	}
	m, err := q.FirstMembership(ctx, db, userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.NullUUID{}, "", nil
	}
	if err != nil {
		return uuid.NullUUID{}, "", fmt.Errorf("reading memberships: %w", err)
	}
	return uuid.NullUUID{UUID: m.OrgID, Valid: true}, Role(m.Role), nil
}

func (s *Service) issue(ctx context.Context, tx dbutil.Executor, u dbsqlc.User, family uuid.UUID, org uuid.NullUUID, role Role, client Client) (*Session, error) {
	refresh, hash, err := NewOpaqueToken()
	if err != nil {
		return nil, err
	}
	_, err = dbsqlc.New().CreateRefreshToken(ctx, tx, dbsqlc.CreateRefreshTokenParams{
		FamilyID: family, UserID: u.ID, OrgID: org, TokenHash: hash,
		UserAgent: truncate(client.UserAgent, 256), Ip: client.IP, ExpiresAt: s.Now().Add(s.RefreshTTL),
	})
	if err != nil {
		return nil, fmt.Errorf("storing refresh token: %w", err)
	}
	access, err := s.Tokens.Issue(u.ID, org, role, family, u.IsStaff)
	if err != nil {
		return nil, err
	}
	return &Session{AccessToken: access, ExpiresIn: int(s.Tokens.TTL().Seconds()), RefreshToken: refresh, UserID: u.ID, OrgID: org}, nil
}

// Refresh rotates a refresh token: the presented one is spent and a new one
// of the same family is returned. Presenting a spent token is taken as
// theft: the whole family is revoked.
func (s *Service) Refresh(ctx context.Context, token string, client Client) (*Session, error) {
	if token == "" {
		return nil, ErrSessionInvalid
	}
	hash := HashToken(token)
	var sess *Session
	reused := false
	err := dbutil.WithTx(ctx, s.DB, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		now := s.Now()
		rt, err := q.UseRefreshToken(ctx, tx, dbsqlc.UseRefreshTokenParams{Now: now, TokenHash: hash})
		if errors.Is(err, pgx.ErrNoRows) {
			old, gerr := q.GetRefreshTokenByHash(ctx, tx, hash)
			if gerr == nil && old.UsedAt != nil && old.RevokedAt == nil {
				reused = true
				return q.RevokeRefreshFamily(ctx, tx, dbsqlc.RevokeRefreshFamilyParams{Now: now, FamilyID: old.FamilyID})
			}
			return ErrSessionInvalid
		}
		if err != nil {
			return fmt.Errorf("spending refresh token: %w", err)
		}
		u, err := q.GetUser(ctx, tx, rt.UserID)
		if err != nil {
			return fmt.Errorf("reading user: %w", err)
		}
		org, role, err := s.pickOrg(ctx, tx, u.ID, rt.OrgID)
		if err != nil {
			return err
		}
		sess, err = s.issue(ctx, tx, u, rt.FamilyID, org, role, client)
		return err
	})
	if reused {
		// The revocation above was committed; the caller still gets no session.
		return nil, ErrSessionInvalid
	}
	return sess, err
}

// Logout revokes the session (the whole family) a refresh token belongs to.
// Unknown tokens are fine: logging out twice is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	q := dbsqlc.New()
	rt, err := q.GetRefreshTokenByHash(ctx, s.DB, HashToken(token))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading refresh token: %w", err)
	}
	return q.RevokeRefreshFamily(ctx, s.DB, dbsqlc.RevokeRefreshFamilyParams{Now: s.Now(), FamilyID: rt.FamilyID})
}

// SwitchOrg makes orgID the session's active org and returns a new access
// token for it. Another org's id is a 404, as if it did not exist.
func (s *Service) SwitchOrg(ctx context.Context, p *Principal, orgID uuid.UUID) (*Session, error) {
	q := dbsqlc.New()
	role, err := q.GetMemberRole(ctx, s.DB, dbsqlc.GetMemberRoleParams{OrgID: orgID, UserID: p.UserID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrOrgNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading membership: %w", err)
	}
	org := uuid.NullUUID{UUID: orgID, Valid: true}
	if err := q.SetRefreshFamilyOrg(ctx, s.DB, dbsqlc.SetRefreshFamilyOrgParams{OrgID: org, FamilyID: p.SessionID, UserID: p.UserID}); err != nil {
		return nil, fmt.Errorf("moving session to org: %w", err)
	}
	access, err := s.Tokens.Issue(p.UserID, org, Role(role), p.SessionID, p.Staff)
	if err != nil {
		return nil, err
	}
	return &Session{AccessToken: access, ExpiresIn: int(s.Tokens.TTL().Seconds()), UserID: p.UserID, OrgID: org}, nil
}

// ChangePassword checks the current password, sets the new one and revokes
// every other session of the user.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next string) error {
	if err := CheckPassword("body.new_password", next); err != nil {
		return err
	}
	q := dbsqlc.New()
	u, err := q.GetUser(ctx, s.DB, p.UserID)
	if err != nil {
		return fmt.Errorf("reading user: %w", err)
	}
	if u.PasswordHash != nil {
		ok, err := VerifyPassword(current, *u.PasswordHash)
		if err != nil {
			return err
		}
		if !ok {
			return fault.Field("body.current_password", "is not your current password", nil)
		}
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	return dbutil.WithTx(ctx, s.DB, func(tx pgx.Tx) error {
		if err := q.SetUserPassword(ctx, tx, dbsqlc.SetUserPasswordParams{PasswordHash: &hash, ID: u.ID}); err != nil {
			return fmt.Errorf("storing password: %w", err)
		}
		return q.RevokeUserSessionsExcept(ctx, tx, dbsqlc.RevokeUserSessionsExceptParams{Now: s.Now(), UserID: u.ID, KeepFamilyID: p.SessionID})
	})
}

// PurgeExpired deletes refresh tokens and SSO login states past their expiry.
func PurgeExpired(ctx context.Context, db dbutil.Executor, now time.Time) (int64, error) {
	q := dbsqlc.New()
	n, err := q.DeleteExpiredRefreshTokens(ctx, db, now)
	if err != nil {
		return 0, fmt.Errorf("deleting expired refresh tokens: %w", err)
	}
	m, err := q.DeleteExpiredSSOLoginStates(ctx, db, now)
	if err != nil {
		return 0, fmt.Errorf("deleting expired SSO states: %w", err)
	}
	return n + m, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
