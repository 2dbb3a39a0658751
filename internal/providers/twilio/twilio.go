// Package twilio sends WhatsApp messages through Twilio's Messages API with
// the official twilio-go library, and reads Twilio's signed status and
// inbound-message webhooks.
//
// twilio-go has no base-URL setting and always calls https://api.twilio.com
// with a background context, so each call gets an http.Client whose
// transport rewrites scheme, host and path prefix to the configured base URL,
// ties the request to the caller's context, and records the answer's status
// and headers (the library keeps neither on its error).
//
// Every failed call returns a *providers.Error (see package providers for
// the error model); Twilio's error body is {"code","message","more_info",
// "status"}, 429 coming as code 20429.
package twilio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/switchboard/switchboard/internal/providers"
)

// Provider is the name this adapter gives in errors.
const Provider = "twilio"

// DefaultBaseURL is Twilio's REST API root.
const DefaultBaseURL = "https://api.twilio.com"

// Client calls Twilio's API. It holds no credentials: each call takes an
// organization's. Safe for concurrent use.
type Client struct {
	base *url.URL
	hc   *http.Client
	now  func() time.Time
}

// New returns a client for the API at baseURL (DefaultBaseURL when empty; in
// sandbox mode <PUBLIC_BASE_URL>/sandbox/twilio), calling it through hc's
// transport and timeout (a providers.NewHTTPClient when nil). Redirects are
// never followed, whatever hc says: a redirect means a wrong base URL, and
// following it would send the credentials elsewhere.
func New(baseURL string, hc *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		// A broken base URL is a configuration error; calls will fail with it.
		u = &url.URL{Scheme: "invalid", Host: "invalid-base-url"}
	}
	if hc == nil {
		hc = providers.NewHTTPClient(providers.DefaultTimeout, false)
	}
	return &Client{base: u, hc: hc, now: time.Now}
}

// Credentials are an organization's Twilio account and WhatsApp sender.
type Credentials struct {
	AccountSID string
	AuthToken  string
	From       string // the WhatsApp sender in E.164 ("+14155238886"); the adapter adds "whatsapp:"
}

// Message is one WhatsApp message.
type Message struct {
	To             string // E.164
	Body           string
	MediaURL       string // a URL Twilio fetches (one media item per WhatsApp message)
	StatusCallback string // where Twilio posts the message's status changes
}

// Send creates the message. MessageID is Twilio's SID ("SM...").
func (c *Client) Send(ctx context.Context, cr Credentials, m Message) (providers.Sent, error) {
	const op = "send"
	if err := checkCredentials(op, cr); err != nil {
		return providers.Sent{}, err
	}
	switch {
	case cr.From == "":
		return providers.Sent{}, providers.Errorf(Provider, op, "credentials", "no WhatsApp sender number")
	case m.To == "":
		return providers.Sent{}, providers.Errorf(Provider, op, "invalid_message", "no recipient")
	case m.Body == "" && m.MediaURL == "":
		return providers.Sent{}, providers.Errorf(Provider, op, "invalid_message", "no body and no media")
	}
	params := &api.CreateMessageParams{}
	params.SetPathAccountSid(cr.AccountSID)
	params.SetFrom(whatsapp(cr.From))
	params.SetTo(whatsapp(m.To))
	if m.Body != "" {
		params.SetBody(m.Body)
	}
	if m.MediaURL != "" {
		params.SetMediaUrl([]string{m.MediaURL})
	}
	if m.StatusCallback != "" {
		params.SetStatusCallback(m.StatusCallback)
	}
	svc, rec := c.service(ctx, cr)
	msg, err := svc.CreateMessage(params)
	if err := c.callError(op, rec, err); err != nil {
		return providers.Sent{}, err
	}
	if msg.Sid == nil || *msg.Sid == "" {
		return providers.Sent{}, &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindPermanent,
			Status: rec.status, Code: "bad_response", Reason: "Twilio accepted the message but gave no sid"}
	}
	return providers.Sent{MessageID: *msg.Sid, Status: rec.status}, nil
}

// Check fetches the account, which proves the SID and token.
func (c *Client) Check(ctx context.Context, cr Credentials) error {
	const op = "check"
	if err := checkCredentials(op, cr); err != nil {
		return err
	}
	svc, rec := c.service(ctx, cr)
	_, err := svc.FetchAccount(cr.AccountSID)
	if err := c.callError(op, rec, err); err != nil {
		return err
	}
	return nil
}

var alphanumeric = regexp.MustCompile(`^[a-zA-Z0-9]+$`)

// checkCredentials catches, with a clear reason, what twilio-go would refuse
// before sending (non-alphanumeric credentials, as its errors 21222 and
// 21224) or send without authentication (empty ones).
func checkCredentials(op string, cr Credentials) *providers.Error {
	switch {
	case !alphanumeric.MatchString(cr.AccountSID):
		return providers.Errorf(Provider, op, "21222", "the account SID must be non-empty and alphanumeric (twilio-go refuses anything else)")
	case !alphanumeric.MatchString(cr.AuthToken):
		return providers.Errorf(Provider, op, "21224", "the auth token must be non-empty and alphanumeric (twilio-go refuses anything else)")
	}
	return nil
}

