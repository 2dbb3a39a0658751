package sso

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/oauth2-proxy/mockoidc"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/orgs"
	"github.com/switchboard/switchboard/internal/ratelimit"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const publicBaseURL = "http://switchboard.test"

// oidcUser is a mock provider account that also has a display name.
type oidcUser struct {
	mockoidc.MockUser
	Name string
}

// Claims adds the name claim to the ID token.
func (u *oidcUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return &struct {
		*mockoidc.IDTokenClaims
		Email         string `json:"email,omitempty"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name,omitempty"`
	}{IDTokenClaims: base, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name}, nil
}

func newUser(subject, email, name string, verified bool) *oidcUser {
	return &oidcUser{MockUser: mockoidc.MockUser{Subject: subject, Email: email, EmailVerified: verified}, Name: name}
}

type testBundle struct {
	db          *pgxpool.Pool
	oidc        *mockoidc.MockOIDC
	handlers    *Handlers
	serve       func(*http.Request) (*http.Response, error)
	discoveries *atomic.Int32
	// skew moves the handlers' clock.
	skew time.Duration
	// provider is the user agent's client towards the provider: it does
	// not follow redirects, so the test reads each hop.
	provider *http.Client
}

type setupOpts struct {
	providers map[string]config.SSOProvider // nil: google is the mock provider
}

func setup(t *testing.T, opts *setupOpts) *testBundle {
	t.Helper()
	if opts == nil {
		opts = &setupOpts{}
	}
	db, _ := dbtest.NewDB(t)

	m, err := mockoidc.NewServer(nil)
	require.NoError(t, err)
	discoveries := &atomic.Int32{}
	require.NoError(t, m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == mockoidc.DiscoveryEndpoint {
				discoveries.Add(1)
			}
			next.ServeHTTP(w, r)
		})
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, m.Start(ln, nil))
	t.Cleanup(func() { _ = m.Shutdown() })

	providers := opts.providers
	if providers == nil {
		cfg := m.Config()
		providers = map[string]config.SSOProvider{
			"google":    {Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret},
			"microsoft": {},
		}
	}

	tokens := auth.NewTokens([]byte(strings.Repeat("k", 32)), 15*time.Minute, time.Now)
	sessions := &auth.Service{
		DB: db, Tokens: tokens, Now: time.Now, RefreshTTL: 24 * time.Hour,
		LoginPerEmail: ratelimit.PerWindow(10, 15*time.Minute),
		LoginPerIP:    ratelimit.PerWindow(50, 5*time.Minute),
	}
	srv := httpserver.New(httpserver.Options{Logger: zerolog.Nop(), Dev: true})
	authn := &auth.Authenticator{DB: db, Tokens: tokens}
	srv.API.UseMiddleware(authn.Middleware(srv.API))
	authHandlers := &auth.Handlers{Service: sessions}
	authHandlers.Register(srv.API)

	b := &testBundle{db: db, oidc: m, discoveries: discoveries}
	b.handlers = &Handlers{
		Sessions: sessions, Auth: authHandlers, Providers: providers, PublicBaseURL: publicBaseURL,
		Logger:     zerolog.New(zerolog.NewTestWriter(t)),
		HTTPClient: &http.Client{Timeout: 5 * time.Second},
		Now:        func() time.Time { return time.Now().Add(b.skew) },
	}
	b.handlers.Register(srv.API)
	b.serve = func(r *http.Request) (*http.Response, error) { return srv.App.Test(r, -1) }
	b.provider = &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return b
}

// call sends a request to our API.
func (b *testBundle) call(t *testing.T, method, target string, header http.Header) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.serve(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// start begins a sign-in and returns the provider's authorization URL.
func (b *testBundle) start(t *testing.T, redirect string) *url.URL {
	t.Helper()
	resp := b.call(t, http.MethodGet, "/api/v1/auth/sso/google/start?redirect="+url.QueryEscape(redirect), nil)
	require.Equal(t, http.StatusFound, resp.StatusCode, "body: %s", readAll(t, resp))
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, b.oidc.AuthorizationEndpoint(), u.Scheme+"://"+u.Host+u.Path)
	return u
}

