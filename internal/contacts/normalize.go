package contacts

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard/switchboard/internal/auth"
)

// Channel is a way of reaching a contact that consent, suppression and
// unsubscribe tokens are kept for.
type Channel string

// The channels.
const (
	ChannelEmail     Channel = "email"
	ChannelWhatsApp  Channel = "whatsapp"
	ChannelTelegram  Channel = "telegram"
	ChannelInstagram Channel = "instagram"
)

// Channels lists every channel, in a stable order.
var Channels = []Channel{ChannelEmail, ChannelWhatsApp, ChannelTelegram, ChannelInstagram}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool {
	switch c {
	case ChannelEmail, ChannelWhatsApp, ChannelTelegram, ChannelInstagram:
		return true
	}
	return false
}

// Limits on contact fields.
const (
	maxNameLen       = 200
	maxTagLen        = 64
	maxTags          = 50
	maxAttributes    = 100
	maxAttributesLen = 16 << 10
)

var (
	telegramChatID    = regexp.MustCompile(`^-?[1-9][0-9]{0,19}$`)
	telegramUsername  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{3,31}$`)
	instagramID       = regexp.MustCompile(`^[0-9]{1,32}$`)
	instagramUsername = regexp.MustCompile(`^[A-Za-z0-9._]{1,30}$`)
	localeTag         = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$`)
	attributeKey      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)
	phoneJunk         = regexp.MustCompile(`[\s().\-/]`)
)

// NormalizeEmail trims an address and lower-cases its domain. Addresses
// match case-insensitively (contacts.email_normalized is the lower-cased
// whole), while the local part keeps the case it was given for display.
func NormalizeEmail(raw string) (string, error) {
	s, err := auth.NormalizeEmail("", raw)
	if err != nil {
		return "", fmt.Errorf("must be an email address like ada@example.com")
	}
	return s, nil
}

