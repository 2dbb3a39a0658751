package sendgrid_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/providers/sendgrid"
)

func newKey(t *testing.T) (*ecdsa.PrivateKey, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	return key, base64.StdEncoding.EncodeToString(der)
}

func sign(t *testing.T, key *ecdsa.PrivateKey, ts string, body []byte) string {
	t.Helper()
	sum := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(sig)
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()

	key, pub := newKey(t)
	_, otherPub := newKey(t)
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	rsaDER, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	require.NoError(t, err)
	rsaPub := base64.StdEncoding.EncodeToString(rsaDER)

	now := time.Unix(1_700_000_000, 0)
	ts := strconv.FormatInt(now.Unix(), 10)
	body := []byte(`[{"email":"ada@example.org","event":"delivered","sg_event_id":"ZGVsaXZlcmVk","sg_message_id":"abc.filter0001","timestamp":1700000000}]`)
	sig := sign(t, key, ts, body)
	staleTS := strconv.FormatInt(now.Add(-time.Hour).Unix(), 10)
	staleSig := sign(t, key, staleTS, body)

	tests := []struct {
		name    string
		pub     string
		sig     string
		ts      string
		body    []byte
		window  time.Duration
		wantErr error
	}{
		{"good", pub, sig, ts, body, sendgrid.DefaultWindow, nil},
		{"good, clock a bit behind", pub, sig, ts, body, sendgrid.DefaultWindow, nil},
		{"wrong key", otherPub, sig, ts, body, sendgrid.DefaultWindow, sendgrid.ErrInvalidSignature},
		{"tampered body", pub, sig, ts, []byte(`[{"email":"eve@example.org","event":"delivered"}]`), sendgrid.DefaultWindow, sendgrid.ErrInvalidSignature},
		{"tampered timestamp", pub, sig, strconv.FormatInt(now.Unix()+1, 10), body, sendgrid.DefaultWindow, sendgrid.ErrInvalidSignature},
		{"stale timestamp", pub, staleSig, staleTS, body, sendgrid.DefaultWindow, sendgrid.ErrStaleTimestamp},
		{"stale timestamp, no window", pub, staleSig, staleTS, body, 0, nil},
		{"future timestamp", pub, sig, strconv.FormatInt(now.Add(time.Hour).Unix(), 10), body, sendgrid.DefaultWindow, sendgrid.ErrStaleTimestamp},
		{"bad timestamp", pub, sig, "yesterday", body, sendgrid.DefaultWindow, sendgrid.ErrBadTimestamp},
		{"no signature", pub, "", ts, body, sendgrid.DefaultWindow, sendgrid.ErrInvalidSignature},
		{"garbage signature", pub, "bm90IGEgc2lnbmF0dXJl", ts, body, sendgrid.DefaultWindow, sendgrid.ErrInvalidSignature},
		{"signature not base64", pub, "%%%", ts, body, sendgrid.DefaultWindow, sendgrid.ErrInvalidSignature},
		{"rsa key", rsaPub, sig, ts, body, sendgrid.DefaultWindow, sendgrid.ErrBadPublicKey},
		{"key not base64", "???", sig, ts, body, sendgrid.DefaultWindow, sendgrid.ErrBadPublicKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := sendgrid.VerifySignature(tt.pub, tt.sig, tt.ts, tt.body, now, tt.window)
			if tt.wantErr == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
		})
	}
}

// A batch as SendGrid's docs show it, one event of each kind.
const docsBatch = `[
  {"email":"example@test.com","timestamp":1513299569,"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","event":"processed","category":"cat facts","sg_event_id":"rbtnWrG1DVDGGGFHFyun0A==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000","message_id":"msg_1"},
  {"email":"example@test.com","timestamp":1513299569,"smtp-id":"<14c5d75ce93.dfd.64b469@ismtpd-555>","event":"deferred","category":"cat facts","sg_event_id":"t7LEShmowp86DTdUW8M-GQ==","sg_message_id":"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.000000000000000000000","response":"400 try again later","attempt":"5"},
  {"email":"example@test.com","timestamp":1513299569,"event":"delivered","category":["cat facts","dogs"],"sg_event_id":"ZGVsaXZlcmVkLTAtMjQ0NDIzNTE","sg_message_id":"LRzXl66NRzmMrZ4ar-lZ3A.filter0098p1las1-16816-5C0E8C5B-8.0","response":"250 OK","tls":1},
  {"email":"example@test.com","timestamp":1513299569,"event":"open","sg_event_id":"b_syL7hu4i5JUQPP7ZHQaQ==","sg_message_id":"LRzXl66NRzmMrZ4ar-lZ3A.filter0098p1las1-16816-5C0E8C5B-8.0","useragent":"Mozilla/4.0 (compatible; MSIE 6.1; Windows XP; .NET CLR 1.1.4322; .NET CLR 2.0.50727)","ip":"255.255.255.255","sg_machine_open":false},
  {"email":"example@test.com","timestamp":1513299569,"event":"click","sg_event_id":"Bpq5bFnIHxSBdfn0-lBVnw==","sg_message_id":"LRzXl66NRzmMrZ4ar-lZ3A.filter0098p1las1-16816-5C0E8C5B-8.0","useragent":"Mozilla/4.0","ip":"255.255.255.255","url":"http://www.sendgrid.com/","url_offset":{"index":0,"type":"html"}},
  {"email":"example@test.com","timestamp":1513299569,"event":"bounce","sg_event_id":"6g4ZI7SA-xmRDv57GoPIPw==","sg_message_id":"LRzXl66NRzmMrZ4ar-lZ3A.filter0098p1las1-16816-5C0E8C5B-8.0","reason":"500 unknown recipient","status":"5.0.0","type":"bounce","bounce_classification":"Invalid Address"},
  {"email":"example@test.com","timestamp":1513299569,"event":"dropped","sg_event_id":"zmzJhfJgAfUSOW80yEbPyw==","sg_message_id":"LRzXl66NRzmMrZ4ar-lZ3A.filter0098p1las1-16816-5C0E8C5B-8.0","reason":"Bounced Address","status":"5.0.0"},
  {"email":"example@test.com","timestamp":1513299569,"event":"spamreport","sg_event_id":"37nvH5QBz858KGVYCM4uOA==","sg_message_id":"LRzXl66NRzmMrZ4ar-lZ3A.filter0098p1las1-16816-5C0E8C5B-8.0"},
  {"email":"example@test.com","timestamp":1513299569,"event":"group_unsubscribe","sg_event_id":"ahSCB7xYcXFb-hEaawsPRw==","sg_message_id":"LRzXl66NRzmMrZ4ar-lZ3A.filter0098p1las1-16816-5C0E8C5B-8.0","asm_group_id":10}
]`

