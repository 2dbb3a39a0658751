package auth

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/httpserver"
)

// Handlers serves /api/v1/auth and /api/v1/me.
type Handlers struct {
	Service *Service
	// SecureCookies marks the session cookie Secure (PUBLIC_BASE_URL is https).
	SecureCookies bool
}

// TokenBody is what a sign-in or refresh answers.
type TokenBody struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type" example:"Bearer"`
	ExpiresIn    int    `json:"expires_in" doc:"Seconds until the access token expires."`
	RefreshToken string `json:"refresh_token,omitempty" doc:"Absent when the session travels in the sb_session cookie."`
}

// TokenOutput carries tokens and, in cookie mode, the session cookie.
type TokenOutput struct {
	SetCookie []http.Cookie `header:"Set-Cookie"`
	Body      TokenBody
}

// SessionOutput answers a sign-in: the tokens and the session cookie when asked.
func (h *Handlers) SessionOutput(s *Session, cookie bool) *TokenOutput {
	out := &TokenOutput{Body: TokenBody{AccessToken: s.AccessToken, TokenType: "Bearer", ExpiresIn: s.ExpiresIn, RefreshToken: s.RefreshToken}}
	if cookie && s.RefreshToken != "" {
		out.Body.RefreshToken = ""
		out.SetCookie = []http.Cookie{h.sessionCookie(s.RefreshToken, h.Service.RefreshTTL)}
	}
	return out
}

func (h *Handlers) sessionCookie(value string, ttl time.Duration) http.Cookie {
	c := http.Cookie{
		Name: SessionCookie, Value: value, Path: "/", HttpOnly: true, Secure: h.SecureCookies,
		SameSite: http.SameSiteStrictMode, MaxAge: int(ttl.Seconds()),
	}
	if value == "" {
		c.MaxAge = -1
	}
	return c
}

// ClientOf returns the session client of a request.
func ClientOf(ctx context.Context) Client {
	c := httpserver.ClientFrom(ctx)
	return Client{IP: c.IP, UserAgent: c.UserAgent}
}

type loginInput struct {
	Body struct {
		Email    string    `json:"email" maxLength:"254" doc:"The account's email."`
		Password string    `json:"password" maxLength:"1024"`
		OrgID    uuid.UUID `json:"org_id,omitempty" required:"false" doc:"Org to start in; defaults to the first one."`
		Cookie   bool      `json:"cookie,omitempty" required:"false" doc:"Put the refresh token in an HttpOnly cookie instead of the body (browsers)."`
	}
}

type refreshInput struct {
	Session string `cookie:"sb_session"`
	Body    *struct {
		RefreshToken string `json:"refresh_token,omitempty" required:"false" doc:"Omit to use the sb_session cookie."`
	} `required:"false"`
}

type switchOrgInput struct {
	Body struct {
		OrgID uuid.UUID `json:"org_id"`
	}
}

// MeBody is the caller's identity and memberships.
type MeBody struct {
	User        User         `json:"user"`
	Org         *OrgSummary  `json:"org" doc:"The active org, null when the user has none."`
	Role        *Role        `json:"role" enum:"owner,admin,member,viewer"`
	Memberships []Membership `json:"memberships"`
}

// OrgSummary is an org as its members see it.
type OrgSummary struct {
	ID             uuid.UUID `json:"id"`
	Name           string    `json:"name"`
	Slug           string    `json:"slug"`
	Timezone       string    `json:"timezone"`
	DefaultCountry string    `json:"default_country"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Membership is one org of the user and the user's role in it.
type Membership struct {
	Org  OrgSummary `json:"org"`
	Role Role       `json:"role" enum:"owner,admin,member,viewer"`
}

type meOutput struct{ Body MeBody }

type updateMeInput struct {
	Body struct {
		Name  *string `json:"name,omitempty" required:"false" maxLength:"200"`
		Phone *string `json:"phone,omitempty" required:"false" maxLength:"32"`
	}
}

type userOutput struct{ Body User }

type passwordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" maxLength:"1024" doc:"Empty for accounts that never had a password (SSO)."`
		NewPassword     string `json:"new_password" maxLength:"1024"`
	}
}

