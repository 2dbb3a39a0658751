package messaging

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/jobqueue"
	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/storage"
	"github.com/switchboard/switchboard/internal/suppression"
	"github.com/switchboard/switchboard/internal/templates"
	"github.com/switchboard/switchboard/internal/testfactory"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var secret = []byte("0123456789abcdef0123456789abcdef")

type testBundle struct {
	ctx   context.Context
	tx    pgx.Tx
	org   uuid.UUID
	owner uuid.UUID
	sends *Sends
	store storage.Storage
}

var (
	clientOnce sync.Once
	client     *jobqueue.Client
	clientErr  error
)

func setup(t *testing.T) *testBundle {
	t.Helper()
	ctx := context.Background()
	clientOnce.Do(func() {
		w := river.NewWorkers()
		river.AddWorker(w, &SendWorker{})
		client, clientErr = jobqueue.NewClient(dbtest.Pool(t), jobqueue.Options{Logger: zerolog.Nop(), Workers: w})
	})
	require.NoError(t, clientErr)
	tx := dbtest.TestTx(t)
	org, owner := testfactory.Org(ctx, t, tx, nil)
	st, err := storage.NewDisk(t.TempDir())
	require.NoError(t, err)
	return &testBundle{
		ctx: ctx, tx: tx, org: org.ID, owner: owner.ID, store: st,
		sends: &Sends{DB: tx, Jobs: client, Tokens: suppression.NewTokens(secret), PublicBaseURL: "https://sb.example", Now: time.Now},
	}
}

func (b *testBundle) contact(t *testing.T, in contacts.ContactInput) contacts.Contact {
	t.Helper()
	c, err := contacts.Create(b.ctx, b.tx, b.org, in, time.Now())
	require.NoError(t, err)
	return c
}

func (b *testBundle) send(req SendRequest) (Message, error) {
	m, _, err := b.sends.Send(b.ctx, b.org, Actor{UserID: uuid.NullUUID{UUID: b.owner, Valid: true}, RequestID: "req-1"}, req, "")
	return m, err
}

func ptr[T any](v T) *T { return &v }

// fieldErr asserts err is a 422 naming location, and returns its message.
func fieldErr(t *testing.T, err error, location string) string {
	t.Helper()
	fe, ok := fault.As(err)
	require.True(t, ok, "want a fault, got %v", err)
	require.Equal(t, fault.Invalid, fe.Kind, err.Error())
	for _, f := range fe.Fields {
		if f.Location == location {
			return f.Message
		}
	}
	require.Failf(t, "no error at "+location, "%+v", fe.Fields)
	return ""
}

