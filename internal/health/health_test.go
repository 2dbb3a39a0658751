package health

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/stretchr/testify/require"
)

func TestHealth(t *testing.T) {
	t.Parallel()

	type response struct {
		status      int
		contentType string
		body        map[string]any
	}

	setup := func(t *testing.T, check func(ctx context.Context) error) *fiber.App {
		t.Helper()
		app := fiber.New()
		Register(app, check)
		return app
	}

	get := func(t *testing.T, app *fiber.App, path string) response {
		t.Helper()
		resp, err := app.Test(httptest.NewRequest("GET", path, nil), int((5 * time.Second).Milliseconds()))
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		var body map[string]any
		require.NoError(t, json.Unmarshal(raw, &body), "body: %s", raw)
		require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
		return response{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: body}
	}

	t.Run("HealthzIgnoresCheck", func(t *testing.T) {
		t.Parallel()
		app := setup(t, func(context.Context) error { return errors.New("database unreachable") })

		r := get(t, app, "/healthz")
		require.Equal(t, 200, r.status)
		require.Equal(t, map[string]any{"status": "ok"}, r.body)
	})

	t.Run("Ready", func(t *testing.T) {
		t.Parallel()
		var deadline time.Time
		app := setup(t, func(ctx context.Context) error {
			deadline, _ = ctx.Deadline()
			return nil
		})

		r := get(t, app, "/readyz")
		require.Equal(t, 200, r.status)
		require.Equal(t, map[string]any{"status": "ready"}, r.body)
		require.WithinDuration(t, time.Now().Add(CheckTimeout), deadline, time.Second, "check gets a bounded context")
	})

	t.Run("NotReady", func(t *testing.T) {
		t.Parallel()
		app := setup(t, func(context.Context) error { return errors.New("migrations behind") })

		r := get(t, app, "/readyz")
		require.Equal(t, 503, r.status)
		require.Equal(t, "application/problem+json", r.contentType)
		require.Equal(t, "migrations behind", r.body["detail"])
		require.EqualValues(t, 503, r.body["status"])
		require.Equal(t, "Service Unavailable", r.body["title"])
	})

	t.Run("CheckHonouringContextTimesOut", func(t *testing.T) {
		t.Parallel()
		app := setup(t, func(ctx context.Context) error {
			<-ctx.Done()
			return ctx.Err()
		})

		start := time.Now()
		r := get(t, app, "/readyz")
		require.Equal(t, 503, r.status)
		require.Contains(t, r.body["detail"], "timed out")
		require.Less(t, time.Since(start), CheckTimeout+time.Second)
	})

	t.Run("CheckIgnoringContextIsAbandoned", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		t.Cleanup(func() { close(release) })
		app := setup(t, func(context.Context) error {
			<-release
			return nil
		})

		start := time.Now()
		r := get(t, app, "/readyz")
		require.Equal(t, 503, r.status)
		require.Contains(t, r.body["detail"], "timed out")
		require.Less(t, time.Since(start), CheckTimeout+time.Second)
	})
}
