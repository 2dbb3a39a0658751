package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/contacts"
)

// benchImport imports a generated CSV file through the path a user's upload
// takes: contacts.Upload (what POST /api/v1/contacts/imports calls), the
// analysis job, contacts.StartImport (what the start endpoint calls), then
// the import job. The jobs' workers are called as River calls them, with a
// job built here: no River client polls for them, so no fetch delay is
// timed. The baseline is a plain COPY of the same file into an unindexed
// table of text columns.
func benchImport(ctx context.Context, e *env) (result, error) {
	dir, err := os.MkdirTemp("", "sbbench-")
	if err != nil {
		return result{}, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "contacts.csv")
	t := time.Now()
	st, err := writeCSV(path, e.rows)
	if err != nil {
		return result{}, fmt.Errorf("writing the CSV: %w", err)
	}
	e.logger.Info("generated CSV", "rows", st.rows, "bad", st.bad, "duplicates", st.dup,
		"MiB", st.bytes>>20, "took", time.Since(t).Round(time.Millisecond))

	baseline, err := copyBaseline(ctx, e, path, st.rows)
	if err != nil {
		return result{}, fmt.Errorf("baseline: %w", err)
	}

	heap := watchHeap()
	took, err := importFile(ctx, e, path, st)
	peak := heap.stop()
	if err != nil {
		return result{}, err
	}
	e.imported = st.created()
	value := float64(st.rows) / took.Seconds()
	e.logger.Info("import memory",
		"heap_live_base_MiB", mib(peak.baseLive),
		"heap_live_peak_MiB", mib(peak.live),
		"heap_objects_peak_MiB", mib(peak.objects),
		"file_MiB", st.bytes>>20,
		"note", "live: reachable after a GC; objects: live plus garbage not yet collected")
	return result{Value: round(value, 0), Unit: "rows/s", Baseline: round(baseline, 0), Ratio: round(value/baseline, 4)}, nil
}

