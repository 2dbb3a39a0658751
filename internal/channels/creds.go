package channels

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/secretbox"
)

// Errors of the lookups and routes.
var (
	// ErrNotFound: the org has not configured the channel (or, for ByHook,
	// no channel has that hook id).
	ErrNotFound = fault.New(fault.NotFound, "channel not configured")
	// ErrNotConfigured: a send or check needs a channel that is missing,
	// disabled or incomplete.
	ErrNotConfigured = fault.New(fault.Conflict, "the channel is not set up or is disabled: configure it under Settings → Channels")
	// ErrSecretsUnreadable: the stored secrets do not open with the
	// server's SECRETS_KEY (it changed) or were tampered with.
	ErrSecretsUnreadable = fault.New(fault.Conflict, "the channel's stored secrets cannot be decrypted with this server's SECRETS_KEY: enter them again")
	// ErrNotSandbox: sandbox credentials exist only when the server runs with SANDBOX=1.
	ErrNotSandbox = fault.New(fault.NotImplemented, "sandbox credentials are only available when the server runs with SANDBOX=1")
)

// Meta is what every channel's credentials carry beside the secrets.
type Meta struct {
	OrgID uuid.UUID
	// HookID names the channel in its webhook URLs (WebhookURLs).
	HookID string
	// RatePerSecond is the send rate to hold: the org's override or the
	// channel's default.
	RatePerSecond float64
	// Enabled is false only for ByHook answers: webhooks of a disabled
	// channel are still received (status callbacks of earlier sends).
	Enabled bool
}

// ChannelMeta returns m; it makes every typed Creds a Creds.
func (m Meta) ChannelMeta() Meta { return m }

// Creds are one channel's decrypted credentials: EmailCreds,
// WhatsAppCreds, TelegramCreds or InstagramCreds.
type Creds interface {
	Channel() Channel
	ChannelMeta() Meta
}

// EmailCreds are an org's SendGrid settings.
type EmailCreds struct {
	Meta
	APIKey    string
	FromEmail string
	FromName  string
	ReplyTo   string
	// EventPublicKey verifies the signed event webhook (base64 PKIX DER);
	// empty until the check fetched it or the user pasted it.
	EventPublicKey string
}

// WhatsAppCreds are an org's Twilio settings.
type WhatsAppCreds struct {
	Meta
	AccountSID string
	AuthToken  string
	From       string // the WhatsApp sender in E.164
}

// TelegramCreds are an org's bot.
type TelegramCreds struct {
	Meta
	BotToken    string
	BotUsername string // learned by the check (getMe); empty before
	// WebhookSecret is the secret_token given to setWebhook: Telegram sends
	// it in X-Telegram-Bot-Api-Secret-Token with every update.
	WebhookSecret string
}

// InstagramCreds are an org's Instagram account and Meta app.
type InstagramCreds struct {
	Meta
	AccountID   string
	AccessToken string
	AppSecret   string // verifies X-Hub-Signature-256
	VerifyToken string // Meta's subscription handshake (hub.verify_token)
}

// Channel names the channel.
func (EmailCreds) Channel() Channel { return ChannelEmail }

// Channel names the channel.
func (WhatsAppCreds) Channel() Channel { return ChannelWhatsApp }

// Channel names the channel.
func (TelegramCreds) Channel() Channel { return ChannelTelegram }

// Channel names the channel.
func (InstagramCreds) Channel() Channel { return ChannelInstagram }

// Store reads and writes channel settings, sealing the secrets with Box.
type Store struct {
	Box *secretbox.Box
	openedCache
}

// NewStore makes a Store keyed by secretsKey (the 32-byte SECRETS_KEY).
func NewStore(secretsKey []byte) (*Store, error) {
	box, err := secretbox.New(secretsKey)
	if err != nil {
		return nil, err
	}
	return &Store{Box: box}, nil
}

// aad binds sealed secrets to their row.
func aad(orgID uuid.UUID, c Channel) []byte {
	return []byte("channel_settings|" + orgID.String() + "|" + string(c))
}

// seal encrypts the secret fields; nil when there are none.
func (s *Store) seal(orgID uuid.UUID, c Channel, secrets map[string]string) ([]byte, error) {
	if len(secrets) == 0 {
		return nil, nil
	}
	raw, err := json.Marshal(secrets)
	if err != nil {
		return nil, err
	}
	return s.Box.Seal(raw, aad(orgID, c))
}

// open decrypts a row's secret fields.
func (s *Store) open(r dbsqlc.ChannelSetting) (map[string]string, error) {
	out := map[string]string{}
	if len(r.Secrets) == 0 {
		return out, nil
	}
	raw, err := s.Box.Open(r.Secrets, aad(r.OrgID, Channel(r.Channel)))
	if err != nil {
		return nil, fmt.Errorf("%w (%w)", ErrSecretsUnreadable, err)
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("%w (%w)", ErrSecretsUnreadable, err)
	}
	return out, nil
}

// Load returns the org's credentials of channel c, decrypted, as the
// channel's Creds type. ErrNotConfigured when the channel is missing,
// disabled or lacks a required field.
func (s *Store) Load(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, c Channel) (Creds, error) {
	r, err := dbsqlc.New().GetChannelSettings(ctx, db, dbsqlc.GetChannelSettingsParams{OrgID: orgID, Channel: string(c)})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotConfigured
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s settings: %w", c, err)
	}
	return s.Open(sealedOf(r))
}

