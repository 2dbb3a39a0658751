package messaging

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// finisher records send results in batches. A result waits for its
// batch's commit, so a job completes only once its result is durable;
// concurrent jobs share that commit instead of each making its own.
// Batches form by themselves: while one is written, the next results
// queue.
//
// The commit does not wait for its flush to disk, yet the result is
// durable before its job is: River records the job's completion after
// Work returns, in a later transaction whose commit does wait, and the
// log is flushed in order, so flushing that commit flushes this one. A
// crash in between loses both, and the rescued job finds the message
// still sending and sends it again, as after a crash mid-call. Not
// waiting for the disk here keeps the worker slots, which all wait on
// this write, from idling through a flush per batch.
type finisher struct {
	db     dbutil.Executor
	notify func(ctx context.Context, tx dbutil.Executor, orgID, conversationID uuid.UUID) error
	logger zerolog.Logger
	once   sync.Once
	reqs   chan finishReq
}

type finishReq struct {
	orgID, id         uuid.UUID
	providerMessageID string
	at                time.Time
	latency           time.Duration
	status            int
	done              chan error
}

// maxFinishBatch bounds one statement.
const maxFinishBatch = 500

// finishWriters is how many batches may be written at once. One writer
// makes every send wait behind the batch in flight, and on a busy
// database a write's wall time, not its work, then paces the whole
// channel; a few writers overlap those waits. Results queued while all
// are busy still form one batch.
const finishWriters = 4

// finish records one result and returns once it is committed.
func (f *finisher) finish(ctx context.Context, r finishReq) error {
	f.once.Do(func() {
		f.reqs = make(chan finishReq, 4*maxFinishBatch)
		for range finishWriters {
			go f.run()
		}
	})
	r.done = make(chan error, 1)
	select {
	case f.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (f *finisher) run() {
	for first := range f.reqs {
		batch := []finishReq{first}
	collect:
		for len(batch) < maxFinishBatch {
			select {
			case r := <-f.reqs:
				batch = append(batch, r)
			default:
				break collect
			}
		}
		err := f.write(batch)
		for _, r := range batch {
			r.done <- err
		}
	}
}

func (f *finisher) write(batch []finishReq) error {
	// The jobs wait on this write; it has its own deadline, not theirs.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := dbsqlc.FinishSentManyParams{
		OrgIds: make([]uuid.UUID, len(batch)), Ids: make([]uuid.UUID, len(batch)),
		ProviderMessageIds: make([]string, len(batch)), Ats: make([]time.Time, len(batch)),
		LatenciesMs: make([]int32, len(batch)), HttpStatuses: make([]int32, len(batch)),
	}
	for i, r := range batch {
		p.OrgIds[i], p.Ids[i], p.ProviderMessageIds[i], p.Ats[i] = r.orgID, r.id, r.providerMessageID, r.at
		p.LatenciesMs[i], p.HttpStatuses[i] = int32(r.latency.Milliseconds()), int32(r.status)
	}
	rows, err := dbsqlc.New().FinishSentMany(ctx, f.db, p)
	if err != nil {
		return fmt.Errorf("recording sent messages: %w", err)
	}
	if f.notify == nil {
		return nil
	}
	// Live conversation views hear of it after the commit; a lost notice
	// only delays a view until its next poll.
	for _, r := range rows {
		if r.ConversationID.Valid {
			if err := f.notify(ctx, f.db, r.OrgID, r.ConversationID.UUID); err != nil {
				f.logger.Warn().Err(err).Msg("notifying conversation listeners")
			}
		}
	}
	return nil
}
