package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/tenanttest"
	"github.com/switchboard/switchboard/internal/testfactory"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testBundle is one API over the package's database. Tests share it and
// keep apart by making their own users and orgs.
type testBundle struct {
	api    *API
	cfg    *config.Config
	tokens *auth.Tokens
}

var (
	sharedOnce   sync.Once
	sharedBundle *testBundle
	sharedErr    error
)

func setup(t *testing.T) *testBundle {
	t.Helper()
	pool := dbtest.Pool(t)
	sharedOnce.Do(func() {
		env := map[string]string{
			"DATABASE_URL":          "postgres://unused",
			"DATA_DIR":              t.TempDir(),
			"JWT_SECRET":            "test-secret-test-secret-test-secret!",
			"SECRETS_KEY":           "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
			"LOGIN_LIMIT_PER_IP":    "100000",
			"SIGNUP_LIMIT_PER_IP":   "100000",
			"LOGIN_LIMIT_PER_EMAIL": "5",
		}
		var cfg *config.Config
		cfg, sharedErr = config.Load(func(k string) string { return env[k] })
		if sharedErr != nil {
			return
		}
		var api *API
		api, sharedErr = NewAPI(Deps{Config: cfg, Pool: pool, Logger: zerolog.Nop(), Now: time.Now})
		if sharedErr != nil {
			return
		}
		sharedErr = api.Start(context.Background())
		sharedBundle = &testBundle{api: api, cfg: cfg, tokens: auth.NewTokens(cfg.JWTSecret, cfg.AccessTokenTTL, time.Now)}
	})
	require.NoError(t, sharedErr)
	return sharedBundle
}

func (b *testBundle) do(r *http.Request) (*http.Response, error) { return b.api.Server.App.Test(r, -1) }

// token issues an access token for a user acting in org with role.
func (b *testBundle) token(t *testing.T, u dbsqlc.User, orgID uuid.UUID, role auth.Role) string {
	t.Helper()
	org := uuid.NullUUID{UUID: orgID, Valid: orgID != uuid.Nil}
	tok, err := b.tokens.Issue(u.ID, org, role, uuid.New(), u.IsStaff)
	require.NoError(t, err)
	return tok
}

// call sends a JSON request and decodes a JSON answer into out (if non-nil).
func (b *testBundle) call(t *testing.T, method, path, token string, body any, out any) (int, http.Header) {
	t.Helper()
	resp, raw := b.raw(t, method, path, token, body, nil)
	if out != nil && len(raw) > 0 {
		require.NoErrorf(t, json.Unmarshal(raw, out), "decoding %s", raw)
	}
	return resp.StatusCode, resp.Header
}

