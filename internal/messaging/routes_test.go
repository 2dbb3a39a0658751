package messaging

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/apikeys"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/storage"
	"github.com/switchboard/switchboard/internal/suppression"
	"github.com/switchboard/switchboard/internal/tenanttest"
	"github.com/switchboard/switchboard/internal/testfactory"
)

// apiBundle is an API with this package's routes over the package
// database, as internal/app assembles it.
type apiBundle struct {
	server *httpserver.Server
	tokens *auth.Tokens
	signer *storage.Signer
}

// setupAPI builds the API for one test: its storage lives in the test's
// own temporary directory.
func setupAPI(t *testing.T) *apiBundle {
	t.Helper()
	pool := dbtest.Pool(t)
	setup(t) // the River client
	st, err := storage.NewDisk(t.TempDir())
	require.NoError(t, err)
	srv := httpserver.New(httpserver.Options{Logger: zerolog.Nop(), Dev: true})
	tokens := auth.NewTokens([]byte("test-secret-test-secret-test-secret!"), 15*time.Minute, time.Now)
	authn := &auth.Authenticator{DB: pool, Tokens: tokens, Keys: &apikeys.Verifier{DB: pool, Now: time.Now}}
	srv.API.UseMiddleware(authn.Middleware(srv.API))
	sends := &Sends{DB: pool, Jobs: client, Tokens: suppression.NewTokens(secret), PublicBaseURL: "https://sb.example", Now: time.Now}
	(&Handlers{DB: pool, Sends: sends, Storage: st}).Register(srv.API)
	signer := storage.NewSigner(secret, time.Now)
	(&Files{DB: pool, Storage: st, Signer: signer}).Register(srv.App)
	return &apiBundle{server: srv, tokens: tokens, signer: signer}
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
	tok, err := a.tokens.Issue(user.ID, uuid.NullUUID{UUID: org.ID, Valid: true}, role, uuid.New(), false)
	require.NoError(t, err)
	key := testfactory.APIKey(ctx, t, pool, &testfactory.APIKeyOpts{OrgID: org.ID, Scopes: []string{"messages:read", "messages:write"}})
	return apiTenant{org: org.ID, token: tok, key: key.Secret}
}

func (a *apiBundle) call(t *testing.T, method, path, token string, body any, hdr map[string]string) (int, http.Header, []byte) {
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
	return resp.StatusCode, resp.Header, raw
}

func (a *apiBundle) upload(t *testing.T, token, name string, content []byte) Upload {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", name)
	require.NoError(t, err)
	_, err = fw.Write(content)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	req := httptest.NewRequest("POST", "/api/v1/uploads", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := a.do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(raw))
	var u Upload
	require.NoError(t, json.Unmarshal(raw, &u))
	return u
}

var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")

func TestSendRoute(t *testing.T) {
	t.Parallel()
	a := setupAPI(t)
	ten := a.tenant(t, auth.RoleMember)

	up := a.upload(t, ten.token, "../../pixel.png", pngBytes)
	require.Equal(t, "image/png", up.ContentType)
	require.Equal(t, "pixel.png", up.Filename, "path parts are dropped from file names")
	require.Contains(t, up.Channels, Channel("whatsapp"))

	body := map[string]any{"channel": "email", "to": "route@example.com", "subject": "Hello", "body": "Hi there", "attachments": []string{up.ID.String()}}
	status, hdr, raw := a.call(t, "POST", "/api/v1/messages", ten.key, body, map[string]string{"Idempotency-Key": "abc"})
	require.Equal(t, http.StatusAccepted, status, string(raw))
	require.Equal(t, "false", hdr.Get("Idempotent-Replayed"))
	var m Message
	require.NoError(t, json.Unmarshal(raw, &m))
	require.Equal(t, StatusQueued, m.Status)
	require.NotNil(t, m.APIKeyID, "an API key's send is attributed to the key")

	status, hdr, raw = a.call(t, "POST", "/api/v1/messages", ten.key, body, map[string]string{"Idempotency-Key": "abc"})
	require.Equal(t, http.StatusAccepted, status, string(raw))
	require.Equal(t, "true", hdr.Get("Idempotent-Replayed"))
	var again Message
	require.NoError(t, json.Unmarshal(raw, &again))
	require.Equal(t, m.ID, again.ID)

	status, _, raw = a.call(t, "GET", "/api/v1/messages/"+m.ID.String(), ten.token, nil, nil)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Contains(t, string(raw), `"events":[{"status":"queued"`)
	require.Contains(t, string(raw), `"filename":"pixel.png"`)

	status, _, raw = a.call(t, "GET", "/api/v1/messages?channel=email&search=route@", ten.token, nil, nil)
	require.Equal(t, http.StatusOK, status, string(raw))
	var page MessagePage
	require.NoError(t, json.Unmarshal(raw, &page))
	require.Len(t, page.Items, 1)

	status, _, raw = a.call(t, "POST", "/api/v1/messages", ten.token, map[string]any{"channel": "email", "to": "route@example.com"}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, string(raw), "body.subject")

	// Uploads download with their sniffed type, and through a signed link.
	req := httptest.NewRequest("GET", "/api/v1/uploads/"+up.ID.String()+"/content", nil)
	req.Header.Set("Authorization", "Bearer "+ten.token)
	resp, err := a.do(req)
	require.NoError(t, err)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, pngBytes, got)
	require.Equal(t, "image/png", resp.Header.Get("Content-Type"))

	link := FileURL("", a.signer, up.ID, up.Filename)
	resp, err = a.do(httptest.NewRequest("GET", link, nil))
	require.NoError(t, err)
	got, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, pngBytes, got)
	resp, err = a.do(httptest.NewRequest("GET", strings.Replace(link, "/files/", "/files/x", 1), nil))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
}

