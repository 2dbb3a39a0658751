package campaigns

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/suppression"
	"github.com/switchboard/switchboard/internal/templates"
)

// MessageSender runs messaging's send job on one outbound message (a
// *messaging.SendWorker): the org's channel rate, Telegram's per-chat
// limit, retries and the message status machine all apply.
type MessageSender interface {
	Work(ctx context.Context, job *river.Job[messaging.SendArgs]) error
}

// ChatSendWorker sends one chat recipient: it claims the recipient and
// writes its outbound message in one transaction, then delivers the
// message through the messaging send path and copies the outcome to the
// recipient.
type ChatSendWorker struct {
	river.WorkerDefaults[ChatSendArgs]
	DB            dbutil.Executor
	Messages      MessageSender
	Tokens        *suppression.Tokens
	PublicBaseURL string
	Now           func() time.Time
}

// Timeout is the messaging send job's.
func (w *ChatSendWorker) Timeout(*river.Job[ChatSendArgs]) time.Duration { return 2 * time.Minute }

// Work claims (or, on a retry, finds) the recipient's message and sends it.
func (w *ChatSendWorker) Work(ctx context.Context, job *river.Job[ChatSendArgs]) error {
	a := job.Args
	msgID, err := w.claim(ctx, a, job.ID)
	if err != nil || msgID == uuid.Nil {
		return err
	}
	// The send job's attempt and limits are this job's: a retry of this
	// job is a retry of the send.
	sendErr := w.Messages.Work(ctx, &river.Job[messaging.SendArgs]{
		JobRow: job.JobRow, Args: messaging.SendArgs{OrgID: a.OrgID, MessageID: msgID},
	})
	if sendErr != nil {
		// A snooze (rate limit, slot too far off) or a retryable error:
		// the recipient stays sending with its message; the next run
		// sends that same message.
		return sendErr
	}
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return w.copyOutcome(bctx, a.OrgID, a.RecipientID, msgID)
}

// claim moves a queued recipient to sending and writes its message, or
// returns the message of a recipient an earlier run claimed. uuid.Nil:
// nothing to send (the campaign is not running, the recipient was sent,
// failed or cancelled, or it could not be rendered and failed now).
func (w *ChatSendWorker) claim(ctx context.Context, a ChatSendArgs, jobID int64) (uuid.UUID, error) {
	var msgID uuid.UUID
	now := w.Now()
	err := dbutil.WithTx(ctx, w.DB, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		r, err := q.ClaimChatRecipient(ctx, tx, dbsqlc.ClaimChatRecipientParams{
			Now: now, OrgID: a.OrgID, ID: a.RecipientID, JobID: pgtype.Int8{Int64: jobID, Valid: true},
		})
		if errors.Is(err, pgx.ErrNoRows) {
			cur, err := q.GetRecipientForSend(ctx, tx, dbsqlc.GetRecipientForSendParams{OrgID: a.OrgID, ID: a.RecipientID})
			if errors.Is(err, pgx.ErrNoRows) {
				return nil // deleted with its campaign
			}
			if err != nil {
				return fmt.Errorf("reading recipient: %w", err)
			}
			// Queued under a paused campaign: resume enqueues it again.
			// Sending with a message claimed by this job: an earlier
			// run's, still to deliver (messaging's job does nothing
			// twice). Claimed by another job: that job delivers it; two
			// jobs on one message could both send it.
			if cur.Status == "sending" && cur.MessageID.Valid && cur.SendJobID.Valid && cur.SendJobID.Int64 == jobID {
				msgID = cur.MessageID.UUID
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("claiming recipient: %w", err)
		}
		c, err := q.GetCampaign(ctx, tx, dbsqlc.GetCampaignParams{OrgID: a.OrgID, ID: r.CampaignID})
		if err != nil {
			return fmt.Errorf("reading campaign: %w", err)
		}
		body, t, code, reason, err := w.render(ctx, tx, c, r)
		if err != nil {
			return err
		}
		if code != "" {
			_, err := ApplyEvents(ctx, tx, a.OrgID, []Event{{RecipientID: r.ID, Status: "failed", OccurredAt: now, Code: code, Reason: reason}})
			return err
		}
		id, err := q.CreateCampaignMessage(ctx, tx, dbsqlc.CreateCampaignMessageParams{
			OrgID: a.OrgID, ContactID: r.ContactID, Channel: r.Channel, Now: now, Preview: preview(body),
			ToAddress: r.Address, TemplateID: uuid.NullUUID{UUID: t.ID, Valid: true},
			TemplateVersion: pgtype.Int4{Int32: int32(t.Version), Valid: true}, BodyText: body,
			Provider: messaging.ProviderOf(messaging.Channel(r.Channel)), CreatedBy: c.CreatedBy, CampaignID: c.ID,
		})
		if err != nil {
			return fmt.Errorf("writing campaign message: %w", err)
		}
		if err := q.LinkRecipientMessage(ctx, tx, dbsqlc.LinkRecipientMessageParams{
			MessageID: uuid.NullUUID{UUID: id, Valid: true}, Now: now, OrgID: a.OrgID, ID: r.ID,
		}); err != nil {
			return fmt.Errorf("linking recipient to message: %w", err)
		}
		msgID = id
		return nil
	})
	return msgID, err
}

