package messaging

import (
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/suppression"
)

// A batch mixes orgs' sends of every kind: each gets its own answer, and
// the good ones are written whatever the others' problems.
func TestSendBatchAnswersEachSend(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := suppression.Add(b.ctx, b.tx, b.org, suppression.Actor{}, suppression.SuppressionInput{Channel: "whatsapp", Value: "+14155550100", Reason: "spam_complaint"}, "test")
	require.NoError(t, err)
	missing := uuid.New()
	item := func(req SendRequest, key string) sendItem {
		require.NoError(t, validate(&req))
		it := sendItem{orgID: b.org, actor: Actor{RequestID: "req-batch"}, req: req, idemKey: key}
		if key != "" {
			it.hash = []byte("hash-" + key)
		}
		return it
	}
	items := []sendItem{
		0: item(SendRequest{Channel: "email", To: "new@example.com", Subject: "Hi", Body: "Hello"}, ""),
		1: item(SendRequest{Channel: "email", ContactID: &missing, Subject: "Hi", Body: "Hello"}, ""),
		2: item(SendRequest{Channel: "whatsapp", To: "+1 415 555 0100", Body: "Hello"}, ""),
		3: item(SendRequest{Channel: "telegram", To: "777001", Body: "first"}, ""),
		4: item(SendRequest{Channel: "telegram", To: "777001", Body: "second"}, ""),
		5: item(SendRequest{Channel: "email", To: "keyed@example.com", Subject: "Hi", Body: "Hello"}, "k-1"),
		6: item(SendRequest{Channel: "email", To: "keyed@example.com", Subject: "Hi", Body: "Hello"}, "k-1"),
		7: item(SendRequest{Channel: "whatsapp", To: "+14155550101", TemplateID: &missing}, ""),
		8: item(SendRequest{Channel: "email", To: "vars@example.com", Subject: "Hi", Body: "Your code is {{code}}"}, ""),
	}
	outs, errs := b.sends.createMany(b.ctx, items)

	for _, i := range []int{0, 3, 4, 5} {
		require.NoError(t, errs[i], "send %d", i)
		require.NotEqual(t, uuid.Nil, outs[i].msg.ID, "send %d", i)
		require.Equal(t, StatusQueued, outs[i].msg.Status)
	}
	require.Contains(t, fieldErr(t, errs[1], "body.contact_id"), "no such contact")
	require.Contains(t, fieldErr(t, errs[2], "body.to"), "suppression list")
	require.NoError(t, errs[6])
	require.True(t, outs[6].lostRace, "the same key in the same batch replays the first send")
	require.Contains(t, fieldErr(t, errs[7], "body.template_id"), "no such template")
	fieldErr(t, errs[8], "body.variables.code")

	// Both Telegram messages joined one conversation, which shows the later.
	require.NotNil(t, outs[3].msg.ConversationID)
	require.Equal(t, *outs[3].msg.ConversationID, *outs[4].msg.ConversationID)
	var preview string
	require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT last_message_preview FROM conversations WHERE id = $1`, *outs[3].msg.ConversationID).Scan(&preview))
	require.Equal(t, "second", preview)

	// Four messages, each with its queued event and its job.
	var msgs, events, jobs int
	require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT count(*) FROM outbound_messages WHERE org_id = $1`, b.org).Scan(&msgs))
	require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT count(*) FROM message_events WHERE org_id = $1 AND status = 'queued' AND detail ->> 'request_id' = 'req-batch'`, b.org).Scan(&events))
	require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT count(*) FROM river_job WHERE kind = $1 AND args ->> 'org_id' = $2`, SendArgs{}.Kind(), b.org.String()).Scan(&jobs))
	require.Equal(t, []int{4, 4, 4}, []int{msgs, events, jobs})

	// The key stays claimed for later batches.
	outs, errs = b.sends.createMany(b.ctx, []sendItem{items[5]})
	require.NoError(t, errs[0])
	require.True(t, outs[0].lostRace)
}

// A send that breaks the batch's transaction (here a NUL byte, which
// Postgres text refuses, slipped past validation) fails alone: the batch
// is retried send by send.
func TestSendBatchIsolatesASendThatBreaksIt(t *testing.T) {
	t.Parallel()
	b := setup(t)
	items := []sendItem{
		{orgID: b.org, req: SendRequest{Channel: "telegram", To: "777002", Body: "fine"}},
		{orgID: b.org, req: SendRequest{Channel: "telegram", To: "777003", Body: "bad \x00 byte"}},
		{orgID: b.org, req: SendRequest{Channel: "telegram", To: "777004", Body: "fine too"}},
	}
	outs, errs := b.sends.createMany(b.ctx, items)
	require.NoError(t, errs[0])
	require.Error(t, errs[1])
	require.NoError(t, errs[2])
	require.NotEqual(t, outs[0].msg.ID, outs[2].msg.ID)
	var n int
	require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT count(*) FROM outbound_messages WHERE org_id = $1`, b.org).Scan(&n))
	require.Equal(t, 2, n)

	// The API itself refuses it with a field error.
	require.Contains(t, fieldErr(t, validate(&items[1].req), "body.body"), "NUL")
}
