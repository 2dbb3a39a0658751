package contacts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/testfactory"
)

// jobsFor counts the jobs of kind inserted for an import.
func (b *testBundle) jobsFor(t *testing.T, kind string, importID uuid.UUID) int {
	t.Helper()
	var n int
	require.NoError(t, b.pool.QueryRow(context.Background(),
		`SELECT count(*) FROM river_job WHERE kind = $1 AND args->>'import_id' = $2`, kind, importID.String()).Scan(&n))
	return n
}

func (b *testBundle) analyze(t *testing.T, orgID, importID uuid.UUID) {
	t.Helper()
	require.NoError(t, (&AnalyzeImportWorker{DB: b.pool}).Work(context.Background(), job(AnalyzeImportArgs{OrgID: orgID, ImportID: importID})))
}

func (b *testBundle) runImport(t *testing.T, orgID, importID uuid.UUID) {
	t.Helper()
	require.NoError(t, (&ImportWorker{DB: b.pool, Now: time.Now}).Work(context.Background(), job(ImportArgs{OrgID: orgID, ImportID: importID})))
}

func (b *testBundle) getImport(t *testing.T, token string, id uuid.UUID) ContactImport {
	t.Helper()
	var im ContactImport
	status, raw := b.call(t, "GET", "/api/v1/contacts/imports/"+id.String(), token, nil, &im)
	require.Equal(t, http.StatusOK, status, string(raw))
	return im
}

func (b *testBundle) contactBy(t *testing.T, token, search string) Contact {
	t.Helper()
	var page ContactPage
	status, raw := b.call(t, "GET", "/api/v1/contacts?search="+search, token, nil, &page)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Lenf(t, page.Items, 1, "searching %q", search)
	return page.Items[0]
}

