package campaigns

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/fault"
	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/providers/sendgrid"
	"github.com/switchboard/switchboard/internal/suppression"
	"github.com/switchboard/switchboard/internal/templates"
)

// BatchSender sends one SendGrid request to many recipients (a
// *sendgrid.Client).
type BatchSender interface {
	BatchSend(ctx context.Context, cr sendgrid.Credentials, b sendgrid.Batch) (providers.Sent, error)
}

// EmailBatchWorker sends a campaign's email recipients, up to
// EmailBatchSize per job and per SendGrid request.
//
// Crash safety: the claim marks the recipients sending with the job's id
// and commits before the request. A run that dies after SendGrid took the
// request but before the result was recorded leaves them sending; River
// retries the job, whose claim returns exactly those recipients again, and
// they are sent again: at most one batch is duplicated, none is lost.
type EmailBatchWorker struct {
	river.WorkerDefaults[EmailBatchArgs]
	DB            dbutil.Executor
	Store         *channels.Store
	SendGrid      BatchSender
	Tokens        *suppression.Tokens
	PublicBaseURL string
	Now           func() time.Time
	Logger        zerolog.Logger
}

// Timeout covers rendering a thousand recipients and one large request.
func (w *EmailBatchWorker) Timeout(*river.Job[EmailBatchArgs]) time.Duration { return 2 * time.Minute }

// pausedRecheck is how long a job holding claimed recipients of a paused
// campaign waits before looking again: those recipients are not queued,
// so resume does not enqueue them; this job sends them once it runs.
const pausedRecheck = 15 * time.Second

// Work claims, renders, sends and records.
func (w *EmailBatchWorker) Work(ctx context.Context, job *river.Job[EmailBatchArgs]) error {
	a := job.Args
	size := a.Size
	if size <= 0 || size > EmailBatchSize {
		size = EmailBatchSize
	}
	q := dbsqlc.New()
	jobID := pgtype.Int8{Int64: job.ID, Valid: true}
	claimed, err := q.ClaimEmailBatch(ctx, w.DB, dbsqlc.ClaimEmailBatchParams{
		JobID: jobID, Now: w.Now(), OrgID: a.OrgID, CampaignID: a.CampaignID, Lim: int32(size),
	})
	if err != nil {
		return fmt.Errorf("claiming email recipients: %w", err)
	}
	if len(claimed) == 0 {
		return w.nothingClaimed(ctx, job)
	}

	c, err := q.GetCampaign(ctx, w.DB, dbsqlc.GetCampaignParams{OrgID: a.OrgID, ID: a.CampaignID})
	if err != nil {
		return fmt.Errorf("reading campaign: %w", err)
	}
	now := w.Now()
	prep, err := w.prepare(ctx, c, claimed)
	if err != nil {
		var refusal *batchRefusal
		if errors.As(err, &refusal) {
			return w.failAll(ctx, a.OrgID, claimed, refusal.code, refusal.reason, now)
		}
		return err
	}
	// Recipients that cannot be rendered fail now, before the request,
	// so that a retry does not carry them.
	if len(prep.failed) > 0 {
		if _, err := ApplyEvents(ctx, w.DB, a.OrgID, prep.failed); err != nil {
			return err
		}
	}
	if len(prep.batch.Recipients) == 0 {
		return nil
	}

	start := time.Now()
	sent, sendErr := w.SendGrid.BatchSend(ctx, prep.creds, prep.batch)
	latency := time.Since(start)
	// What happened is recorded even when the job's context is cancelled
	// mid-call (a worker shutting down).
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	now = w.Now()
	pe := classifySend(sendErr)
	w.recordCall(bctx, a.OrgID, latency, sent.Status, pe, now)
	if pe == nil {
		evs := make([]Event, len(prep.ids))
		for i, id := range prep.ids {
			evs[i] = Event{RecipientID: id, Status: "sent", OccurredAt: now, ProviderMessageID: sent.MessageID}
		}
		_, err := ApplyEvents(bctx, w.DB, a.OrgID, evs)
		return err
	}
	switch pe.Kind {
	case providers.KindRateLimited:
		// The recipients stay claimed by this job: the snoozed run sends them.
		return river.JobSnooze(max(pe.RetryAfter, time.Second))
	case providers.KindPermanent:
		return w.failIDs(bctx, a.OrgID, prep.ids, pe.Code, pe.Reason, now)
	}
	if job.Attempt >= job.MaxAttempts {
		return w.failIDs(bctx, a.OrgID, prep.ids, pe.Code, fmt.Sprintf("gave up after %d attempts: %s", job.Attempt, pe.Reason), now)
	}
	// Retryable: River runs the job again and its claim returns the same
	// recipients.
	return fmt.Errorf("sending email batch of %d: %w", len(prep.ids), sendErr)
}

