package httpserver_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/logging"
)

// syncBuffer collects log output written from request goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines decodes the JSON log lines.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var res []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "log line: %s", l)
		res = append(res, m)
	}
	return res
}

// linesWith returns the log lines whose message is msg.
func (b *syncBuffer) linesWith(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var res []map[string]any
	for _, l := range b.lines(t) {
		if l["message"] == msg {
			res = append(res, l)
		}
	}
	return res
}

type problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
		Value    any    `json:"value"`
	} `json:"errors"`
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r *response) problem(t *testing.T) problem {
	t.Helper()
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"), "body: %s", r.body)
	var p problem
	require.NoError(t, json.Unmarshal(r.body, &p), "body: %s", r.body)
	require.Equal(t, r.status, p.Status)
	require.Equal(t, http.StatusText(r.status), p.Title)
	return p
}

const plainErrorText = "connecting to 10.0.0.5: password authentication failed for user sb_admin"

var faultKinds = map[string]struct {
	err    error
	status int
}{
	"invalid":         {fault.New(fault.Invalid, "bad input"), http.StatusUnprocessableEntity},
	"badrequest":      {fault.New(fault.BadRequest, "cannot parse"), http.StatusBadRequest},
	"unauthorized":    {fault.New(fault.Unauthorized, "who are you"), http.StatusUnauthorized},
	"forbidden":       {fault.New(fault.Forbidden, "not yours"), http.StatusForbidden},
	"notfound":        {fault.New(fault.NotFound, "contact not found"), http.StatusNotFound},
	"conflict":        {fault.New(fault.Conflict, "already there"), http.StatusConflict},
	"toomanyrequests": {fault.New(fault.TooManyRequests, "slow down"), http.StatusTooManyRequests},
	"unavailable":     {fault.New(fault.Unavailable, "provider down"), http.StatusServiceUnavailable},
	"notimplemented":  {fault.New(fault.NotImplemented, "not configured"), http.StatusNotImplemented},
	"wrapped":         {fmt.Errorf("reading contact: %w", fault.New(fault.NotFound, "contact not found")), http.StatusNotFound},
}

type testBundle struct {
	srv  *httpserver.Server
	logs *syncBuffer
}

type setupOpts struct {
	prod bool
	spa  fs.FS // mounted when set
}

