package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The generated people are a function of their row number, so the CSV file
// and the SQL seed produce the same contacts and the list benchmark can pick
// search terms that exist.
var (
	firstNames = []string{"Ada", "Alan", "Grace", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Ken",
		"Radia", "Dennis", "Hedy", "Tim", "Katherine", "Niklaus", "Sophie", "Linus", "Annie", "Claude"}
	lastNames = []string{"Lovelace", "Turing", "Hopper", "Dijkstra", "Liskov", "Knuth", "Allen", "Backus", "Hamilton",
		"Thompson", "Perlman", "Ritchie", "Lamarr", "Berners-Lee", "Johnson", "Wirth", "Wilson", "Torvalds", "Easley", "Shannon"}
	plans  = []string{"free", "pro", "team"}
	cities = []string{"Lisbon", "Oslo", "Austin", "Nairobi", "Osaka", "Lima", "Perth", "Montreal"}
)

// csvHeader maps one to one to importMapping.
var (
	csvHeader     = []string{"email", "phone", "first_name", "last_name", "plan", "city", "tags"}
	importMapping = []string{"email", "phone", "first_name", "last_name", "attributes.plan", "attributes.city", "tags"}
)

// Every badEvery-th row has an unparsable phone number and is rejected;
// every dupEvery-th (that is not bad) repeats the previous row's email in
// another case and is merged into it. About 0.5% and 1%.
const (
	badEvery = 199
	dupEvery = 97
)

func isBad(i int) bool { return i%badEvery == 0 }
func isDup(i int) bool { return i%dupEvery == 0 && !isBad(i) }

// hasPhone: two rows in three have a phone number.
func hasPhone(i int) bool { return i%3 != 0 }

// phoneDigits is row i's national number (415 area), unique per row.
func phoneDigits(i int) int { return 2_000_000 + i }

func email(i int) string     { return fmt.Sprintf("user%d@example.com", i) }
func firstName(i int) string { return firstNames[i%len(firstNames)] }
func lastName(i int) string  { return lastNames[(i/len(firstNames))%len(lastNames)] }

// tags: 10% are vip, about 14% get the newsletter.
func tags(i int) []string {
	var t []string
	if i%10 == 0 {
		t = append(t, "vip")
	}
	if i%7 == 0 {
		t = append(t, "newsletter")
	}
	return t
}

// record is row i of the file.
func record(i int) []string {
	switch {
	case isBad(i):
		return []string{email(i), "12", firstName(i), lastName(i), plans[i%len(plans)], cities[i%len(cities)], ""}
	case isDup(i):
		// The person of the row before, or of the one before that when
		// the row before is rejected.
		ref := i - 1
		if isBad(ref) {
			ref--
		}
		return []string{strings.ToUpper(email(ref)), "", "", "", "", cities[(i+1)%len(cities)], ""}
	}
	phone := ""
	if hasPhone(i) {
		n := phoneDigits(i)
		if i%2 == 0 {
			phone = fmt.Sprintf("+1415%07d", n)
		} else {
			// A local number, read with the org's default country (US).
			phone = fmt.Sprintf("(415) %03d-%04d", n/10_000, n%10_000)
		}
	}
	return []string{email(i), phone, firstName(i), lastName(i), plans[i%len(plans)], cities[i%len(cities)], strings.Join(tags(i), ", ")}
}

// fileStats says what importing the file must give.
type fileStats struct {
	rows, bad, dup int
	bytes          int64
}

func (s fileStats) created() int { return s.rows - s.bad - s.dup }

// writeCSV writes a file of n data rows to path, streamed.
func writeCSV(path string, n int) (fileStats, error) {
	f, err := os.Create(path)
	if err != nil {
		return fileStats{}, err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	if err := w.Write(csvHeader); err != nil {
		return fileStats{}, err
	}
	st := fileStats{rows: n}
	for i := 1; i <= n; i++ {
		switch {
		case isBad(i):
			st.bad++
		case isDup(i):
			st.dup++
		}
		if err := w.Write(record(i)); err != nil {
			return fileStats{}, err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return fileStats{}, err
	}
	if err := bw.Flush(); err != nil {
		return fileStats{}, err
	}
	info, err := f.Stat()
	if err != nil {
		return fileStats{}, err
	}
	st.bytes = info.Size()
	return st, f.Close()
}

// seedContacts inserts rows 1..n's people into the org in one statement,
// for a list benchmark run without the import. Rows the import would reject
// or merge are left out, so both ways give the same contacts.
func seedContacts(ctx context.Context, pool *pgxpool.Pool, orgID uuid.UUID, n int) (int, error) {
	tag, err := pool.Exec(ctx, `
		INSERT INTO contacts (org_id, email, phone, first_name, last_name, attributes, tags, created_at)
		SELECT $1, 'user' || g || '@example.com',
		       CASE WHEN g % 3 <> 0 THEN '+1415' || lpad((2000000 + g)::text, 7, '0') END,
		       ($3::text[])[1 + g % cardinality($3::text[])],
		       ($4::text[])[1 + (g / cardinality($3::text[])) % cardinality($4::text[])],
		       jsonb_build_object('plan', ($5::text[])[1 + g % cardinality($5::text[])],
		                          'city', ($6::text[])[1 + g % cardinality($6::text[])]),
		       CASE WHEN g % 10 = 0 THEN ARRAY['vip'] ELSE '{}' END ||
		       CASE WHEN g % 7 = 0 THEN ARRAY['newsletter'] ELSE '{}' END,
		       now() - g * interval '1 millisecond'
		FROM generate_series(1, $2::int) g
		WHERE g % $7::int <> 0 AND NOT (g % $8::int = 0 AND g % $7::int <> 0)`,
		orgID, n, firstNames, lastNames, plans, cities, badEvery, dupEvery)
	if err != nil {
		return 0, fmt.Errorf("seeding contacts: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
