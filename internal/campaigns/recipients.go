package campaigns

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// Recipient is one (contact, channel) a campaign sends to.
type Recipient struct {
	ID                int64      `json:"id"`
	ContactID         uuid.UUID  `json:"contact_id"`
	Channel           Channel    `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	Address           string     `json:"address"`
	Status            string     `json:"status" enum:"queued,sending,sent,delivered,read,opened,clicked,failed,bounced,spam,undelivered,cancelled"`
	MessageID         *uuid.UUID `json:"message_id" doc:"Chat channels: the outbound message (GET /messages/{id})."`
	ProviderMessageID *string    `json:"provider_message_id"`
	LastEvent         string     `json:"last_event"`
	LastEventAt       *time.Time `json:"last_event_at"`
	ErrorCode         string     `json:"error_code"`
	Error             string     `json:"error"`
	SentAt            *time.Time `json:"sent_at"`
	DeliveredAt       *time.Time `json:"delivered_at"`
	OpenedAt          *time.Time `json:"opened_at"`
	ReadAt            *time.Time `json:"read_at"`
	ClickedAt         *time.Time `json:"clicked_at"`
	FailedAt          *time.Time `json:"failed_at"`
	CreatedAt         time.Time  `json:"created_at"`
}

func recipientFrom(r dbsqlc.CampaignRecipient) Recipient {
	return Recipient{
		ID: r.ID, ContactID: r.ContactID, Channel: Channel(r.Channel), Address: r.Address, Status: r.Status,
		MessageID: ptrUUID(r.MessageID), ProviderMessageID: r.ProviderMessageID, LastEvent: r.LastEvent, LastEventAt: r.LastEventAt,
		ErrorCode: r.ErrorCode, Error: r.Error, SentAt: r.SentAt, DeliveredAt: r.DeliveredAt, OpenedAt: r.OpenedAt,
		ReadAt: r.ReadAt, ClickedAt: r.ClickedAt, FailedAt: r.FailedAt, CreatedAt: r.CreatedAt,
	}
}

// RecipientParams filter and page a campaign's recipients.
type RecipientParams struct {
	Status  string
	Channel string
	Cursor  string
	Limit   int
}

// RecipientPage is one page of recipients, in id order.
type RecipientPage struct {
	Items      []Recipient `json:"items"`
	NextCursor string      `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last."`
}

// Recipients pages a campaign's recipients by id.
func Recipients(ctx context.Context, db dbutil.Executor, orgID, campaignID uuid.UUID, p RecipientParams) (RecipientPage, error) {
	if _, err := get(ctx, db, orgID, campaignID); err != nil {
		return RecipientPage{}, err
	}
	var after int64
	if p.Cursor != "" {
		n, err := strconv.ParseInt(p.Cursor, 10, 64)
		if err != nil || n < 0 {
			return RecipientPage{}, fault.Field("query.cursor", "is not a cursor this API gave out", p.Cursor)
		}
		after = n
	}
	if p.Limit <= 0 || p.Limit > 1000 {
		p.Limit = 50
	}
	args := dbsqlc.ListRecipientsParams{OrgID: orgID, CampaignID: campaignID, After: after, Lim: int32(p.Limit + 1)}
	if p.Status != "" {
		args.Status = &p.Status
	}
	if p.Channel != "" {
		args.Channel = &p.Channel
	}
	rows, err := dbsqlc.New().ListRecipients(ctx, db, args)
	if err != nil {
		return RecipientPage{}, fmt.Errorf("listing recipients: %w", err)
	}
	page := RecipientPage{Items: make([]Recipient, 0, len(rows))}
	for i, r := range rows {
		if i == p.Limit {
			page.NextCursor = strconv.FormatInt(rows[i-1].ID, 10)
			break
		}
		page.Items = append(page.Items, recipientFrom(r))
	}
	return page, nil
}
