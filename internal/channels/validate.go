package channels

import (
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"regexp"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"

	"github.com/switchboard/switchboard/internal/auth"
)

var (
	// SendGrid keys are "SG." + 22 + "." + 43 base64url characters.
	sendGridKey = regexp.MustCompile(`^SG\.[A-Za-z0-9_-]{8,100}\.[A-Za-z0-9_-]{8,200}$`)
	// Twilio account SIDs are "AC" + 32 hex digits.
	accountSID = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)
	// twilio-go refuses credentials that are not alphanumeric before
	// sending (its errors 21222 and 21224).
	alphanumeric = regexp.MustCompile(`^[A-Za-z0-9]{16,128}$`)
	// Bot tokens are "<bot id>:<35 characters>"; go-telegram/bot reads the
	// id from before the colon and puts the token in every URL path.
	botToken = regexp.MustCompile(`^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$`)
	// Instagram-scoped and page ids are decimal.
	igAccountID = regexp.MustCompile(`^[0-9]{1,32}$`)
	// Graph API access tokens are long alphanumeric strings (EAA...).
	graphToken = regexp.MustCompile(`^[A-Za-z0-9_.|-]{16,1000}$`)
	// The verify token travels in a query string (hub.verify_token).
	verifyToken = regexp.MustCompile(`^[A-Za-z0-9_.~-]{8,128}$`)
)

func checkSendGridKey(s string) (string, error) {
	if !sendGridKey.MatchString(s) {
		return "", errors.New(`must be a SendGrid API key: "SG." followed by two dot-separated parts`)
	}
	return s, nil
}

func checkEmail(s string) (string, error) {
	n, err := auth.NormalizeEmail("", s)
	if err != nil {
		return "", errors.New("must be an email address like news@example.com")
	}
	return n, nil
}

func checkName(s string) (string, error) {
	if len([]rune(s)) > 100 {
		return "", errors.New("must be at most 100 characters")
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return "", errors.New("must be one line of text")
	}
	return s, nil
}

// checkPublicKey accepts SendGrid's verification key as shown in its
// console (base64 DER), or as PEM, and stores it as base64 DER.
func checkPublicKey(s string) (string, error) {
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		if block, _ := pem.Decode([]byte(s)); block != nil {
			der, err = block.Bytes, nil
		}
	}
	bad := errors.New("must be the Signed Event Webhook's verification key (base64), from SendGrid → Mail Settings → Event Webhooks")
	if err != nil {
		return "", bad
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return "", bad
	}
	if _, ok := pub.(*ecdsa.PublicKey); !ok {
		return "", bad
	}
	return base64.StdEncoding.EncodeToString(der), nil
}

func checkAccountSID(s string) (string, error) {
	if !accountSID.MatchString(s) {
		return "", errors.New(`must be a Twilio account SID: "AC" followed by 32 hexadecimal digits`)
	}
	return "AC" + strings.ToLower(s[2:]), nil
}

func checkAuthToken(s string) (string, error) {
	if !alphanumeric.MatchString(s) {
		return "", errors.New("must be a Twilio auth token: 16 to 128 letters and digits")
	}
	return s, nil
}

// checkSender accepts the WhatsApp sender as E.164, also in Twilio's
// "whatsapp:+1..." form, and stores it as E.164.
func checkSender(s string) (string, error) {
	s = strings.TrimPrefix(s, "whatsapp:")
	bad := errors.New("must be the WhatsApp sender's number in international form, like +14155238886")
	if !strings.HasPrefix(s, "+") {
		return "", bad
	}
	num, err := phonenumbers.Parse(s, "")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", bad
	}
	return phonenumbers.Format(num, phonenumbers.E164), nil
}

func checkBotToken(s string) (string, error) {
	if !botToken.MatchString(s) {
		return "", errors.New("must be a bot token from @BotFather, like 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
	}
	return s, nil
}

func checkAccountID(s string) (string, error) {
	if !igAccountID.MatchString(s) {
		return "", errors.New("must be the Instagram account's (or its Facebook page's) numeric id")
	}
	return s, nil
}

func checkAccessToken(s string) (string, error) {
	if !graphToken.MatchString(s) {
		return "", errors.New("must be a Graph API access token (letters and digits, like EAAG...)")
	}
	return s, nil
}

func checkAppSecret(s string) (string, error) {
	if !alphanumeric.MatchString(s) {
		return "", errors.New("must be the Meta app's secret: 16 to 128 letters and digits (App settings → Basic)")
	}
	return s, nil
}

func checkVerifyToken(s string) (string, error) {
	if !verifyToken.MatchString(s) {
		return "", errors.New("must be 8 to 128 letters, digits, '-', '_', '.' or '~'")
	}
	return s, nil
}