// whatsapp turns an E.164 number into a WhatsApp address.
func whatsapp(number string) string {
	if strings.HasPrefix(number, "whatsapp:") {
		return number
	}
	return "whatsapp:" + number
}

// recorder keeps what the transport saw of the answer, for the error mapping.
type recorder struct {
	status int
	header http.Header
	body   []byte // of error answers only
}

// service returns the v2010 API bound to cr, whose requests go to c.base
// under ctx, and the recorder of the answer.
func (c *Client) service(ctx context.Context, cr Credentials) (*api.ApiService, *recorder) {
	rec := &recorder{}
	next := c.hc.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	tc := &client.Client{
		Credentials: client.NewCredentials(cr.AccountSID, cr.AuthToken),
		HTTPClient: &http.Client{
			Transport:     &rewriter{base: c.base, next: next, ctx: ctx, rec: rec},
			Timeout:       c.hc.Timeout,
			Jar:           c.hc.Jar,
			CheckRedirect: providers.NoRedirects,
		},
	}
	tc.SetAccountSid(cr.AccountSID)
	// A RequestHandler built by hand: NewRequestHandler would read the
	// TWILIO_EDGE and TWILIO_REGION variables and change the host.
	return api.NewApiService(&client.RequestHandler{Client: tc}), rec
}

// rewriter sends twilio-go's requests to the base URL, cancels them with the
// caller's context, and records the answer.
type rewriter struct {
	base *url.URL
	next http.RoundTripper
	ctx  context.Context
	rec  *recorder
}

// RoundTrip implements http.RoundTripper.
func (t *rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	// The request's own context carries the http.Client's timeout; the
	// caller's context is added on top, so either can end the call.
	ctx, cancel := context.WithCancelCause(req.Context())
	stop := context.AfterFunc(t.ctx, func() { cancel(context.Cause(t.ctx)) })
	done := func() { stop(); cancel(nil) }

	r := req.Clone(ctx)
	r.URL.Scheme = t.base.Scheme
	r.URL.Host = t.base.Host
	r.URL.Path = t.base.Path + req.URL.Path
	r.URL.RawPath = ""
	r.Host = ""
	res, err := t.next.RoundTrip(r)
	if err != nil {
		done()
		if cause := context.Cause(ctx); cause != nil && t.ctx.Err() != nil {
			return nil, cause
		}
		return nil, err
	}
	t.rec.status = res.StatusCode
	t.rec.header = res.Header
	if res.StatusCode >= 300 {
		t.rec.body = providers.ReadErrorBody(res.Body)
		res.Body.Close()
		done()
		res.Body = io.NopCloser(bytes.NewReader(t.rec.body))
		return res, nil
	}
	res.Body = &doneBody{ReadCloser: res.Body, done: done}
	return res, nil
}

// doneBody releases the request's context once the library has read the answer.
type doneBody struct {
	io.ReadCloser
	done func()
}

// Close implements io.Closer.
func (b *doneBody) Close() error {
	err := b.ReadCloser.Close()
	b.done()
	return err
}

// restError is Twilio's error body.
type restError struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

// callError maps the outcome of one twilio-go call, given what the
// transport recorded, to a *providers.Error (nil for a usable 2xx).
func (c *Client) callError(op string, rec *recorder, err error) *providers.Error {
	if rec.status == 0 {
		if err == nil {
			return nil // not reached: a nil error means an answer came
		}
		var te *client.TwilioRestError
		if errors.As(err, &te) {
			// Refused by twilio-go itself, before sending.
			return &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindPermanent,
				Code: strconv.Itoa(te.Code), Reason: te.Message + " (twilio-go accepts only alphanumeric credentials)", Err: err}
		}
		return providers.TransportError(Provider, op, err)
	}
	if rec.status >= 200 && rec.status < 300 {
		if err != nil {
			// Accepted, but the answer is unreadable; sending again could
			// duplicate the message.
			return &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindPermanent,
				Status: rec.status, Code: "bad_response", Reason: "unreadable answer: " + err.Error(), Err: err}
		}
		return nil
	}
	e := &providers.Error{Provider: Provider, Operation: op, Kind: providers.Classify(rec.status, nil), Status: rec.status, Err: err}
	if rec.status < 400 {
		e.Code = "redirect"
		e.Reason = "unexpected redirect to " + rec.header.Get("Location") + " (check the base URL)"
		return e
	}
	var te *client.TwilioRestError
	var body restError
	switch {
	case errors.As(err, &te) && (te.Code != 0 || te.Message != ""):
		e.Code, e.Reason = strconv.Itoa(te.Code), te.Message
	case json.Unmarshal(rec.body, &body) == nil && (body.Code != 0 || body.Message != ""):
		e.Code, e.Reason = strconv.Itoa(body.Code), body.Message
	default:
		e.Reason = providers.Snippet(rec.body)
	}
	if e.Code == "0" {
		e.Code = ""
	}
	if e.Reason == "" {
		e.Reason = http.StatusText(rec.status)
	}
	if e.Kind == providers.KindRateLimited {
		e.RetryAfter = providers.ParseRetryAfter(rec.header.Get("Retry-After"), c.now())
	}
	return e
}