func setup(t *testing.T, opts *setupOpts) *testBundle {
	t.Helper()
	if opts == nil {
		opts = &setupOpts{}
	}
	logs := &syncBuffer{}
	srv := httpserver.New(httpserver.Options{
		Logger:       zerolog.New(logs).Level(zerolog.DebugLevel),
		Dev:          !opts.prod,
		MaxBodyBytes: 1024,
		Version:      "test",
	})

	huma.Register(srv.API, huma.Operation{OperationID: "fault", Method: http.MethodGet, Path: "/api/faults/{kind}"},
		func(_ context.Context, in *struct {
			Kind string `path:"kind"`
		},
		) (*struct{}, error) {
			k, ok := faultKinds[in.Kind]
			if !ok {
				return nil, fmt.Errorf("unknown kind %q", in.Kind)
			}
			return nil, k.err
		})
	huma.Register(srv.API, huma.Operation{OperationID: "fields", Method: http.MethodGet, Path: "/api/fields"},
		func(context.Context, *struct{}) (*struct{}, error) {
			return nil, fault.Fields(
				fault.FieldError{Location: "body.email", Message: "must be an email address", Value: "ada"},
				fault.FieldError{Location: "body.scopes[1]", Message: "is not a known scope", Value: "root"},
			)
		})
	huma.Register(srv.API, huma.Operation{OperationID: "plain", Method: http.MethodGet, Path: "/api/plain"},
		func(context.Context, *struct{}) (*struct{}, error) {
			return nil, errors.New(plainErrorText)
		})
	huma.Register(srv.API, huma.Operation{OperationID: "rate-limited", Method: http.MethodGet, Path: "/api/rate-limited"},
		func(context.Context, *struct{}) (*struct{}, error) {
			return nil, fault.RateLimited("too many requests; slow down", 1500*time.Millisecond)
		})
	huma.Register(srv.API, huma.Operation{OperationID: "panic", Method: http.MethodGet, Path: "/api/panic"},
		func(context.Context, *struct{}) (*struct{}, error) {
			panic("secret panic detail")
		})
	huma.Register(srv.API, huma.Operation{OperationID: "whoami", Method: http.MethodGet, Path: "/api/whoami"},
		func(ctx context.Context, _ *struct{}) (*struct {
			Body map[string]string
		}, error,
		) {
			return &struct{ Body map[string]string }{Body: map[string]string{
				"request_id": logging.RequestID(ctx),
				"user_agent": httpserver.ClientFrom(ctx).UserAgent,
			}}, nil
		})
	huma.Register(srv.API, huma.Operation{OperationID: "echo", Method: http.MethodPost, Path: "/api/echo"},
		func(_ context.Context, in *struct{ Body map[string]any }) (*struct{ Body map[string]any }, error) {
			out := map[string]any{"echo": in.Body, "refresh_token": "resp-secret-refresh"}
			return &struct{ Body map[string]any }{Body: out}, nil
		})
	huma.Register(srv.API, huma.Operation{OperationID: "typed", Method: http.MethodPost, Path: "/api/typed"},
		func(context.Context, *struct {
			Body struct {
				Name     string `json:"name" minLength:"1"`
				Count    int    `json:"count"`
				Password string `json:"password,omitempty" required:"false" maxLength:"16"`
			}
		},
		) (*struct{}, error) {
			return nil, nil
		})
	srv.App.Get("/riverui/*", func(c *fiber.Ctx) error { return c.SendString("river ui") })
	if opts.spa != nil {
		httpserver.MountSPA(srv.App, opts.spa)
	}
	return &testBundle{srv: srv, logs: logs}
}

func (b *testBundle) do(t *testing.T, req *http.Request) *response {
	t.Helper()
	resp, err := b.srv.App.Test(req, -1)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return &response{status: resp.StatusCode, header: resp.Header, body: body}
}

// listen serves the app on a loopback port until the test ends and returns its base URL.
func (b *testBundle) listen(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- b.srv.App.Listener(ln) }()
	t.Cleanup(func() {
		require.NoError(t, b.srv.App.ShutdownWithTimeout(5*time.Second))
		require.NoError(t, <-done)
	})
	return "http://" + ln.Addr().String()
}

func (b *testBundle) get(t *testing.T, path string) *response {
	t.Helper()
	return b.do(t, httptest.NewRequest(http.MethodGet, path, nil))
}

func (b *testBundle) postJSON(t *testing.T, path, body string) *response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return b.do(t, req)
}

