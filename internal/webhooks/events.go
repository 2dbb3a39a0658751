package webhooks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"

	"github.com/switchboard/switchboard/internal/providers/instagram"
)

// isJSONArray reports whether body is one valid JSON array (the shape of a
// SendGrid batch). It allocates nothing.
func isJSONArray(body []byte) bool {
	t := bytes.TrimLeft(body, " \t\r\n")
	return len(t) > 0 && t[0] == '[' && json.Valid(t)
}

// formJSON keeps a Twilio form as its stored payload: the parameters as
// sent, each with its values.
func formJSON(form url.Values) ([]byte, error) {
	return json.Marshal(map[string][]string(form))
}

// formOf reads a payload written by formJSON.
func formOf(payload []byte) (url.Values, error) {
	var m map[string][]string
	if err := json.Unmarshal(payload, &m); err != nil {
		return nil, err
	}
	return url.Values(m), nil
}

// instagramEnvelope splits a webhook into its raw messaging items, which
// are stored one per event.
type instagramEnvelope struct {
	Entry []struct {
		Messaging []json.RawMessage `json:"messaging"`
	} `json:"entry"`
}

// errNotInstagramEvent is a stored payload that is not a message, delivery
// or read.
var errNotInstagramEvent = errors.New("not an Instagram message, delivery or read")

// instagramEvents maps a verified webhook to its events: each message,
// delivery and read item, raw, with its key. Messages are keyed by their
// mid (so the same message in two batches is one event), reads by reader
// and watermark, deliveries by their content. Other items (reactions,
// postbacks) are not kept.
func instagramEvents(body []byte) ([]event, error) {
	if _, err := instagram.ParseWebhook(body); err != nil {
		return nil, err
	}
	var env instagramEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, err
	}
	var out []event
	for _, e := range env.Entry {
		for _, raw := range e.Messaging {
			m, err := parseInstagramItem(raw)
			if err != nil {
				continue
			}
			ev := event{payload: raw}
			switch {
			case m.Kind == "message" && m.IsEcho:
				ev.kind, ev.key = eventEcho, "m:"+m.MID
			case m.Kind == "message":
				ev.kind, ev.key = eventMessage, "m:"+m.MID
			case m.Kind == "read":
				ev.kind, ev.key = eventRead, "r:"+m.SenderID+":"+strconv.FormatInt(m.Watermark.UnixMilli(), 10)
			default:
				ev.kind = eventDelivery
			}
			if ev.key == "" || ev.key == "m:" {
				ev.key = ev.kind[:1] + ":h:" + contentKey(raw)
			}
			out = append(out, ev)
		}
	}
	return out, nil
}

// parseInstagramItem reads one stored messaging item with the provider's
// parser, by wrapping it in a webhook of its own.
func parseInstagramItem(raw []byte) (instagram.Messaging, error) {
	wrapped := make([]byte, 0, len(raw)+48)
	wrapped = append(wrapped, `{"object":"instagram","entry":[{"messaging":[`...)
	wrapped = append(wrapped, raw...)
	wrapped = append(wrapped, `]}]}`...)
	ms, err := instagram.ParseWebhook(wrapped)
	if err != nil {
		return instagram.Messaging{}, err
	}
	if len(ms) != 1 {
		return instagram.Messaging{}, errNotInstagramEvent
	}
	return ms[0], nil
}

// contentKey names an event that has no id of its own by its bytes: a
// retry of the same call carries the same bytes.
func contentKey(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16])
}
