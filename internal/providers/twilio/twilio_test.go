package twilio_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/providers/twilio"
)

var creds = twilio.Credentials{AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: "authtoken0123456789", From: "+14155238886"}

const messageJSON = `{"account_sid":"AC0123456789abcdef0123456789abcdef","api_version":"2010-04-01","body":"Hello","date_created":"Thu, 24 Aug 2023 05:01:45 +0000","date_sent":null,"date_updated":"Thu, 24 Aug 2023 05:01:45 +0000","direction":"outbound-api","error_code":null,"error_message":null,"from":"whatsapp:+14155238886","messaging_service_sid":null,"num_media":"1","num_segments":"1","price":null,"price_unit":null,"sid":"SM0123456789abcdef0123456789abcdef","status":"queued","subresource_uris":{"media":"/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SM0123456789abcdef0123456789abcdef/Media.json"},"to":"whatsapp:+15551234567","uri":"/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages/SM0123456789abcdef0123456789abcdef.json"}`

func TestSend(t *testing.T) {
	t.Parallel()

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, http.MethodPost, r.Method)
		require.Equal(t, "/sandbox/twilio/2010-04-01/Accounts/"+creds.AccountSID+"/Messages.json", r.URL.Path)
		user, pass, ok := r.BasicAuth()
		require.True(t, ok)
		require.Equal(t, creds.AccountSID, user)
		require.Equal(t, creds.AuthToken, pass)
		require.NoError(t, r.ParseForm())
		require.Equal(t, "whatsapp:+14155238886", r.PostForm.Get("From"))
		require.Equal(t, "whatsapp:+15551234567", r.PostForm.Get("To"))
		require.Equal(t, "Hello", r.PostForm.Get("Body"))
		require.Equal(t, []string{"https://files.example.com/a.jpg?sig=x"}, r.PostForm["MediaUrl"])
		require.Equal(t, "https://app.example.com/api/callbacks/twilio/status?m=1", r.PostForm.Get("StatusCallback"))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, messageJSON)
	}))
	t.Cleanup(srv.Close)

	c := twilio.New(srv.URL+"/sandbox/twilio/", nil)
	sent, err := c.Send(context.Background(), creds, twilio.Message{
		To: "+15551234567", Body: "Hello", MediaURL: "https://files.example.com/a.jpg?sig=x",
		StatusCallback: "https://app.example.com/api/callbacks/twilio/status?m=1",
	})
	require.NoError(t, err)
	require.Equal(t, providers.Sent{MessageID: "SM0123456789abcdef0123456789abcdef", Status: 201}, sent)
}

func TestCheck(t *testing.T) {
	t.Parallel()

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, http.MethodGet, r.Method)
		require.Equal(t, "/2010-04-01/Accounts/"+creds.AccountSID+".json", r.URL.Path)
		_, _ = io.WriteString(w, `{"sid":"`+creds.AccountSID+`","friendly_name":"My account","status":"active","type":"Full"}`)
	}))
	t.Cleanup(srv.Close)
	require.NoError(t, twilio.New(srv.URL, nil).Check(context.Background(), creds))
}

