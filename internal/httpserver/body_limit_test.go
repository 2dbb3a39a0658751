package httpserver_test

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/httpserver"
)

// streamInput reads its body as a stream, the way file uploads do.
type streamInput struct{ body io.Reader }

func (s *streamInput) Resolve(ctx huma.Context) []error {
	s.body = ctx.BodyReader()
	return nil
}

// TestBodyLimits checks the server's body limit (1 KiB here) on an
// ordinary route and on a streamed one (StreamBody, 4 KiB), with bodies of
// known length and chunked (the client cannot size an io.MultiReader).
func TestBodyLimits(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	huma.Register(b.srv.API, huma.Operation{OperationID: "stream", Method: http.MethodPost, Path: "/api/stream"},
		func(_ context.Context, in *streamInput) (*struct{ Body map[string]int }, error) {
			n, err := io.Copy(io.Discard, in.body)
			if err != nil {
				return nil, err
			}
			return &struct{ Body map[string]int }{Body: map[string]int{"read": int(n)}}, nil
		})
	httpserver.StreamBody(b.srv.API.OpenAPI().Paths["/api/stream"].Post, 4096, time.Minute)
	base := b.listen(t)

	// post sends body, with its length or chunked (the client cannot size
	// an io.MultiReader).
	post := func(path, body string, chunked bool) *response {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, base+path, io.MultiReader(strings.NewReader(body)))
		require.NoError(t, err)
		req.ContentLength = int64(len(body))
		if chunked {
			req.ContentLength = -1
		}
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		// Far under the read timeout: the server never waits for more of a
		// body that has ended.
		require.Less(t, time.Since(start), 5*time.Second)
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return &response{status: resp.StatusCode, header: resp.Header, body: raw}
	}

	for _, chunked := range []bool{false, true} {
		// A streamed route takes bodies past the server's limit, up to its own.
		r := post("/api/stream", strings.Repeat("x", 3000), chunked)
		require.Equal(t, http.StatusOK, r.status, "chunked %v: %s", chunked, r.body)
		require.JSONEq(t, `{"read":3000}`, string(r.body))
		r = post("/api/stream", strings.Repeat("x", 5000), chunked)
		require.Equal(t, http.StatusRequestEntityTooLarge, r.status, "chunked %v: %s", chunked, r.body)
		require.Contains(t, r.problem(t).Detail, "4096 bytes")

		// Any other route keeps the server's limit.
		r = post("/api/echo", `{"name":"`+strings.Repeat("x", 2000)+`"}`, chunked)
		require.Equal(t, http.StatusRequestEntityTooLarge, r.status, "chunked %v: %s", chunked, r.body)
		require.Contains(t, r.problem(t).Detail, "1024 bytes")
		r = post("/api/echo", `{"name":"x"}`, chunked)
		require.Equal(t, http.StatusOK, r.status, "chunked %v: %s", chunked, r.body)
		require.Contains(t, string(r.body), `"name":"x"`)
	}

	// The connection stays usable after a streamed request the handler
	// read whole, and after a request answered without reading its body.
	r := post("/api/stream", strconv.Itoa(42), false)
	require.Equal(t, http.StatusOK, r.status)
	r = post("/api/faults/notfound", "ignored", false)
	require.NotEqual(t, http.StatusOK, r.status)
	r = post("/api/echo", `{"a":1}`, false)
	require.Equal(t, http.StatusOK, r.status, string(r.body))
}