// nothingClaimed decides what a job that claimed nothing does. Usually
// the campaign is paused, cancelled or done, or other jobs took the
// queued recipients: nothing. But a job that claimed recipients on an
// earlier run and now finds the campaign paused still holds them (status
// sending, which resume does not enqueue): it waits for the campaign to
// run again. Under a cancelled campaign they are cancelled.
func (w *EmailBatchWorker) nothingClaimed(ctx context.Context, job *river.Job[EmailBatchArgs]) error {
	a := job.Args
	q := dbsqlc.New()
	jobID := pgtype.Int8{Int64: job.ID, Valid: true}
	st, err := q.EmailBatchHeld(ctx, w.DB, dbsqlc.EmailBatchHeldParams{JobID: jobID, OrgID: a.OrgID, CampaignID: a.CampaignID})
	if err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		return fmt.Errorf("reading campaign state: %w", err)
	}
	if st.Held == 0 {
		return nil
	}
	switch Status(st.Status) {
	case StatusPaused:
		return river.JobSnooze(pausedRecheck)
	case StatusCancelled:
		now := w.Now()
		return dbutil.WithTx(ctx, w.DB, func(tx pgx.Tx) error {
			ids, err := q.HeldEmailRecipients(ctx, tx, dbsqlc.HeldEmailRecipientsParams{CampaignID: a.CampaignID, OrgID: a.OrgID, JobID: jobID})
			if err != nil {
				return fmt.Errorf("reading held recipients: %w", err)
			}
			if err := q.ReleaseRecipients(ctx, tx, dbsqlc.ReleaseRecipientsParams{Now: now, OrgID: a.OrgID, Ids: ids}); err != nil {
				return fmt.Errorf("releasing held recipients: %w", err)
			}
			if _, err := q.CancelQueuedRecipients(ctx, tx, dbsqlc.CancelQueuedRecipientsParams{OrgID: a.OrgID, CampaignID: a.CampaignID, Now: &now}); err != nil {
				return fmt.Errorf("cancelling held recipients: %w", err)
			}
			return nil
		})
	}
	return nil
}

// batchRefusal fails a whole batch before sending: the channel or the
// template cannot be used.
type batchRefusal struct{ code, reason string }

func (e *batchRefusal) Error() string { return e.code + ": " + e.reason }

// prepared is a batch ready to send.
type prepared struct {
	creds  sendgrid.Credentials
	batch  sendgrid.Batch
	ids    []int64 // the recipients in the batch, in its order
	failed []Event // recipients that could not be rendered
}

