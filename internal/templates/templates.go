package templates

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
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
	ErrNotFound             = fault.New(fault.NotFound, "template not found")
	ErrVersionNotFound      = fault.New(fault.NotFound, "template version not found")
	ErrNoDefault            = fault.New(fault.NotFound, "no default template for this channel")
	ErrNotUsable            = fault.New(fault.Conflict, "the template has no approved version yet: submit it and have an admin approve it")
	ErrNameTaken            = fault.New(fault.Conflict, "a template with this name already exists for this channel")
	ErrAlreadyPending       = fault.New(fault.Conflict, "the template is already waiting for approval")
	ErrNothingToSubmit      = fault.New(fault.Conflict, "the newest version is already approved: edit the template to start a new draft")
	ErrNotPending           = fault.New(fault.Conflict, "the template is not waiting for approval: it must be submitted first")
	ErrDefaultNeedsApproval = fault.New(fault.Conflict, "only a template with an approved version can be the channel's default")
	ErrDeleteDefault        = fault.New(fault.Conflict, "this is the channel's default template: make another template the default before deleting it")
	ErrDeleteApproved       = fault.New(fault.Forbidden, "this template has an approved version in use: only admins delete it")
)

// Channel is where a template is sent.
type Channel string

// The channels.
const (
	ChannelEmail     Channel = "email"
	ChannelWhatsApp  Channel = "whatsapp"
	ChannelTelegram  Channel = "telegram"
	ChannelInstagram Channel = "instagram"
)

// Channels lists every channel.
var Channels = []Channel{ChannelEmail, ChannelWhatsApp, ChannelTelegram, ChannelInstagram}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return slices.Contains(Channels, c) }

// Status is a version's place in review.
type Status string

// The statuses. A version moves draft → pending_approval → approved or
// rejected; editing a pending or rejected version makes it a draft again.
const (
	StatusDraft           Status = "draft"
	StatusPendingApproval Status = "pending_approval"
	StatusApproved        Status = "approved"
	StatusRejected        Status = "rejected"
)

