package channels

import (
	"net/http"
	"strings"
	"testing"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/tenanttest"
	"github.com/switchboard/switchboard/internal/testfactory"
)

func TestListUnconfigured(t *testing.T) {
	t.Parallel()
	b := setup(t)

	var list ChannelList
	status, raw := b.call(t, "GET", "/api/v1/channels", b.ownerToken(t), nil, &list)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.False(t, list.Sandbox)
	require.Len(t, list.Items, 4)
	for i, c := range All {
		it := list.Items[i]
		require.Equal(t, c, it.Channel)
		require.False(t, it.Configured)
		require.Equal(t, StatusUnchecked, it.Status)
		require.Empty(t, it.WebhookURLs)
		require.Equal(t, DefaultRatePerSecond(c), it.EffectiveRatePerSecond)
	}
	require.Equal(t, map[string]string{"from_email": "", "from_name": "", "reply_to": "", "event_public_key": ""}, list.Items[0].Config)
	require.Equal(t, map[string]SecretState{"api_key": {}}, list.Items[0].Secrets)
	require.Equal(t, map[string]SecretState{"bot_token": {}}, list.Items[2].Secrets, "the webhook secret is never mentioned")

	status, _ = b.call(t, "GET", "/api/v1/channels/email", b.ownerToken(t), nil, nil)
	require.Equal(t, http.StatusNotFound, status, "a channel is not found before its first save")
	status, _ = b.call(t, "GET", "/api/v1/channels/sms", b.ownerToken(t), nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
}

func TestPutEmail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.ownerToken(t)

	var v ChannelSettings
	status, raw := b.call(t, "PUT", "/api/v1/channels/email", tok, validBodies[ChannelEmail], &v)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.True(t, v.Configured)
	require.True(t, v.Enabled, "a new channel is enabled")
	require.Equal(t, "news@example.com", v.Config["from_email"], "the domain is lower-cased")
	require.Equal(t, "Example News", v.Config["from_name"])
	require.Equal(t, SecretState{Set: true, Last4: "nopq"}, v.Secrets["api_key"])
	require.Equal(t, StatusUnchecked, v.Status)
	require.Equal(t, 100.0, v.EffectiveRatePerSecond)
	require.Nil(t, v.RatePerSecond)
	require.Len(t, v.WebhookURLs, 1)
	hook := v.WebhookURLs[0].URL
	require.Regexp(t, `^https://sb\.test/api/callbacks/sendgrid/[A-Za-z0-9_-]{22}/$`, hook)
	require.Equal(t, b.owner.ID, *v.UpdatedBy)

	// The hook stays the same across saves, and the rate can be overridden.
	status, raw = b.call(t, "PUT", "/api/v1/channels/email", tok, map[string]any{"rate_per_second": 12.5, "config": map[string]any{"reply_to": "help@example.com"}}, &v)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Equal(t, hook, v.WebhookURLs[0].URL)
	require.Equal(t, 12.5, *v.RatePerSecond)
	require.Equal(t, 12.5, v.EffectiveRatePerSecond)
	require.Equal(t, "help@example.com", v.Config["reply_to"])
	rate, err := RatePerSecond(b.ctx, b.tx, b.org.ID, ChannelEmail)
	require.NoError(t, err)
	require.Equal(t, 12.5, rate)
	rate, err = RatePerSecond(b.ctx, b.tx, b.org.ID, ChannelInstagram)
	require.NoError(t, err)
	require.Equal(t, 300.0, rate, "an unconfigured channel has the default")
	require.Equal(t, "news@example.com", v.Config["from_email"], "absent fields are kept")

	// 0 goes back to the default.
	b.call(t, "PUT", "/api/v1/channels/email", tok, map[string]any{"rate_per_second": 0}, &v)
	require.Nil(t, v.RatePerSecond)
	require.Equal(t, 100.0, v.EffectiveRatePerSecond)

	var got ChannelSettings
	status, _ = b.call(t, "GET", "/api/v1/channels/email", tok, nil, &got)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, v.Config, got.Config)

	// Delete forgets it; a second delete is a 404.
	status, _ = b.call(t, "DELETE", "/api/v1/channels/email", tok, nil, nil)
	require.Equal(t, http.StatusNoContent, status)
	status, _ = b.call(t, "DELETE", "/api/v1/channels/email", tok, nil, nil)
	require.Equal(t, http.StatusNotFound, status)
	_, err = b.store.Load(b.ctx, b.tx, b.org.ID, ChannelEmail)
	require.ErrorIs(t, err, ErrNotConfigured)
}

