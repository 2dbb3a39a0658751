// Package httpserver builds the API's Fiber app and Huma API: request ids,
// logging, security headers, body limits, problem+json errors, the OpenAPI
// schema and the embedded SPA. Domains register their operations on the
// returned huma.API.
package httpserver

import (
	"encoding/json"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humafiber"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/rs/zerolog"
)

// Options configure the server.
type Options struct {
	Logger       zerolog.Logger
	Dev          bool
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
		AppName:               "switchboard",
		BodyLimit:             opts.MaxBodyBytes,
		ErrorHandler:          fiberErrorHandler,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		// Request values are copied before they outlive the handler.
		Immutable: false,
	})
	app.Use(requestContext(opts.Logger))
	app.Use(securityHeaders(opts.Dev))
	app.Use(compress.New(compress.Config{Level: compress.LevelDefault}))
	// Metrics sit outside the access log and recover: they see the final
	// status, and a panic is counted as the 500 it becomes.
	for _, mw := range opts.Middleware {
		app.Use(mw)
	}
	app.Use(accessLog(opts.Dev))
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
	api := humafiber.New(app, cfg)

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