// Template is a template as shown: the identity with one version's content
// (the newest from Get and List; the approved one from GetUsable).
type Template struct {
	ID              uuid.UUID `json:"id"`
	Name            string    `json:"name"`
	Channel         Channel   `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	IsDefault       bool      `json:"is_default" doc:"The channel's default template (one per channel, approved templates only)."`
	LatestVersion   int       `json:"latest_version" doc:"The newest version's number."`
	ApprovedVersion *int      `json:"approved_version" doc:"The version sends use; null until the first approval."`
	Usable          bool      `json:"usable" doc:"Whether sends and campaigns can use it (it has an approved version)."`

	// The version shown.
	VersionID            uuid.UUID          `json:"version_id"`
	Version              int                `json:"version" doc:"The number of the version whose content this is."`
	Status               Status             `json:"status" enum:"draft,pending_approval,approved,rejected" doc:"That version's review status."`
	Subject              string             `json:"subject"`
	BodyHTML             string             `json:"body_html"`
	BodyText             string             `json:"body_text"`
	BodyTextGenerated    bool               `json:"body_text_generated" doc:"body_text was derived from body_html and follows its edits."`
	Body                 string             `json:"body"`
	ProviderTemplateName string             `json:"provider_template_name"`
	ProviderTemplateSID  string             `json:"provider_template_sid"`
	Variables            []TemplateVariable `json:"variables"`
	RejectionReason      *string            `json:"rejection_reason"`
	SubmittedBy          *uuid.UUID         `json:"submitted_by"`
	SubmittedAt          *time.Time         `json:"submitted_at"`
	ApprovedBy           *uuid.UUID         `json:"approved_by"`
	ApprovedAt           *time.Time         `json:"approved_at"`

	CreatedBy *uuid.UUID `json:"created_by"`
	UpdatedBy *uuid.UUID `json:"updated_by"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Content returns the template's content, for Render.
func (t *Template) Content() Content {
	return Content{
		Subject: t.Subject, BodyHTML: t.BodyHTML, BodyText: t.BodyText, BodyTextGenerated: t.BodyTextGenerated,
		Body: t.Body, ProviderTemplateName: t.ProviderTemplateName, ProviderTemplateSID: t.ProviderTemplateSID,
		Variables: t.Variables,
	}
}

// Render renders the template's content (see Render).
func (t *Template) Render(d Data, footer *Footer) Rendered {
	return Render(t.Channel, t.Content(), d, footer)
}

// TemplateVersion is one version of a template, as the history lists it.
type TemplateVersion struct {
	ID                   uuid.UUID          `json:"id"`
	TemplateID           uuid.UUID          `json:"template_id"`
	Version              int                `json:"version"`
	Status               Status             `json:"status" enum:"draft,pending_approval,approved,rejected"`
	InUse                bool               `json:"in_use" doc:"The approved version sends use now."`
	Subject              string             `json:"subject"`
	BodyHTML             string             `json:"body_html"`
	BodyText             string             `json:"body_text"`
	BodyTextGenerated    bool               `json:"body_text_generated"`
	Body                 string             `json:"body"`
	ProviderTemplateName string             `json:"provider_template_name"`
	ProviderTemplateSID  string             `json:"provider_template_sid"`
	Variables            []TemplateVariable `json:"variables"`
	RejectionReason      *string            `json:"rejection_reason"`
	SubmittedBy          *uuid.UUID         `json:"submitted_by"`
	SubmittedAt          *time.Time         `json:"submitted_at"`
	ApprovedBy           *uuid.UUID         `json:"approved_by"`
	ApprovedAt           *time.Time         `json:"approved_at"`
	RejectedBy           *uuid.UUID         `json:"rejected_by"`
	RejectedAt           *time.Time         `json:"rejected_at"`
	SupersededAt         *time.Time         `json:"superseded_at" doc:"When a newer version was approved in its place."`
	CreatedBy            *uuid.UUID         `json:"created_by"`
	UpdatedBy            *uuid.UUID         `json:"updated_by"`
	CreatedAt            time.Time          `json:"created_at"`
	UpdatedAt            time.Time          `json:"updated_at"`
}

// Content returns the version's content, for Render.
func (v *TemplateVersion) Content() Content {
	return Content{
		Subject: v.Subject, BodyHTML: v.BodyHTML, BodyText: v.BodyText, BodyTextGenerated: v.BodyTextGenerated,
		Body: v.Body, ProviderTemplateName: v.ProviderTemplateName, ProviderTemplateSID: v.ProviderTemplateSID,
		Variables: v.Variables,
	}
}

func nullable(u uuid.NullUUID) *uuid.UUID {
	if !u.Valid {
		return nil
	}
	id := u.UUID
	return &id
}

func decodeVariables(b []byte) ([]TemplateVariable, error) {
	vars := []TemplateVariable{}
	if len(b) == 0 {
		return vars, nil
	}
	if err := json.Unmarshal(b, &vars); err != nil {
		return nil, fmt.Errorf("decoding template variables: %w", err)
	}
	return vars, nil
}

func templateFrom(t dbsqlc.Template, v dbsqlc.TemplateVersion) (*Template, error) {
	vars, err := decodeVariables(v.Variables)
	if err != nil {
		return nil, err
	}
	out := &Template{
		ID: t.ID, Name: t.Name, Channel: Channel(t.Channel), IsDefault: t.IsDefault,
		LatestVersion: int(t.LatestVersion), Usable: t.ApprovedVersion.Valid,
		VersionID: v.ID, Version: int(v.Version), Status: Status(v.Status),
		Subject: v.Subject, BodyHTML: v.BodyHtml, BodyText: v.BodyText, BodyTextGenerated: v.BodyTextGenerated,
		Body: v.Body, ProviderTemplateName: v.ProviderTemplateName, ProviderTemplateSID: v.ProviderTemplateSid,
		Variables: vars, RejectionReason: v.RejectionReason,
		SubmittedBy: nullable(v.SubmittedBy), SubmittedAt: v.SubmittedAt,
		ApprovedBy: nullable(v.ApprovedBy), ApprovedAt: v.ApprovedAt,
		CreatedBy: nullable(t.CreatedBy), UpdatedBy: nullable(t.UpdatedBy), CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt,
	}
	if t.ApprovedVersion.Valid {
		n := int(t.ApprovedVersion.Int32)
		out.ApprovedVersion = &n
	}
	return out, nil
}

func versionFrom(v dbsqlc.TemplateVersion) (TemplateVersion, error) {
	vars, err := decodeVariables(v.Variables)
	if err != nil {
		return TemplateVersion{}, err
	}
	return TemplateVersion{
		ID: v.ID, TemplateID: v.TemplateID, Version: int(v.Version), Status: Status(v.Status),
		InUse:   v.Status == string(StatusApproved) && v.SupersededAt == nil,
		Subject: v.Subject, BodyHTML: v.BodyHtml, BodyText: v.BodyText, BodyTextGenerated: v.BodyTextGenerated,
		Body: v.Body, ProviderTemplateName: v.ProviderTemplateName, ProviderTemplateSID: v.ProviderTemplateSid,
		Variables: vars, RejectionReason: v.RejectionReason,
		SubmittedBy: nullable(v.SubmittedBy), SubmittedAt: v.SubmittedAt,
		ApprovedBy: nullable(v.ApprovedBy), ApprovedAt: v.ApprovedAt,
		RejectedBy: nullable(v.RejectedBy), RejectedAt: v.RejectedAt, SupersededAt: v.SupersededAt,
		CreatedBy: nullable(v.CreatedBy), UpdatedBy: nullable(v.UpdatedBy), CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
	}, nil
}

// Limits on content. Chat limits are the providers': WhatsApp template
// bodies 1024 characters, Telegram messages 4096, Instagram DMs 1000.
const (
	maxTemplateNameLen = 200
	maxSubjectLen      = 500
	maxReasonLen       = 1000
	maxProviderName    = 512
)

var chatBodyLimit = map[Channel]int{ChannelWhatsApp: 1024, ChannelTelegram: 4096, ChannelInstagram: 1000}

// WhatsApp template names are lower-case letters, digits and underscores;
// Twilio Content SIDs are HX and 32 hex digits.
var (
	providerNameRE = regexp.MustCompile(`^[a-z0-9_]+$`)
	providerSIDRE  = regexp.MustCompile(`^HX[0-9a-fA-F]{32}$`)
)

// prepare checks c for channel ch, derives the text body when it is empty
// (or generated and the HTML changed: regenerate says so), and checks the
// variables against the placeholders. Saving refuses any problem with a 422.
func prepare(ch Channel, c *Content, regenerate bool) error {
	return toFault(check(ch, c, regenerate))
}

// check is prepare's work, answering the problems as a list: previews of
// unsaved drafts show them as warnings instead of refusing.
func check(ch Channel, c *Content, regenerate bool) []fieldError {
	var errs []fieldError
	add := func(loc, msg string, v any) {
		errs = append(errs, fieldError{location: loc, message: msg, value: v, kind: ProblemContent})
	}
	mustBeEmpty := func(loc, value, why string) {
		if value != "" {
			add(loc, why, nil)
		}
	}
	if c.Variables == nil {
		c.Variables = []TemplateVariable{}
	}
	for i := range c.Variables {
		c.Variables[i].Name = strings.TrimSpace(c.Variables[i].Name)
	}
	var fields []fieldRefs
	switch ch {
	case ChannelEmail:
		c.Subject = strings.TrimSpace(c.Subject)
		switch {
		case c.Subject == "":
			add("body.subject", "is required for email", nil)
		case utf8.RuneCountInString(c.Subject) > maxSubjectLen:
			add("body.subject", fmt.Sprintf("must be at most %d characters", maxSubjectLen), nil)
		case strings.ContainsAny(c.Subject, "\r\n"):
			add("body.subject", "must be one line", nil)
		}
		if strings.TrimSpace(c.BodyHTML) == "" && strings.TrimSpace(c.BodyText) == "" {
			add("body.body_html", "is required for email (or give body_text for a text-only email)", nil)
		}
		if strings.TrimSpace(c.BodyHTML) == "" {
			c.BodyHTML = ""
		}
		if strings.TrimSpace(c.BodyText) == "" || (regenerate && c.BodyTextGenerated) {
			c.BodyText, c.BodyTextGenerated = "", false
			if c.BodyHTML != "" {
				c.BodyText, c.BodyTextGenerated = HTMLToText(c.BodyHTML), true
			}
		}
		mustBeEmpty("body.body", c.Body, "is for the chat channels: email uses body_html and body_text")
		mustBeEmpty("body.provider_template_name", c.ProviderTemplateName, "is for WhatsApp templates only")
		mustBeEmpty("body.provider_template_sid", c.ProviderTemplateSID, "is for WhatsApp templates only")
		fields = []fieldRefs{
			{"body.subject", Parse(c.Subject)},
			{"body.body_html", Parse(c.BodyHTML)},
			{"body.body_text", Parse(c.BodyText)},
		}
	case ChannelWhatsApp, ChannelTelegram, ChannelInstagram:
		c.BodyTextGenerated = false
		if strings.TrimSpace(c.Body) == "" {
			add("body.body", "is required", nil)
		} else if n := utf8.RuneCountInString(c.Body); n > chatBodyLimit[ch] {
			add("body.body", fmt.Sprintf("is %d characters; %s allows at most %d", n, ch, chatBodyLimit[ch]), nil)
		}
		why := "is for email templates only: " + string(ch) + " uses body"
		mustBeEmpty("body.subject", c.Subject, why)
		mustBeEmpty("body.body_html", c.BodyHTML, why)
		mustBeEmpty("body.body_text", c.BodyText, why)
		if ch == ChannelWhatsApp {
			c.ProviderTemplateName = strings.TrimSpace(c.ProviderTemplateName)
			c.ProviderTemplateSID = strings.TrimSpace(c.ProviderTemplateSID)
			if n := c.ProviderTemplateName; n != "" && (len(n) > maxProviderName || !providerNameRE.MatchString(n)) {
				add("body.provider_template_name", "must be lower-case letters, digits and underscores, as WhatsApp names templates", n)
			}
			if s := c.ProviderTemplateSID; s != "" && !providerSIDRE.MatchString(s) {
				add("body.provider_template_sid", "must be a Twilio Content SID (HX and 32 hex digits)", s)
			}
		} else {
			mustBeEmpty("body.provider_template_name", c.ProviderTemplateName, "is for WhatsApp templates only")
			mustBeEmpty("body.provider_template_sid", c.ProviderTemplateSID, "is for WhatsApp templates only")
		}
		fields = []fieldRefs{{"body.body", Parse(c.Body)}}
	default:
		add("body.channel", "must be email, whatsapp, telegram or instagram", string(ch))
	}
	return append(errs, checkVariables(fields, c.Variables)...)
}

func toFault(errs []fieldError) error {
	if len(errs) == 0 {
		return nil
	}
	fe := make([]fault.FieldError, len(errs))
	for i, e := range errs {
		fe[i] = fault.FieldError{Location: e.location, Message: e.message, Value: e.value}
	}
	return fault.Fields(fe...)
}

func checkTemplateName(name string) (string, error) {
	n := strings.TrimSpace(name)
	if n == "" || utf8.RuneCountInString(n) > maxTemplateNameLen {
		return n, fault.Field("body.name", fmt.Sprintf("must be 1 to %d characters", maxTemplateNameLen), n)
	}
	return n, nil
}

func (c Content) equal(o Content) bool {
	return c.Subject == o.Subject && c.BodyHTML == o.BodyHTML && c.BodyText == o.BodyText &&
		c.BodyTextGenerated == o.BodyTextGenerated && c.Body == o.Body &&
		c.ProviderTemplateName == o.ProviderTemplateName && c.ProviderTemplateSID == o.ProviderTemplateSID &&
		slices.EqualFunc(c.Variables, o.Variables, func(a, b TemplateVariable) bool {
			return a.Name == b.Name && equalPtr(a.Default, b.Default) && equalPtr(a.Sample, b.Sample)
		})
}

func equalPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// CreateParams are a new template.
type CreateParams struct {
	Name    string
	Channel Channel
	Content Content
	// Actor is the user doing it (none for API keys).
	Actor uuid.NullUUID
}

// Create saves a new template as a draft, version 1.
func Create(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, p CreateParams, now time.Time) (*Template, error) {
	name, nameErr := checkTemplateName(p.Name)
	if !p.Channel.Valid() {
		err := fault.Field("body.channel", "must be email, whatsapp, telegram or instagram", string(p.Channel))
		return nil, mergeFaults(nameErr, err)
	}
	c := p.Content
	if err := mergeFaults(nameErr, prepare(p.Channel, &c, false)); err != nil {
		return nil, err
	}
	vars, err := json.Marshal(c.Variables)
	if err != nil {
		return nil, fmt.Errorf("encoding variables: %w", err)
	}
	var out *Template
	err = dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		t, err := q.CreateTemplate(ctx, tx, dbsqlc.CreateTemplateParams{OrgID: orgID, Name: name, Channel: string(p.Channel), CreatedBy: p.Actor, Now: now})
		if dbutil.IsUniqueViolation(err, "templates_name_key") {
			return ErrNameTaken
		}
		if err != nil {
			return fmt.Errorf("inserting template: %w", err)
		}
		v, err := q.CreateTemplateVersion(ctx, tx, versionParams(orgID, t.ID, 1, c, vars, p.Actor, now))
		if err != nil {
			return fmt.Errorf("inserting template version: %w", err)
		}
		out, err = templateFrom(t, v)
		return err
	})
	return out, err
}

