// Package retention deletes what has outlived its use: expired sessions,
// SSO login states, unaccepted invitations, idle rate-limit buckets, and the
// messaging logs past their age (idempotency keys, unmatched webhook calls,
// provider calls). Later domains add their log retention here.
package retention

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/orgs"
	"github.com/switchboard/switchboard/internal/ratelimit"
)

// PurgeArgs is the periodic purge job.
type PurgeArgs struct{}

// Kind names the job.
func (PurgeArgs) Kind() string { return "retention_purge" }

// InsertOpts keeps at most one purge waiting.
func (PurgeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobqueue.QueueDefault, UniqueOpts: river.UniqueOpts{ByPeriod: 10 * time.Minute}}
}

// Interval is how often the scheduler enqueues a purge.
const Interval = time.Hour

// idleBucketAge: a bucket untouched this long is full again for every
// limit we use, so deleting it changes nothing.
const idleBucketAge = 24 * time.Hour

// PurgeWorker runs the purge.
type PurgeWorker struct {
	river.WorkerDefaults[PurgeArgs]
	DB  dbutil.Executor
	Now func() time.Time
}

// Work deletes each kind of expired row.
func (w *PurgeWorker) Work(ctx context.Context, _ *river.Job[PurgeArgs]) error {
	now := w.Now()
	sessions, err := auth.PurgeExpired(ctx, w.DB, now)
	if err != nil {
		return err
	}
	invitations, err := orgs.PurgeExpiredInvitations(ctx, w.DB, now)
	if err != nil {
		return err
	}
	imports, err := contacts.PurgeAbandonedImports(ctx, w.DB, now.Add(-contacts.AbandonedImportAge))
	if err != nil {
		return err
	}
	buckets, err := ratelimit.PurgeIdle(ctx, w.DB, now.Add(-idleBucketAge))
	if err != nil {
		return fmt.Errorf("purging rate limit buckets: %w", err)
	}
	messagingRows, err := messaging.PurgeExpired(ctx, w.DB, now)
	if err != nil {
		return err
	}
	zerolog.Ctx(ctx).Info().Int64("sessions", sessions).Int64("invitations", invitations).Int64("buckets", buckets).Int64("imports", imports).Int64("messaging", messagingRows).Msg("purged expired rows")
	return nil
}