func TestSendEmailQueuesMessageAndJob(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contact(t, contacts.ContactInput{Email: ptr("Ada@Example.com"), FirstName: ptr("Ada")})

	m, err := b.send(SendRequest{Channel: "email", ContactID: &c.ID, Subject: "Hi {{first_name}}", Body: "Hello {{first_name}} from {{org.name}}"})
	require.NoError(t, err)
	require.Equal(t, StatusQueued, m.Status)
	require.Equal(t, "Ada@example.com", m.To)
	require.Equal(t, "Hi Ada", m.Subject)
	require.True(t, strings.HasPrefix(m.BodyText, "Hello Ada from Org "), m.BodyText)
	require.Contains(t, m.BodyText, "https://sb.example/u/", "the org's footer with the unsubscribe link is appended")
	require.Equal(t, "sendgrid", m.Provider)

	// The job is in the same transaction, on the channel's queue (other
	// tests of the package commit jobs too, so look for this message's).
	var queue string
	require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT queue FROM river_job WHERE kind = $1 AND args ->> 'message_id' = $2`,
		SendArgs{}.Kind(), m.ID.String()).Scan(&queue))
	require.Equal(t, jobqueue.QueueEmail, queue)

	got, err := Get(b.ctx, b.tx, b.org, m.ID, true)
	require.NoError(t, err)
	require.Len(t, got.Events, 1)
	require.Equal(t, "queued", got.Events[0].Status)
}

func TestSendToRawAddressMatchesOrCreatesContact(t *testing.T) {
	t.Parallel()
	b := setup(t)
	existing := b.contact(t, contacts.ContactInput{WhatsApp: ptr("+4915112345678")})

	m, err := b.send(SendRequest{Channel: "whatsapp", To: "+49 151 12345678", Body: "hi"})
	require.NoError(t, err)
	require.Equal(t, existing.ID, *m.ContactID)
	require.Equal(t, "+4915112345678", m.To)
	require.NotNil(t, m.ConversationID, "chat messages join the contact's conversation")

	m2, err := b.send(SendRequest{Channel: "telegram", To: "123456789", Body: "hi"})
	require.NoError(t, err)
	require.NotNil(t, m2.ContactID)
	c, err := contacts.Get(b.ctx, b.tx, b.org, *m2.ContactID)
	require.NoError(t, err)
	require.Equal(t, "123456789", *c.TelegramChatID)

	_, err = b.send(SendRequest{Channel: "email", To: "not an email", Subject: "s", Body: "b"})
	fieldErr(t, err, "body.to")
}

func TestSendValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contact(t, contacts.ContactInput{Email: ptr("v@example.com")})
	cases := map[string]struct {
		req SendRequest
		loc string
	}{
		"no recipient":       {SendRequest{Channel: "email", Subject: "s", Body: "b"}, "body.contact_id"},
		"both recipients":    {SendRequest{Channel: "email", ContactID: &c.ID, To: "x@example.com", Subject: "s", Body: "b"}, "body.to"},
		"bad channel":        {SendRequest{Channel: "fax", ContactID: &c.ID, Body: "b"}, "body.channel"},
		"email no subject":   {SendRequest{Channel: "email", ContactID: &c.ID, Body: "b"}, "body.subject"},
		"email no body":      {SendRequest{Channel: "email", ContactID: &c.ID, Subject: "s"}, "body.body"},
		"chat with subject":  {SendRequest{Channel: "telegram", To: "1", Subject: "s", Body: "b"}, "body.subject"},
		"chat too long":      {SendRequest{Channel: "instagram", To: "1", Body: strings.Repeat("x", 1001)}, "body.body"},
		"no whatsapp number": {SendRequest{Channel: "whatsapp", ContactID: &c.ID, Body: "b"}, "body.contact_id"},
		"unknown contact":    {SendRequest{Channel: "email", ContactID: ptr(uuid.New()), Subject: "s", Body: "b"}, "body.contact_id"},
		"unknown upload":     {SendRequest{Channel: "email", ContactID: &c.ID, Subject: "s", Body: "b", Attachments: []uuid.UUID{uuid.New()}}, "body.attachments[0]"},
		"template + content": {SendRequest{Channel: "email", ContactID: &c.ID, TemplateID: ptr(uuid.New()), Body: "b"}, "body.template_id"},
		"missing variable":   {SendRequest{Channel: "email", ContactID: &c.ID, Subject: "s", Body: "Your code {{code}}"}, "body.variables.code"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := b.send(tc.req)
			fieldErr(t, err, tc.loc)
		})
	}
}

func TestSendRefusesSuppressedAndOptedOut(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contact(t, contacts.ContactInput{Email: ptr("Bounced@Example.com"), WhatsApp: ptr("+14155550101")})
	_, err := suppression.Add(b.ctx, b.tx, b.org, suppression.Actor{}, suppression.SuppressionInput{Channel: "email", Value: "bounced@example.com", Reason: "bounced"}, "test")
	require.NoError(t, err)
	_, err = b.send(SendRequest{Channel: "email", ContactID: &c.ID, Subject: "s", Body: "b"})
	require.Contains(t, fieldErr(t, err, "body.contact_id"), "suppression list")
	_, err = b.send(SendRequest{Channel: "email", To: "BOUNCED@example.com", Subject: "s", Body: "b"})
	require.Contains(t, fieldErr(t, err, "body.to"), "suppression list")

	// Consent recorded as opted out (say, by an import) blocks on its own.
	_, err = b.tx.Exec(b.ctx, `UPDATE contacts SET consent = '{"whatsapp": {"status": "opted_out", "source": "import"}}' WHERE id = $1`, c.ID)
	require.NoError(t, err)
	_, err = b.send(SendRequest{Channel: "whatsapp", ContactID: &c.ID, Body: "b"})
	require.Contains(t, fieldErr(t, err, "body.contact_id"), "opted out")

	var n int
	require.NoError(t, b.tx.QueryRow(b.ctx, "SELECT count(*) FROM outbound_messages WHERE org_id = $1", b.org).Scan(&n))
	require.Zero(t, n, "a refused send writes nothing")
}

func TestSendWithTemplate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	actor := uuid.NullUUID{UUID: b.owner, Valid: true}
	tpl, err := templates.Create(b.ctx, b.tx, b.org, templates.CreateParams{
		Name: "Order shipped", Channel: "whatsapp", Actor: actor,
		Content: templates.Content{Body: "Hi {{first_name}}, order {{order}} shipped", Variables: []templates.TemplateVariable{{Name: "order"}}},
	}, time.Now())
	require.NoError(t, err)
	c := b.contact(t, contacts.ContactInput{WhatsApp: ptr("+14155550102"), FirstName: ptr("Grace")})

	_, err = b.send(SendRequest{Channel: "whatsapp", ContactID: &c.ID, TemplateID: &tpl.ID, Variables: map[string]any{"order": "A-1"}})
	require.Contains(t, fieldErr(t, err, "body.template_id"), "no approved version")

	_, err = templates.Submit(b.ctx, b.tx, b.org, tpl.ID, actor, time.Now())
	require.NoError(t, err)
	_, err = templates.Approve(b.ctx, b.tx, b.org, tpl.ID, actor, time.Now())
	require.NoError(t, err)

	m, err := b.send(SendRequest{Channel: "whatsapp", ContactID: &c.ID, TemplateID: &tpl.ID, Variables: map[string]any{"order": "A-1"}})
	require.NoError(t, err)
	require.Equal(t, "Hi Grace, order A-1 shipped", m.BodyText)
	require.Equal(t, 1, *m.TemplateVersion)

	_, err = b.send(SendRequest{Channel: "whatsapp", ContactID: &c.ID, TemplateID: &tpl.ID})
	fieldErr(t, err, "body.variables.order")

	_, err = b.send(SendRequest{Channel: "telegram", To: "42", TemplateID: &tpl.ID, Variables: map[string]any{"order": "A-1"}})
	require.Contains(t, fieldErr(t, err, "body.template_id"), "whatsapp template")
}

func TestSendAttachmentsChecked(t *testing.T) {
	t.Parallel()
	b := setup(t)
	pdf := "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
	up1, err := SaveUpload(b.ctx, b.tx, b.store, b.org, uuid.NullUUID{}, "upload", "invoice.pdf", strings.NewReader(pdf))
	require.NoError(t, err)
	require.Equal(t, "application/pdf", up1.ContentType)
	up2, err := SaveUpload(b.ctx, b.tx, b.store, b.org, uuid.NullUUID{}, "upload", "notes.exe", strings.NewReader("MZ\x90\x00binary"))
	require.NoError(t, err)
	require.NotContains(t, up2.Channels, Channel("whatsapp"))

	_, err = b.send(SendRequest{Channel: "whatsapp", To: "+14155550103", Body: "b", Attachments: []uuid.UUID{up1.ID, up2.ID}})
	require.Contains(t, fieldErr(t, err, "body.attachments"), "at most 1")
	_, err = b.send(SendRequest{Channel: "whatsapp", To: "+14155550103", Body: "b", Attachments: []uuid.UUID{up2.ID}})
	require.Contains(t, fieldErr(t, err, "body.attachments"), "does not accept")

	m, err := b.send(SendRequest{Channel: "email", To: "att@example.com", Subject: "s", Body: "b", Attachments: []uuid.UUID{up1.ID, up2.ID}})
	require.NoError(t, err)
	got, err := Get(b.ctx, b.tx, b.org, m.ID, false)
	require.NoError(t, err)
	require.Len(t, got.Attachments, 2)
	require.Equal(t, "invoice.pdf", got.Attachments[0].Filename)

	require.Error(t, DeleteUpload(b.ctx, b.tx, b.store, b.org, up1.ID), "an attached upload is kept")
}

func TestInstagramReplyWindow(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := b.contact(t, contacts.ContactInput{InstagramID: ptr("17841400000000001")})
	_, err := b.send(SendRequest{Channel: "instagram", ContactID: &c.ID, Body: "hello"})
	require.Contains(t, fieldErr(t, err, "body.contact_id"), "24 hours")

	_, err = b.tx.Exec(b.ctx, `INSERT INTO conversations (org_id, contact_id, channel, last_inbound_at) VALUES ($1, $2, 'instagram', now() - interval '1 hour')`, b.org, c.ID)
	require.NoError(t, err)
	_, err = b.send(SendRequest{Channel: "instagram", ContactID: &c.ID, Body: "hello"})
	require.NoError(t, err)
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	req := SendRequest{Channel: "email", To: "idem@example.com", Subject: "s", Body: "b"}
	actor := Actor{}
	m1, created, err := b.sends.Send(b.ctx, b.org, actor, req, "key-1")
	require.NoError(t, err)
	require.True(t, created)
	m2, created, err := b.sends.Send(b.ctx, b.org, actor, req, "key-1")
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, m1.ID, m2.ID)

	req.Body = "another"
	_, _, err = b.sends.Send(b.ctx, b.org, actor, req, "key-1")
	fieldErr(t, err, "header.Idempotency-Key")

	m3, created, err := b.sends.Send(b.ctx, b.org, actor, req, "key-2")
	require.NoError(t, err)
	require.True(t, created)
	require.NotEqual(t, m1.ID, m3.ID)

	var n int
	require.NoError(t, b.tx.QueryRow(b.ctx, "SELECT count(*) FROM outbound_messages WHERE org_id = $1", b.org).Scan(&n))
	require.Equal(t, 2, n)
}

// fakeSender answers with the queued results in order.
type fakeSender struct {
	mu      sync.Mutex
	results []error
	got     []Outgoing
}

func (f *fakeSender) Send(_ context.Context, m Outgoing) (providers.Sent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.got = append(f.got, m)
	var err error
	if len(f.results) > 0 {
		err, f.results = f.results[0], f.results[1:]
	}
	if err != nil {
		return providers.Sent{}, err
	}
	return providers.Sent{MessageID: "pm-" + m.MessageID.String()[:8], Status: 202}, nil
}

func (b *testBundle) worker(s Sender) *SendWorker {
	return &SendWorker{
		DB: b.tx, Senders: map[Channel]Sender{"email": s, "whatsapp": s, "telegram": s}, Storage: b.store,
		Files: storage.NewSigner(secret, time.Now), Tokens: suppression.NewTokens(secret), PublicBaseURL: "https://sb.example",
		Now: time.Now, Logger: zerolog.Nop(),
	}
}

func job(m Message, attempt int) *river.Job[SendArgs] {
	return &river.Job[SendArgs]{JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: SendMaxAttempts}, Args: SendArgs{OrgID: uuid.Nil, MessageID: m.ID}}
}

func (b *testBundle) work(t *testing.T, w *SendWorker, m Message, attempt int) error {
	t.Helper()
	j := job(m, attempt)
	j.Args.OrgID = b.org
	return w.Work(b.ctx, j)
}

func (b *testBundle) providerEvents(t *testing.T, id uuid.UUID) []string {
	t.Helper()
	rows, err := b.tx.Query(b.ctx, "SELECT outcome FROM provider_events WHERE message_id = $1 ORDER BY id", id)
	require.NoError(t, err)
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return out
}

func TestSendWorker(t *testing.T) {
	t.Parallel()

	t.Run("sent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		f := &fakeSender{}
		m, err := b.send(SendRequest{Channel: "email", To: "w1@example.com", Subject: "s", Body: "b"})
		require.NoError(t, err)
		require.NoError(t, b.work(t, b.worker(f), m, 1))
		got, err := Get(b.ctx, b.tx, b.org, m.ID, true)
		require.NoError(t, err)
		require.Equal(t, StatusSent, got.Status)
		require.Equal(t, "pm-"+m.ID.String()[:8], *got.ProviderMessageID)
		require.Equal(t, []string{"queued", "sent"}, statuses(got.Events))
		require.Equal(t, []string{"ok"}, b.providerEvents(t, m.ID))
		require.Equal(t, "List-Unsubscribe=One-Click", f.got[0].Headers["List-Unsubscribe-Post"])
		require.Contains(t, f.got[0].Headers["List-Unsubscribe"], "<https://sb.example/u/")

		// A second run of the same job sends nothing more.
		require.NoError(t, b.work(t, b.worker(f), m, 2))
		require.Len(t, f.got, 1)
	})

	t.Run("rate limited snoozes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		f := &fakeSender{results: []error{&providers.Error{Kind: providers.KindRateLimited, Status: 429, RetryAfter: 3 * time.Second, Reason: "slow down"}}}
		m, err := b.send(SendRequest{Channel: "email", To: "w2@example.com", Subject: "s", Body: "b"})
		require.NoError(t, err)
		err = b.work(t, b.worker(f), m, 1)
		var snooze *rivertype.JobSnoozeError
		require.ErrorAs(t, err, &snooze)
		require.Equal(t, 3*time.Second, snooze.Duration)
		require.NoError(t, b.work(t, b.worker(f), m, 1))
		got, err := Get(b.ctx, b.tx, b.org, m.ID, true)
		require.NoError(t, err)
		require.Equal(t, StatusSent, got.Status)
		require.Equal(t, []string{"queued", "rate_limited", "sent"}, statuses(got.Events))
		require.Equal(t, []string{"rate_limited", "ok"}, b.providerEvents(t, m.ID))
	})

	t.Run("retryable retries then fails when attempts run out", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		boom := &providers.Error{Kind: providers.KindRetryable, Status: 503, Reason: "unavailable"}
		f := &fakeSender{results: []error{boom, boom}}
		m, err := b.send(SendRequest{Channel: "email", To: "w3@example.com", Subject: "s", Body: "b"})
		require.NoError(t, err)
		require.ErrorIs(t, b.work(t, b.worker(f), m, 1), boom)
		got, err := Get(b.ctx, b.tx, b.org, m.ID, false)
		require.NoError(t, err)
		require.Equal(t, StatusSending, got.Status)
		require.Equal(t, "unavailable", got.ErrorReason)

		require.NoError(t, b.work(t, b.worker(f), m, SendMaxAttempts))
		got, err = Get(b.ctx, b.tx, b.org, m.ID, true)
		require.NoError(t, err)
		require.Equal(t, StatusFailed, got.Status)
		require.Contains(t, got.ErrorReason, "gave up after")
		require.Equal(t, []string{"queued", "retrying", "failed"}, statuses(got.Events))
	})

	t.Run("permanent fails with the provider's reason", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		f := &fakeSender{results: []error{&providers.Error{Kind: providers.KindPermanent, Status: 400, Code: "21211", Reason: "Invalid 'To' Phone Number"}}}
		m, err := b.send(SendRequest{Channel: "whatsapp", To: "+14155550104", Body: "b"})
		require.NoError(t, err)
		require.NoError(t, b.work(t, b.worker(f), m, 1))
		got, err := Get(b.ctx, b.tx, b.org, m.ID, false)
		require.NoError(t, err)
		require.Equal(t, StatusFailed, got.Status)
		require.Equal(t, "21211", got.ErrorCode)
		require.Equal(t, "Invalid 'To' Phone Number", got.ErrorReason)
		require.Equal(t, []string{"permanent"}, b.providerEvents(t, m.ID))
	})

	t.Run("cancelled mid-call stays retryable", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		f := &fakeSender{results: []error{context.Canceled}}
		m, err := b.send(SendRequest{Channel: "email", To: "w5@example.com", Subject: "s", Body: "b"})
		require.NoError(t, err)
		require.ErrorIs(t, b.work(t, b.worker(f), m, 1), context.Canceled)
		require.NoError(t, b.work(t, b.worker(f), m, 2))
		got, err := Get(b.ctx, b.tx, b.org, m.ID, false)
		require.NoError(t, err)
		require.Equal(t, StatusSent, got.Status)
		require.Equal(t, 2, got.Attempts)
	})

	t.Run("suppressed after queueing", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		f := &fakeSender{}
		m, err := b.send(SendRequest{Channel: "email", To: "late@example.com", Subject: "s", Body: "b"})
		require.NoError(t, err)
		_, err = suppression.Add(b.ctx, b.tx, b.org, suppression.Actor{}, suppression.SuppressionInput{Channel: "email", Value: "late@example.com"}, "test")
		require.NoError(t, err)
		require.NoError(t, b.work(t, b.worker(f), m, 1))
		require.Empty(t, f.got)
		got, err := Get(b.ctx, b.tx, b.org, m.ID, false)
		require.NoError(t, err)
		require.Equal(t, StatusFailed, got.Status)
		require.Equal(t, "suppressed", got.ErrorCode)
	})

	t.Run("telegram waits for the chat's slot", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		f := &fakeSender{}
		w := b.worker(f)
		m1, err := b.send(SendRequest{Channel: "telegram", To: "777", Body: "one"})
		require.NoError(t, err)
		m2, err := b.send(SendRequest{Channel: "telegram", To: "777", Body: "two"})
		require.NoError(t, err)
		require.NoError(t, b.work(t, w, m1, 1))
		start := time.Now()
		require.NoError(t, b.work(t, w, m2, 1))
		require.Greater(t, time.Since(start), 500*time.Millisecond, "the second message waited for the chat's next slot")
		require.Len(t, f.got, 2)
	})
}

func statuses(evs []Event) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Status
	}
	return out
}

func TestApplyStatusesMovesForwardOnly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	m, err := b.send(SendRequest{Channel: "email", To: "status@example.com", Subject: "s", Body: "b"})
	require.NoError(t, err)
	require.NoError(t, b.work(t, b.worker(&fakeSender{}), m, 1))
	pmid := "pm-" + m.ID.String()[:8]
	t0 := time.Now().Add(-time.Minute).Truncate(time.Millisecond)

	// Out of order: open arrives before delivered.
	_, err = ApplyStatuses(b.ctx, b.tx, b.org, "sendgrid", []StatusEvent{
		{ProviderMessageID: pmid, Status: "opened", OccurredAt: t0.Add(2 * time.Second)},
		{ProviderMessageID: "someone-else", Status: "delivered", OccurredAt: t0},
	})
	require.NoError(t, err)
	applied, err := ApplyStatuses(b.ctx, b.tx, b.org, "sendgrid", []StatusEvent{
		{ProviderMessageID: pmid, Status: "delivered", OccurredAt: t0.Add(time.Second)},
		{ProviderMessageID: pmid, Status: "deferred", OccurredAt: t0},
	})
	require.NoError(t, err)
	require.Len(t, applied, 1)
	require.Equal(t, StatusOpened, applied[0].Status, "a late delivered does not move an opened message back")

	got, err := Get(b.ctx, b.tx, b.org, m.ID, true)
	require.NoError(t, err)
	require.Equal(t, StatusOpened, got.Status)
	require.Equal(t, t0.Add(time.Second), got.DeliveredAt.Truncate(time.Millisecond))
	require.Equal(t, []string{"deferred", "delivered", "opened", "queued", "sent"}, sortedStatuses(got.Events))

	// A spam complaint outranks everything and carries its reason.
	_, err = ApplyStatuses(b.ctx, b.tx, b.org, "sendgrid", []StatusEvent{
		{ProviderMessageID: pmid, Status: "spam", OccurredAt: t0.Add(time.Hour), Detail: map[string]any{"reason": "spamreport"}},
	})
	require.NoError(t, err)
	got, err = Get(b.ctx, b.tx, b.org, m.ID, false)
	require.NoError(t, err)
	require.Equal(t, StatusSpam, got.Status)
	require.Equal(t, "spamreport", got.ErrorReason)

	// Another org's hook can't touch this org's message.
	other, _ := testfactory.Org(b.ctx, t, b.tx, nil)
	applied, err = ApplyStatuses(b.ctx, b.tx, other.ID, "sendgrid", []StatusEvent{{ProviderMessageID: pmid, Status: "bounced", OccurredAt: t0}})
	require.NoError(t, err)
	require.Empty(t, applied)
}

func sortedStatuses(evs []Event) []string {
	out := statuses(evs)
	slices.Sort(out)
	return out
}

func TestPurgeExpired(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := time.Now()
	_, err := b.tx.Exec(b.ctx, `INSERT INTO idempotency_keys (org_id, key, request_hash, message_id, created_at) VALUES
		($1, 'old', '\x00', gen_random_uuid(), $2), ($1, 'fresh', '\x00', gen_random_uuid(), $3)`, b.org, now.Add(-25*time.Hour), now)
	require.NoError(t, err)
	_, err = b.tx.Exec(b.ctx, `INSERT INTO webhook_requests (org_id, provider, verdict, http_status, received_at) VALUES
		(NULL, 'twilio', 'unknown_hook', 404, $1), ($2, 'twilio', 'accepted', 200, $1)`, now.Add(-8*24*time.Hour), b.org)
	require.NoError(t, err)
	_, err = b.tx.Exec(b.ctx, `INSERT INTO provider_events (org_id, provider, operation, latency_ms, outcome, created_at) VALUES
		($1, 'twilio', 'send', 5, 'ok', $2), ($1, 'twilio', 'send', 5, 'ok', $3)`, b.org, now.Add(-91*24*time.Hour), now)
	require.NoError(t, err)

	n, err := PurgeExpired(b.ctx, b.tx, now)
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, int64(3))
	var keys, hooks, calls int
	require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT
		(SELECT count(*) FROM idempotency_keys WHERE org_id = $1),
		(SELECT count(*) FROM webhook_requests WHERE org_id = $1),
		(SELECT count(*) FROM provider_events WHERE org_id = $1)`, b.org).Scan(&keys, &hooks, &calls))
	require.Equal(t, []int{1, 1, 1}, []int{keys, hooks, calls}, "only the expired rows go; an org's webhook log stays")
}
