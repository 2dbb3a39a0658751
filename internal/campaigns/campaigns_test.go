package campaigns

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/notifications"
	"github.com/switchboard/switchboard/internal/tenanttest"
)

// audienceFixture is an org whose contacts cover every selection rule:
//
//	a: email only, in both include groups (deduped)
//	b: email + WhatsApp
//	c: email, WhatsApp opted out
//	d: email suppressed, no WhatsApp (unreachable)
//	e: email + WhatsApp, in the exclude group
//	f: Telegram only (unreachable on email and WhatsApp)
type audienceFixture struct {
	tenant
	g1, g2, x         uuid.UUID
	emailT, whatsappT uuid.UUID
	a, b, c, d, e, f  uuid.UUID
}

func newAudience(t *testing.T, bd *testBundle) audienceFixture {
	t.Helper()
	fx := audienceFixture{tenant: bd.tenant(t)}
	o := fx.orgID
	n := uuid.NewString()[:8]
	fx.a = bd.contact(t, o, ptr("a-"+n+"@example.com"), nil, nil, "")
	fx.b = bd.contact(t, o, ptr("b-"+n+"@example.com"), ptr("+14155550101"), nil, "")
	fx.c = bd.contact(t, o, ptr("c-"+n+"@example.com"), ptr("+14155550102"), nil, `{"whatsapp": {"status": "opted_out"}}`)
	fx.d = bd.contact(t, o, ptr("D-"+n+"@Example.com"), nil, nil, "")
	bd.suppress(t, o, "email", "d-"+n+"@example.com")
	fx.e = bd.contact(t, o, ptr("e-"+n+"@example.com"), ptr("+14155550103"), nil, "")
	fx.f = bd.contact(t, o, nil, nil, ptr("777000111"), "")
	fx.g1 = bd.group(t, o, fx.a, fx.b, fx.c, fx.e, fx.f)
	fx.g2 = bd.group(t, o, fx.a, fx.d)
	fx.x = bd.group(t, o, fx.e)
	fx.emailT = bd.template(t, o, "email")
	fx.whatsappT = bd.template(t, o, "whatsapp")
	return fx
}

func (fx audienceFixture) audience(d Delivery) Audience {
	return Audience{
		Channels:        []ChannelTemplate{{Channel: "whatsapp", TemplateID: fx.whatsappT}, {Channel: "email", TemplateID: fx.emailT}},
		Delivery:        d,
		IncludeGroupIDs: []uuid.UUID{fx.g1, fx.g2},
		ExcludeGroupIDs: []uuid.UUID{fx.x},
	}
}

func TestEstimateSelection(t *testing.T) {
	t.Parallel()
	bd := setup(t)
	ctx := context.Background()
	fx := newAudience(t, bd)

	est, err := EstimateAudience(ctx, bd.pool, fx.orgID, fx.audience(DeliveryFirstAvailable))
	require.NoError(t, err)
	require.Equal(t, 6, est.Contacts, "a in two groups counts once")
	require.Equal(t, 1, est.ExcludedByGroup)
	require.Equal(t, 2, est.Unreachable, "d (suppressed) and f (no address)")
	require.Equal(t, 3, est.Recipients)
	// List prices: a US WhatsApp marketing message $0.030, an email $0.000399.
	require.Equal(t, ChannelEstimate{Channel: "whatsapp", Recipients: 1, NoAddress: 3, OptedOut: 1,
		Currency: "USD", UnitMicros: 30_000, CostMicros: 30_000}, est.Channels[0])
	require.Equal(t, ChannelEstimate{Channel: "email", Recipients: 2, NoAddress: 1, Suppressed: 1,
		Currency: "USD", UnitMicros: 399, CostMicros: 798}, est.Channels[1])
	require.Equal(t, int64(30_798), est.CostMicros)

	every, err := EstimateAudience(ctx, bd.pool, fx.orgID, fx.audience(DeliveryEveryChannel))
	require.NoError(t, err)
	require.Equal(t, 1, every.Channels[0].Recipients)
	require.Equal(t, 3, every.Channels[1].Recipients, "a, b and c by email too")
	require.Equal(t, 2, every.Channels[1].NoAddress+every.Channels[1].Suppressed, "f has no email, d is suppressed")
}

