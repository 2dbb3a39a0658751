package sendgrid_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/providers/sendgrid"
)

var creds = sendgrid.Credentials{APIKey: "SG.test-key", FromEmail: "news@example.com", FromName: "Example News"}

func TestSend(t *testing.T) {
	t.Parallel()

	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, http.MethodPost, r.Method)
		require.Equal(t, "/sub/v3/mail/send", r.URL.Path)
		require.Equal(t, "Bearer SG.test-key", r.Header.Get("Authorization"))
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		require.NoError(t, json.NewDecoder(r.Body).Decode(&got))
		w.Header().Set("X-Message-Id", "W86Ek6VYQeS7Tx5HUNe4Qw")
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)

	c := sendgrid.New(srv.URL+"/sub/", nil)
	sent, err := c.Send(context.Background(), creds, sendgrid.Message{
		To: "ada@example.org", ToName: "Ada", Subject: "Hello", HTML: "<p>Hi</p>", Text: "Hi", ReplyTo: "support@example.com",
		Headers: map[string]string{
			"List-Unsubscribe":      "<https://app.example.com/u/abc>, <mailto:unsub@example.com>",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
		Attachments: []providers.Attachment{{Filename: "report.pdf", ContentType: "application/pdf", Size: 7,
			Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("%PDF-1.")), nil }}},
		CustomArgs: map[string]string{"message_id": "msg_1", "org_id": "42"},
		Categories: []string{"campaign", "welcome"},
	})
	require.NoError(t, err)
	require.Equal(t, providers.Sent{MessageID: "W86Ek6VYQeS7Tx5HUNe4Qw", Status: 202}, sent)

	want := map[string]any{
		"from":    map[string]any{"name": "Example News", "email": "news@example.com"},
		"subject": "Hello",
		"personalizations": []any{map[string]any{
			"to": []any{map[string]any{"name": "Ada", "email": "ada@example.org"}},
		}},
		"content": []any{
			map[string]any{"type": "text/plain", "value": "Hi"},
			map[string]any{"type": "text/html", "value": "<p>Hi</p>"},
		},
		"attachments": []any{map[string]any{
			"content": base64.StdEncoding.EncodeToString([]byte("%PDF-1.")), "type": "application/pdf",
			"filename": "report.pdf", "disposition": "attachment",
		}},
		"headers": map[string]any{
			"List-Unsubscribe":      "<https://app.example.com/u/abc>, <mailto:unsub@example.com>",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
		"categories":  []any{"campaign", "welcome"},
		"custom_args": map[string]any{"message_id": "msg_1", "org_id": "42"},
		"reply_to":    map[string]any{"email": "support@example.com"},
	}
	require.Equal(t, want, got)
}

func TestSendRefusesBeforeCalling(t *testing.T) {
	t.Parallel()

	c := sendgrid.New("http://127.0.0.1:1", nil) // never called
	tests := []struct {
		name string
		cr   sendgrid.Credentials
		m    sendgrid.Message
		code string
	}{
		{"no key", sendgrid.Credentials{FromEmail: "a@b.c"}, sendgrid.Message{To: "x@y.z", Text: "t"}, "credentials"},
		{"no sender", sendgrid.Credentials{APIKey: "k"}, sendgrid.Message{To: "x@y.z", Text: "t"}, "credentials"},
		{"no recipient", creds, sendgrid.Message{Text: "t"}, "invalid_message"},
		{"no content", creds, sendgrid.Message{To: "x@y.z"}, "invalid_message"},
		{"attachment gone", creds, sendgrid.Message{To: "x@y.z", Text: "t", Attachments: []providers.Attachment{{Filename: "a"}}}, "attachment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.Send(context.Background(), tt.cr, tt.m)
			pe, ok := providers.AsError(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, providers.KindPermanent, pe.Kind)
			require.Equal(t, tt.code, pe.Code)
			require.Zero(t, pe.Status)
		})
	}
}

