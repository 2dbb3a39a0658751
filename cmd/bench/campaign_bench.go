package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/campaigns"
	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/sandbox"
	"github.com/switchboard/switchboard/internal/suppression"
)

// Campaign sizes. make bench runs the small ones so that it stays within
// minutes; BENCH_SCALE=full runs the (100k recipients sent, an
// estimate over 1M contacts).
const (
	campaignSmall        = 20_000
	campaignEmailFull    = 100_000
	campaignEstimateFull = 1_000_000
)

// campaignSizes reads BENCH_SCALE: "" or "small", or "full".
func campaignSizes(scale string) (email, estimate int, err error) {
	switch scale {
	case "", "small":
		return campaignSmall, campaignSmall, nil
	case "full":
		return campaignEmailFull, campaignEstimateFull, nil
	}
	return 0, 0, fmt.Errorf("BENCH_SCALE=%q: want small or full", scale)
}

// benchCampaignEmail measures an email campaign end to end: from Start
// (the start job materializing the recipients and queueing the batches)
// until every recipient is sent, through EmailBatchWorker and SendGrid's
// client against the sandbox with zero latency. The baseline COPYs as
// many recipient rows into an unindexed table: the least writing the
// recipients could cost.
func benchCampaignEmail(ctx context.Context, e *env) (result, error) {
	n := e.campaignEmail
	pool, err := dbutil.OpenPool(ctx, e.dbURL, chatWorkers+10)
	if err != nil {
		return result{}, err
	}
	defer pool.Close()

	sb := sandbox.New(sandbox.Options{Logger: zerolog.Nop(), Seed: 1, RecordLimit: 1000})
	defer sb.Close()
	srv := httptest.NewServer(http.StripPrefix("/sandbox", sb.Handler()))
	defer srv.Close()

	orgID, _, err := e.messagingOrg(ctx, "Campaign email bench", nil)
	if err != nil {
		return result{}, err
	}
	secret := []byte("bench-secret-bench-secret-bench!")
	store, err := channels.NewStore(secret)
	if err != nil {
		return result{}, err
	}
	if _, err := store.Put(ctx, pool, orgID, channels.ChannelEmail, channels.SandboxParams(channels.ChannelEmail, uuid.NullUUID{}), time.Now()); err != nil {
		return result{}, err
	}
	group, err := seedAudience(ctx, e.logger, pool, orgID, n, false)
	if err != nil {
		return result{}, err
	}
	tpl, err := benchTemplate(ctx, pool, orgID, "email")
	if err != nil {
		return result{}, err
	}

	cfg := &config.Config{ProviderTimeout: 30 * time.Second}
	cfg.Providers.SendGrid = srv.URL + "/sandbox/sendgrid"
	workers := river.NewWorkers()
	river.AddWorker(workers, &campaigns.StartWorker{DB: pool, Now: time.Now})
	river.AddWorker(workers, &campaigns.EmailBatchWorker{
		DB: pool, Store: store, SendGrid: messaging.NewProviders(cfg).SendGrid, Tokens: suppression.NewTokens(secret),
		PublicBaseURL: srv.URL, Now: time.Now, Logger: zerolog.Nop(),
	})
	inserter, err := jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: workers})
	if err != nil {
		return result{}, err
	}
	actor := uuid.NullUUID{UUID: e.userID, Valid: true}
	c, err := campaigns.Create(ctx, pool, orgID, actor, campaigns.Input{Name: "Bench", Audience: campaigns.Audience{
		Channels: []campaigns.ChannelTemplate{{Channel: "email", TemplateID: tpl}}, IncludeGroupIDs: []uuid.UUID{group},
	}}, time.Now())
	if err != nil {
		return result{}, fmt.Errorf("creating campaign: %w", err)
	}

	rss := startRSS()
	cpu := startCPU(ctx, pool)
	t0 := time.Now()
	if _, err := campaigns.Start(ctx, pool, inserter, orgID, c.ID, actor, campaigns.StartRequest{}, time.Now()); err != nil {
		return result{}, fmt.Errorf("starting campaign: %w", err)
	}
	if _, err := drain(ctx, pool, workers, jobqueue.QueueCampaigns, func(ctx context.Context) (int, error) {
		// Probes of the partial index of recipients in play; before the
		// start job has run there are none, so materialized_at says when
		// "none left" means done.
		var done bool
		err := pool.QueryRow(ctx, `SELECT c.materialized_at IS NOT NULL AND NOT EXISTS (
			SELECT 1 FROM campaign_recipients r WHERE r.campaign_id = c.id AND r.status IN ('queued', 'sending'))
			FROM campaigns c WHERE c.id = $1`, c.ID).Scan(&done)
		if err != nil || !done {
			return 0, err
		}
		return n, nil
	}, n); err != nil {
		return result{}, err
	}
	took := time.Since(t0)
	goCPU, pgCPU := cpu.stop(ctx)
	peak := rss.stop()
	var sent int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM campaign_recipients WHERE campaign_id = $1 AND status = 'sent'`, c.ID).Scan(&sent); err != nil {
		return result{}, err
	}
	if sent != n {
		var why string
		_ = pool.QueryRow(ctx, `SELECT string_agg(status || ' ' || error_code || ' ' || error || ': ' || k, '; ') FROM (
			SELECT status, error_code, error, count(*) AS k FROM campaign_recipients WHERE campaign_id = $1 GROUP BY 1, 2, 3) s`, c.ID).Scan(&why)
		return result{}, fmt.Errorf("%d of %d recipients sent (%s)", sent, n, why)
	}
	rate := float64(n) / took.Seconds()
	e.logger.Info("campaign email", "recipients", n, "took", took.Round(time.Millisecond), "recipients_per_sec", round(rate, 0),
		"peak_rss_mb", mib(peak), "go_cpu_us_per_recipient", perOp(goCPU, n), "pg_cpu_us_per_recipient", perOp(pgCPU, n))

	// Baseline: COPY n recipient rows into an unindexed table.
	if _, err := pool.Exec(ctx, `CREATE TABLE bench_recipients_copy (org_id uuid, campaign_id uuid, contact_id uuid, channel text, address text, status text)`); err != nil {
		return result{}, err
	}
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{orgID, c.ID, uuid.New(), "email", "c" + strconv.Itoa(i) + "@example.com", "queued"}
	}
	t0 = time.Now()
	copied, err := pool.CopyFrom(ctx, pgx.Identifier{"bench_recipients_copy"}, []string{"org_id", "campaign_id", "contact_id", "channel", "address", "status"}, pgx.CopyFromRows(rows))
	if err != nil {
		return result{}, fmt.Errorf("baseline copy: %w", err)
	}
	base := time.Since(t0)
	e.logger.Info("baseline copy", "rows", copied, "took", base.Round(time.Millisecond))
	return result{
		Value: round(took.Seconds(), 3), Unit: "seconds", Baseline: round(base.Seconds(), 3), Ratio: round(took.Seconds()/base.Seconds(), 3),
		Recipients: n, RecipientsPerSec: round(rate, 0), PeakRSSMB: mib(peak),
	}, nil
}

// estimateRuns is how many times each side of the estimate benchmark is
// timed (after one untimed run that warms the cache); the median counts.
const estimateRuns = 5

// benchCampaignEstimate measures a campaign's estimate (WhatsApp, else
// email, over a group of contacts half of whom have a WhatsApp number in
// one of four countries) against a plain count of the group's members.
func benchCampaignEstimate(ctx context.Context, e *env) (result, error) {
	n := e.campaignEstimate
	orgID, _, err := e.messagingOrg(ctx, "Campaign estimate bench", nil)
	if err != nil {
		return result{}, err
	}
	group, err := seedAudience(ctx, e.logger, e.pool, orgID, n, true)
	if err != nil {
		return result{}, err
	}
	wa, err := benchTemplate(ctx, e.pool, orgID, "whatsapp")
	if err != nil {
		return result{}, err
	}
	em, err := benchTemplate(ctx, e.pool, orgID, "email")
	if err != nil {
		return result{}, err
	}
	a := campaigns.Audience{
		Channels:        []campaigns.ChannelTemplate{{Channel: "whatsapp", TemplateID: wa}, {Channel: "email", TemplateID: em}},
		IncludeGroupIDs: []uuid.UUID{group},
	}
	var est campaigns.Estimate
	lat, err := timeRuns(func() error {
		var err error
		est, err = campaigns.EstimateAudience(ctx, e.pool, orgID, a)
		return err
	})
	if err != nil {
		return result{}, fmt.Errorf("estimating: %w", err)
	}
	if est.Contacts != n || est.Recipients != n {
		return result{}, fmt.Errorf("estimate counted %d contacts and %d recipients, want %d", est.Contacts, est.Recipients, n)
	}
	e.logger.Info("campaign estimate", "contacts", n, "median_ms", round(ms(percentile(lat, 0.5)), 1), "max_ms", round(ms(slices.Max(lat)), 1),
		"whatsapp", est.Channels[0].Recipients, "cost", est.CostMicros, "currency", est.Currency)

	var count int
	baseLat, err := timeRuns(func() error {
		return e.pool.QueryRow(ctx, `SELECT count(*) FROM contact_group_members WHERE group_id = $1`, group).Scan(&count)
	})
	if err != nil {
		return result{}, fmt.Errorf("baseline count: %w", err)
	}
	if count != n {
		return result{}, fmt.Errorf("baseline counted %d members, want %d", count, n)
	}
	v, b := ms(percentile(lat, 0.5)), ms(percentile(baseLat, 0.5))
	e.logger.Info("baseline count", "members", count, "median_ms", round(b, 1))
	return result{Value: round(v, 1), Unit: "ms", Baseline: round(b, 1), Ratio: round(v/b, 3), Recipients: n}, nil
}

// timeRuns runs fn once untimed and estimateRuns times timed.
func timeRuns(fn func() error) ([]time.Duration, error) {
	if err := fn(); err != nil {
		return nil, err
	}
	lat := make([]time.Duration, 0, estimateRuns)
	for range estimateRuns {
		t := time.Now()
		if err := fn(); err != nil {
			return nil, err
		}
		lat = append(lat, time.Since(t))
	}
	return lat, nil
}

// seedAudience inserts n contacts of the org with an email address (with
// whatsapp, every other one also a WhatsApp number in the US, Germany,
// Brazil or India) and a group holding them all, and analyzes the tables
// as autovacuum would have by the time a campaign runs.
func seedAudience(ctx context.Context, logger *slog.Logger, pool *pgxpool.Pool, orgID uuid.UUID, n int, whatsapp bool) (uuid.UUID, error) {
	t := time.Now()
	if _, err := pool.Exec(ctx, `INSERT INTO contacts (org_id, email, first_name, whatsapp)
		SELECT $1, 'c' || g || '@example.com', 'Contact' || g,
		       CASE WHEN $3::boolean AND g % 2 = 0 THEN (ARRAY['+1202', '+4915', '+5511', '+9198'])[1 + (g / 2) % 4] || lpad(g::text, 8, '0') END
		FROM generate_series(1, $2::int) g`, orgID, n, whatsapp); err != nil {
		return uuid.Nil, fmt.Errorf("seeding contacts: %w", err)
	}
	var group uuid.UUID
	if err := pool.QueryRow(ctx, `INSERT INTO contact_groups (org_id, name) VALUES ($1, 'Everyone') RETURNING id`, orgID).Scan(&group); err != nil {
		return uuid.Nil, fmt.Errorf("creating group: %w", err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO contact_group_members (org_id, group_id, contact_id) SELECT $1, $2, id FROM contacts WHERE org_id = $1`, orgID, group); err != nil {
		return uuid.Nil, fmt.Errorf("filling group: %w", err)
	}
	if _, err := pool.Exec(ctx, `ANALYZE contacts, contact_group_members`); err != nil {
		return uuid.Nil, err
	}
	logRate(logger, "seeded audience", n, time.Since(t))
	return group, nil
}