// Every secret is sent once and then must not appear in any answer: the
// PUT's, the list's, the channel's, the test's. Instagram's verify token is
// the one shown by design (see the package doc).
func TestSecretsNeverInAnswers(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.ownerToken(t)

	secrets := []string{sgKey, twilioToken, tgToken, igToken, igSecret}
	var answers []string
	for _, c := range All {
		status, raw := b.call(t, "PUT", "/api/v1/channels/"+string(c), tok, validBodies[c], nil)
		require.Equal(t, http.StatusOK, status, string(raw))
		answers = append(answers, string(raw))
		status, raw = b.call(t, "GET", "/api/v1/channels/"+string(c), tok, nil, nil)
		require.Equal(t, http.StatusOK, status)
		answers = append(answers, string(raw))
		status, raw = b.call(t, "POST", "/api/v1/channels/"+string(c)+"/test", tok, nil, nil)
		require.Equal(t, http.StatusAccepted, status, string(raw))
		answers = append(answers, string(raw))
	}
	status, raw := b.call(t, "GET", "/api/v1/channels", b.roleToken(t, auth.RoleViewer), nil, nil)
	require.Equal(t, http.StatusOK, status)
	answers = append(answers, string(raw))

	// The generated secrets too.
	tg, err := b.store.ByHookOf(t, b, ChannelTelegram)
	require.NoError(t, err)
	webhookSecret := tg.(TelegramCreds).WebhookSecret
	require.Len(t, webhookSecret, 43)
	secrets = append(secrets, webhookSecret)

	for _, a := range answers {
		for _, s := range secrets {
			require.NotContains(t, a, s)
			require.NotContains(t, a, s[:len(s)-4], "not even a prefix")
		}
	}
	// What is in the database is sealed: no secret in the row's bytes.
	var dump string
	require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT string_agg(s::text, '|') FROM channel_settings s WHERE org_id = $1`, b.org.ID).Scan(&dump))
	for _, s := range secrets {
		require.NotContains(t, dump, s)
	}

	ig, err := b.store.Instagram(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Contains(t, string(raw), ig.VerifyToken, "the verify token is shown, to be pasted into Meta's console")
}

// ByHookOf looks up a configured channel of the bundle's org through its hook.
func (s *Store) ByHookOf(t *testing.T, b *testBundle, c Channel) (Creds, error) {
	t.Helper()
	v, err := s.Get(b.ctx, b.tx, b.org.ID, c, testBaseURL)
	require.NoError(t, err)
	parts := strings.Split(strings.TrimSuffix(v.WebhookURLs[0].URL, "/"), "/")
	_, cr, err := s.ByHook(b.ctx, b.tx, c, parts[len(parts)-1])
	return cr, err
}

func TestPartialUpdateKeepsSecrets(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.ownerToken(t)
	b.call(t, "PUT", "/api/v1/channels/whatsapp", tok, validBodies[ChannelWhatsApp], nil)

	// Absent and null secrets are kept.
	for _, body := range []map[string]any{
		{"config": map[string]any{"from": "+14155238887"}},
		{"secrets": map[string]any{"auth_token": nil}},
		{"enabled": true, "secrets": map[string]any{}},
	} {
		var v ChannelSettings
		status, raw := b.call(t, "PUT", "/api/v1/channels/whatsapp", tok, body, &v)
		require.Equal(t, http.StatusOK, status, string(raw))
		require.Equal(t, SecretState{Set: true, Last4: "1234"}, v.Secrets["auth_token"])
		cr, err := b.store.WhatsApp(b.ctx, b.tx, b.org.ID)
		require.NoError(t, err)
		require.Equal(t, twilioToken, cr.AuthToken)
		require.Equal(t, "+14155238887", cr.From)
		require.Equal(t, twilioSID, cr.AccountSID)
	}

	// "" clears, which an enabled channel refuses...
	status, raw := b.call(t, "PUT", "/api/v1/channels/whatsapp", tok, map[string]any{"secrets": map[string]any{"auth_token": ""}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []string{"body.secrets.auth_token"}, decodeProblem(t, raw).locations())
	// ...and a disabled one takes.
	var v ChannelSettings
	status, raw = b.call(t, "PUT", "/api/v1/channels/whatsapp", tok, map[string]any{"enabled": false, "secrets": map[string]any{"auth_token": ""}}, &v)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Equal(t, SecretState{}, v.Secrets["auth_token"])
	require.False(t, v.Enabled)
	_, err := b.store.Load(b.ctx, b.tx, b.org.ID, ChannelWhatsApp)
	require.ErrorIs(t, err, ErrNotConfigured)
}

func TestValidationNamesFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.ownerToken(t)

	cases := []struct {
		channel Channel
		body    map[string]any
		want    []string
	}{
		{ChannelEmail, map[string]any{
			"config":  map[string]any{"from_email": "not an email", "reply_to": "also@not@valid", "event_public_key": "bm9wZQ==", "colour": "red"},
			"secrets": map[string]any{"api_key": "sk_live_nope"},
		}, []string{"body.config.from_email", "body.config.reply_to", "body.config.event_public_key", "body.config.colour", "body.secrets.api_key"}},
		{ChannelWhatsApp, map[string]any{
			"config":  map[string]any{"account_sid": "AC123", "from": "+1415"},
			"secrets": map[string]any{"auth_token": "has spaces and $ymbols!"},
		}, []string{"body.config.account_sid", "body.config.from", "body.secrets.auth_token"}},
		{ChannelWhatsApp, map[string]any{
			"config": map[string]any{"from": "4155238886"},
		}, []string{"body.config.from"}},
		{ChannelTelegram, map[string]any{
			"config":  map[string]any{"bot_username": "mybot"},
			"secrets": map[string]any{"bot_token": "not-a-token", "webhook_secret": "mine"},
		}, []string{"body.config.bot_username", "body.secrets.bot_token", "body.secrets.webhook_secret"}},
		{ChannelInstagram, map[string]any{
			"config":  map[string]any{"account_id": "@me"},
			"secrets": map[string]any{"access_token": "short", "app_secret": "x", "verify_token": "a b"},
		}, []string{"body.config.account_id", "body.secrets.access_token", "body.secrets.app_secret", "body.secrets.verify_token"}},
		// Secrets under config are refused, not stored in plain text.
		{ChannelEmail, map[string]any{"config": map[string]any{"api_key": sgKey}}, []string{"body.config.api_key"}},
		// A new enabled channel needs its required fields.
		{ChannelInstagram, map[string]any{"config": map[string]any{"account_id": "1"}},
			[]string{"body.secrets.access_token", "body.secrets.app_secret"}},
	}
	for _, tc := range cases {
		status, raw := b.call(t, "PUT", "/api/v1/channels/"+string(tc.channel), tok, tc.body, nil)
		require.Equal(t, http.StatusUnprocessableEntity, status, string(raw))
		p := decodeProblem(t, raw)
		require.ElementsMatch(t, tc.want, p.locations(), string(raw))
		for _, e := range p.Errors {
			require.NotEmpty(t, e.Message)
			if strings.HasPrefix(e.Location, "body.secrets.") {
				require.Nil(t, e.Value, "a secret, even a wrong one, is never echoed")
			}
		}
	}
	require.NotContains(t, string(must(b.call(t, "PUT", "/api/v1/channels/email", tok, map[string]any{"secrets": map[string]any{"api_key": "SG.x"}}, nil))), "SG.x")

	// Nothing was stored by the refused requests.
	var list ChannelList
	b.call(t, "GET", "/api/v1/channels", tok, nil, &list)
	for _, it := range list.Items {
		require.False(t, it.Configured)
	}
	// A bad rate.
	status, raw := b.call(t, "PUT", "/api/v1/channels/email", tok, map[string]any{"rate_per_second": -1}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Contains(t, decodeProblem(t, raw).locations(), "body.rate_per_second")
}

func must(_ int, raw []byte) []byte { return raw }

func TestTestRoute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.ownerToken(t)

	status, _ := b.call(t, "POST", "/api/v1/channels/telegram/test", tok, nil, nil)
	require.Equal(t, http.StatusNotFound, status, "nothing to test before a save")

	// Saved disabled and incomplete: a 409 naming what is missing.
	status, raw := b.call(t, "PUT", "/api/v1/channels/instagram", tok, map[string]any{"enabled": false, "config": map[string]any{"account_id": "42"}}, nil)
	require.Equal(t, http.StatusOK, status, string(raw))
	status, raw = b.call(t, "POST", "/api/v1/channels/instagram/test", tok, nil, nil)
	require.Equal(t, http.StatusConflict, status)
	require.Contains(t, decodeProblem(t, raw).Detail, "access_token, app_secret")

	b.call(t, "PUT", "/api/v1/channels/telegram", tok, validBodies[ChannelTelegram], nil)
	var v ChannelSettings
	status, raw = b.call(t, "POST", "/api/v1/channels/telegram/test", tok, nil, &v)
	require.Equal(t, http.StatusAccepted, status, string(raw))
	require.Equal(t, StatusChecking, v.Status)
	job := rivertest.RequireInsertedTx[*riverpgxv5.Driver](b.ctx, t, b.tx, &CheckArgs{}, &rivertest.RequireInsertedOpts{Queue: "default"})
	require.Equal(t, CheckArgs{OrgID: b.org.ID, Channel: ChannelTelegram}, *job.Args)

	// A second click gets its own check: one deduplicated against a job
	// that already recorded its result would never be answered.
	status, _ = b.call(t, "POST", "/api/v1/channels/telegram/test", tok, nil, nil)
	require.Equal(t, http.StatusAccepted, status)
	var n int
	require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT count(*) FROM river_job WHERE kind = 'channel_check' AND args->>'org_id' = $1`, b.org.ID.String()).Scan(&n))
	require.Equal(t, 2, n)
}

