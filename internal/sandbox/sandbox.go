package sandbox

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Provider names, as used in paths, records and the config.
const (
	ProviderSendGrid  = "sendgrid"
	ProviderTwilio    = "twilio"
	ProviderTelegram  = "telegram"
	ProviderInstagram = "instagram"
)

// providerNames lists the simulated providers in a stable order.
var providerNames = []string{ProviderSendGrid, ProviderTwilio, ProviderTelegram, ProviderInstagram}

// Defaults for the zero values of Options.
const (
	DefaultRecordLimit     = 10_000
	DefaultWebhookWorkers  = 16
	DefaultWebhookAttempts = 4
	DefaultWebhookBackoff  = time.Second
	DefaultMaxPending      = 200_000
	DefaultMaxFileBytes    = 128 << 20
)

// Options configure a Sandbox. Only the first five are part of the
// providers contract; the rest tune limits and default sensibly.
type Options struct {
	// Now is the clock for timestamps in answers, events and records.
	// Delays (latency, webhook timing) always use real time.
	Now func() time.Time
	// Logger receives the sandbox's own lines (webhook failures, state saves).
	Logger zerolog.Logger
	// Client fires webhooks and fetches media the way providers do. The
	// default has a 10 s timeout and does not follow redirects.
	Client *http.Client
	// StateFile, when set, keeps registrations (webhook URLs, signing keys,
	// senders, subscriptions) across restarts.
	StateFile string
	// Seed makes the outcome dice reproducible; 0 seeds from the clock.
	Seed int64

	// PublicURL is the sandbox's own absolute URL (for example
	// http://localhost:8080/sandbox), used in media URLs it hands out.
	// Empty: derived from each request's Host and mount prefix.
	PublicURL string
	// RecordLimit bounds the message and webhook logs (ring buffers).
	RecordLimit int
	// WebhookWorkers is how many webhooks are in flight at once.
	WebhookWorkers int
	// WebhookAttempts is how many times one webhook is tried in all
	// (on connection errors, 429 and 5xx).
	WebhookAttempts int
	// WebhookBackoff is the wait before the first retry; it doubles after.
	WebhookBackoff time.Duration
	// MaxPending bounds the scheduled webhooks and events; beyond it new
	// ones are dropped and counted.
	MaxPending int
	// MaxFileBytes bounds the bytes kept for media (uploads and simulated
	// contacts' files); the oldest files are evicted first.
	MaxFileBytes int64
}

// Sandbox simulates SendGrid, Twilio (WhatsApp), Telegram and Instagram:
// their HTTP APIs, their answers and errors, and the signed webhooks they
// send back. It is safe for concurrent use. See the package doc.
type Sandbox struct {
	opts    Options
	log     zerolog.Logger
	hookLog zerolog.Logger // sampled, for webhooks given up on
	now     func() time.Time
	client  *http.Client

	// cfg is read lock-free on every call; cfgMu serialises replacements.
	cfg      atomic.Pointer[Config]
	cfgMu    sync.Mutex
	dice     *dice
	messages *messageLog
	webhooks *ring[WebhookRecord]
	files    *fileStore
	state    *state
	disp     *dispatcher
	batches  *sgBatcher
	stats    map[string]*providerStats

	// Telegram ids grow from a clock-based start so that an app which
	// dedupes on update_id keeps accepting updates after a restart.
	tgUpdateID  atomic.Int64
	tgMessageID atomic.Int64
	contacts    *contactBook

	mux       *http.ServeMux
	closeOnce sync.Once
}

