package instagram_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/providers/instagram"
)

// A batch mixing what Meta's docs show: a text message, an image, an echo,
// a read, a delivery and a reaction (skipped).
const webhookBatch = `{"object":"instagram","entry":[
 {"time":1520383571,"id":"17841400000000000","messaging":[
  {"sender":{"id":"1254459154682919"},"recipient":{"id":"17841400000000000"},"timestamp":1520383571000,"message":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE","text":"Hello, is this open on Sunday?"}},
  {"sender":{"id":"1254459154682919"},"recipient":{"id":"17841400000000000"},"timestamp":1520383572000,"message":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjI","attachments":[{"type":"image","payload":{"url":"https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=17895695668004550&signature=abc"}}]}},
  {"sender":{"id":"17841400000000000"},"recipient":{"id":"1254459154682919"},"timestamp":1520383573000,"message":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjM","text":"Yes, 10 to 4.","is_echo":true}}
 ]},
 {"time":1520383580,"id":"17841400000000000","messaging":[
  {"sender":{"id":"1254459154682919"},"recipient":{"id":"17841400000000000"},"timestamp":1520383580000,"read":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjM"}},
  {"sender":{"id":"1254459154682919"},"recipient":{"id":"17841400000000000"},"delivery":{"mids":["aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjM"],"watermark":1520383579000}},
  {"sender":{"id":"1254459154682919"},"recipient":{"id":"17841400000000000"},"timestamp":1520383581000,"reaction":{"mid":"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjM","action":"react","reaction":"love","emoji":"\u2764"}}
 ]}
]}`

func TestParseWebhook(t *testing.T) {
	t.Parallel()

	ms := func(n int64) time.Time { return time.UnixMilli(n).UTC() }
	got, err := instagram.ParseWebhook([]byte(webhookBatch))
	require.NoError(t, err)
	require.Equal(t, []instagram.Messaging{
		{Kind: "message", SenderID: "1254459154682919", RecipientID: "17841400000000000", MID: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE",
			Text: "Hello, is this open on Sunday?", Timestamp: ms(1520383571000)},
		{Kind: "message", SenderID: "1254459154682919", RecipientID: "17841400000000000", MID: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjI",
			Timestamp: ms(1520383572000), Attachments: []instagram.Attachment{{Type: "image",
				URL: "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=17895695668004550&signature=abc"}}},
		{Kind: "message", SenderID: "17841400000000000", RecipientID: "1254459154682919", MID: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjM",
			Text: "Yes, 10 to 4.", Timestamp: ms(1520383573000), IsEcho: true},
		{Kind: "read", SenderID: "1254459154682919", RecipientID: "17841400000000000", MID: "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjM",
			Timestamp: ms(1520383580000), Watermark: ms(1520383580000)},
		{Kind: "delivery", SenderID: "1254459154682919", RecipientID: "17841400000000000",
			MIDs: []string{"aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjM"}, Watermark: ms(1520383579000)},
	}, got)

	for name, body := range map[string]string{
		"not json":        `object=instagram`,
		"other object":    `{"object":"whatsapp_business_account","entry":[]}`,
		"entry not array": `{"object":"instagram","entry":{}}`,
	} {
		_, err := instagram.ParseWebhook([]byte(body))
		require.ErrorIs(t, err, instagram.ErrBadWebhook, name)
	}

	got, err = instagram.ParseWebhook([]byte(`{"object":"page","entry":[{"id":"1","time":1,"changes":[{"field":"feed"}]}]}`))
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()

	const secret = "app-secret-123"
	body := []byte(webhookBatch)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	good := "sha256=" + hex.EncodeToString(mac.Sum(nil))

	require.True(t, instagram.VerifySignature(secret, body, good))
	require.False(t, instagram.VerifySignature("other-secret", body, good))
	require.False(t, instagram.VerifySignature(secret, append([]byte(" "), body...), good))
	require.False(t, instagram.VerifySignature(secret, body, good[len("sha256="):]))
	require.False(t, instagram.VerifySignature(secret, body, "sha256=zz"))
	require.False(t, instagram.VerifySignature(secret, body, ""))
	require.False(t, instagram.VerifySignature("", body, good))
}

func TestVerifyChallenge(t *testing.T) {
	t.Parallel()

	q := url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"vt-1"}, "hub.challenge": {"1158201444"}}
	ch, ok := instagram.VerifyChallenge(q, "vt-1")
	require.True(t, ok)
	require.Equal(t, "1158201444", ch)

	_, ok = instagram.VerifyChallenge(q, "vt-2")
	require.False(t, ok)
	_, ok = instagram.VerifyChallenge(q, "")
	require.False(t, ok)
	q.Set("hub.mode", "unsubscribe")
	_, ok = instagram.VerifyChallenge(q, "vt-1")
	require.False(t, ok)
}

func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(webhookBatch))
	f.Add([]byte(`{"object":"instagram","entry":[{"messaging":[{"read":{"watermark":-9223372036854775808}}]}]}`))
	f.Add([]byte(`{"object":"page","entry":[{"messaging":[{"message":null,"delivery":{"mids":null}}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := instagram.ParseWebhook(body)
		if err != nil {
			return
		}
		for _, e := range events {
			switch e.Kind {
			case "message", "delivery", "read":
			default:
				t.Fatalf("kind %q", e.Kind)
			}
		}
		_ = instagram.VerifySignature("s", body, "sha256=00")
	})
}
