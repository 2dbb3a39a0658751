package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"
)

// testBundle is a sandbox served over HTTP and a receiver for its webhooks.
type testBundle struct {
	sb   *Sandbox
	srv  *httptest.Server
	hook *receiver
}

type setupOpts struct {
	stateFile string
	options   func(*Options)
}

// setup starts a sandbox with fast webhooks (5 ms spacing, 10 ms backoff)
// and a fixed seed.
func setup(t *testing.T, o ...setupOpts) *testBundle {
	t.Helper()
	var so setupOpts
	if len(o) > 0 {
		so = o[0]
	}
	opts := Options{
		Logger:         zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
		Seed:           1,
		StateFile:      so.stateFile,
		WebhookBackoff: 10 * time.Millisecond,
		WebhookWorkers: 8,
	}
	if so.options != nil {
		so.options(&opts)
	}
	sb := New(opts)
	t.Cleanup(sb.Close)
	cfg := sb.CurrentConfig()
	for _, b := range []*Behaviour{&cfg.SendGrid, &cfg.Twilio, &cfg.Telegram, &cfg.Instagram} {
		b.WebhookDelayMS = 5
	}
	require.NoError(t, sb.SetConfig(cfg))
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	return &testBundle{sb: sb, srv: srv, hook: newReceiver(t)}
}

// url is an absolute URL of the sandbox.
func (tb *testBundle) url(path string) string { return tb.srv.URL + path }

// do sends a request to the sandbox and returns status, headers and body.
func (tb *testBundle) do(t *testing.T, method, path, contentType string, body []byte, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, tb.url(path), bytes.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := tb.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, raw
}

// jsonDo sends v as JSON and decodes the answer into out (when not nil).
func (tb *testBundle) jsonDo(t *testing.T, method, path string, v, out any) int {
	t.Helper()
	var body []byte
	if v != nil {
		var err error
		body, err = json.Marshal(v)
		require.NoError(t, err)
	}
	status, _, raw := tb.do(t, method, path, "application/json", body)
	if out != nil && len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, out), string(raw))
	}
	return status
}

// hook is one webhook the receiver got.
type hook struct {
	Method string
	URL    string // as the sender addressed it (scheme, host, path, query)
	Path   string
	Header http.Header
	Body   []byte
}

// receiver is an HTTP server standing in for the app's webhook endpoints.
type receiver struct {
	srv *httptest.Server
	ch  chan hook
	mu  sync.Mutex
	// answer, when set, decides the status for a request (0 = 200).
	answer func(r *http.Request, body []byte) (int, string)
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{ch: make(chan hook, 10_000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		answer := rc.answer
		rc.mu.Unlock()
		status, text := http.StatusOK, ""
		if answer != nil {
			if s, t := answer(r, body); s != 0 {
				status, text = s, t
			}
		}
		if r.Method == http.MethodPost {
			rc.ch <- hook{
				Method: r.Method, URL: "http://" + r.Host + r.URL.RequestURI(), Path: r.URL.Path,
				Header: r.Header.Clone(), Body: body,
			}
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, text)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) url(path string) string { return rc.srv.URL + path }

func (rc *receiver) setAnswer(f func(r *http.Request, body []byte) (int, string)) {
	rc.mu.Lock()
	rc.answer = f
	rc.mu.Unlock()
}

// next waits for the next webhook.
func (rc *receiver) next(t *testing.T) hook {
	t.Helper()
	select {
	case h := <-rc.ch:
		return h
	case <-time.After(5 * time.Second):
		t.Fatal("no webhook within 5s")
		return hook{}
	}
}

// none asserts no webhook arrives within d.
func (rc *receiver) none(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case h := <-rc.ch:
		t.Fatalf("unexpected webhook to %s: %s", h.Path, h.Body)
	case <-time.After(d):
	}
}

// rewriteTransport sends requests for a real provider host to the sandbox:
// scheme and host replaced, base path prefixed.
type rewriteTransport struct {
	base *url.URL
	rt   http.RoundTripper
}

func newRewriteTransport(t *testing.T, base string) *rewriteTransport {
	u, err := url.Parse(base)
	require.NoError(t, err)
	return &rewriteTransport{base: u, rt: http.DefaultTransport}
}

func (tr *rewriteTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = tr.base.Scheme, tr.base.Host
	r.URL.Path = strings.TrimRight(tr.base.Path, "/") + r.URL.Path
	r.Host = tr.base.Host
	return tr.rt.RoundTrip(r)
}

// eventually polls cond until it holds or 5 s pass.
func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 5*time.Millisecond, msg)
}

// ctx is a test context with a deadline.
func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// tinyPNG encodes a 400x300 image, big enough to get a thumbnail size.
func tinyPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 400, 300))
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}

func jsonUnmarshal(raw []byte, v any) error { return json.Unmarshal(raw, v) }
