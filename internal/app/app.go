// Package app assembles Switchboard from its domains: the API server, the
// set of River workers, the periodic jobs, and the demo seed. The binaries
// in cmd/ and the integration tests build the system through it, so they
// run the same wiring.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"
	"riverqueue.com/riverui"

	"github.com/switchboard/switchboard/internal/apidocs"
	"github.com/switchboard/switchboard/internal/apikeys"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/dbmigrate"
	"github.com/switchboard/switchboard/internal/health"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/logging"
	"github.com/switchboard/switchboard/internal/metrics"
	"github.com/switchboard/switchboard/internal/orgs"
	"github.com/switchboard/switchboard/internal/ratelimit"
	"github.com/switchboard/switchboard/internal/retention"
	"github.com/switchboard/switchboard/internal/sso"
	"github.com/switchboard/switchboard/internal/suppression"
	"github.com/switchboard/switchboard/internal/templates"
	"github.com/switchboard/switchboard/web"
)

// Version is stamped at build time (-ldflags "-X .../internal/app.Version=...").
var Version = "dev"

// Deps are what every binary has: config, database, logger and clock.
type Deps struct {
	Config *config.Config
	Pool   *pgxpool.Pool
	Logger zerolog.Logger
	Now    func() time.Time
}

// Workers registers every job kind with its worker.
func Workers(d Deps) *river.Workers {
	w := river.NewWorkers()
	river.AddWorker(w, &orgs.InvitationDeliveryWorker{DB: d.Pool, Now: d.Now})
	river.AddWorker(w, &retention.PurgeWorker{DB: d.Pool, Now: d.Now})
	river.AddWorker(w, &contacts.AnalyzeImportWorker{DB: d.Pool})
	river.AddWorker(w, &contacts.ImportWorker{DB: d.Pool, Now: d.Now})
	return w
}

// PeriodicJobs are owned by the scheduler.
func PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(retention.Interval),
			func() (river.JobArgs, *river.InsertOpts) { return retention.PurgeArgs{}, nil },
			&river.PeriodicJobOpts{ID: "retention_purge", RunOnStart: true}),
	}
}

// API is the assembled HTTP server and what runs beside it.
type API struct {
	Server  *httpserver.Server
	River   *jobqueue.Client
	Usage   *apikeys.UsageRecorder
	riverUI *riverui.Handler
	deps    Deps
}

