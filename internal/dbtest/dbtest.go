// Package dbtest gives tests a real, migrated Postgres database.
//
// The first test binary to need it migrates a template database named after
// a hash of the embedded migrations and River's version
// (sbtest_tmpl_<12 hex>). Each test package then clones its own database
// from that template in TestMain (Main), and each test works inside a
// transaction that is rolled back when it ends (TestTx). Tests that need
// committed data or a running River client clone a database of their own
// (NewDB). Cloning a migrated template takes milliseconds, where migrating
// takes seconds.
//
// The server is TEST_DATABASE_URL (an admin URL: its user may create and drop
// databases), or the local one on 127.0.0.1:5432; `scripts/devdb.sh test`
// finds or starts one. An unreachable server fails the run: tests never skip.
//
// The package keeps its state in package variables: a test binary has one
// package database, opened in TestMain before any test runs.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard/switchboard/internal/dbutil"

	"github.com/switchboard/switchboard/internal/dbmigrate"
	"github.com/switchboard/switchboard/migrations"
)

const (
	defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

	// riverVersionFallback is used when the binary carries no module
	// information; the template's name must change when River's schema can.
	riverVersionFallback = "river-v0.51.2"
	riverModule          = "github.com/riverqueue/river"

	// lockKey is the advisory lock that serializes template creation and
	// cloning across every test binary running at the same time.
	// scripts/dbtest-clean.sh takes it too (as 91634240078914).
	lockKey int64 = 0x5357_4254_4442 // "SWBTDB"

	dbPrefix     = "sbtest_"
	tmplPrefix   = "sbtest_tmpl_"
	maxNameLen   = 63 // Postgres truncates identifiers beyond this
	suffixLen    = 1 + 8
	maxPkgLen    = maxNameLen - len(dbPrefix) - suffixLen
	maxConns     = 8
	cloneRetries = 5
)

var (
	tmplOnce sync.Once
	tmplName string
	tmplErr  error

	rebuildMu sync.Mutex

	pkgMu   sync.Mutex
	pkgPool *pgxpool.Pool
)

// AdminURL is TEST_DATABASE_URL, or postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable.
func AdminURL() string {
	if v := strings.TrimSpace(os.Getenv("TEST_DATABASE_URL")); v != "" {
		return v
	}
	return defaultAdminURL
}

// Main is called from a package's TestMain: it makes sure a migrated
// template database exists, creates this package's own database from it,
// runs the tests, drops the database and exits with m.Run()'s code. An
// unreachable Postgres is a fatal error, never a skip.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	name := newDBName(packageName())
	pool, _, err := createDB(ctx, name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: %v\n", err)
		return 1
	}
	pkgMu.Lock()
	pkgPool = pool
	pkgMu.Unlock()

	code := m.Run()

	pkgMu.Lock()
	pkgPool = nil
	pkgMu.Unlock()
	pool.Close()
	if err := dropDB(ctx, name); err != nil {
		// Leftovers are removed by scripts/dbtest-clean.sh; the tests' verdict stands.
		fmt.Fprintf(os.Stderr, "dbtest: warning: %v\n", err)
	}
	return code
}

// Pool returns the package database's pool (opened in Main).
func Pool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	pkgMu.Lock()
	defer pkgMu.Unlock()
	if pkgPool == nil {
		tb.Fatal("dbtest: no package database: call dbtest.Main(m) from this package's TestMain")
	}
	return pkgPool
}

// TestTx begins a transaction on Pool and rolls it back at cleanup, so a
// test sees its own writes and leaves nothing behind.
func TestTx(tb testing.TB) pgx.Tx {
	tb.Helper()
	ctx := tb.Context()
	tx, err := Pool(tb).Begin(ctx)
	if err != nil {
		tb.Fatalf("dbtest: beginning test transaction: %v", err)
	}
	tb.Cleanup(func() {
		// tb.Context is already canceled when cleanups run.
		err := tx.Rollback(context.WithoutCancel(ctx))
		if err != nil && !errors.Is(err, pgx.ErrTxClosed) && !tx.Conn().IsClosed() {
			tb.Errorf("dbtest: rolling back test transaction: %v", err)
		}
	})
	return tx
}

