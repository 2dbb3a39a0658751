package sandbox

import (
	"bytes"
	"container/heap"
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// task is work for the webhook workers: an HTTP delivery, or fetching the
// media of a Twilio send.
type task interface {
	run(ctx context.Context, s *Sandbox)
}

// timed is a task or a quick callback due at a time. Callbacks run on the
// scheduler goroutine and must not block: they move statuses, feed the
// SendGrid batcher or schedule deliveries.
type timed struct {
	due  time.Time
	seq  uint64
	task task
	fn   func()
}

type timedHeap []*timed

func (h timedHeap) Len() int { return len(h) }
func (h timedHeap) Less(i, j int) bool {
	if h[i].due.Equal(h[j].due) {
		return h[i].seq < h[j].seq
	}
	return h[i].due.Before(h[j].due)
}
func (h timedHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timedHeap) Push(x any)   { *h = append(*h, x.(*timed)) }
func (h *timedHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return it
}

// dispatcher fires webhooks the way providers do: later, from a bounded
// pool of workers, retrying on failure. One goroutine owns the clock (a
// heap of due items and one timer), so a burst of sends costs heap entries,
// not timers or goroutines.
type dispatcher struct {
	s     *Sandbox
	mu    sync.Mutex
	heap  timedHeap
	seq   uint64
	wake  chan struct{}
	queue chan task

	closed  bool
	done    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	dropped atomic.Int64
	ids     atomic.Int64
}

func newDispatcher(s *Sandbox) *dispatcher {
	ctx, cancel := context.WithCancel(context.Background())
	d := &dispatcher{
		s:      s,
		wake:   make(chan struct{}, 1),
		queue:  make(chan task, 4*s.opts.WebhookWorkers),
		done:   make(chan struct{}),
		ctx:    ctx,
		cancel: cancel,
	}
	d.wg.Add(1 + s.opts.WebhookWorkers)
	go d.loop()
	for range s.opts.WebhookWorkers {
		go d.work()
	}
	return d
}

// at schedules fn after delay; false when full or closed (the item is
// dropped and counted).
func (d *dispatcher) at(delay time.Duration, fn func()) bool {
	return d.push(&timed{due: time.Now().Add(delay), fn: fn})
}

// later schedules t for the workers after delay.
func (d *dispatcher) later(delay time.Duration, t task) bool {
	return d.push(&timed{due: time.Now().Add(delay), task: t})
}

func (d *dispatcher) push(it *timed) bool {
	d.mu.Lock()
	if d.closed || len(d.heap) >= d.s.opts.MaxPending {
		d.mu.Unlock()
		d.dropped.Add(1)
		return false
	}
	d.seq++
	it.seq = d.seq
	heap.Push(&d.heap, it)
	first := d.heap[0] == it
	d.mu.Unlock()
	if first {
		select {
		case d.wake <- struct{}{}:
		default:
		}
	}
	return true
}

func (d *dispatcher) pendingCount() (int, int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.heap), d.dropped.Load()
}

func (d *dispatcher) loop() {
	defer d.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		d.mu.Lock()
		var next *timed
		wait := time.Duration(-1)
		if len(d.heap) > 0 {
			if w := time.Until(d.heap[0].due); w <= 0 {
				next = heap.Pop(&d.heap).(*timed)
			} else {
				wait = w
			}
		}
		d.mu.Unlock()

		if next != nil {
			if next.fn != nil {
				next.fn()
				continue
			}
			// A full queue holds the clock back: that is the backpressure
			// that keeps memory bounded when targets are slow.
			select {
			case d.queue <- next.task:
			case <-d.done:
				return
			}
			continue
		}
		if wait < 0 {
			select {
			case <-d.wake:
			case <-d.done:
				return
			}
			continue
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-d.wake:
		case <-d.done:
			return
		}
	}
}

