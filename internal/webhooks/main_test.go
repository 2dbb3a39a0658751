package webhooks

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/apikeys"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/httpserver"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/orgs"
	"github.com/switchboard/switchboard/internal/testfactory"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

const testBaseURL = "https://sb.test"

var (
	jobsOnce sync.Once
	jobs     *jobqueue.Client
	jobsErr  error
)

// insertOnly is an insert-only River client that knows the processing job.
func insertOnly(t *testing.T) *jobqueue.Client {
	t.Helper()
	pool := dbtest.Pool(t)
	jobsOnce.Do(func() {
		w := river.NewWorkers()
		river.AddWorker(w, &ProcessWorker{})
		jobs, jobsErr = jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: w})
	})
	require.NoError(t, jobsErr)
	return jobs
}

// Fake credentials in the providers' real formats.
const (
	sgKey       = "SG.abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
	twilioSID   = "AC0123456789abcdef0123456789abcdef"
	twilioToken = "f00dfeedf00dfeedf00dfeedf00d1234"
	tgToken     = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	igToken     = "EAAGm0PX4ZCpsBAKZAZBZCZAtokenvalue1234567890"
	igSecret    = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
)

// orgChannels is an org with every channel configured.
type orgChannels struct {
	org      orgs.Org
	owner    dbsqlc.User
	sgKey    *ecdsa.PrivateKey
	hooks    map[channels.Channel]string
	tgSecret string
	igVerify string
}

// testBundle is one test's transaction (rolled back at the end), two orgs
// with all channels, and the app with the receivers and the log API.
type testBundle struct {
	ctx    context.Context
	tx     pgx.Tx
	store  *channels.Store
	a, b   *orgChannels
	h      *Handlers
	app    *fiber.App
	tokens *auth.Tokens
	now    time.Time
	ticks  atomic.Int64
}

// clock is now, a microsecond later at every reading, so that the log's
// order is the order of the calls.
func (b *testBundle) clock() time.Time {
	return b.now.Add(time.Duration(b.ticks.Add(1)) * time.Microsecond)
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := t.Context()
	tx := dbtest.TestTx(t)
	store, err := channels.NewStore(bytes.Repeat([]byte{7}, 32))
	require.NoError(t, err)
	b := &testBundle{ctx: ctx, tx: tx, store: store, now: time.Now().UTC().Truncate(time.Microsecond)}
	b.a = b.newOrg(t)
	b.b = b.newOrg(t)

	srv := httpserver.New(httpserver.Options{Logger: zerolog.Nop(), Dev: true})
	b.tokens = auth.NewTokens([]byte("webhooks-test-secret-0123456789ab"), 15*time.Minute, time.Now)
	authn := &auth.Authenticator{DB: tx, Tokens: b.tokens, Keys: &apikeys.Verifier{DB: tx, Now: time.Now}}
	srv.API.UseMiddleware(authn.Middleware(srv.API))
	b.h = &Handlers{DB: tx, Channels: store, Jobs: insertOnly(t), PublicBaseURL: testBaseURL + "/", Now: b.clock}
	b.h.Register(srv.API)
	b.h.RegisterCallbacks(srv.App)
	// As in app.go: unknown /api paths answer problem+json.
	srv.App.All("/api/*", func(*fiber.Ctx) error { return fiber.NewError(fiber.StatusNotFound, "no such API route") })
	b.app = srv.App
	return b
}

