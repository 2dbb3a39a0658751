package sso

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"
	"golang.org/x/oauth2"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/logging"
	"github.com/switchboard/switchboard/internal/orgs"
)

// Errors of /start.
var (
	ErrUnknownProvider = fault.New(fault.NotFound, "unknown SSO provider")
	ErrUnavailable     = fault.New(fault.Unavailable, "the SSO provider cannot be reached right now; try again later")
)

// errNotConfigured is a known provider this server has no client for.
func errNotConfigured(name string) error {
	return fault.New(fault.NotFound, fmt.Sprintf("SSO with %s is not configured on this server", name))
}

// Codes sent to /login?sso_error= when a callback fails.
const (
	CodeAccessDenied     = "access_denied"      // the person declined at the provider
	CodeProviderError    = "provider_error"     // the provider answered with another error, or no code
	CodeInvalidState     = "invalid_state"      // state unknown, used, expired or of another provider
	CodeNotConfigured    = "not_configured"     // the provider is unknown or not configured
	CodeUnavailable      = "unavailable"        // the provider's discovery document cannot be read
	CodeExchangeFailed   = "exchange_failed"    // the code was refused at the token endpoint
	CodeInvalidToken     = "invalid_token"      // ID token missing, not valid, or of another nonce
	CodeEmailMissing     = "email_missing"      // no usable email for a person not yet linked
	CodeEmailNotVerified = "email_not_verified" // the provider has not verified the email
	CodeServerError      = "server_error"       // our side failed
)

// CallbackErrorCodes lists every sso_error code, for the SPA's messages.
var CallbackErrorCodes = []string{
	CodeAccessDenied, CodeProviderError, CodeInvalidState, CodeNotConfigured, CodeUnavailable,
	CodeExchangeFailed, CodeInvalidToken, CodeEmailMissing, CodeEmailNotVerified, CodeServerError,
}

const (
	// stateTTL is how long a person has to come back from the provider.
	stateTTL = 10 * time.Minute
	// httpTimeout bounds each call to a provider (discovery, token, keys).
	httpTimeout = 15 * time.Second
	// maxRedirect is the longest return path kept.
	maxRedirect = 2048
)

// Handlers serves the SSO routes.
type Handlers struct {
	// Sessions starts the session once the person is known; its DB is used
	// for everything else too.
	Sessions *auth.Service
	// Auth turns a session into the sb_session cookie.
	Auth *auth.Handlers
	// Providers are the configured clients, keyed by name (config.SSOProviders).
	Providers map[string]config.SSOProvider
	// PublicBaseURL is where browsers reach us: the callback URL registered
	// at each provider is PublicBaseURL + "/api/v1/auth/sso/{provider}/callback".
	PublicBaseURL string
	Logger        zerolog.Logger
	// HTTPClient, when set, makes the calls to providers (tests).
	HTTPClient *http.Client
	Now        func() time.Time

	mu         sync.Mutex
	discovered map[string]*discovery
}

// discovery is a provider's metadata, read once it has answered.
type discovery struct {
	provider *oidc.Provider
	// tenantIssuer is set for Microsoft's multi-tenant endpoints, whose ID
	// tokens are issued by the person's tenant: it holds "{tenantid}".
	tenantIssuer string
}

// microsoftMultiTenant matches the issuers that serve accounts of any tenant.
var microsoftMultiTenant = regexp.MustCompile(`^https://login\.microsoftonline\.com/(common|organizations|consumers)/v2\.0/?$`)

const microsoftTenantIssuer = "https://login.microsoftonline.com/{tenantid}/v2.0"

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// clientContext carries the HTTP client go-oidc and oauth2 use.
func (h *Handlers) clientContext(ctx context.Context) context.Context {
	c := h.HTTPClient
	if c == nil {
		c = &http.Client{Timeout: httpTimeout}
	}
	return oidc.ClientContext(ctx, c)
}

func (h *Handlers) logger(ctx context.Context, provider string) *zerolog.Logger {
	l := h.Logger.With().Str("request_id", logging.RequestID(ctx)).Str("sso_provider", provider).Logger()
	return &l
}

// providerConfig returns the client settings of a known, configured provider.
func (h *Handlers) providerConfig(name string) (config.SSOProvider, error) {
	if !slices.Contains(config.SSOProviders, name) {
		return config.SSOProvider{}, ErrUnknownProvider
	}
	pc, ok := h.Providers[name]
	if !ok || !pc.Configured() {
		return config.SSOProvider{}, errNotConfigured(name)
	}
	return pc, nil
}

