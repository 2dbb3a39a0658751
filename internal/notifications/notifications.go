// Package notifications is what the app tells one user in one org: a
// campaign finished, an alert fired. Producers (campaign completion,
// monitoring) call Create inside their own transactions, so a notification
// exists exactly when what it announces does. The header's bell polls List
// for the newest ones and the unread count, and marks them read.
//
// A notification belongs to a user in an org: every read and write filters
// by both, so neither another org's credential nor another member of the
// same org reaches it (404, as for any resource not the caller's). Links are
// paths inside the app, never another site, since the bell navigates to them.
package notifications

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// Errors of the domain.
var (
	ErrNotFound = fault.New(fault.NotFound, "notification not found")
	// ErrNotMember: Create was asked to notify someone who is not (or no
	// longer) a member of the org. Nothing was stored; producers may ignore it.
	ErrNotMember = errors.New("notification recipient is not a member of the org")
)

// Notification is one message to a user.
type Notification struct {
	ID        uuid.UUID  `json:"id"`
	Kind      string     `json:"kind" doc:"What produced it, like campaign.completed."`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Link      string     `json:"link" doc:"A path in the app to open, or empty."`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at"`
}

func fromRow(r dbsqlc.Notification) Notification {
	return Notification{ID: r.ID, Kind: r.Kind, Title: r.Title, Body: r.Body, Link: r.Link, CreatedAt: r.CreatedAt, ReadAt: r.ReadAt}
}

// Params are a new notification.
type Params struct {
	OrgID  uuid.UUID
	UserID uuid.UUID
	// Kind names the producer and event, dotted lower case: "campaign.completed".
	Kind  string
	Title string
	Body  string
	// Link is a path inside the app ("/messaging/campaigns/<id>"), or empty.
	Link string
}

// Limits of the fields, as the table's checks.
const (
	maxKind  = 64
	maxTitle = 200
	maxBody  = 2000
	maxLink  = 2000
)

var kindPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)

// validate trims p and checks it. These are the producers' mistakes, not a
// user's input: plain errors.
func (p *Params) validate() error {
	p.Title = strings.TrimSpace(p.Title)
	p.Body = strings.TrimSpace(p.Body)
	p.Link = strings.TrimSpace(p.Link)
	switch {
	case p.OrgID == uuid.Nil || p.UserID == uuid.Nil:
		return errors.New("notification needs an org and a user")
	case len(p.Kind) > maxKind || !kindPattern.MatchString(p.Kind):
		return fmt.Errorf("notification kind %q must be dotted lower case, like campaign.completed", p.Kind)
	case p.Title == "":
		return errors.New("notification needs a title")
	}
	p.Title = truncate(p.Title, maxTitle)
	p.Body = truncate(p.Body, maxBody)
	if p.Link != "" && !IsAppPath(p.Link) {
		return fmt.Errorf("notification link %q must be a path in the app, like /messaging/campaigns", p.Link)
	}
	return nil
}

