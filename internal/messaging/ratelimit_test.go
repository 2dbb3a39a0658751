package messaging

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/ratelimit"
	"github.com/switchboard/switchboard/internal/sandbox"
	"github.com/switchboard/switchboard/internal/storage"
	"github.com/switchboard/switchboard/internal/suppression"
	"github.com/switchboard/switchboard/internal/testfactory"
)

// TestRateLimitHeldAcrossProcesses runs three worker clients (as three
// worker processes would) against one org's Telegram bucket of 20/s and
// counts what the provider receives in 5 seconds: 100 ± 5, not three times
// as many.
func TestRateLimitHeldAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, dbURL := dbtest.NewDB(t)
	// Like a worker process, a pool with a connection per worker (the
	// default pool of 4 would pace the jobs itself on a small machine).
	pool, err := dbutil.OpenPool(ctx, dbURL, 40)
	require.NoError(t, err)
	t.Cleanup(pool.Close)

	sb := sandbox.New(sandbox.Options{Logger: zerolog.Nop(), Seed: 1})
	t.Cleanup(sb.Close)
	srv := httptest.NewServer(http.StripPrefix("/sandbox", sb.Handler()))
	t.Cleanup(srv.Close)

	org, owner := testfactory.Org(ctx, t, pool, nil)
	store, err := channels.NewStore(secret)
	require.NoError(t, err)
	_, err = store.Put(ctx, pool, org.ID, channels.ChannelTelegram, channels.SandboxParams(channels.ChannelTelegram, uuid.NullUUID{}), time.Now())
	require.NoError(t, err)
	_, err = pool.Exec(ctx, `UPDATE channel_settings SET rate_per_second = 20 WHERE org_id = $1 AND channel = 'telegram'`, org.ID)
	require.NoError(t, err)

	st, err := storage.NewDisk(t.TempDir())
	require.NoError(t, err)
	cfg := &config.Config{ProviderTimeout: 10 * time.Second}
	cfg.Providers.Telegram = srv.URL + "/sandbox/telegram"
	newWorkers := func() *river.Workers {
		w := river.NewWorkers()
		river.AddWorker(w, &SendWorker{
			DB: pool, Senders: Senders(store, NewProviders(cfg), srv.URL), Storage: st,
			Tokens: suppression.NewTokens(secret), PublicBaseURL: srv.URL,
			Pacer: ratelimit.NewPacer(50 * time.Millisecond),
			Now:   time.Now, Logger: zerolog.Nop(),
		})
		return w
	}

	// Queue more than 5 seconds' worth, each to its own chat so that
	// Telegram's per-chat limit stays out of the way.
	inserter, err := jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: newWorkers()})
	require.NoError(t, err)
	sends := &Sends{DB: pool, Jobs: inserter, Tokens: suppression.NewTokens(secret), PublicBaseURL: srv.URL, Now: time.Now}
	for i := range 200 {
		_, _, err := sends.Send(ctx, org.ID, Actor{UserID: uuid.NullUUID{UUID: owner.ID, Valid: true}},
			SendRequest{Channel: "telegram", To: fmt.Sprint(1000 + i), Body: "load"}, "")
		require.NoError(t, err)
	}

	for range 3 {
		c, err := jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: newWorkers(), Queues: map[string]int{jobqueue.QueueTelegram: 10}})
		require.NoError(t, err)
		require.NoError(t, c.Start(ctx))
		t.Cleanup(func() {
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = c.Stop(stopCtx)
		})
	}

	// Count the sends the provider saw in the 5 seconds after its first.
	var times []time.Time
	require.Eventually(t, func() bool {
		times = sandboxSendTimes(t, srv.URL)
		return len(times) > 0 && time.Since(times[0]) > 5500*time.Millisecond
	}, 30*time.Second, 100*time.Millisecond)
	window := times[0].Add(5 * time.Second)
	n := 0
	for _, at := range times {
		if at.Before(window) {
			n++
		}
	}
	t.Logf("sends in the first 5 s: %d", n)
	require.InDelta(t, 100, n, 5)
}

func sandboxSendTimes(t *testing.T, base string) []time.Time {
	t.Helper()
	resp, err := http.Get(base + "/sandbox/_api/messages?provider=telegram&limit=10000")
	require.NoError(t, err)
	defer resp.Body.Close()
	var out struct {
		Messages []struct {
			At time.Time `json:"at"`
		} `json:"messages"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	times := make([]time.Time, len(out.Messages))
	for i, m := range out.Messages {
		times[i] = m.At
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	return times
}
