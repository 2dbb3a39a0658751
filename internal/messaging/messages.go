package messaging

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// ErrMessageNotFound answers a message id that is not the org's.
var ErrMessageNotFound = fault.New(fault.NotFound, "message not found")

// Get reads a message with its attachments and, when withEvents, its
// timeline.
func Get(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, withEvents bool) (Message, error) {
	q := dbsqlc.New()
	row, err := q.GetOutboundMessage(ctx, db, dbsqlc.GetOutboundMessageParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return Message{}, ErrMessageNotFound
	}
	if err != nil {
		return Message{}, fmt.Errorf("reading message: %w", err)
	}
	m := messageFrom(row)
	ups, err := q.MessageAttachments(ctx, db, dbsqlc.MessageAttachmentsParams{OrgID: orgID, MessageID: id})
	if err != nil {
		return Message{}, fmt.Errorf("reading attachments: %w", err)
	}
	for _, u := range ups {
		m.Attachments = append(m.Attachments, uploadFrom(u))
	}
	if withEvents {
		evs, err := q.ListMessageEvents(ctx, db, dbsqlc.ListMessageEventsParams{OrgID: orgID, MessageID: id})
		if err != nil {
			return Message{}, fmt.Errorf("reading events: %w", err)
		}
		m.Events = make([]Event, len(evs))
		for i, e := range evs {
			m.Events[i] = eventFrom(e)
		}
	}
	return m, nil
}

// ListParams filter the outbound log.
type ListParams struct {
	Channel   string
	Status    string
	ContactID *uuid.UUID
	Search    string
	Cursor    string
	Limit     int
}

// MessagePage is one page of the outbound log.
type MessagePage struct {
	Items      []Message `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last."`
}

type cursor struct {
	T  time.Time `json:"t"`
	ID uuid.UUID `json:"i"`
}

// List reads the outbound log, newest first.
func List(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, p ListParams) (MessagePage, error) {
	lim := p.Limit
	if lim <= 0 || lim > 200 {
		lim = 50
	}
	args := dbsqlc.ListOutboundMessagesParams{OrgID: orgID, Lim: int32(lim + 1)}
	if p.Channel != "" {
		args.Channel = &p.Channel
	}
	if p.Status != "" {
		args.Status = &p.Status
	}
	if p.ContactID != nil {
		args.ContactID = uuid.NullUUID{UUID: *p.ContactID, Valid: true}
	}
	if s := strings.TrimSpace(p.Search); s != "" {
		pat := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
		args.Search = &pat
	}
	if p.Cursor != "" {
		var c cursor
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil || json.Unmarshal(raw, &c) != nil {
			return MessagePage{}, fault.Field("query.cursor", "is not a cursor this API gave out", p.Cursor)
		}
		args.AfterTime, args.AfterID = &c.T, c.ID
	}
	rows, err := dbsqlc.New().ListOutboundMessages(ctx, db, args)
	if err != nil {
		return MessagePage{}, fmt.Errorf("listing messages: %w", err)
	}
	page := MessagePage{Items: make([]Message, 0, min(len(rows), lim))}
	for i, r := range rows {
		if i == lim {
			b, _ := json.Marshal(cursor{T: rows[i-1].CreatedAt, ID: rows[i-1].ID})
			page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
			break
		}
		page.Items = append(page.Items, messageFrom(r))
	}
	return page, nil
}

// StatusEvent is one provider report about a message, by the provider's
// message id.
type StatusEvent struct {
	ProviderMessageID string
	// Status is a message status (delivered, read, bounced...) or an
	// event that only joins the timeline (deferred, processed).
	Status     string
	OccurredAt time.Time
	// Detail is kept in the timeline; "code" and "reason" become the
	// message's error on a failure.
	Detail map[string]any
}

// Applied is a message a batch of events changed (or confirmed).
type Applied struct {
	MessageID uuid.UUID
	Status    Status
	Channel   Channel
	To        string
	ContactID *uuid.UUID
}

// ApplyStatuses records a batch of one provider's events for the org's
// messages in one statement: each joins its message's timeline, and a
// message moves forward to the highest-ranked status among them. Events
// for unknown message ids are ignored (another system's mail, or a message
// deleted since).
func ApplyStatuses(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, provider string, evs []StatusEvent) ([]Applied, error) {
	if len(evs) == 0 {
		return nil, nil
	}
	p := dbsqlc.ApplyProviderStatusesParams{
		OrgID: orgID, Provider: provider,
		ProviderMessageIds: make([]string, len(evs)), Statuses: make([]string, len(evs)),
		OccurredAts: make([]time.Time, len(evs)), Details: make([][]byte, len(evs)),
	}
	for i, e := range evs {
		p.ProviderMessageIds[i], p.Statuses[i], p.OccurredAts[i] = e.ProviderMessageID, e.Status, e.OccurredAt
		d := e.Detail
		if d == nil {
			d = map[string]any{}
		}
		b, err := json.Marshal(d)
		if err != nil {
			return nil, fmt.Errorf("encoding event detail: %w", err)
		}
		p.Details[i] = b
	}
	rows, err := dbsqlc.New().ApplyProviderStatuses(ctx, db, p)
	if err != nil {
		return nil, fmt.Errorf("applying provider statuses: %w", err)
	}
	out := make([]Applied, len(rows))
	for i, r := range rows {
		out[i] = Applied{MessageID: r.ID, Status: Status(r.Status), Channel: Channel(r.Channel), To: r.ToAddress, ContactID: ptrUUID(r.ContactID)}
	}
	return out, nil
}
