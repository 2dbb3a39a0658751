// Package ratelimit implements token buckets stored in Postgres, so that a
// limit holds across any number of API replicas and worker processes. A take
// is one INSERT ... ON CONFLICT DO UPDATE ... RETURNING: no read-modify-write.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// Limit is a bucket's shape: Burst tokens at most, refilled at Rate per second.
type Limit struct {
	Rate  float64
	Burst float64
}

// PerWindow is a limit of n events per window, all of which may come at once.
func PerWindow(n int, window time.Duration) Limit {
	return Limit{Rate: float64(n) / window.Seconds(), Burst: float64(n)}
}

// Result of a take.
type Result struct {
	Allowed bool
	// RetryAfter is how long until the cost is available, when not Allowed.
	RetryAfter time.Duration
}

// Take takes cost tokens from the bucket named key, creating it full.
func Take(ctx context.Context, db dbutil.Executor, key string, limit Limit, cost float64, now time.Time) (Result, error) {
	if cost > limit.Burst {
		// The bucket can never hold that many; an insert would go negative.
		return Result{Allowed: false, RetryAfter: time.Hour}, nil
	}
	q := dbsqlc.New()
	_, err := q.TakeRateLimitToken(ctx, db, dbsqlc.TakeRateLimitTokenParams{
		Key: key, Burst: limit.Burst, Cost: cost, Now: now, Rate: limit.Rate,
	})
	if err == nil {
		return Result{Allowed: true}, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return Result{}, fmt.Errorf("taking rate limit token %q: %w", key, err)
	}
	tokens, err := q.PeekRateLimitTokens(ctx, db, dbsqlc.PeekRateLimitTokensParams{
		Burst: limit.Burst, Now: now, Rate: limit.Rate, Key: key,
	})
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Result{}, fmt.Errorf("reading rate limit bucket %q: %w", key, err)
	}
	wait := time.Second
	if limit.Rate > 0 {
		wait = time.Duration(math.Ceil((cost-tokens)/limit.Rate*1000)) * time.Millisecond
	}
	return Result{Allowed: false, RetryAfter: max(wait, time.Millisecond)}, nil
}

// PurgeIdle deletes buckets untouched since before; a missing bucket is a full one.
func PurgeIdle(ctx context.Context, db dbutil.Executor, before time.Time) (int64, error) {
	return dbsqlc.New().DeleteIdleRateLimitBuckets(ctx, db, before)
}

// Reservation is the answer of Reserve.
type Reservation struct {
	// OK: a slot is reserved; act after Wait.
	OK   bool
	Wait time.Duration
	// RetryAfter, when not OK, is how long until a slot within maxWait
	// could be had.
	RetryAfter time.Duration
}

// Reserve paces events at limit.Rate per second across every process:
// it reserves the next free slot of the key (GCRA, the scheduling form of
// a token bucket, allowing limit.Burst events at once) when that slot is
// at most maxWait away. The caller waits Wait, then acts. Unlike Take,
// waiting callers queue for slots instead of polling for tokens, so a
// saturated limit is used at its full rate and none of it is lost to
// callers that gave up.
func Reserve(ctx context.Context, db dbutil.Executor, key string, limit Limit, maxWait time.Duration, now time.Time) (Reservation, error) {
	slots, res, err := reserve(ctx, db, key, limit, 1, maxWait, now)
	if err != nil || !res.OK {
		return res, err
	}
	return Reservation{OK: true, Wait: max(slots[0].Sub(now), 0)}, nil
}

// Slot is a limit's arithmetic for a statement that reserves one slot of
// a key as ReserveRateLimitSlot does (with one slot), folded into other
// work so that the reservation costs no round trip of its own.
type Slot struct {
	limit   Limit
	maxWait time.Duration
	// IntervalS is the time between slots and HorizonS how far ahead of
	// now the key's arrival time may be for a reservation to be taken,
	// both in seconds: the statement's parameters.
	IntervalS, HorizonS float64
}

// Slot returns the arithmetic of reserving one slot at most maxWait away.
// The rate must be positive.
func (l Limit) Slot(maxWait time.Duration) Slot {
	interval := l.interval()
	return Slot{limit: l, maxWait: maxWait, IntervalS: interval.Seconds(), HorizonS: (l.tolerance(interval) + maxWait).Seconds()}
}