func versionParams(orgID, templateID uuid.UUID, version int32, c Content, vars []byte, actor uuid.NullUUID, now time.Time) dbsqlc.CreateTemplateVersionParams {
	return dbsqlc.CreateTemplateVersionParams{
		OrgID: orgID, TemplateID: templateID, Version: version,
		Subject: c.Subject, BodyHtml: c.BodyHTML, BodyText: c.BodyText, BodyTextGenerated: c.BodyTextGenerated, Body: c.Body,
		ProviderTemplateName: c.ProviderTemplateName, ProviderTemplateSid: c.ProviderTemplateSID,
		Variables: vars, CreatedBy: actor, Now: now,
	}
}

// mergeFaults joins validation errors so that one answer names every field.
func mergeFaults(errs ...error) error {
	var fields []fault.FieldError
	for _, err := range errs {
		if err == nil {
			continue
		}
		fe, ok := fault.As(err)
		if !ok || fe.Kind != fault.Invalid {
			return err
		}
		fields = append(fields, fe.Fields...)
	}
	return fault.Fields(fields...)
}

// Get returns the template with its newest version.
func Get(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) (*Template, error) {
	r, err := dbsqlc.New().GetTemplate(ctx, db, dbsqlc.GetTemplateParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading template: %w", err)
	}
	return templateFrom(r.Template, r.TemplateVersion)
}

