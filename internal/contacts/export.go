package contacts

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/google/uuid"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// exportBatch is how many contacts the export reads per query.
const exportBatch = 1000

// exportColumns are the fixed columns of an export, named like the import
// targets so that an exported file imports back as it is.
var exportColumns = []string{
	"id", TargetEmail, TargetPhone, TargetWhatsApp, TargetTelegramChatID, TargetTelegramUsername, TargetInstagramID,
	TargetInstagramUsername, TargetFirstName, TargetLastName, TargetLocale, TargetTimezone, TargetTags,
	"consent_email", "consent_whatsapp", "consent_telegram", "consent_instagram", "created_at",
}

// Export writes the org's contacts matching the filter to w as CSV, in the
// sort order: a header, then one row per contact, with one column per
// attribute name in use. It reads a batch at a time (keyset pages), so
// memory stays flat whatever the number of contacts.
func Export(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, f ContactFilter, sort string, w io.Writer) error {
	a, err := f.args("query")
	if err != nil {
		return err
	}
	keys, err := dbsqlc.New().ListAttributeKeysMatching(ctx, customPlans{db}, dbsqlc.ListAttributeKeysMatchingParams{
		OrgID: orgID, Search: a.search, Tag: a.tag, GroupID: a.group, HasChannel: a.hasChannel, OptedOut: a.optedOut})
	if err != nil {
		return fmt.Errorf("reading attribute names: %w", err)
	}
	cw := csv.NewWriter(w)
	header := append([]string{}, exportColumns...)
	for _, k := range keys {
		header = append(header, attributePrefix+k)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	p := ListParams{ContactFilter: f, Sort: sort, Limit: exportBatch}
	rec := make([]string, len(header))
	for {
		rows, next, err := listRows(ctx, db, orgID, p, "query")
		if err != nil {
			return err
		}
		for _, r := range rows {
			c := FromRow(r)
			rec = rec[:0]
			rec = append(rec, c.ID.String(), cell(deref(c.Email)), deref(c.Phone), deref(c.WhatsApp), deref(c.TelegramChatID),
				cell(deref(c.TelegramUsername)), deref(c.InstagramID), cell(deref(c.InstagramUsername)), cell(c.FirstName),
				cell(c.LastName), c.Locale, c.Timezone, cell(strings.Join(c.Tags, ", ")))
			for _, ch := range Channels {
				rec = append(rec, c.Consent[string(ch)].Status)
			}
			rec = append(rec, c.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"))
			for _, k := range keys {
				rec = append(rec, cell(attributeText(c.Attributes[k])))
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		p.Cursor = next
	}
}

func attributeText(v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

// cell defuses a value a spreadsheet would run as a formula (CSV injection):
// one starting with = @ or a control character, or with + or - and not a
// plain number, gets a leading '. Phone numbers (+4930...) stay as they are.
// The importer drops that ' again.
func cell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return "'" + s
	case '+', '-':
		if !plainNumber.MatchString(s[1:]) {
			return "'" + s
		}
	}
	return s
}

var plainNumber = regexp.MustCompile(`^[0-9][0-9 ().\-/]*$`)

// uncell undoes cell.
func uncell(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=@\t\r+-", rune(s[1])) {
		return s[1:]
	}
	return s
}
