package sandbox

import (
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// SendGrid's published limits the sandbox enforces.
const (
	sgMaxBody       = 30 << 20
	sgMaxRecipients = 1000
	sgMaxCustomArgs = 10_000
	sgMaxSubsBytes  = 10_000
	sgMaxCategories = 10
	sgBatchMax      = 1000
	sgBatchEvery    = 100 * time.Millisecond
)

func (s *Sandbox) sendgridRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /sendgrid/v3/mail/send", s.sgSend)
	mux.HandleFunc("GET /sendgrid/v3/scopes", s.sgScopes)
	mux.HandleFunc("GET /sendgrid/v3/user/webhooks/event/settings", s.sgEventSettings)
	mux.HandleFunc("PATCH /sendgrid/v3/user/webhooks/event/settings", s.sgEventSettings)
	mux.HandleFunc("GET /sendgrid/v3/user/webhooks/event/settings/signed", s.sgSigned)
	mux.HandleFunc("PATCH /sendgrid/v3/user/webhooks/event/settings/signed", s.sgSigned)
	mux.HandleFunc("/sendgrid/", func(w http.ResponseWriter, r *http.Request) {
		sgError(w, http.StatusNotFound, sgErr{Message: "resource not found"})
	})
}

// sgErr is one entry of SendGrid's {"errors":[...]} body.
type sgErr struct {
	Message string  `json:"message"`
	Field   *string `json:"field"`
	Help    *string `json:"help"`
}

func sgField(name string) *string { return &name }

func sgError(w http.ResponseWriter, status int, errs ...sgErr) {
	writeJSON(w, status, map[string][]sgErr{"errors": errs})
}

// sgAuth reads the API key of a request, answering 401 as SendGrid does
// when there is none or it contains "invalid".
func (s *Sandbox) sgAuth(w http.ResponseWriter, r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	key, ok := strings.CutPrefix(h, "Bearer ")
	key = strings.TrimSpace(key)
	switch {
	case !ok || key == "":
		s.stats[ProviderSendGrid].rejected.Add(1)
		sgError(w, http.StatusUnauthorized, sgErr{Message: "authorization required"})
		return "", false
	case strings.Contains(strings.ToLower(key), "invalid"):
		s.stats[ProviderSendGrid].rejected.Add(1)
		sgError(w, http.StatusUnauthorized, sgErr{Message: "The provided authorization grant is invalid, expired, or revoked"})
		return "", false
	}
	return key, true
}

// sgCanSend is false for keys containing "nosend": keys without the
// mail.send scope, for testing connection checks.
func sgCanSend(apiKey string) bool { return !strings.Contains(strings.ToLower(apiKey), "nosend") }

// sendgridKeyID is the public part of a key ("SG.<id>" of "SG.<id>.<secret>"),
// or a digest for keys of another shape: never the secret.
func sendgridKeyID(apiKey string) string {
	if parts := strings.Split(apiKey, "."); len(parts) == 3 && parts[0] == "SG" {
		return "SG." + parts[1]
	}
	sum := sha256.Sum256([]byte(apiKey))
	return "key-" + hex.EncodeToString(sum[:6])
}

func (s *Sandbox) sgRateLimited(w http.ResponseWriter, b Behaviour) {
	s.stats[ProviderSendGrid].rateLimited.Add(1)
	h := w.Header()
	h.Set("X-RateLimit-Limit", "600")
	h.Set("X-RateLimit-Remaining", "0")
	h.Set("X-RateLimit-Reset", strconv.FormatInt(s.now().Add(time.Duration(b.RetryAfterS)*time.Second).Unix(), 10))
	retryAfter(w, b.RetryAfterS)
	sgError(w, http.StatusTooManyRequests, sgErr{Message: "too many requests"})
}

func (s *Sandbox) sgServerError(w http.ResponseWriter, m magic) {
	s.stats[ProviderSendGrid].serverErrors.Add(1)
	status := s.serverStatus(m)
	sgError(w, status, sgErr{Message: strings.ToLower(http.StatusText(status))})
}