// render fills the channel's template for the recipient's contact. A
// non-empty code fails the recipient (template gone, contact deleted, a
// variable without a value), as a single send would be refused.
func (w *ChatSendWorker) render(ctx context.Context, tx pgx.Tx, c dbsqlc.Campaign, r dbsqlc.ClaimChatRecipientRow) (body string, t *templates.Template, code, reason string, err error) {
	tid := uuid.Nil
	for i, ch := range c.Channels {
		if ch == r.Channel {
			tid = c.TemplateIds[i]
		}
	}
	if tid == uuid.Nil {
		return "", nil, "no_template", "the campaign has no " + r.Channel + " template", nil
	}
	t, err = templates.GetUsable(ctx, tx, c.OrgID, tid)
	if fe, ok := fault.As(err); (ok && fe.Kind == fault.NotFound) || errors.Is(err, templates.ErrNotUsable) {
		return "", nil, "template_unusable", "the " + r.Channel + " template was deleted or has no approved version", nil
	}
	if err != nil {
		return "", nil, "", "", err
	}
	q := dbsqlc.New()
	rows, err := q.RecipientContacts(ctx, tx, dbsqlc.RecipientContactsParams{OrgID: c.OrgID, Ids: []uuid.UUID{r.ContactID}})
	if err != nil {
		return "", nil, "", "", fmt.Errorf("reading recipient's contact: %w", err)
	}
	if len(rows) == 0 {
		return "", nil, "contact_deleted", "the contact was deleted before the send", nil
	}
	ct := contacts.Contact{ID: rows[0].ID, FirstName: rows[0].FirstName, LastName: rows[0].LastName, Email: rows[0].Email, Phone: rows[0].Phone}
	_ = json.Unmarshal(rows[0].Attributes, &ct.Attributes)
	orgName, err := q.GetOrgName(ctx, tx, c.OrgID)
	if err != nil {
		return "", nil, "", "", fmt.Errorf("reading org name: %w", err)
	}
	res := templates.Render(templates.Channel(r.Channel), t.Content(), templates.Data{
		Contact: contacts.TemplateValues(ct), OrgName: orgName,
		UnsubscribeURL: w.Tokens.URL(w.PublicBaseURL, r.ContactID, contacts.Channel(r.Channel)),
	}, nil)
	if len(res.Missing) > 0 {
		return "", nil, "missing_variable", "no value for " + strings.Join(res.Missing, ", "), nil
	}
	return res.Body, t, "", "", nil
}

// copyOutcome moves the recipient as far as its message went: sent (with
// the provider's id) or failed. A message still queued or sending (another
// run holds it) moves nothing; webhooks move it later through
// ApplyMessageEvents.
func (w *ChatSendWorker) copyOutcome(ctx context.Context, orgID uuid.UUID, recipientID int64, msgID uuid.UUID) error {
	m, err := dbsqlc.New().MessageOutcome(ctx, w.DB, dbsqlc.MessageOutcomeParams{OrgID: orgID, ID: msgID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading message outcome: %w", err)
	}
	ev := Event{RecipientID: recipientID, OccurredAt: w.Now()}
	switch {
	case m.Status == string(messaging.StatusFailed):
		ev.Status, ev.Code, ev.Reason = "failed", m.ErrorCode, m.ErrorReason
		if m.FailedAt != nil {
			ev.OccurredAt = *m.FailedAt
		}
	case m.SentAt != nil:
		ev.Status = "sent"
		ev.OccurredAt = *m.SentAt
		if m.ProviderMessageID != nil {
			ev.ProviderMessageID = *m.ProviderMessageID
		}
	default:
		return nil
	}
	_, err = ApplyEvents(ctx, w.DB, orgID, []Event{ev})
	return err
}

// preview is a conversation list's one line for a message.
func preview(text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(text) > 140 {
		r := []rune(text)
		return string(r[:139]) + "…"
	}
	return text
}
