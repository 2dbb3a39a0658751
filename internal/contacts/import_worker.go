package contacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// stagingColumns are contact_import_rows' columns in the order the COPY
// sends them.
var stagingColumns = []string{
	"import_id", "line", "root", "email", "email_normalized", "phone", "whatsapp", "telegram_chat_id",
	"telegram_username", "instagram_id", "instagram_username", "first_name", "last_name", "locale", "timezone",
	"attributes", "tags", "reject_reason", "raw", "new_id",
}

// progressEvery is how many staged rows pass between progress updates.
const progressEvery = 10_000

// maxClusterRounds bounds the clustering of duplicate rows; pointer jumping
// makes even adversarial chains converge in about log2(rows) rounds.
const maxClusterRounds = 64

// badFileError is a problem with the file itself: retrying cannot help.
type badFileError struct{ err error }

func (e *badFileError) Error() string { return e.err.Error() }
func (e *badFileError) Unwrap() error { return e.err }

// AnalyzeImportWorker counts an uploaded file's rows, so that the page shows
// the total before the import starts, and finds a malformed file early.
type AnalyzeImportWorker struct {
	river.WorkerDefaults[AnalyzeImportArgs]
	DB dbutil.Executor
}

// Work streams the file through the CSV reader.
func (w *AnalyzeImportWorker) Work(ctx context.Context, job *river.Job[AnalyzeImportArgs]) error {
	q := dbsqlc.New()
	im, err := q.GetImportForWork(ctx, w.DB, dbsqlc.GetImportForWorkParams{OrgID: job.Args.OrgID, ID: job.Args.ImportID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return fmt.Errorf("reading import: %w", err)
	}
	if im.Status != ImportUploaded && im.Status != ImportReady && im.Status != ImportQueued {
		return nil
	}
	rr := NewRecordReader(newChunkReader(ctx, w.DB, im.ID), []rune(im.Delimiter)[0])
	rows := 0
	for first := true; ; first = false {
		rec, _, err := rr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if errors.Is(err, ErrRecordTooLong) {
			if ferr := q.FailImport(ctx, w.DB, dbsqlc.FailImportParams{ID: im.ID, Error: "the file cannot be read: " + err.Error()}); ferr != nil {
				return ferr
			}
			return river.JobCancel(err)
		}
		if err != nil {
			return fmt.Errorf("reading the file: %w", err)
		}
		if !first && !Blank(rec) {
			rows++
		}
	}
	if err := q.SetImportCounted(ctx, w.DB, dbsqlc.SetImportCountedParams{ID: im.ID, RowsTotal: int32(min(rows, MaxImportRows+1))}); err != nil {
		return fmt.Errorf("recording the row count: %w", err)
	}
	return nil
}

// ImportWorker runs a started import in steps that each commit, so that a
// million-row file is never one transaction and a retry resumes where the
// last attempt stopped:
//
//  1. prepare: stream the file from its chunks through the CSV reader and
//     the row normalizer into contact_import_rows (COPY), cluster the rows
//     that share a channel value, fold each cluster into its first row,
//     match clusters to existing contacts, and split the lines into
//     batches. Committed with the import marked staged.
//  2. merge, a batch of lines per transaction, mergeWorkers batches at a
//     time: fill or overwrite the matched contacts, insert the new ones, add
//     them to the groups, record the rejects, add up the counts and mark
//     the batch done.
//  3. complete: mark the import completed, delete the staged rows, the
//     batches and the file.
//
// A worker killed anywhere leaves the committed steps: the retried job
// skips them (a server crash empties the unlogged staging table: then the
// file is staged again and the merge goes on with the open batches). The
// prepare and complete steps take the import's advisory lock, the batches
// share it and each claims its batch row, so two attempts never do a step
// twice. Progress is written outside those transactions so the page sees
// it.
type ImportWorker struct {
	river.WorkerDefaults[ImportArgs]
	// DB is a pool: the steps' transactions hold connections while the file
	// and the progress use others.
	DB  dbutil.Executor
	Now func() time.Time

	// In tests: smaller batches, fewer workers, and a failure at a named step.
	batchLines   int32
	mergeWorkers int
	crashAt      func(step string) error
}

// mergeBatchLines is how many lines of the file one merge transaction
// covers: large enough that per-statement costs vanish, small enough that
// a batch commits every few seconds.
const mergeBatchLines = 50_000

// mergeWorkers is how many batches merge at once. Inserting contacts is
// the import's bulk (maintaining a dozen indexes, the trigram one above
// all) and runs on one server CPU per transaction: two keep the merge
// going while leaving the server room for everyone else.
const mergeWorkers = 2

// Timeout allows large files (a million rows takes minutes) while staying
// under River's rescue of stuck jobs (an hour by default).
func (w *ImportWorker) Timeout(*river.Job[ImportArgs]) time.Duration { return 45 * time.Minute }

// Work runs the import; a file that cannot be read fails it for good.
func (w *ImportWorker) Work(ctx context.Context, job *river.Job[ImportArgs]) error {
	q := dbsqlc.New()
	im, err := q.GetImportForWork(ctx, w.DB, dbsqlc.GetImportForWorkParams{OrgID: job.Args.OrgID, ID: job.Args.ImportID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading import: %w", err)
	}
	if im.Status != ImportQueued && im.Status != ImportRunning {
		return nil // completed, failed, or not started
	}
	if err := q.SetImportRunning(ctx, w.DB, im.ID); err != nil {
		return fmt.Errorf("marking import running: %w", err)
	}
	err = w.run(ctx, im)
	if err == nil {
		return nil
	}
	var bad *badFileError
	if errors.As(err, &bad) {
		if ferr := w.fail(context.WithoutCancel(ctx), im.ID, bad.Error()); ferr != nil {
			return ferr
		}
		return river.JobCancel(err)
	}
	if job.Attempt >= job.MaxAttempts {
		zerolog.Ctx(ctx).Error().Err(err).Str("import_id", im.ID.String()).Msg("contact import failed for good")
		if ferr := w.fail(context.WithoutCancel(ctx), im.ID, "the import failed on the server; quote its id when reporting it"); ferr != nil {
			return ferr
		}
	}
	return err
}

// fail marks the import failed and drops its staged rows. The batches
// already merged stay: they are contacts now.
func (w *ImportWorker) fail(ctx context.Context, id uuid.UUID, reason string) error {
	return dbutil.WithTx(ctx, w.DB, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		if err := q.LockImport(ctx, tx, id.String()); err != nil {
			return fmt.Errorf("locking import: %w", err)
		}
		if err := q.FailImport(ctx, tx, dbsqlc.FailImportParams{ID: id, Error: reason}); err != nil {
			return fmt.Errorf("failing import: %w", err)
		}
		if err := q.ClearImportStaging(ctx, tx, id); err != nil {
			return fmt.Errorf("clearing staging: %w", err)
		}
		if err := q.DeleteImportBatches(ctx, tx, id); err != nil {
			return fmt.Errorf("deleting batches: %w", err)
		}
		return nil
	})
}

func (w *ImportWorker) crash(step string) error {
	if w.crashAt == nil {
		return nil
	}
	return w.crashAt(step)
}

func (w *ImportWorker) progress(ctx context.Context, id uuid.UUID, done int, phase string) {
	err := dbsqlc.New().SetImportProgress(ctx, w.DB, dbsqlc.SetImportProgressParams{ID: id, RowsDone: int32(done), Phase: phase})
	if err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("recording import progress")
	}
}