// sgMail is the part of a v3 mail/send body the sandbox reads.
type sgMail struct {
	Personalizations []sgPersonalization `json:"personalizations"`
	From             *sgAddress          `json:"from"`
	ReplyTo          *sgAddress          `json:"reply_to"`
	Subject          string              `json:"subject"`
	Content          []struct {
		Type  string `json:"type"`
		Value string `json:"value"`
	} `json:"content"`
	Attachments []struct {
		Content  string `json:"content"`
		Type     string `json:"type"`
		Filename string `json:"filename"`
	} `json:"attachments"`
	TemplateID string            `json:"template_id"`
	Categories []string          `json:"categories"`
	CustomArgs map[string]string `json:"custom_args"`
}

type sgPersonalization struct {
	To         []sgAddress       `json:"to"`
	CC         []sgAddress       `json:"cc"`
	BCC        []sgAddress       `json:"bcc"`
	Subject    string            `json:"subject"`
	CustomArgs map[string]string `json:"custom_args"`
	// Substitutions replace their keys in the subject and content for
	// this personalization only (SendGrid's legacy substitutions, which
	// campaigns use to send one shared body with each recipient's values).
	Substitutions map[string]string `json:"substitutions"`
	Headers       map[string]string `json:"headers"`
}

type sgAddress struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// sgRecipient is one address of a send, with what its events carry.
type sgRecipient struct {
	email   string
	subject string
	custom  map[string]string
	subs    map[string]string
	headers map[string]string
	magic   magic
}

// sgSend answers POST /v3/mail/send: 202 and X-Message-Id, then events.
func (s *Sandbox) sgSend(w http.ResponseWriter, r *http.Request) {
	raw, status, readErr := readSendGridBody(w, r)
	b, ok := s.begin(r.Context(), ProviderSendGrid)
	if !ok {
		return
	}
	apiKey, ok := s.sgAuth(w, r)
	if !ok {
		return
	}
	st := s.stats[ProviderSendGrid]
	if !sgCanSend(apiKey) {
		st.rejected.Add(1)
		sgError(w, http.StatusForbidden, sgErr{Message: "access forbidden"})
		return
	}
	if readErr != nil {
		st.rejected.Add(1)
		sgError(w, status, sgErr{Message: readErr.Error()})
		return
	}
	var m sgMail
	if err := json.Unmarshal(raw, &m); err != nil {
		st.rejected.Add(1)
		sgError(w, http.StatusBadRequest, sgErr{Message: "Bad Request"})
		return
	}
	recipients, errs := sgValidate(&m)
	var mg magic
	for _, rc := range recipients {
		mg = mg.merge(rc.magic)
	}
	switch s.injected(b, mg) {
	case faultRateLimit:
		s.sgRateLimited(w, b)
		return
	case faultServer:
		s.sgServerError(w, mg)
		return
	}
	if len(errs) > 0 {
		st.rejected.Add(1)
		sgError(w, http.StatusBadRequest, errs...)
		return
	}

	// Recorded before answering: a test that sends and then reads
	// /_api/messages must find the message.
	id := randomB64(16)
	st.accepted.Add(1)
	s.sgAccepted(apiKey, id, &m, recipients, b)
	w.Header().Set("X-Message-Id", id)
	w.WriteHeader(http.StatusAccepted)
}

// readSendGridBody reads a mail/send body, gunzipping it when the SDK
// compressed it (Content-Encoding: gzip).
func readSendGridBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	body := io.Reader(http.MaxBytesReader(w, r.Body, sgMaxBody))
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, http.StatusBadRequest, errors.New("Bad Request")
		}
		defer zr.Close()
		body = io.LimitReader(zr, sgMaxBody+1)
	}
	raw, err := io.ReadAll(body)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || len(raw) > sgMaxBody {
		return nil, http.StatusRequestEntityTooLarge, errors.New("Payload Too Large")
	}
	if err != nil {
		return nil, http.StatusBadRequest, errors.New("Bad Request")
	}
	return raw, 0, nil
}

