package templates

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// The scopes an API key needs for the template routes.
const (
	ScopeRead    = "templates:read"
	ScopeWrite   = "templates:write"
	ScopeApprove = "templates:approve"
)

// Handlers serves /api/v1/templates.
type Handlers struct {
	DB  dbutil.Executor
	Now func() time.Time
	// Contacts reads a contact for previews; nil until the contacts domain
	// is wired, when previews with a contact_id answer 501.
	Contacts ContactLookup
	// PublicBaseURL makes the stand-in unsubscribe link of previews.
	PublicBaseURL string
}

// IDPath is the {id} path parameter.
type IDPath struct {
	ID uuid.UUID `path:"id"`
}

// TemplateContentBody is a template's content in requests. Which fields apply
// depends on the channel: subject, body_html and body_text for email; body
// (and provider_template_* for WhatsApp) for the chat channels.
type TemplateContentBody struct {
	Subject              string             `json:"subject,omitempty" maxLength:"2000" doc:"Email only. Required for email."`
	BodyHTML             string             `json:"body_html,omitempty" maxLength:"1048576" doc:"Email only. Values are HTML-escaped when rendered."`
	BodyText             string             `json:"body_text,omitempty" maxLength:"262144" doc:"Email only. Generated from body_html when empty."`
	Body                 string             `json:"body,omitempty" maxLength:"8192" doc:"WhatsApp, Telegram and Instagram: the message text."`
	ProviderTemplateName string             `json:"provider_template_name,omitempty" maxLength:"512" doc:"WhatsApp only: the approved WhatsApp template's name."`
	ProviderTemplateSID  string             `json:"provider_template_sid,omitempty" maxLength:"64" doc:"WhatsApp only: the Twilio Content SID (HX...)."`
	Variables            []TemplateVariable `json:"variables,omitempty" maxItems:"100" doc:"Every variable the content uses, except the built-ins (org.name, unsubscribe_url, first_name, last_name, email, phone)."`
}

func (b TemplateContentBody) content() Content {
	return Content{
		Subject: b.Subject, BodyHTML: b.BodyHTML, BodyText: b.BodyText, Body: b.Body,
		ProviderTemplateName: b.ProviderTemplateName, ProviderTemplateSID: b.ProviderTemplateSID, Variables: b.Variables,
	}
}

// TemplateCreateBody is a new template.
type TemplateCreateBody struct {
	Name    string  `json:"name" maxLength:"400"`
	Channel Channel `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	TemplateContentBody
}

// TemplatePatchBody changes a template; absent fields stay as they are.
type TemplatePatchBody struct {
	Name                 *string             `json:"name,omitempty" maxLength:"400"`
	Channel              *Channel            `json:"channel,omitempty" enum:"email,whatsapp,telegram,instagram" doc:"Cannot change; accepted when equal."`
	Subject              *string             `json:"subject,omitempty" maxLength:"2000"`
	BodyHTML             *string             `json:"body_html,omitempty" maxLength:"1048576"`
	BodyText             *string             `json:"body_text,omitempty" maxLength:"262144" doc:"\"\" to generate it from body_html again."`
	Body                 *string             `json:"body,omitempty" maxLength:"8192"`
	ProviderTemplateName *string             `json:"provider_template_name,omitempty" maxLength:"512"`
	ProviderTemplateSID  *string             `json:"provider_template_sid,omitempty" maxLength:"64"`
	Variables            *[]TemplateVariable `json:"variables,omitempty" maxItems:"100" doc:"Replaces the declared variables."`
}

// TemplateDraftPreviewBody is an unsaved template to preview: the editor's
// content, and whom to render it for.
type TemplateDraftPreviewBody struct {
	Channel Channel `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	TemplateContentBody
	ContactID *uuid.UUID     `json:"contact_id,omitempty" doc:"Render for this contact; sample values when absent."`
	Values    map[string]any `json:"values,omitempty" doc:"Values by variable name; they win over the contact's and the samples."`
}

