package webhooks

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/channels"
)

// sgEvent is one SendGrid event as the event webhook posts it.
func sgEvent(id, event, email, messageID string, ts time.Time, extra ...string) map[string]any {
	e := map[string]any{
		"sg_event_id": id, "event": event, "email": email, "timestamp": ts.Unix(),
		"sg_message_id": messageID + ".filter0001.16648.5515E0B88.0", "smtp-id": "<" + id + "@sb.test>",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		e[extra[i]] = extra[i+1]
	}
	return e
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func TestSendGridAccepted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	batch := mustJSON(t, []any{
		sgEvent("ev-1", "processed", "ada@example.com", "msg1", b.now),
		sgEvent("ev-2", "delivered", "ada@example.com", "msg1", b.now),
		sgEvent("ev-3", "open", "ada@example.com", "msg1", b.now),
	})
	res := b.postSendGrid(t, b.a, b.a.sgKey, b.now, batch)
	require.Equal(t, http.StatusOK, res.status, res.body)
	require.Empty(t, res.body)

	log := b.log(t, b.a.org.ID, LogParams{})
	require.Len(t, log, 1)
	r := log[0]
	require.Equal(t, ProviderSendGrid, r.Provider)
	require.Equal(t, KindEvents, r.Kind)
	require.Equal(t, VerdictAccepted, r.Verdict)
	require.Equal(t, http.StatusOK, r.HTTPStatus)
	require.Equal(t, 3, r.Events)
	require.Equal(t, string(batch), r.Snippet)
	require.Positive(t, r.LatencyMS)
	pending := b.pending(t, b.a.org.ID, r.ID)
	require.Len(t, pending, 3)
	require.Equal(t, []string{"processed", "delivered", "open"}, []string{pending[0].Kind, pending[1].Kind, pending[2].Kind})
	b.requireJobs(t, r.ID)

	// A replay (SendGrid retries with a fresh signature) stores nothing new
	// and enqueues nothing; one new event in a batch is stored alone.
	res = b.postSendGrid(t, b.a, b.a.sgKey, b.now, batch)
	require.Equal(t, http.StatusOK, res.status)
	log = b.log(t, b.a.org.ID, LogParams{})
	require.Len(t, log, 2)
	require.Equal(t, VerdictDuplicate, log[0].Verdict)
	require.Equal(t, "3 of 3 events were already received", log[0].Reason)
	b.requireJobs(t, r.ID)

	more := mustJSON(t, []any{sgEvent("ev-3", "open", "ada@example.com", "msg1", b.now), sgEvent("ev-4", "click", "ada@example.com", "msg1", b.now)})
	res = b.postSendGrid(t, b.a, b.a.sgKey, b.now, more)
	require.Equal(t, http.StatusOK, res.status)
	log = b.log(t, b.a.org.ID, LogParams{})
	require.Equal(t, VerdictAccepted, log[0].Verdict)
	require.Equal(t, 2, log[0].Events)
	require.Equal(t, "1 of 2 events were already received", log[0].Reason)
	require.Len(t, b.pending(t, b.a.org.ID, log[0].ID), 1)
	b.requireJobs(t, r.ID, log[0].ID)

	// The same event ids are the other org's own.
	res = b.postSendGrid(t, b.b, b.b.sgKey, b.now, batch)
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, VerdictAccepted, b.log(t, b.b.org.ID, LogParams{})[0].Verdict)
}

