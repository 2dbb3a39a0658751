// Package metrics exposes the API's Prometheus metrics: HTTP traffic, the
// Postgres pool, River's job counts, and the Go runtime and process. It keeps
// everything on its own registry (never the global default one) so that tests
// and several servers in one process do not collide.
package metrics

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics holds the registry and the HTTP instruments that Middleware
// updates. Build it once in main with New and share it.
type Metrics struct {
	registry *prometheus.Registry
	river    *riverJobsCollector // nil without a pool

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight prometheus.Gauge
}

// New builds the registry with the Go and process collectors and the HTTP
// instruments. When pool is not nil it also registers the db_pool_* metrics
// (read from pool.Stat()) and river_jobs{queue,state} (counted from river_job
// at scrape time, cached for a few seconds); pool may be nil in processes or
// tests without a database.
func New(pool *pgxpool.Pool) *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests answered, by method, matched route pattern and status code.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "Time from receiving an HTTP request to having its response ready, by method and matched route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_requests_in_flight",
			Help: "HTTP requests being handled right now.",
		}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.duration, m.inFlight,
	)
	if pool != nil {
		m.river = newRiverJobsCollector(pool)
		m.registry.MustRegister(newPoolCollector(pool), m.river)
	}
	return m
}

// Registry exposes the registry so that other packages can register their
// own collectors (provider call latency and the like) and have them served
// by Handler.
func (m *Metrics) Registry() *prometheus.Registry {
	return m.registry
}

// Handler serves the registry in the Prometheus exposition format. A
// collector that fails is reported in promhttp_metric_handler_errors_total
// and the rest of the scrape is still served, so one sick collector never
// blinds the whole dashboard.
func (m *Metrics) Handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		Registry:      m.registry,
		ErrorHandling: promhttp.ContinueOnError,
	}))
}
