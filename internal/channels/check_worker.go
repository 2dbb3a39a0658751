package channels

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/providers/instagram"
	"github.com/switchboard/switchboard/internal/providers/sendgrid"
	"github.com/switchboard/switchboard/internal/providers/telegram"
	"github.com/switchboard/switchboard/internal/providers/twilio"
)

// CheckArgs is the job that tests a channel's connection. The test route
// inserts it in the transaction that sets the status to checking.
type CheckArgs struct {
	OrgID   uuid.UUID `json:"org_id"`
	Channel Channel   `json:"channel"`
}

// Kind names the job.
func (CheckArgs) Kind() string { return "channel_check" }

// InsertOpts puts it on the default queue. Every request gets its own
// job: deduplicating requests against a job that River still counts as
// running, though it has already recorded its result, would leave the
// channel "checking" for good; a second check in a row is harmless.
func (CheckArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobqueue.QueueDefault, MaxAttempts: 3}
}

// SendGridChecker is what the check needs of the SendGrid adapter.
type SendGridChecker interface {
	Check(ctx context.Context, cr sendgrid.Credentials) error
	ConfigureEventWebhook(ctx context.Context, cr sendgrid.Credentials, url string) (publicKey string, err error)
}

// TwilioChecker is what the check needs of the Twilio adapter.
type TwilioChecker interface {
	Check(ctx context.Context, cr twilio.Credentials) error
}

// TelegramChecker is what the check needs of the Telegram adapter.
type TelegramChecker interface {
	GetMe(ctx context.Context, token string) (telegram.Bot, error)
	SetWebhook(ctx context.Context, token, url, secret string) error
}

// InstagramChecker is what the check needs of the Instagram adapter.
type InstagramChecker interface {
	Check(ctx context.Context, cr instagram.Credentials) error
}

// CheckWorker tests a channel's credentials against its provider and
// records ok or error with the provider's reason.
type CheckWorker struct {
	river.WorkerDefaults[CheckArgs]
	DB        dbutil.Executor
	Store     *Store
	SendGrid  SendGridChecker
	Twilio    TwilioChecker
	Telegram  TelegramChecker
	Instagram InstagramChecker
	// PublicBaseURL makes the webhook URLs given to the providers.
	PublicBaseURL string
	// Sandbox: the check also registers what real Twilio and Meta take in
	// their consoles (the WhatsApp sender's inbound URL, the Instagram
	// subscription) with the sandbox's control API at SandboxAPI
	// (PUBLIC_BASE_URL + "/sandbox/_api"), through HTTP.
	Sandbox    bool
	SandboxAPI string
	HTTP       *http.Client
	Now        func() time.Time
}

// Timeout bounds one check: a few provider calls, each bounded by the
// adapters' own client timeout.
func (w *CheckWorker) Timeout(*river.Job[CheckArgs]) time.Duration { return 2 * time.Minute }

// Work runs the check and records its result over the settings it checked.
func (w *CheckWorker) Work(ctx context.Context, job *river.Job[CheckArgs]) error {
	q := dbsqlc.New()
	c := job.Args.Channel
	r, err := q.GetChannelSettings(ctx, w.DB, dbsqlc.GetChannelSettingsParams{OrgID: job.Args.OrgID, Channel: string(c)})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return fmt.Errorf("reading %s settings: %w", c, err)
	}
	if Status(r.Status) != StatusChecking {
		return nil // changed meanwhile: nobody waits for this check
	}

	learned := map[string]string{}
	var failure string
	cr, missing, err := w.Store.creds(r)
	switch {
	case errors.Is(err, ErrSecretsUnreadable):
		failure = ErrSecretsUnreadable.Message
	case err != nil:
		return err
	case len(missing) > 0:
		failure = "missing " + strings.Join(missing, ", ")
	default:
		if err := w.check(ctx, cr, learned); err != nil {
			failure = Reason(err)
		}
	}

	status, reason := StatusOK, (*string)(nil)
	if failure != "" {
		status, reason = StatusError, &failure
	}
	learnedJSON, err := json.Marshal(learned)
	if err != nil {
		return err
	}
	n, err := q.RecordChannelCheck(ctx, w.DB, dbsqlc.RecordChannelCheckParams{
		Status: string(status), CheckError: reason, Now: w.Now(), Learned: learnedJSON,
		OrgID: r.OrgID, Channel: r.Channel, Revision: r.Revision,
	})
	if err != nil {
		return fmt.Errorf("recording the %s check: %w", c, err)
	}
	if n == 0 {
		// The settings changed while the provider was called. If a check of
		// the new settings was asked for (and this job, still running, stood
		// in for it), run again with them.
		now, err := q.GetChannelSettings(ctx, w.DB, dbsqlc.GetChannelSettingsParams{OrgID: r.OrgID, Channel: r.Channel})
		if err == nil && Status(now.Status) == StatusChecking && now.Revision != r.Revision {
			return river.JobSnooze(time.Second)
		}
	}
	return nil
}

