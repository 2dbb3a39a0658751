package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/jobqueue"
)

// TestMessagesReachDeliveredThroughTheSandbox runs the whole system the
// way make run does — the API with the sandbox mounted, the workers, the
// seeded demo org with sandbox credentials — and sends one message per
// channel through the real SDK code paths. Each comes back through the
// sandbox's signed webhooks and our receivers to its final status.
func TestMessagesReachDeliveredThroughTheSandbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.NewDB(t)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	env := map[string]string{
		"DATABASE_URL": "postgres://unused", "DATA_DIR": t.TempDir(), "SANDBOX": "1", "PUBLIC_BASE_URL": base,
		"JWT_SECRET":  "test-secret-test-secret-test-secret!",
		"SECRETS_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	require.NoError(t, err)
	d := Deps{Config: cfg, Pool: pool, Logger: zerolog.Nop(), Now: time.Now}
	require.NoError(t, Seed(ctx, pool, cfg))

	runCtx, stop := context.WithCancel(ctx)
	api, err := NewAPI(d)
	require.NoError(t, err)
	require.NoError(t, api.Start(runCtx))
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = api.Serve(runCtx, ln)
	}()
	// As under make run, the API listens before the worker starts (the
	// seed queued connection tests that call the API's sandbox).
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond)
	workers, err := Workers(d)
	require.NoError(t, err)
	worker, err := jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: workers, Queues: cfg.WorkerConcurrency})
	require.NoError(t, err)
	require.NoError(t, worker.Start(runCtx))
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = worker.Stop(stopCtx)
		stop()
		<-served
	})

	call := func(method, path, token string, body any, out any) int {
		t.Helper()
		var rd io.Reader
		if body != nil {
			j, err := json.Marshal(body)
			require.NoError(t, err)
			rd = bytes.NewReader(j)
		}
		req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		if out != nil && resp.StatusCode < 300 {
			require.NoErrorf(t, json.Unmarshal(raw, out), "%s", raw)
		}
		return resp.StatusCode
	}
	var login struct {
		AccessToken string `json:"access_token"`
	}
	require.Equal(t, http.StatusOK, call("POST", "/api/v1/auth/login", "", map[string]string{"email": DemoEmail, "password": DemoPassword}, &login))
	tok := login.AccessToken

	// Test connection registers our webhooks with the (simulated) providers.
	for _, ch := range []string{"email", "whatsapp", "telegram", "instagram"} {
		require.Equal(t, http.StatusAccepted, call("POST", "/api/v1/channels/"+ch+"/test", tok, nil, nil), ch)
	}
	require.Eventually(t, func() bool {
		var s struct {
			Status string `json:"status"`
		}
		for _, ch := range []string{"email", "whatsapp", "telegram", "instagram"} {
			if call("GET", "/api/v1/channels/"+ch, tok, nil, &s) != http.StatusOK || s.Status != "ok" {
				return false
			}
		}
		return true
	}, 30*time.Second, 200*time.Millisecond, "every channel's test connection passes against the sandbox")

	// Instagram only allows replies to someone who wrote in the last 24 h:
	// play that person first (the sandbox's numbers ending 0003 also read
	// what they get).
	require.Equal(t, http.StatusAccepted, call("POST", "/api/v1/sandbox/inbound", tok, map[string]any{
		"channel": "instagram", "from": map[string]string{"id": "17841400000000003", "name": "Ig Reader"}, "text": "hi there",
	}, nil))
	var instagramContact string
	require.Eventually(t, func() bool {
		var page struct {
			Items []struct {
				Channel string `json:"channel"`
				Contact struct {
					ID string `json:"id"`
				} `json:"contact"`
			} `json:"items"`
		}
		call("GET", "/api/v1/conversations?channel=instagram", tok, nil, &page)
		for _, c := range page.Items {
			instagramContact = c.Contact.ID
		}
		return instagramContact != ""
	}, 20*time.Second, 200*time.Millisecond, "the inbound Instagram message arrives through the webhook")

	sends := []struct {
		body map[string]any
		want []string
	}{
		{map[string]any{"channel": "email", "to": "ada+open@example.com", "subject": "Hello", "body": "Hello from {{org.name}}"}, []string{"opened", "clicked"}},
		{map[string]any{"channel": "whatsapp", "to": "+14155550003", "body": "Hi on WhatsApp"}, []string{"read"}},
		// Telegram's Bot API has no delivery receipts: sent is final.
		{map[string]any{"channel": "telegram", "to": "987654321", "body": "Hi on Telegram"}, []string{"sent"}},
		{map[string]any{"channel": "instagram", "contact_id": instagramContact, "body": "Thanks for writing"}, []string{"delivered", "read"}},
	}
	for _, s := range sends {
		var m struct {
			ID string `json:"id"`
		}
		require.Equal(t, http.StatusAccepted, call("POST", "/api/v1/messages", tok, s.body, &m), s.body["channel"])
		var got struct {
			Status      string `json:"status"`
			ErrorReason string `json:"error_reason"`
		}
		require.Eventuallyf(t, func() bool {
			call("GET", "/api/v1/messages/"+m.ID, tok, nil, &got)
			for _, w := range s.want {
				if got.Status == w {
					return true
				}
			}
			return false
		}, 30*time.Second, 200*time.Millisecond, "%s message: want %v, have %q (%s)", s.body["channel"], s.want, got.Status, got.ErrorReason)
	}
}