func TestErrorClassification(t *testing.T) {
	t.Parallel()

	reset := time.Now().Add(time.Minute).Unix()
	tests := []struct {
		name       string
		status     int
		header     map[string]string
		body       string
		kind       providers.Kind
		reason     string
		retryAfter [2]time.Duration // range
	}{
		{
			name: "400 validation", status: 400,
			body:   `{"errors":[{"message":"Does not contain a valid address.","field":"personalizations.0.to.0.email","help":"http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.personalizations.to"}]}`,
			kind:   providers.KindPermanent,
			reason: "personalizations.0.to.0.email: Does not contain a valid address.",
		},
		{
			name: "400 two errors", status: 400,
			body:   `{"errors":[{"message":"The from email does not contain a valid address.","field":"from.email","help":null},{"message":"The subject is required.","field":"subject","help":null}]}`,
			kind:   providers.KindPermanent,
			reason: "from.email: The from email does not contain a valid address.; subject: The subject is required.",
		},
		{
			name: "401", status: 401,
			body:   `{"errors":[{"field":null,"message":"The provided authorization grant is invalid, expired, or revoked"}]}`,
			kind:   providers.KindPermanent,
			reason: "The provided authorization grant is invalid, expired, or revoked",
		},
		{
			name: "403 sender identity", status: 403,
			body:   `{"errors":[{"message":"The from address does not match a verified Sender Identity.","field":"from","help":"https://sendgrid.com/docs/for-developers/sending-email/sender-identity/"}]}`,
			kind:   providers.KindPermanent,
			reason: "from: The from address does not match a verified Sender Identity.",
		},
		{name: "404", status: 404, body: `{"errors":[{"field":null,"message":"resource not found"}]}`, kind: providers.KindPermanent, reason: "resource not found"},
		{
			name: "429 with X-RateLimit-Reset", status: 429,
			header: map[string]string{"X-RateLimit-Limit": "600", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset, 10)},
			body:   `{"errors":[{"field":null,"message":"too many requests"}]}`,
			kind:   providers.KindRateLimited, reason: "too many requests", retryAfter: [2]time.Duration{50 * time.Second, 61 * time.Second},
		},
		{
			name: "429 with Retry-After", status: 429, header: map[string]string{"Retry-After": "7"},
			body: `{"errors":[{"field":null,"message":"too many requests"}]}`,
			kind: providers.KindRateLimited, reason: "too many requests", retryAfter: [2]time.Duration{7 * time.Second, 7 * time.Second},
		},
		{name: "500", status: 500, body: `{"errors":[{"field":null,"message":"internal server error"}]}`, kind: providers.KindRetryable, reason: "internal server error"},
		{name: "502 html", status: 502, body: `<html><body>Bad Gateway</body></html>`, kind: providers.KindRetryable, reason: "<html><body>Bad Gateway</body></html>"},
		{name: "503 empty", status: 503, kind: providers.KindRetryable, reason: "Service Unavailable"},
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

			_, err := sendgrid.New(srv.URL, nil).Send(context.Background(), creds, sendgrid.Message{To: "a@example.org", Subject: "s", Text: "t"})
			pe, ok := providers.AsError(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, "sendgrid", pe.Provider)
			require.Equal(t, "send", pe.Operation)
			require.Equal(t, tt.kind, pe.Kind)
			require.Equal(t, tt.status, pe.Status)
			require.Equal(t, tt.reason, pe.Reason)
			require.GreaterOrEqual(t, pe.RetryAfter, tt.retryAfter[0])
			require.LessOrEqual(t, pe.RetryAfter, tt.retryAfter[1])
		})
	}
}

func TestTransportErrors(t *testing.T) {
	t.Parallel()

	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(hang())
		t.Cleanup(srv.Close)
		c := sendgrid.New(srv.URL, providers.NewHTTPClient(50*time.Millisecond, true))
		_, err := c.Send(context.Background(), creds, sendgrid.Message{To: "a@example.org", Text: "t"})
		pe, ok := providers.AsError(err)
		require.True(t, ok)
		require.Equal(t, providers.KindRetryable, pe.Kind)
		require.Zero(t, pe.Status)
		require.True(t, providers.IsTimeout(pe.Err), "%v", pe.Err)
	})

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		err := sendgrid.New(url, nil).Check(context.Background(), creds)
		pe, ok := providers.AsError(err)
		require.True(t, ok)
		require.Equal(t, providers.KindRetryable, pe.Kind)
		require.Equal(t, "check", pe.Operation)
		require.Zero(t, pe.Status)
	})

	t.Run("caller cancels", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(hang())
		t.Cleanup(srv.Close)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := sendgrid.New(srv.URL, nil).Send(ctx, creds, sendgrid.Message{To: "a@example.org", Text: "t"})
		pe, ok := providers.AsError(err)
		require.True(t, ok)
		require.Equal(t, providers.KindRetryable, pe.Kind)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestCheck(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name   string
		scopes string
		ok     bool
	}{
		{"full access", `{"scopes":["alerts.create","mail.batch.read","mail.send","user.webhooks.event.settings.update"]}`, true},
		{"no mail.send", `{"scopes":["alerts.create","marketing.read"]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				require.Equal(t, "/v3/scopes", r.URL.Path)
				require.Equal(t, http.MethodGet, r.Method)
				_, _ = io.WriteString(w, tt.scopes)
			}))
			t.Cleanup(srv.Close)
			err := sendgrid.New(srv.URL, nil).Check(context.Background(), creds)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			pe, ok := providers.AsError(err)
			require.True(t, ok)
			require.Equal(t, providers.KindPermanent, pe.Kind)
			require.Equal(t, "missing_scope", pe.Code)
		})
	}
}

func TestConfigureEventWebhook(t *testing.T) {
	t.Parallel()

	var settings, signed map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, http.MethodPatch, r.Method)
		switch r.URL.Path {
		case "/v3/user/webhooks/event/settings":
			require.NoError(t, json.NewDecoder(r.Body).Decode(&settings))
			_, _ = io.WriteString(w, `{"enabled":true,"url":"https://app.example.com/cb"}`)
		case "/v3/user/webhooks/event/settings/signed":
			require.NoError(t, json.NewDecoder(r.Body).Decode(&signed))
			_, _ = io.WriteString(w, `{"public_key":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"}`)
		default:
			t.Errorf("unexpected path %s", r.URL.Path)
		}
	}))
	t.Cleanup(srv.Close)

	key, err := sendgrid.New(srv.URL, nil).ConfigureEventWebhook(context.Background(), creds, "https://app.example.com/cb")
	require.NoError(t, err)
	require.Equal(t, "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE", key)
	require.Equal(t, map[string]any{"enabled": true}, signed)
	require.Equal(t, "https://app.example.com/cb", settings["url"])
	for _, ev := range []string{"enabled", "processed", "delivered", "bounce", "dropped", "deferred", "open", "click", "spam_report", "unsubscribe", "group_unsubscribe", "group_resubscribe"} {
		require.Equal(t, true, settings[ev], ev)
	}
}

// hang answers nothing for a while. It reads the body first: the server
// only notices the client hanging up once the body is consumed.
func hang() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	})
}
