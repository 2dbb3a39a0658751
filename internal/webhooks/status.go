package webhooks

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/campaigns"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/conversations"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/providers/sendgrid"
	"github.com/switchboard/switchboard/internal/providers/twilio"
	"github.com/switchboard/switchboard/internal/suppression"
)

// Sources of the suppressions webhooks add.
const (
	SourceSendGrid = "sendgrid_webhook"
	SourceTwilio   = "twilio_webhook"
)

// sendGridStatuses maps SendGrid events to message statuses. processed,
// deferred and unsubscribed only join the timeline (they have no rank).
var sendGridStatuses = map[string]string{
	"processed":         "processed",
	"delivered":         string(messaging.StatusDelivered),
	"open":              string(messaging.StatusOpened),
	"click":             string(messaging.StatusClicked),
	"bounce":            string(messaging.StatusBounced),
	"dropped":           string(messaging.StatusFailed),
	"deferred":          "deferred",
	"spamreport":        string(messaging.StatusSpam),
	"unsubscribe":       "unsubscribed",
	"group_unsubscribe": "unsubscribed",
}

// twilioStatuses are the Twilio statuses that move a message; queued,
// accepted, sending and the inbound ones are not reported to callbacks or
// say nothing new.
var twilioStatuses = map[string]string{
	"sent":        string(messaging.StatusSent),
	"delivered":   string(messaging.StatusDelivered),
	"read":        string(messaging.StatusRead),
	"failed":      string(messaging.StatusFailed),
	"undelivered": string(messaging.StatusUndelivered),
}

// twilioSuppressing are Twilio error codes that say the recipient can never
// be reached (or asked not to be): the address is suppressed. 63024: invalid
// message recipient; 21211: invalid 'To' number; 21610: the recipient
// replied STOP.
var twilioSuppressing = map[string]struct {
	reason string
	optOut bool
}{
	"63024": {suppression.ReasonBounced, false},
	"21211": {suppression.ReasonBounced, false},
	"21610": {suppression.ReasonUnsubscribed, true},
}

// suppress is an address to add to the suppression list.
type suppress struct {
	value, reason, note string
	optOut              bool
}

// effects gathers what a request's status events do, to apply them
// set-based: one ApplyStatuses per provider, one suppression statement
// per channel, one update marking the events processed.
type effects struct {
	statuses  map[string][]messaging.StatusEvent // by provider
	readers   []string                           // Instagram reads: who read...
	watermark []time.Time                        // ...up to when
	suppress  map[contacts.Channel][]suppress
	// campaignMail are the events of campaign emails (those carrying a
	// recipient id in their custom args): they have no outbound message,
	// only a campaign recipient.
	campaignMail []campaigns.SendGridEvent
	done         []int64
	errs         []string
}

func newEffects() *effects {
	return &effects{statuses: map[string][]messaging.StatusEvent{}, suppress: map[contacts.Channel][]suppress{}}
}

// finish marks an event processed, with the error that kept it from
// having an effect ("" for none).
func (e *effects) finish(id int64, err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	e.done = append(e.done, id)
	e.errs = append(e.errs, msg)
}

func (e *effects) status(provider, pmid, status string, at time.Time, detail map[string]any) {
	if pmid == "" {
		return
	}
	e.statuses[provider] = append(e.statuses[provider], messaging.StatusEvent{ProviderMessageID: pmid, Status: status, OccurredAt: at, Detail: detail})
}

// add maps one stored event to its effects. Inbound messages are not
// handled here (see ProcessWorker.receive).
func (e *effects) add(r dbsqlc.LockPendingWebhookEventsRow) {
	var err error
	switch r.Provider {
	case ProviderSendGrid:
		err = e.addSendGrid(r)
	case ProviderTwilio:
		err = e.addTwilio(r)
	case ProviderInstagram:
		err = e.addInstagram(r)
	}
	e.finish(r.ID, err)
}

