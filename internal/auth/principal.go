package auth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/httpserver"
)

// Errors of authentication and authorization.
var (
	ErrUnauthenticated  = fault.New(fault.Unauthorized, "authentication required: send Authorization: Bearer <access token or API key>")
	ErrTokenInvalid     = fault.New(fault.Unauthorized, "access token is invalid")
	ErrTokenExpired     = fault.New(fault.Unauthorized, "access token has expired")
	ErrForbidden        = fault.New(fault.Forbidden, "your role does not allow this")
	ErrScope            = fault.New(fault.Forbidden, "the API key lacks the scope this needs")
	ErrUserOnly         = fault.New(fault.Forbidden, "this needs a user's access token, not an API key")
	ErrNoOrg            = fault.New(fault.Forbidden, "no active organization: switch to one of yours or create one")
	ErrStaffOnly        = fault.New(fault.Forbidden, "only platform operators may do this")
	ErrInvalidLogin     = fault.New(fault.Unauthorized, "invalid email or password")
	ErrSessionInvalid   = fault.New(fault.Unauthorized, "session expired or revoked: sign in again")
	ErrOrgNotFound      = fault.New(fault.NotFound, "organization not found")
	ErrAPIKeyRevoked    = fault.New(fault.Unauthorized, "API key has been revoked")
	ErrAPIKeyExpired    = fault.New(fault.Unauthorized, "API key has expired")
	ErrAPIKeyInvalid    = fault.New(fault.Unauthorized, "API key is invalid")
	errAccessUndeclared = errors.New("operation declares no access rule")
)

// Kind of credential behind a request.
type Kind int

// Credential kinds.
const (
	KindUser Kind = iota + 1
	KindAPIKey
)

// Principal is who a request acts as. OrgID is the org every tenant query
// of the request is scoped to.
type Principal struct {
	Kind      Kind
	UserID    uuid.UUID // KindUser
	SessionID uuid.UUID // KindUser: the refresh-token family
	Staff     bool      // KindUser
	OrgID     uuid.UUID // uuid.Nil when a user has no active org
	Role      Role      // KindUser with an org
	APIKeyID  uuid.UUID // KindAPIKey
	Scopes    []string  // KindAPIKey
}

// HasOrg reports whether the principal acts in an org.
func (p *Principal) HasOrg() bool { return p.OrgID != uuid.Nil }

// CreatedBy is the user to record as an actor, if any.
func (p *Principal) CreatedBy() uuid.NullUUID {
	if p.Kind == KindUser {
		return uuid.NullUUID{UUID: p.UserID, Valid: true}
	}
	return uuid.NullUUID{}
}

type principalKey struct{}

// PrincipalFrom returns the request's principal. Handlers call it once and
// pass the org on explicitly; it is nil only on public operations.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// WithPrincipal stores p in ctx (tests and the middleware).
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// Access is an operation's rule. Every operation declares one.
type Access struct {
	// Public operations need no credential (a valid one is still read).
	Public bool
	// Role is the least role a user needs in the active org.
	Role Role
	// Scope an API key needs; empty means API keys may not call it.
	Scope string
	// UserOnly refuses API keys even with a scope.
	UserOnly bool
	// NoOrg lets a user without an active org through (e.g. /me).
	NoOrg bool
	// Staff needs a platform operator.
	Staff bool
}

const accessMetaKey = "access"

// Operation declares op's access rule and its security requirement in the
// OpenAPI document.
func Operation(op huma.Operation, a Access) huma.Operation {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[accessMetaKey] = a
	if !a.Public {
		op.Security = []map[string][]string{{httpserver.SecurityBearer: {}}}
		op.Errors = appendMissing(op.Errors, http.StatusUnauthorized, http.StatusForbidden)
	}
	return op
}

func appendMissing(codes []int, add ...int) []int {
	for _, c := range add {
		if !slices.Contains(codes, c) {
			codes = append(codes, c)
		}
	}
	return codes
}

// KeyVerifier resolves an API key to its principal (implemented by apikeys).
type KeyVerifier interface {
	VerifyKey(ctx context.Context, raw string) (*Principal, error)
}

// Authenticator resolves credentials and enforces each operation's Access.
type Authenticator struct {
	DB     dbutil.Executor
	Tokens *Tokens
	Keys   KeyVerifier
}

// APIKeyPrefix starts every API key, which tells keys from JWTs apart.
const APIKeyPrefix = "sb_"