// GetUsable returns the template with its approved version: what sends and
// campaigns use. ErrNotFound when the org has no such template, ErrNotUsable
// when it was never approved.
func GetUsable(ctx context.Context, db dbutil.Executor, orgID, templateID uuid.UUID) (*Template, error) {
	r, err := dbsqlc.New().GetUsableTemplate(ctx, db, dbsqlc.GetUsableTemplateParams{OrgID: orgID, ID: templateID})
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := Get(ctx, db, orgID, templateID); err != nil {
			return nil, err
		}
		return nil, ErrNotUsable
	}
	if err != nil {
		return nil, fmt.Errorf("reading usable template: %w", err)
	}
	return templateFrom(r.Template, r.TemplateVersion)
}

// GetDefault returns the channel's default template with its approved
// version, or ErrNoDefault.
func GetDefault(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, ch Channel) (*Template, error) {
	r, err := dbsqlc.New().GetDefaultTemplate(ctx, db, dbsqlc.GetDefaultTemplateParams{OrgID: orgID, Channel: string(ch)})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrNoDefault
	}
	if err != nil {
		return nil, fmt.Errorf("reading default template: %w", err)
	}
	return templateFrom(r.Template, r.TemplateVersion)
}

// GetVersion returns one version of the template.
func GetVersion(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, version int) (TemplateVersion, error) {
	if version < 1 || version > 1<<30 {
		return TemplateVersion{}, ErrVersionNotFound
	}
	r, err := dbsqlc.New().GetTemplateVersion(ctx, db, dbsqlc.GetTemplateVersionParams{OrgID: orgID, TemplateID: id, Version: int32(version)})
	if errors.Is(err, pgx.ErrNoRows) {
		if _, err := Get(ctx, db, orgID, id); err != nil {
			return TemplateVersion{}, err
		}
		return TemplateVersion{}, ErrVersionNotFound
	}
	if err != nil {
		return TemplateVersion{}, fmt.Errorf("reading template version: %w", err)
	}
	return versionFrom(r)
}

