// Package sendgrid sends email through SendGrid's v3 API with the official
// sendgrid-go library (helpers/mail builds the body; requests go through our
// own rest.Client, never the library's process-wide default), and reads
// SendGrid's signed event webhook.
//
// Every failed call returns a *providers.Error (see package providers for
// the error model); SendGrid's error body is {"errors":[{"message","field"}]}.
package sendgrid

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sendgrid/rest"
	sg "github.com/sendgrid/sendgrid-go"
	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
	"github.com/sendgrid/sendgrid-go/helpers/mail"

	"github.com/switchboard/switchboard/internal/providers"
)

// Provider is the name this adapter gives in errors.
const Provider = "sendgrid"

// DefaultBaseURL is SendGrid's API root.
const DefaultBaseURL = "https://api.sendgrid.com"

// MaxMessageBytes is SendGrid's limit on a whole message (30 MB); the
// attachments are checked against it, base64 included, before sending.
const MaxMessageBytes = 30 << 20

// Client calls SendGrid's API. It holds no credentials: each call takes them,
// since every organization has its own key. Safe for concurrent use.
type Client struct {
	host string
	rc   rest.Client
	now  func() time.Time
}

// New returns a client for the API at baseURL (DefaultBaseURL when empty; the
// sandbox's <PUBLIC_BASE_URL>/sandbox/sendgrid in sandbox mode), calling it
// with hc (a providers.NewHTTPClient when nil).
func New(baseURL string, hc *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if hc == nil {
		hc = providers.NewHTTPClient(providers.DefaultTimeout, true)
	}
	return &Client{host: strings.TrimRight(baseURL, "/"), rc: rest.Client{HTTPClient: hc}, now: time.Now}
}

// Credentials are an organization's SendGrid API key and verified sender.
type Credentials struct {
	APIKey    string
	FromEmail string
	FromName  string
}

// Message is one email to one recipient.
type Message struct {
	To, ToName  string
	Subject     string
	HTML, Text  string
	ReplyTo     string
	Headers     map[string]string // e.g. List-Unsubscribe and List-Unsubscribe-Post
	Attachments []providers.Attachment
	CustomArgs  map[string]string // come back on every event of this message
	Categories  []string
}

// Send posts m to /v3/mail/send. SendGrid answers 202 with an empty body;
// the message id is the X-Message-Id header, which events carry as the
// prefix of sg_message_id.
func (c *Client) Send(ctx context.Context, cr Credentials, m Message) (providers.Sent, error) {
	const op = "send"
	body, err := c.buildMail(cr, m)
	if err != nil {
		return providers.Sent{}, err
	}
	req := sg.GetRequest(cr.APIKey, "/v3/mail/send", c.host)
	req.Method = rest.Post
	req.Body = body
	res, err := c.do(ctx, op, req)
	if err != nil {
		return providers.Sent{}, err
	}
	id := http.Header(res.Headers).Get("X-Message-Id")
	if id == "" {
		// Without the id no event can ever be matched to the message; but
		// SendGrid did accept it, so sending again would duplicate the email.
		return providers.Sent{Status: res.StatusCode}, &providers.Error{Provider: Provider, Operation: op,
			Kind: providers.KindPermanent, Status: res.StatusCode, Code: "no_message_id",
			Reason: "SendGrid accepted the message but gave no X-Message-Id"}
	}
	return providers.Sent{MessageID: id, Status: res.StatusCode}, nil
}