func TestSendGridRefused(t *testing.T) {
	t.Parallel()
	b := setup(t)
	batch := mustJSON(t, []any{sgEvent("ev-1", "delivered", "ada@example.com", "msg1", b.now)})
	otherKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)

	cases := []struct {
		name   string
		post   func() answer
		status int
		reason string
	}{
		{"wrong key", func() answer { return b.postSendGrid(t, b.a, otherKey, b.now, batch) }, 401, "does not verify"},
		{"another org's key", func() answer { return b.postSendGrid(t, b.a, b.b.sgKey, b.now, batch) }, 401, "does not verify"},
		{"tampered body", func() answer {
			sig, stamp := signSendGrid(t, b.a.sgKey, b.now, batch)
			tampered := strings.Replace(string(batch), "delivered", "bounce", 1)
			req := httptest.NewRequest(http.MethodPost, b.a.path(channels.ChannelEmail, channels.PurposeEvents), strings.NewReader(tampered))
			req.Header.Set("X-Twilio-Email-Event-Webhook-Signature", sig)
			req.Header.Set("X-Twilio-Email-Event-Webhook-Timestamp", stamp)
			return b.do(t, req)
		}, 401, "does not verify"},
		{"stale timestamp", func() answer { return b.postSendGrid(t, b.a, b.a.sgKey, b.now.Add(-11*time.Minute), batch) }, 401, "replay window"},
		{"future timestamp", func() answer { return b.postSendGrid(t, b.a, b.a.sgKey, b.now.Add(11*time.Minute), batch) }, 401, "replay window"},
		{"no signature", func() answer {
			req := httptest.NewRequest(http.MethodPost, b.a.path(channels.ChannelEmail, channels.PurposeEvents), strings.NewReader(string(batch)))
			return b.do(t, req)
		}, 401, "timestamp"},
		{"not an array", func() answer { return b.postSendGrid(t, b.a, b.a.sgKey, b.now, []byte(`{"event":"delivered"}`)) }, 400, "JSON array"},
		{"not JSON", func() answer { return b.postSendGrid(t, b.a, b.a.sgKey, b.now, []byte(`[{"event":`)) }, 400, "JSON array"},
	}
	for _, c := range cases {
		res := c.post()
		require.Equal(t, c.status, res.status, "%s: %s", c.name, res.body)
		require.Contains(t, res.header.Get("Content-Type"), "application/problem+json", c.name)
		log := b.log(t, b.a.org.ID, LogParams{})
		require.NotEmpty(t, log, c.name)
		want := VerdictBadSignature
		if c.status == 400 {
			want = VerdictBadRequest
		}
		require.Equal(t, want, log[0].Verdict, c.name)
		require.Equal(t, c.status, log[0].HTTPStatus, c.name)
		require.Contains(t, log[0].Reason, c.reason, c.name)
		require.Zero(t, log[0].Events, c.name)
	}
	require.Len(t, b.log(t, b.a.org.ID, LogParams{Verdict: VerdictBadSignature}), 6)
	require.Len(t, b.log(t, b.a.org.ID, LogParams{Verdict: VerdictBadRequest}), 2)
	b.requireJobs(t)
}

func TestSendGridWithoutPublicKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.store.Put(b.ctx, b.tx, b.a.org.ID, channels.ChannelEmail, channels.PutParams{
		Config: map[string]string{channels.FieldEventPublicKey: ""},
	}, b.now)
	require.NoError(t, err)
	res := b.postSendGrid(t, b.a, b.a.sgKey, b.now, []byte(`[]`))
	require.Equal(t, http.StatusUnauthorized, res.status)
	require.Contains(t, b.log(t, b.a.org.ID, LogParams{})[0].Reason, "no event public key")
}

func TestUnknownHook(t *testing.T) {
	t.Parallel()
	b := setup(t)
	unknown := b.do(t, httptest.NewRequest(http.MethodPost, "/api/callbacks/nothing/here/", nil))
	require.Equal(t, http.StatusNotFound, unknown.status)

	bogus := "AAAAAAAAAAAAAAAAAAAAAA"
	paths := []string{
		"/api/callbacks/sendgrid/" + bogus + "/",
		"/api/callbacks/twilio/" + bogus + "/status/",
		"/api/callbacks/twilio/" + bogus + "/inbound/",
		"/api/callbacks/telegram/" + bogus + "/",
		"/api/callbacks/instagram/" + bogus + "/",
		"/api/callbacks/sendgrid/short/",
		// A real hook of another channel is unknown here.
		"/api/callbacks/telegram/" + b.a.hooks[channels.ChannelEmail] + "/",
		"/api/callbacks/sendgrid/" + b.a.hooks[channels.ChannelTelegram],
	}
	for _, p := range paths {
		res := b.do(t, httptest.NewRequest(http.MethodPost, p, strings.NewReader(`[]`)))
		require.Equal(t, http.StatusNotFound, res.status, p)
		require.Equal(t, withoutRequestID(unknown.body), withoutRequestID(res.body), p)
	}
	res := b.do(t, httptest.NewRequest(http.MethodGet, "/api/callbacks/instagram/"+bogus+"/?hub.mode=subscribe&hub.challenge=x", nil))
	require.Equal(t, http.StatusNotFound, res.status)
	require.Equal(t, withoutRequestID(unknown.body), withoutRequestID(res.body))
	// Nothing reaches an org's log.
	require.Empty(t, b.log(t, b.a.org.ID, LogParams{}))
	b.requireJobs(t)
}

