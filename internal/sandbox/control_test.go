package sandbox

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/stretchr/testify/require"
)

func TestConfigPutMergesAndValidates(t *testing.T) {
	t.Parallel()
	tb := setup(t)

	var cfg Config
	status := tb.jsonDo(t, http.MethodPut, "/_api/config", map[string]any{"twilio": map[string]any{"rate_429": 0.25}}, &cfg)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 0.25, cfg.Twilio.Rate429)
	require.Equal(t, 5, cfg.Twilio.WebhookDelayMS, "fields not given stay")
	require.Equal(t, 0.97, cfg.Twilio.Outcomes.Delivered)

	status = tb.jsonDo(t, http.MethodGet, "/_api/config", nil, &cfg)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, 0.25, cfg.Twilio.Rate429)

	for _, bad := range []map[string]any{
		{"twilio": map[string]any{"rate_429": 1.5}},
		{"sendgrid": map[string]any{"latency_ms": 100, "latency_p99_ms": 50}},
		{"telegram": map[string]any{"outcomes": map[string]any{"read": -1}}},
		{"nosuch": 1},
	} {
		var p map[string]any
		require.Equal(t, http.StatusBadRequest, tb.jsonDo(t, http.MethodPut, "/_api/config", bad, &p), bad)
		require.NotEmpty(t, p["detail"])
	}
	require.Equal(t, 0.25, tb.sb.CurrentConfig().Twilio.Rate429, "refused changes leave the config alone")
}

func TestInjectedRates(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	cfg := tb.sb.CurrentConfig()
	cfg.Telegram.Rate429 = 1
	cfg.Telegram.RetryAfterS = 7
	require.NoError(t, tb.sb.SetConfig(cfg))
	b := tgClient(t, tb, tgToken)
	_, err := b.SendMessage(ctx(t), &bot.SendMessageParams{ChatID: 42, Text: "x"})
	var tooMany *bot.TooManyRequestsError
	require.ErrorAs(t, err, &tooMany)
	require.Equal(t, 7, tooMany.RetryAfter)

	cfg.Telegram.Rate429, cfg.Telegram.Rate5xx = 0, 0.5
	require.NoError(t, tb.sb.SetConfig(cfg))
	failed := 0
	for range 200 {
		if _, err := b.SendMessage(ctx(t), &bot.SendMessageParams{ChatID: 42, Text: "x"}); err != nil {
			failed++
		}
	}
	require.InDelta(t, 100, failed, 30, "about half fail")
	st := tb.sb.Stats().Providers[ProviderTelegram]
	require.Equal(t, int64(failed), st.ServerErrors)
	require.Equal(t, int64(200-failed), st.Accepted)
}

func TestLatencyAndCancellation(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	cfg := tb.sb.CurrentConfig()
	cfg.Telegram.LatencyMS = 60
	require.NoError(t, tb.sb.SetConfig(cfg))
	b := tgClient(t, tb, tgToken)

	start := time.Now()
	_, err := b.GetMe(ctx(t))
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 60*time.Millisecond)

	cfg.Telegram.LatencyMS = 5000
	require.NoError(t, tb.sb.SetConfig(cfg))
	c, cancel := context.WithTimeout(ctx(t), 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = b.GetMe(c)
	require.Error(t, err)
	require.Less(t, time.Since(start), 2*time.Second)
	eventually(t, func() bool { return tb.sb.Stats().Providers[ProviderTelegram].Canceled == 1 },
		"the sandbox stops waiting when the caller leaves")
}

func TestLognormalLatency(t *testing.T) {
	t.Parallel()
	d := newDice(42)
	b := Behaviour{LatencyMS: 100, LatencyP99MS: 400}
	samples := make([]float64, 20_000)
	for i := range samples {
		samples[i] = float64(b.sampleLatency(d)) / float64(time.Millisecond)
	}
	sort.Float64s(samples)
	p50, p99 := samples[len(samples)/2], samples[len(samples)*99/100]
	require.InDelta(t, 100, p50, 5)
	require.InDelta(t, 400, p99, 40)
	require.LessOrEqual(t, samples[len(samples)-1], 4000.0, "capped at 10×p99")

	fixed := Behaviour{LatencyMS: 30}
	require.Equal(t, 30*time.Millisecond, fixed.sampleLatency(d))
	require.Zero(t, Behaviour{}.sampleLatency(d))
}