func TestImportGoodFile(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)
	var g Group
	status, _ := b.call(t, "POST", "/api/v1/groups", a.token, map[string]any{"name": "Imported"}, &g)
	require.Equal(t, http.StatusCreated, status)

	file := "\ufeff" + csvLines(
		"Email;First Name;Last Name;Mobile;Plan;Tags;Signup date",
		"ada@example.com;Ada;Lovelace;(415) 555-0100;pro;vip, beta;2020-01-01",
		"grace@example.com;Grace;Hopper;+44 20 7946 0958;free;;2021-02-02",
		";;;;;;",
		`"alan@example.com";"Alan";"Turing";;"pro";"vip";`,
	)
	status, im, raw := b.upload(t, a.token, "../people.csv", file)
	require.Equal(t, http.StatusCreated, status, string(raw))
	require.Equal(t, "people.csv", im.Filename)
	require.Equal(t, ImportUploaded, im.Status)
	require.Equal(t, ";", im.Delimiter, "Excel's semicolons are detected")
	require.Equal(t, []string{"Email", "First Name", "Last Name", "Mobile", "Plan", "Tags", "Signup date"}, im.Header)
	require.EqualValues(t, len(file), im.SizeBytes)
	require.Equal(t, 1, b.jobsFor(t, AnalyzeImportArgs{}.Kind(), im.ID), "the upload queues the analysis in its transaction")

	b.analyze(t, a.orgID, im.ID)
	im = b.getImport(t, a.token, im.ID)
	require.Equal(t, ImportReady, im.Status)
	require.EqualValues(t, 3, im.RowsTotal, "blank rows do not count")

	var p ImportPreview
	status, raw = b.call(t, "GET", "/api/v1/contacts/imports/"+im.ID.String()+"/preview", a.token, nil, &p)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Equal(t, []string{"email", "first_name", "last_name", "phone", "attributes.plan", "tags", "attributes.signup_date"}, p.Mapping)
	require.Len(t, p.Rows, 3)
	require.Equal(t, "Grace", p.Rows[1][1])

	// A mapping without a channel, or of the wrong length, is refused.
	status, raw = b.call(t, "POST", "/api/v1/contacts/imports/"+im.ID.String()+"/start", a.token, map[string]any{
		"mapping": []string{"", "first_name", "last_name", "", "", "", ""}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, []string{"body.mapping"}, decodeProblem(t, raw).locations())
	status, _ = b.call(t, "POST", "/api/v1/contacts/imports/"+im.ID.String()+"/start", a.token, map[string]any{"mapping": []string{"email"}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)

	mapping := p.Mapping
	mapping[6] = "" // ignore the signup date
	status, raw = b.call(t, "POST", "/api/v1/contacts/imports/"+im.ID.String()+"/start", a.token, map[string]any{
		"mapping": mapping, "group_ids": []uuid.UUID{g.ID}, "tags": []string{"import-1"},
	}, &im)
	require.Equal(t, http.StatusAccepted, status, string(raw))
	require.Equal(t, ImportQueued, im.Status)
	require.Equal(t, 1, b.jobsFor(t, ImportArgs{}.Kind(), im.ID))
	status, _ = b.call(t, "POST", "/api/v1/contacts/imports/"+im.ID.String()+"/start", a.token, map[string]any{"mapping": mapping}, nil)
	require.Equal(t, http.StatusConflict, status, "an import starts once")

	b.runImport(t, a.orgID, im.ID)
	im = b.getImport(t, a.token, im.ID)
	require.Equal(t, ImportCompleted, im.Status, im.Error)
	require.EqualValues(t, 3, im.RowsTotal)
	require.EqualValues(t, 3, im.RowsDone)
	require.EqualValues(t, 3, im.Created)
	require.Zero(t, im.Merged)
	require.Zero(t, im.Rejected)

	ada := b.contactBy(t, a.token, "ada@")
	require.Equal(t, "Ada", ada.FirstName)
	require.Equal(t, "+14155550100", *ada.Phone)
	require.Equal(t, map[string]any{"plan": "pro"}, ada.Attributes)
	require.ElementsMatch(t, []string{"import-1", "vip", "beta"}, ada.Tags)
	grace := b.contactBy(t, a.token, "grace@")
	require.Equal(t, "+442079460958", *grace.Phone)
	var got Group
	b.call(t, "GET", "/api/v1/groups/"+g.ID.String(), a.token, nil, &got)
	require.EqualValues(t, 3, got.ContactCount)

	// The file is gone once imported; the job running again changes nothing.
	var chunks int
	require.NoError(t, b.pool.QueryRow(context.Background(), `SELECT count(*) FROM contact_import_chunks WHERE import_id = $1`, im.ID).Scan(&chunks))
	require.Zero(t, chunks)
	b.runImport(t, a.orgID, im.ID)
	require.Equal(t, im, b.getImport(t, a.token, im.ID))

	var list ListBody[ContactImport]
	b.call(t, "GET", "/api/v1/contacts/imports", a.token, nil, &list)
	require.Len(t, list.Items, 1)
	status, _ = b.call(t, "DELETE", "/api/v1/contacts/imports/"+im.ID.String(), a.token, nil, nil)
	require.Equal(t, http.StatusNoContent, status)
	require.Equal(t, 3, len(pageAll(t, b, a.token, "/api/v1/contacts?sort=email")), "deleting an import keeps its contacts")

	// Empty and headerless files are refused at upload.
	status, _, _ = b.upload(t, a.token, "empty.csv", "")
	require.Equal(t, http.StatusUnprocessableEntity, status)
	status, _, _ = b.upload(t, a.token, "blank.csv", ",,,\n")
	require.Equal(t, http.StatusUnprocessableEntity, status)
}

func TestImportBadRowsDuplicatesAndMerges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)
	existing := seedContacts(t, b, a.token, []map[string]any{
		{"email": "exist@example.com", "first_name": "Old", "attributes": map[string]any{"city": "Lima"}},
		{"phone": "+14155550199"},
		{"email": "three@example.com"},
		{"phone": "+14155550177"},
	})

	file := csvLines(
		"email,phone,first_name,last_name,city",     // 1
		"a@example.com,,Ann,,Paris",                 // 2: new
		"not-an-email,,Bad,,x",                      // 3: rejected
		",12,Short,,",                               // 4: rejected
		",,NoChannel,,Rome",                         // 5: rejected
		"A@EXAMPLE.com,+1 415 555 0101,Anna,Smith,", // 6: same email as 2: merged into it
		",415-555-0101,,,Berlin",                    // 7: same phone as 6: merged too
		",,,,",                                      // 8: blank, skipped
		"exist@example.com,,New,Name,Oslo",          // 9: fills existing[0]'s empty fields
		"e2@example.com,4155550199,Two,,",           // 10: fills existing[1]'s email
		"three@example.com,+14155550177,X,,",        // 11: two existing contacts: rejected
		`"b@example.com",,"Multi`,                   // 12: a record over two lines
		`Line",Jones,`,                              // 13
		"c@example.com,,C,,",                        // 14: new
	)
	status, im, raw := b.upload(t, a.token, "dups.csv", file)
	require.Equal(t, http.StatusCreated, status, string(raw))
	status, raw = b.call(t, "POST", "/api/v1/contacts/imports/"+im.ID.String()+"/start", a.token, map[string]any{
		"mapping": []string{"email", "phone", "first_name", "last_name", "attributes.city"}}, &im)
	require.Equal(t, http.StatusAccepted, status, string(raw))
	// The analysis may run after the start: it only counts.
	b.analyze(t, a.orgID, im.ID)
	require.Equal(t, ImportQueued, b.getImport(t, a.token, im.ID).Status)
	b.runImport(t, a.orgID, im.ID)

	im = b.getImport(t, a.token, im.ID)
	require.Equal(t, ImportCompleted, im.Status, im.Error)
	require.EqualValues(t, 11, im.RowsTotal, "data rows, the blank one aside")
	require.EqualValues(t, 3, im.Created, "a, b, c")
	require.EqualValues(t, 4, im.Merged, "lines 6 and 7 into 2; 9, 10 into existing contacts")
	require.EqualValues(t, 4, im.Rejected)

	ann := b.contactBy(t, a.token, "a@example")
	require.Equal(t, "a@example.com", *ann.Email, "the first row's value wins within the file")
	require.Equal(t, "+14155550101", *ann.Phone, "later rows fill what earlier ones left empty")
	require.Equal(t, "Ann", ann.FirstName)
	require.Equal(t, "Smith", ann.LastName)
	require.Equal(t, map[string]any{"city": "Paris"}, ann.Attributes)

	e0 := b.contactBy(t, a.token, "exist@")
	require.Equal(t, existing[0].ID, e0.ID)
	require.Equal(t, "Old", e0.FirstName, "an import never overwrites by default")
	require.Equal(t, "Name", e0.LastName, "but fills empty fields")
	require.Equal(t, map[string]any{"city": "Lima"}, e0.Attributes)
	e1 := b.contactBy(t, a.token, "e2@")
	require.Equal(t, existing[1].ID, e1.ID)
	require.Equal(t, "Two", e1.FirstName)
	multi := b.contactBy(t, a.token, "b@example")
	require.Equal(t, "Multi Line", multi.FirstName)

	status, body := b.call(t, "GET", "/api/v1/contacts/imports/"+im.ID.String()+"/rejects.csv", a.token, nil, nil)
	require.Equal(t, http.StatusOK, status)
	recs := readCSV(t, string(body))
	require.Equal(t, []string{"line", "reason", "email", "phone", "first_name", "last_name", "city"}, recs[0])
	require.Len(t, recs, 5)
	lines := []string{recs[1][0], recs[2][0], recs[3][0], recs[4][0]}
	require.Equal(t, []string{"3", "4", "5", "11"}, lines)
	require.Contains(t, recs[1][1], "email:")
	require.Equal(t, "not-an-email", recs[1][2], "the row as it was in the file")
	require.Contains(t, recs[2][1], "phone:")
	require.Contains(t, recs[3][1], "no email, phone")
	require.Contains(t, recs[4][1], existing[2].ID.String())
	require.Contains(t, recs[4][1], existing[3].ID.String())

	// With overwrite, the file's non-empty values replace the stored ones.
	status, im2, raw := b.upload(t, a.token, "again.csv", csvLines("email,first_name,city", "EXIST@example.com,Newest,", "c@example.com,,Quito"))
	require.Equal(t, http.StatusCreated, status, string(raw))
	status, _ = b.call(t, "POST", "/api/v1/contacts/imports/"+im2.ID.String()+"/start", a.token, map[string]any{
		"mapping": []string{"email", "first_name", "attributes.city"}, "overwrite": true}, nil)
	require.Equal(t, http.StatusAccepted, status)
	b.runImport(t, a.orgID, im2.ID)
	im2 = b.getImport(t, a.token, im2.ID)
	require.EqualValues(t, 2, im2.Merged)
	e0 = b.contactBy(t, a.token, "exist@")
	require.Equal(t, "Newest", e0.FirstName)
	require.Equal(t, "Name", e0.LastName, "an empty cell overwrites nothing")
	require.Equal(t, "exist@example.com", *e0.Email)
	require.Equal(t, map[string]any{"city": "Lima"}, e0.Attributes)
	require.Equal(t, map[string]any{"city": "Quito"}, b.contactBy(t, a.token, "c@example").Attributes)
}

