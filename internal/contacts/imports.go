package contacts

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/jobqueue"
)

// ContactImport sizes.
const (
	// ChunkSize is the size of the pieces a file is stored in.
	ChunkSize = 1 << 20
	// MaxImportBytes bounds an uploaded file. The upload routes read their
	// body as a stream up to it, past the server's body limit (DocumentCSVBody).
	MaxImportBytes = 1 << 30
	// MaxImportRows bounds the data rows of a file.
	MaxImportRows = 5_000_000
)

// Errors of imports.
var (
	ErrImportNotFound = fault.New(fault.NotFound, "import not found")
	ErrImportStarted  = fault.New(fault.Conflict, "this import has already been started")
	ErrImportRunning  = fault.New(fault.Conflict, "this import is running: wait for it to finish")
)

// ContactImport statuses.
const (
	ImportUploaded  = "uploaded"
	ImportReady     = "ready"
	ImportQueued    = "queued"
	ImportRunning   = "running"
	ImportCompleted = "completed"
	ImportFailed    = "failed"
)

// Inserter enqueues jobs in the caller's transaction (a River client).
type Inserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// ContactImport is a CSV import and its progress.
type ContactImport struct {
	ID         uuid.UUID   `json:"id"`
	Filename   string      `json:"filename"`
	CreatedBy  *uuid.UUID  `json:"created_by" doc:"The user who uploaded it; null for an API key."`
	SizeBytes  int64       `json:"size_bytes"`
	Status     string      `json:"status" enum:"uploaded,ready,queued,running,completed,failed" doc:"uploaded: stored, being counted; ready: counted, waiting for its mapping; queued and running: started; then completed or failed."`
	Phase      string      `json:"phase" doc:"While running: reading (the file into staging) or merging (into contacts)."`
	Delimiter  string      `json:"delimiter"`
	Header     []string    `json:"header"`
	Mapping    []string    `json:"mapping" doc:"The target of each header column, once started."`
	Overwrite  bool        `json:"overwrite"`
	GroupIDs   []uuid.UUID `json:"group_ids"`
	Tags       []string    `json:"tags"`
	RowsTotal  int32       `json:"rows_total" doc:"Data rows in the file (known once counted)."`
	RowsDone   int32       `json:"rows_done"`
	Created    int32       `json:"created" doc:"New contacts."`
	Merged     int32       `json:"merged" doc:"Rows merged into an existing contact or into an earlier row of the file."`
	Rejected   int32       `json:"rejected" doc:"Rows not imported; GET .../rejects.csv lists them with the reason."`
	Error      string      `json:"error,omitempty" doc:"Why a failed import failed."`
	CreatedAt  time.Time   `json:"created_at"`
	StartedAt  *time.Time  `json:"started_at,omitempty"`
	FinishedAt *time.Time  `json:"finished_at,omitempty"`
}

func importFromRow(r dbsqlc.ContactImport) ContactImport {
	im := ContactImport{
		ID: r.ID, Filename: r.Filename, SizeBytes: r.SizeBytes, Status: r.Status, Phase: r.Phase, Delimiter: r.Delimiter,
		Header: r.Header, Mapping: r.Mapping, Overwrite: r.Overwrite, GroupIDs: r.GroupIds, Tags: r.Tags,
		RowsTotal: r.RowsTotal, RowsDone: r.RowsDone, Created: r.CreatedCount, Merged: r.MergedCount, Rejected: r.RejectedCount,
		Error: r.Error, CreatedAt: r.CreatedAt, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt,
	}
	if r.CreatedBy.Valid {
		im.CreatedBy = &r.CreatedBy.UUID
	}
	if im.Mapping == nil {
		im.Mapping = []string{}
	}
	if im.Header == nil {
		im.Header = []string{}
	}
	return im
}

// AnalyzeImportArgs is the job that counts an uploaded file's rows. The
// upload inserts it in its own transaction.
type AnalyzeImportArgs struct {
	OrgID    uuid.UUID `json:"org_id"`
	ImportID uuid.UUID `json:"import_id"`
}

// Kind names the job.
func (AnalyzeImportArgs) Kind() string { return "contact_import_analyze" }

// InsertOpts puts it on the default queue.
func (AnalyzeImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobqueue.QueueDefault, MaxAttempts: 5}
}