func TestProblems(t *testing.T) {
	t.Parallel()

	t.Run("FaultKinds", func(t *testing.T) {
		t.Parallel()
		for name, k := range faultKinds {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				b := setup(t, nil)

				r := b.get(t, "/api/faults/"+name)
				require.Equal(t, k.status, r.status, "body: %s", r.body)
				p := r.problem(t)
				fe, ok := fault.As(k.err)
				require.True(t, ok)
				require.Equal(t, fe.Message, p.Detail)
				require.Equal(t, r.header.Get("X-Request-ID"), p.RequestID)
				require.NotEmpty(t, p.RequestID)
				require.Empty(t, p.Errors)
			})
		}
	})

	t.Run("FieldErrors", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		r := b.get(t, "/api/fields")
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		p := r.problem(t)
		require.Equal(t, "validation failed", p.Detail)
		require.Len(t, p.Errors, 2)
		require.Equal(t, "body.email", p.Errors[0].Location)
		require.Equal(t, "must be an email address", p.Errors[0].Message)
		require.Equal(t, "ada", p.Errors[0].Value)
		require.Equal(t, "body.scopes[1]", p.Errors[1].Location)
	})

	t.Run("HumaValidation", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		r := b.postJSON(t, "/api/typed", `{"name":"","count":"many"}`)
		require.Equal(t, http.StatusUnprocessableEntity, r.status, "body: %s", r.body)
		p := r.problem(t)
		require.Equal(t, r.header.Get("X-Request-ID"), p.RequestID)
		var locations []string
		for _, e := range p.Errors {
			locations = append(locations, e.Location)
		}
		require.ElementsMatch(t, []string{"body.name", "body.count"}, locations)
	})

	t.Run("PlainErrorIsOpaque500", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		r := b.get(t, "/api/plain")
		require.Equal(t, http.StatusInternalServerError, r.status)
		p := r.problem(t)
		require.Equal(t, "internal error; quote the request id when reporting it", p.Detail)
		require.Empty(t, p.Errors)
		for _, leak := range []string{"10.0.0.5", "password", "sb_admin", "connecting"} {
			require.NotContains(t, string(r.body), leak)
		}

		// The cause is logged, with the request id.
		failed := b.logs.linesWith(t, "request failed")
		require.Len(t, failed, 1, "logs: %s", b.logs)
		require.Equal(t, plainErrorText, failed[0]["error"])
		require.Equal(t, p.RequestID, failed[0]["request_id"])
	})

	t.Run("PanicIsOpaque500", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{prod: true})

		r := b.get(t, "/api/panic")
		require.Equal(t, http.StatusInternalServerError, r.status)
		p := r.problem(t)
		require.NotContains(t, string(r.body), "secret panic detail")
		require.NotEmpty(t, p.RequestID)
	})

	t.Run("RetryAfter", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		r := b.get(t, "/api/rate-limited")
		require.Equal(t, http.StatusTooManyRequests, r.status)
		require.Equal(t, "2", r.header.Get("Retry-After"), "1.5 s rounds up")
		require.Equal(t, "too many requests; slow down", r.problem(t).Detail)
	})

	t.Run("UnknownRoute", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		r := b.get(t, "/api/v1/nothing-here")
		require.Equal(t, http.StatusNotFound, r.status)
		p := r.problem(t)
		require.Equal(t, r.header.Get("X-Request-ID"), p.RequestID)
	})

	t.Run("BodyOverLimit", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		// fasthttp refuses the body before any handler runs, which
		// app.Test reports as an error: serve on a real listener.
		base := b.listen(t)

		post := func(body string) *response {
			resp, err := http.Post(base+"/api/echo", "application/json", strings.NewReader(body))
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			return &response{status: resp.StatusCode, header: resp.Header, body: raw}
		}

		r := post(`{"name":"` + strings.Repeat("x", 2048) + `"}`)
		require.Equal(t, http.StatusRequestEntityTooLarge, r.status, "body: %s", r.body)
		r.problem(t)

		small := post(`{"name":"x"}`)
		require.Equal(t, http.StatusOK, small.status, "body: %s", small.body)
	})
}

