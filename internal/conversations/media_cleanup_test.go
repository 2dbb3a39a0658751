package conversations

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertest"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/storage"
)

// pendingKeys lists the org's pending inbound media keys.
func (b *txBundle) pendingKeys(t *testing.T) []string {
	t.Helper()
	rows, err := b.tx.Query(b.ctx, "SELECT storage_key FROM inbound_media_pending WHERE org_id = $1 ORDER BY storage_key", b.org)
	require.NoError(t, err)
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return keys
}

// stored tells whether the storage holds a file under key.
func (b *txBundle) stored(t *testing.T, key string) bool {
	t.Helper()
	rc, err := b.store.Open(b.ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return false
	}
	require.NoError(t, err)
	rc.Close()
	return true
}

func (b *txBundle) uploadKey(t *testing.T, id uuid.UUID) string {
	t.Helper()
	u, err := dbsqlc.New().GetUpload(b.ctx, b.tx, dbsqlc.GetUploadParams{OrgID: b.org, ID: id})
	require.NoError(t, err)
	return u.StorageKey
}

func TestReceiveClaimsPendingMedia(t *testing.T) {
	t.Parallel()
	b := setupTx(t)
	m := b.receive(t, Inbound{Channel: contacts.ChannelWhatsApp, ProviderMessageID: "SM-claim", From: "+14155550120",
		Media: []Media{fakeMedia("a.png", "image/png", pngBytes, nil, nil), fakeMedia("b.png", "image/png", pngBytes, nil, nil)}})
	require.Len(t, m.Media, 2)
	require.Empty(t, b.pendingKeys(t), "the message's transaction claims its files")

	// A transient failure drops the files saved so far, and their records.
	transient := errors.New("connection reset")
	_, _, err := b.svc.Receive(b.ctx, b.org, Inbound{Channel: contacts.ChannelWhatsApp, ProviderMessageID: "SM-claim-2", From: "+14155550120",
		Media: []Media{fakeMedia("a.png", "image/png", pngBytes, nil, nil), fakeMedia("b.png", "image/png", nil, transient, nil)}})
	require.ErrorIs(t, err, ErrMediaFetch)
	require.Empty(t, b.pendingKeys(t))
}

// sweptStorage stands for a cleanup that took a file while its message
// was still being received: the pending row is gone when Put returns.
type sweptStorage struct {
	storage.Storage
	tx pgx.Tx
}

func (s sweptStorage) Put(ctx context.Context, key string, r io.Reader) (int64, []byte, error) {
	n, sum, err := s.Storage.Put(ctx, key, r)
	if err == nil {
		_, err = s.tx.Exec(ctx, "DELETE FROM inbound_media_pending WHERE storage_key = $1", key)
	}
	return n, sum, err
}

func TestReceiveRefusesMediaCleanedUp(t *testing.T) {
	t.Parallel()
	b := setupTx(t)
	b.svc.Storage = sweptStorage{Storage: b.store, tx: b.tx}
	in := Inbound{Channel: contacts.ChannelTelegram, ProviderMessageID: "7:1", From: "7",
		Media: []Media{fakeMedia("a.png", "image/png", pngBytes, nil, nil)}}
	_, _, err := b.svc.Receive(b.ctx, b.org, in)
	require.ErrorIs(t, err, ErrMediaFetch, "retried, rather than stored with a file that is gone")
	var n int
	require.NoError(t, b.tx.QueryRow(b.ctx, "SELECT count(*) FROM inbound_messages WHERE org_id = $1", b.org).Scan(&n))
	require.Zero(t, n)

	b.svc.Storage = b.store
	m := b.receive(t, in)
	require.NotNil(t, m.Media[0].UploadID)
	require.True(t, b.stored(t, b.uploadKey(t, *m.Media[0].UploadID)))
}

