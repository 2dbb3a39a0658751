package campaigns

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
)

// dbsqlcClaim claims an email batch as a batch job would.
func dbsqlcClaim(ctx context.Context, bd *testBundle, org, campaign uuid.UUID, jobID int64, lim int32) (int, error) {
	rows, err := dbsqlc.New().ClaimEmailBatch(ctx, bd.pool, dbsqlc.ClaimEmailBatchParams{
		OrgID: org, CampaignID: campaign, JobID: pgtype.Int8{Int64: jobID, Valid: true}, Lim: lim, Now: time.Now(),
	})
	return len(rows), err
}
