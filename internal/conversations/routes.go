package conversations

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/logging"
	"github.com/switchboard/switchboard/internal/messaging"
)

// Handlers serves /api/v1/conversations and /api/v1/telegram/start-codes.
type Handlers struct {
	DB    dbutil.Executor
	Sends *messaging.Sends
	// Hub feeds the live stream; without one the stream answers 503 and
	// pages poll.
	Hub *Hub
	Now func() time.Time
	// BotUsername is the org's Telegram bot username ("" when unknown),
	// for the start-code links.
	BotUsername func(ctx context.Context, orgID uuid.UUID) (string, error)
	// StreamMaxAge ends each live stream after this long (default 5 min):
	// the client reconnects with its current credential, so a revoked
	// membership or an expired token stops the stream within that time.
	StreamMaxAge time.Duration
}

// IDPath is the {id} path parameter.
type IDPath struct {
	ID uuid.UUID `path:"id"`
}

// ListQuery filters the conversation list.
type ListQuery struct {
	Channel string `query:"channel" enum:"whatsapp,telegram,instagram"`
	Unread  bool   `query:"unread" doc:"Only conversations with unread messages."`
	Search  string `query:"search" maxLength:"200" doc:"Part of the contact's name, number, username or id."`
	Cursor  string `query:"cursor" maxLength:"500"`
	Limit   int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// ThreadQuery pages a thread backwards.
type ThreadQuery struct {
	IDPath
	Cursor string `query:"cursor" maxLength:"500" doc:"The prev_cursor of the previous page."`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// ReplyRequest is a reply in a conversation: text and attachments, or a
// template.
type ReplyRequest struct {
	Body        string         `json:"body,omitempty" maxLength:"4096" doc:"The text; variables like {{first_name}} are filled in."`
	Attachments []uuid.UUID    `json:"attachments,omitempty" maxItems:"10" doc:"Upload ids (POST /uploads), checked against the channel's limits."`
	TemplateID  *uuid.UUID     `json:"template_id,omitempty" doc:"An approved template of the conversation's channel, instead of body."`
	Variables   map[string]any `json:"variables,omitempty" doc:"Values for the template's variables."`
}

// ReplyInput is POST /conversations/{id}/messages.
type ReplyInput struct {
	IDPath
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Makes the request safe to retry: the same key within 24 hours answers with the first message and sends nothing more."`
	Body           ReplyRequest
}

// ReplyOutput answers a reply.
type ReplyOutput struct {
	Replayed bool `header:"Idempotent-Replayed" doc:"true when the answer is the first message of this Idempotency-Key."`
	Body     messaging.Message
}

// StartCodeRequest asks for a Telegram start code.
type StartCodeRequest struct {
	ContactID *uuid.UUID `json:"contact_id,omitempty" doc:"The contact to link; leave out for an org-wide code (anyone who starts the bot with it becomes, or matches, a contact)."`
	Rotate    bool       `json:"rotate,omitempty" doc:"Make a new code even if one is usable (the old link stops working)."`
}

// Register mounts the routes. The stream's fixed path comes before {id}.
func (h *Handlers) Register(api huma.API) {
	read := auth.Access{Role: auth.RoleViewer, Scope: "messages:read"}
	write := auth.Access{Role: auth.RoleMember, Scope: "messages:write"}
	tags := []string{"Conversations"}

	h.registerStream(api, read, tags)

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-conversations", Method: http.MethodGet, Path: "/api/v1/conversations", Tags: tags,
		Summary: "List conversations", Description: "Newest activity first, with keyset pagination.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, read), func(ctx context.Context, in *ListQuery) (*struct{ Body Page }, error) {
		page, err := List(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, ListParams{
			Channel: in.Channel, UnreadOnly: in.Unread, Search: in.Search, Cursor: in.Cursor, Limit: in.Limit,
		}, h.Now())
		if err != nil {
			return nil, err
		}
		return &struct{ Body Page }{Body: page}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-conversation", Method: http.MethodGet, Path: "/api/v1/conversations/{id}", Tags: tags,
		Summary: "Get a conversation", Errors: []int{http.StatusNotFound},
	}, read), func(ctx context.Context, in *IDPath) (*struct{ Body Conversation }, error) {
		c, err := Get(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID, h.Now())
		if err != nil {
			return nil, err
		}
		return &struct{ Body Conversation }{Body: c}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-conversation-messages", Method: http.MethodGet, Path: "/api/v1/conversations/{id}/messages", Tags: tags,
		Summary:     "Read a conversation's thread",
		Description: "Inbound and outbound messages merged by time. The first page is the newest; each page is oldest first; prev_cursor pages back.",
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, read), func(ctx context.Context, in *ThreadQuery) (*struct{ Body Thread }, error) {
		t, err := ListThread(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID, ThreadParams{Cursor: in.Cursor, Limit: in.Limit})
		if err != nil {
			return nil, err
		}
		return &struct{ Body Thread }{Body: t}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "read-conversation", Method: http.MethodPost, Path: "/api/v1/conversations/{id}/read", Tags: tags,
		Summary: "Mark a conversation read", Description: "Sets its unread count to 0.",
		Errors: []int{http.StatusNotFound},
	}, read), func(ctx context.Context, in *IDPath) (*struct{ Body Conversation }, error) {
		c, err := MarkRead(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID, h.Now())
		if err != nil {
			return nil, err
		}
		return &struct{ Body Conversation }{Body: c}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "reply-in-conversation", Method: http.MethodPost, Path: "/api/v1/conversations/{id}/messages", Tags: tags,
		Summary: "Reply in a conversation",
		Description: "Sends to the conversation's contact on its channel through the send path of POST /messages " +
			"(suppression, consent, channel limits, queue). Instagram replies only within 24 hours of the person's last message (409 after).",
		DefaultStatus: http.StatusAccepted,
		Errors:        []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *ReplyInput) (*ReplyOutput, error) {
		p := auth.PrincipalFrom(ctx)
		m, created, err := h.reply(ctx, p, in)
		if err != nil {
			return nil, err
		}
		return &ReplyOutput{Replayed: !created && in.IdempotencyKey != "", Body: m}, nil
	})

	h.registerStartCodes(api, read, write)
}

