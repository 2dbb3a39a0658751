package contacts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// Errors of the domain.
var (
	ErrNotFound      = fault.New(fault.NotFound, "contact not found")
	ErrGroupNotFound = fault.New(fault.NotFound, "group not found")
	ErrOrgNotFound   = fault.New(fault.NotFound, "organization not found")
	errNoChannel     = fault.Field("body", "a contact needs at least one of email, phone, whatsapp, telegram_chat_id or instagram_id", nil)
)

// Contact is someone an org reaches on one or more channels.
type Contact struct {
	ID                uuid.UUID          `json:"id"`
	Email             *string            `json:"email" doc:"Trimmed, with the domain lower-cased; unique in the org regardless of case."`
	Phone             *string            `json:"phone" doc:"E.164, e.g. +4930123456; unique in the org."`
	WhatsApp          *string            `json:"whatsapp" doc:"The WhatsApp number in E.164; unique in the org."`
	TelegramChatID    *string            `json:"telegram_chat_id" doc:"The chat id of the org's bot with the person; unique in the org."`
	TelegramUsername  *string            `json:"telegram_username"`
	InstagramID       *string            `json:"instagram_id" doc:"The Instagram-scoped id (IGSID) of the person; unique in the org."`
	InstagramUsername *string            `json:"instagram_username"`
	FirstName         string             `json:"first_name"`
	LastName          string             `json:"last_name"`
	Locale            string             `json:"locale" doc:"A language tag like en or pt-BR; empty when unknown."`
	Timezone          string             `json:"timezone" doc:"An IANA time zone; empty when unknown."`
	Attributes        map[string]any     `json:"attributes" doc:"Free-form values, usable in templates as {{attributes.name}}."`
	Tags              []string           `json:"tags"`
	Consent           map[string]Consent `json:"consent" doc:"Recorded consent per channel (email, whatsapp, telegram, instagram); a channel missing has none recorded."`
	GroupIDs          []uuid.UUID        `json:"group_ids,omitempty" doc:"The groups the contact is in (on single reads)."`
	CreatedAt         time.Time          `json:"created_at"`
	UpdatedAt         time.Time          `json:"updated_at"`
}

// Consent is a contact's recorded choice on one channel.
type Consent struct {
	Status string    `json:"status" enum:"opted_in,opted_out"`
	Source string    `json:"source" doc:"Where it was recorded: api, import, unsubscribe_page, one_click, admin, ..."`
	At     time.Time `json:"at"`
}

// Consent statuses.
const (
	ConsentOptedIn  = "opted_in"
	ConsentOptedOut = "opted_out"
)

