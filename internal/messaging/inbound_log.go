package messaging

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// The inbound log lists what contacts sent on the chat channels, across
// conversations. The rows are written by internal/conversations (Receive);
// this file only reads them, so that the log lives with the outbound one
// under /messages.

// ErrInboundNotFound answers an inbound message id that is not the org's.
var ErrInboundNotFound = fault.New(fault.NotFound, "inbound message not found")

// InboundLogMedia is a file a contact sent, as the inbound log shows it.
type InboundLogMedia struct {
	UploadID    *uuid.UUID `json:"upload_id,omitempty" doc:"Download with GET /api/v1/uploads/{id}/content; absent when the file could not be fetched."`
	ContentType string     `json:"content_type"`
	Filename    string     `json:"filename"`
	Size        int64      `json:"size"`
	Unavailable bool       `json:"unavailable,omitempty" doc:"The provider would not give the file; only its name and type are known."`
}

// InboundLogContact names the sender.
type InboundLogContact struct {
	ID       uuid.UUID `json:"id"`
	Name     string    `json:"name" doc:"First and last name; empty when unknown."`
	Username string    `json:"username,omitempty" doc:"Telegram or Instagram username, when known."`
}

// InboundLogMessage is one message a contact sent.
type InboundLogMessage struct {
	ID                uuid.UUID         `json:"id"`
	Channel           Channel           `json:"channel" enum:"whatsapp,telegram,instagram"`
	ConversationID    uuid.UUID         `json:"conversation_id"`
	Contact           InboundLogContact `json:"contact"`
	From              string            `json:"from" doc:"The sender's address: E.164, Telegram chat id or Instagram-scoped id."`
	ProviderMessageID string            `json:"provider_message_id"`
	Text              string            `json:"text"`
	Media             []InboundLogMedia `json:"media"`
	ReceivedAt        time.Time         `json:"received_at"`
}

// InboundPage is one page of the inbound log.
type InboundPage struct {
	Items      []InboundLogMessage `json:"items"`
	NextCursor string              `json:"next_cursor,omitempty" doc:"Pass as cursor for the next (older) page; absent on the last."`
}

// InboundListParams filter the inbound log.
type InboundListParams struct {
	Channel   string
	ContactID *uuid.UUID
	Search    string
	Cursor    string
	Limit     int
}

func inboundLogFrom(r dbsqlc.ListInboundMessagesRow) InboundLogMessage {
	m := InboundLogMessage{
		ID: r.ID, Channel: Channel(r.Channel), ConversationID: r.ConversationID, From: r.FromAddress,
		ProviderMessageID: r.ProviderMessageID, Text: r.Body, ReceivedAt: r.ReceivedAt, Media: []InboundLogMedia{},
		Contact: InboundLogContact{ID: r.ContactID, Name: strings.TrimSpace(r.FirstName + " " + r.LastName)},
	}
	switch {
	case r.Channel == "telegram" && r.TelegramUsername != nil:
		m.Contact.Username = *r.TelegramUsername
	case r.Channel == "instagram" && r.InstagramUsername != nil:
		m.Contact.Username = *r.InstagramUsername
	}
	// Media rows are written by conversations.Receive; a shape this log
	// does not know shows as no media rather than failing the page.
	_ = json.Unmarshal(r.Media, &m.Media)
	if m.Media == nil {
		m.Media = []InboundLogMedia{}
	}
	return m
}

// ListInbound reads the inbound log, newest first.
func ListInbound(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, p InboundListParams) (InboundPage, error) {
	lim := p.Limit
	if lim <= 0 || lim > 200 {
		lim = 50
	}
	args := dbsqlc.ListInboundMessagesParams{OrgID: orgID, Lim: int32(lim + 1)}
	if p.Channel != "" {
		args.Channel = &p.Channel
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
			return InboundPage{}, fault.Field("query.cursor", "is not a cursor this API gave out", p.Cursor)
		}
		args.AfterTime, args.AfterID = &c.T, c.ID
	}
	rows, err := dbsqlc.New().ListInboundMessages(ctx, db, args)
	if err != nil {
		return InboundPage{}, fmt.Errorf("listing inbound messages: %w", err)
	}
	page := InboundPage{Items: make([]InboundLogMessage, 0, min(len(rows), lim))}
	for i, r := range rows {
		if i == lim {
			b, _ := json.Marshal(cursor{T: rows[i-1].ReceivedAt, ID: rows[i-1].ID})
			page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
			break
		}
		page.Items = append(page.Items, inboundLogFrom(r))
	}
	return page, nil
}

// GetInbound reads one inbound message.
func GetInbound(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) (InboundLogMessage, error) {
	r, err := dbsqlc.New().GetInboundMessage(ctx, db, dbsqlc.GetInboundMessageParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return InboundLogMessage{}, ErrInboundNotFound
	}
	if err != nil {
		return InboundLogMessage{}, fmt.Errorf("reading inbound message: %w", err)
	}
	return inboundLogFrom(dbsqlc.ListInboundMessagesRow(r)), nil
}

// InboundListQuery filters GET /messages/inbound.
type InboundListQuery struct {
	Channel   string `query:"channel" enum:"whatsapp,telegram,instagram"`
	ContactID string `query:"contact_id" doc:"Only messages from this contact."`
	Search    string `query:"search" maxLength:"200" doc:"Part of the text, the sender's address or the contact's name."`
	Cursor    string `query:"cursor" maxLength:"500"`
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// registerLogs mounts the inbound log and the send check. They are
// registered before /messages/{id}, which would otherwise take "inbound"
// and "check" for an id (Fiber matches routes in the order they were added).
func (h *Handlers) registerLogs(api huma.API, read, write auth.Access) {
	tags := []string{"Messages"}
	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-inbound-messages", Method: http.MethodGet, Path: "/api/v1/messages/inbound", Tags: tags,
		Summary:     "List inbound messages",
		Description: "What contacts sent on WhatsApp, Telegram and Instagram, newest first, with keyset pagination. Each names its conversation.",
	}, read), func(ctx context.Context, in *InboundListQuery) (*struct{ Body InboundPage }, error) {
		lp := InboundListParams{Channel: in.Channel, Search: in.Search, Cursor: in.Cursor, Limit: in.Limit}
		if in.ContactID != "" {
			id, err := uuid.Parse(in.ContactID)
			if err != nil {
				return nil, fault.Field("query.contact_id", "must be a contact id", in.ContactID)
			}
			lp.ContactID = &id
		}
		page, err := ListInbound(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, lp)
		if err != nil {
			return nil, err
		}
		return &struct{ Body InboundPage }{Body: page}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-inbound-message", Method: http.MethodGet, Path: "/api/v1/messages/inbound/{id}", Tags: tags,
		Summary: "Get an inbound message",
	}, read), func(ctx context.Context, in *idPath) (*struct{ Body InboundLogMessage }, error) {
		m, err := GetInbound(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body InboundLogMessage }{Body: m}, nil
	})

	h.registerCheck(api, write)
}
