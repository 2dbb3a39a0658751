// Package sandbox simulates the messaging providers Switchboard talks to
// (SendGrid, Twilio WhatsApp, Telegram bots, Instagram messaging), so that
// `make run`, the tests and the benchmarks exercise the real SDK code paths
// without the real services.
//
// # What it answers
//
// A Sandbox is an http.Handler. The app mounts it at /sandbox/ (with
// http.StripPrefix) when SANDBOX=1 and points the provider adapters' base
// URLs at /sandbox/<provider>; cmd/sandbox runs it standalone. It speaks
// each provider's HTTP API as the official SDKs call it:
//
//   - SendGrid (sendgrid-go: JSON, Bearer key): POST /v3/mail/send (202 and
//     X-Message-Id; gzip bodies too), GET /v3/scopes, GET|PATCH
//     /v3/user/webhooks/event/settings and .../settings/signed.
//   - Twilio (twilio-go: form-encoded, basic auth):
//     POST /2010-04-01/Accounts/{sid}/Messages.json (201, "queued"),
//     GET /2010-04-01/Accounts/{sid}.json, and the media of inbound messages.
//   - Telegram (go-telegram/bot: multipart; JSON, urlencoded and query
//     parameters work too): /bot<token>/getMe, sendMessage, sendPhoto,
//     sendDocument, sendVideo, sendAudio, sendVoice, setWebhook,
//     deleteWebhook, getWebhookInfo, getFile, and /file/bot<token>/<path>.
//   - Instagram (Graph API: JSON or form, Bearer or access_token):
//     POST /{ver}/me/messages (or /{ver}/{account}/messages), GET /{ver}/me.
//
// Any credentials are accepted and recorded by their non-secret part, except
// ones containing "invalid" (answered 401, or Graph code 190) and SendGrid
// keys containing "nosend" (no mail.send scope). Malformed calls get the
// provider's own error body and codes: SendGrid {"errors":[...]}, Twilio
// {"code","message","more_info","status"}, Telegram {"ok":false,...},
// Graph {"error":{...}}.
//
// # What it sends back
//
// Accepted messages live on: webhooks follow after Behaviour.WebhookDelayMS
// steps, signed as each provider signs them. SendGrid events (processed,
// then delivered, bounce, dropped or deferred, then open, click,
// spamreport) are batched per API key and URL into JSON arrays (every
// 100 ms or 1,000 events) and signed with ECDSA P-256 over timestamp+body,
// with a key pair made per API key on first use. Twilio status callbacks
// (sent, delivered, read, failed, undelivered) are form posts signed with
// X-Twilio-Signature over the exact callback URL. Instagram delivery and
// read events carry X-Hub-Signature-256. Telegram has no delivery receipts:
// its webhook only carries what contacts write.
//
// Webhooks are fired by a bounded pool of workers fed by one scheduler
// goroutine (a heap of due items, one timer), retried with doubling backoff
// on connection errors, 429 and 5xx, and each attempt is recorded. Nothing
// sleeps holding a lock; request latency honours the caller's context.
//
// # Steering it
//
// Behaviour per provider (latency fixed or lognormal from p50/p99, injected
// 429 and 5xx rates, Retry-After, webhook spacing, outcome probabilities)
// is read and changed with GET/PUT /_api/config. Magic recipients force
// outcomes whatever the rates (see magic): "+bounce", "+invalid", "+429"...
// in addresses and ids, and numbers ending 0000 (invalid), 0429, 0500,
// 0001 (fail), 0002 (undelivered), 0003 (read).
//
// The control API also plays contacts (POST /_api/inbound fires the
// provider's inbound webhook, with media served back from the sandbox),
// registers Twilio senders and Instagram subscriptions (with Meta's
// verification handshake), and lists what happened: GET /_api/messages,
// /_api/webhooks, /_api/stats, /_api/registrations. Records are ring
// buffers (Options.RecordLimit, 10,000 by default), media a byte-bounded
// store, so memory stays flat under load.
//
// Registrations (event webhook settings and signing keys, senders, bot
// webhooks, subscriptions) are saved atomically to Options.StateFile on
// every change, so public keys and webhook URLs survive restarts.
package sandbox
