// Package httpserver builds the API's Fiber app and Huma API: request ids,
// logging, security headers, body limits, problem+json errors, the OpenAPI
// schema and the embedded SPA. Domains register their operations on the
// returned huma.API.
package httpserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humafiber"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/rs/zerolog"
)

// Options configure the server.
type Options struct {
	Logger zerolog.Logger
	Dev    bool
	// MaxBodyBytes bounds request bodies, read whole before the handler
	// runs. An operation marked by StreamBody (a file upload) gets its body
	// as a stream instead, up to its own limit.
	MaxBodyBytes int
	Version      string
	// Middleware runs after request ids and before logging and routing (metrics).
	Middleware []fiber.Handler
}

// Server is the Fiber app and the Huma API registered on it.
type Server struct {
	App *fiber.App
	API huma.API
}

// New builds the app with its middleware and an empty API.
func New(opts Options) *Server {
	installHumaErrors()
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 8 << 20
	}
	app := fiber.New(fiber.Config{
		AppName: "switchboard",
		// fasthttp hands bodies over as streams; bodyLimits reads them
		// whole (up to BodyLimit) for every route but the uploads, which
		// read theirs as they arrive. Multipart bodies are left to the
		// handler too: pre-parsed, an upload would land in memory or a
		// temporary file before any check.
		BodyLimit:                    opts.MaxBodyBytes,
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		ErrorHandler:                 fiberErrorHandler,
		DisableStartupMessage:        true,
		ReadTimeout:                  30 * time.Second,
		WriteTimeout:                 60 * time.Second,
		IdleTimeout:                  120 * time.Second,
		// Request values are copied before they outlive the handler.
		Immutable: false,
	})
	app.Use(requestContext(opts.Logger))
	app.Use(securityHeaders(opts.Dev))
	app.Use(compressLarge(minCompressBytes))
	// Metrics sit outside the access log and recover: they see the final
	// status, and a panic is counted as the 500 it becomes.
	for _, mw := range opts.Middleware {
		app.Use(mw)
	}
	app.Use(accessLog(opts.Dev))
	var api huma.API
	app.Use(bodyLimits(func() huma.API { return api }, opts.MaxBodyBytes))
	app.Use(recover.New(recover.Config{EnableStackTrace: opts.Dev}))

	cfg := huma.DefaultConfig("Switchboard API", opts.Version)
	cfg.Info.Description = "Multi-channel messaging: email, WhatsApp, Telegram and Instagram. " +
		"Authenticate with `Authorization: Bearer <access token or API key>`. Errors are RFC 9457 problem+json."
	cfg.OpenAPIPath = "/api/schema"
	cfg.DocsPath = ""
	cfg.SchemasPath = "/api/schemas"
	// No $schema links in response bodies: clients get plain JSON.
	cfg.CreateHooks = nil
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		SecurityBearer: {
			Type:         "http",
			Scheme:       "bearer",
			BearerFormat: "JWT access token or API key (sb_...)",
			Description:  "A user's access token from /api/v1/auth/login, or an org's API key.",
		},
	}
	api = humafiber.New(app, cfg)
	api.UseMiddleware(requestBodies)

	// /api/schema itself (Huma serves /api/schema.json and .yaml).
	app.Get("/api/schema", func(c *fiber.Ctx) error {
		b, err := json.Marshal(api.OpenAPI())
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/openapi+json")
		return c.Send(b)
	})
	return &Server{App: app, API: api}
}

// SecurityBearer names the bearer security scheme in the OpenAPI document.
const SecurityBearer = "bearer"

// bodyLimits enforces request body limits with the body streamed by
// fasthttp. An operation marked by StreamBody (the CSV uploads) is
// streamed: a declared length over its own limit is refused
// up front, the read deadline is its BodyReadTimeout, and after the handler
// whatever it left unread is drained (or the connection closed, since the
// next request on it would start inside this body). Every other request
// has its body read whole before the handler, up to limit, as fasthttp
// does without streaming; a larger one is a 413 whatever its framing
// (Content-Length or chunked).
func bodyLimits(api func() huma.API, limit int) fiber.Handler {
	var (
		once     sync.Once
		streamed []streamedRoute
	)
	// Up to this much of a body is read and dropped before a refusal or
	// after a handler that answered early, so that a client still sending
	// gets to read the answer; beyond it the connection is closed (and the
	// client may see a reset instead).
	drain := max(2*int64(limit), 16<<20)
	return func(c *fiber.Ctx) error {
		// Operations are all registered before the first request.
		once.Do(func() { streamed = streamedRoutes(api().OpenAPI()) })
		req := c.Request()
		length := int64(req.Header.ContentLength()) // -1: chunked
		if op := matchStreamed(streamed, c.Method(), c.Path()); op != nil {
			if length > op.MaxBodyBytes {
				return bodyTooLarge(c, op.MaxBodyBytes, 0)
			}
			if op.BodyReadTimeout > 0 {
				_ = c.Context().Conn().SetReadDeadline(time.Now().Add(op.BodyReadTimeout))
			}
			body := &streamedBody{r: req.BodyStream()}
			c.Locals(streamedBodyKey{}, body)
			err := c.Next()
			finishStream(c, body, drain)
			return err
		}
		if length > int64(limit) {
			return bodyTooLarge(c, int64(limit), drain)
		}
		if stream := req.BodyStream(); stream != nil && length != 0 {
			// Sized by the declared length (checked above), or grown up to
			// the limit for a chunked body.
			buf := bytes.NewBuffer(make([]byte, 0, max(length, 4<<10)))
			if _, err := io.Copy(buf, io.LimitReader(stream, int64(limit)+1)); err != nil {
				c.Context().SetConnectionClose()
				req.ResetBody()
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					return fiber.NewError(fiber.StatusRequestTimeout, "the request body took too long to arrive")
				}
				return fiber.NewError(fiber.StatusBadRequest, "the request body cannot be read")
			}
			if buf.Len() > limit {
				return bodyTooLarge(c, int64(limit), drain-int64(buf.Len()))
			}
			req.SetBodyRaw(buf.Bytes())
		}
		return c.Next()
	}
}

