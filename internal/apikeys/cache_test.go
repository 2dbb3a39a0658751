package apikeys_test

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/apikeys"
	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/orgs"
	"github.com/switchboard/switchboard/internal/testfactory"
)

// The cache serves a key without reading it, and forgets it as soon as
// another process (here: plain SQL) revokes, re-scopes or deletes it.
func TestKeyCacheForgetsChangedKeys(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, _ := dbtest.NewDB(t)
	owner := testfactory.User(ctx, t, pool, &testfactory.UserOpts{Password: "-"})
	org, _ := testfactory.Org(ctx, t, pool, &testfactory.OrgOpts{Owner: &owner})
	now := time.Now()
	create := func() *apikeys.NewKey {
		k, err := apikeys.Create(ctx, pool, org.ID, apikeys.CreateParams{Name: "key " + testfactory.Suffix(), Scopes: []string{"members:read"}}, now)
		require.NoError(t, err)
		return k
	}
	cache := apikeys.NewKeyCache(pool.Config().ConnConfig, time.Minute, zerolog.New(zerolog.NewTestWriter(t)))
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	go cache.Run(runCtx)
	v := &apikeys.Verifier{DB: pool, Now: time.Now, Cache: cache}

	// Until the listener is up nothing is kept; then a verified key is.
	k := create()
	require.Eventually(t, func() bool {
		_, err := v.VerifyKey(ctx, k.Secret)
		require.NoError(t, err)
		return cache.Holds(k.Prefix)
	}, 5*time.Second, 10*time.Millisecond)

	// Revoked elsewhere: the notice arrives and the key stops working.
	_, err := pool.Exec(ctx, `UPDATE api_keys SET revoked_at = now() WHERE id = $1`, k.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_, err := v.VerifyKey(ctx, k.Secret)
		return err == auth.ErrAPIKeyRevoked
	}, 5*time.Second, 10*time.Millisecond)

	// Re-scoped: the new scopes apply.
	k2 := create()
	p, err := v.VerifyKey(ctx, k2.Secret)
	require.NoError(t, err)
	require.Equal(t, []string{"members:read"}, p.Scopes)
	_, err = pool.Exec(ctx, `UPDATE api_keys SET scopes = '{contacts:read}' WHERE id = $1`, k2.ID)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		p, err := v.VerifyKey(ctx, k2.Secret)
		return err == nil && len(p.Scopes) == 1 && p.Scopes[0] == "contacts:read"
	}, 5*time.Second, 10*time.Millisecond)

	// Usage counting changes nothing that matters: the key stays held.
	_, err = pool.Exec(ctx, `UPDATE api_keys SET last_used_at = now() WHERE id = $1`, k2.ID)
	require.NoError(t, err)
	time.Sleep(100 * time.Millisecond)
	require.True(t, cache.Holds(k2.Prefix))

	// The org deleted: its keys go with it.
	require.NoError(t, orgs.Delete(ctx, pool, org.ID))
	require.Eventually(t, func() bool {
		_, err := v.VerifyKey(ctx, k2.Secret)
		return err == auth.ErrAPIKeyInvalid
	}, 5*time.Second, 10*time.Millisecond)

	// Stopped listening: nothing is served from memory.
	stop()
	require.Eventually(t, func() bool { return !cache.Holds(k2.Prefix) }, 5*time.Second, 10*time.Millisecond)
}
