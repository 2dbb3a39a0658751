package conversations

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// Channel is the Postgres notification channel conversation changes go to.
const Channel = "conversations"

// Kind says what changed in a conversation.
type Kind string

// The kinds of change.
const (
	// KindInbound: a contact's message arrived.
	KindInbound Kind = "inbound"
	// KindOutbound: a reply was queued or an outbound message's status
	// moved (sent, delivered, read, failed).
	KindOutbound Kind = "outbound"
	// KindRead: someone opened the conversation (unread is 0).
	KindRead Kind = "read"
	// KindResync: notices may have been missed (the listener reconnected,
	// or the stream fell behind): refetch everything shown.
	KindResync Kind = "resync"
)

// Event is one notice as a stream carries it.
type Event struct {
	OrgID          uuid.UUID `json:"org_id"`
	ConversationID uuid.UUID `json:"conversation_id"`
	Kind           Kind      `json:"kind"`
}

// notify tells listeners about a change of conversation id, when db's
// transaction commits.
func notify(ctx context.Context, db dbutil.Executor, orgID, conversationID uuid.UUID, kind Kind) error {
	b, _ := json.Marshal(Event{OrgID: orgID, ConversationID: conversationID, Kind: kind})
	if err := dbsqlc.New().NotifyConversations(ctx, db, string(b)); err != nil {
		return fmt.Errorf("notifying listeners: %w", err)
	}
	return nil
}

// NotifyOutbound tells live pages that an outbound message of the
// conversation was queued or changed status. Call it in the transaction
// that made the change: the notice goes out only if it commits.
func NotifyOutbound(ctx context.Context, tx dbutil.Executor, orgID, conversationID uuid.UUID) error {
	return notify(ctx, tx, orgID, conversationID, KindOutbound)
}

// NotifyOutboundMessages is NotifyOutbound for a batch of outbound
// messages by id (what messaging.ApplyStatuses returns): one notice per
// conversation they belong to; messages outside conversations (email) are
// skipped. One statement.
func NotifyOutboundMessages(ctx context.Context, tx dbutil.Executor, orgID uuid.UUID, messageIDs []uuid.UUID) error {
	if len(messageIDs) == 0 {
		return nil
	}
	if err := dbsqlc.New().NotifyMessageConversations(ctx, tx, dbsqlc.NotifyMessageConversationsParams{OrgID: orgID, MessageIds: messageIDs}); err != nil {
		return fmt.Errorf("notifying listeners: %w", err)
	}
	return nil
}

// Hub is an API process's one LISTEN connection, fanned out to the open
// streams: each subscriber hears only its org's notices. Run it for the
// life of the process.
type Hub struct {
	connect func(ctx context.Context) (*pgx.Conn, error)
	logger  zerolog.Logger

	mu      sync.Mutex
	subs    map[uuid.UUID]map[*Subscription]struct{}
	stopped bool
	ready   chan struct{}
	once    sync.Once
}

// NewHub makes a hub that opens its own connection with cfg (not one of
// the pool's: LISTEN holds it for as long as the process runs).
func NewHub(cfg *pgx.ConnConfig, logger zerolog.Logger) *Hub {
	return &Hub{
		connect: func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) },
		logger:  logger,
		subs:    map[uuid.UUID]map[*Subscription]struct{}{},
		ready:   make(chan struct{}),
	}
}

// subscriberBuffer is how many notices a slow stream may lag behind before
// it is told to resync instead.
const subscriberBuffer = 64

// Subscription receives one org's notices until closed.
type Subscription struct {
	// C delivers the notices; it is closed when the hub stops.
	C      <-chan Event
	c      chan Event
	hub    *Hub
	org    uuid.UUID
	missed atomic.Bool
	closed bool
}

// Missed reports (and forgets) whether notices were dropped because the
// subscriber fell behind: it should refetch.
func (s *Subscription) Missed() bool { return s.missed.Swap(false) }

// Close stops the subscription.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	if set := s.hub.subs[s.org]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(s.hub.subs, s.org)
		}
	}
	close(s.c)
}

// Subscribe starts receiving org's notices. After the hub stopped, the
// subscription's channel is closed at once.
func (h *Hub) Subscribe(orgID uuid.UUID) *Subscription {
	c := make(chan Event, subscriberBuffer)
	s := &Subscription{C: c, c: c, hub: h, org: orgID}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.stopped {
		s.closed = true
		close(c)
		return s
	}
	set := h.subs[orgID]
	if set == nil {
		set = map[*Subscription]struct{}{}
		h.subs[orgID] = set
	}
	set[s] = struct{}{}
	return s
}

// Ready is closed once the hub listens for the first time.
func (h *Hub) Ready() <-chan struct{} { return h.ready }

// deliver hands ev to the subscribers of its org (every org for a resync),
// never blocking: a full subscriber is marked as having missed notices.
func (h *Hub) deliver(ev Event, all bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	send := func(set map[*Subscription]struct{}, ev Event) {
		for s := range set {
			select {
			case s.c <- ev:
			default:
				s.missed.Store(true)
			}
		}
	}
	if all {
		for org, set := range h.subs {
			ev.OrgID = org
			send(set, ev)
		}
		return
	}
	send(h.subs[ev.OrgID], ev)
}

// Run listens until ctx ends, reconnecting with backoff when the
// connection drops (and telling every subscriber to resync, since notices
// sent meanwhile are lost). When it returns, every subscription is closed.
func (h *Hub) Run(ctx context.Context) {
	defer h.stop()
	backoff := time.Second
	for ctx.Err() == nil {
		err := h.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		h.logger.Warn().Err(err).Dur("retry_in", backoff).Msg("conversations listener lost its connection")
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

// listen holds one connection: LISTEN, then deliver notices until an error.
func (h *Hub) listen(ctx context.Context) error {
	conn, err := h.connect(ctx)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN conversations"); err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	h.once.Do(func() { close(h.ready) })
	// Streams opened before this connection listened (at start, or while
	// it was down) may have missed notices.
	h.deliver(Event{Kind: KindResync}, true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		var ev Event
		if err := json.Unmarshal([]byte(n.Payload), &ev); err != nil || ev.OrgID == uuid.Nil {
			h.logger.Warn().Str("payload", n.Payload).Msg("conversations listener: unreadable notice")
			continue
		}
		h.deliver(ev, false)
	}
}

// stop closes every subscription; later ones are closed at once.
func (h *Hub) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stopped = true
	for _, set := range h.subs {
		for s := range set {
			s.closed = true
			close(s.c)
		}
	}
	h.subs = map[uuid.UUID]map[*Subscription]struct{}{}
}