// authorize signs user in at the provider and returns the callback URL it
// sends the browser to.
func (b *testBundle) authorize(t *testing.T, authURL *url.URL, user mockoidc.User) *url.URL {
	t.Helper()
	b.oidc.QueueUser(user)
	resp, err := b.provider.Get(authURL.String())
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode, "body: %s", readAll(t, resp))
	u, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, publicBaseURL+"/api/v1/auth/sso/google/callback", u.Scheme+"://"+u.Host+u.Path)
	return u
}

// callback delivers the provider's answer to our callback.
func (b *testBundle) callback(t *testing.T, u *url.URL) *http.Response {
	t.Helper()
	return b.call(t, http.MethodGet, u.RequestURI(), nil)
}

// signIn runs the whole flow and returns the callback's answer.
func (b *testBundle) signIn(t *testing.T, user mockoidc.User, redirect string) *http.Response {
	t.Helper()
	return b.callback(t, b.authorize(t, b.start(t, redirect), user))
}

// me turns a successful callback's cookie into a session and asks who it is.
func (b *testBundle) me(t *testing.T, resp *http.Response) auth.MeBody {
	t.Helper()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == auth.SessionCookie {
			session = c
		}
	}
	require.NotNil(t, session, "no session cookie in %v", resp.Header.Values("Set-Cookie"))
	require.True(t, session.HttpOnly)
	require.Equal(t, "/", session.Path)

	ref := b.call(t, http.MethodPost, "/api/v1/auth/refresh", http.Header{"Cookie": {auth.SessionCookie + "=" + session.Value}})
	body := readAll(t, ref)
	require.Equal(t, http.StatusOK, ref.StatusCode, "body: %s", body)
	var tok auth.TokenBody
	require.NoError(t, json.Unmarshal([]byte(body), &tok))
	require.NotEmpty(t, tok.AccessToken)

	meResp := b.call(t, http.MethodGet, "/api/v1/me", http.Header{"Authorization": {"Bearer " + tok.AccessToken}})
	body = readAll(t, meResp)
	require.Equal(t, http.StatusOK, meResp.StatusCode, "body: %s", body)
	var me auth.MeBody
	require.NoError(t, json.Unmarshal([]byte(body), &me))
	return me
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(b)
}

func requireLoginError(t *testing.T, resp *http.Response, code string) {
	t.Helper()
	require.Equal(t, http.StatusFound, resp.StatusCode, "body: %s", readAll(t, resp))
	require.Equal(t, "/login?sso_error="+code, resp.Header.Get("Location"))
	require.Empty(t, resp.Cookies())
}

func requireProblem(t *testing.T, resp *http.Response, status int, detail string) {
	t.Helper()
	body := readAll(t, resp)
	require.Equal(t, status, resp.StatusCode, "body: %s", body)
	require.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	var p httpserver.Problem
	require.NoError(t, json.Unmarshal([]byte(body), &p))
	require.Equal(t, detail, p.Detail)
}

func requireNoUser(t *testing.T, db *pgxpool.Pool, email string) {
	t.Helper()
	_, err := dbsqlc.New().GetUserByEmail(context.Background(), db, email)
	require.ErrorIs(t, err, pgx.ErrNoRows)
}

func TestProviders(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)

	resp := b.call(t, http.MethodGet, "/api/v1/auth/sso/providers", nil)
	body := readAll(t, resp)
	require.Equal(t, http.StatusOK, resp.StatusCode, "body: %s", body)
	require.JSONEq(t, `{"items":[{"name":"google","configured":true},{"name":"microsoft","configured":false}]}`, body)
}