func TestCredentialsMustBeAlphanumeric(t *testing.T) {
	t.Parallel()

	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	t.Cleanup(srv.Close)
	c := twilio.New(srv.URL, nil)

	tests := []struct {
		name string
		cr   twilio.Credentials
		code string
	}{
		{"sid with a dash", twilio.Credentials{AccountSID: "AC-123", AuthToken: "tok", From: "+1"}, "21222"},
		{"empty sid", twilio.Credentials{AuthToken: "tok", From: "+1"}, "21222"},
		{"token with a symbol", twilio.Credentials{AccountSID: "AC123", AuthToken: "to+k", From: "+1"}, "21224"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.Send(context.Background(), tt.cr, twilio.Message{To: "+15551234567", Body: "x"})
			pe, ok := providers.AsError(err)
			require.True(t, ok)
			require.Equal(t, providers.KindPermanent, pe.Kind)
			require.Equal(t, tt.code, pe.Code)
			require.Contains(t, pe.Reason, "alphanumeric")
		})
	}
	require.Zero(t, calls.Load())
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
			name: "400 invalid To", status: 400,
			body: `{"code": 21211, "message": "Invalid 'To' Phone Number: +1555000XXXX", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`,
			kind: providers.KindPermanent, code: "21211", reason: "Invalid 'To' Phone Number: +1555000XXXX",
		},
		{
			name: "400 unsubscribed", status: 400,
			body: `{"code": 21610, "message": "Attempt to send to unsubscribed recipient", "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400}`,
			kind: providers.KindPermanent, code: "21610", reason: "Attempt to send to unsubscribed recipient",
		},
		{
			name: "401", status: 401,
			body: `{"code": 20003, "detail": "Your AccountSid or AuthToken was incorrect.", "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`,
			kind: providers.KindPermanent, code: "20003", reason: "Authenticate",
		},
		{
			name: "404", status: 404,
			body: `{"code": 20404, "message": "The requested resource /2010-04-01/Accounts/AC0123/Messages.json was not found", "more_info": "https://www.twilio.com/docs/errors/20404", "status": 404}`,
			kind: providers.KindPermanent, code: "20404", reason: "The requested resource /2010-04-01/Accounts/AC0123/Messages.json was not found",
		},
		{
			name: "429", status: 429, header: map[string]string{"Retry-After": "2"},
			body: `{"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}`,
			kind: providers.KindRateLimited, code: "20429", reason: "Too Many Requests", retryAfter: 2 * time.Second,
		},
		{
			name: "429 no header", status: 429,
			body: `{"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}`,
			kind: providers.KindRateLimited, code: "20429", reason: "Too Many Requests",
		},
		{
			name: "500", status: 500,
			body: `{"code": 20500, "message": "An internal server error has occurred", "more_info": "https://www.twilio.com/docs/errors/20500", "status": 500}`,
			kind: providers.KindRetryable, code: "20500", reason: "An internal server error has occurred",
		},
		{
			name: "502 html", status: 502, body: `<html><head><title>502 Bad Gateway</title></head></html>`,
			kind: providers.KindRetryable, reason: `<html><head><title>502 Bad Gateway</title></head></html>`,
		},
		{name: "503 empty", status: 503, kind: providers.KindRetryable, reason: "Service Unavailable"},
		{
			name: "redirect", status: 302, header: map[string]string{"Location": "https://elsewhere.example.com/"},
			kind: providers.KindPermanent, code: "redirect", reason: "unexpected redirect to https://elsewhere.example.com/ (check the base URL)",
		},
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

			_, err := twilio.New(srv.URL, nil).Send(context.Background(), creds, twilio.Message{To: "+15551234567", Body: "hi"})
			pe, ok := providers.AsError(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, "twilio", pe.Provider)
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

	t.Run("client timeout", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(hang())
		t.Cleanup(srv.Close)
		_, err := twilio.New(srv.URL, providers.NewHTTPClient(50*time.Millisecond, false)).
			Send(context.Background(), creds, twilio.Message{To: "+15551234567", Body: "hi"})
		pe, ok := providers.AsError(err)
		require.True(t, ok)
		require.Equal(t, providers.KindRetryable, pe.Kind)
		require.Zero(t, pe.Status)
		require.True(t, providers.IsTimeout(err), "%v", err)
	})

	t.Run("caller's deadline", func(t *testing.T) {
		t.Parallel()
		// twilio-go sends with context.Background(); the adapter must still stop
		// when the caller's context ends.
		srv := httptest.NewServer(hang())
		t.Cleanup(srv.Close)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := twilio.New(srv.URL, providers.NewHTTPClient(10*time.Second, false)).
			Send(ctx, creds, twilio.Message{To: "+15551234567", Body: "hi"})
		require.Less(t, time.Since(start), time.Second)
		pe, ok := providers.AsError(err)
		require.True(t, ok)
		require.Equal(t, providers.KindRetryable, pe.Kind)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		err := twilio.New(url, nil).Check(context.Background(), creds)
		pe, ok := providers.AsError(err)
		require.True(t, ok)
		require.Equal(t, providers.KindRetryable, pe.Kind)
		require.Equal(t, "check", pe.Operation)
	})
}

func TestRedirectNotFollowedEvenIfClientWould(t *testing.T) {
	t.Parallel()

	var followed atomic.Bool
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Store(true) }))
	t.Cleanup(target.Close)
	srv := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	t.Cleanup(srv.Close)

	_, err := twilio.New(srv.URL, providers.NewHTTPClient(time.Second, true)).
		Send(context.Background(), creds, twilio.Message{To: "+15551234567", Body: "hi"})
	pe, ok := providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, "redirect", pe.Code)
	require.False(t, followed.Load())
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
