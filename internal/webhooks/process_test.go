package webhooks

import (
	"context"
	"errors"
	"fmt"
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
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/conversations"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/storage"
	"github.com/switchboard/switchboard/internal/suppression"
)

// lastRequest is the newest call in the org's log.
func (b *testBundle) lastRequest(t *testing.T, orgID uuid.UUID) WebhookCall {
	t.Helper()
	log := b.log(t, orgID, LogParams{Limit: 1})
	require.NotEmpty(t, log)
	return log[0]
}

func (b *testBundle) suppression(t *testing.T, orgID uuid.UUID, ch, value string) (dbsqlc.Suppression, bool) {
	t.Helper()
	s, err := dbsqlc.New().GetSuppressionByValue(b.ctx, b.tx, dbsqlc.GetSuppressionByValueParams{OrgID: orgID, Channel: ch, Value: value})
	if errors.Is(err, pgx.ErrNoRows) {
		return s, false
	}
	require.NoError(t, err)
	return s, true
}

func TestProcessSendGrid(t *testing.T) {
	t.Parallel()
	b := setup(t)
	t0 := b.now.Add(-time.Hour).Truncate(time.Second)
	a, other := b.a.org.ID, b.b.org.ID
	m1 := b.message(t, a, "email", "ada@example.com", "sgA1", t0)
	m2 := b.message(t, a, "email", "bob@example.com", "sgA2", t0)
	m3 := b.message(t, a, "email", "Carol@Example.com", "sgA3", t0)
	m4 := b.message(t, a, "email", "dave@example.com", "sgA4", t0)
	// The other org sent a message with the same provider id.
	theirs := b.message(t, other, "email", "ada@example.com", "sgA1", t0)
	carol, err := dbsqlc.New().EnsureEmailContact(b.ctx, b.tx, dbsqlc.EnsureEmailContactParams{OrgID: a, Address: ptr("carol@example.com")})
	require.NoError(t, err)

	batch := mustJSON(t, []any{
		sgEvent("e1", "open", "ada@example.com", "sgA1", t0.Add(3*time.Second)), // before delivered: out of order
		sgEvent("e2", "delivered", "ada@example.com", "sgA1", t0.Add(2*time.Second)),
		sgEvent("e3", "processed", "ada@example.com", "sgA1", t0),
		sgEvent("e4", "deferred", "ada@example.com", "sgA1", t0.Add(time.Second), "reason", "try later"),
		sgEvent("e5", "bounce", "bob@example.com", "sgA2", t0.Add(time.Second), "reason", "550 5.1.1 user unknown", "status", "5.1.1", "type", "bounce"),
		sgEvent("e6", "spamreport", "Carol@Example.com", "sgA3", t0.Add(time.Second)),
		sgEvent("e7", "unsubscribe", "dave@example.com", "sgA4", t0.Add(time.Second)),
		sgEvent("e8", "bounce", "eve@example.com", "sgNotOurs", t0, "reason", "blocked by policy", "type", "blocked"),
		sgEvent("e9", "group_resubscribe", "ada@example.com", "sgA1", t0),
	})
	require.Equal(t, http.StatusOK, b.postSendGrid(t, b.a, b.a.sgKey, b.now, batch).status)
	req := b.lastRequest(t, a)
	require.NoError(t, b.process(t, nil, a, req.ID))
	require.Empty(t, b.pending(t, a, req.ID))

	got := b.get(t, a, m1.ID)
	require.Equal(t, messaging.StatusOpened, got.Status)
	require.Equal(t, t0.Add(2*time.Second), got.DeliveredAt.UTC())
	require.Equal(t, []string{"deferred", "delivered", "opened", "processed"}, statuses(got))
	bounced := b.get(t, a, m2.ID)
	require.Equal(t, messaging.StatusBounced, bounced.Status)
	require.Equal(t, "5.1.1", bounced.ErrorCode)
	require.Equal(t, "550 5.1.1 user unknown", bounced.ErrorReason)
	require.Equal(t, messaging.StatusSpam, b.get(t, a, m3.ID).Status)
	unsub := b.get(t, a, m4.ID)
	require.Equal(t, messaging.StatusSent, unsub.Status, "an unsubscribe only joins the timeline")
	require.Equal(t, []string{"unsubscribed"}, statuses(unsub))

	// The other org's message with the same id is untouched.
	require.Equal(t, messaging.StatusSent, b.get(t, other, theirs.ID).Status)
	require.Empty(t, b.get(t, other, theirs.ID).Events)

	s, ok := b.suppression(t, a, "email", "bob@example.com")
	require.True(t, ok)
	require.Equal(t, suppression.ReasonBounced, s.Reason)
	require.Equal(t, SourceSendGrid, s.Source)
	require.Equal(t, "550 5.1.1 user unknown", s.Note)
	s, ok = b.suppression(t, a, "email", "carol@example.com")
	require.True(t, ok)
	require.Equal(t, suppression.ReasonSpamComplaint, s.Reason)
	require.Equal(t, carol.ID, s.ContactID.UUID, "linked to the contact holding the address")
	s, ok = b.suppression(t, a, "email", "dave@example.com")
	require.True(t, ok)
	require.Equal(t, suppression.ReasonUnsubscribed, s.Reason)
	_, ok = b.suppression(t, a, "email", "eve@example.com")
	require.False(t, ok, "a blocked bounce is temporary")
	_, ok = b.suppression(t, other, "email", "bob@example.com")
	require.False(t, ok)

	c, err := dbsqlc.New().GetContact(b.ctx, b.tx, dbsqlc.GetContactParams{OrgID: a, ID: carol.ID})
	require.NoError(t, err)
	require.Equal(t, contacts.ConsentOptedOut, contacts.FromRow(c).Consent["email"].Status)
	history, err := suppression.Events(b.ctx, b.tx, a, carol.ID)
	require.NoError(t, err)
	require.Len(t, history, 1)
	require.Equal(t, "opted_out", history[0].Action)
	require.Equal(t, SourceSendGrid, history[0].Source)

	// Processing again changes nothing.
	before := len(b.get(t, a, m1.ID).Events)
	require.NoError(t, b.process(t, nil, a, req.ID))
	require.Len(t, b.get(t, a, m1.ID).Events, before)

	// A replay is not stored again; a late delivered and a second bounce
	// report don't move the messages back, and the suppressions stand.
	require.Equal(t, http.StatusOK, b.postSendGrid(t, b.a, b.a.sgKey, b.now, batch).status)
	require.Equal(t, VerdictDuplicate, b.lastRequest(t, a).Verdict)
	late := mustJSON(t, []any{
		sgEvent("e10", "delivered", "ada@example.com", "sgA1", t0.Add(time.Minute)),
		sgEvent("e11", "bounce", "bob@example.com", "sgA2", t0.Add(time.Minute), "reason", "again", "type", "bounce"),
		sgEvent("e12", "delivered", "bob@example.com", "sgA2", t0.Add(time.Minute)),
	})
	require.Equal(t, http.StatusOK, b.postSendGrid(t, b.a, b.a.sgKey, b.now, late).status)
	require.NoError(t, b.process(t, nil, a, b.lastRequest(t, a).ID))
	got = b.get(t, a, m1.ID)
	require.Equal(t, messaging.StatusOpened, got.Status)
	require.Equal(t, t0.Add(2*time.Second), got.DeliveredAt.UTC(), "the first delivery time stays")
	require.Equal(t, messaging.StatusBounced, b.get(t, a, m2.ID).Status)
	s, _ = b.suppression(t, a, "email", "bob@example.com")
	require.Equal(t, "550 5.1.1 user unknown", s.Note)
}

