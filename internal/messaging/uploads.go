package messaging

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/storage"
)

// Upload is a stored file that messages can attach.
type Upload struct {
	ID          uuid.UUID  `json:"id"`
	Filename    string     `json:"filename"`
	ContentType string     `json:"content_type" doc:"Sniffed from the bytes; the client's claim is ignored."`
	Size        int64      `json:"size"`
	SHA256      string     `json:"sha256"`
	CreatedBy   *uuid.UUID `json:"created_by"`
	CreatedAt   time.Time  `json:"created_at"`
	// Channels lists the channels whose limits accept this file.
	Channels []Channel `json:"channels" doc:"The channels that accept this file (type and size)."`
	key      string
}

func uploadFrom(r dbsqlc.Upload) Upload {
	u := Upload{
		ID: r.ID, Filename: r.Filename, ContentType: r.ContentType, Size: r.SizeBytes,
		SHA256: fmt.Sprintf("%x", r.Sha256), CreatedBy: ptrUUID(r.CreatedBy), CreatedAt: r.CreatedAt, key: r.StorageKey,
		Channels: []Channel{},
	}
	for _, ch := range []Channel{"email", "whatsapp", "telegram", "instagram"} {
		if checkMedia(ch, []Upload{u}) == "" {
			u.Channels = append(u.Channels, ch)
		}
	}
	return u
}

// checkMedia says why uploads can't go on ch, or "" when they can.
func checkMedia(ch Channel, ups []Upload) string {
	l := Limits[ch]
	if len(ups) > l.MaxCount {
		return fmt.Sprintf("%s takes at most %d attachment(s) per message", ch, l.MaxCount)
	}
	var total int64
	for _, u := range ups {
		if !l.accepts(u.ContentType) {
			return fmt.Sprintf("%s does not accept %s files (%s)", ch, u.ContentType, u.Filename)
		}
		limit := l.MaxFileBytes
		if ch == "instagram" && strings.HasPrefix(u.ContentType, "image/") {
			limit = instagramImageBytes
		}
		if u.Size > limit {
			return fmt.Sprintf("%s is %s; %s takes files up to %s", u.Filename, humanBytes(u.Size), ch, humanBytes(limit))
		}
		total += u.Size
	}
	if total > l.MaxTotalBytes {
		return fmt.Sprintf("the attachments add up to %s; %s takes up to %s per message", humanBytes(total), ch, humanBytes(l.MaxTotalBytes))
	}
	return ""
}

func humanBytes(n int64) string {
	if n >= mb {
		return fmt.Sprintf("%.1f MB", float64(n)/mb)
	}
	return fmt.Sprintf("%d KB", (n+1023)/1024)
}

// cleanFilename keeps a file name safe to show and to put in a
// Content-Disposition header: the base name, printable, at most 255 bytes.
func cleanFilename(name, contentType string) string {
	name = path.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	if name == "." || name == "/" || name == "" {
		name = "file" + mimetype.Lookup(contentType).Extension()
	}
	for len(name) > 255 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	return name
}

// SaveUpload stores r (at most MaxUploadBytes) and records it. The content
// type is sniffed from the first bytes.
func SaveUpload(ctx context.Context, db dbutil.Executor, st storage.Storage, orgID uuid.UUID, createdBy uuid.NullUUID, origin, filename string, r io.Reader) (Upload, error) {
	return SaveUploadAt(ctx, db, st, orgID, createdBy, origin, storage.NewKey(orgID.String()), filename, r)
}

// SaveUploadAt is SaveUpload under a storage key the caller made with
// storage.NewKey(orgID.String()), for a caller that records the key before
// the file is written (inbound media: conversations.MediaCleanupWorker).
// On error the file is removed again (best effort).
func SaveUploadAt(ctx context.Context, db dbutil.Executor, st storage.Storage, orgID uuid.UUID, createdBy uuid.NullUUID, origin, key, filename string, r io.Reader) (Upload, error) {
	br := bufio.NewReaderSize(r, 3072)
	head, err := br.Peek(3072)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return Upload{}, fault.New(fault.BadRequest, "the file cannot be read")
	}
	if len(head) == 0 {
		return Upload{}, fault.Field("body.file", "is empty", filename)
	}
	contentType := mimetype.Detect(head).String()
	if i := strings.IndexByte(contentType, ';'); i >= 0 {
		contentType = contentType[:i]
	}
	id := uuid.New()
	limited := &io.LimitedReader{R: br, N: MaxUploadBytes + 1}
	size, sum, err := st.Put(ctx, key, limited)
	if err != nil {
		return Upload{}, fmt.Errorf("storing upload: %w", err)
	}
	if size > MaxUploadBytes {
		_ = st.Delete(context.WithoutCancel(ctx), key)
		return Upload{}, fault.Field("body.file", fmt.Sprintf("is larger than %s, the most any channel takes", humanBytes(MaxUploadBytes)), filename)
	}
	row, err := dbsqlc.New().CreateUpload(ctx, db, dbsqlc.CreateUploadParams{
		ID: id, OrgID: orgID, Filename: cleanFilename(filename, contentType), ContentType: contentType,
		SizeBytes: size, Sha256: sum, StorageKey: key, Origin: origin, CreatedBy: createdBy,
	})
	if err != nil {
		_ = st.Delete(context.WithoutCancel(ctx), key)
		return Upload{}, fmt.Errorf("recording upload: %w", err)
	}
	return uploadFrom(row), nil
}

// GetUpload reads an upload's record.
func GetUpload(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) (Upload, error) {
	row, err := dbsqlc.New().GetUpload(ctx, db, dbsqlc.GetUploadParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return Upload{}, fault.New(fault.NotFound, "upload not found")
	}
	if err != nil {
		return Upload{}, fmt.Errorf("reading upload: %w", err)
	}
	return uploadFrom(row), nil
}

// DeleteUpload removes an upload no message refers to.
func DeleteUpload(ctx context.Context, db dbutil.Executor, st storage.Storage, orgID, id uuid.UUID) error {
	row, err := dbsqlc.New().DeleteUnusedUpload(ctx, db, dbsqlc.DeleteUnusedUploadParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		if _, gerr := GetUpload(ctx, db, orgID, id); gerr != nil {
			return gerr
		}
		return fault.New(fault.Conflict, "the upload is attached to a message and is kept with it")
	}
	if err != nil {
		return fmt.Errorf("deleting upload: %w", err)
	}
	return st.Delete(ctx, row.StorageKey)
}

// getUploads reads the uploads by id, in the order given; an unknown id
// (or another org's) is a field error at location.
func getUploads(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, ids []uuid.UUID, location string) ([]Upload, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := dbsqlc.New().GetUploads(ctx, db, dbsqlc.GetUploadsParams{OrgID: orgID, Ids: ids})
	if err != nil {
		return nil, fmt.Errorf("reading uploads: %w", err)
	}
	byID := make(map[uuid.UUID]dbsqlc.Upload, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	out := make([]Upload, 0, len(ids))
	seen := map[uuid.UUID]bool{}
	for i, id := range ids {
		r, ok := byID[id]
		if !ok {
			return nil, fault.Field(fmt.Sprintf("%s[%d]", location, i), "no such upload in this organization", id)
		}
		if seen[id] {
			return nil, fault.Field(fmt.Sprintf("%s[%d]", location, i), "is listed twice", id)
		}
		seen[id] = true
		out = append(out, uploadFrom(r))
	}
	return out, nil
}