// recipientsOf reads a campaign's recipients as contact -> channel.
func recipientsOf(t *testing.T, bd *testBundle, campaignID uuid.UUID) map[uuid.UUID][]string {
	t.Helper()
	rows, err := bd.pool.Query(context.Background(), `SELECT contact_id, channel FROM campaign_recipients WHERE campaign_id = $1 ORDER BY channel`, campaignID)
	require.NoError(t, err)
	defer rows.Close()
	out := map[uuid.UUID][]string{}
	for rows.Next() {
		var c uuid.UUID
		var ch string
		require.NoError(t, rows.Scan(&c, &ch))
		out[c] = append(out[c], ch)
	}
	require.NoError(t, rows.Err())
	return out
}

func TestStartMaterializesTheEstimate(t *testing.T) {
	t.Parallel()
	bd := setup(t)
	ctx := context.Background()
	for _, d := range []Delivery{DeliveryFirstAvailable, DeliveryEveryChannel} {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			fx := newAudience(t, bd)
			actor := uuid.NullUUID{UUID: fx.userID, Valid: true}
			c, err := Create(ctx, bd.pool, fx.orgID, actor, Input{Name: "Spring", Audience: fx.audience(d)}, time.Now())
			require.NoError(t, err)
			est, err := EstimateCampaign(ctx, bd.pool, fx.orgID, c.ID)
			require.NoError(t, err)

			c, err = Start(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, actor, StartRequest{}, time.Now())
			require.NoError(t, err)
			require.Equal(t, StatusRunning, c.Status)
			require.NoError(t, Materialize(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, time.Now()))
			// A retried start job does nothing twice.
			require.NoError(t, Materialize(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, time.Now()))

			got := recipientsOf(t, bd, c.ID)
			perChannel := map[string]int{}
			for _, chs := range got {
				for _, ch := range chs {
					perChannel[ch]++
				}
			}
			for _, ce := range est.Channels {
				require.Equalf(t, ce.Recipients, perChannel[string(ce.Channel)], "%s: estimate vs sent", ce.Channel)
			}
			require.Equal(t, []string{"whatsapp"}, got[fx.b][len(got[fx.b])-1:])
			require.Equal(t, []string{"email"}, got[fx.c], "WhatsApp opted out: email")
			require.NotContains(t, got, fx.d)
			require.NotContains(t, got, fx.e)
			require.NotContains(t, got, fx.f)
			if d == DeliveryEveryChannel {
				require.Equal(t, []string{"email", "whatsapp"}, got[fx.b])
			} else {
				require.Equal(t, []string{"whatsapp"}, got[fx.b])
			}
			c, err = Get(ctx, bd.pool, fx.orgID, c.ID)
			require.NoError(t, err)
			require.Equal(t, est.Recipients, c.Counters.Targeted)
			require.Equal(t, est.Recipients, c.Counters.Queued)

			var emailJobs, chatJobs int
			require.NoError(t, bd.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE kind = 'campaign_email_batch'), count(*) FILTER (WHERE kind = 'campaign_chat_send')
				FROM river_job WHERE args ->> 'campaign_id' = $1`, c.ID.String()).Scan(&emailJobs, &chatJobs))
			require.Equal(t, 1, emailJobs)
			require.Equal(t, perChannel["whatsapp"], chatJobs)
		})
	}
}

func claimEmail(t *testing.T, bd *testBundle, org, campaign uuid.UUID, jobID int64, lim int32) int {
	t.Helper()
	rows, err := dbsqlcClaim(context.Background(), bd, org, campaign, jobID, lim)
	require.NoError(t, err)
	return rows
}

func TestPauseResumeCancel(t *testing.T) {
	t.Parallel()
	bd := setup(t)
	ctx := context.Background()
	fx := newAudience(t, bd)
	actor := uuid.NullUUID{UUID: fx.userID, Valid: true}
	a := fx.audience(DeliveryEveryChannel)
	c, err := Create(ctx, bd.pool, fx.orgID, actor, Input{Name: "P", Audience: a}, time.Now())
	require.NoError(t, err)
	_, err = Start(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, actor, StartRequest{Now: true}, time.Now())
	require.NoError(t, err)
	require.NoError(t, Materialize(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, time.Now()))

	// One email recipient is sent before the pause.
	require.Equal(t, 1, claimEmail(t, bd, fx.orgID, c.ID, 101, 1))
	_, err = ApplyEvents(ctx, bd.pool, fx.orgID, sentEvents(t, bd, c.ID, "sending"))
	require.NoError(t, err)

	c, err = Pause(ctx, bd.pool, fx.orgID, c.ID, actor, time.Now())
	require.NoError(t, err)
	require.Equal(t, StatusPaused, c.Status)
	require.Equal(t, 0, claimEmail(t, bd, fx.orgID, c.ID, 102, EmailBatchSize), "a paused campaign's jobs claim nothing")
	_, err = Pause(ctx, bd.pool, fx.orgID, c.ID, actor, time.Now())
	require.Error(t, err)

	c, err = Resume(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, actor, time.Now())
	require.NoError(t, err)
	require.Equal(t, StatusRunning, c.Status)
	require.Equal(t, 2, claimEmail(t, bd, fx.orgID, c.ID, 103, EmailBatchSize), "the rest, not the one sent")

	c, err = Cancel(ctx, bd.pool, fx.orgID, c.ID, actor, time.Now())
	require.NoError(t, err)
	require.Equal(t, StatusCancelled, c.Status)
	require.Equal(t, 1, c.Counters.Cancelled, "the WhatsApp recipient, still queued")
	require.Equal(t, 1, c.Counters.Sent)
	var queued int
	require.NoError(t, bd.pool.QueryRow(ctx, `SELECT count(*) FROM campaign_recipients WHERE campaign_id = $1 AND status = 'queued'`, c.ID).Scan(&queued))
	require.Zero(t, queued)
}

// sentEvents makes a "sent" event for each recipient in status.
func sentEvents(t *testing.T, bd *testBundle, campaign uuid.UUID, status string) []Event {
	t.Helper()
	rows, err := bd.pool.Query(context.Background(), `SELECT id FROM campaign_recipients WHERE campaign_id = $1 AND status = $2`, campaign, status)
	require.NoError(t, err)
	defer rows.Close()
	var evs []Event
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		evs = append(evs, Event{RecipientID: id, Status: "sent", OccurredAt: time.Now(), ProviderMessageID: "pm-" + fmt.Sprint(id)})
	}
	return evs
}

func TestCountersAgreeAfterOutOfOrderAndDuplicateEvents(t *testing.T) {
	t.Parallel()
	bd := setup(t)
	ctx := context.Background()
	fx := newAudience(t, bd)
	actor := uuid.NullUUID{UUID: fx.userID, Valid: true}
	c, err := Create(ctx, bd.pool, fx.orgID, actor, Input{Name: "K", Audience: fx.audience(DeliveryEveryChannel)}, time.Now())
	require.NoError(t, err)
	_, err = Start(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, actor, StartRequest{}, time.Now())
	require.NoError(t, err)
	require.NoError(t, Materialize(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, time.Now()))
	ids := recipientIDs(t, bd, c.ID)
	require.Len(t, ids, 4)
	t0 := time.Now().Add(-time.Minute)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	// Out of order (open before delivered before sent), duplicated, split
	// over batches, plus a bounce after delivery and an unsubscribe.
	batches := [][]Event{
		{{RecipientID: ids[0], Status: "opened", OccurredAt: at(3)}, {RecipientID: ids[1], Status: "sent", OccurredAt: at(1)}},
		{{RecipientID: ids[0], Status: "delivered", OccurredAt: at(2)}, {RecipientID: ids[0], Status: "sent", OccurredAt: at(1)},
			{RecipientID: ids[1], Status: "sent", OccurredAt: at(1)}},
		{{RecipientID: ids[0], Status: "opened", OccurredAt: at(5)}, {RecipientID: ids[1], Status: "delivered", OccurredAt: at(2)},
			{RecipientID: ids[1], Status: "bounced", OccurredAt: at(4), Code: "5.1.1", Reason: "no such user"}},
		{{RecipientID: ids[2], Status: "sent", OccurredAt: at(1)}, {RecipientID: ids[2], Status: "failed", OccurredAt: at(2), Reason: "dropped"},
			{RecipientID: ids[0], Status: "unsubscribed", OccurredAt: at(6)}, {RecipientID: ids[0], Status: "delivered", OccurredAt: at(2)}},
	}
	for _, b := range batches {
		_, err := ApplyEvents(ctx, bd.pool, fx.orgID, b)
		require.NoError(t, err)
	}
	// Replaying everything changes nothing.
	for _, b := range batches {
		_, err := ApplyEvents(ctx, bd.pool, fx.orgID, b)
		require.NoError(t, err)
	}
	// Another org cannot touch these recipients.
	other := bd.tenant(t)
	_, err = ApplyEvents(ctx, bd.pool, other.orgID, []Event{{RecipientID: ids[3], Status: "sent", OccurredAt: at(1)}})
	require.NoError(t, err)

	c, err = Get(ctx, bd.pool, fx.orgID, c.ID)
	require.NoError(t, err)
	var want Counters
	require.NoError(t, bd.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE status IN ('queued', 'sending')),
		count(sent_at), count(delivered_at), count(opened_at), count(read_at), count(clicked_at), count(bounced_at),
		count(spam_at), count(failed_at), count(unsubscribed_at), count(cancelled_at),
		coalesce(sum(price_micros) FILTER (WHERE sent_at IS NOT NULL), 0)
		FROM campaign_recipients WHERE campaign_id = $1`, c.ID).Scan(&want.Targeted, &want.Queued, &want.Sent, &want.Delivered,
		&want.Opened, &want.Read, &want.Clicked, &want.Bounced, &want.Spam, &want.Failed, &want.Unsubscribed, &want.Cancelled,
		&want.CostMicros))
	want.Currency = "USD"
	require.Equal(t, want, c.Counters)
	require.Positive(t, want.CostMicros)
	require.Equal(t, Counters{Targeted: 4, Queued: 1, Sent: 3, Delivered: 2, Opened: 1, Bounced: 1, Failed: 1, Unsubscribed: 1,
		CostMicros: want.CostMicros, Currency: "USD"}, c.Counters)

	page, err := Recipients(ctx, bd.pool, fx.orgID, c.ID, RecipientParams{Limit: 10})
	require.NoError(t, err)
	byID := map[int64]Recipient{}
	for _, r := range page.Items {
		byID[r.ID] = r
	}
	require.Equal(t, "opened", byID[ids[0]].Status)
	require.Equal(t, "bounced", byID[ids[1]].Status)
	require.Equal(t, "no such user", byID[ids[1]].Error)
	require.Equal(t, "failed", byID[ids[2]].Status)
	require.Equal(t, "queued", byID[ids[3]].Status)
}