// streamedBody is the body of a streamed request. It remembers how the
// stream ended: read again after its end, fasthttp's chunked stream would
// wait for another chunk.
type streamedBody struct {
	r   io.Reader
	err error
}

// streamedBodyKey finds the streamedBody in the request's locals.
type streamedBodyKey struct{}

func (b *streamedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.r == nil {
		b.err = io.EOF
		return 0, b.err
	}
	n, err := b.r.Read(p)
	if err != nil {
		b.err = err
	}
	return n, err
}

// finishStream drains what the handler left of a streamed body (up to
// drain bytes), or closes the connection: the next request on it would
// start inside this body. It detaches the stream so that nothing after the
// handler (the access log) reads the rest into memory.
func finishStream(c *fiber.Ctx, body *streamedBody, drain int64) {
	if body.err == nil {
		_, _ = io.CopyN(io.Discard, body, drain)
	}
	if !errors.Is(body.err, io.EOF) {
		c.Context().SetConnectionClose()
	}
	c.Request().ResetBody()
}

// bodyTooLarge refuses a body over limit. It reads and drops up to drain
// bytes of it first (see bodyLimits), and closes the connection after the
// answer.
func bodyTooLarge(c *fiber.Ctx, limit, drain int64) error {
	req := c.Request()
	if s := req.BodyStream(); s != nil && drain > 0 {
		length := int64(req.Header.ContentLength())
		if length < 0 || length <= drain {
			_, _ = io.CopyN(io.Discard, s, drain)
		}
	}
	c.Context().SetConnectionClose()
	req.ResetBody()
	return fiber.NewError(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %s", byteSize(limit)))
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// streamedRoute is an operation whose body is streamed, and its path split
// into segments ({param} matches any one).
type streamedRoute struct {
	method   string
	segments []string
	op       *huma.Operation
}

// streamBodyKey marks a streamed operation in its Metadata.
const streamBodyKey = "httpserver.stream_body"

// StreamBody makes the server hand op its request body as a stream (its
// huma.Context's BodyReader), up to limit bytes read within timeout,
// instead of reading it whole first under the server's MaxBodyBytes: for
// file uploads, which the handler stores as they arrive. Call it on the
// registered operation (api.OpenAPI().Paths[path].Post) before serving.
func StreamBody(op *huma.Operation, limit int64, timeout time.Duration) {
	op.MaxBodyBytes = limit
	op.BodyReadTimeout = timeout
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[streamBodyKey] = true
}

// streamedRoutes lists the operations marked by StreamBody.
func streamedRoutes(oapi *huma.OpenAPI) []streamedRoute {
	var out []streamedRoute
	for path, item := range oapi.Paths {
		for _, op := range []*huma.Operation{item.Post, item.Put, item.Patch} {
			if op != nil && op.Metadata[streamBodyKey] == true {
				out = append(out, streamedRoute{method: op.Method, segments: strings.Split(strings.Trim(path, "/"), "/"), op: op})
			}
		}
	}
	return out
}

// matchStreamed finds the streamed operation of a request, matching paths
// as the router does (case-insensitively, a trailing slash ignored).
func matchStreamed(routes []streamedRoute, method, path string) *huma.Operation {
	if len(routes) == 0 || method == fiber.MethodGet || method == fiber.MethodHead {
		return nil
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, r := range routes {
		if r.method != method || len(r.segments) != len(segs) {
			continue
		}
		ok := true
		for i, s := range r.segments {
			param := strings.HasPrefix(s, "{")
			if (param && segs[i] == "") || (!param && !strings.EqualFold(s, segs[i])) {
				ok = false
				break
			}
		}
		if ok {
			return r.op
		}
	}
	return nil
}

// requestBodies gives Huma the request body: the stream of an operation
// marked by StreamBody, capped at its MaxBodyBytes (a chunked body has no
// length to check up front), or the body bodyLimits read.
func requestBodies(ctx huma.Context, next func(huma.Context)) {
	next(bodyContext{ctx})
}

// humaContext names the embedded context (its field would otherwise be
// called Context, hiding the method of that name).
type humaContext = huma.Context

type bodyContext struct{ humaContext }

// Unwrap lets humafiber.Unwrap reach the Fiber context.
func (c bodyContext) Unwrap() huma.Context { return c.humaContext }

func (c bodyContext) BodyReader() io.Reader {
	fc := humafiber.Unwrap(c.humaContext)
	if body, ok := fc.Locals(streamedBodyKey{}).(*streamedBody); ok {
		limit := c.Operation().MaxBodyBytes
		return &cappedBody{r: body, left: limit, limit: limit}
	}
	return bytes.NewReader(fc.Request().Body())
}

// cappedBody fails a streamed body that goes past its operation's limit.
type cappedBody struct {
	r           io.Reader
	left, limit int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly the limit from a longer one.
		var one [1]byte
		for {
			n, err := b.r.Read(one[:])
			if n > 0 {
				return 0, huma.Error413RequestEntityTooLarge(fmt.Sprintf("the request body is larger than %s", byteSize(b.limit)))
			}
			if err != nil {
				return 0, err
			}
		}
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, err
}
