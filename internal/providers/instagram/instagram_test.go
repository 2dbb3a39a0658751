package instagram_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/providers/instagram"
)

var creds = instagram.Credentials{AccessToken: "IGQVJ-token", AccountID: "17841400000000000"}

func TestSend(t *testing.T) {
	t.Parallel()

	var mu sync.Mutex
	var bodies []map[string]any
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, http.MethodPost, r.Method)
		require.Equal(t, "/sandbox/instagram/v21.0/me/messages", r.URL.Path)
		require.Equal(t, "Bearer IGQVJ-token", r.Header.Get("Authorization"))
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		var b map[string]any
		require.NoError(t, json.NewDecoder(r.Body).Decode(&b))
		mu.Lock()
		bodies = append(bodies, b)
		n++
		id := n
		mu.Unlock()
		_, _ = io.WriteString(w, `{"recipient_id":"1254459154682919","message_id":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxND`+string(rune('0'+id))+`"}`)
	}))
	t.Cleanup(srv.Close)
	c := instagram.New(srv.URL+"/sandbox/instagram", nil)

	sent, err := c.Send(context.Background(), creds, instagram.Message{RecipientID: "1254459154682919", Text: "Hello!"})
	require.NoError(t, err)
	require.Equal(t, providers.Sent{MessageID: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxND1", Status: 200}, sent)

	sent, err = c.Send(context.Background(), creds, instagram.Message{RecipientID: "1254459154682919", Text: "Your ticket",
		Attachment: &providers.Attachment{Filename: "ticket.png", ContentType: "image/png", URL: "https://files.example.com/t.png?sig=1"}})
	require.NoError(t, err)
	require.Equal(t, "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxND2", sent.MessageID, "the attachment's id")

	require.Equal(t, []map[string]any{
		{"recipient": map[string]any{"id": "1254459154682919"}, "message": map[string]any{"text": "Hello!"}},
		{"recipient": map[string]any{"id": "1254459154682919"}, "message": map[string]any{"attachment": map[string]any{
			"type": "image", "payload": map[string]any{"url": "https://files.example.com/t.png?sig=1"}}}},
		{"recipient": map[string]any{"id": "1254459154682919"}, "message": map[string]any{"text": "Your ticket"}},
	}, bodies)
}

func TestAttachmentTypes(t *testing.T) {
	t.Parallel()

	for ct, want := range map[string]string{"image/jpeg": "image", "video/mp4": "video", "audio/mpeg": "audio", "application/pdf": "file", "": "file"} {
		var got string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var b struct {
				Message struct {
					Attachment struct{ Type string } `json:"attachment"`
				} `json:"message"`
			}
			require.NoError(t, json.NewDecoder(r.Body).Decode(&b))
			got = b.Message.Attachment.Type
			_, _ = io.WriteString(w, `{"recipient_id":"1","message_id":"m"}`)
		}))
		_, err := instagram.New(srv.URL, nil).Send(context.Background(), creds, instagram.Message{RecipientID: "1",
			Attachment: &providers.Attachment{ContentType: ct, URL: "https://x/y"}})
		srv.Close()
		require.NoError(t, err)
		require.Equal(t, want, got, ct)
	}
}

func TestSendRefusesBeforeCalling(t *testing.T) {
	t.Parallel()

	c := instagram.New("http://127.0.0.1:1", nil)
	for name, m := range map[string]instagram.Message{
		"no recipient":           {Text: "x"},
		"nothing":                {RecipientID: "1"},
		"attachment without url": {RecipientID: "1", Attachment: &providers.Attachment{Filename: "a.png"}},
	} {
		_, err := c.Send(context.Background(), creds, m)
		pe, ok := providers.AsError(err)
		require.True(t, ok, name)
		require.Equal(t, providers.KindPermanent, pe.Kind, name)
		require.Equal(t, "invalid_message", pe.Code, name)
	}
	_, err := c.Send(context.Background(), instagram.Credentials{}, instagram.Message{RecipientID: "1", Text: "x"})
	pe, _ := providers.AsError(err)
	require.Equal(t, "credentials", pe.Code)
}

func TestCheck(t *testing.T) {
	t.Parallel()

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, http.MethodGet, r.Method)
		require.Equal(t, "/v21.0/me", r.URL.Path)
		require.Equal(t, "id,username", r.URL.Query().Get("fields"))
		_, _ = io.WriteString(w, `{"id":"17841400000000000","username":"acme.shop"}`)
	}))
	t.Cleanup(srv.Close)
	c := instagram.New(srv.URL, nil)
	require.NoError(t, c.Check(context.Background(), creds))
	require.NoError(t, c.Check(context.Background(), instagram.Credentials{AccessToken: "t"}))

	err := c.Check(context.Background(), instagram.Credentials{AccessToken: "t", AccountID: "999"})
	pe, ok := providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, "wrong_account", pe.Code)
	require.Equal(t, providers.KindPermanent, pe.Kind)
}