func (b *testBundle) raw(t *testing.T, method, path, token string, body any, cookies []*http.Cookie) (*http.Response, []byte) {
	t.Helper()
	rd := strings.NewReader("")
	if body != nil {
		j, err := json.Marshal(body)
		require.NoError(t, err)
		rd = strings.NewReader(string(j))
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := b.do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, raw
}

type problem struct {
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

type tokenBody struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

type meBody struct {
	User struct {
		ID      uuid.UUID `json:"id"`
		Email   string    `json:"email"`
		IsStaff bool      `json:"is_staff"`
	} `json:"user"`
	Org *struct {
		ID   uuid.UUID `json:"id"`
		Name string    `json:"name"`
	} `json:"org"`
	Role        *string `json:"role"`
	Memberships []struct {
		Org struct {
			ID uuid.UUID `json:"id"`
		} `json:"org"`
		Role string `json:"role"`
	} `json:"memberships"`
}

func TestSignupLoginRefreshLogout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	email := "ada-" + testfactory.Suffix() + "@Example.com"
	signup := map[string]any{"email": email, "password": "a-long-password", "name": "Ada", "org_name": "Analytical Engines"}

	var first, second map[string]any
	status, _ := b.call(t, "POST", "/api/v1/auth/signup", "", signup, &first)
	require.Equal(t, http.StatusCreated, status)

	// The same email again answers identically: sign-up reveals no accounts.
	signup["password"] = "another-password"
	status, _ = b.call(t, "POST", "/api/v1/auth/signup", "", signup, &second)
	require.Equal(t, http.StatusCreated, status)
	require.Equal(t, first, second)

	var tok tokenBody
	status, _ = b.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": "a-long-password"}, &tok)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "Bearer", tok.TokenType)
	require.Equal(t, 900, tok.ExpiresIn)
	require.NotEmpty(t, tok.RefreshToken)

	var me meBody
	status, _ = b.call(t, "GET", "/api/v1/me", tok.AccessToken, nil, &me)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, strings.Replace(email, "Example.com", "example.com", 1), me.User.Email)
	require.NotNil(t, me.Org)
	require.Equal(t, "Analytical Engines", me.Org.Name)
	require.Equal(t, "owner", *me.Role)
	require.Len(t, me.Memberships, 1, "the second sign-up must not have created an org")

	// Refresh rotates.
	var rotated tokenBody
	status, _ = b.call(t, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": tok.RefreshToken}, &rotated)
	require.Equal(t, http.StatusOK, status)
	require.NotEqual(t, tok.RefreshToken, rotated.RefreshToken)

	// Reusing the spent token is theft: 401, and the whole family dies.
	status, _ = b.call(t, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": tok.RefreshToken}, nil)
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = b.call(t, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": rotated.RefreshToken}, nil)
	require.Equal(t, http.StatusUnauthorized, status, "the rotated token dies with its family")

	// Logout of a new session revokes it.
	status, _ = b.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": email, "password": "a-long-password"}, &tok)
	require.Equal(t, http.StatusOK, status)
	status, _ = b.call(t, "POST", "/api/v1/auth/logout", "", map[string]any{"refresh_token": tok.RefreshToken}, nil)
	require.Equal(t, http.StatusNoContent, status)
	status, _ = b.call(t, "POST", "/api/v1/auth/refresh", "", map[string]any{"refresh_token": tok.RefreshToken}, nil)
	require.Equal(t, http.StatusUnauthorized, status)
}

func TestCookieSession(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	u := testfactory.User(ctx, t, dbtest.Pool(t), nil)
	testfactory.Org(ctx, t, dbtest.Pool(t), &testfactory.OrgOpts{Owner: &u})

	resp, raw := b.raw(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": u.Email, "password": testfactory.Password, "cookie": true}, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	require.NotContains(t, string(raw), "refresh_token", "cookie mode keeps the refresh token out of the body")
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == auth.SessionCookie {
			session = c
		}
	}
	require.NotNil(t, session)
	require.True(t, session.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, session.SameSite)
	require.Equal(t, "/", session.Path)

	resp, raw = b.raw(t, "POST", "/api/v1/auth/refresh", "", nil, []*http.Cookie{session})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	var tok tokenBody
	require.NoError(t, json.Unmarshal(raw, &tok))
	require.NotEmpty(t, tok.AccessToken)
	require.Empty(t, tok.RefreshToken)

	// The old cookie is spent; presenting it again fails and clears it.
	resp, _ = b.raw(t, "POST", "/api/v1/auth/refresh", "", nil, []*http.Cookie{session})
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Set-Cookie"), auth.SessionCookie+"=;")
}

func TestLoginAnswersAlikeAndThrottles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	u := testfactory.User(ctx, t, dbtest.Pool(t), nil)

	var wrong, unknown problem
	status, _ := b.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": u.Email, "password": "wrong-password"}, &wrong)
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = b.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": "nobody-" + testfactory.Suffix() + "@example.com", "password": "wrong-password"}, &unknown)
	require.Equal(t, http.StatusUnauthorized, status)
	wrong.RequestID, unknown.RequestID = "", ""
	require.Equal(t, wrong, unknown, "unknown email and wrong password must be indistinguishable")

	// The per-email limit is 5 per 15 minutes in this bundle; one is spent.
	for range 4 {
		status, _ = b.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": u.Email, "password": "wrong-password"}, nil)
		require.Equal(t, http.StatusUnauthorized, status)
	}
	var p problem
	status, h := b.call(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": u.Email, "password": testfactory.Password}, &p)
	require.Equal(t, http.StatusTooManyRequests, status)
	require.NotEmpty(t, h.Get("Retry-After"))
	require.Contains(t, p.Detail, "too many")
}

func TestBadCredentials(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	org, owner := testfactory.Org(ctx, t, dbtest.Pool(t), nil)

	claims := func(exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{"iss": "switchboard", "aud": []string{"switchboard-api"}, "sub": owner.ID.String(),
			"org": org.ID.String(), "role": "owner", "sid": uuid.NewString(), "iat": time.Now().Add(-time.Hour).Unix(), "exp": exp.Unix()}
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, claims(time.Now().Add(time.Hour))).SignedString(jwt.UnsafeAllowNoneSignatureType)
	require.NoError(t, err)
	expired, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims(time.Now().Add(-time.Minute))).SignedString(b.cfg.JWTSecret)
	require.NoError(t, err)
	otherSecret, err := jwt.NewWithClaims(jwt.SigningMethodHS384, claims(time.Now().Add(time.Hour))).SignedString(b.cfg.JWTSecret)
	require.NoError(t, err)

	for name, tok := range map[string]string{
		"malformed":          "not.a.jwt",
		"alg none":           none,
		"expired":            expired,
		"other HMAC alg":     otherSecret,
		"unknown API key":    "sb_0123456789ab_secret",
		"API key bad prefix": "sb_short_x",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var p problem
			status, h := b.call(t, "GET", "/api/v1/org", tok, nil, &p)
			require.Equal(t, http.StatusUnauthorized, status)
			require.Contains(t, h.Get("WWW-Authenticate"), "Bearer")
			require.NotEmpty(t, p.RequestID)
		})
	}
	status, _ := b.call(t, "GET", "/api/v1/org", "", nil, nil)
	require.Equal(t, http.StatusUnauthorized, status)
}

func TestValidationErrorsNameFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var p problem
	status, h := b.call(t, "POST", "/api/v1/auth/signup", "", map[string]any{"email": "not-an-email", "password": "short", "name": "", "org_name": "x"}, &p)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "application/problem+json", h.Get("Content-Type"))
	locations := map[string]bool{}
	for _, e := range p.Errors {
		locations[e.Location] = true
		require.NotEmpty(t, e.Message)
	}
	require.Equal(t, map[string]bool{"body.email": true, "body.password": true, "body.name": true}, locations)
}

func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	db := dbtest.Pool(t)
	org, owner := testfactory.Org(ctx, t, db, nil)
	users := map[auth.Role]dbsqlc.User{auth.RoleOwner: owner}
	for _, r := range []auth.Role{auth.RoleAdmin, auth.RoleMember, auth.RoleViewer} {
		users[r] = testfactory.Member(ctx, t, db, org.ID, r)
	}
	target := testfactory.Member(ctx, t, db, org.ID, auth.RoleViewer)

	// Each non-destructive route, the least role it needs, and what it
	// answers that role (transferring ownership to oneself is refused
	// after the role check).
	routes := []struct {
		method, path string
		body         any
		min          auth.Role
		ok           int
	}{
		{"GET", "/api/v1/org", nil, auth.RoleViewer, 200},
		{"GET", "/api/v1/org/members", nil, auth.RoleViewer, 200},
		{"GET", "/api/v1/org/members/" + target.ID.String(), nil, auth.RoleViewer, 200},
		{"PATCH", "/api/v1/org", map[string]any{}, auth.RoleAdmin, 200},
		{"PATCH", "/api/v1/org/members/" + target.ID.String(), map[string]any{"role": "viewer"}, auth.RoleAdmin, 200},
		{"GET", "/api/v1/org/invitations", nil, auth.RoleAdmin, 200},
		{"GET", "/api/v1/api-keys", nil, auth.RoleAdmin, 200},
		{"GET", "/api/v1/api-keys/scopes", nil, auth.RoleAdmin, 200},
		{"POST", "/api/v1/org/transfer-ownership", map[string]any{"user_id": owner.ID}, auth.RoleOwner, 422},
	}
	order := []auth.Role{auth.RoleViewer, auth.RoleMember, auth.RoleAdmin, auth.RoleOwner}
	for _, rt := range routes {
		for _, role := range order {
			t.Run(fmt.Sprintf("%s %s as %s", rt.method, rt.path, role), func(t *testing.T) {
				t.Parallel()
				status, _ := b.call(t, rt.method, rt.path, b.token(t, users[role], org.ID, role), rt.body, nil)
				if role.AtLeast(rt.min) {
					require.Equal(t, rt.ok, status)
				} else {
					require.Equal(t, http.StatusForbidden, status)
				}
			})
		}
	}
}

