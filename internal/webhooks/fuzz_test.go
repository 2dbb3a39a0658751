package webhooks

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzInstagramEvents checks the receiver's own mapping of a webhook to
// stored events: it never panics, every event has a key and a known kind,
// keeps its item's raw JSON, and reads back with the processor's parser.
func FuzzInstagramEvents(f *testing.F) {
	f.Add([]byte(igWebhook(igMessage("9001", "mid.1", "hi", time.Unix(1700000000, 0)))))
	f.Add([]byte(`{"object":"page","entry":[{"messaging":[{"sender":{"id":"1"},"delivery":{"mids":["a","b"],"watermark":5}},{"read":{"watermark":7}},{"message":{"is_echo":true}}]}]}`))
	f.Add([]byte(`{"object":"instagram","entry":[{"messaging":[{"message":{"mid":""}},{"reaction":{}},null,1]}]}`))
	f.Add([]byte(`{"object":"instagram","entry":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := instagramEvents(body)
		if err != nil {
			return
		}
		for _, e := range events {
			if e.key == "" || strings.HasSuffix(e.key, ":") {
				t.Fatalf("event without a key: %+v", e)
			}
			switch e.kind {
			case eventMessage, eventEcho, eventDelivery, eventRead:
			default:
				t.Fatalf("unknown kind %q", e.kind)
			}
			if !json.Valid(e.payload) {
				t.Fatalf("payload is not JSON: %q", e.payload)
			}
			m, err := parseInstagramItem(e.payload)
			if err != nil {
				t.Fatalf("stored item does not parse back: %v", err)
			}
			if (m.Kind == "message") != (e.kind == eventMessage || e.kind == eventEcho) {
				t.Fatalf("kind %q stored as %q", m.Kind, e.kind)
			}
		}
	})
}

// FuzzSnippet checks that a logged snippet is always storable text of
// bounded size.
func FuzzSnippet(f *testing.F) {
	f.Add([]byte("plain"))
	f.Add([]byte(strings.Repeat("é", 3000)))
	f.Add([]byte("\x00\xff\xfe"))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := snippet(body)
		if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
			t.Fatalf("not storable: %q", s)
		}
		// Each byte left in may become a 3-byte replacement character.
		if len(s) > 3*SnippetBytes+len("…") {
			t.Fatalf("too long: %d", len(s))
		}
		if len(body) <= SnippetBytes && utf8.Valid(body) && !strings.ContainsRune(string(body), 0) && s != string(body) {
			t.Fatalf("a short clean body is kept whole")
		}
	})
}

// FuzzIsJSONArray agrees with encoding/json on what a SendGrid batch may be.
func FuzzIsJSONArray(f *testing.F) {
	f.Add([]byte(`[]`))
	f.Add([]byte(` [{"a":1}]`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`[1,`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var v []json.RawMessage
		want := json.Unmarshal(body, &v) == nil && v != nil
		if got := isJSONArray(body); got != want {
			t.Fatalf("isJSONArray(%q) = %v, encoding/json says %v", body, got, want)
		}
	})
}
