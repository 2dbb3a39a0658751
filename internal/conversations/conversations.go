package conversations

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/messaging"
)

// ErrNotFound answers a conversation id that is not the org's.
var ErrNotFound = fault.New(fault.NotFound, "conversation not found")

// ContactSummary is what a conversation shows of its contact.
type ContactSummary struct {
	ID       uuid.UUID `json:"id"`
	Name     string    `json:"name" doc:"First and last name; empty when unknown."`
	Address  string    `json:"address" doc:"The contact's address on the conversation's channel: E.164, Telegram chat id or IGSID."`
	Username string    `json:"username,omitempty" doc:"Telegram or Instagram username, when known."`
}

// ReplyWindow is Instagram's rule: a business may message a person only
// within 24 hours of the person's last message.
type ReplyWindow struct {
	Open     bool       `json:"open"`
	ClosesAt *time.Time `json:"closes_at" doc:"When the window closes (or closed); null when the person never wrote."`
}

// Conversation is a chat with one contact on one channel.
type Conversation struct {
	ID                   uuid.UUID        `json:"id"`
	Channel              contacts.Channel `json:"channel" enum:"whatsapp,telegram,instagram"`
	Contact              ContactSummary   `json:"contact"`
	UnreadCount          int              `json:"unread_count"`
	LastMessageAt        time.Time        `json:"last_message_at"`
	LastMessagePreview   string           `json:"last_message_preview"`
	LastMessageDirection string           `json:"last_message_direction" enum:"inbound,outbound"`
	LastInboundAt        *time.Time       `json:"last_inbound_at"`
	ReplyWindow          *ReplyWindow     `json:"reply_window,omitempty" doc:"Instagram only."`
	CreatedAt            time.Time        `json:"created_at"`
}

func conversationFrom(v dbsqlc.Conversation, k dbsqlc.Contact, now time.Time) Conversation {
	c := contacts.FromRow(k)
	ch := contacts.Channel(v.Channel)
	sum := ContactSummary{ID: k.ID, Name: strings.TrimSpace(k.FirstName + " " + k.LastName), Address: messaging.AddressOf(c, ch)}
	switch ch {
	case contacts.ChannelTelegram:
		sum.Username = deref(k.TelegramUsername)
	case contacts.ChannelInstagram:
		sum.Username = deref(k.InstagramUsername)
	}
	out := Conversation{
		ID: v.ID, Channel: ch, Contact: sum, UnreadCount: int(v.UnreadCount), LastMessageAt: v.LastMessageAt,
		LastMessagePreview: v.LastMessagePreview, LastMessageDirection: v.LastMessageDirection,
		LastInboundAt: v.LastInboundAt, CreatedAt: v.CreatedAt,
	}
	if ch == contacts.ChannelInstagram {
		out.ReplyWindow = replyWindow(v.LastInboundAt, now)
	}
	return out
}