// errUnstaged stops an attempt whose staged rows another attempt dropped.
var errUnstaged = errors.New("the import's staged rows were dropped by another attempt: retrying")

// errOpenBatches stops an attempt that finds batches another attempt is
// still merging.
var errOpenBatches = errors.New("batches of the import are being merged by another attempt: retrying")

func (w *ImportWorker) run(ctx context.Context, im dbsqlc.ContactImport) error {
	var took stepTimes
	defer took.log(ctx, im.ID)
	finished, err := w.prepare(ctx, im, &took)
	if err != nil || finished {
		return err
	}
	if err := w.crash("staged"); err != nil {
		return err
	}
	start := time.Now()
	err = w.merge(ctx, im)
	took.merge = time.Since(start)
	if dbutil.IsUniqueViolation(err, "") {
		// A contact created meanwhile (through the API, say) holds a value
		// that the matching did not see. The retry prepares the file again,
		// and matches it against the contacts of then.
		if uerr := dbsqlc.New().SetImportStaged(context.WithoutCancel(ctx), w.DB, dbsqlc.SetImportStagedParams{ID: im.ID, Staged: false}); uerr != nil {
			return errors.Join(err, uerr)
		}
	}
	if err != nil {
		return err
	}
	return w.complete(ctx, im)
}

