package conversations

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
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/apikeys"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/storage"
	"github.com/switchboard/switchboard/internal/suppression"
	"github.com/switchboard/switchboard/internal/testfactory"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var secret = []byte("0123456789abcdef0123456789abcdef")

// txBundle is a Service over a rolled-back transaction and a fresh org.
type txBundle struct {
	ctx   context.Context
	tx    pgx.Tx
	org   uuid.UUID
	owner uuid.UUID
	svc   *Service
	store storage.Storage
}

func setupTx(t *testing.T) *txBundle {
	t.Helper()
	ctx := context.Background()
	tx := dbtest.TestTx(t)
	org, owner := testfactory.Org(ctx, t, tx, nil)
	st, err := storage.NewDisk(t.TempDir())
	require.NoError(t, err)
	return &txBundle{ctx: ctx, tx: tx, org: org.ID, owner: owner.ID, store: st, svc: &Service{DB: tx, Storage: st, Now: time.Now}}
}

func (b *txBundle) contact(t *testing.T, in contacts.ContactInput) contacts.Contact {
	t.Helper()
	c, err := contacts.Create(b.ctx, b.tx, b.org, in, time.Now())
	require.NoError(t, err)
	return c
}

func (b *txBundle) receive(t *testing.T, in Inbound) InboundMessage {
	t.Helper()
	m, created, err := b.svc.Receive(b.ctx, b.org, in)
	require.NoError(t, err)
	require.True(t, created)
	return m
}

func (b *txBundle) conversation(t *testing.T, id uuid.UUID) Conversation {
	t.Helper()
	c, err := Get(b.ctx, b.tx, b.org, id, time.Now())
	require.NoError(t, err)
	return c
}

func ptr[T any](v T) *T { return &v }

// apiBundle is an API with this package's routes (and messaging's, for
// uploads) over the package database, the way internal/app assembles it.
type apiBundle struct {
	server *httpserver.Server
	tokens *auth.Tokens
	hub    *Hub
	svc    *Service
	now    func() time.Time
}

var (
	apiOnce sync.Once
	api     *apiBundle
	apiErr  error
)

func setupAPI(t *testing.T) *apiBundle {
	t.Helper()
	pool := dbtest.Pool(t)
	apiOnce.Do(func() {
		api, apiErr = newAPI(pool, t.TempDir())
	})
	require.NoError(t, apiErr)
	return api
}

func newAPI(p *pgxpool.Pool, dir string) (*apiBundle, error) {
	w := river.NewWorkers()
	river.AddWorker(w, &messaging.SendWorker{})
	rc, err := jobqueue.NewClient(p, jobqueue.Options{Logger: zerolog.Nop(), Workers: w})
	if err != nil {
		return nil, err
	}
	st, err := storage.NewDisk(dir)
	if err != nil {
		return nil, err
	}
	srv := httpserver.New(httpserver.Options{Logger: zerolog.Nop(), Dev: true})
	tokens := auth.NewTokens([]byte("test-secret-test-secret-test-secret!"), 15*time.Minute, time.Now)
	authn := &auth.Authenticator{DB: p, Tokens: tokens, Keys: &apikeys.Verifier{DB: p, Now: time.Now}}
	srv.API.UseMiddleware(authn.Middleware(srv.API))
	sends := &messaging.Sends{DB: p, Jobs: rc, Tokens: suppression.NewTokens(secret), PublicBaseURL: "https://sb.example", Now: time.Now}
	(&messaging.Handlers{DB: p, Sends: sends, Storage: st}).Register(srv.API)
	hub := NewHub(p.Config().ConnConfig, zerolog.Nop())
	go hub.Run(context.Background())
	(&Handlers{
		DB: p, Sends: sends, Hub: hub, Now: time.Now,
		BotUsername: func(context.Context, uuid.UUID) (string, error) { return "switchboard_test_bot", nil },
	}).Register(srv.API)
	return &apiBundle{server: srv, tokens: tokens, hub: hub, svc: &Service{DB: p, Storage: st, Now: time.Now}, now: time.Now}, nil
}

func (a *apiBundle) do(r *http.Request) (*http.Response, error) { return a.server.App.Test(r, -1) }

type apiTenant struct {
	org   uuid.UUID
	token string
	key   string
}

func (a *apiBundle) tenant(t *testing.T, role auth.Role) apiTenant {
	t.Helper()
	ctx := context.Background()
	pool := dbtest.Pool(t)
	org, owner := testfactory.Org(ctx, t, pool, nil)
	user := owner
	if role != auth.RoleOwner {
		user = testfactory.Member(ctx, t, pool, org.ID, role)
	}
	return apiTenant{org: org.ID, token: a.token(t, org.ID, user.ID, role),
		key: testfactory.APIKey(ctx, t, pool, &testfactory.APIKeyOpts{OrgID: org.ID, Scopes: []string{"messages:read", "messages:write"}}).Secret}
}

func (a *apiBundle) token(t *testing.T, org, user uuid.UUID, role auth.Role) string {
	t.Helper()
	tok, err := a.tokens.Issue(user, uuid.NullUUID{UUID: org, Valid: true}, role, uuid.New(), false)
	require.NoError(t, err)
	return tok
}

// memberToken issues a token for a new member of org with role.
func (a *apiBundle) memberToken(t *testing.T, org uuid.UUID, role auth.Role) string {
	t.Helper()
	u := testfactory.Member(context.Background(), t, dbtest.Pool(t), org, role)
	return a.token(t, org, u.ID, role)
}

func (a *apiBundle) call(t *testing.T, method, path, token string, body any, hdr map[string]string, out any) (int, []byte) {
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
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := a.do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil && resp.StatusCode < 300 {
		require.NoErrorf(t, json.Unmarshal(raw, out), "decoding %s", raw)
	}
	return resp.StatusCode, raw
}

// seed stores an inbound message for org (committed) and returns it.
func (a *apiBundle) seed(t *testing.T, org uuid.UUID, in Inbound) InboundMessage {
	t.Helper()
	if in.ProviderMessageID == "" {
		in.ProviderMessageID = "SM" + strings.ReplaceAll(uuid.NewString(), "-", "")
	}
	m, _, err := a.svc.Receive(context.Background(), org, in)
	require.NoError(t, err)
	return m
}
