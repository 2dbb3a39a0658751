package webhooks

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/rs/zerolog"

	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/providers/instagram"
	"github.com/switchboard/switchboard/internal/providers/sendgrid"
	"github.com/switchboard/switchboard/internal/providers/telegram"
	"github.com/switchboard/switchboard/internal/providers/twilio"
)

// Handlers serve the provider callbacks (RegisterCallbacks) and the
// webhook log API (Register).
type Handlers struct {
	DB       dbutil.Executor
	Channels HookFinder
	Jobs     Inserter
	// PublicBaseURL is PUBLIC_BASE_URL: Twilio signs the URL it was given,
	// which starts with it.
	PublicBaseURL string
	Now           func() time.Time
	// SendGridWindow is how old a signed SendGrid batch may be;
	// sendgrid.DefaultWindow (10 minutes) when zero.
	SendGridWindow time.Duration
}

// RegisterCallbacks mounts the receivers on app. Mount them before the
// catch-all that answers unknown /api routes.
func (h *Handlers) RegisterCallbacks(app *fiber.App) {
	app.Post("/api/callbacks/sendgrid/:hook/", h.sendGrid)
	app.Post("/api/callbacks/twilio/:hook/status/", h.twilioStatus)
	app.Post("/api/callbacks/twilio/:hook/inbound/", h.twilioInbound)
	app.Post("/api/callbacks/telegram/:hook/", h.telegram)
	app.Get("/api/callbacks/instagram/:hook/", h.instagramVerify)
	app.Post("/api/callbacks/instagram/:hook/", h.instagram)
}

// errUnknownRoute is the answer to an unknown hook: the same as the
// catch-all's for any unknown /api route, so a hook id can't be probed.
func errUnknownRoute() error { return fiber.NewError(fiber.StatusNotFound, "no such API route") }

// call is one callback being handled.
type call struct {
	h        *Handlers
	c        *fiber.Ctx
	ctx      context.Context
	start    time.Time
	provider string
	kind     string
	orgID    uuid.UUID
	body     []byte
}

