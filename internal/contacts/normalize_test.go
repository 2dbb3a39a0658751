package contacts

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNormalizePhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, country, in, want string
	}{
		{"US local with punctuation", "US", "(415) 555-0132", "+14155550132"},
		{"US local with a trunk 1", "US", "1-415-555-0132", "+14155550132"},
		{"US international", "DE", "+1 415 555 0132", "+14155550132"},
		{"US from abroad with 00", "GB", "001 415 555 0132", "+14155550132"},
		{"US dialled with 011 from the US", "US", "011 49 30 901820", "+4930901820"},
		{"DE local landline", "DE", "030 901820", "+4930901820"},
		{"DE local mobile", "de", "0151 23456789", "+4915123456789"},
		{"DE international", "US", "+49 (0)30 901820", "+4930901820"},
		{"DE with 0049", "FR", "0049 30 901820", "+4930901820"},
		{"GB local mobile", "GB", "07911 123456", "+447911123456"},
		{"GB international", "US", "+44 20 7946 0958", "+442079460958"},
		{"IN local mobile", "IN", "098765 43210", "+919876543210"},
		{"IN ten digits", "IN", "98765-43210", "+919876543210"},
		{"IN international", "BR", "+91 98765 43210", "+919876543210"},
		{"BR local mobile with area code", "BR", "(11) 91234-5678", "+5511912345678"},
		{"BR with trunk and carrier code", "BR", "0 21 11 91234-5678", "+5511912345678"},
		{"BR international", "US", "+55 11 91234 5678", "+5511912345678"},
		{"WhatsApp export prefix", "US", "whatsapp:+14155550132", "+14155550132"},
		{"tel URI", "US", "tel:+14155550132", "+14155550132"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizePhone(tt.in, tt.country)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}

	bad := []struct{ name, country, in string }{
		{"too short", "US", "555-01"},
		{"letters", "US", "call me"},
		{"unassigned US area code", "US", "(011) 555-0132"},
		{"DE number too short", "DE", "030 12"},
		{"a local number of another country", "GB", "(415) 555-0132"},
		{"empty", "US", "  "},
		{"unknown country code", "US", "+999 1234567"},
	}
	for _, tt := range bad {
		t.Run("rejects "+tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := NormalizePhone(tt.in, tt.country)
			require.Error(t, err)
		})
	}
}

func TestNormalizeFields(t *testing.T) {
	t.Parallel()
	email, err := NormalizeEmail("  Grace.Hopper@NAVY.mil ")
	require.NoError(t, err)
	require.Equal(t, "Grace.Hopper@navy.mil", email)
	for _, bad := range []string{"", "grace", "Grace <g@navy.mil>", "a@b@c"} {
		_, err := NormalizeEmail(bad)
		require.Errorf(t, err, "%q", bad)
	}
	addr, err := NormalizeAddress(ChannelEmail, "Grace.Hopper@NAVY.mil", "US")
	require.NoError(t, err)
	require.Equal(t, "grace.hopper@navy.mil", addr, "suppression keys are lower-cased whole")

	for in, want := range map[string]string{"en": "en", "pt_br": "pt-BR", "ZH-hant-tw": "zh-Hant-TW", "": ""} {
		got, err := normalizeLocale(in)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
	_, err = normalizeLocale("english please")
	require.Error(t, err)

	id, err := NormalizeTelegramChatID(" -1001234567890 ")
	require.NoError(t, err)
	require.Equal(t, "-1001234567890", id)
	_, err = NormalizeTelegramChatID("0123")
	require.Error(t, err)

	tags, err := normalizeTags([]string{" a ", "b", "a", "", "  c  d "})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c d"}, tags)
	require.Equal(t, []string{"x", " y", "z"}, splitTags("x; y|z"))

	_, err = encodeAttributes(map[string]any{"1st": true})
	require.Error(t, err)
	b, err := encodeAttributes(map[string]any{"plan": "pro", "_n": 2})
	require.NoError(t, err)
	require.JSONEq(t, `{"plan":"pro","_n":2}`, string(b))
}
