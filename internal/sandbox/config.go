package sandbox

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// Config is the sandbox's behaviour, one Behaviour per provider. It is
// read and replaced through GET and PUT /_api/config.
type Config struct {
	SendGrid  Behaviour `json:"sendgrid"`
	Twilio    Behaviour `json:"twilio"`
	Telegram  Behaviour `json:"telegram"`
	Instagram Behaviour `json:"instagram"`
}

// Behaviour is how one simulated provider answers and what happens to the
// messages it accepts.
type Behaviour struct {
	// LatencyMS is the answer delay: fixed, or the median when
	// LatencyP99MS is larger (then the delay is lognormal).
	LatencyMS float64 `json:"latency_ms"`
	// LatencyP99MS is the 99th percentile of a lognormal delay; 0 = fixed.
	LatencyP99MS float64 `json:"latency_p99_ms"`
	// Rate429 is the share of calls answered 429.
	Rate429 float64 `json:"rate_429"`
	// Rate5xx is the share of calls answered 500, 502 or 503.
	Rate5xx float64 `json:"rate_5xx"`
	// RetryAfterS is the wait a 429 asks for, in seconds.
	RetryAfterS int `json:"retry_after_s"`
	// WebhookDelayMS spaces the webhooks of one message (processed,
	// delivered, open...): the nth fires about n times this after the send.
	WebhookDelayMS int `json:"webhook_delay_ms"`
	// Outcomes are the probabilities of what happens to accepted messages.
	Outcomes Outcomes `json:"outcomes"`
}

// Outcomes weigh what happens to an accepted message. The terminal ones
// are weights, normalised among a provider's own (SendGrid: delivered,
// bounce, dropped, deferred; Twilio: delivered, failed, undelivered); all
// zero means delivered. Open, Click (of opened), Spam (of delivered) and
// Read (of delivered) are plain probabilities.
type Outcomes struct {
	Delivered   float64 `json:"delivered"`
	Bounce      float64 `json:"bounce"`
	Dropped     float64 `json:"dropped"`
	Deferred    float64 `json:"deferred"`
	Open        float64 `json:"open"`
	Click       float64 `json:"click"`
	Spam        float64 `json:"spam"`
	Read        float64 `json:"read"`
	Failed      float64 `json:"failed"`
	Undelivered float64 `json:"undelivered"`
}

// DefaultConfig answers at once, never injects errors, spaces webhooks by
// 200 ms, and loses a few messages the way real traffic does.
func DefaultConfig() Config {
	b := Behaviour{
		RetryAfterS:    1,
		WebhookDelayMS: 200,
		Outcomes: Outcomes{
			Delivered: 0.97, Bounce: 0.02, Dropped: 0.005, Deferred: 0.005,
			Open: 0.5, Click: 0.2, Spam: 0.002,
			Read: 0.7, Failed: 0.015, Undelivered: 0.015,
		},
	}
	return Config{SendGrid: b, Twilio: b, Telegram: b, Instagram: b}
}

// For returns the behaviour of provider (zero for an unknown name).
func (c *Config) For(provider string) Behaviour {
	switch provider {
	case ProviderSendGrid:
		return c.SendGrid
	case ProviderTwilio:
		return c.Twilio
	case ProviderTelegram:
		return c.Telegram
	case ProviderInstagram:
		return c.Instagram
	}
	return Behaviour{}
}

// Validate reports every out-of-range value.
func (c *Config) Validate() error {
	var errs []error
	for _, p := range providerNames {
		if err := c.For(p).validate(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// maxLatencyMS bounds configured latencies: a minute is already absurd.
const maxLatencyMS = 60_000

func (b Behaviour) validate() error {
	var errs []error
	if b.LatencyMS < 0 || b.LatencyMS > maxLatencyMS {
		errs = append(errs, fmt.Errorf("latency_ms must be within 0..%d", maxLatencyMS))
	}
	if b.LatencyP99MS < 0 || b.LatencyP99MS > maxLatencyMS {
		errs = append(errs, fmt.Errorf("latency_p99_ms must be within 0..%d", maxLatencyMS))
	}
	if b.LatencyP99MS > 0 && b.LatencyP99MS < b.LatencyMS {
		errs = append(errs, errors.New("latency_p99_ms must be at least latency_ms"))
	}
	if b.RetryAfterS < 0 || b.RetryAfterS > 3600 {
		errs = append(errs, errors.New("retry_after_s must be within 0..3600"))
	}
	if b.WebhookDelayMS < 0 || b.WebhookDelayMS > 600_000 {
		errs = append(errs, errors.New("webhook_delay_ms must be within 0..600000"))
	}
	if b.Rate429+b.Rate5xx > 1 {
		errs = append(errs, errors.New("rate_429 + rate_5xx must not exceed 1"))
	}
	o := b.Outcomes
	for name, p := range map[string]float64{
		"rate_429": b.Rate429, "rate_5xx": b.Rate5xx,
		"outcomes.delivered": o.Delivered, "outcomes.bounce": o.Bounce, "outcomes.dropped": o.Dropped,
		"outcomes.deferred": o.Deferred, "outcomes.open": o.Open, "outcomes.click": o.Click,
		"outcomes.spam": o.Spam, "outcomes.read": o.Read, "outcomes.failed": o.Failed,
		"outcomes.undelivered": o.Undelivered,
	} {
		if p < 0 || p > 1 || math.IsNaN(p) {
			errs = append(errs, fmt.Errorf("%s must be a probability within 0..1", name))
		}
	}
	return errors.Join(errs...)
}

// z99 is the standard normal's 99th percentile.
const z99 = 2.3263478740408408

// sampleLatency draws one answer delay.
func (b Behaviour) sampleLatency(d *dice) time.Duration {
	if b.LatencyMS <= 0 {
		return 0
	}
	ms := b.LatencyMS
	if b.LatencyP99MS > b.LatencyMS {
		// Lognormal with median p50: p99 = p50·e^(z99·σ).
		sigma := math.Log(b.LatencyP99MS/b.LatencyMS) / z99
		ms = b.LatencyMS * math.Exp(sigma*d.norm())
		// The tail beyond 10×p99 is noise that would only stall a run.
		ms = math.Min(ms, 10*b.LatencyP99MS)
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// webhookDelay is the spacing of one message's webhooks.
func (b Behaviour) webhookDelay() time.Duration {
	return time.Duration(b.WebhookDelayMS) * time.Millisecond
}

// dice is the sandbox's seeded random source. One mutex is enough: a draw
// takes nanoseconds and nothing sleeps while holding it.
type dice struct {
	mu sync.Mutex
	r  *rand.Rand
}

func newDice(seed int64) *dice {
	return &dice{r: rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))}
}

// chance reports true with probability p.
func (d *dice) chance(p float64) bool {
	if p <= 0 {
		return false
	}
	if p >= 1 {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.r.Float64() < p
}

// float returns a uniform value in [0, 1).
func (d *dice) float() float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.r.Float64()
}

// norm returns a standard normal value.
func (d *dice) norm() float64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.r.NormFloat64()
}

// intn returns a uniform int in [0, n).
func (d *dice) intn(n int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.r.IntN(n)
}

// pick returns the index of the weight chosen in proportion to weights,
// or -1 when they are all zero.
func (d *dice) pick(weights ...float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	if total <= 0 {
		return -1
	}
	x := d.float() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}