func TestProcessSendGridBatchOfAThousand(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.a.org.ID
	t0 := b.now.Add(-time.Hour).Truncate(time.Second)
	events := make([]any, 0, 1000)
	ids := make([]uuid.UUID, 0, 500)
	for i := range 500 {
		pmid := fmt.Sprintf("bulk%04d", i)
		to := fmt.Sprintf("r%04d@example.com", i)
		ids = append(ids, b.message(t, a, "email", to, pmid, t0).ID)
		events = append(events, sgEvent(pmid+"-d", "delivered", to, pmid, t0.Add(time.Second)))
		if i%50 == 0 {
			events = append(events, sgEvent(pmid+"-b", "bounce", to, pmid, t0.Add(2*time.Second), "type", "bounce", "reason", "gone"))
		} else {
			events = append(events, sgEvent(pmid+"-o", "open", to, pmid, t0.Add(2*time.Second)))
		}
	}
	res := b.postSendGrid(t, b.a, b.a.sgKey, b.now, mustJSON(t, events))
	require.Equal(t, http.StatusOK, res.status)
	req := b.lastRequest(t, a)
	require.Equal(t, 1000, req.Events)
	require.NoError(t, b.process(t, nil, a, req.ID))
	require.Equal(t, messaging.StatusBounced, b.get(t, a, ids[0]).Status)
	require.Equal(t, messaging.StatusOpened, b.get(t, a, ids[1]).Status)
	page, err := suppression.List(b.ctx, b.tx, a, suppression.ListParams{Limit: 100})
	require.NoError(t, err)
	require.Len(t, page.Items, 10)
}

