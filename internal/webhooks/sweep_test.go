package webhooks

import (
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/messaging"
)

// processJob is a processing job as River stored it.
type processJob struct {
	ID          int64
	State       string
	Queue       string
	MaxAttempts int
}

// jobsOf lists the processing jobs of a call, oldest first.
func (b *testBundle) jobsOf(t *testing.T, requestID uuid.UUID) []processJob {
	t.Helper()
	rows, err := b.tx.Query(b.ctx, `SELECT id, state::text, queue, max_attempts FROM river_job
		WHERE kind = 'webhook_process' AND args ->> 'request_id' = $1 ORDER BY id`, requestID.String())
	require.NoError(t, err)
	jobs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[processJob])
	require.NoError(t, err)
	return jobs
}

// giveUp ends a call's processing jobs as River does after their last
// attempt (or as a cancel from River UI does, with state cancelled).
func (b *testBundle) giveUp(t *testing.T, requestID uuid.UUID, state string) {
	t.Helper()
	_, err := b.tx.Exec(b.ctx, `UPDATE river_job SET state = $2::river_job_state,
		finalized_at = CASE WHEN $2 IN ('cancelled', 'completed', 'discarded') THEN now() END
		WHERE kind = 'webhook_process' AND args ->> 'request_id' = $1`, requestID.String(), state)
	require.NoError(t, err)
}

// sweep runs a sweep at now, as the periodic job does.
func (b *testBundle) sweep(t *testing.T, now time.Time) SweepResult {
	t.Helper()
	res, err := Sweep(b.ctx, b.tx, insertOnly(t), now)
	require.NoError(t, err)
	return res
}

