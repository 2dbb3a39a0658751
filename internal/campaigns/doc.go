// Package campaigns sends one message to the contacts of some groups on
// one or more channels, and follows it to completion.
//
// Who is reached is defined once, in SQL (campaign_audience, migration
// 000011): the include groups deduped by a semi-join, the exclude groups,
// each selected channel's address, the contact's consent and the
// suppression list, and the channel choice (the first reachable channel of
// the preference order, or every reachable one). The estimate counts that
// set in one statement; the start job inserts its chosen rows as
// campaign_recipients in one INSERT ... SELECT, so the estimate is what is
// sent.
//
// Sending: email goes in batches (EmailBatchWorker), up to 1,000 recipients
// per SendGrid request as personalizations, each with its substitutions,
// its unsubscribe header and custom args naming the campaign and the
// recipient; an email recipient is its own message record (no
// outbound_messages row). The template is rendered once into a body
// shared by the batch, with a marker per variable, and each recipient's
// values go in its substitutions (see sharedEmail); recipients suppressed
// or opted out since the start fail instead of being sent. Chat recipients go one job each
// (ChatSendWorker): the job writes an outbound message linked from the
// recipient (campaign_recipients.message_id) and runs messaging's
// SendWorker on it, so rate limits, retries and conversations behave as
// for any send. Every send job checks the campaign's state when it claims
// its recipients: a paused or cancelled campaign sends nothing new, and
// resume enqueues the recipients still queued (those sent are skipped by
// their status).
//
// Status: ApplyEvents moves recipients forward only and bumps the
// campaign's counters by the milestones set for the first time, in one
// statement (webhook processing calls it through SendGridEvents and
// MessageEvents). A periodic job completes running campaigns once nothing
// is in play or the settling time after the last send has passed (its
// creator gets a campaign.completed notification in the same
// transaction), and another starts scheduled campaigns when they are due.
//
// The same periodic job sweeps for recipients left in sending by a job
// that is gone (discarded after its last attempt, cancelled, deleted):
// they go back to queued with new send jobs (ReleaseOrphans), so that a
// campaign always completes.
//
// Costs come from the org's price table (internal/pricing). The estimate's
// one statement also counts the chosen recipients per channel and price
// key (campaign_price_key: a WhatsApp number's calling code and next
// digit, or +1 and the area code); Go finds each key's country with
// libphonenumber and pricing.Estimate prices the counts. WhatsApp messages
// are priced as the "marketing" category: templates have no category yet.
// The start job fixes each recipient's price (price_micros) from the same
// grouping, so the estimate is what the recipients cost, and the statement
// that records sends adds the prices of those sent to the campaign's
// cost_micros: the cost so far, exact and never recounted.
package campaigns
