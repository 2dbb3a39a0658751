package webhooks

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
)

// WebhookCall is one call to a webhook URL, as the log shows it.
type WebhookCall struct {
	ID         uuid.UUID `json:"id"`
	Provider   string    `json:"provider" enum:"sendgrid,twilio,telegram,instagram"`
	Kind       string    `json:"kind" doc:"What the provider called about: events (SendGrid), status or inbound (Twilio), update (Telegram), verify or webhook (Instagram)."`
	Verdict    string    `json:"verdict" enum:"accepted,duplicate,bad_signature,bad_request,unknown_hook" doc:"duplicate: every event had been received before (a provider retry)."`
	Reason     string    `json:"reason" doc:"Why it was refused, or what was skipped."`
	HTTPStatus int       `json:"http_status"`
	LatencyMS  float64   `json:"latency_ms" doc:"From the call's arrival until its events were stored (commit excluded)."`
	Events     int       `json:"events" doc:"Provider events the call carried."`
	Snippet    string    `json:"snippet" doc:"The start of the body (2 KB at most). Headers, where the signatures are, are never kept."`
	ReceivedAt time.Time `json:"received_at"`
	Retries    int       `json:"retries" doc:"How often the sweep queued the call's processing again after its job gave up with events unprocessed."`
	// FailedEvents and Failures: events the sweep gave up on.
	FailedEvents int            `json:"failed_events" doc:"Events given up on: still unprocessed after every retry. Their effects (a status, an inbound message) were never applied."`
	Failures     []EventFailure `json:"failures" doc:"The first failed events (at most 5), with their errors."`
}

// EventFailure is an event the sweep gave up on.
type EventFailure struct {
	EventID  int64     `json:"event_id"`
	Kind     string    `json:"kind" doc:"The event's kind: SendGrid's event name, status, inbound, message, delivery, read..."`
	Error    string    `json:"error"`
	FailedAt time.Time `json:"failed_at"`
}

// failuresShown caps the failed events listed per call in the log.
const failuresShown = 5

// LogParams filter and page the log.
type LogParams struct {
	Provider string
	Verdict  string
	Cursor   string
	Limit    int
}

// WebhookLogPage is one page of the log.
type WebhookLogPage struct {
	Items      []WebhookCall `json:"items"`
	NextCursor string        `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last."`
}

type cursor struct {
	T  time.Time `json:"t"`
	ID uuid.UUID `json:"i"`
}

// Log reads the org's webhook calls, newest first.
func Log(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, p LogParams) (WebhookLogPage, error) {
	lim := p.Limit
	if lim <= 0 || lim > 200 {
		lim = 50
	}
	args := dbsqlc.ListWebhookRequestsParams{OrgID: orgID, Lim: int32(lim + 1)}
	if p.Provider != "" {
		args.Provider = &p.Provider
	}
	if p.Verdict != "" {
		args.Verdict = &p.Verdict
	}
	if p.Cursor != "" {
		var c cursor
		raw, err := base64.RawURLEncoding.DecodeString(p.Cursor)
		if err != nil || json.Unmarshal(raw, &c) != nil || c.T.IsZero() {
			return WebhookLogPage{}, fault.Field("query.cursor", "is not a cursor this API gave out", p.Cursor)
		}
		args.AfterTime, args.AfterID = &c.T, c.ID
	}
	rows, err := dbsqlc.New().ListWebhookRequests(ctx, db, args)
	if err != nil {
		return WebhookLogPage{}, fmt.Errorf("listing webhook calls: %w", err)
	}
	page := WebhookLogPage{Items: make([]WebhookCall, 0, min(len(rows), lim))}
	var failed []uuid.UUID
	for i, r := range rows {
		if i == lim {
			b, _ := json.Marshal(cursor{T: rows[i-1].ReceivedAt, ID: rows[i-1].ID})
			page.NextCursor = base64.RawURLEncoding.EncodeToString(b)
			break
		}
		page.Items = append(page.Items, WebhookCall{
			ID: r.ID, Provider: r.Provider, Kind: r.Kind, Verdict: r.Verdict, Reason: r.Reason, HTTPStatus: int(r.HttpStatus),
			LatencyMS: float64(r.LatencyUs) / 1000, Events: int(r.Events), Snippet: r.Snippet, ReceivedAt: r.ReceivedAt,
			Retries: int(r.Sweeps), FailedEvents: int(r.FailedEvents), Failures: []EventFailure{},
		})
		if r.FailedEvents > 0 {
			failed = append(failed, r.ID)
		}
	}
	if len(failed) == 0 {
		return page, nil
	}
	// Only calls with failures are looked up: the page costs nothing more
	// while everything goes through.
	frows, err := dbsqlc.New().FailedWebhookEvents(ctx, db, dbsqlc.FailedWebhookEventsParams{OrgID: orgID, RequestIds: failed, PerRequest: failuresShown})
	if err != nil {
		return WebhookLogPage{}, fmt.Errorf("listing failed webhook events: %w", err)
	}
	byCall := make(map[uuid.UUID][]EventFailure, len(failed))
	for _, f := range frows {
		byCall[f.RequestID] = append(byCall[f.RequestID], EventFailure{EventID: f.ID, Kind: f.Kind, Error: f.Error, FailedAt: f.FailedAt})
	}
	for i := range page.Items {
		if fs, ok := byCall[page.Items[i].ID]; ok {
			page.Items[i].Failures = fs
		}
	}
	return page, nil
}

// LogQuery is GET /webhooks/log.
type LogQuery struct {
	Provider string `query:"provider" enum:"sendgrid,twilio,telegram,instagram"`
	Verdict  string `query:"verdict" enum:"accepted,duplicate,bad_signature,bad_request,unknown_hook"`
	Cursor   string `query:"cursor" maxLength:"500"`
	Limit    int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

// Register mounts the webhook log API.
func (h *Handlers) Register(api huma.API) {
	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-webhook-calls", Method: http.MethodGet, Path: "/api/v1/webhooks/log", Tags: []string{"Webhooks"},
		Summary: "List webhook calls",
		Description: "Every call the providers made to the org's webhook URLs, accepted or not, newest first, with keyset " +
			"pagination: the verdict, the HTTP status answered, how long storing took, how many events it carried and the " +
			"start of its body; and, for a call whose processing had to be retried by the sweep, how often, and the events " +
			"given up on with their errors.",
	}, auth.Access{Role: auth.RoleViewer, Scope: "messages:read"}), func(ctx context.Context, in *LogQuery) (*struct{ Body WebhookLogPage }, error) {
		page, err := Log(ctx, h.DB, auth.PrincipalFrom(ctx).OrgID, LogParams{Provider: in.Provider, Verdict: in.Verdict, Cursor: in.Cursor, Limit: in.Limit})
		if err != nil {
			return nil, err
		}
		return &struct{ Body WebhookLogPage }{Body: page}, nil
	})
}