func recipientIDs(t *testing.T, bd *testBundle, campaign uuid.UUID) []int64 {
	t.Helper()
	rows, err := bd.pool.Query(context.Background(), `SELECT id FROM campaign_recipients WHERE campaign_id = $1 ORDER BY id`, campaign)
	require.NoError(t, err)
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		require.NoError(t, rows.Scan(&id))
		ids = append(ids, id)
	}
	return ids
}

func TestScheduledStartAndCompletion(t *testing.T) {
	t.Parallel()
	bd := setup(t)
	ctx := context.Background()
	fx := newAudience(t, bd)
	actor := uuid.NullUUID{UUID: fx.userID, Valid: true}
	now := time.Now()
	in := Input{Name: "Later", Audience: fx.audience(DeliveryFirstAvailable), SettleSeconds: ptr(600)}
	c, err := Create(ctx, bd.pool, fx.orgID, actor, in, now)
	require.NoError(t, err)
	c, err = Start(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, actor, StartRequest{ScheduledAt: now.Add(time.Hour).Format(time.RFC3339)}, now)
	require.NoError(t, err)
	require.Equal(t, StatusScheduled, c.Status)

	_, err = StartDue(ctx, bd.pool, bd.jobs, now.Add(time.Minute))
	require.NoError(t, err)
	c, err = Get(ctx, bd.pool, fx.orgID, c.ID)
	require.NoError(t, err)
	require.Equal(t, StatusScheduled, c.Status, "not due yet")

	_, err = StartDue(ctx, bd.pool, bd.jobs, now.Add(61*time.Minute))
	require.NoError(t, err)
	c, err = Get(ctx, bd.pool, fx.orgID, c.ID)
	require.NoError(t, err)
	require.Equal(t, StatusRunning, c.Status)
	require.NoError(t, Materialize(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, now))

	ids := recipientIDs(t, bd, c.ID)
	require.Len(t, ids, 3)
	sent := now.Add(62 * time.Minute)
	var evs []Event
	for _, id := range ids {
		evs = append(evs, Event{RecipientID: id, Status: "sent", OccurredAt: sent})
	}
	_, err = ApplyEvents(ctx, bd.pool, fx.orgID, evs)
	require.NoError(t, err)
	_, err = CompleteDone(ctx, bd.pool, sent.Add(time.Minute))
	require.NoError(t, err)
	c, err = Get(ctx, bd.pool, fx.orgID, c.ID)
	require.NoError(t, err)
	require.Equal(t, StatusRunning, c.Status, "sent, not yet final, and still settling")
	page, err := notifications.List(ctx, bd.pool, fx.orgID, fx.userID, notifications.ListParams{})
	require.NoError(t, err)
	require.Empty(t, page.Items, "no notification before completion")

	// Two reach a final status; the third never reports: the settling
	// time completes the campaign.
	_, err = ApplyEvents(ctx, bd.pool, fx.orgID, []Event{{RecipientID: ids[0], Status: "delivered", OccurredAt: sent}, {RecipientID: ids[1], Status: "bounced", OccurredAt: sent}})
	require.NoError(t, err)
	_, err = CompleteDone(ctx, bd.pool, sent.Add(5*time.Minute))
	require.NoError(t, err)
	c, err = Get(ctx, bd.pool, fx.orgID, c.ID)
	require.NoError(t, err)
	require.Equal(t, StatusRunning, c.Status)
	_, err = CompleteDone(ctx, bd.pool, sent.Add(11*time.Minute))
	require.NoError(t, err)
	c, err = Get(ctx, bd.pool, fx.orgID, c.ID)
	require.NoError(t, err)
	require.Equal(t, StatusCompleted, c.Status)

	// Its creator is told once, with the headline counts and a link to it.
	_, err = CompleteDone(ctx, bd.pool, sent.Add(12*time.Minute))
	require.NoError(t, err)
	page, err = notifications.List(ctx, bd.pool, fx.orgID, fx.userID, notifications.ListParams{})
	require.NoError(t, err)
	require.Len(t, page.Items, 1)
	n := page.Items[0]
	require.Equal(t, "campaign.completed", n.Kind)
	require.Equal(t, `Campaign "Later" completed`, n.Title)
	require.Equal(t, "3 of 3 recipients sent: 1 delivered, 0 opened, 0 clicked, 1 bounced, 0 failed.", n.Body)
	require.Equal(t, "/messaging/campaigns/"+c.ID.String(), n.Link)
}

