package contacts

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"
)

// MaxRecordBytes bounds one CSV record. A file with an unterminated quote
// would otherwise make the reader gather the rest of the file into one
// field; with the bound, memory stays flat whatever the file holds.
const MaxRecordBytes = 1 << 20

// maxColumns bounds the header.
const maxColumns = 200

// ErrRecordTooLong stops reading a file whose record exceeds MaxRecordBytes.
var ErrRecordTooLong = errors.New("a record is longer than 1 MiB (an unterminated quote?)")

// boundedReader fails once more than MaxRecordBytes (plus the CSV reader's
// read-ahead) have been read past the end of the last complete record.
type boundedReader struct {
	r     io.Reader
	read  int64
	limit int64
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.read >= b.limit {
		return 0, ErrRecordTooLong
	}
	if rest := b.limit - b.read; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	return n, err
}

// RecordReader reads a CSV file record by record: UTF-8 (a byte-order mark
// is dropped), a header row, any of , ; tab | as the delimiter, quotes
// tolerated where Excel puts them. It holds one record at a time.
type RecordReader struct {
	csv     *csv.Reader
	bounded *boundedReader
	first   bool
	line    int // where the last record read starts
}

// NewRecordReader reads r with delimiter.
func NewRecordReader(r io.Reader, delimiter rune) *RecordReader {
	b := &boundedReader{r: r, limit: MaxRecordBytes + 64<<10}
	c := csv.NewReader(bufio.NewReaderSize(b, 32<<10))
	c.Comma = delimiter
	c.FieldsPerRecord = -1
	c.LazyQuotes = true
	return &RecordReader{csv: c, bounded: b, first: true}
}

// Read returns the next record and the line it starts on, or io.EOF.
func (r *RecordReader) Read() ([]string, int, error) {
	rec, err := r.csv.Read()
	if err != nil {
		if errors.Is(err, ErrRecordTooLong) {
			return nil, 0, fmt.Errorf("after line %d: %w", r.line, ErrRecordTooLong)
		}
		return nil, 0, err
	}
	r.bounded.limit = r.csv.InputOffset() + MaxRecordBytes + 64<<10
	line, _ := r.csv.FieldPos(0)
	r.line = line
	if r.first && len(rec) > 0 {
		rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
		r.first = false
	}
	return rec, line, nil
}

// DetectDelimiter guesses the delimiter from the file's first line: the
// most frequent of , ; tab | outside quotes (Excel writes ; in much of
// Europe), comma when none appears.
func DetectDelimiter(head []byte) rune {
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	counts := map[rune]int{}
	quoted := false
	for _, c := range string(head) {
		switch {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == ';' || c == '\t' || c == '|'):
			counts[c]++
		}
	}
	best, n := ',', 0
	for _, c := range []rune{',', ';', '\t', '|'} {
		if counts[c] > n {
			best, n = c, counts[c]
		}
	}
	return best
}

// ValidDelimiter reports whether d is one the importer accepts.
func ValidDelimiter(d string) bool {
	return d == "," || d == ";" || d == "\t" || d == "|"
}

// ContactImport targets: the contact field a CSV column fills. "attributes.<name>"
// fills one attribute; "" ignores the column.
const (
	TargetEmail             = "email"
	TargetPhone             = "phone"
	TargetWhatsApp          = "whatsapp"
	TargetTelegramChatID    = "telegram_chat_id"
	TargetTelegramUsername  = "telegram_username"
	TargetInstagramID       = "instagram_id"
	TargetInstagramUsername = "instagram_username"
	TargetFirstName         = "first_name"
	TargetLastName          = "last_name"
	TargetName              = "name"
	TargetLocale            = "locale"
	TargetTimezone          = "timezone"
	TargetTags              = "tags"
	attributePrefix         = "attributes."
)

// Targets lists the fixed targets, for clients building a mapping.
var Targets = []string{
	TargetEmail, TargetPhone, TargetWhatsApp, TargetTelegramChatID, TargetTelegramUsername, TargetInstagramID,
	TargetInstagramUsername, TargetFirstName, TargetLastName, TargetName, TargetLocale, TargetTimezone, TargetTags,
}

