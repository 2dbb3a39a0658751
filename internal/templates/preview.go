package templates

import (
	"context"
	"errors"
	"fmt"

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

	d := Data{Values: p.Values, UnsubscribeURL: p.UnsubscribeURL}
	if p.ContactID != nil {
		if contacts == nil {
			return nil, ErrContactsUnavailable
		}
		c, err := contacts(ctx, orgID, *p.ContactID)
		if fe, ok := fault.As(err); ok && fe.Kind == fault.NotFound {
			return nil, fault.Field("body.contact_id", "no such contact in this organization", *p.ContactID)
		}
		if err != nil {
			return nil, fmt.Errorf("reading contact: %w", err)
		}
		d.Contact = c
	} else {
		d.UseSamples = true
	}
	d.OrgName, err = dbsqlc.New().GetOrgName(ctx, db, orgID)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("reading org name: %w", err)
	}
	var footer *Footer
	if t.Channel == ChannelEmail {
		f, err := GetFooter(ctx, db, orgID)
		if err != nil {
			return nil, err
		}
		footer = &f
	}
	out.Rendered = Render(t.Channel, content, d, footer)
	return out, nil
}
