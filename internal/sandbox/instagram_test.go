package sandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	igAccount = "17841400000000001"
	igSecret  = "app-secret"
	igVerifyT = "verify-me"
	igToken   = "EAAGsandboxtoken"
)

// igVerifyHMAC checks X-Hub-Signature-256 independently of the sandbox.
func igVerifyHMAC(t *testing.T, h hook) {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(igSecret))
	mac.Write(h.Body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	require.Equal(t, want, h.Header.Get("X-Hub-Signature-256"))
	require.True(t, strings.HasPrefix(h.Header.Get("X-Hub-Signature"), "sha1="))
}

// igSubscribe answers Meta's handshake on the receiver and subscribes.
func igSubscribe(t *testing.T, tb *testBundle, token string) {
	t.Helper()
	tb.hook.setAnswer(func(r *http.Request, _ []byte) (int, string) {
		q := r.URL.Query()
		if r.Method == http.MethodGet && q.Get("hub.mode") == "subscribe" {
			if q.Get("hub.verify_token") != igVerifyT {
				return http.StatusForbidden, "bad token"
			}
			return http.StatusOK, q.Get("hub.challenge")
		}
		return 0, ""
	})
	var out InstagramSubscription
	status := tb.jsonDo(t, http.MethodPut, "/_api/instagram/subscriptions", InstagramSubscription{
		AccountID: igAccount, AppSecret: igSecret, VerifyToken: igVerifyT,
		CallbackURL: tb.hook.url("/hooks/instagram"), AccessToken: token,
	}, &out)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, out.AppSecret)
}

type igEnvelope struct {
	Object string `json:"object"`
	Entry  []struct {
		ID        string           `json:"id"`
		Time      int64            `json:"time"`
		Messaging []map[string]any `json:"messaging"`
	} `json:"entry"`
}

func igSendJSON(t *testing.T, tb *testBundle, token, body string) (int, map[string]any) {
	t.Helper()
	status, _, raw := tb.do(t, http.MethodPost, "/instagram/v21.0/me/messages", "application/json", []byte(body), "Authorization", "Bearer "+token)
	var out map[string]any
	require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	return status, out
}

func TestInstagramSendDeliveryRead(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	igSubscribe(t, tb, igToken)

	status, _, raw := tb.do(t, http.MethodGet, "/instagram/v21.0/me?fields=id,username", "", nil, "Authorization", "Bearer "+igToken)
	require.Equal(t, http.StatusOK, status)
	var me map[string]string
	require.NoError(t, json.Unmarshal(raw, &me))
	require.Equal(t, igAccount, me["id"], "the subscription ties the token to the account")
	require.NotEmpty(t, me["username"])

	status, out := igSendJSON(t, tb, igToken, `{"recipient":{"id":"9990003"},"message":{"text":"hi"}}`) // 0003: read
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "9990003", out["recipient_id"])
	mid := out["message_id"].(string)
	require.True(t, strings.HasPrefix(mid, "aWdf"))

	kinds := map[string]bool{}
	for range 2 {
		h := tb.hook.next(t)
		igVerifyHMAC(t, h)
		var env igEnvelope
		require.NoError(t, json.Unmarshal(h.Body, &env))
		require.Equal(t, "instagram", env.Object)
		require.Equal(t, igAccount, env.Entry[0].ID)
		ev := env.Entry[0].Messaging[0]
		kind := "read"
		if _, ok := ev["delivery"]; ok {
			kind = "delivery"
		}
		kinds[kind] = true
		require.Equal(t, "9990003", ev["sender"].(map[string]any)["id"])
		if kind == "delivery" {
			require.Equal(t, []any{mid}, ev["delivery"].(map[string]any)["mids"])
		} else {
			require.Equal(t, mid, ev["read"].(map[string]any)["mid"])
		}
	}
	require.Len(t, kinds, 2, "a delivery and a read")
}

