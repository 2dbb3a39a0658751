// Package tenanttest is the cross-tenant harness every domain uses: given
// the routes that read, update and delete one resource of org A, it checks
// that org B's credential gets 404 on each (never 200, never 403, which
// would confirm the resource exists), and that A can still read it after.
package tenanttest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

// Doer sends a request to the system under test (fiber's app.Test fits).
type Doer func(*http.Request) (*http.Response, error)

// Request is one call on the resource.
type Request struct {
	Method string
	Path   string
	Body   any // marshaled as JSON when set
}

// Resource is one resource of org A and the routes that reach it. Update
// and Delete may be left empty when the domain has no such route.
type Resource struct {
	Name   string
	Read   Request
	Update Request
	Delete Request
}

// Check asserts org B (otherToken) gets 404 on every route of r, and that
// A (ownerToken) can still read the resource afterwards.
func Check(t *testing.T, do Doer, ownerToken, otherToken string, r Resource) {
	t.Helper()
	for _, req := range []Request{r.Read, r.Update, r.Delete} {
		if req.Method == "" {
			continue
		}
		status, body := Send(t, do, otherToken, req)
		require.Equalf(t, http.StatusNotFound, status, "%s: %s %s by another org answered %d: %s", r.Name, req.Method, req.Path, status, body)
	}
	status, body := Send(t, do, ownerToken, r.Read)
	require.Equalf(t, http.StatusOK, status, "%s: owner's read after the other org's attempts answered %d: %s", r.Name, status, body)
}

// Send performs req with a bearer token and returns the status and body.
func Send(t *testing.T, do Doer, token string, req Request) (int, []byte) {
	t.Helper()
	var body io.Reader
	if req.Body != nil {
		b, err := json.Marshal(req.Body)
		require.NoError(t, err)
		body = bytes.NewReader(b)
	}
	hr := httptest.NewRequest(req.Method, req.Path, body)
	if req.Body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := do(hr)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, b
}