// ByHook finds the org and credentials behind a webhook URL's hook id, for
// the webhook receivers (which verify the provider's signature with them).
// A disabled channel is found too (Meta.Enabled false): callbacks of
// messages sent before it was disabled still arrive. ErrNotFound when no
// channel of kind c has that hook id.
func (s *Store) ByHook(ctx context.Context, db dbutil.Executor, c Channel, hookID string) (uuid.UUID, Creds, error) {
	if !hookIDPattern.MatchString(hookID) {
		return uuid.Nil, nil, ErrNotFound
	}
	r, err := dbsqlc.New().GetChannelSettingsByHook(ctx, db, dbsqlc.GetChannelSettingsByHookParams{HookID: hookID, Channel: string(c)})
	if errors.Is(err, pgx.ErrNoRows) {
		return uuid.Nil, nil, ErrNotFound
	}
	if err != nil {
		return uuid.Nil, nil, fmt.Errorf("reading %s settings by hook: %w", c, err)
	}
	cr, _, err := s.creds(r)
	if err != nil {
		return uuid.Nil, nil, err
	}
	return r.OrgID, cr, nil
}

// RatePerSecond is the org's send rate for channel c: its override, or the
// channel's default (also when the channel is not configured). It reads no
// secret.
func RatePerSecond(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, c Channel) (float64, error) {
	r, err := dbsqlc.New().GetChannelSettings(ctx, db, dbsqlc.GetChannelSettingsParams{OrgID: orgID, Channel: string(c)})
	if errors.Is(err, pgx.ErrNoRows) {
		return DefaultRatePerSecond(c), nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading %s settings: %w", c, err)
	}
	return EffectiveRatePerSecond(c, floatPtr(r.RatePerSecond)), nil
}

// Email loads the org's email credentials (Load, typed).
func (s *Store) Email(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) (EmailCreds, error) {
	return loadAs[EmailCreds](ctx, s, db, orgID, ChannelEmail)
}

// WhatsApp loads the org's WhatsApp credentials (Load, typed).
func (s *Store) WhatsApp(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) (WhatsAppCreds, error) {
	return loadAs[WhatsAppCreds](ctx, s, db, orgID, ChannelWhatsApp)
}

// Telegram loads the org's Telegram credentials (Load, typed).
func (s *Store) Telegram(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) (TelegramCreds, error) {
	return loadAs[TelegramCreds](ctx, s, db, orgID, ChannelTelegram)
}

// Instagram loads the org's Instagram credentials (Load, typed).
func (s *Store) Instagram(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) (InstagramCreds, error) {
	return loadAs[InstagramCreds](ctx, s, db, orgID, ChannelInstagram)
}

func loadAs[T Creds](ctx context.Context, s *Store, db dbutil.Executor, orgID uuid.UUID, c Channel) (T, error) {
	var zero T
	cr, err := s.Load(ctx, db, orgID, c)
	if err != nil {
		return zero, err
	}
	return cr.(T), nil
}

// creds builds a row's typed credentials and lists the required fields it lacks.
func (s *Store) creds(r dbsqlc.ChannelSetting) (Creds, []string, error) {
	config, err := decodeStrings(r.Config)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s config: %w", r.Channel, err)
	}
	secrets, err := s.open(r)
	if err != nil {
		return nil, nil, err
	}
	c := Channel(r.Channel)
	v := func(name string) string {
		if f, _ := fieldOf(c, name); f.secret {
			return secrets[name]
		}
		return config[name]
	}
	var missing []string
	for _, f := range fields[c] {
		if f.required && v(f.name) == "" {
			missing = append(missing, f.name)
		}
	}
	m := Meta{OrgID: r.OrgID, HookID: r.HookID, RatePerSecond: EffectiveRatePerSecond(c, floatPtr(r.RatePerSecond)), Enabled: r.Enabled}
	switch c {
	case ChannelEmail:
		return EmailCreds{Meta: m, APIKey: v(FieldAPIKey), FromEmail: v(FieldFromEmail), FromName: v(FieldFromName),
			ReplyTo: v(FieldReplyTo), EventPublicKey: v(FieldEventPublicKey)}, missing, nil
	case ChannelWhatsApp:
		return WhatsAppCreds{Meta: m, AccountSID: v(FieldAccountSID), AuthToken: v(FieldAuthToken), From: v(FieldFrom)}, missing, nil
	case ChannelTelegram:
		return TelegramCreds{Meta: m, BotToken: v(FieldBotToken), BotUsername: v(FieldBotUsername), WebhookSecret: v(FieldWebhookSecret)}, missing, nil
	case ChannelInstagram:
		return InstagramCreds{Meta: m, AccountID: v(FieldAccountID), AccessToken: v(FieldAccessToken), AppSecret: v(FieldAppSecret),
			VerifyToken: v(FieldVerifyToken)}, missing, nil
	}
	return nil, nil, fmt.Errorf("unknown channel %q", r.Channel)
}

func decodeStrings(raw []byte) (map[string]string, error) {
	out := map[string]string{}
	if len(raw) == 0 {
		return out, nil
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}