// Versions lists the template's versions, newest first.
func Versions(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID) ([]TemplateVersion, error) {
	rows, err := dbsqlc.New().ListTemplateVersions(ctx, db, dbsqlc.ListTemplateVersionsParams{OrgID: orgID, TemplateID: id})
	if err != nil {
		return nil, fmt.Errorf("listing template versions: %w", err)
	}
	if len(rows) == 0 {
		// Every template has a first version: none means no such template.
		return nil, ErrNotFound
	}
	out := make([]TemplateVersion, len(rows))
	for i, r := range rows {
		if out[i], err = versionFrom(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ListParams filter and page the list.
type ListParams struct {
	Channel Channel // "" for all
	Status  Status  // the newest version's status; "" for all
	// Usable keeps only templates with an approved version.
	Usable bool
	// Search matches names containing it, case-insensitively.
	Search string
	Limit  int
	// Cursor is a previous page's NextCursor.
	Cursor string
}

// TemplatePage is a page of templates.
type TemplatePage struct {
	Items      []Template `json:"items"`
	NextCursor string     `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page."`
}

// Default and largest page sizes.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// List returns the org's templates by name, a page at a time.
func List(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, p ListParams) (TemplatePage, error) {
	args := dbsqlc.ListTemplatesParams{OrgID: orgID, OnlyUsable: p.Usable}
	if p.Channel != "" {
		s := string(p.Channel)
		args.Channel = &s
	}
	if p.Status != "" {
		s := string(p.Status)
		args.Status = &s
	}
	if s := strings.TrimSpace(p.Search); s != "" {
		pat := "%" + likeEscaper.Replace(s) + "%"
		args.Search = &pat
	}
	if p.Cursor != "" {
		name, id, err := decodeCursor(p.Cursor)
		if err != nil {
			return TemplatePage{}, fault.Field("query.cursor", "is not a cursor from a previous page", p.Cursor)
		}
		args.AfterName, args.AfterID = &name, uuid.NullUUID{UUID: id, Valid: true}
	}
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultPageSize
	}
	limit = min(limit, MaxPageSize)
	args.MaxRows = int32(limit + 1)
	rows, err := dbsqlc.New().ListTemplates(ctx, db, args)
	if err != nil {
		return TemplatePage{}, fmt.Errorf("listing templates: %w", err)
	}
	page := TemplatePage{Items: make([]Template, 0, min(len(rows), limit))}
	for i, r := range rows {
		if i == limit {
			last := rows[i-1]
			page.NextCursor = encodeCursor(last.SortName, last.Template.ID)
			break
		}
		t, err := templateFrom(r.Template, r.TemplateVersion)
		if err != nil {
			return TemplatePage{}, err
		}
		page.Items = append(page.Items, *t)
	}
	return page, nil
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func encodeCursor(name string, id uuid.UUID) string {
	b, _ := json.Marshal([]string{name, id.String()})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (string, uuid.UUID, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return "", uuid.Nil, err
	}
	var parts []string
	if err := json.Unmarshal(b, &parts); err != nil || len(parts) != 2 {
		return "", uuid.Nil, errors.New("malformed cursor")
	}
	id, err := uuid.Parse(parts[1])
	return parts[0], id, err
}

// UpdateParams are the changes to a template; nil fields stay as they are.
type UpdateParams struct {
	Name                 *string
	Channel              *Channel
	Subject              *string
	BodyHTML             *string
	BodyText             *string
	Body                 *string
	ProviderTemplateName *string
	ProviderTemplateSID  *string
	Variables            *[]TemplateVariable
	Actor                uuid.NullUUID
}

// Update changes a template. A new name applies at once (it is not
// content). Content changes go to the newest version when it is not
// approved (which then becomes a draft again, to be resubmitted); when the
// newest version is approved they start a new draft version, and the
// approved one stays in use until the new one is approved.
func Update(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, p UpdateParams, now time.Time) (*Template, error) {
	var out *Template
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		t, err := q.LockTemplate(ctx, tx, dbsqlc.LockTemplateParams{OrgID: orgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("locking template: %w", err)
		}
		cur, err := GetVersion(ctx, tx, orgID, id, int(t.LatestVersion))
		if err != nil {
			return err
		}
		ch := Channel(t.Channel)

		var nameErr, chErr error
		name := t.Name
		if p.Name != nil {
			name, nameErr = checkTemplateName(*p.Name)
		}
		if p.Channel != nil && *p.Channel != ch {
			chErr = fault.Field("body.channel", "cannot change: create a new template for another channel", string(*p.Channel))
		}
		c := cur.Content()
		c.Variables = slices.Clone(c.Variables)
		htmlChanged := false
		set := func(dst *string, src *string) {
			if src != nil {
				*dst = *src
			}
		}
		if p.BodyHTML != nil && *p.BodyHTML != c.BodyHTML {
			htmlChanged = true
		}
		set(&c.Subject, p.Subject)
		set(&c.BodyHTML, p.BodyHTML)
		set(&c.Body, p.Body)
		set(&c.ProviderTemplateName, p.ProviderTemplateName)
		set(&c.ProviderTemplateSID, p.ProviderTemplateSID)
		if p.BodyText != nil {
			c.BodyText, c.BodyTextGenerated = *p.BodyText, false
		}
		if p.Variables != nil {
			c.Variables = slices.Clone(*p.Variables)
		}
		if err := mergeFaults(nameErr, chErr, prepare(ch, &c, htmlChanged && p.BodyText == nil)); err != nil {
			return err
		}

		if name != t.Name {
			_, err := q.RenameTemplate(ctx, tx, dbsqlc.RenameTemplateParams{Name: name, UpdatedBy: p.Actor, Now: now, OrgID: orgID, ID: id})
			if dbutil.IsUniqueViolation(err, "templates_name_key") {
				return ErrNameTaken
			}
			if err != nil {
				return fmt.Errorf("renaming template: %w", err)
			}
		}
		if !c.equal(cur.Content()) {
			vars, err := json.Marshal(c.Variables)
			if err != nil {
				return fmt.Errorf("encoding variables: %w", err)
			}
			latest := t.LatestVersion
			if cur.Status == StatusApproved {
				latest++
				if _, err := q.CreateTemplateVersion(ctx, tx, versionParams(orgID, id, latest, c, vars, p.Actor, now)); err != nil {
					return fmt.Errorf("inserting template version: %w", err)
				}
			} else {
				_, err := q.UpdateTemplateVersionContent(ctx, tx, dbsqlc.UpdateTemplateVersionContentParams{
					Subject: c.Subject, BodyHtml: c.BodyHTML, BodyText: c.BodyText, BodyTextGenerated: c.BodyTextGenerated, Body: c.Body,
					ProviderTemplateName: c.ProviderTemplateName, ProviderTemplateSid: c.ProviderTemplateSID, Variables: vars,
					UpdatedBy: p.Actor, Now: now, OrgID: orgID, TemplateID: id, Version: latest,
				})
				if err != nil {
					return fmt.Errorf("updating template version: %w", err)
				}
			}
			if err := q.TouchTemplate(ctx, tx, dbsqlc.TouchTemplateParams{LatestVersion: latest, UpdatedBy: p.Actor, Now: now, OrgID: orgID, ID: id}); err != nil {
				return fmt.Errorf("updating template: %w", err)
			}
		}
		out, err = Get(ctx, tx, orgID, id)
		return err
	})
	return out, err
}

// DeleteOpts say what the caller may delete.
type DeleteOpts struct {
	// AllowApproved lets the caller delete a template that has a version in
	// use (admins); others may only delete templates never approved.
	AllowApproved bool
}

// Delete removes a template and its versions. The channel's default cannot
// be deleted: another template must become the default first.
func Delete(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, opts DeleteOpts) error {
	return dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		t, err := q.LockTemplate(ctx, tx, dbsqlc.LockTemplateParams{OrgID: orgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("locking template: %w", err)
		}
		// Who may delete comes before what state allows (a default is approved).
		if t.ApprovedVersion.Valid && !opts.AllowApproved {
			return ErrDeleteApproved
		}
		if t.IsDefault {
			return ErrDeleteDefault
		}
		if _, err := q.DeleteTemplate(ctx, tx, dbsqlc.DeleteTemplateParams{OrgID: orgID, ID: id}); err != nil {
			return fmt.Errorf("deleting template: %w", err)
		}
		return nil
	})
}

// review runs one review step on the newest version under the template's lock.
func review(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, fn func(q *dbsqlc.Queries, tx pgx.Tx, t dbsqlc.Template, latest TemplateVersion) error) (*Template, error) {
	var out *Template
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		t, err := q.LockTemplate(ctx, tx, dbsqlc.LockTemplateParams{OrgID: orgID, ID: id})
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("locking template: %w", err)
		}
		latest, err := GetVersion(ctx, tx, orgID, id, int(t.LatestVersion))
		if err != nil {
			return err
		}
		if err := fn(q, tx, t, latest); err != nil {
			return err
		}
		out, err = Get(ctx, tx, orgID, id)
		return err
	})
	return out, err
}