func TestMembersInvitationsAndOwnership(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	db := dbtest.Pool(t)
	org, owner := testfactory.Org(ctx, t, db, nil)
	ownerTok := b.token(t, owner, org.ID, auth.RoleOwner)

	// Invite: the row and its delivery job exist together.
	email := "invitee-" + testfactory.Suffix() + "@example.com"
	var inv struct {
		ID        uuid.UUID `json:"id"`
		Token     string    `json:"token"`
		AcceptURL string    `json:"accept_url"`
		Role      string    `json:"role"`
	}
	status, _ := b.call(t, "POST", "/api/v1/org/invitations", ownerTok, map[string]any{"email": email, "role": "member"}, &inv)
	require.Equal(t, http.StatusCreated, status)
	require.Equal(t, b.cfg.PublicBaseURL+"/invitations/"+inv.Token, inv.AcceptURL)
	var jobs int
	require.NoError(t, db.QueryRow(ctx, `SELECT count(*) FROM river_job WHERE kind = 'invitation_delivery' AND args->>'invitation_id' = $1`, inv.ID.String()).Scan(&jobs))
	require.Equal(t, 1, jobs)

	// Inviting with role owner is refused with the field named.
	var p problem
	status, _ = b.call(t, "POST", "/api/v1/org/invitations", ownerTok, map[string]any{"email": "x-" + email, "role": "owner"}, &p)
	require.Equal(t, http.StatusUnprocessableEntity, status)

	// The invitee previews, then accepts by creating an account.
	var preview struct {
		OrgName string `json:"org_name"`
		Email   string `json:"email"`
	}
	status, _ = b.call(t, "GET", "/api/v1/invitations/"+inv.Token, "", nil, &preview)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, org.Name, preview.OrgName)
	var accepted struct {
		OrgID       uuid.UUID `json:"org_id"`
		Role        string    `json:"role"`
		AccessToken string    `json:"access_token"`
	}
	status, _ = b.call(t, "POST", "/api/v1/invitations/"+inv.Token+"/accept", "", map[string]any{"name": "Invitee", "password": "invitee-password"}, &accepted)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, org.ID, accepted.OrgID)
	require.Equal(t, "member", accepted.Role)
	require.NotEmpty(t, accepted.AccessToken)

	// A used invitation is gone.
	status, _ = b.call(t, "POST", "/api/v1/invitations/"+inv.Token+"/accept", "", map[string]any{"name": "Again", "password": "invitee-password"}, nil)
	require.Equal(t, http.StatusNotFound, status)

	var me meBody
	status, _ = b.call(t, "GET", "/api/v1/me", accepted.AccessToken, nil, &me)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "member", *me.Role)
	inviteeID := me.User.ID

	// A member cannot manage members; an admin can change roles.
	status, _ = b.call(t, "PATCH", "/api/v1/org/members/"+owner.ID.String(), accepted.AccessToken, map[string]any{"role": "viewer"}, nil)
	require.Equal(t, http.StatusForbidden, status)
	status, _ = b.call(t, "PATCH", "/api/v1/org/members/"+inviteeID.String(), ownerTok, map[string]any{"role": "admin"}, nil)
	require.Equal(t, http.StatusOK, status)
	// The role change applies to the invitee's existing token at once.
	status, _ = b.call(t, "GET", "/api/v1/org/invitations", accepted.AccessToken, nil, nil)
	require.Equal(t, http.StatusOK, status)
	// The owner's role is not changed by PATCH.
	status, _ = b.call(t, "PATCH", "/api/v1/org/members/"+owner.ID.String(), accepted.AccessToken, map[string]any{"role": "viewer"}, nil)
	require.Equal(t, http.StatusConflict, status)

	// Transfer ownership to the invitee; the old owner becomes admin.
	status, _ = b.call(t, "POST", "/api/v1/org/transfer-ownership", ownerTok, map[string]any{"user_id": inviteeID}, nil)
	require.Equal(t, http.StatusNoContent, status)
	var members struct {
		Items []struct {
			UserID uuid.UUID `json:"user_id"`
			Role   string    `json:"role"`
		} `json:"items"`
	}
	status, _ = b.call(t, "GET", "/api/v1/org/members", accepted.AccessToken, nil, &members)
	require.Equal(t, http.StatusOK, status)
	roles := map[uuid.UUID]string{}
	for _, m := range members.Items {
		roles[m.UserID] = m.Role
	}
	require.Equal(t, "owner", roles[inviteeID])
	require.Equal(t, "admin", roles[owner.ID])

	// The new owner removes the old one, whose token then has no org.
	status, _ = b.call(t, "DELETE", "/api/v1/org/members/"+owner.ID.String(), accepted.AccessToken, nil, nil)
	require.Equal(t, http.StatusNoContent, status)
	status, _ = b.call(t, "GET", "/api/v1/org", ownerTok, nil, &p)
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, p.Detail, "no active organization")

	// Only the owner deletes the org.
	status, _ = b.call(t, "DELETE", "/api/v1/org", accepted.AccessToken, nil, nil)
	require.Equal(t, http.StatusNoContent, status)
	status, _ = b.call(t, "GET", "/api/v1/org", accepted.AccessToken, nil, nil)
	require.Equal(t, http.StatusForbidden, status)
}

