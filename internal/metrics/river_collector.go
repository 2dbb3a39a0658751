package metrics

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river/rivertype"
)

const (
	// riverJobsTTL is how long one count of river_job serves scrapes, so
	// that several Prometheus replicas scraping several API replicas cost
	// the database one query per replica every few seconds at most.
	riverJobsTTL = 5 * time.Second
	// riverJobsTimeout bounds the count so that a slow database delays a
	// scrape by at most this much instead of timing it out.
	riverJobsTimeout = 2 * time.Second
)

// riverJobsCollector exports river_jobs{queue,state}, counted at scrape time.
// When the count fails (timeout, database down, River's tables missing) it
// adds to river_jobs_scrape_errors_total and leaves river_jobs out of that
// scrape rather than failing it, so the HTTP and runtime metrics still flow.
type riverJobsCollector struct {
	pool     *pgxpool.Pool
	jobsDesc *prometheus.Desc
	errors   prometheus.Counter
	now      func() time.Time // stubbed by tests to expire the cache

	mu        sync.Mutex // held across the query so concurrent scrapes share it
	fetchedAt time.Time
	counts    []riverJobCount // nil after a failed fetch
}

type riverJobCount struct {
	queue string
	state string
	count int64
}

func newRiverJobsCollector(pool *pgxpool.Pool) *riverJobsCollector {
	return &riverJobsCollector{
		pool: pool,
		jobsDesc: prometheus.NewDesc("river_jobs",
			"River jobs by queue and state, counted from river_job at scrape time (cached briefly).",
			[]string{"queue", "state"}, nil),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "river_jobs_scrape_errors_total",
			Help: "Scrapes in which counting river_job failed, so river_jobs was left out.",
		}),
		now: time.Now,
	}
}

// Describe implements prometheus.Collector.
func (r *riverJobsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- r.jobsDesc
	r.errors.Describe(ch)
}

// Collect implements prometheus.Collector. The error counter is sent from
// here, after the fetch, so a failed count shows in the same scrape.
func (r *riverJobsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, c := range r.current() {
		ch <- prometheus.MustNewConstMetric(r.jobsDesc, prometheus.GaugeValue, float64(c.count), c.queue, c.state)
	}
	r.errors.Collect(ch)
}

// current returns the cached counts, refreshing them when older than the
// TTL. A failure is cached too: retrying on every scrape would pile more
// queries onto a database that is already struggling.
func (r *riverJobsCollector) current() []riverJobCount {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if !r.fetchedAt.IsZero() && now.Sub(r.fetchedAt) < riverJobsTTL {
		return r.counts
	}
	ctx, cancel := context.WithTimeout(context.Background(), riverJobsTimeout)
	defer cancel()
	counts, err := r.fetch(ctx)
	if err != nil {
		r.errors.Inc()
	}
	r.counts, r.fetchedAt = counts, now
	return counts
}

// fetch counts river_job by queue and state. Every state is reported for each
// queue that has any job, zero included, so that a state emptying out reads
// 0 instead of vanishing (an alert on a vanished series never resolves by
// value, and rate and ratio queries treat a gap differently from 0).
func (r *riverJobsCollector) fetch(ctx context.Context) ([]riverJobCount, error) {
	rows, err := r.pool.Query(ctx, `SELECT queue, state::text, count(*) FROM river_job GROUP BY 1, 2`)
	if err != nil {
		return nil, fmt.Errorf("counting river jobs: %w", err)
	}
	defer rows.Close()
	byQueue := map[string]map[string]int64{}
	for rows.Next() {
		var c riverJobCount
		if err := rows.Scan(&c.queue, &c.state, &c.count); err != nil {
			return nil, fmt.Errorf("reading river job counts: %w", err)
		}
		if byQueue[c.queue] == nil {
			byQueue[c.queue] = map[string]int64{}
		}
		byQueue[c.queue][c.state] = c.count
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("counting river jobs: %w", err)
	}

	counts := make([]riverJobCount, 0, len(byQueue)*len(rivertype.JobStates()))
	for _, q := range slices.Sorted(maps.Keys(byQueue)) {
		states := byQueue[q]
		for _, s := range rivertype.JobStates() {
			counts = append(counts, riverJobCount{queue: q, state: string(s), count: states[string(s)]})
			delete(states, string(s))
		}
		// A state this build of River doesn't know (a newer schema) is
		// still worth showing.
		for _, s := range slices.Sorted(maps.Keys(states)) {
			counts = append(counts, riverJobCount{queue: q, state: s, count: states[s]})
		}
	}
	return counts, nil
}