// synonyms maps a header, squeezed to lower-case letters and digits, to its target.
var synonyms = map[string]string{
	"email": TargetEmail, "emailaddress": TargetEmail, "mail": TargetEmail, "email1": TargetEmail, "emailid": TargetEmail,
	"phone": TargetPhone, "phonenumber": TargetPhone, "mobile": TargetPhone, "mobilephone": TargetPhone, "cell": TargetPhone,
	"cellphone": TargetPhone, "telephone": TargetPhone, "tel": TargetPhone, "msisdn": TargetPhone,
	"whatsapp": TargetWhatsApp, "whatsappnumber": TargetWhatsApp, "wa": TargetWhatsApp, "waid": TargetWhatsApp,
	"telegram": TargetTelegramChatID, "telegramchatid": TargetTelegramChatID, "telegramid": TargetTelegramChatID, "chatid": TargetTelegramChatID,
	"telegramusername": TargetTelegramUsername, "telegramhandle": TargetTelegramUsername,
	"instagram": TargetInstagramID, "instagramid": TargetInstagramID, "igsid": TargetInstagramID, "igid": TargetInstagramID,
	"instagramusername": TargetInstagramUsername, "instagramhandle": TargetInstagramUsername, "ighandle": TargetInstagramUsername,
	"firstname": TargetFirstName, "givenname": TargetFirstName, "fname": TargetFirstName, "first": TargetFirstName, "forename": TargetFirstName,
	"lastname": TargetLastName, "surname": TargetLastName, "familyname": TargetLastName, "lname": TargetLastName, "last": TargetLastName,
	"name": TargetName, "fullname": TargetName, "contactname": TargetName, "displayname": TargetName,
	"locale": TargetLocale, "language": TargetLocale, "lang": TargetLocale,
	"timezone": TargetTimezone, "tz": TargetTimezone, "timezonename": TargetTimezone,
	"tags": TargetTags, "tag": TargetTags, "labels": TargetTags, "label": TargetTags,
}

// ignoredHeaders are columns of our own export that are not contact
// fields: proposed as ignored rather than as attributes.
var ignoredHeaders = map[string]bool{
	"id": true, "createdat": true, "updatedat": true,
	"consentemail": true, "consentwhatsapp": true, "consenttelegram": true, "consentinstagram": true,
}

var (
	squeeze     = regexp.MustCompile(`[^a-z0-9]+`)
	snakeJunk   = regexp.MustCompile(`[^a-z0-9_]+`)
	leadingJunk = regexp.MustCompile(`^[^a-z_]+`)
)

// ProposeMapping suggests a target for each header column: known names and
// their usual spellings map to fields, other columns to an attribute of
// the same (snake_cased) name. A field is proposed once; later columns of
// the same field (and columns with no usable name) are ignored.
func ProposeMapping(header []string) []string {
	out := make([]string, len(header))
	used := map[string]bool{}
	for i, h := range header {
		lower := strings.ToLower(strings.TrimSpace(h))
		if ignoredHeaders[squeeze.ReplaceAllString(lower, "")] {
			continue
		}
		if strings.HasPrefix(lower, attributePrefix) {
			lower = strings.TrimPrefix(lower, attributePrefix)
		} else if t, ok := synonyms[squeeze.ReplaceAllString(lower, "")]; ok {
			if !used[t] || t == TargetTags {
				out[i], used[t] = t, true
			}
			continue
		}
		key := leadingJunk.ReplaceAllString(strings.Trim(snakeJunk.ReplaceAllString(lower, "_"), "_"), "")
		if len(key) > 64 {
			key = key[:64]
		}
		if key != "" && attributeKey.MatchString(key) && !used[attributePrefix+key] {
			out[i], used[attributePrefix+key] = attributePrefix+key, true
		}
	}
	return out
}