// discover reads the provider's discovery document the first time it is
// needed and keeps it once read; a failure is retried on the next sign-in.
func (h *Handlers) discover(ctx context.Context, name string, pc config.SSOProvider) (*discovery, error) {
	h.mu.Lock()
	d := h.discovered[name]
	h.mu.Unlock()
	if d != nil {
		return d, nil
	}
	ctx, cancel := context.WithTimeout(h.clientContext(ctx), httpTimeout)
	defer cancel()
	d = &discovery{}
	if microsoftMultiTenant.MatchString(pc.Issuer) {
		// The document names "{tenantid}" as its issuer; each token's issuer
		// is checked against its tid claim in verify instead.
		d.tenantIssuer = microsoftTenantIssuer
		ctx = oidc.InsecureIssuerURLContext(ctx, microsoftTenantIssuer)
	}
	p, err := oidc.NewProvider(ctx, pc.Issuer)
	if err != nil {
		return nil, fmt.Errorf("discovering %s: %w", pc.Issuer, err)
	}
	d.provider = p
	h.mu.Lock()
	if h.discovered == nil {
		h.discovered = map[string]*discovery{}
	}
	h.discovered[name] = d
	h.mu.Unlock()
	return d, nil
}

func (h *Handlers) oauthConfig(name string, pc config.SSOProvider, d *discovery) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     pc.ClientID,
		ClientSecret: pc.ClientSecret,
		Endpoint:     d.provider.Endpoint(),
		RedirectURL:  strings.TrimSuffix(h.PublicBaseURL, "/") + "/api/v1/auth/sso/" + name + "/callback",
		Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
	}
}

// Start records a login state and returns the provider's authorization URL.
func (h *Handlers) Start(ctx context.Context, name, redirect string) (string, error) {
	pc, err := h.providerConfig(name)
	if err != nil {
		return "", err
	}
	d, err := h.discover(ctx, name, pc)
	if err != nil {
		h.logger(ctx, name).Error().Err(err).Msg("SSO provider discovery failed")
		return "", ErrUnavailable
	}
	state, stateHash, err := auth.NewOpaqueToken()
	if err != nil {
		return "", err
	}
	nonce, _, err := auth.NewOpaqueToken()
	if err != nil {
		return "", err
	}
	verifier := oauth2.GenerateVerifier()
	err = dbsqlc.New().CreateSSOLoginState(ctx, h.Sessions.DB, dbsqlc.CreateSSOLoginStateParams{
		StateHash: stateHash, Provider: name, Nonce: nonce, CodeVerifier: verifier,
		Redirect: SafeRedirect(redirect), ExpiresAt: h.now().Add(stateTTL),
	})
	if err != nil {
		return "", fmt.Errorf("storing SSO login state: %w", err)
	}
	return h.oauthConfig(name, pc, d).AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), nil
}

// CallbackParams are what the provider sends the browser back with.
type CallbackParams struct {
	Code             string
	State            string
	Error            string
	ErrorDescription string
}

// failure is a callback error with the code the SPA is told.
type failure struct {
	code string
	err  error
}

