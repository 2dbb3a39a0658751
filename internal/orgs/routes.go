package orgs

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// Handlers serves sign-up, /api/v1/orgs, /api/v1/org and invitations.
type Handlers struct {
	Service *Service
	Auth    *auth.Handlers
}

type orgBody struct {
	Name           *string `json:"name,omitempty" required:"false" maxLength:"200"`
	Timezone       *string `json:"timezone,omitempty" required:"false" doc:"IANA time zone, e.g. Europe/Berlin." example:"Europe/Berlin"`
	DefaultCountry *string `json:"default_country,omitempty" required:"false" doc:"ISO 3166-1 alpha-2 country used for local phone numbers." example:"DE"`
}

func (b orgBody) settings() Settings {
	return Settings{Name: b.Name, Timezone: b.Timezone, DefaultCountry: b.DefaultCountry}
}

type orgOutput struct{ Body Org }

// OrgWithRole is an org in the caller's list.
type OrgWithRole struct {
	Org
	Role auth.Role `json:"role" enum:"owner,admin,member,viewer"`
}

type memberOutput struct{ Body Member }

// UserIDPath is the {user_id} path parameter. Input types that embed a
// parameter struct must use an exported one: Huma fills only exported fields.
type UserIDPath struct {
	UserID uuid.UUID `path:"user_id"`
}

// IDPath is the {id} path parameter.
type IDPath struct {
	ID uuid.UUID `path:"id"`
}

// TokenPath is the {token} path parameter of an invitation.
type TokenPath struct {
	Token string `path:"token" maxLength:"128"`
}

// ListBody wraps every list answer.
type ListBody[T any] struct {
	Items []T `json:"items"`
}

