package suppression

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"

	"github.com/google/uuid"

	"github.com/switchboard/switchboard/internal/contacts"
)

// Tokens makes and checks unsubscribe tokens.
//
// A token is base64url(version | channel | contact id | MAC), 34 bytes (46
// characters), where MAC is HMAC-SHA256 over the first 18 bytes, cut to 16
// bytes. It is signed rather than random and stored: a send computes the
// link for any contact and channel without a write (one per recipient of a
// million-contact campaign would be a million rows), the link in an old
// message keeps working, and nothing secret is stored. Forging one needs
// the key; a leaked one only unsubscribes its own contact from its own
// channel, which is what it is for. Deleting the contact makes its tokens
// dead; changing the key (with a new version byte) retires them all.
type Tokens struct {
	key []byte
}

// tokenVersion names the key derivation and layout.
const tokenVersion = 1

const (
	tokenBody = 1 + 1 + 16
	tokenMAC  = 16
	tokenLen  = tokenBody + tokenMAC
)

var channelCode = map[contacts.Channel]byte{
	contacts.ChannelEmail: 1, contacts.ChannelWhatsApp: 2, contacts.ChannelTelegram: 3, contacts.ChannelInstagram: 4,
}

// NewTokens derives the token key from secret (the server's SECRETS_KEY):
// the same secret never signs two kinds of thing.
func NewTokens(secret []byte) *Tokens {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("switchboard unsubscribe token v1"))
	return &Tokens{key: m.Sum(nil)}
}

func (t *Tokens) mac(body []byte) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write(body)
	return m.Sum(nil)[:tokenMAC]
}

// Make returns the unsubscribe token of a contact's channel.
func (t *Tokens) Make(contactID uuid.UUID, ch contacts.Channel) string {
	b := make([]byte, 0, tokenLen)
	b = append(b, tokenVersion, channelCode[ch])
	b = append(b, contactID[:]...)
	b = append(b, t.mac(b)...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// URL is the public unsubscribe page of a contact's channel; baseURL is
// PUBLIC_BASE_URL. Email sends put it in List-Unsubscribe, with
// List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058).
func (t *Tokens) URL(baseURL string, contactID uuid.UUID, ch contacts.Channel) string {
	return baseURL + "/u/" + t.Make(contactID, ch)
}

// Parse checks a token and returns what it names.
func (t *Tokens) Parse(token string) (uuid.UUID, contacts.Channel, bool) {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenLen) {
		return uuid.Nil, "", false
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) != tokenLen || b[0] != tokenVersion {
		return uuid.Nil, "", false
	}
	if !hmac.Equal(b[tokenBody:], t.mac(b[:tokenBody])) {
		return uuid.Nil, "", false
	}
	for ch, code := range channelCode {
		if code == b[1] {
			return uuid.UUID(b[2:tokenBody]), ch, true
		}
	}
	return uuid.Nil, "", false
}
