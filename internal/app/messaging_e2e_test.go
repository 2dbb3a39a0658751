package app

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMessagesReachDeliveredThroughTheSandbox runs the whole system the
// way make run does — the API with the sandbox mounted, the workers, the
// seeded demo org with sandbox credentials — and sends one message per
// channel through the real SDK code paths. Each comes back through the
// sandbox's signed webhooks and our receivers to its final status.
func TestMessagesReachDeliveredThroughTheSandbox(t *testing.T) {
	t.Parallel()
	sys := startSystem(t)
	call, tok := sys.call, sys.token

	// Test connection registers our webhooks with the (simulated) providers.
	for _, ch := range []string{"email", "whatsapp", "telegram", "instagram"} {
		require.Equal(t, http.StatusAccepted, call("POST", "/api/v1/channels/"+ch+"/test", tok, nil, nil), ch)
	}
	require.Eventually(t, func() bool {
		var s struct {
			Status string `json:"status"`
		}
		for _, ch := range []string{"email", "whatsapp", "telegram", "instagram"} {
			if call("GET", "/api/v1/channels/"+ch, tok, nil, &s) != http.StatusOK || s.Status != "ok" {
				return false
			}
		}
		return true
	}, 30*time.Second, 200*time.Millisecond, "every channel's test connection passes against the sandbox")

	// Instagram only allows replies to someone who wrote in the last 24 h:
	// play that person first (the sandbox's numbers ending 0003 also read
	// what they get).
	require.Equal(t, http.StatusAccepted, call("POST", "/api/v1/sandbox/inbound", tok, map[string]any{
		"channel": "instagram", "from": map[string]string{"id": "17841400000000003", "name": "Ig Reader"}, "text": "hi there",
	}, nil))
	var instagramContact string
	require.Eventually(t, func() bool {
		var page struct {
			Items []struct {
				Channel string `json:"channel"`
				Contact struct {
					ID string `json:"id"`
				} `json:"contact"`
			} `json:"items"`
		}
		call("GET", "/api/v1/conversations?channel=instagram", tok, nil, &page)
		for _, c := range page.Items {
			instagramContact = c.Contact.ID
		}
		return instagramContact != ""
	}, 20*time.Second, 200*time.Millisecond, "the inbound Instagram message arrives through the webhook")

	sends := []struct {
		body map[string]any
		want []string
	}{
		{map[string]any{"channel": "email", "to": "ada+open@example.com", "subject": "Hello", "body": "Hello from {{org.name}}"}, []string{"opened", "clicked"}},
		{map[string]any{"channel": "whatsapp", "to": "+14155550003", "body": "Hi on WhatsApp"}, []string{"read"}},
		// Telegram's Bot API has no delivery receipts: sent is final.
		{map[string]any{"channel": "telegram", "to": "987654321", "body": "Hi on Telegram"}, []string{"sent"}},
		{map[string]any{"channel": "instagram", "contact_id": instagramContact, "body": "Thanks for writing"}, []string{"delivered", "read"}},
	}
	for _, s := range sends {
		var m struct {
			ID string `json:"id"`
		}
		require.Equal(t, http.StatusAccepted, call("POST", "/api/v1/messages", tok, s.body, &m), s.body["channel"])
		var got struct {
			Status      string `json:"status"`
			ErrorReason string `json:"error_reason"`
		}
		require.Eventuallyf(t, func() bool {
			call("GET", "/api/v1/messages/"+m.ID, tok, nil, &got)
			for _, w := range s.want {
				if got.Status == w {
					return true
				}
			}
			return false
		}, 30*time.Second, 200*time.Millisecond, "%s message: want %v, have %q (%s)", s.body["channel"], s.want, got.Status, got.ErrorReason)
	}
}
