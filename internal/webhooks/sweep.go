package webhooks

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/jobqueue"
)

// The sweep: an accepted event is processed by the job inserted with it,
// but that job can end without processing it (discarded after its last
// attempt, cancelled from River UI, or its row deleted). The sweep finds
// such events and queues their processing again, a few times, then gives
// up on them: they are marked failed with their error, and the webhook log
// shows them. Processing is idempotent (events are locked and skipped once
// processed; statuses only move forward), so a second run of a call's
// events is harmless.
const (
	// SweepInterval is how often the scheduler enqueues a sweep.
	SweepInterval = 5 * time.Minute
	// SweepGrace is how old an unprocessed event must be before the sweep
	// looks at it: its first job normally processes it within seconds.
	SweepGrace = 15 * time.Minute
	// SweepMaxRetries is how many times the sweep queues an event again
	// before giving up on it.
	SweepMaxRetries = 3
	// SweepJobMaxAttempts bounds each job the sweep queues: the event's
	// first job already backed off for hours (ProcessMaxAttempts), so a
	// retry is a short second chance, not another long wait.
	SweepJobMaxAttempts = 3
	// sweepBatch caps the calls one sweep queues: a backlog (say, after
	// the workers were down and the jobs were cancelled) is worked off
	// over several runs instead of flooding the webhooks queue at once.
	sweepBatch = 100
	// sweepScan caps the unprocessed events one sweep reads, oldest first.
	// Events whose job is still alive (retrying, or waiting in a queue
	// backed up) are read and passed over; with this cap a large backlog
	// of them costs a bounded scan, at the price of looking past them only
	// once they are done.
	sweepScan = 5000
)

// SweepArgs is the periodic sweep job.
type SweepArgs struct{}

// Kind names the job.
func (SweepArgs) Kind() string { return "webhook_sweep" }

// InsertOpts keeps at most one sweep waiting.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobqueue.QueueDefault, UniqueOpts: river.UniqueOpts{ByPeriod: SweepInterval}}
}

// ManyInserter enqueues jobs in the caller's transaction (a River client).
type ManyInserter interface {
	InsertManyTx(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) ([]*rivertype.JobInsertResult, error)
}

// SweepWorker runs the sweep with the River client that works it.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	DB  dbutil.Executor
	Now func() time.Time
}

// Work runs one sweep.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	res, err := Sweep(ctx, w.DB, river.ClientFromContext[pgx.Tx](ctx), w.Now())
	if err != nil {
		return err
	}
	if res.Requeued > 0 || res.Failed > 0 {
		zerolog.Ctx(ctx).Warn().Int("calls_requeued", res.Requeued).Int("events_failed", res.Failed).
			Msg("webhook sweep: events left unprocessed by their job")
	}
	return nil
}

// SweepResult is what a sweep did.
type SweepResult struct {
	// Requeued is the number of calls whose processing was queued again.
	Requeued int
	// Failed is the number of events given up on.
	Failed int
}

// sweepCandidatesSQL finds the calls with events unprocessed since $1 and
// no live processing job, oldest first. It is the one statement here
// outside queries/: sqlc reads only migrations/, and River's tables come
// from rivermigrate (internal/metrics reads river_job the same way).
//
// The live jobs are read as a set (the index on river_job's state finds
// the unfinished ones; there are few unless a queue is backed up) and
// anti-joined, rather than looking each call's jobs up by args: the GIN
// index on args matches the key "request_id" in every job before it
// narrows to the value, about 15 ms a call with 100k jobs in the table.
// EXPLAIN ANALYZE, 200k events (20k unprocessed), 100k webhook_process
// jobs: 16 ms with 100 of them live, 113 ms with all 100k live (a seq
// scan of river_job), against 2.6 s (1.5 s of it JIT) for the per-call
// GIN lookup. The unprocessed events come from the partial index
// webhook_events_unprocessed_idx: no new index is needed.
const sweepCandidatesSQL = `
WITH stale AS (
    SELECT e.org_id, e.request_id, min(e.received_at) AS received_at
    FROM (SELECT org_id, request_id, received_at FROM webhook_events
          WHERE processed_at IS NULL AND received_at < $1
          ORDER BY received_at
          LIMIT $2) e
    GROUP BY e.org_id, e.request_id
), live AS (
    SELECT j.args ->> 'request_id' AS request_id FROM river_job j
    WHERE j.state IN ('available', 'pending', 'retryable', 'running', 'scheduled') AND j.kind = $3
)
SELECT s.org_id, s.request_id
FROM stale s
WHERE NOT EXISTS (SELECT 1 FROM live l WHERE l.request_id = s.request_id::text)
ORDER BY s.received_at, s.request_id
LIMIT $4`

// Sweep queues processing again for the calls whose events were left
// unprocessed by their job, and gives up on the events already retried
// SweepMaxRetries times. One transaction: the bookkeeping and the jobs
// commit together, so a crash between them neither loses a retry nor
// counts one that was never queued; an advisory lock keeps two sweeps from
// overlapping.
func Sweep(ctx context.Context, db dbutil.Executor, jobs ManyInserter, now time.Time) (SweepResult, error) {
	var res SweepResult
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		res = SweepResult{}
		q := dbsqlc.New()
		locked, err := q.TryLockWebhookSweep(ctx, tx)
		if err != nil {
			return fmt.Errorf("locking the webhook sweep: %w", err)
		}
		if !locked {
			zerolog.Ctx(ctx).Info().Msg("webhook sweep: another sweep is running")
			return nil
		}
		rows, err := tx.Query(ctx, sweepCandidatesSQL, now.Add(-SweepGrace), sweepScan, ProcessArgs{}.Kind(), sweepBatch)
		if err != nil {
			return fmt.Errorf("finding unprocessed webhook events: %w", err)
		}
		var p dbsqlc.SweepWebhookRequestsParams
		for rows.Next() {
			var orgID, requestID uuid.UUID
			if err := rows.Scan(&orgID, &requestID); err != nil {
				rows.Close()
				return fmt.Errorf("reading unprocessed webhook events: %w", err)
			}
			p.OrgIds, p.RequestIds = append(p.OrgIds, orgID), append(p.RequestIds, requestID)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("finding unprocessed webhook events: %w", err)
		}
		if len(p.RequestIds) == 0 {
			return nil
		}
		p.MaxSweeps, p.Now = SweepMaxRetries, now
		calls, err := q.SweepWebhookRequests(ctx, tx, p)
		if err != nil {
			return fmt.Errorf("recording the webhook sweep: %w", err)
		}
		var params []river.InsertManyParams
		for _, c := range calls {
			res.Failed += int(c.Failed)
			if c.Requeue {
				params = append(params, river.InsertManyParams{
					Args:       ProcessArgs{OrgID: c.OrgID, RequestID: c.RequestID},
					InsertOpts: &river.InsertOpts{Queue: jobqueue.QueueWebhooks, MaxAttempts: SweepJobMaxAttempts},
				})
			}
		}
		if len(params) == 0 {
			return nil
		}
		if _, err := jobs.InsertManyTx(ctx, tx, params); err != nil {
			return fmt.Errorf("queueing webhook processing again: %w", err)
		}
		res.Requeued = len(params)
		return nil
	})
	if err != nil {
		return SweepResult{}, err
	}
	return res, nil
}
