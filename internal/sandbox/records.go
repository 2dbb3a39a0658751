package sandbox

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Message is one message the sandbox accepted from the app (outbound) or
// made a simulated contact send (inbound), as GET /_api/messages lists it.
type Message struct {
	Provider  string `json:"provider"`
	Direction string `json:"direction"` // outbound or inbound
	// ID is the provider's id: X-Message-Id, SM..., message_id, mid.
	ID string `json:"id"`
	// Account is the non-secret identity of the credentials used: the
	// SendGrid key id, the Twilio account SID, the bot id, the IG account.
	Account string `json:"account,omitempty"`
	From    string `json:"from,omitempty"`
	// To is the recipient: an email, an E.164 number, a chat id, an IGSID.
	To          string           `json:"to"`
	Subject     string           `json:"subject,omitempty"`
	Body        string           `json:"body,omitempty"`
	Truncated   bool             `json:"truncated,omitempty"`
	Attachments []AttachmentInfo `json:"attachments,omitempty"`
	// Headers are the extra headers of the message (SendGrid: the
	// personalization's, such as List-Unsubscribe).
	Headers map[string]string `json:"headers,omitempty"`
	// Status is the latest simulated state: accepted, queued, processed,
	// sent, delivered, read, opened, clicked, bounced, dropped, deferred,
	// failed, undelivered, spam, received.
	Status    string        `json:"status"`
	ErrorCode string        `json:"error_code,omitempty"`
	Events    []StatusEvent `json:"events,omitempty"`
	At        time.Time     `json:"at"`
}

// AttachmentInfo describes a file without keeping its bytes.
type AttachmentInfo struct {
	Name        string `json:"name,omitempty"`
	ContentType string `json:"content_type,omitempty"`
	Size        int64  `json:"size"`
	URL         string `json:"url,omitempty"`
	FileID      string `json:"file_id,omitempty"`
}

// StatusEvent is one step of a message's simulated life.
type StatusEvent struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
}

// WebhookRecord is one webhook attempt, as GET /_api/webhooks lists it.
type WebhookRecord struct {
	ID       int64  `json:"id"`
	Provider string `json:"provider"`
	// Kind: event_batch (SendGrid), status (Twilio), inbound (Twilio,
	// Instagram), update (Telegram), delivery or read (Instagram).
	Kind      string    `json:"kind"`
	Target    string    `json:"target"`
	Events    int       `json:"events,omitempty"`
	Attempt   int       `json:"attempt"`
	Status    int       `json:"status"` // 0 when no answer
	LatencyMS float64   `json:"latency_ms"`
	Error     string    `json:"error,omitempty"`
	WillRetry bool      `json:"will_retry,omitempty"`
	Body      string    `json:"body,omitempty"` // the first bytes
	At        time.Time `json:"at"`
}

// Record bounds: a message body or webhook body kept for display.
const (
	maxRecordBody  = 2000
	maxRecordHook  = 1000
	maxEventsKept  = 12
	defaultListMax = 100
)

// clip cuts s to n bytes on a rune boundary.
func clip(s string, n int) (string, bool) {
	if len(s) <= n {
		return s, false
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n], true
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// ring keeps the last len(buf) values added.
type ring[T any] struct {
	mu   sync.Mutex
	buf  []T
	next int
	n    int
}

func newRing[T any](size int) *ring[T] { return &ring[T]{buf: make([]T, size)} }

func (r *ring[T]) add(v T) {
	r.mu.Lock()
	r.buf[r.next] = v
	r.next = (r.next + 1) % len(r.buf)
	if r.n < len(r.buf) {
		r.n++
	}
	r.mu.Unlock()
}

// list returns up to limit values that keep accepts, newest first.
func (r *ring[T]) list(limit int, keep func(*T) bool) []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]T, 0, min(limit, r.n))
	for i := 0; i < r.n && len(out) < limit; i++ {
		v := &r.buf[(r.next-1-i+len(r.buf))%len(r.buf)]
		if keep == nil || keep(v) {
			out = append(out, *v)
		}
	}
	return out
}

func (r *ring[T]) reset() {
	r.mu.Lock()
	clear(r.buf)
	r.next, r.n = 0, 0
	r.mu.Unlock()
}

// messageLog is a ring of messages with an index, so webhooks firing later
// can move a message's status forward.
type messageLog struct {
	mu   sync.Mutex
	buf  []*Message
	next int
	n    int
	byID map[string]*Message
}

func newMessageLog(size int) *messageLog {
	return &messageLog{buf: make([]*Message, size), byID: make(map[string]*Message, size)}
}

func messageKey(provider, id, to string) string { return provider + "\x00" + id + "\x00" + to }

func (l *messageLog) add(m *Message) {
	m.Events = append(m.Events, StatusEvent{Status: m.Status, At: m.At})
	key := messageKey(m.Provider, m.ID, m.To)
	l.mu.Lock()
	if old := l.buf[l.next]; old != nil {
		if k := messageKey(old.Provider, old.ID, old.To); l.byID[k] == old {
			delete(l.byID, k)
		}
	}
	l.buf[l.next] = m
	l.byID[key] = m
	l.next = (l.next + 1) % len(l.buf)
	if l.n < len(l.buf) {
		l.n++
	}
	l.mu.Unlock()
}

