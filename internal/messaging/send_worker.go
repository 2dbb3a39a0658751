package messaging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/ratelimit"
	"github.com/switchboard/switchboard/internal/storage"
	"github.com/switchboard/switchboard/internal/suppression"
)

// Outgoing is one message as a Sender delivers it.
type Outgoing struct {
	OrgID     uuid.UUID
	MessageID uuid.UUID
	Channel   Channel
	// To is the address: email, E.164 number, Telegram chat id, IGSID.
	To      string
	Subject string
	HTML    string
	// Text is the plain-text part of an email, or a chat message's text.
	Text string
	// Headers are extra email headers (List-Unsubscribe and its
	// one-click companion).
	Headers     map[string]string
	Attachments []providers.Attachment
	// Settings are the org's stored settings of the channel, as the
	// message's read found them: the sender opens its credentials from
	// them (channels.Store.Open), so a send reads nothing more.
	Settings channels.Sealed
}

// Sender delivers messages of one channel through its provider, with the
// org's credentials. Errors are *providers.Error; anything else counts as
// retryable.
type Sender interface {
	Send(ctx context.Context, m Outgoing) (providers.Sent, error)
}

// telegramPerChat is Telegram's limit per chat: about one message a second.
var telegramPerChat = ratelimit.Limit{Rate: 1, Burst: 1}

// SendWorker delivers queued messages.
type SendWorker struct {
	river.WorkerDefaults[SendArgs]
	DB      dbutil.Executor
	Senders map[Channel]Sender
	Storage storage.Storage
	// Files signs the attachment links providers fetch (Twilio, Instagram).
	Files         *storage.Signer
	Tokens        *suppression.Tokens
	PublicBaseURL string
	// Pacer hands out this process's share of busy send limits; nil
	// reserves every slot in the database.
	Pacer *ratelimit.Pacer
	// Notify tells live conversation views that a message of the
	// conversation changed, in the transaction that changes it (the
	// conversations domain implements it; nil: nobody listens).
	Notify func(ctx context.Context, tx dbutil.Executor, orgID, conversationID uuid.UUID) error
	Now    func() time.Time
	Logger zerolog.Logger

	finisherOnce sync.Once
	finisher     *finisher
}

// FileLinkTTL is how long a provider may fetch an attachment by its link.
const FileLinkTTL = 24 * time.Hour

// Timeout bounds one send job; the provider call has its own shorter one.
func (w *SendWorker) Timeout(*river.Job[SendArgs]) time.Duration { return 2 * time.Minute }

// Work sends one message. The hot path costs one read (the message with
// its channel's settings), the process's share of the channel's send
// slots (one reservation per batch of slots), one statement that takes
// the chat's slot and marks the message sending (committed without
// waiting for the disk: a lost reservation is harmless), the provider
// call, and a share of one statement that records a batch of results.
func (w *SendWorker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	orgID, id := job.Args.OrgID, job.Args.MessageID
	q := dbsqlc.New()
	got, err := q.MessageForSend(ctx, w.DB, dbsqlc.MessageForSendParams{OrgID: orgID, ID: id})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil // the org (and its messages) were deleted
	}
	if err != nil {
		return fmt.Errorf("reading message: %w", err)
	}
	row := got.OutboundMessage
	if row.Status != string(StatusQueued) && row.Status != string(StatusSending) {
		return nil // already sent or failed: a retried job does nothing twice
	}
	ch := Channel(row.Channel)
	sender := w.Senders[ch]
	if sender == nil {
		return w.fail(ctx, row, "not_configured", fmt.Sprintf("no sender for %s on this server", ch))
	}
	// The address may have been suppressed, or the contact opted out,
	// since the API accepted the message.
	if got.Suppressed || got.OptedOut {
		reason := "the address is on the suppression list"
		if got.OptedOut {
			reason = "the contact opted out of the channel"
		}
		return w.fail(ctx, row, "suppressed", reason)
	}

	settings := sealedSettings(got)
	// The org's rate override, or the channel's default (from the
	// providers' published limits) when it has none or no settings.
	rate := channels.EffectiveRatePerSecond(channels.Channel(ch), settings.RatePerSecond)
	if wait, err := w.startSending(ctx, row, rate); err != nil || wait > 0 {
		if errors.Is(err, errNotSendable) {
			return nil
		}
		if err != nil {
			return err
		}
		return river.JobSnooze(wait)
	}
	out, err := w.outgoing(ctx, row, got.HasAttachments)
	if err != nil {
		return err
	}
	out.Settings = settings

	start := time.Now()
	sent, sendErr := sender.Send(ctx, out)
	latency := time.Since(start)
	// Bookkeeping outlives a cancelled job context (a worker shutting
	// down mid-call): what happened is still recorded.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if sendErr == nil {
		return w.sent(bctx, row, sent, latency)
	}
	pe := classify(ProviderOf(ch), sendErr)
	if err := w.recordCall(bctx, row, latency, pe); err != nil {
		w.Logger.Warn().Err(err).Str("message_id", id.String()).Msg("recording provider call")
	}
	switch pe.Kind {
	case providers.KindRateLimited:
		wait := max(pe.RetryAfter, time.Second)
		w.event(bctx, row, "rate_limited", detail("reason", pe.Reason, "retry_after_ms", wait.Milliseconds()))
		return river.JobSnooze(wait)
	case providers.KindPermanent:
		return w.fail(bctx, row, pe.Code, pe.Reason)
	}
	if job.Attempt >= job.MaxAttempts {
		return w.fail(bctx, row, pe.Code, fmt.Sprintf("gave up after %d attempts: %s", job.Attempt, pe.Reason))
	}
	w.event(bctx, row, "retrying", detail("code", pe.Code, "reason", pe.Reason, "attempt", job.Attempt))
	if err := q.NoteSendError(bctx, w.DB, dbsqlc.NoteSendErrorParams{OrgID: orgID, ID: id, ErrorCode: pe.Code, ErrorReason: pe.Reason, Now: w.Now()}); err != nil {
		w.Logger.Warn().Err(err).Msg("noting send error")
	}
	return sendErr
}

