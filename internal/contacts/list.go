package contacts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// ContactFilter selects contacts: the list's query, and the "current filter" the
// bulk actions and the export apply. The zero ContactFilter selects every contact
// of the org.
type ContactFilter struct {
	Search     string     `json:"search,omitempty" required:"false" maxLength:"200" doc:"Part of a name, email, phone number or username."`
	Tag        string     `json:"tag,omitempty" required:"false" maxLength:"64"`
	GroupID    *uuid.UUID `json:"group_id,omitempty" required:"false" doc:"Only members of this group."`
	HasChannel string     `json:"has_channel,omitempty" required:"false" enum:"email,phone,whatsapp,telegram,instagram" doc:"Only contacts with this field set."`
	OptedOut   string     `json:"opted_out,omitempty" required:"false" enum:"any,email,whatsapp,telegram,instagram" doc:"Only contacts opted out on this channel (any: on one at least)."`
}

// Sort orders of the list: a field, descending with a leading "-".
const (
	SortCreatedDesc = "-created_at"
	SortCreatedAsc  = "created_at"
	SortNameDesc    = "-name"
	SortNameAsc     = "name"
	SortEmailDesc   = "-email"
	SortEmailAsc    = "email"
)

// DefaultLimit and MaxLimit bound a page.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// ContactPage is one page of a list.
type ContactPage struct {
	Items      []Contact `json:"items"`
	NextCursor string    `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
}

// ListParams is one page request.
type ListParams struct {
	ContactFilter ContactFilter
	Sort          string
	Cursor        string
	Limit         int
}

// filterArgs are a ContactFilter ready for contacts_matching().
type filterArgs struct {
	search, tag, hasChannel, optedOut *string
	group                             uuid.NullUUID
}

var phoneLike = regexp.MustCompile(`^[+(]?[0-9][0-9\s().\-/]*[0-9]$|^\([0-9]+\)[0-9\s().\-/]*[0-9]$`)

// args validates the filter and turns it into arguments. location prefixes
// the names of inputs at fault ("query" or "body.filter").
func (f ContactFilter) args(location string) (filterArgs, error) {
	var a filterArgs
	var fields []fault.FieldError
	if s := strings.ToLower(strings.TrimSpace(f.Search)); s != "" {
		// A number typed with spaces or dashes still finds the stored E.164.
		if phoneLike.MatchString(s) {
			s = phoneJunk.ReplaceAllString(s, "")
		}
		p := "%" + escapeLike(s) + "%"
		a.search = &p
	}
	if t := strings.TrimSpace(f.Tag); t != "" {
		a.tag = &t
	}
	if f.GroupID != nil {
		a.group = uuid.NullUUID{UUID: *f.GroupID, Valid: true}
	}
	switch f.HasChannel {
	case "":
	case "email", "phone", "whatsapp", "telegram", "instagram":
		a.hasChannel = &f.HasChannel
	default:
		fields = append(fields, fault.FieldError{Location: location + ".has_channel", Message: "must be email, phone, whatsapp, telegram or instagram", Value: f.HasChannel})
	}
	switch {
	case f.OptedOut == "":
	case f.OptedOut == "any" || Channel(f.OptedOut).Valid():
		a.optedOut = &f.OptedOut
	default:
		fields = append(fields, fault.FieldError{Location: location + ".opted_out", Message: "must be any, email, whatsapp, telegram or instagram", Value: f.OptedOut})
	}
	return a, fault.Fields(fields...)
}

// escapeLike makes s match literally inside a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// cursor is the keyset position after the last row of a page, opaque to clients.
type cursor struct {
	Sort string    `json:"s"`
	Time time.Time `json:"t,omitzero"`
	Text string    `json:"v,omitempty"`
	ID   uuid.UUID `json:"i"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s, sort string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	bad := fault.Field("query.cursor", "is not a cursor of this list and sort order: start from the first page", nil)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var c cursor
	if json.Unmarshal(b, &c) != nil || c.Sort != sort {
		return nil, bad
	}
	return &c, nil
}

// customPlans runs each statement as an unnamed prepared statement, which
// Postgres plans for the actual arguments every time. The list's optional
// filters ("$2 IS NULL OR ...") fold away only in such a custom plan; a
// cached generic plan would keep them all and could use neither the search
// nor the tag index. The statement's description is still cached, so this
// costs no extra round trip.
type customPlans struct{ dbutil.Executor }

func withMode(args []any) []any {
	return append([]any{pgx.QueryExecModeCacheDescribe}, args...)
}

func (c customPlans) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return c.Executor.Query(ctx, sql, withMode(args)...)
}

