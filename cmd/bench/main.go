// Command bench runs Switchboard's benchmarks (make bench) and prints one
// JSON line per benchmark on stdout:
//
//	{"bench": name, "value": v, "unit": u, "baseline": b, "ratio": r}
//
// The baseline is measured in the same run on the same machine, because the
// machines we run on are noisy: the ratio is the figure to compare across
// runs, the value only within one. Everything else goes to stderr.
//
// The program creates its own database (sbbench_<random>) through the admin
// URL in TEST_DATABASE_URL, migrates it, and drops it at the end, also when a
// benchmark fails or the run is interrupted.
//
//	go run ./cmd/bench [-only name] [-rows N]
//
// BENCH_SCALE=full runs the campaign benchmarks at the sizes
// (100,000 recipients sent, an estimate over 1,000,000 contacts) instead of
// 20,000 each; -rows sizes the import and list benchmarks.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/dbmigrate"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/orgs"
)

// defaultAdminURL is used when TEST_DATABASE_URL is unset (make bench sets it).
const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// result is the one line a benchmark prints.
type result struct {
	Bench    string  `json:"bench"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline"`
	Ratio    float64 `json:"ratio"`
	// Latency percentiles, for the benchmarks that time requests.
	P50 float64 `json:"p50_ms,omitempty"`
	P99 float64 `json:"p99_ms,omitempty"`
	// Campaign benchmarks: their size, throughput and the process's peak
	// resident set during the run (workers and API are not separate
	// processes here, so one figure).
	Recipients       int     `json:"recipients,omitempty"`
	RecipientsPerSec float64 `json:"recipients_per_sec,omitempty"`
	PeakRSSMB        float64 `json:"peak_rss_mb,omitempty"`
}

// env is what the benchmarks share: the database, an org and its owner, and
// what earlier benchmarks left in it.
type env struct {
	pool   *pgxpool.Pool
	dbURL  string
	jobs   *jobqueue.Client
	logger *slog.Logger
	rows   int
	orgID  uuid.UUID
	userID uuid.UUID
	// imported is how many contacts the import benchmark created in the
	// org; the list benchmark reuses them, or seeds its own when it is 0.
	imported int
	// campaignEmail and campaignEstimate size the campaign benchmarks
	// (BENCH_SCALE).
	campaignEmail, campaignEstimate int
}

