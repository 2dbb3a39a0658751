// Package contacts is who an org talks to: contacts with their channel
// addresses, groups, CSV imports and exports.
//
// # Dedupe
//
// A contact may have an email, a phone number, a WhatsApp number, a
// Telegram chat id and an Instagram-scoped id. Each is normalized before it
// is stored (email trimmed with the domain lower-cased and compared
// case-insensitively; numbers in E.164, local ones read in the org's
// default country) and is unique within the org: partial unique indexes on
// (org_id, value) decide, so concurrent writers cannot both win. A create or
// update that collides is a 409 naming the contact that holds the value
// (DuplicateError); an import merges into that contact instead.
//
// # The list
//
// contacts_matching() (a SQL function Postgres inlines) is the one
// definition of the list's filters; the list, the export and the bulk
// actions all select through it. Each sort order has its own statement and
// index, and pages are keyset pages (an opaque cursor holding the last
// row's sort value and id), so a page costs the same at the millionth
// contact as at the first. The statements run as unnamed prepared
// statements (customPlans), planned for their actual arguments, so that
// unused filters fold away and a selective search can use the trigram index.
//
// # Imports
//
// An upload stores the file in 1 MiB chunks (contact_import_chunks) and
// queues AnalyzeImportArgs in the same transaction; the analysis counts the
// rows. The client previews the header and first rows with a proposed
// mapping, then starts the import with its mapping, which queues
// ImportArgs. ImportWorker does the whole import in one transaction: it
// streams the chunks through encoding/csv and the row normalizer into a
// COPY to contact_import_rows, clusters rows that share any channel value,
// matches clusters to existing contacts, merges (filling empty fields, or
// overwriting when asked), inserts the rest, and records rejects and
// counts. A killed worker leaves nothing behind, and River's retry redoes
// the import from the stored file with the same result. Memory holds a
// chunk and a batch of rows, whatever the size of the file.
package contacts
