// Package messaging sends messages: the uploads they carry, the send API,
// the per-channel send workers and the status machine that provider
// webhooks drive.
//
// A send is validated, checked against the suppression list and the
// contact's consent in SQL, rendered, and written as an outbound_messages
// row (status queued) with its timeline's first event and its send job, in
// one transaction; the API answers 202 and never calls a provider. The job
// runs on the channel's River queue: it takes a token from the org's
// bucket for the channel (and, on Telegram, the chat's), snoozing when
// none is left, calls the provider through a Sender, records the call in
// provider_events, and moves the message to sent. Provider errors decide
// what happens next: rate-limited snoozes for the provider's retry-after,
// retryable returns the error so River retries with backoff, permanent
// fails the message with the provider's reason.
//
// Status moves only forward (message_status_rank in SQL): a late or
// duplicate event is kept in the timeline but never moves a message back.
package messaging