func TestRoles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.configure(t, b.org.ID, ChannelEmail)
	put := map[string]any{"config": map[string]any{"from_name": "Changed"}}

	for _, role := range []auth.Role{auth.RoleViewer, auth.RoleMember} {
		tok := b.roleToken(t, role)
		status, _ := b.call(t, "GET", "/api/v1/channels", tok, nil, nil)
		require.Equal(t, http.StatusOK, status, role)
		status, _ = b.call(t, "GET", "/api/v1/channels/email", tok, nil, nil)
		require.Equal(t, http.StatusOK, status, role)
		for _, req := range []struct {
			method, path string
			body         any
		}{
			{"PUT", "/api/v1/channels/email", put},
			{"POST", "/api/v1/channels/email/test", nil},
			{"POST", "/api/v1/channels/email/use-sandbox", nil},
			{"DELETE", "/api/v1/channels/email", nil},
		} {
			status, _ := b.call(t, req.method, req.path, tok, req.body, nil)
			require.Equal(t, http.StatusForbidden, status, "%s %s %s", role, req.method, req.path)
		}
	}
	status, raw := b.call(t, "PUT", "/api/v1/channels/email", b.roleToken(t, auth.RoleAdmin), put, nil)
	require.Equal(t, http.StatusOK, status, string(raw))

	// API keys: channels:read reads only; channels:write changes.
	readKey := testfactory.APIKey(b.ctx, t, b.tx, &testfactory.APIKeyOpts{OrgID: b.org.ID, Scopes: []string{ScopeRead}}).Secret
	writeKey := testfactory.APIKey(b.ctx, t, b.tx, &testfactory.APIKeyOpts{OrgID: b.org.ID, Scopes: []string{ScopeWrite}}).Secret
	noKey := testfactory.APIKey(b.ctx, t, b.tx, &testfactory.APIKeyOpts{OrgID: b.org.ID, Scopes: []string{"contacts:read"}}).Secret
	status, _ = b.call(t, "GET", "/api/v1/channels", readKey, nil, nil)
	require.Equal(t, http.StatusOK, status)
	status, _ = b.call(t, "GET", "/api/v1/channels", noKey, nil, nil)
	require.Equal(t, http.StatusForbidden, status)
	status, _ = b.call(t, "PUT", "/api/v1/channels/email", readKey, put, nil)
	require.Equal(t, http.StatusForbidden, status)
	status, _ = b.call(t, "PUT", "/api/v1/channels/email", writeKey, put, nil)
	require.Equal(t, http.StatusOK, status)
	status, _ = b.call(t, "GET", "/api/v1/channels", "", nil, nil)
	require.Equal(t, http.StatusUnauthorized, status)
}