// IsAppPath reports whether link is a path on this site: it starts with one
// slash (// would be another host) and holds no backslash (which browsers
// read as a slash) and no control characters.
func IsAppPath(link string) bool {
	if len(link) > maxLink || !strings.HasPrefix(link, "/") || strings.HasPrefix(link, "//") || strings.ContainsRune(link, '\\') {
		return false
	}
	for _, r := range link {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// truncate shortens s to at most n characters, ending with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// Create stores a notification for a member of the org. Call it in the
// transaction of what it announces. A user who is not a member of the org
// gets nothing: ErrNotMember.
func Create(ctx context.Context, db dbutil.Executor, p Params, now time.Time) (Notification, error) {
	if err := p.validate(); err != nil {
		return Notification{}, err
	}
	r, err := dbsqlc.New().CreateNotification(ctx, db, dbsqlc.CreateNotificationParams{
		OrgID: p.OrgID, UserID: p.UserID, Kind: p.Kind, Title: p.Title, Body: p.Body, Link: p.Link, Now: now,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return Notification{}, ErrNotMember
	}
	if err != nil {
		return Notification{}, fmt.Errorf("inserting notification: %w", err)
	}
	return fromRow(r), nil
}

// Get returns one of the user's notifications in the org.
func Get(ctx context.Context, db dbutil.Executor, orgID, userID, id uuid.UUID) (Notification, error) {
	r, err := dbsqlc.New().GetNotification(ctx, db, dbsqlc.GetNotificationParams{OrgID: orgID, UserID: userID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return Notification{}, ErrNotFound
	}
	if err != nil {
		return Notification{}, fmt.Errorf("reading notification: %w", err)
	}
	return fromRow(r), nil
}

// ListParams select a page.
type ListParams struct {
	UnreadOnly bool
	Cursor     string
	Limit      int
}

// NotificationPage is one page of a user's notifications, newest first, and how many
// are unread in all.
type NotificationPage struct {
	Items       []Notification `json:"items"`
	NextCursor  string         `json:"next_cursor,omitempty" doc:"Pass as cursor for the next (older) page; absent on the last."`
	UnreadCount int64          `json:"unread_count" doc:"Unread notifications of the user in this org, on every page."`
}

type cursor struct {
	T  time.Time `json:"t"`
	ID uuid.UUID `json:"i"`
}

func (c cursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (*cursor, error) {
	if s == "" {
		return nil, nil
	}
	var c cursor
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(raw, &c) != nil || c.ID == uuid.Nil {
		return nil, fault.Field("query.cursor", "is not a cursor this API gave out", s)
	}
	return &c, nil
}

// List returns a page of the user's notifications in the org.
func List(ctx context.Context, db dbutil.Executor, orgID, userID uuid.UUID, p ListParams) (NotificationPage, error) {
	lim := p.Limit
	if lim <= 0 || lim > 100 {
		lim = 20
	}
	c, err := decodeCursor(p.Cursor)
	if err != nil {
		return NotificationPage{}, err
	}
	args := dbsqlc.ListNotificationsParams{OrgID: orgID, UserID: userID, UnreadOnly: p.UnreadOnly, Lim: int32(lim + 1)}
	if c != nil {
		args.BeforeAt = &c.T
		args.BeforeID = uuid.NullUUID{UUID: c.ID, Valid: true}
	}
	q := dbsqlc.New()
	rows, err := q.ListNotifications(ctx, db, args)
	if err != nil {
		return NotificationPage{}, fmt.Errorf("listing notifications: %w", err)
	}
	page := NotificationPage{Items: make([]Notification, 0, min(len(rows), lim))}
	for i, r := range rows {
		if i == lim {
			last := rows[i-1]
			page.NextCursor = cursor{T: last.CreatedAt, ID: last.ID}.encode()
			break
		}
		page.Items = append(page.Items, fromRow(r))
	}
	if page.UnreadCount, err = UnreadCount(ctx, db, orgID, userID); err != nil {
		return NotificationPage{}, err
	}
	return page, nil
}

// UnreadCount counts the user's unread notifications in the org.
func UnreadCount(ctx context.Context, db dbutil.Executor, orgID, userID uuid.UUID) (int64, error) {
	n, err := dbsqlc.New().CountUnreadNotifications(ctx, db, dbsqlc.CountUnreadNotificationsParams{OrgID: orgID, UserID: userID})
	if err != nil {
		return 0, fmt.Errorf("counting unread notifications: %w", err)
	}
	return n, nil
}

// MarkRead marks one notification read; one already read keeps its time.
func MarkRead(ctx context.Context, db dbutil.Executor, orgID, userID, id uuid.UUID, now time.Time) (Notification, error) {
	r, err := dbsqlc.New().MarkNotificationRead(ctx, db, dbsqlc.MarkNotificationReadParams{OrgID: orgID, UserID: userID, ID: id, Now: now})
	if errors.Is(err, pgx.ErrNoRows) {
		return Notification{}, ErrNotFound
	}
	if err != nil {
		return Notification{}, fmt.Errorf("marking notification read: %w", err)
	}
	return fromRow(r), nil
}

// MarkAllRead marks the user's unread notifications in the org read, those
// created up to upTo: a client passes the time of the list it showed, so
// that one arriving meanwhile stays unread. It returns how many changed.
func MarkAllRead(ctx context.Context, db dbutil.Executor, orgID, userID uuid.UUID, upTo, now time.Time) (int64, error) {
	n, err := dbsqlc.New().MarkAllNotificationsRead(ctx, db, dbsqlc.MarkAllNotificationsReadParams{OrgID: orgID, UserID: userID, Now: now, UpTo: upTo})
	if err != nil {
		return 0, fmt.Errorf("marking notifications read: %w", err)
	}
	return n, nil
}
