package sendgrid

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
)

// The headers of a signed event webhook.
const (
	SignatureHeader = eventwebhook.VerificationHTTPHeader // X-Twilio-Email-Event-Webhook-Signature
	TimestampHeader = eventwebhook.TimestampHTTPHeader    // X-Twilio-Email-Event-Webhook-Timestamp
)

// DefaultWindow is how far an event batch's timestamp may be from now before
// VerifySignature calls it a replay. SendGrid retries failed batches for up
// to 24 hours, but each retry is signed afresh with its own timestamp.
const DefaultWindow = 10 * time.Minute

// Errors of VerifySignature.
var (
	ErrBadPublicKey     = errors.New("sendgrid: public key is not a base64 ECDSA key")
	ErrBadTimestamp     = errors.New("sendgrid: signature timestamp is not a Unix time")
	ErrStaleTimestamp   = errors.New("sendgrid: signature timestamp outside the replay window")
	ErrInvalidSignature = errors.New("sendgrid: invalid event webhook signature")
)

// VerifySignature checks a signed event batch: an ECDSA P-256 signature
// (base64 ASN.1) over timestamp + body with the account's public key, as
// sendgrid-go's eventwebhook helper computes it. body must be the raw bytes
// as received. The timestamp must be within window of now (no check when
// window is 0), so that a captured batch can't be replayed later.
func VerifySignature(publicKey, signature, timestamp string, body []byte, now time.Time, window time.Duration) error {
	key, err := parsePublicKey(publicKey)
	if err != nil {
		return err
	}
	ts, err := strconv.ParseInt(strings.TrimSpace(timestamp), 10, 64)
	if err != nil {
		return ErrBadTimestamp
	}
	if window > 0 {
		if d := now.Sub(time.Unix(ts, 0)); d > window || d < -window {
			return fmt.Errorf("%w: %s old", ErrStaleTimestamp, d.Round(time.Second))
		}
	}
	if signature == "" {
		return ErrInvalidSignature
	}
	ok, err := eventwebhook.VerifySignature(key, body, signature, timestamp)
	if err != nil || !ok {
		return ErrInvalidSignature
	}
	return nil
}

// parsePublicKey reads a base64 PKIX key. eventwebhook's own
// ConvertPublicKeyBase64ToECDSA panics on a key that isn't ECDSA, so the
// type is checked here instead.
func parsePublicKey(s string) (*ecdsa.PublicKey, error) {
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil {
		return nil, ErrBadPublicKey
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, ErrBadPublicKey
	}
	key, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, ErrBadPublicKey
	}
	return key, nil
}

// Event is one entry of an event webhook batch.
type Event struct {
	EventID           string // sg_event_id, unique per event: the idempotency key
	ProviderMessageID string // sg_message_id up to the first '.', i.e. Send's MessageID
	Event             string // processed, delivered, bounce, dropped, deferred, open, click, spamreport, unsubscribe, ...
	Email             string
	Reason            string // why it bounced, was dropped or deferred
	Status            string // SMTP status of a bounce ("5.0.0")
	Type              string // bounce type: "bounce" or "blocked"
	URL               string // the link of a click
	Timestamp         time.Time
	Raw               json.RawMessage // the whole entry, unknown fields and custom args included
}

// Arg returns a top-level string field of the raw event, which is where
// SendGrid puts the custom_args of the message. It returns "" when the field
// is missing or not a string.
func (e Event) Arg(name string) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(e.Raw, &fields) != nil {
		return ""
	}
	return str(fields[name])
}

// ErrBadEvents is returned by ParseEvents for a body that is not a JSON array
// of objects.
var ErrBadEvents = errors.New("sendgrid: event batch is not a JSON array of objects")

// ParseEvents reads an event batch. It is tolerant the way the format needs:
// fields of an unexpected type are left empty, unknown fields stay in Raw.
// Only a body that is not an array of objects is an error.
func ParseEvents(body []byte) ([]Event, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadEvents, err)
	}
	events := make([]Event, 0, len(items))
	for i, raw := range items {
		var f map[string]json.RawMessage
		if err := json.Unmarshal(raw, &f); err != nil || f == nil {
			return nil, fmt.Errorf("%w: entry %d is not an object", ErrBadEvents, i)
		}
		ev := Event{
			EventID:           str(f["sg_event_id"]),
			ProviderMessageID: messageID(str(f["sg_message_id"])),
			Event:             str(f["event"]),
			Email:             str(f["email"]),
			Reason:            str(f["reason"]),
			Status:            str(f["status"]),
			Type:              str(f["type"]),
			URL:               str(f["url"]),
			Raw:               raw,
		}
		if ts, ok := unixSeconds(f["timestamp"]); ok {
			ev.Timestamp = time.Unix(ts, 0).UTC()
		}
		events = append(events, ev)
	}
	return events, nil
}

// messageID cuts sg_message_id ("<X-Message-Id>.filter0001.16648.5515E0B88.0")
// back to the X-Message-Id that Send returned.
func messageID(s string) string {
	if i := strings.IndexByte(s, '.'); i >= 0 {
		return s[:i]
	}
	return s
}

// str reads a JSON string, or "" for anything else.
func str(raw json.RawMessage) string {
	if len(raw) == 0 || raw[0] != '"' {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// unixSeconds reads a timestamp given as a JSON number (integer or not) or a
// numeric string.
func unixSeconds(raw json.RawMessage) (int64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		raw = []byte(str(raw))
	}
	if ts, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return ts, true
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f < 0 || f > 1<<40 {
		return 0, false
	}
	return int64(f), true
}
