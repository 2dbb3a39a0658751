// Package jobqueue builds the River clients of the three binaries and the
// middleware that carries a request's id into the jobs it enqueues and into
// the logs of the workers that run them.
package jobqueue

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/logging"
)

// Queue names. Each provider channel has its own queue so that one slow
// provider cannot starve the others.
const (
	QueueDefault   = river.QueueDefault
	QueueEmail     = "email"
	QueueWhatsApp  = "whatsapp"
	QueueTelegram  = "telegram"
	QueueInstagram = "instagram"
	QueueWebhooks  = "webhooks"
	QueueCampaigns = "campaigns"
	QueueCalendar  = "calendar"
	// QueueScheduler is never given jobs: it only lets the scheduler's
	// client start (River needs a queue to start a client).
	QueueScheduler = "scheduler"
)

// Client is the River client type used throughout.
type Client = river.Client[pgx.Tx]

// fetchCooldown is the shortest time between two fetches of a queue.
const fetchCooldown = 5 * time.Millisecond

// Options configure a client.
type Options struct {
	Logger zerolog.Logger
	// Workers registers the job kinds. Insert-only clients pass it too so
	// River rejects unknown kinds at insert.
	Workers *river.Workers
	// Queues to work, with their MaxWorkers; nil makes an insert-only client.
	Queues map[string]int
	// PeriodicJobs are only set on the scheduler.
	PeriodicJobs []*river.PeriodicJob
	// LeaderElection is on only in the scheduler, which then also runs
	// River's maintenance (rescuing stuck jobs, pruning, scheduling).
	LeaderElection bool
}

// NewClient builds a River client over pool.
func NewClient(pool *pgxpool.Pool, opts Options) (*Client, error) {
	// River reports routine producer counts at info every few seconds; its
	// lines start at warn unless the process logs at debug.
	riverLogger := opts.Logger
	if riverLogger.GetLevel() == zerolog.InfoLevel {
		riverLogger = riverLogger.Level(zerolog.WarnLevel)
	}
	cfg := &river.Config{
		Logger:                 logging.Slog(riverLogger),
		Workers:                opts.Workers,
		PeriodicJobs:           opts.PeriodicJobs,
		Middleware:             []rivertype.Middleware{&requestIDMiddleware{logger: opts.Logger}},
		JobTimeout:             5 * time.Minute,
		LeaderElectionDisabled: !opts.LeaderElection,
		// A producer fetches at most MaxWorkers jobs per cooldown: River's
		// default of 100 ms caps a queue of 20 workers at 200 short jobs a
		// second per process, below the providers' own limits. Idle
		// queues still poll once a second.
		FetchCooldown: fetchCooldown,
	}
	if opts.Queues != nil {
		cfg.Queues = map[string]river.QueueConfig{}
		for name, n := range opts.Queues {
			cfg.Queues[name] = river.QueueConfig{MaxWorkers: n}
		}
	}
	return river.NewClient(riverpgxv5.New(pool), cfg)
}

const metaRequestID = "request_id"

// requestIDMiddleware stamps the request id of the inserting context into a
// job's metadata, and gives the worker a logger carrying it and the job's id.
type requestIDMiddleware struct {
	river.MiddlewareDefaults
	logger zerolog.Logger
}

func (m *requestIDMiddleware) InsertMany(ctx context.Context, manyParams []*rivertype.JobInsertParams, doInner func(context.Context) ([]*rivertype.JobInsertResult, error)) ([]*rivertype.JobInsertResult, error) {
	if id := logging.RequestID(ctx); id != "" {
		for _, p := range manyParams {
			meta := map[string]any{}
			if len(p.Metadata) > 0 {
				_ = json.Unmarshal(p.Metadata, &meta)
			}
			if _, ok := meta[metaRequestID]; !ok {
				meta[metaRequestID] = id
				if b, err := json.Marshal(meta); err == nil {
					p.Metadata = b
				}
			}
		}
	}
	return doInner(ctx)
}

func (m *requestIDMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	var meta struct {
		RequestID string `json:"request_id"`
	}
	_ = json.Unmarshal(job.Metadata, &meta)
	lc := m.logger.With().Int64("job_id", job.ID).Str("job_kind", job.Kind).Int("attempt", job.Attempt)
	if meta.RequestID != "" {
		lc = lc.Str("request_id", meta.RequestID)
		ctx = logging.WithRequestID(ctx, meta.RequestID)
	}
	logger := lc.Logger()
	ctx = logger.WithContext(ctx)
	start := time.Now()
	err := doInner(ctx)
	ev := logger.Debug()
	if err != nil {
		ev = logger.Warn().Err(err)
	}
	ev.Dur("took", time.Since(start)).Msg("job worked")
	return err
}
