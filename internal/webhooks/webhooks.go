package webhooks

import (
	"bytes"
	"context"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard/switchboard/internal/channels"
	"github.com/switchboard/switchboard/internal/conversations"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/jobqueue"
)

// Providers, as webhook_requests.provider and webhook_events.provider.
const (
	ProviderSendGrid  = "sendgrid"
	ProviderTwilio    = "twilio"
	ProviderTelegram  = "telegram"
	ProviderInstagram = "instagram"
)

// Verdicts of a call, as webhook_requests.verdict.
const (
	VerdictAccepted     = "accepted"
	VerdictDuplicate    = "duplicate"
	VerdictBadSignature = "bad_signature"
	VerdictBadRequest   = "bad_request"
	VerdictUnknownHook  = "unknown_hook"
)

// Kinds of call, as webhook_requests.kind.
const (
	KindEvents  = "events"  // SendGrid event batch
	KindStatus  = "status"  // Twilio status callback
	KindInbound = "inbound" // Twilio incoming message
	KindUpdate  = "update"  // Telegram update
	KindVerify  = "verify"  // Instagram subscription handshake
	KindWebhook = "webhook" // Instagram messaging events
)

// Kinds of stored event (webhook_events.kind) beyond SendGrid's own event
// names, which are kept as SendGrid sends them.
const (
	eventStatus   = "status"   // Twilio status callback
	eventInbound  = "inbound"  // Twilio incoming message
	eventMessage  = "message"  // Telegram or Instagram message from a contact
	eventEcho     = "echo"     // Instagram: a message our account sent
	eventDelivery = "delivery" // Instagram delivery receipt
	eventRead     = "read"     // Instagram read receipt
)

// ProcessMaxAttempts bounds the retries of a processing job: with River's
// backoff, ten attempts span about four hours, enough to ride out a
// provider's media outage.
const ProcessMaxAttempts = 10

// ProcessArgs is the job that processes one webhook call's events.
type ProcessArgs struct {
	OrgID     uuid.UUID `json:"org_id"`
	RequestID uuid.UUID `json:"request_id"`
}

// Kind names the job.
func (ProcessArgs) Kind() string { return "webhook_process" }

// InsertOpts puts the job on the webhooks queue.
func (ProcessArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: jobqueue.QueueWebhooks, MaxAttempts: ProcessMaxAttempts}
}

// Inserter enqueues jobs in the caller's transaction (a River client).
type Inserter interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// HookFinder resolves a webhook URL's hook id to its org and credentials
// (channels.Store).
type HookFinder interface {
	ByHook(ctx context.Context, db dbutil.Executor, c channels.Channel, hookID string) (uuid.UUID, channels.Creds, error)
}

// CredsLoader loads an org's channel credentials (channels.Store); the
// worker needs them to fetch inbound media.
type CredsLoader interface {
	Load(ctx context.Context, db dbutil.Executor, orgID uuid.UUID, c channels.Channel) (channels.Creds, error)
}

// Receiver stores inbound messages: *conversations.Service. Receive is
// idempotent by (org, channel, provider message id).
type Receiver interface {
	Receive(ctx context.Context, orgID uuid.UUID, in conversations.Inbound) (conversations.InboundMessage, bool, error)
}

// SnippetBytes caps the body kept in the webhook log.
const SnippetBytes = 2048

// snippet is the start of a body as the log keeps it: at most SnippetBytes,
// cut on a character boundary, valid UTF-8 and without NUL (which Postgres
// text refuses).
func snippet(body []byte) string {
	cut := false
	if len(body) > SnippetBytes {
		// body[i] is the first byte left out: back up to a character's start.
		i := SnippetBytes
		for i > 0 && !utf8.RuneStart(body[i]) {
			i--
		}
		body, cut = body[:i], true
	}
	s := strings.ToValidUTF8(string(body), "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	if cut {
		s += "…"
	}
	return s
}

// jsonNUL is the escape Postgres jsonb refuses ("unsupported Unicode escape
// sequence"); a payload carrying it would fail the whole batch.
var jsonNUL = []byte(`\u0000`)

// storableJSON returns body with every \u0000 escape replaced, or body
// itself when it has none (the usual case: no copy).
func storableJSON(body []byte) []byte {
	if !bytes.Contains(body, jsonNUL) {
		return body
	}
	return bytes.ReplaceAll(body, jsonNUL, []byte(`\ufffd`))
}
