// Package play lets a member play a contact against the built-in provider
// sandbox (internal/sandbox) from the dashboard: a message typed "on the
// phone" leaves the sandbox as the provider's real, signed inbound webhook
// (Twilio, Telegram or Instagram) and comes back through the app's
// receivers into Conversations. It also shows the org's share of the
// sandbox's traffic: the messages it accepted from the org's credentials
// and the webhooks it fired at the org's URLs.
//
// The handlers run only when the server runs with SANDBOX=1. They load the
// org's channel credentials on the server, so the browser never sees a
// secret: what a contact writes to is the WhatsApp sender number, the
// bot's token or the Instagram account id, as the sandbox keys them.
package play

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/sandbox"
)

// Simulator is the in-process sandbox, as these handlers use it.
type Simulator interface {
	Inbound(base string, in sandbox.InboundRequest) (sandbox.InboundResult, error)
	Registrations() sandbox.Registrations
	Messages(f sandbox.MessageFilter) []sandbox.Message
	Webhooks(provider string, limit int) []sandbox.WebhookRecord
}

// CredsLoader reads an org's channel credentials (channels.Store).
type CredsLoader interface {
	Load(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, c channels.Channel) (channels.Creds, error)
}

// Handlers serve /api/v1/sandbox/...
type Handlers struct {
	DB       dbutil.Executor
	Channels CredsLoader
	Sandbox  Simulator
	// SandboxURL is the sandbox's absolute URL (PUBLIC_BASE_URL/sandbox):
	// the media of a played message is fetched back from there.
	SandboxURL string
}

// Errors of the play routes.
var (
	// ErrNotRegistered: the channel is set up, but its connection check has
	// not told the sandbox where the org's webhooks go yet.
	ErrNotRegistered = fault.New(fault.Conflict, "the sandbox does not know where to deliver this channel's messages yet: "+
		"run Test connection under Settings → Channels")
)

// MaxMediaBytes bounds a played file (before base64), under the API's body
// limit.
const MaxMediaBytes = 5 << 20

// PlayContact is the contact being played.
type PlayContact struct {
	ID       string `json:"id,omitempty" maxLength:"32" doc:"Telegram chat id or Instagram-scoped id (digits); derived from the name when absent."`
	Phone    string `json:"phone,omitempty" maxLength:"16" doc:"WhatsApp: the contact's number in E.164 (required)."`
	Name     string `json:"name,omitempty" maxLength:"100" doc:"The display name the provider reports (WhatsApp profile name, Telegram first and last name)."`
	Username string `json:"username,omitempty" maxLength:"64" doc:"Telegram username, without @."`
}

// PlayMedia is a file the contact sends.
type PlayMedia struct {
	Filename    string `json:"filename" maxLength:"255"`
	ContentType string `json:"content_type,omitempty" maxLength:"255" doc:"As the phone claims it; the app sniffs the bytes again."`
	Base64      string `json:"base64" maxLength:"7000000" doc:"The file, base64 (standard alphabet); at most 5 MB decoded."`
}

// PlayBody is POST /sandbox/inbound.
type PlayBody struct {
	Channel string      `json:"channel" enum:"whatsapp,telegram,instagram"`
	From    PlayContact `json:"from,omitempty" doc:"Who writes; WhatsApp needs from.phone."`
	Text    string      `json:"text,omitempty" maxLength:"4096"`
	Media   *PlayMedia  `json:"media,omitempty"`
}

