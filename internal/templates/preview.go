package templates

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// ContactLookup returns a contact's values for templates: first_name,
// last_name, email and phone as strings, and attributes as a map. The
// contacts domain implements it; an unknown contact (or another org's) is
// an error whose fault kind is NotFound.
type ContactLookup func(ctx context.Context, orgID, contactID uuid.UUID) (map[string]any, error)

// ErrContactsUnavailable answers previews with a contact while no
// ContactLookup is wired.
var ErrContactsUnavailable = fault.New(fault.NotImplemented, "previewing with a contact is not available on this server yet")

// PreviewParams choose what a preview renders.
type PreviewParams struct {
	// ContactID renders for that contact; nil renders with sample values.
	ContactID *uuid.UUID
	// Values are extra values by variable name; they win over the contact's.
	Values map[string]any
	// Version previews that version; 0 the newest.
	Version int
	// UnsubscribeURL stands in for the recipient's link.
	UnsubscribeURL string
}

// TemplatePreview is a rendered template version.
type TemplatePreview struct {
	TemplateID uuid.UUID `json:"template_id"`
	Version    int       `json:"version"`
	Status     Status    `json:"status" enum:"draft,pending_approval,approved,rejected"`
	Channel    Channel   `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	Rendered
}

// PreviewTemplate renders a version of the template as a send would: with
// the contact's values (and the org's name and footer), or with the
// declared samples when no contact is given.
func PreviewTemplate(ctx context.Context, db dbutil.Executor, orgID, id uuid.UUID, p PreviewParams, contacts ContactLookup) (*TemplatePreview, error) {
	t, err := Get(ctx, db, orgID, id)
	if err != nil {
		return nil, err
	}
	out := &TemplatePreview{TemplateID: id, Version: t.Version, Status: t.Status, Channel: t.Channel}
	content := t.Content()
	if p.Version != 0 && p.Version != t.Version {
		v, err := GetVersion(ctx, db, orgID, id, p.Version)
		if errors.Is(err, ErrVersionNotFound) {
			return nil, fault.Field("body.version", fmt.Sprintf("the template has versions 1 to %d", t.LatestVersion), p.Version)
		}
		if err != nil {
			return nil, err
		}
		out.Version, out.Status, content = v.Version, v.Status, v.Content()
	}

	out.Rendered, err = renderFor(ctx, db, orgID, t.Channel, content, p.ContactID, p.Values, p.UnsubscribeURL, contacts)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// renderFor renders content as a send to the contact would (or with the
// declared samples when contactID is nil): with the org's name and, for
// email, its footer. Both previews go through it, so that a draft renders
// exactly as it will once saved.
func renderFor(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, ch Channel, content Content, contactID *uuid.UUID, values map[string]any, unsubscribeURL string, contacts ContactLookup) (Rendered, error) {
	d := Data{Values: values, UnsubscribeURL: unsubscribeURL}
	if contactID != nil {
		if contacts == nil {
			return Rendered{}, ErrContactsUnavailable
		}
		c, err := contacts(ctx, orgID, *contactID)
		if fe, ok := fault.As(err); ok && fe.Kind == fault.NotFound {
			return Rendered{}, fault.Field("body.contact_id", "no such contact in this organization", *contactID)
		}
		if err != nil {
			return Rendered{}, fmt.Errorf("reading contact: %w", err)
		}
		d.Contact = c
	} else {
		d.UseSamples = true
	}
	var err error
	d.OrgName, err = dbsqlc.New().GetOrgName(ctx, db, orgID)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return Rendered{}, fmt.Errorf("reading org name: %w", err)
	}
	var footer *Footer
	if ch == ChannelEmail {
		f, err := GetFooter(ctx, db, orgID)
		if err != nil {
			return Rendered{}, err
		}
		footer = &f
	}
	return Render(ch, content, d, footer), nil
}

// DraftParams are an unsaved template to preview: what the editor holds.
type DraftParams struct {
	Channel Channel
	Content Content
	// ContactID renders for that contact; nil renders with sample values.
	ContactID *uuid.UUID
	// Values are extra values by variable name; they win over the contact's.
	Values map[string]any
	// UnsubscribeURL stands in for the recipient's link.
	UnsubscribeURL string
}

// TemplateProblem is something that would stop a draft from being saved, as a
// save's 422 would name it.
type TemplateProblem struct {
	Location string      `json:"location" example:"body.body_html" doc:"The field, as a save's 422 names it (body.subject, body.variables[0].name, ...)."`
	Message  string      `json:"message"`
	Kind     ProblemKind `json:"kind" enum:"syntax,undeclared,unused,declaration,content" doc:"undeclared: a placeholder without a declaration; unused: a declaration no field uses; syntax: a malformed placeholder; declaration: a name that cannot be declared; content: anything else."`
	Variable string      `json:"variable,omitempty" doc:"The variable the problem is about, if any."`
}

// DraftPreview is an unsaved template rendered, with what saving it would
// refuse.
type DraftPreview struct {
	Channel Channel `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	Rendered
	// Problems are listed rather than refused, so that an editor can
	// preview as the user types and show them as warnings.
	Problems []TemplateProblem `json:"problems" doc:"What saving this content would refuse, each with its field; empty when it would save."`
}

// PreviewDraft renders content that is not saved yet, as PreviewTemplate
// renders a saved version, and lists the problems saving it would refuse
// (undeclared and unused variables, malformed placeholders, missing fields)
// instead of failing on them: the renderer prints a malformed placeholder as
// text and an undeclared one as missing.
func PreviewDraft(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, p DraftParams, contacts ContactLookup) (*DraftPreview, error) {
	if !p.Channel.Valid() {
		return nil, fault.Field("body.channel", "must be email, whatsapp, telegram or instagram", string(p.Channel))
	}
	c := p.Content
	c.Variables = slices.Clone(c.Variables)
	// check trims and derives as a save would (the text part from the HTML).
	errs := check(p.Channel, &c, false)
	out := &DraftPreview{Channel: p.Channel, Problems: make([]TemplateProblem, 0, len(errs))}
	for _, e := range errs {
		// A generated text part repeats the HTML's placeholders, and so its
		// problems: the writer fixes them in the HTML.
		if c.BodyTextGenerated && e.location == "body.body_text" {
			continue
		}
		pr := TemplateProblem{Location: e.location, Message: e.message, Kind: e.kind}
		if name, ok := e.value.(string); ok && e.kind != ProblemContent {
			pr.Variable = name
		}
		out.Problems = append(out.Problems, pr)
	}
	var err error
	out.Rendered, err = renderFor(ctx, db, orgID, p.Channel, c, p.ContactID, p.Values, p.UnsubscribeURL, contacts)
	if err != nil {
		return nil, err
	}
	return out, nil
}
