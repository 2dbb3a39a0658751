package sandbox

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzProviderBodies throws arbitrary bodies at the send endpoints: the
// sandbox must answer every one with a status, never panic.
func FuzzProviderBodies(f *testing.F) {
	f.Add("sendgrid", "application/json", `{"personalizations":[{"to":[{"email":"a@b.co"}]}],"from":{"email":"s@b.co"},"subject":"x","content":[{"type":"text/plain","value":"y"}]}`)
	f.Add("twilio", "application/x-www-form-urlencoded", "To=whatsapp%3A%2B15551234567&From=whatsapp%3A%2B14155238886&Body=hi")
	f.Add("telegram", "application/json", `{"chat_id":1,"text":"hi"}`)
	f.Add("telegram", "multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n1\r\n--x--\r\n")
	f.Add("instagram", "application/json", `{"recipient":{"id":"1"},"message":{"text":"hi"}}`)
	// No network: a fuzzed attachment URL must fail fast, not dial out.
	offline := &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		return nil, errors.New("offline")
	})}
	sb := New(Options{Seed: 1, WebhookWorkers: 1, Client: offline})
	f.Cleanup(sb.Close)
	h := sb.Handler()
	paths := map[string]string{
		"sendgrid":  "/sendgrid/v3/mail/send",
		"twilio":    "/twilio/2010-04-01/Accounts/AC1/Messages.json",
		"telegram":  "/telegram/bot1:x/sendMessage",
		"instagram": "/instagram/v21.0/me/messages",
	}
	f.Fuzz(func(t *testing.T, provider, contentType, body string) {
		path, ok := paths[provider]
		if !ok {
			path = "/telegram/bot1:x/" + url.PathEscape(provider)
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		if provider == "twilio" {
			req.SetBasicAuth("AC1", "token")
		} else {
			req.Header.Set("Authorization", "Bearer token")
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code < 200 || rec.Code > 599 {
			t.Fatalf("status %d", rec.Code)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