// NewDB creates a fresh database from the template for a test that needs
// committed data or a running River client; it is dropped at cleanup.
// It returns the database's pool and URL.
func NewDB(tb testing.TB) (*pgxpool.Pool, string) {
	tb.Helper()
	ctx := tb.Context()
	name := newDBName(packageName())
	pool, dbURL, err := createDB(ctx, name)
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	tb.Cleanup(func() {
		pool.Close()
		if err := dropDB(context.WithoutCancel(ctx), name); err != nil {
			tb.Errorf("dbtest: %v", err)
		}
	})
	return pool, dbURL
}

// createDB clones the template into a new database name and opens a pool on it.
func createDB(ctx context.Context, name string) (*pgxpool.Pool, string, error) {
	tmpl, err := migratedTemplate()
	if err != nil {
		return nil, "", err
	}
	err = cloneTemplate(ctx, tmpl, name)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "3D000" { // invalid_catalog_name
		// scripts/dbtest-clean.sh dropped the template under us: build it again.
		if tmpl, err = rebuildTemplate(); err == nil {
			err = cloneTemplate(ctx, tmpl, name)
		}
	}
	if err != nil {
		return nil, "", err
	}
	dbURL, err := urlFor(name)
	if err != nil {
		return nil, "", err
	}
	pool, err := openPool(ctx, dbURL)
	if err != nil {
		_ = dropDB(context.WithoutCancel(ctx), name)
		return nil, "", err
	}
	return pool, dbURL, nil
}

// migratedTemplate returns the migrated template's name, creating it once per binary.
func migratedTemplate() (string, error) {
	tmplOnce.Do(func() {
		// Not a test's context: the template outlives whichever test asked first.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		tmplName, tmplErr = ensureTemplate(ctx)
	})
	return tmplName, tmplErr
}

// rebuildTemplate runs ensureTemplate again, outside the Once.
func rebuildTemplate() (string, error) {
	rebuildMu.Lock()
	defer rebuildMu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	return ensureTemplate(ctx)
}