// FromRow converts a stored contact.
func FromRow(r dbsqlc.Contact) Contact {
	c := Contact{
		ID: r.ID, Email: r.Email, Phone: r.Phone, WhatsApp: r.Whatsapp, TelegramChatID: r.TelegramChatID,
		TelegramUsername: r.TelegramUsername, InstagramID: r.InstagramID, InstagramUsername: r.InstagramUsername,
		FirstName: r.FirstName, LastName: r.LastName, Locale: r.Locale, Timezone: r.Timezone,
		Tags: r.Tags, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		Attributes: map[string]any{}, Consent: map[string]Consent{},
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	_ = json.Unmarshal(r.Attributes, &c.Attributes)
	_ = json.Unmarshal(r.Consent, &c.Consent)
	return c
}

// Address is the contact's address on ch as the suppression list keys it
// (email lower-cased), or nil.
func Address(r dbsqlc.Contact, ch Channel) *string {
	switch ch {
	case ChannelEmail:
		return r.EmailNormalized
	case ChannelWhatsApp:
		return r.Whatsapp
	case ChannelTelegram:
		return r.TelegramChatID
	case ChannelInstagram:
		return r.InstagramID
	}
	return nil
}

// ContactInput is a contact's fields as a client sends them. On update, a field
// left out stays as it is; an empty string clears a channel field.
type ContactInput struct {
	Email             *string                 `json:"email,omitempty" required:"false" maxLength:"320"`
	Phone             *string                 `json:"phone,omitempty" required:"false" maxLength:"40" doc:"International (+4930...) or local to the org's default country."`
	WhatsApp          *string                 `json:"whatsapp,omitempty" required:"false" maxLength:"40" doc:"International (+4930...) or local to the org's default country."`
	TelegramChatID    *string                 `json:"telegram_chat_id,omitempty" required:"false" maxLength:"24"`
	TelegramUsername  *string                 `json:"telegram_username,omitempty" required:"false" maxLength:"40"`
	InstagramID       *string                 `json:"instagram_id,omitempty" required:"false" maxLength:"40"`
	InstagramUsername *string                 `json:"instagram_username,omitempty" required:"false" maxLength:"40"`
	FirstName         *string                 `json:"first_name,omitempty" required:"false" maxLength:"200"`
	LastName          *string                 `json:"last_name,omitempty" required:"false" maxLength:"200"`
	Locale            *string                 `json:"locale,omitempty" required:"false" maxLength:"35"`
	Timezone          *string                 `json:"timezone,omitempty" required:"false" maxLength:"64"`
	Attributes        map[string]any          `json:"attributes,omitempty" required:"false" doc:"Replaces the attributes when given."`
	Tags              []string                `json:"tags,omitempty" required:"false" maxItems:"50" doc:"Replaces the tags when given."`
	Consent           map[string]ConsentInput `json:"consent,omitempty" required:"false" doc:"Initial consent per channel, on create only. Later changes go through unsubscribe and resubscribe."`
}

// ConsentInput is consent given when creating a contact.
type ConsentInput struct {
	Status string `json:"status" enum:"opted_in,opted_out"`
	Source string `json:"source,omitempty" required:"false" maxLength:"100" doc:"Where it was given, e.g. signup_form; api when empty."`
}

// normalized holds ContactInput after normalization. Channel pointers are nil when
// not given, and point at "" to clear.
type normalized struct {
	email, phone, whatsapp, tgID, tgUser, igID, igUser *string
	firstName, lastName, locale, timezone              *string
	attributes                                         []byte
	tags                                               []string
	consent                                            []byte
}

// normalize checks and normalizes every given field, naming each one at
// fault. country reads local phone numbers.
func (in *ContactInput) normalize(country string, now time.Time, create bool) (*normalized, error) {
	var fields []fault.FieldError
	bad := func(name string, err error, v any) {
		fields = append(fields, fault.FieldError{Location: "body." + name, Message: err.Error(), Value: v})
	}
	out := &normalized{}
	channel := func(name string, raw *string, fn func(string) (string, error)) *string {
		if raw == nil {
			return nil
		}
		if *raw == "" {
			return raw
		}
		v, err := fn(*raw)
		if err != nil {
			bad(name, err, *raw)
			return nil
		}
		return &v
	}
	phone := func(s string) (string, error) { return NormalizePhone(s, country) }
	out.email = channel("email", in.Email, NormalizeEmail)
	out.phone = channel("phone", in.Phone, phone)
	out.whatsapp = channel("whatsapp", in.WhatsApp, phone)
	out.tgID = channel("telegram_chat_id", in.TelegramChatID, NormalizeTelegramChatID)
	out.tgUser = channel("telegram_username", in.TelegramUsername, func(s string) (string, error) { return normalizeUsername(s, telegramUsername, "Telegram") })
	out.igID = channel("instagram_id", in.InstagramID, NormalizeInstagramID)
	out.igUser = channel("instagram_username", in.InstagramUsername, func(s string) (string, error) { return normalizeUsername(s, instagramUsername, "Instagram") })

	text := func(name string, raw *string, fn func(string) (string, error)) *string {
		if raw == nil {
			return nil
		}
		v, err := fn(*raw)
		if err != nil {
			bad(name, err, *raw)
			return nil
		}
		return &v
	}
	out.firstName = text("first_name", in.FirstName, normalizeName)
	out.lastName = text("last_name", in.LastName, normalizeName)
	out.locale = text("locale", in.Locale, normalizeLocale)
	out.timezone = text("timezone", in.Timezone, zoneCache{}.normalize)

	if in.Attributes != nil {
		b, err := encodeAttributes(in.Attributes)
		if err != nil {
			bad("attributes", err, nil)
		}
		out.attributes = b
	}
	if in.Tags != nil {
		t, err := normalizeTags(in.Tags)
		if err != nil {
			bad("tags", err, nil)
		}
		out.tags = t
	}
	if len(in.Consent) > 0 {
		if !create {
			bad("consent", errors.New("changes only through unsubscribe and resubscribe"), nil)
		}
		consent := map[string]Consent{}
		for ch, c := range in.Consent {
			if !Channel(ch).Valid() {
				bad("consent."+ch, errors.New("is not a channel: use email, whatsapp, telegram or instagram"), nil)
				continue
			}
			if c.Status != ConsentOptedIn && c.Status != ConsentOptedOut {
				bad("consent."+ch+".status", errors.New("must be opted_in or opted_out"), c.Status)
				continue
			}
			src := c.Source
			if src == "" {
				src = "api"
			}
			consent[ch] = Consent{Status: c.Status, Source: src, At: now.UTC()}
		}
		out.consent, _ = json.Marshal(consent)
	}
	if err := fault.Fields(fields...); err != nil {
		return nil, err
	}
	return out, nil
}

func (n *normalized) hasChannel() bool {
	for _, p := range []*string{n.email, n.phone, n.whatsapp, n.tgID, n.igID} {
		if p != nil && *p != "" {
			return true
		}
	}
	return false
}

// nonEmpty maps "" (clear) to nil for storage.
func nonEmpty(p *string) *string {
	if p == nil || *p == "" {
		return nil
	}
	return p
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// DuplicateError answers a create or update whose channel value belongs to
// another contact of the org: a 409 naming that contact.
type DuplicateError struct {
	// Field is the input at fault (email, phone, whatsapp, telegram_chat_id, instagram_id).
	Field string
	// ContactID is the contact that holds the value.
	ContactID uuid.UUID
	err       *fault.Error
}

func newDuplicateError(field string, id uuid.UUID, value any) *DuplicateError {
	return &DuplicateError{Field: field, ContactID: id, err: &fault.Error{
		Kind:       fault.Conflict,
		Message:    fmt.Sprintf("a contact with this %s already exists: %s", field, id),
		ExistingID: id.String(),
		Fields:     []fault.FieldError{{Location: "body." + field, Message: "already belongs to contact " + id.String(), Value: value}},
	}}
}

// Error is the message shown to the caller.
func (e *DuplicateError) Error() string { return e.err.Message }

// Unwrap exposes the classified error to the HTTP edge.
func (e *DuplicateError) Unwrap() error { return e.err }

// OrgCountry is the org's default country, which reads local phone numbers.
func OrgCountry(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) (string, error) {
	o, err := dbsqlc.New().GetOrg(ctx, db, orgID)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", ErrOrgNotFound
	}
	if err != nil {
		return "", fmt.Errorf("reading org: %w", err)
	}
	return o.DefaultCountry, nil
}

// Create adds a contact. A channel value held by another contact of the org
// is a *DuplicateError; the unique indexes decide, so two concurrent
// creates of the same email give one contact and one 409.
func Create(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, in ContactInput, now time.Time) (Contact, error) {
	country, err := OrgCountry(ctx, db, orgID)
	if err != nil {
		return Contact{}, err
	}
	n, err := in.normalize(country, now, true)
	if err != nil {
		return Contact{}, err
	}
	if !n.hasChannel() {
		return Contact{}, errNoChannel
	}
	if n.attributes == nil {
		n.attributes = []byte("{}")
	}
	if n.consent == nil {
		n.consent = []byte("{}")
	}
	if n.tags == nil {
		n.tags = []string{}
	}
	q := dbsqlc.New()
	params := dbsqlc.CreateContactParams{
		OrgID: orgID, Email: nonEmpty(n.email), Phone: nonEmpty(n.phone), Whatsapp: nonEmpty(n.whatsapp),
		TelegramChatID: nonEmpty(n.tgID), TelegramUsername: nonEmpty(n.tgUser), InstagramID: nonEmpty(n.igID),
		InstagramUsername: nonEmpty(n.igUser), FirstName: deref(n.firstName), LastName: deref(n.lastName),
		Locale: deref(n.locale), Timezone: deref(n.timezone), Attributes: n.attributes, Tags: n.tags, Consent: n.consent,
	}
	// ON CONFLICT DO NOTHING waits for a concurrent insert of the same value
	// to commit, so the lookup below then sees the winner. If the winner is
	// deleted in between, inserting again is right.
	for range 3 {
		r, err := q.CreateContact(ctx, db, params)
		if err == nil {
			return FromRow(r), nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return Contact{}, fmt.Errorf("inserting contact: %w", err)
		}
		if err := findConflict(ctx, db, orgID, uuid.Nil, params.Email, params.Phone, params.Whatsapp, params.TelegramChatID, params.InstagramID); err != nil {
			return Contact{}, err
		}
	}
	return Contact{}, fault.New(fault.Conflict, "the contact's values keep colliding with contacts being changed: try again")
}

// findConflict returns a *DuplicateError for the contact (other than
// exclude) holding one of the values, or nil when there is none.
func findConflict(ctx context.Context, db dbutil.Executor, orgID, exclude uuid.UUID, email, phone, whatsapp, tgID, igID *string) error {
	r, err := dbsqlc.New().FindContactConflict(ctx, db, dbsqlc.FindContactConflictParams{
		OrgID: orgID, ExcludeID: exclude, Email: email, Phone: phone, Whatsapp: whatsapp, TelegramChatID: tgID, InstagramID: igID,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("looking up the duplicate contact: %w", err)
	}
	value := map[string]*string{"email": email, "phone": phone, "whatsapp": whatsapp, "telegram_chat_id": tgID, "instagram_id": igID}[r.Field]
	return newDuplicateError(r.Field, r.ID, deref(value))
}

// Get returns the contact with its groups.
func Get(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) (Contact, error) {
	q := dbsqlc.New()
	r, err := q.GetContact(ctx, db, dbsqlc.GetContactParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return Contact{}, ErrNotFound
	}
	if err != nil {
		return Contact{}, fmt.Errorf("reading contact: %w", err)
	}
	c := FromRow(r)
	c.GroupIDs, err = q.ListContactGroupIDs(ctx, db, dbsqlc.ListContactGroupIDsParams{OrgID: orgID, ContactID: id})
	if err != nil {
		return Contact{}, fmt.Errorf("reading contact's groups: %w", err)
	}
	return c, nil
}

// Update changes the given fields. Removing the last channel is a 422; a
// value held by another contact is a *DuplicateError. It runs in its own
// transaction (a savepoint when db is one), so a collision leaves the
// caller's transaction usable.
func Update(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, in ContactInput) (Contact, error) {
	country, err := OrgCountry(ctx, db, orgID)
	if err != nil {
		return Contact{}, err
	}
	n, err := in.normalize(country, time.Time{}, false)
	if err != nil {
		return Contact{}, err
	}
	p := dbsqlc.UpdateContactParams{
		OrgID: orgID, ID: id,
		SetEmail: n.email != nil, Email: nonEmpty(n.email),
		SetPhone: n.phone != nil, Phone: nonEmpty(n.phone),
		SetWhatsapp: n.whatsapp != nil, Whatsapp: nonEmpty(n.whatsapp),
		SetTelegramChatID: n.tgID != nil, TelegramChatID: nonEmpty(n.tgID),
		SetTelegramUsername: n.tgUser != nil, TelegramUsername: nonEmpty(n.tgUser),
		SetInstagramID: n.igID != nil, InstagramID: nonEmpty(n.igID),
		SetInstagramUsername: n.igUser != nil, InstagramUsername: nonEmpty(n.igUser),
		FirstName: n.firstName, LastName: n.lastName, Locale: n.locale, Timezone: n.timezone,
		Attributes: n.attributes, Tags: n.tags,
	}
	var row dbsqlc.Contact
	err = dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		row, err = dbsqlc.New().UpdateContact(ctx, tx, p)
		return err
	})
	var pgErr *pgconn.PgError
	switch {
	case err == nil:
	case errors.Is(err, pgx.ErrNoRows):
		return Contact{}, ErrNotFound
	case errors.As(err, &pgErr) && pgErr.ConstraintName == "contacts_has_channel":
		return Contact{}, errNoChannel
	case dbutil.IsUniqueViolation(err, ""):
		if err := findConflict(ctx, db, orgID, id, p.Email, p.Phone, p.Whatsapp, p.TelegramChatID, p.InstagramID); err != nil {
			return Contact{}, err
		}
		return Contact{}, fault.New(fault.Conflict, "the contact's values collided with a contact being changed: try again")
	default:
		return Contact{}, fmt.Errorf("updating contact: %w", err)
	}
	return Get(ctx, db, orgID, row.ID)
}

// Delete removes the contact (and its group memberships). Its suppressions
// stay: they are keyed by address.
func Delete(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) error {
	n, err := dbsqlc.New().DeleteContact(ctx, db, dbsqlc.DeleteContactParams{OrgID: orgID, ID: id})
	if err != nil {
		return fmt.Errorf("deleting contact: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// TemplateValues are the contact's fields as template variables see them
// ({{first_name}}, {{email}}, {{attributes.plan}}, ...).
func TemplateValues(c Contact) map[string]any {
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	attrs := c.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	return map[string]any{
		"first_name": c.FirstName, "last_name": c.LastName, "email": str(c.Email), "phone": str(c.Phone),
		"attributes": attrs,
	}
}
