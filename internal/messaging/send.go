package messaging

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/groupcommit"
	"github.com/switchboard/switchboard/internal/suppression"
	"github.com/switchboard/switchboard/internal/templates"
)

// SendRequest is one message to one recipient.
type SendRequest struct {
	Channel     Channel        `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	ContactID   *uuid.UUID     `json:"contact_id,omitempty" doc:"The recipient; or give to."`
	To          string         `json:"to,omitempty" maxLength:"320" doc:"A raw address: email, phone number (E.164 or local to the org's country), Telegram chat id or Instagram-scoped id. It matches the contact holding it, or creates one."`
	TemplateID  *uuid.UUID     `json:"template_id,omitempty" doc:"An approved template of the channel; or give the content."`
	Variables   map[string]any `json:"variables,omitempty" doc:"Values for the template's variables; they win over the contact's."`
	Subject     string         `json:"subject,omitempty" maxLength:"998" doc:"Email only, without a template."`
	Body        string         `json:"body,omitempty" maxLength:"100000" doc:"Without a template: the text (email: the plain-text part). Variables like {{first_name}} are filled in."`
	HTML        string         `json:"html,omitempty" maxLength:"1000000" doc:"Email only, without a template: the HTML part."`
	Attachments []uuid.UUID    `json:"attachments,omitempty" maxItems:"10" doc:"Upload ids (POST /uploads), checked against the channel's limits."`
}

// Actor is who sends: a member or an API key.
type Actor struct {
	UserID    uuid.NullUUID
	APIKeyID  uuid.NullUUID
	RequestID string
}

// SendArgs is the send job of one message.
type SendArgs struct {
	OrgID     uuid.UUID `json:"org_id"`
	MessageID uuid.UUID `json:"message_id"`
}

// Kind names the job.
func (SendArgs) Kind() string { return "message_send" }

// Inserter enqueues jobs in the caller's transaction (a River client).
type Inserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
	InsertManyFastTx(ctx context.Context, tx pgx.Tx, params []river.InsertManyParams) (int, error)
}

// Sends holds what the send API needs.
type Sends struct {
	DB            dbutil.Executor
	Jobs          Inserter
	Tokens        *suppression.Tokens
	PublicBaseURL string
	Now           func() time.Time

	batchOnce sync.Once
	batches   *groupcommit.Batcher[sendItem, sendOutcome]
}

// IdempotencyWindow is how long an Idempotency-Key answers with its first
// message.
const IdempotencyWindow = 24 * time.Hour

// ErrIdempotencyMismatch answers a key reused for another request.
var ErrIdempotencyMismatch = fault.Field("header.Idempotency-Key",
	"was used within 24 hours for a different request: use a new key for a new message", nil)

// chatBodyLimit is each chat channel's longest text.
var chatBodyLimit = map[Channel]int{"whatsapp": 1600, "telegram": 4096, "instagram": 1000}

// Send validates req, checks the recipient, renders, and queues the
// message with its job in one transaction, which it shares with the
// other sends arriving meanwhile (send_batch.go). With an idempotency key
// seen in the last 24 h for the same request, it returns the first
// message and created=false.
func (s *Sends) Send(ctx context.Context, orgID uuid.UUID, actor Actor, req SendRequest, idemKey string) (msg Message, created bool, err error) {
	var hash []byte
	if idemKey != "" {
		b, _ := json.Marshal(req)
		sum := sha256.Sum256(b)
		hash = sum[:]
		if m, ok, err := s.replay(ctx, orgID, idemKey, hash); err != nil || ok {
			return m, false, err
		}
	}
	if err := validate(&req); err != nil {
		return Message{}, false, err
	}
	s.batchOnce.Do(func() {
		s.batches = groupcommit.New(maxSendBatch, sendBatchRunners, sendBatchTimeout, s.createMany)
	})
	out, err := s.batches.Do(ctx, sendItem{orgID: orgID, actor: actor, req: req, idemKey: idemKey, hash: hash})
	if err != nil {
		return Message{}, false, err
	}
	if out.lostRace {
		// Another request holds the key: answer with its message.
		m, ok, err := s.replay(ctx, orgID, idemKey, hash)
		if err == nil && !ok {
			err = errors.New("idempotency key claimed but not readable")
		}
		return m, false, err
	}
	return out.msg, true, nil
}

// replay returns the message an idempotency key already made.
func (s *Sends) replay(ctx context.Context, orgID uuid.UUID, key string, hash []byte) (Message, bool, error) {
	k, err := dbsqlc.New().GetIdempotencyKey(ctx, s.DB, dbsqlc.GetIdempotencyKeyParams{
		OrgID: orgID, Key: key, Since: s.Now().Add(-IdempotencyWindow),
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Message{}, false, nil
	}
	if err != nil {
		return Message{}, false, fmt.Errorf("reading idempotency key: %w", err)
	}
	if string(k.RequestHash) != string(hash) {
		return Message{}, false, ErrIdempotencyMismatch
	}
	m, err := Get(ctx, s.DB, orgID, k.MessageID, false)
	return m, err == nil, err
}

// validate checks what needs no database.
func validate(req *SendRequest) error {
	var errs []fault.FieldError
	add := func(loc, msg string, v any) {
		errs = append(errs, fault.FieldError{Location: loc, Message: msg, Value: v})
	}
	if !req.Channel.Valid() {
		add("body.channel", "must be one of email, whatsapp, telegram, instagram", req.Channel)
	}
	req.To = strings.TrimSpace(req.To)
	switch {
	case req.ContactID == nil && req.To == "":
		add("body.contact_id", "give contact_id or to", nil)
	case req.ContactID != nil && req.To != "":
		add("body.to", "give contact_id or to, not both", req.To)
	}
	isEmail := req.Channel == contacts.ChannelEmail
	if req.TemplateID != nil {
		if req.Subject != "" || req.Body != "" || req.HTML != "" {
			add("body.template_id", "a template brings its own content: leave subject, body and html out", nil)
		}
	} else {
		switch {
		case isEmail && strings.TrimSpace(req.Subject) == "":
			add("body.subject", "is required for an email without a template", nil)
		case isEmail && strings.TrimSpace(req.Body) == "" && strings.TrimSpace(req.HTML) == "":
			add("body.body", "give body (plain text) or html, or a template_id", nil)
		case !isEmail && req.Channel.Valid() && strings.TrimSpace(req.Body) == "" && len(req.Attachments) == 0:
			add("body.body", "give the message text, an attachment, or a template_id", nil)
		}
		if !isEmail && req.Channel.Valid() {
			if req.Subject != "" {
				add("body.subject", fmt.Sprintf("%s messages have no subject", req.Channel), req.Subject)
			}
			if req.HTML != "" {
				add("body.html", fmt.Sprintf("%s messages are text: use body", req.Channel), nil)
			}
			if n := utf8.RuneCountInString(req.Body); n > chatBodyLimit[req.Channel] {
				add("body.body", fmt.Sprintf("is %d characters; %s allows at most %d", n, req.Channel, chatBodyLimit[req.Channel]), nil)
			}
		}
	}
	// Postgres text cannot hold NUL; say so rather than fail the write.
	for _, f := range []struct{ loc, v string }{{"body.subject", req.Subject}, {"body.body", req.Body}, {"body.html", req.HTML}, {"body.to", req.To}} {
		if strings.ContainsRune(f.v, 0) {
			add(f.loc, "contains a NUL character (\\u0000), which messages cannot carry", nil)
		}
	}
	if len(errs) > 0 {
		return fault.Fields(errs...)
	}
	return nil
}

// recipient is who a message goes to.
type recipient struct {
	contact contacts.Contact
	address string // as sent
	field   string // the request field that named it
}

func (s *Sends) resolve(ctx context.Context, tx pgx.Tx, orgID uuid.UUID, req SendRequest) (recipient, error) {
	if req.ContactID != nil {
		c, err := contacts.Get(ctx, tx, orgID, *req.ContactID)
		if fe, ok := fault.As(err); ok && fe.Kind == fault.NotFound {
			return recipient{}, errNoContact(*req.ContactID)
		}
		if err != nil {
			return recipient{}, err
		}
		addr := AddressOf(c, req.Channel)
		if addr == "" {
			return recipient{}, errNoAddress(req.Channel, *req.ContactID)
		}
		return recipient{contact: c, address: addr, field: "body.contact_id"}, nil
	}
	country := ""
	if req.Channel != contacts.ChannelEmail {
		var err error
		if country, err = contacts.OrgCountry(ctx, tx, orgID); err != nil {
			return recipient{}, err
		}
	}
	addr, err := normalizeTo(req, country)
	if err != nil {
		return recipient{}, err
	}
	q := dbsqlc.New()
	p := dbsqlc.EnsureEmailContactParams{OrgID: orgID, Address: &addr}
	var row dbsqlc.Contact
	switch req.Channel {
	case contacts.ChannelEmail:
		row, err = q.EnsureEmailContact(ctx, tx, p)
	case contacts.ChannelWhatsApp:
		row, err = q.EnsureWhatsAppContact(ctx, tx, dbsqlc.EnsureWhatsAppContactParams(p))
	case contacts.ChannelTelegram:
		row, err = q.EnsureTelegramContact(ctx, tx, dbsqlc.EnsureTelegramContactParams(p))
	case contacts.ChannelInstagram:
		row, err = q.EnsureInstagramContact(ctx, tx, dbsqlc.EnsureInstagramContactParams(p))
	}
	if err != nil {
		return recipient{}, fmt.Errorf("matching the recipient's contact: %w", err)
	}
	c := contacts.FromRow(row)
	return recipient{contact: c, address: AddressOf(c, req.Channel), field: "body.to"}, nil
}

// normalizeTo reads a raw address; local phone numbers read in the org's
// default country.
func normalizeTo(req SendRequest, country string) (string, error) {
	var addr string
	var err error
	if req.Channel == contacts.ChannelEmail {
		addr, err = contacts.NormalizeEmail(req.To)
	} else {
		addr, err = contacts.NormalizeAddress(req.Channel, req.To, country)
	}
	if err != nil {
		return "", fault.Field("body.to", fmt.Sprintf("is not a valid %s address: %v", channelNoun(req.Channel), err), req.To)
	}
	return addr, nil
}

func errNoContact(id uuid.UUID) error {
	return fault.Field("body.contact_id", "no such contact in this organization", id)
}

func errNoAddress(ch Channel, id uuid.UUID) error {
	return fault.Field("body.contact_id", fmt.Sprintf("the contact has no %s address", channelNoun(ch)), id)
}

// AddressOf is the contact's address on ch, as messages are sent to it
// ("" when it has none).
func AddressOf(c contacts.Contact, ch Channel) string {
	var p *string
	switch ch {
	case contacts.ChannelEmail:
		p = c.Email
	case contacts.ChannelWhatsApp:
		p = c.WhatsApp
	case contacts.ChannelTelegram:
		p = c.TelegramChatID
	case contacts.ChannelInstagram:
		p = c.InstagramID
	}
	if p == nil {
		return ""
	}
	return *p
}

// suppressionKey is the value the suppression list holds for an address.
func suppressionKey(ch Channel, address string) string {
	if ch == contacts.ChannelEmail {
		return strings.ToLower(address)
	}
	return address
}

func channelNoun(ch Channel) string {
	switch ch {
	case contacts.ChannelEmail:
		return "email"
	case contacts.ChannelWhatsApp:
		return "WhatsApp"
	case contacts.ChannelTelegram:
		return "Telegram"
	case contacts.ChannelInstagram:
		return "Instagram"
	}
	return string(ch)
}

// checkRecipient refuses a suppressed address or an opted-out contact.
func checkRecipient(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, ch Channel, r recipient) error {
	st, err := dbsqlc.New().RecipientState(ctx, db, dbsqlc.RecipientStateParams{
		OrgID: orgID, Channel: string(ch), Address: suppressionKey(ch, r.address),
		ContactID: uuid.NullUUID{UUID: r.contact.ID, Valid: r.contact.ID != uuid.Nil},
	})
	if err != nil {
		return fmt.Errorf("checking suppression: %w", err)
	}
	return blocked(ch, r, st.Suppressed, st.OptedOut)
}

// blocked refuses a send to a suppressed address or an opted-out contact.
func blocked(ch Channel, r recipient, suppressed, optedOut bool) error {
	switch {
	case suppressed:
		return fault.Field(r.field, fmt.Sprintf("%s is on the suppression list for %s", r.address, channelNoun(ch)), r.address)
	case optedOut:
		return fault.Field(r.field, fmt.Sprintf("the contact opted out of %s", channelNoun(ch)), r.contact.ID)
	}
	return nil
}

// outsideReplyWindow refuses an Instagram message more than 24 hours after
// the person last wrote (lastInbound nil: never).
func outsideReplyWindow(r recipient, lastInbound *time.Time, now time.Time) error {
	if lastInbound == nil || now.Sub(*lastInbound) > InstagramReplyWindow {
		return fault.Field(r.field, "Instagram allows messages only within 24 hours of the person's last message to you", r.address)
	}
	return nil
}

// InstagramReplyWindow is how long after a person's last message an
// Instagram account may message them.
const InstagramReplyWindow = 24 * time.Hour

// SendMaxAttempts bounds the provider calls of one message that fail
// retryably (rate-limit snoozes don't count).
const SendMaxAttempts = 8

// preview is a conversation list's one line for a message.
func preview(text string, ups []Upload) string {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" && len(ups) > 0 {
		return "📎 " + ups[0].Filename
	}
	if utf8.RuneCountInString(text) > 140 {
		r := []rune(text)
		return string(r[:139]) + "…"
	}
	return text
}

type rendered struct {
	subject, html, text string
	templateID          uuid.UUID
	templateVersion     int
}

// render fills the template (or the free content) with the send's
// variables, the contact, the org and the unsubscribe link; a variable
// left without a value refuses the send.
func (s *Sends) render(ctx context.Context, tx pgx.Tx, orgID uuid.UUID, req SendRequest, r recipient) (rendered, error) {
	var t *templates.Template
	if req.TemplateID != nil {
		var err error
		if t, err = usableTemplate(ctx, tx, orgID, *req.TemplateID); err != nil {
			return rendered{}, err
		}
	}
	orgName, err := dbsqlc.New().GetOrgName(ctx, tx, orgID)
	if err != nil {
		return rendered{}, fmt.Errorf("reading org name: %w", err)
	}
	var footer *templates.Footer
	if req.Channel == contacts.ChannelEmail {
		f, err := templates.GetFooter(ctx, tx, orgID)
		if err != nil {
			return rendered{}, err
		}
		footer = &f
	}
	return s.fill(req, r, t, orgName, footer)
}

// usableTemplate reads a send's template, as a field error when it is
// missing or was never approved.
func usableTemplate(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) (*templates.Template, error) {
	t, err := templates.GetUsable(ctx, db, orgID, id)
	if fe, ok := fault.As(err); ok && fe.Kind == fault.NotFound {
		return nil, fault.Field("body.template_id", "no such template in this organization", id)
	}
	if errors.Is(err, templates.ErrNotUsable) {
		return nil, fault.Field("body.template_id", "the template has no approved version yet", id)
	}
	return t, err
}

// fill renders a send from what render (or a batch) read: its template
// (nil: the request's own content), the org's name and, for email, its
// footer.
func (s *Sends) fill(req SendRequest, r recipient, t *templates.Template, orgName string, footer *templates.Footer) (rendered, error) {
	ch := req.Channel
	var out rendered
	var content templates.Content
	if t != nil {
		if t.Channel != templates.Channel(ch) {
			return out, fault.Field("body.template_id", fmt.Sprintf("is a %s template; this is a %s message", t.Channel, ch), t.ID)
		}
		content, out.templateID, out.templateVersion = t.Content(), t.ID, t.Version
	} else {
		content = templates.Content{Subject: req.Subject, BodyHTML: req.HTML, BodyText: req.Body, Body: req.Body}
		if ch == contacts.ChannelEmail && req.Body == "" {
			content.BodyText = templates.HTMLToText(req.HTML)
		}
	}
	d := templates.Data{
		Values: req.Variables, Contact: contacts.TemplateValues(r.contact), OrgName: orgName,
		UnsubscribeURL: s.Tokens.URL(s.PublicBaseURL, r.contact.ID, ch),
	}
	res := templates.Render(templates.Channel(ch), content, d, footer)
	// Filled in before the missing check: the send check (Check) shows the
	// render beside the problems.
	if ch == contacts.ChannelEmail {
		out.subject, out.html, out.text = res.Subject, res.HTML, res.Text
	} else {
		out.text = res.Body
	}
	if len(res.Missing) > 0 {
		errs := make([]fault.FieldError, len(res.Missing))
		for i, name := range res.Missing {
			errs[i] = fault.FieldError{Location: "body.variables." + name, Message: "has no value: pass it in variables or give the contact one"}
		}
		return out, fault.Fields(errs...)
	}
	return out, nil
}
