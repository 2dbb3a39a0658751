package notifications

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// Handlers serves /api/v1/notifications: the signed-in user's, in the
// active org. API keys have no user, so they have no notifications.
type Handlers struct {
	DB  dbutil.Executor
	Now func() time.Time
}

// ListQuery selects a page.
type ListQuery struct {
	Unread bool   `query:"unread" doc:"Only unread notifications."`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Cursor string `query:"cursor" maxLength:"200" doc:"next_cursor of the previous page."`
}

// NotificationsReadAllBody bounds "mark all read".
type NotificationsReadAllBody struct {
	UpTo *time.Time `json:"up_to,omitempty" doc:"Only those created up to this time (the created_at of the newest one shown), so that one arriving meanwhile stays unread. Default: now."`
}

// NotificationsReadAllResult says what "mark all read" did.
type NotificationsReadAllResult struct {
	Marked      int64 `json:"marked" doc:"How many were unread and are now read."`
	UnreadCount int64 `json:"unread_count"`
}

type idPath struct {
	ID uuid.UUID `path:"id"`
}

type notificationOutput struct{ Body Notification }

// Register mounts the routes. Any role reads and marks its own.
func (h *Handlers) Register(api huma.API) {
	tags := []string{"Notifications"}
	own := auth.Access{Role: auth.RoleViewer, UserOnly: true}
	who := func(ctx context.Context) (uuid.UUID, uuid.UUID) {
		p := auth.PrincipalFrom(ctx)
		return p.OrgID, p.UserID
	}

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "list-notifications", Method: http.MethodGet, Path: "/api/v1/notifications", Tags: tags,
		Summary:     "Your notifications",
		Description: "The signed-in user's notifications in the active org, newest first, with the unread count. Keyset-paginated.",
	}, own), func(ctx context.Context, in *ListQuery) (*struct{ Body NotificationPage }, error) {
		org, user := who(ctx)
		page, err := List(ctx, h.DB, org, user, ListParams{UnreadOnly: in.Unread, Cursor: in.Cursor, Limit: in.Limit})
		if err != nil {
			return nil, err
		}
		return &struct{ Body NotificationPage }{Body: page}, nil
	})

	// Before /{id}: the router matches in order.
	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "read-all-notifications", Method: http.MethodPost, Path: "/api/v1/notifications/read-all", Tags: tags,
		Summary: "Mark all your notifications read",
	}, own), func(ctx context.Context, in *struct {
		Body *NotificationsReadAllBody `required:"false"`
	}) (*struct{ Body NotificationsReadAllResult }, error) {
		org, user := who(ctx)
		now := h.Now()
		upTo := now
		if in.Body != nil && in.Body.UpTo != nil && in.Body.UpTo.Before(now) {
			upTo = *in.Body.UpTo
		}
		n, err := MarkAllRead(ctx, h.DB, org, user, upTo, now)
		if err != nil {
			return nil, err
		}
		unread, err := UnreadCount(ctx, h.DB, org, user)
		if err != nil {
			return nil, err
		}
		return &struct{ Body NotificationsReadAllResult }{Body: NotificationsReadAllResult{Marked: n, UnreadCount: unread}}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "get-notification", Method: http.MethodGet, Path: "/api/v1/notifications/{id}", Tags: tags,
		Summary: "One of your notifications", Errors: []int{http.StatusNotFound},
	}, own), func(ctx context.Context, in *idPath) (*notificationOutput, error) {
		org, user := who(ctx)
		n, err := Get(ctx, h.DB, org, user, in.ID)
		if err != nil {
			return nil, err
		}
		return &notificationOutput{Body: n}, nil
	})

	huma.Register(api, auth.Operation(huma.Operation{
		OperationID: "read-notification", Method: http.MethodPost, Path: "/api/v1/notifications/{id}/read", Tags: tags,
		Summary: "Mark a notification read", Description: "One already read keeps the time it was first read.",
		Errors: []int{http.StatusNotFound},
	}, own), func(ctx context.Context, in *idPath) (*notificationOutput, error) {
		org, user := who(ctx)
		n, err := MarkRead(ctx, h.DB, org, user, in.ID, h.Now())
		if err != nil {
			return nil, err
		}
		return &notificationOutput{Body: n}, nil
	})
}
