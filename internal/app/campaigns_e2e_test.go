package app

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// campaignView is what the test reads of GET /api/v1/campaigns/{id}.
type campaignView struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Counters struct {
		Targeted, Queued, Sent, Delivered, Opened, Read, Clicked, Bounced, Spam, Failed, Unsubscribed, Cancelled int
	} `json:"counters"`
}

// TestCampaignReachesDeliveredThroughTheSandbox runs a campaign through the
// whole system: 200 email recipients (one SendGrid request) and three on
// WhatsApp (one send job each, through messaging's send path) are sent,
// then delivered by the sandbox's signed webhooks; the counters equal a
// recount of the recipients, and the campaign completes by itself.
func TestCampaignReachesDeliveredThroughTheSandbox(t *testing.T) {
	t.Parallel()
	sys := startSystem(t)
	ctx := context.Background()
	call, tok := sys.call, sys.token

	// Every message is delivered and nothing more: the end state is known.
	var sbc map[string]map[string]any
	require.Equal(t, http.StatusOK, call("GET", "/sandbox/_api/config", "", nil, &sbc))
	for _, p := range []string{"sendgrid", "twilio"} {
		sbc[p]["webhook_delay_ms"] = 20
		// Every field: the sandbox merges what it is given into its config.
		sbc[p]["outcomes"] = map[string]float64{"delivered": 1, "bounce": 0, "dropped": 0, "deferred": 0, "open": 0,
			"click": 0, "spam": 0, "read": 0, "failed": 0, "undelivered": 0}
	}
	require.Equal(t, http.StatusOK, call("PUT", "/sandbox/_api/config", "", sbc, nil))
	for _, ch := range []string{"email", "whatsapp"} {
		require.Equal(t, http.StatusAccepted, call("POST", "/api/v1/channels/"+ch+"/test", tok, nil, nil), ch)
	}
	require.Eventually(t, func() bool {
		var s struct {
			Status string `json:"status"`
		}
		for _, ch := range []string{"email", "whatsapp"} {
			if call("GET", "/api/v1/channels/"+ch, tok, nil, &s) != http.StatusOK || s.Status != "ok" {
				return false
			}
		}
		return true
	}, 30*time.Second, 200*time.Millisecond, "the test connections register the webhooks")

	// The audience: 200 contacts with an email address, 3 with only
	// WhatsApp, in one group; first_available on email, else WhatsApp.
	var orgID uuid.UUID
	require.NoError(t, sys.pool.QueryRow(ctx, `SELECT org_id FROM channel_settings LIMIT 1`).Scan(&orgID))
	_, err := sys.pool.Exec(ctx, `INSERT INTO contacts (org_id, email, first_name)
		SELECT $1, 'reader' || i || '@example.org', 'Reader ' || i FROM generate_series(1, 200) i`, orgID)
	require.NoError(t, err)
	_, err = sys.pool.Exec(ctx, `INSERT INTO contacts (org_id, whatsapp, first_name)
		VALUES ($1, '+14155551234', 'Wa 1'), ($1, '+14155552345', 'Wa 2'), ($1, '+14155553456', 'Wa 3')`, orgID)
	require.NoError(t, err)
	var group uuid.UUID
	require.NoError(t, sys.pool.QueryRow(ctx, `INSERT INTO contact_groups (org_id, name) VALUES ($1, 'Campaign e2e') RETURNING id`, orgID).Scan(&group))
	_, err = sys.pool.Exec(ctx, `INSERT INTO contact_group_members (org_id, group_id, contact_id)
		SELECT $1, $2, id FROM contacts WHERE org_id = $1 AND (email LIKE 'reader%@example.org' OR whatsapp LIKE '+141555%')`, orgID, group)
	require.NoError(t, err)
	template := func(ch string) string {
		var id uuid.UUID
		require.NoError(t, sys.pool.QueryRow(ctx, `INSERT INTO templates (org_id, name, channel, approved_version) VALUES ($1, $2, $3, NULL) RETURNING id`,
			orgID, "e2e-"+ch, ch).Scan(&id))
		_, err := sys.pool.Exec(ctx, `INSERT INTO template_versions (org_id, template_id, version, status, subject, body_html, body_text, body, approved_at)
			VALUES ($1, $2, 1, 'approved', 'News for {{first_name}}', '<p>Hi {{first_name}}</p>', 'Hi {{first_name}}', 'Hi {{first_name}}', now())`, orgID, id)
		require.NoError(t, err)
		_, err = sys.pool.Exec(ctx, `UPDATE templates SET approved_version = 1 WHERE id = $1`, id)
		require.NoError(t, err)
		return id.String()
	}

	var c campaignView
	require.Equal(t, http.StatusCreated, call("POST", "/api/v1/campaigns", tok, map[string]any{
		"name": "Spring news",
		"channels": []map[string]string{
			{"channel": "email", "template_id": template("email")},
			{"channel": "whatsapp", "template_id": template("whatsapp")},
		},
		"include_group_ids": []string{group.String()},
		"settle_seconds":    3600,
	}, &c))
	require.Equal(t, http.StatusAccepted, call("POST", "/api/v1/campaigns/"+c.ID+"/start", tok, map[string]any{"now": true}, &c))

	get := func() campaignView {
		var v campaignView
		require.Equal(t, http.StatusOK, call("GET", "/api/v1/campaigns/"+c.ID, tok, nil, &v))
		return v
	}
	// (Eventually's message is built before polling: the last state read is
	// checked after it, for a useful failure.)
	_ = assert.Eventually(t, func() bool { c = get(); return c.Counters.Sent == 203 }, 60*time.Second, 200*time.Millisecond)
	require.Equal(t, 203, c.Counters.Sent, "every recipient sent: %+v", c.Counters)
	_ = assert.Eventually(t, func() bool { c = get(); return c.Counters.Delivered == 203 }, 60*time.Second, 200*time.Millisecond)
	require.Equal(t, 203, c.Counters.Delivered, "every recipient delivered through the webhooks: %+v", c.Counters)
	// The tick (every 15 s) sees nothing left in play and completes it.
	_ = assert.Eventually(t, func() bool { c = get(); return c.Status == "completed" }, 45*time.Second, 500*time.Millisecond)
	require.Equal(t, "completed", c.Status, "the campaign completes by itself")

	// The counters equal a recount of the recipients.
	var re campaignView
	require.NoError(t, sys.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE status IN ('queued', 'sending')),
		count(sent_at), count(delivered_at), count(opened_at), count(bounced_at), count(failed_at)
		FROM campaign_recipients WHERE campaign_id = $1`, c.ID).Scan(&re.Counters.Targeted, &re.Counters.Queued,
		&re.Counters.Sent, &re.Counters.Delivered, &re.Counters.Opened, &re.Counters.Bounced, &re.Counters.Failed))
	require.Equal(t, 203, re.Counters.Targeted)
	require.Equal(t, re.Counters.Targeted, c.Counters.Targeted)
	require.Equal(t, re.Counters.Queued, c.Counters.Queued)
	require.Equal(t, re.Counters.Sent, c.Counters.Sent)
	require.Equal(t, re.Counters.Delivered, c.Counters.Delivered)
	require.Equal(t, re.Counters.Opened, c.Counters.Opened)
	require.Equal(t, re.Counters.Bounced, c.Counters.Bounced)
	require.Equal(t, re.Counters.Failed, c.Counters.Failed)

	// The recipients table's last event is the delivery (or a later one:
	// the sandbox may have a WhatsApp contact read it), though SendGrid
	// stamps it to the second and the send was recorded to the microsecond.
	var lastDelivered int
	require.NoError(t, sys.pool.QueryRow(ctx, `SELECT count(*) FROM campaign_recipients WHERE campaign_id = $1 AND last_event IN ('delivered', 'read', 'opened', 'clicked')`, c.ID).Scan(&lastDelivered))
	require.Equal(t, 203, lastDelivered)

	// Email went as one SendGrid request; WhatsApp as one message each,
	// linked from its recipient.
	var batches, waMessages int
	require.NoError(t, sys.pool.QueryRow(ctx, `SELECT count(*) FROM provider_events WHERE org_id = $1 AND operation = 'batch_send' AND outcome = 'ok'`, orgID).Scan(&batches))
	require.Equal(t, 1, batches)
	require.NoError(t, sys.pool.QueryRow(ctx, `SELECT count(*) FROM campaign_recipients r JOIN outbound_messages m ON m.id = r.message_id
		WHERE r.campaign_id = $1 AND r.channel = 'whatsapp' AND m.status = 'delivered'`, c.ID).Scan(&waMessages))
	require.Equal(t, 3, waMessages)
	var sandboxCount struct {
		Messages []struct {
			Subject string `json:"subject"`
			Body    string `json:"body"`
		} `json:"messages"`
	}
	require.Equal(t, http.StatusOK, call("GET", "/sandbox/_api/messages?provider=sendgrid&to=reader7@example.org", "", nil, &sandboxCount))
	require.Len(t, sandboxCount.Messages, 1, "each reader got the email once")
	require.Equal(t, "News for Reader 7", sandboxCount.Messages[0].Subject)
	require.Contains(t, sandboxCount.Messages[0].Body, fmt.Sprintf("Hi %s", "Reader 7"))
}
