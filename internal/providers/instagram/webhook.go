package instagram

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// SignatureHeader carries the webhook signature.
const SignatureHeader = "X-Hub-Signature-256"

// VerifySignature checks X-Hub-Signature-256 ("sha256=<hex HMAC-SHA256 of the
// raw body with the app secret>"). An empty secret never verifies.
func VerifySignature(appSecret string, body []byte, header string) bool {
	hexSig, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok || appSecret == "" {
		return false
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return hmac.Equal(mac.Sum(nil), got)
}

// VerifyChallenge answers Meta's subscription handshake
// (GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...): when the
// token matches, the caller answers 200 with the challenge as the body.
func VerifyChallenge(q url.Values, verifyToken string) (string, bool) {
	if q.Get("hub.mode") != "subscribe" || verifyToken == "" {
		return "", false
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), []byte(verifyToken)) != 1 {
		return "", false
	}
	return q.Get("hub.challenge"), true
}

// Attachment is media in an inbound message: Type is image, video, audio,
// file, share, story_mention, ig_reel...; URL is Meta's (expiring) link.
type Attachment struct {
	Type string
	URL  string
}

// Messaging is one event of a webhook batch.
type Messaging struct {
	Kind        string // message, delivery, read
	SenderID    string // the user for inbound messages and reads; our account for echoes
	RecipientID string
	MID         string // the message (for a read on Instagram: the message read)
	Text        string
	Timestamp   time.Time
	Attachments []Attachment
	IsEcho      bool      // a message our account sent (from any app), not one it received
	Watermark   time.Time // delivery, read: everything before it is delivered / read
	MIDs        []string  // delivery: the messages delivered
}

// ErrBadWebhook is returned by ParseWebhook for a body that is not a
// messaging webhook of an Instagram (or page) subscription.
var ErrBadWebhook = errors.New("instagram: not a messaging webhook")

type wireWebhook struct {
	Object string `json:"object"`
	Entry  []struct {
		ID        string          `json:"id"`
		Time      int64           `json:"time"`
		Messaging []wireMessaging `json:"messaging"`
	} `json:"entry"`
}

type wireMessaging struct {
	Sender struct {
		ID string `json:"id"`
	} `json:"sender"`
	Recipient struct {
		ID string `json:"id"`
	} `json:"recipient"`
	Timestamp int64 `json:"timestamp"`
	Message   *struct {
		MID         string `json:"mid"`
		Text        string `json:"text"`
		IsEcho      bool   `json:"is_echo"`
		Attachments []struct {
			Type    string `json:"type"`
			Payload struct {
				URL string `json:"url"`
			} `json:"payload"`
		} `json:"attachments"`
	} `json:"message"`
	Delivery *struct {
		MIDs      []string `json:"mids"`
		Watermark int64    `json:"watermark"`
	} `json:"delivery"`
	Read *struct {
		MID       string `json:"mid"`
		Watermark int64  `json:"watermark"`
	} `json:"read"`
}

// ParseWebhook reads a webhook batch ({"object":"instagram","entry":[{"id",
// "time","messaging":[...]}]}) into its message, delivery and read events,
// in order. Other events (reactions, postbacks, field changes) are skipped.
// Timestamps and watermarks are milliseconds.
func ParseWebhook(body []byte) ([]Messaging, error) {
	var w wireWebhook
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadWebhook, err)
	}
	if w.Object != "instagram" && w.Object != "page" {
		return nil, fmt.Errorf("%w: object %q", ErrBadWebhook, w.Object)
	}
	var out []Messaging
	for _, e := range w.Entry {
		for _, m := range e.Messaging {
			ev := Messaging{SenderID: m.Sender.ID, RecipientID: m.Recipient.ID, Timestamp: millis(m.Timestamp)}
			switch {
			case m.Message != nil:
				ev.Kind = "message"
				ev.MID, ev.Text, ev.IsEcho = m.Message.MID, m.Message.Text, m.Message.IsEcho
				for _, a := range m.Message.Attachments {
					ev.Attachments = append(ev.Attachments, Attachment{Type: a.Type, URL: a.Payload.URL})
				}
			case m.Delivery != nil:
				ev.Kind = "delivery"
				ev.MIDs = m.Delivery.MIDs
				ev.Watermark = millis(m.Delivery.Watermark)
			case m.Read != nil:
				ev.Kind = "read"
				ev.MID = m.Read.MID
				ev.Watermark = millis(m.Read.Watermark)
				if ev.Watermark.IsZero() {
					ev.Watermark = ev.Timestamp
				}
			default:
				continue
			}
			out = append(out, ev)
		}
	}
	return out, nil
}

// millis reads a millisecond Unix time; 0 stays the zero time.
func millis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
