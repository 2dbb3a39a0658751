package messaging

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/jobqueue"
)

// Channel is where a message goes; the values are the contacts' channels.
type Channel = contacts.Channel

// ErrNotFound is returned for a message or upload that does not exist in
// the org.
var ErrNotFound = errors.New("not found")

// Status is where a message is in its life.
type Status string

// The statuses, in the order a message normally moves through them.
const (
	StatusQueued      Status = "queued"
	StatusSending     Status = "sending"
	StatusSent        Status = "sent"
	StatusDelivered   Status = "delivered"
	StatusRead        Status = "read"
	StatusOpened      Status = "opened"
	StatusClicked     Status = "clicked"
	StatusFailed      Status = "failed"
	StatusBounced     Status = "bounced"
	StatusSpam        Status = "spam"
	StatusUndelivered Status = "undelivered"
)

// ProviderOf names the provider that carries a channel.
func ProviderOf(ch Channel) string {
	switch ch {
	case contacts.ChannelEmail:
		return "sendgrid"
	case contacts.ChannelWhatsApp:
		return "twilio"
	}
	return string(ch)
}

// QueueOf is the River queue a channel's sends run on.
func QueueOf(ch Channel) string {
	switch ch {
	case contacts.ChannelEmail:
		return jobqueue.QueueEmail
	case contacts.ChannelWhatsApp:
		return jobqueue.QueueWhatsApp
	case contacts.ChannelTelegram:
		return jobqueue.QueueTelegram
	case contacts.ChannelInstagram:
		return jobqueue.QueueInstagram
	}
	return jobqueue.QueueDefault
}

// MediaLimits are what a channel accepts as attachments, from the
// providers' published limits.
type MediaLimits struct {
	// MaxCount is how many files one message may carry.
	MaxCount int
	// MaxFileBytes bounds each file; MaxTotalBytes all of them together.
	MaxFileBytes  int64
	MaxTotalBytes int64
	// Types lists the accepted content types (a trailing "/*" accepts a
	// family); empty accepts any.
	Types []string
}

const mb = 1 << 20

// Limits per channel. WhatsApp (Twilio): one media item of 16 MB in the
// types WhatsApp renders. Telegram: 50 MB per file (photos over 10 MB go as
// documents). Instagram: 8 MB images, 25 MB audio and video. SendGrid: 30 MB
// for the whole message.
var Limits = map[Channel]MediaLimits{
	contacts.ChannelEmail: {MaxCount: 10, MaxFileBytes: 30 * mb, MaxTotalBytes: 30 * mb},
	contacts.ChannelWhatsApp: {MaxCount: 1, MaxFileBytes: 16 * mb, MaxTotalBytes: 16 * mb, Types: []string{
		"image/jpeg", "image/png", "image/webp", "audio/ogg", "audio/mpeg", "audio/amr", "audio/aac", "audio/mp4",
		"video/mp4", "video/3gpp", "application/pdf",
	}},
	contacts.ChannelTelegram: {MaxCount: 1, MaxFileBytes: 50 * mb, MaxTotalBytes: 50 * mb},
	contacts.ChannelInstagram: {MaxCount: 1, MaxFileBytes: 25 * mb, MaxTotalBytes: 25 * mb, Types: []string{
		"image/jpeg", "image/png", "image/gif", "video/mp4", "video/quicktime", "video/webm", "audio/aac", "audio/mp4",
		"audio/wav", "audio/x-wav", "audio/ogg",
	}},
}

// instagramImageBytes is Instagram's lower limit for images.
const instagramImageBytes = 8 * mb

// MaxUploadBytes is the largest file any channel takes.
const MaxUploadBytes = 50 * mb

// accepts reports whether limits allow the content type.
func (l MediaLimits) accepts(contentType string) bool {
	if len(l.Types) == 0 {
		return true
	}
	return slices.ContainsFunc(l.Types, func(t string) bool {
		if fam, ok := strings.CutSuffix(t, "/*"); ok {
			return strings.HasPrefix(contentType, fam+"/")
		}
		return t == contentType
	})
}

