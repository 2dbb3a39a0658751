package httpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/valyala/fasthttp"

	"github.com/switchboard/switchboard/internal/logging"
)

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:\-]{1,128}$`)

// requestContext gives every request an id (the caller's X-Request-ID when
// sane) and a logger carrying it, and echoes the id back.
func requestContext(base zerolog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Get(fiber.HeaderXRequestID)
		if !validRequestID.MatchString(id) {
			id = uuid.NewString()
		} else {
			id = strings.Clone(id)
		}
		c.Set(fiber.HeaderXRequestID, id)
		logger := base.With().Str("request_id", id).Logger()
		ctx := logging.WithRequestID(c.UserContext(), id)
		ctx = context.WithValue(ctx, clientKey{}, Client{IP: strings.Clone(c.IP()), UserAgent: strings.Clone(c.Get(fiber.HeaderUserAgent))})
		c.SetUserContext(logger.WithContext(ctx))
		return c.Next()
	}
}

type clientKey struct{}

// Client is where a request comes from.
type Client struct {
	IP        string
	UserAgent string
}

// ClientFrom returns the request's client address and user agent.
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// accessLog writes one line per request. In dev it includes request and
// response bodies with secrets redacted; in prod only errors do. Webhook
// calls never do: the webhook log keeps their snippets.
func accessLog(dev bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		if err != nil {
			// Let the error handler write the answer so the status is known.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		status := c.Response().StatusCode()
		path := c.Path()
		if path == "/healthz" || path == "/readyz" || path == "/metrics" {
			return nil
		}
		logger := zerolog.Ctx(c.UserContext())
		webhook := strings.HasPrefix(path, "/api/callbacks/")
		isAPI := strings.HasPrefix(path, "/api/")
		ev := logger.Info()
		if !isAPI && status < 400 {
			// Dashboard assets: one line per file is noise unless debugging.
			ev = logger.Debug()
		}
		if status >= 500 {
			ev = logger.Error()
		} else if status >= 400 {
			ev = logger.Warn()
		}
		if !ev.Enabled() {
			return nil // below the log level: don't build the line
		}
		ev = ev.Str("method", c.Method()).Str("path", redactPath(path)).Int("status", status).
			Dur("latency", time.Since(start)).Str("ip", c.IP())
		// Webhook bodies are kept (as snippets) in the webhook log; parsing
		// a 1,000-event batch here again would cost more than storing it.
		if isAPI && !webhook && (dev || status >= 400) {
			limit := 512
			if dev {
				limit = 4096
			}
			if body := c.Body(); len(body) > 0 {
				ev = ev.Str("req_body", redactBody(body, limit))
			}
			// Body() would read a streamed answer (an export, an event
			// stream) to its end before sending it: streams are not logged.
			if resp := c.Response(); !resp.IsBodyStream() && strings.Contains(string(resp.Header.ContentType()), "json") && len(resp.Body()) > 0 {
				body := resp.Body()
				ev = ev.Str("resp_body", redactBody(body, limit))
			}
		}
		ev.Msg("http")
		return nil
	}
}

// minCompressBytes is the smallest answer worth compressing: below about
// a packet, gzip costs both ends more CPU than the bytes cost to send (an
// accepted send's 202 is ~600 bytes).
const minCompressBytes = 1024

// compressLarge compresses (brotli or gzip, as the client accepts) answers
// of minBytes or more, and streams.
func compressLarge(minBytes int) fiber.Handler {
	compressor := fasthttp.CompressHandlerBrotliLevel(func(*fasthttp.RequestCtx) {},
		fasthttp.CompressBrotliDefaultCompression, fasthttp.CompressDefaultCompression)
	return func(c *fiber.Ctx) error {
		if err := c.Next(); err != nil {
			return err
		}
		if r := c.Response(); !r.IsBodyStream() && len(r.Body()) < minBytes {
			return nil
		}
		compressor(c.Context())
		return nil
	}
}

var secretKey = regexp.MustCompile(`(?i)(password|token|secret|authorization|api_key|apikey|code_verifier|cookie)`)

// redactBody renders a body for a log line with secret-looking JSON fields
// replaced, truncated to limit bytes. Non-JSON bodies are shown only by size.
func redactBody(body []byte, limit int) string {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Sprintf("(%d-byte non-JSON body)", len(body))
	}
	b, _ := json.Marshal(redact(v))
	if len(b) > limit {
		return string(b[:limit]) + "…"
	}
	return string(b)
}

func redact(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			if secretKey.MatchString(k) {
				t[k] = "[redacted]"
				continue
			}
			t[k] = redact(val)
		}
		return t
	case []any:
		for i := range t {
			t[i] = redact(t[i])
		}
		return t
	default:
		return v
	}
}

// securityHeaders sets the headers every answer carries. The CSP is strict in
// prod (no inline script, no eval); in dev it also allows Vite's dev server.
// River UI gets its own, looser policy: it is a third-party bundle served to
// staff only.
func securityHeaders(dev bool) fiber.Handler {
	prodCSP := strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data: blob: https:",
		"font-src 'self' data:",
		"connect-src 'self'",
		"worker-src 'self' blob:",
		"object-src 'none'",
		"base-uri 'self'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
	devCSP := strings.Join([]string{
		"default-src 'self'",
		"script-src 'self' 'unsafe-inline' 'unsafe-eval' http://localhost:5173",
		"style-src 'self' 'unsafe-inline' http://localhost:5173",
		"img-src 'self' data: blob: https: http:",
		"font-src 'self' data:",
		"connect-src 'self' ws://localhost:5173 http://localhost:5173",
		"worker-src 'self' blob:",
		"object-src 'none'",
		"base-uri 'self'",
		"frame-ancestors 'none'",
	}, "; ")
	riverUICSP := "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; object-src 'none'; frame-ancestors 'none'"
	return func(c *fiber.Ctx) error {
		h := func(k, v string) { c.Set(k, v) }
		h("X-Content-Type-Options", "nosniff")
		h("X-Frame-Options", "DENY")
		h("Referrer-Policy", "strict-origin-when-cross-origin")
		h("Cross-Origin-Opener-Policy", "same-origin")
		h("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if !dev {
			h("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		switch {
		case strings.HasPrefix(c.Path(), "/riverui"):
			h("Content-Security-Policy", riverUICSP)
		case dev:
			h("Content-Security-Policy", devCSP)
		default:
			h("Content-Security-Policy", prodCSP)
		}
		return c.Next()
	}
}

// secretPathPrefixes are paths whose next segment grants access: a signed
// file link, an unsubscribe token, a Telegram bot token in the sandbox's
// Bot API paths. Logs keep the shape and drop the secret.
var secretPathPrefixes = []string{"/files/", "/u/", "/sandbox/telegram/bot", "/sandbox/telegram/file/bot"}

func redactPath(p string) string {
	// /api/callbacks/<provider>/<hook id>/...: the hook id is unguessable
	// by design; its first characters are enough to tell hooks apart.
	if rest, ok := strings.CutPrefix(p, "/api/callbacks/"); ok {
		parts := strings.SplitN(rest, "/", 3)
		if len(parts) >= 2 && len(parts[1]) > 4 {
			parts[1] = parts[1][:4] + "…"
			return "/api/callbacks/" + strings.Join(parts, "/")
		}
		return p
	}
	for _, prefix := range secretPathPrefixes {
		rest, ok := strings.CutPrefix(p, prefix)
		if !ok || rest == "" {
			continue
		}
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			return prefix + "[redacted]" + rest[i:]
		}
		return prefix + "[redacted]"
	}
	return p
}
