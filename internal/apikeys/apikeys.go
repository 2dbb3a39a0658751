// Package apikeys manages an org's API keys: random secrets shown once and
// stored as SHA-256, found by a public prefix, with scopes, expiry, revocation,
// regeneration and per-day usage.
package apikeys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// ErrNotFound is any key that is not the caller org's.
var (
	ErrNotFound = fault.New(fault.NotFound, "API key not found")
	ErrRevoked  = fault.New(fault.Conflict, "API key is revoked; create a new one")
)

// Key is an API key as listed (never with its secret).
type Key struct {
	ID         uuid.UUID  `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix" doc:"The key's public start, to recognize it."`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	CreatedBy  *uuid.UUID `json:"created_by"`
	Usage      []DayUsage `json:"usage" doc:"Requests per day over the last 30 days; days without requests are omitted."`
}

// DayUsage is one day's request count.
type DayUsage struct {
	Day      string `json:"day" example:"2026-11-25"`
	Requests int64  `json:"requests"`
}

func keyFromRow(r dbsqlc.ApiKey) Key {
	k := Key{ID: r.ID, Name: r.Name, Prefix: auth.APIKeyPrefix + r.Prefix, Scopes: r.Scopes, CreatedAt: r.CreatedAt,
		ExpiresAt: r.ExpiresAt, LastUsedAt: r.LastUsedAt, RevokedAt: r.RevokedAt, Usage: []DayUsage{}}
	if r.CreatedBy.Valid {
		k.CreatedBy = &r.CreatedBy.UUID
	}
	return k
}

// NewKey is a key with its secret, returned once.
type NewKey struct {
	Key
	Secret string `json:"secret" doc:"The whole key. Shown once: store it now."`
}

// newSecret returns a key "sb_<prefix>_<secret>", its stored prefix and hash.
func newSecret() (full, prefix string, hash []byte, err error) {
	p := make([]byte, 6)
	s := make([]byte, 32)
	if _, err := rand.Read(p); err != nil {
		return "", "", nil, err
	}
	if _, err := rand.Read(s); err != nil {
		return "", "", nil, err
	}
	prefix = hex.EncodeToString(p)
	full = auth.APIKeyPrefix + prefix + "_" + base64.RawURLEncoding.EncodeToString(s)
	sum := sha256.Sum256([]byte(full))
	return full, prefix, sum[:], nil
}

// CreateParams are what a new key is made of.
type CreateParams struct {
	Name      string
	Scopes    []string
	ExpiresAt *time.Time
	CreatedBy uuid.NullUUID
}

func (p *CreateParams) validate(now time.Time) error {
	var fields []fault.FieldError
	p.Name = strings.TrimSpace(p.Name)
	if p.Name == "" || len(p.Name) > 100 {
		fields = append(fields, fault.FieldError{Location: "body.name", Message: "must be 1 to 100 characters", Value: p.Name})
	}
	if len(p.Scopes) == 0 {
		fields = append(fields, fault.FieldError{Location: "body.scopes", Message: "must name at least one scope (GET /api/v1/api-keys/scopes lists them)"})
	}
	for i, s := range p.Scopes {
		if !auth.ValidScope(s) {
			fields = append(fields, fault.FieldError{Location: fmt.Sprintf("body.scopes[%d]", i), Message: "is not a known scope", Value: s})
		}
	}
	slices.Sort(p.Scopes)
	p.Scopes = slices.Compact(p.Scopes)
	if p.ExpiresAt != nil && !p.ExpiresAt.After(now) {
		fields = append(fields, fault.FieldError{Location: "body.expires_at", Message: "must be in the future", Value: p.ExpiresAt})
	}
	return fault.Fields(fields...)
}

// Create makes a key for the org and returns it with its secret.
func Create(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, p CreateParams, now time.Time) (*NewKey, error) {
	if err := p.validate(now); err != nil {
		return nil, err
	}
	full, prefix, hash, err := newSecret()
	if err != nil {
		return nil, err
	}
	r, err := dbsqlc.New().CreateAPIKey(ctx, db, dbsqlc.CreateAPIKeyParams{
		OrgID: orgID, Name: p.Name, Prefix: prefix, SecretHash: hash, Scopes: p.Scopes, CreatedBy: p.CreatedBy, ExpiresAt: p.ExpiresAt,
	})
	if err != nil {
		return nil, fmt.Errorf("inserting API key: %w", err)
	}
	return &NewKey{Key: keyFromRow(r), Secret: full}, nil
}