// CheckMapping validates a mapping for header: one target per column, each
// field at most once (tags may repeat), attribute names usable as template
// variables, and at least one channel column.
func CheckMapping(header, mapping []string) error {
	if len(mapping) != len(header) {
		return fmt.Errorf("must have one entry per header column (%d), got %d", len(header), len(mapping))
	}
	seen := map[string]bool{}
	channel := false
	for i, t := range mapping {
		switch {
		case t == "":
			continue
		case strings.HasPrefix(t, attributePrefix):
			if !attributeKey.MatchString(strings.TrimPrefix(t, attributePrefix)) {
				return fmt.Errorf("column %d: %q is not a usable attribute name (letters, digits and _, not starting with a digit)", i+1, t)
			}
		case slices.Contains(Targets, t):
		default:
			return fmt.Errorf("column %d: %q is not a target (one of %s, or attributes.<name>)", i+1, t, strings.Join(Targets, ", "))
		}
		if seen[t] && t != TargetTags {
			return fmt.Errorf("column %d: %q is mapped twice", i+1, t)
		}
		seen[t] = true
		switch t {
		case TargetEmail, TargetPhone, TargetWhatsApp, TargetTelegramChatID, TargetInstagramID:
			channel = true
		}
	}
	if !channel {
		return errors.New("map at least one of email, phone, whatsapp, telegram_chat_id or instagram_id")
	}
	return nil
}

// StagedRow is one CSV row normalized for the merge. Nil fields were empty
// or unmapped.
type StagedRow struct {
	Email, Phone, WhatsApp, TelegramChatID, TelegramUsername *string
	InstagramID, InstagramUsername                           *string
	FirstName, LastName, Locale, Timezone                    *string
	Attributes                                               []byte
	Tags                                                     []string
}

// RowNormalizer turns CSV records into StagedRows with one mapping.
type RowNormalizer struct {
	mapping []string
	country string
	tags    []string
	zones   zoneCache
}

// NewRowNormalizer prepares a normalizer. country reads local phone
// numbers; tags are added to every row.
func NewRowNormalizer(mapping []string, country string, tags []string) *RowNormalizer {
	return &RowNormalizer{mapping: mapping, country: country, tags: tags, zones: zoneCache{}}
}

// clone returns a normalizer with the same settings and its own caches,
// for another goroutine.
func (n *RowNormalizer) clone() *RowNormalizer {
	return &RowNormalizer{mapping: n.mapping, country: n.country, tags: n.tags, zones: zoneCache{}}
}

// Blank reports whether every field of the record is empty; such rows
// (spreadsheets pad with them) are skipped, not rejected.
func Blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// Sanitize makes a raw record storable (valid UTF-8 without NUL), for the
// rejects file.
func Sanitize(rec []string) []string {
	out := make([]string, len(rec))
	for i, f := range rec {
		out[i] = strings.ReplaceAll(strings.ToValidUTF8(f, "\uFFFD"), "\x00", "")
	}
	return out
}