// setStatus moves a message to status (when it is still in the log).
func (l *messageLog) setStatus(provider, id, to, status, errorCode string, at time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.byID[messageKey(provider, id, to)]
	if m == nil {
		return
	}
	m.Status = status
	if errorCode != "" {
		m.ErrorCode = errorCode
	}
	if len(m.Events) < maxEventsKept {
		m.Events = append(m.Events, StatusEvent{Status: status, At: at})
	}
}

// addAttachment adds a file found after the send (media Twilio fetched).
func (l *messageLog) addAttachment(provider, id, to string, a AttachmentInfo) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if m := l.byID[messageKey(provider, id, to)]; m != nil {
		m.Attachments = append(m.Attachments[:len(m.Attachments):len(m.Attachments)], a)
	}
}

// MessageFilter narrows GET /_api/messages.
type MessageFilter struct {
	Provider  string
	To        string // exact, case-insensitive; "whatsapp:" ignored
	Direction string
	Limit     int
}

func (l *messageLog) list(f MessageFilter) []Message {
	to := strings.TrimPrefix(f.To, "whatsapp:")
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Message, 0, min(f.Limit, l.n))
	for i := 0; i < l.n && len(out) < f.Limit; i++ {
		m := l.buf[(l.next-1-i+len(l.buf))%len(l.buf)]
		if (f.Provider != "" && m.Provider != f.Provider) ||
			(f.Direction != "" && m.Direction != f.Direction) ||
			(to != "" && !strings.EqualFold(m.To, to)) {
			continue
		}
		c := *m
		// Copies of the slices: the original keeps growing under the lock.
		c.Events = append([]StatusEvent(nil), m.Events...)
		c.Attachments = append([]AttachmentInfo(nil), m.Attachments...)
		out = append(out, c)
	}
	return out
}

func (l *messageLog) reset() {
	l.mu.Lock()
	clear(l.buf)
	clear(l.byID)
	l.next, l.n = 0, 0
	l.mu.Unlock()
}

// record adds a message to the log and counts it.
func (s *Sandbox) record(m *Message) {
	m.Body, m.Truncated = clip(m.Body, maxRecordBody)
	s.messages.add(m)
}

// providerStats are one provider's counters.
type providerStats struct {
	requests     atomic.Int64
	accepted     atomic.Int64
	rejected     atomic.Int64
	rateLimited  atomic.Int64
	serverErrors atomic.Int64
	canceled     atomic.Int64
	inbound      atomic.Int64
	hooksOK      atomic.Int64
	hooksFailed  atomic.Int64
	hookRetries  atomic.Int64
}

func (st *providerStats) reset() {
	for _, c := range []*atomic.Int64{&st.requests, &st.accepted, &st.rejected, &st.rateLimited,
		&st.serverErrors, &st.canceled, &st.inbound, &st.hooksOK, &st.hooksFailed, &st.hookRetries} {
		c.Store(0)
	}
}

// ProviderStats are one provider's counters since start (or reset).
type ProviderStats struct {
	Requests       int64 `json:"requests"`
	Accepted       int64 `json:"accepted"`
	Rejected       int64 `json:"rejected"`
	RateLimited    int64 `json:"rate_limited"`
	ServerErrors   int64 `json:"server_errors"`
	Canceled       int64 `json:"canceled"`
	Inbound        int64 `json:"inbound"`
	WebhooksOK     int64 `json:"webhooks_ok"`
	WebhooksFailed int64 `json:"webhooks_failed"`
	WebhookRetries int64 `json:"webhook_retries"`
}

// Stats is what GET /_api/stats answers.
type Stats struct {
	Providers       map[string]ProviderStats `json:"providers"`
	PendingWebhooks int                      `json:"pending_webhooks"`
	DroppedWebhooks int64                    `json:"dropped_webhooks"`
	FileBytes       int64                    `json:"file_bytes"`
}

// Stats returns the counters.
func (s *Sandbox) Stats() Stats {
	out := Stats{Providers: make(map[string]ProviderStats, len(s.stats))}
	for name, st := range s.stats {
		out.Providers[name] = ProviderStats{
			Requests: st.requests.Load(), Accepted: st.accepted.Load(), Rejected: st.rejected.Load(),
			RateLimited: st.rateLimited.Load(), ServerErrors: st.serverErrors.Load(), Canceled: st.canceled.Load(),
			Inbound: st.inbound.Load(), WebhooksOK: st.hooksOK.Load(), WebhooksFailed: st.hooksFailed.Load(),
			WebhookRetries: st.hookRetries.Load(),
		}
	}
	out.PendingWebhooks, out.DroppedWebhooks = s.disp.pendingCount()
	out.FileBytes = s.files.size()
	return out
}

// Messages returns recorded messages, newest first (Limit 0 means 100).
func (s *Sandbox) Messages(f MessageFilter) []Message {
	if f.Limit <= 0 {
		f.Limit = defaultListMax
	}
	return s.messages.list(f)
}

// Webhooks returns recorded webhook attempts, newest first, of provider
// (all when empty), at most limit (0 means 100).
func (s *Sandbox) Webhooks(provider string, limit int) []WebhookRecord {
	if limit <= 0 {
		limit = defaultListMax
	}
	return s.webhooks.list(limit, func(w *WebhookRecord) bool {
		return provider == "" || w.Provider == provider
	})
}

// Reset empties the message and webhook logs and zeroes the counters;
// registrations and config stay.
func (s *Sandbox) Reset() {
	s.messages.reset()
	s.webhooks.reset()
	for _, st := range s.stats {
		st.reset()
	}
}
