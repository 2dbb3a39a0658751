// Package conversations keeps the two-way chats with contacts on WhatsApp,
// Telegram and Instagram: what contacts send (Receive, called by the
// webhook processing worker), the conversation list with unread counts,
// the thread of both directions, replies (through messaging's send path),
// Telegram onboarding codes, and live updates.
//
// Receive stores one inbound message idempotently, keyed by the provider's
// message id. Media is fetched and stored before the transaction (a
// provider download never holds a transaction open); then, in one
// transaction, the contact is matched by its channel id or created, the
// conversation is opened or moved (one more unread), the message row is
// written, and pg_notify tells listeners — Postgres delivers a notice only
// when its transaction commits, so a listener never hears of a message
// that is not there. A file saved for a message that never committed (the
// process died in between) is found through inbound_media_pending and
// removed by MediaCleanupWorker (see media_cleanup.go).
//
// Live updates reach browsers as server-sent events. Each API process
// holds one LISTEN connection (Hub) and fans notices out to the open
// streams of the notice's org; a stream carries only ids and kinds, and
// the page refetches what changed, so nothing private travels through
// Postgres's notification queue beyond ids.
package conversations