func TestSeedIsReproducible(t *testing.T) {
	t.Parallel()
	b := DefaultConfig().SendGrid
	b.Outcomes = Outcomes{Delivered: 0.5, Bounce: 0.3, Dropped: 0.2, Open: 0.5, Click: 0.5}
	plans := func() [][]string {
		s := &Sandbox{dice: newDice(99)}
		var out [][]string
		for range 50 {
			out = append(out, s.sgPlan(b, magic{}))
		}
		return out
	}
	require.Equal(t, plans(), plans())
}

func TestWebhookRetries(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	var calls atomic.Int32
	tb.hook.setAnswer(func(r *http.Request, _ []byte) (int, string) {
		if calls.Add(1) <= 2 {
			return http.StatusServiceUnavailable, "busy"
		}
		return 0, ""
	})
	rc := twClient(t, tb, twToken)
	_, err := twSend(t, rc, "+15551230001", tb.hook.url("/s")) // failed: one callback
	require.NoError(t, err)
	for range 3 {
		tb.hook.next(t)
	}
	var hooks []WebhookRecord
	eventually(t, func() bool {
		hooks = tb.sb.Webhooks(ProviderTwilio, 0)
		return len(hooks) == 3
	}, "three attempts recorded")
	slices.Reverse(hooks)
	for i, h := range hooks {
		require.Equal(t, i+1, h.Attempt)
		require.Equal(t, "status", h.Kind)
		require.Equal(t, tb.hook.url("/s"), h.Target)
		require.GreaterOrEqual(t, h.LatencyMS, 0.0)
	}
	require.Equal(t, 503, hooks[0].Status)
	require.True(t, hooks[0].WillRetry)
	require.Equal(t, 200, hooks[2].Status)
	require.Empty(t, hooks[2].Error)
	st := tb.sb.Stats().Providers[ProviderTwilio]
	require.Equal(t, int64(2), st.WebhookRetries)
	require.Equal(t, int64(1), st.WebhooksOK)
}

func TestWebhookGivesUp(t *testing.T) {
	t.Parallel()
	tb := setup(t, setupOpts{options: func(o *Options) { o.WebhookAttempts = 2 }})
	tb.hook.setAnswer(func(*http.Request, []byte) (int, string) { return http.StatusInternalServerError, "" })
	_, err := twSend(t, twClient(t, tb, twToken), "+15551230001", tb.hook.url("/s"))
	require.NoError(t, err)
	tb.hook.next(t)
	tb.hook.next(t)
	tb.hook.none(t, 100*time.Millisecond)

	// A 4xx is the receiver's final word: no retry.
	tb.hook.setAnswer(func(*http.Request, []byte) (int, string) { return http.StatusUnauthorized, "" })
	_, err = twSend(t, twClient(t, tb, twToken), "+15551230001", tb.hook.url("/s"))
	require.NoError(t, err)
	tb.hook.next(t)
	tb.hook.none(t, 100*time.Millisecond)

	// Connection refused is retried (and recorded with status 0).
	dead := newReceiver(t)
	deadURL := dead.url("/s")
	dead.srv.Close()
	_, err = twSend(t, twClient(t, tb, twToken), "+15551230001", deadURL)
	require.NoError(t, err)
	eventually(t, func() bool {
		n := 0
		for _, h := range tb.sb.Webhooks(ProviderTwilio, 0) {
			if h.Target == deadURL && h.Status == 0 && h.Error != "" {
				n++
			}
		}
		return n == 2
	}, "two attempts at a dead target")
}

