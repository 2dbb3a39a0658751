package sandbox

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// EventWebhookSettings mirror SendGrid's event webhook settings
// (GET/PATCH /v3/user/webhooks/event/settings): where events go and which.
type EventWebhookSettings struct {
	Enabled          bool   `json:"enabled"`
	URL              string `json:"url"`
	GroupResubscribe bool   `json:"group_resubscribe"`
	Delivered        bool   `json:"delivered"`
	GroupUnsubscribe bool   `json:"group_unsubscribe"`
	SpamReport       bool   `json:"spam_report"`
	Bounce           bool   `json:"bounce"`
	Deferred         bool   `json:"deferred"`
	Unsubscribe      bool   `json:"unsubscribe"`
	Processed        bool   `json:"processed"`
	Open             bool   `json:"open"`
	Click            bool   `json:"click"`
	Dropped          bool   `json:"dropped"`
	OAuthClientID    string `json:"oauth_client_id"`
	OAuthTokenURL    string `json:"oauth_token_url"`
}

// wants reports whether the settings ask for events of this type.
func (e EventWebhookSettings) wants(event string) bool {
	switch event {
	case "processed":
		return e.Processed
	case "delivered":
		return e.Delivered
	case "bounce":
		return e.Bounce
	case "dropped":
		return e.Dropped
	case "deferred":
		return e.Deferred
	case "open":
		return e.Open
	case "click":
		return e.Click
	case "spamreport":
		return e.SpamReport
	}
	return false
}

// sgAccount is what the sandbox keeps per SendGrid API key.
type sgAccount struct {
	Settings EventWebhookSettings `json:"event_webhook"`
	Signed   bool                 `json:"signed"`
	// PrivateKey is the ECDSA P-256 signing key, base64 PKCS#8 DER.
	PrivateKey string `json:"private_key,omitempty"`

	key *ecdsa.PrivateKey
}

// publicKey returns the base64 PKIX DER public key SendGrid shows.
func (a *sgAccount) publicKey() string {
	if a.key == nil {
		return ""
	}
	der, err := x509.MarshalPKIXPublicKey(&a.key.PublicKey)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(der)
}

// ensureKey generates the key pair on first use.
func (a *sgAccount) ensureKey() error {
	if a.key != nil {
		return nil
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return fmt.Errorf("encoding signing key: %w", err)
	}
	a.key, a.PrivateKey = k, base64.StdEncoding.EncodeToString(der)
	return nil
}

// TwilioSender is a WhatsApp sender registered with PUT /_api/twilio/senders:
// messages simulated contacts send to From go to InboundURL, signed with
// AuthToken.
type TwilioSender struct {
	AccountSID string `json:"account_sid"`
	AuthToken  string `json:"auth_token"`
	From       string `json:"from"` // E.164, without "whatsapp:"
	InboundURL string `json:"inbound_url"`
}

// telegramBot is a bot's webhook, set with setWebhook.
type telegramBot struct {
	ID             int64     `json:"id"`
	Username       string    `json:"username"`
	WebhookURL     string    `json:"webhook_url"`
	Secret         string    `json:"secret,omitempty"`
	AllowedUpdates []string  `json:"allowed_updates,omitempty"`
	SetAt          time.Time `json:"set_at"`
}

// InstagramSubscription is a webhook subscription registered with
// PUT /_api/instagram/subscriptions, after Meta's verification handshake.
type InstagramSubscription struct {
	AccountID   string `json:"account_id"`
	AppSecret   string `json:"app_secret"`
	VerifyToken string `json:"verify_token"`
	CallbackURL string `json:"callback_url"`
	// AccessToken, optional, ties sends made with that token (to /me) to
	// this account; otherwise a token's account id is derived from it.
	AccessToken string `json:"access_token,omitempty"`
}

