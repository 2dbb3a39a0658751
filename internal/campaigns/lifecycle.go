package campaigns

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/messaging"
)

// Inserter enqueues jobs in the caller's transaction (a River client).
type Inserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertManyFastTx(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) (int, error)
}

// StartArgs is the job that materializes a campaign's recipients and
// enqueues their sends.
type StartArgs struct {
	OrgID      uuid.UUID `json:"org_id" river:"unique"`
	CampaignID uuid.UUID `json:"campaign_id" river:"unique"`
}

// Kind names the job.
func (StartArgs) Kind() string { return "campaign_start" }

// InsertOpts puts it on the campaigns queue, once per campaign at a time.
func (StartArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobqueue.QueueCampaigns, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// EmailBatchArgs is one SendGrid request's worth of a campaign's email
// recipients. The job claims its recipients when it runs (see
// ClaimEmailBatch), so that a paused campaign's jobs claim nothing and
// resume only has to enqueue enough jobs for what is still queued.
type EmailBatchArgs struct {
	OrgID      uuid.UUID `json:"org_id"`
	CampaignID uuid.UUID `json:"campaign_id"`
	// Size is how many recipients the job claims (the throttle may make
	// batches smaller than SendGrid's 1,000).
	Size int `json:"size"`
}

// Kind names the job.
func (EmailBatchArgs) Kind() string { return "campaign_email_batch" }

// ChatSendArgs is one chat recipient's send.
type ChatSendArgs struct {
	OrgID       uuid.UUID `json:"org_id"`
	CampaignID  uuid.UUID `json:"campaign_id"`
	RecipientID int64     `json:"recipient_id"`
}

// Kind names the job.
func (ChatSendArgs) Kind() string { return "campaign_chat_send" }

// EmailBatchSize is SendGrid's limit of recipients per request.
const EmailBatchSize = 1000

// ErrState refuses a transition the campaign's status does not allow.
func errState(action string, s string) error {
	return fault.New(fault.Conflict, fmt.Sprintf("a %s campaign cannot be %s", s, action))
}

// StartRequest says when to start.
type StartRequest struct {
	Now         bool   `json:"now,omitempty" doc:"Start right away, even if the campaign has a scheduled time."`
	ScheduledAt string `json:"scheduled_at,omitempty" doc:"Start at this time instead (RFC 3339, or a local time read in the organization's timezone)."`
}

// Start starts a draft campaign now, or schedules it (at req.ScheduledAt,
// else at its own scheduled_at when that is in the future). The state and
// the start job are written in one transaction.
func Start(ctx context.Context, db dbutil.Executor, jobs Inserter, orgID, id uuid.UUID, actor uuid.NullUUID, req StartRequest, now time.Time) (Campaign, error) {
	var out Campaign
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		c, err := q.LockCampaign(ctx, tx, dbsqlc.LockCampaignParams{OrgID: orgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("reading campaign: %w", err)
		}
		if c.Status != string(StatusDraft) && c.Status != string(StatusScheduled) {
			return errState("started", c.Status)
		}
		// Templates may have lost their approval, groups may be gone.
		var errs []fault.FieldError
		checkAudience(ctx, tx, orgID, audienceOf(c), &errs)
		if err := fault.Fields(errs...); err != nil {
			return err
		}
		at := c.ScheduledAt
		if req.ScheduledAt != "" {
			t, err := ParseScheduledAt(ctx, tx, orgID, req.ScheduledAt)
			if err != nil {
				return fault.Field("body.scheduled_at", err.Error(), req.ScheduledAt)
			}
			at = &t
		}
		p := dbsqlc.SetCampaignStatusParams{OrgID: orgID, ID: id, Now: now, UpdatedBy: actor,
			FromStates: []string{string(StatusDraft), string(StatusScheduled)}}
		if !req.Now && at != nil && at.After(now) {
			p.Status, p.ScheduledAt = string(StatusScheduled), at
			r, err := q.SetCampaignStatus(ctx, tx, p)
			if err != nil {
				return fmt.Errorf("scheduling campaign: %w", err)
			}
			out = campaignFrom(r)
			return nil
		}
		p.Status = string(StatusRunning)
		r, err := q.SetCampaignStatus(ctx, tx, p)
		if err != nil {
			return fmt.Errorf("starting campaign: %w", err)
		}
		if _, err := jobs.InsertTx(ctx, tx, StartArgs{OrgID: orgID, CampaignID: id}, nil); err != nil {
			return fmt.Errorf("queueing start job: %w", err)
		}
		out = campaignFrom(r)
		return nil
	})
	return out, err
}