// newOrg makes an org (its owner without a password: hashing is slow and
// these tests never sign in) with every channel set up.
func (b *testBundle) newOrg(t *testing.T) *orgChannels {
	t.Helper()
	owner := testfactory.User(b.ctx, t, b.tx, &testfactory.UserOpts{Password: "-"})
	org, _ := testfactory.Org(b.ctx, t, b.tx, &testfactory.OrgOpts{Owner: &owner})
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	oc := &orgChannels{org: org, owner: owner, sgKey: key, hooks: map[channels.Channel]string{}}
	settings := map[channels.Channel]channels.PutParams{
		channels.ChannelEmail: {
			Config:  map[string]string{channels.FieldFromEmail: "news@example.com", channels.FieldEventPublicKey: base64.StdEncoding.EncodeToString(der)},
			Secrets: map[string]*string{channels.FieldAPIKey: ptr(sgKey)},
		},
		channels.ChannelWhatsApp: {
			Config:  map[string]string{channels.FieldAccountSID: twilioSID, channels.FieldFrom: "+14155238886"},
			Secrets: map[string]*string{channels.FieldAuthToken: ptr(twilioToken)},
		},
		channels.ChannelTelegram: {Secrets: map[string]*string{channels.FieldBotToken: ptr(tgToken)}},
		channels.ChannelInstagram: {
			Config:  map[string]string{channels.FieldAccountID: "17841400000000001"},
			Secrets: map[string]*string{channels.FieldAccessToken: ptr(igToken), channels.FieldAppSecret: ptr(igSecret)},
		},
	}
	for ch, p := range settings {
		row, err := b.store.Put(b.ctx, b.tx, org.ID, ch, p, b.now)
		require.NoError(t, err)
		oc.hooks[ch] = row.HookID
	}
	_, cr, err := b.store.ByHook(b.ctx, b.tx, channels.ChannelTelegram, oc.hooks[channels.ChannelTelegram])
	require.NoError(t, err)
	oc.tgSecret = cr.(channels.TelegramCreds).WebhookSecret
	_, cr, err = b.store.ByHook(b.ctx, b.tx, channels.ChannelInstagram, oc.hooks[channels.ChannelInstagram])
	require.NoError(t, err)
	oc.igVerify = cr.(channels.InstagramCreds).VerifyToken
	return oc
}

func ptr[T any](v T) *T { return &v }

// answer is an HTTP answer, read.
type answer struct {
	status int
	header http.Header
	body   string
}

func (b *testBundle) do(t *testing.T, req *http.Request) answer {
	t.Helper()
	res, err := b.app.Test(req, -1)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return answer{status: res.StatusCode, header: res.Header, body: string(raw)}
}

// sendGridPath is the org's SendGrid event URL path.
func (oc *orgChannels) path(ch channels.Channel, purpose string) string {
	return strings.TrimPrefix(channels.WebhookURLOf(testBaseURL, ch, oc.hooks[ch], purpose), testBaseURL)
}

// signSendGrid signs body like SendGrid: ECDSA P-256 over timestamp+body.
func signSendGrid(t *testing.T, key *ecdsa.PrivateKey, ts time.Time, body []byte) (sig, stamp string) {
	t.Helper()
	stamp = strconv.FormatInt(ts.Unix(), 10)
	h := sha256.Sum256(append([]byte(stamp), body...))
	der, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(der), stamp
}

