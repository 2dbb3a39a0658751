package suppression

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// importBatch is how many rows one statement adds.
const importBatch = 1000

// maxRejectsShown bounds the rejects an import answers with.
const maxRejectsShown = 100

// SuppressionImportResult is what a suppression import did.
type SuppressionImportResult struct {
	Rows     int                       `json:"rows" doc:"Data rows read."`
	Added    int64                     `json:"added"`
	Existing int64                     `json:"existing" doc:"Rows already suppressed (or repeated in the file)."`
	Rejected int                       `json:"rejected"`
	Rejects  []SuppressionImportReject `json:"rejects" doc:"The first 100 rejected rows."`
}

// SuppressionImportReject is a row that could not be imported.
type SuppressionImportReject struct {
	Line   int    `json:"line"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

// ImportOptions apply to every row that does not say otherwise.
type ImportOptions struct {
	// Channel of rows without a channel column, when the value column's
	// name does not tell either.
	Channel string
	// Reason of rows without a reason column (manual when empty).
	Reason string
}

// columnChannel maps a value column's header to the channel it implies.
var columnChannel = map[string]string{
	"email": "email", "e-mail": "email", "email address": "email", "email_address": "email",
	"whatsapp": "whatsapp", "phone": "whatsapp", "mobile": "whatsapp", "number": "whatsapp", "phone number": "whatsapp",
	"telegram": "telegram", "telegram_chat_id": "telegram", "chat_id": "telegram", "telegram chat id": "telegram",
	"instagram": "instagram", "instagram_id": "instagram", "igsid": "instagram",
	"value": "", "address": "",
}

// Import adds the suppressions of a CSV file (a header row; a value column
// named value, address, email, phone, whatsapp, telegram_chat_id or
// instagram_id; optional channel and reason columns). It reads the file a
// batch at a time and adds each batch in one statement, all in one
// transaction: a file that fails leaves nothing. Values already suppressed
// are counted, not changed.
func Import(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, actor Actor, r io.Reader, opts ImportOptions) (SuppressionImportResult, error) {
	res := SuppressionImportResult{Rejects: []SuppressionImportReject{}}
	if opts.Reason == "" {
		opts.Reason = ReasonManual
	}
	if !validReason(opts.Reason) {
		return res, fault.Field("query.reason", "must be unsubscribed, bounced, spam_complaint or manual", opts.Reason)
	}
	if opts.Channel != "" && !contacts.Channel(opts.Channel).Valid() {
		return res, fault.Field("query.channel", "must be email, whatsapp, telegram or instagram", opts.Channel)
	}
	country, err := contacts.OrgCountry(ctx, db, orgID)
	if err != nil {
		return res, err
	}
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(64 << 10)
	rr := contacts.NewRecordReader(br, contacts.DetectDelimiter(head))
	header, _, err := rr.Read()
	if err != nil {
		return res, fault.Field("body.file", "needs a header row naming the columns", nil)
	}
	valueCol, channelCol, reasonCol := -1, -1, -1
	implied := ""
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		switch {
		case h == "channel":
			channelCol = i
		case h == "reason":
			reasonCol = i
		default:
			if ch, ok := columnChannel[h]; ok && valueCol < 0 {
				valueCol, implied = i, ch
			}
		}
	}
	if valueCol < 0 && len(header) == 1 {
		valueCol = 0
	}
	if valueCol < 0 {
		return res, fault.Field("body.file", "needs a column named value, email, phone, whatsapp, telegram_chat_id or instagram_id", nil)
	}
	if channelCol < 0 && implied == "" && opts.Channel == "" {
		return res, fault.Field("query.channel", "is required when the file has no channel column", nil)
	}

	var batch dbsqlc.ImportSuppressionsParams
	flush := func(tx pgx.Tx) error {
		if len(batch.Vals) == 0 {
			return nil
		}
		batch.OrgID, batch.CreatedBy = orgID, actor.UserID
		n, err := dbsqlc.New().ImportSuppressions(ctx, tx, batch)
		if err != nil {
			return fmt.Errorf("adding suppressions: %w", err)
		}
		res.Added += n
		res.Existing += int64(len(batch.Vals)) - n
		batch = dbsqlc.ImportSuppressionsParams{}
		return nil
	}
	reject := func(line int, value, reason string) {
		res.Rejected++
		if len(res.Rejects) < maxRejectsShown {
			res.Rejects = append(res.Rejects, SuppressionImportReject{Line: line, Value: strings.ToValidUTF8(value, "\uFFFD"), Reason: reason})
		}
	}
	cell := func(rec []string, i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	err = dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		for {
			rec, line, err := rr.Read()
			if errors.Is(err, io.EOF) {
				return flush(tx)
			}
			if err != nil {
				return fault.Field("body.file", err.Error(), nil)
			}
			if contacts.Blank(rec) {
				continue
			}
			res.Rows++
			value := cell(rec, valueCol)
			ch := cell(rec, channelCol)
			if ch == "" {
				ch = implied
			}
			if ch == "" {
				ch = opts.Channel
			}
			ch = strings.ToLower(ch)
			if !contacts.Channel(ch).Valid() {
				reject(line, value, "channel must be email, whatsapp, telegram or instagram")
				continue
			}
			reason := strings.ToLower(cell(rec, reasonCol))
			if reason == "" {
				reason = opts.Reason
			}
			if !validReason(reason) {
				reject(line, value, "reason must be unsubscribed, bounced, spam_complaint or manual")
				continue
			}
			norm, err := contacts.NormalizeAddress(contacts.Channel(ch), value, country)
			if err != nil {
				reject(line, value, err.Error())
				continue
			}
			batch.Channels = append(batch.Channels, ch)
			batch.Vals = append(batch.Vals, norm)
			batch.Reasons = append(batch.Reasons, reason)
			if len(batch.Vals) == importBatch {
				if err := flush(tx); err != nil {
					return err
				}
			}
		}
	})
	return res, err
}
