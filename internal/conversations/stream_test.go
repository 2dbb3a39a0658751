package conversations

import (
	"bufio"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/dbtest"
)

func waitReady(t *testing.T, h *Hub) {
	t.Helper()
	select {
	case <-h.Ready():
	case <-time.After(10 * time.Second):
		t.Fatal("the hub never listened")
	}
}

func TestHubDeliversToTheOrgOnly(t *testing.T) {
	t.Parallel()
	a := setupAPI(t)
	waitReady(t, a.hub)
	mine := a.tenant(t, auth.RoleOwner)
	theirs := a.tenant(t, auth.RoleOwner)
	subMine := a.hub.Subscribe(mine.org)
	defer subMine.Close()
	subTheirs := a.hub.Subscribe(theirs.org)
	defer subTheirs.Close()

	done := make(chan InboundMessage, 1)
	go func() {
		m, _, err := a.svc.Receive(context.Background(), mine.org, Inbound{
			Channel: contacts.ChannelTelegram, ProviderMessageID: "77:1", From: "77", Text: "live",
		})
		if err == nil {
			done <- m
		}
		close(done)
	}()
	m, ok := <-done
	require.True(t, ok, "Receive failed")

	select {
	case ev := <-subMine.C:
		require.Equal(t, mine.org, ev.OrgID)
		require.Equal(t, m.ConversationID, ev.ConversationID)
		require.Equal(t, KindInbound, ev.Kind)
	case <-time.After(5 * time.Second):
		t.Fatal("the org's subscriber heard nothing")
	}
	select {
	case ev := <-subTheirs.C:
		t.Fatalf("another org's subscriber heard %+v", ev)
	case <-time.After(300 * time.Millisecond):
	}
}

func TestHubStopClosesSubscriptions(t *testing.T) {
	t.Parallel()
	a := setupAPI(t)
	h := NewHub(dbtest.Pool(t).Config().ConnConfig, zerolog.Nop())
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { h.Run(ctx); close(stopped) }()
	waitReady(t, h)
	sub := h.Subscribe(a.tenant(t, auth.RoleOwner).org)
	cancel()
	<-stopped
	_, open := <-sub.C
	require.False(t, open)
	sub.Close() // harmless twice
	late := h.Subscribe(sub.org)
	_, open = <-late.C
	require.False(t, open)
}

func TestStreamOverHTTP(t *testing.T) {
	t.Parallel()
	a := setupAPI(t)
	waitReady(t, a.hub)
	mine := a.tenant(t, auth.RoleViewer)
	theirs := a.tenant(t, auth.RoleOwner)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = a.server.App.Listener(ln) }()
	t.Cleanup(func() { _ = ln.Close() })

	open := func(token string) (*bufio.Reader, func()) {
		req, err := http.NewRequest("GET", "http://"+ln.Addr().String()+"/api/v1/conversations/stream", nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+token)
		// Like a browser: the compression middleware must not hold events back.
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := (&http.Client{}).Do(req)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "text/event-stream", resp.Header.Get("Content-Type"))
		var body io.Reader = resp.Body
		if resp.Header.Get("Content-Encoding") == "gzip" {
			// gzip.NewReader reads the header, which the server flushes with the first event.
			gz, err := gzip.NewReader(resp.Body)
			require.NoError(t, err)
			body = gz
		}
		return bufio.NewReader(body), func() { resp.Body.Close() }
	}
	// next reads the next event's name and data (skipping comments).
	next := func(r *bufio.Reader) (string, string) {
		name, data, err := readEvent(r)
		require.NoError(t, err)
		return name, data
	}

	rMine, closeMine := open(mine.token)
	defer closeMine()
	name, _ := next(rMine)
	require.Equal(t, "ready", name)
	rTheirs, closeTheirs := open(theirs.token)
	defer closeTheirs()
	name, _ = next(rTheirs)
	require.Equal(t, "ready", name)

	m := a.seed(t, mine.org, Inbound{Channel: contacts.ChannelWhatsApp, From: "+14155550177", Text: "over the wire"})
	got := make(chan string, 1)
	go func() {
		if name, data, err := readEvent(rMine); err == nil {
			got <- name + " " + data
		}
	}()
	select {
	case s := <-got:
		require.Equal(t, `conversation {"conversation_id":"`+m.ConversationID.String()+`","kind":"inbound"}`, s)
	case <-time.After(5 * time.Second):
		t.Fatal("no event on the stream")
	}

	theirsGot := make(chan string, 1)
	go func() {
		// Ends with an error when the test closes the stream.
		if name, data, err := readEvent(rTheirs); err == nil {
			theirsGot <- name + " " + data
		}
	}()
	select {
	case s := <-theirsGot:
		t.Fatalf("another org's stream got %s", s)
	case <-time.After(300 * time.Millisecond):
	}

	// Without a credential there is no stream.
	resp, err := http.Get("http://" + ln.Addr().String() + "/api/v1/conversations/stream")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// readEvent reads the next server-sent event's name and data, skipping
// comments.
func readEvent(r *bufio.Reader) (string, string, error) {
	var name, data string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", "", err
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "" && name != "":
			return name, data, nil
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

func TestStreamFraming(t *testing.T) {
	t.Parallel()
	h := NewHub(nil, zerolog.Nop()) // never run: deliver is called by hand
	org := uuid.New()
	conv := uuid.New()

	t.Run("EndsAfterMaxAge", func(t *testing.T) {
		t.Parallel()
		sub := h.Subscribe(uuid.New())
		var out []string
		require.NoError(t, stream(sub, func(s string) bool { out = append(out, s); return true }, 50*time.Millisecond))
		require.Equal(t, []string{"retry: 3000\nevent: ready\ndata: {}\n\n", "event: reconnect\ndata: {}\n\n"}, out)
	})

	t.Run("FallingBehindAsksForResync", func(t *testing.T) {
		t.Parallel()
		sub := h.Subscribe(org)
		for range subscriberBuffer + 5 {
			h.deliver(Event{OrgID: org, ConversationID: conv, Kind: KindInbound}, false)
		}
		var out []string
		send := func(s string) bool {
			out = append(out, s)
			return len(out) < 3 // the client goes after the third message
		}
		require.ErrorIs(t, stream(sub, send, time.Minute), errClientGone)
		require.Equal(t, "event: resync\ndata: {}\n\n", out[1])
		require.Equal(t, "event: conversation\ndata: {\"conversation_id\":\""+conv.String()+"\",\"kind\":\"inbound\"}\n\n", out[2])
		sub.Close()
	})
}
