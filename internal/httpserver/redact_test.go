package httpserver

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRedactPath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"/api/v1/contacts": "/api/v1/contacts",
		"/api/callbacks/twilio/G6NfNBsAudXoSPdM2wquAA/status/": "/api/callbacks/twilio/G6Nf…/status/",
		"/u/AQEX9RjK0ixG9L":                        "/u/[redacted]",
		"/files/tok123/invoice.pdf":                "/files/[redacted]/invoice.pdf",
		"/sandbox/telegram/bot123:ABC/sendMessage": "/sandbox/telegram/bot[redacted]/sendMessage",
		"/sandbox/telegram/file/bot1:A/photos/1":   "/sandbox/telegram/file/bot[redacted]/photos/1",
	} {
		require.Equal(t, want, redactPath(in), in)
	}
}
