package apikeys

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// Handlers serves /api/v1/api-keys.
type Handlers struct {
	DB  dbutil.Executor
	Now func() time.Time
	// Cache is this process's key cache: it forgets a revoked or
	// regenerated key before the answer goes out (other processes hear of
	// it by NOTIFY).
	Cache *KeyCache
}

type idPath struct {
	ID uuid.UUID `path:"id"`
}

type listBody[T any] struct {
	Items []T `json:"items"`
}

// Register mounts the routes. Managing keys is for admins (or a key with
// the api_keys scopes).
func (h *Handlers) Register(api huma.API) {
	tags := []string{"API keys"}
	read := auth.Access{Role: auth.RoleAdmin, Scope: "api_keys:read"}
	write := auth.Access{Role: auth.RoleAdmin, Scope: "api_keys:write"}

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-api-key-scopes", Method: http.MethodGet, Path: "/api/v1/api-keys/scopes", Tags: tags,
		Summary: "List the scopes a key can carry",
	}, read), func(ctx context.Context, _ *struct{}) (*struct{ Body listBody[auth.Scope] }, error) {
		return &struct{ Body listBody[auth.Scope] }{Body: listBody[auth.Scope]{Items: auth.Scopes}}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-api-keys", Method: http.MethodGet, Path: "/api/v1/api-keys", Tags: tags,
		Summary: "List API keys", Description: "With the last 30 days of usage per key.",
	}, read), func(ctx context.Context, _ *struct{}) (*struct{ Body listBody[Key] }, error) {
		keys, err := List(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, h.Now())
		if err != nil {
			return nil, err
		}
		return &struct{ Body listBody[Key] }{Body: listBody[Key]{Items: keys}}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-api-key", Method: http.MethodGet, Path: "/api/v1/api-keys/{id}", Tags: tags,
		Summary: "Get an API key", Errors: []int{http.StatusNotFound},
	}, read), func(ctx context.Context, in *idPath) (*struct{ Body Key }, error) {
		k, err := Get(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Key }{Body: k}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "create-api-key", Method: http.MethodPost, Path: "/api/v1/api-keys", Tags: tags,
		Summary: "Create an API key", Description: "The secret is in this answer only.",
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct {
		Body struct {
			Name      string     `json:"name" maxLength:"100"`
			Scopes    []string   `json:"scopes" maxItems:"50"`
			ExpiresAt *time.Time `json:"expires_at,omitempty" required:"false" doc:"When the key stops working; never when omitted."`
		}
	}) (*struct{ Body NewKey }, error) {
		p := auth.PrincipalFrom(ctx)
		k, err := Create(ctx, h.DB, p.OrgID, CreateParams{Name: in.Body.Name, Scopes: in.Body.Scopes, ExpiresAt: in.Body.ExpiresAt, CreatedBy: p.CreatedBy()}, h.Now())
		if err != nil {
			return nil, err
		}
		return &struct{ Body NewKey }{Body: *k}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "revoke-api-key", Method: http.MethodPost, Path: "/api/v1/api-keys/{id}/revoke", Tags: tags,
		Summary: "Revoke an API key", Description: "It stops working at once.", Errors: []int{http.StatusNotFound},
	}, write), func(ctx context.Context, in *idPath) (*struct{ Body Key }, error) {
		k, err := Revoke(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID, h.Now())
		if err != nil {
			return nil, err
		}
		h.Cache.Forget()
		return &struct{ Body Key }{Body: k}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "regenerate-api-key", Method: http.MethodPost, Path: "/api/v1/api-keys/{id}/regenerate", Tags: tags,
		Summary: "Regenerate an API key's secret", Description: "The old secret stops working at once; the new one is in this answer only.",
		Errors: []int{http.StatusNotFound, http.StatusConflict},
	}, write), func(ctx context.Context, in *idPath) (*struct{ Body NewKey }, error) {
		k, err := Regenerate(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, in.ID, h.Now())
		if err != nil {
			return nil, err
		}
		h.Cache.Forget()
		return &struct{ Body NewKey }{Body: *k}, nil
	})
}