// Register mounts the routes.
func (h *Handlers) Register(api huma.API) {
	s := h.Service

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "signup", Method: http.MethodPost, Path: "/api/v1/auth/signup", Tags: []string{"Auth"},
		Summary:       "Sign up: a user and their organization",
		Description:   "Creates the user and an org they own. The answer is the same whether or not the email already had an account (no account enumeration); sign in next.",
		DefaultStatus: http.StatusCreated,
		Errors:        []int{http.StatusUnprocessableEntity, http.StatusTooManyRequests},
	}, auth.Access{Public: true}), func(ctx context.Context, in *struct {
		Body struct {
			Email    string `json:"email" maxLength:"254"`
			Password string `json:"password" maxLength:"1024" doc:"At least 10 characters."`
			Name     string `json:"name" maxLength:"200"`
			OrgName  string `json:"org_name" maxLength:"200"`
		}
	}) (*struct {
		Body struct {
			Message string `json:"message"`
		}
	}, error) {
		if err := s.Signup(ctx, in.Body.Email, in.Body.Password, in.Body.Name, in.Body.OrgName, auth.ClientOf(ctx)); err != nil {
			return nil, err
		}
		out := &struct {
			Body struct {
				Message string `json:"message"`
			}
		}{}
		out.Body.Message = signupMessage
		return out, nil
	})

	orgTags := []string{"Organizations"}
	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-orgs", Method: http.MethodGet, Path: "/api/v1/orgs", Tags: orgTags,
		Summary: "List my organizations",
	}, auth.Access{UserOnly: true, NoOrg: true}), func(ctx context.Context, _ *struct{}) (*struct{ Body ListBody[OrgWithRole] }, error) {
		ms, err := ListForUser(ctx, s.DB, auth.PrincipalFrom(ctx).UserID)
		if err != nil {
			return nil, err
		}
		out := &struct{ Body ListBody[OrgWithRole] }{Body: ListBody[OrgWithRole]{Items: make([]OrgWithRole, len(ms))}}
		for i, m := range ms {
			out.Body.Items[i] = OrgWithRole{Org: m.Org, Role: m.Role}
		}
		return out, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "create-org", Method: http.MethodPost, Path: "/api/v1/orgs", Tags: orgTags,
		Summary: "Create an organization", Description: "The caller becomes its owner. Switch to it with /api/v1/auth/switch-org.",
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusUnprocessableEntity},
	}, auth.Access{UserOnly: true, NoOrg: true}), func(ctx context.Context, in *struct{ Body orgBody }) (*orgOutput, error) {
		var org Org
		err := dbutil.WithTx(ctx, s.DB, func(tx pgx.Tx) error {
			var err error
			org, err = Create(ctx, tx, auth.PrincipalFrom(ctx).UserID, in.Body.settings())
			return err
		})
		if err != nil {
			return nil, err
		}
		return &orgOutput{Body: org}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-org", Method: http.MethodGet, Path: "/api/v1/org", Tags: orgTags,
		Summary: "The active organization",
	}, auth.Access{Role: auth.RoleViewer, Scope: "org:read"}), func(ctx context.Context, _ *struct{}) (*orgOutput, error) {
		org, err := Get(ctx, s.DB, auth.PrincipalFrom(ctx).OrgID)
		if err != nil {
			return nil, err
		}
		return &orgOutput{Body: org}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "update-org", Method: http.MethodPatch, Path: "/api/v1/org", Tags: orgTags,
		Summary: "Change the organization's details", Errors: []int{http.StatusUnprocessableEntity},
	}, auth.Access{Role: auth.RoleAdmin, Scope: "org:write"}), func(ctx context.Context, in *struct{ Body orgBody }) (*orgOutput, error) {
		org, err := Update(ctx, s.DB, auth.PrincipalFrom(ctx).OrgID, in.Body.settings())
		if err != nil {
			return nil, err
		}
		return &orgOutput{Body: org}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "delete-org", Method: http.MethodDelete, Path: "/api/v1/org", Tags: orgTags,
		Summary: "Delete the organization", Description: "Owner only. Deletes everything the org owns.",
		DefaultStatus: http.StatusNoContent,
	}, auth.Access{Role: auth.RoleOwner, UserOnly: true}), func(ctx context.Context, _ *struct{}) (*struct{}, error) {
		return nil, Delete(ctx, s.DB, auth.PrincipalFrom(ctx).OrgID)
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "transfer-ownership", Method: http.MethodPost, Path: "/api/v1/org/transfer-ownership", Tags: orgTags,
		Summary: "Transfer ownership", Description: "Owner only. The new owner must be a member; the old owner becomes an admin.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, auth.Access{Role: auth.RoleOwner, UserOnly: true}), func(ctx context.Context, in *struct {
		Body struct {
			UserID uuid.UUID `json:"user_id"`
		}
	}) (*struct{}, error) {
		p := auth.PrincipalFrom(ctx)
		return nil, TransferOwnership(ctx, s.DB, p.OrgID, p.UserID, in.Body.UserID)
	})

	memberTags := []string{"Members"}
	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-members", Method: http.MethodGet, Path: "/api/v1/org/members", Tags: memberTags,
		Summary: "List members",
	}, auth.Access{Role: auth.RoleViewer, Scope: "members:read"}), func(ctx context.Context, _ *struct{}) (*struct{ Body ListBody[Member] }, error) {
		ms, err := ListMembers(ctx, s.DB, auth.PrincipalFrom(ctx).OrgID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ListBody[Member] }{Body: ListBody[Member]{Items: ms}}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-member", Method: http.MethodGet, Path: "/api/v1/org/members/{user_id}", Tags: memberTags,
		Summary: "Get a member", Errors: []int{http.StatusNotFound},
	}, auth.Access{Role: auth.RoleViewer, Scope: "members:read"}), func(ctx context.Context, in *UserIDPath) (*memberOutput, error) {
		m, err := GetMember(ctx, s.DB, auth.PrincipalFrom(ctx).OrgID, in.UserID)
		if err != nil {
			return nil, err
		}
		return &memberOutput{Body: m}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "update-member", Method: http.MethodPatch, Path: "/api/v1/org/members/{user_id}", Tags: memberTags,
		Summary: "Change a member's role", Description: "Admins and the owner. The owner's role changes only by transfer.",
		Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, auth.Access{Role: auth.RoleAdmin, Scope: "members:write"}), func(ctx context.Context, in *struct {
		UserIDPath
		Body struct {
			Role auth.Role `json:"role" enum:"admin,member,viewer"`
		}
	}) (*memberOutput, error) {
		m, err := SetRole(ctx, s.DB, auth.PrincipalFrom(ctx).OrgID, in.UserID, in.Body.Role)
		if err != nil {
			return nil, err
		}
		return &memberOutput{Body: m}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "remove-member", Method: http.MethodDelete, Path: "/api/v1/org/members/{user_id}", Tags: memberTags,
		Summary: "Remove a member, or leave", Description: "Admins remove members; anyone may remove themselves (leave). The owner cannot be removed.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, auth.Access{Role: auth.RoleViewer, Scope: "members:write"}), func(ctx context.Context, in *UserIDPath) (*struct{}, error) {
		p := auth.PrincipalFrom(ctx)
		if p.Kind == auth.KindUser && in.UserID != p.UserID && !p.Role.AtLeast(auth.RoleAdmin) {
			return nil, auth.ErrForbidden
		}
		return nil, RemoveMember(ctx, s.DB, p.OrgID, in.UserID)
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "create-invitation", Method: http.MethodPost, Path: "/api/v1/org/invitations", Tags: memberTags,
		Summary:       "Invite a member",
		Description:   "Records the invitation and queues its delivery in one transaction. The token and accept link are returned once.",
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, auth.Access{Role: auth.RoleAdmin, Scope: "members:write"}), func(ctx context.Context, in *struct {
		Body struct {
			Email string    `json:"email" maxLength:"254"`
			Role  auth.Role `json:"role" enum:"admin,member,viewer"`
		}
	}) (*struct{ Body NewInvitation }, error) {
		p := auth.PrincipalFrom(ctx)
		inv, err := s.Invite(ctx, p.OrgID, p.CreatedBy(), in.Body.Email, in.Body.Role)
		if err != nil {
			return nil, err
		}
		return &struct{ Body NewInvitation }{Body: *inv}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-invitations", Method: http.MethodGet, Path: "/api/v1/org/invitations", Tags: memberTags,
		Summary: "List open invitations",
	}, auth.Access{Role: auth.RoleAdmin, Scope: "members:read"}), func(ctx context.Context, _ *struct{}) (*struct{ Body ListBody[Invitation] }, error) {
		invs, err := ListInvitations(ctx, s.DB, auth.PrincipalFrom(ctx).OrgID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ListBody[Invitation] }{Body: ListBody[Invitation]{Items: invs}}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-invitation", Method: http.MethodGet, Path: "/api/v1/org/invitations/{id}", Tags: memberTags,
		Summary: "Get an invitation", Errors: []int{http.StatusNotFound},
	}, auth.Access{Role: auth.RoleAdmin, Scope: "members:read"}), func(ctx context.Context, in *IDPath) (*struct{ Body Invitation }, error) {
		inv, err := GetInvitation(ctx, s.DB, auth.PrincipalFrom(ctx).OrgID, in.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Invitation }{Body: inv}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "revoke-invitation", Method: http.MethodDelete, Path: "/api/v1/org/invitations/{id}", Tags: memberTags,
		Summary: "Revoke an invitation", DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound},
	}, auth.Access{Role: auth.RoleAdmin, Scope: "members:write"}), func(ctx context.Context, in *IDPath) (*struct{}, error) {
		return nil, RevokeInvitation(ctx, s.DB, auth.PrincipalFrom(ctx).OrgID, in.ID, s.Now())
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "preview-invitation", Method: http.MethodGet, Path: "/api/v1/invitations/{token}", Tags: memberTags,
		Summary: "See an invitation before accepting it", Errors: []int{http.StatusNotFound},
	}, auth.Access{Public: true}), func(ctx context.Context, in *TokenPath) (*struct{ Body InvitationPreview }, error) {
		pv, err := s.PreviewInvitation(ctx, in.Token)
		if err != nil {
			return nil, err
		}
		return &struct{ Body InvitationPreview }{Body: *pv}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "accept-invitation", Method: http.MethodPost, Path: "/api/v1/invitations/{token}/accept", Tags: memberTags,
		Summary: "Accept an invitation",
		Description: "Signed in (Bearer access token): joins the org; the invitation must be for your email. " +
			"Not signed in: send name and password to create the account; the answer then carries tokens like a sign-in.",
		Errors: []int{http.StatusNotFound, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity},
	}, auth.Access{Public: true}), func(ctx context.Context, in *struct {
		TokenPath
		Body *struct {
			Name     string `json:"name,omitempty" required:"false" maxLength:"200"`
			Password string `json:"password,omitempty" required:"false" maxLength:"1024"`
			Cookie   bool   `json:"cookie,omitempty" required:"false" doc:"Put the refresh token in the sb_session cookie (browsers)."`
		} `required:"false"`
	}) (*acceptOutput, error) {
		var name, password string
		cookie := false
		if in.Body != nil {
			name, password, cookie = in.Body.Name, in.Body.Password, in.Body.Cookie
		}
		res, err := s.AcceptInvitation(ctx, in.Token, auth.PrincipalFrom(ctx), name, password, auth.ClientOf(ctx))
		if err != nil {
			return nil, err
		}
		out := &acceptOutput{}
		out.Body.OrgID, out.Body.Role = res.OrgID, res.Role
		if res.Session != nil {
			tok := h.Auth.SessionOutput(res.Session, cookie)
			out.SetCookie = tok.SetCookie
			out.Body.TokenBody = &tok.Body
		}
		return out, nil
	})
}

type acceptOutput struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
	Body      struct {
		OrgID uuid.UUID `json:"org_id"`
		Role  auth.Role `json:"role" enum:"admin,member,viewer"`
		*auth.TokenBody
	}
}
