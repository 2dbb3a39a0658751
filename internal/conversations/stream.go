package conversations

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/httpserver"
)

// HeartbeatInterval is how often an idle stream sends a comment, so that
// proxies keep it open and a gone client is noticed.
const HeartbeatInterval = 15 * time.Second

// DefaultStreamMaxAge ends a stream so that the client reconnects with a
// fresh credential.
const DefaultStreamMaxAge = 5 * time.Minute

// streamWriteTimeout bounds each write to a stream's client. The server's
// WriteTimeout is set once per response, which would cut a long stream;
// each write pushes the connection's deadline instead.
const streamWriteTimeout = 30 * time.Second

// ErrNoStream answers the stream when this process has no listener.
var ErrNoStream = fault.New(fault.Unavailable, "live updates are not available: poll the conversation list")

func (h *Handlers) registerStream(api huma.API, read auth.Access, tags []string) {
	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "stream-conversations", Method: http.MethodGet, Path: "/api/v1/conversations/stream", Tags: tags,
		Summary: "Follow conversations live (server-sent events)",
		Description: "A text/event-stream of the org's conversation changes: `event: conversation` with data " +
			"`{\"conversation_id\", \"kind\"}` (kind inbound, outbound, read), `event: resync` when notices may have been " +
			"missed (refetch), comments every 15 s as a heartbeat, and `event: reconnect` when the server ends the stream " +
			"(every few minutes, so that the credential is checked again): connect again. Authenticate with the " +
			"Authorization header (read the stream with fetch, not EventSource, which cannot send it).",
		Responses: map[string]*huma.Response{"200": {Description: "The event stream", Content: map[string]*huma.MediaType{
			"text/event-stream": {Schema: &huma.Schema{Type: "string"}},
		}}},
		Errors: []int{http.StatusServiceUnavailable},
	}, read), func(ctx context.Context, _ *struct{}) (*huma.StreamResponse, error) {
		if h.Hub == nil {
			return nil, ErrNoStream
		}
		orgID := auth.PrincipalFrom(ctx).OrgID
		logger := zerolog.Ctx(ctx)
		maxAge := h.StreamMaxAge
		if maxAge <= 0 {
			maxAge = DefaultStreamMaxAge
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			// Subscribed before the first byte, so that nothing committed
			// after the client's request is missed.
			sub := h.Hub.Subscribe(orgID)
			hctx.SetHeader("Content-Type", "text/event-stream")
			hctx.SetHeader("Cache-Control", "no-store")
			hctx.SetHeader("X-Accel-Buffering", "no")
			hctx.SetStatus(http.StatusOK)
			fctx := httpserver.HumaContext(hctx).Context()
			conn := fctx.Conn()
			fctx.SetBodyStreamWriter(func(w *bufio.Writer) {
				defer sub.Close()
				send := func(s string) bool {
					_ = conn.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
					if _, err := w.WriteString(s); err != nil {
						return false
					}
					return w.Flush() == nil
				}
				if err := stream(sub, send, maxAge); err != nil {
					logger.Debug().Err(err).Msg("conversation stream ended")
				}
			})
		}}, nil
	})
}

// stream writes sub's events with send until the client goes, the hub
// stops, or maxAge passes.
func stream(sub *Subscription, send func(string) bool, maxAge time.Duration) error {
	// retry: how long EventSource-like clients wait before reconnecting.
	if !send("retry: 3000\nevent: ready\ndata: {}\n\n") {
		return errClientGone
	}
	heartbeat := time.NewTicker(HeartbeatInterval)
	defer heartbeat.Stop()
	deadline := time.NewTimer(maxAge)
	defer deadline.Stop()
	for {
		var msg string
		select {
		case ev, ok := <-sub.C:
			if !ok {
				send("event: reconnect\ndata: {}\n\n")
				return nil
			}
			msg = eventMessage(ev)
		case <-heartbeat.C:
			msg = ": heartbeat\n\n"
		case <-deadline.C:
			send("event: reconnect\ndata: {}\n\n")
			return nil
		}
		if sub.Missed() {
			msg = "event: resync\ndata: {}\n\n"
		}
		if !send(msg) {
			return errClientGone
		}
	}
}

var errClientGone = errors.New("client went away")

// eventMessage formats one notice as a server-sent event. The org id is
// left out: the stream is the org's.
func eventMessage(ev Event) string {
	if ev.Kind == KindResync {
		return "event: resync\ndata: {}\n\n"
	}
	b, _ := json.Marshal(struct {
		ConversationID string `json:"conversation_id"`
		Kind           Kind   `json:"kind"`
	}{ev.ConversationID.String(), ev.Kind})
	return "event: conversation\ndata: " + string(b) + "\n\n"
}