// The sweep takes a transaction-level advisory lock, held in these tests
// until the test's transaction is rolled back: the scenarios run one after
// the other (their test runs in parallel with the package's others, none
// of which sweeps).
func TestSweep(t *testing.T) {
	t.Parallel()
	later := func(b *testBundle) time.Time { return b.now.Add(SweepGrace + time.Minute) }

	t.Run("RequeuesWhatItsJobGaveUpOn", func(t *testing.T) {
		b := setup(t)
		a := b.a.org.ID
		sid := "SM00000000000000000000000000000091"
		m := b.message(t, a, "whatsapp", "+14155550190", sid, b.now.Add(-time.Hour))
		res := b.postTwilio(t, b.a, channels.PurposeStatus, twilioStatus(sid, "delivered", "+14155550190"), twilioToken, "")
		require.Equal(t, http.StatusOK, res.status, res.body)
		req := b.lastRequest(t, a).ID
		require.Len(t, b.jobsOf(t, req), 1)

		// While its job is alive (waiting, or retrying), the call is left alone.
		require.Equal(t, SweepResult{}, b.sweep(t, later(b)))
		b.giveUp(t, req, "retryable")
		require.Equal(t, SweepResult{}, b.sweep(t, later(b)))

		// Discarded: too early still, then queued again.
		b.giveUp(t, req, "discarded")
		require.Equal(t, SweepResult{}, b.sweep(t, b.now.Add(SweepGrace-time.Minute)), "within the grace period")
		require.Equal(t, SweepResult{Requeued: 1}, b.sweep(t, later(b)))
		jobs := b.jobsOf(t, req)
		require.Len(t, jobs, 2)
		require.Equal(t, processJob{ID: jobs[1].ID, State: "available", Queue: jobqueue.QueueWebhooks, MaxAttempts: SweepJobMaxAttempts}, jobs[1])
		require.Equal(t, 1, b.lastRequest(t, a).Retries)

		// The new job is alive: a second sweep queues nothing more.
		require.Equal(t, SweepResult{}, b.sweep(t, later(b)))
		require.Len(t, b.jobsOf(t, req), 2)

		require.NoError(t, b.process(t, nil, a, req))
		require.Equal(t, messaging.StatusDelivered, b.get(t, a, m.ID).Status)
		require.Empty(t, b.pending(t, a, req))

		// Processed: nothing to sweep, even with every job gone.
		_, err := b.tx.Exec(b.ctx, `DELETE FROM river_job WHERE kind = 'webhook_process' AND args ->> 'request_id' = $1`, req.String())
		require.NoError(t, err)
		require.Equal(t, SweepResult{}, b.sweep(t, later(b).Add(time.Hour)))
	})

	t.Run("LeavesProcessedEventsAlone", func(t *testing.T) {
		b := setup(t)
		a := b.a.org.ID
		sid := "SM00000000000000000000000000000092"
		m := b.message(t, a, "whatsapp", "+14155550191", sid, b.now.Add(-time.Hour))
		require.Equal(t, http.StatusOK, b.postTwilio(t, b.a, channels.PurposeStatus, twilioStatus(sid, "read", "+14155550191"), twilioToken, "").status)
		req := b.lastRequest(t, a).ID
		require.NoError(t, b.process(t, nil, a, req))
		before := b.get(t, a, m.ID)
		require.Equal(t, messaging.StatusRead, before.Status)

		// Its job is cancelled afterwards (River UI): nothing is pending.
		b.giveUp(t, req, "cancelled")
		require.Equal(t, SweepResult{}, b.sweep(t, later(b)))
		require.Len(t, b.jobsOf(t, req), 2, "the receiver's job and the test's run of it; none added")
		call := b.lastRequest(t, a)
		require.Zero(t, call.Retries)
		require.Zero(t, call.FailedEvents)
		require.Equal(t, before.Events, b.get(t, a, m.ID).Events)
	})

	t.Run("GivesUpAfterTheCap", func(t *testing.T) {
		b := setup(t)
		a := b.a.org.ID
		rcv := &fakeReceiver{fail: errors.New("database on fire")}
		require.Equal(t, http.StatusOK, b.postTelegram(t, b.a, b.a.tgSecret, tgUpdate(91, 42, 91, "hello")).status)
		req := b.lastRequest(t, a).ID
		// An event of another call, healthy, in the same sweeps.
		require.Equal(t, http.StatusOK, b.postTelegram(t, b.a, b.a.tgSecret, tgUpdate(92, 42, 92, "fine")).status)
		healthy := b.lastRequest(t, a).ID

		at := later(b)
		for i := range SweepMaxRetries {
			require.ErrorContains(t, b.process(t, b.worker(rcv), a, req), "database on fire")
			b.giveUp(t, req, "discarded")
			res := b.sweep(t, at)
			require.Equal(t, SweepResult{Requeued: 1}, res, "sweep %d", i+1)
			require.Len(t, b.jobsOf(t, req), 2+2*i+1, "one more job per sweep")
			require.Equal(t, i+1, b.log(t, a, LogParams{})[1].Retries)
			at = at.Add(SweepInterval)
		}
		require.ErrorContains(t, b.process(t, b.worker(rcv), a, req), "database on fire")
		b.giveUp(t, req, "discarded")
		jobs := len(b.jobsOf(t, req))

		require.Equal(t, SweepResult{Failed: 1}, b.sweep(t, at))
		require.Len(t, b.jobsOf(t, req), jobs, "no job is queued once the sweep gives up")
		require.Empty(t, b.pending(t, a, req), "failed events are no longer pending")
		require.Len(t, b.pending(t, a, healthy), 1, "another call's events are untouched")

		var failedAt *time.Time
		var msg string
		require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT failed_at, error FROM webhook_events WHERE org_id = $1 AND request_id = $2`, a, req).Scan(&failedAt, &msg))
		require.NotNil(t, failedAt)
		require.Equal(t, at, failedAt.UTC())
		require.Contains(t, msg, "gave up after 3 retries by the sweep: ")
		require.Contains(t, msg, "database on fire", "with the error its processing noted")

		// The log shows the call's failed event with its error.
		log := b.log(t, a, LogParams{})
		require.Equal(t, req, log[1].ID)
		require.Equal(t, SweepMaxRetries, log[1].Retries)
		require.Equal(t, 1, log[1].FailedEvents)
		require.Len(t, log[1].Failures, 1)
		require.Equal(t, eventMessage, log[1].Failures[0].Kind)
		require.Equal(t, msg, log[1].Failures[0].Error)
		require.Zero(t, log[0].FailedEvents)
		require.Equal(t, []EventFailure{}, log[0].Failures)
		raw, err := json.Marshal(log[1])
		require.NoError(t, err)
		require.Contains(t, string(raw), `"failed_events":1`)

		// Given up on for good: later sweeps leave it.
		require.Equal(t, SweepResult{}, b.sweep(t, at.Add(time.Hour)))
		require.Equal(t, 1, b.log(t, a, LogParams{})[1].FailedEvents)
	})

	t.Run("BoundedAndRegistered", func(t *testing.T) {
		b := setup(t)
		a := b.a.org.ID
		var reqs []uuid.UUID
		for i := range sweepBatch + 5 {
			require.Equal(t, http.StatusOK, b.postTelegram(t, b.a, b.a.tgSecret, tgUpdate(int64(1000+i), 43, int64(1000+i), "x")).status)
			reqs = append(reqs, b.lastRequest(t, a).ID)
		}
		for _, r := range reqs {
			b.giveUp(t, r, "discarded")
		}
		// The worker, as River runs it, queues one batch.
		w := &SweepWorker{DB: b.tx, Now: func() time.Time { return later(b) }}
		_, err := rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{}, w).Work(b.ctx, t, b.tx, SweepArgs{}, nil)
		require.NoError(t, err)
		var queued int
		require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT count(*) FROM river_job WHERE kind = 'webhook_process' AND state = 'available'`).Scan(&queued))
		require.Equal(t, sweepBatch, queued)
		// The oldest first; the rest at the next run.
		for _, r := range reqs[:sweepBatch] {
			require.Len(t, b.jobsOf(t, r), 2)
		}
		require.Equal(t, SweepResult{Requeued: 5}, b.sweep(t, later(b)))
	})
}
