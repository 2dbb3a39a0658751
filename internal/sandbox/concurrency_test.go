package sandbox

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/go-telegram/bot"
	"github.com/stretchr/testify/require"
)

// TestConcurrentSends pushes 200 sends through the four providers at once
// (run it with -race), while the control API is read and written.
func TestConcurrentSends(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	cfg := tb.sb.CurrentConfig()
	for _, b := range []*Behaviour{&cfg.SendGrid, &cfg.Twilio, &cfg.Telegram, &cfg.Instagram} {
		b.Outcomes = Outcomes{Delivered: 1}
		b.LatencyMS, b.LatencyP99MS = 1, 5
	}
	require.NoError(t, tb.sb.SetConfig(cfg))

	sg := newSGClient(t, tb, sgKey)
	pub := sg.configure(tb.hook.url("/hooks/sendgrid"))
	igSubscribe(t, tb, igToken)
	tw := twClient(t, tb, twToken)
	tg := tgClient(t, tb, tgToken)

	const perProvider = 50
	var wg sync.WaitGroup
	errs := make(chan error, 4*perProvider+100)
	for i := range perProvider {
		wg.Add(4)
		go func() {
			defer wg.Done()
			if resp := sg.send(fmt.Sprintf("user%d@example.com", i), map[string]string{"n": fmt.Sprint(i)}); resp.StatusCode != http.StatusAccepted {
				errs <- fmt.Errorf("sendgrid %d: %s", resp.StatusCode, resp.Body)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := twSend(t, tw, fmt.Sprintf("+1555100%04d", 100+i), tb.hook.url("/hooks/twilio")); err != nil {
				errs <- fmt.Errorf("twilio: %w", err)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := tg.SendMessage(ctx(t), &bot.SendMessageParams{ChatID: 9000 + i, Text: "hi"}); err != nil {
				errs <- fmt.Errorf("telegram: %w", err)
			}
		}()
		go func() {
			defer wg.Done()
			status, _, raw := tb.do(t, http.MethodPost, "/instagram/v21.0/me/messages", "application/json",
				[]byte(fmt.Sprintf(`{"recipient":{"id":"77%d5"},"message":{"text":"hi"}}`, i)), "Authorization", "Bearer "+igToken)
			if status != http.StatusOK {
				errs <- fmt.Errorf("instagram %d: %s", status, raw)
			}
		}()
		if i%10 == 0 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tb.sb.Messages(MessageFilter{Limit: 50})
				tb.sb.Webhooks("", 50)
				tb.sb.Stats()
				if status := tb.jsonDo(t, http.MethodPut, "/_api/config", map[string]any{"telegram": map[string]any{"retry_after_s": 2}}, nil); status != http.StatusOK {
					errs <- fmt.Errorf("config: %d", status)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	stats := tb.sb.Stats()
	for _, p := range providerNames {
		require.Equal(t, int64(perProvider), stats.Providers[p].Accepted, p)
	}
	require.Len(t, tb.sb.Messages(MessageFilter{Limit: 1000}), 4*perProvider)

	// Every webhook arrives: 2 SendGrid events, 2 Twilio callbacks and one
	// Instagram delivery per send.
	sgEvents, twCallbacks, igEvents := 0, 0, 0
	for sgEvents < 2*perProvider || twCallbacks < 2*perProvider || igEvents < perProvider {
		h := tb.hook.next(t)
		switch h.Path {
		case "/hooks/sendgrid":
			sgVerify(t, pub, h)
			var batch []map[string]any
			require.NoError(t, jsonUnmarshal(h.Body, &batch))
			sgEvents += len(batch)
		case "/hooks/twilio":
			twVerify(t, twToken, h)
			twCallbacks++
		case "/hooks/instagram":
			igVerifyHMAC(t, h)
			igEvents++
		}
	}
	require.Equal(t, 2*perProvider, sgEvents)
	require.Equal(t, 2*perProvider, twCallbacks)
	require.Equal(t, perProvider, igEvents)
	eventually(t, func() bool {
		s := tb.sb.Stats()
		return s.PendingWebhooks == 0 && s.Providers[ProviderTwilio].WebhooksOK == 2*perProvider
	}, "nothing left pending")
}
