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

// ImportWorker runs a started import. The whole import is one transaction:
// stream the file from its chunks through the CSV reader and the row
// normalizer, COPY the rows into contact_import_rows, cluster duplicate rows,
// match clusters to existing contacts, merge, insert the new contacts, add
// group memberships, record rejects and the counts, and delete the staging
// rows and the file. A worker killed anywhere rolls it all back, and the
// retried job starts over from the stored file: the result is the same.
// Progress is written outside that transaction so the page sees it.
type ImportWorker struct {
	river.WorkerDefaults[ImportArgs]
	// DB is a pool: the import's transaction holds one connection while the
	// file and the progress use others.
	DB  dbutil.Executor
	Now func() time.Time

	// crashAt, in tests, fails the attempt at a named step.
	crashAt func(step string) error
}

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
		if ferr := q.FailImport(context.WithoutCancel(ctx), w.DB, dbsqlc.FailImportParams{ID: im.ID, Error: bad.Error()}); ferr != nil {
			return ferr
		}
		return river.JobCancel(err)
	}
	if job.Attempt >= job.MaxAttempts {
		zerolog.Ctx(ctx).Error().Err(err).Str("import_id", im.ID.String()).Msg("contact import failed for good")
		if ferr := q.FailImport(context.WithoutCancel(ctx), w.DB, dbsqlc.FailImportParams{ID: im.ID, Error: "the import failed on the server; quote its id when reporting it"}); ferr != nil {
			return ferr
		}
	}
	return err
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