// stateData is the persisted registrations.
type stateData struct {
	Version   int                               `json:"version"`
	SendGrid  map[string]*sgAccount             `json:"sendgrid"`
	Senders   map[string]*TwilioSender          `json:"twilio_senders"`
	Bots      map[string]*telegramBot           `json:"telegram_bots"`
	Instagram map[string]*InstagramSubscription `json:"instagram_subscriptions"`
}

func newStateData() *stateData {
	return &stateData{
		Version:   1,
		SendGrid:  map[string]*sgAccount{},
		Senders:   map[string]*TwilioSender{},
		Bots:      map[string]*telegramBot{},
		Instagram: map[string]*InstagramSubscription{},
	}
}

// state holds registrations in memory and, with a file, on disk. Writes
// are serialised by saveMu so the file always ends with the newest
// snapshot; readers only take mu.
type state struct {
	mu     sync.RWMutex
	saveMu sync.Mutex
	data   *stateData
	file   string
	log    zerolog.Logger
}

// loadState reads file when it exists. A file that does not parse is set
// aside (renamed .corrupt-<unix>) rather than overwritten by the next save.
func loadState(file string, log zerolog.Logger) *state {
	st := &state{data: newStateData(), file: file, log: log}
	if file == "" {
		return st
	}
	raw, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return st
	}
	if err == nil {
		d := newStateData()
		if err = json.Unmarshal(raw, d); err == nil {
			st.data = d.normalize(log)
			log.Info().Str("file", file).Int("sendgrid_keys", len(d.SendGrid)).Int("twilio_senders", len(d.Senders)).
				Int("telegram_bots", len(d.Bots)).Int("instagram_subscriptions", len(d.Instagram)).Msg("sandbox state loaded")
			return st
		}
	}
	aside := fmt.Sprintf("%s.corrupt-%d", file, time.Now().Unix())
	log.Error().Err(err).Str("file", file).Str("moved_to", aside).Msg("sandbox state unreadable: starting empty")
	_ = os.Rename(file, aside)
	return st
}

// normalize fills nil maps and parses signing keys.
func (d *stateData) normalize(log zerolog.Logger) *stateData {
	if d.SendGrid == nil {
		d.SendGrid = map[string]*sgAccount{}
	}
	if d.Senders == nil {
		d.Senders = map[string]*TwilioSender{}
	}
	if d.Bots == nil {
		d.Bots = map[string]*telegramBot{}
	}
	if d.Instagram == nil {
		d.Instagram = map[string]*InstagramSubscription{}
	}
	for apiKey, a := range d.SendGrid {
		if a == nil {
			delete(d.SendGrid, apiKey)
			continue
		}
		if a.PrivateKey == "" {
			continue
		}
		der, err := base64.StdEncoding.DecodeString(a.PrivateKey)
		var k any
		if err == nil {
			k, err = x509.ParsePKCS8PrivateKey(der)
		}
		if ek, ok := k.(*ecdsa.PrivateKey); err == nil && ok {
			a.key = ek
		} else {
			log.Warn().Err(err).Msg("sandbox state: bad SendGrid signing key dropped; a new one will be made")
			a.PrivateKey = ""
		}
	}
	return d
}

// read runs fn under the read lock.
func (st *state) read(fn func(d *stateData)) {
	st.mu.RLock()
	defer st.mu.RUnlock()
	fn(st.data)
}

// change runs fn under the write lock and, when fn succeeds and there is a
// file, saves the result atomically.
func (st *state) change(fn func(d *stateData) error) error {
	st.saveMu.Lock()
	defer st.saveMu.Unlock()
	st.mu.Lock()
	if err := fn(st.data); err != nil {
		st.mu.Unlock()
		return err
	}
	var raw []byte
	var err error
	if st.file != "" {
		raw, err = json.MarshalIndent(st.data, "", "  ")
	}
	st.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encoding sandbox state: %w", err)
	}
	if st.file == "" {
		return nil
	}
	if err := writeFileAtomic(st.file, raw); err != nil {
		st.log.Error().Err(err).Str("file", st.file).Msg("saving sandbox state")
		return err
	}
	return nil
}