// buildMail renders m as a v3 mail body with helpers/mail.
func (c *Client) buildMail(cr Credentials, m Message) ([]byte, error) {
	const op = "send"
	switch {
	case cr.APIKey == "":
		return nil, providers.Errorf(Provider, op, "credentials", "no API key")
	case cr.FromEmail == "":
		return nil, providers.Errorf(Provider, op, "credentials", "no sender address")
	case m.To == "":
		return nil, providers.Errorf(Provider, op, "invalid_message", "no recipient")
	case m.Text == "" && m.HTML == "":
		return nil, providers.Errorf(Provider, op, "invalid_message", "no content")
	}
	em := mail.NewV3Mail()
	em.SetFrom(mail.NewEmail(cr.FromName, cr.FromEmail))
	em.Subject = m.Subject
	p := mail.NewPersonalization()
	p.AddTos(mail.NewEmail(m.ToName, m.To))
	em.AddPersonalizations(p)
	// SendGrid requires text/plain, when present, to come before text/html.
	if m.Text != "" {
		em.AddContent(mail.NewContent("text/plain", m.Text))
	}
	if m.HTML != "" {
		em.AddContent(mail.NewContent("text/html", m.HTML))
	}
	if m.ReplyTo != "" {
		em.SetReplyTo(mail.NewEmail("", m.ReplyTo))
	}
	for k, v := range m.Headers {
		em.SetHeader(k, v)
	}
	for k, v := range m.CustomArgs {
		em.SetCustomArg(k, v)
	}
	if len(m.Categories) > 0 {
		em.AddCategories(m.Categories...)
	}
	total := len(m.Subject) + len(m.Text) + len(m.HTML)
	for i := range m.Attachments {
		a := &m.Attachments[i]
		data, err := readAttachment(op, a, MaxMessageBytes)
		if err != nil {
			return nil, err
		}
		total += base64.StdEncoding.EncodedLen(len(data))
		if total > MaxMessageBytes {
			return nil, providers.Errorf(Provider, op, "too_large", "message with attachments exceeds SendGrid's 30 MB limit")
		}
		ct := a.ContentType
		if ct == "" {
			ct = "application/octet-stream"
		}
		em.AddAttachment(mail.NewAttachment().
			SetContent(base64.StdEncoding.EncodeToString(data)).
			SetType(ct).
			SetFilename(a.Filename).
			SetDisposition("attachment"))
	}
	body, err := json.Marshal(em)
	if err != nil {
		return nil, &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindPermanent,
			Code: "invalid_message", Reason: "encoding mail: " + err.Error(), Err: err}
	}
	return body, nil
}

func readAttachment(op string, a *providers.Attachment, limit int64) ([]byte, error) {
	rc, err := providers.OpenAttachment(Provider, op, a)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindRetryable,
			Code: "attachment", Reason: "reading attachment " + strconv.Quote(a.Filename) + ": " + err.Error(), Err: err}
	}
	if int64(len(data)) > limit {
		return nil, providers.Errorf(Provider, op, "too_large", "attachment %q exceeds SendGrid's 30 MB limit", a.Filename)
	}
	return data, nil
}

// Check confirms the key works and may send mail: GET /v3/scopes must list
// "mail.send".
func (c *Client) Check(ctx context.Context, cr Credentials) error {
	const op = "check"
	if cr.APIKey == "" {
		return providers.Errorf(Provider, op, "credentials", "no API key")
	}
	req := sg.GetRequest(cr.APIKey, "/v3/scopes", c.host)
	req.Method = rest.Get
	res, err := c.do(ctx, op, req)
	if err != nil {
		return err
	}
	var body struct {
		Scopes []string `json:"scopes"`
	}
	if err := json.Unmarshal([]byte(res.Body), &body); err != nil {
		return &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindRetryable, Status: res.StatusCode,
			Code: "bad_response", Reason: "unreadable scopes answer: " + providers.Snippet([]byte(res.Body)), Err: err}
	}
	for _, s := range body.Scopes {
		if s == "mail.send" {
			return nil
		}
	}
	return &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindPermanent, Status: res.StatusCode,
		Code: "missing_scope", Reason: `the API key lacks the "mail.send" scope`}
}

// eventSettings is the body of PATCH /v3/user/webhooks/event/settings: the
// URL and every event type switched on.
type eventSettings struct {
	Enabled          bool   `json:"enabled"`
	URL              string `json:"url"`
	GroupResubscribe bool   `json:"group_resubscribe"`
	Delivered        bool   `json:"delivered"`
	GroupUnsubscribe bool   `json:"group_unsubscribe"`
	SpamReport       bool   `json:"spam_report"`
	Bounce           bool   `json:"bounce"`
	Deferred         bool   `json:"deferred"`
	Unsubscribe      bool   `json:"unsubscribe"`
	Processed        bool   `json:"processed"`
	Open             bool   `json:"open"`
	Click            bool   `json:"click"`
	Dropped          bool   `json:"dropped"`
}

