package webhooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/gabriel-vasile/mimetype"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/conversations"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/providers/telegram"
	"github.com/switchboard/switchboard/internal/providers/twilio"
)

// TelegramFiles downloads the files contacts send to a bot
// (*telegram.Client).
type TelegramFiles interface {
	DownloadFile(ctx context.Context, token, fileID string) (io.ReadCloser, string, error)
}

// ProcessWorker applies a webhook call's stored events. It is idempotent:
// only events not processed yet are read, and each is marked processed
// with its effects (status events in the same transaction; inbound
// messages right after the Receiver, which is idempotent itself).
type ProcessWorker struct {
	river.WorkerDefaults[ProcessArgs]
	DB       dbutil.Executor
	Receiver Receiver
	// Channels gives the credentials that media downloads need.
	Channels CredsLoader
	Telegram TelegramFiles
	// HTTP fetches Twilio media (basic auth with the account's SID and
	// token) and Instagram attachments (plain GET). It must have a
	// timeout; providers.NewHTTPClient(time.Minute, true) fits (Twilio
	// media URLs redirect to their CDN, and Go drops the credentials when
	// a redirect leaves the host).
	HTTP *http.Client
	Now  func() time.Time
}

// Timeout bounds one job: a batch of status events takes milliseconds,
// but inbound media may be large.
func (w *ProcessWorker) Timeout(*river.Job[ProcessArgs]) time.Duration { return 5 * time.Minute }

