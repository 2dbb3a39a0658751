package sandbox

import (
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"
)

const (
	twSID   = "AC0123456789abcdef0123456789abcdef"
	twToken = "authtoken0123456789"
	twFrom  = "+14155238886"
)

// twClient is twilio-go pointed at the sandbox by a host-rewriting
// transport, as the adapter does (the SDK has no base URL setting).
func twClient(t *testing.T, tb *testBundle, token string) *twilio.RestClient {
	c := &client.Client{
		Credentials: client.NewCredentials(twSID, token),
		HTTPClient: &http.Client{
			Transport:     newRewriteTransport(t, tb.url("/twilio")),
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(twSID)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
}

func twSend(t *testing.T, rc *twilio.RestClient, to, callback string, media ...string) (*openapi.ApiV2010Message, error) {
	p := (&openapi.CreateMessageParams{}).SetTo("whatsapp:" + to).SetFrom("whatsapp:" + twFrom).SetBody("Your booking is confirmed")
	if callback != "" {
		p.SetStatusCallback(callback)
	}
	if len(media) > 0 {
		p.SetMediaUrl(media)
	}
	return rc.Api.CreateMessage(p)
}

// twVerify checks X-Twilio-Signature with twilio-go's validator.
func twVerify(t *testing.T, token string, h hook) url.Values {
	t.Helper()
	form, err := url.ParseQuery(string(h.Body))
	require.NoError(t, err)
	params := map[string]string{}
	for k, v := range form {
		params[k] = v[0]
	}
	v := client.NewRequestValidator(token)
	require.True(t, v.Validate(h.URL, params, h.Header.Get("X-Twilio-Signature")), "X-Twilio-Signature must verify")
	require.NotEmpty(t, h.Header.Get("I-Twilio-Idempotency-Token"))
	return form
}

func TestTwilioSendAndStatusCallbacks(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	rc := twClient(t, tb, twToken)
	callback := tb.hook.url("/hooks/twilio/status?org=o1")

	msg, err := twSend(t, rc, "+15551230003", callback) // 0003: delivered, then read
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^SM[0-9a-f]{32}$`), *msg.Sid)
	require.Equal(t, "queued", *msg.Status)
	require.Equal(t, "whatsapp:+15551230003", *msg.To)
	require.Equal(t, twSID, *msg.AccountSid)

	var statuses []string
	for range 3 {
		h := tb.hook.next(t)
		require.Equal(t, "/hooks/twilio/status", h.Path)
		form := twVerify(t, twToken, h)
		require.Equal(t, *msg.Sid, form.Get("MessageSid"))
		require.Equal(t, "whatsapp:+15551230003", form.Get("To"))
		statuses = append(statuses, form.Get("MessageStatus"))
	}
	// Like Twilio's, callbacks may overtake each other: order is not promised.
	require.ElementsMatch(t, []string{"sent", "delivered", "read"}, statuses)
	eventually(t, func() bool {
		m := tb.sb.Messages(MessageFilter{Provider: ProviderTwilio, To: "whatsapp:+15551230003"})
		return len(m) == 1 && m[0].Status == "read"
	}, "status read in the log")
}

func TestTwilioMagicNumbers(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	rc := twClient(t, tb, twToken)

	restErr := func(err error) *client.TwilioRestError {
		var te *client.TwilioRestError
		require.True(t, errors.As(err, &te), "want a TwilioRestError, got %v", err)
		return te
	}
	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		_, err := twSend(t, rc, "+15551230000", "")
		te := restErr(err)
		require.Equal(t, 21211, te.Code)
		require.Equal(t, 400, te.Status)
	})
	t.Run("429", func(t *testing.T) {
		t.Parallel()
		_, err := twSend(t, rc, "+15551230429", "")
		require.Equal(t, 20429, restErr(err).Code)
	})
	t.Run("500", func(t *testing.T) {
		t.Parallel()
		_, err := twSend(t, rc, "+15551230500", "")
		require.Equal(t, 500, restErr(err).Status)
	})
	t.Run("bad token", func(t *testing.T) {
		t.Parallel()
		_, err := twSend(t, twClient(t, tb, "invalidtoken"), "+15551239999", "")
		require.Equal(t, 20003, restErr(err).Code)
	})
	t.Run("not a number", func(t *testing.T) {
		t.Parallel()
		_, err := twSend(t, rc, "12345", "")
		require.Equal(t, 21211, restErr(err).Code)
	})
}

func TestTwilioFailedAndUndelivered(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	rc := twClient(t, tb, twToken)

	_, err := twSend(t, rc, "+15551230001", tb.hook.url("/s")) // fail
	require.NoError(t, err)
	form := twVerify(t, twToken, tb.hook.next(t))
	require.Equal(t, "failed", form.Get("MessageStatus"))
	require.Equal(t, "63003", form.Get("ErrorCode"))

	_, err = twSend(t, rc, "+15551230002", tb.hook.url("/s")) // undelivered
	require.NoError(t, err)
	byStatus := map[string]url.Values{}
	for range 2 {
		form := twVerify(t, twToken, tb.hook.next(t))
		byStatus[form.Get("MessageStatus")] = form
	}
	require.Contains(t, byStatus, "sent")
	require.Equal(t, "30003", byStatus["undelivered"].Get("ErrorCode"))
}

func TestTwilioMediaIsFetched(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	rc := twClient(t, tb, twToken)
	tb.hook.setAnswer(func(r *http.Request, _ []byte) (int, string) {
		if r.URL.Path == "/files/expired.jpg" {
			return http.StatusForbidden, "expired"
		}
		return 0, ""
	})

	_, err := twSend(t, rc, "+15551230003", tb.hook.url("/s"), tb.hook.url("/files/expired.jpg"))
	require.NoError(t, err, "Twilio accepts first and fetches later")
	form := twVerify(t, twToken, tb.hook.next(t))
	require.Equal(t, "failed", form.Get("MessageStatus"))
	require.Equal(t, "63019", form.Get("ErrorCode"))

	_, err = twSend(t, rc, "+15551230003", "", tb.hook.url("/files/ok.jpg"))
	require.NoError(t, err)
	eventually(t, func() bool {
		m := tb.sb.Messages(MessageFilter{Provider: ProviderTwilio, Limit: 1})
		return len(m) == 1 && len(m[0].Attachments) == 1 && m[0].Status == "read"
	}, "fetched media recorded")
}

func TestTwilioFetchAccount(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	acct, err := twClient(t, tb, twToken).Api.FetchAccount(twSID)
	require.NoError(t, err)
	require.Equal(t, twSID, *acct.Sid)
	require.Equal(t, "active", *acct.Status)

	_, err = twClient(t, tb, "invalid").Api.FetchAccount(twSID)
	var te *client.TwilioRestError
	require.ErrorAs(t, err, &te)
	require.Equal(t, 401, te.Status)
}

func TestTwilioInbound(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	inbound := tb.hook.url("/hooks/twilio/inbound")

	var reg TwilioSender
	status := tb.jsonDo(t, http.MethodPut, "/_api/twilio/senders", TwilioSender{
		AccountSID: twSID, AuthToken: twToken, From: "whatsapp:" + twFrom, InboundURL: inbound,
	}, &reg)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, twFrom, reg.From)
	require.Empty(t, reg.AuthToken, "secrets are not echoed")

	png := tinyPNG(t)
	var res InboundResult
	status = tb.jsonDo(t, http.MethodPost, "/_api/inbound", InboundRequest{
		Channel: "whatsapp", To: twFrom, Text: "here is my id",
		From:  InboundContact{Phone: "+15557654321", Name: "Ana Lima"},
		Media: &InboundMedia{Filename: "id.png", ContentType: "image/png", Base64: base64.StdEncoding.EncodeToString(png)},
	}, &res)
	require.Equal(t, http.StatusAccepted, status)
	require.Equal(t, inbound, res.Target)

	h := tb.hook.next(t)
	form := twVerify(t, twToken, h)
	require.Equal(t, "whatsapp:+15557654321", form.Get("From"))
	require.Equal(t, "whatsapp:"+twFrom, form.Get("To"))
	require.Equal(t, "here is my id", form.Get("Body"))
	require.Equal(t, "Ana Lima", form.Get("ProfileName"))
	require.Equal(t, "15557654321", form.Get("WaId"))
	require.Equal(t, "1", form.Get("NumMedia"))
	require.Equal(t, "image/png", form.Get("MediaContentType0"))
	require.Equal(t, res.MediaURL, form.Get("MediaUrl0"))
	require.Regexp(t, `^`+regexp.QuoteMeta(tb.srv.URL)+`/twilio/2010-04-01/Accounts/`+twSID+`/Messages/MM[0-9a-f]{32}/Media/ME[0-9a-f]{32}$`, res.MediaURL)

	resp, err := http.Get(res.MediaURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	require.Equal(t, png, got)
	require.Equal(t, "image/png", resp.Header.Get("Content-Type"))

	// An unknown sender is a 404 problem.
	status = tb.jsonDo(t, http.MethodPost, "/_api/inbound", InboundRequest{Channel: "whatsapp", To: "+19999999999", Text: "x", From: InboundContact{Phone: "+15557654321"}}, nil)
	require.Equal(t, http.StatusNotFound, status)
}

func TestTwilioSignatureMatchesSDK(t *testing.T) {
	t.Parallel()
	form := url.Values{"b": {"2"}, "a": {"1"}, "MessageSid": {"SM1"}}
	target := "https://example.com/hooks/twilio?x=1"
	v := client.NewRequestValidator("tok")
	require.True(t, v.Validate(target, map[string]string{"a": "1", "b": "2", "MessageSid": "SM1"}, TwilioSignature("tok", target, form)))
}