// ConfigureEventWebhook points the account's event webhook at url with every
// event enabled, switches signing on, and returns the public key (base64
// PKIX DER) that VerifySignature needs.
func (c *Client) ConfigureEventWebhook(ctx context.Context, cr Credentials, url string) (string, error) {
	const op = "configure_webhook"
	if cr.APIKey == "" {
		return "", providers.Errorf(Provider, op, "credentials", "no API key")
	}
	settings, _ := json.Marshal(eventSettings{Enabled: true, URL: url, GroupResubscribe: true, Delivered: true,
		GroupUnsubscribe: true, SpamReport: true, Bounce: true, Deferred: true, Unsubscribe: true,
		Processed: true, Open: true, Click: true, Dropped: true})
	req := sg.GetRequest(cr.APIKey, "/v3/user/webhooks/event/settings", c.host)
	req.Method = rest.Patch
	req.Body = settings
	if _, err := c.do(ctx, op, req); err != nil {
		return "", err
	}

	signed := eventwebhook.NewSettings()
	signed.SetEnableSignedWebhook(true)
	body, _ := eventwebhook.GetRequestBody(signed)
	req = sg.GetRequest(cr.APIKey, "/v3/user/webhooks/event/settings/signed", c.host)
	req.Method = rest.Patch
	req.Body = body
	res, err := c.do(ctx, op, req)
	if err != nil {
		return "", err
	}
	var out struct {
		PublicKey string `json:"public_key"`
	}
	if err := json.Unmarshal([]byte(res.Body), &out); err != nil || out.PublicKey == "" {
		return "", &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindRetryable, Status: res.StatusCode,
			Code: "bad_response", Reason: "no public_key in answer: " + providers.Snippet([]byte(res.Body)), Err: err}
	}
	return out.PublicKey, nil
}

// do sends req with our own rest.Client and turns anything but a 2xx into a
// *providers.Error.
func (c *Client) do(ctx context.Context, op string, req rest.Request) (*rest.Response, error) {
	res, err := c.rc.SendWithContext(ctx, req)
	if err != nil {
		return nil, providers.TransportError(Provider, op, err)
	}
	if res.StatusCode >= 200 && res.StatusCode < 300 {
		return res, nil
	}
	return nil, responseError(op, res.StatusCode, http.Header(res.Headers), []byte(res.Body), c.now())
}

// apiErrors is SendGrid's error body.
type apiErrors struct {
	Errors []struct {
		Message string          `json:"message"`
		Field   json.RawMessage `json:"field"` // a string or null
		ErrorID string          `json:"error_id"`
	} `json:"errors"`
}

// responseError reads SendGrid's error answer. On 429 the wait comes from
// Retry-After when present, else from X-RateLimit-Reset (a Unix time), which
// is what SendGrid actually sends.
func responseError(op string, status int, h http.Header, body []byte, now time.Time) *providers.Error {
	e := &providers.Error{Provider: Provider, Operation: op, Kind: providers.Classify(status, nil), Status: status}
	var ae apiErrors
	if json.Unmarshal(body, &ae) == nil && len(ae.Errors) > 0 {
		msgs := make([]string, 0, len(ae.Errors))
		for _, x := range ae.Errors {
			msg := x.Message
			var field string
			if json.Unmarshal(x.Field, &field) == nil && field != "" {
				msg = field + ": " + msg
			}
			msgs = append(msgs, msg)
		}
		e.Reason = strings.Join(msgs, "; ")
		e.Code = ae.Errors[0].ErrorID
	} else {
		e.Reason = providers.Snippet(body)
	}
	if e.Reason == "" {
		e.Reason = http.StatusText(status)
	}
	if e.Kind == providers.KindRateLimited {
		e.RetryAfter = providers.ParseRetryAfter(h.Get("Retry-After"), now)
		if e.RetryAfter == 0 {
			if reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
				if d := time.Unix(reset, 0).Sub(now); d > 0 {
					e.RetryAfter = d
				}
			}
		}
	}
	return e
}

// MaxBatchRecipients is SendGrid's limit of recipients per request, across
// all personalizations.
const MaxBatchRecipients = 1000

// MaxSubstitutionBytes is SendGrid's limit on the substitutions of one
// personalization (keys and values together).
const MaxSubstitutionBytes = 10_000

// Batch is one request to many recipients: a shared subject and body, and
// one personalization per recipient. SendGrid sends the same content to
// every personalization; what differs per recipient goes in its
// Substitutions (keys found in the shared HTML and text, replaced by the
// recipient's values) or its Subject.
type Batch struct {
	Subject    string // used by recipients without their own Subject
	HTML, Text string
	ReplyTo    string
	Categories []string
	CustomArgs map[string]string // shared by every recipient
	Recipients []BatchRecipient
}