func twilioStatus(sid, status, to string, extra ...string) url.Values {
	f := url.Values{"MessageSid": {sid}, "MessageStatus": {status}, "AccountSid": {twilioSID}, "To": {"whatsapp:" + to}, "From": {"whatsapp:+14155238886"}}
	for i := 0; i+1 < len(extra); i += 2 {
		f.Set(extra[i], extra[i+1])
	}
	return f
}

func TestProcessTwilio(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, other := b.a.org.ID, b.b.org.ID
	t0 := b.now.Add(-time.Hour)
	sid := "SM00000000000000000000000000000001"
	m := b.message(t, a, "whatsapp", "+14155550100", sid, t0)
	theirs := b.message(t, other, "whatsapp", "+14155550100", sid, t0)
	bad := b.message(t, a, "whatsapp", "+14155550101", "SM00000000000000000000000000000002", t0)
	stop := b.message(t, a, "whatsapp", "+14155550102", "SM00000000000000000000000000000003", t0)
	cut, err := dbsqlc.New().EnsureWhatsAppContact(b.ctx, b.tx, dbsqlc.EnsureWhatsAppContactParams{OrgID: a, Address: ptr("+14155550102")})
	require.NoError(t, err)

	post := func(f url.Values) uuid.UUID {
		t.Helper()
		res := b.postTwilio(t, b.a, channels.PurposeStatus, f, twilioToken, "")
		require.Equal(t, http.StatusOK, res.status, res.body)
		return b.lastRequest(t, a).ID
	}
	// Out of order: read, then delivered, then sent; each its own job.
	for _, st := range []string{"read", "delivered", "sent", "read"} {
		require.NoError(t, b.process(t, nil, a, post(twilioStatus(sid, st, "+14155550100"))))
	}
	got := b.get(t, a, m.ID)
	require.Equal(t, messaging.StatusRead, got.Status)
	require.NotNil(t, got.DeliveredAt)
	require.Equal(t, []string{"delivered", "read", "sent"}, statuses(got), "the replayed read was stored once")
	require.Equal(t, messaging.StatusSent, b.get(t, other, theirs.ID).Status)

	require.NoError(t, b.process(t, nil, a, post(twilioStatus(*bad.ProviderMessageID, "failed", "+14155550101",
		"ErrorCode", "63024", "ErrorMessage", "Invalid message recipient"))))
	failed := b.get(t, a, bad.ID)
	require.Equal(t, messaging.StatusFailed, failed.Status)
	require.Equal(t, "63024", failed.ErrorCode)
	require.Equal(t, "Invalid message recipient", failed.ErrorReason)
	s, ok := b.suppression(t, a, "whatsapp", "+14155550101")
	require.True(t, ok)
	require.Equal(t, suppression.ReasonBounced, s.Reason)
	require.Equal(t, SourceTwilio, s.Source)

	require.NoError(t, b.process(t, nil, a, post(twilioStatus(*stop.ProviderMessageID, "undelivered", "+14155550102", "ErrorCode", "21610"))))
	require.Equal(t, messaging.StatusUndelivered, b.get(t, a, stop.ID).Status)
	s, ok = b.suppression(t, a, "whatsapp", "+14155550102")
	require.True(t, ok)
	require.Equal(t, suppression.ReasonUnsubscribed, s.Reason)
	c, err := dbsqlc.New().GetContact(b.ctx, b.tx, dbsqlc.GetContactParams{OrgID: a, ID: cut.ID})
	require.NoError(t, err)
	require.Equal(t, contacts.ConsentOptedOut, contacts.FromRow(c).Consent["whatsapp"].Status)

	// A sender-side error suppresses nothing.
	other2 := b.message(t, a, "whatsapp", "+14155550103", "SM00000000000000000000000000000004", t0)
	require.NoError(t, b.process(t, nil, a, post(twilioStatus(*other2.ProviderMessageID, "undelivered", "+14155550103", "ErrorCode", "63016"))))
	_, ok = b.suppression(t, a, "whatsapp", "+14155550103")
	require.False(t, ok)
}