func TestErrorClassification(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		kind       providers.Kind
		code       string
		reason     string
		retryAfter time.Duration
	}{
		{
			name: "400 bad parameter", status: 400,
			body: `{"error":{"message":"(#100) The parameter recipient is required","type":"OAuthException","code":100,"fbtrace_id":"AZ7Lh1ZbP1w"}}`,
			kind: providers.KindPermanent, code: "100", reason: "(#100) The parameter recipient is required (fbtrace_id AZ7Lh1ZbP1w)",
		},
		{
			name: "outside the 24h window", status: 400,
			body: `{"error":{"message":"(#10) This message is sent outside of allowed window.","type":"OAuthException","code":10,"error_subcode":2534022,"fbtrace_id":"Ab1"}}`,
			kind: providers.KindPermanent, code: "10", reason: "(#10) This message is sent outside of allowed window. (subcode 2534022, fbtrace_id Ab1)",
		},
		{
			name: "expired token", status: 401,
			body: `{"error":{"message":"Error validating access token: Session has expired on Friday, 01-Mar-24 10:00:00 PST.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"Ab2"}}`,
			kind: providers.KindPermanent, code: "190", reason: "Error validating access token: Session has expired on Friday, 01-Mar-24 10:00:00 PST. (subcode 463, fbtrace_id Ab2)",
		},
		{
			name: "404", status: 404,
			body: `{"error":{"message":"Unknown path components: /mee","type":"OAuthException","code":2500,"fbtrace_id":"Ab3"}}`,
			kind: providers.KindPermanent, code: "2500", reason: "Unknown path components: /mee (fbtrace_id Ab3)",
		},
		{
			name: "app rate limit as 400", status: 400,
			header: map[string]string{"X-App-Usage": `{"call_count":100,"total_time":25,"total_cputime":25}`},
			body:   `{"error":{"message":"(#4) Application request limit reached","type":"OAuthException","is_transient":true,"code":4,"fbtrace_id":"Ab4"}}`,
			kind:   providers.KindRateLimited, code: "4", reason: "(#4) Application request limit reached (fbtrace_id Ab4)",
		},
		{
			name: "613 with business usage header", status: 400,
			header: map[string]string{"X-Business-Use-Case-Usage": `{"17841400000000000":[{"type":"instagram","call_count":100,"total_cputime":10,"total_time":10,"estimated_time_to_regain_access":5}]}`},
			body:   `{"error":{"message":"(#613) Calls to this api have exceeded the rate limit.","type":"OAuthException","code":613,"fbtrace_id":"Ab5"}}`,
			kind:   providers.KindRateLimited, code: "613", reason: "(#613) Calls to this api have exceeded the rate limit. (fbtrace_id Ab5)", retryAfter: 5 * time.Minute,
		},
		{
			name: "429 with Retry-After", status: 429, header: map[string]string{"Retry-After": "12"},
			body: `{"error":{"message":"(#32) Page request limit reached","type":"OAuthException","code":32,"fbtrace_id":"Ab6"}}`,
			kind: providers.KindRateLimited, code: "32", reason: "(#32) Page request limit reached (fbtrace_id Ab6)", retryAfter: 12 * time.Second,
		},
		{
			name: "transient 400", status: 400,
			body: `{"error":{"message":"An unexpected error has occurred. Please retry your request later.","type":"OAuthException","is_transient":true,"code":2,"fbtrace_id":"Ab7"}}`,
			kind: providers.KindRetryable, code: "2", reason: "An unexpected error has occurred. Please retry your request later. (fbtrace_id Ab7)",
		},
		{
			name: "500", status: 500,
			body: `{"error":{"message":"An unknown error has occurred.","type":"OAuthException","is_transient":true,"code":1,"fbtrace_id":"Ab8"}}`,
			kind: providers.KindRetryable, code: "1", reason: "An unknown error has occurred. (fbtrace_id Ab8)",
		},
		{name: "503 html", status: 503, body: `<html>Service Unavailable</html>`, kind: providers.KindRetryable, reason: "<html>Service Unavailable</html>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			_, err := instagram.New(srv.URL, nil).Send(context.Background(), creds, instagram.Message{RecipientID: "1", Text: "hi"})
			pe, ok := providers.AsError(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, "instagram", pe.Provider)
			require.Equal(t, tt.kind, pe.Kind)
			require.Equal(t, tt.status, pe.Status)
			require.Equal(t, tt.code, pe.Code)
			require.Equal(t, tt.reason, pe.Reason)
			require.Equal(t, tt.retryAfter, pe.RetryAfter)
		})
	}
}

func TestTransportErrors(t *testing.T) {
	t.Parallel()

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	_, err := instagram.New(srv.URL, providers.NewHTTPClient(50*time.Millisecond, true)).
		Send(context.Background(), creds, instagram.Message{RecipientID: "1", Text: "hi"})
	pe, ok := providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, providers.KindRetryable, pe.Kind)
	require.Zero(t, pe.Status)
	require.True(t, providers.IsTimeout(err))

	closed := httptest.NewServer(http.NotFoundHandler())
	url := closed.URL
	closed.Close()
	err = instagram.New(url, nil).Check(context.Background(), creds)
	pe, ok = providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, providers.KindRetryable, pe.Kind)
	require.Equal(t, "check", pe.Operation)
}