func TestRequestID(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		header string
		echoed bool
	}{
		{"Sane", "req-123_abc.DEF:9", true},
		{"Missing", "", false},
		{"Spaces", "has spaces", false},
		{"Markup", "<script>alert(1)</script>", false},
		{"TooLong", strings.Repeat("a", 129), false},
		{"LongestAccepted", strings.Repeat("a", 128), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, nil)

			req := httptest.NewRequest(http.MethodGet, "/api/whoami", nil)
			if tt.header != "" {
				req.Header.Set("X-Request-ID", tt.header)
			}
			req.Header.Set("User-Agent", "switchboard-test/1.0")
			r := b.do(t, req)
			require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)

			got := r.header.Get("X-Request-ID")
			if tt.echoed {
				require.Equal(t, tt.header, got)
			} else {
				_, err := uuid.Parse(got)
				require.NoError(t, err, "a fresh UUID replaces %q, got %q", tt.header, got)
			}
			var body map[string]string
			require.NoError(t, json.Unmarshal(r.body, &body))
			require.Equal(t, got, body["request_id"], "handlers see the same id")
			require.Equal(t, "switchboard-test/1.0", body["user_agent"])
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()

	// directives splits a CSP into its directives by name.
	directives := func(t *testing.T, csp string) map[string]string {
		t.Helper()
		require.NotEmpty(t, csp)
		out := map[string]string{}
		for _, d := range strings.Split(csp, ";") {
			d = strings.TrimSpace(d)
			name, value, _ := strings.Cut(d, " ")
			out[name] = value
		}
		return out
	}

	common := func(t *testing.T, h http.Header) {
		t.Helper()
		require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
		require.Equal(t, "DENY", h.Get("X-Frame-Options"))
		require.Equal(t, "strict-origin-when-cross-origin", h.Get("Referrer-Policy"))
		require.Equal(t, "same-origin", h.Get("Cross-Origin-Opener-Policy"))
		require.NotEmpty(t, h.Get("Permissions-Policy"))
	}

	t.Run("Prod", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{prod: true})

		for _, path := range []string{"/api/whoami", "/api/faults/notfound", "/api/v1/nothing"} {
			r := b.get(t, path)
			common(t, r.header)
			require.Contains(t, r.header.Get("Strict-Transport-Security"), "max-age=")
			csp := r.header.Get("Content-Security-Policy")
			require.NotContains(t, csp, "'unsafe-eval'")
			d := directives(t, csp)
			require.Equal(t, "'self'", d["script-src"])
			require.NotContains(t, d["script-src"], "'unsafe-inline'")
			require.Equal(t, "'none'", d["object-src"])
			require.Equal(t, "'none'", d["frame-ancestors"])
			require.NotContains(t, csp, "localhost")
		}
	})

	t.Run("Dev", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		r := b.get(t, "/api/whoami")
		common(t, r.header)
		require.Empty(t, r.header.Get("Strict-Transport-Security"), "no HSTS on plain-HTTP dev")
		d := directives(t, r.header.Get("Content-Security-Policy"))
		require.Contains(t, d["script-src"], "http://localhost:5173", "Vite's dev server is allowed")
		require.Equal(t, "'none'", d["frame-ancestors"])
	})

	t.Run("RiverUIOwnPolicy", func(t *testing.T) {
		t.Parallel()
		for _, prod := range []bool{true, false} {
			b := setup(t, &setupOpts{prod: prod})
			app := b.get(t, "/api/whoami").header.Get("Content-Security-Policy")

			r := b.get(t, "/riverui/jobs")
			require.Equal(t, http.StatusOK, r.status)
			common(t, r.header)
			csp := r.header.Get("Content-Security-Policy")
			require.NotEqual(t, app, csp)
			require.NotContains(t, csp, "'unsafe-eval'")
			d := directives(t, csp)
			require.Equal(t, "'self' 'unsafe-inline'", d["script-src"])
			require.Equal(t, "'none'", d["frame-ancestors"])
		}
	})
}

func TestSchema(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)

	r := b.get(t, "/api/schema")
	require.Equal(t, http.StatusOK, r.status)
	require.Equal(t, "application/openapi+json", r.header.Get("Content-Type"))
	var doc struct {
		Paths      map[string]any `json:"paths"`
		Components struct {
			SecuritySchemes map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(r.body, &doc))
	require.Contains(t, doc.Paths, "/api/whoami")
	require.Contains(t, doc.Components.SecuritySchemes, httpserver.SecurityBearer)
}

