package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// The list benchmark's load: listCalls pages from listWorkers goroutines,
// in listRounds rounds alternating with the baseline's.
const (
	listCalls   = 500
	listWorkers = 8
	listRounds  = 5
	pageSize    = 50
)

// baselineSQL is the cheapest query that could answer the default first page.
const baselineSQL = `SELECT id FROM contacts WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT 50`

// scenario is what one user does on the contacts page: a query and how many
// pages of it they walk through by cursor.
type scenario struct {
	name  string
	pages int
	// minItems is the least the first page must hold: a check that the
	// benchmark asks for contacts that exist.
	minItems int
	params   func(r *rand.Rand, rows int) contacts.ListParams
}

// anyRow picks a row number whose contact exists (not rejected or merged)
// and, when phone is set, has a phone number.
func anyRow(r *rand.Rand, rows int, phone bool) int {
	for {
		k := 1 + r.IntN(rows)
		if !isBad(k) && !isDup(k) && (!phone || hasPhone(k)) {
			return k
		}
	}
}

func scenarios() []scenario {
	filter := func(f contacts.ContactFilter) func(*rand.Rand, int) contacts.ListParams {
		return func(*rand.Rand, int) contacts.ListParams { return contacts.ListParams{ContactFilter: f} }
	}
	sorted := func(s string) func(*rand.Rand, int) contacts.ListParams {
		return func(*rand.Rand, int) contacts.ListParams { return contacts.ListParams{Sort: s} }
	}
	return []scenario{
		// The page as it opens, then onward.
		{"browse", 10, pageSize, func(*rand.Rand, int) contacts.ListParams { return contacts.ListParams{} }},
		{"search_email", 1, 1, func(r *rand.Rand, rows int) contacts.ListParams {
			return contacts.ListParams{ContactFilter: contacts.ContactFilter{Search: fmt.Sprintf("user%d@", anyRow(r, rows, false))}}
		}},
		{"search_name", 2, 1, func(r *rand.Rand, rows int) contacts.ListParams {
			k := anyRow(r, rows, false)
			return contacts.ListParams{ContactFilter: contacts.ContactFilter{Search: firstName(k) + " " + lastName(k)[:4]}}
		}},
		{"search_phone", 1, 1, func(r *rand.Rand, rows int) contacts.ListParams {
			n := phoneDigits(anyRow(r, rows, true))
			return contacts.ListParams{ContactFilter: contacts.ContactFilter{Search: fmt.Sprintf("(415) %03d-%04d", n/10_000, n%10_000)}}
		}},
		{"search_broad", 2, pageSize, func(r *rand.Rand, rows int) contacts.ListParams {
			return contacts.ListParams{ContactFilter: contacts.ContactFilter{Search: lastNames[r.IntN(len(lastNames))]}}
		}},
		{"tag", 3, pageSize, filter(contacts.ContactFilter{Tag: "vip"})},
		{"has_phone", 2, pageSize, filter(contacts.ContactFilter{HasChannel: "phone"})},
		{"sort_name", 2, pageSize, sorted(contacts.SortNameAsc)},
		{"sort_email_desc", 2, pageSize, sorted(contacts.SortEmailDesc)},
		// Nobody has opted out: the filter finds nothing.
		{"opted_out", 1, 0, filter(contacts.ContactFilter{OptedOut: "email"})},
	}
}