// ListQuery filters the list.
type ListQuery struct {
	Channel string `query:"channel" enum:"email,whatsapp,telegram,instagram" doc:"Only this channel."`
	Status  string `query:"status" enum:"draft,pending_approval,approved,rejected" doc:"Only templates whose newest version has this status."`
	Usable  bool   `query:"usable" doc:"Only templates with an approved version (what sends can use)."`
	Search  string `query:"search" maxLength:"200" doc:"Names containing this, case-insensitively."`
	Limit   int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor  string `query:"cursor" maxLength:"1000" doc:"next_cursor of the previous page."`
}

// ItemsBody wraps list answers.
type ItemsBody[T any] struct {
	Items []T `json:"items"`
}

type templateOutput struct{ Body *Template }

// Register mounts the routes. Reading is for every role; members write and
// submit; admins approve, reject, choose defaults and set the footer.
func (h *Handlers) Register(api huma.API) {
	tags := []string{"Templates"}
	read := auth.Access{Role: auth.RoleViewer, Scope: ScopeRead}
	write := auth.Access{Role: auth.RoleMember, Scope: ScopeWrite}
	approve := auth.Access{Role: auth.RoleAdmin, Scope: ScopeApprove}
	actor := func(ctx context.Context) uuid.NullUUID { return auth.PrincipalFrom(ctx).CreatedBy() }
	orgOf := func(ctx context.Context) uuid.UUID { return auth.PrincipalFrom(ctx).OrgID }

	// The settings routes come before /{id}: the router matches in order.
	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-template-settings", Method: http.MethodGet, Path: "/api/v1/templates/settings", Tags: tags,
		Summary: "The email footer", Description: "Appended to email templates without {{unsubscribe_url}}; the built-in one until the org writes its own.",
	}, read), func(ctx context.Context, _ *struct{}) (*struct{ Body TemplateSettings }, error) {
		s, err := GetSettings(ctx, h.DB, orgOf(ctx))
		if err != nil {
			return nil, err
		}
		return &struct{ Body TemplateSettings }{Body: s}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "put-template-settings", Method: http.MethodPut, Path: "/api/v1/templates/settings", Tags: tags,
		Summary:     "Change the email footer",
		Description: "Admins. Both footers must contain {{unsubscribe_url}} and may use only built-in variables. An empty text footer is generated from the HTML one.",
		Errors:      []int{http.StatusUnprocessableEntity},
	}, auth.Access{Role: auth.RoleAdmin, Scope: ScopeWrite}), func(ctx context.Context, in *struct {
		Body struct {
			EmailFooterHTML string `json:"email_footer_html" maxLength:"65536"`
			EmailFooterText string `json:"email_footer_text,omitempty" maxLength:"65536"`
		}
	}) (*struct{ Body TemplateSettings }, error) {
		s, err := PutSettings(ctx, h.DB, orgOf(ctx), SettingsParams{
			EmailFooterHTML: in.Body.EmailFooterHTML, EmailFooterText: in.Body.EmailFooterText, Actor: actor(ctx),
		}, h.Now())
		if err != nil {
			return nil, err
		}
		return &struct{ Body TemplateSettings }{Body: s}, nil
	})

	// Before /{id} too, for the same reason. Previewing unsaved content
	// reads nothing a saved preview would not show: the same access.
	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "preview-template-draft", Method: http.MethodPost, Path: "/api/v1/templates/preview", Tags: tags,
		Summary: "Preview unsaved template content",
		Description: "Renders content that is not saved (an editor's current draft) exactly as the preview of a saved version would: " +
			"for `contact_id`, or with the declared samples when no contact is given; `values` supply or override values. " +
			"What saving the content would refuse (undeclared or unused variables, malformed placeholders, missing fields) is listed " +
			"in `problems` instead of answering 422, so that an editor can preview while the user types.",
		Errors: []int{http.StatusUnprocessableEntity, http.StatusNotImplemented},
	}, read), func(ctx context.Context, in *struct{ Body TemplateDraftPreviewBody }) (*struct{ Body *DraftPreview }, error) {
		b := in.Body
		pv, err := PreviewDraft(ctx, h.DB, orgOf(ctx), DraftParams{
			Channel: b.Channel, Content: b.content(), ContactID: b.ContactID, Values: b.Values, UnsubscribeURL: h.previewUnsubscribeURL(),
		}, h.Contacts)
		if err != nil {
			return nil, err
		}
		return &struct{ Body *DraftPreview }{Body: pv}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-templates", Method: http.MethodGet, Path: "/api/v1/templates", Tags: tags,
		Summary: "List templates", Description: "By name, a page at a time; each with its newest version.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, read), func(ctx context.Context, in *ListQuery) (*struct{ Body TemplatePage }, error) {
		page, err := List(ctx, h.DB, orgOf(ctx), ListParams{
			Channel: Channel(in.Channel), Status: Status(in.Status), Usable: in.Usable,
			Search: in.Search, Limit: in.Limit, Cursor: in.Cursor,
		})
		if err != nil {
			return nil, err
		}
		return &struct{ Body TemplatePage }{Body: page}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "create-template", Method: http.MethodPost, Path: "/api/v1/templates", Tags: tags,
		Summary:       "Create a template",
		Description:   "Saved as a draft (version 1). A content that uses an undeclared variable, or declares one it never uses, is refused with each variable named.",
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct{ Body TemplateCreateBody }) (*templateOutput, error) {
		t, err := Create(ctx, h.DB, orgOf(ctx), CreateParams{
			Name: in.Body.Name, Channel: in.Body.Channel, Content: in.Body.content(), Actor: actor(ctx),
		}, h.Now())
		if err != nil {
			return nil, err
		}
		return &templateOutput{Body: t}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-template", Method: http.MethodGet, Path: "/api/v1/templates/{id}", Tags: tags,
		Summary: "Get a template", Description: "With its newest version; approved_version is the one in use.",
		Errors: []int{http.StatusNotFound},
	}, read), func(ctx context.Context, in *IDPath) (*templateOutput, error) {
		t, err := Get(ctx, h.DB, orgOf(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &templateOutput{Body: t}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "update-template", Method: http.MethodPatch, Path: "/api/v1/templates/{id}", Tags: tags,
		Summary: "Edit a template",
		Description: "A new name applies at once. Content edits change the newest version when it is not approved (a pending or rejected one becomes a draft again); " +
			"when it is approved they start a new draft version, and the approved one stays in use until the new one is approved.",
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct {
		IDPath
		Body TemplatePatchBody
	}) (*templateOutput, error) {
		b := in.Body
		t, err := Update(ctx, h.DB, orgOf(ctx), in.ID, UpdateParams{
			Name: b.Name, Channel: b.Channel, Subject: b.Subject, BodyHTML: b.BodyHTML, BodyText: b.BodyText, Body: b.Body,
			ProviderTemplateName: b.ProviderTemplateName, ProviderTemplateSID: b.ProviderTemplateSID, Variables: b.Variables,
			Actor: actor(ctx),
		}, h.Now())
		if err != nil {
			return nil, err
		}
		return &templateOutput{Body: t}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "delete-template", Method: http.MethodDelete, Path: "/api/v1/templates/{id}", Tags: tags,
		Summary:       "Delete a template",
		Description:   "With all its versions. Members delete templates never approved; a template in use needs an admin; the channel's default cannot be deleted.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, write), func(ctx context.Context, in *IDPath) (*struct{}, error) {
		p := auth.PrincipalFrom(ctx)
		// API keys are made by admins and scoped; users need the role.
		allow := p.Kind == auth.KindAPIKey || p.Role.AtLeast(auth.RoleAdmin)
		return nil, Delete(ctx, h.DB, p.OrgID, in.ID, DeleteOpts{AllowApproved: allow})
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "submit-template", Method: http.MethodPost, Path: "/api/v1/templates/{id}/submit", Tags: tags,
		Summary: "Submit a template for approval", Description: "The newest version (a draft, or a rejected one) becomes pending_approval.",
		Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, write), func(ctx context.Context, in *IDPath) (*templateOutput, error) {
		t, err := Submit(ctx, h.DB, orgOf(ctx), in.ID, actor(ctx), h.Now())
		if err != nil {
			return nil, err
		}
		return &templateOutput{Body: t}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "approve-template", Method: http.MethodPost, Path: "/api/v1/templates/{id}/approve", Tags: tags,
		Summary: "Approve a template", Description: "Admins. The pending version becomes the one in use; the one used before is superseded.",
		Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, approve), func(ctx context.Context, in *IDPath) (*templateOutput, error) {
		t, err := Approve(ctx, h.DB, orgOf(ctx), in.ID, actor(ctx), h.Now())
		if err != nil {
			return nil, err
		}
		return &templateOutput{Body: t}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "reject-template", Method: http.MethodPost, Path: "/api/v1/templates/{id}/reject", Tags: tags,
		Summary: "Reject a template", Description: "Admins. The pending version is sent back with the reason; the version in use (if any) stays in use.",
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, approve), func(ctx context.Context, in *struct {
		IDPath
		Body struct {
			Reason string `json:"reason" maxLength:"2000" doc:"What to change."`
		}
	}) (*templateOutput, error) {
		t, err := Reject(ctx, h.DB, orgOf(ctx), in.ID, in.Body.Reason, actor(ctx), h.Now())
		if err != nil {
			return nil, err
		}
		return &templateOutput{Body: t}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "make-default-template", Method: http.MethodPost, Path: "/api/v1/templates/{id}/make-default", Tags: tags,
		Summary: "Make a template its channel's default", Description: "Admins. Approved templates only; the previous default stops being one.",
		Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, approve), func(ctx context.Context, in *IDPath) (*templateOutput, error) {
		t, err := MakeDefault(ctx, h.DB, orgOf(ctx), in.ID, actor(ctx), h.Now())
		if err != nil {
			return nil, err
		}
		return &templateOutput{Body: t}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-template-versions", Method: http.MethodGet, Path: "/api/v1/templates/{id}/versions", Tags: tags,
		Summary: "A template's version history", Description: "Newest first; in_use marks the approved version sends use.",
		Errors: []int{http.StatusNotFound},
	}, read), func(ctx context.Context, in *IDPath) (*struct{ Body ItemsBody[TemplateVersion] }, error) {
		vs, err := Versions(ctx, h.DB, orgOf(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ItemsBody[TemplateVersion] }{Body: ItemsBody[TemplateVersion]{Items: vs}}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "preview-template", Method: http.MethodPost, Path: "/api/v1/templates/{id}/preview", Tags: tags,
		Summary: "Preview a template",
		Description: "Renders the newest version (or `version`) as a send would: for `contact_id`, or with the declared samples when no contact is given. " +
			"`variables` supply or override values. `missing` lists variables without a value or default.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusNotImplemented},
	}, read), func(ctx context.Context, in *struct {
		IDPath
		Body *struct {
			ContactID *uuid.UUID     `json:"contact_id,omitempty" doc:"Render for this contact; sample values when absent."`
			Variables map[string]any `json:"variables,omitempty" doc:"Values by variable name; they win over the contact's."`
			Version   int            `json:"version,omitempty" minimum:"1" doc:"The version to render; the newest when absent."`
		} `required:"false"`
	}) (*struct{ Body *TemplatePreview }, error) {
		p := PreviewParams{UnsubscribeURL: h.previewUnsubscribeURL()}
		if in.Body != nil {
			p.ContactID, p.Values, p.Version = in.Body.ContactID, in.Body.Variables, in.Body.Version
		}
		pv, err := PreviewTemplate(ctx, h.DB, orgOf(ctx), in.ID, p, h.Contacts)
		if err != nil {
			return nil, err
		}
		return &struct{ Body *TemplatePreview }{Body: pv}, nil
	})
}

// previewUnsubscribeURL stands in for a recipient's unsubscribe link in previews.
func (h *Handlers) previewUnsubscribeURL() string {
	return strings.TrimRight(h.PublicBaseURL, "/") + "/u/preview"
}
