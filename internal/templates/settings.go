package templates

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// DefaultFooter is the footer of orgs that have not written their own.
var DefaultFooter = Footer{
	HTML: `<p style="margin:24px 0 0;font-size:12px;line-height:18px;color:#6b7280;text-align:center">` +
		`You are receiving this email from {{org.name}}. <a href="{{unsubscribe_url}}" style="color:#6b7280">Unsubscribe</a></p>`,
	Text: "You are receiving this email from {{org.name}}.\nUnsubscribe: {{unsubscribe_url}}",
}

// TemplateSettings are an org's template settings.
type TemplateSettings struct {
	EmailFooterHTML string `json:"email_footer_html" doc:"Appended to email HTML bodies that have no {{unsubscribe_url}}."`
	EmailFooterText string `json:"email_footer_text" doc:"Appended to email text bodies that have no {{unsubscribe_url}}."`
	// IsDefault: the org has not written its own footer.
	IsDefault bool       `json:"is_default" doc:"True while the org uses the built-in footer."`
	UpdatedBy *uuid.UUID `json:"updated_by"`
	UpdatedAt *time.Time `json:"updated_at"`
}

// Footer returns the settings' footer.
func (s TemplateSettings) Footer() Footer {
	return Footer{HTML: s.EmailFooterHTML, Text: s.EmailFooterText}
}

// GetSettings returns the org's settings, or the defaults.
func GetSettings(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) (TemplateSettings, error) {
	r, err := dbsqlc.New().GetTemplateSettings(ctx, db, orgID)
	if errors.Is(err, pgx.ErrNoRows) {
		return TemplateSettings{EmailFooterHTML: DefaultFooter.HTML, EmailFooterText: DefaultFooter.Text, IsDefault: true}, nil
	}
	if err != nil {
		return TemplateSettings{}, fmt.Errorf("reading template settings: %w", err)
	}
	at := r.UpdatedAt
	return TemplateSettings{EmailFooterHTML: r.EmailFooterHtml, EmailFooterText: r.EmailFooterText, UpdatedBy: nullable(r.UpdatedBy), UpdatedAt: &at}, nil
}

// GetFooter returns the org's email footer.
func GetFooter(ctx context.Context, db dbutil.Executor, orgID uuid.UUID) (Footer, error) {
	s, err := GetSettings(ctx, db, orgID)
	return s.Footer(), err
}

// SettingsParams are new settings. An empty text footer is derived from
// the HTML one.
type SettingsParams struct {
	EmailFooterHTML string
	EmailFooterText string
	Actor           uuid.NullUUID
}

// PutSettings replaces the org's settings. Both footers must carry
// {{unsubscribe_url}} (they exist to add it) and may use only built-in
// variables: they are appended to every template.
func PutSettings(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, p SettingsParams, now time.Time) (TemplateSettings, error) {
	p.EmailFooterHTML = strings.TrimSpace(p.EmailFooterHTML)
	p.EmailFooterText = strings.TrimSpace(p.EmailFooterText)
	if p.EmailFooterText == "" && p.EmailFooterHTML != "" {
		p.EmailFooterText = HTMLToText(p.EmailFooterHTML)
	}
	var errs []fieldError
	for _, f := range []struct{ loc, src string }{
		{"body.email_footer_html", p.EmailFooterHTML},
		{"body.email_footer_text", p.EmailFooterText},
	} {
		parsed := Parse(f.src)
		for _, se := range parsed.Errors {
			errs = append(errs, fieldError{f.loc, se.Error(), nil, ProblemSyntax})
		}
		for _, name := range parsed.Names() {
			if !IsBuiltin(name) {
				errs = append(errs, fieldError{f.loc, fmt.Sprintf("uses %q: a footer may only use the built-in variables (%s)",
					name, strings.Join(append(append([]string{}, SystemVariables...), ContactVariables...), ", ")), name, ProblemUndeclared})
			}
		}
		if !uses(parsed, VarUnsubscribeURL) {
			errs = append(errs, fieldError{f.loc, "must contain {{unsubscribe_url}}: the footer is what gives templates without one an unsubscribe link", nil, ProblemContent})
		}
	}
	if err := toFault(errs); err != nil {
		return TemplateSettings{}, err
	}
	_, err := dbsqlc.New().UpsertTemplateSettings(ctx, db, dbsqlc.UpsertTemplateSettingsParams{
		OrgID: orgID, EmailFooterHtml: p.EmailFooterHTML, EmailFooterText: p.EmailFooterText, UpdatedBy: p.Actor, Now: now,
	})
	if err != nil {
		return TemplateSettings{}, fmt.Errorf("saving template settings: %w", err)
	}
	return GetSettings(ctx, db, orgID)
}