// merge merges the open batches, mergeWorkers at a time, until none is
// left to claim. The first error stops the others.
func (w *ImportWorker) merge(ctx context.Context, im dbsqlc.ContactImport) error {
	workers := w.mergeWorkers
	if workers <= 0 {
		workers = mergeWorkers
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				claimed, err := w.mergeBatch(ctx, im)
				if err == nil && claimed {
					err = w.crash("merged")
				}
				if err != nil {
					once.Do(func() { first = err })
					cancel()
					return
				}
				if !claimed {
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// stepTimes are how long an attempt's steps took, logged at debug level
// (the benchmark shows them).
type stepTimes struct{ stage, cluster, merge time.Duration }

func (t *stepTimes) log(ctx context.Context, id uuid.UUID) {
	zerolog.Ctx(ctx).Debug().Str("import_id", id.String()).Dur("stage", t.stage).Dur("cluster", t.cluster).
		Dur("merge", t.merge).Msg("contact import steps")
}

// lockedImport takes the import's lock in tx and reads it: what an
// attempt reads there is what it may act on.
func lockedImport(ctx context.Context, tx pgx.Tx, im dbsqlc.ContactImport) (dbsqlc.ContactImport, error) {
	q := dbsqlc.New()
	if err := q.LockImport(ctx, tx, im.ID.String()); err != nil {
		return im, fmt.Errorf("locking import: %w", err)
	}
	cur, err := q.GetImportForWork(ctx, tx, dbsqlc.GetImportForWorkParams{OrgID: im.OrgID, ID: im.ID})
	if err != nil {
		return im, fmt.Errorf("reading import: %w", err)
	}
	return cur, nil
}

// prepare stages and clusters the file unless an earlier attempt did and
// its rows are still there. finished says the import is over (another
// attempt finished it meanwhile).
func (w *ImportWorker) prepare(ctx context.Context, im dbsqlc.ContactImport, took *stepTimes) (finished bool, err error) {
	err = dbutil.WithTx(ctx, w.DB, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		cur, err := lockedImport(ctx, tx, im)
		if err != nil {
			return err
		}
		if cur.Status != ImportRunning {
			finished = true
			return nil
		}
		done := int(cur.CreatedCount + cur.MergedCount + cur.RejectedCount)
		if cur.Staged {
			present, err := q.ImportStagingPresent(ctx, tx, im.ID)
			if err != nil {
				return fmt.Errorf("looking for staged rows: %w", err)
			}
			if present {
				w.progress(ctx, im.ID, done, "merging")
				return nil
			}
		}
		if err := q.SetImportWorkMem(ctx, tx); err != nil {
			return fmt.Errorf("setting work_mem: %w", err)
		}
		if err := q.ClearImportStaging(ctx, tx, im.ID); err != nil {
			return fmt.Errorf("clearing staging: %w", err)
		}
		start := time.Now()
		if _, err := w.stage(ctx, tx, cur); err != nil {
			return err
		}
		took.stage = time.Since(start)
		w.progress(ctx, im.ID, done, "merging")
		start = time.Now()
		if err := cluster(ctx, tx, cur); err != nil {
			return err
		}
		took.cluster = time.Since(start)
		last, err := q.ImportLastLine(ctx, tx, im.ID)
		if err != nil {
			return fmt.Errorf("reading the last line: %w", err)
		}
		batch := w.batchLines
		if batch <= 0 {
			batch = mergeBatchLines
		}
		if err := q.CreateImportBatches(ctx, tx, dbsqlc.CreateImportBatchesParams{ImportID: im.ID, BatchLines: batch, LastLine: last}); err != nil {
			return fmt.Errorf("creating batches: %w", err)
		}
		if err := q.SetImportStaged(ctx, tx, dbsqlc.SetImportStagedParams{ID: im.ID, Staged: true}); err != nil {
			return fmt.Errorf("marking import staged: %w", err)
		}
		return nil
	})
	return finished, err
}

// mergeBatch claims an open batch and merges it, in one transaction.
// claimed is false when no batch was left to claim.
func (w *ImportWorker) mergeBatch(ctx context.Context, im dbsqlc.ContactImport) (claimed bool, err error) {
	err = dbutil.WithTx(ctx, w.DB, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		if err := q.LockImportShared(ctx, tx, im.ID.String()); err != nil {
			return fmt.Errorf("locking import: %w", err)
		}
		cur, err := q.GetImportForWork(ctx, tx, dbsqlc.GetImportForWorkParams{OrgID: im.OrgID, ID: im.ID})
		if err != nil {
			return fmt.Errorf("reading import: %w", err)
		}
		if cur.Status != ImportRunning {
			return nil
		}
		if !cur.Staged {
			return errUnstaged
		}
		b, err := q.ClaimImportBatch(ctx, tx, im.ID)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("claiming a batch: %w", err)
		}
		from, to := b.FromLine, b.ToLine
		if err := q.SetImportWorkMem(ctx, tx); err != nil {
			return fmt.Errorf("setting work_mem: %w", err)
		}
		if _, err := q.MergeImportIntoExisting(ctx, tx, dbsqlc.MergeImportIntoExistingParams{
			OrgID: im.OrgID, ImportID: im.ID, Overwrite: cur.Overwrite, FromLine: from, ToLine: to,
		}); err != nil {
			return fmt.Errorf("merging into existing contacts: %w", err)
		}
		created, err := q.InsertImportNewContacts(ctx, tx, dbsqlc.InsertImportNewContactsParams{
			OrgID: im.OrgID, ImportID: im.ID, FromLine: from, ToLine: to,
		})
		if err != nil {
			return fmt.Errorf("inserting new contacts: %w", err)
		}
		if len(cur.GroupIds) > 0 {
			if _, err := q.AddImportedToGroups(ctx, tx, dbsqlc.AddImportedToGroupsParams{
				OrgID: im.OrgID, ImportID: im.ID, GroupIds: cur.GroupIds, FromLine: from, ToLine: to,
			}); err != nil {
				return fmt.Errorf("adding to groups: %w", err)
			}
		}
		rejected, err := q.InsertImportRejects(ctx, tx, dbsqlc.InsertImportRejectsParams{ImportID: im.ID, FromLine: from, ToLine: to})
		if err != nil {
			return fmt.Errorf("recording rejects: %w", err)
		}
		if err := q.MarkImportBatchDone(ctx, tx, dbsqlc.MarkImportBatchDoneParams{ImportID: im.ID, FromLine: from}); err != nil {
			return fmt.Errorf("marking the batch done: %w", err)
		}
		if err := q.RecordImportBatch(ctx, tx, dbsqlc.RecordImportBatchParams{
			ID: im.ID, Created: int32(created), Rejected: int32(rejected), FromLine: from, ToLine: to,
		}); err != nil {
			return fmt.Errorf("counting the batch: %w", err)
		}
		claimed = true
		return nil
	})
	return claimed, err
}

