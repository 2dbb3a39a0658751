package play

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/apikeys"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/sandbox"
	"github.com/switchboard/switchboard/internal/testfactory"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// hit is one webhook the app's stand-in received.
type hit struct {
	path   string
	header http.Header
	body   []byte
}

// receiver stands in for the app's webhook receivers.
type receiver struct {
	mu   sync.Mutex
	hits []hit
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.hits = append(r.hits, hit{path: req.URL.Path, header: req.Header.Clone(), body: body})
	r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// wait returns the first hit on a path containing part.
func (r *receiver) wait(t *testing.T, part string) hit {
	t.Helper()
	var got hit
	require.Eventually(t, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, h := range r.hits {
			if strings.Contains(h.path, part) {
				got = h
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "no webhook on %s", part)
	return got
}

type testBundle struct {
	ctx    context.Context
	tx     pgx.Tx
	store  *channels.Store
	sb     *sandbox.Sandbox
	app    *httpserver.Server
	tokens *auth.Tokens
	hooks  *receiver
	base   string // the app's public URL: where the sandbox posts webhooks
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := context.Background()
	tx := dbtest.TestTx(t)
	store, err := channels.NewStore(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	hooks := &receiver{}
	hookSrv := httptest.NewServer(hooks)
	t.Cleanup(hookSrv.Close)
	sb := sandbox.New(sandbox.Options{Logger: zerolog.Nop(), Seed: 1, WebhookBackoff: 10 * time.Millisecond})
	t.Cleanup(sb.Close)

	srv := httpserver.New(httpserver.Options{Logger: zerolog.Nop(), Dev: true})
	tokens := auth.NewTokens([]byte("play-test-secret-play-test-secret!!"), 15*time.Minute, time.Now)
	authn := &auth.Authenticator{DB: tx, Tokens: tokens, Keys: &apikeys.Verifier{DB: tx, Now: time.Now}}
	srv.API.UseMiddleware(authn.Middleware(srv.API))
	(&Handlers{DB: tx, Channels: store, Sandbox: sb, SandboxURL: "http://sandbox.test"}).Register(srv.API)
	return &testBundle{ctx: ctx, tx: tx, store: store, sb: sb, app: srv, tokens: tokens, hooks: hooks, base: hookSrv.URL}
}

// org makes an org with sandbox credentials on every channel, and returns
// its owner's token.
func (b *testBundle) org(t *testing.T, role auth.Role) (uuid.UUID, string) {
	t.Helper()
	org, owner := testfactory.Org(b.ctx, t, b.tx, nil)
	require.NoError(t, channels.SeedSandbox(b.ctx, b.tx, b.store, org.ID))
	user := owner
	if role != auth.RoleOwner {
		user = testfactory.Member(b.ctx, t, b.tx, org.ID, role)
	}
	tok, err := b.tokens.Issue(user.ID, uuid.NullUUID{UUID: org.ID, Valid: true}, role, uuid.New(), false)
	require.NoError(t, err)
	return org.ID, tok
}

// register does what the channel check does against the sandbox: it tells
// the sandbox where the org's WhatsApp and Telegram webhooks go.
func (b *testBundle) register(t *testing.T, orgID uuid.UUID) (channels.WhatsAppCreds, channels.TelegramCreds) {
	t.Helper()
	wa, err := b.store.WhatsApp(b.ctx, b.tx, orgID)
	require.NoError(t, err)
	body, _ := json.Marshal(map[string]string{
		"account_sid": wa.AccountSID, "auth_token": wa.AuthToken, "from": wa.From,
		"inbound_url": channels.WebhookURLOf(b.base, channels.ChannelWhatsApp, wa.HookID, channels.PurposeInbound),
	})
	b.sandboxCall(t, "PUT", "/_api/twilio/senders", body)
	tg, err := b.store.Telegram(b.ctx, b.tx, orgID)
	require.NoError(t, err)
	q := url.Values{"url": {channels.WebhookURLOf(b.base, channels.ChannelTelegram, tg.HookID, channels.PurposeUpdates)}, "secret_token": {tg.WebhookSecret}}
	b.sandboxCall(t, "POST", "/telegram/bot"+tg.BotToken+"/setWebhook?"+q.Encode(), nil)
	return wa, tg
}

func (b *testBundle) sandboxCall(t *testing.T, method, path string, body []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	b.sb.Handler().ServeHTTP(rec, req)
	require.Less(t, rec.Code, 300, rec.Body.String())
}

func (b *testBundle) call(t *testing.T, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		j, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := b.app.App.Test(req, -1)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, raw
}

func TestPlayWhatsAppArrivesSigned(t *testing.T) {
	t.Parallel()
	b := setup(t)
	org, tok := b.org(t, auth.RoleMember)
	wa, _ := b.register(t, org)

	png := base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\nrest"))
	status, raw := b.call(t, "POST", "/api/v1/sandbox/inbound", tok, map[string]any{
		"channel": "whatsapp", "from": map[string]string{"phone": "+14155550123", "name": "Ada Lovelace"}, "text": "Hi there",
		"media": map[string]string{"filename": "pic.png", "content_type": "image/png", "base64": png},
	})
	require.Equal(t, http.StatusAccepted, status, string(raw))
	var res PlayResult
	require.NoError(t, json.Unmarshal(raw, &res))
	require.Equal(t, "twilio", res.Provider)

	got := b.hooks.wait(t, "/api/callbacks/twilio/"+wa.HookID+"/inbound/")
	form, err := url.ParseQuery(string(got.body))
	require.NoError(t, err)
	require.Equal(t, "Hi there", form.Get("Body"))
	require.Equal(t, "whatsapp:+14155550123", form.Get("From"))
	require.Equal(t, "Ada Lovelace", form.Get("ProfileName"))
	require.Equal(t, "1", form.Get("NumMedia"))
	require.Contains(t, form.Get("MediaUrl0"), "http://sandbox.test/twilio/", "media is fetched back from the sandbox")
	target := channels.WebhookURLOf(b.base, channels.ChannelWhatsApp, wa.HookID, channels.PurposeInbound)
	require.Equal(t, sandbox.TwilioSignature(wa.AuthToken, target, form), got.header.Get("X-Twilio-Signature"))
}

func TestPlayTelegram(t *testing.T) {
	t.Parallel()
	b := setup(t)
	org, tok := b.org(t, auth.RoleOwner)
	_, tg := b.register(t, org)
	status, raw := b.call(t, "POST", "/api/v1/sandbox/inbound", tok, map[string]any{
		"channel": "telegram", "from": map[string]string{"id": "5550001", "name": "Grace Hopper", "username": "@grace"}, "text": "/start",
	})
	require.Equal(t, http.StatusAccepted, status, string(raw))
	got := b.hooks.wait(t, "/api/callbacks/telegram/"+tg.HookID+"/")
	require.Equal(t, tg.WebhookSecret, got.header.Get("X-Telegram-Bot-Api-Secret-Token"))
	var update struct {
		Message struct {
			Text string `json:"text"`
			Chat struct {
				ID       int64  `json:"id"`
				Username string `json:"username"`
			} `json:"chat"`
		} `json:"message"`
	}
	require.NoError(t, json.Unmarshal(got.body, &update))
	require.Equal(t, "/start", update.Message.Text)
	require.Equal(t, int64(5550001), update.Message.Chat.ID)
	require.Equal(t, "grace", update.Message.Chat.Username)
}

func TestPlayRefusals(t *testing.T) {
	t.Parallel()
	b := setup(t)
	org, tok := b.org(t, auth.RoleOwner)

	// Not registered yet: the check has not run.
	status, raw := b.call(t, "POST", "/api/v1/sandbox/inbound", tok, map[string]any{"channel": "instagram", "text": "hey"})
	require.Equal(t, http.StatusConflict, status, string(raw))
	require.Contains(t, string(raw), "Test connection")

	b.register(t, org)
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"phone", map[string]any{"channel": "whatsapp", "from": map[string]string{"phone": "0155"}, "text": "x"}, "body.from.phone"},
		{"empty", map[string]any{"channel": "telegram", "from": map[string]string{"id": "12"}}, "body.text"},
		{"id", map[string]any{"channel": "telegram", "from": map[string]string{"id": "abc"}, "text": "x"}, "body.from.id"},
		{"base64", map[string]any{"channel": "telegram", "text": "x", "media": map[string]string{"filename": "a", "base64": "!!"}}, "body.media.base64"},
		{"email", map[string]any{"channel": "email", "text": "x"}, "body.channel"},
	} {
		status, raw := b.call(t, "POST", "/api/v1/sandbox/inbound", tok, tc.body)
		require.Equal(t, http.StatusUnprocessableEntity, status, tc.name)
		require.Contains(t, string(raw), tc.want, tc.name)
	}

	// A disabled channel is not set up.
	_, err := b.tx.Exec(b.ctx, `UPDATE channel_settings SET enabled = false WHERE org_id = $1 AND channel = 'telegram'`, org)
	require.NoError(t, err)
	status, raw = b.call(t, "POST", "/api/v1/sandbox/inbound", tok, map[string]any{"channel": "telegram", "text": "x"})
	require.Equal(t, http.StatusConflict, status, string(raw))

	_, viewer := b.org(t, auth.RoleViewer)
	status, _ = b.call(t, "POST", "/api/v1/sandbox/inbound", viewer, map[string]any{"channel": "telegram", "text": "x"})
	require.Equal(t, http.StatusForbidden, status)
}

func TestTrafficIsTheOrgsOwn(t *testing.T) {
	t.Parallel()
	b := setup(t)
	org, tok := b.org(t, auth.RoleViewer)
	wa, _ := b.register(t, org)
	other, otherTok := b.org(t, auth.RoleOwner)
	b.register(t, other)

	play := func(token, text string) {
		status, raw := b.call(t, "POST", "/api/v1/sandbox/inbound", token, map[string]any{
			"channel": "whatsapp", "from": map[string]string{"phone": "+14155550177"}, "text": text,
		})
		require.Equal(t, http.StatusAccepted, status, string(raw))
	}
	_, ownerTok := b.orgOwnerToken(t, org)
	play(ownerTok, "mine")
	play(otherTok, "theirs")
	b.hooks.wait(t, "/api/callbacks/twilio/"+wa.HookID+"/inbound/")

	var tr SandboxTraffic
	require.Eventually(t, func() bool {
		status, raw := b.call(t, "GET", "/api/v1/sandbox/traffic", tok, nil)
		require.Equal(t, http.StatusOK, status, string(raw))
		require.NoError(t, json.Unmarshal(raw, &tr))
		return len(tr.Webhooks) > 0 && tr.Webhooks[0].Status == http.StatusOK
	}, 5*time.Second, 20*time.Millisecond)
	require.Len(t, tr.Messages, 1)
	require.Equal(t, "mine", tr.Messages[0].Body)
	require.Equal(t, "inbound", tr.Messages[0].Direction)
	require.Equal(t, "whatsapp", tr.Messages[0].Channel)
	for _, w := range tr.Webhooks {
		require.Contains(t, w.Target, wa.HookID)
	}
	require.Len(t, tr.Channels, 4)
	byChannel := map[string]SandboxChannel{}
	for _, c := range tr.Channels {
		byChannel[c.Channel] = c
	}
	require.True(t, byChannel["whatsapp"].Registered)
	require.Equal(t, wa.From, byChannel["whatsapp"].Address)
	require.True(t, byChannel["telegram"].Registered)
	require.True(t, byChannel["instagram"].Configured)
	require.False(t, byChannel["instagram"].Registered)
	require.False(t, byChannel["email"].Registered)
}

// orgOwnerToken is a member token in an existing org.
func (b *testBundle) orgOwnerToken(t *testing.T, orgID uuid.UUID) (uuid.UUID, string) {
	t.Helper()
	u := testfactory.Member(b.ctx, t, b.tx, orgID, auth.RoleMember)
	tok, err := b.tokens.Issue(u.ID, uuid.NullUUID{UUID: orgID, Valid: true}, auth.RoleMember, uuid.New(), false)
	require.NoError(t, err)
	return u.ID, tok
}