// New builds a Sandbox, loading Options.StateFile when it exists, and
// starts its webhook workers. Call Close to stop them.
func New(opts Options) *Sandbox {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Client == nil {
		opts.Client = &http.Client{
			Timeout:       10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if opts.RecordLimit <= 0 {
		opts.RecordLimit = DefaultRecordLimit
	}
	if opts.WebhookWorkers <= 0 {
		opts.WebhookWorkers = DefaultWebhookWorkers
	}
	if opts.WebhookAttempts <= 0 {
		opts.WebhookAttempts = DefaultWebhookAttempts
	}
	if opts.WebhookBackoff <= 0 {
		opts.WebhookBackoff = DefaultWebhookBackoff
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = DefaultMaxPending
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = DefaultMaxFileBytes
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	seed := opts.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	s := &Sandbox{
		opts:     opts,
		log:      opts.Logger.With().Str("component", "sandbox").Logger(),
		hookLog:  opts.Logger.With().Str("component", "sandbox").Logger().Sample(&zerolog.BurstSampler{Burst: 10, Period: 10 * time.Second}),
		now:      opts.Now,
		client:   opts.Client,
		dice:     newDice(seed),
		messages: newMessageLog(opts.RecordLimit),
		webhooks: newRing[WebhookRecord](opts.RecordLimit),
		files:    newFileStore(opts.MaxFileBytes),
		contacts: newContactBook(10_000),
		stats:    make(map[string]*providerStats, len(providerNames)),
	}
	for _, p := range providerNames {
		s.stats[p] = &providerStats{}
	}
	cfg := DefaultConfig()
	s.cfg.Store(&cfg)
	s.state = loadState(opts.StateFile, s.log)
	start := clockBase(time.Now())
	s.tgUpdateID.Store(start)
	s.tgMessageID.Store(start)
	s.disp = newDispatcher(s)
	s.batches = newSGBatcher(s)
	s.mux = s.routes()
	return s
}

// clockBase is a starting value for ids that must keep growing across
// restarts: tenths of a second since 2024, about 2^33 today.
func clockBase(now time.Time) int64 {
	return (now.Unix() - 1_704_067_200) * 10
}

// Handler serves the simulated providers under /sendgrid/, /twilio/,
// /telegram/ and /instagram/, media under /media/, and the control API
// under /_api/, relative to wherever it is mounted.
func (s *Sandbox) Handler() http.Handler { return s.mux }

// Close stops the webhook workers and drops the webhooks still pending.
// Requests in flight still get answers; webhooks they would schedule are
// dropped.
func (s *Sandbox) Close() {
	s.closeOnce.Do(func() {
		s.batches.stop()
		s.disp.close()
	})
}

func (s *Sandbox) routes() *http.ServeMux {
	mux := http.NewServeMux()
	s.sendgridRoutes(mux)
	s.twilioRoutes(mux)
	mux.HandleFunc("/telegram/", s.telegram)
	s.instagramRoutes(mux)
	s.controlRoutes(mux)
	mux.HandleFunc("GET /media/{id}", s.serveMedia)
	return mux
}

// config returns the behaviour in force; it is replaced whole, never mutated.
func (s *Sandbox) config() *Config { return s.cfg.Load() }

// behaviour returns one provider's behaviour.
func (s *Sandbox) behaviour(provider string) Behaviour {
	return s.config().For(provider)
}

// begin counts a provider call and waits out its simulated latency. It
// reports false when the caller went away meanwhile: nothing is written.
func (s *Sandbox) begin(ctx context.Context, provider string) (Behaviour, bool) {
	st := s.stats[provider]
	st.requests.Add(1)
	b := s.behaviour(provider)
	if !sleepCtx(ctx, b.sampleLatency(s.dice)) {
		st.canceled.Add(1)
		return b, false
	}
	return b, true
}

// fault is a failure the sandbox injects instead of answering normally.
type fault int

const (
	faultNone fault = iota
	faultRateLimit
	faultServer
)

// injected decides whether this call fails with a 429 or a 5xx: magic
// recipients force it, otherwise the configured rates roll the dice.
func (s *Sandbox) injected(b Behaviour, m magic) fault {
	switch {
	case m.rateLimit:
		return faultRateLimit
	case m.serverError:
		return faultServer
	case b.Rate429 > 0 && s.dice.chance(b.Rate429):
		return faultRateLimit
	case b.Rate5xx > 0 && s.dice.chance(b.Rate5xx):
		return faultServer
	}
	return faultNone
}

// serverStatus picks the status of an injected 5xx: mostly 500, sometimes
// 502 or 503 as load balancers in front of real providers answer.
func (s *Sandbox) serverStatus(m magic) int {
	if m.serverError {
		return http.StatusInternalServerError
	}
	switch s.dice.intn(4) {
	case 0:
		return http.StatusBadGateway
	case 1:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// publicBase returns the absolute URL the sandbox is reachable at, for
// media URLs handed to the app: Options.PublicURL, or the request's
// scheme, host and the prefix http.StripPrefix removed.
func (s *Sandbox) publicBase(r *http.Request) string {
	if s.opts.PublicURL != "" {
		return s.opts.PublicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" {
		host = strings.TrimSpace(strings.Split(h, ",")[0])
	}
	prefix := ""
	if u, err := url.ParseRequestURI(r.RequestURI); err == nil && strings.HasSuffix(u.Path, r.URL.Path) {
		prefix = strings.TrimSuffix(u.Path, r.URL.Path)
	}
	return scheme + "://" + host + prefix
}

// sleepCtx waits d or until ctx ends, reporting whether d elapsed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
