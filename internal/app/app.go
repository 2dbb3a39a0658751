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
	"path/filepath"
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
	"github.com/switchboard/switchboard/internal/campaigns"
	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/conversations"
	"github.com/switchboard/switchboard/internal/dbmigrate"
	"github.com/switchboard/switchboard/internal/health"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/logging"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/metrics"
	"github.com/switchboard/switchboard/internal/notifications"
	"github.com/switchboard/switchboard/internal/orgs"
	"github.com/switchboard/switchboard/internal/pricing"
	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/ratelimit"
	"github.com/switchboard/switchboard/internal/retention"
	"github.com/switchboard/switchboard/internal/sandbox"
	"github.com/switchboard/switchboard/internal/sandbox/play"
	"github.com/switchboard/switchboard/internal/sso"
	"github.com/switchboard/switchboard/internal/storage"
	"github.com/switchboard/switchboard/internal/suppression"
	"github.com/switchboard/switchboard/internal/templates"
	"github.com/switchboard/switchboard/internal/webhooks"
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

// shared are the pieces several domains use, built once per process.
type shared struct {
	channels  *channels.Store
	storage   storage.Storage
	files     *storage.Signer
	tokens    *suppression.Tokens
	providers messaging.Providers
}

func newShared(d Deps) (*shared, error) {
	store, err := channels.NewStore(d.Config.SecretsKey)
	if err != nil {
		return nil, fmt.Errorf("building channel store: %w", err)
	}
	disk, err := storage.NewDisk(d.Config.StorageDir)
	if err != nil {
		return nil, err
	}
	return &shared{
		channels: store, storage: disk, files: storage.NewSigner(d.Config.SecretsKey, d.Now),
		tokens: suppression.NewTokens(d.Config.SecretsKey), providers: messaging.NewProviders(d.Config),
	}, nil
}

// Workers registers every job kind with its worker.
func Workers(d Deps) (*river.Workers, error) {
	sh, err := newShared(d)
	if err != nil {
		return nil, err
	}
	return sh.workers(d), nil
}

func (sh *shared) workers(d Deps) *river.Workers {
	cfg := d.Config
	w := river.NewWorkers()
	river.AddWorker(w, &orgs.InvitationDeliveryWorker{DB: d.Pool, Now: d.Now})
	river.AddWorker(w, &retention.PurgeWorker{DB: d.Pool, Now: d.Now})
	river.AddWorker(w, &contacts.AnalyzeImportWorker{DB: d.Pool})
	river.AddWorker(w, &contacts.ImportWorker{DB: d.Pool, Now: d.Now})
	river.AddWorker(w, &channels.CheckWorker{
		DB: d.Pool, Store: sh.channels, SendGrid: sh.providers.SendGrid, Twilio: sh.providers.Twilio,
		Telegram: sh.providers.Telegram, Instagram: sh.providers.Instagram, PublicBaseURL: cfg.PublicBaseURL,
		Sandbox: cfg.Sandbox, SandboxAPI: cfg.PublicBaseURL + "/sandbox/_api",
		HTTP: providers.NewHTTPClient(cfg.ProviderTimeout, false), Now: d.Now,
	})
	send := &messaging.SendWorker{
		DB: d.Pool, Senders: messaging.Senders(sh.channels, sh.providers, cfg.PublicBaseURL),
		Storage: sh.storage, Files: sh.files, Tokens: sh.tokens, PublicBaseURL: cfg.PublicBaseURL,
		Pacer:  ratelimit.NewPacer(50 * time.Millisecond),
		Notify: conversations.NotifyOutbound, Now: d.Now, Logger: d.Logger,
	}
	river.AddWorker(w, send)
	river.AddWorker(w, &campaigns.StartWorker{DB: d.Pool, Now: d.Now})
	river.AddWorker(w, &campaigns.TickWorker{DB: d.Pool, Now: d.Now, Logger: d.Logger})
	river.AddWorker(w, &campaigns.EmailBatchWorker{
		DB: d.Pool, Store: sh.channels, SendGrid: sh.providers.SendGrid, Tokens: sh.tokens,
		PublicBaseURL: cfg.PublicBaseURL, Now: d.Now, Logger: d.Logger,
	})
	// Chat recipients go through the same SendWorker as single sends: one
	// rate limit per org and channel, one pacer, one result batcher.
	river.AddWorker(w, &campaigns.ChatSendWorker{DB: d.Pool, Messages: send, Tokens: sh.tokens, PublicBaseURL: cfg.PublicBaseURL, Now: d.Now})
	river.AddWorker(w, &webhooks.ProcessWorker{
		DB: d.Pool, Receiver: &conversations.Service{DB: d.Pool, Storage: sh.storage, Now: d.Now},
		Channels: sh.channels, Telegram: sh.providers.Telegram,
		HTTP: providers.NewHTTPClient(time.Minute, true), Now: d.Now,
	})
	river.AddWorker(w, &webhooks.SweepWorker{DB: d.Pool, Now: d.Now})
	river.AddWorker(w, &conversations.MediaCleanupWorker{DB: d.Pool, Storage: sh.storage, Now: d.Now})
	return w
}

