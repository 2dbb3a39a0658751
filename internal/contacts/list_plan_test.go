package contacts

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/testfactory"
)

var errExplained = errors.New("explained instead of run")

// explainer runs EXPLAIN of the statement a query function sends, with the
// same arguments and execution mode, and keeps the plan instead of rows.
type explainer struct {
	pgx.Tx
	plan string
}

func (e *explainer) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if err := e.Tx.QueryRow(ctx, "EXPLAIN (FORMAT JSON) "+sql, args...).Scan(&e.plan); err != nil {
		return nil, err
	}
	return nil, errExplained
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

func explainList(t *testing.T, tx pgx.Tx, orgID uuid.UUID, p ListParams) planNode {
	t.Helper()
	e := &explainer{Tx: tx}
	_, _, err := listRows(t.Context(), e, orgID, p, "query")
	require.ErrorIs(t, err, errExplained)
	var out []struct{ Plan planNode }
	require.NoError(t, json.Unmarshal([]byte(e.plan), &out), e.plan)
	return out[0].Plan
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

	// The default list, its next page, and the other orders.
	first := explainList(t, tx, org.ID, ListParams{})
	requireIndexWalk("the default list", first, "contacts_org_created_idx")
	rows, next, err := listRows(ctx, tx, org.ID, ListParams{Limit: 50}, "query")
	require.NoError(t, err)
	require.Len(t, rows, 50)
	requireIndexWalk("the second page", explainList(t, tx, org.ID, ListParams{Cursor: next}), "contacts_org_created_idx")
	for sort, index := range map[string]string{
		SortCreatedAsc: "contacts_org_created_idx",
		SortNameAsc:    "contacts_org_name_idx", SortNameDesc: "contacts_org_name_idx",
		SortEmailAsc: "contacts_org_email_idx", SortEmailDesc: "contacts_org_email_idx",
	} {
		requireIndexWalk(sort, explainList(t, tx, org.ID, ListParams{Sort: sort}), index)
	}
	// A filter that most contacts pass still walks the index.
	requireIndexWalk("has_channel", explainList(t, tx, org.ID, ListParams{ContactFilter: ContactFilter{HasChannel: "email"}}), "contacts_org_created_idx")

	// A selective search uses the trigram index and sorts only its matches.
	usesSearch := false
	explainList(t, tx, org.ID, ListParams{ContactFilter: ContactFilter{Search: "p31337@"}}).walk(func(n planNode) {
		usesSearch = usesSearch || n.IndexName == "contacts_search_idx"
	})
	require.True(t, usesSearch, "a selective search uses contacts_search_idx")
}
