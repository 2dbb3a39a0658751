package channels

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/providers/instagram"
	"github.com/switchboard/switchboard/internal/providers/sendgrid"
	"github.com/switchboard/switchboard/internal/providers/telegram"
	"github.com/switchboard/switchboard/internal/providers/twilio"
)

type fakeSendGrid struct {
	checkErr, configErr error
	key                 string
	url                 string
	creds               sendgrid.Credentials
}

func (f *fakeSendGrid) Check(_ context.Context, cr sendgrid.Credentials) error {
	f.creds = cr
	return f.checkErr
}

func (f *fakeSendGrid) ConfigureEventWebhook(_ context.Context, _ sendgrid.Credentials, url string) (string, error) {
	f.url = url
	return f.key, f.configErr
}

type fakeTwilio struct {
	err   error
	creds twilio.Credentials
	// during runs while the check "calls Twilio".
	during func()
}

func (f *fakeTwilio) Check(_ context.Context, cr twilio.Credentials) error {
	f.creds = cr
	if f.during != nil {
		f.during()
	}
	return f.err
}

type fakeTelegram struct {
	meErr, hookErr error
	username       string
	token, url     string
	secret         string
}

func (f *fakeTelegram) GetMe(_ context.Context, token string) (telegram.Bot, error) {
	f.token = token
	return telegram.Bot{ID: 123456789, Username: f.username}, f.meErr
}

func (f *fakeTelegram) SetWebhook(_ context.Context, token, url, secret string) error {
	f.url, f.secret = url, secret
	return f.hookErr
}

type fakeInstagram struct {
	err   error
	creds instagram.Credentials
}

func (f *fakeInstagram) Check(_ context.Context, cr instagram.Credentials) error {
	f.creds = cr
	return f.err
}

// sandboxAPI records the registrations PUT to the sandbox's control API.
type sandboxAPI struct {
	mu     sync.Mutex
	got    map[string]map[string]string
	status int
}

func newSandboxAPI(t *testing.T) (*sandboxAPI, *httptest.Server) {
	t.Helper()
	s := &sandboxAPI{got: map[string]map[string]string{}, status: http.StatusOK}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]string
		_ = json.NewDecoder(r.Body).Decode(&body)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.got[r.Method+" "+r.URL.Path] = body
		w.WriteHeader(s.status)
		_, _ = w.Write([]byte(`{"title":"Unprocessable Entity","detail":"callback verification failed: handshake failed"}`))
	}))
	t.Cleanup(srv.Close)
	return s, srv
}

type workerBundle struct {
	*testBundle
	sg  *fakeSendGrid
	tw  *fakeTwilio
	tg  *fakeTelegram
	ig  *fakeInstagram
	w   *CheckWorker
	api *sandboxAPI
}

func setupWorker(t *testing.T) *workerBundle {
	t.Helper()
	b := &workerBundle{testBundle: setup(t), sg: &fakeSendGrid{key: "PUBLICKEY"}, tw: &fakeTwilio{}, tg: &fakeTelegram{username: "acme_bot"}, ig: &fakeInstagram{}}
	api, srv := newSandboxAPI(t)
	b.api = api
	b.w = &CheckWorker{
		DB: b.tx, Store: b.store, SendGrid: b.sg, Twilio: b.tw, Telegram: b.tg, Instagram: b.ig,
		PublicBaseURL: testBaseURL, SandboxAPI: srv.URL + "/sandbox/_api", HTTP: srv.Client(),
		Now: func() time.Time { return b.now },
	}
	return b
}

// run asks for a check the way the route does and works the job.
func (b *workerBundle) run(t *testing.T, c Channel) (ChannelSettings, error) {
	t.Helper()
	_, err := RequestCheck(b.ctx, b.tx, insertOnly(t), b.org.ID, c)
	require.NoError(t, err)
	werr := b.w.Work(b.ctx, &river.Job[CheckArgs]{JobRow: &rivertype.JobRow{ID: 1, Attempt: 1, MaxAttempts: 3}, Args: CheckArgs{OrgID: b.org.ID, Channel: c}})
	v, err := b.store.Get(b.ctx, b.tx, b.org.ID, c, testBaseURL)
	require.NoError(t, err)
	return v, werr
}