func (w *ImportWorker) run(ctx context.Context, im dbsqlc.ContactImport) error {
	return dbutil.WithTx(ctx, w.DB, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		if err := q.LockImport(ctx, tx, im.ID.String()); err != nil {
			return fmt.Errorf("locking import: %w", err)
		}
		// An attempt that finished while this one waited for the lock.
		cur, err := q.GetImportForWork(ctx, tx, dbsqlc.GetImportForWorkParams{OrgID: im.OrgID, ID: im.ID})
		if err != nil {
			return fmt.Errorf("reading import: %w", err)
		}
		if cur.Status != ImportRunning {
			return nil
		}
		if err := q.ClearImportStaging(ctx, tx, im.ID); err != nil {
			return fmt.Errorf("clearing staging: %w", err)
		}
		if err := q.ClearImportRejects(ctx, tx, im.ID); err != nil {
			return fmt.Errorf("clearing rejects: %w", err)
		}
		staged, err := w.stage(ctx, tx, cur)
		if err != nil {
			return err
		}
		if err := w.crash("staged"); err != nil {
			return err
		}
		w.progress(ctx, im.ID, staged, "merging")
		if err := merge(ctx, tx, cur); err != nil {
			return err
		}
		if err := w.crash("merged"); err != nil {
			return err
		}
		c, err := q.CountImportRows(ctx, tx, im.ID)
		if err != nil {
			return fmt.Errorf("counting: %w", err)
		}
		if err := q.CompleteImport(ctx, tx, dbsqlc.CompleteImportParams{
			ID: im.ID, RowsTotal: c.Total, CreatedCount: c.Created, RejectedCount: c.Rejected,
			MergedCount: c.Total - c.Created - c.Rejected,
		}); err != nil {
			return fmt.Errorf("completing import: %w", err)
		}
		if err := q.ClearImportStaging(ctx, tx, im.ID); err != nil {
			return fmt.Errorf("clearing staging: %w", err)
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
	src := &stagingSource{
		rr: rr, norm: NewRowNormalizer(im.Mapping, im.DefaultCountry, im.Tags), importID: im.ID,
		progress: func(n int) { w.progress(ctx, im.ID, n, "reading") },
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"contact_import_rows"}, stagingColumns, src); err != nil {
		if src.err != nil {
			return 0, src.err
		}
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

// stagingSource feeds the COPY one normalized row at a time. It reads the
// file a batch of records at a time and normalizes each batch on every CPU
// (phone numbers take tens of microseconds each to parse and check), then
// hands the rows over in file order. Memory holds one batch.
type stagingSource struct {
	rr       *RecordReader
	norm     *RowNormalizer
	importID uuid.UUID
	progress func(int)
	batch    []stagedRecord
	next     int
	row      []any
	n        int
	eof      bool
	err      error
}

// stagingBatch is how many records are normalized together.
const stagingBatch = 2048

type stagedRecord struct {
	line   int
	rec    []string
	row    StagedRow
	reason string
}

func (s *stagingSource) fill() bool {
	s.batch, s.next = s.batch[:0], 0
	for len(s.batch) < stagingBatch && !s.eof {
		rec, line, err := s.rr.Read()
		if errors.Is(err, io.EOF) {
			s.eof = true
			break
		}
		if err != nil {
			s.err = readError(err)
			return false
		}
		if Blank(rec) {
			continue
		}
		if s.n+len(s.batch) >= MaxImportRows {
			s.err = &badFileError{fmt.Errorf("the file has more than %d rows: split it", MaxImportRows)}
			return false
		}
		s.batch = append(s.batch, stagedRecord{line: line, rec: rec})
	}
	workers := min(runtime.GOMAXPROCS(0), 8, max(1, len(s.batch)/64))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each worker has its own normalizer: its zone cache is not shared.
			norm := s.norm
			if w > 0 {
				norm = s.norm.clone()
			}
			for i := w; i < len(s.batch); i += workers {
				s.batch[i].row, s.batch[i].reason = norm.Normalize(s.batch[i].rec)
			}
		}()
	}
	wg.Wait()
	return len(s.batch) > 0
}

func (s *stagingSource) Next() bool {
	if s.next >= len(s.batch) && (s.eof || !s.fill()) {
		return false
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
	s.row = []any{
		s.importID, int32(b.line), int32(b.line), r.Email, emailNorm, r.Phone, r.WhatsApp, r.TelegramChatID,
		r.TelegramUsername, r.InstagramID, r.InstagramUsername, r.FirstName, r.LastName, r.Locale, r.Timezone,
		r.attributesJSON(), r.Tags, rej, Sanitize(b.rec), newID(),
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

// merge turns the staged rows into contacts, set-based.
func merge(ctx context.Context, tx pgx.Tx, im dbsqlc.ContactImport) error {
	q := dbsqlc.New()
	if err := q.AnalyzeImportRows(ctx, tx); err != nil {
		return fmt.Errorf("analyzing staged rows: %w", err)
	}
	converged := false
	for range maxClusterRounds {
		n, err := q.PropagateImportRoots(ctx, tx, im.ID)
		if err != nil {
			return fmt.Errorf("clustering duplicate rows: %w", err)
		}
		m, err := q.ShortcutImportRoots(ctx, tx, im.ID)
		if err != nil {
			return fmt.Errorf("clustering duplicate rows: %w", err)
		}
		if n == 0 && m == 0 {
			converged = true
			break
		}
	}
	if !converged {
		return &badFileError{errors.New("the file's duplicate rows are linked in chains too long to merge")}
	}
	steps := []struct {
		name string
		run  func() (int64, error)
	}{
		{"merging duplicate rows", func() (int64, error) { return q.ConsolidateImportClusters(ctx, tx, im.ID) }},
		{"matching existing contacts", func() (int64, error) {
			return q.MatchImportRoots(ctx, tx, dbsqlc.MatchImportRootsParams{OrgID: im.OrgID, ImportID: im.ID})
		}},
		{"merging into existing contacts", func() (int64, error) {
			return q.MergeImportIntoExisting(ctx, tx, dbsqlc.MergeImportIntoExistingParams{OrgID: im.OrgID, ImportID: im.ID, Overwrite: im.Overwrite})
		}},
		{"inserting new contacts", func() (int64, error) {
			return q.InsertImportNewContacts(ctx, tx, dbsqlc.InsertImportNewContactsParams{OrgID: im.OrgID, ImportID: im.ID})
		}},
		{"adding to groups", func() (int64, error) {
			if len(im.GroupIds) == 0 {
				return 0, nil
			}
			return q.AddImportedToGroups(ctx, tx, dbsqlc.AddImportedToGroupsParams{OrgID: im.OrgID, ImportID: im.ID, GroupIds: im.GroupIds})
		}},
		{"recording rejects", func() (int64, error) { return q.InsertImportRejects(ctx, tx, im.ID) }},
	}
	for _, s := range steps {
		if _, err := s.run(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}