func TestCompletionNoticeCounts(t *testing.T) {
	t.Parallel()
	n := completionNotice(dbsqlc.Campaign{
		ID: uuid.New(), OrgID: uuid.New(), Name: "Spring", CreatedBy: uuid.NullUUID{UUID: uuid.New(), Valid: true},
		TargetedCount: 1_204_000, SentCount: 1_203_999, DeliveredCount: 1_180_000, OpenedCount: 512, ReadCount: 40,
		ClickedCount: 7, BouncedCount: 24, FailedCount: 1, CancelledCount: 1,
	})
	require.Equal(t, "1,203,999 of 1,204,000 recipients sent: 1,180,000 delivered, 512 opened, 40 read, 7 clicked, 24 bounced, 1 failed. 1 cancelled.", n.Body)
	require.Equal(t, "-1,000", thousands(-1000))
	require.Equal(t, "999", thousands(999))
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	bd := setup(t)
	fx := newAudience(t, bd)
	other := bd.tenant(t)

	// Field errors as problem+json.
	status, raw := bd.call(t, "POST", "/api/v1/campaigns", fx.token, map[string]any{
		"name": " ", "channels": []map[string]any{{"channel": "email", "template_id": fx.whatsappT}},
		"include_group_ids": []uuid.UUID{uuid.New()},
	}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status, "%s", raw)
	require.Contains(t, string(raw), "body.name")
	require.Contains(t, string(raw), "body.channels[0].template_id")
	require.Contains(t, string(raw), "body.include_group_ids[0]")

	var c Campaign
	body := map[string]any{"name": "Spring", "channels": fx.audience("").Channels, "include_group_ids": []uuid.UUID{fx.g1}}
	status, raw = bd.call(t, "POST", "/api/v1/campaigns", fx.token, body, &c)
	require.Equal(t, http.StatusCreated, status, "%s", raw)

	var est Estimate
	status, raw = bd.call(t, "GET", "/api/v1/campaigns/"+c.ID.String()+"/estimate", fx.token, nil, &est)
	require.Equal(t, http.StatusOK, status, "%s", raw)
	require.Equal(t, 5, est.Contacts)
	status, raw = bd.call(t, "POST", "/api/v1/campaigns/estimate", fx.token, fx.audience(""), &est)
	require.Equal(t, http.StatusOK, status, "%s", raw)
	require.Equal(t, 3, est.Recipients)

	var page CampaignPage
	status, _ = bd.call(t, "GET", "/api/v1/campaigns?limit=1", fx.token, nil, &page)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, page.Items, 1)

	tenanttest.Check(t, bd.do, fx.token, other.token, tenanttest.Resource{
		Name:   "campaign",
		Read:   tenanttest.Request{Method: "GET", Path: "/api/v1/campaigns/" + c.ID.String()},
		Update: tenanttest.Request{Method: "PUT", Path: "/api/v1/campaigns/" + c.ID.String(), Body: body},
		Delete: tenanttest.Request{Method: "DELETE", Path: "/api/v1/campaigns/" + c.ID.String()},
	})
	for _, p := range []string{"/estimate", "/recipients", "/recipients.csv"} {
		status, _ := tenanttest.Send(t, bd.do, other.token, tenanttest.Request{Method: "GET", Path: "/api/v1/campaigns/" + c.ID.String() + p})
		require.Equalf(t, http.StatusNotFound, status, "GET %s by another org", p)
	}
	for _, p := range []string{"/start", "/pause", "/resume", "/cancel"} {
		status, _ := tenanttest.Send(t, bd.do, other.token, tenanttest.Request{Method: "POST", Path: "/api/v1/campaigns/" + c.ID.String() + p})
		require.Equalf(t, http.StatusNotFound, status, "POST %s by another org", p)
	}

	status, raw = bd.call(t, "POST", "/api/v1/campaigns/"+c.ID.String()+"/start", fx.token, map[string]any{"now": true}, &c)
	require.Equal(t, http.StatusAccepted, status, "%s", raw)
	require.Equal(t, StatusRunning, c.Status)
	status, _ = bd.call(t, "PUT", "/api/v1/campaigns/"+c.ID.String(), fx.token, body, nil)
	require.Equal(t, http.StatusConflict, status, "a running campaign is not edited")
	status, _ = bd.call(t, "DELETE", "/api/v1/campaigns/"+c.ID.String(), fx.token, nil, nil)
	require.Equal(t, http.StatusConflict, status)

	require.NoError(t, Materialize(context.Background(), bd.pool, bd.jobs, fx.orgID, c.ID, time.Now()))
	var rp RecipientPage
	status, _ = bd.call(t, "GET", "/api/v1/campaigns/"+c.ID.String()+"/recipients?channel=email&limit=1", fx.token, nil, &rp)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, rp.Items, 1)
	require.NotEmpty(t, rp.NextCursor)
	status, raw = bd.call(t, "GET", "/api/v1/campaigns/"+c.ID.String()+"/recipients.csv", fx.token, nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, string(raw), "id,contact_id,channel,address,status")
	require.Contains(t, string(raw), "whatsapp")
}