// benchTemplate inserts an approved template of the channel.
func benchTemplate(ctx context.Context, pool *pgxpool.Pool, orgID uuid.UUID, channel string) (uuid.UUID, error) {
	var id uuid.UUID
	err := dbutil.WithTx(ctx, pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO templates (org_id, name, channel) VALUES ($1, $2, $3) RETURNING id`,
			orgID, "Bench "+channel, channel).Scan(&id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO template_versions (org_id, template_id, version, status, subject, body_html, body_text, body, approved_at)
			VALUES ($1, $2, 1, 'approved', 'Hello {{first_name}}', '<p>Hi {{first_name}}, spring is here.</p>', 'Hi {{first_name}}, spring is here.', 'Hi {{first_name}}, spring is here.', now())`, orgID, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE templates SET approved_version = 1 WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return uuid.Nil, fmt.Errorf("creating %s template: %w", channel, err)
	}
	return id, nil
}

// rssMeter samples the process's resident set every 20 ms between start
// and stop. The benchmark runs the workers in this process (there is no
// API in the loop: the campaign is started by a call), so the figure is
// the worker side's peak, plus the benchmark's own small state.
type rssMeter struct {
	peak atomic.Uint64
	quit chan struct{}
	done chan struct{}
}

func startRSS() *rssMeter {
	m := &rssMeter{quit: make(chan struct{}), done: make(chan struct{})}
	m.peak.Store(readRSS())
	go func() {
		defer close(m.done)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-m.quit:
				return
			case <-tick.C:
				if r := readRSS(); r > m.peak.Load() {
					m.peak.Store(r)
				}
			}
		}
	}()
	return m
}

// stop returns the peak in bytes.
func (m *rssMeter) stop() uint64 {
	close(m.quit)
	<-m.done
	return m.peak.Load()
}

// readRSS is VmRSS from /proc/self/status, in bytes (0 if unreadable).
func readRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := bytes.Fields(sc.Bytes()); len(f) >= 2 && string(f[0]) == "VmRSS:" {
			kb, _ := strconv.ParseUint(string(f[1]), 10, 64)
			return kb << 10
		}
	}
	return 0
}
