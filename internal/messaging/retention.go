package messaging

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
)

// Retention of the messaging logs that grow without bound.
const (
	// UnmatchedWebhookAge keeps calls to unknown hook ids for a week.
	UnmatchedWebhookAge = 7 * 24 * time.Hour
	// ProviderEventAge keeps provider calls for monitoring's 90 days.
	ProviderEventAge = 90 * 24 * time.Hour
)

// PurgeExpired deletes idempotency keys past their window, webhook calls
// that matched no org, and provider calls past their age. It returns how
// many rows went.
func PurgeExpired(ctx context.Context, db dbutil.Executor, now time.Time) (int64, error) {
	q := dbsqlc.New()
	keys, err := q.DeleteExpiredIdempotencyKeys(ctx, db, now.Add(-IdempotencyWindow))
	if err != nil {
		return 0, fmt.Errorf("purging idempotency keys: %w", err)
	}
	hooks, err := q.DeleteUnmatchedWebhookRequests(ctx, db, now.Add(-UnmatchedWebhookAge))
	if err != nil {
		return 0, fmt.Errorf("purging unmatched webhook calls: %w", err)
	}
	calls, err := q.DeleteOldProviderEvents(ctx, db, now.Add(-ProviderEventAge))
	if err != nil {
		return 0, fmt.Errorf("purging provider events: %w", err)
	}
	return keys + hooks + calls, nil
}
