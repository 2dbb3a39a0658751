package metrics

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http/httptest"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/stretchr/testify/require"
)

// testDatabase creates an empty database of its own on the server named by
// TEST_DATABASE_URL (or the local default) and drops it when the test ends.
// Its own database, rather than a rolled-back transaction, because the
// collector counts river_job through the pool, outside any test transaction.
// An unreachable server fails the test: it must never pass by skipping.
func testDatabase(ctx context.Context, t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := os.Getenv("TEST_DATABASE_URL")
	if url == "" {
		url = "postgres://postgres@127.0.0.1:5432/postgres"
	}
	admin, err := pgx.Connect(ctx, url)
	require.NoError(t, err, "connecting to the test Postgres (set TEST_DATABASE_URL)")
	t.Cleanup(func() { _ = admin.Close(context.WithoutCancel(ctx)) })

	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "metrics_test_" + hex.EncodeToString(b)
	ident := pgx.Identifier{name}.Sanitize()
	_, err = admin.Exec(ctx, "CREATE DATABASE "+ident)
	require.NoError(t, err)

	cfg, err := pgxpool.ParseConfig(url)
	require.NoError(t, err)
	cfg.ConnConfig.Database = name
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	require.NoError(t, err)
	// Cleanups run last-registered first: close the pool, then drop.
	t.Cleanup(func() {
		_, err := admin.Exec(context.WithoutCancel(ctx), "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
		require.NoError(t, err)
	})
	t.Cleanup(pool.Close)
	return pool
}

// scrape returns the exposition text m.Handler serves.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	app := fiber.New()
	app.Get("/metrics", m.Handler())
	resp, err := app.Test(httptest.NewRequest("GET", "/metrics", nil), -1)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return string(body)
}

type testArgs struct{}

func (testArgs) Kind() string { return "metrics_test" }

func TestRiverJobs(t *testing.T) {
	t.Parallel()

	ctx := t.Context()

	type testBundle struct {
		pool   *pgxpool.Pool
		client *river.Client[pgx.Tx]
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		pool := testDatabase(ctx, t)
		migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
		require.NoError(t, err)
		_, err = migrator.Migrate(ctx, rivermigrate.DirectionUp, nil)
		require.NoError(t, err)
		// No queues and no workers: an insert-only client, as in cmd/api.
		client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
		require.NoError(t, err)
		return &testBundle{pool: pool, client: client}
	}

	insert := func(t *testing.T, b *testBundle, n int) {
		t.Helper()
		for range n {
			_, err := b.client.Insert(ctx, testArgs{}, nil)
			require.NoError(t, err)
		}
	}

	t.Run("CountsByQueueAndState", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		insert(t, b, 2)
		_, err := b.client.Insert(ctx, testArgs{}, &river.InsertOpts{ScheduledAt: time.Now().Add(time.Hour)})
		require.NoError(t, err)

		text := scrape(t, New(b.pool))
		require.Contains(t, text, `river_jobs{queue="default",state="available"} 2`+"\n")
		require.Contains(t, text, `river_jobs{queue="default",state="scheduled"} 1`+"\n")
		// States with no jobs read 0 rather than vanishing.
		require.Contains(t, text, `river_jobs{queue="default",state="running"} 0`+"\n")
		require.Contains(t, text, "river_jobs_scrape_errors_total 0\n")
		require.Contains(t, text, "db_pool_max_conns ")
		require.Contains(t, text, "db_pool_acquires_total ")
		require.Contains(t, text, "go_goroutines ")
	})

	t.Run("CachesBetweenScrapes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		insert(t, b, 2)

		m := New(b.pool)
		var now atomic.Int64
		now.Store(time.Now().UnixNano())
		m.river.now = func() time.Time { return time.Unix(0, now.Load()) }

		require.Contains(t, scrape(t, m), `river_jobs{queue="default",state="available"} 2`+"\n")
		insert(t, b, 1)
		require.Contains(t, scrape(t, m), `river_jobs{queue="default",state="available"} 2`+"\n",
			"a scrape within the TTL reuses the last count")
		now.Add(int64(riverJobsTTL))
		require.Contains(t, scrape(t, m), `river_jobs{queue="default",state="available"} 3`+"\n")
	})

	t.Run("ErrorDoesNotFailScrape", func(t *testing.T) {
		t.Parallel()
		// A database without River's tables makes the count fail.
		pool := testDatabase(ctx, t)

		text := scrape(t, New(pool))
		require.NotContains(t, text, "river_jobs{")
		require.Contains(t, text, "river_jobs_scrape_errors_total 1\n")
		require.Contains(t, text, "db_pool_total_conns ")
		require.Contains(t, text, "go_goroutines ")
	})
}

