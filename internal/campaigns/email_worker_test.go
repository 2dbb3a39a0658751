package campaigns

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/providers/sendgrid"
	"github.com/switchboard/switchboard/internal/suppression"
	"github.com/switchboard/switchboard/internal/templates"
)

// substitute applies a personalization's substitutions as SendGrid does.
func substitute(s string, subs map[string]string) string {
	pairs := make([]string, 0, 2*len(subs))
	for k, v := range subs {
		pairs = append(pairs, k, v)
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// The shared body with a recipient's substitutions applied is exactly what
// templates.Render gives for that recipient alone: values, defaults, HTML
// escaping in the HTML part only, the footer and its unsubscribe link.
func TestSharedEmailEqualsSingleRender(t *testing.T) {
	t.Parallel()
	def := "friend"
	content := templates.Content{
		Subject:  "{{first_name}}, news from {{org.name}}",
		BodyHTML: `<html><body><p>Hi {{first_name}} {{last_name}} &amp; co</p><p>Plan: {{attributes.plan}}</p></body></html>`,
		BodyText: "Hi {{first_name}} {{last_name}}\nPlan: {{attributes.plan}}\n-- {{org.name}}",
		Variables: []templates.TemplateVariable{{Name: "first_name", Default: &def}, {Name: "last_name"},
			{Name: "attributes.plan"}},
	}
	footer := &templates.Footer{HTML: `<p><a href="{{unsubscribe_url}}">Unsubscribe</a> from {{org.name}}</p>`, Text: "Unsubscribe: {{unsubscribe_url}}"}
	shared := newSharedEmail(content, footer, "n0nce")
	require.NotContains(t, shared.html, "{{")

	recipients := []map[string]any{
		{"first_name": "Ada", "last_name": "<Lovelace>", "attributes": map[string]any{"plan": "pro & more"}},
		{"first_name": "", "last_name": "Smith", "attributes": map[string]any{"plan": 3}},
		{"first_name": "Zoë", "last_name": "-sbn0nceh1-", "attributes": map[string]any{"plan": "x"}},
	}
	for i, contact := range recipients {
		d := templates.Data{Contact: contact, OrgName: "Acme & Sons", UnsubscribeURL: "https://app.example.com/u/tok" + string(rune('a'+i))}
		want := templates.Render(templates.ChannelEmail, content, d, footer)
		require.Empty(t, want.Missing)
		p, missing := shared.personalize(d)
		require.Empty(t, missing)
		require.Equal(t, want.Subject, p.Subject)
		require.Equal(t, want.HTML, substitute(shared.html, p.Substitutions), "recipient %d", i)
		require.Equal(t, want.Text, substitute(shared.text, p.Substitutions), "recipient %d", i)
	}

	// A variable without a value or default is reported, as a single send
	// would refuse it.
	_, missing := shared.personalize(templates.Data{Contact: map[string]any{"first_name": "Ada"}, OrgName: "Acme", UnsubscribeURL: "u"})
	require.ElementsMatch(t, []string{"last_name", "attributes.plan"}, missing)
}

// fakeBatchSender records batches and answers with the next queued error.
type fakeBatchSender struct {
	mu      sync.Mutex
	errs    []error
	batches []sendgrid.Batch
}

func (f *fakeBatchSender) BatchSend(_ context.Context, _ sendgrid.Credentials, b sendgrid.Batch) (providers.Sent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, b)
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return providers.Sent{}, err
	}
	return providers.Sent{MessageID: "sg-msg-1", Status: 202}, nil
}

func emailJob(org, campaign uuid.UUID, id int64, attempt int) *river.Job[EmailBatchArgs] {
	return &river.Job[EmailBatchArgs]{
		JobRow: &rivertype.JobRow{ID: id, Attempt: attempt, MaxAttempts: 8},
		Args:   EmailBatchArgs{OrgID: org, CampaignID: campaign, Size: EmailBatchSize},
	}
}

