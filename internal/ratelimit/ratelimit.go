// Package ratelimit implements token buckets stored in Postgres, so that a
// limit holds across any number of API replicas and worker processes. A take
// is one INSERT ... ON CONFLICT DO UPDATE ... RETURNING: no read-modify-write.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
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
