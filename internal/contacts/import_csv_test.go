package contacts

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestDetectDelimiter(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]rune{
		"email,name\nx;y":              ',',
		"email;name;phone\n":           ';',
		"email\tname\n":                '\t',
		"email|name":                   '|',
		`"a;b",c` + "\n":               ',',
		"email":                        ',',
		"\"Name, full\";Email;Phone\n": ';',
	} {
		require.Equalf(t, want, DetectDelimiter([]byte(in)), "%q", in)
	}
}

func TestProposeMapping(t *testing.T) {
	t.Parallel()
	got := ProposeMapping([]string{
		"E-Mail Address", "Mobile", "WhatsApp", "Given Name", "Surname", "Full Name", "Language", "Time Zone",
		"Tags", "Labels", "Email", "Plan Type", "attributes.tier", "2nd line", "!!!", "ID", "Telegram ID", "IGSID",
	})
	require.Equal(t, []string{
		"email", "phone", "whatsapp", "first_name", "last_name", "name", "locale", "timezone",
		"tags", "tags", "", "attributes.plan_type", "attributes.tier", "attributes.nd_line", "", "", "telegram_chat_id", "instagram_id",
	}, got)
	require.NoError(t, CheckMapping(make([]string, len(got)), got))
}

func TestCheckMapping(t *testing.T) {
	t.Parallel()
	h := []string{"a", "b", "c"}
	require.NoError(t, CheckMapping(h, []string{"email", "", "attributes.x"}))
	for _, m := range [][]string{
		{"email", ""},                   // wrong length
		{"first_name", "", ""},          // no channel
		{"email", "email", ""},          // twice
		{"email", "attributes.1x", ""},  // bad attribute name
		{"email", "favorite_color", ""}, // unknown target
	} {
		require.Errorf(t, CheckMapping(h, m), "%v", m)
	}
	require.NoError(t, CheckMapping(h, []string{"phone", "tags", "tags"}), "tags may come from several columns")
}

func TestRecordReader(t *testing.T) {
	t.Parallel()
	in := "\ufeffemail,name\r\n" +
		"a@example.com,\"Ann \"\"A\"\"\"\r\n" +
		"\r\n" +
		"b@example.com,\"two\nlines\"\n" +
		"c@example.com,bare \"quote\" ok,extra\n" +
		"d@example.com"
	rr := NewRecordReader(strings.NewReader(in), ',')
	var lines []int
	var recs [][]string
	for {
		rec, line, err := rr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		lines = append(lines, line)
		recs = append(recs, rec)
	}
	require.Equal(t, []int{1, 2, 4, 6, 7}, lines, "a record's line is where it starts")
	require.Equal(t, []string{"email", "name"}, recs[0], "the byte-order mark is dropped")
	require.Equal(t, `Ann "A"`, recs[1][1])
	require.Equal(t, "two\nlines", recs[2][1])
	require.Equal(t, []string{"c@example.com", `bare "quote" ok`, "extra"}, recs[3])
	require.Equal(t, []string{"d@example.com"}, recs[4])
}

// endless is an unterminated quoted field that never ends.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	if e.n == 0 {
		e.n++
		return copy(p, "email\n\"a@example.com"), nil
	}
	for i := range p {
		p[i] = 'x'
	}
	e.n += len(p)
	return len(p), nil
}

func TestRecordReaderBoundsARecord(t *testing.T) {
	t.Parallel()
	src := &endless{}
	rr := NewRecordReader(src, ',')
	_, _, err := rr.Read()
	require.NoError(t, err)
	_, _, err = rr.Read()
	require.ErrorIs(t, err, ErrRecordTooLong)
	require.Contains(t, err.Error(), "after line 1")
	require.Less(t, src.n, 2*MaxRecordBytes, "the reader stops soon after the bound")

	// A long line without a newline is bounded the same way.
	rr = NewRecordReader(io.MultiReader(strings.NewReader("a\n"), bytes.NewReader(bytes.Repeat([]byte("y"), 3*MaxRecordBytes))), ',')
	_, _, err = rr.Read()
	require.NoError(t, err)
	_, _, err = rr.Read()
	require.ErrorIs(t, err, ErrRecordTooLong)
}

