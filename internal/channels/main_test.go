package channels

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/apikeys"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/orgs"
	"github.com/switchboard/switchboard/internal/testfactory"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const testBaseURL = "https://sb.test"

var (
	jobsOnce sync.Once
	jobs     *jobqueue.Client
	jobsErr  error
)

// insertOnly is an insert-only River client knowing the check job.
func insertOnly(t *testing.T) *jobqueue.Client {
	t.Helper()
	pool := dbtest.Pool(t)
	jobsOnce.Do(func() {
		w := river.NewWorkers()
		river.AddWorker(w, &CheckWorker{})
		jobs, jobsErr = jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: w})
	})
	require.NoError(t, jobsErr)
	return jobs
}

func testStore(t *testing.T) *Store {
	t.Helper()
	s, err := NewStore(bytes.Repeat([]byte{42}, 32))
	require.NoError(t, err)
	return s
}

// testBundle is one test's transaction (rolled back at the end), an org
// with its owner, and the routes over the transaction behind the real
// authenticator.
type testBundle struct {
	ctx    context.Context
	tx     pgx.Tx
	store  *Store
	org    orgs.Org
	owner  dbsqlc.User
	app    *fiber.App
	tokens *auth.Tokens
	now    time.Time
}

func setup(t *testing.T) *testBundle { return setupWith(t, false) }

func setupWith(t *testing.T, sandbox bool) *testBundle {
	t.Helper()
	ctx := t.Context()
	tx := dbtest.TestTx(t)
	b := &testBundle{ctx: ctx, tx: tx, store: testStore(t), now: time.Now().UTC().Truncate(time.Microsecond)}
	b.org, b.owner = b.newOrg(t)
	srv := httpserver.New(httpserver.Options{Logger: zerolog.Nop(), Dev: true})
	b.tokens = auth.NewTokens([]byte("channels-test-secret-0123456789ab"), 15*time.Minute, time.Now)
	authn := &auth.Authenticator{DB: tx, Tokens: b.tokens, Keys: &apikeys.Verifier{DB: tx, Now: time.Now}}
	srv.API.UseMiddleware(authn.Middleware(srv.API))
	(&Handlers{DB: tx, Jobs: insertOnly(t), Store: b.store, Now: time.Now, PublicBaseURL: testBaseURL, Sandbox: sandbox}).Register(srv.API)
	b.app = srv.App
	return b
}

// newOrg makes an org whose owner has no password (hashing costs time and
// these tests never sign in).
func (b *testBundle) newOrg(t *testing.T) (orgs.Org, dbsqlc.User) {
	t.Helper()
	owner := testfactory.User(b.ctx, t, b.tx, &testfactory.UserOpts{Password: "-"})
	return testfactory.Org(b.ctx, t, b.tx, &testfactory.OrgOpts{Owner: &owner})
}

func (b *testBundle) do(r *http.Request) (*http.Response, error) { return b.app.Test(r, -1) }

// token is an access token for u acting in org with role.
func (b *testBundle) token(t *testing.T, u dbsqlc.User, orgID uuid.UUID, role auth.Role) string {
	t.Helper()
	tok, err := b.tokens.Issue(u.ID, uuid.NullUUID{UUID: orgID, Valid: true}, role, uuid.New(), false)
	require.NoError(t, err)
	return tok
}

func (b *testBundle) ownerToken(t *testing.T) string {
	t.Helper()
	return b.token(t, b.owner, b.org.ID, auth.RoleOwner)
}

// roleToken adds a member with role to the bundle's org and returns their token.
func (b *testBundle) roleToken(t *testing.T, role auth.Role) string {
	t.Helper()
	u := testfactory.User(b.ctx, t, b.tx, &testfactory.UserOpts{Password: "-"})
	_, err := dbsqlc.New().AddMember(b.ctx, b.tx, dbsqlc.AddMemberParams{OrgID: b.org.ID, UserID: u.ID, Role: string(role)})
	require.NoError(t, err)
	return b.token(t, u, b.org.ID, role)
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
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
		Value    any    `json:"value"`
	} `json:"errors"`
}

func decodeProblem(t *testing.T, raw []byte) problem {
	t.Helper()
	var p problem
	require.NoErrorf(t, json.Unmarshal(raw, &p), "%s", raw)
	return p
}

func (p problem) locations() []string {
	out := []string{}
	for _, e := range p.Errors {
		out = append(out, e.Location)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// Credentials valid for each channel (fake, in the real formats).
const (
	sgKey       = "SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	twilioSID   = "AC0123456789abcdef0123456789abcdef"
	twilioToken = "f00dfeedf00dfeedf00dfeedf00d1234"
	tgToken     = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	igToken     = "EAAGm0PX4ZCpsBAKZAZBZCZAtokenvalue1234567890"
	igSecret    = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
)

// validBodies are full PUT bodies per channel.
var validBodies = map[Channel]map[string]any{
	ChannelEmail: {
		"config":  map[string]any{"from_email": "news@Example.COM", "from_name": "Example News"},
		"secrets": map[string]any{"api_key": sgKey},
	},
	ChannelWhatsApp: {
		"config":  map[string]any{"account_sid": twilioSID, "from": "whatsapp:+14155238886"},
		"secrets": map[string]any{"auth_token": twilioToken},
	},
	ChannelTelegram: {
		"secrets": map[string]any{"bot_token": tgToken},
	},
	ChannelInstagram: {
		"config":  map[string]any{"account_id": "17841400000000001"},
		"secrets": map[string]any{"access_token": igToken, "app_secret": igSecret},
	},
}

// configure saves a channel's valid settings through the store.
func (b *testBundle) configure(t *testing.T, orgID uuid.UUID, c Channel) dbsqlc.ChannelSetting {
	t.Helper()
	p := PutParams{Config: map[string]string{}, Secrets: map[string]*string{}}
	body := validBodies[c]
	if cfg, ok := body["config"].(map[string]any); ok {
		for k, v := range cfg {
			p.Config[k] = v.(string)
		}
	}
	for k, v := range body["secrets"].(map[string]any) {
		p.Secrets[k] = ptr(v.(string))
	}
	r, err := b.store.Put(b.ctx, b.tx, orgID, c, p, b.now)
	require.NoError(t, err)
	return r
}