// replyWindow computes Instagram's window from the person's last message.
func replyWindow(lastInbound *time.Time, now time.Time) *ReplyWindow {
	if lastInbound == nil {
		return &ReplyWindow{}
	}
	closes := lastInbound.Add(messaging.InstagramReplyWindow)
	return &ReplyWindow{Open: now.Before(closes), ClosesAt: &closes}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// Get reads one conversation.
func Get(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, now time.Time) (Conversation, error) {
	r, err := dbsqlc.New().GetConversationView(ctx, db, dbsqlc.GetConversationViewParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return Conversation{}, ErrNotFound
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("reading conversation: %w", err)
	}
	return conversationFrom(r.Conversation, r.Contact, now), nil
}

// ListParams filter the conversation list.
type ListParams struct {
	Channel    string
	UnreadOnly bool
	Search     string
	Cursor     string
	Limit      int
}

// Page is one page of conversations.
type Page struct {
	Items      []Conversation `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty" doc:"Pass as cursor for the next (older) page; absent on the last."`
}

type cursor struct {
	T  time.Time `json:"t"`
	ID uuid.UUID `json:"i"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	var c cursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == uuid.Nil {
		return nil, fault.Field("query.cursor", "is not a cursor this API gave out", s)
	}
	return &c, nil
}

// likePattern makes a case-insensitive substring pattern of s.
func likePattern(s string) *string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return nil
	}
	p := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
	return &p
}

// List reads conversations, newest activity first.
func List(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, p ListParams, now time.Time) (Page, error) {
	lim := p.Limit
	if lim <= 0 || lim > 200 {
		lim = 50
	}
	args := dbsqlc.ListConversationViewsParams{OrgID: orgID, UnreadOnly: p.UnreadOnly, Search: likePattern(p.Search), Lim: int32(lim + 1)}
	if p.Channel != "" {
		args.Channel = &p.Channel
	}
	c, err := decodeCursor(p.Cursor)
	if err != nil {
		return Page{}, err
	}
	if c != nil {
		args.BeforeTime, args.BeforeID = &c.T, c.ID
	}
	rows, err := dbsqlc.New().ListConversationViews(ctx, db, args)
	if err != nil {
		return Page{}, fmt.Errorf("listing conversations: %w", err)
	}
	page := Page{Items: make([]Conversation, 0, min(len(rows), lim))}
	for i, r := range rows {
		if i == lim {
			last := rows[i-1].Conversation
			page.NextCursor = cursor{T: last.LastMessageAt, ID: last.ID}.encode()
			break
		}
		page.Items = append(page.Items, conversationFrom(r.Conversation, r.Contact, now))
	}
	return page, nil
}

// MarkRead sets the conversation's unread count to 0 and tells the other
// open pages.
func MarkRead(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, now time.Time) (Conversation, error) {
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		_, err := dbsqlc.New().MarkConversationRead(ctx, tx, dbsqlc.MarkConversationReadParams{OrgID: orgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("marking conversation read: %w", err)
		}
		return notify(ctx, tx, orgID, id, KindRead)
	})
	if err != nil {
		return Conversation{}, err
	}
	return Get(ctx, db, orgID, id, now)
}

// ThreadMessage is one message of a conversation, either way.
type ThreadMessage struct {
	ID        uuid.UUID   `json:"id"`
	Direction string      `json:"direction" enum:"inbound,outbound"`
	Text      string      `json:"text"`
	Media     []MediaItem `json:"media" doc:"Inbound: the files the contact sent; outbound: the attachments."`
	At        time.Time   `json:"at" doc:"Received (inbound) or queued (outbound)."`
	// Outbound only.
	Status      messaging.Status `json:"status,omitempty" doc:"Outbound only: queued, sending, sent, delivered, read, failed, undelivered..."`
	ErrorCode   string           `json:"error_code,omitempty"`
	ErrorReason string           `json:"error_reason,omitempty"`
	TemplateID  *uuid.UUID       `json:"template_id,omitempty"`
	SentAt      *time.Time       `json:"sent_at,omitempty"`
	DeliveredAt *time.Time       `json:"delivered_at,omitempty"`
	ReadAt      *time.Time       `json:"read_at,omitempty"`
	FailedAt    *time.Time       `json:"failed_at,omitempty"`
}

// Thread is a page of a conversation's messages, oldest first.
type Thread struct {
	Items []ThreadMessage `json:"items"`
	// PrevCursor pages backwards in time.
	PrevCursor string `json:"prev_cursor,omitempty" doc:"Pass as cursor for the older messages; absent when these are the first."`
}

// ThreadParams page a thread backwards from its newest message.
type ThreadParams struct {
	Cursor string
	Limit  int
}

// ListThread reads a conversation's messages of both directions merged by
// time: the newest page first, each page oldest first.
func ListThread(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, p ThreadParams) (Thread, error) {
	q := dbsqlc.New()
	if _, err := q.GetConversation(ctx, db, dbsqlc.GetConversationParams{OrgID: orgID, ID: id}); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return Thread{}, ErrNotFound
		}
		return Thread{}, fmt.Errorf("reading conversation: %w", err)
	}
	lim := p.Limit
	if lim <= 0 || lim > 200 {
		lim = 50
	}
	args := dbsqlc.ListThreadParams{OrgID: orgID, ConversationID: id, Lim: int32(lim + 1)}
	c, err := decodeCursor(p.Cursor)
	if err != nil {
		return Thread{}, err
	}
	if c != nil {
		args.BeforeTime, args.BeforeID = &c.T, c.ID
	}
	rows, err := q.ListThread(ctx, db, args)
	if err != nil {
		return Thread{}, fmt.Errorf("reading thread: %w", err)
	}
	t := Thread{Items: make([]ThreadMessage, 0, min(len(rows), lim))}
	for i, r := range rows {
		if i == lim {
			last := rows[i-1]
			t.PrevCursor = cursor{T: last.At, ID: last.ID}.encode()
			break
		}
		m := ThreadMessage{
			ID: r.ID, Direction: r.Direction, Text: r.Body, Media: decodeMedia(r.Media), At: r.At,
			Status: messaging.Status(r.Status), ErrorCode: r.ErrorCode, ErrorReason: r.ErrorReason,
			SentAt: r.SentAt, DeliveredAt: r.DeliveredAt, ReadAt: r.ReadAt, FailedAt: r.FailedAt,
		}
		if r.TemplateID.Valid {
			id := r.TemplateID.UUID
			m.TemplateID = &id
		}
		t.Items = append(t.Items, m)
	}
	slices.Reverse(t.Items)
	return t, nil
}
