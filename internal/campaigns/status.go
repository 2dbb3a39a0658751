package campaigns

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/messaging"
)

// Event is one report about a recipient.
type Event struct {
	RecipientID int64
	// Status is a message status (sent, delivered, opened, bounced...) or
	// unsubscribed, which only sets its milestone.
	Status     string
	OccurredAt time.Time
	Code       string
	Reason     string
	// ProviderMessageID, when the event brings it (a send's result).
	ProviderMessageID string
}

// ApplyEvents moves the org's recipients forward and bumps their
// campaigns' counters, in one statement (ApplyRecipientEvents): replays
// and late events change nothing and count nothing. It returns how many
// recipients of each campaign were newly sent.
func ApplyEvents(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, evs []Event) (map[uuid.UUID]int, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	p := dbsqlc.ApplyRecipientEventsParams{
		OrgID: orgID, Ids: make([]int64, len(evs)), Statuses: make([]string, len(evs)), Ats: make([]time.Time, len(evs)),
		Codes: make([]string, len(evs)), Reasons: make([]string, len(evs)), ProviderMessageIds: make([]string, len(evs)),
	}
	for i, e := range evs {
		p.Ids[i], p.Statuses[i], p.Ats[i] = e.RecipientID, e.Status, e.OccurredAt
		p.Codes[i], p.Reasons[i], p.ProviderMessageIds[i] = e.Code, e.Reason, e.ProviderMessageID
	}
	rows, err := dbsqlc.New().ApplyRecipientEvents(ctx, db, p)
	if err != nil {
		return nil, fmt.Errorf("applying recipient events: %w", err)
	}
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.CampaignID] = int(r.NSent)
	}
	return out, nil
}

// Custom args a campaign email carries; SendGrid returns them on every
// event of the recipient.
const (
	ArgCampaignID  = "sb_campaign_id"
	ArgRecipientID = "sb_recipient_id"
)

// SendGridEvent is what webhook processing knows of one SendGrid event.
type SendGridEvent struct {
	// RecipientArg is the event's ArgRecipientID custom arg ("" for mail
	// that is not a campaign's).
	RecipientArg string
	Status       string
	OccurredAt   time.Time
	Code, Reason string
}

// ApplySendGridEvents applies the campaign emails' events of a webhook
// batch (those carrying ArgRecipientID) to their recipients. Events with
// a recipient id of another org match nothing: the statement is scoped to
// the org of the webhook.
func ApplySendGridEvents(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, evs []SendGridEvent) error {
	var out []Event
	for _, e := range evs {
		id, err := strconv.ParseInt(e.RecipientArg, 10, 64)
		if err != nil || id <= 0 {
			continue
		}
		out = append(out, Event{RecipientID: id, Status: e.Status, OccurredAt: e.OccurredAt, Code: e.Code, Reason: e.Reason})
	}
	_, err := ApplyEvents(ctx, db, orgID, out)
	return err
}

// ApplyMessageEvents applies a chat provider's status events to the
// campaign recipients whose outbound messages they concern (found through
// campaign_recipients.message_id); messages outside campaigns match
// nothing. Webhook processing calls it beside messaging.ApplyStatuses, in
// the same transaction.
func ApplyMessageEvents(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, provider string, evs []messaging.StatusEvent) error {
	if len(evs) == 0 {
		return nil
	}
	pmids := make([]string, len(evs))
	for i, e := range evs {
		pmids[i] = e.ProviderMessageID
	}
	rows, err := dbsqlc.New().RecipientsOfMessages(ctx, db, dbsqlc.RecipientsOfMessagesParams{OrgID: orgID, Provider: provider, ProviderMessageIds: pmids})
	if err != nil {
		return fmt.Errorf("finding campaign recipients of messages: %w", err)
	}
	if len(rows) == 0 {
		return nil
	}
	out := make([]Event, 0, len(rows))
	for _, r := range rows {
		e := evs[r.Ord-1]
		code, _ := e.Detail["code"].(string)
		reason, _ := e.Detail["reason"].(string)
		out = append(out, Event{RecipientID: r.ID, Status: e.Status, OccurredAt: e.OccurredAt, Code: code, Reason: reason})
	}
	_, err = ApplyEvents(ctx, db, orgID, out)
	return err
}
