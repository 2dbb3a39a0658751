package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/jobqueue"
)

// system is the whole of Switchboard as make run starts it, on its own
// database: the API with the sandbox mounted, the workers, the scheduler
// (periodic jobs and River's maintenance) and the seeded demo org, whose
// owner is logged in.
type system struct {
	base  string
	pool  *pgxpool.Pool
	token string
	// call sends a JSON request to the API and decodes a 2xx answer into out.
	call func(method, path, token string, body any, out any) int
}

func startSystem(t *testing.T) *system {
	t.Helper()
	ctx := context.Background()
	pool, _ := dbtest.NewDB(t)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	env := map[string]string{
		"DATABASE_URL": "postgres://unused", "DATA_DIR": t.TempDir(), "SANDBOX": "1", "PUBLIC_BASE_URL": base,
		"JWT_SECRET":  "test-secret-test-secret-test-secret!",
		"SECRETS_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	d := Deps{Config: cfg, Pool: pool, Logger: zerolog.Nop(), Now: time.Now}
	require.NoError(t, Seed(ctx, pool, cfg))

	runCtx, stop := context.WithCancel(ctx)
	api, err := NewAPI(d)
	require.NoError(t, err)
	require.NoError(t, api.Start(runCtx))
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = api.Serve(runCtx, ln)
	}()
	// As under make run, the API listens before the worker starts (the
	// seed queued connection tests that call the API's sandbox).
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond)
	workers, err := Workers(d)
	require.NoError(t, err)
	worker, err := jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: workers, Queues: cfg.WorkerConcurrency})
	require.NoError(t, err)
	require.NoError(t, worker.Start(runCtx))
	// As cmd/scheduler: the elected leader inserts the periodic jobs and
	// runs River's maintenance (snoozed and retried jobs come back).
	sched, err := jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: workers,
		Queues: map[string]int{jobqueue.QueueScheduler: 1}, PeriodicJobs: PeriodicJobs(), LeaderElection: true})
	require.NoError(t, err)
	require.NoError(t, sched.Start(runCtx))
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = sched.Stop(stopCtx)
		_ = worker.Stop(stopCtx)
		stop()
		<-served
	})

	call := func(method, path, token string, body any, out any) int {
		t.Helper()
		var rd io.Reader
		if body != nil {
			j, err := json.Marshal(body)
			require.NoError(t, err)
			rd = bytes.NewReader(j)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		if out != nil && resp.StatusCode < 300 {
			require.NoErrorf(t, json.Unmarshal(raw, out), "%s", raw)
		}
		return resp.StatusCode
	}
	var login struct {
		AccessToken string `json:"access_token"`
	}
	require.Equal(t, http.StatusOK, call("POST", "/api/v1/auth/login", "", map[string]string{"email": DemoEmail, "password": DemoPassword}, &login))
	return &system{base: base, pool: pool, call: call, token: login.AccessToken}

}