type benchmark struct {
	name string
	run  func(ctx context.Context, e *env) (result, error)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	benches := []benchmark{
		{"contacts_import_rows_per_sec", benchImport},
		{"contacts_list_p99_ms", benchList},
		{"send_enqueue_rps", benchSendEnqueue},
		{"chat_send_msgs_per_sec", benchChatSend},
		{"webhook_ingest_events_per_sec", benchWebhookIngest},
		{"campaign_email_100k_seconds", benchCampaignEmail},
		{"campaign_estimate_ms", benchCampaignEstimate},
	}
	var names []string
	for _, b := range benches {
		names = append(names, b.name)
	}
	only := flag.String("only", "", "run only this benchmark (one of the names below)")
	rows := flag.Int("rows", 1_000_000, "rows in the imported file and contacts in the listed org")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: go run ./cmd/bench [-only name] [-rows N]\n\nbenchmarks: %v\n\n", names)
		flag.PrintDefaults()
	}
	flag.Parse()
	if *only != "" && !slices.Contains(names, *only) {
		return fmt.Errorf("-only %q: no such benchmark (have %v)", *only, names)
	}
	if *rows < 1000 || *rows > contacts.MaxImportRows {
		return fmt.Errorf("-rows must be between 1000 and %d", contacts.MaxImportRows)
	}
	campaignEmail, campaignEstimate, err := campaignSizes(os.Getenv("BENCH_SCALE"))
	if err != nil {
		return err
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	started := time.Now()

	adminURL := os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" {
		adminURL = defaultAdminURL
	}
	cfg, name, err := createDB(ctx, adminURL)
	if err != nil {
		return err
	}
	logger.Info("created database", "name", name)
	defer dropDB(adminURL, name, logger)

	// The list runs 8 goroutines; the import holds one connection for its
	// transaction and uses others for the file and its progress.
	cfg.MaxConns = 16
	cfg.AfterConnect = dbutil.AfterConnect
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("opening pool: %w", err)
	}
	defer pool.Close()
	if _, err := dbmigrate.Up(ctx, pool, logger); err != nil {
		return fmt.Errorf("migrating: %w", err)
	}
	// Insert-only: the benchmarks run the workers themselves.
	workers := river.NewWorkers()
	river.AddWorker(workers, &contacts.AnalyzeImportWorker{DB: pool})
	river.AddWorker(workers, &contacts.ImportWorker{DB: pool, Now: time.Now})
	jobs, err := jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: workers})
	if err != nil {
		return fmt.Errorf("building River client: %w", err)
	}
	dbURL, err := url.Parse(adminURL)
	if err != nil {
		return fmt.Errorf("parsing TEST_DATABASE_URL: %w", err)
	}
	dbURL.Path = "/" + name
	e := &env{pool: pool, dbURL: dbURL.String(), jobs: jobs, logger: logger, rows: *rows,
		campaignEmail: campaignEmail, campaignEstimate: campaignEstimate}
	if err := e.createOrg(ctx); err != nil {
		return err
	}

	var failed []string
	enc := json.NewEncoder(os.Stdout)
	for _, b := range benches {
		if *only != "" && b.name != *only {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		logger.Info("running", "bench", b.name, "rows", *rows)
		t := time.Now()
		res, err := b.run(ctx, e)
		if err != nil {
			logger.Error("benchmark failed", "bench", b.name, "err", err)
			failed = append(failed, b.name)
			continue
		}
		res.Bench = b.name
		if err := enc.Encode(res); err != nil {
			return fmt.Errorf("writing result: %w", err)
		}
		logger.Info("done", "bench", b.name, "took", time.Since(t).Round(time.Millisecond))
	}
	logger.Info("finished", "took", time.Since(started).Round(time.Second))
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	if len(failed) > 0 {
		return fmt.Errorf("failed: %v", failed)
	}
	return nil
}

// createDB creates an empty database sbbench_<random> through the admin URL
// and returns a pool config for it.
func createDB(ctx context.Context, adminURL string) (*pgxpool.Config, string, error) {
	cfg, err := pgxpool.ParseConfig(adminURL)
	if err != nil {
		return nil, "", fmt.Errorf("parsing TEST_DATABASE_URL: %w", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "sbbench_" + hex.EncodeToString(b)
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return nil, "", fmt.Errorf("connecting to the admin database: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// A database name cannot be a parameter: it is quoted as an identifier.
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, "", fmt.Errorf("creating database %s: %w", name, err)
	}
	cfg.ConnConfig.Database = name
	return cfg, name, nil
}

// dropDB drops the benchmark's database, whatever state the run left it in.
// It has its own context: the run's may be cancelled already.
func dropDB(adminURL, name string, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		logger.Error("could not drop the database: connecting", "name", name, "err", err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		logger.Error("could not drop the database", "name", name, "err", err)
		return
	}
	logger.Info("dropped database", "name", name)
}

// createOrg makes the org the benchmarks work in, and its owner.
func (e *env) createOrg(ctx context.Context) error {
	return dbutil.WithTx(ctx, e.pool, func(tx pgx.Tx) error {
		u, err := auth.CreateUser(ctx, tx, "bench-owner@example.com", "Bench Owner", "", nil)
		if err != nil {
			return fmt.Errorf("creating user: %w", err)
		}
		name := "Bench"
		o, err := orgs.Create(ctx, tx, u.ID, orgs.Settings{Name: &name})
		if err != nil {
			return fmt.Errorf("creating org: %w", err)
		}
		e.orgID, e.userID = o.ID, u.ID
		return nil
	})
}
