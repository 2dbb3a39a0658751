package campaigns

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/config"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/sandbox"
	"github.com/switchboard/switchboard/internal/storage"
	"github.com/switchboard/switchboard/internal/suppression"
)

// TestChatSendWorker sends Telegram recipients through messaging's real
// send worker and the sandbox: each gets its outbound message, rendered
// from the template, sent, with the outcome copied to the recipient; a
// retried job sends nothing twice; a paused campaign's job sends nothing.
func TestChatSendWorker(t *testing.T) {
	t.Parallel()
	bd := setup(t)
	ctx := context.Background()
	tn := bd.tenant(t)

	sb := sandbox.New(sandbox.Options{Logger: zerolog.Nop(), Seed: 1})
	t.Cleanup(sb.Close)
	srv := httptest.NewServer(http.StripPrefix("/sandbox", sb.Handler()))
	t.Cleanup(srv.Close)
	secret := bytes.Repeat([]byte{3}, 32)
	store, err := channels.NewStore(secret)
	require.NoError(t, err)
	_, err = store.Put(ctx, bd.pool, tn.orgID, channels.ChannelTelegram, channels.SandboxParams(channels.ChannelTelegram, uuid.NullUUID{}), time.Now())
	require.NoError(t, err)
	st, err := storage.NewDisk(t.TempDir())
	require.NoError(t, err)
	cfg := &config.Config{ProviderTimeout: 10 * time.Second}
	cfg.Providers.Telegram = srv.URL + "/sandbox/telegram"
	tokens := suppression.NewTokens(secret)
	send := &messaging.SendWorker{DB: bd.pool, Senders: messaging.Senders(store, messaging.NewProviders(cfg), srv.URL),
		Storage: st, Tokens: tokens, PublicBaseURL: srv.URL, Now: time.Now, Logger: zerolog.Nop()}
	w := &ChatSendWorker{DB: bd.pool, Messages: send, Tokens: tokens, PublicBaseURL: srv.URL, Now: time.Now}

	// Chat ids by the sandbox's last-four-digits magic: 0001 is a bot the
	// user blocked (a permanent failure); the others are delivered.
	var contactIDs []uuid.UUID
	for _, c := range []struct{ name, chat string }{{"Ada", "8801234"}, {"Bob", "8802345"}, {"Cy", "8803456"}, {"Dee", "8800001"}} {
		var id uuid.UUID
		require.NoError(t, bd.pool.QueryRow(ctx, `INSERT INTO contacts (org_id, telegram_chat_id, first_name) VALUES ($1, $2, $3) RETURNING id`,
			tn.orgID, c.chat, c.name).Scan(&id))
		contactIDs = append(contactIDs, id)
	}
	g := bd.group(t, tn.orgID, contactIDs...)
	tpl := bd.template(t, tn.orgID, "telegram")
	actor := uuid.NullUUID{UUID: tn.userID, Valid: true}
	c, err := Create(ctx, bd.pool, tn.orgID, actor, Input{Name: "Chat", Audience: Audience{
		Channels: []ChannelTemplate{{Channel: "telegram", TemplateID: tpl}}, Delivery: DeliveryFirstAvailable, IncludeGroupIDs: []uuid.UUID{g},
	}}, time.Now())
	require.NoError(t, err)
	_, err = Start(ctx, bd.pool, bd.jobs, tn.orgID, c.ID, actor, StartRequest{Now: true}, time.Now())
	require.NoError(t, err)
	require.NoError(t, Materialize(ctx, bd.pool, bd.jobs, tn.orgID, c.ID, time.Now()))
	byChat := map[string]int64{}
	rows, err := bd.pool.Query(ctx, `SELECT address, id FROM campaign_recipients WHERE campaign_id = $1`, c.ID)
	require.NoError(t, err)
	for rows.Next() {
		var a string
		var id int64
		require.NoError(t, rows.Scan(&a, &id))
		byChat[a] = id
	}
	require.NoError(t, rows.Err())
	rows.Close()
	require.Len(t, byChat, 4)

	work := func(id int64) error {
		job := &river.Job[ChatSendArgs]{JobRow: &rivertype.JobRow{ID: id, Attempt: 1, MaxAttempts: messaging.SendMaxAttempts},
			Args: ChatSendArgs{OrgID: tn.orgID, CampaignID: c.ID, RecipientID: id}}
		for range 20 { // the send worker snoozes when its rate slot is far off
			err := w.Work(ctx, job)
			var snooze *rivertype.JobSnoozeError
			if !errors.As(err, &snooze) {
				return err
			}
			time.Sleep(snooze.Duration)
		}
		return errors.New("still snoozing")
	}
	for _, chat := range []string{"8801234", "8802345", "8800001"} {
		id := byChat[chat]
		require.NoError(t, work(id))
		require.NoError(t, work(id), "a retried job sends nothing twice")
	}
	// A second job for a recipient another job claimed (resume enqueues
	// every queued recipient while an older job may still be pending)
	// leaves its message to that job; the claiming job's retry takes it.
	var claimedBy int64
	var msg uuid.UUID
	require.NoError(t, bd.pool.QueryRow(ctx, `SELECT send_job_id, message_id FROM campaign_recipients WHERE id = $1`, byChat["8801234"]).Scan(&claimedBy, &msg))
	require.Equal(t, byChat["8801234"], claimedBy, "claimed by its job (here the job id is the recipient id)")
	_, err = bd.pool.Exec(ctx, `UPDATE campaign_recipients SET status = 'sending' WHERE id = $1`, byChat["8801234"])
	require.NoError(t, err)
	a := ChatSendArgs{OrgID: tn.orgID, CampaignID: c.ID, RecipientID: byChat["8801234"]}
	got0, err := w.claim(ctx, a, claimedBy+1000)
	require.NoError(t, err)
	require.Equal(t, uuid.Nil, got0)
	got1, err := w.claim(ctx, a, claimedBy)
	require.NoError(t, err)
	require.Equal(t, msg, got1)
	_, err = bd.pool.Exec(ctx, `UPDATE campaign_recipients SET status = 'sent' WHERE id = $1`, byChat["8801234"])
	require.NoError(t, err)

	var sent, messages int
	require.NoError(t, bd.pool.QueryRow(ctx, `SELECT count(*) FROM campaign_recipients r JOIN outbound_messages m ON m.id = r.message_id
		WHERE r.campaign_id = $1 AND r.status = 'sent' AND r.provider_message_id = m.provider_message_id AND m.body_text LIKE 'Hi %'`, c.ID).Scan(&sent))
	require.Equal(t, 2, sent)
	require.NoError(t, bd.pool.QueryRow(ctx, `SELECT count(*) FROM outbound_messages WHERE org_id = $1`, tn.orgID).Scan(&messages))
	require.Equal(t, 3, messages)
	var failCode, failReason string
	require.NoError(t, bd.pool.QueryRow(ctx, `SELECT status, error FROM campaign_recipients WHERE id = $1`, byChat["8800001"]).Scan(&failCode, &failReason))
	require.Equal(t, "failed", failCode)
	require.Contains(t, failReason, "blocked")

	// Paused: the last job sends nothing, its recipient stays queued.
	_, err = Pause(ctx, bd.pool, tn.orgID, c.ID, actor, time.Now())
	require.NoError(t, err)
	require.NoError(t, work(byChat["8803456"]))
	require.Equal(t, map[string]int{"sent": 2, "failed": 1, "queued": 1}, recipientStatuses(t, bd, c.ID))
	got, err := Get(ctx, bd.pool, tn.orgID, c.ID)
	require.NoError(t, err)
	require.Equal(t, 2, got.Counters.Sent)
	require.Equal(t, 1, got.Counters.Failed)
	require.Equal(t, 1, got.Counters.Queued)
}