func TestProcessInstagram(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.a.org.ID
	w := b.now.Truncate(time.Millisecond)
	o1 := b.message(t, a, "instagram", "9001", "mid.o1", w.Add(-10*time.Minute))
	o2 := b.message(t, a, "instagram", "9001", "mid.o2", w.Add(-5*time.Minute))
	o3 := b.message(t, a, "instagram", "9001", "mid.o3", w.Add(time.Minute))
	o4 := b.message(t, a, "instagram", "9002", "mid.o4", w.Add(-10*time.Minute))
	theirs := b.message(t, b.b.org.ID, "instagram", "9001", "mid.o1", w.Add(-10*time.Minute))

	body := igWebhook(
		fmt.Sprintf(`{"sender":{"id":"9001"},"recipient":{"id":"17841400000000001"},"timestamp":%d,"delivery":{"mids":["mid.o1"],"watermark":%d}}`,
			w.Add(-9*time.Minute).UnixMilli(), w.Add(-9*time.Minute).UnixMilli()),
		fmt.Sprintf(`{"sender":{"id":"9001"},"recipient":{"id":"17841400000000001"},"timestamp":%d,"read":{"watermark":%d}}`, w.UnixMilli(), w.UnixMilli()),
	)
	require.Equal(t, http.StatusOK, b.postInstagram(t, b.a, igSecret, body).status)
	require.NoError(t, b.process(t, nil, a, b.lastRequest(t, a).ID))

	g1 := b.get(t, a, o1.ID)
	require.Equal(t, messaging.StatusRead, g1.Status)
	require.Equal(t, w.Add(-9*time.Minute), g1.DeliveredAt.UTC())
	require.Equal(t, w, g1.ReadAt.UTC())
	require.Equal(t, messaging.StatusRead, b.get(t, a, o2.ID).Status)
	require.Equal(t, messaging.StatusSent, b.get(t, a, o3.ID).Status, "sent after the watermark")
	require.Equal(t, messaging.StatusSent, b.get(t, a, o4.ID).Status, "another reader")
	require.Equal(t, messaging.StatusSent, b.get(t, b.b.org.ID, theirs.ID).Status)
}

// fakeReceiver records what it receives, reading every medium, and is
// idempotent like conversations.Service.
type fakeReceiver struct {
	mu    sync.Mutex
	got   map[string]conversations.Inbound
	files map[string][]string
	calls int
	fail  error
}