func TestAcceptAsSignedInUser(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	db := dbtest.Pool(t)
	org, owner := testfactory.Org(ctx, t, db, nil)
	other, otherOwner := testfactory.Org(ctx, t, db, nil)
	ownerTok := b.token(t, owner, org.ID, auth.RoleOwner)

	var inv struct {
		Token string `json:"token"`
	}
	status, _ := b.call(t, "POST", "/api/v1/org/invitations", ownerTok, map[string]any{"email": strings.ToUpper(otherOwner.Email), "role": "viewer"}, &inv)
	require.Equal(t, http.StatusCreated, status)

	// Someone else signed in cannot take it.
	stranger := testfactory.User(ctx, t, db, nil)
	status, _ = b.call(t, "POST", "/api/v1/invitations/"+inv.Token+"/accept", b.token(t, stranger, uuid.Nil, ""), nil, nil)
	require.Equal(t, http.StatusForbidden, status)

	otherTok := b.token(t, otherOwner, other.ID, auth.RoleOwner)
	var accepted struct {
		OrgID uuid.UUID `json:"org_id"`
	}
	status, _ = b.call(t, "POST", "/api/v1/invitations/"+inv.Token+"/accept", otherTok, nil, &accepted)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, org.ID, accepted.OrgID)

	// Switch into the new org: the token now acts there as a viewer.
	var tok tokenBody
	status, _ = b.call(t, "POST", "/api/v1/auth/switch-org", otherTok, map[string]any{"org_id": org.ID}, &tok)
	require.Equal(t, http.StatusOK, status)
	var me meBody
	status, _ = b.call(t, "GET", "/api/v1/me", tok.AccessToken, nil, &me)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, org.ID, me.Org.ID)
	require.Equal(t, "viewer", *me.Role)
	require.Len(t, me.Memberships, 2)

	// Switching to an org one is not in is a 404.
	stray, _ := testfactory.Org(ctx, t, db, nil)
	status, _ = b.call(t, "POST", "/api/v1/auth/switch-org", otherTok, map[string]any{"org_id": stray.ID}, nil)
	require.Equal(t, http.StatusNotFound, status)
}

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	db := dbtest.Pool(t)
	org, owner := testfactory.Org(ctx, t, db, nil)
	ownerTok := b.token(t, owner, org.ID, auth.RoleOwner)

	type keyBody struct {
		ID         uuid.UUID  `json:"id"`
		Prefix     string     `json:"prefix"`
		Secret     string     `json:"secret"`
		Scopes     []string   `json:"scopes"`
		LastUsedAt *time.Time `json:"last_used_at"`
		Usage      []struct {
			Day      string `json:"day"`
			Requests int64  `json:"requests"`
		} `json:"usage"`
	}
	var p problem
	status, _ := b.call(t, "POST", "/api/v1/api-keys", ownerTok, map[string]any{"name": "bad", "scopes": []string{"org:read", "nope"}}, &p)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "body.scopes[1]", p.Errors[0].Location)

	var k keyBody
	status, _ = b.call(t, "POST", "/api/v1/api-keys", ownerTok, map[string]any{"name": "CI", "scopes": []string{"org:read", "members:read"}}, &k)
	require.Equal(t, http.StatusCreated, status)
	require.True(t, strings.HasPrefix(k.Secret, k.Prefix+"_"))

	// The key acts as its org, within its scopes.
	var orgOut struct {
		ID uuid.UUID `json:"id"`
	}
	status, _ = b.call(t, "GET", "/api/v1/org", k.Secret, nil, &orgOut)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, org.ID, orgOut.ID)
	status, _ = b.call(t, "GET", "/api/v1/org/members", k.Secret, nil, nil)
	require.Equal(t, http.StatusOK, status)
	status, _ = b.call(t, "PATCH", "/api/v1/org", k.Secret, map[string]any{"name": "x"}, &p)
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, p.Detail, "scope")
	status, _ = b.call(t, "GET", "/api/v1/me", k.Secret, nil, nil)
	require.Equal(t, http.StatusForbidden, status, "/me is for users")

	// Usage shows up once flushed.
	require.NoError(t, b.api.Usage.Flush(ctx))
	var list struct{ Items []keyBody }
	status, _ = b.call(t, "GET", "/api/v1/api-keys", ownerTok, nil, &list)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, list.Items, 1)
	require.NotNil(t, list.Items[0].LastUsedAt)
	require.Len(t, list.Items[0].Usage, 1)
	require.EqualValues(t, 4, list.Items[0].Usage[0].Requests, "every request made with the key counts, allowed or not")
	require.Empty(t, list.Items[0].Secret, "the secret is never listed")

	// Regenerate: the old secret dies at once.
	var regen keyBody
	status, _ = b.call(t, "POST", "/api/v1/api-keys/"+k.ID.String()+"/regenerate", ownerTok, nil, &regen)
	require.Equal(t, http.StatusOK, status)
	status, _ = b.call(t, "GET", "/api/v1/org", k.Secret, nil, nil)
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = b.call(t, "GET", "/api/v1/org", regen.Secret, nil, nil)
	require.Equal(t, http.StatusOK, status)

	// Revoke.
	status, _ = b.call(t, "POST", "/api/v1/api-keys/"+k.ID.String()+"/revoke", ownerTok, nil, nil)
	require.Equal(t, http.StatusOK, status)
	status, _ = b.call(t, "GET", "/api/v1/org", regen.Secret, nil, &p)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Contains(t, p.Detail, "revoked")

	// Expired.
	exp := testfactory.APIKey(ctx, t, db, &testfactory.APIKeyOpts{OrgID: org.ID, Scopes: []string{"org:read"}})
	_, err := db.Exec(ctx, `UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, exp.ID)
	require.NoError(t, err)
	status, _ = b.call(t, "GET", "/api/v1/org", exp.Secret, nil, &p)
	require.Equal(t, http.StatusUnauthorized, status)
	require.Contains(t, p.Detail, "expired")
}

func TestCrossTenant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	db := dbtest.Pool(t)
	orgA, ownerA := testfactory.Org(ctx, t, db, nil)
	orgB, ownerB := testfactory.Org(ctx, t, db, nil)
	tokA := b.token(t, ownerA, orgA.ID, auth.RoleOwner)
	tokB := b.token(t, ownerB, orgB.ID, auth.RoleOwner)
	keyB := testfactory.APIKey(ctx, t, db, &testfactory.APIKeyOpts{OrgID: orgB.ID})

	member := testfactory.Member(ctx, t, db, orgA.ID, auth.RoleMember)
	var inv struct {
		ID uuid.UUID `json:"id"`
	}
	status, _ := b.call(t, "POST", "/api/v1/org/invitations", tokA, map[string]any{"email": "x-" + testfactory.Suffix() + "@example.com", "role": "viewer"}, &inv)
	require.Equal(t, http.StatusCreated, status)
	key := testfactory.APIKey(ctx, t, db, &testfactory.APIKeyOpts{OrgID: orgA.ID})

	resources := []tenanttest.Resource{
		{
			Name:   "member",
			Read:   tenanttest.Request{Method: "GET", Path: "/api/v1/org/members/" + member.ID.String()},
			Update: tenanttest.Request{Method: "PATCH", Path: "/api/v1/org/members/" + member.ID.String(), Body: map[string]any{"role": "viewer"}},
			Delete: tenanttest.Request{Method: "DELETE", Path: "/api/v1/org/members/" + member.ID.String()},
		},
		{
			Name:   "invitation",
			Read:   tenanttest.Request{Method: "GET", Path: "/api/v1/org/invitations/" + inv.ID.String()},
			Delete: tenanttest.Request{Method: "DELETE", Path: "/api/v1/org/invitations/" + inv.ID.String()},
		},
		{
			Name:   "API key",
			Read:   tenanttest.Request{Method: "GET", Path: "/api/v1/api-keys/" + key.ID.String()},
			Update: tenanttest.Request{Method: "POST", Path: "/api/v1/api-keys/" + key.ID.String() + "/regenerate"},
			Delete: tenanttest.Request{Method: "POST", Path: "/api/v1/api-keys/" + key.ID.String() + "/revoke"},
		},
	}
	for _, r := range resources {
		t.Run(r.Name+" with a user token", func(t *testing.T) {
			t.Parallel()
			tenanttest.Check(t, b.do, tokA, tokB, r)
		})
		t.Run(r.Name+" with an API key", func(t *testing.T) {
			t.Parallel()
			tenanttest.Check(t, b.do, tokA, keyB.Secret, r)
		})
	}
}

func TestRiverUIIsForStaff(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	db := dbtest.Pool(t)
	org, owner := testfactory.Org(ctx, t, db, nil)
	staff := testfactory.User(ctx, t, db, &testfactory.UserOpts{Staff: true})

	login := func(u dbsqlc.User) *http.Cookie {
		resp, raw := b.raw(t, "POST", "/api/v1/auth/login", "", map[string]any{"email": u.Email, "password": testfactory.Password, "cookie": true}, nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
		for _, c := range resp.Cookies() {
			if c.Name == auth.SessionCookie {
				return c
			}
		}
		t.Fatal("no session cookie")
		return nil
	}

	resp, _ := b.raw(t, "GET", "/riverui/api/jobs?state=available", "", nil, nil)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, _ = b.raw(t, "GET", "/riverui/api/jobs?state=available", "", nil, []*http.Cookie{login(owner)})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	staffCookie := login(staff)
	resp, _ = b.raw(t, "GET", "/riverui/", "", nil, []*http.Cookie{staffCookie})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = b.raw(t, "GET", "/riverui/api/jobs?state=available", "", nil, []*http.Cookie{staffCookie})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	// A staff access token works too; a non-staff one does not.
	resp, _ = b.raw(t, "GET", "/riverui/api/jobs?state=available", b.token(t, owner, org.ID, auth.RoleOwner), nil, nil)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = b.raw(t, "GET", "/riverui/api/jobs?state=available", b.token(t, staff, uuid.Nil, ""), nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// A browser without a session is sent to sign in and back.
	req := httptest.NewRequest("GET", "/riverui/queues", nil)
	req.Header.Set("Accept", "text/html")
	r, err := b.do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusFound, r.StatusCode)
	require.Equal(t, "/login?redirect=%2Friverui%2Fqueues", r.Header.Get("Location"))
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	b := setup(t)

	resp, raw := b.raw(t, "GET", "/readyz", "", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	resp, _ = b.raw(t, "GET", "/healthz", "", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)

	resp, raw = b.raw(t, "GET", "/api/schema", "", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var schema struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(raw, &schema))
	require.Equal(t, "3.1.0", schema.OpenAPI)
	for _, route := range b.api.Server.App.GetRoutes(true) {
		if !strings.HasPrefix(route.Path, "/api/v1/") || route.Method == "HEAD" {
			continue
		}
		path := route.Path
		for _, p := range route.Params {
			path = strings.Replace(path, ":"+p, "{"+p+"}", 1)
		}
		ops, ok := schema.Paths[path]
		require.Truef(t, ok, "%s is not in /api/schema", path)
		op, ok := ops[strings.ToLower(route.Method)].(map[string]any)
		require.Truef(t, ok, "%s %s is not in /api/schema", route.Method, path)
		require.NotEmptyf(t, op["responses"], "%s %s documents no responses", route.Method, path)
	}

	resp, raw = b.raw(t, "GET", "/metrics", "", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(raw), "http_requests_total{")
	require.Contains(t, string(raw), "db_pool_total_conns")

	resp, raw = b.raw(t, "GET", "/api/v1/nowhere", "", nil, nil)
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))

	resp, _ = b.raw(t, "GET", "/contacts/groups?color=red", "", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")

	resp, _ = b.raw(t, "GET", "/api/docs/swagger/", "", nil, nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
