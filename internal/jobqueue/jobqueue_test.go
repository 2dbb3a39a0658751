package jobqueue

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/logging"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// syncBuffer collects log output written from River's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// linesWith decodes the JSON log lines whose message is msg.
func (b *syncBuffer) linesWith(t *testing.T, msg string) []map[string]any {
	t.Helper()
	b.mu.Lock()
	raw := b.buf.String()
	b.mu.Unlock()
	var res []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(raw), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), "log line: %s", l)
		if m["message"] == msg {
			res = append(res, m)
		}
	}
	return res
}

type noteArgs struct {
	Note string `json:"note"`
}

func (noteArgs) Kind() string { return "jobqueue_test_note" }

// noteWorker logs through the job's context logger and reports the request
// id it saw.
type noteWorker struct {
	river.WorkerDefaults[noteArgs]
	seen chan string
}

func (w *noteWorker) Work(ctx context.Context, job *river.Job[noteArgs]) error {
	zerolog.Ctx(ctx).Info().Str("note", job.Args.Note).Msg("inside job")
	if w.seen != nil {
		w.seen <- logging.RequestID(ctx)
	}
	return nil
}

func newWorkers(w *noteWorker) *river.Workers {
	workers := river.NewWorkers()
	river.AddWorker(workers, w)
	return workers
}