// NewAPI builds the API: every route, the insert-only River client, River
// UI, docs, metrics, health and the SPA.
func NewAPI(d Deps) (*API, error) {
	cfg := d.Config
	rc, err := jobqueue.NewClient(d.Pool, jobqueue.Options{Logger: d.Logger, Workers: Workers(d)})
	if err != nil {
		return nil, fmt.Errorf("building River client: %w", err)
	}
	m := metrics.New(d.Pool)
	srv := httpserver.New(httpserver.Options{
		Logger: d.Logger, Dev: !cfg.IsProd(), MaxBodyBytes: cfg.MaxBodyBytes, Version: Version,
		Middleware: []fiber.Handler{m.Middleware()},
	})

	usage := apikeys.NewUsageRecorder(d.Pool, d.Logger)
	tokens := auth.NewTokens(cfg.JWTSecret, cfg.AccessTokenTTL, d.Now)
	authn := &auth.Authenticator{DB: d.Pool, Tokens: tokens, Keys: &apikeys.Verifier{DB: d.Pool, Now: d.Now, Usage: usage}}
	srv.API.UseMiddleware(authn.Middleware(srv.API))

	sessions := &auth.Service{
		DB: d.Pool, Tokens: tokens, Now: d.Now, RefreshTTL: cfg.RefreshTokenTTL,
		LoginPerEmail: ratelimit.PerWindow(cfg.LoginLimitPerEmail, 15*time.Minute),
		LoginPerIP:    ratelimit.PerWindow(cfg.LoginLimitPerIP, 5*time.Minute),
	}
	authHandlers := &auth.Handlers{Service: sessions, SecureCookies: strings.HasPrefix(cfg.PublicBaseURL, "https://")}
	authHandlers.Register(srv.API)
	(&orgs.Handlers{Auth: authHandlers, Service: &orgs.Service{
		DB: d.Pool, Jobs: rc, Sessions: sessions, Now: d.Now, InvitationTTL: cfg.InvitationTTL,
		PublicBaseURL: cfg.PublicBaseURL, SignupPerIP: ratelimit.PerWindow(cfg.SignupLimitPerIP, time.Hour),
	}}).Register(srv.API)
	(&apikeys.Handlers{DB: d.Pool, Now: d.Now}).Register(srv.API)
	(&contacts.Handlers{DB: d.Pool, Jobs: rc, Now: d.Now}).Register(srv.API)
	unsubscribe := suppression.NewTokens(cfg.SecretsKey)
	(&suppression.Handlers{DB: d.Pool, Tokens: unsubscribe, PublicBaseURL: cfg.PublicBaseURL, Now: d.Now}).Register(srv.API)
	(&templates.Handlers{DB: d.Pool, Now: d.Now, PublicBaseURL: cfg.PublicBaseURL,
		Contacts: func(ctx context.Context, orgID, contactID uuid.UUID) (map[string]any, error) {
			c, err := contacts.Get(ctx, d.Pool, orgID, contactID)
			if err != nil {
				return nil, err
			}
			return contacts.TemplateValues(c), nil
		}}).Register(srv.API)
	(&sso.Handlers{Sessions: sessions, Auth: authHandlers, Providers: cfg.SSO,
		PublicBaseURL: cfg.PublicBaseURL, Logger: d.Logger, Now: d.Now}).Register(srv.API)

	app := srv.App
	suppression.RegisterPublic(app, &suppression.Public{DB: d.Pool, Tokens: unsubscribe, Now: d.Now})
	app.Get("/metrics", m.Handler())
	health.Register(app, func(ctx context.Context) error {
		if err := d.Pool.Ping(ctx); err != nil {
			d.Logger.Warn().Err(err).Msg("readiness: database unreachable")
			return errors.New("database unreachable")
		}
		if err := dbmigrate.Check(ctx, d.Pool); err != nil {
			d.Logger.Warn().Err(err).Msg("readiness: migrations")
			if errors.Is(err, dbmigrate.ErrBehind) {
				return errors.New("migrations behind: run `api migrate`")
			}
			return errors.New("database schema check failed")
		}
		return nil
	})
	docsAssets, err := fs.Sub(web.Dist, "dist/api-docs")
	if err != nil {
		return nil, err
	}
	apidocs.Register(app, "/api/schema", docsAssets)

	ui, err := riverui.NewHandler(&riverui.HandlerOpts{
		Endpoints: riverui.NewEndpoints(rc, nil), Logger: logging.Slog(d.Logger),
		Prefix: "/riverui", JobListHideArgsByDefault: true,
	})
	if err != nil {
		return nil, fmt.Errorf("building River UI: %w", err)
	}
	staff := authn.StaffOnly(d.Now)
	uiHandler := adaptor.HTTPHandler(ui)
	app.All("/riverui", staff, uiHandler)
	app.All("/riverui/*", staff, uiHandler)

	// Unknown /api paths answer problem+json, not the SPA.
	app.All("/api/*", func(*fiber.Ctx) error { return fiber.NewError(fiber.StatusNotFound, "no such API route") })
	dist, err := fs.Sub(web.Dist, "dist")
	if err != nil {
		return nil, err
	}
	httpserver.MountSPA(app, dist)
	return &API{Server: srv, River: rc, Usage: usage, riverUI: ui, deps: d}, nil
}

// Start begins the background parts: River UI and the usage flusher.
func (a *API) Start(ctx context.Context) error {
	if err := a.riverUI.Start(ctx); err != nil {
		return fmt.Errorf("starting River UI: %w", err)
	}
	go a.Usage.Run(ctx, 5*time.Second)
	return nil
}

// Serve answers on ln until ctx ends, then drains for up to 15 s.
func (a *API) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- a.Server.App.Listener(ln) }()
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		return a.Server.App.ShutdownWithTimeout(15 * time.Second)
	}
}