// PeriodicJobs are owned by the scheduler.
func PeriodicJobs() []*river.PeriodicJob {
	return []*river.PeriodicJob{
		river.NewPeriodicJob(river.PeriodicInterval(retention.Interval),
			func() (river.JobArgs, *river.InsertOpts) { return retention.PurgeArgs{}, nil },
			&river.PeriodicJobOpts{ID: "retention_purge", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(webhooks.SweepInterval),
			func() (river.JobArgs, *river.InsertOpts) { return webhooks.SweepArgs{}, nil },
			&river.PeriodicJobOpts{ID: "webhook_sweep", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(conversations.MediaCleanupInterval),
			func() (river.JobArgs, *river.InsertOpts) { return conversations.MediaCleanupArgs{}, nil },
			&river.PeriodicJobOpts{ID: "inbound_media_cleanup", RunOnStart: true}),
		river.NewPeriodicJob(river.PeriodicInterval(campaigns.TickInterval),
			func() (river.JobArgs, *river.InsertOpts) { return campaigns.TickArgs{}, nil },
			&river.PeriodicJobOpts{ID: "campaign_tick", RunOnStart: true}),
	}
}

// API is the assembled HTTP server and what runs beside it.
type API struct {
	Server  *httpserver.Server
	River   *jobqueue.Client
	Usage   *apikeys.UsageRecorder
	riverUI *riverui.Handler
	sandbox *sandbox.Sandbox
	hub     *conversations.Hub
	keys    *apikeys.KeyCache
	deps    Deps
}

// NewAPI builds the API: every route, the insert-only River client, River
// UI, docs, metrics, health and the SPA.
func NewAPI(d Deps) (*API, error) {
	cfg := d.Config
	sh, err := newShared(d)
	if err != nil {
		return nil, err
	}
	rc, err := jobqueue.NewClient(d.Pool, jobqueue.Options{Logger: d.Logger, Workers: sh.workers(d)})
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
	keys := apikeys.NewKeyCache(d.Pool.Config().ConnConfig, time.Minute, d.Logger.With().Str("component", "api_key_listener").Logger())
	authn := &auth.Authenticator{DB: d.Pool, Tokens: tokens, Keys: &apikeys.Verifier{DB: d.Pool, Now: d.Now, Usage: usage, Cache: keys}}
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
	(&apikeys.Handlers{DB: d.Pool, Now: d.Now, Cache: keys}).Register(srv.API)
	(&contacts.Handlers{DB: d.Pool, Jobs: rc, Now: d.Now}).Register(srv.API)
	unsubscribe := sh.tokens
	(&suppression.Handlers{DB: d.Pool, Tokens: unsubscribe, PublicBaseURL: cfg.PublicBaseURL, Now: d.Now}).Register(srv.API)
	(&templates.Handlers{DB: d.Pool, Now: d.Now, PublicBaseURL: cfg.PublicBaseURL,
		Contacts: func(ctx context.Context, orgID, contactID uuid.UUID) (map[string]any, error) {
			c, err := contacts.Get(ctx, d.Pool, orgID, contactID)
			if err != nil {
				return nil, err
			}
			return contacts.TemplateValues(c), nil
		}}).Register(srv.API)
	(&channels.Handlers{DB: d.Pool, Jobs: rc, Store: sh.channels, Now: d.Now, PublicBaseURL: cfg.PublicBaseURL, Sandbox: cfg.Sandbox}).Register(srv.API)
	sends := &messaging.Sends{DB: d.Pool, Jobs: rc, Tokens: sh.tokens, PublicBaseURL: cfg.PublicBaseURL, Now: d.Now}
	(&messaging.Handlers{DB: d.Pool, Sends: sends, Storage: sh.storage}).Register(srv.API)
	(&campaigns.Handlers{DB: d.Pool, Jobs: rc, Now: d.Now}).Register(srv.API)
	hub := conversations.NewHub(d.Pool.Config().ConnConfig, d.Logger.With().Str("component", "conversations_listener").Logger())
	(&conversations.Handlers{DB: d.Pool, Sends: sends, Hub: hub, Now: d.Now,
		BotUsername: func(ctx context.Context, orgID uuid.UUID) (string, error) {
			cr, err := sh.channels.Telegram(ctx, d.Pool, orgID)
			return cr.BotUsername, err
		}}).Register(srv.API)
	(&sso.Handlers{Sessions: sessions, Auth: authHandlers, Providers: cfg.SSO,
		PublicBaseURL: cfg.PublicBaseURL, Logger: d.Logger, Now: d.Now}).Register(srv.API)

	(&pricing.Handlers{DB: d.Pool, Now: d.Now}).Register(srv.API)
	(&notifications.Handlers{DB: d.Pool, Now: d.Now}).Register(srv.API)

	hooks := &webhooks.Handlers{DB: d.Pool, Channels: sh.channels, Jobs: rc, PublicBaseURL: cfg.PublicBaseURL, Now: d.Now}
	hooks.Register(srv.API)

	app := srv.App
	// Provider webhooks read their raw bodies: plain Fiber handlers.
	hooks.RegisterCallbacks(app)
	suppression.RegisterPublic(app, &suppression.Public{DB: d.Pool, Tokens: unsubscribe, Now: d.Now})
	(&messaging.Files{DB: d.Pool, Storage: sh.storage, Signer: sh.files}).Register(app)
	var sb *sandbox.Sandbox
	if cfg.Sandbox {
		// The provider simulator answers the SDKs' requests under /sandbox/.
		sb = sandbox.New(sandbox.Options{
			Now: d.Now, Logger: d.Logger.With().Str("component", "sandbox").Logger(),
			StateFile: filepath.Join(cfg.DataDir, "sandbox-state.json"), PublicURL: cfg.PublicBaseURL + "/sandbox",
		})
		sbh := adaptor.HTTPHandler(http.StripPrefix("/sandbox", sb.Handler()))
		app.All("/sandbox/*", sbh)
		(&play.Handlers{DB: d.Pool, Channels: sh.channels, Sandbox: sb, SandboxURL: cfg.PublicBaseURL + "/sandbox"}).Register(srv.API)
	}
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
	return &API{Server: srv, River: rc, Usage: usage, riverUI: ui, sandbox: sb, hub: hub, keys: keys, deps: d}, nil
}

// Start begins the background parts: River UI and the usage flusher.
func (a *API) Start(ctx context.Context) error {
	if err := a.riverUI.Start(ctx); err != nil {
		return fmt.Errorf("starting River UI: %w", err)
	}
	go a.Usage.Run(ctx, 5*time.Second)
	// One LISTEN connection feeds every live conversation stream; another
	// keeps the API key cache honest.
	go a.hub.Run(ctx)
	go a.keys.Run(ctx)
	if a.sandbox != nil {
		go func() {
			<-ctx.Done()
			a.sandbox.Close()
		}()
	}
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