// NormalizePhone turns a phone or WhatsApp number into E.164. A number
// without a leading + (or the country's international prefix) is read as a
// local number of country, an ISO 3166-1 alpha-2 code (the org's default).
func NormalizePhone(raw, country string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" || len(s) > 40 {
		return "", fmt.Errorf("must be a phone number like +14155550123")
	}
	// WhatsApp exports write numbers as "whatsapp:+1...".
	s = strings.TrimPrefix(strings.TrimPrefix(s, "whatsapp:"), "tel:")
	if strings.HasPrefix(s, "00") {
		// The international prefix most of the world dials.
		s = "+" + s[2:]
	}
	num, err := phonenumbers.Parse(s, strings.ToUpper(country))
	if err != nil || !phonenumbers.IsValidNumber(num) {
		if !strings.HasPrefix(phoneJunk.ReplaceAllString(s, ""), "+") {
			return "", fmt.Errorf("must be a valid phone number: international like +14155550123, or local to %s", strings.ToUpper(country))
		}
		return "", fmt.Errorf("must be a valid phone number like +14155550123")
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

// NormalizeTelegramChatID checks a Telegram chat id (a decimal integer,
// negative for groups).
func NormalizeTelegramChatID(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if !telegramChatID.MatchString(s) {
		return "", fmt.Errorf("must be a Telegram chat id (an integer)")
	}
	return s, nil
}

// NormalizeInstagramID checks an Instagram-scoped id (IGSID).
func NormalizeInstagramID(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if !instagramID.MatchString(s) {
		return "", fmt.Errorf("must be an Instagram-scoped id (digits)")
	}
	return s, nil
}

// NormalizeAddress normalizes a channel's address the way the contact field
// of the channel is stored, and the key the suppression list compares:
// email entirely lower-cased, WhatsApp in E.164, Telegram and Instagram ids
// checked.
func NormalizeAddress(ch Channel, raw, country string) (string, error) {
	switch ch {
	case ChannelEmail:
		s, err := NormalizeEmail(raw)
		return strings.ToLower(s), err
	case ChannelWhatsApp:
		return NormalizePhone(raw, country)
	case ChannelTelegram:
		return NormalizeTelegramChatID(raw)
	case ChannelInstagram:
		return NormalizeInstagramID(raw)
	}
	return "", fmt.Errorf("unknown channel %q", ch)
}

func normalizeUsername(raw string, re *regexp.Regexp, what string) (string, error) {
	s := strings.TrimPrefix(strings.TrimSpace(raw), "@")
	if !re.MatchString(s) {
		return "", fmt.Errorf("must be a %s username", what)
	}
	return s, nil
}

func normalizeName(raw string) (string, error) {
	s := strings.Join(strings.Fields(raw), " ")
	if utf8.RuneCountInString(s) > maxNameLen {
		return "", fmt.Errorf("must be at most %d characters", maxNameLen)
	}
	return s, nil
}

func normalizeLocale(raw string) (string, error) {
	s := strings.ReplaceAll(strings.TrimSpace(raw), "_", "-")
	if s == "" {
		return "", nil
	}
	if !localeTag.MatchString(s) {
		return "", fmt.Errorf("must be a language tag like en or pt-BR")
	}
	parts := strings.Split(s, "-")
	parts[0] = strings.ToLower(parts[0])
	for i := 1; i < len(parts); i++ {
		switch len(parts[i]) {
		case 2:
			parts[i] = strings.ToUpper(parts[i])
		case 4:
			parts[i] = strings.ToUpper(parts[i][:1]) + strings.ToLower(parts[i][1:])
		}
	}
	return strings.Join(parts, "-"), nil
}

// zoneCache remembers time zone names already checked: loading one reads
// the zone database, and an import checks the same few names many times.
type zoneCache map[string]bool

func (z zoneCache) normalize(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return "", nil
	}
	ok, seen := z[s]
	if !seen {
		_, err := time.LoadLocation(s)
		ok = err == nil && s != "Local" && len(s) <= 64
		if len(z) < 1000 {
			z[s] = ok
		}
	}
	if !ok {
		return "", fmt.Errorf("must be an IANA time zone like Europe/Berlin")
	}
	return s, nil
}

// normalizeTags trims, drops empties and duplicates, keeping the order.
func normalizeTags(raw []string) ([]string, error) {
	out := make([]string, 0, len(raw))
	seen := make(map[string]bool, len(raw))
	for _, t := range raw {
		t = strings.Join(strings.Fields(t), " ")
		if t == "" || seen[t] {
			continue
		}
		if utf8.RuneCountInString(t) > maxTagLen {
			return nil, fmt.Errorf("each tag must be at most %d characters", maxTagLen)
		}
		seen[t] = true
		out = append(out, t)
	}
	if len(out) > maxTags {
		return nil, fmt.Errorf("at most %d tags", maxTags)
	}
	return out, nil
}

// splitTags reads a CSV cell of tags separated by commas, semicolons or |.
func splitTags(cell string) []string {
	return strings.FieldsFunc(cell, func(r rune) bool { return r == ',' || r == ';' || r == '|' })
}

// encodeAttributes checks attribute names (they are template variables:
// {{attributes.plan}}) and the size, and encodes the object.
func encodeAttributes(attrs map[string]any) ([]byte, error) {
	if attrs == nil {
		return []byte("{}"), nil
	}
	if len(attrs) > maxAttributes {
		return nil, fmt.Errorf("at most %d attributes", maxAttributes)
	}
	for k := range attrs {
		if !attributeKey.MatchString(k) {
			return nil, fmt.Errorf("attribute name %q must start with a letter or _ and hold only letters, digits and _ (at most 64)", k)
		}
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		return nil, fmt.Errorf("must be a JSON object")
	}
	if len(b) > maxAttributesLen {
		return nil, fmt.Errorf("must be at most %d bytes as JSON", maxAttributesLen)
	}
	return b, nil
}