func audienceOf(c dbsqlc.Campaign) Audience {
	a := Audience{Delivery: Delivery(c.Delivery), IncludeGroupIDs: c.IncludeGroupIds, ExcludeGroupIDs: c.ExcludeGroupIds}
	for i, ch := range c.Channels {
		a.Channels = append(a.Channels, ChannelTemplate{Channel: Channel(ch), TemplateID: c.TemplateIds[i]})
	}
	return a
}

// Pause stops new sends: send jobs find the campaign paused when they
// claim their recipients and send nothing (a send already handed to a
// provider completes).
func Pause(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, actor uuid.NullUUID, now time.Time) (Campaign, error) {
	return transition(ctx, db, orgID, id, actor, now, StatusPaused, "paused", StatusRunning)
}

// Resume sets a paused campaign running again and enqueues the sends of
// the recipients still queued; those already sent are not touched.
func Resume(ctx context.Context, db dbutil.Executor, jobs Inserter, orgID, id uuid.UUID, actor uuid.NullUUID, now time.Time) (Campaign, error) {
	var out Campaign
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		c, err := transition(ctx, tx, orgID, id, actor, now, StatusRunning, "resumed", StatusPaused)
		if err != nil {
			return err
		}
		out = c
		if c.MaterializedAt == nil {
			// The start job has not run yet: it will enqueue.
			return nil
		}
		r, err := get(ctx, tx, orgID, id)
		if err != nil {
			return err
		}
		return enqueue(ctx, tx, jobs, r, now)
	})
	return out, err
}

// Cancel ends a campaign: recipients not yet sent are cancelled (a send
// already handed to a provider completes).
func Cancel(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, actor uuid.NullUUID, now time.Time) (Campaign, error) {
	var out Campaign
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		if _, err := transition(ctx, tx, orgID, id, actor, now, StatusCancelled, "cancelled",
			StatusDraft, StatusScheduled, StatusRunning, StatusPaused); err != nil {
			return err
		}
		if _, err := dbsqlc.New().CancelQueuedRecipients(ctx, tx, dbsqlc.CancelQueuedRecipientsParams{OrgID: orgID, CampaignID: id, Now: &now}); err != nil {
			return fmt.Errorf("cancelling recipients: %w", err)
		}
		c, err := Get(ctx, tx, orgID, id)
		out = c
		return err
	})
	return out, err
}

