package sandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	raw, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"encoding answer"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(raw)))
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}

// problem answers the control API's errors as RFC 9457 problem+json, like
// the app's own API.
func problem(w http.ResponseWriter, status int, detail string) {
	raw, _ := json.Marshal(map[string]any{
		"type": "about:blank", "title": http.StatusText(status), "status": status, "detail": detail,
	})
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_, _ = w.Write(raw)
}

// retryAfter sets Retry-After on a 429 when the config asks for a wait.
func retryAfter(w http.ResponseWriter, seconds int) {
	if seconds > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(seconds))
	}
}

// bufferBody reads the whole request body (up to limit) before the
// simulated latency: the server only notices a caller hanging up once the
// body is consumed, and latency must end early when it does. The body is
// replaced by the bytes read, so parsing continues as usual.
func bufferBody(w http.ResponseWriter, r *http.Request, limit int64) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	r.Body = io.NopCloser(bytes.NewReader(raw))
	return err
}