func TestInstagramErrors(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	graphErr := func(out map[string]any) (float64, float64) {
		e := out["error"].(map[string]any)
		require.NotEmpty(t, e["message"])
		require.NotEmpty(t, e["fbtrace_id"])
		sub, _ := e["error_subcode"].(float64)
		return e["code"].(float64), sub
	}
	cases := []struct {
		name, token, body string
		status            int
		code, sub         float64
	}{
		{"no user", igToken, `{"recipient":{"id":"1230000"},"message":{"text":"x"}}`, 400, 100, 2018001},
		{"outside window", igToken, `{"recipient":{"id":"1230001"},"message":{"text":"x"}}`, 400, 10, 2018278},
		{"rate limited", igToken, `{"recipient":{"id":"1230429"},"message":{"text":"x"}}`, 400, 613, 0},
		{"server", igToken, `{"recipient":{"id":"1230500"},"message":{"text":"x"}}`, 500, 2, 0},
		{"bad token", "invalid", `{"recipient":{"id":"1"},"message":{"text":"x"}}`, 400, 190, 0},
		{"no recipient", igToken, `{"message":{"text":"x"}}`, 400, 100, 0},
		{"too long", igToken, `{"recipient":{"id":"1"},"message":{"text":"` + strings.Repeat("a", 1001) + `"}}`, 400, 100, 0},
		{"bad attachment", igToken, `{"recipient":{"id":"1"},"message":{"attachment":{"type":"sticker","payload":{"url":"https://x"}}}}`, 400, 100, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			status, out := igSendJSON(t, tb, c.token, c.body)
			require.Equal(t, c.status, status)
			code, sub := graphErr(out)
			require.Equal(t, c.code, code)
			require.Equal(t, c.sub, sub)
		})
	}
}

func TestInstagramAttachmentFetched(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	tb.hook.setAnswer(func(r *http.Request, _ []byte) (int, string) {
		if r.URL.Path == "/files/gone.jpg" {
			return http.StatusNotFound, ""
		}
		return 0, ""
	})
	status, out := igSendJSON(t, tb, igToken, `{"recipient":{"id":"42"},"message":{"attachment":{"type":"image","payload":{"url":"`+tb.hook.url("/files/gone.jpg")+`"}}}}`)
	require.Equal(t, http.StatusBadRequest, status)
	require.Equal(t, float64(2018047), out["error"].(map[string]any)["error_subcode"])

	status, _ = igSendJSON(t, tb, igToken, `{"recipient":{"id":"42"},"message":{"attachment":{"type":"image","payload":{"url":"`+tb.hook.url("/files/ok.jpg")+`"}}}}`)
	require.Equal(t, http.StatusOK, status)
}

func TestInstagramSubscriptionHandshakeFails(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	tb.hook.setAnswer(func(r *http.Request, _ []byte) (int, string) { return http.StatusForbidden, "no" })
	status := tb.jsonDo(t, http.MethodPut, "/_api/instagram/subscriptions", InstagramSubscription{
		AccountID: igAccount, AppSecret: igSecret, VerifyToken: igVerifyT, CallbackURL: tb.hook.url("/hooks/instagram"),
	}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Empty(t, tb.sb.Registrations().Instagram)

	status = tb.jsonDo(t, http.MethodPut, "/_api/instagram/subscriptions", InstagramSubscription{AccountID: igAccount}, nil)
	require.Equal(t, http.StatusBadRequest, status)
}

func TestInstagramInbound(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	igSubscribe(t, tb, "")

	png := tinyPNG(t)
	var res InboundResult
	status := tb.jsonDo(t, http.MethodPost, "/_api/inbound", InboundRequest{
		Channel: "instagram", To: igAccount, Text: "is this available?",
		From:  InboundContact{Username: "ana.lima", Name: "Ana"},
		Media: &InboundMedia{Filename: "p.png", ContentType: "image/png", Base64: base64.StdEncoding.EncodeToString(png)},
	}, &res)
	require.Equal(t, http.StatusAccepted, status)
	require.NotEmpty(t, res.SenderID)

	h := tb.hook.next(t)
	igVerifyHMAC(t, h)
	var env igEnvelope
	require.NoError(t, json.Unmarshal(h.Body, &env))
	ev := env.Entry[0].Messaging[0]
	require.Equal(t, res.SenderID, ev["sender"].(map[string]any)["id"])
	require.Equal(t, igAccount, ev["recipient"].(map[string]any)["id"])
	msg := ev["message"].(map[string]any)
	require.Equal(t, res.ID, msg["mid"])
	require.Equal(t, "is this available?", msg["text"])
	att := msg["attachments"].([]any)[0].(map[string]any)
	require.Equal(t, "image", att["type"])
	mediaURL := att["payload"].(map[string]any)["url"].(string)

	resp, err := http.Get(mediaURL)
	require.NoError(t, err)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, png, got)

	// The same contact keeps the same id.
	var res2 InboundResult
	tb.jsonDo(t, http.MethodPost, "/_api/inbound", InboundRequest{Channel: "instagram", To: igAccount, Text: "hello?", From: InboundContact{Username: "ana.lima", Name: "Ana"}}, &res2)
	require.Equal(t, res.SenderID, res2.SenderID)
	tb.hook.next(t)
}
