package campaigns

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// A provider's delivery reports can race the send's own "sent" record
// (SendGrid posts events while the batch job is still recording): both
// orders, concurrently, count every milestone once.
func TestCountersAgreeUnderConcurrentEvents(t *testing.T) {
	t.Parallel()
	bd := setup(t)
	ctx := context.Background()
	tn := bd.tenant(t)
	n := uuid.NewString()[:8]
	var members []uuid.UUID
	for i := range 300 {
		members = append(members, bd.contact(t, tn.orgID, ptr("r"+string(rune('a'+i%26))+n+uuid.NewString()[:6]+"@example.com"), nil, nil, ""))
	}
	g := bd.group(t, tn.orgID, members...)
	tpl := bd.template(t, tn.orgID, "email")
	actor := uuid.NullUUID{UUID: tn.userID, Valid: true}
	c, err := Create(ctx, bd.pool, tn.orgID, actor, Input{Name: "Race", Audience: Audience{
		Channels: []ChannelTemplate{{Channel: "email", TemplateID: tpl}}, Delivery: DeliveryFirstAvailable, IncludeGroupIDs: []uuid.UUID{g},
	}}, time.Now())
	require.NoError(t, err)
	_, err = Start(ctx, bd.pool, bd.jobs, tn.orgID, c.ID, actor, StartRequest{Now: true}, time.Now())
	require.NoError(t, err)
	require.NoError(t, Materialize(ctx, bd.pool, bd.jobs, tn.orgID, c.ID, time.Now()))
	require.Equal(t, 300, claimEmail(t, bd, tn.orgID, c.ID, 777, EmailBatchSize))
	ids := recipientIDs(t, bd, c.ID)

	now := time.Now()
	var sent, reports []Event
	for _, id := range ids {
		sent = append(sent, Event{RecipientID: id, Status: "sent", OccurredAt: now, ProviderMessageID: "x"})
		reports = append(reports, Event{RecipientID: id, Status: "delivered", OccurredAt: now.Add(-time.Second)},
			Event{RecipientID: id, Status: "opened", OccurredAt: now.Add(time.Second)})
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for _, b := range [][]Event{sent, reports[:200], reports[200:400], reports[400:]} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := ApplyEvents(ctx, bd.pool, tn.orgID, b)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := Get(ctx, bd.pool, tn.orgID, c.ID)
	require.NoError(t, err)
	// 300 emails sent at the list price of $0.000399 each, counted once however the batches raced.
	require.Equal(t, Counters{Targeted: 300, Sent: 300, Delivered: 300, Opened: 300, CostMicros: 300 * 399, Currency: "USD"}, got.Counters)
}
