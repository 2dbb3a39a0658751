package twilio_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/providers/twilio"
)

// twilioSign computes X-Twilio-Signature the way Twilio documents it.
func twilioSign(token, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	s := fullURL
	for _, k := range keys {
		s += k + form.Get(k)
	}
	mac := hmac.New(sha1.New, []byte(token))
	mac.Write([]byte(s))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestValidateSignature(t *testing.T) {
	t.Parallel()

	// Twilio's own test vector (twilio-go's request_validator_test.go).
	vector := url.Values{
		"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"}, "Caller": {"+14158675309"},
		"From": {"+14158675309"}, "ReasonConferenceEnded": {"test"}, "Reason": {"Participant"},
	}
	require.True(t, twilio.ValidateSignature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", vector, "vOEb5UThFn24KEfnOFLQY2AE5FY="))

	const token = "authtoken0123456789"
	const cb = "https://app.example.com/api/callbacks/twilio/status?m=msg_1"
	form := statusForm()
	sig := twilioSign(token, cb, form)

	tampered := statusForm()
	tampered.Set("MessageStatus", "read")

	tests := []struct {
		name  string
		token string
		url   string
		form  url.Values
		sig   string
		want  bool
	}{
		{"good", token, cb, form, sig, true},
		{"good with explicit port", token, "https://app.example.com:443/api/callbacks/twilio/status?m=msg_1", form, sig, true},
		{"wrong token", "othertoken", cb, form, sig, false},
		{"tampered param", token, cb, tampered, sig, false},
		{"other url", token, "https://app.example.com/api/callbacks/twilio/status?m=msg_2", form, sig, false},
		{"no signature", token, cb, form, "", false},
		{"no token", "", cb, form, sig, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, twilio.ValidateSignature(tt.token, tt.url, tt.form, tt.sig))
		})
	}
}

func statusForm() url.Values {
	return url.Values{
		"SmsSid": {"SM0123456789abcdef0123456789abcdef"}, "SmsStatus": {"delivered"}, "MessageStatus": {"delivered"},
		"ChannelToAddress": {"+15551234567"}, "To": {"whatsapp:+15551234567"}, "ChannelPrefix": {"whatsapp"},
		"MessageSid": {"SM0123456789abcdef0123456789abcdef"}, "AccountSid": {"AC0123456789abcdef0123456789abcdef"},
		"From": {"whatsapp:+14155238886"}, "ApiVersion": {"2010-04-01"}, "ChannelInstallSid": {"XE0123456789abcdef0123456789abcdef"},
	}
}