func (w *ProcessWorker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

// isInbound tells events that are messages from contacts.
func isInbound(r dbsqlc.LockPendingWebhookEventsRow) bool {
	switch r.Provider {
	case ProviderTwilio:
		return r.Kind == eventInbound
	case ProviderTelegram, ProviderInstagram:
		return r.Kind == eventMessage
	}
	return false
}

// Work processes the request's pending events.
func (w *ProcessWorker) Work(ctx context.Context, job *river.Job[ProcessArgs]) error {
	orgID, requestID := job.Args.OrgID, job.Args.RequestID
	var inbound []dbsqlc.LockPendingWebhookEventsRow
	err := dbutil.WithTx(ctx, w.DB, func(tx pgx.Tx) error {
		rows, err := dbsqlc.New().LockPendingWebhookEvents(ctx, tx, dbsqlc.LockPendingWebhookEventsParams{OrgID: orgID, RequestID: requestID})
		if err != nil {
			return fmt.Errorf("reading webhook events: %w", err)
		}
		inbound = inbound[:0]
		eff := newEffects()
		for _, r := range rows {
			if isInbound(r) {
				inbound = append(inbound, r)
				continue
			}
			eff.add(r)
		}
		return eff.apply(ctx, tx, orgID, w.now())
	})
	if err != nil {
		// Kept on the events, so that the sweep can tell why if it gives
		// up on them (River keeps the error only with the job).
		nerr := dbsqlc.New().NoteWebhookRequestError(context.WithoutCancel(ctx), w.DB, dbsqlc.NoteWebhookRequestErrorParams{OrgID: orgID, RequestID: requestID, Error: err.Error()})
		if nerr != nil {
			zerolog.Ctx(ctx).Warn().Err(nerr).Msg("noting webhook events error")
		}
		return err
	}
	if len(inbound) == 0 {
		return nil
	}
	if w.Receiver == nil {
		return errors.New("no inbound message receiver is configured")
	}
	creds := &credsCache{w: w, orgID: orgID}
	last := job.Attempt >= job.MaxAttempts
	var firstErr error
	for _, r := range inbound {
		if err := w.receive(ctx, orgID, r, creds, last); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

// receive hands one inbound message to the Receiver and marks it
// processed. An error means the job should be retried.
func (w *ProcessWorker) receive(ctx context.Context, orgID uuid.UUID, r dbsqlc.LockPendingWebhookEventsRow, creds *credsCache, last bool) error {
	q := dbsqlc.New()
	finish := func(cause error) error {
		msg := ""
		if cause != nil {
			msg = cause.Error()
		}
		err := q.FinishWebhookEvents(ctx, w.DB, dbsqlc.FinishWebhookEventsParams{OrgID: orgID, Ids: []int64{r.ID}, Errors: []string{msg}, Now: w.now()})
		if err != nil {
			return fmt.Errorf("marking webhook event processed: %w", err)
		}
		return nil
	}
	in, err := w.inbound(r, creds)
	if err != nil {
		// Stored after the parser accepted it: unreadable now means a bug,
		// and retrying won't help.
		return finish(err)
	}
	in.LastAttempt = last
	_, _, err = w.Receiver.Receive(ctx, orgID, in)
	switch {
	case err == nil:
		return finish(nil)
	case errors.Is(err, conversations.ErrInvalidInbound):
		zerolog.Ctx(ctx).Warn().Err(err).Int64("webhook_event_id", r.ID).Msg("inbound message refused")
		return finish(err)
	}
	if nerr := q.NoteWebhookEventError(context.WithoutCancel(ctx), w.DB, dbsqlc.NoteWebhookEventErrorParams{OrgID: orgID, ID: r.ID, Error: err.Error()}); nerr != nil {
		zerolog.Ctx(ctx).Warn().Err(nerr).Msg("noting webhook event error")
	}
	return fmt.Errorf("receiving %s message: %w", r.Provider, err)
}

// inbound maps a stored inbound event to the message the Receiver takes.
func (w *ProcessWorker) inbound(r dbsqlc.LockPendingWebhookEventsRow, creds *credsCache) (conversations.Inbound, error) {
	switch r.Provider {
	case ProviderTwilio:
		return w.twilioInbound(r, creds)
	case ProviderTelegram:
		return w.telegramInbound(r, creds)
	case ProviderInstagram:
		return w.instagramInbound(r)
	}
	return conversations.Inbound{}, fmt.Errorf("no inbound messages from %s", r.Provider)
}

func (w *ProcessWorker) twilioInbound(r dbsqlc.LockPendingWebhookEventsRow, creds *credsCache) (conversations.Inbound, error) {
	form, err := formOf(r.Payload)
	if err != nil {
		return conversations.Inbound{}, fmt.Errorf("unreadable Twilio form: %w", err)
	}
	m, err := twilio.ParseInbound(form)
	if err != nil {
		return conversations.Inbound{}, err
	}
	in := conversations.Inbound{
		Channel: contacts.ChannelWhatsApp, ProviderMessageID: m.MessageSID, From: m.From,
		FirstName: m.ProfileName, Text: m.Body, ReceivedAt: r.ReceivedAt,
	}
	for i, md := range m.Media {
		in.Media = append(in.Media, conversations.Media{
			Filename: "whatsapp-" + strconv.Itoa(i+1) + extension(md.ContentType), ContentType: md.ContentType,
			Open: func(ctx context.Context) (io.ReadCloser, error) {
				cr, err := creds.get(ctx, channels.ChannelWhatsApp)
				if err != nil {
					return nil, err
				}
				wa := cr.(channels.WhatsAppCreds)
				return w.get(ctx, ProviderTwilio, md.URL, func(req *http.Request) { req.SetBasicAuth(wa.AccountSID, wa.AuthToken) })
			},
		})
	}
	return in, nil
}

func (w *ProcessWorker) telegramInbound(r dbsqlc.LockPendingWebhookEventsRow, creds *credsCache) (conversations.Inbound, error) {
	u, err := telegram.ParseUpdate(r.Payload)
	if err != nil {
		return conversations.Inbound{}, err
	}
	in := conversations.Inbound{
		Channel:           contacts.ChannelTelegram,
		ProviderMessageID: strconv.FormatInt(u.ChatID, 10) + ":" + strconv.FormatInt(u.MessageID, 10),
		From:              strconv.FormatInt(u.ChatID, 10),
		FirstName:         u.FirstName, LastName: u.LastName, Username: u.Username,
		Text: u.Text, ReceivedAt: u.Date, StartCode: u.StartCode,
	}
	if u.Date.Unix() <= 0 {
		in.ReceivedAt = r.ReceivedAt
	}
	if md := u.Media; md != nil {
		name := md.FileName
		if name == "" {
			name = md.Kind + extension(md.MimeType)
		}
		in.Media = []conversations.Media{{Filename: name, ContentType: md.MimeType,
			Open: func(ctx context.Context) (io.ReadCloser, error) {
				if w.Telegram == nil {
					return nil, errors.New("no Telegram client is configured")
				}
				cr, err := creds.get(ctx, channels.ChannelTelegram)
				if err != nil {
					return nil, err
				}
				rc, _, err := w.Telegram.DownloadFile(ctx, cr.(channels.TelegramCreds).BotToken, md.FileID)
				return rc, err
			}}}
	}
	return in, nil
}

func (w *ProcessWorker) instagramInbound(r dbsqlc.LockPendingWebhookEventsRow) (conversations.Inbound, error) {
	m, err := parseInstagramItem(r.Payload)
	if err != nil {
		return conversations.Inbound{}, err
	}
	in := conversations.Inbound{
		Channel: contacts.ChannelInstagram, ProviderMessageID: m.MID, From: m.SenderID, Text: m.Text, ReceivedAt: m.Timestamp,
	}
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = r.ReceivedAt
	}
	for i, a := range m.Attachments {
		if a.URL == "" {
			continue // shares and story mentions without a file
		}
		in.Media = append(in.Media, conversations.Media{
			Filename: "instagram-" + a.Type + "-" + strconv.Itoa(i+1),
			Open: func(ctx context.Context) (io.ReadCloser, error) {
				return w.get(ctx, ProviderInstagram, a.URL, nil)
			},
		})
	}
	return in, nil
}

// extension is the usual file extension of a content type, or "".
func extension(contentType string) string {
	if m := mimetype.Lookup(contentType); m != nil {
		return m.Extension()
	}
	return ""
}

// get downloads a provider's media file. Answers are classified like
// every provider call: 4xx (the file is gone, or the credentials are
// refused) is permanent, so the Receiver stores the message without it.
func (w *ProcessWorker) get(ctx context.Context, provider, rawURL string, auth func(*http.Request)) (io.ReadCloser, error) {
	const op = "get_media"
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &providers.Error{Provider: provider, Operation: op, Kind: providers.KindPermanent, Reason: "the media URL is not an http(s) URL"}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, &providers.Error{Provider: provider, Operation: op, Kind: providers.KindPermanent, Reason: "the media URL is not usable", Err: err}
	}
	if auth != nil {
		auth(req)
	}
	hc := w.HTTP
	if hc == nil {
		hc = providers.NewHTTPClient(time.Minute, true)
	}
	res, err := hc.Do(req)
	if err != nil {
		return nil, providers.TransportError(provider, op, err)
	}
	if res.StatusCode != http.StatusOK {
		_ = providers.ReadErrorBody(res.Body)
		res.Body.Close()
		return nil, &providers.Error{
			Provider: provider, Operation: op, Kind: providers.Classify(res.StatusCode, nil), Status: res.StatusCode,
			Reason: fmt.Sprintf("the provider answered %d to the media download", res.StatusCode),
		}
	}
	return res.Body, nil
}

// credsCache loads an org's channel credentials once per job, when a
// medium needs them.
type credsCache struct {
	w     *ProcessWorker
	orgID uuid.UUID
	mu    sync.Mutex
	got   map[channels.Channel]channels.Creds
}

func (c *credsCache) get(ctx context.Context, ch channels.Channel) (channels.Creds, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cr, ok := c.got[ch]; ok {
		return cr, nil
	}
	if c.w.Channels == nil {
		return nil, errors.New("no channel credentials are configured for media downloads")
	}
	cr, err := c.w.Channels.Load(ctx, c.w.DB, c.orgID, ch)
	if errors.Is(err, channels.ErrNotConfigured) || errors.Is(err, channels.ErrSecretsUnreadable) {
		// Not coming back by retrying: the file is lost, not the message.
		return nil, &providers.Error{Provider: ch.Provider(), Operation: "get_media", Kind: providers.KindPermanent,
			Reason: fmt.Sprintf("the %s channel's credentials are needed to fetch the file: %v", ch, err)}
	}
	if err != nil {
		return nil, err
	}
	if c.got == nil {
		c.got = map[channels.Channel]channels.Creds{}
	}
	c.got[ch] = cr
	return cr, nil
}