// copyBaseline COPYs the file's rows, read with encoding/csv, into an
// unindexed table with the file's columns as text, and returns rows/s.
func copyBaseline(ctx context.Context, e *env, path string, rows int) (float64, error) {
	pool := e.pool
	cols := make([]string, len(csvHeader))
	ddl := "CREATE TABLE bench_copy_baseline ("
	for i, c := range csvHeader {
		cols[i] = c
		if i > 0 {
			ddl += ", "
		}
		ddl += pgx.Identifier{c}.Sanitize() + " text"
	}
	if _, err := pool.Exec(ctx, ddl+")"); err != nil {
		return 0, err
	}
	defer func() { _, _ = pool.Exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS bench_copy_baseline") }()

	start := time.Now()
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	if _, err := r.Read(); err != nil { // the header
		return 0, err
	}
	n, err := pool.CopyFrom(ctx, pgx.Identifier{"bench_copy_baseline"}, cols, &csvSource{r: r, row: make([]any, len(cols))})
	if err != nil {
		return 0, err
	}
	took := time.Since(start)
	if int(n) != rows {
		return 0, fmt.Errorf("copied %d rows, want %d", n, rows)
	}
	perSec := float64(n) / took.Seconds()
	logRate(e.logger, "baseline COPY", int(n), took)
	return perSec, nil
}

// csvSource feeds a COPY from a CSV reader, one record at a time.
type csvSource struct {
	r   *csv.Reader
	row []any
	err error
}

func (s *csvSource) Next() bool {
	rec, err := s.r.Read()
	if errors.Is(err, io.EOF) {
		return false
	}
	if err != nil {
		s.err = err
		return false
	}
	for i := range s.row {
		s.row[i] = rec[i]
	}
	return true
}

func (s *csvSource) Values() ([]any, error) { return s.row, nil }
func (s *csvSource) Err() error             { return s.err }

// importFile runs the import of the file, from the upload's first byte to
// the import job's end, and checks its counts.
func importFile(ctx context.Context, e *env, path string, st fileStats) (time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	createdBy := uuid.NullUUID{UUID: e.userID, Valid: true}

	start := time.Now()
	im, err := contacts.Upload(ctx, e.pool, e.jobs, e.orgID, createdBy, filepath.Base(path), f)
	if err != nil {
		return 0, fmt.Errorf("uploading: %w", err)
	}
	tUpload := time.Since(start)
	analyze := &contacts.AnalyzeImportWorker{DB: e.pool}
	if err := analyze.Work(ctx, jobFor(contacts.AnalyzeImportArgs{OrgID: e.orgID, ImportID: im.ID})); err != nil {
		return 0, fmt.Errorf("analyzing: %w", err)
	}
	tAnalyze := time.Since(start) - tUpload
	if _, err := contacts.StartImport(ctx, e.pool, e.jobs, e.orgID, im.ID, contacts.ImportStart{Mapping: importMapping}); err != nil {
		return 0, fmt.Errorf("starting: %w", err)
	}
	stopProgress := e.logProgress(ctx, im.ID)
	worker := &contacts.ImportWorker{DB: e.pool, Now: time.Now}
	// The worker logs its steps' times at debug level.
	steps := zerolog.New(os.Stderr).Level(zerolog.DebugLevel).With().Timestamp().Logger()
	err = worker.Work(steps.WithContext(ctx), jobFor(contacts.ImportArgs{OrgID: e.orgID, ImportID: im.ID}))
	stopProgress()
	if err != nil {
		return 0, fmt.Errorf("importing: %w", err)
	}
	took := time.Since(start)
	e.logger.Info("import phases", "upload", tUpload.Round(time.Millisecond), "analyze", tAnalyze.Round(time.Millisecond),
		"import_job", (took - tUpload - tAnalyze).Round(time.Millisecond))
	logRate(e.logger, "import", st.rows, took)

	got, err := contacts.GetImport(ctx, e.pool, e.orgID, im.ID)
	if err != nil {
		return 0, err
	}
	if got.Status != contacts.ImportCompleted {
		return 0, fmt.Errorf("import ended %s: %s", got.Status, got.Error)
	}
	if int(got.RowsTotal) != st.rows || int(got.Rejected) != st.bad || int(got.Merged) != st.dup || int(got.Created) != st.created() {
		return 0, fmt.Errorf("import counted total %d, created %d, merged %d, rejected %d; want %d, %d, %d, %d",
			got.RowsTotal, got.Created, got.Merged, got.Rejected, st.rows, st.created(), st.dup, st.bad)
	}
	var n int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM contacts WHERE org_id = $1`, e.orgID).Scan(&n); err != nil {
		return 0, err
	}
	if n != st.created() {
		return 0, fmt.Errorf("the org has %d contacts after the import, want %d", n, st.created())
	}
	e.logger.Info("import checked", "created", got.Created, "merged", got.Merged, "rejected", got.Rejected)
	return took, nil
}

// jobFor is the job River would hand a worker on its first attempt.
func jobFor[T river.JobArgs](args T) *river.Job[T] {
	maxAttempts := 5
	if o, ok := any(args).(interface{ InsertOpts() river.InsertOpts }); ok && o.InsertOpts().MaxAttempts > 0 {
		maxAttempts = o.InsertOpts().MaxAttempts
	}
	return &river.Job[T]{
		JobRow: &rivertype.JobRow{ID: 1, Attempt: 1, MaxAttempts: maxAttempts, Kind: args.Kind(), State: rivertype.JobStateRunning},
		Args:   args,
	}
}

// logProgress logs the import's progress, as the page polls it, every 15 s
// until the returned function is called.
func (e *env) logProgress(ctx context.Context, id uuid.UUID) func() {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(15 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-tick.C:
				if im, err := contacts.GetImport(ctx, e.pool, e.orgID, id); err == nil {
					e.logger.Info("import progress", "phase", im.Phase, "rows_done", im.RowsDone, "rows_total", im.RowsTotal)
				}
			}
		}
	})
	return func() { close(done); wg.Wait() }
}

// heapPeaks are the largest heap sizes seen while watching.
type heapPeaks struct {
	baseLive, live, objects uint64
}

type heapWatch struct {
	done  chan struct{}
	wg    sync.WaitGroup
	peaks heapPeaks
}

// watchHeap samples the Go heap every 10 ms: the live heap as of the last
// GC (what the program holds) and the heap's objects including garbage not
// yet collected (what it occupies).
func watchHeap() *heapWatch {
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/objects:bytes"}}
	runtime.GC()
	metrics.Read(samples)
	w := &heapWatch{done: make(chan struct{})}
	w.peaks.baseLive = samples[0].Value.Uint64()
	w.wg.Go(func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(samples)
			w.peaks.live = max(w.peaks.live, samples[0].Value.Uint64())
			w.peaks.objects = max(w.peaks.objects, samples[1].Value.Uint64())
			select {
			case <-w.done:
				return
			case <-tick.C:
			}
		}
	})
	return w
}

func (w *heapWatch) stop() heapPeaks {
	close(w.done)
	w.wg.Wait()
	return w.peaks
}