func (h *Handlers) begin(c *fiber.Ctx, provider, kind string) *call {
	// BodyRaw: the bytes exactly as received (Body would decompress a
	// Content-Encoding, unbounded, before the signature is checked).
	return &call{h: h, c: c, ctx: c.UserContext(), start: time.Now(), provider: provider, kind: kind, body: c.BodyRaw()}
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (k *call) latencyUS() int32 {
	return int32(min(time.Since(k.start).Microseconds(), math.MaxInt32))
}

// lookup finds the hook's org and credentials. A hook that is not the
// channel's answers 404 (logged without an org); false means answered.
func (k *call) lookup(ch channels.Channel) (channels.Creds, bool, error) {
	orgID, cr, err := k.h.Channels.ByHook(k.ctx, k.h.DB, ch, k.c.Params("hook"))
	switch {
	case errors.Is(err, channels.ErrNotFound):
		k.record(VerdictUnknownHook, "", fiber.StatusNotFound, "")
		return nil, false, errUnknownRoute()
	case errors.Is(err, channels.ErrSecretsUnreadable):
		k.orgID = orgID
		return nil, false, k.refuse(VerdictBadSignature, "the channel's stored secrets cannot be decrypted with this server's SECRETS_KEY", fiber.StatusUnauthorized)
	case err != nil:
		return nil, false, fmt.Errorf("finding the %s hook: %w", ch, err)
	}
	k.orgID = orgID
	return cr, true, nil
}

// refuse logs the call and answers status as problem+json.
func (k *call) refuse(verdict, reason string, status int) error {
	k.record(verdict, reason, status, snippet(k.body))
	msg := "invalid signature"
	if status == fiber.StatusBadRequest {
		msg = "bad request: " + reason
	}
	return fiber.NewError(status, msg)
}

// record writes the log row of a call that stored no events. A failure
// to log is only logged: the answer stands.
func (k *call) record(verdict, reason string, status int, snip string) {
	org := uuid.NullUUID{UUID: k.orgID, Valid: k.orgID != uuid.Nil}
	err := dbsqlc.New().RecordWebhookRequest(context.WithoutCancel(k.ctx), k.h.DB, dbsqlc.RecordWebhookRequestParams{
		OrgID: org, Provider: k.provider, Kind: k.kind, Verdict: verdict, Reason: reason,
		HttpStatus: int32(status), LatencyUs: k.latencyUS(), Snippet: snip, ReceivedAt: k.h.now(),
	})
	if err != nil {
		zerolog.Ctx(k.ctx).Error().Err(err).Str("provider", k.provider).Str("verdict", verdict).Msg("logging webhook call")
	}
}

// event is one provider event to store.
type event struct {
	key, kind string
	payload   []byte
}

// store writes the call's events and log row, and the processing job when
// any event is new, in one transaction. reason is logged with an accepted
// call.
func (k *call) store(events []event, reason string) (string, error) {
	p := dbsqlc.IngestWebhookEventsParams{
		OrgID: k.orgID, ID: uuid.New(), Provider: k.provider, ReceivedAt: k.h.now(),
		EventKeys: make([]string, len(events)), Kinds: make([]string, len(events)), Payloads: make([][]byte, len(events)),
		Kind: k.kind, Reason: reason, HttpStatus: fiber.StatusOK, Snippet: snippet(k.body),
	}
	for i, e := range events {
		p.EventKeys[i], p.Kinds[i], p.Payloads[i] = e.key, e.kind, storableJSON(e.payload)
	}
	var verdict string
	err := dbutil.WithTx(k.ctx, k.h.DB, func(tx pgx.Tx) error {
		p.LatencyUs = k.latencyUS()
		row, err := dbsqlc.New().IngestWebhookEvents(k.ctx, tx, p)
		if err != nil {
			return fmt.Errorf("storing %s events: %w", k.provider, err)
		}
		verdict = row.Verdict
		return k.enqueue(tx, p.ID, row.Inserted)
	})
	return verdict, err
}

// enqueue inserts the processing job when the call brought new events.
func (k *call) enqueue(tx pgx.Tx, requestID uuid.UUID, inserted int32) error {
	if inserted == 0 {
		return nil
	}
	if _, err := k.h.Jobs.InsertTx(k.ctx, tx, ProcessArgs{OrgID: k.orgID, RequestID: requestID}, nil); err != nil {
		return fmt.Errorf("enqueueing webhook processing: %w", err)
	}
	return nil
}

// sendGrid receives a signed event batch.
func (h *Handlers) sendGrid(c *fiber.Ctx) error {
	k := h.begin(c, ProviderSendGrid, KindEvents)
	cr, ok, err := k.lookup(channels.ChannelEmail)
	if !ok {
		return err
	}
	key := cr.(channels.EmailCreds).EventPublicKey
	if key == "" {
		return k.refuse(VerdictBadSignature, "no event public key is configured for the email channel: run Test connection or paste the verification key", fiber.StatusUnauthorized)
	}
	window := h.SendGridWindow
	if window <= 0 {
		window = sendgrid.DefaultWindow
	}
	if err := sendgrid.VerifySignature(key, c.Get(sendgrid.SignatureHeader), c.Get(sendgrid.TimestampHeader), k.body, h.now(), window); err != nil {
		return k.refuse(VerdictBadSignature, signatureReason(err), fiber.StatusUnauthorized)
	}
	if !isJSONArray(k.body) {
		return k.refuse(VerdictBadRequest, "the body is not a JSON array of events", fiber.StatusBadRequest)
	}
	if err := k.storeSendGrid(); err != nil {
		return err
	}
	// An empty body (SendStatus would write "OK").
	c.Status(fiber.StatusOK)
	return nil
}

// signatureReason words a SendGrid verification failure for the log.
func signatureReason(err error) string {
	switch {
	case errors.Is(err, sendgrid.ErrStaleTimestamp):
		return "the signature's timestamp is outside the replay window: " + err.Error()
	case errors.Is(err, sendgrid.ErrBadTimestamp):
		return "the signature timestamp header is missing or not a Unix time"
	case errors.Is(err, sendgrid.ErrBadPublicKey):
		return "the configured event public key is not an ECDSA key"
	}
	return "the signature does not verify with the configured event public key"
}

// storeSendGrid stores a batch: Postgres splits the array, so the
// receiver never decodes the events.
func (k *call) storeSendGrid() error {
	p := dbsqlc.IngestSendGridBatchParams{
		Body: storableJSON(k.body), OrgID: k.orgID, ID: uuid.New(), ReceivedAt: k.h.now(),
		HttpStatus: fiber.StatusOK, Snippet: snippet(k.body),
	}
	return dbutil.WithTx(k.ctx, k.h.DB, func(tx pgx.Tx) error {
		p.LatencyUs = k.latencyUS()
		row, err := dbsqlc.New().IngestSendGridBatch(k.ctx, tx, p)
		if err != nil {
			return fmt.Errorf("storing sendgrid events: %w", err)
		}
		return k.enqueue(tx, p.ID, row.Inserted)
	})
}

// twilioForm verifies a Twilio callback and returns its form; false means
// answered.
func (k *call) twilioForm() (url.Values, bool, error) {
	cr, ok, err := k.lookup(channels.ChannelWhatsApp)
	if !ok {
		return nil, false, err
	}
	form, err := url.ParseQuery(string(k.body))
	if err != nil {
		return nil, false, k.refuse(VerdictBadRequest, "the body is not a form", fiber.StatusBadRequest)
	}
	// Twilio signs the URL it was given: PUBLIC_BASE_URL and the path
	// (with its trailing slash) and query as requested.
	full := strings.TrimRight(k.h.PublicBaseURL, "/") + k.c.OriginalURL()
	if !twilio.ValidateSignature(cr.(channels.WhatsAppCreds).AuthToken, full, form, k.c.Get(twilio.SignatureHeader)) {
		return nil, false, k.refuse(VerdictBadSignature, "X-Twilio-Signature does not verify with the account's auth token over "+full, fiber.StatusUnauthorized)
	}
	return form, true, nil
}

// emptyTwiML answers Twilio: 200 with a TwiML document that does nothing.
func emptyTwiML(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
	return c.Status(fiber.StatusOK).SendString(`<?xml version="1.0" encoding="UTF-8"?><Response/>`)
}

// twilioStatus receives a message status callback.
func (h *Handlers) twilioStatus(c *fiber.Ctx) error {
	k := h.begin(c, ProviderTwilio, KindStatus)
	form, ok, err := k.twilioForm()
	if !ok {
		return err
	}
	st, err := twilio.ParseStatus(form)
	if err != nil {
		return k.refuse(VerdictBadRequest, "MessageSid and MessageStatus are required", fiber.StatusBadRequest)
	}
	payload, err := formJSON(form)
	if err != nil {
		return err
	}
	if _, err := k.store([]event{{key: st.MessageSID + ":" + st.MessageStatus, kind: eventStatus, payload: payload}}, ""); err != nil {
		return err
	}
	return emptyTwiML(c)
}

// twilioInbound receives an incoming WhatsApp message.
func (h *Handlers) twilioInbound(c *fiber.Ctx) error {
	k := h.begin(c, ProviderTwilio, KindInbound)
	form, ok, err := k.twilioForm()
	if !ok {
		return err
	}
	in, err := twilio.ParseInbound(form)
	if err != nil {
		return k.refuse(VerdictBadRequest, "MessageSid and From are required", fiber.StatusBadRequest)
	}
	payload, err := formJSON(form)
	if err != nil {
		return err
	}
	if _, err := k.store([]event{{key: in.MessageSID, kind: eventInbound, payload: payload}}, ""); err != nil {
		return err
	}
	return emptyTwiML(c)
}

// telegram receives a bot update.
func (h *Handlers) telegram(c *fiber.Ctx) error {
	k := h.begin(c, ProviderTelegram, KindUpdate)
	cr, ok, err := k.lookup(channels.ChannelTelegram)
	if !ok {
		return err
	}
	tc := cr.(channels.TelegramCreds)
	if !telegram.VerifySecret(tc.WebhookSecret, c.Get(telegram.SecretHeader)) {
		return k.refuse(VerdictBadSignature, "X-Telegram-Bot-Api-Secret-Token does not match the webhook secret", fiber.StatusUnauthorized)
	}
	u, err := telegram.ParseUpdate(k.body)
	var events []event
	reason := ""
	switch {
	case errors.Is(err, telegram.ErrNotMessage):
		// Edits, callback queries, membership changes: acknowledged, not kept.
		reason = "not a message update: nothing to process"
	case err != nil:
		return k.refuse(VerdictBadRequest, "the body is not a Telegram update", fiber.StatusBadRequest)
	default:
		// update_id is unique per bot: the bot's id (the token's prefix)
		// keeps updates of a bot the org used before apart.
		events = []event{{key: botID(tc.BotToken) + ":" + fmt.Sprint(u.UpdateID), kind: eventMessage, payload: k.body}}
	}
	if _, err := k.store(events, reason); err != nil {
		return err
	}
	c.Status(fiber.StatusOK)
	return nil
}

// botID is the bot's numeric id, the public part of its token.
func botID(token string) string {
	id, _, _ := strings.Cut(token, ":")
	return id
}

// instagramVerify answers Meta's subscription handshake with the challenge
// when the verify token is the org's.
func (h *Handlers) instagramVerify(c *fiber.Ctx) error {
	k := h.begin(c, ProviderInstagram, KindVerify)
	k.body = nil
	cr, ok, err := k.lookup(channels.ChannelInstagram)
	if !ok {
		return err
	}
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	// The query carries the verify token: only the mode is logged.
	snip := "hub.mode=" + url.QueryEscape(q.Get("hub.mode"))
	challenge, ok := instagram.VerifyChallenge(q, cr.(channels.InstagramCreds).VerifyToken)
	if !ok {
		k.record(VerdictBadSignature, "hub.mode is not subscribe or hub.verify_token does not match", fiber.StatusForbidden, snip)
		return fiber.NewError(fiber.StatusForbidden, "verification failed")
	}
	k.record(VerdictAccepted, "", fiber.StatusOK, snip)
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Status(fiber.StatusOK).SendString(challenge)
}

// instagram receives a batch of messaging events.
func (h *Handlers) instagram(c *fiber.Ctx) error {
	k := h.begin(c, ProviderInstagram, KindWebhook)
	cr, ok, err := k.lookup(channels.ChannelInstagram)
	if !ok {
		return err
	}
	if !instagram.VerifySignature(cr.(channels.InstagramCreds).AppSecret, k.body, c.Get(instagram.SignatureHeader)) {
		return k.refuse(VerdictBadSignature, "X-Hub-Signature-256 does not verify with the app secret", fiber.StatusUnauthorized)
	}
	events, err := instagramEvents(k.body)
	if err != nil {
		return k.refuse(VerdictBadRequest, "the body is not an Instagram messaging webhook", fiber.StatusBadRequest)
	}
	if _, err := k.store(events, ""); err != nil {
		return err
	}
	return c.Status(fiber.StatusOK).SendString("EVENT_RECEIVED")
}
