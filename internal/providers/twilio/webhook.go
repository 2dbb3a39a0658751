package twilio

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/twilio/twilio-go/client"
)

// SignatureHeader carries Twilio's webhook signature.
const SignatureHeader = "X-Twilio-Signature"

// ValidateSignature checks X-Twilio-Signature with twilio-go's request
// validator: HMAC-SHA1 with the auth token over fullURL (exactly the URL
// Twilio was given, query included) followed by the sorted POST parameters.
// Like the library, it uses the first value of a repeated parameter.
func ValidateSignature(authToken, fullURL string, form url.Values, signature string) bool {
	if authToken == "" || signature == "" {
		return false
	}
	params := make(map[string]string, len(form))
	for k, v := range form {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	rv := client.NewRequestValidator(authToken)
	return rv.Validate(fullURL, params, signature)
}

// ErrMissingField is returned by the parsers for a form without the fields
// every callback of its kind has.
var ErrMissingField = errors.New("twilio: webhook form lacks a required field")

// StatusCallback is a message status change posted to a send's
// StatusCallback URL. To and From are E.164, without "whatsapp:".
type StatusCallback struct {
	MessageSID    string
	MessageStatus string // sent, delivered, read, failed, undelivered (no callback comes for queued)
	ErrorCode     string // set for failed and undelivered
	ErrorMessage  string
	To, From      string
	AccountSID    string
}

// ParseStatus reads a status callback form.
func ParseStatus(form url.Values) (StatusCallback, error) {
	sc := StatusCallback{
		MessageSID:    first(form, "MessageSid", "SmsSid"),
		MessageStatus: first(form, "MessageStatus", "SmsStatus"),
		ErrorCode:     form.Get("ErrorCode"),
		ErrorMessage:  form.Get("ErrorMessage"),
		To:            Number(form.Get("To")),
		From:          Number(form.Get("From")),
		AccountSID:    form.Get("AccountSid"),
	}
	if sc.MessageSID == "" || sc.MessageStatus == "" {
		return StatusCallback{}, fmt.Errorf("%w: MessageSid and MessageStatus", ErrMissingField)
	}
	return sc, nil
}

// Media is one media item of an inbound message, fetched from URL with the
// account's credentials.
type Media struct {
	URL         string
	ContentType string
}

// Inbound is a WhatsApp message a contact sent to one of our senders.
type Inbound struct {
	MessageSID  string
	AccountSID  string
	From        string // E.164, no "whatsapp:"
	To          string // E.164: our sender
	Body        string
	ProfileName string // the contact's WhatsApp profile name
	Media       []Media
}

// MaxMedia is the most media items Twilio attaches to one message.
const MaxMedia = 10

// ParseInbound reads an incoming-message webhook form. Media items are read
// from MediaUrl0..MediaUrl9 (with MediaContentTypeN) as far as NumMedia
// says, or, when NumMedia is missing or wrong, as far as they are present.
func ParseInbound(form url.Values) (Inbound, error) {
	in := Inbound{
		MessageSID:  first(form, "MessageSid", "SmsMessageSid", "SmsSid"),
		AccountSID:  form.Get("AccountSid"),
		From:        Number(form.Get("From")),
		To:          Number(form.Get("To")),
		Body:        form.Get("Body"),
		ProfileName: form.Get("ProfileName"),
	}
	if in.MessageSID == "" || in.From == "" {
		return Inbound{}, fmt.Errorf("%w: MessageSid and From", ErrMissingField)
	}
	n, err := strconv.Atoi(form.Get("NumMedia"))
	if err != nil || n < 0 || n > MaxMedia {
		n = MaxMedia
	}
	for i := range n {
		u := form.Get("MediaUrl" + strconv.Itoa(i))
		if u == "" {
			continue
		}
		in.Media = append(in.Media, Media{URL: u, ContentType: form.Get("MediaContentType" + strconv.Itoa(i))})
	}
	return in, nil
}

// Number strips the channel prefix of a Twilio address: "whatsapp:+1555..."
// becomes "+1555...".
func Number(addr string) string {
	if i := strings.IndexByte(addr, ':'); i >= 0 && !strings.HasPrefix(addr, "+") {
		return addr[i+1:]
	}
	return addr
}

func first(form url.Values, keys ...string) string {
	for _, k := range keys {
		if v := form.Get(k); v != "" {
			return v
		}
	}
	return ""
}
