package telegram_test

import (
	"bytes"
	"context"
	"encoding/base64"
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
	"github.com/switchboard/switchboard/internal/providers/telegram"
	"github.com/switchboard/switchboard/internal/sandbox"
)

func newSandbox(t *testing.T) string {
	t.Helper()
	sb := sandbox.New(sandbox.Options{Seed: 1})
	t.Cleanup(sb.Close)
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

func TestSandboxRoundTrip(t *testing.T) {
	t.Parallel()

	base := newSandbox(t)
	c := telegram.New(base+"/telegram", nil)
	ctx := context.Background()
	const tok = "7000000001:AAE_sandbox-token"

	me, err := c.GetMe(ctx, tok)
	require.NoError(t, err)
	require.Equal(t, int64(7000000001), me.ID)
	require.NotEmpty(t, me.Username)

	// The app's webhook: checks the secret, parses the update.
	const secret = "wh_secret-1"
	updates := make(chan telegram.Update, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !telegram.VerifySecret(secret, r.Header.Get(telegram.SecretHeader)) {
			t.Error("wrong webhook secret")
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		body, _ := io.ReadAll(r.Body)
		u, err := telegram.ParseUpdate(body)
		if err != nil {
			t.Errorf("parsing update %s: %v", body, err)
			return
		}
		select { // never block the handler: the server waits for it on close
		case updates <- u:
		default:
		}
	}))
	t.Cleanup(recv.Close)
	require.NoError(t, c.SetWebhook(ctx, tok, recv.URL+"/api/callbacks/telegram/1", secret))

	// A contact starts the bot with a deep-link code and sends a photo.
	playContact(t, base, map[string]any{"channel": "telegram", "to": tok,
		"from": map[string]string{"id": "55501", "name": "Ada Lovelace", "username": "ada"}, "text": "/start c_42"})
	playContact(t, base, map[string]any{"channel": "telegram", "to": tok,
		"from": map[string]string{"id": "55501", "name": "Ada Lovelace", "username": "ada"}, "text": "receipt",
		"media": map[string]string{"filename": "r.jpg", "content_type": "image/jpeg", "base64": base64.StdEncoding.EncodeToString([]byte("JPEGDATA"))}})

	var start, photo telegram.Update
	for i := 0; i < 2; i++ {
		select {
		case u := <-updates:
			if u.StartCode != "" {
				start = u
			} else {
				photo = u
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no update")
		}
	}
	require.Equal(t, "c_42", start.StartCode)
	require.Equal(t, int64(55501), start.FromID)
	require.Equal(t, "ada", start.Username)
	require.NotZero(t, start.ChatID)
	require.NotNil(t, photo.Media)
	require.Equal(t, "photo", photo.Media.Kind)
	require.Equal(t, "receipt", photo.Text)

	rc, ct, err := c.DownloadFile(ctx, tok, photo.Media.FileID)
	require.NoError(t, err)
	data, err := io.ReadAll(rc)
	rc.Close()
	require.NoError(t, err)
	require.Equal(t, "JPEGDATA", string(data))
	require.Equal(t, "image/jpeg", ct)

	// Replies: text, a photo and a document.
	chat := start.ChatID
	sent, err := c.Send(ctx, tok, telegram.Message{ChatID: chat, Text: "Welcome, Ada!"})
	require.NoError(t, err)
	_, err = strconv.ParseInt(sent.MessageID, 10, 64)
	require.NoError(t, err)
	_, err = c.Send(ctx, tok, telegram.Message{ChatID: chat, Text: "your ticket", Attachment: &providers.Attachment{
		Filename: "ticket.png", ContentType: "image/png", Size: 4, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("PNG!")), nil }}})
	require.NoError(t, err)
	_, err = c.Send(ctx, tok, telegram.Message{ChatID: chat, Attachment: &providers.Attachment{
		Filename: "invoice.pdf", ContentType: "application/pdf", Size: 5, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("%PDF!")), nil }}})
	require.NoError(t, err)

	var outbound []sandbox.Message
	for _, m := range sandboxMessages(t, base, "telegram", strconv.FormatInt(chat, 10)) {
		if m.Direction == "outbound" {
			outbound = append(outbound, m)
		}
	}
	require.Len(t, outbound, 3)
	// Newest first.
	require.Equal(t, "invoice.pdf", outbound[0].Attachments[0].Name)
	require.EqualValues(t, 5, outbound[0].Attachments[0].Size)
	require.Equal(t, "ticket.png", outbound[1].Attachments[0].Name)
	require.Equal(t, "Welcome, Ada!", outbound[2].Body)
	require.Equal(t, sent.MessageID, outbound[2].ID)
}

func playContact(t *testing.T, base string, body map[string]any) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	res, err := http.Post(base+"/_api/inbound", "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	require.Equal(t, http.StatusAccepted, res.StatusCode, string(out))
}

func TestSandboxMagicChats(t *testing.T) {
	t.Parallel()

	base := newSandbox(t)
	c := telegram.New(base+"/telegram", nil)
	const tok = "7000000002:AAE_sandbox-token"

	tests := []struct {
		chat   int64
		kind   providers.Kind
		status int
	}{
		{5550000, providers.KindPermanent, 400},   // chat not found
		{5550001, providers.KindPermanent, 403},   // bot blocked
		{5550429, providers.KindRateLimited, 429}, // retry_after in the body
		{5550500, providers.KindRetryable, 500},
	}
	for _, tt := range tests {
		t.Run(strconv.FormatInt(tt.chat, 10), func(t *testing.T) {
			t.Parallel()
			_, err := c.Send(context.Background(), tok, telegram.Message{ChatID: tt.chat, Text: "hi"})
			pe, ok := providers.AsError(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, tt.kind, pe.Kind, pe.Error())
			require.Equal(t, tt.status, pe.Status)
			if tt.kind == providers.KindRateLimited {
				require.Positive(t, pe.RetryAfter)
			}
			require.NotContains(t, pe.Error(), tok)
		})
	}

	_, err := c.GetMe(context.Background(), "7000000003:invalid")
	pe, ok := providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, providers.KindPermanent, pe.Kind)
	require.Equal(t, 401, pe.Status)
}
