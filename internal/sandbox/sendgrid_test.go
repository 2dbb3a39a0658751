package sandbox

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/sendgrid/rest"
	"github.com/sendgrid/sendgrid-go"
	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
	"github.com/sendgrid/sendgrid-go/helpers/mail"
	"github.com/stretchr/testify/require"
)

const sgKey = "SG.testkeyid.secretpart"

// sgClient calls the sandbox exactly as the adapter does: sendgrid-go's
// request builder and a rest.Client of our own.
type sgClient struct {
	t    *testing.T
	tb   *testBundle
	key  string
	rest *rest.Client
}

func newSGClient(t *testing.T, tb *testBundle, key string) *sgClient {
	return &sgClient{t: t, tb: tb, key: key, rest: &rest.Client{HTTPClient: tb.srv.Client()}}
}

func (c *sgClient) call(method rest.Method, path string, body []byte) *rest.Response {
	c.t.Helper()
	req := sendgrid.GetRequest(c.key, path, c.tb.url("/sendgrid"))
	req.Method = method
	req.Body = body
	resp, err := c.rest.SendWithContext(ctx(c.t), req)
	require.NoError(c.t, err)
	return resp
}

func (c *sgClient) send(to string, custom map[string]string) *rest.Response {
	c.t.Helper()
	m := mail.NewV3MailInit(mail.NewEmail("Shop", "shop@example.com"), "Hello", mail.NewEmail("Ana", to),
		mail.NewContent("text/plain", "hi there"), mail.NewContent("text/html", `<p>hi <a href="https://shop.example/x">there</a></p>`))
	for k, v := range custom {
		m.SetCustomArg(k, v)
	}
	return c.call(rest.Post, "/v3/mail/send", mail.GetRequestBody(m))
}

// configure points the key's events at the receiver with signing on and
// returns the public key.
func (c *sgClient) configure(url string) string {
	c.t.Helper()
	settings := `{"enabled":true,"url":"` + url + `","processed":true,"delivered":true,"bounce":true,"dropped":true,` +
		`"deferred":true,"open":true,"click":true,"spam_report":true,"unsubscribe":true,"group_unsubscribe":true,"group_resubscribe":true}`
	resp := c.call(rest.Patch, "/v3/user/webhooks/event/settings", []byte(settings))
	require.Equal(c.t, http.StatusOK, resp.StatusCode, resp.Body)
	resp = c.call(rest.Patch, "/v3/user/webhooks/event/settings/signed", []byte(`{"enabled":true}`))
	require.Equal(c.t, http.StatusOK, resp.StatusCode, resp.Body)
	var out struct {
		PublicKey string `json:"public_key"`
	}
	require.NoError(c.t, json.Unmarshal([]byte(resp.Body), &out))
	require.NotEmpty(c.t, out.PublicKey)
	return out.PublicKey
}

// sgVerify checks a batch's signature with sendgrid-go's own helper.
func sgVerify(t *testing.T, publicKey string, h hook) {
	t.Helper()
	pk, err := eventwebhook.ConvertPublicKeyBase64ToECDSA(publicKey)
	require.NoError(t, err)
	ok, err := eventwebhook.VerifySignature(pk, h.Body, h.Header.Get(eventwebhook.VerificationHTTPHeader), h.Header.Get(eventwebhook.TimestampHTTPHeader))
	require.NoError(t, err)
	require.True(t, ok, "signature must verify")
}

// sgCollect gathers events from batches until want events arrived.
func sgCollect(t *testing.T, tb *testBundle, publicKey string, want int) []map[string]any {
	t.Helper()
	var events []map[string]any
	for len(events) < want {
		h := tb.hook.next(t)
		require.Equal(t, "application/json", h.Header.Get("Content-Type"))
		require.True(t, bytes.HasSuffix(h.Body, []byte("]\r\n")), "SendGrid batches end in CRLF")
		sgVerify(t, publicKey, h)
		var batch []map[string]any
		require.NoError(t, json.Unmarshal(h.Body, &batch))
		events = append(events, batch...)
	}
	require.Len(t, events, want)
	return events
}

