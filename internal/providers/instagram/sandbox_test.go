package instagram_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/providers/instagram"
	"github.com/switchboard/switchboard/internal/sandbox"
)

func newSandbox(t *testing.T) string {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Seed: 1})
	t.Cleanup(sb.Close)
	cfg := sb.CurrentConfig()
	cfg.Instagram.WebhookDelayMS = 5
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

func call(t *testing.T, method, u string, body any) []byte {
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
	return out
}

func TestSandboxRoundTrip(t *testing.T) {
	t.Parallel()

	base := newSandbox(t)
	c := instagram.New(base+"/instagram", nil)
	ctx := context.Background()
	cr := instagram.Credentials{AccessToken: "IGAA-sandbox-token", AccountID: "17841400000000042"}
	const appSecret, verifyToken = "app-secret", "verify-me"

	// The app's webhook: answers Meta's handshake, checks signatures, parses.
	events := make(chan instagram.Messaging, 16)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/files/menu.png" { // the media Instagram fetches
			w.Header().Set("Content-Type", "image/png")
			_, _ = io.WriteString(w, "PNG!")
			return
		}
		if r.Method == http.MethodGet {
			ch, ok := instagram.VerifyChallenge(r.URL.Query(), verifyToken)
			if !ok {
				w.WriteHeader(http.StatusForbidden)
				return
			}
			_, _ = io.WriteString(w, ch)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if !instagram.VerifySignature(appSecret, body, r.Header.Get(instagram.SignatureHeader)) {
			t.Error("bad signature")
			w.WriteHeader(http.StatusForbidden)
			return
		}
		batch, err := instagram.ParseWebhook(body)
		if err != nil {
			t.Errorf("parsing %s: %v", body, err)
		}
		for _, e := range batch {
			select { // never block the handler: the server waits for it on close
			case events <- e:
			default:
			}
		}
	}))
	t.Cleanup(recv.Close)
	call(t, http.MethodPut, base+"/_api/instagram/subscriptions", map[string]string{
		"account_id": cr.AccountID, "app_secret": appSecret, "verify_token": verifyToken,
		"callback_url": recv.URL + "/api/callbacks/instagram", "access_token": cr.AccessToken,
	})
	require.NoError(t, c.Check(ctx, cr))

	// A contact writes with a photo.
	out := call(t, http.MethodPost, base+"/_api/inbound", map[string]any{"channel": "instagram", "to": cr.AccountID,
		"from": map[string]string{"id": "1254459154682919", "username": "ada.l"}, "text": "hello",
		"media": map[string]string{"filename": "p.jpg", "content_type": "image/jpeg", "base64": base64.StdEncoding.EncodeToString([]byte("JPG"))}})
	var inbound struct {
		SenderID string `json:"sender_id"`
	}
	require.NoError(t, json.Unmarshal(out, &inbound))

	var msgs []instagram.Messaging
	deadline := time.After(10 * time.Second)
	for len(msgs) == 0 || msgs[len(msgs)-1].Kind != "message" {
		select {
		case e := <-events:
			msgs = append(msgs, e)
		case <-deadline:
			t.Fatalf("no inbound message: %+v", msgs)
		}
	}
	in := msgs[len(msgs)-1]
	require.Equal(t, cr.AccountID, in.RecipientID)
	require.NotEmpty(t, in.SenderID)
	require.NotEmpty(t, in.MID)
	require.False(t, in.IsEcho)

	// Reply: text, then text with an image.
	sent, err := c.Send(ctx, cr, instagram.Message{RecipientID: in.SenderID, Text: "Hi Ada!"})
	require.NoError(t, err)
	require.NotEmpty(t, sent.MessageID)
	_, err = c.Send(ctx, cr, instagram.Message{RecipientID: in.SenderID, Text: "the menu",
		Attachment: &providers.Attachment{Filename: "menu.png", ContentType: "image/png", URL: recv.URL + "/files/menu.png"}})
	require.NoError(t, err)

	var outbound []sandbox.Message
	for _, m := range sandboxMessages(t, base, "instagram", in.SenderID) {
		if m.Direction == "outbound" {
			outbound = append(outbound, m)
		}
	}
	require.Len(t, outbound, 3) // text, image, text
	require.Equal(t, sent.MessageID, outbound[2].ID)
	require.Equal(t, "Hi Ada!", outbound[2].Body)

	// The first reply gets delivered (and maybe read) events.
	deadline = time.After(10 * time.Second)
	for {
		select {
		case e := <-events:
			// Each of the three replies gets its own delivery event.
			if e.Kind == "delivery" && slices.Contains(e.MIDs, sent.MessageID) {
				return
			}
		case <-deadline:
			t.Fatal("no delivery event")
		}
	}
}

func TestSandboxMagicRecipients(t *testing.T) {
	t.Parallel()

	base := newSandbox(t)
	c := instagram.New(base+"/instagram", nil)
	cr := instagram.Credentials{AccessToken: "IGAA-magic"}

	tests := []struct {
		recipient string
		kind      providers.Kind
		status    int
	}{
		{"1254459150000", providers.KindPermanent, 400},
		{"1254459150001", providers.KindPermanent, 400}, // outside the 24 h window
		{"1254459150429", providers.KindRateLimited, 400},
		{"1254459150500", providers.KindRetryable, 500},
	}
	for _, tt := range tests {
		t.Run(tt.recipient, func(t *testing.T) {
			t.Parallel()
			_, err := c.Send(context.Background(), cr, instagram.Message{RecipientID: tt.recipient, Text: "hi"})
			pe, ok := providers.AsError(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, tt.kind, pe.Kind, pe.Error())
			require.Equal(t, tt.status, pe.Status)
			require.NotEmpty(t, pe.Code)
			if tt.kind == providers.KindRateLimited {
				require.Positive(t, pe.RetryAfter)
			}
		})
	}

	err := c.Check(context.Background(), instagram.Credentials{AccessToken: "invalid-token"})
	pe, ok := providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, "190", pe.Code)
	require.Equal(t, providers.KindPermanent, pe.Kind)
}
