package suppression

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/apikeys"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/testfactory"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const baseURL = "https://sb.example.com"

// testBundle is an API with the contacts and suppression routes and the
// public pages, assembled like internal/app does, over the package database.
type testBundle struct {
	pool   *pgxpool.Pool
	server *httpserver.Server
	tokens *auth.Tokens
	unsub  *Tokens
}

var (
	bundleOnce sync.Once
	bundle     *testBundle
)

func setup(t *testing.T) *testBundle {
	t.Helper()
	pool := dbtest.Pool(t)
	bundleOnce.Do(func() {
		srv := httpserver.New(httpserver.Options{Logger: zerolog.Nop()})
		tokens := auth.NewTokens([]byte("test-secret-test-secret-test-secret!"), 15*time.Minute, time.Now)
		authn := &auth.Authenticator{DB: pool, Tokens: tokens, Keys: &apikeys.Verifier{DB: pool, Now: time.Now}}
		srv.API.UseMiddleware(authn.Middleware(srv.API))
		unsub := NewTokens([]byte("0123456789abcdef0123456789abcdef"))
		(&contacts.Handlers{DB: pool, Now: time.Now}).Register(srv.API)
		(&Handlers{DB: pool, Tokens: unsub, PublicBaseURL: baseURL, Now: time.Now}).Register(srv.API)
		RegisterPublic(srv.App, &Public{DB: pool, Tokens: unsub, Now: time.Now})
		bundle = &testBundle{pool: pool, server: srv, tokens: tokens, unsub: unsub}
	})
	return bundle
}

func (b *testBundle) do(r *http.Request) (*http.Response, error) { return b.server.App.Test(r, -1) }

type tenant struct {
	orgID   uuid.UUID
	ownerID uuid.UUID
	token   string
	key     string
}

func (b *testBundle) tenant(t *testing.T) tenant {
	t.Helper()
	ctx := context.Background()
	org, owner := testfactory.Org(ctx, t, b.pool, nil)
	tok, err := b.tokens.Issue(owner.ID, uuid.NullUUID{UUID: org.ID, Valid: true}, auth.RoleOwner, uuid.New(), false)
	require.NoError(t, err)
	key := testfactory.APIKey(ctx, t, b.pool, &testfactory.APIKeyOpts{OrgID: org.ID,
		Scopes: []string{"contacts:read", "contacts:write", "suppression:read", "suppression:write"}})
	return tenant{orgID: org.ID, ownerID: owner.ID, token: tok, key: key.Secret}
}

func (b *testBundle) tokenFor(t *testing.T, orgID uuid.UUID, role auth.Role) (string, uuid.UUID) {
	t.Helper()
	u := testfactory.Member(context.Background(), t, b.pool, orgID, role)
	tok, err := b.tokens.Issue(u.ID, uuid.NullUUID{UUID: orgID, Valid: true}, role, uuid.New(), false)
	require.NoError(t, err)
	return tok, u.ID
}

func (b *testBundle) call(t *testing.T, method, path, token string, body, out any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return b.send(t, req, out)
}

func (b *testBundle) send(t *testing.T, req *http.Request, out any) (int, []byte) {
	t.Helper()
	resp, err := b.do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil && resp.StatusCode < 300 && len(raw) > 0 {
		require.NoErrorf(t, json.Unmarshal(raw, out), "decoding %s", raw)
	}
	return resp.StatusCode, raw
}

// page fetches a public page.
func (b *testBundle) page(t *testing.T, method, path, form string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(form))
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(raw)
}

func (b *testBundle) contact(t *testing.T, token string, body map[string]any) contacts.Contact {
	t.Helper()
	var c contacts.Contact
	status, raw := b.call(t, "POST", "/api/v1/contacts", token, body, &c)
	require.Equal(t, http.StatusCreated, status, string(raw))
	return c
}

type problem struct {
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
	} `json:"errors"`
}

func decodeProblem(t *testing.T, raw []byte) problem {
	t.Helper()
	var p problem
	require.NoErrorf(t, json.Unmarshal(raw, &p), "%s", raw)
	return p
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