func transition(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, actor uuid.NullUUID, now time.Time, to Status, verb string, from ...Status) (Campaign, error) {
	cur, err := get(ctx, db, orgID, id)
	if err != nil {
		return Campaign{}, err
	}
	states := make([]string, len(from))
	for i, s := range from {
		states[i] = string(s)
	}
	r, err := dbsqlc.New().SetCampaignStatus(ctx, db, dbsqlc.SetCampaignStatusParams{
		Status: string(to), Now: now, UpdatedBy: actor, OrgID: orgID, ID: id, FromStates: states,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Campaign{}, errState(verb, cur.Status)
	}
	if err != nil {
		return Campaign{}, fmt.Errorf("changing campaign status: %w", err)
	}
	return campaignFrom(r), nil
}

// chatPage is how many chat send jobs go in one COPY.
const chatPage = 5000

// enqueue inserts the send jobs of a running campaign's queued
// recipients: one email batch job per EmailBatchSize (or throttle's worth)
// of email recipients, one chat job per chat recipient on the channel's
// queue. A throttle spreads the jobs over time with ScheduledAt.
func enqueue(ctx context.Context, tx pgx.Tx, jobs Inserter, c dbsqlc.Campaign, now time.Time) error {
	q := dbsqlc.New()
	counts, err := q.QueuedRecipientCounts(ctx, tx, dbsqlc.QueuedRecipientCountsParams{OrgID: c.OrgID, CampaignID: c.ID})
	if err != nil {
		return fmt.Errorf("counting queued recipients: %w", err)
	}
	throttle := 0.0
	if c.ThrottlePerSecond.Valid {
		throttle = float64(c.ThrottlePerSecond.Int32)
	}
	at := func(k int) time.Time {
		if throttle <= 0 {
			return time.Time{}
		}
		return now.Add(time.Duration(float64(k) / throttle * float64(time.Second)))
	}
	hasChat := false
	for _, n := range counts {
		if n.Channel != string(contacts.ChannelEmail) {
			hasChat = true
			continue
		}
		size := EmailBatchSize
		if throttle > 0 && int(throttle) < size {
			size = max(int(throttle), 1)
		}
		batches := (int(n.N) + size - 1) / size
		params := make([]river.InsertManyParams, batches)
		for i := range params {
			params[i] = river.InsertManyParams{
				Args:       EmailBatchArgs{OrgID: c.OrgID, CampaignID: c.ID, Size: size},
				InsertOpts: &river.InsertOpts{Queue: jobqueue.QueueCampaigns, ScheduledAt: at(i * size), MaxAttempts: messaging.SendMaxAttempts},
			}
		}
		if len(params) > 0 {
			if _, err := jobs.InsertManyFastTx(ctx, tx, params); err != nil {
				return fmt.Errorf("queueing email batches: %w", err)
			}
		}
	}
	if !hasChat {
		return nil
	}
	var after int64
	k := 0
	for {
		rows, err := q.QueuedChatRecipients(ctx, tx, dbsqlc.QueuedChatRecipientsParams{OrgID: c.OrgID, CampaignID: c.ID, After: after, Lim: chatPage})
		if err != nil {
			return fmt.Errorf("reading queued chat recipients: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		params := make([]river.InsertManyParams, len(rows))
		for i, r := range rows {
			params[i] = river.InsertManyParams{
				Args: ChatSendArgs{OrgID: c.OrgID, CampaignID: c.ID, RecipientID: r.ID},
				InsertOpts: &river.InsertOpts{Queue: messaging.QueueOf(Channel(r.Channel)), ScheduledAt: at(k),
					MaxAttempts: messaging.SendMaxAttempts},
			}
			k++
		}
		if _, err := jobs.InsertManyFastTx(ctx, tx, params); err != nil {
			return fmt.Errorf("queueing chat sends: %w", err)
		}
		after = rows[len(rows)-1].ID
	}
}

// StartWorker materializes a started campaign's recipients (one INSERT ...
// SELECT from campaign_audience, the estimate's own definition) and
// enqueues their sends, in one transaction: a crash leaves either nothing
// (the job is retried) or everything.
type StartWorker struct {
	river.WorkerDefaults[StartArgs]
	DB dbutil.Executor
	// Jobs inserts the send jobs; nil uses the River client running the job.
	Jobs Inserter
	Now  func() time.Time
}

// Timeout leaves room for a million recipients.
func (w *StartWorker) Timeout(*river.Job[StartArgs]) time.Duration { return 15 * time.Minute }

// Work materializes and enqueues.
func (w *StartWorker) Work(ctx context.Context, job *river.Job[StartArgs]) error {
	jobs := w.Jobs
	if jobs == nil {
		jobs = river.ClientFromContext[pgx.Tx](ctx)
	}
	return Materialize(ctx, w.DB, jobs, job.Args.OrgID, job.Args.CampaignID, w.Now())
}

// Materialize is the start job's work (exported for tests and tools).
func Materialize(ctx context.Context, db dbutil.Executor, jobs Inserter, orgID, id uuid.UUID, now time.Time) error {
	return dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		c, err := q.LockCampaign(ctx, tx, dbsqlc.LockCampaignParams{OrgID: orgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil // deleted with its org
		}
		if err != nil {
			return fmt.Errorf("locking campaign: %w", err)
		}
		if c.MaterializedAt != nil || (c.Status != string(StatusRunning) && c.Status != string(StatusPaused)) {
			return nil // done before, or cancelled before it began
		}
		every := c.Delivery == string(DeliveryEveryChannel)
		pch, pkeys, pmicros, currency, err := recipientPrices(ctx, tx, orgID, dbsqlc.EstimateAudienceParams{
			OrgID: orgID, IncludeGroupIds: c.IncludeGroupIds, ExcludeGroupIds: c.ExcludeGroupIds, Channels: c.Channels, Every: every,
		})
		if err != nil {
			return err
		}
		n, err := q.MaterializeRecipients(ctx, tx, dbsqlc.MaterializeRecipientsParams{
			OrgID: orgID, CampaignID: id, Now: now, IncludeGroupIds: c.IncludeGroupIds, ExcludeGroupIds: c.ExcludeGroupIds,
			Channels: c.Channels, Every: every, PriceChannels: pch, PriceKeys: pkeys, PriceMicros: pmicros,
		})
		if err != nil {
			return fmt.Errorf("materializing recipients: %w", err)
		}
		c, err = q.SetMaterialized(ctx, tx, dbsqlc.SetMaterializedParams{OrgID: orgID, ID: id, N: int32(n), Now: now, Currency: currency})
		if err != nil {
			return fmt.Errorf("recording recipients: %w", err)
		}
		if c.Status != string(StatusRunning) {
			return nil // paused meanwhile: resume enqueues
		}
		return enqueue(ctx, tx, jobs, c, now)
	})
}