func (f *failure) Error() string { return f.code + ": " + f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

func fail(code string, err error) error { return &failure{code: code, err: err} }

// FailureCode returns the sso_error code of a Callback error.
func FailureCode(err error) string {
	var f *failure
	if errors.As(err, &f) {
		return f.code
	}
	return CodeServerError
}

// idClaims are the ID token claims read beyond the standard ones.
type idClaims struct {
	Email         string   `json:"email"`
	EmailVerified flexBool `json:"email_verified"`
	// EmailDomainOwnerVerified is Microsoft's optional claim (enable
	// xms_edov in the app registration): Entra ID sends no email_verified,
	// and this says the tenant owns the email's domain.
	EmailDomainOwnerVerified flexBool `json:"xms_edov"`
	Name                     string   `json:"name"`
	TenantID                 string   `json:"tid"`
}

// flexBool accepts true and "true": some providers send booleans as strings.
type flexBool bool

// UnmarshalJSON reads a boolean or its string form; anything else is false.
func (b *flexBool) UnmarshalJSON(p []byte) error {
	s := string(p)
	*b = flexBool(s == "true" || s == `"true"`)
	return nil
}

// Callback completes a sign-in: it spends the login state, exchanges the
// code, verifies the ID token, finds or creates the user and starts a
// session. It returns the session and the path to send the browser to.
// Errors carry a code for the SPA (FailureCode).
func (h *Handlers) Callback(ctx context.Context, name string, in CallbackParams) (*auth.Session, string, error) {
	pc, err := h.providerConfig(name)
	if err != nil {
		return nil, "", fail(CodeNotConfigured, err)
	}
	if in.State == "" {
		return nil, "", fail(CodeInvalidState, errors.New("no state in callback"))
	}
	// The state is spent whatever happens next: it is good for one try.
	st, err := dbsqlc.New().TakeSSOLoginState(ctx, h.Sessions.DB, dbsqlc.TakeSSOLoginStateParams{
		StateHash: auth.HashToken(in.State), Provider: name, Now: h.now(),
	})
	stateErr := err
	// Failures after this point still know where the person was going,
	// so the login page can send them there after another try.
	back := ""
	if stateErr == nil {
		back = SafeRedirect(st.Redirect)
	}
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, back, fmt.Errorf("taking SSO login state: %w", err)
	}
	if in.Error != "" {
		code := CodeProviderError
		if in.Error == "access_denied" {
			code = CodeAccessDenied
		}
		return nil, back, fail(code, fmt.Errorf("provider answered %q: %s", in.Error, in.ErrorDescription))
	}
	if stateErr != nil {
		return nil, back, fail(CodeInvalidState, errors.New("state unknown, used or expired"))
	}
	if in.Code == "" {
		return nil, back, fail(CodeProviderError, errors.New("no code in callback"))
	}
	d, err := h.discover(ctx, name, pc)
	if err != nil {
		return nil, back, fail(CodeUnavailable, err)
	}
	claims, subject, err := h.exchange(ctx, name, pc, d, in.Code, st)
	if err != nil {
		return nil, back, err
	}
	var sess *auth.Session
	err = dbutil.WithTx(ctx, h.Sessions.DB, func(tx pgx.Tx) error {
		u, err := resolveUser(ctx, tx, name, subject, claims, h.now())
		if err != nil {
			return err
		}
		sess, err = h.Sessions.StartSession(ctx, tx, u, uuid.NullUUID{}, auth.ClientOf(ctx))
		return err
	})
	if err != nil {
		return nil, back, err
	}
	return sess, SafeRedirect(st.Redirect), nil
}

// exchange trades the code for tokens with the PKCE verifier and returns
// the verified ID token's claims and subject.
func (h *Handlers) exchange(ctx context.Context, name string, pc config.SSOProvider, d *discovery, code string, st dbsqlc.SsoLoginState) (idClaims, string, error) {
	ctx, cancel := context.WithTimeout(h.clientContext(ctx), httpTimeout)
	defer cancel()
	tok, err := h.oauthConfig(name, pc, d).Exchange(ctx, code, oauth2.VerifierOption(st.CodeVerifier))
	if err != nil {
		return idClaims{}, "", fail(CodeExchangeFailed, fmt.Errorf("exchanging code: %w", err))
	}
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return idClaims{}, "", fail(CodeInvalidToken, errors.New("token response has no id_token"))
	}
	idt, err := d.provider.Verifier(&oidc.Config{
		ClientID: pc.ClientID, Now: h.now, SkipIssuerCheck: d.tenantIssuer != "",
	}).Verify(ctx, raw)
	if err != nil {
		return idClaims{}, "", fail(CodeInvalidToken, fmt.Errorf("verifying ID token: %w", err))
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return idClaims{}, "", fail(CodeInvalidToken, errors.New("ID token nonce does not match the login state"))
	}
	var c idClaims
	if err := idt.Claims(&c); err != nil {
		return idClaims{}, "", fail(CodeInvalidToken, fmt.Errorf("reading ID token claims: %w", err))
	}
	if d.tenantIssuer != "" {
		want := strings.Replace(d.tenantIssuer, "{tenantid}", c.TenantID, 1)
		if c.TenantID == "" || idt.Issuer != want {
			return idClaims{}, "", fail(CodeInvalidToken, fmt.Errorf("ID token issuer %q does not match its tenant %q", idt.Issuer, c.TenantID))
		}
	}
	if idt.Subject == "" {
		return idClaims{}, "", fail(CodeInvalidToken, errors.New("ID token has no subject"))
	}
	return c, idt.Subject, nil
}

