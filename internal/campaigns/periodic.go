package campaigns

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/notifications"
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
	released, err := ReleaseOrphans(ctx, w.DB, jobs, now)
	if err != nil {
		return err
	}
	done, err := CompleteDone(ctx, w.DB, now)
	if err != nil {
		return err
	}
	if started+released+done > 0 {
		w.Logger.Info().Int("started", started).Int("released", released).Int("completed", done).Msg("campaign tick")
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

// ReleaseOrphans is the sweep that lets every campaign complete: the
// recipients of running campaigns left in sending by a job that is gone
// (discarded after its last attempt, cancelled, or deleted) go back to
// queued, and new send jobs are queued for them in the same transaction:
// an email batch job per EmailBatchSize of them, a chat job each. Without
// it such a recipient would hold its campaign running forever. It returns
// how many recipients it released.
func ReleaseOrphans(ctx context.Context, db dbutil.Executor, jobs Inserter, now time.Time) (int, error) {
	q := dbsqlc.New()
	running, err := q.RunningCampaigns(ctx, db)
	if err != nil {
		return 0, fmt.Errorf("reading running campaigns: %w", err)
	}
	n := 0
	for _, c := range running {
		released, err := releaseOrphans(ctx, db, jobs, c.OrgID, c.ID, now)
		n += released
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// releaseOrphans sweeps one campaign (see ReleaseOrphans).
func releaseOrphans(ctx context.Context, db dbutil.Executor, jobs Inserter, orgID, campaignID uuid.UUID, now time.Time) (int, error) {
	released := 0
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		rows, err := dbsqlc.New().ReleaseOrphanedRecipients(ctx, tx, dbsqlc.ReleaseOrphanedRecipientsParams{OrgID: orgID, CampaignID: campaignID, Now: now})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		emails := 0
		var params []river.InsertManyParams
		for _, r := range rows {
			if r.Channel == string(contacts.ChannelEmail) {
				emails++
				continue
			}
			params = append(params, river.InsertManyParams{
				Args:       ChatSendArgs{OrgID: orgID, CampaignID: campaignID, RecipientID: r.ID},
				InsertOpts: &river.InsertOpts{Queue: messaging.QueueOf(Channel(r.Channel)), MaxAttempts: messaging.SendMaxAttempts},
			})
		}
		for k := 0; k < emails; k += EmailBatchSize {
			params = append(params, river.InsertManyParams{
				Args:       EmailBatchArgs{OrgID: orgID, CampaignID: campaignID, Size: EmailBatchSize},
				InsertOpts: &river.InsertOpts{Queue: jobqueue.QueueCampaigns, MaxAttempts: messaging.SendMaxAttempts},
			})
		}
		if _, err := jobs.InsertManyFastTx(ctx, tx, params); err != nil {
			return fmt.Errorf("queueing send jobs: %w", err)
		}
		released = len(rows)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("releasing orphaned recipients of campaign %s: %w", campaignID, err)
	}
	return released, nil
}

// CompleteDone completes every running campaign that is done (see
// CompleteIfDone): one cheap probe each of the recipients still in play.
// A campaign completes and its creator is told (completionNotice) in one
// transaction, so the notification exists exactly when the completion does.
func CompleteDone(ctx context.Context, db dbutil.Executor, now time.Time) (int, error) {
	q := dbsqlc.New()
	running, err := q.RunningCampaigns(ctx, db)
	if err != nil {
		return 0, fmt.Errorf("reading running campaigns: %w", err)
	}
	n := 0
	for _, c := range running {
		done := false
		err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
			row, err := q.CompleteIfDone(ctx, tx, dbsqlc.CompleteIfDoneParams{OrgID: c.OrgID, ID: c.ID, Now: &now})
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			done = true
			if !row.CreatedBy.Valid {
				return nil // the creator's account is gone: nobody to tell
			}
			_, err = notifications.Create(ctx, tx, completionNotice(row), now)
			if errors.Is(err, notifications.ErrNotMember) {
				return nil // the creator left the org since
			}
			if err != nil {
				return fmt.Errorf("notifying its creator: %w", err)
			}
			return nil
		})
		if err != nil {
			return n, fmt.Errorf("completing campaign %s: %w", c.ID, err)
		}
		if done {
			n++
		}
	}
	return n, nil
}

// completionNotice tells a completed campaign's creator its headline
// figures: how many were sent and how they ended.
func completionNotice(c dbsqlc.Campaign) notifications.Params {
	// Opened counts emails, read counts chat messages: both show when both
	// channels were used.
	seen := thousands(c.OpenedCount) + " opened"
	if c.ReadCount > 0 {
		seen += ", " + thousands(c.ReadCount) + " read"
	}
	body := fmt.Sprintf("%s of %s recipients sent: %s delivered, %s, %s clicked, %s bounced, %s failed.",
		thousands(c.SentCount), thousands(c.TargetedCount), thousands(c.DeliveredCount),
		seen, thousands(c.ClickedCount), thousands(c.BouncedCount), thousands(c.FailedCount))
	if c.CancelledCount > 0 {
		body += fmt.Sprintf(" %s cancelled.", thousands(c.CancelledCount))
	}
	return notifications.Params{
		OrgID: c.OrgID, UserID: c.CreatedBy.UUID,
		Kind:  "campaign.completed",
		Title: fmt.Sprintf("Campaign %q completed", c.Name),
		Body:  body,
		Link:  "/messaging/campaigns/" + c.ID.String(),
	}
}

// thousands writes n with comma separators (1,204,000), as the app shows counts.
func thousands(n int32) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
