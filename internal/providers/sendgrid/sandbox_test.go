package sendgrid_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/providers/sendgrid"
	"github.com/switchboard/switchboard/internal/sandbox"
)

// newSandbox serves a sandbox with quick webhooks and returns its URL.
func newSandbox(t *testing.T) string {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Seed: 1})
	t.Cleanup(sb.Close)
	cfg := sb.CurrentConfig()
	cfg.SendGrid.WebhookDelayMS = 5
	require.NoError(t, sb.SetConfig(cfg))
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// sandboxMessages reads GET /_api/messages.
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

func TestSandboxSendAndEvents(t *testing.T) {
	t.Parallel()

	base := newSandbox(t)
	c := sendgrid.New(base+"/sendgrid", nil)
	ctx := context.Background()
	cr := sendgrid.Credentials{APIKey: "SG.sandbox-key.secret", FromEmail: "news@example.com", FromName: "News"}

	require.NoError(t, c.Check(ctx, cr))

	// The app's event receiver: checks the signature on the raw body, then parses.
	events := make(chan sendgrid.Event, 16)
	var publicKey string
	keyReady := make(chan struct{})
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-keyReady
		body, _ := io.ReadAll(r.Body)
		err := sendgrid.VerifySignature(publicKey, r.Header.Get(sendgrid.SignatureHeader), r.Header.Get(sendgrid.TimestampHeader),
			body, time.Now(), sendgrid.DefaultWindow)
		if err != nil {
			t.Errorf("verifying sandbox events: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		batch, err := sendgrid.ParseEvents(body)
		if err != nil {
			t.Errorf("parsing sandbox events: %v", err)
		}
		for _, e := range batch {
			select { // never block the handler: the server waits for it on close
			case events <- e:
			default:
			}
		}
	}))
	t.Cleanup(recv.Close)
	key, err := c.ConfigureEventWebhook(ctx, cr, recv.URL+"/api/callbacks/sendgrid")
	require.NoError(t, err)
	publicKey = key
	close(keyReady)

	sent, err := c.Send(ctx, cr, sendgrid.Message{
		To: "ada+click@example.org", ToName: "Ada", Subject: "Welcome", Text: "Hi Ada", HTML: "<p>Hi Ada</p>",
		Headers:    map[string]string{"List-Unsubscribe": "<https://app.example.com/u/1>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
		CustomArgs: map[string]string{"message_id": "msg_77"},
		Attachments: []providers.Attachment{{Filename: "terms.txt", ContentType: "text/plain", Size: 5,
			Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("terms")), nil }}},
	})
	require.NoError(t, err)
	require.Equal(t, 202, sent.Status)
	require.NotEmpty(t, sent.MessageID)

	msgs := sandboxMessages(t, base, "sendgrid", "ada+click@example.org")
	require.Len(t, msgs, 1)
	require.Equal(t, sent.MessageID, msgs[0].ID)
	require.Equal(t, "Welcome", msgs[0].Subject)
	require.Len(t, msgs[0].Attachments, 1)
	require.Equal(t, "terms.txt", msgs[0].Attachments[0].Name)
	require.EqualValues(t, 5, msgs[0].Attachments[0].Size)

	// "+click" forces processed, delivered, open and click.
	seen := map[string]bool{}
	deadline := time.After(10 * time.Second)
	for !(seen["processed"] && seen["delivered"] && seen["click"]) {
		select {
		case e := <-events:
			require.Equal(t, sent.MessageID, e.ProviderMessageID)
			require.Equal(t, "msg_77", e.Arg("message_id"))
			require.NotEmpty(t, e.EventID)
			require.False(t, e.Timestamp.IsZero())
			seen[e.Event] = true
		case <-deadline:
			t.Fatalf("events seen so far: %v", seen)
		}
	}
}

func TestSandboxMagicRecipients(t *testing.T) {
	t.Parallel()

	base := newSandbox(t)
	c := sendgrid.New(base+"/sendgrid", nil)
	cr := sendgrid.Credentials{APIKey: "SG.magic", FromEmail: "news@example.com"}

	tests := []struct {
		to     string
		kind   providers.Kind
		status int
	}{
		{"x+invalid@example.org", providers.KindPermanent, 400},
		{"x+429@example.org", providers.KindRateLimited, 429},
		{"x+500@example.org", providers.KindRetryable, 500},
	}
	for _, tt := range tests {
		t.Run(tt.to, func(t *testing.T) {
			t.Parallel()
			_, err := c.Send(context.Background(), cr, sendgrid.Message{To: tt.to, Subject: "s", Text: "t"})
			pe, ok := providers.AsError(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, tt.kind, pe.Kind, pe.Error())
			require.Equal(t, tt.status, pe.Status)
			require.NotEmpty(t, pe.Reason)
			if tt.kind == providers.KindRateLimited {
				require.Positive(t, pe.RetryAfter)
			}
		})
	}

	// A key the sandbox treats as invalid, and one without mail.send.
	err := c.Check(context.Background(), sendgrid.Credentials{APIKey: "SG.invalid"})
	pe, ok := providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, providers.KindPermanent, pe.Kind)
	require.Equal(t, 401, pe.Status)
	err = c.Check(context.Background(), sendgrid.Credentials{APIKey: "SG.nosend"})
	pe, ok = providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, "missing_scope", pe.Code)
}