func TestCheckWorker(t *testing.T) {
	t.Parallel()

	t.Run("EmailOK", func(t *testing.T) {
		t.Parallel()
		b := setupWorker(t)
		r := b.configure(t, b.org.ID, ChannelEmail)
		v, err := b.run(t, ChannelEmail)
		require.NoError(t, err)
		require.Equal(t, StatusOK, v.Status)
		require.Nil(t, v.CheckError)
		require.Equal(t, b.now, v.CheckedAt.UTC())
		require.Equal(t, sendgrid.Credentials{APIKey: sgKey, FromEmail: "news@example.com", FromName: "Example News"}, b.sg.creds)
		require.Equal(t, testBaseURL+"/api/callbacks/sendgrid/"+r.HookID+"/", b.sg.url)
		require.Equal(t, "PUBLICKEY", v.Config[FieldEventPublicKey], "the signing key is stored")
		em, err := b.store.Email(b.ctx, b.tx, b.org.ID)
		require.NoError(t, err)
		require.Equal(t, "PUBLICKEY", em.EventPublicKey)
	})

	t.Run("EmailProviderError", func(t *testing.T) {
		t.Parallel()
		b := setupWorker(t)
		b.configure(t, b.org.ID, ChannelEmail)
		b.sg.checkErr = &providers.Error{Provider: "sendgrid", Operation: "check", Kind: providers.KindPermanent, Status: 401,
			Reason: "The provided authorization grant is invalid, expired, or revoked"}
		v, err := b.run(t, ChannelEmail)
		require.NoError(t, err, "a failed check is a result, not a job failure")
		require.Equal(t, StatusError, v.Status)
		require.Equal(t, "sendgrid: The provided authorization grant is invalid, expired, or revoked (HTTP 401)", *v.CheckError)
		require.Empty(t, b.sg.url, "nothing configured with a bad key")
	})

	t.Run("EmailWebhookNotAllowed", func(t *testing.T) {
		t.Parallel()
		b := setupWorker(t)
		b.configure(t, b.org.ID, ChannelEmail)
		b.sg.configErr = &providers.Error{Provider: "sendgrid", Kind: providers.KindPermanent, Status: 403, Reason: "access forbidden"}
		v, err := b.run(t, ChannelEmail)
		require.NoError(t, err)
		require.Equal(t, StatusError, v.Status)
		require.Contains(t, *v.CheckError, "access forbidden")
		require.Contains(t, *v.CheckError, "paste its verification key")

		// With a key pasted by hand, the same key is good enough.
		const key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="
		_, err = b.store.Put(b.ctx, b.tx, b.org.ID, ChannelEmail, PutParams{Config: map[string]string{FieldEventPublicKey: key}}, b.now)
		require.NoError(t, err)
		v, err = b.run(t, ChannelEmail)
		require.NoError(t, err)
		require.Equal(t, StatusOK, v.Status)
		require.Equal(t, key, v.Config[FieldEventPublicKey])
	})

	t.Run("WhatsAppSandbox", func(t *testing.T) {
		t.Parallel()
		b := setupWorker(t)
		b.w.Sandbox = true
		r := b.configure(t, b.org.ID, ChannelWhatsApp)
		v, err := b.run(t, ChannelWhatsApp)
		require.NoError(t, err)
		require.Equal(t, StatusOK, v.Status, "%v", v.CheckError)
		require.Equal(t, twilio.Credentials{AccountSID: twilioSID, AuthToken: twilioToken, From: "+14155238886"}, b.tw.creds)
		require.Equal(t, map[string]string{
			"account_sid": twilioSID, "auth_token": twilioToken, "from": "+14155238886",
			"inbound_url": testBaseURL + "/api/callbacks/twilio/" + r.HookID + "/inbound/",
		}, b.api.got["PUT /sandbox/_api/twilio/senders"])
	})

	t.Run("WhatsAppNoSandbox", func(t *testing.T) {
		t.Parallel()
		b := setupWorker(t)
		b.configure(t, b.org.ID, ChannelWhatsApp)
		b.tw.err = &providers.Error{Provider: "twilio", Kind: providers.KindPermanent, Status: 401, Code: "20003", Reason: "Authenticate"}
		v, err := b.run(t, ChannelWhatsApp)
		require.NoError(t, err)
		require.Equal(t, StatusError, v.Status)
		require.Equal(t, "twilio: Authenticate (code 20003, HTTP 401)", *v.CheckError)
		require.Empty(t, b.api.got, "real Twilio is configured in its console")
	})

	t.Run("Telegram", func(t *testing.T) {
		t.Parallel()
		b := setupWorker(t)
		r := b.configure(t, b.org.ID, ChannelTelegram)
		v, err := b.run(t, ChannelTelegram)
		require.NoError(t, err)
		require.Equal(t, StatusOK, v.Status)
		require.Equal(t, "acme_bot", v.Config[FieldBotUsername], "learned from getMe")
		tg, err := b.store.Telegram(b.ctx, b.tx, b.org.ID)
		require.NoError(t, err)
		require.Equal(t, tgToken, b.tg.token)
		require.Equal(t, testBaseURL+"/api/callbacks/telegram/"+r.HookID+"/", b.tg.url)
		require.Equal(t, tg.WebhookSecret, b.tg.secret)
		require.Equal(t, "acme_bot", tg.BotUsername)

		// setWebhook refused: an error, with the username still learned.
		b.tg.username = "renamed_bot"
		b.tg.hookErr = &providers.Error{Provider: "telegram", Kind: providers.KindPermanent, Status: 400, Code: "400",
			Reason: "Bad Request: bad webhook: HTTPS url must be provided for webhook"}
		v, err = b.run(t, ChannelTelegram)
		require.NoError(t, err)
		require.Equal(t, StatusError, v.Status)
		require.Equal(t, "telegram: Bad Request: bad webhook: HTTPS url must be provided for webhook (code 400, HTTP 400)", *v.CheckError)
		require.Equal(t, "renamed_bot", v.Config[FieldBotUsername])
	})

	t.Run("InstagramSandbox", func(t *testing.T) {
		t.Parallel()
		b := setupWorker(t)
		b.w.Sandbox = true
		r := b.configure(t, b.org.ID, ChannelInstagram)
		ig, err := b.store.Instagram(b.ctx, b.tx, b.org.ID)
		require.NoError(t, err)
		v, err := b.run(t, ChannelInstagram)
		require.NoError(t, err)
		require.Equal(t, StatusOK, v.Status)
		require.Equal(t, instagram.Credentials{AccessToken: igToken, AccountID: "17841400000000001"}, b.ig.creds)
		require.Equal(t, map[string]string{
			"account_id": "17841400000000001", "app_secret": igSecret, "verify_token": ig.VerifyToken, "access_token": igToken,
			"callback_url": testBaseURL + "/api/callbacks/instagram/" + r.HookID + "/",
		}, b.api.got["PUT /sandbox/_api/instagram/subscriptions"])

		// The sandbox's handshake with our receiver failed.
		b.api.status = http.StatusBadGateway
		v, err = b.run(t, ChannelInstagram)
		require.NoError(t, err)
		require.Equal(t, StatusError, v.Status)
		require.Contains(t, *v.CheckError, "answered 502")
		require.Contains(t, *v.CheckError, "handshake failed")
	})

	t.Run("ChangedDuringCheck", func(t *testing.T) {
		t.Parallel()
		b := setupWorker(t)
		b.configure(t, b.org.ID, ChannelWhatsApp)
		// New credentials are saved while Twilio is being asked.
		b.tw.during = func() {
			_, err := b.store.Put(b.ctx, b.tx, b.org.ID, ChannelWhatsApp, PutParams{Secrets: map[string]*string{FieldAuthToken: ptr("Another0Token0123")}}, b.now)
			require.NoError(t, err)
		}
		v, err := b.run(t, ChannelWhatsApp)
		require.NoError(t, err)
		require.Equal(t, StatusUnchecked, v.Status, "the result of the old credentials is not recorded over the new ones")
		require.Nil(t, v.CheckedAt)

		// If a check of the new ones was asked for meanwhile (and folded into
		// this running job), the job runs again.
		b.tw.during = func() {
			_, err := b.store.Put(b.ctx, b.tx, b.org.ID, ChannelWhatsApp, PutParams{Secrets: map[string]*string{FieldAuthToken: ptr("Third0Token012345")}}, b.now)
			require.NoError(t, err)
			_, err = b.tx.Exec(b.ctx, `UPDATE channel_settings SET status = 'checking' WHERE org_id = $1 AND channel = 'whatsapp'`, b.org.ID)
			require.NoError(t, err)
		}
		_, err = b.run(t, ChannelWhatsApp)
		var snooze *river.JobSnoozeError
		require.True(t, errors.As(err, &snooze), "want a snooze, got %v", err)
	})

	t.Run("Gone", func(t *testing.T) {
		t.Parallel()
		b := setupWorker(t)
		err := b.w.Work(b.ctx, &river.Job[CheckArgs]{JobRow: &rivertype.JobRow{ID: 1}, Args: CheckArgs{OrgID: b.org.ID, Channel: ChannelEmail}})
		require.NoError(t, err, "a deleted channel's check just ends")
	})

	t.Run("StatusResets", func(t *testing.T) {
		t.Parallel()
		b := setupWorker(t)
		b.configure(t, b.org.ID, ChannelTelegram)
		v, err := b.run(t, ChannelTelegram)
		require.NoError(t, err)
		require.Equal(t, StatusOK, v.Status)

		// Enabling, disabling and rates keep the result...
		_, err = b.store.Put(b.ctx, b.tx, b.org.ID, ChannelTelegram, PutParams{Enabled: ptr(false), RatePerSecond: ptr(3.0)}, b.now)
		require.NoError(t, err)
		v, err = b.store.Get(b.ctx, b.tx, b.org.ID, ChannelTelegram, testBaseURL)
		require.NoError(t, err)
		require.Equal(t, StatusOK, v.Status)
		// ...saving the same token too; a new token does not.
		_, err = b.store.Put(b.ctx, b.tx, b.org.ID, ChannelTelegram, PutParams{Secrets: map[string]*string{FieldBotToken: ptr(tgToken)}}, b.now)
		require.NoError(t, err)
		v, _ = b.store.Get(b.ctx, b.tx, b.org.ID, ChannelTelegram, testBaseURL)
		require.Equal(t, StatusOK, v.Status)
		_, err = b.store.Put(b.ctx, b.tx, b.org.ID, ChannelTelegram, PutParams{Secrets: map[string]*string{FieldBotToken: ptr("1:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDaaa")}}, b.now)
		require.NoError(t, err)
		v, _ = b.store.Get(b.ctx, b.tx, b.org.ID, ChannelTelegram, testBaseURL)
		require.Equal(t, StatusUnchecked, v.Status)
		require.Nil(t, v.CheckedAt)
	})
}

func TestReason(t *testing.T) {
	t.Parallel()
	require.Equal(t, "plain failure", Reason(errors.New("plain failure")))
	require.Equal(t, "instagram: Invalid OAuth access token. (code 190, HTTP 400)",
		Reason(&providers.Error{Provider: "instagram", Kind: providers.KindPermanent, Status: 400, Code: "190", Reason: "Invalid OAuth access token."}))
	require.Equal(t, "twilio: timeout (temporary: try again)",
		Reason(&providers.Error{Provider: "twilio", Kind: providers.KindRetryable, Reason: "timeout"}))
}
