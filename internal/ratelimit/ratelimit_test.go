package ratelimit_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/ratelimit"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestPerWindow(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		n      int
		window time.Duration
		want   ratelimit.Limit
	}{
		{"PerMinute", 60, time.Minute, ratelimit.Limit{Rate: 1, Burst: 60}},
		{"PerSecond", 5, time.Second, ratelimit.Limit{Rate: 5, Burst: 5}},
		{"PerQuarterHour", 10, 15 * time.Minute, ratelimit.Limit{Rate: 10.0 / 900, Burst: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := ratelimit.PerWindow(tt.n, tt.window)
			require.InDelta(t, tt.want.Rate, got.Rate, 1e-12)
			require.InDelta(t, tt.want.Burst, got.Burst, 0)
		})
	}
}

func TestTake(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		ctx context.Context
		tx  pgx.Tx
		now time.Time
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{
			ctx: t.Context(),
			tx:  dbtest.TestTx(t),
			now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		}
	}

	// take prefixes key with the test's name: a bucket row written by one
	// test's open transaction would otherwise make the others wait for it.
	take := func(t *testing.T, b *testBundle, key string, limit ratelimit.Limit, cost float64, at time.Time) ratelimit.Result {
		t.Helper()
		res, err := ratelimit.Take(b.ctx, b.tx, t.Name()+":"+key, limit, cost, at)
		require.NoError(t, err)
		return res
	}

	// 3 at once, one more per second.
	limit := ratelimit.Limit{Rate: 1, Burst: 3}

	t.Run("BurstThenRefuse", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		for i := range 3 {
			require.Equal(t, ratelimit.Result{Allowed: true}, take(t, b, "k", limit, 1, b.now), "take %d", i)
		}
		res := take(t, b, "k", limit, 1, b.now)
		require.False(t, res.Allowed)
		require.Equal(t, time.Second, res.RetryAfter, "one token comes back in a second")
	})

	t.Run("RetryAfterShrinksWithTime", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		for range 3 {
			take(t, b, "k", limit, 1, b.now)
		}
		res := take(t, b, "k", limit, 1, b.now.Add(400*time.Millisecond))
		require.False(t, res.Allowed)
		require.Equal(t, 600*time.Millisecond, res.RetryAfter)

		res = take(t, b, "k", limit, 2, b.now.Add(400*time.Millisecond))
		require.False(t, res.Allowed)
		require.Equal(t, 1600*time.Millisecond, res.RetryAfter, "a cost of 2 waits for both tokens")
	})

	t.Run("Refills", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		for range 3 {
			take(t, b, "k", limit, 1, b.now)
		}
		require.False(t, take(t, b, "k", limit, 1, b.now).Allowed)

		later := b.now.Add(time.Second)
		require.True(t, take(t, b, "k", limit, 1, later).Allowed, "one token after a second")
		require.False(t, take(t, b, "k", limit, 1, later).Allowed, "and only one")

		later = later.Add(2 * time.Second)
		require.True(t, take(t, b, "k", limit, 2, later).Allowed, "two tokens after two more seconds")
		require.False(t, take(t, b, "k", limit, 1, later).Allowed)
	})

	t.Run("RefillCappedAtBurst", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		take(t, b, "k", limit, 1, b.now)
		later := b.now.Add(time.Hour)
		for i := range 3 {
			require.True(t, take(t, b, "k", limit, 1, later).Allowed, "take %d", i)
		}
		require.False(t, take(t, b, "k", limit, 1, later).Allowed, "an idle hour refills to Burst, not beyond")
	})

	t.Run("ClockGoingBackwardsAddsNothing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		for range 3 {
			take(t, b, "k", limit, 1, b.now)
		}
		require.False(t, take(t, b, "k", limit, 1, b.now.Add(-time.Minute)).Allowed)
		// A late caller does not move the bucket's clock back either.
		require.True(t, take(t, b, "k", limit, 1, b.now.Add(time.Second)).Allowed)
	})

	t.Run("SeparateKeys", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		for range 3 {
			require.True(t, take(t, b, "login:ip:10.0.0.1", limit, 1, b.now).Allowed)
		}
		require.False(t, take(t, b, "login:ip:10.0.0.1", limit, 1, b.now).Allowed)
		require.True(t, take(t, b, "login:ip:10.0.0.2", limit, 1, b.now).Allowed, "another key has its own bucket")
		require.True(t, take(t, b, "login:email:ada@example.com", limit, 1, b.now).Allowed)
	})

	t.Run("ZeroRate", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		never := ratelimit.Limit{Rate: 0, Burst: 1}
		require.True(t, take(t, b, "k", never, 1, b.now).Allowed)
		res := take(t, b, "k", never, 1, b.now.Add(24*time.Hour))
		require.False(t, res.Allowed, "no refill at rate 0")
		require.Positive(t, res.RetryAfter)
	})

	t.Run("CostAboveBurstNeverAllowed", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		// A full bucket holds Burst tokens: a larger cost can never be
		// paid, whether or not the bucket exists yet.
		require.False(t, take(t, b, "fresh", limit, 5, b.now).Allowed, "fresh bucket")

		take(t, b, "existing", limit, 1, b.now)
		require.False(t, take(t, b, "existing", limit, 5, b.now.Add(time.Hour)).Allowed, "existing bucket")
	})
}