// classify turns a send error into a provider error; an error that is
// not one (a bug, a context cancelled before the call) is retryable.
func classify(provider string, err error) *providers.Error {
	if err == nil {
		return nil
	}
	if pe, ok := providers.AsError(err); ok {
		return pe
	}
	return &providers.Error{Provider: provider, Operation: "send", Kind: providers.KindRetryable, Reason: err.Error(), Err: err}
}

// maxSlotWait is how far ahead a job may reserve its send slot and wait
// for it in place; a job whose slot is further off snoozes and frees its
// worker. Waiting in place keeps a saturated rate fully used (a snoozed
// job is fetched again only on River's next poll).
const maxSlotWait = 5 * time.Second

// errNotSendable: another run of the job sent or failed the message
// between the read and the reservation.
var errNotSendable = errors.New("message no longer sendable")

// startSending reserves the org's next send slot on the channel (and on
// Telegram the chat's), marks the message sending, and waits for the
// slot. It returns how long to snooze when the slots are too far off.
func (w *SendWorker) startSending(ctx context.Context, row dbsqlc.OutboundMessage, rate float64) (time.Duration, error) {
	orgID, ch := row.OrgID, Channel(row.Channel)
	now := w.Now()
	// Bursts of a tenth of a second's worth: sends go out evenly, never
	// in a burst that a provider counting per second refuses.
	limit := ratelimit.Limit{Rate: rate, Burst: max(rate/10, 1)}
	key := "send:" + orgID.String() + ":" + string(ch)
	var r ratelimit.Reservation
	var err error
	if w.Pacer != nil {
		r, err = w.Pacer.Reserve(ctx, w.DB, key, limit, maxSlotWait, now)
	} else {
		r, err = ratelimit.Reserve(ctx, w.DB, key, limit, maxSlotWait, now)
	}
	if err != nil || !r.OK {
		return r.RetryAfter, err
	}
	wait := r.Wait

	// One statement takes the chat's slot on Telegram and marks the
	// message sending.
	p := dbsqlc.StartSendingParams{OrgID: orgID, ID: row.ID, Now: now}
	var chat ratelimit.Slot
	if ch == contacts.ChannelTelegram {
		chat = telegramPerChat.Slot(maxSlotWait)
		p.SlotKey = "send:" + orgID.String() + ":telegram-chat:" + row.ToAddress
		p.IntervalS, p.HorizonS = chat.IntervalS, chat.HorizonS
	}
	got, err := dbsqlc.New().StartSending(ctx, w.DB, p)
	if err != nil {
		return 0, fmt.Errorf("marking sending: %w", err)
	}
	if !got.Sendable {
		return 0, errNotSendable
	}
	if p.SlotKey != "" {
		r := chat.Answer(got.SlotReserved, got.SlotCurrent, now)
		if !got.Started {
			return r.RetryAfter, nil
		}
		wait = max(wait, r.Wait)
	}
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-t.C:
		}
	}
	return 0, nil
}

// sealedSettings is what the message read found of the channel's settings.
func sealedSettings(got dbsqlc.MessageForSendRow) channels.Sealed {
	if got.ChannelHookID == nil {
		return channels.Sealed{} // the org has not set the channel up
	}
	x := channels.Sealed{
		Configured: true, OrgID: got.OutboundMessage.OrgID, Channel: channels.Channel(got.OutboundMessage.Channel),
		Enabled: got.ChannelEnabled.Bool, HookID: *got.ChannelHookID, Config: got.ChannelConfig, Secrets: got.ChannelSecrets,
	}
	if got.ChannelRatePerSecond.Valid {
		x.RatePerSecond = &got.ChannelRatePerSecond.Float64
	}
	return x
}