func TestStart(t *testing.T) {
	t.Parallel()

	t.Run("RedirectsWithPKCEStateAndNonce", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		ctx := context.Background()

		u := b.start(t, "/campaigns?tab=sent")
		q := u.Query()
		require.Equal(t, "code", q.Get("response_type"))
		require.Equal(t, b.oidc.ClientID, q.Get("client_id"))
		require.Equal(t, publicBaseURL+"/api/v1/auth/sso/google/callback", q.Get("redirect_uri"))
		require.Equal(t, "openid email profile", q.Get("scope"))
		require.Equal(t, "S256", q.Get("code_challenge_method"))
		require.NotEmpty(t, q.Get("state"))
		require.NotEmpty(t, q.Get("nonce"))

		st, err := dbsqlc.New().TakeSSOLoginState(ctx, b.db, dbsqlc.TakeSSOLoginStateParams{
			StateHash: auth.HashToken(q.Get("state")), Provider: "google", Now: time.Now(),
		})
		require.NoError(t, err, "the state is stored as its hash")
		require.Equal(t, q.Get("nonce"), st.Nonce)
		require.Equal(t, "/campaigns?tab=sent", st.Redirect)
		sum := sha256.Sum256([]byte(st.CodeVerifier))
		require.Equal(t, base64.RawURLEncoding.EncodeToString(sum[:]), q.Get("code_challenge"))
		require.WithinDuration(t, time.Now().Add(10*time.Minute), st.ExpiresAt, time.Minute)
	})

	t.Run("DiscoversOnce", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		b.start(t, "/")
		b.start(t, "/")
		require.Equal(t, int32(1), b.discoveries.Load())
	})

	t.Run("UnconfiguredProvider", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		resp := b.call(t, http.MethodGet, "/api/v1/auth/sso/microsoft/start", nil)
		requireProblem(t, resp, http.StatusNotFound, "SSO with microsoft is not configured on this server")
	})

	t.Run("UnknownProvider", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		resp := b.call(t, http.MethodGet, "/api/v1/auth/sso/github/start", nil)
		requireProblem(t, resp, http.StatusNotFound, "unknown SSO provider")
	})

	t.Run("DiscoveryFailureIsRetried", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		b.oidc.QueueError(&mockoidc.ServerError{Code: http.StatusInternalServerError, Error: "internal_server_error"})
		resp := b.call(t, http.MethodGet, "/api/v1/auth/sso/google/start", nil)
		requireProblem(t, resp, http.StatusServiceUnavailable, "the SSO provider cannot be reached right now; try again later")

		b.start(t, "/")
		require.Equal(t, int32(2), b.discoveries.Load(), "a failure is not kept")
	})

	t.Run("UnreachableIssuer", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{providers: map[string]config.SSOProvider{
			"google": {Issuer: "http://127.0.0.1:1/oidc", ClientID: "id", ClientSecret: "secret"},
		}})

		resp := b.call(t, http.MethodGet, "/api/v1/auth/sso/google/start", nil)
		requireProblem(t, resp, http.StatusServiceUnavailable, "the SSO provider cannot be reached right now; try again later")
	})
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("NewUserGetsAnOrg", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		resp := b.signIn(t, newUser("sub-ada", "ada@Example.com", "Ada Lovelace", true), "/campaigns?tab=sent")
		require.Equal(t, http.StatusFound, resp.StatusCode, "body: %s", readAll(t, resp))
		require.Equal(t, "/campaigns?tab=sent", resp.Header.Get("Location"))

		me := b.me(t, resp)
		require.Equal(t, "ada@example.com", me.User.Email)
		require.Equal(t, "Ada Lovelace", me.User.Name)
		require.True(t, me.User.EmailVerified)
		require.False(t, me.User.HasPassword)
		require.Len(t, me.Memberships, 1)
		require.Equal(t, "Ada Lovelace's workspace", me.Memberships[0].Org.Name)
		require.Equal(t, auth.RoleOwner, me.Memberships[0].Role)
		require.NotNil(t, me.Org, "the session starts in the new org")
		require.Equal(t, me.Memberships[0].Org.ID, me.Org.ID)

		ident, err := dbsqlc.New().GetUserIdentity(ctx, b.db, dbsqlc.GetUserIdentityParams{Provider: "google", Subject: "sub-ada"})
		require.NoError(t, err)
		require.Equal(t, me.User.ID, ident.UserID)
	})

	t.Run("NamelessUserGetsWorkspaceOfEmail", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		resp := b.signIn(t, newUser("sub-bob", "bob.smith@example.com", "", true), "/")
		me := b.me(t, resp)
		require.Len(t, me.Memberships, 1)
		require.Equal(t, "bob.smith's workspace", me.Memberships[0].Org.Name)
	})

	t.Run("ExistingVerifiedUserIsLinked", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		verified := time.Now()
		grace, err := auth.CreateUser(ctx, b.db, "grace@example.com", "Grace Hopper", "a long enough password", &verified)
		require.NoError(t, err)
		name := "Navy"
		org, err := orgs.Create(ctx, b.db, grace.ID, orgs.Settings{Name: &name})
		require.NoError(t, err)

		resp := b.signIn(t, newUser("sub-grace", "GRACE@example.com", "Grace", true), "/")
		require.Equal(t, "/", resp.Header.Get("Location"))
		me := b.me(t, resp)
		require.Equal(t, grace.ID, me.User.ID)
		require.Equal(t, "Grace Hopper", me.User.Name, "the profile is not overwritten")
		require.True(t, me.User.HasPassword, "a verified account keeps its password")
		require.Len(t, me.Memberships, 1, "no second org")
		require.Equal(t, org.ID, me.Memberships[0].Org.ID)

		// The second sign-in finds the identity, even when the provider's
		// email has changed since.
		resp = b.signIn(t, newUser("sub-grace", "grace.hopper@example.org", "Grace", true), "/")
		me = b.me(t, resp)
		require.Equal(t, grace.ID, me.User.ID)
		requireNoUser(t, b.db, "grace.hopper@example.org")
	})

	t.Run("UnverifiedAccountIsTakenBackFromItsRegistrant", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		squatter, err := auth.CreateUser(ctx, b.db, "victim@example.com", "", "squatters password", nil)
		require.NoError(t, err)
		old, err := b.handlers.Sessions.StartSession(ctx, b.db, squatter, uuid.NullUUID{}, auth.Client{})
		require.NoError(t, err)

		resp := b.signIn(t, newUser("sub-victim", "victim@example.com", "Victim", true), "/")
		me := b.me(t, resp)
		require.Equal(t, squatter.ID, me.User.ID)
		require.True(t, me.User.EmailVerified)
		require.False(t, me.User.HasPassword, "the registrant's password no longer works")
		_, err = b.handlers.Sessions.Refresh(ctx, old.RefreshToken, auth.Client{})
		require.ErrorIs(t, err, auth.ErrSessionInvalid, "the registrant's sessions are revoked")
	})

	t.Run("UnverifiedEmailIsRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		resp := b.signIn(t, newUser("sub-eve", "eve@example.com", "Eve", false), "/")
		requireLoginError(t, resp, CodeEmailNotVerified)
		requireNoUser(t, b.db, "eve@example.com")
	})

	t.Run("UnverifiedEmailDoesNotLinkAnAccount", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		verified := time.Now()
		_, err := auth.CreateUser(ctx, b.db, "owner@example.com", "", "a long enough password", &verified)
		require.NoError(t, err)

		resp := b.signIn(t, newUser("sub-mallory", "owner@example.com", "Mallory", false), "/")
		requireLoginError(t, resp, CodeEmailNotVerified)
		_, err = dbsqlc.New().GetUserIdentity(ctx, b.db, dbsqlc.GetUserIdentityParams{Provider: "google", Subject: "sub-mallory"})
		require.ErrorIs(t, err, pgx.ErrNoRows)
	})

	t.Run("OpenRedirectsLandOnRoot", func(t *testing.T) {
		t.Parallel()
		for _, redirect := range []string{"//evil.com", "https://evil.com", `/\evil.com`, "/\t/evil.com", "evil.com"} {
			t.Run(redirect, func(t *testing.T) {
				t.Parallel()
				b := setup(t, nil)

				resp := b.signIn(t, newUser("sub-1", "jo@example.com", "Jo", true), redirect)
				require.Equal(t, http.StatusFound, resp.StatusCode, "body: %s", readAll(t, resp))
				require.Equal(t, "/", resp.Header.Get("Location"))
				require.NotEmpty(t, resp.Cookies())
			})
		}
	})
}

