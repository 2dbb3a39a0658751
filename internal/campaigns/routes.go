package campaigns

import (
	"context"
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// Handlers serves /api/v1/campaigns.
type Handlers struct {
	DB   dbutil.Executor
	Jobs Inserter
	Now  func() time.Time
}

type idPath struct {
	ID uuid.UUID `path:"id"`
}

type campaignOut struct{ Body Campaign }

// ListQuery filters the list.
type ListQuery struct {
	Status string `query:"status" enum:"draft,scheduled,running,paused,completed,cancelled"`
	Cursor string `query:"cursor" maxLength:"500"`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// RecipientQuery filters the recipients table.
type RecipientQuery struct {
	ID      uuid.UUID `path:"id"`
	Status  string    `query:"status" enum:"queued,sending,sent,delivered,read,opened,clicked,failed,bounced,spam,undelivered,cancelled"`
	Channel string    `query:"channel" enum:"email,whatsapp,telegram,instagram"`
	Cursor  string    `query:"cursor" maxLength:"40"`
	Limit   int       `query:"limit" minimum:"1" maximum:"1000" default:"50"`
}

// ExportQuery filters the CSV export.
type ExportQuery struct {
	ID      uuid.UUID `path:"id"`
	Status  string    `query:"status" enum:"queued,sending,sent,delivered,read,opened,clicked,failed,bounced,spam,undelivered,cancelled"`
	Channel string    `query:"channel" enum:"email,whatsapp,telegram,instagram"`
}

func actorOf(ctx context.Context) uuid.NullUUID { return auth.PrincipalFrom(ctx).CreatedBy() }

// Register mounts the routes.
func (h *Handlers) Register(api huma.API) {
	read := auth.Access{Role: auth.RoleViewer, Scope: "campaigns:read"}
	write := auth.Access{Role: auth.RoleMember, Scope: "campaigns:write"}
	tags := []string{"Campaigns"}
	org := func(ctx context.Context) uuid.UUID { return auth.PrincipalFrom(ctx).OrgID }

	// Before /campaigns/{id}: a literal path segment wins.
	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "estimate-audience", Method: http.MethodPost, Path: "/api/v1/campaigns/estimate", Tags: tags,
		Summary: "Estimate recipients and cost of an audience",
		Description: "Counts, in one SQL statement, the contacts of the include groups (each once), those excluded by group, " +
			"and per channel the recipients and why the others are left out (no address, opted out, suppressed), " +
			"with the cost from the organization's prices. Exactly what starting the campaign would send.",
		Errors: []int{http.StatusUnprocessableEntity},
	}, read), func(ctx context.Context, in *struct{ Body Audience }) (*struct{ Body Estimate }, error) {
		e, err := EstimateAudience(ctx, h.DB, org(ctx), in.Body)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Estimate }{Body: e}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "create-campaign", Method: http.MethodPost, Path: "/api/v1/campaigns", Tags: tags,
		Summary: "Create a draft campaign", DefaultStatus: http.StatusCreated, Errors: []int{http.StatusUnprocessableEntity},
	}, write), func(ctx context.Context, in *struct{ Body Input }) (*campaignOut, error) {
		c, err := Create(ctx, h.DB, org(ctx), actorOf(ctx), in.Body, h.Now())
		if err != nil {
			return nil, err
		}
		return &campaignOut{Body: c}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-campaigns", Method: http.MethodGet, Path: "/api/v1/campaigns", Tags: tags,
		Summary: "List campaigns", Description: "Newest first, with keyset pagination.",
	}, read), func(ctx context.Context, in *ListQuery) (*struct{ Body CampaignPage }, error) {
		p, err := List(ctx, h.DB, org(ctx), ListParams{Status: in.Status, Cursor: in.Cursor, Limit: in.Limit})
		if err != nil {
			return nil, err
		}
		return &struct{ Body CampaignPage }{Body: p}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-campaign", Method: http.MethodGet, Path: "/api/v1/campaigns/{id}", Tags: tags,
		Summary: "Get a campaign with its counters",
	}, read), func(ctx context.Context, in *idPath) (*campaignOut, error) {
		c, err := Get(ctx, h.DB, org(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &campaignOut{Body: c}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "update-campaign", Method: http.MethodPut, Path: "/api/v1/campaigns/{id}", Tags: tags,
		Summary: "Change a draft campaign", Errors: []int{http.StatusUnprocessableEntity, http.StatusConflict},
	}, write), func(ctx context.Context, in *struct {
		ID   uuid.UUID `path:"id"`
		Body Input
	}) (*campaignOut, error) {
		c, err := Update(ctx, h.DB, org(ctx), in.ID, actorOf(ctx), in.Body, h.Now())
		if err != nil {
			return nil, err
		}
		return &campaignOut{Body: c}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "delete-campaign", Method: http.MethodDelete, Path: "/api/v1/campaigns/{id}", Tags: tags,
		Summary: "Delete a draft campaign", DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusConflict},
	}, write), func(ctx context.Context, in *idPath) (*struct{}, error) {
		return nil, Delete(ctx, h.DB, org(ctx), in.ID)
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "estimate-campaign", Method: http.MethodGet, Path: "/api/v1/campaigns/{id}/estimate", Tags: tags,
		Summary: "Estimate a campaign's recipients and cost as it stands",
	}, read), func(ctx context.Context, in *idPath) (*struct{ Body Estimate }, error) {
		e, err := EstimateCampaign(ctx, h.DB, org(ctx), in.ID)
		if err != nil {
			return nil, err
		}
		return &struct{ Body Estimate }{Body: e}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "start-campaign", Method: http.MethodPost, Path: "/api/v1/campaigns/{id}/start", Tags: tags,
		Summary: "Start or schedule a campaign",
		Description: "Starts now (status running; recipients are written and queued by a job), or schedules the start " +
			"(status scheduled) at scheduled_at — the body's, else the campaign's own — when that is in the future.",
		DefaultStatus: http.StatusAccepted, Errors: []int{http.StatusUnprocessableEntity, http.StatusConflict},
	}, write), func(ctx context.Context, in *struct {
		ID   uuid.UUID `path:"id"`
		Body *StartRequest
	}) (*campaignOut, error) {
		var req StartRequest
		if in.Body != nil {
			req = *in.Body
		}
		c, err := Start(ctx, h.DB, h.Jobs, org(ctx), in.ID, actorOf(ctx), req, h.Now())
		if err != nil {
			return nil, err
		}
		return &campaignOut{Body: c}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "pause-campaign", Method: http.MethodPost, Path: "/api/v1/campaigns/{id}/pause", Tags: tags,
		Summary: "Pause a running campaign", Description: "No new message is sent within seconds; resume continues where it stopped.",
		Errors: []int{http.StatusConflict},
	}, write), func(ctx context.Context, in *idPath) (*campaignOut, error) {
		c, err := Pause(ctx, h.DB, org(ctx), in.ID, actorOf(ctx), h.Now())
		if err != nil {
			return nil, err
		}
		return &campaignOut{Body: c}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "resume-campaign", Method: http.MethodPost, Path: "/api/v1/campaigns/{id}/resume", Tags: tags,
		Summary: "Resume a paused campaign", Description: "Sends to the recipients still queued; nobody is sent to twice.",
		Errors: []int{http.StatusConflict},
	}, write), func(ctx context.Context, in *idPath) (*campaignOut, error) {
		c, err := Resume(ctx, h.DB, h.Jobs, org(ctx), in.ID, actorOf(ctx), h.Now())
		if err != nil {
			return nil, err
		}
		return &campaignOut{Body: c}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "cancel-campaign", Method: http.MethodPost, Path: "/api/v1/campaigns/{id}/cancel", Tags: tags,
		Summary: "Cancel a campaign", Description: "Recipients not yet sent are marked cancelled.",
		Errors: []int{http.StatusConflict},
	}, write), func(ctx context.Context, in *idPath) (*campaignOut, error) {
		c, err := Cancel(ctx, h.DB, org(ctx), in.ID, actorOf(ctx), h.Now())
		if err != nil {
			return nil, err
		}
		return &campaignOut{Body: c}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-campaign-recipients", Method: http.MethodGet, Path: "/api/v1/campaigns/{id}/recipients", Tags: tags,
		Summary: "List a campaign's recipients", Description: "In id order, with keyset pagination; filter by status and channel.",
	}, read), func(ctx context.Context, in *RecipientQuery) (*struct{ Body RecipientPage }, error) {
		p, err := Recipients(ctx, h.DB, org(ctx), in.ID, RecipientParams{Status: in.Status, Channel: in.Channel, Cursor: in.Cursor, Limit: in.Limit})
		if err != nil {
			return nil, err
		}
		return &struct{ Body RecipientPage }{Body: p}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "export-campaign-recipients", Method: http.MethodGet, Path: "/api/v1/campaigns/{id}/recipients.csv", Tags: tags,
		Summary: "Export a campaign's recipients as CSV", Description: "Streamed, page by page; same filters as the list.",
		Responses: map[string]*huma.Response{"200": {Description: "CSV", Content: map[string]*huma.MediaType{
			"text/csv": {Schema: &huma.Schema{Type: "string"}},
		}}},
	}, read), func(ctx context.Context, in *ExportQuery) (*huma.StreamResponse, error) {
		orgID := org(ctx)
		if _, err := Get(ctx, h.DB, orgID, in.ID); err != nil {
			return nil, err
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			hctx.SetHeader("Content-Type", "text/csv; charset=utf-8")
			hctx.SetHeader("Content-Disposition", `attachment; filename="campaign-`+in.ID.String()+`-recipients.csv"`)
			hctx.SetStatus(http.StatusOK)
			w := csv.NewWriter(hctx.BodyWriter())
			_ = w.Write([]string{"id", "contact_id", "channel", "address", "status", "last_event", "last_event_at", "error_code", "error", "sent_at", "delivered_at"})
			ts := func(t *time.Time) string {
				if t == nil {
					return ""
				}
				return t.UTC().Format(time.RFC3339)
			}
			cur := ""
			for {
				p, err := Recipients(hctx.Context(), h.DB, orgID, in.ID, RecipientParams{Status: in.Status, Channel: in.Channel, Cursor: cur, Limit: 1000})
				if err != nil {
					return // the status is sent: a cut-short file is all we can say
				}
				for _, r := range p.Items {
					_ = w.Write([]string{strconv.FormatInt(r.ID, 10), r.ContactID.String(), string(r.Channel), r.Address, r.Status,
						r.LastEvent, ts(r.LastEventAt), r.ErrorCode, r.Error, ts(r.SentAt), ts(r.DeliveredAt)})
				}
				w.Flush()
				if p.NextCursor == "" {
					return
				}
				cur = p.NextCursor
			}
		}}, nil
	})
}