// outgoing assembles what the provider gets.
func (w *SendWorker) outgoing(ctx context.Context, row dbsqlc.OutboundMessage, hasAttachments bool) (Outgoing, error) {
	out := Outgoing{
		OrgID: row.OrgID, MessageID: row.ID, Channel: Channel(row.Channel), To: row.ToAddress,
		Subject: row.Subject, HTML: row.BodyHtml, Text: row.BodyText,
	}
	if out.Channel == contacts.ChannelEmail && row.ContactID.Valid && w.Tokens != nil {
		// RFC 8058 one-click unsubscribe: mail clients POST to the link.
		link := w.Tokens.URL(w.PublicBaseURL, row.ContactID.UUID, contacts.ChannelEmail)
		out.Headers = map[string]string{
			"List-Unsubscribe":      "<" + link + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		}
	}
	if !hasAttachments {
		return out, nil
	}
	ups, err := dbsqlc.New().MessageAttachments(ctx, w.DB, dbsqlc.MessageAttachmentsParams{OrgID: row.OrgID, MessageID: row.ID})
	if err != nil {
		return out, fmt.Errorf("reading attachments: %w", err)
	}
	for _, u := range ups {
		key := u.StorageKey
		a := providers.Attachment{
			Filename: u.Filename, ContentType: u.ContentType, Size: u.SizeBytes,
			Open: func() (io.ReadCloser, error) { return w.Storage.Open(ctx, key) },
		}
		if w.Files != nil {
			a.URL = FileURL(w.PublicBaseURL, w.Files, u.ID, u.Filename)
		}
		out.Attachments = append(out.Attachments, a)
	}
	return out, nil
}

// FileURL is the signed, expiring link to an upload that providers fetch.
func FileURL(baseURL string, files *storage.Signer, id uuid.UUID, filename string) string {
	return baseURL + "/files/" + files.Token(id.String(), FileLinkTTL) + "/" + url.PathEscape(filename)
}

func (w *SendWorker) recordCall(ctx context.Context, row dbsqlc.OutboundMessage, latency time.Duration, pe *providers.Error) error {
	return dbsqlc.New().CreateProviderEvent(ctx, w.DB, dbsqlc.CreateProviderEventParams{
		OrgID: uuid.NullUUID{UUID: row.OrgID, Valid: true}, Provider: row.Provider, Operation: "send",
		MessageID: uuid.NullUUID{UUID: row.ID, Valid: true}, LatencyMs: int32(latency.Milliseconds()),
		HttpStatus: int32(pe.Status), ErrorCode: pe.Code, Outcome: string(pe.Kind), CreatedAt: w.Now(),
	})
}

// sent records the provider's acceptance (message, timeline and call in
// one statement, batched with the process's other results).
func (w *SendWorker) sent(ctx context.Context, row dbsqlc.OutboundMessage, s providers.Sent, latency time.Duration) error {
	w.finisherOnce.Do(func() { w.finisher = &finisher{db: w.DB, notify: w.Notify, logger: w.Logger} })
	return w.finisher.finish(ctx, finishReq{
		orgID: row.OrgID, id: row.ID, providerMessageID: s.MessageID, at: w.Now(), latency: latency, status: s.Status,
	})
}

// fail ends the message: it will not be sent. The job completes.
func (w *SendWorker) fail(ctx context.Context, row dbsqlc.OutboundMessage, code, reason string) error {
	now := w.Now()
	return dbutil.WithTx(ctx, w.DB, func(tx pgx.Tx) error {
		q := dbsqlc.New()
		_, err := q.MarkFailed(ctx, tx, dbsqlc.MarkFailedParams{OrgID: row.OrgID, ID: row.ID, ErrorCode: code, ErrorReason: reason, Now: now})
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("marking failed: %w", err)
		}
		if err := q.CreateMessageEvent(ctx, tx, dbsqlc.CreateMessageEventParams{
			OrgID: row.OrgID, MessageID: row.ID, Status: string(StatusFailed), Source: "worker",
			Detail: detail("code", code, "reason", reason), OccurredAt: now,
		}); err != nil {
			return err
		}
		return w.notify(ctx, tx, row)
	})
}

func (w *SendWorker) notify(ctx context.Context, tx pgx.Tx, row dbsqlc.OutboundMessage) error {
	if w.Notify == nil || !row.ConversationID.Valid {
		return nil
	}
	return w.Notify(ctx, tx, row.OrgID, row.ConversationID.UUID)
}

// event adds a timeline entry that does not change the status.
func (w *SendWorker) event(ctx context.Context, row dbsqlc.OutboundMessage, status string, d []byte) {
	err := dbsqlc.New().CreateMessageEvent(ctx, w.DB, dbsqlc.CreateMessageEventParams{
		OrgID: row.OrgID, MessageID: row.ID, Status: status, Source: "worker", Detail: d, OccurredAt: w.Now(),
	})
	if err != nil {
		w.Logger.Warn().Err(err).Str("message_id", row.ID.String()).Msg("recording message event")
	}
}