// Middleware is the Huma middleware enforcing Access on every operation.
func (a *Authenticator) Middleware(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(hctx huma.Context, next func(huma.Context)) {
		access, ok := hctx.Operation().Metadata[accessMetaKey].(Access)
		if !ok {
			_ = huma.WriteErr(api, hctx, http.StatusInternalServerError, "", errAccessUndeclared)
			return
		}
		ctx := hctx.Context()
		raw, hasCred := bearer(hctx.Header("Authorization"))
		if !hasCred {
			if access.Public {
				next(hctx)
				return
			}
			a.deny(api, hctx, ErrUnauthenticated)
			return
		}
		p, err := a.Authenticate(ctx, raw)
		if err != nil {
			if access.Public {
				next(hctx)
				return
			}
			a.deny(api, hctx, err)
			return
		}
		if err := Check(p, access); err != nil && !access.Public {
			a.deny(api, hctx, err)
			return
		}
		if l := zerolog.Ctx(ctx); l != nil {
			l.UpdateContext(func(c zerolog.Context) zerolog.Context {
				if p.HasOrg() {
					c = c.Str("org_id", p.OrgID.String())
				}
				if p.Kind == KindUser {
					return c.Str("user_id", p.UserID.String())
				}
				return c.Str("api_key_id", p.APIKeyID.String())
			})
		}
		next(huma.WithValue(hctx, principalKey{}, p))
	}
}

func (a *Authenticator) deny(api huma.API, hctx huma.Context, err error) {
	if fe, ok := fault.As(err); ok && fe.Kind == fault.Unauthorized {
		hctx.SetHeader("WWW-Authenticate", `Bearer realm="switchboard"`)
	}
	_ = huma.WriteErr(api, hctx, http.StatusInternalServerError, "", err)
}

// Authenticate resolves a bearer credential. For users it reads the current
// membership, so a removed member or a changed role takes effect at once
// rather than when the access token expires.
func (a *Authenticator) Authenticate(ctx context.Context, raw string) (*Principal, error) {
	if strings.HasPrefix(raw, APIKeyPrefix) {
		if a.Keys == nil {
			return nil, ErrAPIKeyInvalid
		}
		return a.Keys.VerifyKey(ctx, raw)
	}
	c, err := a.Tokens.Parse(raw)
	if err != nil {
		return nil, err
	}
	userID, err := uuid.Parse(c.Subject)
	if err != nil {
		return nil, ErrTokenInvalid
	}
	sid, err := uuid.Parse(c.SessionID)
	if err != nil {
		return nil, ErrTokenInvalid
	}
	p := &Principal{Kind: KindUser, UserID: userID, SessionID: sid, Staff: c.Staff}
	if c.OrgID != "" {
		orgID, err := uuid.Parse(c.OrgID)
		if err != nil {
			return nil, ErrTokenInvalid
		}
		role, err := dbsqlc.New().GetMemberRole(ctx, a.DB, dbsqlc.GetMemberRoleParams{OrgID: orgID, UserID: userID})
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			// No longer a member: the token acts without an org.
		case err != nil:
			return nil, err
		default:
			p.OrgID, p.Role = orgID, Role(role)
		}
	}
	return p, nil
}

// Check applies an Access rule to a principal.
func Check(p *Principal, a Access) error {
	if a.Public {
		return nil
	}
	switch p.Kind {
	case KindAPIKey:
		if a.UserOnly || a.Staff || a.Scope == "" {
			return ErrUserOnly
		}
		if !slices.Contains(p.Scopes, a.Scope) {
			return ErrScope
		}
		return nil
	case KindUser:
		if a.Staff && !p.Staff {
			return ErrStaffOnly
		}
		if a.NoOrg {
			return nil
		}
		if !p.HasOrg() {
			return ErrNoOrg
		}
		if a.Role != "" && !p.Role.AtLeast(a.Role) {
			return ErrForbidden
		}
		return nil
	}
	return ErrUnauthenticated
}

func bearer(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) <= len(prefix) || !strings.EqualFold(h[:len(prefix)], prefix) {
		return "", false
	}
	t := strings.TrimSpace(h[len(prefix):])
	return t, t != ""
}

// SessionCookie is the HttpOnly cookie carrying the dashboard's refresh token.
const SessionCookie = "sb_session"

// StaffOnly guards raw Fiber routes (River UI) for platform operators. It
// accepts the dashboard's session cookie (so the browser just opens the
// page) or a staff access token. A browser without a session is sent to
// the login page with the way back.
func (a *Authenticator) StaffOnly(now func() time.Time) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		staff, known := false, false
		if raw, ok := bearer(c.Get(fiber.HeaderAuthorization)); ok {
			if p, err := a.Authenticate(ctx, raw); err == nil && p.Kind == KindUser {
				staff, known = p.Staff, true
			}
		}
		if !known {
			if cookie := c.Cookies(SessionCookie); cookie != "" {
				u, err := dbsqlc.New().GetLiveSessionUser(ctx, a.DB, dbsqlc.GetLiveSessionUserParams{TokenHash: HashToken(cookie), Now: now()})
				if err == nil {
					staff, known = u.IsStaff, true
				} else if !errors.Is(err, pgx.ErrNoRows) {
					return err
				}
			}
		}
		if !known {
			if c.Method() == fiber.MethodGet && strings.Contains(c.Get(fiber.HeaderAccept), "text/html") {
				return c.Redirect("/login?redirect="+url.QueryEscape(c.OriginalURL()), fiber.StatusFound)
			}
			c.Set("WWW-Authenticate", `Bearer realm="switchboard"`)
			return httpserver.WriteProblem(c, ErrUnauthenticated)
		}
		if !staff {
			return httpserver.WriteProblem(c, ErrStaffOnly)
		}
		return c.Next()
	}
}
