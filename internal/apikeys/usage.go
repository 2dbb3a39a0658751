package apikeys

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// UsageRecorder counts requests per key and day in memory and folds them
// into Postgres in one statement per flush, so an API request costs no write.
// A crash loses at most one interval of counts, which only feed the usage
// chart and "last used".
type UsageRecorder struct {
	db     dbutil.Executor
	logger zerolog.Logger

	mu      sync.Mutex
	pending map[usageKey]*usageCount
}

type usageKey struct {
	keyID uuid.UUID
	day   time.Time
}

type usageCount struct {
	n    int64
	last time.Time
}

// NewUsageRecorder returns a recorder writing to db.
func NewUsageRecorder(db dbutil.Executor, logger zerolog.Logger) *UsageRecorder {
	return &UsageRecorder{db: db, logger: logger, pending: map[usageKey]*usageCount{}}
}

// Record counts one request of key at t.
func (r *UsageRecorder) Record(keyID uuid.UUID, t time.Time) {
	k := usageKey{keyID: keyID, day: t.UTC().Truncate(24 * time.Hour)}
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.pending[k]
	if c == nil {
		c = &usageCount{}
		r.pending[k] = c
	}
	c.n++
	if t.After(c.last) {
		c.last = t
	}
}

// Flush writes the pending counts. On failure they are kept for the next flush.
func (r *UsageRecorder) Flush(ctx context.Context) error {
	r.mu.Lock()
	batch := r.pending
	r.pending = map[usageKey]*usageCount{}
	r.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	p := dbsqlc.RecordAPIKeyUsageParams{}
	for k, c := range batch {
		p.KeyIds = append(p.KeyIds, k.keyID)
		p.Days = append(p.Days, k.day)
		p.Counts = append(p.Counts, c.n)
		p.LastUsed = append(p.LastUsed, c.last)
	}
	if err := dbsqlc.New().RecordAPIKeyUsage(ctx, r.db, p); err != nil {
		r.mu.Lock()
		for k, c := range batch {
			if cur := r.pending[k]; cur != nil {
				cur.n += c.n
				cur.last = maxTime(cur.last, c.last)
			} else {
				r.pending[k] = c
			}
		}
		r.mu.Unlock()
		return err
	}
	return nil
}

// Run flushes every interval until ctx ends, then once more.
func (r *UsageRecorder) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := r.Flush(fctx); err != nil {
				r.logger.Warn().Err(err).Msg("flushing API key usage at shutdown")
			}
			cancel()
			return
		case <-t.C:
			if err := r.Flush(ctx); err != nil {
				r.logger.Warn().Err(err).Msg("flushing API key usage")
			}
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