// List returns the org's keys with their usage over the 30 days up to now.
func List(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, now time.Time) ([]Key, error) {
	q := dbsqlc.New()
	rows, err := q.ListAPIKeys(ctx, db, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing API keys: %w", err)
	}
	usage, err := q.ListAPIKeyUsage(ctx, db, dbsqlc.ListAPIKeyUsageParams{OrgID: orgID, Since: now.UTC().AddDate(0, 0, -29).Truncate(24 * time.Hour)})
	if err != nil {
		return nil, fmt.Errorf("listing API key usage: %w", err)
	}
	byKey := map[uuid.UUID][]DayUsage{}
	for _, u := range usage {
		byKey[u.ApiKeyID] = append(byKey[u.ApiKeyID], DayUsage{Day: u.Day.Format(time.DateOnly), Requests: u.Requests})
	}
	keys := make([]Key, len(rows))
	for i, r := range rows {
		keys[i] = keyFromRow(r)
		if u := byKey[r.ID]; u != nil {
			keys[i].Usage = u
		}
	}
	return keys, nil
}

// Get returns one of the org's keys.
func Get(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) (Key, error) {
	r, err := dbsqlc.New().GetAPIKey(ctx, db, dbsqlc.GetAPIKeyParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return Key{}, ErrNotFound
	}
	if err != nil {
		return Key{}, fmt.Errorf("reading API key: %w", err)
	}
	return keyFromRow(r), nil
}

// Revoke kills the key at once. Revoking twice is fine.
func Revoke(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, now time.Time) (Key, error) {
	r, err := dbsqlc.New().RevokeAPIKey(ctx, db, dbsqlc.RevokeAPIKeyParams{Now: now, OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return Key{}, ErrNotFound
	}
	if err != nil {
		return Key{}, fmt.Errorf("revoking API key: %w", err)
	}
	return keyFromRow(r), nil
}

// Regenerate gives the key a new secret (and prefix); the old one stops
// working at once. Name, scopes, expiry and usage are kept.
func Regenerate(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, now time.Time) (*NewKey, error) {
	full, prefix, hash, err := newSecret()
	if err != nil {
		return nil, err
	}
	r, err := dbsqlc.New().RegenerateAPIKey(ctx, db, dbsqlc.RegenerateAPIKeyParams{Prefix: prefix, SecretHash: hash, Now: now, OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		if _, gerr := Get(ctx, db, orgID, id); gerr != nil {
			return nil, gerr
		}
		return nil, ErrRevoked
	}
	if err != nil {
		return nil, fmt.Errorf("regenerating API key: %w", err)
	}
	return &NewKey{Key: keyFromRow(r), Secret: full}, nil
}

// Verifier resolves API keys for the auth middleware and counts their use.
type Verifier struct {
	DB    dbutil.Executor
	Now   func() time.Time
	Usage *UsageRecorder
	// Cache, when set (and listening), saves the key's read.
	Cache *KeyCache
}

// VerifyKey implements auth.KeyVerifier.
func (v *Verifier) VerifyKey(ctx context.Context, raw string) (*auth.Principal, error) {
	rest := strings.TrimPrefix(raw, auth.APIKeyPrefix)
	prefix, _, ok := strings.Cut(rest, "_")
	if !ok || len(prefix) != 12 {
		return nil, auth.ErrAPIKeyInvalid
	}
	now := v.Now()
	r, err := v.read(ctx, prefix, now)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, auth.ErrAPIKeyInvalid
	}
	if err != nil {
		return nil, fmt.Errorf("reading API key: %w", err)
	}
	sum := sha256.Sum256([]byte(raw))
	if subtle.ConstantTimeCompare(sum[:], r.SecretHash) != 1 {
		return nil, auth.ErrAPIKeyInvalid
	}
	if r.RevokedAt != nil {
		return nil, auth.ErrAPIKeyRevoked
	}
	if r.ExpiresAt != nil && !r.ExpiresAt.After(now) {
		return nil, auth.ErrAPIKeyExpired
	}
	if v.Usage != nil {
		v.Usage.Record(r.ID, now)
	}
	return &auth.Principal{Kind: auth.KindAPIKey, OrgID: r.OrgID, APIKeyID: r.ID, Scopes: r.Scopes}, nil
}

// read finds the key by prefix, in the cache or the database.
func (v *Verifier) read(ctx context.Context, prefix string, now time.Time) (dbsqlc.ApiKey, error) {
	if v.Cache == nil {
		return dbsqlc.New().GetAPIKeyByPrefix(ctx, v.DB, prefix)
	}
	if r, ok := v.Cache.get(prefix, now); ok {
		return r, nil
	}
	gen := v.Cache.generation()
	r, err := dbsqlc.New().GetAPIKeyByPrefix(ctx, v.DB, prefix)
	if err == nil {
		v.Cache.put(r, gen, now)
	}
	return r, err
}
