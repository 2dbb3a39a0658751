package notifications_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/apikeys"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/notifications"
	"github.com/switchboard/switchboard/internal/orgs"
	"github.com/switchboard/switchboard/internal/testfactory"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testBundle is one test's transaction (rolled back at the end), an org
// with its owner, and the routes over the transaction behind the real
// authenticator.
type testBundle struct {
	ctx    context.Context
	tx     pgx.Tx
	org    orgs.Org
	owner  dbsqlc.User
	app    *fiber.App
	tokens *auth.Tokens
	now    time.Time
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := t.Context()
	tx := dbtest.TestTx(t)
	b := &testBundle{ctx: ctx, tx: tx, now: time.Now().UTC().Truncate(time.Microsecond)}
	b.org, b.owner = b.newOrg(t)
	srv := httpserver.New(httpserver.Options{Logger: zerolog.Nop(), Dev: true})
	b.tokens = auth.NewTokens([]byte("notif-test-secret--0123456789abcd"), 15*time.Minute, time.Now)
	authn := &auth.Authenticator{DB: tx, Tokens: b.tokens, Keys: &apikeys.Verifier{DB: tx, Now: time.Now}}
	srv.API.UseMiddleware(authn.Middleware(srv.API))
	(&notifications.Handlers{DB: tx, Now: func() time.Time { return b.now }}).Register(srv.API)
	b.app = srv.App
	return b
}

// newOrg makes an org whose owner has no password (hashing costs time).
func (b *testBundle) newOrg(t *testing.T) (orgs.Org, dbsqlc.User) {
	t.Helper()
	owner := testfactory.User(b.ctx, t, b.tx, &testfactory.UserOpts{Password: "-"})
	return testfactory.Org(b.ctx, t, b.tx, &testfactory.OrgOpts{Owner: &owner})
}

func (b *testBundle) do(r *http.Request) (*http.Response, error) { return b.app.Test(r, -1) }

func (b *testBundle) token(t *testing.T, userID, orgID uuid.UUID, role auth.Role) string {
	t.Helper()
	tok, err := b.tokens.Issue(userID, uuid.NullUUID{UUID: orgID, Valid: true}, role, uuid.New(), false)
	require.NoError(t, err)
	return tok
}

func (b *testBundle) ownerToken(t *testing.T) string {
	t.Helper()
	return b.token(t, b.owner.ID, b.org.ID, auth.RoleOwner)
}

// roleToken adds a member with role to orgID and returns their token.
func (b *testBundle) roleToken(t *testing.T, orgID uuid.UUID, role auth.Role) string {
	t.Helper()
	u := testfactory.Member(b.ctx, t, b.tx, orgID, role)
	return b.token(t, u.ID, orgID, role)
}

// call sends a JSON request; it returns the status and the raw answer, and
// decodes a 2xx answer into out (if non-nil).
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

// problem is an error answer.
type problem struct {
	Status int `json:"status"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

func locations(t *testing.T, raw []byte) []string {
	t.Helper()
	var p problem
	require.NoErrorf(t, json.Unmarshal(raw, &p), "%s", raw)
	out := []string{}
	for _, e := range p.Errors {
		out = append(out, e.Location)
	}
	return out
}