// complete marks the import completed and deletes its staged rows and file.
func (w *ImportWorker) complete(ctx context.Context, im dbsqlc.ContactImport) error {
	return dbutil.WithTx(ctx, w.DB, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		cur, err := lockedImport(ctx, tx, im)
		if err != nil {
			return err
		}
		if cur.Status != ImportRunning {
			return nil
		}
		open, err := q.CountOpenImportBatches(ctx, tx, im.ID)
		if err != nil {
			return fmt.Errorf("counting open batches: %w", err)
		}
		if open > 0 {
			return errOpenBatches
		}
		if err := q.CompleteImport(ctx, tx, im.ID); err != nil {
			return fmt.Errorf("completing import: %w", err)
		}
		if err := q.ClearImportStaging(ctx, tx, im.ID); err != nil {
			return fmt.Errorf("clearing staging: %w", err)
		}
		if err := q.DeleteImportBatches(ctx, tx, im.ID); err != nil {
			return fmt.Errorf("deleting batches: %w", err)
		}
		if err := q.DeleteImportChunks(ctx, tx, im.ID); err != nil {
			return fmt.Errorf("deleting the file: %w", err)
		}
		return w.crash("completed")
	})
}

// stage COPYs the file's rows, normalized, into contact_import_rows.
func (w *ImportWorker) stage(ctx context.Context, tx pgx.Tx, im dbsqlc.ContactImport) (int, error) {
	rr := NewRecordReader(newChunkReader(ctx, w.DB, im.ID), []rune(im.Delimiter)[0])
	if _, _, err := rr.Read(); err != nil { // the header
		if errors.Is(err, io.EOF) {
			return 0, &badFileError{errors.New("the file is empty")}
		}
		return 0, readError(err)
	}
	src := newStagingSource(rr, NewRowNormalizer(im.Mapping, im.DefaultCountry, im.Tags), im.ID,
		func(n int) { w.progress(ctx, im.ID, n, "reading") })
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"contact_import_rows"}, stagingColumns, src)
	src.close()
	if src.err != nil {
		return 0, src.err
	}
	if err != nil {
		return 0, fmt.Errorf("staging rows: %w", err)
	}
	return src.n, nil
}

