package pricing

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// The scopes an API key needs for the pricing routes.
const (
	ScopeRead  = "pricing:read"
	ScopeWrite = "pricing:write"
)

// Handlers serves /api/v1/pricing.
type Handlers struct {
	DB  dbutil.Executor
	Now func() time.Time
}

// PriceTablePutBody replaces the table.
type PriceTablePutBody struct {
	Currency string     `json:"currency" maxLength:"8" doc:"ISO 4217 code, like USD."`
	Rows     []PriceRow `json:"rows" maxItems:"2000" doc:"Every row of the table: rows not sent are removed."`
}

// ListPricesBody is the published list prices.
type ListPricesBody struct {
	Currency string     `json:"currency"`
	Rows     []PriceRow `json:"rows"`
}

type tableOutput struct{ Body PriceTable }

// Register mounts the routes. Every role reads the table (estimates show
// costs to whoever prepares a campaign); admins change it.
func (h *Handlers) Register(api huma.API) {
	tags := []string{"Pricing"}
	read := auth.Access{Role: auth.RoleViewer, Scope: ScopeRead}
	orgOf := func(ctx context.Context) *auth.Principal { return auth.PrincipalFrom(ctx) }

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-pricing", Method: http.MethodGet, Path: "/api/v1/pricing", Tags: tags,
		Summary:     "The price table",
		Description: "Price per message by channel; WhatsApp by template category and destination country, with a default row (empty country) for the rest. Campaign estimates use it.",
	}, read), func(ctx context.Context, _ *struct{}) (*tableOutput, error) {
		t, err := Get(ctx, h.DB, orgOf(ctx).OrgID)
		if err != nil {
			return nil, err
		}
		return &tableOutput{Body: t}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "put-pricing", Method: http.MethodPut, Path: "/api/v1/pricing", Tags: tags,
		Summary: "Replace the price table",
		Description: "Admins. The rows sent become the whole table. Prices must not be negative and have at most 6 decimals; " +
			"countries are ISO 3166-1 alpha-2 codes of countries with phone numbers; one row per channel, category and country.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, auth.Access{Role: auth.RoleAdmin, Scope: ScopeWrite}), func(ctx context.Context, in *struct{ Body PriceTablePutBody }) (*tableOutput, error) {
		p := orgOf(ctx)
		t, err := Put(ctx, h.DB, p.OrgID, PutParams{Currency: in.Body.Currency, Rows: in.Body.Rows, Actor: p.CreatedBy()}, h.Now())
		if err != nil {
			return nil, err
		}
		return &tableOutput{Body: t}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-list-prices", Method: http.MethodGet, Path: "/api/v1/pricing/list-prices", Tags: tags,
		Summary:     "The published list prices",
		Description: "What every org's table starts from (SendGrid, Twilio WhatsApp with Meta's fees, Telegram and Instagram free). PUT them to reset the table.",
	}, read), func(ctx context.Context, _ *struct{}) (*struct{ Body ListPricesBody }, error) {
		rows, err := ListPrices(ctx, h.DB)
		if err != nil {
			return nil, err
		}
		return &struct{ Body ListPricesBody }{Body: ListPricesBody{Currency: ListCurrency, Rows: rows}}, nil
	})
}
