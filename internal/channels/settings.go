package channels

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// Status is where a channel's connection check stands.
type Status string

// The statuses. A change of credentials makes a checked channel unchecked again.
const (
	StatusUnchecked Status = "unchecked"
	StatusChecking  Status = "checking"
	StatusOK        Status = "ok"
	StatusError     Status = "error"
)

// ChannelSettings is a channel's settings as the API shows them: never a
// secret, only whether each is set and its last four characters.
type ChannelSettings struct {
	Channel    Channel `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	Provider   string  `json:"provider" enum:"sendgrid,twilio,telegram,instagram"`
	Configured bool    `json:"configured" doc:"False until the settings are first saved."`
	Enabled    bool    `json:"enabled" doc:"Sends use the channel only when enabled; webhooks are received either way."`
	// Config holds every non-secret field of the channel, "" when unset.
	Config map[string]string `json:"config" doc:"The non-secret fields by name (\"\" when unset). email: from_email, from_name, reply_to, event_public_key; whatsapp: account_sid, from; telegram: bot_username (learned from Telegram by the check); instagram: account_id."`
	// Secrets holds every secret field the user sets, never its value.
	Secrets map[string]SecretState `json:"secrets" doc:"Whether each secret is set, with its last 4 characters. email: api_key; whatsapp: auth_token; telegram: bot_token; instagram: access_token, app_secret. Secrets are never returned."`
	// VerifyToken is Instagram's, shown because it must be pasted into
	// Meta's console (see the package doc).
	VerifyToken            string       `json:"verify_token,omitempty" doc:"Instagram: paste into Meta's webhook settings next to the callback URL. It proves nothing by itself: events are authenticated with the app secret."`
	WebhookURLs            []WebhookURL `json:"webhook_urls" doc:"Where the provider calls us; empty until the settings are first saved."`
	Status                 Status       `json:"status" enum:"unchecked,checking,ok,error"`
	CheckedAt              *time.Time   `json:"checked_at"`
	CheckError             *string      `json:"check_error" doc:"The provider's reason when the last check failed."`
	RatePerSecond          *float64     `json:"rate_per_second" doc:"The org's send rate override; null: the default."`
	DefaultRatePerSecond   float64      `json:"default_rate_per_second"`
	EffectiveRatePerSecond float64      `json:"effective_rate_per_second" doc:"What sends are held to."`
	UpdatedAt              *time.Time   `json:"updated_at"`
	UpdatedBy              *uuid.UUID   `json:"updated_by"`
}

// SecretState says whether a secret is set.
type SecretState struct {
	Set   bool   `json:"set"`
	Last4 string `json:"last4" doc:"The secret's last 4 characters; empty when unset or shorter than 12 characters."`
}

// minHintLen is the shortest secret whose last four characters are shown.
const minHintLen = 12

var hookIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// newHookID returns 128 random bits, base64url.
func newHookID() string { return randomToken(16) }

// randomToken is n random bytes, base64url without padding.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

func floatPtr(f pgtype.Float8) *float64 {
	if !f.Valid {
		return nil
	}
	return &f.Float64
}

func nullable(u uuid.NullUUID) *uuid.UUID {
	if !u.Valid {
		return nil
	}
	return &u.UUID
}

// unconfigured is a channel's view before its first save.
func unconfigured(c Channel) ChannelSettings {
	v := ChannelSettings{
		Channel: c, Provider: c.Provider(), Config: map[string]string{}, Secrets: map[string]SecretState{},
		WebhookURLs: []WebhookURL{}, Status: StatusUnchecked,
		DefaultRatePerSecond: DefaultRatePerSecond(c), EffectiveRatePerSecond: DefaultRatePerSecond(c),
	}
	for _, f := range fields[c] {
		switch {
		case !f.secret:
			v.Config[f.name] = ""
		case !f.hidden && !f.shown:
			v.Secrets[f.name] = SecretState{}
		}
	}
	return v
}

// view turns a row into its API shape. Only Instagram's row is decrypted,
// for the verify token; a row that does not open shows no token.
func (s *Store) view(r dbsqlc.ChannelSetting, publicBaseURL string) (ChannelSettings, error) {
	c := Channel(r.Channel)
	v := unconfigured(c)
	config, err := decodeStrings(r.Config)
	if err != nil {
		return ChannelSettings{}, fmt.Errorf("reading %s config: %w", c, err)
	}
	hints, err := decodeStrings(r.SecretHints)
	if err != nil {
		return ChannelSettings{}, fmt.Errorf("reading %s secret hints: %w", c, err)
	}
	for name := range v.Config {
		v.Config[name] = config[name]
	}
	for name := range v.Secrets {
		last4, set := hints[name]
		v.Secrets[name] = SecretState{Set: set, Last4: last4}
	}
	if c == ChannelInstagram {
		if secrets, err := s.open(r); err == nil {
			v.VerifyToken = secrets[FieldVerifyToken]
		}
	}
	v.Configured = true
	v.Enabled = r.Enabled
	v.WebhookURLs = WebhookURLs(publicBaseURL, c, r.HookID)
	v.Status = Status(r.Status)
	v.CheckedAt = r.CheckedAt
	v.CheckError = r.CheckError
	v.RatePerSecond = floatPtr(r.RatePerSecond)
	v.EffectiveRatePerSecond = EffectiveRatePerSecond(c, v.RatePerSecond)
	at := r.UpdatedAt
	v.UpdatedAt = &at
	v.UpdatedBy = nullable(r.UpdatedBy)
	return v, nil
}

// List returns all four channels of the org, configured or not, in All's order.
func (s *Store) List(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, publicBaseURL string) ([]ChannelSettings, error) {
	rows, err := dbsqlc.New().ListChannelSettings(ctx, db, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing channel settings: %w", err)
	}
	byChannel := map[Channel]dbsqlc.ChannelSetting{}
	for _, r := range rows {
		byChannel[Channel(r.Channel)] = r
	}
	out := make([]ChannelSettings, 0, len(All))
	for _, c := range All {
		r, ok := byChannel[c]
		if !ok {
			out = append(out, unconfigured(c))
			continue
		}
		v, err := s.view(r, publicBaseURL)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Get returns one configured channel; ErrNotFound before its first save.
func (s *Store) Get(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, c Channel, publicBaseURL string) (ChannelSettings, error) {
	r, err := dbsqlc.New().GetChannelSettings(ctx, db, dbsqlc.GetChannelSettingsParams{OrgID: orgID, Channel: string(c)})
	if errors.Is(err, pgx.ErrNoRows) {
		return ChannelSettings{}, ErrNotFound
	}
	if err != nil {
		return ChannelSettings{}, fmt.Errorf("reading %s settings: %w", c, err)
	}
	return s.view(r, publicBaseURL)
}

// PutParams change a channel's settings. Absent fields keep their values.
type PutParams struct {
	// Enabled; a new channel is enabled unless this says otherwise.
	Enabled *bool
	// Config sets non-secret fields; "" clears one.
	Config map[string]string
	// Secrets sets secret fields; a nil value keeps the stored one, ""
	// clears it (for the verify token: makes a new one).
	Secrets map[string]*string
	// RatePerSecond overrides the default send rate; 0 goes back to it.
	RatePerSecond *float64
	Actor         uuid.NullUUID
}

// Put merges p into the channel's settings, creating them on first use.
// Each changed field is checked and normalized; the problem names every
// bad one (body.config.<name>, body.secrets.<name>). An enabled channel
// needs its required fields. A change to any credential or setting makes
// the channel unchecked again.
func (s *Store) Put(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, c Channel, p PutParams, now time.Time) (dbsqlc.ChannelSetting, error) {
	var errs []fault.FieldError
	bad := func(loc, msg string, value any) {
		errs = append(errs, fault.FieldError{Location: loc, Message: msg, Value: value})
	}
	config := map[string]string{}
	for name, raw := range p.Config {
		f, ok := fieldOf(c, name)
		loc := "body.config." + name
		switch {
		case !ok || f.secret:
			bad(loc, fmt.Sprintf("not a setting of %s; the settings are %s", c, names(c, settableConfig)), nil)
			continue
		case f.learned:
			bad(loc, "learned from the provider by Test connection; it cannot be set", nil)
			continue
		}
		v := strings.TrimSpace(raw)
		if v != "" && f.check != nil {
			n, err := f.check(v)
			if err != nil {
				bad(loc, err.Error(), raw)
				continue
			}
			v = n
		}
		config[name] = v
	}
	secrets := map[string]string{}
	for name, raw := range p.Secrets {
		f, ok := fieldOf(c, name)
		loc := "body.secrets." + name
		switch {
		case !ok || !f.secret:
			bad(loc, fmt.Sprintf("not a secret of %s; the secrets are %s", c, names(c, settableSecret)), nil)
			continue
		case !settableSecret(f):
			bad(loc, "generated by Switchboard; it cannot be set", nil)
			continue
		case raw == nil:
			continue
		}
		v := strings.TrimSpace(*raw)
		if v != "" && f.check != nil {
			n, err := f.check(v)
			if err != nil {
				// Never echo a secret back, even a wrong one.
				bad(loc, err.Error(), nil)
				continue
			}
			v = n
		}
		secrets[name] = v
	}
	if p.RatePerSecond != nil && (*p.RatePerSecond < 0 || *p.RatePerSecond > 10000) {
		bad("body.rate_per_second", "must be between 0 (the default) and 10000", *p.RatePerSecond)
	}
	if err := fault.Fields(errs...); err != nil {
		return dbsqlc.ChannelSetting{}, err
	}

	var out dbsqlc.ChannelSetting
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		old, err := q.LockChannelSettings(ctx, tx, dbsqlc.LockChannelSettingsParams{OrgID: orgID, Channel: string(c)})
		exists := err == nil
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("locking %s settings: %w", c, err)
		}
		oldConfig, oldSecrets := map[string]string{}, map[string]string{}
		if exists {
			if oldConfig, err = decodeStrings(old.Config); err != nil {
				return fmt.Errorf("reading %s config: %w", c, err)
			}
			// Secrets that do not open can only be replaced whole.
			if oldSecrets, err = s.open(old); err != nil {
				if !replacesAllSecrets(c, secrets) {
					return err
				}
				oldSecrets = map[string]string{}
			}
		}

		newConfig := maps.Clone(oldConfig)
		for name, v := range config {
			setOrDelete(newConfig, name, v)
		}
		newSecrets := maps.Clone(oldSecrets)
		for name, v := range secrets {
			setOrDelete(newSecrets, name, v)
		}
		switch c {
		case ChannelTelegram:
			if newSecrets[FieldBotToken] != oldSecrets[FieldBotToken] {
				// Another bot: its username is learned again by the next check.
				delete(newConfig, FieldBotUsername)
			}
			if newSecrets[FieldWebhookSecret] == "" {
				newSecrets[FieldWebhookSecret] = randomToken(32)
			}
		case ChannelInstagram:
			if newSecrets[FieldVerifyToken] == "" {
				newSecrets[FieldVerifyToken] = randomToken(24)
			}
		}

		enabled := true
		if exists {
			enabled = old.Enabled
		}
		if p.Enabled != nil {
			enabled = *p.Enabled
		}
		if enabled {
			var missing []fault.FieldError
			for _, f := range fields[c] {
				if !f.required {
					continue
				}
				if f.secret && newSecrets[f.name] == "" {
					missing = append(missing, fault.FieldError{Location: "body.secrets." + f.name, Message: "required to enable the channel"})
				}
				if !f.secret && newConfig[f.name] == "" {
					missing = append(missing, fault.FieldError{Location: "body.config." + f.name, Message: "required to enable the channel"})
				}
			}
			if err := fault.Fields(missing...); err != nil {
				return err
			}
		}

		sealed, err := s.seal(orgID, c, newSecrets)
		if err != nil {
			return fmt.Errorf("sealing %s secrets: %w", c, err)
		}
		configJSON, err := json.Marshal(newConfig)
		if err != nil {
			return err
		}
		hintsJSON, err := json.Marshal(hints(c, newSecrets))
		if err != nil {
			return err
		}
		arg := dbsqlc.UpsertChannelSettingsParams{
			OrgID: orgID, Channel: string(c), Enabled: enabled, Config: configJSON, Secrets: sealed, SecretHints: hintsJSON,
			HookID: newHookID(), Revision: 1, Status: string(StatusUnchecked), Actor: p.Actor, Now: now,
		}
		if exists {
			arg.HookID, arg.Revision, arg.RatePerSecond = old.HookID, old.Revision, old.RatePerSecond
			if maps.Equal(oldConfig, newConfig) && maps.Equal(oldSecrets, newSecrets) {
				arg.Status, arg.CheckedAt, arg.CheckError = old.Status, old.CheckedAt, old.CheckError
			} else {
				arg.Revision++
			}
		}
		if p.RatePerSecond != nil {
			arg.RatePerSecond = pgtype.Float8{Float64: *p.RatePerSecond, Valid: *p.RatePerSecond > 0}
		}
		out, err = q.UpsertChannelSettings(ctx, tx, arg)
		if err != nil {
			return fmt.Errorf("saving %s settings: %w", c, err)
		}
		return nil
	})
	return out, err
}

func setOrDelete(m map[string]string, k, v string) {
	if v == "" {
		delete(m, k)
		return
	}
	m[k] = v
}

// replacesAllSecrets reports whether the update sets every secret the user
// can set, so that stored secrets that no longer open are not needed.
func replacesAllSecrets(c Channel, secrets map[string]string) bool {
	for _, f := range fields[c] {
		if settableSecret(f) && f.required && secrets[f.name] == "" {
			return false
		}
	}
	return true
}

// hints are the last four characters of each set secret the API may
// mention; the hidden ones are left out altogether.
func hints(c Channel, secrets map[string]string) map[string]string {
	out := map[string]string{}
	for _, f := range fields[c] {
		v, set := secrets[f.name]
		if !f.secret || f.hidden || f.shown || !set {
			continue
		}
		if len(v) >= minHintLen {
			out[f.name] = v[len(v)-4:]
		} else {
			out[f.name] = ""
		}
	}
	return out
}

// Delete removes the channel's settings; its webhook URLs stop working.
func Delete(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, c Channel) error {
	n, err := dbsqlc.New().DeleteChannelSettings(ctx, db, dbsqlc.DeleteChannelSettingsParams{OrgID: orgID, Channel: string(c)})
	if err != nil {
		return fmt.Errorf("deleting %s settings: %w", c, err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Inserter enqueues jobs in the caller's transaction (a River client).
type Inserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// RequestCheck marks the channel as checking and queues its CheckArgs job,
// in one transaction. The channel must have its required fields (it may
// be disabled: testing comes before enabling).
func RequestCheck(ctx context.Context, db dbutil.Executor, jobs Inserter, orgID uuid.UUID, c Channel) (dbsqlc.ChannelSetting, error) {
	var out dbsqlc.ChannelSetting
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		r, err := q.LockChannelSettings(ctx, tx, dbsqlc.LockChannelSettingsParams{OrgID: orgID, Channel: string(c)})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("locking %s settings: %w", c, err)
		}
		config, err := decodeStrings(r.Config)
		if err != nil {
			return err
		}
		hints, err := decodeStrings(r.SecretHints)
		if err != nil {
			return err
		}
		var missing []string
		for _, f := range fields[c] {
			_, secretSet := hints[f.name]
			if f.required && ((f.secret && !secretSet) || (!f.secret && config[f.name] == "")) {
				missing = append(missing, f.name)
			}
		}
		if len(missing) > 0 {
			return fault.New(fault.Conflict, "fill in "+strings.Join(missing, ", ")+" and save before testing the connection")
		}
		if out, err = q.MarkChannelChecking(ctx, tx, dbsqlc.MarkChannelCheckingParams{OrgID: orgID, Channel: string(c)}); err != nil {
			return fmt.Errorf("marking %s as checking: %w", c, err)
		}
		if _, err := jobs.InsertTx(ctx, tx, CheckArgs{OrgID: orgID, Channel: c}, nil); err != nil {
			return fmt.Errorf("enqueueing the %s check: %w", c, err)
		}
		return nil
	})
	return out, err
}