func recipientStatuses(t *testing.T, bd *testBundle, campaign uuid.UUID) map[string]int {
	t.Helper()
	rows, err := bd.pool.Query(context.Background(), `SELECT status, count(*) FROM campaign_recipients WHERE campaign_id = $1 GROUP BY status`, campaign)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		require.NoError(t, rows.Scan(&s, &n))
		out[s] = n
	}
	return out
}

func TestEmailBatchWorker(t *testing.T) {
	t.Parallel()
	bd := setup(t)
	ctx := context.Background()
	tn := bd.tenant(t)
	store, err := channels.NewStore(bytes.Repeat([]byte{9}, 32))
	require.NoError(t, err)
	_, err = store.Put(ctx, bd.pool, tn.orgID, channels.ChannelEmail, channels.SandboxParams(channels.ChannelEmail, uuid.NullUUID{}), time.Now())
	require.NoError(t, err)

	n := uuid.NewString()[:8]
	var ids []uuid.UUID
	// "" has no first name (the template has no default); Eve and Fay
	// are suppressed or opt out after the start.
	for _, name := range []string{"Ada", "Bob", "", "Eve", "Fay"} {
		var id uuid.UUID
		require.NoError(t, bd.pool.QueryRow(ctx, `INSERT INTO contacts (org_id, email, first_name) VALUES ($1, $2, $3) RETURNING id`,
			tn.orgID, strings.ToLower("x"+name+"-"+n+"@example.com"), name).Scan(&id))
		ids = append(ids, id)
	}
	g := bd.group(t, tn.orgID, ids...)
	tpl := bd.template(t, tn.orgID, "email")
	actor := uuid.NullUUID{UUID: tn.userID, Valid: true}
	c, err := Create(ctx, bd.pool, tn.orgID, actor, Input{Name: "Mail", Audience: Audience{
		Channels: []ChannelTemplate{{Channel: "email", TemplateID: tpl}}, Delivery: DeliveryFirstAvailable, IncludeGroupIDs: []uuid.UUID{g},
	}}, time.Now())
	require.NoError(t, err)
	_, err = Start(ctx, bd.pool, bd.jobs, tn.orgID, c.ID, actor, StartRequest{Now: true}, time.Now())
	require.NoError(t, err)
	require.NoError(t, Materialize(ctx, bd.pool, bd.jobs, tn.orgID, c.ID, time.Now()))
	bd.suppress(t, tn.orgID, "email", "xeve-"+n+"@example.com")
	_, err = bd.pool.Exec(ctx, `UPDATE contacts SET consent = '{"email": {"status": "opted_out"}}' WHERE id = $1`, ids[4])
	require.NoError(t, err)

	fake := &fakeBatchSender{errs: []error{
		&providers.Error{Provider: "sendgrid", Kind: providers.KindRetryable, Status: 503, Reason: "unavailable"},
		&providers.Error{Provider: "sendgrid", Kind: providers.KindRateLimited, Status: 429, RetryAfter: 3 * time.Second},
	}}
	w := &EmailBatchWorker{DB: bd.pool, Store: store, SendGrid: fake, Tokens: suppression.NewTokens(bytes.Repeat([]byte{5}, 32)),
		PublicBaseURL: "https://app.example.com", Now: time.Now, Logger: zerolog.Nop()}
	jobID := time.Now().UnixNano() % 1_000_000_000

	// A 503: River retries; the recipient without a first name and the
	// two who may no longer be mailed failed already, the two others stay
	// claimed by the job.
	err = w.Work(ctx, emailJob(tn.orgID, c.ID, jobID, 1))
	require.Error(t, err)
	var snooze *rivertype.JobSnoozeError
	require.NotErrorAs(t, err, &snooze)
	require.Equal(t, map[string]int{"sending": 2, "failed": 3}, recipientStatuses(t, bd, c.ID))

	// Paused meanwhile: the retry holds its recipients and waits.
	_, err = Pause(ctx, bd.pool, tn.orgID, c.ID, actor, time.Now())
	require.NoError(t, err)
	err = w.Work(ctx, emailJob(tn.orgID, c.ID, jobID, 2))
	require.ErrorAs(t, err, &snooze)
	_, err = Resume(ctx, bd.pool, bd.jobs, tn.orgID, c.ID, actor, time.Now())
	require.NoError(t, err)

	// A 429: snooze, still holding them.
	err = w.Work(ctx, emailJob(tn.orgID, c.ID, jobID, 2))
	require.ErrorAs(t, err, &snooze)
	require.Equal(t, 3*time.Second, snooze.Duration)
	require.Equal(t, map[string]int{"sending": 2, "failed": 3}, recipientStatuses(t, bd, c.ID))

	// Accepted: the same two are sent, in one request.
	require.NoError(t, w.Work(ctx, emailJob(tn.orgID, c.ID, jobID, 3)))
	require.Equal(t, map[string]int{"sent": 2, "failed": 3}, recipientStatuses(t, bd, c.ID))
	last := fake.batches[len(fake.batches)-1]
	require.Len(t, last.Recipients, 2)
	require.Equal(t, c.ID.String(), last.CustomArgs[ArgCampaignID])
	got := map[string]string{}
	for _, p := range last.Recipients {
		require.NotEmpty(t, p.CustomArgs[ArgRecipientID])
		require.True(t, strings.HasPrefix(p.Headers["List-Unsubscribe"], "<https://app.example.com/u/"))
		require.Equal(t, "List-Unsubscribe=One-Click", p.Headers["List-Unsubscribe-Post"])
		text := substitute(last.Text, p.Substitutions)
		// The org's footer with the recipient's own unsubscribe link.
		require.Contains(t, text, "\nUnsubscribe: "+strings.Trim(p.Headers["List-Unsubscribe"], "<>"))
		got[p.To] = p.Subject + "|" + strings.SplitN(text, "\n", 2)[0]
	}
	require.Equal(t, "Hello Ada|Hi Ada", got["xada-"+n+"@example.com"])
	require.Equal(t, "Hello Bob|Hi Bob", got["xbob-"+n+"@example.com"])

	var pmids, calls int
	require.NoError(t, bd.pool.QueryRow(ctx, `SELECT count(*) FROM campaign_recipients WHERE campaign_id = $1 AND provider_message_id = 'sg-msg-1'`, c.ID).Scan(&pmids))
	require.Equal(t, 2, pmids)
	require.NoError(t, bd.pool.QueryRow(ctx, `SELECT count(*) FROM provider_events WHERE org_id = $1 AND operation = 'batch_send'`, tn.orgID).Scan(&calls))
	require.Equal(t, 3, calls, "one row per request")
	reasons := map[string]string{}
	rows, err := bd.pool.Query(ctx, `SELECT address, error_code FROM campaign_recipients WHERE campaign_id = $1 AND status = 'failed'`, c.ID)
	require.NoError(t, err)
	for rows.Next() {
		var a, code string
		require.NoError(t, rows.Scan(&a, &code))
		reasons[a] = code
	}
	rows.Close()
	require.Equal(t, map[string]string{"x-" + n + "@example.com": "missing_variable", "xeve-" + n + "@example.com": "suppressed",
		"xfay-" + n + "@example.com": "suppressed"}, reasons)

	got2, err := Get(ctx, bd.pool, tn.orgID, c.ID)
	require.NoError(t, err)
	require.Equal(t, 2, got2.Counters.Sent)
	require.Equal(t, 3, got2.Counters.Failed)
	require.Equal(t, 0, got2.Counters.Queued)

	// A retried job after success, and a job of the resume, send nothing.
	require.NoError(t, w.Work(ctx, emailJob(tn.orgID, c.ID, jobID, 4)))
	require.NoError(t, w.Work(ctx, emailJob(tn.orgID, c.ID, jobID+1, 1)))
	require.Len(t, fake.batches, 3)
}