func TestNewWithoutPool(t *testing.T) {
	t.Parallel()

	text := scrape(t, New(nil))
	require.Contains(t, text, "go_goroutines ")
	require.Contains(t, text, "process_")
	require.NotContains(t, text, "river_jobs")
	require.NotContains(t, text, "db_pool_")
}

func TestMiddleware(t *testing.T) {
	t.Parallel()

	setup := func(t *testing.T) (*fiber.App, *Metrics) {
		t.Helper()
		m := New(nil)
		app := fiber.New()
		app.Use(m.Middleware())
		app.Get("/things/:id", func(c *fiber.Ctx) error {
			return c.SendString("thing " + c.Params("id"))
		})
		app.Get("/broken", func(c *fiber.Ctx) error {
			return fiber.NewError(fiber.StatusTeapot, "no coffee")
		})
		api := app.Group("/api", func(c *fiber.Ctx) error {
			if c.Get("Authorization") == "" {
				return c.SendStatus(fiber.StatusUnauthorized)
			}
			return c.Next()
		})
		api.Get("/me", func(c *fiber.Ctx) error { return c.SendString("me") })
		app.Get("/missing/:id", func(c *fiber.Ctx) error { return fiber.ErrNotFound })
		return app, m
	}

	do := func(t *testing.T, app *fiber.App, method, target string) int {
		t.Helper()
		resp, err := app.Test(httptest.NewRequest(method, target, nil), -1)
		require.NoError(t, err)
		_ = resp.Body.Close()
		return resp.StatusCode
	}

	t.Run("MatchedRoute", func(t *testing.T) {
		t.Parallel()
		app, m := setup(t)
		require.Equal(t, 200, do(t, app, "GET", "/things/42"))

		text := scrape(t, m)
		require.Contains(t, text, `http_requests_total{method="GET",route="/things/:id",status="200"} 1`+"\n")
		require.Contains(t, text, `http_request_duration_seconds_count{method="GET",route="/things/:id"} 1`+"\n")
		require.Contains(t, text, "http_requests_in_flight 0\n")
		require.NotContains(t, text, "/things/42")
	})

	t.Run("Unmatched", func(t *testing.T) {
		t.Parallel()
		app, m := setup(t)
		require.Equal(t, 404, do(t, app, "GET", "/nope/1"))
		require.Equal(t, 404, do(t, app, "GET", "/nope/2"))
		require.Equal(t, 405, do(t, app, "POST", "/things/1"))

		text := scrape(t, m)
		require.Contains(t, text, `http_requests_total{method="GET",route="unmatched",status="404"} 2`+"\n")
		require.Contains(t, text, `http_requests_total{method="POST",route="unmatched",status="405"} 1`+"\n")
		require.NotContains(t, text, "/nope")
	})

	t.Run("HandlerNotFoundKeepsRoute", func(t *testing.T) {
		t.Parallel()
		app, m := setup(t)
		require.Equal(t, 404, do(t, app, "GET", "/missing/7"))

		require.Contains(t, scrape(t, m), `http_requests_total{method="GET",route="/missing/:id",status="404"} 1`+"\n")
	})

	t.Run("ErrorStatusIsTheOneSent", func(t *testing.T) {
		t.Parallel()
		app, m := setup(t)
		require.Equal(t, fiber.StatusTeapot, do(t, app, "GET", "/broken"))

		require.Contains(t, scrape(t, m), `http_requests_total{method="GET",route="/broken",status="418"} 1`+"\n")
	})

	t.Run("MiddlewareAnswering", func(t *testing.T) {
		t.Parallel()
		app, m := setup(t)
		require.Equal(t, 401, do(t, app, "GET", "/api/me"))

		// The group middleware answered: labelled with its prefix, not the URL.
		require.Contains(t, scrape(t, m), `http_requests_total{method="GET",route="/api",status="401"} 1`+"\n")
	})
}
