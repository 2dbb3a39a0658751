package twilio_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/providers/twilio"
	"github.com/switchboard/switchboard/internal/sandbox"
)

func newSandbox(t *testing.T) string {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Seed: 1})
	t.Cleanup(sb.Close)
	cfg := sb.CurrentConfig()
	cfg.Twilio.WebhookDelayMS = 5
	require.NoError(t, sb.SetConfig(cfg))
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func sandboxMessages(t *testing.T, base, provider, to string) []sandbox.Message {
	t.Helper()
	res, err := http.Get(base + "/_api/messages?" + url.Values{"provider": {provider}, "to": {to}}.Encode())
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	var out struct{ Messages []sandbox.Message }
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	return out.Messages
}

func postJSON(t *testing.T, method, u string, body any) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(method, u, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	require.Less(t, res.StatusCode, 300, string(out))
}

// receiver is the app's Twilio webhook endpoint: it checks X-Twilio-Signature
// over the exact URL it was given, and passes the form on. It also serves
// the media a send refers to.
func receiver(t *testing.T, token string) (*httptest.Server, chan url.Values) {
	t.Helper()
	forms := make(chan url.Values, 16)
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "image/jpeg")
			_, _ = w.Write([]byte("JPEG"))
			return
		}
		require.NoError(t, r.ParseForm())
		if !twilio.ValidateSignature(token, srv.URL+r.URL.RequestURI(), r.PostForm, r.Header.Get(twilio.SignatureHeader)) {
			t.Errorf("bad signature on %s", r.URL)
			w.WriteHeader(http.StatusForbidden)
			return
		}
		select { // never block the handler: the server waits for it on close
		case forms <- r.PostForm:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	return srv, forms
}

func TestSandboxSendAndStatus(t *testing.T) {
	t.Parallel()

	base := newSandbox(t)
	c := twilio.New(base+"/twilio", nil)
	cr := twilio.Credentials{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: "sandboxtoken123", From: "+14155238886"}
	ctx := context.Background()
	require.NoError(t, c.Check(ctx, cr))

	recv, forms := receiver(t, cr.AuthToken)
	sent, err := c.Send(ctx, cr, twilio.Message{To: "+15551230003", Body: "Your booking is confirmed",
		MediaURL: recv.URL + "/files/ticket.jpg?sig=abc", StatusCallback: recv.URL + "/api/callbacks/twilio/status?m=msg_9"})
	require.NoError(t, err)
	require.Equal(t, 201, sent.Status)
	require.Regexp(t, `^SM[0-9a-f]{32}$`, sent.MessageID)

	msgs := sandboxMessages(t, base, "twilio", "+15551230003")
	require.Len(t, msgs, 1)
	require.Equal(t, sent.MessageID, msgs[0].ID)
	require.Equal(t, "Your booking is confirmed", msgs[0].Body)
	require.Equal(t, "+14155238886", msgs[0].From)

	// Ending 0003 forces sent, delivered, read.
	var statuses []string
	deadline := time.After(10 * time.Second)
	for len(statuses) < 3 {
		select {
		case f := <-forms:
			sc, err := twilio.ParseStatus(f)
			require.NoError(t, err)
			require.Equal(t, sent.MessageID, sc.MessageSID)
			require.Equal(t, "+15551230003", sc.To)
			statuses = append(statuses, sc.MessageStatus)
		case <-deadline:
			t.Fatalf("statuses so far: %v", statuses)
		}
	}
	// Callbacks are separate requests and may arrive out of order, with
	// Twilio as with the sandbox.
	require.ElementsMatch(t, []string{"sent", "delivered", "read"}, statuses)
}

func TestSandboxFailedStatus(t *testing.T) {
	t.Parallel()

	base := newSandbox(t)
	cr := twilio.Credentials{AccountSID: "AC1", AuthToken: "tok1", From: "+14155238886"}
	recv, forms := receiver(t, cr.AuthToken)
	_, err := twilio.New(base+"/twilio", nil).Send(context.Background(), cr,
		twilio.Message{To: "+15551230001", Body: "hi", StatusCallback: recv.URL + "/status"})
	require.NoError(t, err)
	for {
		select {
		case f := <-forms:
			sc, err := twilio.ParseStatus(f)
			require.NoError(t, err)
			if sc.MessageStatus == "failed" {
				require.NotEmpty(t, sc.ErrorCode)
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no failed status")
		}
	}
}

func TestSandboxInbound(t *testing.T) {
	t.Parallel()

	base := newSandbox(t)
	cr := twilio.Credentials{AccountSID: "AC2", AuthToken: "tok2", From: "+14155238886"}
	recv, forms := receiver(t, cr.AuthToken)
	postJSON(t, http.MethodPut, base+"/_api/twilio/senders", map[string]string{
		"account_sid": cr.AccountSID, "auth_token": cr.AuthToken, "from": cr.From, "inbound_url": recv.URL + "/api/callbacks/twilio/inbound",
	})
	postJSON(t, http.MethodPost, base+"/_api/inbound", map[string]any{
		"channel": "whatsapp", "to": cr.From, "from": map[string]string{"phone": "+15557654321", "name": "Grace"},
		"text": "Is it open today?", "media": map[string]string{"filename": "q.png", "content_type": "image/png", "base64": base64.StdEncoding.EncodeToString([]byte("PNG"))},
	})
	select {
	case f := <-forms:
		in, err := twilio.ParseInbound(f)
		require.NoError(t, err)
		require.Equal(t, "+15557654321", in.From)
		require.Equal(t, cr.From, in.To)
		require.Equal(t, "Grace", in.ProfileName)
		require.Equal(t, "Is it open today?", in.Body)
		require.Len(t, in.Media, 1)
		require.Equal(t, "image/png", in.Media[0].ContentType)
		require.NotEmpty(t, in.Media[0].URL)
	case <-time.After(10 * time.Second):
		t.Fatal("no inbound webhook")
	}
}

func TestSandboxMagicNumbers(t *testing.T) {
	t.Parallel()

	base := newSandbox(t)
	c := twilio.New(base+"/twilio", nil)
	cr := twilio.Credentials{AccountSID: "AC3", AuthToken: "tok3", From: "+14155238886"}

	tests := []struct {
		to     string
		kind   providers.Kind
		status int
		code   string
	}{
		{"+15551230000", providers.KindPermanent, 400, "21211"},
		{"+15551230429", providers.KindRateLimited, 429, "20429"},
		{"+15551230500", providers.KindRetryable, 500, "20500"},
		{"not-a-number", providers.KindPermanent, 400, "21211"},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			t.Parallel()
			_, err := c.Send(context.Background(), cr, twilio.Message{To: tt.to, Body: "hi"})
			pe, ok := providers.AsError(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, tt.kind, pe.Kind, pe.Error())
			require.Equal(t, tt.status, pe.Status)
			require.Equal(t, tt.code, pe.Code)
			if tt.kind == providers.KindRateLimited {
				require.Equal(t, time.Second, pe.RetryAfter)
			}
		})
	}

	err := c.Check(context.Background(), twilio.Credentials{AccountSID: "AC3", AuthToken: "invalidtoken"})
	pe, ok := providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, providers.KindPermanent, pe.Kind)
	require.Equal(t, "20003", pe.Code)
}