// sgValidate checks a send as SendGrid does, returning every error with
// SendGrid's messages and field paths, and the recipients.
func sgValidate(m *sgMail) ([]sgRecipient, []sgErr) {
	var errs []sgErr
	bad := func(field, msg string) { errs = append(errs, sgErr{Message: msg, Field: sgField(field)}) }
	if m.From == nil || m.From.Email == "" {
		bad("from", "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.")
	} else if !validEmail(m.From.Email) {
		bad("from.email", "The from email does not contain a valid address.")
	}
	if m.ReplyTo != nil && !validEmail(m.ReplyTo.Email) {
		bad("reply_to.email", "The reply_to email does not contain a valid address.")
	}
	if len(m.Personalizations) == 0 {
		bad("personalizations", "The personalizations field is required and must have at least one personalization.")
	}
	if m.TemplateID == "" {
		if len(m.Content) == 0 {
			bad("content", "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.")
		}
		for i, c := range m.Content {
			if c.Value == "" {
				bad(fmt.Sprintf("content.%d.value", i), "The content value must be a string at least one character in length.")
			}
		}
	}
	if len(m.Categories) > sgMaxCategories {
		bad("categories", "Too many categories on this message. The maximum number of categories is 10.")
	}
	for i, a := range m.Attachments {
		if a.Filename == "" {
			bad(fmt.Sprintf("attachments.%d.filename", i), "The attachment filename parameter is required.")
		}
		if _, err := base64.StdEncoding.DecodeString(a.Content); err != nil || a.Content == "" {
			bad(fmt.Sprintf("attachments.%d.content", i), "The attachment content must be base64 encoded.")
		}
	}

	var recipients []sgRecipient
	// The limit holds for the custom args each email carries: the
	// message's merged with its personalization's (a campaign's 1,000
	// personalizations each carry their own recipient id), not for the
	// request's sum.
	argsSize := func(m map[string]string) int {
		n := 0
		for k, v := range m {
			n += len(k) + len(v)
		}
		return n
	}
	if argsSize(m.CustomArgs) > sgMaxCustomArgs {
		bad("custom_args", "The custom_args parameter must be less than 10000 bytes.")
	}
	for i, p := range m.Personalizations {
		if len(p.To) == 0 {
			bad(fmt.Sprintf("personalizations.%d.to", i), "The to array is required for all personalization objects, and must have at least one email object with a valid email address.")
		}
		subject := p.Subject
		if subject == "" {
			subject = m.Subject
		}
		if subject == "" && m.TemplateID == "" {
			bad(fmt.Sprintf("personalizations.%d.subject", i), "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.")
		}
		subsSize := 0
		for k, v := range p.Substitutions {
			subsSize += len(k) + len(v)
		}
		if subsSize > sgMaxSubsBytes {
			bad(fmt.Sprintf("personalizations.%d.substitutions", i), "The total size of substitutions in a personalization must be less than 10000 bytes.")
		}
		for k := range p.Headers {
			if sgReservedHeaders[strings.ToLower(k)] {
				bad(fmt.Sprintf("personalizations.%d.headers", i), fmt.Sprintf("The header %q is reserved and cannot be set.", k))
			}
		}
		custom := m.CustomArgs
		if len(p.CustomArgs) > 0 {
			custom = make(map[string]string, len(m.CustomArgs)+len(p.CustomArgs))
			for k, v := range m.CustomArgs {
				custom[k] = v
			}
			for k, v := range p.CustomArgs {
				custom[k] = v
			}
			if argsSize(custom) > sgMaxCustomArgs {
				bad(fmt.Sprintf("personalizations.%d.custom_args", i), "The custom_args parameter must be less than 10000 bytes.")
			}
		}
		for _, group := range []struct {
			kind string
			list []sgAddress
		}{{"to", p.To}, {"cc", p.CC}, {"bcc", p.BCC}} {
			for j, a := range group.list {
				mg := magicOf(a.Email)
				if !validEmail(a.Email) || mg.invalid {
					bad(fmt.Sprintf("personalizations.%d.%s.%d.email", i, group.kind, j), "Does not contain a valid address.")
				}
				recipients = append(recipients, sgRecipient{email: a.Email, subject: sgSubstitute(subject, p.Substitutions),
					custom: custom, subs: p.Substitutions, headers: p.Headers, magic: mg})
			}
		}
	}
	if len(recipients) > sgMaxRecipients {
		bad("personalizations", "The total number of recipients across all personalizations must not exceed 1000.")
	}
	return recipients, errs
}