func TestTwilio(t *testing.T) {
	t.Parallel()
	b := setup(t)
	status := url.Values{
		"MessageSid": {"SM0123456789abcdef0123456789abcdef"}, "MessageStatus": {"delivered"}, "AccountSid": {twilioSID},
		"To": {"whatsapp:+14155550100"}, "From": {"whatsapp:+14155238886"}, "ApiVersion": {"2010-04-01"},
	}
	res := b.postTwilio(t, b.a, channels.PurposeStatus, status, twilioToken, "")
	require.Equal(t, http.StatusOK, res.status, res.body)
	require.Equal(t, "text/xml; charset=utf-8", res.header.Get("Content-Type"))
	require.Equal(t, `<?xml version="1.0" encoding="UTF-8"?><Response/>`, res.body)
	st := b.log(t, b.a.org.ID, LogParams{})[0]
	require.Equal(t, KindStatus, st.Kind)
	require.Equal(t, VerdictAccepted, st.Verdict)
	require.Equal(t, 1, st.Events)
	require.Contains(t, st.Snippet, "MessageStatus=delivered")

	inbound := url.Values{
		"MessageSid": {"SMfeedfeedfeedfeedfeedfeedfeedfeed"}, "AccountSid": {twilioSID}, "From": {"whatsapp:+14155550100"},
		"To": {"whatsapp:+14155238886"}, "Body": {"Hello"}, "ProfileName": {"Ada"}, "NumMedia": {"0"},
	}
	res = b.postTwilio(t, b.a, channels.PurposeInbound, inbound, twilioToken, "")
	require.Equal(t, http.StatusOK, res.status, res.body)
	in := b.log(t, b.a.org.ID, LogParams{})[0]
	require.Equal(t, KindInbound, in.Kind)
	pending := b.pending(t, b.a.org.ID, in.ID)
	require.Len(t, pending, 1)
	require.Equal(t, eventInbound, pending[0].Kind)
	b.requireJobs(t, st.ID, in.ID)

	// A status replayed is a duplicate; the same SID with a new status is not.
	res = b.postTwilio(t, b.a, channels.PurposeStatus, status, twilioToken, "")
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, VerdictDuplicate, b.log(t, b.a.org.ID, LogParams{})[0].Verdict)

	// Refused: another token, a URL other than the one Twilio was given
	// (the other purpose, or the other org's hook), a tampered form.
	refused := []answer{
		b.postTwilio(t, b.a, channels.PurposeStatus, status, "0000feedf00dfeedf00dfeedf00d0000", ""),
		b.postTwilio(t, b.a, channels.PurposeStatus, status, twilioToken, testBaseURL+b.a.path(channels.ChannelWhatsApp, channels.PurposeInbound)),
		b.postTwilio(t, b.a, channels.PurposeStatus, status, twilioToken, "http://sb.test"+b.a.path(channels.ChannelWhatsApp, channels.PurposeStatus)),
	}
	tampered := httptest.NewRequest(http.MethodPost, b.a.path(channels.ChannelWhatsApp, channels.PurposeStatus),
		strings.NewReader(strings.Replace(status.Encode(), "delivered", "read", 1)))
	tampered.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	tampered.Header.Set("X-Twilio-Signature", signTwilio(twilioToken, testBaseURL+b.a.path(channels.ChannelWhatsApp, channels.PurposeStatus), status))
	refused = append(refused, b.do(t, tampered))
	for i, r := range refused {
		require.Equal(t, http.StatusUnauthorized, r.status, "case %d: %s", i, r.body)
	}
	bad := b.log(t, b.a.org.ID, LogParams{Verdict: VerdictBadSignature})
	require.Len(t, bad, 4)
	require.Contains(t, bad[0].Reason, "X-Twilio-Signature")
	require.NotContains(t, bad[0].Snippet, twilioToken)

	// Signed but not a status callback.
	res = b.postTwilio(t, b.a, channels.PurposeStatus, url.Values{"Foo": {"bar"}}, twilioToken, "")
	require.Equal(t, http.StatusBadRequest, res.status)
	require.Equal(t, VerdictBadRequest, b.log(t, b.a.org.ID, LogParams{})[0].Verdict)
	b.requireJobs(t, st.ID, in.ID)
}