func TestParseStatus(t *testing.T) {
	t.Parallel()

	failed := url.Values{
		"MessageSid": {"SM1"}, "MessageStatus": {"failed"}, "ErrorCode": {"63016"},
		"ErrorMessage": {"Failed to send freeform message because you are outside the allowed window."},
		"To":           {"whatsapp:+15551234567"}, "From": {"whatsapp:+14155238886"}, "AccountSid": {"AC1"},
	}
	legacy := url.Values{"SmsSid": {"SM2"}, "SmsStatus": {"sent"}}

	tests := []struct {
		name    string
		form    url.Values
		want    twilio.StatusCallback
		wantErr bool
	}{
		{"delivered", statusForm(), twilio.StatusCallback{MessageSID: "SM0123456789abcdef0123456789abcdef", MessageStatus: "delivered",
			To: "+15551234567", From: "+14155238886", AccountSID: "AC0123456789abcdef0123456789abcdef"}, false},
		{"failed", failed, twilio.StatusCallback{MessageSID: "SM1", MessageStatus: "failed", ErrorCode: "63016",
			ErrorMessage: "Failed to send freeform message because you are outside the allowed window.",
			To:           "+15551234567", From: "+14155238886", AccountSID: "AC1"}, false},
		{"legacy names", legacy, twilio.StatusCallback{MessageSID: "SM2", MessageStatus: "sent"}, false},
		{"no sid", url.Values{"MessageStatus": {"sent"}}, twilio.StatusCallback{}, true},
		{"no status", url.Values{"MessageSid": {"SM3"}}, twilio.StatusCallback{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := twilio.ParseStatus(tt.form)
			if tt.wantErr {
				require.ErrorIs(t, err, twilio.ErrMissingField)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func inboundForm() url.Values {
	return url.Values{
		"SmsMessageSid": {"MM0123456789abcdef0123456789abcdef"}, "NumMedia": {"2"}, "ProfileName": {"Ada Lovelace"},
		"MessageType": {"image"}, "SmsSid": {"MM0123456789abcdef0123456789abcdef"}, "WaId": {"15551234567"},
		"SmsStatus": {"received"}, "Body": {"Here are the photos"}, "To": {"whatsapp:+14155238886"},
		"MediaContentType0": {"image/jpeg"},
		"MediaUrl0":         {"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM0123456789abcdef0123456789abcdef/Media/ME1"},
		"MediaContentType1": {"application/pdf"},
		"MediaUrl1":         {"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM0123456789abcdef0123456789abcdef/Media/ME2"},
		"NumSegments":       {"1"}, "ReferralNumMedia": {"0"}, "MessageSid": {"MM0123456789abcdef0123456789abcdef"},
		"AccountSid": {"AC1"}, "From": {"whatsapp:+15551234567"}, "ApiVersion": {"2010-04-01"},
	}
}

func TestParseInbound(t *testing.T) {
	t.Parallel()

	noMedia := url.Values{"MessageSid": {"SM9"}, "AccountSid": {"AC1"}, "From": {"whatsapp:+15551234567"},
		"To": {"whatsapp:+14155238886"}, "Body": {"STOP"}, "NumMedia": {"0"}, "ProfileName": {"Bob"}}
	wrongCount := url.Values{"MessageSid": {"SM8"}, "From": {"whatsapp:+15551234567"}, "NumMedia": {"lots"},
		"MediaUrl0": {"https://x/0"}, "MediaContentType0": {"audio/ogg"}}

	tests := []struct {
		name    string
		form    url.Values
		want    twilio.Inbound
		wantErr bool
	}{
		{"two media", inboundForm(), twilio.Inbound{
			MessageSID: "MM0123456789abcdef0123456789abcdef", AccountSID: "AC1", From: "+15551234567", To: "+14155238886",
			Body: "Here are the photos", ProfileName: "Ada Lovelace",
			Media: []twilio.Media{
				{URL: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM0123456789abcdef0123456789abcdef/Media/ME1", ContentType: "image/jpeg"},
				{URL: "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM0123456789abcdef0123456789abcdef/Media/ME2", ContentType: "application/pdf"},
			},
		}, false},
		{"text", noMedia, twilio.Inbound{MessageSID: "SM9", AccountSID: "AC1", From: "+15551234567", To: "+14155238886", Body: "STOP", ProfileName: "Bob"}, false},
		{"bad NumMedia", wrongCount, twilio.Inbound{MessageSID: "SM8", From: "+15551234567", Media: []twilio.Media{{URL: "https://x/0", ContentType: "audio/ogg"}}}, false},
		{"no from", url.Values{"MessageSid": {"SM7"}}, twilio.Inbound{}, true},
		{"no sid", url.Values{"From": {"whatsapp:+1"}}, twilio.Inbound{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := twilio.ParseInbound(tt.form)
			if tt.wantErr {
				require.ErrorIs(t, err, twilio.ErrMissingField)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestNumber(t *testing.T) {
	t.Parallel()
	require.Equal(t, "+15551234567", twilio.Number("whatsapp:+15551234567"))
	require.Equal(t, "+15551234567", twilio.Number("+15551234567"))
	require.Equal(t, "", twilio.Number(""))
}

// FuzzParseForm feeds raw form bodies, as the webhook receiver would parse
// them, to both parsers.
func FuzzParseForm(f *testing.F) {
	f.Add(statusForm().Encode())
	f.Add(inboundForm().Encode())
	f.Add("MessageSid=SM1&From=whatsapp%3A&NumMedia=-1&MediaUrl0=")
	f.Add("MessageSid=SM1&From=%2B1&NumMedia=99999999999999999999")
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		if sc, err := twilio.ParseStatus(form); err == nil && (sc.MessageSID == "" || sc.MessageStatus == "") {
			t.Fatalf("status without sid or status: %+v", sc)
		}
		in, err := twilio.ParseInbound(form)
		if err != nil {
			return
		}
		if len(in.Media) > twilio.MaxMedia {
			t.Fatalf("%d media", len(in.Media))
		}
		for _, m := range in.Media {
			if m.URL == "" {
				t.Fatal("media without URL")
			}
		}
		_ = twilio.ValidateSignature("token", "https://example.com/cb", form, "sig")
	})
}