// sgReservedHeaders are headers SendGrid sets itself and refuses in
// personalizations.
var sgReservedHeaders = map[string]bool{
	"x-sg-id": true, "x-sg-eid": true, "received": true, "dkim-signature": true, "content-type": true,
	"content-transfer-encoding": true, "to": true, "from": true, "subject": true, "reply-to": true, "cc": true, "bcc": true,
}

// sgSubstitute replaces each substitution key in s with its value, in one
// pass (a value is never substituted again).
func sgSubstitute(s string, subs map[string]string) string {
	if len(subs) == 0 || s == "" {
		return s
	}
	pairs := make([]string, 0, 2*len(subs))
	for k, v := range subs {
		if k != "" {
			pairs = append(pairs, k, v)
		}
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s
}

// sgAccepted records an accepted send and plays its events.
func (s *Sandbox) sgAccepted(apiKey, id string, m *sgMail, recipients []sgRecipient, b Behaviour) {
	now := s.now()
	body, url := sgBodyAndLink(m)
	var atts []AttachmentInfo
	for _, a := range m.Attachments {
		atts = append(atts, AttachmentInfo{Name: a.Filename, ContentType: a.Type, Size: base64Size(a.Content)})
	}
	from := ""
	if m.From != nil {
		from = m.From.Email
	}
	_, target := s.sgTarget(apiKey)
	for i, rc := range recipients {
		body, url := body, url
		if len(rc.subs) > 0 {
			body, url = sgBodyAndLinkFor(m, rc.subs)
		}
		s.record(&Message{
			Provider: ProviderSendGrid, Direction: "outbound", ID: id, Account: sendgridKeyID(apiKey),
			From: from, To: rc.email, Subject: rc.subject, Body: body, Attachments: atts,
			Headers: rc.headers, Status: "accepted", At: now,
		})
		plan := s.sgPlan(b, rc.magic)
		if target == "" {
			// Nobody listens: the outcome still shows on the Sandbox page.
			for _, ev := range plan {
				s.messages.setStatus(ProviderSendGrid, id, rc.email, sgStatus[ev], "", now)
			}
			continue
		}
		sgMessageID := fmt.Sprintf("%s.filter0001.%d.%X.%d", id, 16000+i, now.UnixNano()&0xffffffff, i)
		for n, ev := range plan {
			ok := s.disp.at(time.Duration(n+1)*b.webhookDelay(), func() {
				at := s.now()
				s.messages.setStatus(ProviderSendGrid, id, rc.email, sgStatus[ev], "", at)
				s.sgEmit(apiKey, ev, func() []byte {
					return sgEvent(ev, id, sgMessageID, rc, m.Categories, url, at)
				})
			})
			if !ok {
				s.warnDropped()
			}
		}
	}
}

// sgStatus maps event names to the statuses messages show.
var sgStatus = map[string]string{
	"processed": "processed", "delivered": "delivered", "bounce": "bounced", "dropped": "dropped",
	"deferred": "deferred", "open": "opened", "click": "clicked", "spamreport": "spam",
}

// sgPlan decides a recipient's events: processed, then the outcome, then
// engagement. Magic recipients get exactly what they ask for.
func (s *Sandbox) sgPlan(b Behaviour, m magic) []string {
	plan := []string{"processed"}
	o := b.Outcomes
	forced := m.bounce || m.fail || m.dropped || m.deferred || m.spam || m.open || m.click
	outcome := "delivered"
	switch {
	case m.bounce || m.fail:
		outcome = "bounce"
	case m.dropped:
		outcome = "dropped"
	case m.deferred:
		outcome = "deferred"
	case !forced:
		switch s.dice.pick(o.Delivered, o.Bounce, o.Dropped, o.Deferred) {
		case 1:
			outcome = "bounce"
		case 2:
			outcome = "dropped"
		case 3:
			outcome = "deferred"
		}
	}
	switch outcome {
	case "bounce", "dropped":
		return append(plan, outcome)
	case "deferred":
		// Deferred mail is retried by SendGrid and, here, then delivered.
		plan = append(plan, "deferred")
	}
	plan = append(plan, "delivered")
	opened := m.open || (!forced && s.dice.chance(o.Open))
	if opened {
		plan = append(plan, "open")
		if m.click || (!forced && s.dice.chance(o.Click)) {
			plan = append(plan, "click")
		}
	}
	if m.spam || (!forced && s.dice.chance(o.Spam)) {
		plan = append(plan, "spamreport")
	}
	return plan
}

// sgReserved are event fields custom args may not overwrite.
var sgReserved = map[string]bool{
	"email": true, "timestamp": true, "event": true, "sg_event_id": true, "sg_message_id": true,
	"smtp-id": true, "category": true, "reason": true, "status": true, "type": true, "response": true,
	"url": true, "useragent": true, "ip": true, "attempt": true, "tls": true, "url_offset": true,
	"bounce_classification": true, "sg_machine_open": true,
}

// sgEvent builds one event as SendGrid posts it: custom args at the top
// level beside SendGrid's own fields.
func sgEvent(ev, id, sgMessageID string, rc sgRecipient, categories []string, link string, at time.Time) []byte {
	e := make(map[string]any, 12+len(rc.custom))
	for k, v := range rc.custom {
		if !sgReserved[k] {
			e[k] = v
		}
	}
	e["email"] = rc.email
	e["timestamp"] = at.Unix()
	e["event"] = ev
	e["sg_event_id"] = randomB64(18)
	e["sg_message_id"] = sgMessageID
	e["smtp-id"] = "<" + id + "@sandbox.sendgrid.net>"
	if len(categories) > 0 {
		e["category"] = categories
	}
	switch ev {
	case "delivered":
		e["response"] = "250 2.0.0 OK"
		e["ip"] = "167.89.0.1"
		e["tls"] = 1
	case "bounce":
		e["reason"] = "550 5.1.1 The email account that you tried to reach does not exist."
		e["status"] = "5.1.1"
		e["type"] = "bounce"
		e["bounce_classification"] = "Invalid Address"
	case "dropped":
		e["reason"] = "Bounced Address"
		e["status"] = "5.0.0"
	case "deferred":
		e["response"] = "421 4.2.1 Mailbox temporarily unavailable, try again later"
		e["attempt"] = "1"
	case "open", "click":
		e["useragent"] = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
		e["ip"] = "203.0.113.7"
		if ev == "open" {
			e["sg_machine_open"] = false
		} else {
			e["url"] = link
			e["url_offset"] = map[string]any{"index": 0, "type": "html"}
		}
	}
	raw, _ := json.Marshal(e)
	return raw
}

// base64Size is the decoded size of validated, padded base64.
func base64Size(s string) int64 {
	n := int64(len(s)) / 4 * 3
	return n - int64(len(s)-len(strings.TrimRight(s, "=")))
}

var sgLinkRE = regexp.MustCompile(`https?://[^\s"'<>]+`)

// sgBodyAndLink returns the text shown for a send and the link a click
// event reports (the first one in the mail).
func sgBodyAndLink(m *sgMail) (string, string) {
	var text, html string
	for _, c := range m.Content {
		switch {
		case strings.HasPrefix(c.Type, "text/plain") && text == "":
			text = c.Value
		case strings.HasPrefix(c.Type, "text/html") && html == "":
			html = c.Value
		}
	}
	link := sgLinkRE.FindString(html)
	if link == "" {
		link = sgLinkRE.FindString(text)
	}
	if link == "" {
		link = "https://example.com/"
	}
	if text == "" {
		text = html
	}
	return text, link
}

// sgBodyAndLinkFor is sgBodyAndLink of the mail as one personalization
// receives it: its substitutions applied to the content.
func sgBodyAndLinkFor(m *sgMail, subs map[string]string) (string, string) {
	cp := *m
	cp.Content = append(cp.Content[:0:0], m.Content...)
	for i := range cp.Content {
		cp.Content[i].Value = sgSubstitute(cp.Content[i].Value, subs)
	}
	return sgBodyAndLink(&cp)
}

// sgTarget returns the event webhook settings of an API key and its URL
// when events should be sent ("" otherwise).
func (s *Sandbox) sgTarget(apiKey string) (EventWebhookSettings, string) {
	var set EventWebhookSettings
	s.state.read(func(d *stateData) {
		if a := d.SendGrid[apiKey]; a != nil {
			set = a.Settings
		}
	})
	if !set.Enabled || set.URL == "" {
		return set, ""
	}
	return set, set.URL
}

// sgEmit hands an event to the batcher when the key's settings (now, not
// at send time) want events of that type.
func (s *Sandbox) sgEmit(apiKey, ev string, build func() []byte) {
	set, target := s.sgTarget(apiKey)
	if target == "" || !set.wants(ev) {
		return
	}
	s.batches.add(apiKey, target, build())
}

// sgSigner signs a batch at send time with the key of apiKey, when signing
// is on: ECDSA P-256 over timestamp + body, ASN.1 DER, base64.
func (s *Sandbox) sgSigner(apiKey string) func([]byte, time.Time) http.Header {
	return func(body []byte, now time.Time) http.Header {
		var key *ecdsa.PrivateKey
		s.state.read(func(d *stateData) {
			if a := d.SendGrid[apiKey]; a != nil && a.Signed {
				key = a.key
			}
		})
		if key == nil {
			return nil
		}
		ts := strconv.FormatInt(now.Unix(), 10)
		h := sha256.New()
		h.Write([]byte(ts))
		h.Write(body)
		sig, err := ecdsa.SignASN1(rand.Reader, key, h.Sum(nil))
		if err != nil {
			return nil
		}
		return http.Header{
			"X-Twilio-Email-Event-Webhook-Signature": {base64.StdEncoding.EncodeToString(sig)},
			"X-Twilio-Email-Event-Webhook-Timestamp": {ts},
		}
	}
}

// sgScopes answers GET /v3/scopes.
func (s *Sandbox) sgScopes(w http.ResponseWriter, r *http.Request) {
	b, ok := s.begin(r.Context(), ProviderSendGrid)
	if !ok {
		return
	}
	apiKey, ok := s.sgAuth(w, r)
	if !ok {
		return
	}
	if f := s.injected(b, magic{}); f == faultRateLimit {
		s.sgRateLimited(w, b)
		return
	} else if f == faultServer {
		s.sgServerError(w, magic{})
		return
	}
	scopes := []string{
		"alerts.read", "scopes.read", "stats.read", "suppression.read",
		"user.webhooks.event.settings.read", "user.webhooks.event.settings.update",
		"user.webhooks.event.test.create",
	}
	if sgCanSend(apiKey) {
		scopes = append(scopes, "mail.batch.create", "mail.send")
	}
	writeJSON(w, http.StatusOK, map[string][]string{"scopes": scopes})
}

// sgEventSettings answers GET and PATCH /v3/user/webhooks/event/settings.
// PATCH merges the fields given, as SendGrid does.
func (s *Sandbox) sgEventSettings(w http.ResponseWriter, r *http.Request) {
	readErr := bufferBody(w, r, 1<<20)
	if _, ok := s.begin(r.Context(), ProviderSendGrid); !ok {
		return
	}
	apiKey, ok := s.sgAuth(w, r)
	if !ok {
		return
	}
	if r.Method == http.MethodGet {
		set, _ := s.sgTarget(apiKey)
		writeJSON(w, http.StatusOK, set)
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil || readErr != nil {
		sgError(w, http.StatusBadRequest, sgErr{Message: "Bad Request"})
		return
	}
	var out EventWebhookSettings
	var bad *sgErr
	err = s.state.change(func(d *stateData) error {
		a := d.SendGrid[apiKey]
		if a == nil {
			a = &sgAccount{}
		}
		set := a.Settings
		if err := json.Unmarshal(raw, &set); err != nil {
			bad = &sgErr{Message: "invalid JSON"}
			return errValidation
		}
		if set.URL != "" && !absoluteHTTP(set.URL) {
			bad = &sgErr{Message: "invalid url", Field: sgField("url")}
			return errValidation
		}
		if set.Enabled && set.URL == "" {
			bad = &sgErr{Message: "url is required when the webhook is enabled", Field: sgField("url")}
			return errValidation
		}
		a.Settings = set
		d.SendGrid[apiKey] = a
		out = set
		return nil
	})
	switch {
	case bad != nil:
		sgError(w, http.StatusBadRequest, *bad)
	case err != nil:
		sgError(w, http.StatusInternalServerError, sgErr{Message: "internal error"})
	default:
		writeJSON(w, http.StatusOK, out)
	}
}

// errValidation aborts a state change whose input was refused.
var errValidation = errors.New("validation failed")

// sgSigned answers GET and PATCH /v3/user/webhooks/event/settings/signed
// with the key's public key, making the key pair on first use.
func (s *Sandbox) sgSigned(w http.ResponseWriter, r *http.Request) {
	readErr := bufferBody(w, r, 1<<20)
	if _, ok := s.begin(r.Context(), ProviderSendGrid); !ok {
		return
	}
	apiKey, ok := s.sgAuth(w, r)
	if !ok {
		return
	}
	var enable *bool
	if r.Method == http.MethodPatch {
		var body struct {
			Enabled *bool `json:"enabled"`
		}
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || readErr != nil || body.Enabled == nil {
			sgError(w, http.StatusBadRequest, sgErr{Message: "enabled is required", Field: sgField("enabled")})
			return
		}
		enable = body.Enabled
	}
	var pub string
	err := s.state.change(func(d *stateData) error {
		a := d.SendGrid[apiKey]
		if a == nil {
			a = &sgAccount{}
		}
		if err := a.ensureKey(); err != nil {
			return err
		}
		if enable != nil {
			a.Signed = *enable
		}
		d.SendGrid[apiKey] = a
		pub = a.publicKey()
		return nil
	})
	if err != nil {
		sgError(w, http.StatusInternalServerError, sgErr{Message: "internal error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"public_key": pub})
}

// sgBatcher groups SendGrid events per (API key, URL) into the JSON
// arrays SendGrid posts: flushed every 100 ms, or at 1,000 events.
type sgBatcher struct {
	s       *Sandbox
	mu      sync.Mutex
	batches map[string]*sgBatch
	done    chan struct{}
	wg      sync.WaitGroup
}

type sgBatch struct {
	apiKey string
	url    string
	events [][]byte
}

func newSGBatcher(s *Sandbox) *sgBatcher {
	b := &sgBatcher{s: s, batches: map[string]*sgBatch{}, done: make(chan struct{})}
	b.wg.Add(1)
	go b.loop()
	return b
}

func (b *sgBatcher) add(apiKey, url string, event []byte) {
	key := apiKey + "\x00" + url
	b.mu.Lock()
	bt := b.batches[key]
	if bt == nil {
		bt = &sgBatch{apiKey: apiKey, url: url}
		b.batches[key] = bt
	}
	bt.events = append(bt.events, event)
	var full *sgBatch
	if len(bt.events) >= sgBatchMax {
		delete(b.batches, key)
		full = bt
	}
	b.mu.Unlock()
	if full != nil {
		b.flush(full)
	}
}

func (b *sgBatcher) loop() {
	defer b.wg.Done()
	t := time.NewTicker(sgBatchEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			b.mu.Lock()
			if len(b.batches) == 0 {
				b.mu.Unlock()
				continue
			}
			all := b.batches
			b.batches = map[string]*sgBatch{}
			b.mu.Unlock()
			for _, bt := range all {
				b.flush(bt)
			}
		case <-b.done:
			return
		}
	}
}

// flush posts a batch: a JSON array ending in CRLF, as SendGrid sends it.
func (b *sgBatcher) flush(bt *sgBatch) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, e := range bt.events {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(e)
	}
	buf.WriteString("]\r\n")
	b.s.deliver(0, &delivery{
		provider: ProviderSendGrid, kind: "event_batch", target: bt.url, body: buf.Bytes(),
		contentType: "application/json", events: len(bt.events), sign: b.s.sgSigner(bt.apiKey),
	})
}

func (b *sgBatcher) stop() {
	close(b.done)
	b.wg.Wait()
}