func readError(err error) error {
	if errors.Is(err, ErrRecordTooLong) {
		return &badFileError{fmt.Errorf("the file cannot be read: %w", err)}
	}
	return fmt.Errorf("reading the file: %w", err)
}

// stagingSource feeds the COPY one normalized row at a time. A producer
// goroutine reads the file a batch of records at a time and normalizes each
// batch on every CPU (phone numbers take tens of microseconds each to parse
// and check) while the COPY sends the batch before: the two overlap instead
// of taking turns. Rows come out in file order. Memory holds three batches:
// one being normalized, one waiting, one being sent.
type stagingSource struct {
	importID uuid.UUID
	progress func(int)
	batches  chan []stagedRecord
	stop     chan struct{}
	stopped  chan struct{}
	batch    []stagedRecord
	next     int
	row      []any
	n        int
	// err is the producer's, set before it closes batches.
	err error
}

// stagingBatch is how many records are normalized together.
const stagingBatch = 2048

type stagedRecord struct {
	line   int
	rec    []string
	row    StagedRow
	reason string
}

func newStagingSource(rr *RecordReader, norm *RowNormalizer, importID uuid.UUID, progress func(int)) *stagingSource {
	s := &stagingSource{
		importID: importID, progress: progress,
		batches: make(chan []stagedRecord, 1), stop: make(chan struct{}), stopped: make(chan struct{}),
	}
	go s.produce(rr, norm)
	return s
}

// close stops the producer (the COPY may end early) and waits for it.
func (s *stagingSource) close() {
	close(s.stop)
	<-s.stopped
}

func (s *stagingSource) produce(rr *RecordReader, norm *RowNormalizer) {
	defer close(s.stopped)
	defer close(s.batches)
	workers := min(runtime.GOMAXPROCS(0), 8)
	norms := make([]*RowNormalizer, workers)
	for i := range norms {
		// Each worker has its own normalizer: its zone cache is not shared.
		norms[i] = norm
		if i > 0 {
			norms[i] = norm.clone()
		}
	}
	read := 0
	for eof := false; !eof; {
		batch := make([]stagedRecord, 0, stagingBatch)
		for len(batch) < stagingBatch {
			rec, line, err := rr.Read()
			if errors.Is(err, io.EOF) {
				eof = true
				break
			}
			if err != nil {
				s.err = readError(err)
				return
			}
			if Blank(rec) {
				continue
			}
			if read >= MaxImportRows {
				s.err = &badFileError{fmt.Errorf("the file has more than %d rows: split it", MaxImportRows)}
				return
			}
			read++
			batch = append(batch, stagedRecord{line: line, rec: rec})
		}
		if len(batch) == 0 {
			return
		}
		n := min(workers, max(1, len(batch)/64))
		var wg sync.WaitGroup
		for w := range n {
			wg.Go(func() {
				for i := w; i < len(batch); i += n {
					batch[i].row, batch[i].reason = norms[w].Normalize(batch[i].rec)
				}
			})
		}
		wg.Wait()
		select {
		case s.batches <- batch:
		case <-s.stop:
			return
		}
	}
}

