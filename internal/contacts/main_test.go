package contacts

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
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

// testBundle is an API with only this package's routes, the way
// internal/app assembles it, over the package database. Tests share it
// and keep apart by making their own orgs.
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
	bundleOnce.Do(func() {
		bundle, bundleErr = newBundle(pool)
	})
	require.NoError(t, bundleErr)
	return bundle
}

func newBundle(pool *pgxpool.Pool) (*testBundle, error) {
	workers := river.NewWorkers()
	river.AddWorker(workers, &AnalyzeImportWorker{DB: pool})
	river.AddWorker(workers, &ImportWorker{DB: pool, Now: time.Now})
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

func (b *testBundle) do(r *http.Request) (*http.Response, error) { return b.server.App.Test(r, -1) }

// tenant is an org with an owner's token and an API key with every
// contacts scope.
type tenant struct {
	orgID uuid.UUID
	token string
	key   string
}

func (b *testBundle) tenant(t *testing.T) tenant {
	t.Helper()
	ctx := context.Background()
	org, owner := testfactory.Org(ctx, t, b.pool, nil)
	tok, err := b.tokens.Issue(owner.ID, uuid.NullUUID{UUID: org.ID, Valid: true}, auth.RoleOwner, uuid.New(), false)
	require.NoError(t, err)
	key := testfactory.APIKey(ctx, t, b.pool, &testfactory.APIKeyOpts{OrgID: org.ID, Scopes: []string{"contacts:read", "contacts:write"}})
	return tenant{orgID: org.ID, token: tok, key: key.Secret}
}

// tokenFor issues a token for a new member of org with role.
func (b *testBundle) tokenFor(t *testing.T, orgID uuid.UUID, role auth.Role) string {
	t.Helper()
	u := testfactory.Member(context.Background(), t, b.pool, orgID, role)
	tok, err := b.tokens.Issue(u.ID, uuid.NullUUID{UUID: orgID, Valid: true}, role, uuid.New(), false)
	require.NoError(t, err)
	return tok
}

// call sends a JSON request and decodes a JSON answer into out (if non-nil).
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

// upload posts a CSV as a multipart form.
func (b *testBundle) upload(t *testing.T, token, filename, content string) (int, ContactImport, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(t, mw.WriteField("note", "ignored"))
	fw, err := mw.CreateFormFile("file", filename)
	require.NoError(t, err)
	_, err = io.WriteString(fw, content)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req := httptest.NewRequest("POST", "/api/v1/contacts/imports", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := b.do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var im ContactImport
	if resp.StatusCode == http.StatusCreated {
		require.NoError(t, json.Unmarshal(raw, &im))
	}
	return resp.StatusCode, im, raw
}

type problem struct {
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

func decodeProblem(t *testing.T, raw []byte) problem {
	t.Helper()
	var p problem
	require.NoErrorf(t, json.Unmarshal(raw, &p), "%s", raw)
	return p
}

func (p problem) locations() []string {
	var out []string
	for _, e := range p.Errors {
		out = append(out, e.Location)
	}
	return out
}

// job builds the job a River client would hand a worker.
func job[T river.JobArgs](args T) *river.Job[T] {
	return &river.Job[T]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1, MaxAttempts: 5}, Args: args}
}

func ptr[T any](v T) *T { return &v }

func csvLines(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func readCSV(t *testing.T, s string) [][]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(s))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	require.NoError(t, err)
	return recs
}