// PlayResult says what the sandbox fired.
type PlayResult struct {
	Channel  string `json:"channel"`
	Provider string `json:"provider" doc:"twilio, telegram or instagram."`
	ID       string `json:"id" doc:"The provider's message id (MessageSid, message_id, mid)."`
	Target   string `json:"target" doc:"The webhook URL the sandbox posts it to."`
	SenderID string `json:"sender_id,omitempty" doc:"Instagram: the contact's Instagram-scoped id."`
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
var digits = regexp.MustCompile(`^[1-9][0-9]{0,19}$`)

// validate checks the body as the channel's provider would have it.
func (b *PlayBody) validate() error {
	var errs []fault.FieldError
	add := func(loc, msg string, v any) {
		errs = append(errs, fault.FieldError{Location: loc, Message: msg, Value: v})
	}
	b.From.Phone = strings.TrimSpace(b.From.Phone)
	b.From.ID = strings.TrimSpace(b.From.ID)
	switch b.Channel {
	case "whatsapp":
		if !e164.MatchString(b.From.Phone) {
			add("body.from.phone", "must be a number in E.164, like +14155550123", b.From.Phone)
		}
	case "telegram", "instagram":
		if b.From.ID != "" && !digits.MatchString(b.From.ID) {
			add("body.from.id", "must be digits", b.From.ID)
		}
	}
	if strings.TrimSpace(b.Text) == "" && b.Media == nil {
		add("body.text", "type a message or attach a file", nil)
	}
	if b.Media != nil {
		n := base64.StdEncoding.DecodedLen(len(b.Media.Base64))
		switch {
		case b.Media.Base64 == "":
			add("body.media.base64", "is empty", nil)
		case n > MaxMediaBytes+3:
			add("body.media.base64", "the file is larger than 5 MB", nil)
		}
		if _, err := base64.StdEncoding.DecodeString(b.Media.Base64); err != nil && b.Media.Base64 != "" {
			add("body.media.base64", "is not base64", nil)
		}
	}
	return fault.Fields(errs...)
}

// target is what a contact writes to on the channel: the sandbox's key
// for the org's registration.
func target(cr channels.Creds) string {
	switch cr := cr.(type) {
	case channels.WhatsAppCreds:
		return cr.From
	case channels.TelegramCreds:
		return cr.BotToken
	case channels.InstagramCreds:
		return cr.AccountID
	}
	return ""
}

// Play fires the inbound webhook of a message the contact in body sends.
func (h *Handlers) Play(ctx context.Context, orgID uuid.UUID, body PlayBody) (PlayResult, error) {
	if err := body.validate(); err != nil {
		return PlayResult{}, err
	}
	cr, err := h.Channels.Load(ctx, h.DB, orgID, channels.Channel(body.Channel))
	if err != nil {
		return PlayResult{}, err
	}
	if st := h.state(cr); !st.Registered {
		return PlayResult{}, ErrNotRegistered
	}
	in := sandbox.InboundRequest{
		Channel: body.Channel, To: target(cr), Text: body.Text,
		From: sandbox.InboundContact{ID: body.From.ID, Phone: body.From.Phone, Name: strings.TrimSpace(body.From.Name), Username: strings.TrimPrefix(body.From.Username, "@")},
	}
	if body.Media != nil {
		in.Media = &sandbox.InboundMedia{Filename: body.Media.Filename, ContentType: body.Media.ContentType, Base64: body.Media.Base64}
	}
	res, err := h.Sandbox.Inbound(h.SandboxURL, in)
	if err != nil {
		// The sandbox's refusals are about the message (a file over the
		// channel's limit...): show its reason.
		return PlayResult{}, &fault.Error{Kind: fault.Invalid, Message: err.Error(),
			Fields: []fault.FieldError{{Location: "body", Message: err.Error()}}}
	}
	return PlayResult{Channel: body.Channel, Provider: res.Provider, ID: res.ID, Target: res.Target, SenderID: res.SenderID}, nil
}

// SandboxChannel is one channel as the sandbox sees the org.
type SandboxChannel struct {
	Channel    string `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	Configured bool   `json:"configured" doc:"The channel is set up and enabled."`
	Registered bool   `json:"registered" doc:"The sandbox knows the org's webhook URL for it (Test connection registers it): delivery events and, on chat channels, contacts' messages can arrive."`
	Address    string `json:"address" doc:"What contacts write to: the WhatsApp sender number, the bot's @username, the Instagram account id; for email the sender address."`
	Webhook    string `json:"webhook,omitempty" doc:"Where the sandbox posts the channel's webhooks."`
}

// sendgridKeyID is how the sandbox names an API key in its records: the
// public part of "SG.<id>.<secret>", or a digest (the sandbox's own rule).
func sendgridKeyID(apiKey string) string {
	if parts := strings.Split(apiKey, "."); len(parts) == 3 && parts[0] == "SG" {
		return "SG." + parts[1]
	}
	sum := sha256.Sum256([]byte(apiKey))
	return "key-" + hex.EncodeToString(sum[:6])
}

// botID is the numeric id at the start of a bot token.
func botID(token string) string {
	id, _, _ := strings.Cut(token, ":")
	return id
}

// account is the identity the sandbox records the org's traffic under.
func account(cr channels.Creds) string {
	switch cr := cr.(type) {
	case channels.EmailCreds:
		return sendgridKeyID(cr.APIKey)
	case channels.WhatsAppCreds:
		return cr.AccountSID
	case channels.TelegramCreds:
		return botID(cr.BotToken)
	case channels.InstagramCreds:
		return cr.AccountID
	}
	return ""
}

// state reads the sandbox's registration of the org's channel.
func (h *Handlers) state(cr channels.Creds) SandboxChannel {
	reg := h.Sandbox.Registrations()
	st := SandboxChannel{Channel: string(cr.Channel()), Configured: true}
	switch cr := cr.(type) {
	case channels.EmailCreds:
		st.Address = cr.FromEmail
		id := sendgridKeyID(cr.APIKey)
		if i := slices.IndexFunc(reg.SendGrid, func(r sandbox.SendGridRegistration) bool { return r.KeyID == id }); i >= 0 {
			st.Registered, st.Webhook = reg.SendGrid[i].Enabled && reg.SendGrid[i].URL != "", reg.SendGrid[i].URL
		}
	case channels.WhatsAppCreds:
		st.Address = cr.From
		if i := slices.IndexFunc(reg.Twilio, func(r sandbox.TwilioRegistration) bool { return r.From == cr.From }); i >= 0 {
			st.Registered, st.Webhook = reg.Twilio[i].InboundURL != "", reg.Twilio[i].InboundURL
		}
	case channels.TelegramCreds:
		st.Address = "@" + cr.BotUsername
		id := botID(cr.BotToken)
		if i := slices.IndexFunc(reg.Telegram, func(r sandbox.TelegramRegistration) bool { return strconv.FormatInt(r.BotID, 10) == id }); i >= 0 {
			st.Registered, st.Webhook = reg.Telegram[i].WebhookURL != "", reg.Telegram[i].WebhookURL
			if cr.BotUsername == "" {
				st.Address = "@" + reg.Telegram[i].Username
			}
		}
		if st.Address == "@" {
			st.Address = ""
		}
	case channels.InstagramCreds:
		st.Address = cr.AccountID
		if i := slices.IndexFunc(reg.Instagram, func(r sandbox.InstagramRegistration) bool { return r.AccountID == cr.AccountID }); i >= 0 {
			st.Registered, st.Webhook = reg.Instagram[i].CallbackURL != "", reg.Instagram[i].CallbackURL
		}
	}
	return st
}

// SandboxAttachment is a file of a sandbox message (its bytes stay there).
type SandboxAttachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

// SandboxEvent is one step of a message's simulated life.
type SandboxEvent struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
}

// SandboxMessage is a message the sandbox accepted from the org
// (outbound) or a played contact sent (inbound).
type SandboxMessage struct {
	Channel     string              `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	Direction   string              `json:"direction" enum:"outbound,inbound"`
	ID          string              `json:"id" doc:"The provider's message id."`
	From        string              `json:"from"`
	To          string              `json:"to"`
	Subject     string              `json:"subject"`
	Body        string              `json:"body" doc:"The text (the first 2,000 bytes)."`
	Attachments []SandboxAttachment `json:"attachments"`
	Status      string              `json:"status" doc:"The latest simulated state: accepted, processed, sent, delivered, read, opened, bounced, failed, received..."`
	ErrorCode   string              `json:"error_code,omitempty"`
	Events      []SandboxEvent      `json:"events"`
	At          time.Time           `json:"at"`
}

// SandboxWebhook is one webhook attempt the sandbox made to the org's URLs.
type SandboxWebhook struct {
	ID        int64     `json:"id"`
	Channel   string    `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	Kind      string    `json:"kind" doc:"event_batch (SendGrid), status or inbound (Twilio), update (Telegram), inbound, delivery or read (Instagram)."`
	Target    string    `json:"target"`
	Events    int       `json:"events"`
	Attempt   int       `json:"attempt"`
	Status    int       `json:"status" doc:"What the app answered; 0 when it did not."`
	LatencyMS float64   `json:"latency_ms"`
	Error     string    `json:"error,omitempty"`
	At        time.Time `json:"at"`
}

// SandboxTraffic answers GET /sandbox/traffic.
type SandboxTraffic struct {
	Channels []SandboxChannel `json:"channels" doc:"The four channels, in the settings' order."`
	Messages []SandboxMessage `json:"messages" doc:"Newest first."`
	Webhooks []SandboxWebhook `json:"webhooks" doc:"Newest first."`
}

// providerChannel maps the sandbox's provider names to channels.
var providerChannel = map[string]channels.Channel{
	sandbox.ProviderSendGrid: channels.ChannelEmail, sandbox.ProviderTwilio: channels.ChannelWhatsApp,
	sandbox.ProviderTelegram: channels.ChannelTelegram, sandbox.ProviderInstagram: channels.ChannelInstagram,
}

// scanLimit is how far back the sandbox's (shared) logs are read to find
// the org's share of them.
const scanLimit = 2000

// Traffic is the org's share of the sandbox's records, at most limit of
// each kind.
func (h *Handlers) Traffic(ctx context.Context, orgID uuid.UUID, limit int) (SandboxTraffic, error) {
	out := SandboxTraffic{Channels: []SandboxChannel{}, Messages: []SandboxMessage{}, Webhooks: []SandboxWebhook{}}
	accounts := map[channels.Channel]string{}
	hooks := map[channels.Channel]string{}
	for _, c := range channels.All {
		cr, err := h.Channels.Load(ctx, h.DB, orgID, c)
		if errors.Is(err, channels.ErrNotConfigured) {
			out.Channels = append(out.Channels, SandboxChannel{Channel: string(c)})
			continue
		}
		if err != nil {
			return SandboxTraffic{}, err
		}
		out.Channels = append(out.Channels, h.state(cr))
		accounts[c] = account(cr)
		hooks[c] = "/api/callbacks/" + c.Provider() + "/" + cr.ChannelMeta().HookID + "/"
	}
	for _, m := range h.Sandbox.Messages(sandbox.MessageFilter{Limit: scanLimit}) {
		c := providerChannel[m.Provider]
		if acc, ok := accounts[c]; !ok || acc == "" || m.Account != acc {
			continue
		}
		tm := SandboxMessage{
			Channel: string(c), Direction: m.Direction, ID: m.ID, From: m.From, To: m.To, Subject: m.Subject, Body: m.Body,
			Status: m.Status, ErrorCode: m.ErrorCode, At: m.At, Attachments: []SandboxAttachment{}, Events: []SandboxEvent{},
		}
		for _, a := range m.Attachments {
			tm.Attachments = append(tm.Attachments, SandboxAttachment{Name: a.Name, ContentType: a.ContentType, Size: a.Size})
		}
		for _, e := range m.Events {
			tm.Events = append(tm.Events, SandboxEvent{Status: e.Status, At: e.At})
		}
		out.Messages = append(out.Messages, tm)
		if len(out.Messages) == limit {
			break
		}
	}
	for _, w := range h.Sandbox.Webhooks("", scanLimit) {
		c := providerChannel[w.Provider]
		if hook, ok := hooks[c]; !ok || !strings.Contains(w.Target, hook) {
			continue
		}
		out.Webhooks = append(out.Webhooks, SandboxWebhook{
			ID: w.ID, Channel: string(c), Kind: w.Kind, Target: w.Target, Events: w.Events, Attempt: w.Attempt,
			Status: w.Status, LatencyMS: w.LatencyMS, Error: w.Error, At: w.At,
		})
		if len(out.Webhooks) == limit {
			break
		}
	}
	return out, nil
}

// TrafficQuery bounds GET /sandbox/traffic.
type TrafficQuery struct {
	Limit int `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// Register mounts the routes.
func (h *Handlers) Register(api huma.API) {
	tags := []string{"Sandbox"}
	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "sandbox-play-inbound", Method: http.MethodPost, Path: "/api/v1/sandbox/inbound", Tags: tags,
		Summary: "Play a contact writing to the org",
		Description: "Sandbox servers only (SANDBOX=1). The sandbox sends the message to the org's WhatsApp sender, bot or " +
			"Instagram account as the provider would: its inbound webhook, signed, to the org's webhook URL, so the message " +
			"arrives in Conversations like a real one. The channel must be set up and checked (Test connection).",
		DefaultStatus: http.StatusAccepted, MaxBodyBytes: 8 << 20,
		Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, auth.Access{Role: auth.RoleMember, Scope: "messages:write"}), func(ctx context.Context, in *struct{ Body PlayBody }) (*struct{ Body PlayResult }, error) {
		res, err := h.Play(ctx, auth.PrincipalFrom(ctx).OrgID, in.Body)
		if err != nil {
			return nil, err
		}
		return &struct{ Body PlayResult }{Body: res}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "sandbox-traffic", Method: http.MethodGet, Path: "/api/v1/sandbox/traffic", Tags: tags,
		Summary: "The org's sandbox traffic",
		Description: "Sandbox servers only. Each channel as the sandbox sees it, the messages it accepted from the org's " +
			"credentials or played to them, and the webhooks it fired at the org's URLs, newest first.",
	}, auth.Access{Role: auth.RoleViewer, Scope: "messages:read"}), func(ctx context.Context, in *TrafficQuery) (*struct{ Body SandboxTraffic }, error) {
		t, err := h.Traffic(ctx, auth.PrincipalFrom(ctx).OrgID, in.Limit)
		if err != nil {
			return nil, err
		}
		return &struct{ Body SandboxTraffic }{Body: t}, nil
	})
}