// ImportArgs is the job that imports a started file.
type ImportArgs struct {
	OrgID    uuid.UUID `json:"org_id"`
	ImportID uuid.UUID `json:"import_id"`
}

// Kind names the job.
func (ImportArgs) Kind() string { return "contact_import" }

// InsertOpts puts it on the default queue, once per import.
func (ImportArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobqueue.QueueDefault, MaxAttempts: 5, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// Upload stores the CSV file read from r in ChunkSize pieces and queues its
// analysis, in one transaction: if anything fails, neither the file nor the
// job exists. It holds one chunk in memory at a time.
func Upload(ctx context.Context, db dbutil.Executor, jobs Inserter, orgID uuid.UUID, createdBy uuid.NullUUID, filename string, r io.Reader) (ContactImport, error) {
	country, err := OrgCountry(ctx, db, orgID)
	if err != nil {
		return ContactImport{}, err
	}
	buf := make([]byte, ChunkSize)
	n, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return ContactImport{}, fmt.Errorf("reading the upload: %w", err)
	}
	first := buf[:n]
	if len(bytes.TrimSpace(first)) == 0 {
		return ContactImport{}, fault.Field("body.file", "the file is empty: it needs a header row and data rows", nil)
	}
	delim := DetectDelimiter(bytes.TrimPrefix(first, []byte("\ufeff")))
	header, err := readHeader(first, delim, n == ChunkSize)
	if err != nil {
		return ContactImport{}, err
	}
	filename = cleanFilename(filename)
	var out dbsqlc.ContactImport
	err = dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		im, err := q.CreateImport(ctx, tx, dbsqlc.CreateImportParams{
			OrgID: orgID, CreatedBy: createdBy, Filename: filename, Delimiter: string(delim), DefaultCountry: country,
		})
		if err != nil {
			return fmt.Errorf("inserting import: %w", err)
		}
		size := int64(0)
		chunk := first
		for seq := int32(0); len(chunk) > 0; seq++ {
			size += int64(len(chunk))
			if size > MaxImportBytes {
				return fault.Field("body.file", fmt.Sprintf("the file is larger than %d MiB", MaxImportBytes>>20), nil)
			}
			if err := q.InsertImportChunk(ctx, tx, dbsqlc.InsertImportChunkParams{ImportID: im.ID, Seq: seq, Data: chunk}); err != nil {
				return fmt.Errorf("storing the file: %w", err)
			}
			n, err := io.ReadFull(r, buf)
			if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
				return fmt.Errorf("reading the upload: %w", err)
			}
			chunk = buf[:n]
		}
		out, err = q.FinishImportUpload(ctx, tx, dbsqlc.FinishImportUploadParams{ID: im.ID, SizeBytes: size, Header: header})
		if err != nil {
			return fmt.Errorf("recording the upload: %w", err)
		}
		if _, err := jobs.InsertTx(ctx, tx, AnalyzeImportArgs{OrgID: orgID, ImportID: im.ID}, nil); err != nil {
			return fmt.Errorf("enqueueing the analysis: %w", err)
		}
		return nil
	})
	if err != nil {
		return ContactImport{}, err
	}
	return importFromRow(out), nil
}

// readHeader parses the header row out of the file's first chunk. more says
// the chunk is full (the file goes on), so a header that fills it is too long.
func readHeader(first []byte, delim rune, more bool) ([]string, error) {
	rr := NewRecordReader(bytes.NewReader(first), delim)
	header, _, err := rr.Read()
	if err == nil && more && rr.csv.InputOffset() >= int64(len(first)) {
		err = errors.New("the header row is longer than 1 MiB")
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("the file is empty: it needs a header row")
		}
		return nil, fault.Field("body.file", err.Error(), nil)
	}
	if err := checkHeader(header); err != nil {
		return nil, fault.Field("body.file", err.Error(), nil)
	}
	return Sanitize(header), nil
}

func cleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	for utf8.RuneCountInString(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// GetImport returns an import of the org.
func GetImport(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) (ContactImport, error) {
	r, err := getImportRow(ctx, db, orgID, id)
	if err != nil {
		return ContactImport{}, err
	}
	return importFromRow(r), nil
}

func getImportRow(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) (dbsqlc.ContactImport, error) {
	r, err := dbsqlc.New().GetImport(ctx, db, dbsqlc.GetImportParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return r, ErrImportNotFound
	}
	if err != nil {
		return r, fmt.Errorf("reading import: %w", err)
	}
	return r, nil
}

// ListImports returns the org's latest imports, newest first.
func ListImports(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) ([]ContactImport, error) {
	rows, err := dbsqlc.New().ListImports(ctx, db, orgID)
	if err != nil {
		return nil, fmt.Errorf("listing imports: %w", err)
	}
	out := make([]ContactImport, len(rows))
	for i, r := range rows {
		out[i] = importFromRow(r)
	}
	return out, nil
}

// DeleteImport removes an import that is not running, with its file and rejects.
func DeleteImport(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) error {
	if _, err := getImportRow(ctx, db, orgID, id); err != nil {
		return err
	}
	n, err := dbsqlc.New().DeleteImport(ctx, db, dbsqlc.DeleteImportParams{OrgID: orgID, ID: id})
	if err != nil {
		return fmt.Errorf("deleting import: %w", err)
	}
	if n == 0 {
		return ErrImportRunning
	}
	return nil
}

// AbandonedImportAge is how long an import may wait to be started (or stay
// failed) before PurgeAbandonedImports deletes it with its file.
const AbandonedImportAge = 7 * 24 * time.Hour

// PurgeAbandonedImports deletes imports of every org that were uploaded
// but never started, or failed, before the cutoff, with their files. The
// retention job calls it with now minus AbandonedImportAge.
func PurgeAbandonedImports(ctx context.Context, db dbutil.Executor, before time.Time) (int64, error) {
	n, err := dbsqlc.New().PurgeAbandonedImports(ctx, db, before)
	if err != nil {
		return 0, fmt.Errorf("purging abandoned imports: %w", err)
	}
	// Staged rows of imports that stopped without cleaning up (deleted
	// while their job waited for a retry, say): the table is not theirs.
	if _, err := dbsqlc.New().ClearOrphanedImportStaging(ctx, db); err != nil {
		return 0, fmt.Errorf("purging orphaned staged rows: %w", err)
	}
	return n, nil
}

// chunkReader streams an import's file back from its chunks, one query and
// one chunk in memory at a time.
type chunkReader struct {
	ctx      context.Context
	db       dbutil.Executor
	importID uuid.UUID
	seq      int32
	buf      []byte
	done     bool
}

func newChunkReader(ctx context.Context, db dbutil.Executor, importID uuid.UUID) *chunkReader {
	return &chunkReader{ctx: ctx, db: db, importID: importID}
}

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.buf) == 0 {
		if c.done {
			return 0, io.EOF
		}
		data, err := dbsqlc.New().GetImportChunk(c.ctx, c.db, dbsqlc.GetImportChunkParams{ImportID: c.importID, Seq: c.seq})
		if errors.Is(err, pgx.ErrNoRows) {
			c.done = true
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("reading chunk %d of the file: %w", c.seq, err)
		}
		c.seq++
		c.buf = data
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

// PreviewImport reads the header and first rows of an uploaded file with
// its delimiter (or the one given) and proposes a mapping.
func PreviewImport(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, delimiter string) (*ImportPreview, error) {
	im, err := getImportRow(ctx, db, orgID, id)
	if err != nil {
		return nil, err
	}
	d, err := pickDelimiter(delimiter, im.Delimiter, "query.delimiter")
	if err != nil {
		return nil, err
	}
	p, err := ReadPreview(newChunkReader(ctx, db, id), d)
	if err != nil {
		return nil, fault.New(fault.Invalid, err.Error())
	}
	if im.Mapping != nil && len(im.Mapping) == len(p.Header) {
		p.Mapping = im.Mapping
	}
	return p, nil
}

func pickDelimiter(given, stored, location string) (rune, error) {
	if given == "" {
		given = stored
	}
	if given == "tab" || given == `\t` {
		given = "\t"
	}
	if !ValidDelimiter(given) {
		return 0, fault.Field(location, `must be one of , ; | or tab`, given)
	}
	r, _ := utf8.DecodeRuneInString(given)
	return r, nil
}

// ImportStart says how to import a file.
type ImportStart struct {
	Mapping   []string    `json:"mapping" maxItems:"200" doc:"One target per header column: a field (see the preview's targets), attributes.<name>, or empty to ignore the column."`
	Overwrite bool        `json:"overwrite,omitempty" required:"false" doc:"Replace existing contacts' values with the file's non-empty ones. By default an import only fills empty fields."`
	GroupIDs  []uuid.UUID `json:"group_ids,omitempty" required:"false" maxItems:"20" doc:"Put every imported contact in these groups."`
	Tags      []string    `json:"tags,omitempty" required:"false" maxItems:"20" doc:"Add these tags to every imported contact."`
	Delimiter string      `json:"delimiter,omitempty" required:"false" maxLength:"3" doc:"Read the file with this delimiter (, ; | or tab) instead of the detected one."`
}

// StartImport records the mapping and queues the import, in one transaction.
func StartImport(ctx context.Context, db dbutil.Executor, jobs Inserter, orgID, id uuid.UUID, in ImportStart) (ContactImport, error) {
	im, err := getImportRow(ctx, db, orgID, id)
	if err != nil {
		return ContactImport{}, err
	}
	if im.Status != ImportUploaded && im.Status != ImportReady {
		return ContactImport{}, ErrImportStarted
	}
	d, err := pickDelimiter(in.Delimiter, im.Delimiter, "body.delimiter")
	if err != nil {
		return ContactImport{}, err
	}
	header := im.Header
	if string(d) != im.Delimiter {
		p, err := ReadPreview(newChunkReader(ctx, db, id), d)
		if err != nil {
			return ContactImport{}, fault.Field("body.delimiter", err.Error(), string(d))
		}
		header = p.Header
	}
	mapping := make([]string, len(in.Mapping))
	for i, m := range in.Mapping {
		mapping[i] = strings.TrimSpace(m)
	}
	if err := CheckMapping(header, mapping); err != nil {
		return ContactImport{}, fault.Field("body.mapping", err.Error(), nil)
	}
	groups := uniqueIDs(in.GroupIDs)
	if len(groups) > 0 {
		if err := checkGroups(ctx, db, orgID, groups, "body.group_ids"); err != nil {
			return ContactImport{}, err
		}
	}
	tags, err := normalizeTags(in.Tags)
	if err != nil {
		return ContactImport{}, fault.Field("body.tags", err.Error(), nil)
	}
	var out dbsqlc.ContactImport
	err = dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		out, err = dbsqlc.New().StartImport(ctx, tx, dbsqlc.StartImportParams{
			OrgID: orgID, ID: id, Mapping: mapping, Overwrite: in.Overwrite, GroupIds: groups, Tags: tags,
			Delimiter: string(d), Header: header,
		})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrImportStarted
		}
		if err != nil {
			return fmt.Errorf("starting import: %w", err)
		}
		if _, err := jobs.InsertTx(ctx, tx, ImportArgs{OrgID: orgID, ImportID: id}, nil); err != nil {
			return fmt.Errorf("enqueueing the import: %w", err)
		}
		return nil
	})
	if err != nil {
		return ContactImport{}, err
	}
	return importFromRow(out), nil
}

