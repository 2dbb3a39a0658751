package dbtest

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	Main(m)
}

func regclassExists(ctx context.Context, t *testing.T, pool *pgxpool.Pool, name string) bool {
	t.Helper()
	var ok bool
	require.NoError(t, pool.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok))
	return ok
}

func databaseExists(ctx context.Context, t *testing.T, pool *pgxpool.Pool, name string) bool {
	t.Helper()
	var ok bool
	require.NoError(t, pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok))
	return ok
}

func TestPool(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := Pool(t)

	var name string
	require.NoError(t, pool.QueryRow(ctx, `SELECT current_database()`).Scan(&name))
	require.True(t, strings.HasPrefix(name, "sbtest_"+sanitize(packageName())+"_"), name)
	require.LessOrEqual(t, len(name), 63)

	// Cloned from the migrated template: the app's and River's tables are there.
	require.True(t, regclassExists(ctx, t, pool, "schema_migrations"))
	require.True(t, regclassExists(ctx, t, pool, "river_job"))
}

func TestTestTx(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := Pool(t)

	// The group returns once its parallel subtest, and its cleanup, are done.
	t.Run("group", func(t *testing.T) {
		t.Run("creates a table", func(t *testing.T) {
			t.Parallel()
			tx := TestTx(t)
			_, err := tx.Exec(t.Context(), `CREATE TABLE dbtest_probe (id int); INSERT INTO dbtest_probe VALUES (1)`)
			require.NoError(t, err)
			var n int
			require.NoError(t, tx.QueryRow(t.Context(), `SELECT count(*) FROM dbtest_probe`).Scan(&n))
			require.Equal(t, 1, n)
			// Not committed: the pool's other connections do not see it.
			require.False(t, regclassExists(t.Context(), t, pool, "dbtest_probe"))
		})
	})
	require.False(t, regclassExists(ctx, t, pool, "dbtest_probe"), "rolled back at cleanup")
}

func TestNewDB(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pkgPool := Pool(t)

	var first string
	t.Run("group", func(t *testing.T) {
		poolA, urlA := NewDB(t)
		poolB, _ := NewDB(t)

		require.NoError(t, poolA.QueryRow(ctx, `SELECT current_database()`).Scan(&first))
		require.Contains(t, urlA, first)
		require.True(t, regclassExists(ctx, t, poolA, "river_job"), "migrated")

		_, err := poolA.Exec(ctx, `CREATE TABLE dbtest_committed (id int)`)
		require.NoError(t, err)
		require.True(t, regclassExists(ctx, t, poolA, "dbtest_committed"))
		require.False(t, regclassExists(ctx, t, poolB, "dbtest_committed"), "another NewDB is isolated")
		require.False(t, regclassExists(ctx, t, pkgPool, "dbtest_committed"), "the package db is isolated")
		require.True(t, databaseExists(ctx, t, pkgPool, first))
	})
	require.False(t, databaseExists(ctx, t, pkgPool, first), "dropped at cleanup")
}

func TestNewDBName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		pkg, want string
	}{
		{"contacts", "sbtest_contacts_"},
		{"Web-Hooks.v2", "sbtest_web_hooks_v2_"},
		{"__", "sbtest_pkg_"},
		{strings.Repeat("x", 80), "sbtest_" + strings.Repeat("x", 47) + "_"},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			t.Parallel()
			got := newDBName(tt.pkg)
			require.True(t, strings.HasPrefix(got, tt.want), got)
			require.Len(t, got, len(tt.want)+8)
			require.LessOrEqual(t, len(got), 63)
			require.NotEqual(t, got, newDBName(tt.pkg), "random suffix")
		})
	}
}

func TestTemplateName(t *testing.T) {
	t.Parallel()
	a, err := templateName()
	require.NoError(t, err)
	b, err := templateName()
	require.NoError(t, err)
	require.Equal(t, a, b, "stable")
	require.Regexp(t, `^sbtest_tmpl_[0-9a-f]{12}$`, a)
	require.Equal(t, "river-v0.51.2", riverVersion())
}
