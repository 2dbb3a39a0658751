package metrics

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

// poolCollector reads pgxpool.Stat() at scrape time, so the figures are as
// fresh as the scrape and cost no goroutine between scrapes. The cumulative
// figures are exported as counters (with _total) so that rate() works on them
// without Prometheus warning about gauges.
type poolCollector struct {
	pool *pgxpool.Pool

	acquired, idle, total, maxConns   *prometheus.Desc
	acquires, emptyAcquires, canceled *prometheus.Desc
	acquireDuration                   *prometheus.Desc
}

func newPoolCollector(pool *pgxpool.Pool) *poolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, nil, nil)
	}
	return &poolCollector{
		pool:            pool,
		acquired:        d("db_pool_acquired_conns", "Connections currently checked out of the Postgres pool."),
		idle:            d("db_pool_idle_conns", "Idle connections in the Postgres pool."),
		total:           d("db_pool_total_conns", "Connections in the Postgres pool: acquired, idle and being opened."),
		maxConns:        d("db_pool_max_conns", "Largest size the Postgres pool may grow to."),
		acquires:        d("db_pool_acquires_total", "Connections acquired from the Postgres pool."),
		emptyAcquires:   d("db_pool_empty_acquires_total", "Acquires that had to wait because the pool had no idle connection."),
		canceled:        d("db_pool_canceled_acquires_total", "Acquires abandoned because their context ended first."),
		acquireDuration: d("db_pool_acquire_duration_seconds_total", "Total time spent acquiring connections from the Postgres pool."),
	}
}

// Describe implements prometheus.Collector.
func (p *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{p.acquired, p.idle, p.total, p.maxConns, p.acquires, p.emptyAcquires, p.canceled, p.acquireDuration} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (p *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := p.pool.Stat()
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v)
	}
	gauge(p.acquired, float64(s.AcquiredConns()))
	gauge(p.idle, float64(s.IdleConns()))
	gauge(p.total, float64(s.TotalConns()))
	gauge(p.maxConns, float64(s.MaxConns()))
	counter(p.acquires, float64(s.AcquireCount()))
	counter(p.emptyAcquires, float64(s.EmptyAcquireCount()))
	counter(p.canceled, float64(s.CanceledAcquireCount()))
	counter(p.acquireDuration, s.AcquireDuration().Seconds())
}