// ensureTemplate creates and migrates the template unless it exists. It is
// built under another name and renamed when complete, so a crashed creator
// never leaves a half-migrated template behind.
func ensureTemplate(ctx context.Context) (string, error) {
	name, err := templateName()
	if err != nil {
		return "", err
	}
	conn, err := connectAdmin(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close(context.WithoutCancel(ctx))

	if ok, err := dbExists(ctx, conn, name); err != nil || ok {
		return name, err
	}
	unlock, err := advisoryLock(ctx, conn)
	if err != nil {
		return "", err
	}
	defer unlock()
	// Another binary may have built it while we waited for the lock.
	if ok, err := dbExists(ctx, conn, name); err != nil || ok {
		return name, err
	}

	// Older templates (and builds abandoned by a crash) are garbage now.
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2`,
		strings.ReplaceAll(tmplPrefix, "_", `\_`)+"%", name)
	if err != nil {
		return "", fmt.Errorf("listing old templates: %w", err)
	}
	old, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", fmt.Errorf("listing old templates: %w", err)
	}
	for _, db := range old {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(db)+" WITH (FORCE)"); err != nil {
			return "", fmt.Errorf("dropping old template %s: %w", db, err)
		}
	}

	build := name + "_build"
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident(build)+" TEMPLATE template0"); err != nil {
		return "", fmt.Errorf("creating template %s: %w", build, err)
	}
	if err := migrate(ctx, build); err != nil {
		return "", err
	}
	if err := execRetry(ctx, conn, "ALTER DATABASE "+ident(build)+" RENAME TO "+ident(name)); err != nil {
		return "", fmt.Errorf("renaming template %s: %w", build, err)
	}
	// Nobody may connect to the template: a session on it would make every
	// CREATE DATABASE ... TEMPLATE fail.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident(name)+" ALLOW_CONNECTIONS false"); err != nil {
		return "", fmt.Errorf("locking template %s: %w", name, err)
	}
	return name, nil
}

func migrate(ctx context.Context, name string) error {
	dbURL, err := urlFor(name)
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, dbURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if _, err := dbmigrate.Up(ctx, pool, logger); err != nil {
		return fmt.Errorf("migrating template %s: %w", name, err)
	}
	return nil
}

// cloneTemplate creates database name from the template, under the advisory lock.
func cloneTemplate(ctx context.Context, tmpl, name string) error {
	conn, err := connectAdmin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	unlock, err := advisoryLock(ctx, conn)
	if err != nil {
		return err
	}
	defer unlock()
	if err := execRetry(ctx, conn, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(tmpl)); err != nil {
		return fmt.Errorf("creating database %s from %s: %w", name, tmpl, err)
	}
	return nil
}

func dropDB(ctx context.Context, name string) error {
	conn, err := connectAdmin(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("dropping database %s: %w", name, err)
	}
	return nil
}

// execRetry runs a statement that fails while another session still uses a
// database ("is being accessed by other users"), retrying a few times.
func execRetry(ctx context.Context, conn *pgx.Conn, sql string) error {
	var err error
	for attempt := range cloneRetries {
		if _, err = conn.Exec(ctx, sql); err == nil {
			return nil
		}
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "55006" { // object_in_use
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt+1) * 200 * time.Millisecond):
		}
	}
	return err
}

// advisoryLock takes the session-level lock shared by every test binary.
func advisoryLock(ctx context.Context, conn *pgx.Conn) (unlock func(), err error) {
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockKey); err != nil {
		return nil, fmt.Errorf("taking the dbtest advisory lock: %w", err)
	}
	return func() {
		// Closing the connection releases it too; this is for the rest of its life.
		_, _ = conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, lockKey)
	}, nil
}

func dbExists(ctx context.Context, conn *pgx.Conn, name string) (bool, error) {
	var ok bool
	err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("looking up database %s: %w", name, err)
	}
	return ok, nil
}

func connectAdmin(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return nil, fmt.Errorf("connecting to Postgres at %s (set TEST_DATABASE_URL, or run scripts/devdb.sh test): %w",
			redact(AdminURL()), err)
	}
	return conn, nil
}

func openPool(ctx context.Context, dbURL string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return nil, fmt.Errorf("parsing database URL %s: %w", redact(dbURL), err)
	}
	cfg.MaxConns = maxConns
	cfg.AfterConnect = dbutil.AfterConnect
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening pool on %s: %w", redact(dbURL), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connecting to %s: %w", redact(dbURL), err)
	}
	return pool, nil
}

// urlFor is AdminURL pointed at database name. AdminURL may be a URL or a
// keyword/value DSN (where a later dbname wins).
func urlFor(name string) (string, error) {
	admin := AdminURL()
	if !strings.Contains(admin, "://") {
		return admin + " dbname=" + name, nil
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", fmt.Errorf("parsing TEST_DATABASE_URL: %w", err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

func redact(s string) string {
	if u, err := url.Parse(s); err == nil && u.Scheme != "" {
		return u.Redacted()
	}
	return "(keyword/value DSN)"
}

// templateName hashes what decides the template's schema: every embedded
// migration file (name and contents) and River's version.
func templateName() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		h.Write([]byte(path))
		h.Write([]byte{0})
		h.Write(b)
		h.Write([]byte{0})
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hashing migrations: %w", err)
	}
	h.Write([]byte(riverVersion()))
	return tmplPrefix + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// riverVersion is "river-<module version>" from the binary's build info,
// falling back to the version this code was written against.
func riverVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path != riverModule {
				continue
			}
			if dep.Replace != nil && dep.Replace.Version != "" {
				return "river-" + dep.Replace.Version
			}
			if dep.Version != "" {
				return "river-" + dep.Version
			}
		}
	}
	return riverVersionFallback
}

// packageName is the test binary's name, which `go test` derives from the
// package's directory ("contacts.test").
func packageName() string {
	base := filepath.Base(os.Args[0])
	base = strings.TrimSuffix(base, ".exe")
	return strings.TrimSuffix(base, ".test")
}

// newDBName is sbtest_<sanitized pkg>_<8 random hex>, at most 63 bytes.
func newDBName(pkg string) string {
	var b [4]byte
	_, _ = rand.Read(b[:]) // never fails
	return dbPrefix + sanitize(pkg) + "_" + hex.EncodeToString(b[:])
}

// sanitize keeps [a-z0-9], turns everything else into '_' and bounds the length.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), "_")
	if len(out) > maxPkgLen {
		out = strings.TrimRight(out[:maxPkgLen], "_")
	}
	if out == "" {
		out = "pkg"
	}
	return out
}

func ident(name string) string {
	return pgx.Identifier{name}.Sanitize()
}
