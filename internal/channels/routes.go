package channels

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// The scopes an API key needs for the channel routes.
const (
	ScopeRead  = "channels:read"
	ScopeWrite = "channels:write"
)

// Handlers serves /api/v1/channels.
type Handlers struct {
	DB    dbutil.Executor
	Jobs  Inserter
	Store *Store
	Now   func() time.Time
	// PublicBaseURL makes the webhook URLs shown.
	PublicBaseURL string
	// Sandbox is the server's SANDBOX setting: it offers sandbox credentials.
	Sandbox bool
}

// ChannelPath is the {channel} path parameter.
type ChannelPath struct {
	Channel Channel `path:"channel" enum:"email,whatsapp,telegram,instagram"`
}

// ChannelList is every channel's settings.
type ChannelList struct {
	Items []ChannelSettings `json:"items" doc:"All four channels, configured or not."`
	// Sandbox tells the page to offer "Use sandbox credentials".
	Sandbox bool `json:"sandbox" doc:"The server runs with the provider sandbox (SANDBOX=1): POST /api/v1/channels/{channel}/use-sandbox fills in sandbox credentials."`
}

// ChannelPutBody changes a channel's settings; absent fields keep their values.
type ChannelPutBody struct {
	Enabled       *bool              `json:"enabled,omitempty" doc:"A new channel is enabled unless false. Enabling needs the channel's required fields."`
	Config        map[string]string  `json:"config,omitempty" doc:"Non-secret fields to set; \"\" clears one. email: from_email (required), from_name, reply_to, event_public_key; whatsapp: account_sid (required, AC + 32 hex), from (required, E.164); instagram: account_id (required)."`
	Secrets       map[string]*string `json:"secrets,omitempty" doc:"Secret fields to set; null or absent keeps the stored value, \"\" clears it. email: api_key; whatsapp: auth_token; telegram: bot_token; instagram: access_token, app_secret, verify_token (\"\" makes a new one). All but verify_token are required."`
	RatePerSecond *float64           `json:"rate_per_second,omitempty" minimum:"0" maximum:"10000" doc:"Sends per second; 0 goes back to the channel's default."`
}

type settingsOutput struct{ Body ChannelSettings }

// Register mounts the routes. Every role reads (secrets show only as set
// and last 4); admins change, delete and test.
func (h *Handlers) Register(api huma.API) {
	tags := []string{"Channels"}
	read := auth.Access{Role: auth.RoleViewer, Scope: ScopeRead}
	write := auth.Access{Role: auth.RoleAdmin, Scope: ScopeWrite}
	orgOf := func(ctx context.Context) uuid.UUID { return auth.PrincipalFrom(ctx).OrgID }
	actor := func(ctx context.Context) uuid.NullUUID { return auth.PrincipalFrom(ctx).CreatedBy() }
	out := func(r dbsqlc.ChannelSetting, err error) (*settingsOutput, error) {
		if err != nil {
			return nil, err
		}
		v, err := h.Store.view(r, h.PublicBaseURL)
		if err != nil {
			return nil, err
		}
		return &settingsOutput{Body: v}, nil
	}

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-channels", Method: http.MethodGet, Path: "/api/v1/channels", Tags: tags,
		Summary:     "List channel settings",
		Description: "All four channels, configured or not: enabled, the non-secret fields, whether each secret is set (with its last 4 characters; never the secret), the webhook URLs, the connection status and the send rate.",
	}, read), func(ctx context.Context, _ *struct{}) (*struct{ Body ChannelList }, error) {
		items, err := h.Store.List(ctx, h.DB, orgOf(ctx), h.PublicBaseURL)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ChannelList }{Body: ChannelList{Items: items, Sandbox: h.Sandbox}}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-channel", Method: http.MethodGet, Path: "/api/v1/channels/{channel}", Tags: tags,
		Summary: "Get a channel's settings", Description: "404 until the channel's settings are first saved. Poll it after a test for the status.",
		Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, read), func(ctx context.Context, in *ChannelPath) (*settingsOutput, error) {
		v, err := h.Store.Get(ctx, h.DB, orgOf(ctx), in.Channel, h.PublicBaseURL)
		if err != nil {
			return nil, err
		}
		return &settingsOutput{Body: v}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "put-channel", Method: http.MethodPut, Path: "/api/v1/channels/{channel}", Tags: tags,
		Summary: "Change a channel's settings",
		Description: "Admins. Creates the settings on first use. Partial: absent fields keep their values, and a secret that is absent or null keeps the stored one. " +
			"Changed credentials make the channel unchecked until it is tested again. Each bad field is named in the problem (body.config.<name>, body.secrets.<name>).",
		Errors: []int{http.StatusConflict, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct {
		ChannelPath
		Body ChannelPutBody
	}) (*settingsOutput, error) {
		b := in.Body
		return out(h.Store.Put(ctx, h.DB, orgOf(ctx), in.Channel, PutParams{
			Enabled: b.Enabled, Config: b.Config, Secrets: b.Secrets, RatePerSecond: b.RatePerSecond, Actor: actor(ctx),
		}, h.Now()))
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "delete-channel", Method: http.MethodDelete, Path: "/api/v1/channels/{channel}", Tags: tags,
		Summary: "Delete a channel's settings", Description: "Admins. The credentials are forgotten and the webhook URLs stop working; configuring the channel again gives new ones.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *ChannelPath) (*struct{}, error) {
		return nil, Delete(ctx, h.DB, orgOf(ctx), in.Channel)
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "test-channel", Method: http.MethodPost, Path: "/api/v1/channels/{channel}/test", Tags: tags,
		Summary: "Test a channel's connection",
		Description: "Admins. Queues a check of the saved credentials with the provider and answers at once with status checking; poll GET /api/v1/channels/{channel} " +
			"until the status is ok or error (check_error holds the provider's reason). The check also registers our webhook where the provider allows it " +
			"(SendGrid's Event Webhook, with its signing key; Telegram's setWebhook).",
		DefaultStatus: http.StatusAccepted, Errors: []int{http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *ChannelPath) (*settingsOutput, error) {
		return out(RequestCheck(ctx, h.DB, h.Jobs, orgOf(ctx), in.Channel))
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "use-sandbox-channel", Method: http.MethodPost, Path: "/api/v1/channels/{channel}/use-sandbox", Tags: tags,
		Summary: "Use sandbox credentials",
		Description: "Admins, on servers running the provider sandbox (SANDBOX=1). Replaces the channel's settings with fresh sandbox credentials, enabled and unchecked; " +
			"test the connection next. 501 elsewhere.",
		Errors: []int{http.StatusNotImplemented, http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *ChannelPath) (*settingsOutput, error) {
		return out(h.Store.UseSandbox(ctx, h.DB, orgOf(ctx), in.Channel, h.Sandbox, actor(ctx), h.Now()))
	})
}