// Submit sends the newest version (a draft, or a rejected version) for approval.
func Submit(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, actor uuid.NullUUID, now time.Time) (*Template, error) {
	return review(ctx, db, orgID, id, func(q *dbsqlc.Queries, tx pgx.Tx, t dbsqlc.Template, latest TemplateVersion) error {
		switch latest.Status {
		case StatusPendingApproval:
			return ErrAlreadyPending
		case StatusApproved:
			return ErrNothingToSubmit
		}
		if _, err := q.SubmitTemplateVersion(ctx, tx, dbsqlc.SubmitTemplateVersionParams{
			Actor: actor, Now: now, OrgID: orgID, TemplateID: id, Version: t.LatestVersion,
		}); err != nil {
			return fmt.Errorf("submitting template version: %w", err)
		}
		return touch(ctx, q, tx, t, actor, now)
	})
}

// Approve approves the pending newest version: it becomes the version in
// use, and the one used before is marked superseded.
func Approve(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, actor uuid.NullUUID, now time.Time) (*Template, error) {
	return review(ctx, db, orgID, id, func(q *dbsqlc.Queries, tx pgx.Tx, t dbsqlc.Template, latest TemplateVersion) error {
		if latest.Status != StatusPendingApproval {
			return ErrNotPending
		}
		if _, err := q.ApproveTemplateVersion(ctx, tx, dbsqlc.ApproveTemplateVersionParams{
			Actor: actor, Now: now, OrgID: orgID, TemplateID: id, Version: t.LatestVersion,
		}); err != nil {
			return fmt.Errorf("approving template version: %w", err)
		}
		if t.ApprovedVersion.Valid {
			if err := q.SupersedeTemplateVersion(ctx, tx, dbsqlc.SupersedeTemplateVersionParams{
				Now: now, OrgID: orgID, TemplateID: id, Version: t.ApprovedVersion.Int32,
			}); err != nil {
				return fmt.Errorf("superseding template version: %w", err)
			}
		}
		if err := q.SetTemplateApprovedVersion(ctx, tx, dbsqlc.SetTemplateApprovedVersionParams{
			ApprovedVersion: t.LatestVersion, UpdatedBy: actor, Now: now, OrgID: orgID, ID: id,
		}); err != nil {
			return fmt.Errorf("recording approved version: %w", err)
		}
		return nil
	})
}