// TestImportClustersAndExistingContacts covers clusters against existing
// contacts: two clusters of the file that match one contact are folded
// into it together (the first non-empty value in line order), and a
// cluster that matches two contacts is rejected row by row, with the reason.
func TestImportClustersAndExistingContacts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)
	existing := seedContacts(t, b, a.token, []map[string]any{
		{"email": "zed@example.com", "phone": "+14155550111"},
		{"email": "x@example.com"},
		{"phone": "+14155550122"},
	})
	file := csvLines(
		"email,phone,first_name,last_name,plan",
		",+14155550111,,Last,",          // 2: Zed by phone
		"x@example.com,,,,gold",         // 3: X; with line 5, Y as well
		"zed@example.com,,Zed,First,",   // 4: Zed by email: joined with line 2
		"X@example.com,+14155550122,,,", // 5: same email as 3, phone of Y
		"new@example.com,,New,,",        // 6: new
	)
	status, im, raw := b.upload(t, a.token, "c.csv", file)
	require.Equal(t, http.StatusCreated, status, string(raw))
	status, raw = b.call(t, "POST", "/api/v1/contacts/imports/"+im.ID.String()+"/start", a.token, map[string]any{
		"mapping": []string{"email", "phone", "first_name", "last_name", "attributes.plan"}}, &im)
	require.Equal(t, http.StatusAccepted, status, string(raw))
	require.NoError(t, (&ImportWorker{DB: b.pool, Now: time.Now, batchLines: 2}).Work(context.Background(), job(ImportArgs{OrgID: a.orgID, ImportID: im.ID})))

	im = b.getImport(t, a.token, im.ID)
	require.Equal(t, ImportCompleted, im.Status, im.Error)
	require.Equal(t, [4]int32{5, 1, 2, 2}, [4]int32{im.RowsTotal, im.Created, im.Merged, im.Rejected})
	zed := b.contactBy(t, a.token, "zed@")
	require.Equal(t, existing[0].ID, zed.ID)
	require.Equal(t, "Zed", zed.FirstName)
	require.Equal(t, "Last", zed.LastName, "line 2 comes before line 4")
	x := b.contactBy(t, a.token, "x@example")
	require.Empty(t, x.Attributes, "the cluster of lines 3 and 5 is not merged")

	status, body := b.call(t, "GET", "/api/v1/contacts/imports/"+im.ID.String()+"/rejects.csv", a.token, nil, nil)
	require.Equal(t, http.StatusOK, status)
	recs := readCSV(t, string(body))
	require.Len(t, recs, 3)
	for i, line := range []string{"3", "5"} {
		require.Equal(t, line, recs[i+1][0])
		require.Contains(t, recs[i+1][1], "matches several existing contacts")
		require.Contains(t, recs[i+1][1], existing[1].ID.String())
		require.Contains(t, recs[i+1][1], existing[2].ID.String())
	}
}