func TestCleanupOrphanMedia(t *testing.T) {
	t.Parallel()
	b := setupTx(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	old := now.Add(-OrphanMediaAge - time.Minute)
	q := dbsqlc.New()

	// Referenced: a message stored with its file.
	b.svc.Now = func() time.Time { return old }
	m := b.receive(t, Inbound{Channel: contacts.ChannelWhatsApp, ProviderMessageID: "SM-kept", From: "+14155550121",
		Media: []Media{fakeMedia("kept.png", "image/png", pngBytes, nil, nil)}})
	referenced := b.uploadKey(t, *m.Media[0].UploadID)
	// Its pending row left behind all the same (it can't be, but the
	// cleanup must not trust that alone).
	require.NoError(t, q.AddPendingInboundMedia(b.ctx, b.tx, dbsqlc.AddPendingInboundMediaParams{
		StorageKey: referenced, OrgID: b.org, Channel: "whatsapp", ProviderMessageID: "SM-kept", Now: old,
	}))

	// Orphaned: the file and its upload saved, then the process died
	// before the message's transaction.
	orphanIn := Inbound{Channel: contacts.ChannelWhatsApp, ProviderMessageID: "SM-lost", From: "+14155550122"}
	orphan, orphanKey, err := b.svc.saveOne(b.ctx, b.org, orphanIn, fakeMedia("lost.png", "image/png", pngBytes, nil, nil))
	require.NoError(t, err)
	// Orphaned earlier still: the file written, the upload never recorded.
	bareKey := storage.NewKey(b.org.String())
	require.NoError(t, q.AddPendingInboundMedia(b.ctx, b.tx, dbsqlc.AddPendingInboundMediaParams{
		StorageKey: bareKey, OrgID: b.org, Channel: "whatsapp", ProviderMessageID: "SM-lost-2", Now: old,
	}))
	_, _, err = b.store.Put(b.ctx, bareKey, bytes.NewReader(pngBytes))
	require.NoError(t, err)

	// Fresh: saved a minute ago, its message may still be on its way.
	b.svc.Now = func() time.Time { return now.Add(-time.Minute) }
	_, freshKey, err := b.svc.saveOne(b.ctx, b.org, Inbound{Channel: contacts.ChannelWhatsApp, ProviderMessageID: "SM-busy", From: "+14155550123"},
		fakeMedia("busy.png", "image/png", pngBytes, nil, nil))
	require.NoError(t, err)
	require.ElementsMatch(t, []string{referenced, orphanKey, bareKey, freshKey}, b.pendingKeys(t))

	w := &MediaCleanupWorker{DB: b.tx, Storage: b.store, Now: func() time.Time { return now }}
	_, err = rivertest.NewWorker(t, riverpgxv5.New(nil), &river.Config{}, w).Work(b.ctx, t, b.tx, MediaCleanupArgs{}, nil)
	require.NoError(t, err)

	require.False(t, b.stored(t, orphanKey), "the orphaned file is removed")
	_, err = q.GetUpload(b.ctx, b.tx, dbsqlc.GetUploadParams{OrgID: b.org, ID: orphan.ID})
	require.ErrorIs(t, err, pgx.ErrNoRows, "with its upload")
	require.False(t, b.stored(t, bareKey))
	require.True(t, b.stored(t, referenced), "a file a message refers to is kept")
	_, err = q.GetUpload(b.ctx, b.tx, dbsqlc.GetUploadParams{OrgID: b.org, ID: *m.Media[0].UploadID})
	require.NoError(t, err)
	require.True(t, b.stored(t, freshKey), "a fresh file is kept")
	require.Equal(t, []string{freshKey}, b.pendingKeys(t), "only the fresh file is still pending")

	// Nothing is left to do until the fresh file is old too.
	res, err := CleanupOrphanMedia(b.ctx, b.tx, b.store, now.Add(-OrphanMediaAge), 100)
	require.NoError(t, err)
	require.Equal(t, CleanupResult{}, res)
	res, err = CleanupOrphanMedia(b.ctx, b.tx, b.store, now, 100)
	require.NoError(t, err)
	require.Equal(t, CleanupResult{Removed: 1}, res)
	require.False(t, b.stored(t, freshKey))
}