// Reject sends the pending newest version back with a reason. The version
// in use (if any) stays in use.
func Reject(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, reason string, actor uuid.NullUUID, now time.Time) (*Template, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > maxReasonLen {
		return nil, fault.Field("body.reason", fmt.Sprintf("must be 1 to %d characters: say what to change", maxReasonLen), reason)
	}
	return review(ctx, db, orgID, id, func(q *dbsqlc.Queries, tx pgx.Tx, t dbsqlc.Template, latest TemplateVersion) error {
		if latest.Status != StatusPendingApproval {
			return ErrNotPending
		}
		if _, err := q.RejectTemplateVersion(ctx, tx, dbsqlc.RejectTemplateVersionParams{
			Reason: reason, Actor: actor, Now: now, OrgID: orgID, TemplateID: id, Version: t.LatestVersion,
		}); err != nil {
			return fmt.Errorf("rejecting template version: %w", err)
		}
		return touch(ctx, q, tx, t, actor, now)
	})
}

func touch(ctx context.Context, q *dbsqlc.Queries, tx pgx.Tx, t dbsqlc.Template, actor uuid.NullUUID, now time.Time) error {
	if err := q.TouchTemplate(ctx, tx, dbsqlc.TouchTemplateParams{LatestVersion: t.LatestVersion, UpdatedBy: actor, Now: now, OrgID: t.OrgID, ID: t.ID}); err != nil {
		return fmt.Errorf("updating template: %w", err)
	}
	return nil
}