func (e *effects) addSendGrid(r dbsqlc.LockPendingWebhookEventsRow) error {
	wrapped := make([]byte, 0, len(r.Payload)+2)
	wrapped = append(append(append(wrapped, '['), r.Payload...), ']')
	evs, err := sendgrid.ParseEvents(wrapped)
	if err != nil || len(evs) != 1 {
		return fmt.Errorf("unreadable SendGrid event: %v", err)
	}
	ev := evs[0]
	status, ok := sendGridStatuses[ev.Event]
	if !ok {
		return nil // group_resubscribe and future events: nothing to do
	}
	at := ev.Timestamp
	if at.IsZero() {
		at = r.ReceivedAt
	}
	var d map[string]any
	switch ev.Event {
	case "bounce":
		d = detail("reason", ev.Reason, "code", ev.Status, "type", ev.Type)
	case "dropped", "deferred":
		d = detail("reason", ev.Reason)
	case "click":
		d = detail("url", ev.URL)
	case "spamreport":
		d = detail("reason", "the recipient reported the message as spam")
	}
	if rid := ev.Arg(campaigns.ArgRecipientID); rid != "" {
		code, reason := "", ev.Reason
		if ev.Event == "bounce" {
			code = ev.Status
		}
		e.campaignMail = append(e.campaignMail, campaigns.SendGridEvent{RecipientArg: rid, Status: status, OccurredAt: at, Code: code, Reason: reason})
	} else {
		e.status(ProviderSendGrid, ev.ProviderMessageID, status, at, d)
	}

	email := strings.ToLower(strings.TrimSpace(ev.Email))
	if email == "" {
		return nil
	}
	switch ev.Event {
	case "bounce":
		// "blocked" is the receiving server refusing for now (reputation,
		// content): not a dead address.
		if ev.Type != "blocked" {
			e.suppress[contacts.ChannelEmail] = append(e.suppress[contacts.ChannelEmail],
				suppress{value: email, reason: suppression.ReasonBounced, note: ev.Reason})
		}
	case "spamreport":
		e.suppress[contacts.ChannelEmail] = append(e.suppress[contacts.ChannelEmail],
			suppress{value: email, reason: suppression.ReasonSpamComplaint, note: "spam report", optOut: true})
	case "unsubscribe", "group_unsubscribe":
		e.suppress[contacts.ChannelEmail] = append(e.suppress[contacts.ChannelEmail],
			suppress{value: email, reason: suppression.ReasonUnsubscribed, note: ev.Event, optOut: true})
	}
	return nil
}

func (e *effects) addTwilio(r dbsqlc.LockPendingWebhookEventsRow) error {
	form, err := formOf(r.Payload)
	if err != nil {
		return fmt.Errorf("unreadable Twilio form: %w", err)
	}
	sc, err := twilio.ParseStatus(form)
	if err != nil {
		return err
	}
	status, ok := twilioStatuses[sc.MessageStatus]
	if !ok {
		return nil
	}
	var d map[string]any
	if sc.ErrorCode != "" || sc.ErrorMessage != "" {
		reason := sc.ErrorMessage
		if reason == "" {
			reason = "Twilio error " + sc.ErrorCode
		}
		d = detail("code", sc.ErrorCode, "reason", reason)
	}
	// Status callbacks carry no time: the time received is the closest.
	e.status(ProviderTwilio, sc.MessageSID, status, r.ReceivedAt, d)
	if s, ok := twilioSuppressing[sc.ErrorCode]; ok && (status == "failed" || status == "undelivered") && sc.To != "" {
		e.suppress[contacts.ChannelWhatsApp] = append(e.suppress[contacts.ChannelWhatsApp],
			suppress{value: sc.To, reason: s.reason, note: fmt.Sprintf("Twilio error %s: %s", sc.ErrorCode, sc.ErrorMessage), optOut: s.optOut})
	}
	return nil
}