// Register mounts the routes.
func (h *Handlers) Register(api huma.API) {
	tags := []string{"Auth"}
	huma.Register(api, Operation(huma.Operation{
		OperationID: "login", Method: http.MethodPost, Path: "/api/v1/auth/login", Tags: tags,
		Summary:     "Sign in with email and password",
		Description: "Returns an access token (15 minutes) and a rotating refresh token. Unknown emails and wrong passwords get the same 401. Throttled per email and per client address (429 with Retry-After).",
		Errors:      []int{http.StatusUnauthorized, http.StatusUnprocessableEntity, http.StatusTooManyRequests},
	}, Access{Public: true}), func(ctx context.Context, in *loginInput) (*TokenOutput, error) {
		org := uuid.NullUUID{UUID: in.Body.OrgID, Valid: in.Body.OrgID != uuid.Nil}
		s, err := h.Service.Login(ctx, in.Body.Email, in.Body.Password, org, ClientOf(ctx))
		if err != nil {
			return nil, err
		}
		return h.SessionOutput(s, in.Body.Cookie), nil
	})

	huma.Register(api, Operation(huma.Operation{
		OperationID: "refresh", Method: http.MethodPost, Path: "/api/v1/auth/refresh", Tags: tags,
		Summary:     "Rotate the refresh token",
		Description: "Spends the refresh token (body, or the sb_session cookie) and returns new tokens. Presenting a spent token revokes the whole session.",
		Errors:      []int{http.StatusUnauthorized},
	}, Access{Public: true}), func(ctx context.Context, in *refreshInput) (*TokenOutput, error) {
		token, cookie := in.Session, true
		if in.Body != nil && in.Body.RefreshToken != "" {
			token, cookie = in.Body.RefreshToken, false
		}
		s, err := h.Service.Refresh(ctx, token, ClientOf(ctx))
		if err != nil {
			if cookie {
				return nil, &clearCookieError{err: err, cookie: h.sessionCookie("", 0)}
			}
			return nil, err
		}
		return h.SessionOutput(s, cookie), nil
	})

	huma.Register(api, Operation(huma.Operation{
		OperationID: "logout", Method: http.MethodPost, Path: "/api/v1/auth/logout", Tags: tags,
		Summary: "Sign out", Description: "Revokes the session of the refresh token (body or cookie) and clears the cookie.",
		DefaultStatus: http.StatusNoContent,
	}, Access{Public: true}), func(ctx context.Context, in *refreshInput) (*struct {
		SetCookie []http.Cookie `header:"Set-Cookie"`
	}, error) {
		token := in.Session
		if in.Body != nil && in.Body.RefreshToken != "" {
			token = in.Body.RefreshToken
		}
		if err := h.Service.Logout(ctx, token); err != nil {
			return nil, err
		}
		return &struct {
			SetCookie []http.Cookie `header:"Set-Cookie"`
		}{SetCookie: []http.Cookie{h.sessionCookie("", 0)}}, nil
	})

	huma.Register(api, Operation(huma.Operation{
		OperationID: "switch-org", Method: http.MethodPost, Path: "/api/v1/auth/switch-org", Tags: tags,
		Summary: "Switch the active org", Description: "Returns an access token for the org; the session keeps it on refresh.",
		Errors: []int{http.StatusNotFound},
	}, Access{UserOnly: true, NoOrg: true}), func(ctx context.Context, in *switchOrgInput) (*TokenOutput, error) {
		s, err := h.Service.SwitchOrg(ctx, PrincipalFrom(ctx), in.Body.OrgID)
		if err != nil {
			return nil, err
		}
		return h.SessionOutput(s, false), nil
	})

	meTags := []string{"Me"}
	huma.Register(api, Operation(huma.Operation{
		OperationID: "get-me", Method: http.MethodGet, Path: "/api/v1/me", Tags: meTags,
		Summary: "Who am I", Description: "The user, the active org and role, and every membership.",
	}, Access{UserOnly: true, NoOrg: true}), func(ctx context.Context, _ *struct{}) (*meOutput, error) {
		body, err := Me(ctx, h.Service.DB, PrincipalFrom(ctx))
		if err != nil {
			return nil, err
		}
		return &meOutput{Body: *body}, nil
	})

	huma.Register(api, Operation(huma.Operation{
		OperationID: "update-me", Method: http.MethodPatch, Path: "/api/v1/me", Tags: meTags,
		Summary: "Update my profile",
	}, Access{UserOnly: true, NoOrg: true}), func(ctx context.Context, in *updateMeInput) (*userOutput, error) {
		if in.Body.Name != nil {
			n := strings.TrimSpace(*in.Body.Name)
			in.Body.Name = &n
		}
		if in.Body.Phone != nil {
			ph := strings.TrimSpace(*in.Body.Phone)
			in.Body.Phone = &ph
		}
		u, err := dbsqlc.New().UpdateUserProfile(ctx, h.Service.DB, dbsqlc.UpdateUserProfileParams{
			ID: PrincipalFrom(ctx).UserID, Name: in.Body.Name, Phone: in.Body.Phone,
		})
		if err != nil {
			return nil, err
		}
		return &userOutput{Body: UserFromRow(u)}, nil
	})

	huma.Register(api, Operation(huma.Operation{
		OperationID: "change-password", Method: http.MethodPost, Path: "/api/v1/me/password", Tags: meTags,
		Summary: "Change my password", Description: "Every other session of the user is signed out.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusUnprocessableEntity},
	}, Access{UserOnly: true, NoOrg: true}), func(ctx context.Context, in *passwordInput) (*struct{}, error) {
		return nil, h.Service.ChangePassword(ctx, PrincipalFrom(ctx), in.Body.CurrentPassword, in.Body.NewPassword)
	})
}

// clearCookieError is a failed cookie refresh: the answer also clears the
// stale cookie so the browser stops presenting it.
type clearCookieError struct {
	err    error
	cookie http.Cookie
}

func (e *clearCookieError) Error() string { return e.err.Error() }
func (e *clearCookieError) Unwrap() error { return e.err }

// GetHeaders makes Huma send the cookie with the error.
func (e *clearCookieError) GetHeaders() http.Header {
	return http.Header{"Set-Cookie": {e.cookie.String()}}
}

// Me assembles the caller's identity.
func Me(ctx context.Context, db dbsqlc.DBTX, p *Principal) (*MeBody, error) {
	q := dbsqlc.New()
	u, err := q.GetUser(ctx, db, p.UserID)
	if err != nil {
		return nil, err
	}
	rows, err := q.ListUserMemberships(ctx, db, p.UserID)
	if err != nil {
		return nil, err
	}
	body := &MeBody{User: UserFromRow(u), Memberships: make([]Membership, 0, len(rows))}
	for _, r := range rows {
		m := Membership{Role: Role(r.Role), Org: OrgSummary{
			ID: r.ID, Name: r.Name, Slug: r.Slug, Timezone: r.Timezone, DefaultCountry: r.DefaultCountry,
			CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		}}
		body.Memberships = append(body.Memberships, m)
		if p.HasOrg() && r.ID == p.OrgID {
			org, role := m.Org, m.Role
			body.Org, body.Role = &org, &role
		}
	}
	return body, nil
}