// reply sends in the conversation and tells the open pages.
func (h *Handlers) reply(ctx context.Context, p *auth.Principal, in *ReplyInput) (messaging.Message, bool, error) {
	conv, err := dbsqlc.New().GetConversation(ctx, h.DB, dbsqlc.GetConversationParams{OrgID: p.OrgID, ID: in.ID})
	if err != nil {
		return messaging.Message{}, false, notFound(err)
	}
	if conv.Channel == string(contacts.ChannelInstagram) {
		if w := replyWindow(conv.LastInboundAt, h.Now()); !w.Open {
			return messaging.Message{}, false, fault.New(fault.Conflict,
				"Instagram allows replies only within 24 hours of the person's last message: wait for them to write again")
		}
	}
	actor := messaging.Actor{UserID: p.CreatedBy(), RequestID: logging.RequestID(ctx)}
	if p.Kind == auth.KindAPIKey {
		actor.APIKeyID = uuid.NullUUID{UUID: p.APIKeyID, Valid: true}
	}
	contactID := conv.ContactID
	req := messaging.SendRequest{
		Channel: contacts.Channel(conv.Channel), ContactID: &contactID, TemplateID: in.Body.TemplateID,
		Variables: in.Body.Variables, Body: in.Body.Body, Attachments: in.Body.Attachments,
	}
	m, created, err := h.Sends.Send(ctx, p.OrgID, actor, req, strings.TrimSpace(in.IdempotencyKey))
	if err != nil {
		return m, false, relocate(err)
	}
	if created && m.ConversationID != nil {
		// Send commits its own transaction; the notice follows it.
		if err := NotifyOutbound(ctx, h.DB, p.OrgID, *m.ConversationID); err != nil {
			zerolog.Ctx(ctx).Warn().Err(err).Msg("notifying conversation listeners")
		}
	}
	return m, created, nil
}

// relocate points Send's errors about the recipient at the conversation:
// the request named no contact_id, the path did.
func relocate(err error) error {
	fe, ok := fault.As(err)
	if !ok || len(fe.Fields) == 0 {
		return err
	}
	out := *fe
	out.Fields = make([]fault.FieldError, len(fe.Fields))
	for i, f := range fe.Fields {
		if f.Location == "body.contact_id" {
			f.Location = "path.id"
		}
		out.Fields[i] = f
	}
	return &out
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return fmt.Errorf("reading conversation: %w", err)
}

func (h *Handlers) registerStartCodes(api huma.API, read, write auth.Access) {
	tags := []string{"Telegram onboarding"}
	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "create-telegram-start-code", Method: http.MethodPost, Path: "/api/v1/telegram/start-codes", Tags: tags,
		Summary: "Get a Telegram onboarding link",
		Description: "A code and its deep link https://t.me/<bot>?start=<code>. When the person opens it and presses Start, " +
			"the bot's chat with them is linked to the contact (or, for an org-wide code, to the contact matched or created by the chat). " +
			"A contact's unused code is returned again unless rotate; a used one is replaced.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct{ Body StartCodeRequest }) (*struct{ Body StartCode }, error) {
		orgID := auth.PrincipalFrom(ctx).OrgID
		r, err := CreateStartCode(ctx, h.DB, orgID, in.Body.ContactID, in.Body.Rotate, h.Now())
		if err != nil {
			return nil, err
		}
		return &struct{ Body StartCode }{Body: startCodeFrom(r, h.botUsername(ctx, orgID))}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-telegram-start-code", Method: http.MethodGet, Path: "/api/v1/telegram/start-codes", Tags: tags,
		Summary: "Read a contact's (or the org's) Telegram onboarding link", Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, read), func(ctx context.Context, in *struct {
		ContactID string `query:"contact_id" doc:"The contact; leave out for the org-wide code."`
	}) (*struct{ Body StartCode }, error) {
		orgID := auth.PrincipalFrom(ctx).OrgID
		var cid *uuid.UUID
		if in.ContactID != "" {
			id, err := uuid.Parse(in.ContactID)
			if err != nil {
				return nil, fault.Field("query.contact_id", "must be a contact id", in.ContactID)
			}
			cid = &id
		}
		r, err := GetStartCode(ctx, h.DB, orgID, cid)
		if err != nil {
			return nil, err
		}
		return &struct{ Body StartCode }{Body: startCodeFrom(r, h.botUsername(ctx, orgID))}, nil
	})
}

// botUsername is the org's bot username, "" when unknown: a missing
// username leaves the link out rather than failing the request.
func (h *Handlers) botUsername(ctx context.Context, orgID uuid.UUID) string {
	if h.BotUsername == nil {
		return ""
	}
	name, err := h.BotUsername(ctx, orgID)
	if err != nil {
		zerolog.Ctx(ctx).Debug().Err(err).Msg("no Telegram bot username")
		return ""
	}
	return strings.TrimPrefix(name, "@")
}