// resolveUser finds the user of an identity, links it to the account of a
// verified email, or creates that account with an org of its own.
func resolveUser(ctx context.Context, tx pgx.Tx, provider, subject string, c idClaims, now time.Time) (dbsqlc.User, error) {
	q := dbsqlc.New()
	ident, err := q.GetUserIdentity(ctx, tx, dbsqlc.GetUserIdentityParams{Provider: provider, Subject: subject})
	if err == nil {
		u, err := q.GetUser(ctx, tx, ident.UserID)
		if err != nil {
			return dbsqlc.User{}, fmt.Errorf("reading linked user: %w", err)
		}
		return u, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return dbsqlc.User{}, fmt.Errorf("reading identity: %w", err)
	}
	if strings.TrimSpace(c.Email) == "" {
		return dbsqlc.User{}, fail(CodeEmailMissing, errors.New("ID token has no email"))
	}
	email, err := auth.NormalizeEmail("email", c.Email)
	if err != nil {
		return dbsqlc.User{}, fail(CodeEmailMissing, fmt.Errorf("ID token email %q is not an address", c.Email))
	}
	if !c.EmailVerified && !c.EmailDomainOwnerVerified {
		return dbsqlc.User{}, fail(CodeEmailNotVerified, fmt.Errorf("provider has not verified %s", email))
	}
	link := dbsqlc.CreateUserIdentityParams{Provider: provider, Subject: subject, Email: email}

	u, err := q.GetUserByEmail(ctx, tx, email)
	switch {
	case err == nil:
		if u.EmailVerifiedAt == nil {
			// Whoever registered this address never proved they own it; the
			// provider says this person does. Whatever the registrant set up
			// (password, sessions) must not keep working.
			if err := q.SetUserPassword(ctx, tx, dbsqlc.SetUserPasswordParams{ID: u.ID}); err != nil {
				return dbsqlc.User{}, fmt.Errorf("removing unverified password: %w", err)
			}
			if err := q.RevokeUserSessionsExcept(ctx, tx, dbsqlc.RevokeUserSessionsExceptParams{Now: now, UserID: u.ID, KeepFamilyID: uuid.Nil}); err != nil {
				return dbsqlc.User{}, fmt.Errorf("revoking unverified sessions: %w", err)
			}
			if err := q.MarkUserEmailVerified(ctx, tx, u.ID); err != nil {
				return dbsqlc.User{}, fmt.Errorf("marking email verified: %w", err)
			}
		}
	case errors.Is(err, pgx.ErrNoRows):
		name := clip(strings.TrimSpace(c.Name), 200)
		u, err = auth.CreateUser(ctx, tx, email, name, "", &now)
		if err != nil {
			return dbsqlc.User{}, err
		}
		owner := name
		if owner == "" {
			owner = email[:strings.LastIndex(email, "@")]
		}
		const suffix = "'s workspace"
		orgName := clip(owner, 200-len(suffix)) + suffix
		if _, err := orgs.Create(ctx, tx, u.ID, orgs.Settings{Name: &orgName}); err != nil {
			return dbsqlc.User{}, fmt.Errorf("creating workspace: %w", err)
		}
	default:
		return dbsqlc.User{}, fmt.Errorf("reading user by email: %w", err)
	}
	link.UserID = u.ID
	if err := q.CreateUserIdentity(ctx, tx, link); err != nil {
		return dbsqlc.User{}, fmt.Errorf("linking identity: %w", err)
	}
	return u, nil
}

// clip cuts s to at most n bytes without splitting a character.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// SafeRedirect returns target when it is a path on this site, else "/".
// Browsers read "//host" and "/\host" as another host, and drop tabs and
// newlines before doing so, so those are refused.
func SafeRedirect(target string) string {
	if target == "" || len(target) > maxRedirect || target[0] != '/' {
		return "/"
	}
	if len(target) > 1 && (target[1] == '/' || target[1] == '\\') {
		return "/"
	}
	for i := 0; i < len(target); i++ {
		if target[i] < 0x20 || target[i] == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return target
}

// loginError is where a failed callback sends the browser, keeping the
// page the sign-in started from when it is known.
func loginError(code, back string) string {
	target := "/login?sso_error=" + url.QueryEscape(code)
	if back != "" && back != "/" {
		target += "&redirect=" + url.QueryEscape(back)
	}
	return target
}