// postSendGrid posts a batch signed with key at ts.
func (b *testBundle) postSendGrid(t *testing.T, oc *orgChannels, key *ecdsa.PrivateKey, ts time.Time, body []byte) answer {
	t.Helper()
	sig, stamp := signSendGrid(t, key, ts, body)
	req := httptest.NewRequest(http.MethodPost, oc.path(channels.ChannelEmail, channels.PurposeEvents), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Twilio-Email-Event-Webhook-Signature", sig)
	req.Header.Set("X-Twilio-Email-Event-Webhook-Timestamp", stamp)
	return b.do(t, req)
}

// signTwilio computes X-Twilio-Signature the way Twilio documents it:
// base64 HMAC-SHA1 with the auth token over the full URL followed by each
// POST parameter's name and value, sorted by name.
func signTwilio(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sb strings.Builder
	sb.WriteString(fullURL)
	for _, k := range keys {
		sb.WriteString(k)
		sb.WriteString(form.Get(k))
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(sb.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// postTwilio posts a form to one of the org's Twilio URLs, signed with
// token over signURL ("" signs the right URL).
func (b *testBundle) postTwilio(t *testing.T, oc *orgChannels, purpose string, form url.Values, token, signURL string) answer {
	t.Helper()
	path := oc.path(channels.ChannelWhatsApp, purpose)
	if signURL == "" {
		signURL = testBaseURL + path
	}
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", signTwilio(token, signURL, form))
	return b.do(t, req)
}

// postTelegram posts an update with the secret header.
func (b *testBundle) postTelegram(t *testing.T, oc *orgChannels, secret string, body []byte) answer {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, oc.path(channels.ChannelTelegram, channels.PurposeUpdates), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	return b.do(t, req)
}

// postInstagram posts a webhook signed with secret.
func (b *testBundle) postInstagram(t *testing.T, oc *orgChannels, secret string, body []byte) answer {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	req := httptest.NewRequest(http.MethodPost, oc.path(channels.ChannelInstagram, channels.PurposeWebhook), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	return b.do(t, req)
}

// log is the org's webhook log, newest first.
func (b *testBundle) log(t *testing.T, orgID uuid.UUID, p LogParams) []WebhookCall {
	t.Helper()
	page, err := Log(b.ctx, b.tx, orgID, p)
	require.NoError(t, err)
	return page.Items
}

// pending lists a request's events not processed yet.
func (b *testBundle) pending(t *testing.T, orgID, requestID uuid.UUID) []dbsqlc.LockPendingWebhookEventsRow {
	t.Helper()
	rows, err := dbsqlc.New().LockPendingWebhookEvents(b.ctx, b.tx, dbsqlc.LockPendingWebhookEventsParams{OrgID: orgID, RequestID: requestID})
	require.NoError(t, err)
	return rows
}

// requireJobs checks the processing jobs inserted so far in the test's
// transaction, one per listed request.
func (b *testBundle) requireJobs(t *testing.T, requests ...uuid.UUID) {
	t.Helper()
	if len(requests) == 0 {
		rivertest.RequireNotInsertedTx[*riverpgxv5.Driver](b.ctx, t, b.tx, &ProcessArgs{}, nil)
		return
	}
	expected := make([]rivertest.ExpectedJob, len(requests))
	for i := range requests {
		expected[i] = rivertest.ExpectedJob{Args: &ProcessArgs{}, Opts: &rivertest.RequireInsertedOpts{Queue: jobqueue.QueueWebhooks, MaxAttempts: ProcessMaxAttempts}}
	}
	rows := rivertest.RequireManyInsertedTx[*riverpgxv5.Driver](b.ctx, t, b.tx, expected)
	got := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		var args ProcessArgs
		require.NoError(t, json.Unmarshal(r.EncodedArgs, &args))
		got[i] = args.RequestID
	}
	require.ElementsMatch(t, requests, got)
}

// process runs the processing job of a request, as River would.
func (b *testBundle) process(t *testing.T, w *ProcessWorker, orgID, requestID uuid.UUID) error {
	t.Helper()
	if w == nil {
		w = b.worker(nil)
	}
	res, err := rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{}, w).Work(b.ctx, t, b.tx, ProcessArgs{OrgID: orgID, RequestID: requestID}, nil)
	if err == nil {
		require.Equal(t, "completed", string(res.Job.State))
	}
	return err
}

// worker is a processing worker over the test's transaction.
func (b *testBundle) worker(r Receiver) *ProcessWorker {
	return &ProcessWorker{DB: b.tx, Receiver: r, Channels: b.store, Now: func() time.Time { return b.now }}
}

// message makes a sent outbound message of org with the provider's id.
func (b *testBundle) message(t *testing.T, orgID uuid.UUID, ch, to, providerMessageID string, sentAt time.Time) dbsqlc.OutboundMessage {
	t.Helper()
	q := dbsqlc.New()
	m, err := q.CreateOutboundMessage(b.ctx, b.tx, dbsqlc.CreateOutboundMessageParams{
		ID: uuid.New(), OrgID: orgID, Channel: ch, ToAddress: to, Subject: "s", BodyText: "b",
		Provider: messaging.ProviderOf(messaging.Channel(ch)), Now: sentAt,
	})
	require.NoError(t, err)
	m, err = q.MarkSent(b.ctx, b.tx, dbsqlc.MarkSentParams{OrgID: orgID, ID: m.ID, ProviderMessageID: &providerMessageID, Now: sentAt})
	require.NoError(t, err)
	return m
}

// get reads a message with its timeline.
func (b *testBundle) get(t *testing.T, orgID, id uuid.UUID) messaging.Message {
	t.Helper()
	m, err := messaging.Get(b.ctx, b.tx, orgID, id, true)
	require.NoError(t, err)
	return m
}

func statuses(m messaging.Message) []string {
	out := make([]string, len(m.Events))
	for i, e := range m.Events {
		out[i] = e.Status
	}
	sort.Strings(out)
	return out
}

var requestIDField = regexp.MustCompile(`"request_id":"[^"]*"`)

// withoutRequestID blanks the one field that differs between two answers.
func withoutRequestID(body string) string {
	return requestIDField.ReplaceAllString(body, `"request_id":""`)
}
