// Package suppression keeps who must not be messaged: the org-wide
// suppression list per channel, contacts' consent history, and the public
// unsubscribe pages.
//
// # The list
//
// A suppression is a (channel, value) an org never messages: an address
// that unsubscribed, bounced, complained of spam, or was added by hand.
// Values are normalized like contact fields (email lower-cased entirely,
// WhatsApp in E.164, the Telegram chat id, the Instagram IGSID), so they
// compare with contacts.email_normalized, contacts.whatsapp,
// contacts.telegram_chat_id and contacts.instagram_id. A suppression is kept
// by address: it outlives the contact and applies to a contact imported
// again later.
//
// # Checking it, set-based
//
// Sends and campaigns check in SQL, never row by row in Go. Three ways, by
// what the statement has at hand:
//
//   - Recipients chosen from contacts: select from the contact_channels view
//     (migrations/000002), one row per contact and channel with an address,
//     and keep sendable rows:
//
//     INSERT INTO campaign_recipients (org_id, campaign_id, contact_id, address)
//     SELECT cc.org_id, $2, cc.contact_id, cc.address
//     FROM contact_channels cc
//     JOIN contact_group_members m ON m.org_id = cc.org_id AND m.contact_id = cc.contact_id
//     WHERE cc.org_id = $1 AND cc.channel = 'email' AND m.group_id = $3 AND cc.sendable;
//
//     sendable is false when the contact opted out on the channel
//     (opted_out) or its address is suppressed (suppressed).
//
//   - Addresses already in hand (a batch of a send): SuppressedAmong(ctx,
//     db, orgID, channel, values) returns the suppressed ones, one query per
//     batch (queries/suppression.sql: SuppressedAmong).
//
//   - Inside another statement: the same predicate the view uses,
//
//     NOT EXISTS (SELECT 1 FROM suppressions s
//     WHERE s.org_id = x.org_id AND s.channel = 'email' AND s.value = x.address)
//
//     which the unique index on (org_id, channel, value) answers.
//
// # Consent
//
// A contact's consent per channel (contacts.consent) and the suppression
// list move together: OptOut (the unsubscribe page, a one-click POST, or a
// member recording an opt-out) sets opted_out and suppresses the address;
// Resubscribe (admins only, with a reason) lifts the suppression and sets
// opted_in. Every change is a consent_events row with who and why; lifting
// a suppression by hand is recorded the same way. A CSV import of
// suppressions records its rows' source (import) and author on the rows
// themselves rather than one event each.
//
// # Unsubscribe links
//
// Every contact has an unsubscribe link per channel: PUBLIC_BASE_URL/u/{token}
// with a token signed by the server (Tokens; see there why signed rather
// than stored). GET shows a confirmation page, POST records the opt-out;
// a mail client's RFC 8058 one-click POST (List-Unsubscribe=One-Click) is
// answered the same way. The pages are server-rendered HTML with inline
// styles and no script, under the strict CSP.
package suppression