func TestCrossTenant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	mine := b.ownerToken(t)
	b.call(t, "PUT", "/api/v1/channels/telegram", mine, validBodies[ChannelTelegram], nil)
	b.call(t, "PUT", "/api/v1/channels/email", mine, validBodies[ChannelEmail], nil)

	other, otherOwner := b.newOrg(t)
	theirs := b.token(t, otherOwner, other.ID, auth.RoleOwner)
	theirKey := testfactory.APIKey(b.ctx, t, b.tx, &testfactory.APIKeyOpts{OrgID: other.ID, Scopes: []string{ScopeRead, ScopeWrite}}).Secret

	for _, c := range []Channel{ChannelTelegram, ChannelEmail} {
		r := tenanttest.Resource{
			Name:   string(c),
			Read:   tenanttest.Request{Method: "GET", Path: "/api/v1/channels/" + string(c)},
			Update: tenanttest.Request{Method: "POST", Path: "/api/v1/channels/" + string(c) + "/test"},
			Delete: tenanttest.Request{Method: "DELETE", Path: "/api/v1/channels/" + string(c)},
		}
		tenanttest.Check(t, b.do, mine, theirs, r)
		tenanttest.Check(t, b.do, mine, theirKey, r)
	}

	// The other org's list shows nothing of ours, and its PUT makes its own
	// settings without touching ours.
	var list ChannelList
	b.call(t, "GET", "/api/v1/channels", theirs, nil, &list)
	for _, it := range list.Items {
		require.False(t, it.Configured, it.Channel)
	}
	var v ChannelSettings
	status, raw := b.call(t, "PUT", "/api/v1/channels/telegram", theirs, map[string]any{"secrets": map[string]any{"bot_token": "987654321:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDxyz"}}, &v)
	require.Equal(t, http.StatusOK, status, string(raw))
	mineCreds, err := b.store.Telegram(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Equal(t, tgToken, mineCreds.BotToken)
	theirCreds, err := b.store.Telegram(b.ctx, b.tx, other.ID)
	require.NoError(t, err)
	require.NotEqual(t, mineCreds.HookID, theirCreds.HookID)
	require.NotEqual(t, mineCreds.WebhookSecret, theirCreds.WebhookSecret)
}

