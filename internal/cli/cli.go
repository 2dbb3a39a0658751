// Package cli holds what the three mains share: reading the config,
// building the logger, opening the pool and stopping on SIGINT/SIGTERM.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/logging"
)

// Boot reads the environment, builds the logger and opens the pool. The
// returned context ends on SIGINT or SIGTERM; cleanup closes what Boot opened.
func Boot(service string) (ctx context.Context, d app.Deps, cleanup func(), err error) {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return nil, d, nil, err
	}
	logger, closer, err := logging.New(logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat, File: cfg.LogFile}, service)
	if err != nil {
		return nil, d, nil, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	pool, err := dbutil.OpenPool(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		stop()
		return nil, d, nil, err
	}
	cleanup = func() {
		stop()
		pool.Close()
		_ = closer.Close()
	}
	return ctx, app.Deps{Config: cfg, Pool: pool, Logger: logger, Now: time.Now}, cleanup, nil
}

// Exit prints err and exits 1, or exits 0.
func Exit(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// OpenLazyPool returns a pool that never connects unless used (for
// printing the OpenAPI document without a database).
func OpenLazyPool() (*pgxpool.Pool, error) {
	return pgxpool.New(context.Background(), "postgres://invalid.invalid:1/none")
}

// Quiet is a logger for commands whose output is their stdout.
func Quiet() zerolog.Logger { return zerolog.New(io.Discard) }
