// Package providers holds what the provider adapters (sendgrid, twilio,
// telegram, instagram) share: the error model, the HTTP client they are built
// with, and the shapes of an attachment and of an accepted message.
//
// The error model: every adapter call that fails returns a *Error, whatever
// went wrong (a refused request, a timeout, a bad credential caught before
// sending). Its Kind tells the caller what to do with the job:
//
//   - KindRetryable: no answer (network error, timeout) or a 5xx; try again
//     with backoff.
//   - KindRateLimited: the provider said 429 (or its own "too many calls"
//     code); wait RetryAfter when it is known, then try again without using up
//     an attempt.
//   - KindPermanent: any other refusal (4xx, an invalid recipient, a missing
//     scope, a message the provider can't take); retrying can't help, fail the
//     message with Code and Reason.
//
// Status, Code and Reason come from the provider's own error body, parsed by
// each adapter, so that what the user sees is the provider's explanation.
package providers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Kind says what a caller should do after a failed provider call.
type Kind string

// The kinds of failure; see the package doc.
const (
	KindRetryable   Kind = "retryable"
	KindRateLimited Kind = "rate_limited"
	KindPermanent   Kind = "permanent"
)

// Error is what every adapter returns for a failed call.
type Error struct {
	Provider   string        // "sendgrid", "twilio", "telegram", "instagram"
	Operation  string        // "send", "check", "set_webhook", "get_file", ...
	Kind       Kind          // what the caller should do about it
	Status     int           // HTTP status; 0 when there was no answer (timeout, network) or the adapter refused before sending
	Code       string        // the provider's error code when it gives one ("21211", "100", ...)
	Reason     string        // the provider's human message
	RetryAfter time.Duration // for KindRateLimited (from Retry-After or the provider's body); 0 when unknown
	Err        error         // the underlying error, if any
}

