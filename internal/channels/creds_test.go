package channels

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	b := setup(t)

	_, err := b.store.Load(b.ctx, b.tx, b.org.ID, ChannelEmail)
	require.ErrorIs(t, err, ErrNotConfigured, "never configured")

	for _, c := range All {
		b.configure(t, b.org.ID, c)
	}
	em, err := b.store.Email(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Equal(t, EmailCreds{
		Meta:   Meta{OrgID: b.org.ID, HookID: em.HookID, RatePerSecond: 100, Enabled: true},
		APIKey: sgKey, FromEmail: "news@example.com", FromName: "Example News",
	}, em)
	require.Regexp(t, hookIDPattern, em.HookID)

	wa, err := b.store.WhatsApp(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Equal(t, "+14155238886", wa.From, `"whatsapp:" is dropped`)
	require.Equal(t, twilioSID, wa.AccountSID)
	require.Equal(t, twilioToken, wa.AuthToken)
	require.Equal(t, 80.0, wa.RatePerSecond)

	tg, err := b.store.Telegram(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Equal(t, tgToken, tg.BotToken)
	require.Len(t, tg.WebhookSecret, 43, "generated: 32 random bytes")

	ig, err := b.store.Instagram(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Equal(t, igToken, ig.AccessToken)
	require.Equal(t, igSecret, ig.AppSecret)
	require.Len(t, ig.VerifyToken, 32, "generated: 24 random bytes")

	// Generated secrets survive later saves; a new bot forgets the old username.
	_, err = b.tx.Exec(b.ctx, `UPDATE channel_settings SET config = '{"bot_username":"old_bot"}' WHERE org_id = $1 AND channel = 'telegram'`, b.org.ID)
	require.NoError(t, err)
	_, err = b.store.Put(b.ctx, b.tx, b.org.ID, ChannelTelegram, PutParams{RatePerSecond: ptr(5.0)}, b.now)
	require.NoError(t, err)
	again, err := b.store.Telegram(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Equal(t, tg.WebhookSecret, again.WebhookSecret)
	require.Equal(t, "old_bot", again.BotUsername)
	require.Equal(t, 5.0, again.RatePerSecond)
	_, err = b.store.Put(b.ctx, b.tx, b.org.ID, ChannelTelegram, PutParams{Secrets: map[string]*string{FieldBotToken: ptr("42:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDnew")}}, b.now)
	require.NoError(t, err)
	again, err = b.store.Telegram(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Empty(t, again.BotUsername)
	require.Equal(t, tg.WebhookSecret, again.WebhookSecret)
	require.Equal(t, tg.HookID, again.HookID)

	// A verify token of one's own, and "" for a new one.
	_, err = b.store.Put(b.ctx, b.tx, b.org.ID, ChannelInstagram, PutParams{Secrets: map[string]*string{FieldVerifyToken: ptr("my-own-token")}}, b.now)
	require.NoError(t, err)
	ig2, err := b.store.Instagram(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Equal(t, "my-own-token", ig2.VerifyToken)
	_, err = b.store.Put(b.ctx, b.tx, b.org.ID, ChannelInstagram, PutParams{Secrets: map[string]*string{FieldVerifyToken: ptr("")}}, b.now)
	require.NoError(t, err)
	ig3, err := b.store.Instagram(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.NotEqual(t, "my-own-token", ig3.VerifyToken)
	require.Len(t, ig3.VerifyToken, 32)

	// Disabled: not loadable for sends.
	_, err = b.store.Put(b.ctx, b.tx, b.org.ID, ChannelEmail, PutParams{Enabled: ptr(false)}, b.now)
	require.NoError(t, err)
	_, err = b.store.Load(b.ctx, b.tx, b.org.ID, ChannelEmail)
	require.ErrorIs(t, err, ErrNotConfigured)
}

func TestByHook(t *testing.T) {
	t.Parallel()
	b := setup(t)
	em := b.configure(t, b.org.ID, ChannelEmail)
	wa := b.configure(t, b.org.ID, ChannelWhatsApp)

	orgID, cr, err := b.store.ByHook(b.ctx, b.tx, ChannelWhatsApp, wa.HookID)
	require.NoError(t, err)
	require.Equal(t, b.org.ID, orgID)
	require.Equal(t, twilioToken, cr.(WhatsAppCreds).AuthToken)

	// Another channel's hook, a made-up one and a malformed one are not found.
	for _, tc := range []struct {
		c    Channel
		hook string
	}{
		{ChannelWhatsApp, em.HookID},
		{ChannelEmail, wa.HookID},
		{ChannelEmail, newHookID()},
		{ChannelEmail, ""},
		{ChannelEmail, "../../etc/passwd"},
	} {
		_, _, err := b.store.ByHook(b.ctx, b.tx, tc.c, tc.hook)
		require.ErrorIs(t, err, ErrNotFound, "%s %q", tc.c, tc.hook)
	}

	// A disabled channel still receives its webhooks.
	_, err = b.store.Put(b.ctx, b.tx, b.org.ID, ChannelEmail, PutParams{Enabled: ptr(false)}, b.now)
	require.NoError(t, err)
	_, cr, err = b.store.ByHook(b.ctx, b.tx, ChannelEmail, em.HookID)
	require.NoError(t, err)
	require.False(t, cr.ChannelMeta().Enabled)
	require.Equal(t, sgKey, cr.(EmailCreds).APIKey)
}

// Sealed secrets are bound to their row: copied into another org's row
// they do not open, and the stored ones are not replaced by a partial save.
func TestSealedSecretsBoundToRow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.configure(t, b.org.ID, ChannelWhatsApp)
	other, _ := b.newOrg(t)
	b.configure(t, other.ID, ChannelWhatsApp)

	_, err := b.tx.Exec(b.ctx, `UPDATE channel_settings SET secrets = (SELECT secrets FROM channel_settings WHERE org_id = $1 AND channel = 'whatsapp')
		WHERE org_id = $2 AND channel = 'whatsapp'`, b.org.ID, other.ID)
	require.NoError(t, err)
	_, err = b.store.Load(b.ctx, b.tx, other.ID, ChannelWhatsApp)
	require.ErrorIs(t, err, ErrSecretsUnreadable)
	_, _, err = b.store.ByHook(b.ctx, b.tx, ChannelWhatsApp, mustRow(t, b, other.ID, ChannelWhatsApp).HookID)
	require.ErrorIs(t, err, ErrSecretsUnreadable)

	// A partial save cannot merge into secrets it cannot read...
	_, err = b.store.Put(b.ctx, b.tx, other.ID, ChannelWhatsApp, PutParams{Config: map[string]string{FieldFrom: "+14155238887"}}, b.now)
	require.ErrorIs(t, err, ErrSecretsUnreadable)
	// ...but entering the secrets again repairs the channel.
	_, err = b.store.Put(b.ctx, b.tx, other.ID, ChannelWhatsApp, PutParams{Secrets: map[string]*string{FieldAuthToken: ptr("NewToken0123456789")}}, b.now)
	require.NoError(t, err)
	wa, err := b.store.WhatsApp(b.ctx, b.tx, other.ID)
	require.NoError(t, err)
	require.Equal(t, "NewToken0123456789", wa.AuthToken)

	// A store with another key reads nothing.
	otherKey, err := NewStore(make([]byte, 32))
	require.NoError(t, err)
	_, err = otherKey.Load(b.ctx, b.tx, b.org.ID, ChannelWhatsApp)
	require.ErrorIs(t, err, ErrSecretsUnreadable)
}

func mustRow(t *testing.T, b *testBundle, orgID uuid.UUID, c Channel) dbsqlc.ChannelSetting {
	t.Helper()
	r, err := dbsqlc.New().GetChannelSettings(b.ctx, b.tx, dbsqlc.GetChannelSettingsParams{OrgID: orgID, Channel: string(c)})
	require.NoError(t, err)
	return r
}

func TestSeedSandbox(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.configure(t, b.org.ID, ChannelEmail)

	require.NoError(t, SeedSandbox(b.ctx, b.tx, b.store, b.org.ID))
	em, err := b.store.Email(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Equal(t, sgKey, em.APIKey, "a configured channel is left alone")

	list, err := b.store.List(b.ctx, b.tx, b.org.ID, testBaseURL)
	require.NoError(t, err)
	first := map[Channel]ChannelSettings{}
	for _, v := range list {
		require.True(t, v.Configured, v.Channel)
		require.True(t, v.Enabled, v.Channel)
		require.Equal(t, StatusUnchecked, v.Status, v.Channel)
		first[v.Channel] = v
		_, err := b.store.Load(b.ctx, b.tx, b.org.ID, v.Channel)
		require.NoError(t, err, v.Channel)
	}
	// Seeding again changes nothing.
	require.NoError(t, SeedSandbox(b.ctx, b.tx, b.store, b.org.ID))
	list, err = b.store.List(b.ctx, b.tx, b.org.ID, testBaseURL)
	require.NoError(t, err)
	for _, v := range list {
		require.Equal(t, first[v.Channel].Secrets, v.Secrets)
		require.Equal(t, first[v.Channel].WebhookURLs, v.WebhookURLs)
	}
}

func TestSandboxParamsAreValid(t *testing.T) {
	t.Parallel()
	for range 50 {
		for _, c := range All {
			p := SandboxParams(c, uuid.NullUUID{})
			for name, v := range p.Config {
				f, ok := fieldOf(c, name)
				require.True(t, ok)
				if v != "" && f.check != nil {
					_, err := f.check(v)
					require.NoError(t, err, "%s %s=%q", c, name, v)
				}
			}
			for name, v := range p.Secrets {
				f, ok := fieldOf(c, name)
				require.True(t, ok)
				if *v != "" && f.check != nil {
					_, err := f.check(*v)
					require.NoError(t, err, "%s %s", c, name)
				}
			}
		}
	}
}

func TestWebhookURLs(t *testing.T) {
	t.Parallel()
	hook := "abcdefghijklmnopqrstuv"
	urls := func(c Channel) []string {
		var out []string
		for _, u := range WebhookURLs("http://localhost:8080/", c, hook) {
			require.NotEmpty(t, u.Where)
			out = append(out, u.URL)
		}
		return out
	}
	require.Equal(t, []string{"http://localhost:8080/api/callbacks/sendgrid/" + hook + "/"}, urls(ChannelEmail))
	require.Equal(t, []string{
		"http://localhost:8080/api/callbacks/twilio/" + hook + "/status/",
		"http://localhost:8080/api/callbacks/twilio/" + hook + "/inbound/",
	}, urls(ChannelWhatsApp))
	require.Equal(t, []string{"http://localhost:8080/api/callbacks/telegram/" + hook + "/"}, urls(ChannelTelegram))
	require.Equal(t, []string{"http://localhost:8080/api/callbacks/instagram/" + hook + "/"}, urls(ChannelInstagram))
	require.Equal(t, "http://localhost:8080/api/callbacks/twilio/"+hook+"/status/", WebhookURLOf("http://localhost:8080", ChannelWhatsApp, hook, PurposeStatus))
	require.Empty(t, WebhookURLOf("http://localhost:8080", ChannelEmail, hook, PurposeStatus))
}

func TestFieldChecks(t *testing.T) {
	t.Parallel()
	// A SendGrid verification key as its console shows it, and as PEM.
	const key = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="
	got, err := checkPublicKey(key)
	require.NoError(t, err)
	require.Equal(t, key, got)
	got, err = checkPublicKey("-----BEGIN PUBLIC KEY-----\n" + key[:64] + "\n" + key[64:] + "\n-----END PUBLIC KEY-----\n")
	require.NoError(t, err)
	require.Equal(t, key, got)
	_, err = checkPublicKey("aGVsbG8=")
	require.Error(t, err)

	sid, err := checkAccountSID("AC0123456789ABCDEF0123456789ABCDEF")
	require.NoError(t, err)
	require.Equal(t, "AC0123456789abcdef0123456789abcdef", sid)
	for _, bad := range []string{"AC123", "SK0123456789abcdef0123456789abcdef", "AC0123456789abcdef0123456789abcdeg"} {
		_, err := checkAccountSID(bad)
		require.Error(t, err, bad)
	}
	n, err := checkSender("whatsapp:+14155238886")
	require.NoError(t, err)
	require.Equal(t, "+14155238886", n)
	for _, bad := range []string{"4155238886", "+1415", "+999123", "whatsapp:"} {
		_, err := checkSender(bad)
		require.Error(t, err, bad)
	}
	for _, ok := range []string{"123456:ABCdefGHIjklMNOpqrSTUvwxYZ012345678", tgToken} {
		_, err := checkBotToken(ok)
		require.NoError(t, err, ok)
	}
	for _, bad := range []string{"ABC:123", "123456", "123456:short", "123456:has space in the token value!!"} {
		_, err := checkBotToken(bad)
		require.Error(t, err, bad)
	}
}
