package messaging

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/providers/instagram"
	"github.com/switchboard/switchboard/internal/providers/sendgrid"
	"github.com/switchboard/switchboard/internal/providers/telegram"
	"github.com/switchboard/switchboard/internal/providers/twilio"
)

// Providers are the adapters, one per provider, pointed at their API roots
// (the sandbox under make run and in tests).
type Providers struct {
	SendGrid  *sendgrid.Client
	Twilio    *twilio.Client
	Telegram  *telegram.Client
	Instagram *instagram.Client
}

// NewProviders builds the adapters from the configuration. Twilio's
// client never follows redirects (a redirected POST would resend).
func NewProviders(cfg *config.Config) Providers {
	hc := providers.NewHTTPClient(cfg.ProviderTimeout, true)
	return Providers{
		SendGrid:  sendgrid.New(cfg.Providers.SendGrid, hc),
		Twilio:    twilio.New(cfg.Providers.Twilio, providers.NewHTTPClient(cfg.ProviderTimeout, false)),
		Telegram:  telegram.New(cfg.Providers.Telegram, hc),
		Instagram: instagram.New(cfg.Providers.Instagram, hc),
	}
}

// Senders binds the adapters to each org's channel credentials, which
// store opens from the settings each message carries (Outgoing.Settings).
func Senders(store *channels.Store, p Providers, publicBaseURL string) map[Channel]Sender {
	return map[Channel]Sender{
		contacts.ChannelEmail:     &emailSender{store, p.SendGrid},
		contacts.ChannelWhatsApp:  &whatsAppSender{store, p.Twilio, publicBaseURL},
		contacts.ChannelTelegram:  &telegramSender{store, p.Telegram},
		contacts.ChannelInstagram: &instagramSender{store, p.Instagram},
	}
}

// credsOf opens a message's channel credentials as the channel's type;
// a channel not set up fails the send (notConfigured).
func credsOf[T channels.Creds](store *channels.Store, provider string, m Outgoing) (T, error) {
	var zero T
	cr, err := store.Open(m.Settings)
	if err != nil {
		return zero, notConfigured(provider, err)
	}
	typed, ok := cr.(T)
	if !ok {
		return zero, fmt.Errorf("%s message carries %s settings", m.Channel, cr.Channel())
	}
	return typed, nil
}

// notConfigured fails a send whose channel is missing or disabled: a
// permanent error, since retrying won't set the channel up.
func notConfigured(provider string, err error) error {
	if fe, ok := fault.As(err); ok && (fe == channels.ErrNotConfigured || fe == channels.ErrNotFound || fe == channels.ErrSecretsUnreadable) {
		return &providers.Error{Provider: provider, Operation: "send", Kind: providers.KindPermanent, Code: "channel_not_configured", Reason: fe.Message, Err: err}
	}
	return err
}

type emailSender struct {
	store  *channels.Store
	client *sendgrid.Client
}

func (s *emailSender) Send(ctx context.Context, m Outgoing) (providers.Sent, error) {
	cr, err := credsOf[channels.EmailCreds](s.store, "sendgrid", m)
	if err != nil {
		return providers.Sent{}, err
	}
	return s.client.Send(ctx, sendgrid.Credentials{APIKey: cr.APIKey, FromEmail: cr.FromEmail, FromName: cr.FromName}, sendgrid.Message{
		To: m.To, Subject: m.Subject, HTML: m.HTML, Text: m.Text, ReplyTo: cr.ReplyTo, Headers: m.Headers,
		Attachments: m.Attachments,
		// Events carry these back: the webhook matches by X-Message-Id, and
		// the ids help when reading SendGrid's own activity feed.
		CustomArgs: map[string]string{"message_id": m.MessageID.String(), "org_id": m.OrgID.String()},
	})
}

type whatsAppSender struct {
	store   *channels.Store
	client  *twilio.Client
	baseURL string
}

func (s *whatsAppSender) Send(ctx context.Context, m Outgoing) (providers.Sent, error) {
	cr, err := credsOf[channels.WhatsAppCreds](s.store, "twilio", m)
	if err != nil {
		return providers.Sent{}, err
	}
	msg := twilio.Message{
		To: m.To, Body: m.Text,
		StatusCallback: channels.WebhookURLOf(s.baseURL, channels.ChannelWhatsApp, cr.HookID, channels.PurposeStatus),
	}
	if len(m.Attachments) > 0 {
		msg.MediaURL = m.Attachments[0].URL
	}
	return s.client.Send(ctx, twilio.Credentials{AccountSID: cr.AccountSID, AuthToken: cr.AuthToken, From: cr.From}, msg)
}

type telegramSender struct {
	store  *channels.Store
	client *telegram.Client
}

func (s *telegramSender) Send(ctx context.Context, m Outgoing) (providers.Sent, error) {
	cr, err := credsOf[channels.TelegramCreds](s.store, "telegram", m)
	if err != nil {
		return providers.Sent{}, err
	}
	chatID, err := strconv.ParseInt(m.To, 10, 64)
	if err != nil {
		return providers.Sent{}, &providers.Error{Provider: "telegram", Operation: "send", Kind: providers.KindPermanent,
			Status: http.StatusBadRequest, Reason: fmt.Sprintf("chat id %q is not a number", m.To)}
	}
	msg := telegram.Message{ChatID: chatID, Text: m.Text}
	if len(m.Attachments) > 0 {
		msg.Attachment = &m.Attachments[0]
	}
	return s.client.Send(ctx, cr.BotToken, msg)
}

type instagramSender struct {
	store  *channels.Store
	client *instagram.Client
}

func (s *instagramSender) Send(ctx context.Context, m Outgoing) (providers.Sent, error) {
	cr, err := credsOf[channels.InstagramCreds](s.store, "instagram", m)
	if err != nil {
		return providers.Sent{}, err
	}
	msg := instagram.Message{RecipientID: m.To, Text: m.Text}
	if len(m.Attachments) > 0 {
		msg.Attachment = &m.Attachments[0]
	}
	return s.client.Send(ctx, instagram.Credentials{AccessToken: cr.AccessToken, AccountID: cr.AccountID}, msg)
}