func TestCallbackFailures(t *testing.T) {
	t.Parallel()
	user := newUser("sub-1", "jo@example.com", "Jo", true)

	t.Run("TamperedState", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		cb := b.authorize(t, b.start(t, "/"), user)
		q := cb.Query()
		q.Set("state", q.Get("state")+"x")
		cb.RawQuery = q.Encode()
		requireLoginError(t, b.callback(t, cb), CodeInvalidState)
		requireNoUser(t, b.db, "jo@example.com")
	})

	t.Run("StateIsSingleUse", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		cb := b.authorize(t, b.start(t, "/"), user)
		require.Equal(t, http.StatusFound, b.callback(t, cb).StatusCode)
		requireLoginError(t, b.callback(t, cb), CodeInvalidState)
	})

	t.Run("ExpiredState", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		cb := b.authorize(t, b.start(t, "/"), user)
		b.skew = 11 * time.Minute
		requireLoginError(t, b.callback(t, cb), CodeInvalidState)
	})

	t.Run("StateOfAnotherProvider", func(t *testing.T) {
		t.Parallel()
		cfgOf := func(m *mockoidc.MockOIDC) config.SSOProvider {
			c := m.Config()
			return config.SSOProvider{Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret}
		}
		b := setup(t, nil)
		b.handlers.Providers["microsoft"] = cfgOf(b.oidc)

		cb := b.authorize(t, b.start(t, "/"), user)
		cb.Path = "/api/v1/auth/sso/microsoft/callback"
		requireLoginError(t, b.callback(t, cb), CodeInvalidState)
	})

	t.Run("ProviderError", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		state := b.start(t, "/").Query().Get("state")
		resp := b.call(t, http.MethodGet, "/api/v1/auth/sso/google/callback?error=access_denied&state="+state, nil)
		requireLoginError(t, resp, CodeAccessDenied)
		resp = b.call(t, http.MethodGet, "/api/v1/auth/sso/google/callback?error=server_error", nil)
		requireLoginError(t, resp, CodeInvalidState)
	})

	t.Run("FailureKeepsTheDeepLink", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		state := b.start(t, "/contacts/groups?color=red").Query().Get("state")
		resp := b.call(t, http.MethodGet, "/api/v1/auth/sso/google/callback?error=access_denied&state="+state, nil)
		require.Equal(t, http.StatusFound, resp.StatusCode)
		require.Equal(t, "/login?sso_error=access_denied&redirect=%2Fcontacts%2Fgroups%3Fcolor%3Dred", resp.Header.Get("Location"))
	})

	t.Run("NonceMismatch", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		authURL := b.start(t, "/")
		_, err := b.db.Exec(context.Background(), "UPDATE sso_login_states SET nonce = 'other'")
		require.NoError(t, err)
		requireLoginError(t, b.callback(t, b.authorize(t, authURL, user)), CodeInvalidToken)
		requireNoUser(t, b.db, "jo@example.com")
	})

	t.Run("WrongCodeVerifier", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		authURL := b.start(t, "/")
		_, err := b.db.Exec(context.Background(), "UPDATE sso_login_states SET code_verifier = 'not-the-verifier-the-challenge-was-made-from'")
		require.NoError(t, err)
		requireLoginError(t, b.callback(t, b.authorize(t, authURL, user)), CodeExchangeFailed)
	})

	t.Run("CodeRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		cb := b.authorize(t, b.start(t, "/"), user)
		q := cb.Query()
		q.Set("code", "forged")
		cb.RawQuery = q.Encode()
		requireLoginError(t, b.callback(t, cb), CodeExchangeFailed)
	})

	t.Run("UnconfiguredProvider", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		resp := b.call(t, http.MethodGet, "/api/v1/auth/sso/microsoft/callback?code=c&state=s", nil)
		requireLoginError(t, resp, CodeNotConfigured)
		resp = b.call(t, http.MethodGet, "/api/v1/auth/sso/github/callback?code=c&state=s", nil)
		requireLoginError(t, resp, CodeNotConfigured)
	})
}

func TestSafeRedirect(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, want string
	}{
		{"", "/"},
		{"/", "/"},
		{"/campaigns", "/campaigns"},
		{"/campaigns?tab=sent#top", "/campaigns?tab=sent#top"},
		{"/a//b", "/a//b"},
		{"//evil.com", "/"},
		{`/\evil.com`, "/"},
		{"/\t/evil.com", "/"},
		{"/\n/evil.com", "/"},
		{"https://evil.com", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.com", "/"},
		{"/" + strings.Repeat("a", maxRedirect), "/"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, SafeRedirect(tt.in))
		})
	}
}

func TestFlexBool(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{`true`, true}, {`"true"`, true}, {`false`, false}, {`"false"`, false}, {`null`, false}, {`1`, false},
	} {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			var c idClaims
			require.NoError(t, json.Unmarshal([]byte(`{"email_verified":`+tt.in+`}`), &c))
			require.Equal(t, tt.want, bool(c.EmailVerified))
		})
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	require.Equal(t, "abc", clip("abc", 5))
	require.Equal(t, "ab", clip("abc", 2))
	require.Equal(t, "a", clip("aé", 2), "é is not split")
}