func TestUseSandbox(t *testing.T) {
	t.Parallel()

	t.Run("Off", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		status, _ := b.call(t, "POST", "/api/v1/channels/email/use-sandbox", b.ownerToken(t), nil, nil)
		require.Equal(t, http.StatusNotImplemented, status)
	})

	t.Run("On", func(t *testing.T) {
		t.Parallel()
		b := setupWith(t, true)
		tok := b.ownerToken(t)
		var list ChannelList
		b.call(t, "GET", "/api/v1/channels", tok, nil, &list)
		require.True(t, list.Sandbox)
		for _, c := range All {
			var v ChannelSettings
			status, raw := b.call(t, "POST", "/api/v1/channels/"+string(c)+"/use-sandbox", tok, nil, &v)
			require.Equal(t, http.StatusOK, status, string(raw))
			require.True(t, v.Enabled)
			require.Equal(t, StatusUnchecked, v.Status)
			cr, err := b.store.Load(b.ctx, b.tx, b.org.ID, c)
			require.NoError(t, err, "sandbox credentials make a complete channel")
			require.Equal(t, c, cr.Channel())
		}
		wa, err := b.store.WhatsApp(b.ctx, b.tx, b.org.ID)
		require.NoError(t, err)
		require.Regexp(t, `^AC[0-9a-f]{32}$`, wa.AccountSID)
		require.Regexp(t, `^[0-9a-f]{32}$`, wa.AuthToken)
		tg, err := b.store.Telegram(b.ctx, b.tx, b.org.ID)
		require.NoError(t, err)
		require.Regexp(t, `^[1-9][0-9]{9}:AA[A-Za-z0-9]{33}$`, tg.BotToken)
	})
}
