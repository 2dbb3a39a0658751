package apikeys

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
)

// KeyCache keeps API keys' rows in memory, so that a call made with a key
// needs no database read to authenticate. A trigger announces every change
// that can end a key's use (revoke, regenerate, scopes, expiry, delete) on
// the api_keys channel in the changing transaction; the cache listens and
// forgets the key the moment the change commits. While it is not listening
// — before its connection is up, or after it dropped, when notices may have
// been missed — it keeps and serves nothing, so a revoked key never
// outlives its revocation.
type KeyCache struct {
	connect func(ctx context.Context) (*pgx.Conn, error)
	logger  zerolog.Logger
	ttl     time.Duration

	mu        sync.Mutex
	listening bool
	// gen counts flushes and evictions: a row read before one of them may
	// be stale and is not kept.
	gen  uint64
	keys map[string]cachedKey
}

type cachedKey struct {
	row dbsqlc.ApiKey
	at  time.Time
}

// maxCachedKeys bounds the cache; it is emptied when full.
const maxCachedKeys = 10_000

// NewKeyCache returns a cache that listens on a connection of its own
// (cfg), not a pool's. Entries also expire after ttl, a bound on memory
// rather than on staleness.
func NewKeyCache(cfg *pgx.ConnConfig, ttl time.Duration, logger zerolog.Logger) *KeyCache {
	return &KeyCache{
		connect: func(ctx context.Context) (*pgx.Conn, error) { return pgx.ConnectConfig(ctx, cfg.Copy()) },
		logger:  logger, ttl: ttl, keys: map[string]cachedKey{},
	}
}

// get returns the key with prefix, if held and fresh.
func (c *KeyCache) get(prefix string, now time.Time) (dbsqlc.ApiKey, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k, ok := c.keys[prefix]
	if !ok || !c.listening || now.Sub(k.at) > c.ttl {
		return dbsqlc.ApiKey{}, false
	}
	return k.row, true
}

// Holds reports whether the key with the public prefix (as Key.Prefix
// shows it) would be served from memory now.
func (c *KeyCache) Holds(prefix string) bool {
	_, ok := c.get(strings.TrimPrefix(prefix, auth.APIKeyPrefix), time.Now())
	return ok
}

// generation is read before the database: put keeps the row only if no
// notice arrived in between.
func (c *KeyCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *KeyCache) put(row dbsqlc.ApiKey, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.listening || gen != c.gen {
		return
	}
	if len(c.keys) >= maxCachedKeys {
		clear(c.keys)
	}
	c.keys[row.Prefix] = cachedKey{row: row, at: now}
}

// forget drops one key (prefix "") or all of them, and marks every read in
// flight stale.
func (c *KeyCache) forget(prefix string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if prefix == "" {
		clear(c.keys)
		return
	}
	delete(c.keys, prefix)
}

// Forget drops every key (nil-safe): for a change made by this process,
// which must not wait for its own notice.
func (c *KeyCache) Forget() {
	if c != nil {
		c.forget("")
	}
}

func (c *KeyCache) setListening(on bool) {
	c.mu.Lock()
	c.listening = on
	c.mu.Unlock()
	c.forget("")
}

// Run listens until ctx ends, reconnecting with backoff.
func (c *KeyCache) Run(ctx context.Context) {
	backoff := time.Second
	for ctx.Err() == nil {
		err := c.listen(ctx)
		c.setListening(false)
		if ctx.Err() != nil {
			return
		}
		c.logger.Warn().Err(err).Dur("retry_in", backoff).Msg("API key listener lost its connection; keys are read from the database meanwhile")
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 30*time.Second)
	}
}

func (c *KeyCache) listen(ctx context.Context) error {
	conn, err := c.connect(ctx)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN api_keys"); err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	c.setListening(true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		c.forget(n.Payload)
	}
}