func TestRowNormalizer(t *testing.T) {
	t.Parallel()
	n := NewRowNormalizer([]string{"email", "phone", "name", "tags", "attributes.plan", "", "timezone"}, "DE", []string{"imported"})
	row, reason := n.Normalize([]string{" Ada@Example.COM ", "030 901820", "Ada  King Lovelace", "a; b|a", "pro", "ignored", "Europe/Berlin"})
	require.Empty(t, reason)
	require.Equal(t, "Ada@example.com", *row.Email)
	require.Equal(t, "+4930901820", *row.Phone)
	require.Equal(t, "Ada", *row.FirstName)
	require.Equal(t, "King Lovelace", *row.LastName)
	require.Equal(t, []string{"imported", "a", "b"}, row.Tags)
	require.JSONEq(t, `{"plan":"pro"}`, string(row.Attributes))
	require.Equal(t, "Europe/Berlin", *row.Timezone)

	// Short rows leave the rest empty.
	row, reason = n.Normalize([]string{"x@example.com"})
	require.Empty(t, reason)
	require.Nil(t, row.Phone)

	// Every field at fault is named.
	_, reason = n.Normalize([]string{"nope", "12", "", "", "", "", "Mars/Base"})
	require.Contains(t, reason, "email:")
	require.Contains(t, reason, "phone:")
	require.Contains(t, reason, "timezone:")
	_, reason = n.Normalize([]string{"", "", "Just A Name"})
	require.Contains(t, reason, "no email, phone")
	_, reason = n.Normalize([]string{"a@example.com", "\xff\xfe"})
	require.Contains(t, reason, "not UTF-8")
	_, reason = n.Normalize([]string{"a@example.com", "", "Nul\x00"})
	require.Contains(t, reason, "NUL")

	// A value our export defused comes back as it was.
	row, reason = n.Normalize([]string{"a@example.com", "", "'=Ada"})
	require.Empty(t, reason)
	require.Equal(t, "=Ada", *row.FirstName)
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// FuzzImportCSV feeds arbitrary bytes through the import's reading path:
// delimiter detection, the record reader, the proposed mapping and the row
// normalizer. Nothing may panic; line numbers only grow; whatever is staged
// is storable text and valid for its field; rejected rows say why.
func FuzzImportCSV(f *testing.F) {
	f.Add([]byte("email,phone,first_name\nada@example.com,(415) 555-0132,Ada\n"))
	f.Add([]byte("\ufeffE-Mail;Mobile;Tags\n\"a@b.co\";\"+49 30 901820\";\"x; y\"\n;;\n"))
	f.Add([]byte("Name\tWhatsApp\tIGSID\tTelegram ID\nBob\t0049 151 23456789\t1234\t-1001\n"))
	f.Add([]byte("email\n\"unterminated\n"))
	f.Add([]byte("email,name\n\xff\xfe,\x00\n'=cmd@x.io,\"a\"\"b\"\n"))
	f.Add([]byte("phone|timezone|locale|attributes.x\n+999|Mars/Base|xx-yy-zz|" + strings.Repeat("v", 100) + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		delim := DetectDelimiter(data)
		rr := NewRecordReader(bytes.NewReader(data), delim)
		header, _, err := rr.Read()
		if err != nil {
			return
		}
		mapping := ProposeMapping(header)
		require.Len(t, mapping, len(header))
		for _, m := range mapping {
			require.True(t, m == "" || strings.HasPrefix(m, attributePrefix) || slicesContains(Targets, m), m)
		}
		n := NewRowNormalizer(mapping, "US", nil)
		last := 0
		for range 10_000 {
			rec, line, err := rr.Read()
			if err != nil {
				return
			}
			require.Greater(t, line, last)
			last = line
			for _, f := range Sanitize(rec) {
				require.True(t, utf8.ValidString(f))
				require.NotContains(t, f, "\x00")
			}
			row, reason := n.Normalize(rec)
			if reason != "" {
				require.Equal(t, StagedRow{}, row)
				continue
			}
			require.True(t, row.Email != nil || row.Phone != nil || row.WhatsApp != nil || row.TelegramChatID != nil || row.InstagramID != nil)
			for _, p := range []*string{row.Phone, row.WhatsApp} {
				if p != nil {
					require.Regexp(t, e164, *p)
				}
			}
			if row.Email != nil {
				again, err := NormalizeEmail(*row.Email)
				require.NoError(t, err)
				require.Equal(t, *row.Email, again, "normalizing is idempotent")
			}
			for _, p := range []*string{row.Email, row.FirstName, row.LastName, row.Locale, row.Timezone, row.TelegramUsername, row.InstagramUsername} {
				if p != nil {
					require.True(t, utf8.ValidString(*p))
					require.NotContains(t, *p, "\x00")
				}
			}
		}
	})
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