func TestMessagesAndWebhooksAPI(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	b := tgClient(t, tb, tgToken)
	for i := range 5 {
		_, err := b.SendMessage(ctx(t), &bot.SendMessageParams{ChatID: 100 + i%2, Text: "m"})
		require.NoError(t, err)
	}
	var out struct {
		Messages []Message `json:"messages"`
	}
	require.Equal(t, http.StatusOK, tb.jsonDo(t, http.MethodGet, "/_api/messages?provider=telegram&to=101&limit=10", nil, &out))
	require.Len(t, out.Messages, 2)
	require.True(t, out.Messages[0].At.After(out.Messages[1].At) || out.Messages[0].At.Equal(out.Messages[1].At))
	require.Equal(t, http.StatusOK, tb.jsonDo(t, http.MethodGet, "/_api/messages?limit=3", nil, &out))
	require.Len(t, out.Messages, 3)
	require.Equal(t, http.StatusBadRequest, tb.jsonDo(t, http.MethodGet, "/_api/messages?limit=x", nil, nil))

	var stats Stats
	require.Equal(t, http.StatusOK, tb.jsonDo(t, http.MethodGet, "/_api/stats", nil, &stats))
	require.Equal(t, int64(5), stats.Providers[ProviderTelegram].Accepted)

	require.Equal(t, http.StatusNoContent, tb.jsonDo(t, http.MethodPost, "/_api/reset", nil, nil))
	require.Empty(t, tb.sb.Messages(MessageFilter{}))
	require.Zero(t, tb.sb.Stats().Providers[ProviderTelegram].Accepted)
	require.Equal(t, http.StatusNotFound, tb.jsonDo(t, http.MethodGet, "/_api/nothing", nil, nil))
}

func TestRecordsAreBounded(t *testing.T) {
	t.Parallel()
	tb := setup(t, setupOpts{options: func(o *Options) { o.RecordLimit = 10 }})
	b := tgClient(t, tb, tgToken)
	for i := range 25 {
		_, err := b.SendMessage(ctx(t), &bot.SendMessageParams{ChatID: 1000 + i, Text: "m"})
		require.NoError(t, err)
	}
	msgs := tb.sb.Messages(MessageFilter{Limit: 100})
	require.Len(t, msgs, 10)
	require.Equal(t, "1024", msgs[0].To, "newest first")
	require.Equal(t, "1015", msgs[9].To)
	tb.sb.messages.mu.Lock()
	require.Len(t, tb.sb.messages.byID, 10, "the index forgets evicted messages")
	tb.sb.messages.mu.Unlock()
}

func TestPublicBaseBehindStripPrefix(t *testing.T) {
	t.Parallel()
	sb := New(Options{})
	t.Cleanup(sb.Close)
	req, _ := http.NewRequest(http.MethodPost, "http://app.local:8080/sandbox/_api/inbound", nil)
	req.RequestURI = "/sandbox/_api/inbound"
	req.URL.Path = "/_api/inbound" // what http.StripPrefix leaves
	require.Equal(t, "http://app.local:8080/sandbox", sb.publicBase(req))
	req.Header.Set("X-Forwarded-Proto", "https")
	req.Header.Set("X-Forwarded-Host", "switchboard.example")
	require.Equal(t, "https://switchboard.example/sandbox", sb.publicBase(req))

	sb2 := New(Options{PublicURL: "https://fixed.example/sb/"})
	t.Cleanup(sb2.Close)
	require.Equal(t, "https://fixed.example/sb", sb2.publicBase(req))
}

func TestMagic(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		want magic
	}{
		{"ana@example.com", magic{}},
		{"ana+bounce@example.com", magic{bounce: true}},
		{"ana+click@example.com", magic{click: true, open: true}},
		{"ANA+INVALID@example.com", magic{invalid: true}},
		{"x+429@example.com", magic{rateLimit: true}},
		{"+15551230000", magic{invalid: true}},
		{"+15551230429", magic{rateLimit: true}},
		{"+5001234567", magic{}}, // the Falklands are not a server error
		{"5550000500", magic{serverError: true}},
		{"1230001", magic{fail: true}},
		{"1230002", magic{undelivered: true}},
		{"1230003", magic{read: true}},
		{"0000", magic{}}, // too short to be a number with a suffix
	}
	for _, c := range cases {
		require.Equal(t, c.want, magicOf(c.in), c.in)
	}
	for i := range 1000 {
		id := derivedID(string(rune('a'+i%26))+string(rune(i)), 1_000_000_000)
		require.False(t, isMagicNumber(strconv.FormatInt(id, 10)))
	}
}

func TestCloseIsIdempotentAndDropsPending(t *testing.T) {
	t.Parallel()
	sb := New(Options{Seed: 3})
	require.True(t, sb.disp.at(time.Hour, func() {}))
	sb.Close()
	sb.Close()
	require.False(t, sb.disp.at(0, func() {}), "nothing is scheduled after Close")
	_, dropped := sb.disp.pendingCount()
	require.Equal(t, int64(1), dropped)
	require.True(t, errors.Is(validationError([]string{"x"}), errInvalid))
}
