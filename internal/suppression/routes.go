package suppression

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// Handlers serves /api/v1/suppressions and the consent routes of contacts.
type Handlers struct {
	DB     dbutil.Executor
	Tokens *Tokens
	// PublicBaseURL is PUBLIC_BASE_URL, for unsubscribe links.
	PublicBaseURL string
	Now           func() time.Time
}

// IDPath is the {id} path parameter.
type IDPath struct {
	ID uuid.UUID `path:"id"`
}

type listBody[T any] struct {
	Items []T `json:"items"`
}

// ConsentChange opts a contact out of, or back in to, a channel.
type ConsentChange struct {
	Channel string `json:"channel" enum:"email,whatsapp,telegram,instagram"`
	Reason  string `json:"reason,omitempty" required:"false" maxLength:"500" doc:"Why: required to resubscribe."`
}

// Register mounts the routes.
func (h *Handlers) Register(api huma.API) {
	tags := []string{"Suppression"}
	read := auth.Access{Role: auth.RoleViewer, Scope: "suppression:read"}
	write := auth.Access{Role: auth.RoleMember, Scope: "suppression:write"}
	// Lifting a suppression or resubscribing lets messages reach someone
	// who asked for none, or whose address bounced: admins only.
	lift := auth.Access{Role: auth.RoleAdmin, Scope: "suppression:write"}

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-suppressions", Method: http.MethodGet, Path: "/api/v1/suppressions", Tags: tags,
		Summary: "List the suppression list", Description: "Newest first, in keyset pages; search matches part of the value.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, read), func(ctx context.Context, in *struct {
		Channel string `query:"channel" enum:"email,whatsapp,telegram,instagram"`
		Reason  string `query:"reason" enum:"unsubscribed,bounced,spam_complaint,manual"`
		Search  string `query:"search" maxLength:"200"`
		Cursor  string `query:"cursor" maxLength:"500"`
		Limit   int    `query:"limit" minimum:"1" maximum:"500" default:"50"`
	}) (*struct{ Body SuppressionPage }, error) {
		p, err := List(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, ListParams{
			Channel: in.Channel, Reason: in.Reason, Search: in.Search, Cursor: in.Cursor, Limit: in.Limit})
		if err != nil {
			return nil, err
		}
		return &struct{ Body SuppressionPage }{Body: p}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "add-suppression", Method: http.MethodPost, Path: "/api/v1/suppressions", Tags: tags,
		Summary: "Suppress an address", Description: "A value already suppressed on the channel is a 409 naming its suppression.",
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct{ Body SuppressionInput }) (*struct{ Body Suppression }, error) {
		p := auth.PrincipalFrom(ctx)
		s, err := Add(ctx, h.DB, p.OrgID, ActorOf(p), in.Body, "api")
		if err != nil {
			return nil, err
		}
		return &struct{ Body Suppression }{Body: s}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "import-suppressions", Method: http.MethodPost, Path: "/api/v1/suppressions/imports", Tags: tags,
		Summary: "Import suppressions from CSV",
		Description: "A header row; a value column (value, address, email, phone, whatsapp, telegram_chat_id or instagram_id); " +
			"optional channel and reason columns. The file is read as it arrives and added in batches, in one transaction.",
		Errors: []int{http.StatusBadRequest, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct {
		contacts.FileUpload
		Channel string `query:"channel" enum:"email,whatsapp,telegram,instagram" doc:"The channel of rows that do not say."`
		Reason  string `query:"reason" enum:"unsubscribed,bounced,spam_complaint,manual" doc:"The reason of rows that do not say; manual by default."`
	}) (*struct{ Body SuppressionImportResult }, error) {
		r, _, err := in.File()
		if err != nil {
			return nil, err
		}
		p := auth.PrincipalFrom(ctx)
		res, err := Import(ctx, h.DB, p.OrgID, ActorOf(p), r, ImportOptions{Channel: in.Channel, Reason: in.Reason})
		if err != nil {
			return nil, err
		}
		return &struct{ Body SuppressionImportResult }{Body: res}, nil
	})
	contacts.DocumentCSVBody(api, "/api/v1/suppressions/imports")

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-suppression", Method: http.MethodGet, Path: "/api/v1/suppressions/{id}", Tags: tags,
		Summary: "Get a suppression", Errors: []int{http.StatusNotFound},
	}, read), func(ctx context.Context, in *IDPath) (*struct{ Body Suppression }, error) {
		s, err := Get(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Suppression }{Body: s}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "update-suppression", Method: http.MethodPatch, Path: "/api/v1/suppressions/{id}", Tags: tags,
		Summary: "Change a suppression's reason or note", Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct {
		IDPath
		Body SuppressionUpdate
	}) (*struct{ Body Suppression }, error) {
		s, err := Change(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID, in.Body)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Suppression }{Body: s}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "remove-suppression", Method: http.MethodDelete, Path: "/api/v1/suppressions/{id}", Tags: tags,
		Summary: "Lift a suppression",
		Description: "Admins only, with a reason; recorded in the contact's consent history. A contact opted out on the " +
			"channel stays opted out: resubscribe it for that.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, lift), func(ctx context.Context, in *struct {
		IDPath
		Reason string `query:"reason" maxLength:"500" doc:"Why the address may be messaged again (required)."`
	}) (*struct{}, error) {
		p := auth.PrincipalFrom(ctx)
		return nil, Remove(ctx, h.DB, p.OrgID, in.ID, ActorOf(p), in.Reason)
	})

	ctags := []string{"Contacts"}
	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "unsubscribe-contact", Method: http.MethodPost, Path: "/api/v1/contacts/{id}/unsubscribe", Tags: ctags,
		Summary:     "Opt a contact out of a channel",
		Description: "For opt-outs received another way (a reply, a call): the contact's consent becomes opted_out and its address is suppressed.",
		Errors:      []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct {
		IDPath
		Body ConsentChange
	}) (*struct{ Body contacts.Contact }, error) {
		p := auth.PrincipalFrom(ctx)
		res, err := OptOut(ctx, h.DB, p.OrgID, in.ID, contacts.Channel(in.Body.Channel), SourceAdmin, in.Body.Reason, ActorOf(p), h.Now())
		if err != nil {
			return nil, err
		}
		return &struct{ Body contacts.Contact }{Body: contacts.FromRow(res.Contact)}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "resubscribe-contact", Method: http.MethodPost, Path: "/api/v1/contacts/{id}/resubscribe", Tags: ctags,
		Summary: "Resubscribe a contact to a channel",
		Description: "Admins only, with a reason. Lifts the suppression of the contact's address on the channel and records " +
			"opted_in consent; the consent history keeps who did it and why. A contact not unsubscribed is a 409.",
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, lift), func(ctx context.Context, in *struct {
		IDPath
		Body ConsentChange
	}) (*struct{ Body contacts.Contact }, error) {
		p := auth.PrincipalFrom(ctx)
		c, err := Resubscribe(ctx, h.DB, p.OrgID, in.ID, contacts.Channel(in.Body.Channel), in.Body.Reason, ActorOf(p), h.Now())
		if err != nil {
			return nil, err
		}
		return &struct{ Body contacts.Contact }{Body: c}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-contact-consent-events", Method: http.MethodGet, Path: "/api/v1/contacts/{id}/consent-events", Tags: ctags,
		Summary: "A contact's consent history", Description: "Opt-outs, resubscribes and suppressions, newest first.",
		Errors: []int{http.StatusNotFound},
	}, read), func(ctx context.Context, in *IDPath) (*struct{ Body listBody[ConsentEvent] }, error) {
		evs, err := Events(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body listBody[ConsentEvent] }{Body: listBody[ConsentEvent]{Items: evs}}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-contact-unsubscribe-urls", Method: http.MethodGet, Path: "/api/v1/contacts/{id}/unsubscribe-urls", Tags: ctags,
		Summary:     "A contact's unsubscribe links",
		Description: "The public unsubscribe page of each channel the contact has an address on, as messages carry it.",
		Errors:      []int{http.StatusNotFound},
	}, auth.Access{Role: auth.RoleMember, Scope: "suppression:read"}), func(ctx context.Context, in *IDPath) (*struct {
		Body map[string]string
	}, error) {
		c, err := dbsqlc.New().GetContact(ctx, h.DB, dbsqlc.GetContactParams{OrgID: auth.PrincipalFrom(ctx).OrgID, ID: in.ID})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ErrContactNotFound
		}
		if err != nil {
			return nil, err
		}
		return &struct{ Body map[string]string }{Body: UnsubscribeURLs(h.Tokens, h.PublicBaseURL, c)}, nil
	})
}