func eventNames(events []map[string]any) []string {
	var names []string
	for _, e := range events {
		names = append(names, e["event"].(string))
	}
	return names
}

func TestSendGridSendAndSignedEvents(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	c := newSGClient(t, tb, sgKey)
	pub := c.configure(tb.hook.url("/hooks/sendgrid"))

	resp := c.send("ana+click@example.com", map[string]string{"message_id": "m-1", "org_id": "o-1"})
	require.Equal(t, http.StatusAccepted, resp.StatusCode, resp.Body)
	id := resp.Headers["X-Message-Id"][0]
	require.Len(t, id, 22)

	events := sgCollect(t, tb, pub, 4)
	// Batches may overtake each other, as SendGrid's do: order is not promised.
	require.ElementsMatch(t, []string{"processed", "delivered", "open", "click"}, eventNames(events))
	seen := map[string]bool{}
	for _, e := range events {
		require.Equal(t, "ana+click@example.com", e["email"])
		require.True(t, strings.HasPrefix(e["sg_message_id"].(string), id+".filter"), e["sg_message_id"])
		require.Equal(t, "m-1", e["message_id"], "custom args sit at the top level")
		require.Equal(t, "o-1", e["org_id"])
		require.NotEmpty(t, e["sg_event_id"])
		require.False(t, seen[e["sg_event_id"].(string)], "sg_event_id is unique")
		seen[e["sg_event_id"].(string)] = true
	}
	for _, e := range events {
		if e["event"] == "click" {
			require.Equal(t, "https://shop.example/x", e["url"])
		}
	}

	msgs := tb.sb.Messages(MessageFilter{Provider: ProviderSendGrid})
	require.Len(t, msgs, 1)
	require.Equal(t, "clicked", msgs[0].Status)
	require.Equal(t, "SG.testkeyid", msgs[0].Account)
	require.Equal(t, "Hello", msgs[0].Subject)
}

func TestSendGridMagicOutcomes(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	c := newSGClient(t, tb, sgKey)
	pub := c.configure(tb.hook.url("/hooks/sendgrid"))

	for _, to := range []string{"b+bounce@example.com", "d+dropped@example.com", "s+spam@example.com", "f+deferred@example.com"} {
		resp := c.send(to, nil)
		require.Equal(t, http.StatusAccepted, resp.StatusCode, resp.Body)
	}
	byEmail := map[string][]string{}
	for _, e := range sgCollect(t, tb, pub, 2+2+3+3) {
		email := e["email"].(string)
		byEmail[email] = append(byEmail[email], e["event"].(string))
		if e["event"] == "bounce" {
			require.Equal(t, "bounce", e["type"])
			require.NotEmpty(t, e["reason"])
		}
	}
	require.ElementsMatch(t, []string{"processed", "bounce"}, byEmail["b+bounce@example.com"])
	require.ElementsMatch(t, []string{"processed", "dropped"}, byEmail["d+dropped@example.com"])
	require.ElementsMatch(t, []string{"processed", "delivered", "spamreport"}, byEmail["s+spam@example.com"])
	require.ElementsMatch(t, []string{"processed", "deferred", "delivered"}, byEmail["f+deferred@example.com"])
}