func (d *dispatcher) work() {
	defer d.wg.Done()
	for {
		select {
		case t := <-d.queue:
			t.run(d.ctx, d.s)
		case <-d.done:
			return
		}
	}
}

func (d *dispatcher) close() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	d.heap = nil
	d.mu.Unlock()
	close(d.done)
	d.cancel()
	d.wg.Wait()
}

// delivery is one webhook: a POST of body to target, signed afresh on each
// attempt (signatures carry timestamps that receivers check for staleness).
type delivery struct {
	provider    string
	kind        string
	target      string
	body        []byte
	contentType string
	events      int
	// sign returns the headers that authenticate body; nil for none.
	sign    func(body []byte, now time.Time) http.Header
	attempt int
}

// maxAnswerRead bounds how much of a webhook answer is read (and dropped)
// so connections can be reused.
const maxAnswerRead = 64 << 10

func (dl *delivery) run(ctx context.Context, s *Sandbox) {
	dl.attempt++
	rec := WebhookRecord{
		ID: s.disp.ids.Add(1), Provider: dl.provider, Kind: dl.kind, Target: dl.target,
		Events: dl.events, Attempt: dl.attempt, At: s.now(),
	}
	rec.Body, _ = clip(string(dl.body), maxRecordHook)

	start := time.Now()
	status, err := dl.post(ctx, s)
	rec.Status = status
	rec.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	if err != nil {
		rec.Error = err.Error()
	} else if status < 200 || status > 299 {
		rec.Error = http.StatusText(status)
	}
	st := s.stats[dl.provider]
	retryable := err != nil || status >= 500 || status == http.StatusTooManyRequests
	if rec.Error == "" {
		st.hooksOK.Add(1)
	} else {
		st.hooksFailed.Add(1)
		if retryable && dl.attempt < s.opts.WebhookAttempts && ctx.Err() == nil {
			rec.WillRetry = true
		}
	}
	if rec.Error != "" {
		ev := s.log.Debug()
		if !rec.WillRetry {
			// Given up: worth a line, but sampled so a dead app cannot flood the log.
			ev = s.hookLog.Warn()
		}
		ev.Str("provider", dl.provider).Str("kind", dl.kind).Str("target", dl.target).
			Int("status", status).Int("attempt", dl.attempt).Str("error", rec.Error).Msg("sandbox webhook failed")
	}
	s.webhooks.add(rec)
	if rec.WillRetry {
		st.hookRetries.Add(1)
		// Last: from here on another worker may own dl.
		s.disp.later(s.opts.WebhookBackoff<<(dl.attempt-1), dl)
	}
}

// post sends the webhook once and returns the answer's status.
func (dl *delivery) post(ctx context.Context, s *Sandbox) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, dl.target, bytes.NewReader(dl.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", dl.contentType)
	req.Header.Set("User-Agent", userAgents[dl.provider])
	if dl.sign != nil {
		for k, vs := range dl.sign(dl.body, s.now()) {
			req.Header[k] = vs
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxAnswerRead))
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// userAgents are what each provider's webhook senders call themselves.
var userAgents = map[string]string{
	ProviderSendGrid:  "SendGrid Event API",
	ProviderTwilio:    "TwilioProxy/1.1",
	ProviderTelegram:  "TelegramBot (like TwitterBot)",
	ProviderInstagram: "facebookexternalua",
}

// deliver schedules a webhook for the workers after delay.
func (s *Sandbox) deliver(delay time.Duration, dl *delivery) {
	if !s.disp.later(delay, dl) {
		s.warnDropped()
	}
}

// warnDropped logs dropped webhooks at 1, 2, 4, 8... so a flood is seen
// without flooding the log.
func (s *Sandbox) warnDropped() {
	if n := s.disp.dropped.Load(); n&(n-1) == 0 {
		s.log.Warn().Int64("dropped", n).Msg("sandbox webhooks dropped: too many pending (MaxPending) or closed")
	}
}
