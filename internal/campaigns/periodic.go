package campaigns

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/jobqueue"
)

// TickInterval is how often the scheduler starts due campaigns and
// completes finished ones: a scheduled campaign starts within this of its
// time.
const TickInterval = 15 * time.Second

// TickArgs is the periodic job that starts due scheduled campaigns and
// completes running ones that are done.
type TickArgs struct{}

// Kind names the job.
func (TickArgs) Kind() string { return "campaign_tick" }

// InsertOpts puts it on the campaigns queue.
func (TickArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobqueue.QueueCampaigns}
}

// TickWorker runs TickArgs.
type TickWorker struct {
	river.WorkerDefaults[TickArgs]
	DB dbutil.Executor
	// Jobs inserts start jobs; nil uses the River client running the job.
	Jobs   Inserter
	Now    func() time.Time
	Logger zerolog.Logger
}

// Work starts and completes.
func (w *TickWorker) Work(ctx context.Context, _ *river.Job[TickArgs]) error {
	jobs := w.Jobs
	if jobs == nil {
		jobs = river.ClientFromContext[pgx.Tx](ctx)
	}
	now := w.Now()
	started, err := StartDue(ctx, w.DB, jobs, now)
	if err != nil {
		return err
	}
	done, err := CompleteDone(ctx, w.DB, now)
	if err != nil {
		return err
	}
	if started+done > 0 {
		w.Logger.Info().Int("started", started).Int("completed", done).Msg("campaign tick")
	}
	return nil
}

// StartDue starts the scheduled campaigns whose time has come: each is set
// running with its start job in one transaction, claimed with SKIP LOCKED
// so that concurrent ticks never start one twice.
func StartDue(ctx context.Context, db dbutil.Executor, jobs Inserter, now time.Time) (int, error) {
	n := 0
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		due, err := q.DueScheduledCampaigns(ctx, tx, dbsqlc.DueScheduledCampaignsParams{Now: &now, Lim: 100})
		if err != nil {
			return fmt.Errorf("reading due campaigns: %w", err)
		}
		for _, c := range due {
			if _, err := q.SetCampaignStatus(ctx, tx, dbsqlc.SetCampaignStatusParams{
				Status: string(StatusRunning), Now: now, OrgID: c.OrgID, ID: c.ID, FromStates: []string{string(StatusScheduled)},
			}); err != nil {
				return fmt.Errorf("starting campaign %s: %w", c.ID, err)
			}
			if _, err := jobs.InsertTx(ctx, tx, StartArgs{OrgID: c.OrgID, CampaignID: c.ID}, nil); err != nil {
				return fmt.Errorf("queueing start of campaign %s: %w", c.ID, err)
			}
			n++
		}
		return nil
	})
	return n, err
}

// CompleteDone completes every running campaign that is done (see
// CompleteIfDone): one cheap probe each of the recipients still in play.
func CompleteDone(ctx context.Context, db dbutil.Executor, now time.Time) (int, error) {
	q := dbsqlc.New()
	running, err := q.RunningCampaigns(ctx, db)
	if err != nil {
		return 0, fmt.Errorf("reading running campaigns: %w", err)
	}
	n := 0
	for _, c := range running {
		_, err := q.CompleteIfDone(ctx, db, dbsqlc.CompleteIfDoneParams{OrgID: c.OrgID, ID: c.ID, Now: &now})
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("completing campaign %s: %w", c.ID, err)
		}
		n++
	}
	return n, nil
}