// check calls the provider; learned collects what it tells us to keep.
func (w *CheckWorker) check(ctx context.Context, cr Creds, learned map[string]string) error {
	hook := cr.ChannelMeta().HookID
	switch cr := cr.(type) {
	case EmailCreds:
		sg := sendgrid.Credentials{APIKey: cr.APIKey, FromEmail: cr.FromEmail, FromName: cr.FromName}
		if err := w.SendGrid.Check(ctx, sg); err != nil {
			return err
		}
		key, err := w.SendGrid.ConfigureEventWebhook(ctx, sg, WebhookURLOf(w.PublicBaseURL, ChannelEmail, hook, PurposeEvents))
		if err != nil {
			if cr.EventPublicKey != "" {
				// Set up by hand in SendGrid, with the key pasted here: what
				// this key may not do does not matter.
				return nil
			}
			return fmt.Errorf("the key may send, but pointing the Event Webhook at Switchboard failed (%s): give the key the Event Webhook "+
				"permission, or create the webhook in SendGrid and paste its verification key", Reason(err))
		}
		learned[FieldEventPublicKey] = key
		return nil
	case WhatsAppCreds:
		if err := w.Twilio.Check(ctx, twilio.Credentials{AccountSID: cr.AccountSID, AuthToken: cr.AuthToken, From: cr.From}); err != nil {
			return err
		}
		if w.Sandbox {
			return w.register(ctx, "/twilio/senders", map[string]string{
				"account_sid": cr.AccountSID, "auth_token": cr.AuthToken, "from": cr.From,
				"inbound_url": WebhookURLOf(w.PublicBaseURL, ChannelWhatsApp, hook, PurposeInbound),
			})
		}
		return nil
	case TelegramCreds:
		bot, err := w.Telegram.GetMe(ctx, cr.BotToken)
		if err != nil {
			return err
		}
		if bot.Username != "" {
			learned[FieldBotUsername] = bot.Username
		}
		return w.Telegram.SetWebhook(ctx, cr.BotToken, WebhookURLOf(w.PublicBaseURL, ChannelTelegram, hook, PurposeUpdates), cr.WebhookSecret)
	case InstagramCreds:
		if w.Sandbox {
			// First, as with Meta, where the app is set up in the console
			// before its token is used: the subscription also ties the
			// sandbox token to the account, which the check then confirms.
			// It runs Meta's handshake against our callback URL.
			if err := w.register(ctx, "/instagram/subscriptions", map[string]string{
				"account_id": cr.AccountID, "app_secret": cr.AppSecret, "verify_token": cr.VerifyToken,
				"callback_url": WebhookURLOf(w.PublicBaseURL, ChannelInstagram, hook, PurposeWebhook), "access_token": cr.AccessToken,
			}); err != nil {
				return err
			}
		}
		return w.Instagram.Check(ctx, instagram.Credentials{AccessToken: cr.AccessToken, AccountID: cr.AccountID})
	}
	return fmt.Errorf("unknown channel %q", cr.Channel())
}

// register PUTs a registration to the sandbox's control API.
func (w *CheckWorker) register(ctx context.Context, path string, body map[string]string) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, strings.TrimRight(w.SandboxAPI, "/")+path, bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("sandbox registration: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	hc := w.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	res, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox registration (%s): %w", path, err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		raw, _ := io.ReadAll(io.LimitReader(res.Body, 4096))
		msg := strings.TrimSpace(string(raw))
		var problem struct {
			Detail string `json:"detail"`
		}
		if json.Unmarshal(raw, &problem) == nil && problem.Detail != "" {
			msg = problem.Detail
		}
		return fmt.Errorf("sandbox registration (%s) answered %d: %s", path, res.StatusCode, msg)
	}
	return nil
}

// Reason is what a failed check shows the user: the provider's own reason
// and code when the adapter got an answer, the error otherwise.
func Reason(err error) string {
	pe, ok := providers.AsError(err)
	if !ok {
		return err.Error()
	}
	msg := pe.Reason
	if msg == "" {
		msg = pe.Error()
	}
	var extra []string
	if pe.Code != "" && !strings.Contains(msg, pe.Code) {
		extra = append(extra, "code "+pe.Code)
	}
	if pe.Status != 0 {
		extra = append(extra, fmt.Sprintf("HTTP %d", pe.Status))
	}
	if pe.Kind == providers.KindRetryable || pe.Kind == providers.KindRateLimited {
		extra = append(extra, "temporary: try again")
	}
	if len(extra) > 0 {
		msg += " (" + strings.Join(extra, ", ") + ")"
	}
	if pe.Provider != "" && !strings.HasPrefix(msg, pe.Provider) {
		msg = pe.Provider + ": " + msg
	}
	return msg
}
