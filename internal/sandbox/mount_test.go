package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMountedUnderPrefix serves the sandbox the way the app does, under
// /sandbox/ with http.StripPrefix, and checks the media URLs it hands out
// point back through the prefix.
func TestMountedUnderPrefix(t *testing.T) {
	t.Parallel()
	sb := New(Options{Seed: 1})
	t.Cleanup(sb.Close)
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", http.StripPrefix("/sandbox", sb.Handler()))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	hooks := newReceiver(t)

	put := func(path string, v any) int {
		raw, _ := json.Marshal(v)
		req, _ := http.NewRequest(http.MethodPut, srv.URL+path, bytes.NewReader(raw))
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusOK, put("/sandbox/_api/twilio/senders", TwilioSender{
		AccountSID: twSID, AuthToken: twToken, From: twFrom, InboundURL: hooks.url("/in"),
	}))
	raw, _ := json.Marshal(InboundRequest{
		Channel: "whatsapp", To: twFrom, From: InboundContact{Phone: "+15557654321"},
		Media: &InboundMedia{Filename: "a.txt", ContentType: "text/plain", Base64: base64.StdEncoding.EncodeToString([]byte("hello"))},
	})
	resp, err := srv.Client().Post(srv.URL+"/sandbox/_api/inbound", "application/json", bytes.NewReader(raw))
	require.NoError(t, err)
	var res InboundResult
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&res))
	resp.Body.Close()
	require.True(t, strings.HasPrefix(res.MediaURL, srv.URL+"/sandbox/twilio/"), res.MediaURL)

	resp, err = srv.Client().Get(res.MediaURL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, "hello", string(body))
	twVerify(t, twToken, hooks.next(t))
}
