package apikeys_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/apikeys"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/testfactory"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var secretFormat = regexp.MustCompile(`^sb_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$`)

type testBundle struct {
	ctx      context.Context
	tx       pgx.Tx
	orgID    uuid.UUID
	ownerID  uuid.UUID
	now      time.Time
	verifier *apikeys.Verifier
}

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := t.Context()
	tx := dbtest.TestTx(t)
	// A password-less owner: argon2 is slow and nobody signs in here.
	owner := testfactory.User(ctx, t, tx, &testfactory.UserOpts{Password: "-"})
	org, _ := testfactory.Org(ctx, t, tx, &testfactory.OrgOpts{Owner: &owner})
	now := time.Now().UTC().Truncate(time.Microsecond)
	return &testBundle{
		ctx: ctx, tx: tx, orgID: org.ID, ownerID: owner.ID, now: now,
		verifier: &apikeys.Verifier{DB: tx, Now: func() time.Time { return now }},
	}
}

func (b *testBundle) create(t *testing.T, p apikeys.CreateParams) *apikeys.NewKey {
	t.Helper()
	if p.Name == "" {
		p.Name = "key " + testfactory.Suffix()
	}
	if p.Scopes == nil {
		p.Scopes = []string{"members:read"}
	}
	k, err := apikeys.Create(b.ctx, b.tx, b.orgID, p, b.now)
	require.NoError(t, err)
	return k
}

// requireFields asserts err is a validation error naming exactly locations.
func requireFields(t *testing.T, err error, locations ...string) {
	t.Helper()
	fe, ok := fault.As(err)
	require.True(t, ok, "want a fault error, got %v", err)
	require.Equal(t, fault.Invalid, fe.Kind)
	var got []string
	for _, f := range fe.Fields {
		got = append(got, f.Location)
	}
	require.Equal(t, locations, got)
}

func TestCreate(t *testing.T) {
	t.Parallel()

	t.Run("Valid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		expires := b.now.Add(30 * 24 * time.Hour)

		k, err := apikeys.Create(b.ctx, b.tx, b.orgID, apikeys.CreateParams{
			Name:      "  CI deploys  ",
			Scopes:    []string{"members:write", "members:read", "members:write"},
			ExpiresAt: &expires,
			CreatedBy: uuid.NullUUID{UUID: b.ownerID, Valid: true},
		}, b.now)
		require.NoError(t, err)
		require.Regexp(t, secretFormat, k.Secret)
		require.True(t, strings.HasPrefix(k.Secret, k.Prefix+"_"), "the listed prefix starts the secret")
		require.Equal(t, "CI deploys", k.Name)
		require.Equal(t, []string{"members:read", "members:write"}, k.Scopes, "sorted, without duplicates")
		require.NotNil(t, k.ExpiresAt)
		require.True(t, expires.Equal(*k.ExpiresAt))
		require.Equal(t, &b.ownerID, k.CreatedBy)
		require.Nil(t, k.RevokedAt)
		require.Nil(t, k.LastUsedAt)
		require.Empty(t, k.Usage)

		got, err := apikeys.Get(b.ctx, b.tx, b.orgID, k.ID)
		require.NoError(t, err)
		require.Equal(t, k.Prefix, got.Prefix)
		require.NotContains(t, got.Prefix, k.Secret[len(k.Prefix):], "the secret is never listed")
	})

	t.Run("Validation", func(t *testing.T) {
		t.Parallel()

		past := time.Now().Add(-time.Minute)
		tests := []struct {
			name      string
			p         apikeys.CreateParams
			locations []string
		}{
			{"EmptyName", apikeys.CreateParams{Name: "", Scopes: []string{"org:read"}}, []string{"body.name"}},
			{"BlankName", apikeys.CreateParams{Name: "   ", Scopes: []string{"org:read"}}, []string{"body.name"}},
			{"LongName", apikeys.CreateParams{Name: strings.Repeat("n", 101), Scopes: []string{"org:read"}}, []string{"body.name"}},
			{"NoScopes", apikeys.CreateParams{Name: "k"}, []string{"body.scopes"}},
			{"UnknownScope", apikeys.CreateParams{Name: "k", Scopes: []string{"org:read", "root", "members:read", "members:*"}}, []string{"body.scopes[1]", "body.scopes[3]"}},
			{"PastExpiry", apikeys.CreateParams{Name: "k", Scopes: []string{"org:read"}, ExpiresAt: &past}, []string{"body.expires_at"}},
			{"Everything", apikeys.CreateParams{Name: " ", Scopes: []string{"nope"}, ExpiresAt: &past}, []string{"body.name", "body.scopes[0]", "body.expires_at"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				b := setup(t)

				k, err := apikeys.Create(b.ctx, b.tx, b.orgID, tt.p, b.now)
				require.Nil(t, k)
				requireFields(t, err, tt.locations...)
				keys, err := apikeys.List(b.ctx, b.tx, b.orgID, b.now)
				require.NoError(t, err)
				require.Empty(t, keys, "nothing is stored")
			})
		}
	})

	t.Run("ExpiryNowIsPast", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		now := b.now

		_, err := apikeys.Create(b.ctx, b.tx, b.orgID, apikeys.CreateParams{Name: "k", Scopes: []string{"org:read"}, ExpiresAt: &now}, b.now)
		requireFields(t, err, "body.expires_at")
	})
}

