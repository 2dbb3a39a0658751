package channels

import (
	"bytes"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
)

// Sealed is one channel's stored settings as a query of another domain
// read them beside its own rows (the send worker's message read joins
// channel_settings): everything Open needs, the secrets still sealed.
// The zero value, Configured false, is a channel the org has not set up.
type Sealed struct {
	Configured bool
	OrgID      uuid.UUID
	Channel    Channel
	Enabled    bool
	HookID     string
	// Config is the JSON object of the non-secret fields, Secrets the
	// sealed JSON object of the secret ones (nil when none is set).
	Config  []byte
	Secrets []byte
	// RatePerSecond is the org's override; nil: the channel's default.
	RatePerSecond *float64
}

// sealedOf is what a channel_settings row holds of s.
func sealedOf(r dbsqlc.ChannelSetting) Sealed {
	return Sealed{
		Configured: true, OrgID: r.OrgID, Channel: Channel(r.Channel), Enabled: r.Enabled, HookID: r.HookID,
		Config: r.Config, Secrets: r.Secrets, RatePerSecond: floatPtr(r.RatePerSecond),
	}
}

func (s Sealed) row() dbsqlc.ChannelSetting {
	r := dbsqlc.ChannelSetting{
		OrgID: s.OrgID, Channel: string(s.Channel), Enabled: s.Enabled, HookID: s.HookID, Config: s.Config, Secrets: s.Secrets,
	}
	if s.RatePerSecond != nil {
		r.RatePerSecond = pgtype.Float8{Float64: *s.RatePerSecond, Valid: true}
	}
	return r
}

func (s Sealed) equal(o Sealed) bool {
	return s.Configured == o.Configured && s.OrgID == o.OrgID && s.Channel == o.Channel && s.Enabled == o.Enabled &&
		s.HookID == o.HookID && bytes.Equal(s.Config, o.Config) && bytes.Equal(s.Secrets, o.Secrets) &&
		(s.RatePerSecond == nil) == (o.RatePerSecond == nil) && (s.RatePerSecond == nil || *s.RatePerSecond == *o.RatePerSecond)
}

// Open returns the credentials in s, decrypted, as the channel's Creds
// type: ErrNotConfigured when the channel is missing, disabled or lacks a
// required field, as Load. A busy channel sends many messages a second
// with the same credentials, so the answer is cached per org and channel;
// the cache answers only for settings byte for byte like the ones it
// opened (secrets are sealed with a fresh nonce each time they are
// written), so a change takes effect with the next read of the row.
func (s *Store) Open(x Sealed) (Creds, error) {
	if !x.Configured || !x.Enabled {
		return nil, ErrNotConfigured
	}
	key := openedKey{x.OrgID, x.Channel}
	s.mu.Lock()
	o, ok := s.opened[key]
	s.mu.Unlock()
	if ok && o.sealed.equal(x) {
		return o.creds, nil
	}
	cr, missing, err := s.creds(x.row())
	if err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		return nil, ErrNotConfigured
	}
	s.remember(key, opened{sealed: x, creds: cr})
	return cr, nil
}

// maxOpened bounds the cache of opened credentials.
const maxOpened = 4096

type openedKey struct {
	orgID   uuid.UUID
	channel Channel
}

type opened struct {
	sealed Sealed
	creds  Creds
}

func (s *Store) remember(key openedKey, o opened) {
	// The cache keeps its own copies: the caller's byte slices may be
	// reused by the next read.
	o.sealed.Config = bytes.Clone(o.sealed.Config)
	o.sealed.Secrets = bytes.Clone(o.sealed.Secrets)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opened == nil {
		s.opened = map[openedKey]opened{}
	}
	if _, ok := s.opened[key]; !ok && len(s.opened) >= maxOpened {
		// Any entry will do: an evicted org's next send opens its
		// credentials again.
		for k := range s.opened {
			delete(s.opened, k)
			break
		}
	}
	s.opened[key] = o
}

// openedCache is the Store's memory of opened credentials.
type openedCache struct {
	mu     sync.Mutex
	opened map[openedKey]opened
}