func TestParseEvents(t *testing.T) {
	t.Parallel()

	at := time.Unix(1513299569, 0).UTC()
	tests := []struct {
		name    string
		body    string
		want    []sendgrid.Event // Raw not compared
		wantErr bool
	}{
		{
			name: "docs batch",
			body: docsBatch,
			want: []sendgrid.Event{
				{EventID: "rbtnWrG1DVDGGGFHFyun0A==", ProviderMessageID: "14c5d75ce93", Event: "processed", Email: "example@test.com", Timestamp: at},
				{EventID: "t7LEShmowp86DTdUW8M-GQ==", ProviderMessageID: "14c5d75ce93", Event: "deferred", Email: "example@test.com", Timestamp: at},
				{EventID: "ZGVsaXZlcmVkLTAtMjQ0NDIzNTE", ProviderMessageID: "LRzXl66NRzmMrZ4ar-lZ3A", Event: "delivered", Email: "example@test.com", Timestamp: at},
				{EventID: "b_syL7hu4i5JUQPP7ZHQaQ==", ProviderMessageID: "LRzXl66NRzmMrZ4ar-lZ3A", Event: "open", Email: "example@test.com", Timestamp: at},
				{EventID: "Bpq5bFnIHxSBdfn0-lBVnw==", ProviderMessageID: "LRzXl66NRzmMrZ4ar-lZ3A", Event: "click", Email: "example@test.com", URL: "http://www.sendgrid.com/", Timestamp: at},
				{EventID: "6g4ZI7SA-xmRDv57GoPIPw==", ProviderMessageID: "LRzXl66NRzmMrZ4ar-lZ3A", Event: "bounce", Email: "example@test.com", Reason: "500 unknown recipient", Status: "5.0.0", Type: "bounce", Timestamp: at},
				{EventID: "zmzJhfJgAfUSOW80yEbPyw==", ProviderMessageID: "LRzXl66NRzmMrZ4ar-lZ3A", Event: "dropped", Email: "example@test.com", Reason: "Bounced Address", Status: "5.0.0", Timestamp: at},
				{EventID: "37nvH5QBz858KGVYCM4uOA==", ProviderMessageID: "LRzXl66NRzmMrZ4ar-lZ3A", Event: "spamreport", Email: "example@test.com", Timestamp: at},
				{EventID: "ahSCB7xYcXFb-hEaawsPRw==", ProviderMessageID: "LRzXl66NRzmMrZ4ar-lZ3A", Event: "group_unsubscribe", Email: "example@test.com", Timestamp: at},
			},
		},
		{
			name: "odd types are left empty",
			body: `[{"event":"delivered","email":42,"timestamp":"1513299569","sg_message_id":null,"reason":["x"]}, {"event":"open","timestamp":1513299569.75}]`,
			want: []sendgrid.Event{{Event: "delivered", Timestamp: at}, {Event: "open", Timestamp: at}},
		},
		{name: "empty batch", body: `[]`, want: []sendgrid.Event{}},
		{name: "not an array", body: `{"event":"delivered"}`, wantErr: true},
		{name: "entry not an object", body: `[{"event":"open"}, 3]`, wantErr: true},
		{name: "null entry", body: `[null]`, wantErr: true},
		{name: "not json", body: `event=delivered`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := sendgrid.ParseEvents([]byte(tt.body))
			if tt.wantErr {
				require.ErrorIs(t, err, sendgrid.ErrBadEvents)
				return
			}
			require.NoError(t, err)
			for i := range got {
				require.True(t, json.Valid(got[i].Raw))
				got[i].Raw = nil
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestEventArg(t *testing.T) {
	t.Parallel()

	events, err := sendgrid.ParseEvents([]byte(docsBatch))
	require.NoError(t, err)
	require.Equal(t, "msg_1", events[0].Arg("message_id"))
	require.Equal(t, "", events[1].Arg("message_id"))
	require.Equal(t, "", events[0].Arg("timestamp")) // not a string
	require.Equal(t, "cat facts", events[0].Arg("category"))
}

func FuzzParseEvents(f *testing.F) {
	f.Add([]byte(docsBatch))
	f.Add([]byte(`[{"event":"delivered","timestamp":"1e30","sg_message_id":"."}]`))
	f.Add([]byte(`[{"timestamp":-1.5e300}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		events, err := sendgrid.ParseEvents(body)
		if err != nil {
			return
		}
		for _, e := range events {
			if !json.Valid(e.Raw) {
				t.Fatalf("raw of an event is not JSON: %q", e.Raw)
			}
			for _, c := range e.ProviderMessageID {
				if c == '.' {
					t.Fatalf("message id %q keeps a dot", e.ProviderMessageID)
				}
			}
			_ = e.Arg("message_id")
		}
	})
}