// Message is an outbound message as the API shows it.
type Message struct {
	ID                uuid.UUID  `json:"id"`
	Channel           Channel    `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	ContactID         *uuid.UUID `json:"contact_id"`
	ConversationID    *uuid.UUID `json:"conversation_id"`
	To                string     `json:"to" doc:"The address as sent: email, E.164 number, Telegram chat id or Instagram-scoped id."`
	TemplateID        *uuid.UUID `json:"template_id"`
	TemplateVersion   *int       `json:"template_version"`
	Subject           string     `json:"subject"`
	BodyHTML          string     `json:"body_html"`
	BodyText          string     `json:"body_text"`
	Status            Status     `json:"status" enum:"queued,sending,sent,delivered,read,opened,clicked,failed,bounced,spam,undelivered"`
	Provider          string     `json:"provider"`
	ProviderMessageID *string    `json:"provider_message_id"`
	ErrorCode         string     `json:"error_code"`
	ErrorReason       string     `json:"error_reason"`
	Attempts          int        `json:"attempts"`
	Attachments       []Upload   `json:"attachments,omitempty"`
	Events            []Event    `json:"events,omitempty" doc:"The timeline, oldest first (only on GET /messages/{id})."`
	CreatedBy         *uuid.UUID `json:"created_by"`
	APIKeyID          *uuid.UUID `json:"api_key_id"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
	SentAt            *time.Time `json:"sent_at"`
	DeliveredAt       *time.Time `json:"delivered_at"`
	ReadAt            *time.Time `json:"read_at"`
	FailedAt          *time.Time `json:"failed_at"`
}

// Event is one step of a message's timeline.
type Event struct {
	Status     string         `json:"status"`
	Source     string         `json:"source" enum:"api,worker,provider"`
	Detail     map[string]any `json:"detail"`
	OccurredAt time.Time      `json:"occurred_at"`
}

func ptrUUID(u uuid.NullUUID) *uuid.UUID {
	if !u.Valid {
		return nil
	}
	return &u.UUID
}

func ptrInt(i pgtype.Int4) *int {
	if !i.Valid {
		return nil
	}
	n := int(i.Int32)
	return &n
}

func messageFrom(r dbsqlc.OutboundMessage) Message {
	return Message{
		ID: r.ID, Channel: Channel(r.Channel), ContactID: ptrUUID(r.ContactID), ConversationID: ptrUUID(r.ConversationID),
		To: r.ToAddress, TemplateID: ptrUUID(r.TemplateID), TemplateVersion: ptrInt(r.TemplateVersion),
		Subject: r.Subject, BodyHTML: r.BodyHtml, BodyText: r.BodyText, Status: Status(r.Status), Provider: r.Provider,
		ProviderMessageID: r.ProviderMessageID, ErrorCode: r.ErrorCode, ErrorReason: r.ErrorReason, Attempts: int(r.Attempts),
		CreatedBy: ptrUUID(r.CreatedBy), APIKeyID: ptrUUID(r.ApiKeyID), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		SentAt: r.SentAt, DeliveredAt: r.DeliveredAt, ReadAt: r.ReadAt, FailedAt: r.FailedAt,
	}
}

func eventFrom(r dbsqlc.MessageEvent) Event {
	e := Event{Status: r.Status, Source: r.Source, OccurredAt: r.OccurredAt, Detail: map[string]any{}}
	_ = json.Unmarshal(r.Detail, &e.Detail)
	return e
}

// detail encodes a timeline event's detail.
func detail(kv ...any) []byte {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if v, ok := kv[i+1].(string); ok && v == "" {
			continue
		}
		m[kv[i].(string)] = kv[i+1]
	}
	b, _ := json.Marshal(m)
	return b
}