// WriteRejects writes an import's rejected rows to w as CSV: the line, the
// reason, then the row as it was in the file. It reads a batch at a time.
func WriteRejects(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, w io.Writer) error {
	im, err := getImportRow(ctx, db, orgID, id)
	if err != nil {
		return err
	}
	return writeRejects(ctx, db, im, w)
}

// CheckRejects is the part of WriteRejects that can fail before anything is
// written: whether the import exists.
func CheckRejects(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) error {
	_, err := getImportRow(ctx, db, orgID, id)
	return err
}

func writeRejects(ctx context.Context, db dbutil.Executor, im dbsqlc.ContactImport, w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(append([]string{"line", "reason"}, im.Header...)); err != nil {
		return err
	}
	after := int32(0)
	for {
		rows, err := dbsqlc.New().ListImportRejects(ctx, db, dbsqlc.ListImportRejectsParams{ImportID: im.ID, AfterLine: after, Lim: 1000})
		if err != nil {
			return fmt.Errorf("reading rejects: %w", err)
		}
		for _, r := range rows {
			rec := append([]string{fmt.Sprint(r.Line), r.Reason}, r.Fields...)
			for i := 2; i < len(rec); i++ {
				rec[i] = cell(rec[i])
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
			after = r.Line
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if len(rows) < 1000 {
			return nil
		}
	}
}
