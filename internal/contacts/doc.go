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
// A search alone has a bounded plan whatever its number of matches: it
// first walks the sort order's index from the cursor, a thousand contacts
// or so, keeping those that match. A common term fills the page there (the
// trigram index would have fetched and sorted all its tens of thousands of
// matches); a term with a few matches in the walk walks as far as their
// density says a page takes; a term with none, or too few, is rare, and the
// trigram index fetches its few matches to sort (listRows, the Walk
// statements).
//
// # Imports
//
// An upload is read as a stream (the server streams the import routes'
// bodies past its body limit, up to MaxImportBytes), stored in 1 MiB chunks
// (contact_import_chunks), and AnalyzeImportArgs is queued in the same
// transaction; the analysis counts the rows. The client previews the header
// and first rows with a proposed mapping, then starts the import with its
// mapping, which queues ImportArgs. ImportWorker runs it in steps that
// each commit:
//
//   - prepare: stream the chunks through encoding/csv and the row
//     normalizer (on every CPU, overlapping the COPY) into the unlogged
//     staging table contact_import_rows; link rows that share a channel
//     value (one hash aggregate over the file) and cluster the linked ones;
//     fold each cluster into its first row (FoldImportClusters, the one
//     definition of how rows combine); match clusters to existing contacts,
//     join the clusters of one contact and fold them again; split the lines
//     into batches (contact_import_batches).
//   - merge, a batch of 50,000 lines per transaction, two at a time: fill
//     (or overwrite) the matched contacts, insert the new ones in id order,
//     add them to the groups, record rejects with their line numbers, add up
//     the counts.
//   - complete: mark it completed, drop the staged rows and the file.
//
// A killed worker leaves its committed steps and River's retry resumes
// after them; a server crash empties the unlogged staging table, and the
// retry stages the file again and merges the open batches. Memory holds a
// few batches of rows, whatever the size of the file. Inserting contacts is
// the bulk of an import: each row goes into a dozen indexes, the trigram
// index of the search above all.
package contacts