func TestPriceCountry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ number, want string }{
		{"+12024561111", "US"},
		{"+14169671111", "CA"}, // Toronto: the area code names the country
		{"+4915123456789", "DE"},
		{"+447911123456", "GB"},
		{"+77012345678", "KZ"}, // +7 7: Kazakhstan, not Russia
		{"+74951234567", "RU"},
		{"+14155550101", "US"}, // not a valid number: +1's main country
		{"not a number", ""},
	} {
		require.Equal(t, tc.want, priceCountry(tc.number), tc.number)
	}
}

// TestCostFromPriceTable: WhatsApp is priced by each recipient's country
// from the org's own table, the estimate is what the recipients then cost,
// and the cost so far grows with the sends.
func TestCostFromPriceTable(t *testing.T) {
	t.Parallel()
	bd := setup(t)
	ctx := context.Background()
	tn := bd.tenant(t)
	o := tn.orgID
	us := bd.contact(t, o, nil, ptr("+12024561111"), nil, "")
	ca := bd.contact(t, o, nil, ptr("+14169671111"), nil, "")
	de := bd.contact(t, o, nil, ptr("+4915123456789"), nil, "")
	de2 := bd.contact(t, o, nil, ptr("+4915223456789"), nil, "")
	em := bd.contact(t, o, ptr("x-"+uuid.NewString()[:8]+"@example.com"), nil, nil, "")
	g := bd.group(t, o, us, ca, de, de2, em)
	// The org's own price for Canada (list: the US price, $0.030).
	_, err := bd.pool.Exec(ctx, `UPDATE org_prices SET price = 0.1 WHERE org_id = $1 AND channel = 'whatsapp' AND category = 'marketing' AND country = 'CA'`, o)
	require.NoError(t, err)
	a := Audience{
		Channels:        []ChannelTemplate{{Channel: "whatsapp", TemplateID: bd.template(t, o, "whatsapp")}, {Channel: "email", TemplateID: bd.template(t, o, "email")}},
		Delivery:        DeliveryFirstAvailable,
		IncludeGroupIDs: []uuid.UUID{g},
	}
	est, err := EstimateAudience(ctx, bd.pool, o, a)
	require.NoError(t, err)
	// US 0.030 + CA 0.100 + DE 2 × 0.1415 (list), marketing; email 0.000399.
	require.Equal(t, 4, est.Channels[0].Recipients)
	require.Equal(t, int64(30_000+100_000+2*141_500), est.Channels[0].CostMicros)
	require.Equal(t, int64(103_250), est.Channels[0].UnitMicros, "the average")
	require.Equal(t, int64(399), est.Channels[1].CostMicros)
	require.Equal(t, int64(413_399), est.CostMicros)

	actor := uuid.NullUUID{UUID: tn.userID, Valid: true}
	now := time.Now()
	c, err := Create(ctx, bd.pool, o, actor, Input{Name: "Priced", Audience: a}, now)
	require.NoError(t, err)
	_, err = Start(ctx, bd.pool, bd.jobs, o, c.ID, actor, StartRequest{}, now)
	require.NoError(t, err)
	require.NoError(t, Materialize(ctx, bd.pool, bd.jobs, o, c.ID, now))
	c, err = Get(ctx, bd.pool, o, c.ID)
	require.NoError(t, err)
	require.Equal(t, int64(0), c.Counters.CostMicros, "nothing sent yet")
	require.Equal(t, "USD", c.Counters.Currency)

	// Sent twice (a duplicate webhook) and then delivered: each counts once.
	var evs []Event
	for _, id := range recipientIDs(t, bd, c.ID) {
		evs = append(evs, Event{RecipientID: id, Status: "sent", OccurredAt: now})
	}
	_, err = ApplyEvents(ctx, bd.pool, o, evs[:2])
	require.NoError(t, err)
	c, err = Get(ctx, bd.pool, o, c.ID)
	require.NoError(t, err)
	var want int64
	require.NoError(t, bd.pool.QueryRow(ctx, `SELECT sum(price_micros) FROM campaign_recipients WHERE campaign_id = $1 AND id = ANY($2)`,
		c.ID, []int64{evs[0].RecipientID, evs[1].RecipientID}).Scan(&want))
	require.Positive(t, want)
	require.Equal(t, want, c.Counters.CostMicros)

	_, err = ApplyEvents(ctx, bd.pool, o, evs)
	require.NoError(t, err)
	_, err = ApplyEvents(ctx, bd.pool, o, []Event{{RecipientID: evs[0].RecipientID, Status: "delivered", OccurredAt: now}})
	require.NoError(t, err)
	c, err = Get(ctx, bd.pool, o, c.ID)
	require.NoError(t, err)
	require.Equal(t, est.CostMicros, c.Counters.CostMicros, "all sent: the estimate")
}