// benchList measures the p99 latency of contacts.List (what GET
// /api/v1/contacts calls) in an org of e.rows contacts under a mix of
// browsing, searching, filtering and sorting, against the p99 of the bare
// first-page query at the same concurrency.
func benchList(ctx context.Context, e *env) (result, error) {
	if e.imported == 0 {
		t := time.Now()
		n, err := seedContacts(ctx, e.pool, e.orgID, e.rows)
		if err != nil {
			return result{}, err
		}
		e.imported = n
		e.logger.Info("seeded contacts", "n", n, "took", time.Since(t).Round(time.Millisecond))
	}
	// What autovacuum does after a large insert, done now so the run does
	// not depend on when it gets to it: statistics for the planner and the
	// visibility map for index-only scans.
	t := time.Now()
	if _, err := e.pool.Exec(ctx, "VACUUM (ANALYZE) contacts"); err != nil {
		return result{}, fmt.Errorf("vacuuming: %w", err)
	}
	e.logger.Info("vacuumed and analyzed contacts", "contacts", e.imported, "took", time.Since(t).Round(time.Millisecond))

	sc := scenarios()
	if err := explainScenarios(ctx, e, sc); err != nil {
		return result{}, err
	}

	// Warm-up, not timed: one of each scenario and a few bare queries, so
	// neither side pays for cold caches alone.
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range sc {
		if _, err := contacts.List(ctx, e.pool, e.orgID, s.params(r, e.rows)); err != nil {
			return result{}, fmt.Errorf("warming up %s: %w", s.name, err)
		}
	}
	for range listWorkers {
		if err := bareFirstPage(ctx, e.pool, e.orgID); err != nil {
			return result{}, err
		}
	}

	// The two sides alternate in rounds, so that whatever else the machine
	// does at the time weighs on both alike.
	bare := func(ctx context.Context, _ *rand.Rand, call func(kind string, fn func() error) bool) error {
		call("bare", func() error { return bareFirstPage(ctx, e.pool, e.orgID) })
		return nil
	}
	var next atomic.Int64
	list := func(ctx context.Context, r *rand.Rand, call func(kind string, fn func() error) bool) error {
		s := sc[int(next.Add(1)-1)%len(sc)]
		p := s.params(r, e.rows)
		p.Limit = pageSize
		for page := range s.pages {
			var items int
			var cursor string
			ok := call(s.name, func() error {
				pg, err := contacts.List(ctx, e.pool, e.orgID, p)
				items, cursor = len(pg.Items), pg.NextCursor
				return err
			})
			if !ok {
				return nil
			}
			if page == 0 && items < s.minItems {
				return fmt.Errorf("%s %+v: %d contacts on the first page, want at least %d", s.name, p.ContactFilter, items, s.minItems)
			}
			if cursor == "" {
				return nil
			}
			p.Cursor = cursor
		}
		return nil
	}
	base, got := latencies{}, latencies{}
	for round := range listRounds {
		b, err := runLoad(ctx, listCalls/listRounds, uint64(round), bare)
		if err != nil {
			return result{}, fmt.Errorf("baseline: %w", err)
		}
		g, err := runLoad(ctx, listCalls/listRounds, uint64(round), list)
		if err != nil {
			return result{}, err
		}
		base.add(b)
		got.add(g)
	}

	all := got.all()
	e.logger.Info("list latency", "calls", len(all), "workers", listWorkers,
		"p50_ms", round(ms(percentile(all, 0.5)), 2), "p99_ms", round(ms(percentile(all, 0.99)), 2),
		"max_ms", round(ms(percentile(all, 1)), 2))
	for _, s := range sc {
		ds := got[s.name]
		e.logger.Info("list latency by scenario", "scenario", s.name, "calls", len(ds),
			"p50_ms", round(ms(percentile(ds, 0.5)), 2), "p99_ms", round(ms(percentile(ds, 0.99)), 2))
	}
	bareAll := base.all()
	e.logger.Info("baseline latency", "calls", len(bareAll), "workers", listWorkers,
		"p50_ms", round(ms(percentile(bareAll, 0.5)), 2), "p99_ms", round(ms(percentile(bareAll, 0.99)), 2))

	value, baseline := ms(percentile(all, 0.99)), ms(percentile(bareAll, 0.99))
	return result{Value: round(value, 2), Unit: "ms", Baseline: round(baseline, 2), Ratio: round(value/baseline, 2)}, nil
}

func bareFirstPage(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) error {
	rows, err := db.Query(ctx, baselineSQL, orgID)
	if err != nil {
		return err
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if n != pageSize {
		return fmt.Errorf("the bare query returned %d rows, want %d", n, pageSize)
	}
	return nil
}

// latencies are the timed calls by kind.
type latencies map[string][]time.Duration

func (l latencies) add(o latencies) {
	for k, ds := range o {
		l[k] = append(l[k], ds...)
	}
}

func (l latencies) all() []time.Duration {
	var out []time.Duration
	for _, ds := range l {
		out = append(out, ds...)
	}
	return out
}

// runLoad runs session on listWorkers goroutines until calls calls have
// been made. A session makes its calls through call, which times one and
// returns false when the budget is spent (the call is then not made).
func runLoad(ctx context.Context, calls int, seed uint64, session func(ctx context.Context, r *rand.Rand, call func(kind string, fn func() error) bool) error) (latencies, error) {
	var budget atomic.Int64
	budget.Store(int64(calls))
	var mu sync.Mutex
	out := latencies{}
	errs := make([]error, listWorkers)
	var wg sync.WaitGroup
	for w := range listWorkers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w)+2, seed))
			var callErr error
			call := func(kind string, fn func() error) bool {
				if callErr != nil || budget.Add(-1) < 0 {
					return false
				}
				t := time.Now()
				if err := fn(); err != nil {
					callErr = fmt.Errorf("%s: %w", kind, err)
					return false
				}
				d := time.Since(t)
				mu.Lock()
				out[kind] = append(out[kind], d)
				mu.Unlock()
				return true
			}
			for budget.Load() > 0 && callErr == nil && ctx.Err() == nil {
				if err := session(ctx, r, call); err != nil {
					errs[w] = err
					return
				}
			}
			errs[w] = callErr
		})
	}
	wg.Wait()
	if err := errors.Join(append(errs, ctx.Err())...); err != nil {
		return nil, err
	}
	return out, nil
}

