package contacts

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/testfactory"
)

// explainer keeps the plan (EXPLAIN, same arguments and execution mode) of
// every statement a query function sends, then runs it.
type explainer struct {
	pgx.Tx
	plans []planNode
}

func (e *explainer) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	var plan string
	if err := e.Tx.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&plan); err != nil {
		return nil, err
	}
	var out []struct{ Plan planNode }
	if err := json.Unmarshal([]byte(plan), &out); err != nil {
		return nil, err
	}
	e.plans = append(e.plans, out[0].Plan)
	return e.Tx.Query(ctx, sql, args...)
}

// planNode is one node of EXPLAIN (FORMAT JSON).
type planNode struct {
	NodeType     string     `json:"Node Type"`
	IndexName    string     `json:"Index Name"`
	RelationName string     `json:"Relation Name"`
	PlanRows     float64    `json:"Plan Rows"`
	Plans        []planNode `json:"Plans"`
}

func (n planNode) walk(fn func(planNode)) {
	fn(n)
	for _, c := range n.Plans {
		c.walk(fn)
	}
}

// explainList runs the list and returns the plans of the statements it sent.
func explainList(t *testing.T, tx pgx.Tx, orgID uuid.UUID, p ListParams) []planNode {
	t.Helper()
	e := &explainer{Tx: tx}
	_, _, err := listRows(t.Context(), e, orgID, p, "query")
	require.NoError(t, err)
	require.NotEmpty(t, e.plans)
	return e.plans
}

// TestListPlanIsIndexBacked seeds 50,000 contacts in one org (and some in
// another) and checks that the list's statements walk an index of the org's
// contacts from the cursor on: no sequential scan, no sort of the org's rows.
// That is what keeps a page as cheap at a million contacts as at fifty.
func TestListPlanIsIndexBacked(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tx := dbtest.TestTx(t)
	org, _ := testfactory.Org(ctx, t, tx, nil)
	other, _ := testfactory.Org(ctx, t, tx, nil)
	_, err := tx.Exec(ctx, `
		INSERT INTO contacts (org_id, email, first_name, last_name, tags, created_at)
		SELECT $1, 'p' || g || '@example.com', 'First' || g, 'Last' || (g % 997),
		       CASE WHEN g % 50 = 0 THEN ARRAY['vip'] ELSE '{}' END, now() - g * interval '1 second'
		FROM generate_series(1, 50000) g`, org.ID)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `
		INSERT INTO contacts (org_id, phone, created_at)
		SELECT $1, '+1415' || lpad(g::text, 7, '0'), now() FROM generate_series(1, 5000) g`, other.ID)
	require.NoError(t, err)
	// Statistics as autovacuum would have them (ANALYZE counts the
	// transaction's own rows).
	_, err = tx.Exec(ctx, `ANALYZE contacts`)
	require.NoError(t, err)

	requireIndexWalk := func(name string, plan planNode, index string) {
		t.Helper()
		walked := false
		plan.walk(func(n planNode) {
			require.NotEqualf(t, "Sort", n.NodeType, "%s sorts: %+v", name, plan)
			require.NotEqualf(t, "Seq Scan", n.NodeType, "%s scans the table: %+v", name, plan)
			if n.IndexName == index && (n.NodeType == "Index Scan" || n.NodeType == "Index Only Scan") {
				walked = true
			}
		})
		require.Truef(t, walked, "%s does not walk %s: %+v", name, index, plan)
	}

	// one runs the list and returns the plan of its one statement.
	one := func(p ListParams) planNode {
		t.Helper()
		plans := explainList(t, tx, org.ID, p)
		require.Len(t, plans, 1)
		return plans[0]
	}

	// The default list, its next page, and the other orders.
	requireIndexWalk("the default list", one(ListParams{}), "contacts_org_created_idx")
	rows, next, err := listRows(ctx, tx, org.ID, ListParams{Limit: 50}, "query")
	require.NoError(t, err)
	require.Len(t, rows, 50)
	requireIndexWalk("the second page", one(ListParams{Cursor: next}), "contacts_org_created_idx")
	for sort, index := range sortIndexes {
		requireIndexWalk(sort, one(ListParams{Sort: sort}), index)
	}
	// A filter that most contacts pass still walks the index.
	requireIndexWalk("has_channel", one(ListParams{ContactFilter: ContactFilter{HasChannel: "email"}}), "contacts_org_created_idx")

	// requireBoundedWalk checks a search's walk: the sort index under a
	// Limit, whatever the number of matches.
	requireBoundedWalk := func(name string, plan planNode, index string) {
		t.Helper()
		requireIndexWalk(name, plan, index)
		bounded := false
		plan.walk(func(n planNode) {
			require.NotEqualf(t, "contacts_search_idx", n.IndexName, "%s uses the trigram index: %+v", name, plan)
			if n.NodeType == "Limit" {
				for _, c := range n.Plans {
					bounded = bounded || c.IndexName == index
				}
			}
		})
		require.Truef(t, bounded, "%s walks %s without a limit: %+v", name, index, plan)
	}

	// A broad search (one contact in ten is a Last5x) fills its page from
	// the walk, in every order, on the next pages too.
	for sort, index := range sortIndexes {
		requireBoundedWalk("a broad search by "+sort, one(ListParams{Sort: sort, ContactFilter: ContactFilter{Search: "last5"}}), index)
	}
	rows, next, err = listRows(ctx, tx, org.ID, ListParams{ContactFilter: ContactFilter{Search: "last5"}}, "query")
	require.NoError(t, err)
	require.Len(t, rows, DefaultLimit)
	requireBoundedWalk("a broad search's second page", one(ListParams{ContactFilter: ContactFilter{Search: "last5"}, Cursor: next}), "contacts_org_created_idx")

	// A search matching less (one in 125 is a Last99x) finds a few matches
	// in its first walk, and walks as far as they say a page needs.
	plans := explainList(t, tx, org.ID, ListParams{ContactFilter: ContactFilter{Search: "last99"}})
	require.Len(t, plans, 2)
	requireBoundedWalk("a middling search's first walk", plans[0], "contacts_org_created_idx")
	requireBoundedWalk("a middling search's second walk", plans[1], "contacts_org_created_idx")

	// A selective search finds nothing in its first walk, then uses the
	// trigram index and sorts only its matches.
	plans = explainList(t, tx, org.ID, ListParams{ContactFilter: ContactFilter{Search: "p31337@"}})
	require.Len(t, plans, 2)
	requireBoundedWalk("a selective search's walk", plans[0], "contacts_org_created_idx")
	usesSearch := false
	plans[1].walk(func(n planNode) {
		usesSearch = usesSearch || n.IndexName == "contacts_search_idx"
	})
	require.True(t, usesSearch, "a selective search uses contacts_search_idx: %+v", plans[1])

	// With another filter, the planner intersects the indexes.
	usesSearch = false
	one(ListParams{ContactFilter: ContactFilter{Search: "p31337@", Tag: "vip"}}).walk(func(n planNode) {
		usesSearch = usesSearch || n.IndexName == "contacts_search_idx"
	})
	require.True(t, usesSearch, "a selective search with a tag uses contacts_search_idx")
}