func (w *EmailBatchWorker) prepare(ctx context.Context, c dbsqlc.Campaign, claimed []dbsqlc.ClaimEmailBatchRow) (prepared, error) {
	var out prepared
	orgID := c.OrgID
	tid := uuid.Nil
	for i, ch := range c.Channels {
		if ch == string(contacts.ChannelEmail) {
			tid = c.TemplateIds[i]
		}
	}
	if tid == uuid.Nil {
		return out, &batchRefusal{"no_template", "the campaign has no email template"}
	}
	t, err := templates.GetUsable(ctx, w.DB, orgID, tid)
	if fe, ok := fault.As(err); (ok && fe.Kind == fault.NotFound) || errors.Is(err, templates.ErrNotUsable) {
		return out, &batchRefusal{"template_unusable", "the email template was deleted or has no approved version"}
	}
	if err != nil {
		return out, err
	}
	cr, err := w.Store.Email(ctx, w.DB, orgID)
	if fe, ok := fault.As(err); ok && (fe == channels.ErrNotConfigured || fe == channels.ErrNotFound || fe == channels.ErrSecretsUnreadable) {
		return out, &batchRefusal{"channel_not_configured", fe.Message}
	}
	if err != nil {
		return out, err
	}
	out.creds = sendgrid.Credentials{APIKey: cr.APIKey, FromEmail: cr.FromEmail, FromName: cr.FromName}
	q := dbsqlc.New()
	orgName, err := q.GetOrgName(ctx, w.DB, orgID)
	if err != nil {
		return out, fmt.Errorf("reading org name: %w", err)
	}
	footer, err := templates.GetFooter(ctx, w.DB, orgID)
	if err != nil {
		return out, err
	}
	now := w.Now()
	// As a single send is refused, so is a recipient suppressed or opted
	// out since the start job chose it.
	rids := make([]int64, len(claimed))
	for i, r := range claimed {
		rids[i] = r.ID
	}
	blocked, err := q.BlockedEmailRecipients(ctx, w.DB, dbsqlc.BlockedEmailRecipientsParams{OrgID: orgID, Ids: rids})
	if err != nil {
		return out, fmt.Errorf("checking suppressions: %w", err)
	}
	skip := make(map[int64]bool, len(blocked))
	for _, b := range blocked {
		skip[b.ID] = true
		reason := "the contact opted out of email"
		if b.Suppressed {
			reason = "the address is on the suppression list"
		}
		out.failed = append(out.failed, Event{RecipientID: b.ID, Status: "failed", OccurredAt: now, Code: "suppressed", Reason: reason})
	}
	ids := make([]uuid.UUID, len(claimed))
	for i, r := range claimed {
		ids[i] = r.ContactID
	}
	rows, err := q.RecipientContacts(ctx, w.DB, dbsqlc.RecipientContactsParams{OrgID: orgID, Ids: ids})
	if err != nil {
		return out, fmt.Errorf("reading recipients' contacts: %w", err)
	}
	byID := make(map[uuid.UUID]map[string]any, len(rows))
	for _, r := range rows {
		ct := contacts.Contact{ID: r.ID, FirstName: r.FirstName, LastName: r.LastName, Email: r.Email, Phone: r.Phone}
		_ = json.Unmarshal(r.Attributes, &ct.Attributes)
		byID[r.ID] = contacts.TemplateValues(ct)
	}

	shared := newSharedEmail(t.Content(), &footer, newNonce())
	out.batch = sendgrid.Batch{Subject: "", HTML: shared.html, Text: shared.text, ReplyTo: cr.ReplyTo,
		CustomArgs: map[string]string{ArgCampaignID: c.ID.String()}}
	for _, r := range claimed {
		if skip[r.ID] {
			continue
		}
		values, ok := byID[r.ContactID]
		if !ok {
			// The contact was deleted since the start job: nobody to
			// render for (and nobody who would want it).
			out.failed = append(out.failed, Event{RecipientID: r.ID, Status: "failed", OccurredAt: now,
				Code: "contact_deleted", Reason: "the contact was deleted before the send"})
			continue
		}
		unsub := w.Tokens.URL(w.PublicBaseURL, r.ContactID, contacts.ChannelEmail)
		p, missing := shared.personalize(templates.Data{Contact: values, OrgName: orgName, UnsubscribeURL: unsub})
		if len(missing) > 0 {
			out.failed = append(out.failed, Event{RecipientID: r.ID, Status: "failed", OccurredAt: now,
				Code: "missing_variable", Reason: "no value for " + strings.Join(missing, ", ")})
			continue
		}
		p.To = r.Address
		// RFC 8058 one-click unsubscribe, as single sends have it.
		p.Headers = map[string]string{"List-Unsubscribe": "<" + unsub + ">", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
		p.CustomArgs = map[string]string{ArgRecipientID: strconv.FormatInt(r.ID, 10)}
		out.batch.Recipients = append(out.batch.Recipients, p)
		out.ids = append(out.ids, r.ID)
	}
	return out, nil
}

// sharedEmail is a campaign email as one body for a whole batch.
//
// SendGrid v3 sends the same content to every personalization of a
// request; only substitutions (and dynamic template data, which needs
// templates stored at SendGrid) differ per recipient. Grouping recipients
// by identical rendered content would fall apart as soon as a template
// says {{first_name}} or carries the per-contact unsubscribe link (every
// email differs). So the template is rendered once with a marker in place
// of every variable's value, giving the shared HTML and text, and each
// recipient gets one substitution per marker with its own value, rendered
// by templates.Render itself (defaults, HTML escaping in the HTML part
// only, the footer when the template has no unsubscribe link). Applying
// a recipient's substitutions to the shared body gives exactly what
// templates.Render would give for that recipient alone (tested). The
// subject, a single line, is each personalization's own.
//
// Markers carry a per-job random nonce, so text that happens to look like
// one cannot be substituted; SendGrid limits a personalization's
// substitutions to 10,000 bytes, which per-variable values stay far
// below (BatchSend refuses a batch that does not).
type sharedEmail struct {
	content templates.Content
	html    string
	text    string
	// names of the variables the shared body uses, with their markers in
	// the HTML and the text parts.
	names                  []string
	htmlMarker, textMarker map[string]string
}

func newNonce() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func newSharedEmail(c templates.Content, footer *templates.Footer, nonce string) *sharedEmail {
	s := &sharedEmail{content: c, htmlMarker: map[string]string{}, textMarker: map[string]string{}}
	seen := map[string]bool{}
	var all []string
	for _, src := range []string{c.BodyHTML, c.BodyText, footer.HTML, footer.Text} {
		for _, n := range templates.Parse(src).Names() {
			if !seen[n] {
				seen[n] = true
				all = append(all, n)
			}
		}
	}
	hv, tv := make(map[string]any, len(all)), make(map[string]any, len(all))
	for i, n := range all {
		s.htmlMarker[n] = "-sb" + nonce + "h" + strconv.Itoa(i) + "-"
		s.textMarker[n] = "-sb" + nonce + "t" + strconv.Itoa(i) + "-"
		hv[n], tv[n] = s.htmlMarker[n], s.textMarker[n]
	}
	body := templates.Content{BodyHTML: c.BodyHTML, BodyText: c.BodyText, Variables: c.Variables}
	s.html = templates.Render(templates.ChannelEmail, body,
		templates.Data{Values: hv, OrgName: s.htmlMarker[templates.VarOrgName], UnsubscribeURL: s.htmlMarker[templates.VarUnsubscribeURL]}, footer).HTML
	s.text = templates.Render(templates.ChannelEmail, body,
		templates.Data{Values: tv, OrgName: s.textMarker[templates.VarOrgName], UnsubscribeURL: s.textMarker[templates.VarUnsubscribeURL]}, footer).Text
	for _, n := range all {
		if strings.Contains(s.html, s.htmlMarker[n]) || strings.Contains(s.text, s.textMarker[n]) {
			s.names = append(s.names, n)
		}
	}
	return s
}

// personalize renders one recipient's subject and substitutions; missing
// lists the variables without a value (the recipient is not sent, as a
// single send would be refused).
func (s *sharedEmail) personalize(d templates.Data) (sendgrid.BatchRecipient, []string) {
	var p sendgrid.BatchRecipient
	subj := templates.Render(templates.ChannelEmail, templates.Content{Subject: s.content.Subject, Variables: s.content.Variables}, d, nil)
	p.Subject = subj.Subject
	missing := subj.Missing
	p.Substitutions = make(map[string]string, 2*len(s.names))
	for _, n := range s.names {
		// One placeholder rendered as a chat body: the raw value, with
		// the template's declared default when the contact has none.
		r := templates.Render(templates.ChannelTelegram, templates.Content{Body: "{{" + n + "}}", Variables: s.content.Variables}, d, nil)
		if len(r.Missing) > 0 {
			missing = append(missing, n)
		}
		if strings.Contains(s.html, s.htmlMarker[n]) {
			p.Substitutions[s.htmlMarker[n]] = html.EscapeString(r.Body)
		}
		if strings.Contains(s.text, s.textMarker[n]) {
			p.Substitutions[s.textMarker[n]] = r.Body
		}
	}
	return p, missing
}

// classifySend turns a send error into a provider error (nil for none);
// an error that is not one is retryable.
func classifySend(err error) *providers.Error {
	if err == nil {
		return nil
	}
	if pe, ok := providers.AsError(err); ok {
		return pe
	}
	return &providers.Error{Provider: sendgrid.Provider, Operation: "send", Kind: providers.KindRetryable, Reason: err.Error(), Err: err}
}

// recordCall writes the request's provider_events row (one per request,
// not per recipient); a failure to write it is logged, not fatal.
func (w *EmailBatchWorker) recordCall(ctx context.Context, orgID uuid.UUID, latency time.Duration, status int, pe *providers.Error, now time.Time) {
	p := dbsqlc.CreateProviderEventParams{
		OrgID: uuid.NullUUID{UUID: orgID, Valid: true}, Provider: sendgrid.Provider, Operation: "batch_send",
		LatencyMs: int32(latency.Milliseconds()), HttpStatus: int32(status), Outcome: "ok", CreatedAt: now,
	}
	if pe != nil {
		p.HttpStatus, p.ErrorCode, p.Outcome = int32(pe.Status), pe.Code, string(pe.Kind)
	}
	if err := dbsqlc.New().CreateProviderEvent(ctx, w.DB, p); err != nil {
		w.Logger.Warn().Err(err).Msg("recording provider call")
	}
}

func (w *EmailBatchWorker) failAll(ctx context.Context, orgID uuid.UUID, claimed []dbsqlc.ClaimEmailBatchRow, code, reason string, now time.Time) error {
	ids := make([]int64, len(claimed))
	for i, r := range claimed {
		ids[i] = r.ID
	}
	return w.failIDs(ctx, orgID, ids, code, reason, now)
}

func (w *EmailBatchWorker) failIDs(ctx context.Context, orgID uuid.UUID, ids []int64, code, reason string, now time.Time) error {
	evs := make([]Event, len(ids))
	for i, id := range ids {
		evs[i] = Event{RecipientID: id, Status: "failed", OccurredAt: now, Code: code, Reason: reason}
	}
	_, err := ApplyEvents(ctx, w.DB, orgID, evs)
	return err
}