// TestSandboxBatchSend sends one request to several recipients, each with
// its own substitutions, List-Unsubscribe header and custom args: every
// recipient receives the shared body with its own values, and its events
// carry its own custom args.
func TestSandboxBatchSend(t *testing.T) {
	t.Parallel()

	base := newSandbox(t)
	c := sendgrid.New(base+"/sendgrid", nil)
	ctx := context.Background()
	cr := sendgrid.Credentials{APIKey: "SG.batch-key.secret", FromEmail: "news@example.com", FromName: "News"}

	events := make(chan sendgrid.Event, 64)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		batch, err := sendgrid.ParseEvents(body)
		if err != nil {
			t.Errorf("parsing sandbox events: %v", err)
		}
		for _, e := range batch {
			select {
			case events <- e:
			default:
			}
		}
	}))
	t.Cleanup(recv.Close)
	_, err := c.ConfigureEventWebhook(ctx, cr, recv.URL+"/api/callbacks/sendgrid")
	require.NoError(t, err)

	names := []string{"Ada", "Bob", "Cy"}
	b := sendgrid.Batch{Subject: "Spring sale", Text: "Hi -name-, see -link-", HTML: `<p>Hi -name-, <a href="-link-">see</a></p>`,
		CustomArgs: map[string]string{"sb_campaign_id": "camp-1"}}
	for i, n := range names {
		b.Recipients = append(b.Recipients, sendgrid.BatchRecipient{
			To: strings.ToLower(n) + "@example.org", Subject: "Sale for " + n,
			Substitutions: map[string]string{"-name-": n, "-link-": "https://app.example.com/u/" + n},
			Headers:       map[string]string{"List-Unsubscribe": "<https://app.example.com/u/" + n + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
			CustomArgs:    map[string]string{"sb_recipient_id": strconv.Itoa(i + 1)},
		})
	}
	sent, err := c.BatchSend(ctx, cr, b)
	require.NoError(t, err)
	require.Equal(t, 202, sent.Status)
	require.NotEmpty(t, sent.MessageID)

	for _, n := range names {
		msgs := sandboxMessages(t, base, "sendgrid", strings.ToLower(n)+"@example.org")
		require.Len(t, msgs, 1)
		require.Equal(t, sent.MessageID, msgs[0].ID)
		require.Equal(t, "Sale for "+n, msgs[0].Subject)
		require.Equal(t, "Hi "+n+", see https://app.example.com/u/"+n, msgs[0].Body)
		require.Equal(t, "<https://app.example.com/u/"+n+">", msgs[0].Headers["List-Unsubscribe"])
	}

	// Each recipient's delivered event names its own recipient id and the
	// shared campaign id.
	delivered := map[string]string{}
	deadline := time.After(10 * time.Second)
	for len(delivered) < len(names) {
		select {
		case e := <-events:
			require.Equal(t, sent.MessageID, e.ProviderMessageID)
			require.Equal(t, "camp-1", e.Arg("sb_campaign_id"))
			if e.Event == "delivered" {
				delivered[e.Arg("sb_recipient_id")] = e.Email
			}
		case <-deadline:
			t.Fatalf("delivered events so far: %v", delivered)
		}
	}
	require.Equal(t, map[string]string{"1": "ada@example.org", "2": "bob@example.org", "3": "cy@example.org"}, delivered)

	// Refused before sending: too many recipients, substitutions too big.
	big := sendgrid.Batch{Subject: "s", Text: "t", Recipients: make([]sendgrid.BatchRecipient, sendgrid.MaxBatchRecipients+1)}
	_, err = c.BatchSend(ctx, cr, big)
	pe, ok := providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, providers.KindPermanent, pe.Kind)
	_, err = c.BatchSend(ctx, cr, sendgrid.Batch{Subject: "s", Text: "t", Recipients: []sendgrid.BatchRecipient{
		{To: "a@example.org", Substitutions: map[string]string{"-x-": strings.Repeat("x", sendgrid.MaxSubstitutionBytes)}}}})
	pe, ok = providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, "invalid_message", pe.Code)
}