// explainScenarios prints to stderr the plan Postgres runs for the first
// page of each scenario (and the default list's second page), with actual
// rows and times: the list must walk an index from the cursor on.
func explainScenarios(ctx context.Context, e *env, sc []scenario) error {
	r := rand.New(rand.NewPCG(3, 3))
	explain := func(label string, p contacts.ListParams) (contacts.ContactPage, error) {
		x := &explainer{Executor: e.pool}
		page, err := contacts.List(ctx, x, e.orgID, p)
		if err != nil {
			return contacts.ContactPage{}, fmt.Errorf("explaining %s: %w", label, err)
		}
		for i, plan := range x.plans {
			fmt.Fprintf(os.Stderr, "-- plan %d/%d of %s %+v:\n%s", i+1, len(x.plans), label, p.ContactFilter, summary(plan))
		}
		return page, nil
	}
	for _, s := range sc {
		p := s.params(r, e.rows)
		p.Limit = pageSize
		pg, err := explain(s.name, p)
		if err != nil {
			return err
		}
		if s.name == "browse" && pg.NextCursor != "" {
			p.Cursor = pg.NextCursor
			if _, err := explain("browse, second page", p); err != nil {
				return err
			}
		}
	}
	return nil
}

// explainer runs EXPLAIN ANALYZE of each statement a query function sends,
// with the same arguments and execution mode, keeps the plan, then runs the
// statement for the function (a search may send two: see contacts.List).
type explainer struct {
	dbutil.Executor
	plans [][]byte
}

func (x *explainer) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	var plan []byte
	if err := x.Executor.QueryRow(ctx, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) "+sql, args...).Scan(&plan); err != nil {
		return nil, err
	}
	x.plans = append(x.plans, plan)
	return x.Executor.Query(ctx, sql, args...)
}

func (x *explainer) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, errors.New("explainer: Exec is not explained")
}

type planNode struct {
	NodeType  string     `json:"Node Type"`
	Direction string     `json:"Scan Direction"`
	Index     string     `json:"Index Name"`
	Relation  string     `json:"Relation Name"`
	Rows      float64    `json:"Actual Rows"`
	Loops     float64    `json:"Actual Loops"`
	Time      float64    `json:"Actual Total Time"`
	Hit       int64      `json:"Shared Hit Blocks"`
	Read      int64      `json:"Shared Read Blocks"`
	Removed   float64    `json:"Rows Removed by Filter"`
	Plans     []planNode `json:"Plans"`
}

// summary is a plan as an indented tree of node, index and actual figures.
func summary(plan []byte) string {
	var out []struct {
		Plan          planNode `json:"Plan"`
		PlanningTime  float64  `json:"Planning Time"`
		ExecutionTime float64  `json:"Execution Time"`
	}
	if err := json.Unmarshal(plan, &out); err != nil || len(out) == 0 {
		return string(plan) + "\n"
	}
	var b strings.Builder
	var walk func(n planNode, depth int)
	walk = func(n planNode, depth int) {
		fmt.Fprintf(&b, "   %s%s", strings.Repeat("  ", depth), n.NodeType)
		if n.Direction == "Backward" {
			b.WriteString(" Backward")
		}
		if n.Index != "" {
			fmt.Fprintf(&b, " using %s", n.Index)
		} else if n.Relation != "" {
			fmt.Fprintf(&b, " on %s", n.Relation)
		}
		fmt.Fprintf(&b, " (rows=%.0f loops=%.0f time=%.3fms buffers hit=%d read=%d", n.Rows, n.Loops, n.Time, n.Hit, n.Read)
		if n.Removed > 0 {
			fmt.Fprintf(&b, " removed by filter=%.0f", n.Removed)
		}
		b.WriteString(")\n")
		for _, c := range n.Plans {
			walk(c, depth+1)
		}
	}
	walk(out[0].Plan, 0)
	fmt.Fprintf(&b, "   planning %.3f ms, execution %.3f ms\n", out[0].PlanningTime, out[0].ExecutionTime)
	return b.String()
}
