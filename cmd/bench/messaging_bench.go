package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/apikeys"
	"github.com/switchboard/switchboard/internal/app"
	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/orgs"
	"github.com/switchboard/switchboard/internal/ratelimit"
	"github.com/switchboard/switchboard/internal/sandbox"
	"github.com/switchboard/switchboard/internal/storage"
	"github.com/switchboard/switchboard/internal/suppression"
)

// Send-enqueue load: 64 clients for 20 seconds, as the issue sets it.
const (
	sendClients  = 64
	sendDuration = 20 * time.Second
	// sendRecipients are the distinct addresses the requests cycle through.
	sendRecipients = 5000
)

// benchSendEnqueue measures POST /api/v1/messages through the assembled
// API (auth by API key, validation, suppression check, render, one
// transaction with the message, its event and its job) against single-row
// INSERT + COMMIT through pgx at the same concurrency.
func benchSendEnqueue(ctx context.Context, e *env) (result, error) {
	srv, err := startAPI(ctx, e)
	if err != nil {
		return result{}, err
	}
	defer srv.stop()

	orgID, key, err := e.messagingOrg(ctx, "Send bench", []string{"messages:write"})
	if err != nil {
		return result{}, err
	}
	// The org's recipients are its contacts already, as in steady use (a
	// send to a new address creates its contact on the way), and the
	// planner has statistics about them: on a table minutes old it has
	// none, and picks an index at random among those on org_id.
	if _, err := srv.pool.Exec(ctx, `INSERT INTO contacts (org_id, email) SELECT $1, 'bench' || g || '@example.com' FROM generate_series(0, $2 - 1) g`, orgID, sendRecipients); err != nil {
		return result{}, err
	}
	if _, err := srv.pool.Exec(ctx, `ANALYZE contacts`); err != nil {
		return result{}, err
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: sendClients, MaxConnsPerHost: sendClients}}
	url := srv.url + "/api/v1/messages"
	var seq atomic.Int64
	cpu := startCPU(ctx, srv.pool)
	lat, n, err := load(ctx, sendClients, sendDuration, func() error {
		i := seq.Add(1)
		body := fmt.Sprintf(`{"channel":"email","to":"bench%d@example.com","subject":"Your code","body":"Hello, your code is %d."}`, i%sendRecipients, i)
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewBufferString(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("POST /api/v1/messages: %d %s", resp.StatusCode, raw)
		}
		return nil
	})
	if err != nil {
		return result{}, err
	}
	goCPU, pgCPU := cpu.stop(ctx)
	rps := float64(n) / sendDuration.Seconds()
	e.logger.Info("send enqueue", "requests", n, "rps", round(rps, 0), "p50_ms", round(ms(percentile(lat, 0.5)), 2), "p99_ms", round(ms(percentile(lat, 0.99)), 2),
		"go_cpu_us_per_req", perOp(goCPU, n), "pg_cpu_us_per_req", perOp(pgCPU, n))

	// Baseline: the cheapest durable write, one row per transaction.
	basePool, err := dbutil.OpenPool(ctx, e.dbURL, sendClients)
	if err != nil {
		return result{}, err
	}
	defer basePool.Close()
	if _, err := basePool.Exec(ctx, `CREATE TABLE bench_insert_baseline (id uuid PRIMARY KEY, org_id uuid NOT NULL, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return result{}, err
	}
	// Every connection open before the meter starts, so that it sees them.
	if err := warmPool(ctx, basePool, sendClients); err != nil {
		return result{}, err
	}
	cpu = startCPU(ctx, basePool)
	baseLat, baseN, err := load(ctx, sendClients, sendDuration, func() error {
		_, err := basePool.Exec(ctx, `INSERT INTO bench_insert_baseline (id, org_id, body) VALUES ($1, $2, $3)`, uuid.New(), orgID, "Hello, your code is 42.")
		return err
	})
	if err != nil {
		return result{}, err
	}
	goCPU, pgCPU = cpu.stop(ctx)
	base := float64(baseN) / sendDuration.Seconds()
	e.logger.Info("baseline insert+commit", "rows", baseN, "rps", round(base, 0), "p50_ms", round(ms(percentile(baseLat, 0.5)), 2), "p99_ms", round(ms(percentile(baseLat, 0.99)), 2),
		"go_cpu_us_per_req", perOp(goCPU, baseN), "pg_cpu_us_per_req", perOp(pgCPU, baseN))
	return result{
		Value: round(rps, 0), Unit: "requests/s", Baseline: round(base, 0), Ratio: round(rps/base, 3),
		P50: round(ms(percentile(lat, 0.5)), 2), P99: round(ms(percentile(lat, 0.99)), 2),
	}, nil
}

// perOp is d per operation in microseconds.
func perOp(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return round(float64(d.Microseconds())/float64(n), 1)
}

// warmPool opens n connections of pool.
func warmPool(ctx context.Context, pool *pgxpool.Pool, n int) error {
	conns := make([]*pgxpool.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range n {
		c, err := pool.Acquire(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	return nil
}

// load runs fn from clients goroutines for d and returns every call's
// latency and the number of calls.
func load(ctx context.Context, clients int, d time.Duration, fn func() error) ([]time.Duration, int, error) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			for ctx.Err() == nil {
				t := time.Now()
				if err := fn(); err != nil {
					if ctx.Err() == nil {
						mu.Lock()
						firstErr = cmpErr(firstErr, err)
						mu.Unlock()
					}
					cancel()
					break
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return all, len(all), firstErr
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// chatMessages is how many Telegram messages the chat benchmark sends.
const chatMessages = 20_000

// chatWorkers is the Telegram queue's MaxWorkers in the chat benchmark
// (and the no-op baseline's).
const chatWorkers = 50

// benchChatSend measures the Telegram send path end to end — the worker
// reads the message, reserves its send slot, calls the provider through
// go-telegram/bot against the sandbox (zero latency, limits lifted) and
// records the result — against River no-op jobs on the same queue size.
func benchChatSend(ctx context.Context, e *env) (result, error) {
	pool, err := dbutil.OpenPool(ctx, e.dbURL, chatWorkers+10)
	if err != nil {
		return result{}, err
	}
	defer pool.Close()

	sb := sandbox.New(sandbox.Options{Logger: zerolog.Nop(), Seed: 1, RecordLimit: 1000})
	defer sb.Close()
	srv := httptest.NewServer(http.StripPrefix("/sandbox", sb.Handler()))
	defer srv.Close()

	orgID, _, err := e.messagingOrg(ctx, "Chat bench", nil)
	if err != nil {
		return result{}, err
	}
	secret := []byte("bench-secret-bench-secret-bench!")
	store, err := channels.NewStore(secret)
	if err != nil {
		return result{}, err
	}
	if _, err := store.Put(ctx, pool, orgID, channels.ChannelTelegram, channels.SandboxParams(channels.ChannelTelegram, uuid.NullUUID{}), time.Now()); err != nil {
		return result{}, err
	}
	// Limits lifted: the figure is the send path's, not the bucket's.
	if _, err := pool.Exec(ctx, `UPDATE channel_settings SET rate_per_second = 10000 WHERE org_id = $1 AND channel = 'telegram'`, orgID); err != nil {
		return result{}, err
	}
	st, err := storage.NewDisk(os.TempDir() + "/sbbench-files")
	if err != nil {
		return result{}, err
	}
	cfg := &config.Config{ProviderTimeout: 10 * time.Second}
	cfg.Providers.Telegram = srv.URL + "/sandbox/telegram"
	tokens := suppression.NewTokens(secret)
	workers := river.NewWorkers()
	river.AddWorker(workers, &messaging.SendWorker{
		DB: pool, Senders: messaging.Senders(store, messaging.NewProviders(cfg), srv.URL), Storage: st,
		Tokens: tokens, PublicBaseURL: srv.URL, Now: time.Now, Logger: zerolog.Nop(),
		Pacer: ratelimit.NewPacer(50 * time.Millisecond),
	})
	river.AddWorker(workers, &noopWorker{})

	// Queue the messages through the send path (not timed), each to its
	// own chat (ids clear of the sandbox's magic endings): Telegram's one-per-second
	// per chat stays out of the way.
	inserter, err := jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: workers})
	if err != nil {
		return result{}, err
	}
	sends := &messaging.Sends{DB: pool, Jobs: inserter, Tokens: tokens, PublicBaseURL: srv.URL, Now: time.Now}
	var seq atomic.Int64
	if _, _, err := load(ctx, 16, time.Hour, func() error {
		i := seq.Add(1)
		if i > chatMessages {
			return errDone
		}
		_, _, err := sends.Send(ctx, orgID, messaging.Actor{}, messaging.SendRequest{Channel: "telegram", To: fmt.Sprint(i*10_000 + 5555), Body: "Your order shipped."}, "")
		return err
	}); err != nil && err != errDone {
		return result{}, fmt.Errorf("queueing messages: %w", err)
	}

	cpu := startCPU(ctx, pool)
	took, err := drain(ctx, pool, workers, jobqueue.QueueTelegram, func(ctx context.Context) (int, error) {
		// An index probe, not a count: the check runs every 100 ms
		// beside the work it measures.
		return doneWhenNone(ctx, pool, `SELECT EXISTS (SELECT 1 FROM outbound_messages WHERE org_id = $1 AND status IN ('queued', 'sending'))`, orgID)
	}, chatMessages)
	if err != nil {
		return result{}, err
	}
	var failed int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM outbound_messages WHERE org_id = $1 AND status = 'failed'`, orgID).Scan(&failed); err != nil {
		return result{}, err
	}
	if failed > 0 {
		return result{}, fmt.Errorf("%d of %d messages failed", failed, chatMessages)
	}
	goCPU, pgCPU := cpu.stop(ctx)
	rate := chatMessages / took.Seconds()
	e.logger.Info("chat send", "messages", chatMessages, "took", took.Round(time.Millisecond), "per_sec", round(rate, 0),
		"go_cpu_us_per_msg", perOp(goCPU, chatMessages), "pg_cpu_us_per_msg", perOp(pgCPU, chatMessages))

	// Baseline: the same number of River no-op jobs on a queue of the same size.
	params := make([]river.InsertManyParams, chatMessages)
	for i := range params {
		params[i] = river.InsertManyParams{Args: noopArgs{}, InsertOpts: &river.InsertOpts{Queue: "bench_noop"}}
	}
	if _, err := inserter.InsertManyFast(ctx, params); err != nil {
		return result{}, fmt.Errorf("inserting no-op jobs: %w", err)
	}
	cpu = startCPU(ctx, pool)
	baseTook, err := drain(ctx, pool, workers, "bench_noop", func(ctx context.Context) (int, error) {
		return doneWhenNone(ctx, pool, `SELECT EXISTS (SELECT 1 FROM river_job WHERE queue = 'bench_noop' AND state <> 'completed')`)
	}, chatMessages)
	if err != nil {
		return result{}, err
	}
	goCPU, pgCPU = cpu.stop(ctx)
	base := chatMessages / baseTook.Seconds()
	e.logger.Info("baseline no-op jobs", "jobs", chatMessages, "took", baseTook.Round(time.Millisecond), "per_sec", round(base, 0),
		"go_cpu_us_per_job", perOp(goCPU, chatMessages), "pg_cpu_us_per_job", perOp(pgCPU, chatMessages))
	return result{Value: round(rate, 0), Unit: "messages/s", Baseline: round(base, 0), Ratio: round(rate/base, 3)}, nil
}