// BatchRecipient is one personalization of a Batch.
type BatchRecipient struct {
	To, ToName    string
	Subject       string
	Substitutions map[string]string
	// Headers are this recipient's own (List-Unsubscribe differs per
	// recipient: its link names the contact).
	Headers map[string]string
	// CustomArgs come back on every event of this recipient.
	CustomArgs map[string]string
}

// BatchSend posts b to /v3/mail/send as one request with a
// personalization per recipient. SendGrid accepts or refuses the request
// as a whole: it answers 202 with one X-Message-Id, which every
// recipient's events carry as the prefix of their sg_message_id (told
// apart by the custom args).
func (c *Client) BatchSend(ctx context.Context, cr Credentials, b Batch) (providers.Sent, error) {
	const op = "send"
	body, err := buildBatch(cr, b)
	if err != nil {
		return providers.Sent{}, err
	}
	req := sg.GetRequest(cr.APIKey, "/v3/mail/send", c.host)
	req.Method = rest.Post
	req.Body = body
	res, err := c.do(ctx, op, req)
	if err != nil {
		return providers.Sent{}, err
	}
	id := http.Header(res.Headers).Get("X-Message-Id")
	if id == "" {
		// Accepted, so sending again would duplicate every email.
		return providers.Sent{Status: res.StatusCode}, &providers.Error{Provider: Provider, Operation: op,
			Kind: providers.KindPermanent, Status: res.StatusCode, Code: "no_message_id",
			Reason: "SendGrid accepted the batch but gave no X-Message-Id"}
	}
	return providers.Sent{MessageID: id, Status: res.StatusCode}, nil
}

// buildBatch renders b as a v3 mail body with helpers/mail.
func buildBatch(cr Credentials, b Batch) ([]byte, error) {
	const op = "send"
	switch {
	case cr.APIKey == "":
		return nil, providers.Errorf(Provider, op, "credentials", "no API key")
	case cr.FromEmail == "":
		return nil, providers.Errorf(Provider, op, "credentials", "no sender address")
	case len(b.Recipients) == 0:
		return nil, providers.Errorf(Provider, op, "invalid_message", "no recipient")
	case len(b.Recipients) > MaxBatchRecipients:
		return nil, providers.Errorf(Provider, op, "invalid_message", "%d recipients; SendGrid takes at most %d per request", len(b.Recipients), MaxBatchRecipients)
	case b.Text == "" && b.HTML == "":
		return nil, providers.Errorf(Provider, op, "invalid_message", "no content")
	}
	em := mail.NewV3Mail()
	em.SetFrom(mail.NewEmail(cr.FromName, cr.FromEmail))
	em.Subject = b.Subject
	for i, r := range b.Recipients {
		if r.To == "" {
			return nil, providers.Errorf(Provider, op, "invalid_message", "recipient %d has no address", i)
		}
		size := 0
		for k, v := range r.Substitutions {
			size += len(k) + len(v)
		}
		if size > MaxSubstitutionBytes {
			return nil, providers.Errorf(Provider, op, "invalid_message", "recipient %d's substitutions take %d bytes; SendGrid allows %d", i, size, MaxSubstitutionBytes)
		}
		p := mail.NewPersonalization()
		p.AddTos(mail.NewEmail(r.ToName, r.To))
		p.Subject = r.Subject
		for k, v := range r.Substitutions {
			p.SetSubstitution(k, v)
		}
		for k, v := range r.Headers {
			p.SetHeader(k, v)
		}
		for k, v := range r.CustomArgs {
			p.SetCustomArg(k, v)
		}
		em.AddPersonalizations(p)
	}
	// SendGrid requires text/plain, when present, to come before text/html.
	if b.Text != "" {
		em.AddContent(mail.NewContent("text/plain", b.Text))
	}
	if b.HTML != "" {
		em.AddContent(mail.NewContent("text/html", b.HTML))
	}
	if b.ReplyTo != "" {
		em.SetReplyTo(mail.NewEmail("", b.ReplyTo))
	}
	for k, v := range b.CustomArgs {
		em.SetCustomArg(k, v)
	}
	if len(b.Categories) > 0 {
		em.AddCategories(b.Categories...)
	}
	body, err := json.Marshal(em)
	if err != nil {
		return nil, &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindPermanent,
			Code: "invalid_message", Reason: "encoding mail: " + err.Error(), Err: err}
	}
	if len(body) > MaxMessageBytes {
		return nil, providers.Errorf(Provider, op, "too_large", "batch of %d bytes exceeds SendGrid's 30 MB limit", len(body))
	}
	return body, nil
}