func (f *fakeReceiver) Receive(ctx context.Context, orgID uuid.UUID, in conversations.Inbound) (conversations.InboundMessage, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.fail != nil {
		return conversations.InboundMessage{}, false, f.fail
	}
	if f.got == nil {
		f.got, f.files = map[string]conversations.Inbound{}, map[string][]string{}
	}
	if _, ok := f.got[in.ProviderMessageID]; ok {
		return conversations.InboundMessage{}, false, nil
	}
	for _, m := range in.Media {
		rc, err := m.Open(ctx)
		if err != nil {
			return conversations.InboundMessage{}, false, err
		}
		raw, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return conversations.InboundMessage{}, false, err
		}
		f.files[in.ProviderMessageID] = append(f.files[in.ProviderMessageID], m.Filename+"="+string(raw))
	}
	f.got[in.ProviderMessageID] = in
	return conversations.InboundMessage{}, true, nil
}

// fakeTelegram serves one file.
type fakeTelegram struct{ token string }

func (f *fakeTelegram) DownloadFile(_ context.Context, token, fileID string) (io.ReadCloser, string, error) {
	f.token = token
	return io.NopCloser(strings.NewReader("tg:" + fileID)), "image/jpeg", nil
}

func TestProcessInbound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.a.org.ID
	media := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if r.URL.Path == "/ig/photo" {
			_, _ = io.WriteString(w, "ig-bytes")
			return
		}
		if !ok || user != twilioSID || pass != twilioToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "twilio-bytes")
	}))
	t.Cleanup(media.Close)

	rcv := &fakeReceiver{}
	tg := &fakeTelegram{}
	w := b.worker(rcv)
	w.Telegram = tg

	// WhatsApp with a medium fetched with the account's credentials.
	form := url.Values{
		"MessageSid": {"SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, "AccountSid": {twilioSID}, "From": {"whatsapp:+14155550100"},
		"To": {"whatsapp:+14155238886"}, "Body": {"Look"}, "ProfileName": {"Ada"}, "NumMedia": {"1"},
		"MediaUrl0": {media.URL + "/media/1"}, "MediaContentType0": {"image/png"},
	}
	require.Equal(t, http.StatusOK, b.postTwilio(t, b.a, channels.PurposeInbound, form, twilioToken, "").status)
	waReq := b.lastRequest(t, a).ID
	require.NoError(t, b.process(t, w, a, waReq))
	wa := rcv.got["SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"]
	require.Equal(t, contacts.ChannelWhatsApp, wa.Channel)
	require.Equal(t, "+14155550100", wa.From)
	require.Equal(t, "Ada", wa.FirstName)
	require.Equal(t, "Look", wa.Text)
	require.Equal(t, []string{"whatsapp-1.png=twilio-bytes"}, rcv.files[wa.ProviderMessageID])

	// Telegram, with a start code and a photo.
	update := fmt.Sprintf(`{"update_id":77,"message":{"message_id":5,"from":{"id":42,"first_name":"Ada","username":"ada"},"chat":{"id":42},"date":%d,`+
		`"text":"/start abcdefgh12","photo":[{"file_id":"small","width":90,"height":90},{"file_id":"big","width":800,"height":800}]}}`, b.now.Unix())
	require.Equal(t, http.StatusOK, b.postTelegram(t, b.a, b.a.tgSecret, []byte(update)).status)
	require.NoError(t, b.process(t, w, a, b.lastRequest(t, a).ID))
	tm := rcv.got["42:5"]
	require.Equal(t, contacts.ChannelTelegram, tm.Channel)
	require.Equal(t, "42", tm.From)
	require.Equal(t, "abcdefgh12", tm.StartCode)
	require.Equal(t, "ada", tm.Username)
	require.Equal(t, b.now.Truncate(time.Second), tm.ReceivedAt)
	require.Equal(t, []string{"photo.jpg=tg:big"}, rcv.files["42:5"])
	require.Equal(t, tgToken, tg.token)

	// Instagram: the message is received, the echo is not.
	ts := b.now.Truncate(time.Millisecond)
	body := igWebhook(
		fmt.Sprintf(`{"sender":{"id":"9001"},"recipient":{"id":"17841400000000001"},"timestamp":%d,"message":{"mid":"mid.in","text":"pic",`+
			`"attachments":[{"type":"image","payload":{"url":%q}}]}}`, ts.UnixMilli(), media.URL+"/ig/photo"),
		`{"sender":{"id":"17841400000000001"},"recipient":{"id":"9001"},"timestamp":1,"message":{"mid":"mid.echo","text":"ours","is_echo":true}}`,
	)
	require.Equal(t, http.StatusOK, b.postInstagram(t, b.a, igSecret, body).status)
	igReq := b.lastRequest(t, a).ID
	require.NoError(t, b.process(t, w, a, igReq))
	im := rcv.got["mid.in"]
	require.Equal(t, "9001", im.From)
	require.Equal(t, ts, im.ReceivedAt)
	require.Equal(t, []string{"instagram-image-1=ig-bytes"}, rcv.files["mid.in"])
	_, echoed := rcv.got["mid.echo"]
	require.False(t, echoed)
	require.Empty(t, b.pending(t, a, igReq))
	require.Equal(t, 3, rcv.calls)

	// Running a job again does not receive anything twice.
	require.NoError(t, b.process(t, w, a, waReq))
	require.NoError(t, b.process(t, w, a, igReq))
	require.Equal(t, 3, rcv.calls)
}

func TestProcessInboundFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.a.org.ID
	rcv := &fakeReceiver{fail: errors.New("database on fire")}
	require.Equal(t, http.StatusOK, b.postTelegram(t, b.a, b.a.tgSecret, tgUpdate(9, 42, 9, "hello")).status)
	req := b.lastRequest(t, a).ID

	// A transient failure: the job fails (River retries), the event stays.
	err := b.process(t, b.worker(rcv), a, req)
	require.ErrorContains(t, err, "database on fire")
	require.Len(t, b.pending(t, a, req), 1)
	rcv.fail = nil
	require.NoError(t, b.process(t, b.worker(rcv), a, req))
	require.Empty(t, b.pending(t, a, req))
	require.Equal(t, "hello", rcv.got["42:9"].Text)

	// A message that can never be stored is set aside, not retried forever.
	require.Equal(t, http.StatusOK, b.postTelegram(t, b.a, b.a.tgSecret, tgUpdate(10, 42, 10, "x")).status)
	req = b.lastRequest(t, a).ID
	rcv.fail = fmt.Errorf("%w: bad sender", conversations.ErrInvalidInbound)
	require.NoError(t, b.process(t, b.worker(rcv), a, req))
	require.Empty(t, b.pending(t, a, req))
}

// TestProcessInboundConversations runs an inbound message through the real
// conversations service.
func TestProcessInboundConversations(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.a.org.ID
	disk, err := storage.NewDisk(t.TempDir())
	require.NoError(t, err)
	svc := &conversations.Service{DB: b.tx, Storage: disk, Now: func() time.Time { return b.now }}
	require.Equal(t, http.StatusOK, b.postTelegram(t, b.a, b.a.tgSecret, tgUpdate(11, 4242, 3, "hello there")).status)
	req := b.lastRequest(t, a).ID
	require.NoError(t, b.process(t, b.worker(svc), a, req))
	require.NoError(t, b.process(t, b.worker(svc), a, req))
	row, err := dbsqlc.New().GetInboundByProviderID(b.ctx, b.tx, dbsqlc.GetInboundByProviderIDParams{OrgID: a, Channel: "telegram", ProviderMessageID: "4242:3"})
	require.NoError(t, err)
	require.Equal(t, "hello there", row.Body)
	require.Equal(t, "4242", row.FromAddress)
	_, err = dbsqlc.New().GetInboundByProviderID(b.ctx, b.tx, dbsqlc.GetInboundByProviderIDParams{OrgID: b.b.org.ID, Channel: "telegram", ProviderMessageID: "4242:3"})
	require.ErrorIs(t, err, pgx.ErrNoRows)
}