func TestVerifyKey(t *testing.T) {
	t.Parallel()

	t.Run("Good", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		k := b.create(t, apikeys.CreateParams{Scopes: []string{"org:read", "members:read"}})

		p, err := b.verifier.VerifyKey(b.ctx, k.Secret)
		require.NoError(t, err)
		require.Equal(t, auth.KindAPIKey, p.Kind)
		require.Equal(t, b.orgID, p.OrgID)
		require.Equal(t, k.ID, p.APIKeyID)
		require.Equal(t, []string{"members:read", "org:read"}, p.Scopes)
		require.Equal(t, uuid.Nil, p.UserID)
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		k := b.create(t, apikeys.CreateParams{})
		prefix := k.Prefix // sb_<12 hex>

		tests := []struct {
			name string
			raw  string
		}{
			{"WrongSecretRightPrefix", prefix + "_" + strings.Repeat("A", 43)},
			{"SecretTruncated", k.Secret[:len(k.Secret)-1]},
			{"SecretExtended", k.Secret + "x"},
			{"UnknownPrefix", "sb_000000000000_" + k.Secret[len(prefix)+1:]},
			{"ShortPrefix", "sb_abc_" + k.Secret[len(prefix)+1:]},
			{"NoSeparator", "sb_" + strings.Repeat("a", 40)},
			{"Empty", ""},
			{"JustThePrefix", auth.APIKeyPrefix},
		}
		for _, tt := range tests {
			p, err := b.verifier.VerifyKey(b.ctx, tt.raw)
			require.ErrorIs(t, err, auth.ErrAPIKeyInvalid, tt.name)
			require.Nil(t, p, tt.name)
		}
	})

	t.Run("Revoked", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		k := b.create(t, apikeys.CreateParams{})

		revoked, err := apikeys.Revoke(b.ctx, b.tx, b.orgID, k.ID, b.now)
		require.NoError(t, err)
		require.NotNil(t, revoked.RevokedAt)

		_, err = b.verifier.VerifyKey(b.ctx, k.Secret)
		require.ErrorIs(t, err, auth.ErrAPIKeyRevoked)

		again, err := apikeys.Revoke(b.ctx, b.tx, b.orgID, k.ID, b.now.Add(time.Hour))
		require.NoError(t, err, "revoking twice is fine")
		require.True(t, revoked.RevokedAt.Equal(*again.RevokedAt), "the first revocation time is kept")
	})

	t.Run("ExpiredInDatabase", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		k := b.create(t, apikeys.CreateParams{})

		_, err := b.tx.Exec(b.ctx, `UPDATE api_keys SET expires_at = now() - interval '1 hour' WHERE id = $1`, k.ID)
		require.NoError(t, err)
		_, err = b.verifier.VerifyKey(b.ctx, k.Secret)
		require.ErrorIs(t, err, auth.ErrAPIKeyExpired)
	})

	t.Run("ExpiresWithClock", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		expires := b.now.Add(time.Hour)
		k := b.create(t, apikeys.CreateParams{ExpiresAt: &expires})

		_, err := b.verifier.VerifyKey(b.ctx, k.Secret)
		require.NoError(t, err)

		late := &apikeys.Verifier{DB: b.tx, Now: func() time.Time { return expires }}
		_, err = late.VerifyKey(b.ctx, k.Secret)
		require.ErrorIs(t, err, auth.ErrAPIKeyExpired, "a key stops working at its expiry")
	})

	t.Run("RecordsUsage", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		k := b.create(t, apikeys.CreateParams{})
		rec := apikeys.NewUsageRecorder(b.tx, zerolog.Nop())
		v := &apikeys.Verifier{DB: b.tx, Now: b.verifier.Now, Usage: rec}

		for range 3 {
			_, err := v.VerifyKey(b.ctx, k.Secret)
			require.NoError(t, err)
		}
		_, err := v.VerifyKey(b.ctx, k.Prefix+"_wrong")
		require.Error(t, err)
		require.NoError(t, rec.Flush(b.ctx))

		got, err := apikeys.Get(b.ctx, b.tx, b.orgID, k.ID)
		require.NoError(t, err)
		require.NotNil(t, got.LastUsedAt)
		require.Equal(t, int64(3), requestsOn(t, b, k.ID, b.now), "failed verifications are not counted")
	})
}