// MakeDefault makes the template its channel's default, in place of the
// previous one. Only templates with an approved version qualify.
func MakeDefault(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, actor uuid.NullUUID, now time.Time) (*Template, error) {
	var out *Template
	err := dbutil.WithTx(ctx, db, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		cur, err := Get(ctx, tx, orgID, id)
		if err != nil {
			return err
		}
		if !cur.Usable {
			return ErrDefaultNeedsApproval
		}
		if !cur.IsDefault {
			// The channel never changes, so the lock key is known before the lock.
			if err := q.LockDefaultSlot(ctx, tx, dbsqlc.LockDefaultSlotParams{OrgID: orgID, Channel: string(cur.Channel)}); err != nil {
				return fmt.Errorf("locking the channel's default: %w", err)
			}
			// Two statements: the unique index is checked row by row, so the
			// old default must be cleared before the new one is set.
			if err := q.ClearDefaultTemplate(ctx, tx, dbsqlc.ClearDefaultTemplateParams{Now: now, OrgID: orgID, Channel: string(cur.Channel)}); err != nil {
				return fmt.Errorf("clearing default template: %w", err)
			}
			n, err := q.SetDefaultTemplate(ctx, tx, dbsqlc.SetDefaultTemplateParams{UpdatedBy: actor, Now: now, OrgID: orgID, ID: id})
			if err != nil {
				return fmt.Errorf("setting default template: %w", err)
			}
			if n == 0 {
				return ErrNotFound // deleted since it was read
			}
		}
		out, err = Get(ctx, tx, orgID, id)
		return err
	})
	return out, err
}
