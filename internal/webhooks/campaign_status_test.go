package webhooks

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/campaigns"
	"github.com/switchboard/switchboard/internal/channels"
)

// campaignRecipient inserts a running campaign's recipient, already sent.
func (b *testBundle) campaignRecipient(t *testing.T, orgID, campaignID uuid.UUID, ch, address string, messageID uuid.NullUUID) int64 {
	t.Helper()
	var id int64
	require.NoError(t, b.tx.QueryRow(b.ctx, `INSERT INTO campaign_recipients (org_id, campaign_id, contact_id, channel, address, status, message_id, sent_at)
		VALUES ($1, $2, gen_random_uuid(), $3, $4, 'sent', $5, now()) RETURNING id`, orgID, campaignID, ch, address, messageID).Scan(&id))
	return id
}

func (b *testBundle) campaign(t *testing.T, orgID uuid.UUID, sent int) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	require.NoError(t, b.tx.QueryRow(b.ctx, `INSERT INTO campaigns (org_id, name, status, targeted_count, sent_count, materialized_at)
		VALUES ($1, 'c', 'running', $2, $2, now()) RETURNING id`, orgID, sent).Scan(&id))
	return id
}

// Status webhooks move campaign recipients beside messages: SendGrid
// events by the recipient id in their custom args, Twilio callbacks
// through the recipient's outbound message; another org's recipient id
// matches nothing.
func TestProcessCampaignStatuses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a, other := b.a.org.ID, b.b.org.ID
	t0 := b.now.Add(-time.Hour).Truncate(time.Second)
	camp := b.campaign(t, a, 3)
	theirCamp := b.campaign(t, other, 1)
	r1 := b.campaignRecipient(t, a, camp, "email", "ada@example.com", uuid.NullUUID{})
	r2 := b.campaignRecipient(t, a, camp, "email", "bob@example.com", uuid.NullUUID{})
	sid := "SM00000000000000000000000000000c01"
	m := b.message(t, a, "whatsapp", "+14155550100", sid, t0)
	r3 := b.campaignRecipient(t, a, camp, "whatsapp", "+14155550100", uuid.NullUUID{UUID: m.ID, Valid: true})
	theirs := b.campaignRecipient(t, other, theirCamp, "email", "eve@example.com", uuid.NullUUID{})

	rid := func(id int64) string { return strconv.FormatInt(id, 10) }
	batch := mustJSON(t, []any{
		sgEvent("c1", "open", "ada@example.com", "sgBatch", t0.Add(3*time.Second), campaigns.ArgRecipientID, rid(r1)), // out of order
		sgEvent("c2", "delivered", "ada@example.com", "sgBatch", t0.Add(2*time.Second), campaigns.ArgRecipientID, rid(r1)),
		sgEvent("c3", "processed", "ada@example.com", "sgBatch", t0, campaigns.ArgRecipientID, rid(r1)),
		sgEvent("c4", "bounce", "bob@example.com", "sgBatch", t0.Add(time.Second), campaigns.ArgRecipientID, rid(r2),
			"reason", "550 5.1.1 user unknown", "status", "5.1.1", "type", "bounce"),
		sgEvent("c5", "delivered", "eve@example.com", "sgBatch", t0, campaigns.ArgRecipientID, rid(theirs)),
	})
	require.Equal(t, http.StatusOK, b.postSendGrid(t, b.a, b.a.sgKey, b.now, batch).status)
	require.NoError(t, b.process(t, nil, a, b.lastRequest(t, a).ID))

	res := b.postTwilio(t, b.a, channels.PurposeStatus, twilioStatus(sid, "delivered", "+14155550100"), twilioToken, "")
	require.Equal(t, http.StatusOK, res.status, res.body)
	require.NoError(t, b.process(t, nil, a, b.lastRequest(t, a).ID))

	status := func(id int64) (s, code, reason string) {
		require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT status, error_code, error FROM campaign_recipients WHERE id = $1`, id).Scan(&s, &code, &reason))
		return
	}
	s, _, _ := status(r1)
	require.Equal(t, "opened", s)
	s, code, reason := status(r2)
	require.Equal(t, "bounced", s)
	require.Equal(t, "5.1.1", code)
	require.Equal(t, "550 5.1.1 user unknown", reason)
	s, _, _ = status(r3)
	require.Equal(t, "delivered", s)
	s, _, _ = status(theirs)
	require.Equal(t, "sent", s, "another org's recipient id matches nothing")

	var delivered, opened, bounced int
	require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT delivered_count, opened_count, bounced_count FROM campaigns WHERE id = $1`, camp).Scan(&delivered, &opened, &bounced))
	require.Equal(t, []int{2, 1, 1}, []int{delivered, opened, bounced})

	// A replayed batch under new event ids counts nothing twice.
	replay := mustJSON(t, []any{
		sgEvent("c6", "delivered", "ada@example.com", "sgBatch", t0.Add(time.Minute), campaigns.ArgRecipientID, rid(r1)),
	})
	require.Equal(t, http.StatusOK, b.postSendGrid(t, b.a, b.a.sgKey, b.now, replay).status)
	require.NoError(t, b.process(t, nil, a, b.lastRequest(t, a).ID))
	require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT delivered_count FROM campaigns WHERE id = $1`, camp).Scan(&delivered))
	require.Equal(t, 2, delivered)
}