// Normalize maps and checks one record. A bad record gets the reason it is
// rejected, naming each field at fault.
func (n *RowNormalizer) Normalize(rec []string) (StagedRow, string) {
	var row StagedRow
	var problems []string
	for i, f := range rec {
		if !utf8.ValidString(f) {
			return StagedRow{}, fmt.Sprintf("column %d is not UTF-8 text", i+1)
		}
		if strings.IndexByte(f, 0) >= 0 {
			return StagedRow{}, fmt.Sprintf("column %d holds a NUL byte", i+1)
		}
	}
	set := func(dst **string, target, v string, fn func(string) (string, error)) {
		if v = strings.TrimSpace(v); v == "" {
			return
		}
		s, err := fn(v)
		if err != nil {
			problems = append(problems, target+": "+err.Error())
			return
		}
		if s != "" {
			*dst = &s
		}
	}
	attrs := map[string]any{}
	tags := slices.Clone(n.tags)
	for i, target := range n.mapping {
		if i >= len(rec) {
			break
		}
		v := uncell(strings.TrimSpace(rec[i]))
		switch target {
		case TargetEmail:
			set(&row.Email, target, v, NormalizeEmail)
		case TargetPhone:
			set(&row.Phone, target, v, func(s string) (string, error) { return NormalizePhone(s, n.country) })
		case TargetWhatsApp:
			set(&row.WhatsApp, target, v, func(s string) (string, error) { return NormalizePhone(s, n.country) })
		case TargetTelegramChatID:
			set(&row.TelegramChatID, target, v, NormalizeTelegramChatID)
		case TargetTelegramUsername:
			set(&row.TelegramUsername, target, v, func(s string) (string, error) { return normalizeUsername(s, telegramUsername, "Telegram") })
		case TargetInstagramID:
			set(&row.InstagramID, target, v, NormalizeInstagramID)
		case TargetInstagramUsername:
			set(&row.InstagramUsername, target, v, func(s string) (string, error) { return normalizeUsername(s, instagramUsername, "Instagram") })
		case TargetFirstName:
			set(&row.FirstName, target, v, normalizeName)
		case TargetLastName:
			set(&row.LastName, target, v, normalizeName)
		case TargetName:
			first, last, _ := strings.Cut(strings.Join(strings.Fields(v), " "), " ")
			if row.FirstName == nil {
				set(&row.FirstName, target, first, normalizeName)
			}
			if row.LastName == nil {
				set(&row.LastName, target, last, normalizeName)
			}
		case TargetLocale:
			set(&row.Locale, target, v, normalizeLocale)
		case TargetTimezone:
			set(&row.Timezone, target, v, n.zones.normalize)
		case TargetTags:
			tags = append(tags, splitTags(v)...)
		case "":
		default:
			if v = strings.TrimSpace(v); v != "" {
				attrs[strings.TrimPrefix(target, attributePrefix)] = v
			}
		}
	}
	if row.Email == nil && row.Phone == nil && row.WhatsApp == nil && row.TelegramChatID == nil && row.InstagramID == nil && len(problems) == 0 {
		problems = append(problems, "no email, phone, whatsapp, telegram_chat_id or instagram_id")
	}
	if len(tags) > 0 {
		t, err := normalizeTags(tags)
		if err != nil {
			problems = append(problems, "tags: "+err.Error())
		}
		row.Tags = t
	}
	if len(attrs) > 0 {
		b, err := encodeAttributes(attrs)
		if err != nil {
			problems = append(problems, "attributes: "+err.Error())
		}
		row.Attributes = b
	}
	if len(problems) > 0 {
		return StagedRow{}, strings.Join(problems, "; ")
	}
	return row, ""
}

// attributesJSON is a row's attributes for COPY (jsonb takes text).
func (r StagedRow) attributesJSON() any {
	if r.Attributes == nil {
		return nil
	}
	return string(r.Attributes)
}

// previewRows is how many data rows a preview shows.
const previewRows = 10

// ImportPreview is the start of an uploaded file and the mapping proposed for it.
type ImportPreview struct {
	Delimiter string     `json:"delimiter" doc:"The delimiter the file is read with."`
	Header    []string   `json:"header"`
	Rows      [][]string `json:"rows" doc:"The first data rows, as read."`
	Mapping   []string   `json:"mapping" doc:"A proposed target per header column: a field, attributes.<name>, or empty to ignore it."`
	Targets   []string   `json:"targets" doc:"The fields a column may map to, besides attributes.<name>."`
}

// ReadPreview reads the header and the first rows of r.
func ReadPreview(r io.Reader, delimiter rune) (*ImportPreview, error) {
	rr := NewRecordReader(r, delimiter)
	header, _, err := rr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty: it needs a header row")
	}
	if err != nil {
		return nil, fmt.Errorf("reading the header: %w", err)
	}
	if err := checkHeader(header); err != nil {
		return nil, err
	}
	p := &ImportPreview{Delimiter: string(delimiter), Header: Sanitize(header), Rows: [][]string{}, Targets: Targets}
	for len(p.Rows) < previewRows {
		rec, _, err := rr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if !Blank(rec) {
			p.Rows = append(p.Rows, Sanitize(rec))
		}
	}
	p.Mapping = ProposeMapping(p.Header)
	return p, nil
}

func checkHeader(header []string) error {
	if len(header) > maxColumns {
		return fmt.Errorf("the header has %d columns; at most %d", len(header), maxColumns)
	}
	for i, h := range header {
		if !utf8.ValidString(h) {
			return fmt.Errorf("header column %d is not UTF-8: save the file as CSV UTF-8", i+1)
		}
	}
	if Blank(header) {
		return errors.New("the first row must be a header naming the columns")
	}
	return nil
}
