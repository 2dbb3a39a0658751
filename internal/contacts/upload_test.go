package contacts

import (
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/dbtest"
)

// TestUploadStreamsPastTheBodyLimit uploads files larger than the server's
// body limit (8 MiB), 32 MiB each, over a real connection, as a multipart form sent
// chunked and as a text/csv body of known length: the import routes stream
// their body into the stored chunks, holding a chunk at a time. Any other
// route still refuses a body over the limit, with a problem. It does not
// run in parallel: the live heap it watches is the whole test binary's.
func TestUploadStreamsPastTheBodyLimit(t *testing.T) {
	// Its own server: listening on the shared one would stop it at cleanup.
	b, err := newBundle(dbtest.Pool(t))
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- b.server.App.Listener(ln) }()
	t.Cleanup(func() {
		require.NoError(t, b.server.App.ShutdownWithTimeout(5*time.Second))
		require.NoError(t, <-served)
	})
	base := "http://" + ln.Addr().String()
	a := b.tenant(t)

	const rows = 100_000 // about 32 MiB with rowSource's notes column
	size, err := io.Copy(io.Discard, &rowSource{n: rows})
	require.NoError(t, err)
	require.Greater(t, size, int64(30<<20))

	send := func(req *http.Request) (int, []byte) {
		t.Helper()
		req.Header.Set("Authorization", "Bearer "+a.token)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, raw
	}
	// watch samples the live heap (as of each GC) while fn runs and
	// returns how far it grew.
	watch := func(fn func()) int64 {
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		read := func() uint64 { metrics.Read(live); return live[0].Value.Uint64() }
		runtime.GC()
		base := read()
		var peak atomic.Uint64
		done := make(chan struct{})
		stopped := make(chan struct{})
		go func() {
			defer close(stopped)
			for {
				select {
				case <-done:
					return
				case <-time.After(5 * time.Millisecond):
					peak.Store(max(peak.Load(), read()))
				}
			}
		}()
		fn()
		close(done)
		<-stopped
		return int64(peak.Load()) - int64(base)
	}

	t.Run("multipart, chunked", func(t *testing.T) {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			fw, err := mw.CreateFormFile("file", "big.csv")
			if err == nil {
				_, err = io.Copy(fw, &rowSource{n: rows})
			}
			if err == nil {
				err = mw.Close()
			}
			pw.CloseWithError(err)
		}()
		req, err := http.NewRequest("POST", base+"/api/v1/contacts/imports", pr)
		require.NoError(t, err)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		var status int
		var raw []byte
		growth := watch(func() { status, raw = send(req) })
		require.Equal(t, http.StatusCreated, status, string(raw))
		var im ContactImport
		require.NoError(t, json.Unmarshal(raw, &im))
		require.Equal(t, size, im.SizeBytes)
		require.Equal(t, "big.csv", im.Filename)
		t.Logf("%d MiB uploaded; live heap grew by at most %d MiB", size>>20, growth>>20)
		require.Less(t, growth, int64(16<<20), "the server holds a chunk of the upload, not the file")
	})

	t.Run("text/csv of known length", func(t *testing.T) {
		req, err := http.NewRequest("POST", base+"/api/v1/contacts/imports?filename=known.csv", &rowSource{n: rows})
		require.NoError(t, err)
		req.ContentLength = size
		req.Header.Set("Content-Type", "text/csv")
		var status int
		var raw []byte
		growth := watch(func() { status, raw = send(req) })
		require.Equal(t, http.StatusCreated, status, string(raw))
		var im ContactImport
		require.NoError(t, json.Unmarshal(raw, &im))
		require.Equal(t, size, im.SizeBytes)
		require.Less(t, growth, int64(16<<20))
		// The stored file is the upload, byte for byte.
		var stored int64
		require.NoError(t, b.pool.QueryRow(t.Context(),
			`SELECT sum(length(data)) FROM contact_import_chunks WHERE import_id = $1`, im.ID).Scan(&stored))
		require.Equal(t, size, stored)
	})

	t.Run("a refused upload keeps the connection usable", func(t *testing.T) {
		// No credential: refused before the body is read. The server
		// answers, and the next request works.
		req, err := http.NewRequest("POST", base+"/api/v1/contacts/imports", strings.NewReader("email\na@example.com\n"))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "text/csv")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		status, raw := send(mustRequest(t, "GET", base+"/api/v1/contacts/imports", nil))
		require.Equal(t, http.StatusOK, status, string(raw))
	})

	// problem413 checks the answer to a body over the limit.
	problem413 := func(t *testing.T, status int, raw []byte) {
		t.Helper()
		require.Equal(t, http.StatusRequestEntityTooLarge, status, string(raw))
		var p struct {
			Status int    `json:"status"`
			Detail string `json:"detail"`
		}
		require.NoError(t, json.Unmarshal(raw, &p), string(raw))
		require.Equal(t, http.StatusRequestEntityTooLarge, p.Status)
		require.Contains(t, p.Detail, "8 MiB")
	}
	big := `{"first_name":"` + strings.Repeat("x", 9<<20) + `","email":"big@example.com"}`

	t.Run("other routes keep the limit", func(t *testing.T) {
		req := mustRequest(t, "POST", base+"/api/v1/contacts", strings.NewReader(big))
		req.Header.Set("Content-Type", "application/json")
		status, raw := send(req)
		problem413(t, status, raw)
	})

	t.Run("other routes keep the limit, chunked", func(t *testing.T) {
		// A reader the client cannot size: sent chunked, no Content-Length.
		req := mustRequest(t, "POST", base+"/api/v1/contacts", io.MultiReader(strings.NewReader(big)))
		req.Header.Set("Content-Type", "application/json")
		status, raw := send(req)
		problem413(t, status, raw)
	})

	t.Run("a body under the limit still arrives whole", func(t *testing.T) {
		body := fmt.Sprintf(`{"email":"chunked@example.com","attributes":{"note":%q}}`, strings.Repeat("y", 15_000))
		req := mustRequest(t, "POST", base+"/api/v1/contacts", io.MultiReader(strings.NewReader(body)))
		req.Header.Set("Content-Type", "application/json")
		status, raw := send(req)
		require.Equal(t, http.StatusCreated, status, string(raw))
	})
}

func mustRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	return req
}
