package campaigns

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

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/apikeys"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/testfactory"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testBundle is an API with only this package's routes over the package
// database, and an insert-only River client. Tests keep apart by making
// their own orgs.
type testBundle struct {
	pool   *pgxpool.Pool
	server *httpserver.Server
	tokens *auth.Tokens
	jobs   *jobqueue.Client
}

var (
	bundleOnce sync.Once
	bundle     *testBundle
	bundleErr  error
)

func setup(t *testing.T) *testBundle {
	t.Helper()
	pool := dbtest.Pool(t)
	bundleOnce.Do(func() { bundle, bundleErr = newBundle(pool) })
	require.NoError(t, bundleErr)
	return bundle
}

func newBundle(pool *pgxpool.Pool) (*testBundle, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &StartWorker{DB: pool, Now: time.Now})
	river.AddWorker(workers, &TickWorker{DB: pool, Now: time.Now})
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[EmailBatchArgs]) error { return nil }))
	river.AddWorker(workers, river.WorkFunc(func(context.Context, *river.Job[ChatSendArgs]) error { return nil }))
	rc, err := jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: workers})
	if err != nil {
		return nil, err
	}
	srv := httpserver.New(httpserver.Options{Logger: zerolog.Nop(), Dev: true})
	tokens := auth.NewTokens([]byte("test-secret-test-secret-test-secret!"), 15*time.Minute, time.Now)
	authn := &auth.Authenticator{DB: pool, Tokens: tokens, Keys: &apikeys.Verifier{DB: pool, Now: time.Now}}
	srv.API.UseMiddleware(authn.Middleware(srv.API))
	(&Handlers{DB: pool, Jobs: rc, Now: time.Now}).Register(srv.API)
	return &testBundle{pool: pool, server: srv, tokens: tokens, jobs: rc}, nil
}

type tenant struct {
	orgID  uuid.UUID
	userID uuid.UUID
	token  string
}

func (b *testBundle) tenant(t *testing.T) tenant {
	t.Helper()
	org, owner := testfactory.Org(context.Background(), t, b.pool, nil)
	tok, err := b.tokens.Issue(owner.ID, uuid.NullUUID{UUID: org.ID, Valid: true}, auth.RoleOwner, uuid.New(), false)
	require.NoError(t, err)
	return tenant{orgID: org.ID, userID: owner.ID, token: tok}
}

func (b *testBundle) do(r *http.Request) (*http.Response, error) { return b.server.App.Test(r, -1) }

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
	req.Header.Set("Authorization", "Bearer "+token)
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

// contact inserts a contact with the given channel values (nil: none).
func (b *testBundle) contact(t *testing.T, org uuid.UUID, email, whatsapp, telegram *string, consent string) uuid.UUID {
	t.Helper()
	if consent == "" {
		consent = "{}"
	}
	var id uuid.UUID
	require.NoError(t, b.pool.QueryRow(context.Background(),
		`INSERT INTO contacts (org_id, email, whatsapp, telegram_chat_id, consent) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
		org, email, whatsapp, telegram, consent).Scan(&id))
	return id
}

func (b *testBundle) group(t *testing.T, org uuid.UUID, members ...uuid.UUID) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	var id uuid.UUID
	require.NoError(t, b.pool.QueryRow(ctx, `INSERT INTO contact_groups (org_id, name) VALUES ($1, $2) RETURNING id`,
		org, "g-"+uuid.NewString()[:8]).Scan(&id))
	for _, m := range members {
		_, err := b.pool.Exec(ctx, `INSERT INTO contact_group_members (org_id, group_id, contact_id) VALUES ($1, $2, $3)`, org, id, m)
		require.NoError(t, err)
	}
	return id
}

func (b *testBundle) suppress(t *testing.T, org uuid.UUID, channel, value string) {
	t.Helper()
	_, err := b.pool.Exec(context.Background(), `INSERT INTO suppressions (org_id, channel, value, reason) VALUES ($1, $2, $3, 'manual')`, org, channel, value)
	require.NoError(t, err)
}

// template inserts an approved template of the channel.
func (b *testBundle) template(t *testing.T, org uuid.UUID, channel string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	var id uuid.UUID
	require.NoError(t, b.pool.QueryRow(ctx, `INSERT INTO templates (org_id, name, channel) VALUES ($1, $2, $3) RETURNING id`,
		org, "t-"+uuid.NewString()[:8], channel).Scan(&id))
	_, err := b.pool.Exec(ctx, `INSERT INTO template_versions (org_id, template_id, version, status, subject, body_html, body_text, body, approved_at)
		VALUES ($1, $2, 1, 'approved', 'Hello {{first_name}}', '<p>Hi {{first_name}}</p>', 'Hi {{first_name}}', 'Hi {{first_name}}', now())`, org, id)
	require.NoError(t, err)
	_, err = b.pool.Exec(ctx, `UPDATE templates SET approved_version = 1 WHERE id = $1`, id)
	require.NoError(t, err)
	return id
}

func ptr[T any](v T) *T { return &v }
