package conversations

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/storage"
)

// Inbound media is saved before its message's transaction (a download
// never holds a transaction open), so a process that dies in between
// leaves a file, and usually an uploads row, that no message refers to.
//
// How such files are found: Receive records each medium's storage key in
// inbound_media_pending (committed) before writing the file, and the
// message's transaction deletes the row. A row older than OrphanMediaAge
// therefore names a file whose message never committed with it.
//
// Why a ledger rather than walking the storage: a walk reads every stored
// file on every run (all uploads share the org's key prefix, so it can't
// be narrowed to inbound media), needs a List on every Storage (an S3
// listing is paid per call), and must ask the database about each file it
// finds. The ledger costs one insert and one delete per inbound file (rare
// next to webhook events) and a run reads only the orphans. What it does
// not see: a temporary file of a Put cut short by the crash itself
// (storage.Disk's ".upload-*"), which no key names.

// OrphanMediaAge is how long a saved inbound file may wait for its message
// before it is taken for an orphan: far past the webhook job's timeout
// (five minutes), the longest a Receive can run.
const OrphanMediaAge = time.Hour

// MediaCleanupInterval is how often the scheduler enqueues the cleanup.
const MediaCleanupInterval = 15 * time.Minute

// mediaCleanupBatch bounds the files one run removes; a larger backlog is
// worked off over the following runs.
const mediaCleanupBatch = 500

// MediaCleanupArgs is the periodic job that removes orphaned inbound media.
type MediaCleanupArgs struct{}

// Kind names the job.
func (MediaCleanupArgs) Kind() string { return "inbound_media_cleanup" }

// InsertOpts keeps at most one cleanup waiting.
func (MediaCleanupArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobqueue.QueueDefault, UniqueOpts: river.UniqueOpts{ByPeriod: MediaCleanupInterval}}
}

// MediaCleanupWorker removes inbound media files saved for messages that
// were never stored, with their uploads rows.
type MediaCleanupWorker struct {
	river.WorkerDefaults[MediaCleanupArgs]
	DB      dbutil.Executor
	Storage storage.Storage
	Now     func() time.Time
}

// Work runs one batch.
func (w *MediaCleanupWorker) Work(ctx context.Context, _ *river.Job[MediaCleanupArgs]) error {
	res, err := CleanupOrphanMedia(ctx, w.DB, w.Storage, w.Now().Add(-OrphanMediaAge), mediaCleanupBatch)
	if err != nil {
		return err
	}
	if res.Removed > 0 || res.Kept > 0 || res.Failed > 0 {
		zerolog.Ctx(ctx).Info().Int("removed", res.Removed).Int("kept", res.Kept).Int("failed", res.Failed).Msg("cleaned up orphaned inbound media")
	}
	return nil
}

// CleanupResult counts what a cleanup did with the pending media it read.
type CleanupResult struct {
	// Removed files (with their uploads rows, when recorded).
	Removed int
	// Kept files: a stored message or an outbound message refers to them.
	Kept int
	// Failed deletions, left pending for the next run.
	Failed int
}

// CleanupOrphanMedia handles up to limit media pending since before
// before. In one transaction, with the pending rows locked (a message
// still claiming one waits, then finds it gone and is retried): the
// uploads rows no message attaches are deleted, their files removed, and
// the pending rows forgotten. A file is removed inside the transaction, so
// a failed commit leaves its rows for the next run (deleting a missing
// file is no error); a file that can't be removed keeps its pending row.
func CleanupOrphanMedia(ctx context.Context, db dbutil.Executor, st storage.Storage, before time.Time, limit int) (CleanupResult, error) {
	var res CleanupResult
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		res = CleanupResult{}
		q := dbsqlc.New()
		rows, err := q.StaleInboundMedia(ctx, tx, dbsqlc.StaleInboundMediaParams{Before: before, Lim: int32(limit)})
		if err != nil {
			return fmt.Errorf("reading pending inbound media: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		var candOrgs []uuid.UUID
		var candKeys []string
		var doneOrgs []uuid.UUID
		var doneKeys []string
		orgOf := map[string]uuid.UUID{}
		remove := map[string]bool{}
		for _, r := range rows {
			orgOf[r.StorageKey] = r.OrgID
			switch {
			case r.Referenced:
				// The message has it after all: keep the file.
				zerolog.Ctx(ctx).Warn().Str("storage_key", r.StorageKey).Msg("pending inbound media belongs to a stored message; keeping it")
				res.Kept++
				doneOrgs, doneKeys = append(doneOrgs, r.OrgID), append(doneKeys, r.StorageKey)
			case r.UploadID.Valid:
				candOrgs, candKeys = append(candOrgs, r.OrgID), append(candKeys, r.StorageKey)
			default:
				// The process died before recording the upload (or before
				// writing the file at all).
				remove[r.StorageKey] = true
			}
		}
		if len(candKeys) > 0 {
			deleted, err := q.DeleteOrphanInboundUploads(ctx, tx, dbsqlc.DeleteOrphanInboundUploadsParams{OrgIds: candOrgs, StorageKeys: candKeys})
			if err != nil {
				return fmt.Errorf("deleting orphaned inbound uploads: %w", err)
			}
			for _, k := range deleted {
				remove[k] = true
			}
			for i, k := range candKeys {
				if !remove[k] {
					// An outbound message attaches the upload: it stays.
					res.Kept++
					doneOrgs, doneKeys = append(doneOrgs, candOrgs[i]), append(doneKeys, k)
				}
			}
		}
		for k := range remove {
			if err := st.Delete(ctx, k); err != nil {
				zerolog.Ctx(ctx).Warn().Err(err).Str("storage_key", k).Msg("removing an orphaned inbound file")
				res.Failed++
				continue
			}
			res.Removed++
			doneOrgs, doneKeys = append(doneOrgs, orgOf[k]), append(doneKeys, k)
		}
		if err := q.DeletePendingInboundMedia(ctx, tx, dbsqlc.DeletePendingInboundMediaParams{OrgIds: doneOrgs, StorageKeys: doneKeys}); err != nil {
			return fmt.Errorf("forgetting pending inbound media: %w", err)
		}
		return nil
	})
	if err != nil {
		return CleanupResult{}, err
	}
	return res, nil
}