func TestTakeConcurrent(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.NewDB(t)
	ctx := t.Context()

	const (
		goroutines = 20
		takesEach  = 5
		burst      = 30
	)
	limit := ratelimit.Limit{Rate: 1e-9, Burst: burst}
	now := time.Now()

	var allowed, refused atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*takesEach)
	for range goroutines {
		wg.Go(func() {
			for range takesEach {
				res, err := ratelimit.Take(ctx, pool, "concurrent", limit, 1, now)
				if err != nil {
					errs <- err
					return
				}
				if res.Allowed {
					allowed.Add(1)
				} else {
					refused.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Equal(t, int64(burst), allowed.Load())
	require.Equal(t, int64(goroutines*takesEach-burst), refused.Load())

	var tokens float64
	require.NoError(t, pool.QueryRow(ctx, `SELECT tokens FROM rate_limit_buckets WHERE key = 'concurrent'`).Scan(&tokens))
	require.InDelta(t, 0, tokens, 1e-6)
}

func TestPurgeIdle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tx := dbtest.TestTx(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	limit := ratelimit.Limit{Rate: 1, Burst: 3}

	for i, at := range []time.Time{now.Add(-2 * time.Hour), now.Add(-90 * time.Minute), now.Add(-time.Minute)} {
		_, err := ratelimit.Take(ctx, tx, fmt.Sprintf("purge:%d", i), limit, 1, at)
		require.NoError(t, err)
	}

	n, err := ratelimit.PurgeIdle(ctx, tx, now.Add(-time.Hour))
	require.NoError(t, err)
	require.Equal(t, int64(2), n)

	rows, err := tx.Query(ctx, `SELECT key FROM rate_limit_buckets WHERE key LIKE 'purge:%' ORDER BY key`)
	require.NoError(t, err)
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	require.Equal(t, []string{"purge:2"}, keys)

	// A purged bucket comes back full.
	for range 3 {
		res, err := ratelimit.Take(ctx, tx, "purge:0", limit, 1, now)
		require.NoError(t, err)
		require.True(t, res.Allowed)
	}
}

func TestReserve(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tx := dbtest.TestTx(t)
	key := "reserve:" + t.Name()
	limit := ratelimit.Limit{Rate: 10, Burst: 2}
	now := time.Unix(1_800_000_000, 0)

	// Two at once (the burst), then one every 100 ms.
	var waits []time.Duration
	for range 5 {
		r, err := ratelimit.Reserve(ctx, tx, key, limit, 250*time.Millisecond, now)
		require.NoError(t, err)
		if !r.OK {
			require.Equal(t, 50*time.Millisecond, r.RetryAfter.Round(time.Millisecond))
			break
		}
		waits = append(waits, r.Wait.Round(time.Millisecond))
	}
	require.Equal(t, []time.Duration{0, 0, 100 * time.Millisecond, 200 * time.Millisecond}, waits)

	// Later, the slots have passed: no wait again.
	r, err := ratelimit.Reserve(ctx, tx, key, limit, 0, now.Add(time.Second))
	require.NoError(t, err)
	require.True(t, r.OK)
	require.Zero(t, r.Wait)
}

// Slot reads a reservation made by another statement as Reserve reads
// its own: the same limit, the same arrival times, the same answers.
func TestSlotAnswersLikeReserve(t *testing.T) {
	t.Parallel()
	limit := ratelimit.Limit{Rate: 10, Burst: 2}
	now := time.Unix(1_800_000_000, 0)
	slot := limit.Slot(250 * time.Millisecond)
	require.InDelta(t, 0.1, slot.IntervalS, 1e-9)
	require.InDelta(t, 0.35, slot.HorizonS, 1e-9, "the burst's tolerance plus the wait")

	// The arrival times TestReserve's reservations leave behind: the
	// first two slots at once, then one every 100 ms.
	var waits []time.Duration
	for i := 1; i <= 4; i++ {
		tat := now.Add(time.Duration(i) * 100 * time.Millisecond)
		r := slot.Answer(&tat, nil, now)
		require.True(t, r.OK)
		waits = append(waits, r.Wait.Round(time.Millisecond))
	}
	require.Equal(t, []time.Duration{0, 0, 100 * time.Millisecond, 200 * time.Millisecond}, waits)

	current := now.Add(400 * time.Millisecond)
	r := slot.Answer(nil, &current, now)
	require.False(t, r.OK)
	require.Equal(t, 50*time.Millisecond, r.RetryAfter.Round(time.Millisecond))
}

func TestPacerSharesSlotsAcrossProcesses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tx := dbtest.TestTx(t)
	key := "pacer:" + t.Name()
	limit := ratelimit.Limit{Rate: 1000, Burst: 1}
	now := time.Unix(1_800_000_000, 0)
	// Two processes, each with its own Pacer, interleaving.
	a, b := ratelimit.NewPacer(10*time.Millisecond), ratelimit.NewPacer(10*time.Millisecond)
	seen := map[time.Duration]bool{}
	for i := range 40 {
		p := a
		if i%3 == 0 {
			p = b
		}
		r, err := p.Reserve(ctx, tx, key, limit, time.Second, now)
		require.NoError(t, err)
		require.True(t, r.OK)
		require.False(t, seen[r.Wait], "slot %v given twice", r.Wait)
		seen[r.Wait] = true
	}
	// 40 distinct 1 ms slots, none further out than the batches reserved.
	for w := range seen {
		require.Less(t, w, 60*time.Millisecond)
	}
}