var errDone = fmt.Errorf("done")

// doneWhenNone answers a drain's check: chatMessages once query (an
// EXISTS of the work left) says nothing is left, else 0.
func doneWhenNone(ctx context.Context, pool *pgxpool.Pool, query string, args ...any) (int, error) {
	var left bool
	if err := pool.QueryRow(ctx, query, args...).Scan(&left); err != nil || left {
		return 0, err
	}
	return chatMessages, nil
}

// drain starts a client working queue and returns how long it took until
// done reports want.
func drain(ctx context.Context, pool *pgxpool.Pool, workers *river.Workers, queue string, done func(context.Context) (int, error), want int) (time.Duration, error) {
	client, err := jobqueue.NewClient(pool, jobqueue.Options{Logger: zerolog.Nop(), Workers: workers, Queues: map[string]int{queue: chatWorkers}})
	if err != nil {
		return 0, err
	}
	start := time.Now()
	if err := client.Start(ctx); err != nil {
		return 0, err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = client.Stop(stopCtx)
	}()
	for {
		n, err := done(ctx)
		if err != nil {
			return 0, err
		}
		if n >= want {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type noopArgs struct{}

func (noopArgs) Kind() string { return "bench_noop" }

type noopWorker struct{ river.WorkerDefaults[noopArgs] }

func (*noopWorker) Work(context.Context, *river.Job[noopArgs]) error { return nil }

// benchConfig is the configuration the API under test runs with.
func benchConfig(e *env) (*config.Config, error) {
	dir, err := os.MkdirTemp("", "sbbench-data-")
	if err != nil {
		return nil, err
	}
	env := map[string]string{
		"DATABASE_URL": e.dbURL, "DATA_DIR": dir, "SANDBOX": "0", "LOG_LEVEL": "error",
		"JWT_SECRET":  "bench-jwt-secret-bench-jwt-secret",
		"SECRETS_KEY": "YmVuY2gtc2VjcmV0cy1rZXktMzItYnl0ZXMtbG9uZyE=",
	}
	return config.Load(func(k string) string { return env[k] })
}

// messagingOrg makes an org of its own for a messaging benchmark and, when
// scopes are given, an API key with them.
func (e *env) messagingOrg(ctx context.Context, name string, scopes []string) (uuid.UUID, string, error) {
	var orgID uuid.UUID
	var secret string
	err := dbutil.WithTx(ctx, e.pool, func(tx pgx.Tx) error {
		o, err := orgs.Create(ctx, tx, e.userID, orgs.Settings{Name: &name})
		if err != nil {
			return fmt.Errorf("creating org: %w", err)
		}
		orgID = o.ID
		if len(scopes) == 0 {
			return nil
		}
		k, err := apikeys.Create(ctx, tx, orgID, apikeys.CreateParams{Name: "bench", Scopes: scopes, CreatedBy: uuid.NullUUID{UUID: e.userID, Valid: true}}, time.Now())
		if err != nil {
			return fmt.Errorf("creating API key: %w", err)
		}
		secret = k.Secret
		return nil
	})
	return orgID, secret, err
}

// Webhook ingest load: signed SendGrid batches of 1,000 events from 8
// clients for 10 seconds.
const (
	ingestBatch    = 1000
	ingestClients  = 8
	ingestDuration = 10 * time.Second
)

// benchWebhookIngest measures POST /api/callbacks/sendgrid/{hook}/ through
// the assembled API: signature check, the request row, 1,000 event rows
// (deduplicated by sg_event_id) and the processing job in one
// transaction. The baseline COPYs the same event rows into an unindexed
// table.
func benchWebhookIngest(ctx context.Context, e *env) (result, error) {
	srv, err := startAPI(ctx, e)
	if err != nil {
		return result{}, err
	}
	defer srv.stop()
	pool, cfg := srv.pool, srv.cfg

	orgID, _, err := e.messagingOrg(ctx, "Webhook bench", nil)
	if err != nil {
		return result{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return result{}, err
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return result{}, err
	}
	store, err := channels.NewStore(cfg.SecretsKey)
	if err != nil {
		return result{}, err
	}
	apiKey := "SG.benchbenchbench.benchbenchbenchbench"
	setting, err := store.Put(ctx, pool, orgID, channels.ChannelEmail, channels.PutParams{
		Config:  map[string]string{channels.FieldFromEmail: "news@example.com", channels.FieldEventPublicKey: base64.StdEncoding.EncodeToString(der)},
		Secrets: map[string]*string{channels.FieldAPIKey: &apiKey},
	}, time.Now())
	if err != nil {
		return result{}, err
	}
	url := srv.url + "/api/callbacks/sendgrid/" + setting.HookID + "/"

	batch := func(seq int64) []byte {
		var buf bytes.Buffer
		buf.Grow(ingestBatch * 260)
		buf.WriteByte('[')
		now := time.Now().Unix()
		for j := range ingestBatch {
			if j > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"email":"r%d@example.com","timestamp":%d,"smtp-id":"<%d.%d@sb.test>","event":"delivered","category":["news"],`+
				`"sg_event_id":"ev-%d-%d","sg_message_id":"m%d.filter0001.16648.5515E0B88.0","response":"250 OK","tls":1}`,
				j, now, seq, j, seq, j, j)
		}
		buf.WriteByte(']')
		return buf.Bytes()
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: ingestClients}}
	var seq atomic.Int64
	_, calls, err := load(ctx, ingestClients, ingestDuration, func() error {
		body := batch(seq.Add(1))
		stamp := fmt.Sprint(time.Now().Unix())
		sum := sha256.Sum256(append([]byte(stamp), body...))
		sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
		if err != nil {
			return err
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Twilio-Email-Event-Webhook-Signature", base64.StdEncoding.EncodeToString(sig))
		req.Header.Set("X-Twilio-Email-Event-Webhook-Timestamp", stamp)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("POST sendgrid webhook: %d %s", resp.StatusCode, raw)
		}
		return nil
	})
	if err != nil {
		return result{}, err
	}
	var stored int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM webhook_events WHERE org_id = $1`, orgID).Scan(&stored); err != nil {
		return result{}, err
	}
	if stored != calls*ingestBatch {
		return result{}, fmt.Errorf("stored %d events for %d accepted batches", stored, calls)
	}
	rate := float64(stored) / ingestDuration.Seconds()
	e.logger.Info("webhook ingest", "batches", calls, "events", stored, "events_per_sec", round(rate, 0))

	// Baseline: COPY the same rows into an unindexed table, from as many
	// clients.
	if _, err := pool.Exec(ctx, `CREATE TABLE bench_events_copy (org_id uuid, event_key text, kind text, payload jsonb)`); err != nil {
		return result{}, err
	}
	var copied atomic.Int64
	_, _, err = load(ctx, ingestClients, ingestDuration, func() error {
		s := seq.Add(1)
		rows := make([][]any, ingestBatch)
		for j := range rows {
			rows[j] = []any{orgID, fmt.Sprintf("ev-%d-%d", s, j), "delivered",
				fmt.Sprintf(`{"email":"r%d@example.com","event":"delivered","sg_event_id":"ev-%d-%d","sg_message_id":"m%d.filter0001"}`, j, s, j, j)}
		}
		n, err := pool.CopyFrom(ctx, pgx.Identifier{"bench_events_copy"}, []string{"org_id", "event_key", "kind", "payload"}, pgx.CopyFromRows(rows))
		copied.Add(n)
		return err
	})
	if err != nil {
		return result{}, err
	}
	base := float64(copied.Load()) / ingestDuration.Seconds()
	e.logger.Info("baseline copy", "rows", copied.Load(), "rows_per_sec", round(base, 0))
	return result{Value: round(rate, 0), Unit: "events/s", Baseline: round(base, 0), Ratio: round(rate/base, 3)}, nil
}

// apiServer is the assembled API serving on a local port.
type apiServer struct {
	url  string
	pool *pgxpool.Pool
	cfg  *config.Config
	stop func()
}

// startAPI runs the API the way cmd/api does, on the benchmark's database
// with its usual pool size, and without the sandbox.
func startAPI(ctx context.Context, e *env) (*apiServer, error) {
	cfg, err := benchConfig(e)
	if err != nil {
		return nil, err
	}
	pool, err := dbutil.OpenPool(ctx, e.dbURL, cfg.DBMaxConns)
	if err != nil {
		return nil, err
	}
	// Errors only: a failing request must say why.
	logger := zerolog.New(os.Stderr).Level(zerolog.ErrorLevel)
	api, err := app.NewAPI(app.Deps{Config: cfg, Pool: pool, Logger: logger, Now: time.Now})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("building API: %w", err)
	}
	apiCtx, cancel := context.WithCancel(ctx)
	if err := api.Start(apiCtx); err != nil {
		cancel()
		pool.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		pool.Close()
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = api.Serve(apiCtx, ln)
	}()
	return &apiServer{url: "http://" + ln.Addr().String(), pool: pool, cfg: cfg, stop: func() {
		cancel()
		<-done
		pool.Close()
	}}, nil
}