func (e *effects) addInstagram(r dbsqlc.LockPendingWebhookEventsRow) error {
	if r.Kind != eventDelivery && r.Kind != eventRead {
		return nil // echoes: our own messages, nothing to do
	}
	m, err := parseInstagramItem(r.Payload)
	if err != nil {
		return err
	}
	at := m.Watermark
	if at.IsZero() {
		at = m.Timestamp
	}
	if at.IsZero() {
		at = r.ReceivedAt
	}
	switch m.Kind {
	case "delivery":
		for _, mid := range m.MIDs {
			e.status(ProviderInstagram, mid, string(messaging.StatusDelivered), at, nil)
		}
	case "read":
		e.status(ProviderInstagram, m.MID, string(messaging.StatusRead), at, nil)
		if m.SenderID != "" {
			e.readers, e.watermark = append(e.readers, m.SenderID), append(e.watermark, at)
		}
	}
	return nil
}

// apply runs the gathered effects in tx and marks the events processed.
func (e *effects) apply(ctx context.Context, tx pgx.Tx, orgID uuid.UUID, now time.Time) error {
	q := dbsqlc.New()
	if len(e.readers) > 0 {
		rows, err := q.InstagramMessagesReadBy(ctx, tx, dbsqlc.InstagramMessagesReadByParams{OrgID: orgID, Readers: e.readers, Watermarks: e.watermark})
		if err != nil {
			return fmt.Errorf("finding the Instagram messages read: %w", err)
		}
		for _, r := range rows {
			e.status(ProviderInstagram, r.ProviderMessageID, string(messaging.StatusRead), r.Watermark, nil)
		}
	}
	for _, provider := range []string{ProviderSendGrid, ProviderTwilio, ProviderInstagram} {
		if evs := e.statuses[provider]; len(evs) > 0 {
			applied, err := messaging.ApplyStatuses(ctx, tx, orgID, provider, evs)
			if err != nil {
				return err
			}
			// Open conversations show the new ticks live.
			ids := make([]uuid.UUID, len(applied))
			for i, a := range applied {
				ids[i] = a.MessageID
			}
			if err := conversations.NotifyOutboundMessages(ctx, tx, orgID, ids); err != nil {
				return err
			}
			// Chat messages of campaigns move their recipients too.
			if err := campaigns.ApplyMessageEvents(ctx, tx, orgID, provider, evs); err != nil {
				return err
			}
		}
	}
	if err := campaigns.ApplySendGridEvents(ctx, tx, orgID, e.campaignMail); err != nil {
		return err
	}
	for _, ch := range []contacts.Channel{contacts.ChannelEmail, contacts.ChannelWhatsApp} {
		list := e.suppress[ch]
		if len(list) == 0 {
			continue
		}
		p := dbsqlc.SuppressFromWebhookParams{
			OrgID: orgID, Channel: string(ch), Source: SourceSendGrid, At: now,
			Vals: make([]string, len(list)), Reasons: make([]string, len(list)), Notes: make([]string, len(list)), OptOuts: make([]bool, len(list)),
		}
		if ch == contacts.ChannelWhatsApp {
			p.Source = SourceTwilio
		}
		for i, s := range list {
			p.Vals[i], p.Reasons[i], p.Notes[i], p.OptOuts[i] = s.value, s.reason, clip(s.note, 500), s.optOut
		}
		if _, err := q.SuppressFromWebhook(ctx, tx, p); err != nil {
			return fmt.Errorf("suppressing %s addresses: %w", ch, err)
		}
	}
	if len(e.done) == 0 {
		return nil
	}
	err := q.FinishWebhookEvents(ctx, tx, dbsqlc.FinishWebhookEventsParams{OrgID: orgID, Ids: e.done, Errors: e.errs, Now: now})
	if err != nil {
		return fmt.Errorf("marking webhook events processed: %w", err)
	}
	return nil
}

// detail builds a timeline detail from key/value pairs, leaving out empty
// values; nil when none is left.
func detail(kv ...string) map[string]any {
	var m map[string]any
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		if m == nil {
			m = map[string]any{}
		}
		m[kv[i]] = kv[i+1]
	}
	return m
}

// clip cuts s to at most n bytes on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !isRuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