// sortIndexes are the index each sort order walks.
var sortIndexes = map[string]string{
	SortCreatedDesc: "contacts_org_created_idx", SortCreatedAsc: "contacts_org_created_idx",
	SortNameAsc: "contacts_org_name_idx", SortNameDesc: "contacts_org_name_idx",
	SortEmailAsc: "contacts_org_email_idx", SortEmailDesc: "contacts_org_email_idx",
}

// TestListSearchPagesAcrossWalkAndIndex pages through searches whose pages
// come from the walk, from the trigram index, or from both (a dense start,
// a sparse end), in every order, and checks them against the plain query.
func TestListSearchPagesAcrossWalkAndIndex(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	tx := dbtest.TestTx(t)
	org, _ := testfactory.Org(ctx, t, tx, nil)
	// 30,000 contacts. "Dense" is the last name of one in two of the first
	// 2,000 (created last: first in the default order) and of one in 500 of
	// the rest: pages fill from the walk, then from the trigram index.
	// "Middling", one in 60, fills pages from the second, longer walk.
	_, err := tx.Exec(ctx, `
		INSERT INTO contacts (org_id, email, first_name, last_name, created_at)
		SELECT $1, 'w' || g || '@example.com', 'F' || (g % 13),
		       CASE WHEN (g <= 2000 AND g % 2 = 0) OR g % 500 = 0 THEN 'Dense'
		            WHEN g % 60 = 7 THEN 'Middling' ELSE 'Other' || g END,
		       now() - g * interval '1 second' - (g % 3) * interval '1 microsecond'
		FROM generate_series(1, 30000) g`, org.ID)
	require.NoError(t, err)
	_, err = tx.Exec(ctx, `ANALYZE contacts`)
	require.NoError(t, err)

	orders := map[string]string{
		SortCreatedDesc: "created_at DESC, id DESC", SortCreatedAsc: "created_at, id",
		SortNameDesc: "sort_name DESC, id DESC", SortNameAsc: "sort_name, id",
		SortEmailDesc: "coalesce(email_normalized, '') DESC, id DESC", SortEmailAsc: "coalesce(email_normalized, ''), id",
	}
	for _, search := range []string{"dense", "middling", "w123", "f1 dense", "nobody"} {
		for sort, order := range orders {
			var want []uuid.UUID
			// The plain query, as a reference (the order is a constant).
			r, err := tx.Query(ctx, fmt.Sprintf(`SELECT id FROM contacts WHERE org_id = $1 AND search_text LIKE $2 ORDER BY %s`, order), org.ID, "%"+search+"%")
			require.NoError(t, err)
			for r.Next() {
				var id uuid.UUID
				require.NoError(t, r.Scan(&id))
				want = append(want, id)
			}
			require.NoError(t, r.Err())

			var got []uuid.UUID
			cursor := ""
			for range 1000 {
				rows, next, err := listRows(ctx, tx, org.ID, ListParams{ContactFilter: ContactFilter{Search: search}, Sort: sort, Cursor: cursor, Limit: 37}, "query")
				require.NoError(t, err)
				for _, c := range rows {
					got = append(got, c.ID)
				}
				if next == "" {
					break
				}
				cursor = next
			}
			require.Equalf(t, want, got, "searching %q by %s", search, sort)
		}
	}
}
