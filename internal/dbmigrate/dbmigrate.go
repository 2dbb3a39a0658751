// Package dbmigrate applies the application's migrations (golang-migrate,
// embedded from migrations/) and River's (rivermigrate) and reports whether a
// database is current.
package dbmigrate

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"regexp"
	"strconv"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/switchboard/switchboard/migrations"
)

// Result says what Up did.
type Result struct {
	AppVersion   uint
	RiverApplied int
}

// Up applies every pending migration, app first and then River's. It is
// idempotent and safe to run from several processes at once (golang-migrate
// and River both take advisory locks).
func Up(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) (Result, error) {
	var res Result
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return res, fmt.Errorf("reading embedded migrations: %w", err)
	}
	sqlDB := stdlib.OpenDBFromPool(pool)
	defer sqlDB.Close()
	drv, err := migratepgx.WithInstance(sqlDB, &migratepgx.Config{})
	if err != nil {
		return res, fmt.Errorf("opening migrate driver: %w", err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		return res, fmt.Errorf("preparing migrations: %w", err)
	}
	// Close hands the driver's connection back; without it the pool's
	// Close would wait for it forever.
	defer m.Close()
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return res, fmt.Errorf("applying app migrations: %w", err)
	}
	v, dirty, err := m.Version()
	if err != nil {
		return res, fmt.Errorf("reading migration version: %w", err)
	}
	if dirty {
		return res, fmt.Errorf("app migration %d is dirty: fix it by hand, then force the version", v)
	}
	res.AppVersion = v

	rm, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: logger})
	if err != nil {
		return res, fmt.Errorf("preparing River migrations: %w", err)
	}
	rres, err := rm.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return res, fmt.Errorf("applying River migrations: %w", err)
	}
	res.RiverApplied = len(rres.Versions)
	return res, nil
}

var migrationName = regexp.MustCompile(`^(\d+)_.*\.up\.sql$`)

// LatestVersion is the highest app migration embedded in this binary.
func LatestVersion() (uint, error) {
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		return 0, err
	}
	var latest uint
	for _, e := range entries {
		if m := migrationName.FindStringSubmatch(e.Name()); m != nil {
			n, _ := strconv.ParseUint(m[1], 10, 64)
			latest = max(latest, uint(n))
		}
	}
	return latest, nil
}

// ErrBehind is returned by Check when the database lacks migrations.
var ErrBehind = errors.New("database migrations are behind")

// Check reports whether the database's app migrations are current and clean,
// and River's tables exist; /readyz uses it.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	latest, err := LatestVersion()
	if err != nil {
		return err
	}
	var version int64
	var dirty bool
	if err := pool.QueryRow(ctx, `SELECT version, dirty FROM schema_migrations LIMIT 1`).Scan(&version, &dirty); err != nil {
		return fmt.Errorf("reading schema_migrations: %w", err)
	}
	if dirty {
		return fmt.Errorf("migration %d is dirty", version)
	}
	if uint(version) < latest {
		return fmt.Errorf("%w: at %d, binary wants %d", ErrBehind, version, latest)
	}
	var riverOK bool
	if err := pool.QueryRow(ctx, `SELECT to_regclass('river_job') IS NOT NULL`).Scan(&riverOK); err != nil {
		return fmt.Errorf("checking River tables: %w", err)
	}
	if !riverOK {
		return fmt.Errorf("%w: River's tables are missing", ErrBehind)
	}
	return nil
}