func tgUpdate(updateID, chatID, messageID int64, text string) []byte {
	return fmt.Appendf(nil, `{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"Ada","last_name":"Lovelace","username":"ada"},`+
		`"chat":{"id":%d,"type":"private"},"date":%d,"text":%q}}`, updateID, messageID, chatID, chatID, time.Now().Unix(), text)
}

func TestTelegram(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.postTelegram(t, b.a, b.a.tgSecret, tgUpdate(1001, 42, 7, "hi"))
	require.Equal(t, http.StatusOK, res.status, res.body)
	r := b.log(t, b.a.org.ID, LogParams{})[0]
	require.Equal(t, VerdictAccepted, r.Verdict)
	require.Equal(t, KindUpdate, r.Kind)
	require.Len(t, b.pending(t, b.a.org.ID, r.ID), 1)

	// Replayed update: duplicate.
	res = b.postTelegram(t, b.a, b.a.tgSecret, tgUpdate(1001, 42, 7, "hi"))
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, VerdictDuplicate, b.log(t, b.a.org.ID, LogParams{})[0].Verdict)

	// Not a message: acknowledged, nothing kept, no job.
	res = b.postTelegram(t, b.a, b.a.tgSecret, []byte(`{"update_id":1002,"edited_message":{"message_id":7}}`))
	require.Equal(t, http.StatusOK, res.status)
	other := b.log(t, b.a.org.ID, LogParams{})[0]
	require.Equal(t, VerdictAccepted, other.Verdict)
	require.Zero(t, other.Events)
	require.Contains(t, other.Reason, "not a message")

	for _, secret := range []string{"", "wrong", b.b.tgSecret, strings.ToUpper(b.a.tgSecret)} {
		res = b.postTelegram(t, b.a, secret, tgUpdate(1003, 42, 8, "x"))
		require.Equal(t, http.StatusUnauthorized, res.status)
	}
	require.Len(t, b.log(t, b.a.org.ID, LogParams{Verdict: VerdictBadSignature}), 4)
	res = b.postTelegram(t, b.a, b.a.tgSecret, []byte(`{"message":{}}`))
	require.Equal(t, http.StatusBadRequest, res.status)
	b.requireJobs(t, r.ID)
}

func igWebhook(items ...string) []byte {
	return []byte(`{"object":"instagram","entry":[{"id":"17841400000000001","time":1700000000000,"messaging":[` + strings.Join(items, ",") + `]}]}`)
}

func igMessage(sender, mid, text string, ts time.Time) string {
	return fmt.Sprintf(`{"sender":{"id":%q},"recipient":{"id":"17841400000000001"},"timestamp":%d,"message":{"mid":%q,"text":%q}}`, sender, ts.UnixMilli(), mid, text)
}