func TestRegenerate(t *testing.T) {
	t.Parallel()

	t.Run("NewSecretOldOneDead", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		expires := b.now.Add(time.Hour)
		k := b.create(t, apikeys.CreateParams{Name: "ci", Scopes: []string{"org:read", "org:write"}, ExpiresAt: &expires})

		n, err := apikeys.Regenerate(b.ctx, b.tx, b.orgID, k.ID, b.now)
		require.NoError(t, err)
		require.Equal(t, k.ID, n.ID)
		require.Equal(t, "ci", n.Name)
		require.Equal(t, k.Scopes, n.Scopes)
		require.True(t, k.ExpiresAt.Equal(*n.ExpiresAt))
		require.NotEqual(t, k.Prefix, n.Prefix)
		require.NotEqual(t, k.Secret, n.Secret)
		require.Regexp(t, secretFormat, n.Secret)

		_, err = b.verifier.VerifyKey(b.ctx, k.Secret)
		require.ErrorIs(t, err, auth.ErrAPIKeyInvalid)
		p, err := b.verifier.VerifyKey(b.ctx, n.Secret)
		require.NoError(t, err)
		require.Equal(t, k.ID, p.APIKeyID)
	})

	t.Run("Revoked", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		k := b.create(t, apikeys.CreateParams{})
		_, err := apikeys.Revoke(b.ctx, b.tx, b.orgID, k.ID, b.now)
		require.NoError(t, err)

		n, err := apikeys.Regenerate(b.ctx, b.tx, b.orgID, k.ID, b.now)
		require.ErrorIs(t, err, apikeys.ErrRevoked)
		require.Nil(t, n)
	})

	t.Run("Unknown", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		_, err := apikeys.Regenerate(b.ctx, b.tx, b.orgID, uuid.New(), b.now)
		require.ErrorIs(t, err, apikeys.ErrNotFound)
	})
}

// TestCrossTenant: another org's key id is not found on every path, and
// the attempts leave the key working.
func TestCrossTenant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	k := b.create(t, apikeys.CreateParams{})
	otherOwner := testfactory.User(b.ctx, t, b.tx, &testfactory.UserOpts{Password: "-"})
	other, _ := testfactory.Org(b.ctx, t, b.tx, &testfactory.OrgOpts{Owner: &otherOwner})

	_, err := apikeys.Get(b.ctx, b.tx, other.ID, k.ID)
	require.ErrorIs(t, err, apikeys.ErrNotFound)
	_, err = apikeys.Revoke(b.ctx, b.tx, other.ID, k.ID, b.now)
	require.ErrorIs(t, err, apikeys.ErrNotFound)
	_, err = apikeys.Regenerate(b.ctx, b.tx, other.ID, k.ID, b.now)
	require.ErrorIs(t, err, apikeys.ErrNotFound)

	keys, err := apikeys.List(b.ctx, b.tx, other.ID, b.now)
	require.NoError(t, err)
	require.Empty(t, keys)

	got, err := apikeys.Get(b.ctx, b.tx, b.orgID, k.ID)
	require.NoError(t, err)
	require.Nil(t, got.RevokedAt)
	p, err := b.verifier.VerifyKey(b.ctx, k.Secret)
	require.NoError(t, err, "the other org's attempts changed nothing")
	require.Equal(t, b.orgID, p.OrgID)
}

// requestsOn reads the stored count of key's requests on day.
func requestsOn(t *testing.T, b *testBundle, keyID uuid.UUID, day time.Time) int64 {
	t.Helper()
	var n int64
	err := b.tx.QueryRow(b.ctx, `SELECT requests FROM api_key_usage_daily WHERE api_key_id = $1 AND day = $2::date`,
		keyID, day.UTC().Format(time.DateOnly)).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0
	}
	require.NoError(t, err)
	return n
}

// failingExec fails Exec while fail is set and otherwise passes through.
type failingExec struct {
	dbutil.Executor
	fail atomic.Bool
}

func (f *failingExec) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if f.fail.Load() {
		return pgconn.CommandTag{}, errors.New("connection reset")
	}
	return f.Executor.Exec(ctx, sql, args...)
}