func TestImportRestartsCleanly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	file := csvLines("email,phone,name", "a@example.com,,Ann A", "b@example.com,+4930901820,Bob B", "A@example.com,+4930901821,", "bad,,x")
	mapping := []string{"email", "phone", "name"}
	start := func(a tenant) uuid.UUID {
		status, im, raw := b.upload(t, a.token, "r.csv", file)
		require.Equal(t, http.StatusCreated, status, string(raw))
		status, raw = b.call(t, "POST", "/api/v1/contacts/imports/"+im.ID.String()+"/start", a.token, map[string]any{"mapping": mapping}, nil)
		require.Equal(t, http.StatusAccepted, status, string(raw))
		return im.ID
	}
	// A clean run, for reference.
	ref := b.tenant(t)
	refID := start(ref)
	b.runImport(t, ref.orgID, refID)
	want := b.getImport(t, ref.token, refID)
	require.Equal(t, ImportCompleted, want.Status)
	require.Equal(t, [4]int32{4, 2, 1, 1}, [4]int32{want.RowsTotal, want.Created, want.Merged, want.Rejected})

	// checkSame checks that an import that was interrupted ended as the
	// reference did: same counts, same contacts, each reject once.
	checkSame := func(t *testing.T, a tenant, id uuid.UUID) {
		t.Helper()
		got := b.getImport(t, a.token, id)
		require.Equal(t, ImportCompleted, got.Status, got.Error)
		require.Equal(t, [4]int32{want.RowsTotal, want.Created, want.Merged, want.Rejected}, [4]int32{got.RowsTotal, got.Created, got.Merged, got.Rejected})
		require.Equal(t, got.RowsTotal, got.RowsDone)
		contacts := pageAll(t, b, a.token, "/api/v1/contacts?sort=email")
		require.Len(t, contacts, 2)
		require.Equal(t, "a@example.com", *contacts[0].Email)
		require.Equal(t, "+4930901821", *contacts[0].Phone, "the duplicate row filled the first one")
		require.Equal(t, "+4930901820", *contacts[1].Phone)
		status, body := b.call(t, "GET", "/api/v1/contacts/imports/"+id.String()+"/rejects.csv", a.token, nil, nil)
		require.Equal(t, http.StatusOK, status)
		recs := readCSV(t, string(body))
		require.Len(t, recs, 2, "the header and the one bad row, once")
		require.Equal(t, "5", recs[1][0])
		var staged int
		require.NoError(t, b.pool.QueryRow(context.Background(), `SELECT count(*) FROM contact_import_rows WHERE import_id = $1`, id).Scan(&staged))
		require.Zero(t, staged, "the staged rows are gone")
	}

	// Batches of two lines, one at a time: (0,2] makes Ann, (2,4] Bob and
	// the merge of line 4 into Ann, (4,6] the reject. A kill leaves the
	// committed steps.
	for step, contactsLeft := range map[string]int{"staged": 0, "merged": 1, "completed": 2} {
		t.Run("killed after "+step, func(t *testing.T) {
			t.Parallel()
			a := b.tenant(t)
			id := start(a)
			crash := errors.New("worker killed")
			w := &ImportWorker{DB: b.pool, Now: time.Now, batchLines: 2, mergeWorkers: 1, crashAt: func(s string) error {
				if s == step {
					return crash
				}
				return nil
			}}
			require.ErrorIs(t, w.Work(context.Background(), job(ImportArgs{OrgID: a.orgID, ImportID: id})), crash)
			im := b.getImport(t, a.token, id)
			require.Equal(t, ImportRunning, im.Status)
			require.Len(t, pageAll(t, b, a.token, "/api/v1/contacts?sort=email"), contactsLeft, "what the killed attempt committed")

			// River's retry resumes after the last committed step.
			w = &ImportWorker{DB: b.pool, Now: time.Now, batchLines: 2}
			require.NoError(t, w.Work(context.Background(), job(ImportArgs{OrgID: a.orgID, ImportID: id})))
			checkSame(t, a, id)
		})
	}

	t.Run("batches merged side by side", func(t *testing.T) {
		t.Parallel()
		a := b.tenant(t)
		id := start(a)
		w := &ImportWorker{DB: b.pool, Now: time.Now, batchLines: 1, mergeWorkers: 4}
		require.NoError(t, w.Work(context.Background(), job(ImportArgs{OrgID: a.orgID, ImportID: id})))
		checkSame(t, a, id)
		var batches int
		require.NoError(t, b.pool.QueryRow(context.Background(), `SELECT count(*) FROM contact_import_batches WHERE import_id = $1`, id).Scan(&batches))
		require.Zero(t, batches, "the batches are gone with the staged rows")
	})

	t.Run("staging lost in a server crash", func(t *testing.T) {
		t.Parallel()
		a := b.tenant(t)
		id := start(a)
		crash := errors.New("worker killed")
		w := &ImportWorker{DB: b.pool, Now: time.Now, batchLines: 2, mergeWorkers: 1, crashAt: func(s string) error {
			if s == "merged" {
				return crash
			}
			return nil
		}}
		require.ErrorIs(t, w.Work(context.Background(), job(ImportArgs{OrgID: a.orgID, ImportID: id})), crash)
		// What a crash does to an unlogged table.
		_, err := b.pool.Exec(context.Background(), `DELETE FROM contact_import_rows WHERE import_id = $1`, id)
		require.NoError(t, err)
		w = &ImportWorker{DB: b.pool, Now: time.Now, batchLines: 2}
		require.NoError(t, w.Work(context.Background(), job(ImportArgs{OrgID: a.orgID, ImportID: id})))
		checkSame(t, a, id)
	})

	t.Run("a contact created during the import", func(t *testing.T) {
		t.Parallel()
		a := b.tenant(t)
		id := start(a)
		// Someone adds Bob's number while the first batch is merged: the
		// next batch collides with it, and the retry merges Bob into it.
		var added Contact
		w := &ImportWorker{DB: b.pool, Now: time.Now, batchLines: 2, mergeWorkers: 1, crashAt: func(s string) error {
			if s == "merged" && added.ID == uuid.Nil {
				status, raw := b.call(t, "POST", "/api/v1/contacts", a.token, map[string]any{"phone": "+4930901820", "first_name": "Robert"}, &added)
				require.Equal(t, http.StatusCreated, status, string(raw))
			}
			return nil
		}}
		err := w.Work(context.Background(), job(ImportArgs{OrgID: a.orgID, ImportID: id}))
		require.Error(t, err)
		require.NoError(t, w.Work(context.Background(), job(ImportArgs{OrgID: a.orgID, ImportID: id})))
		got := b.getImport(t, a.token, id)
		require.Equal(t, ImportCompleted, got.Status, got.Error)
		require.Equal(t, [4]int32{4, 1, 2, 1}, [4]int32{got.RowsTotal, got.Created, got.Merged, got.Rejected})
		bob := b.contactBy(t, a.token, "b@example")
		require.Equal(t, added.ID, bob.ID)
		require.Equal(t, "Robert", bob.FirstName, "filled, not overwritten")
	})

	// A file that cannot be read fails for good, with the reason.
	a := b.tenant(t)
	status, im, raw := b.upload(t, a.token, "quote.csv", "email\n\"a@example.com\n"+strings.Repeat("x", MaxRecordBytes+100<<10))
	require.Equal(t, http.StatusCreated, status, string(raw))
	status, _ = b.call(t, "POST", "/api/v1/contacts/imports/"+im.ID.String()+"/start", a.token, map[string]any{"mapping": []string{"email"}}, nil)
	require.Equal(t, http.StatusAccepted, status)
	err := (&ImportWorker{DB: b.pool, Now: time.Now}).Work(context.Background(), job(ImportArgs{OrgID: a.orgID, ImportID: im.ID}))
	var cancel *river.JobCancelError
	require.ErrorAs(t, err, &cancel)
	got := b.getImport(t, a.token, im.ID)
	require.Equal(t, ImportFailed, got.Status)
	require.Contains(t, got.Error, "longer than 1 MiB")

	// Failed and never-started imports are purged with their files after a while.
	_, err = b.pool.Exec(context.Background(), `UPDATE contact_imports SET updated_at = '2001-01-01' WHERE id = $1`, im.ID)
	require.NoError(t, err)
	n, err := PurgeAbandonedImports(context.Background(), b.pool, time.Date(2001, 1, 2, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.EqualValues(t, 1, n)
	status, _ = b.call(t, "GET", "/api/v1/contacts/imports/"+im.ID.String(), a.token, nil, nil)
	require.Equal(t, http.StatusNotFound, status)
}

// rowSource generates a CSV file of n data rows as it is read, so that the
// test holds no file in memory either. Every 97th row repeats an earlier
// email in another case (merged), every 101st has a bad phone (rejected).
// An ignored notes column makes the file larger than the memory the import
// may use.
var notes = strings.Repeat("lorem ipsum ", 25)

type rowSource struct {
	n, i int
	buf  []byte
}

func (s *rowSource) Read(p []byte) (int, error) {
	for len(s.buf) < len(p) && s.i <= s.n {
		switch {
		case s.i == 0:
			s.buf = append(s.buf, "email,phone,first_name,last_name,plan,notes\n"...)
		case s.i%101 == 0:
			s.buf = fmt.Appendf(s.buf, "user%d@example.com,12,First%d,Last%d,free,%s\n", s.i, s.i, s.i, notes)
		case s.i%97 == 0:
			ref := s.i - 1
			if ref%101 == 0 {
				ref-- // not a rejected row
			}
			s.buf = fmt.Appendf(s.buf, "USER%d@example.com,,,Merged%d,,%s\n", ref, s.i, notes)
		case s.i%2 == 0:
			s.buf = fmt.Appendf(s.buf, "user%d@example.com,+1415%07d,First%d,Last%d,pro,%s\n", s.i, 2000000+s.i, s.i, s.i, notes)
		default:
			s.buf = fmt.Appendf(s.buf, "user%d@example.com,,First%d,Last%d,pro,%s\n", s.i, s.i, s.i, notes)
		}
		s.i++
	}
	if len(s.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.buf)
	s.buf = s.buf[n:]
	return n, nil
}

// TestImport100kRows imports a generated 100,000-row file (33 MiB) and
// checks the counts and that memory stays bounded. It does not run in
// parallel: the live heap it watches is the whole test binary's.
func TestImport100kRows(t *testing.T) {
	ctx := context.Background()
	// Its own database: the import's big transaction stays out of the
	// other tests' way.
	pool, _ := dbtest.NewDB(t)
	b, err := newBundle(pool)
	require.NoError(t, err)
	org, owner := testfactory.Org(ctx, t, pool, nil)

	const rows = 100_000
	// The live heap as of each garbage collection, sampled: garbage not yet
	// collected does not count.
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	readLive := func() uint64 {
		metrics.Read(live)
		return live[0].Value.Uint64()
	}
	runtime.GC()
	base := readLive()
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
				if v := readLive(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	started := time.Now()
	im, err := Upload(ctx, pool, b.jobs, org.ID, uuid.NullUUID{UUID: owner.ID, Valid: true}, "big.csv", &rowSource{n: rows})
	require.NoError(t, err)
	require.Greater(t, im.SizeBytes, int64(30<<20))
	require.NoError(t, (&AnalyzeImportWorker{DB: pool}).Work(ctx, job(AnalyzeImportArgs{OrgID: org.ID, ImportID: im.ID})))
	_, err = StartImport(ctx, pool, b.jobs, org.ID, im.ID, ImportStart{Mapping: []string{"email", "phone", "first_name", "last_name", "attributes.plan", ""}})
	require.NoError(t, err)
	require.NoError(t, (&ImportWorker{DB: pool, Now: time.Now}).Work(ctx, job(ImportArgs{OrgID: org.ID, ImportID: im.ID})))
	close(done)
	took := time.Since(started)

	got, err := GetImport(ctx, pool, org.ID, im.ID)
	require.NoError(t, err)
	require.Equal(t, ImportCompleted, got.Status, got.Error)
	rejected := rows / 101
	merged := rows/97 - rows/(97*101)
	require.EqualValues(t, rows, got.RowsTotal)
	require.EqualValues(t, rejected, got.Rejected)
	require.EqualValues(t, merged, got.Merged)
	require.EqualValues(t, rows-rejected-merged, got.Created)
	var n int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM contacts WHERE org_id = $1`, org.ID).Scan(&n))
	require.Equal(t, rows-rejected-merged, n)

	growth := int64(peak.Load()) - int64(base)
	t.Logf("100k rows (%d MiB) imported in %s; live heap grew by at most %d MiB", im.SizeBytes>>20, took.Round(time.Millisecond), growth>>20)
	require.Less(t, growth, int64(16<<20), "memory holds a chunk and a batch, never the file")
}