func (c customPlans) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return c.Executor.QueryRow(ctx, sql, withMode(args)...)
}

func (c customPlans) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return c.Executor.Exec(ctx, sql, withMode(args)...)
}

// List returns one page of the org's contacts matching the filter, in the
// sort order, after the cursor. Every order walks an index of the org's
// contacts from the cursor on (keyset pagination), so a page costs the same
// at the millionth contact as at the first.
func List(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, p ListParams) (ContactPage, error) {
	rows, next, err := listRows(ctx, db, orgID, p, "query")
	if err != nil {
		return ContactPage{}, err
	}
	page := ContactPage{Items: make([]Contact, len(rows)), NextCursor: next}
	for i, r := range rows {
		page.Items[i] = FromRow(r)
	}
	return page, nil
}

func listRows(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, p ListParams, location string) ([]dbsqlc.Contact, string, error) {
	if p.Sort == "" {
		p.Sort = SortCreatedDesc
	}
	if p.Limit <= 0 {
		p.Limit = DefaultLimit
	}
	p.Limit = min(p.Limit, MaxLimit)
	a, err := p.ContactFilter.args(location)
	if err != nil {
		return nil, "", err
	}
	cur, err := decodeCursor(p.Cursor, p.Sort)
	if err != nil {
		return nil, "", err
	}
	var afterTime *time.Time
	var afterText *string
	var afterID uuid.UUID
	if cur != nil {
		afterTime, afterText, afterID = &cur.Time, &cur.Text, cur.ID
	}
	lim := int32(p.Limit + 1)
	q, cdb := dbsqlc.New(), customPlans{db}
	var rows []dbsqlc.Contact
	if a.searchOnly() {
		// A short walk first (about a millisecond); if it found some
		// matches but not a page, a walk as long as their density says a
		// page takes, when that is not too long; else the trigram index.
		walk := searchWalkPages * lim
		rows, err = walkRows(ctx, q, cdb, orgID, p.Sort, *a.search, afterTime, afterText, afterID, walk, lim)
		if err == nil && len(rows) > 0 && len(rows) < int(lim) {
			if need := int64(walk) * int64(lim) * 3 / (2 * int64(len(rows))); need <= int64(searchWalkMax*lim) {
				rows, err = walkRows(ctx, q, cdb, orgID, p.Sort, *a.search, afterTime, afterText, afterID, int32(need), lim)
			}
		}
		if err != nil {
			return nil, "", fmt.Errorf("listing contacts: %w", err)
		}
	}
	switch {
	case len(rows) == int(lim):
		// The walk filled the page.
	case p.Sort == SortCreatedDesc:
		rows, err = q.ListContactsCreatedDesc(ctx, cdb, dbsqlc.ListContactsCreatedDescParams{
			OrgID: orgID, Search: a.search, Tag: a.tag, GroupID: a.group, HasChannel: a.hasChannel, OptedOut: a.optedOut,
			AfterTime: afterTime, AfterID: afterID, Lim: lim})
	case p.Sort == SortCreatedAsc:
		rows, err = q.ListContactsCreatedAsc(ctx, cdb, dbsqlc.ListContactsCreatedAscParams{
			OrgID: orgID, Search: a.search, Tag: a.tag, GroupID: a.group, HasChannel: a.hasChannel, OptedOut: a.optedOut,
			AfterTime: afterTime, AfterID: afterID, Lim: lim})
	case p.Sort == SortNameDesc:
		rows, err = q.ListContactsNameDesc(ctx, cdb, dbsqlc.ListContactsNameDescParams{
			OrgID: orgID, Search: a.search, Tag: a.tag, GroupID: a.group, HasChannel: a.hasChannel, OptedOut: a.optedOut,
			AfterText: afterText, AfterID: afterID, Lim: lim})
	case p.Sort == SortNameAsc:
		rows, err = q.ListContactsNameAsc(ctx, cdb, dbsqlc.ListContactsNameAscParams{
			OrgID: orgID, Search: a.search, Tag: a.tag, GroupID: a.group, HasChannel: a.hasChannel, OptedOut: a.optedOut,
			AfterText: afterText, AfterID: afterID, Lim: lim})
	case p.Sort == SortEmailDesc:
		rows, err = q.ListContactsEmailDesc(ctx, cdb, dbsqlc.ListContactsEmailDescParams{
			OrgID: orgID, Search: a.search, Tag: a.tag, GroupID: a.group, HasChannel: a.hasChannel, OptedOut: a.optedOut,
			AfterText: afterText, AfterID: afterID, Lim: lim})
	case p.Sort == SortEmailAsc:
		rows, err = q.ListContactsEmailAsc(ctx, cdb, dbsqlc.ListContactsEmailAscParams{
			OrgID: orgID, Search: a.search, Tag: a.tag, GroupID: a.group, HasChannel: a.hasChannel, OptedOut: a.optedOut,
			AfterText: afterText, AfterID: afterID, Lim: lim})
	default:
		return nil, "", fault.Field("query.sort", "must be one of created_at, -created_at, name, -name, email, -email", p.Sort)
	}
	if err != nil {
		return nil, "", fmt.Errorf("listing contacts: %w", err)
	}
	if len(rows) <= p.Limit {
		return rows, "", nil
	}
	rows = rows[:p.Limit]
	last := rows[len(rows)-1]
	c := cursor{Sort: p.Sort, ID: last.ID}
	switch p.Sort {
	case SortCreatedDesc, SortCreatedAsc:
		c.Time = last.CreatedAt
	case SortNameDesc, SortNameAsc:
		c.Text = deref(last.SortName)
	default:
		c.Text = deref(last.EmailNormalized)
	}
	return rows, c.encode(), nil
}