func TestUsageRecorder(t *testing.T) {
	t.Parallel()

	t.Run("FlushWritesOneRow", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		k := b.create(t, apikeys.CreateParams{})
		rec := apikeys.NewUsageRecorder(b.tx, zerolog.Nop())

		last := b.now
		for i := range 5 {
			last = b.now.Truncate(24 * time.Hour).Add(time.Duration(i) * time.Minute)
			rec.Record(k.ID, last)
		}
		require.NoError(t, rec.Flush(b.ctx))

		var rows int
		require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT count(*) FROM api_key_usage_daily WHERE api_key_id = $1`, k.ID).Scan(&rows))
		require.Equal(t, 1, rows)
		require.Equal(t, int64(5), requestsOn(t, b, k.ID, last))

		got, err := apikeys.Get(b.ctx, b.tx, b.orgID, k.ID)
		require.NoError(t, err)
		require.NotNil(t, got.LastUsedAt)
		require.True(t, last.Equal(*got.LastUsedAt), "last used is the latest request: want %s, got %s", last, got.LastUsedAt)
	})

	t.Run("FlushesAccumulate", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		k := b.create(t, apikeys.CreateParams{})
		rec := apikeys.NewUsageRecorder(b.tx, zerolog.Nop())

		for range 3 {
			rec.Record(k.ID, b.now)
		}
		require.NoError(t, rec.Flush(b.ctx))
		require.NoError(t, rec.Flush(b.ctx), "an empty flush is fine")
		for range 2 {
			rec.Record(k.ID, b.now.Add(-time.Second))
		}
		require.NoError(t, rec.Flush(b.ctx))
		require.Equal(t, int64(5), requestsOn(t, b, k.ID, b.now))

		got, err := apikeys.Get(b.ctx, b.tx, b.orgID, k.ID)
		require.NoError(t, err)
		require.True(t, b.now.Equal(*got.LastUsedAt), "an older flush does not move last used back")
	})

	t.Run("SeparateKeysAndDays", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		k1 := b.create(t, apikeys.CreateParams{})
		k2 := b.create(t, apikeys.CreateParams{})
		rec := apikeys.NewUsageRecorder(b.tx, zerolog.Nop())
		yesterday := b.now.AddDate(0, 0, -1)

		rec.Record(k1.ID, b.now)
		rec.Record(k1.ID, yesterday)
		rec.Record(k1.ID, yesterday)
		rec.Record(k2.ID, b.now)
		require.NoError(t, rec.Flush(b.ctx))

		require.Equal(t, int64(1), requestsOn(t, b, k1.ID, b.now))
		require.Equal(t, int64(2), requestsOn(t, b, k1.ID, yesterday))
		require.Equal(t, int64(1), requestsOn(t, b, k2.ID, b.now))
		require.Equal(t, int64(0), requestsOn(t, b, k2.ID, yesterday))
	})

	t.Run("FailedFlushKeepsCounts", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		k := b.create(t, apikeys.CreateParams{})
		db := &failingExec{Executor: b.tx}
		rec := apikeys.NewUsageRecorder(db, zerolog.Nop())

		rec.Record(k.ID, b.now)
		rec.Record(k.ID, b.now)
		db.fail.Store(true)
		require.Error(t, rec.Flush(b.ctx))
		rec.Record(k.ID, b.now)
		db.fail.Store(false)
		require.NoError(t, rec.Flush(b.ctx))
		require.Equal(t, int64(3), requestsOn(t, b, k.ID, b.now))
	})

	t.Run("ListUsagePerDay", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		k := b.create(t, apikeys.CreateParams{})
		unused := b.create(t, apikeys.CreateParams{})
		rec := apikeys.NewUsageRecorder(b.tx, zerolog.Nop())

		now := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
		rec.Record(k.ID, now)
		rec.Record(k.ID, now)
		rec.Record(k.ID, now.AddDate(0, 0, -1))
		rec.Record(k.ID, now.AddDate(0, 0, -29))
		rec.Record(k.ID, now.AddDate(0, 0, -30)) // outside the 30 days
		require.NoError(t, rec.Flush(b.ctx))

		keys, err := apikeys.List(b.ctx, b.tx, b.orgID, now)
		require.NoError(t, err)
		require.Len(t, keys, 2)
		byID := map[uuid.UUID]apikeys.Key{}
		for _, key := range keys {
			byID[key.ID] = key
		}
		require.Equal(t, []apikeys.DayUsage{
			{Day: "2026-02-09", Requests: 1},
			{Day: "2026-03-09", Requests: 1},
			{Day: "2026-03-10", Requests: 2},
		}, byID[k.ID].Usage)
		require.NotNil(t, byID[unused.ID].Usage, "no usage is an empty list, not null")
		require.Empty(t, byID[unused.ID].Usage)
		require.Nil(t, byID[unused.ID].LastUsedAt)
	})

	t.Run("RunFlushesAtShutdown", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		k := b.create(t, apikeys.CreateParams{})
		rec := apikeys.NewUsageRecorder(b.tx, zerolog.Nop())

		ctx, cancel := context.WithCancel(b.ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			rec.Run(ctx, time.Hour)
		}()
		rec.Record(k.ID, b.now)
		cancel()
		<-done
		require.Equal(t, int64(1), requestsOn(t, b, k.ID, b.now))
	})
}
