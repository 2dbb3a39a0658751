// Package dbutil opens the Postgres pool and runs work in transactions.
package dbutil

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxuuid "github.com/vgarvardt/pgx-google-uuid/v5"
)

// Executor is what every storage function takes: a pool, or a transaction
// (whose Begin opens a savepoint), so that callers choose the transaction.
type Executor interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
	Begin(ctx context.Context) (pgx.Tx, error)
}

// OpenPool connects to databaseURL and checks the connection.
func OpenPool(ctx context.Context, databaseURL string, maxConns int32) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parsing DATABASE_URL: %w", err)
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.AfterConnect = AfterConnect
	// JIT compiles a plan whose estimated cost passes jit_above_cost, which
	// pays off for long analytical scans, not for the short statements an
	// API and its workers run. Batch statements estimated on a young table's
	// statistics crossed the bar and spent ~10 ms compiling to run for
	// 0.1 ms. A query that wants it sets it for its own transaction.
	cfg.ConnConfig.RuntimeParams["jit"] = "off"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to Postgres: %w", err)
	}
	return pool, nil
}

// AfterConnect prepares each new connection of a pool: google/uuid values
// go over the wire as 16 binary bytes. Left to pgx's generic path (uuid.UUID
// is a driver.Valuer) they are formatted as text and parsed back on every
// parameter, which showed in the batch statements' profiles.
func AfterConnect(_ context.Context, conn *pgx.Conn) error {
	pgxuuid.Register(conn.TypeMap())
	return nil
}

// WithTx runs fn in a transaction on db and commits when fn returns nil. On
// any error the whole transaction is rolled back (River's helpers no longer
// use savepoints, so a partial transaction is never committed). Rollback
// uses a context that outlives a cancelled request.
func WithTx(ctx context.Context, db Executor, fn func(tx pgx.Tx) error) (err error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("beginning transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(ctx); err != nil {
		return fmt.Errorf("committing transaction: %w", err)
	}
	return nil
}

// IsUniqueViolation reports whether err is a unique-constraint violation,
// optionally of the named constraint or index.
func IsUniqueViolation(err error, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}