func TestAccessLog(t *testing.T) {
	t.Parallel()

	const reqBody = `{"name":"Ada","password":"hunter2-secret","nested":{"api_key":"sb_live_key"},"items":[{"Access_Token":"tok-secret"}]}`

	httpLine := func(t *testing.T, b *testBundle) map[string]any {
		t.Helper()
		ls := b.logs.linesWith(t, "http")
		require.Len(t, ls, 1, "logs: %s", b.logs)
		return ls[0]
	}

	t.Run("DevRedactsBodies", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		r := b.postJSON(t, "/api/echo", reqBody)
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		require.Contains(t, string(r.body), "resp-secret-refresh", "the answer itself is not redacted")

		line := httpLine(t, b)
		require.Equal(t, "info", line["level"])
		require.Equal(t, "POST", line["method"])
		require.Equal(t, "/api/echo", line["path"])
		require.InDelta(t, 200, line["status"], 0)
		require.Equal(t, r.header.Get("X-Request-ID"), line["request_id"])

		reqLogged, _ := line["req_body"].(string)
		require.Contains(t, reqLogged, "Ada")
		require.Contains(t, reqLogged, "[redacted]")
		respLogged, _ := line["resp_body"].(string)
		require.Contains(t, respLogged, "[redacted]")

		all := b.logs.String()
		for _, secret := range []string{"hunter2-secret", "sb_live_key", "tok-secret", "resp-secret-refresh"} {
			require.NotContains(t, all, secret)
		}
	})

	t.Run("ProdOmitsBodiesOfSuccesses", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{prod: true})

		r := b.postJSON(t, "/api/echo", reqBody)
		require.Equal(t, http.StatusOK, r.status)
		line := httpLine(t, b)
		require.NotContains(t, line, "req_body")
		require.NotContains(t, line, "resp_body")
	})

	t.Run("ProdLogsRedactedBodiesOfErrors", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{prod: true})

		r := b.postJSON(t, "/api/typed", `{"name":"","count":1,"password":"hunter2-secret"}`)
		require.Equal(t, http.StatusUnprocessableEntity, r.status)
		line := httpLine(t, b)
		require.Equal(t, "warn", line["level"])
		require.Contains(t, line["req_body"], "[redacted]")
		require.NotContains(t, b.logs.String(), "hunter2-secret")
	})

	t.Run("ServerErrorsAtErrorLevel", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		b.get(t, "/api/plain")
		line := httpLine(t, b)
		require.Equal(t, "error", line["level"])
		require.InDelta(t, 500, line["status"], 0)
	})

	t.Run("NonJSONBodyShownBySize", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		req := httptest.NewRequest(http.MethodPost, "/api/echo", strings.NewReader("password=hunter2-secret"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		b.do(t, req)
		line := httpLine(t, b)
		require.Equal(t, "(23-byte non-JSON body)", line["req_body"])
	})

	// Huma echoes a rejected input in errors[].value; the access log must
	// not write a secret it redacted from the request through the answer.
	t.Run("ProdRedactsSecretsEchoedInErrors", func(t *testing.T) {
		t.Parallel()

		tests := []struct {
			name        string
			contentType string
			body        string
		}{
			{"SecretFieldFailsValidation", "application/json", `{"name":"Ada","count":1,"password":"hunter2-secret-too-long"}`},
			{"FormBodyUnsupported", "application/x-www-form-urlencoded", "password=hunter2-secret-too-long"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t, &setupOpts{prod: true})

				req := httptest.NewRequest(http.MethodPost, "/api/typed", strings.NewReader(tt.body))
				req.Header.Set("Content-Type", tt.contentType)
				r := b.do(t, req)
				require.GreaterOrEqual(t, r.status, 400)
				require.NotContains(t, string(r.body), "hunter2-secret-too-long", "nor echoed to the client")
				line := httpLine(t, b)
				require.NotContains(t, b.logs.String(), "hunter2-secret-too-long", "logged: %v", line)
			})
		}
	})

	t.Run("ProbesNotLogged", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)

		b.get(t, "/metrics")
		b.get(t, "/healthz")
		require.Empty(t, b.logs.linesWith(t, "http"))
	})
}