// Answer reads the statement's outcome: reserved is the key's arrival time
// after the slot it took, nil when it took none; current is the arrival
// time that refused it (nil: the key has no row).
func (s Slot) Answer(reserved, current *time.Time, now time.Time) Reservation {
	interval := s.limit.interval()
	tolerance := s.limit.tolerance(interval)
	if reserved != nil {
		return Reservation{OK: true, Wait: max(reserved.Add(-interval-tolerance).Sub(now), 0)}
	}
	var tat time.Time
	if current != nil {
		tat = *current
	}
	return Reservation{RetryAfter: max(tat.Sub(now)-tolerance-s.maxWait, time.Millisecond)}
}

func (l Limit) interval() time.Duration { return time.Duration(float64(time.Second) / l.Rate) }

// tolerance is how far the arrival time may run ahead of now before anyone
// waits: Burst slots may be taken at once.
func (l Limit) tolerance(interval time.Duration) time.Duration {
	return time.Duration(max(l.Burst-1, 0)) * interval
}

// reserve reserves n consecutive slots and returns when each may be used.
func reserve(ctx context.Context, db dbutil.Executor, key string, limit Limit, n int, maxWait time.Duration, now time.Time) ([]time.Time, Reservation, error) {
	if limit.Rate <= 0 {
		return nil, Reservation{}, fmt.Errorf("rate limit %q: rate must be positive", key)
	}
	interval := limit.interval()
	tolerance := limit.tolerance(interval)
	q := dbsqlc.New()
	tat, err := q.ReserveRateLimitSlot(ctx, db, dbsqlc.ReserveRateLimitSlotParams{
		Key: key, Now: now, IntervalS: interval.Seconds(), Slots: int32(n), HorizonS: (tolerance + maxWait).Seconds(),
	})
	if err == nil {
		slots := make([]time.Time, n)
		first := tat.Add(-time.Duration(n) * interval)
		for i := range slots {
			slots[i] = first.Add(time.Duration(i)*interval - tolerance)
		}
		return slots, Reservation{OK: true}, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, Reservation{}, fmt.Errorf("reserving rate limit slot %q: %w", key, err)
	}
	tat, err = q.PeekRateLimitSlot(ctx, db, key)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, Reservation{}, fmt.Errorf("reading rate limit slot %q: %w", key, err)
	}
	return nil, Reservation{RetryAfter: max(tat.Sub(now)-tolerance-maxWait, time.Millisecond)}, nil
}

// Pacer hands out a process's share of paced limits. A busy limit
// (hundreds of events a second) would otherwise have every event of every
// process update the limit's one row, and the row's lock would pace the
// events instead of the limit: the Pacer reserves the slots of the next
// few milliseconds in one statement and gives them out locally. Slots a
// process reserved but could not use in time are lost, at most one
// batch's worth; a slow limit is reserved one slot at a time as by
// Reserve.
type Pacer struct {
	// Batch is how much of a limit's time one reservation covers.
	Batch time.Duration
	mu    sync.Mutex
	keys  map[string][]time.Time
}

// NewPacer makes a Pacer reserving batch-long stretches of slots.
func NewPacer(batch time.Duration) *Pacer {
	return &Pacer{Batch: batch, keys: map[string][]time.Time{}}
}

// Reserve is Reserve through the process's local share of the key's slots.
func (p *Pacer) Reserve(ctx context.Context, db dbutil.Executor, key string, limit Limit, maxWait time.Duration, now time.Time) (Reservation, error) {
	n := int(limit.Rate * p.Batch.Seconds())
	if n <= 1 {
		return Reserve(ctx, db, key, limit, maxWait, now)
	}
	// The lock is held across the database call on purpose: the callers
	// of one key queue here, in the process, instead of on the row.
	p.mu.Lock()
	defer p.mu.Unlock()
	slots := p.keys[key]
	// A slot whose time passed more than a batch ago was not used in time;
	// the limit has moved on.
	for len(slots) > 0 && now.Sub(slots[0]) > p.Batch {
		slots = slots[1:]
	}
	if len(slots) == 0 {
		var res Reservation
		// A reservation lost in a crash only leaves a few slots unused:
		// the commit need not wait for the disk, which keeps the limit's
		// row locked for the shortest time.
		err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit TO off"); err != nil {
				return err
			}
			var err error
			slots, res, err = reserve(ctx, tx, key, limit, n, maxWait, now)
			return err
		})
		if err != nil || !res.OK {
			return res, err
		}
	}
	slot := slots[0]
	p.keys[key] = slots[1:]
	if len(p.keys[key]) == 0 {
		delete(p.keys, key)
	}
	return Reservation{OK: true, Wait: max(slot.Sub(now), 0)}, nil
}