func TestSendGridErrors(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	c := newSGClient(t, tb, sgKey)

	type sgErrors struct {
		Errors []struct {
			Message string  `json:"message"`
			Field   *string `json:"field"`
		} `json:"errors"`
	}
	decode := func(resp *rest.Response) sgErrors {
		var out sgErrors
		require.NoError(t, json.Unmarshal([]byte(resp.Body), &out), resp.Body)
		require.NotEmpty(t, out.Errors)
		return out
	}

	t.Run("invalid recipient", func(t *testing.T) {
		t.Parallel()
		resp := c.send("x+invalid@example.com", nil)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		e := decode(resp)
		require.Equal(t, "personalizations.0.to.0.email", *e.Errors[0].Field)
		require.Equal(t, "Does not contain a valid address.", e.Errors[0].Message)
	})
	t.Run("missing from and content", func(t *testing.T) {
		t.Parallel()
		resp := c.call(rest.Post, "/v3/mail/send", []byte(`{"personalizations":[{"to":[{"email":"a@example.com"}]}],"subject":"x"}`))
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		var fields []string
		for _, e := range decode(resp).Errors {
			fields = append(fields, *e.Field)
		}
		sort.Strings(fields)
		require.Equal(t, []string{"content", "from"}, fields)
	})
	t.Run("bad json", func(t *testing.T) {
		t.Parallel()
		resp := c.call(rest.Post, "/v3/mail/send", []byte(`{`))
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Nil(t, decode(resp).Errors[0].Field)
	})
	t.Run("429", func(t *testing.T) {
		t.Parallel()
		resp := c.send("x+429@example.com", nil)
		require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
		require.Equal(t, "1", resp.Headers["Retry-After"][0])
		require.NotEmpty(t, resp.Headers["X-Ratelimit-Reset"])
		decode(resp)
	})
	t.Run("500", func(t *testing.T) {
		t.Parallel()
		resp := c.send("x+500@example.com", nil)
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		decode(resp)
	})
	t.Run("no key", func(t *testing.T) {
		t.Parallel()
		status, _, body := tb.do(t, http.MethodPost, "/sendgrid/v3/mail/send", "application/json", []byte(`{}`))
		require.Equal(t, http.StatusUnauthorized, status)
		require.Contains(t, string(body), "authorization required")
	})
	t.Run("invalid key", func(t *testing.T) {
		t.Parallel()
		resp := newSGClient(t, tb, "SG.invalid.key").call(rest.Get, "/v3/scopes", nil)
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		decode(resp)
	})
	t.Run("scopes", func(t *testing.T) {
		t.Parallel()
		resp := c.call(rest.Get, "/v3/scopes", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, resp.Body, `"mail.send"`)

		nosend := newSGClient(t, tb, "SG.nosend.key")
		resp = nosend.call(rest.Get, "/v3/scopes", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.NotContains(t, resp.Body, `"mail.send"`)
		resp = nosend.send("a@example.com", nil)
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
	})
	t.Run("custom args per email", func(t *testing.T) {
		t.Parallel()
		// 1,000 personalizations with 40 bytes of their own args each: the
		// request carries 40 kB, each email 40 bytes plus the message's.
		var ps []string
		for i := range 1000 {
			ps = append(ps, fmt.Sprintf(`{"to":[{"email":"r%d@example.com"}],"custom_args":{"sb_recipient_id":"%025d"}}`, i, i))
		}
		body := `{"personalizations":[` + strings.Join(ps, ",") + `],"from":{"email":"shop@example.com"},"subject":"x",` +
			`"content":[{"type":"text/plain","value":"hi"}],"custom_args":{"sb_campaign_id":"c-1"}}`
		resp := c.call(rest.Post, "/v3/mail/send", []byte(body))
		require.Equal(t, http.StatusAccepted, resp.StatusCode, resp.Body)

		// One email's args over the limit is refused, and located.
		big := strings.Repeat("x", 10_000)
		resp = c.call(rest.Post, "/v3/mail/send", []byte(`{"personalizations":[{"to":[{"email":"a@example.com"}]},`+
			`{"to":[{"email":"b@example.com"}],"custom_args":{"k":"`+big+`"}}],"from":{"email":"shop@example.com"},"subject":"x",`+
			`"content":[{"type":"text/plain","value":"hi"}]}`))
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Equal(t, "personalizations.1.custom_args", *decode(resp).Errors[0].Field)
		resp = c.send("a@example.com", map[string]string{"k": big})
		require.Equal(t, http.StatusBadRequest, resp.StatusCode)
		require.Equal(t, "custom_args", *decode(resp).Errors[0].Field)
	})
	t.Run("unknown path", func(t *testing.T) {
		t.Parallel()
		resp := c.call(rest.Get, "/v3/nothing", nil)
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		decode(resp)
	})
}

func TestSendGridGzipAndAttachments(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	m := mail.NewV3MailInit(mail.NewEmail("", "shop@example.com"), "Invoice", mail.NewEmail("", "ana@example.com"),
		mail.NewContent("text/plain", "see attached"))
	m.AddAttachment(mail.NewAttachment().SetFilename("invoice.pdf").SetType("application/pdf").
		SetContent(base64.StdEncoding.EncodeToString([]byte("%PDF-1.4 tiny"))))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(mail.GetRequestBody(m))
	require.NoError(t, zw.Close())

	status, h, body := tb.do(t, http.MethodPost, "/sendgrid/v3/mail/send", "application/json", gz.Bytes(),
		"Authorization", "Bearer "+sgKey, "Content-Encoding", "gzip")
	require.Equal(t, http.StatusAccepted, status, string(body))
	require.NotEmpty(t, h.Get("X-Message-Id"))
	msgs := tb.sb.Messages(MessageFilter{To: "ana@example.com"})
	require.Len(t, msgs, 1)
	require.Equal(t, "invoice.pdf", msgs[0].Attachments[0].Name)
	require.Equal(t, int64(len("%PDF-1.4 tiny")), msgs[0].Attachments[0].Size)
}

func TestSendGridBatchesEvents(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	c := newSGClient(t, tb, sgKey)
	pub := c.configure(tb.hook.url("/hooks/sendgrid"))
	cfg := tb.sb.CurrentConfig()
	cfg.SendGrid.Outcomes = Outcomes{Delivered: 1}
	require.NoError(t, tb.sb.SetConfig(cfg))

	const n = 30
	for range n {
		resp := c.send("ana@example.com", nil)
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
	}
	batches := 0
	events := 0
	for events < 2*n {
		h := tb.hook.next(t)
		sgVerify(t, pub, h)
		var batch []json.RawMessage
		require.NoError(t, json.Unmarshal(h.Body, &batch))
		events += len(batch)
		batches++
	}
	require.Equal(t, 2*n, events)
	require.Less(t, batches, n, "events are grouped into arrays, not posted one by one")
}

func TestSendGridSettingsAndEventFilter(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	c := newSGClient(t, tb, sgKey)

	resp := c.call(rest.Patch, "/v3/user/webhooks/event/settings", []byte(`{"enabled":true}`))
	require.Equal(t, http.StatusBadRequest, resp.StatusCode, "enabled without a url")

	// Only delivered events, unsigned.
	resp = c.call(rest.Patch, "/v3/user/webhooks/event/settings", []byte(`{"enabled":true,"url":"`+tb.hook.url("/sg")+`","delivered":true}`))
	require.Equal(t, http.StatusOK, resp.StatusCode, resp.Body)
	resp = c.call(rest.Get, "/v3/user/webhooks/event/settings", nil)
	var set EventWebhookSettings
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &set))
	require.True(t, set.Delivered)
	require.False(t, set.Processed)

	// A PATCH merges: url and delivered stay.
	resp = c.call(rest.Patch, "/v3/user/webhooks/event/settings", []byte(`{"open":true}`))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &set))
	require.True(t, set.Delivered && set.Open && set.Enabled)
	require.Equal(t, tb.hook.url("/sg"), set.URL)

	resp = c.send("ana+spam@example.com", nil)
	require.Equal(t, http.StatusAccepted, resp.StatusCode)
	h := tb.hook.next(t)
	require.Empty(t, h.Header.Get(eventwebhook.VerificationHTTPHeader), "signing is off")
	var batch []map[string]any
	require.NoError(t, json.Unmarshal(h.Body, &batch))
	require.Equal(t, []string{"delivered"}, eventNames(batch))
	tb.hook.none(t, 150*time.Millisecond)

	// GET signed makes the key on first use and keeps it.
	resp = c.call(rest.Get, "/v3/user/webhooks/event/settings/signed", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp2 := c.call(rest.Get, "/v3/user/webhooks/event/settings/signed", nil)
	require.Equal(t, resp.Body, resp2.Body)
	require.Contains(t, resp.Body, "public_key")
}