// A search alone walks the sort order before it turns to the trigram
// index (see the Walk statements): first searchWalkPages times the page
// (about a thousand contacts, a millisecond or so), then, when that found
// some matches, as far as their density says a page needs, up to
// searchWalkMax times the page. A page needs the index when fewer than one
// contact in searchWalkMax matches: in a million-contact org, at most a few
// thousand matches to fetch and sort. A term matching nothing in the first
// walk goes to the index at once: it is likely rare (an email, a number).
const (
	searchWalkPages = 20
	searchWalkMax   = 400
)

// searchOnly reports whether the search is the filter's only condition:
// the case walkRows serves.
func (a filterArgs) searchOnly() bool {
	return a.search != nil && a.tag == nil && !a.group.Valid && a.hasChannel == nil && a.optedOut == nil
}

// walkRows runs the Walk statement of the sort order: the first lim
// contacts matching search among the next walk after the cursor. Fewer
// than lim means the walk did not settle the page.
func walkRows(ctx context.Context, q *dbsqlc.Queries, db dbutil.Executor, orgID uuid.UUID, sort, search string,
	afterTime *time.Time, afterText *string, afterID uuid.UUID, walk, lim int32,
) ([]dbsqlc.Contact, error) {
	switch sort {
	case SortCreatedDesc:
		return q.WalkContactsCreatedDesc(ctx, db, dbsqlc.WalkContactsCreatedDescParams{
			OrgID: orgID, Search: search, AfterTime: afterTime, AfterID: afterID, Walk: walk, Lim: lim})
	case SortCreatedAsc:
		return q.WalkContactsCreatedAsc(ctx, db, dbsqlc.WalkContactsCreatedAscParams{
			OrgID: orgID, Search: search, AfterTime: afterTime, AfterID: afterID, Walk: walk, Lim: lim})
	case SortNameDesc:
		return q.WalkContactsNameDesc(ctx, db, dbsqlc.WalkContactsNameDescParams{
			OrgID: orgID, Search: search, AfterText: afterText, AfterID: afterID, Walk: walk, Lim: lim})
	case SortNameAsc:
		return q.WalkContactsNameAsc(ctx, db, dbsqlc.WalkContactsNameAscParams{
			OrgID: orgID, Search: search, AfterText: afterText, AfterID: afterID, Walk: walk, Lim: lim})
	case SortEmailDesc:
		return q.WalkContactsEmailDesc(ctx, db, dbsqlc.WalkContactsEmailDescParams{
			OrgID: orgID, Search: search, AfterText: afterText, AfterID: afterID, Walk: walk, Lim: lim})
	case SortEmailAsc:
		return q.WalkContactsEmailAsc(ctx, db, dbsqlc.WalkContactsEmailAscParams{
			OrgID: orgID, Search: search, AfterText: afterText, AfterID: afterID, Walk: walk, Lim: lim})
	}
	// An unknown order: the List switch answers it.
	return nil, nil
}