// Error renders the failure in one line, for logs and for the reason stored
// on a failed message. It never includes credentials.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Provider)
	if e.Operation != "" {
		b.WriteString(" ")
		b.WriteString(e.Operation)
	}
	b.WriteString(": ")
	b.WriteString(string(e.Kind))
	var detail []string
	if e.Status != 0 {
		detail = append(detail, "status "+strconv.Itoa(e.Status))
	}
	if e.Code != "" {
		detail = append(detail, "code "+e.Code)
	}
	if e.RetryAfter > 0 {
		detail = append(detail, "retry after "+e.RetryAfter.String())
	}
	if len(detail) > 0 {
		b.WriteString(" (" + strings.Join(detail, ", ") + ")")
	}
	switch {
	case e.Reason != "":
		b.WriteString(": ")
		b.WriteString(e.Reason)
	case e.Err != nil:
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap gives errors.Is and errors.As access to the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// AsError finds a *Error in err's chain.
func AsError(err error) (*Error, bool) {
	var pe *Error
	if errors.As(err, &pe) {
		return pe, true
	}
	return nil, false
}

// Classify maps an HTTP answer or a transport error to a Kind: a transport
// error, a timeout, a 408 or a 5xx is retryable; 429 is rate limited; any
// other 4xx is permanent. A status below 400 with no error is not a failure
// of the request itself; it is called permanent because an adapter only
// classifies answers it could not use (an unexpected redirect, say).
func Classify(status int, err error) Kind {
	switch {
	case status == 0 && err != nil:
		return KindRetryable
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status == http.StatusRequestTimeout, status >= 500:
		return KindRetryable
	default:
		return KindPermanent
	}
}

// IsTimeout reports whether err is a timeout: a context deadline, a client
// timeout or a network timeout.
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// TransportError builds the error for a call that got no answer at all.
// It is always retryable: the request may not have reached the provider,
// and a provider that did get it dedupes nothing for us, so callers that
// can't tolerate a duplicate must check before retrying.
func TransportError(provider, op string, err error) *Error {
	reason := "network error"
	if IsTimeout(err) {
		reason = "timed out"
	}
	if errors.Is(err, context.Canceled) {
		reason = "canceled"
	}
	return &Error{Provider: provider, Operation: op, Kind: KindRetryable, Reason: reason + ": " + err.Error(), Err: err}
}

// ParseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
// It returns 0 when h is empty, malformed or in the past.
func ParseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.ParseFloat(h, 64); err == nil {
		if secs <= 0 || secs > 365*24*3600 {
			return 0
		}
		return time.Duration(secs * float64(time.Second))
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// MaxErrorBody is how much of an error answer adapters read: provider error
// bodies are small, and an HTML error page from a proxy needn't be kept whole.
const MaxErrorBody = 64 << 10

// ReadErrorBody reads at most MaxErrorBody bytes of r.
func ReadErrorBody(r io.Reader) []byte {
	b, _ := io.ReadAll(io.LimitReader(r, MaxErrorBody))
	return b
}

// Snippet shortens an unparseable error body to something fit for Reason.
func Snippet(body []byte) string {
	s := strings.TrimSpace(string(body))
	const max = 200
	if len(s) > max {
		s = s[:max] + "..."
	}
	return s
}

// DefaultTimeout is the per-request timeout adapters use when New is given
// no client: long enough for a 25 MB upload, short enough that a hung
// provider frees the worker.
const DefaultTimeout = 30 * time.Second

// NewHTTPClient returns a client for provider calls: a whole-request timeout
// and a transport sized for many concurrent calls to the same host (the
// defaults keep only 2 idle connections per host, so a busy queue would
// reconnect all the time). Twilio wants followRedirects false: a redirect
// there means a misconfigured base URL, not something to follow with
// credentials.
func NewHTTPClient(timeout time.Duration, followRedirects bool) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	t.IdleConnTimeout = 90 * time.Second
	t.TLSHandshakeTimeout = 10 * time.Second
	t.ExpectContinueTimeout = time.Second
	hc := &http.Client{Transport: t, Timeout: timeout}
	if !followRedirects {
		hc.CheckRedirect = NoRedirects
	}
	return hc
}

// NoRedirects is an http.Client CheckRedirect that hands the redirect answer
// back to the caller instead of following it.
func NoRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Attachment is a file sent with a message. Providers that fetch media
// themselves (Twilio, Instagram) use URL; those that take the bytes
// (SendGrid, Telegram) call Open.
type Attachment struct {
	Filename    string
	ContentType string
	Size        int64
	URL         string                        // signed, expiring URL the provider fetches (Twilio, Instagram)
	Open        func() (io.ReadCloser, error) // the bytes (SendGrid base64, Telegram multipart)
}

// Sent is a provider's acceptance of a message.
type Sent struct {
	MessageID string // the provider's id for the message, used to match its webhooks
	Status    int    // the HTTP status of the acceptance
}

// Errorf builds a permanent error found before or after the call itself
// (a message the adapter can't build, an answer it can't read).
func Errorf(provider, op, code, format string, args ...any) *Error {
	return &Error{Provider: provider, Operation: op, Kind: KindPermanent, Code: code, Reason: fmt.Sprintf(format, args...)}
}

// OpenAttachment opens a's bytes. A missing file is a permanent failure (the
// message can never be sent as written); any other storage error is
// retryable, since storage is usually only briefly unavailable.
func OpenAttachment(provider, op string, a *Attachment) (io.ReadCloser, error) {
	if a.Open == nil {
		return nil, Errorf(provider, op, "attachment", "attachment %q has no content", a.Filename)
	}
	rc, err := a.Open()
	if err != nil {
		kind := KindRetryable
		if errors.Is(err, fs.ErrNotExist) {
			kind = KindPermanent
		}
		return nil, &Error{Provider: provider, Operation: op, Kind: kind, Code: "attachment",
			Reason: fmt.Sprintf("opening attachment %q: %v", a.Filename, err), Err: err}
	}
	return rc, nil
}
