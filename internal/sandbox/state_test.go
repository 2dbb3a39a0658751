package sandbox

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-telegram/bot"
	"github.com/sendgrid/rest"
	"github.com/stretchr/testify/require"
)

func TestStateFileRoundTrip(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "state", "sandbox.json")

	// First life: register everything.
	a := setup(t, setupOpts{stateFile: file})
	pub := newSGClient(t, a, sgKey).configure(a.hook.url("/hooks/sendgrid"))
	require.Equal(t, http.StatusOK, a.jsonDo(t, http.MethodPut, "/_api/twilio/senders", TwilioSender{
		AccountSID: twSID, AuthToken: twToken, From: twFrom, InboundURL: a.hook.url("/hooks/twilio"),
	}, nil))
	_, err := tgClient(t, a, tgToken).SetWebhook(ctx(t), &bot.SetWebhookParams{URL: a.hook.url("/hooks/telegram"), SecretToken: "sec"})
	require.NoError(t, err)
	igSubscribe(t, a, igToken)
	before := a.sb.Registrations()
	a.sb.Close()

	info, err := os.Stat(file)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), "the file holds secrets")
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".*tmp*"))
	require.Empty(t, leftovers, "no temp files left behind")

	// Second life: same registrations, same key, webhooks still reach the
	// first life's receiver.
	b := setup(t, setupOpts{stateFile: file})
	b.hook = a.hook
	require.Equal(t, before, b.sb.Registrations())

	c := newSGClient(t, b, sgKey)
	resp := c.call(rest.Get, "/v3/user/webhooks/event/settings/signed", nil)
	var signed struct {
		PublicKey string `json:"public_key"`
	}
	require.NoError(t, json.Unmarshal([]byte(resp.Body), &signed))
	require.Equal(t, pub, signed.PublicKey, "the public key survives a restart")
	require.Equal(t, http.StatusAccepted, c.send("ana+bounce@example.com", nil).StatusCode)
	sgCollect(t, b, pub, 2) // verified against the first life's key

	require.Equal(t, http.StatusAccepted, b.jsonDo(t, http.MethodPost, "/_api/inbound", InboundRequest{
		Channel: "whatsapp", To: twFrom, Text: "hi", From: InboundContact{Phone: "+15557654321"},
	}, nil))
	twVerify(t, twToken, b.hook.next(t))

	require.Equal(t, http.StatusAccepted, b.jsonDo(t, http.MethodPost, "/_api/inbound", InboundRequest{
		Channel: "telegram", To: tgToken, Text: "hi", From: InboundContact{ID: "42"},
	}, nil))
	require.Equal(t, "sec", b.hook.next(t).Header.Get("X-Telegram-Bot-Api-Secret-Token"))

	require.Equal(t, http.StatusAccepted, b.jsonDo(t, http.MethodPost, "/_api/inbound", InboundRequest{
		Channel: "instagram", To: igAccount, Text: "hi", From: InboundContact{ID: "42"},
	}, nil))
	igVerifyHMAC(t, b.hook.next(t))

	// Deleting is saved too.
	require.Equal(t, http.StatusNoContent, b.jsonDo(t, http.MethodDelete, "/_api/twilio/senders/"+twFrom, nil, nil))
	require.Equal(t, http.StatusNoContent, b.jsonDo(t, http.MethodDelete, "/_api/instagram/subscriptions/"+igAccount, nil, nil))
	b.sb.Close()
	third := New(Options{StateFile: file})
	t.Cleanup(third.Close)
	regs := third.Registrations()
	require.Empty(t, regs.Twilio)
	require.Empty(t, regs.Instagram)
	require.Len(t, regs.SendGrid, 1)
	require.Len(t, regs.Telegram, 1)
}

func TestStateFileCorruptIsSetAside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "sandbox.json")
	require.NoError(t, os.WriteFile(file, []byte("{not json"), 0o600))

	sb := New(Options{StateFile: file})
	t.Cleanup(sb.Close)
	require.Empty(t, sb.Registrations().SendGrid)
	aside, _ := filepath.Glob(file + ".corrupt-*")
	require.Len(t, aside, 1, "the unreadable file is kept for a human")
	_, err := os.Stat(file)
	require.True(t, os.IsNotExist(err))
}

func TestStateWithoutFileStaysInMemory(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	newSGClient(t, tb, sgKey).configure(tb.hook.url("/x"))
	require.Len(t, tb.sb.Registrations().SendGrid, 1)
}