func TestRequestIDOnInsert(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		ctx    context.Context
		tx     pgx.Tx
		client *Client
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		client, err := NewClient(dbtest.Pool(t), Options{Logger: zerolog.Nop(), Workers: newWorkers(&noteWorker{})})
		require.NoError(t, err)
		return &testBundle{ctx: t.Context(), tx: dbtest.TestTx(t), client: client}
	}

	metadata := func(t *testing.T, b *testBundle, id int64) map[string]any {
		t.Helper()
		var raw []byte
		require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT metadata FROM river_job WHERE id = $1`, id).Scan(&raw))
		var m map[string]any
		require.NoError(t, json.Unmarshal(raw, &m))
		return m
	}

	t.Run("Stamped", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		res, err := b.client.InsertTx(logging.WithRequestID(b.ctx, "req-123"), b.tx, noteArgs{Note: "hi"}, nil)
		require.NoError(t, err)
		require.Equal(t, "req-123", metadata(t, b, res.Job.ID)["request_id"])
	})

	t.Run("NoRequestID", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		res, err := b.client.InsertTx(b.ctx, b.tx, noteArgs{Note: "hi"}, nil)
		require.NoError(t, err)
		require.NotContains(t, metadata(t, b, res.Job.ID), "request_id")
	})

	t.Run("ExistingKeysKept", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := logging.WithRequestID(b.ctx, "req-new")

		res, err := b.client.InsertTx(ctx, b.tx, noteArgs{}, &river.InsertOpts{Metadata: []byte(`{"request_id":"req-original","campaign":"c1"}`)})
		require.NoError(t, err)
		m := metadata(t, b, res.Job.ID)
		require.Equal(t, "req-original", m["request_id"], "an explicit request id is not overwritten")
		require.Equal(t, "c1", m["campaign"])

		res, err = b.client.InsertTx(ctx, b.tx, noteArgs{}, &river.InsertOpts{Metadata: []byte(`{"campaign":"c2"}`)})
		require.NoError(t, err)
		m = metadata(t, b, res.Job.ID)
		require.Equal(t, "req-new", m["request_id"])
		require.Equal(t, "c2", m["campaign"], "other keys survive the stamp")
	})

	t.Run("InsertMany", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ctx := logging.WithRequestID(b.ctx, "req-many")

		params := []river.InsertManyParams{
			{Args: noteArgs{Note: "a"}},
			{Args: noteArgs{Note: "b"}, InsertOpts: &river.InsertOpts{Metadata: []byte(`{"request_id":"req-kept"}`)}},
		}
		results, err := b.client.InsertManyTx(ctx, b.tx, params)
		require.NoError(t, err)
		require.Len(t, results, 2)
		require.Equal(t, "req-many", metadata(t, b, results[0].Job.ID)["request_id"])
		require.Equal(t, "req-kept", metadata(t, b, results[1].Job.ID)["request_id"])

		n, err := b.client.InsertManyFastTx(ctx, b.tx, []river.InsertManyParams{{Args: noteArgs{Note: "c"}}})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		var stamped int
		require.NoError(t, b.tx.QueryRow(b.ctx,
			`SELECT count(*) FROM river_job WHERE args->>'note' = 'c' AND metadata->>'request_id' = 'req-many'`).Scan(&stamped))
		require.Equal(t, 1, stamped, "the COPY path is stamped too")
	})

	t.Run("UnknownKindRefused", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		_, err := b.client.InsertTx(b.ctx, b.tx, unregisteredArgs{}, nil)
		require.Error(t, err, "insert-only clients with Workers check kinds")
	})
}

type unregisteredArgs struct{}

func (unregisteredArgs) Kind() string { return "jobqueue_test_unregistered" }

func TestRequestIDMiddlewareInsertMany(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name      string
		requestID string
		metadata  []byte
		want      map[string]any // nil: metadata left as is
	}{
		{"Empty", "req-1", nil, map[string]any{"request_id": "req-1"}},
		{"EmptyObject", "req-1", []byte(`{}`), map[string]any{"request_id": "req-1"}},
		{"Merged", "req-1", []byte(`{"a":1}`), map[string]any{"request_id": "req-1", "a": float64(1)}},
		{"NotOverwritten", "req-1", []byte(`{"request_id":"req-0"}`), map[string]any{"request_id": "req-0"}},
		{"NoRequestID", "", []byte(`{"a":1}`), map[string]any{"a": float64(1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := &requestIDMiddleware{logger: zerolog.Nop()}
			ctx := context.Background()
			if tt.requestID != "" {
				ctx = logging.WithRequestID(ctx, tt.requestID)
			}
			p := &rivertype.JobInsertParams{Kind: "k", Metadata: tt.metadata}

			called := false
			_, err := m.InsertMany(ctx, []*rivertype.JobInsertParams{p}, func(context.Context) ([]*rivertype.JobInsertResult, error) {
				called = true
				return nil, nil
			})
			require.NoError(t, err)
			require.True(t, called)
			var got map[string]any
			require.NoError(t, json.Unmarshal(p.Metadata, &got))
			require.Equal(t, tt.want, got)
		})
	}
}

func TestRequestIDMiddlewareWork(t *testing.T) {
	t.Parallel()

	type testBundle struct {
		logs *syncBuffer
		mw   *requestIDMiddleware
	}

	setup := func(t *testing.T) *testBundle {
		t.Helper()
		logs := &syncBuffer{}
		return &testBundle{logs: logs, mw: &requestIDMiddleware{logger: zerolog.New(logs).Level(zerolog.DebugLevel)}}
	}

	job := func(metadata string) *rivertype.JobRow {
		return &rivertype.JobRow{ID: 42, Kind: "jobqueue_test_note", Attempt: 2, Metadata: []byte(metadata)}
	}

	t.Run("LoggerCarriesRequestID", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		var seen string
		err := b.mw.Work(context.Background(), job(`{"request_id":"req-7"}`), func(ctx context.Context) error {
			seen = logging.RequestID(ctx)
			zerolog.Ctx(ctx).Info().Msg("inside job")
			return nil
		})
		require.NoError(t, err)
		require.Equal(t, "req-7", seen, "the request id is on the context for further inserts")

		inside := b.logs.linesWith(t, "inside job")
		require.Len(t, inside, 1)
		require.Equal(t, "req-7", inside[0]["request_id"])
		require.InDelta(t, 42, inside[0]["job_id"], 0)
		require.Equal(t, "jobqueue_test_note", inside[0]["job_kind"])
		require.InDelta(t, 2, inside[0]["attempt"], 0)

		worked := b.logs.linesWith(t, "job worked")
		require.Len(t, worked, 1)
		require.Equal(t, "debug", worked[0]["level"])
		require.Equal(t, "req-7", worked[0]["request_id"])
		require.Contains(t, worked[0], "took")
	})

	t.Run("NoRequestID", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		for _, meta := range []string{`{}`, ``, `not json`} {
			err := b.mw.Work(context.Background(), job(meta), func(ctx context.Context) error {
				require.Empty(t, logging.RequestID(ctx))
				zerolog.Ctx(ctx).Info().Msg("inside job")
				return nil
			})
			require.NoError(t, err)
		}
		inside := b.logs.linesWith(t, "inside job")
		require.Len(t, inside, 3)
		for _, l := range inside {
			require.NotContains(t, l, "request_id")
			require.InDelta(t, 42, l["job_id"], 0)
		}
	})

	t.Run("ErrorPassedThroughAndLogged", func(t *testing.T) {
		t.Parallel()
		b := setup(t)

		boom := errors.New("provider timed out")
		err := b.mw.Work(context.Background(), job(`{"request_id":"req-8"}`), func(context.Context) error { return boom })
		require.ErrorIs(t, err, boom)

		worked := b.logs.linesWith(t, "job worked")
		require.Len(t, worked, 1)
		require.Equal(t, "warn", worked[0]["level"])
		require.Equal(t, "provider timed out", worked[0]["error"])
		require.Equal(t, "req-8", worked[0]["request_id"])
	})
}

// TestRequestIDEndToEnd runs a real client: a job inserted under a request
// is worked with that request's id on its logger.
func TestRequestIDEndToEnd(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.NewDB(t)
	ctx := t.Context()

	logs := &syncBuffer{}
	worker := &noteWorker{seen: make(chan string, 1)}
	client, err := NewClient(pool, Options{
		Logger:  zerolog.New(logs).Level(zerolog.InfoLevel),
		Workers: newWorkers(worker),
		Queues:  map[string]int{QueueDefault: 1},
	})
	require.NoError(t, err)
	require.NoError(t, client.Start(ctx))
	t.Cleanup(func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		require.NoError(t, client.Stop(stopCtx))
	})

	_, err = client.Insert(logging.WithRequestID(ctx, "req-e2e"), noteArgs{Note: "hello"}, nil)
	require.NoError(t, err)

	select {
	case id := <-worker.seen:
		require.Equal(t, "req-e2e", id)
	case <-time.After(10 * time.Second):
		t.Fatal("the job was not worked within 10 s")
	}
	inside := logs.linesWith(t, "inside job")
	require.Len(t, inside, 1)
	require.Equal(t, "req-e2e", inside[0]["request_id"])
	require.Equal(t, "hello", inside[0]["note"])
	require.Equal(t, "jobqueue_test_note", inside[0]["job_kind"])
}