func TestInstagram(t *testing.T) {
	t.Parallel()
	b := setup(t)
	verify := func(oc *orgChannels, q string) answer {
		return b.do(t, httptest.NewRequest(http.MethodGet, oc.path(channels.ChannelInstagram, channels.PurposeWebhook)+"?"+q, nil))
	}
	res := verify(b.a, "hub.mode=subscribe&hub.verify_token="+b.a.igVerify+"&hub.challenge=1158201444")
	require.Equal(t, http.StatusOK, res.status)
	require.Equal(t, "1158201444", res.body)
	res = verify(b.a, "hub.mode=subscribe&hub.verify_token="+b.b.igVerify+"&hub.challenge=1158201444")
	require.Equal(t, http.StatusForbidden, res.status)
	log := b.log(t, b.a.org.ID, LogParams{})
	require.Equal(t, []string{VerdictBadSignature, VerdictAccepted}, []string{log[0].Verdict, log[1].Verdict})
	require.Equal(t, "hub.mode=subscribe", log[0].Snippet, "the verify token is never logged")

	now := time.Now()
	body := igWebhook(
		igMessage("9001", "mid.1", "hello", now),
		`{"sender":{"id":"17841400000000001"},"recipient":{"id":"9001"},"timestamp":1,"message":{"mid":"mid.2","text":"ours","is_echo":true}}`,
		`{"sender":{"id":"9001"},"recipient":{"id":"17841400000000001"},"timestamp":2,"delivery":{"mids":["mid.out"],"watermark":2}}`,
		`{"sender":{"id":"9001"},"recipient":{"id":"17841400000000001"},"timestamp":3,"read":{"mid":"mid.out","watermark":3}}`,
		`{"sender":{"id":"9001"},"recipient":{"id":"17841400000000001"},"timestamp":4,"reaction":{"mid":"mid.out","action":"react"}}`,
	)
	res = b.postInstagram(t, b.a, igSecret, body)
	require.Equal(t, http.StatusOK, res.status, res.body)
	require.Equal(t, "EVENT_RECEIVED", res.body)
	r := b.log(t, b.a.org.ID, LogParams{})[0]
	require.Equal(t, 4, r.Events)
	kinds := []string{}
	for _, p := range b.pending(t, b.a.org.ID, r.ID) {
		kinds = append(kinds, p.Kind)
	}
	require.Equal(t, []string{eventMessage, eventEcho, eventDelivery, eventRead}, kinds)

	res = b.postInstagram(t, b.a, "wrongsecret0123456789", body)
	require.Equal(t, http.StatusUnauthorized, res.status)
	res = b.postInstagram(t, b.a, igSecret, []byte(`{"object":"user","entry":[]}`))
	require.Equal(t, http.StatusBadRequest, res.status)
	b.requireJobs(t, r.ID)
}

func TestRoutesWithoutTrailingSlash(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := httptest.NewRequest(http.MethodPost, strings.TrimSuffix(b.a.path(channels.ChannelTelegram, channels.PurposeUpdates), "/"),
		strings.NewReader(string(tgUpdate(5, 42, 5, "x"))))
	req.Header.Set("X-Telegram-Bot-Api-Secret-Token", b.a.tgSecret)
	require.Equal(t, http.StatusOK, b.do(t, req).status)
}

func TestSnippet(t *testing.T) {
	t.Parallel()
	require.Equal(t, "abc", snippet([]byte("abc")))
	require.Equal(t, "a\uFFFDb", snippet([]byte("a\xffb\x00")))
	long := strings.Repeat("é", SnippetBytes) // 2 bytes each
	s := snippet([]byte(long))
	require.True(t, strings.HasSuffix(s, "…"))
	require.LessOrEqual(t, len(s), SnippetBytes+len("…"))
	require.Equal(t, strings.Repeat("é", SnippetBytes/2)+"…", s)
	odd := "x" + long
	require.Equal(t, "x"+strings.Repeat("é", SnippetBytes/2-1)+"…", snippet([]byte(odd)))
	require.Equal(t, []byte(`{"a":"\ufffd"}`), storableJSON([]byte(`{"a":"\u0000"}`)))
	plain := []byte(`{"a":1}`)
	require.Same(t, &plain[0], &storableJSON(plain)[0])
}