func TestMountSPA(t *testing.T) {
	t.Parallel()

	dist := fstest.MapFS{
		"index.html":                  {Data: []byte("<!doctype html><title>Switchboard SPA</title>")},
		"assets/index-3f9a1c2b.js":    {Data: []byte("console.log('app')")},
		"assets/index-3f9a1c2b.css":   {Data: []byte("body{}")},
		"favicon.svg":                 {Data: []byte("<svg xmlns='http://www.w3.org/2000/svg'/>")},
		"robots.txt":                  {Data: []byte("User-agent: *")},
		"fonts/inter-var.woff2":       {Data: []byte("wOF2")},
		"assets/nested/logo-1a2b.png": {Data: []byte("\x89PNG")},
	}

	t.Run("Files", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{spa: dist})

		tests := []struct {
			path        string
			contentType string
			immutable   bool
		}{
			{"/assets/index-3f9a1c2b.js", "text/javascript; charset=utf-8", true},
			{"/assets/index-3f9a1c2b.css", "text/css; charset=utf-8", true},
			{"/assets/nested/logo-1a2b.png", "image/png", true},
			{"/favicon.svg", "image/svg+xml", false},
			{"/robots.txt", "text/plain; charset=utf-8", false},
		}
		for _, tt := range tests {
			r := b.get(t, tt.path)
			require.Equal(t, http.StatusOK, r.status, tt.path)
			require.Equal(t, tt.contentType, r.header.Get("Content-Type"), tt.path)
			require.Equal(t, dist[strings.TrimPrefix(tt.path, "/")].Data, r.body, tt.path)
			if tt.immutable {
				require.Equal(t, "public, max-age=31536000, immutable", r.header.Get("Cache-Control"), tt.path)
			} else {
				require.NotContains(t, r.header.Get("Cache-Control"), "immutable", tt.path)
			}
		}
		for _, l := range b.logs.linesWith(t, "http") {
			require.Equal(t, "debug", l["level"], "dashboard files are logged at debug: %v", l)
		}
	})

	t.Run("DeepLinksGetIndex", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{spa: dist})

		for _, path := range []string{"/", "/index.html", "/contacts", "/contacts/123/edit", "/settings/api-keys", "/login?redirect=%2Friverui"} {
			r := b.get(t, path)
			require.Equal(t, http.StatusOK, r.status, path)
			require.Equal(t, "text/html; charset=utf-8", r.header.Get("Content-Type"), path)
			require.Equal(t, "no-cache", r.header.Get("Cache-Control"), path)
			require.Equal(t, dist["index.html"].Data, r.body, path)
			require.NotEmpty(t, r.header.Get("Content-Security-Policy"), path)
		}
	})

	t.Run("MissingAssetIs404", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{spa: dist})

		r := b.get(t, "/assets/index-00000000.js")
		require.Equal(t, http.StatusNotFound, r.status)
		r.problem(t)
	})

	t.Run("ReservedPathsNotSwallowed", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{spa: dist})

		for _, path := range []string{"/api", "/api/", "/api/v1/nothing", "/api/v1/contacts/123", "/metrics", "/readyz", "/sandbox/inbox", "/u/unsubscribe"} {
			r := b.get(t, path)
			require.Equal(t, http.StatusNotFound, r.status, path)
			require.NotContains(t, string(r.body), "Switchboard SPA", path)
			r.problem(t)
		}
		// Routes registered before the SPA still answer.
		require.Equal(t, http.StatusOK, b.get(t, "/api/whoami").status)
		require.Equal(t, "river ui", string(b.get(t, "/riverui/").body))
	})

	t.Run("OnlyGetAndHead", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{spa: dist})

		r := b.do(t, httptest.NewRequest(http.MethodPost, "/contacts", nil))
		require.NotEqual(t, http.StatusOK, r.status)
		require.NotContains(t, string(r.body), "Switchboard SPA")

		head := b.do(t, httptest.NewRequest(http.MethodHead, "/contacts", nil))
		require.Equal(t, http.StatusOK, head.status)
	})

	t.Run("MissingIndexShowsNotice", func(t *testing.T) {
		t.Parallel()
		b := setup(t, &setupOpts{spa: fstest.MapFS{"assets/app.js": {Data: []byte("x")}}})

		r := b.get(t, "/dashboard")
		require.Equal(t, http.StatusOK, r.status)
		require.Equal(t, "text/html; charset=utf-8", r.header.Get("Content-Type"))
		require.Contains(t, string(r.body), "The dashboard is not built")
		require.Contains(t, string(r.body), "make web")
	})
}
