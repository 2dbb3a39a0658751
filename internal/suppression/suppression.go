package suppression

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// Errors of the domain.
var (
	ErrNotFound        = fault.New(fault.NotFound, "suppression not found")
	ErrContactNotFound = fault.New(fault.NotFound, "contact not found")
	ErrNotUnsubscribed = fault.New(fault.Conflict, "the contact is neither opted out nor suppressed on this channel")
)

// Reasons a value is suppressed.
const (
	ReasonUnsubscribed  = "unsubscribed"
	ReasonBounced       = "bounced"
	ReasonSpamComplaint = "spam_complaint"
	ReasonManual        = "manual"
)

func validReason(r string) bool {
	switch r {
	case ReasonUnsubscribed, ReasonBounced, ReasonSpamComplaint, ReasonManual:
		return true
	}
	return false
}

// Consent event actions.
const (
	actionOptedOut     = "opted_out"
	actionResubscribed = "resubscribed"
	actionSuppressed   = "suppressed"
	actionUnsuppressed = "unsuppressed"
)

// Suppression is a value never to message on a channel.
type Suppression struct {
	ID        uuid.UUID  `json:"id"`
	Channel   string     `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	Value     string     `json:"value" doc:"Normalized: email lower-cased, WhatsApp in E.164, the Telegram chat id or Instagram IGSID."`
	Reason    string     `json:"reason" enum:"unsubscribed,bounced,spam_complaint,manual"`
	Source    string     `json:"source" doc:"Where it came from: unsubscribe_page, one_click, api, import, admin, a provider's webhook..."`
	Note      string     `json:"note"`
	ContactID *uuid.UUID `json:"contact_id" doc:"The contact it was recorded for, while that contact exists."`
	CreatedBy *uuid.UUID `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

func fromRow(r dbsqlc.Suppression) Suppression {
	s := Suppression{
		ID: r.ID, Channel: r.Channel, Value: r.Value, Reason: r.Reason, Source: r.Source, Note: r.Note,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if r.ContactID.Valid {
		s.ContactID = &r.ContactID.UUID
	}
	if r.CreatedBy.Valid {
		s.CreatedBy = &r.CreatedBy.UUID
	}
	return s
}

// Actor is who made a change, for the consent history.
type Actor struct {
	UserID   uuid.NullUUID
	APIKeyID uuid.NullUUID
}

// ActorOf is the request's principal as an Actor; none for public pages.
func ActorOf(p *auth.Principal) Actor {
	if p == nil {
		return Actor{}
	}
	a := Actor{UserID: p.CreatedBy()}
	if p.Kind == auth.KindAPIKey {
		a.APIKeyID = uuid.NullUUID{UUID: p.APIKeyID, Valid: true}
	}
	return a
}

func recordEvent(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, contactID uuid.NullUUID, ch, value, action, reason, source string, actor Actor) error {
	err := dbsqlc.New().InsertConsentEvent(ctx, db, dbsqlc.InsertConsentEventParams{
		OrgID: orgID, ContactID: contactID, Channel: ch, Value: value, Action: action, Reason: reason, Source: source,
		ActorUserID: actor.UserID, ActorApiKeyID: actor.APIKeyID,
	})
	if err != nil {
		return fmt.Errorf("recording consent event: %w", err)
	}
	return nil
}

// SuppressionInput adds a suppression.
type SuppressionInput struct {
	Channel string `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	Value   string `json:"value" maxLength:"320" doc:"The address, number or id; normalized like contact fields."`
	Reason  string `json:"reason,omitempty" required:"false" enum:"unsubscribed,bounced,spam_complaint,manual" doc:"manual when omitted."`
	Note    string `json:"note,omitempty" required:"false" maxLength:"500"`
}

// DuplicateError is a 409: the value is already suppressed on the channel.
type DuplicateError struct {
	ID  uuid.UUID
	err *fault.Error
}

// Error is the message shown to the caller.
func (e *DuplicateError) Error() string { return e.err.Message }

// Unwrap exposes the classified error to the HTTP edge.
func (e *DuplicateError) Unwrap() error { return e.err }

// Add suppresses a value on a channel. An address already suppressed is a
// *DuplicateError naming the suppression.
func Add(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, actor Actor, in SuppressionInput, source string) (Suppression, error) {
	ch := contacts.Channel(in.Channel)
	if !ch.Valid() {
		return Suppression{}, fault.Field("body.channel", "must be email, whatsapp, telegram or instagram", in.Channel)
	}
	if in.Reason == "" {
		in.Reason = ReasonManual
	}
	if !validReason(in.Reason) {
		return Suppression{}, fault.Field("body.reason", "must be unsubscribed, bounced, spam_complaint or manual", in.Reason)
	}
	country, err := contacts.OrgCountry(ctx, db, orgID)
	if err != nil {
		return Suppression{}, err
	}
	value, err := contacts.NormalizeAddress(ch, in.Value, country)
	if err != nil {
		return Suppression{}, fault.Field("body.value", err.Error(), in.Value)
	}
	var out dbsqlc.Suppression
	err = dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		r, err := q.CreateSuppression(ctx, tx, dbsqlc.CreateSuppressionParams{
			OrgID: orgID, Channel: string(ch), Value: value, Reason: in.Reason, Source: source,
			Note: strings.TrimSpace(in.Note), CreatedBy: actor.UserID,
		})
		if errors.Is(err, pgx.ErrNoRows) {
			existing, err := q.GetSuppressionByValue(ctx, tx, dbsqlc.GetSuppressionByValueParams{OrgID: orgID, Channel: string(ch), Value: value})
			if err != nil {
				return fmt.Errorf("reading the existing suppression: %w", err)
			}
			return &DuplicateError{ID: existing.ID, err: &fault.Error{
				Kind:       fault.Conflict,
				ExistingID: existing.ID.String(),
				Message:    fmt.Sprintf("this %s is already suppressed: %s", ch, existing.ID),
				Fields:     []fault.FieldError{{Location: "body.value", Message: "already suppressed by " + existing.ID.String(), Value: value}},
			}}
		}
		if err != nil {
			return fmt.Errorf("inserting suppression: %w", err)
		}
		out = r
		return recordEvent(ctx, tx, orgID, uuid.NullUUID{}, string(ch), value, actionSuppressed, in.Reason, source, actor)
	})
	if err != nil {
		return Suppression{}, err
	}
	return fromRow(out), nil
}

// Get returns a suppression of the org.
func Get(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) (Suppression, error) {
	r, err := dbsqlc.New().GetSuppression(ctx, db, dbsqlc.GetSuppressionParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return Suppression{}, ErrNotFound
	}
	if err != nil {
		return Suppression{}, fmt.Errorf("reading suppression: %w", err)
	}
	return fromRow(r), nil
}

// SuppressionUpdate is a suppression's editable fields.
type SuppressionUpdate struct {
	Reason *string `json:"reason,omitempty" required:"false" enum:"unsubscribed,bounced,spam_complaint,manual"`
	Note   *string `json:"note,omitempty" required:"false" maxLength:"500"`
}

// Change edits a suppression's reason or note.
func Change(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, in SuppressionUpdate) (Suppression, error) {
	if in.Reason != nil && !validReason(*in.Reason) {
		return Suppression{}, fault.Field("body.reason", "must be unsubscribed, bounced, spam_complaint or manual", *in.Reason)
	}
	if in.Note != nil {
		n := strings.TrimSpace(*in.Note)
		in.Note = &n
	}
	r, err := dbsqlc.New().UpdateSuppression(ctx, db, dbsqlc.UpdateSuppressionParams{OrgID: orgID, ID: id, Reason: in.Reason, Note: in.Note})
	if errors.Is(err, pgx.ErrNoRows) {
		return Suppression{}, ErrNotFound
	}
	if err != nil {
		return Suppression{}, fmt.Errorf("updating suppression: %w", err)
	}
	return fromRow(r), nil
}

// Remove lifts a suppression and records who did and why. A contact opted
// out on the channel stays opted out: that takes a resubscribe.
func Remove(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, actor Actor, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return fault.Field("query.reason", "is required: say why the address may be messaged again", nil)
	}
	return dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		r, err := dbsqlc.New().DeleteSuppression(ctx, tx, dbsqlc.DeleteSuppressionParams{OrgID: orgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("deleting suppression: %w", err)
		}
		return recordEvent(ctx, tx, orgID, r.ContactID, r.Channel, r.Value, actionUnsuppressed, reason, "admin", actor)
	})
}

// ListParams is one page of the list.
type ListParams struct {
	Channel string
	Reason  string
	Search  string
	Cursor  string
	Limit   int
}

// SuppressionPage is one page of suppressions.
type SuppressionPage struct {
	Items      []Suppression `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
}

type cursor struct {
	Time time.Time `json:"t"`
	ID   uuid.UUID `json:"i"`
}

// List returns the org's suppressions, newest first, a keyset page at a time.
func List(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, p ListParams) (SuppressionPage, error) {
	if p.Limit <= 0 {
		p.Limit = 50
	}
	p.Limit = min(p.Limit, 500)
	args := dbsqlc.ListSuppressionsParams{OrgID: orgID, Lim: int32(p.Limit + 1)}
	if p.Channel != "" {
		args.Channel = &p.Channel
	}
	if p.Reason != "" {
		args.Reason = &p.Reason
	}
	if s := strings.ToLower(strings.TrimSpace(p.Search)); s != "" {
		pat := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s) + "%"
		args.Search = &pat
	}
	if p.Cursor != "" {
		var c cursor
		b, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil || json.Unmarshal(b, &c) != nil {
			return SuppressionPage{}, fault.Field("query.cursor", "is not a cursor of this list: start from the first page", nil)
		}
		args.AfterTime, args.AfterID = &c.Time, c.ID
	}
	rows, err := dbsqlc.New().ListSuppressions(ctx, customPlans{db}, args)
	if err != nil {
		return SuppressionPage{}, fmt.Errorf("listing suppressions: %w", err)
	}
	page := SuppressionPage{Items: make([]Suppression, 0, len(rows))}
	for i, r := range rows {
		if i == p.Limit {
			last := rows[i-1]
			b, _ := json.Marshal(cursor{Time: last.CreatedAt, ID: last.ID})
			page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
			break
		}
		page.Items = append(page.Items, fromRow(r))
	}
	return page, nil
}

// customPlans plans each statement for its arguments (see the contacts
// list): the optional filters fold away and the search can use its index.
type customPlans struct{ dbutil.Executor }

func (c customPlans) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return c.Executor.Query(ctx, sql, append([]any{pgx.QueryExecModeCacheDescribe}, args...)...)
}

func (c customPlans) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return c.Executor.QueryRow(ctx, sql, append([]any{pgx.QueryExecModeCacheDescribe}, args...)...)
}

func (c customPlans) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return c.Executor.Exec(ctx, sql, append([]any{pgx.QueryExecModeCacheDescribe}, args...)...)
}

// SuppressedAmong returns which of values are suppressed on the channel for
// the org, in one query: the check a send or campaign makes for a batch of
// recipients. values must be normalized like contact fields (email
// lower-cased: contacts.email_normalized; WhatsApp in E.164; the Telegram
// chat id; the Instagram IGSID). Statements that select recipients in SQL
// use the contact_channels view (its sendable column) or the same
// NOT EXISTS on suppressions instead; see doc.go.
func SuppressedAmong(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, ch contacts.Channel, values []string) ([]string, error) {
	if len(values) == 0 {
		return []string{}, nil
	}
	out, err := dbsqlc.New().SuppressedAmong(ctx, db, dbsqlc.SuppressedAmongParams{OrgID: orgID, Channel: string(ch), Values: values})
	if err != nil {
		return nil, fmt.Errorf("checking suppressions: %w", err)
	}
	return out, nil
}