// TestSweepReleasesOrphans: a recipient left in sending by a job that is
// gone (deleted, discarded) goes back to queued with a new job; one whose
// job may still run keeps its claim.
func TestSweepReleasesOrphans(t *testing.T) {
	t.Parallel()
	bd := setup(t)
	ctx := context.Background()
	fx := newAudience(t, bd)
	actor := uuid.NullUUID{UUID: fx.userID, Valid: true}
	now := time.Now()
	c, err := Create(ctx, bd.pool, fx.orgID, actor, Input{Name: "Sweep", Audience: fx.audience(DeliveryEveryChannel)}, now)
	require.NoError(t, err)
	_, err = Start(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, actor, StartRequest{}, now)
	require.NoError(t, err)
	require.NoError(t, Materialize(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, now))

	jobsOf := func(kind string) []int64 {
		t.Helper()
		rows, err := bd.pool.Query(ctx, `SELECT id FROM river_job WHERE kind = $1 AND args->>'campaign_id' = $2 ORDER BY id`, kind, c.ID.String())
		require.NoError(t, err)
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		require.NoError(t, err)
		return ids
	}
	emailJobs, chatJobs := jobsOf("campaign_email_batch"), jobsOf("campaign_chat_send")
	require.Len(t, emailJobs, 1)
	require.Len(t, chatJobs, 1)

	// Three emails: one claimed by the live batch job, one by a job since
	// deleted; the WhatsApp recipient by its job, discarded after its
	// last attempt.
	require.Equal(t, 1, claimEmail(t, bd, fx.orgID, c.ID, emailJobs[0], 1))
	require.Equal(t, 1, claimEmail(t, bd, fx.orgID, c.ID, 1<<40, 1))
	_, err = bd.pool.Exec(ctx, `UPDATE campaign_recipients SET status = 'sending', send_job_id = $2 WHERE campaign_id = $1 AND channel = 'whatsapp'`, c.ID, chatJobs[0])
	require.NoError(t, err)
	_, err = bd.pool.Exec(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = now() WHERE id = $1`, chatJobs[0])
	require.NoError(t, err)

	n, err := releaseOrphans(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, now)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	status := map[string]int{}
	rows, err := bd.pool.Query(ctx, `SELECT status || coalesce(':' || send_job_id::text, '') FROM campaign_recipients WHERE campaign_id = $1`, c.ID)
	require.NoError(t, err)
	all, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	for _, s := range all {
		status[s]++
	}
	require.Equal(t, map[string]int{"queued": 3, fmt.Sprintf("sending:%d", emailJobs[0]): 1}, status)
	require.Len(t, jobsOf("campaign_email_batch"), 2, "a new batch for the released email")
	require.Len(t, jobsOf("campaign_chat_send"), 2, "a new job for the released WhatsApp message")

	// Nothing more to release: the sweep is idempotent.
	n, err = releaseOrphans(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, now)
	require.NoError(t, err)
	require.Zero(t, n)
}

// TestLastEventWhenTheWebhookBeatsTheSend: SendGrid stamps events to the
// second, the send is recorded to the microsecond; a delivery recorded
// before its send (a webhook faster than a busy worker) stays the last
// event, as it does when recorded after.
func TestLastEventWhenTheWebhookBeatsTheSend(t *testing.T) {
	t.Parallel()
	bd := setup(t)
	ctx := context.Background()
	fx := newAudience(t, bd)
	actor := uuid.NullUUID{UUID: fx.userID, Valid: true}
	now := time.Now()
	c, err := Create(ctx, bd.pool, fx.orgID, actor, Input{Name: "Race", Audience: fx.audience(DeliveryFirstAvailable)}, now)
	require.NoError(t, err)
	_, err = Start(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, actor, StartRequest{}, now)
	require.NoError(t, err)
	require.NoError(t, Materialize(ctx, bd.pool, bd.jobs, fx.orgID, c.ID, now))
	ids := recipientIDs(t, bd, c.ID)
	require.GreaterOrEqual(t, len(ids), 2)
	second := now.Truncate(time.Second)
	sentAt := second.Add(500 * time.Millisecond)

	// In order: sent, then the delivery stamped in the same second.
	_, err = ApplyEvents(ctx, bd.pool, fx.orgID, []Event{{RecipientID: ids[0], Status: "sent", OccurredAt: sentAt}})
	require.NoError(t, err)
	_, err = ApplyEvents(ctx, bd.pool, fx.orgID, []Event{{RecipientID: ids[0], Status: "delivered", OccurredAt: second}})
	require.NoError(t, err)
	// The webhook first.
	_, err = ApplyEvents(ctx, bd.pool, fx.orgID, []Event{{RecipientID: ids[1], Status: "delivered", OccurredAt: second}})
	require.NoError(t, err)
	_, err = ApplyEvents(ctx, bd.pool, fx.orgID, []Event{{RecipientID: ids[1], Status: "sent", OccurredAt: sentAt}})
	require.NoError(t, err)
	// A later second wins whatever its rank.
	_, err = ApplyEvents(ctx, bd.pool, fx.orgID, []Event{{RecipientID: ids[0], Status: "sent", OccurredAt: second.Add(2 * time.Second)}})
	require.NoError(t, err)

	var first, other string
	require.NoError(t, bd.pool.QueryRow(ctx, `SELECT last_event FROM campaign_recipients WHERE id = $1`, ids[0]).Scan(&first))
	require.NoError(t, bd.pool.QueryRow(ctx, `SELECT last_event FROM campaign_recipients WHERE id = $1`, ids[1]).Scan(&other))
	require.Equal(t, "sent", first, "a later second is the last event")
	require.Equal(t, "delivered", other)
}
