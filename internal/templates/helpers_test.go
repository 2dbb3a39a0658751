package templates

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/orgs"
	"github.com/switchboard/switchboard/internal/testfactory"
)

// testBundle is one test's transaction (rolled back at the end) and an org.
type testBundle struct {
	ctx   context.Context
	tx    pgx.Tx
	org   orgs.Org
	owner dbsqlc.User
	now   time.Time
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := t.Context()
	tx := dbtest.TestTx(t)
	org, owner := newOrg(ctx, t, tx)
	return &testBundle{ctx: ctx, tx: tx, org: org, owner: owner, now: time.Now().UTC().Truncate(time.Microsecond)}
}

// newOrg makes an org whose owner has no password (hashing costs time and
// these tests never sign in).
func newOrg(ctx context.Context, t *testing.T, db dbutil.Executor) (orgs.Org, dbsqlc.User) {
	t.Helper()
	owner := testfactory.User(ctx, t, db, &testfactory.UserOpts{Password: "-"})
	return testfactory.Org(ctx, t, db, &testfactory.OrgOpts{Owner: &owner})
}

func (b *testBundle) member(t *testing.T, orgID uuid.UUID, role auth.Role) dbsqlc.User {
	t.Helper()
	u := testfactory.User(b.ctx, t, b.tx, &testfactory.UserOpts{Password: "-"})
	_, err := dbsqlc.New().AddMember(b.ctx, b.tx, dbsqlc.AddMemberParams{OrgID: orgID, UserID: u.ID, Role: string(role)})
	require.NoError(t, err)
	return u
}

func actorOf(u dbsqlc.User) uuid.NullUUID { return uuid.NullUUID{UUID: u.ID, Valid: true} }

// emailParams are a valid email template using one declared variable.
func emailParams(name string) CreateParams {
	return CreateParams{
		Name: name, Channel: ChannelEmail,
		Content: Content{
			Subject:   "Welcome, {{first_name}}",
			BodyHTML:  `<p>Hi {{ first_name }}, your plan is <b>{{attributes.plan}}</b>.</p>`,
			Variables: []TemplateVariable{{Name: "attributes.plan", Default: strp("free"), Sample: strp("pro")}},
		},
	}
}

// create makes a template or fails the test.
func (b *testBundle) create(t *testing.T, p CreateParams) *Template {
	t.Helper()
	if p.Name == "" {
		p.Name = "Template " + testfactory.Suffix()
	}
	if !p.Actor.Valid {
		p.Actor = actorOf(b.owner)
	}
	tpl, err := Create(b.ctx, b.tx, b.org.ID, p, b.now)
	require.NoError(t, err)
	return tpl
}

// approved makes a template and takes it through review.
func (b *testBundle) approved(t *testing.T, p CreateParams) *Template {
	t.Helper()
	tpl := b.create(t, p)
	_, err := Submit(b.ctx, b.tx, b.org.ID, tpl.ID, actorOf(b.owner), b.now)
	require.NoError(t, err)
	tpl, err = Approve(b.ctx, b.tx, b.org.ID, tpl.ID, actorOf(b.owner), b.now)
	require.NoError(t, err)
	return tpl
}

// requireFields asserts err is a 422 naming exactly these locations, and
// returns the messages by location.
func requireFields(t *testing.T, err error, locations ...string) map[string][]string {
	t.Helper()
	fe, ok := fault.As(err)
	require.Truef(t, ok, "want a validation fault, got %v", err)
	require.Equal(t, fault.Invalid, fe.Kind)
	got := map[string][]string{}
	var locs []string
	for _, f := range fe.Fields {
		if _, seen := got[f.Location]; !seen {
			locs = append(locs, f.Location)
		}
		got[f.Location] = append(got[f.Location], f.Message)
	}
	require.ElementsMatch(t, locations, locs, "fields: %+v", fe.Fields)
	return got
}

// apiBundle is the template routes over the test's transaction, behind the
// real authenticator.
type apiBundle struct {
	*testBundle
	app    *fiber.App
	tokens *auth.Tokens
	// contacts back the fake ContactLookup.
	contacts map[uuid.UUID]map[string]any
}

var testJWTSecret = []byte("templates-test-secret-0123456789")

func setupAPI(t *testing.T) *apiBundle {
	t.Helper()
	b := &apiBundle{testBundle: setup(t), contacts: map[uuid.UUID]map[string]any{}}
	srv := httpserver.New(httpserver.Options{Logger: zerolog.Nop(), Dev: true})
	b.tokens = auth.NewTokens(testJWTSecret, 15*time.Minute, time.Now)
	authn := &auth.Authenticator{DB: b.tx, Tokens: b.tokens, Keys: &apikeys.Verifier{DB: b.tx, Now: time.Now}}
	srv.API.UseMiddleware(authn.Middleware(srv.API))
	h := &Handlers{DB: b.tx, Now: time.Now, PublicBaseURL: "https://sb.test/", Contacts: b.lookupContact}
	h.Register(srv.API)
	b.app = srv.App
	return b
}

// lookupContact is the fake ContactLookup: contacts are per org.
func (b *apiBundle) lookupContact(_ context.Context, orgID, id uuid.UUID) (map[string]any, error) {
	c, ok := b.contacts[id]
	if !ok || c["org_id"] != orgID {
		return nil, fault.New(fault.NotFound, "contact not found")
	}
	return c, nil
}

func (b *apiBundle) do(r *http.Request) (*http.Response, error) { return b.app.Test(r, -1) }

// token is an access token for u acting in org with role.
func (b *apiBundle) token(t *testing.T, u dbsqlc.User, orgID uuid.UUID, role auth.Role) string {
	t.Helper()
	tok, err := b.tokens.Issue(u.ID, uuid.NullUUID{UUID: orgID, Valid: true}, role, uuid.New(), false)
	require.NoError(t, err)
	return tok
}

// roleToken adds a member with role to the bundle's org and returns their token.
func (b *apiBundle) roleToken(t *testing.T, role auth.Role) string {
	t.Helper()
	if role == auth.RoleOwner {
		return b.token(t, b.owner, b.org.ID, role)
	}
	return b.token(t, b.member(t, b.org.ID, role), b.org.ID, role)
}

// apiKey makes a key of org with scopes (inserted directly: the template
// scopes are listed in auth.Scopes).
func (b *apiBundle) apiKey(t *testing.T, orgID uuid.UUID, scopes ...string) string {
	t.Helper()
	p := make([]byte, 6)
	s := make([]byte, 24)
	_, _ = rand.Read(p)
	_, _ = rand.Read(s)
	prefix := hex.EncodeToString(p)
	full := auth.APIKeyPrefix + prefix + "_" + hex.EncodeToString(s)
	sum := sha256.Sum256([]byte(full))
	_, err := dbsqlc.New().CreateAPIKey(b.ctx, b.tx, dbsqlc.CreateAPIKeyParams{OrgID: orgID, Name: "test", Prefix: prefix, SecretHash: sum[:], Scopes: scopes})
	require.NoError(t, err)
	return full
}

// call sends a JSON request and decodes a JSON answer into out (if non-nil).
func (b *apiBundle) call(t *testing.T, method, path, token string, body, out any) int {
	t.Helper()
	var rd io.Reader = strings.NewReader("")
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
	resp, err := b.do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if out != nil && len(raw) > 0 {
		require.NoErrorf(t, json.Unmarshal(raw, out), "decoding %s", raw)
	}
	return resp.StatusCode
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