func (s *stagingSource) Next() bool {
	if s.next >= len(s.batch) {
		b, ok := <-s.batches
		if !ok {
			return false
		}
		s.batch, s.next = b, 0
	}
	b := s.batch[s.next]
	s.next++
	s.n++
	if s.n%progressEvery == 0 {
		s.progress(s.n)
	}
	r := b.row
	var rej *string
	if b.reason != "" {
		rej = &b.reason
	}
	var emailNorm *string
	if r.Email != nil {
		e := strings.ToLower(*r.Email)
		emailNorm = &e
	}
	// UUIDs go as pgtype.UUID: as uuid.UUID they would be encoded through
	// their driver.Valuer string, parsed back, at a few microseconds a row.
	s.row = []any{
		pgtype.UUID{Bytes: s.importID, Valid: true}, int32(b.line), int32(b.line), r.Email, emailNorm, r.Phone, r.WhatsApp, r.TelegramChatID,
		r.TelegramUsername, r.InstagramID, r.InstagramUsername, r.FirstName, r.LastName, r.Locale, r.Timezone,
		r.attributesJSON(), r.Tags, rej, Sanitize(b.rec), pgtype.UUID{Bytes: newID(), Valid: true},
	}
	return true
}

// newID is a UUIDv7; the random v4 is the fallback it never needs.
func newID() uuid.UUID {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.New()
	}
	return id
}

func (s *stagingSource) Values() ([]any, error) { return s.row, nil }

func (s *stagingSource) Err() error { return s.err }

// cluster turns the staged rows into one folded row per contact to make
// or fill, set-based: rows sharing a channel value form a cluster, folded
// into its first row; clusters are matched to existing contacts, and those
// matching the same contact are joined and folded again.
func cluster(ctx context.Context, tx pgx.Tx, im dbsqlc.ContactImport) error {
	q := dbsqlc.New()
	if err := q.AnalyzeImportRows(ctx, tx); err != nil {
		return fmt.Errorf("analyzing staged rows: %w", err)
	}
	linked, err := q.LinkImportDuplicates(ctx, tx, im.ID)
	if err != nil {
		return fmt.Errorf("finding duplicate rows: %w", err)
	}
	if linked > 0 {
		// Statistics of the dup rows, without which the planner takes
		// them for none and nests loops over them.
		if err := q.AnalyzeImportRows(ctx, tx); err != nil {
			return fmt.Errorf("analyzing staged rows: %w", err)
		}
	}
	converged := linked == 0
	for i := 0; i < maxClusterRounds && !converged; i++ {
		n, err := q.PropagateImportRoots(ctx, tx, im.ID)
		if err != nil {
			return fmt.Errorf("clustering duplicate rows: %w", err)
		}
		m, err := q.ShortcutImportRoots(ctx, tx, im.ID)
		if err != nil {
			return fmt.Errorf("clustering duplicate rows: %w", err)
		}
		converged = n == 0 && m == 0
	}
	if !converged {
		return &badFileError{errors.New("the file's duplicate rows are linked in chains too long to merge")}
	}
	if _, err := q.FoldImportClusters(ctx, tx, im.ID); err != nil {
		return fmt.Errorf("merging duplicate rows: %w", err)
	}
	if _, err := q.MatchImportRoots(ctx, tx, dbsqlc.MatchImportRootsParams{OrgID: im.OrgID, ImportID: im.ID}); err != nil {
		return fmt.Errorf("matching existing contacts: %w", err)
	}
	joined, err := q.JoinImportClustersByContact(ctx, tx, im.ID)
	if err != nil {
		return fmt.Errorf("joining clusters of one contact: %w", err)
	}
	if joined > 0 {
		if _, err := q.FoldImportClusters(ctx, tx, im.ID); err != nil {
			return fmt.Errorf("merging clusters of one contact: %w", err)
		}
	}
	return nil
}