func TestSendRouteRoles(t *testing.T) {
	t.Parallel()
	a := setupAPI(t)
	viewer := a.tenant(t, auth.RoleViewer)
	status, _, _ := a.call(t, "POST", "/api/v1/messages", viewer.token, map[string]any{"channel": "telegram", "to": "1", "body": "x"}, nil)
	require.Equal(t, http.StatusForbidden, status)
	status, _, _ = a.call(t, "GET", "/api/v1/messages", viewer.token, nil, nil)
	require.Equal(t, http.StatusOK, status)
}

func TestMessagingCrossTenant(t *testing.T) {
	t.Parallel()
	a := setupAPI(t)
	mine := a.tenant(t, auth.RoleOwner)
	other := a.tenant(t, auth.RoleOwner)
	up := a.upload(t, mine.token, "pixel.png", pngBytes)
	status, _, raw := a.call(t, "POST", "/api/v1/messages", mine.token, map[string]any{"channel": "telegram", "to": "99", "body": "x"}, nil)
	require.Equal(t, http.StatusAccepted, status, string(raw))
	var m Message
	require.NoError(t, json.Unmarshal(raw, &m))
	up2 := a.upload(t, mine.token, "other.png", pngBytes)

	resources := []tenanttest.Resource{
		{Name: "message", Read: tenanttest.Request{Method: "GET", Path: "/api/v1/messages/" + m.ID.String()}},
		{Name: "upload", Read: tenanttest.Request{Method: "GET", Path: "/api/v1/uploads/" + up.ID.String()},
			Delete: tenanttest.Request{Method: "DELETE", Path: "/api/v1/uploads/" + up.ID.String()}},
		{Name: "upload content", Read: tenanttest.Request{Method: "GET", Path: "/api/v1/uploads/" + up.ID.String() + "/content"}},
	}
	for _, r := range resources {
		tenanttest.Check(t, a.do, mine.token, other.token, r)
		tenanttest.Check(t, a.do, mine.token, other.key, r)
	}
	// Another org's upload can't be attached.
	status, _, raw = a.call(t, "POST", "/api/v1/messages", other.token, map[string]any{"channel": "email", "to": "x@example.com", "subject": "s", "body": "b", "attachments": []string{up2.ID.String()}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, string(raw), "no such upload")
}

func TestUploadLargerThanTheServerBodyLimit(t *testing.T) {
	t.Parallel()
	a := setupAPI(t)
	ten := a.tenant(t, auth.RoleMember)
	// 12 MB of PDF: over the server's 8 MiB for ordinary bodies, within
	// WhatsApp's 16 MB.
	big := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("0"), 12<<20)...)
	u := a.upload(t, ten.token, "big.pdf", big)
	require.Equal(t, int64(len(big)), u.Size)
	require.Contains(t, u.Channels, Channel("whatsapp"))
}
