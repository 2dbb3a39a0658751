// Package webhooks receives the providers' callbacks and processes them
// (DESIGN.md rule 3: webhooks are stored, then processed).
//
// # Receiving
//
// Every receiver is a raw Fiber handler under /api/callbacks/ (raw, because
// signatures cover the exact bytes received):
//
//	POST /api/callbacks/sendgrid/{hook}/          SendGrid event batches (ECDSA, the org's event public key)
//	POST /api/callbacks/twilio/{hook}/status/     Twilio status callbacks (X-Twilio-Signature, the org's auth token)
//	POST /api/callbacks/twilio/{hook}/inbound/    incoming WhatsApp messages (same)
//	POST /api/callbacks/telegram/{hook}/          bot updates (X-Telegram-Bot-Api-Secret-Token)
//	GET  /api/callbacks/instagram/{hook}/         Meta's subscription handshake (hub.verify_token)
//	POST /api/callbacks/instagram/{hook}/         messaging events (X-Hub-Signature-256, the app secret)
//
// The hook id is random and per org and channel (channels.Store.ByHook): it
// names the org whose secret must verify the call, so the org never comes
// from the payload. An unknown hook is answered exactly like an unknown
// route (404), revealing nothing. A call that fails verification is a 401.
//
// An accepted call is stored in one transaction: its webhook_requests row,
// one webhook_events row per provider event (unique per org, provider and
// the provider's event id, inserted with ON CONFLICT DO NOTHING so a replay
// stores nothing new), and, when any event was new, a ProcessArgs job on
// the webhooks queue. Only then does the handler answer 2xx. A SendGrid
// batch goes to Postgres as the raw JSON array and is split there
// (jsonb_array_elements): the receiver decodes nothing but the signature,
// and a batch of 1,000 events is one statement.
//
// Every call, whatever its verdict (accepted, duplicate, bad_signature,
// bad_request, unknown_hook), is a webhook_requests row with its latency
// (measured up to the store, commit excluded) and the first 2 KB of the body;
// the headers, which carry the signatures and secrets, are never stored.
// The log is GET /api/v1/webhooks/log.
//
// # Processing
//
// ProcessWorker works one request's events that are not processed yet.
// Status events (SendGrid events, Twilio status callbacks, Instagram
// deliveries and reads) are applied in one transaction that also marks
// them processed: messaging.ApplyStatuses once per provider (status moves
// only forward, so order and duplicates don't matter), and the addresses
// that bounced, complained or unsubscribed join the suppression list
// (source sendgrid_webhook or twilio_webhook) with the opt-out recorded on
// the contact's consent, as internal/suppression does. Inbound messages
// (Twilio, Telegram, Instagram) go one by one to a Receiver
// (conversations.Service.Receive), which is idempotent by the provider's
// message id; each is marked processed after it. Media are fetched by the
// Receiver through the Open funcs given here: the provider calls happen in
// the worker, never in the API. A medium that can't be fetched for good
// (gone, too large, the channel's credentials removed) does not lose the
// message: it is received without it, with a note.
//
// # The sweep
//
// A processing job can end with events still unprocessed: discarded after
// its last attempt, cancelled from River UI, or its row deleted. Sweep
// (SweepWorker, every SweepInterval, on the scheduler) finds the calls
// whose events have been unprocessed for SweepGrace with no live job
// (available, pending, retryable, running or scheduled) and queues their
// processing again, at most 100 calls a run, each job with
// SweepJobMaxAttempts. webhook_requests.sweeps counts the retries; a call
// found again after SweepMaxRetries has its unprocessed events given up
// on: marked processed and failed (failed_at), with the last error their
// processing noted (the worker keeps it on the events), and counted in
// failed_events. The log shows retries, failed_events and the first
// failed events with their errors.
//
// What suppresses: SendGrid bounce (reason bounced; not type "blocked",
// which is a temporary refusal by the receiving server), spamreport
// (spam_complaint, and the contact opted out), unsubscribe and
// group_unsubscribe (unsubscribed, opted out). Twilio failed or undelivered
// with a permanent recipient error: 63024 (invalid recipient) and 21211
// (invalid number) suppress as bounced; 21610 (the recipient replied STOP)
// as unsubscribed, opted out. Other Twilio errors (rate limits, the 24-hour
// window, template problems) are the sender's and suppress nothing.
package webhooks
