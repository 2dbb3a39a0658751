package sso

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/config"
)

// ProviderStatus tells the login page which buttons to show.
type ProviderStatus struct {
	Name       string `json:"name" enum:"google,microsoft"`
	Configured bool   `json:"configured" doc:"Whether this server has a client for the provider."`
}

type providersOutput struct {
	Body struct {
		Items []ProviderStatus `json:"items"`
	}
}

type startInput struct {
	Provider string `path:"provider" maxLength:"32" doc:"google or microsoft."`
	Redirect string `query:"redirect" doc:"Path on this site to return to after signing in; anything else returns to /."`
}

type callbackInput struct {
	Provider         string `path:"provider" maxLength:"32"`
	Code             string `query:"code"`
	State            string `query:"state"`
	Error            string `query:"error"`
	ErrorDescription string `query:"error_description"`
}

// redirectOutput answers with a redirect and, after a sign-in, the cookie.
type redirectOutput struct {
	Status       int
	Location     string        `header:"Location"`
	SetCookie    []http.Cookie `header:"Set-Cookie"`
	CacheControl string        `header:"Cache-Control"`
}

func redirectTo(location string) *redirectOutput {
	return &redirectOutput{Status: http.StatusFound, Location: location, CacheControl: "no-store"}
}

// Register mounts the routes.
func (h *Handlers) Register(api huma.API) {
	tags := []string{"Auth"}

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-sso-providers", Method: http.MethodGet, Path: "/api/v1/auth/sso/providers", Tags: tags,
		Summary: "List single sign-on providers", Description: "Every provider this server knows and whether it is configured.",
	}, auth.Access{Public: true}), func(context.Context, *struct{}) (*providersOutput, error) {
		out := &providersOutput{}
		out.Body.Items = make([]ProviderStatus, 0, len(config.SSOProviders))
		for _, name := range config.SSOProviders {
			out.Body.Items = append(out.Body.Items, ProviderStatus{Name: name, Configured: h.Providers[name].Configured()})
		}
		return out, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "start-sso", Method: http.MethodGet, Path: "/api/v1/auth/sso/{provider}/start", Tags: tags,
		Summary: "Sign in with a provider",
		Description: "Redirects the browser to the provider's sign-in page (OpenID Connect, authorization code with PKCE). " +
			"The provider returns it to the callback, which signs the person in and redirects to `redirect`.",
		DefaultStatus: http.StatusFound,
		Errors:        []int{http.StatusNotFound, http.StatusServiceUnavailable},
	}, auth.Access{Public: true}), func(ctx context.Context, in *startInput) (*redirectOutput, error) {
		u, err := h.Start(ctx, in.Provider, in.Redirect)
		if err != nil {
			return nil, err
		}
		return redirectTo(u), nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "sso-callback", Method: http.MethodGet, Path: "/api/v1/auth/sso/{provider}/callback", Tags: tags,
		Summary: "Finish signing in with a provider",
		Description: "Where the provider sends the browser back. On success it sets the sb_session cookie and redirects to the page " +
			"the sign-in started from; on failure it redirects to /login?sso_error=<code>, one of " +
			strings.Join(CallbackErrorCodes, ", ") + ".",
		DefaultStatus: http.StatusFound,
	}, auth.Access{Public: true}), func(ctx context.Context, in *callbackInput) (*redirectOutput, error) {
		sess, redirect, err := h.Callback(ctx, in.Provider, CallbackParams{
			Code: in.Code, State: in.State, Error: in.Error, ErrorDescription: in.ErrorDescription,
		})
		if err != nil {
			code := FailureCode(err)
			var ev *zerolog.Event
			if code == CodeServerError || code == CodeUnavailable {
				ev = h.logger(ctx, in.Provider).Error()
			} else {
				ev = h.logger(ctx, in.Provider).Warn()
			}
			ev.Err(err).Str("sso_error", code).Msg("SSO sign-in failed")
			return redirectTo(loginError(code, redirect)), nil
		}
		out := redirectTo(redirect)
		out.SetCookie = h.Auth.SessionOutput(sess, true).SetCookie
		return out, nil
	})
}