// writeFileAtomic writes through a temp file in the same directory and a
// rename, so a crash leaves the old file or the new one, never half.
func writeFileAtomic(file string, raw []byte) error {
	dir := filepath.Dir(file)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(file)+".tmp-*")
	if err != nil {
		return fmt.Errorf("creating temp state file: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if _, err := tmp.Write(raw); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("writing state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("syncing state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("closing state: %w", err)
	}
	if err := os.Rename(tmp.Name(), file); err != nil {
		return fmt.Errorf("renaming state: %w", err)
	}
	return nil
}

// Registrations is what GET /_api/registrations shows: every webhook
// target and sender, without secrets.
type Registrations struct {
	SendGrid  []SendGridRegistration  `json:"sendgrid"`
	Twilio    []TwilioRegistration    `json:"twilio"`
	Telegram  []TelegramRegistration  `json:"telegram"`
	Instagram []InstagramRegistration `json:"instagram"`
}

// SendGridRegistration is one API key's event webhook.
type SendGridRegistration struct {
	KeyID     string `json:"key_id"`
	URL       string `json:"url"`
	Enabled   bool   `json:"enabled"`
	Signed    bool   `json:"signed"`
	PublicKey string `json:"public_key,omitempty"`
}

// TwilioRegistration is one WhatsApp sender.
type TwilioRegistration struct {
	AccountSID string `json:"account_sid"`
	From       string `json:"from"`
	InboundURL string `json:"inbound_url"`
}

// TelegramRegistration is one bot's webhook.
type TelegramRegistration struct {
	BotID      int64  `json:"bot_id"`
	Username   string `json:"username"`
	WebhookURL string `json:"webhook_url"`
	HasSecret  bool   `json:"has_secret"`
}

// InstagramRegistration is one account's subscription.
type InstagramRegistration struct {
	AccountID   string `json:"account_id"`
	CallbackURL string `json:"callback_url"`
}

// Registrations lists the registrations, sorted, without secrets.
func (s *Sandbox) Registrations() Registrations {
	out := Registrations{
		SendGrid: []SendGridRegistration{}, Twilio: []TwilioRegistration{},
		Telegram: []TelegramRegistration{}, Instagram: []InstagramRegistration{},
	}
	s.state.read(func(d *stateData) {
		for apiKey, a := range d.SendGrid {
			out.SendGrid = append(out.SendGrid, SendGridRegistration{
				KeyID: sendgridKeyID(apiKey), URL: a.Settings.URL, Enabled: a.Settings.Enabled,
				Signed: a.Signed, PublicKey: a.publicKey(),
			})
		}
		for _, t := range d.Senders {
			out.Twilio = append(out.Twilio, TwilioRegistration{AccountSID: t.AccountSID, From: t.From, InboundURL: t.InboundURL})
		}
		for _, b := range d.Bots {
			out.Telegram = append(out.Telegram, TelegramRegistration{BotID: b.ID, Username: b.Username, WebhookURL: b.WebhookURL, HasSecret: b.Secret != ""})
		}
		for _, sub := range d.Instagram {
			out.Instagram = append(out.Instagram, InstagramRegistration{AccountID: sub.AccountID, CallbackURL: sub.CallbackURL})
		}
	})
	sort.Slice(out.SendGrid, func(i, j int) bool { return out.SendGrid[i].KeyID < out.SendGrid[j].KeyID })
	sort.Slice(out.Twilio, func(i, j int) bool { return out.Twilio[i].From < out.Twilio[j].From })
	sort.Slice(out.Telegram, func(i, j int) bool { return out.Telegram[i].BotID < out.Telegram[j].BotID })
	sort.Slice(out.Instagram, func(i, j int) bool { return out.Instagram[i].AccountID < out.Instagram[j].AccountID })
	return out
}
