package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
	"github.com/stretchr/testify/require"
)

const tgToken = "123456789:AAHsandboxTokenSecretPart"

// tgClient is go-telegram/bot pointed at the sandbox, as the adapter does.
func tgClient(t *testing.T, tb *testBundle, token string) *bot.Bot {
	b, err := bot.New(token, bot.WithServerURL(tb.url("/telegram")), bot.WithSkipGetMe(),
		bot.WithHTTPClient(10*time.Second, tb.srv.Client()))
	require.NoError(t, err)
	return b
}

func TestTelegramGetMeAndSend(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	b := tgClient(t, tb, tgToken)

	me, err := b.GetMe(ctx(t))
	require.NoError(t, err)
	require.Equal(t, int64(123456789), me.ID)
	require.True(t, me.IsBot)
	require.Equal(t, "sb123456789_bot", me.Username)

	msg, err := b.SendMessage(ctx(t), &bot.SendMessageParams{ChatID: 5550001234, Text: "Hello!"})
	require.NoError(t, err)
	require.NotZero(t, msg.ID)
	require.Equal(t, int64(5550001234), msg.Chat.ID)
	require.Equal(t, "private", string(msg.Chat.Type))
	require.Equal(t, "Hello!", msg.Text)
	require.Equal(t, me.ID, msg.From.ID)

	msg2, err := b.SendMessage(ctx(t), &bot.SendMessageParams{ChatID: 5550001234, Text: "again"})
	require.NoError(t, err)
	require.Greater(t, msg2.ID, msg.ID, "message ids grow")

	// JSON and query parameters work too, as with the real Bot API.
	status, _, raw := tb.do(t, http.MethodPost, "/telegram/bot"+tgToken+"/sendMessage", "application/json", []byte(`{"chat_id":42,"text":"json"}`))
	require.Equal(t, http.StatusOK, status, string(raw))
	status, _, _ = tb.do(t, http.MethodGet, "/telegram/bot"+tgToken+"/sendMessage?chat_id=42&text=query", "", nil)
	require.Equal(t, http.StatusOK, status)

	msgs := tb.sb.Messages(MessageFilter{Provider: ProviderTelegram, To: "5550001234"})
	require.Len(t, msgs, 2)
	require.Equal(t, "123456789", msgs[0].Account)
}

func TestTelegramPhotoAndGetFile(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	b := tgClient(t, tb, tgToken)
	png := tinyPNG(t)

	msg, err := b.SendPhoto(ctx(t), &bot.SendPhotoParams{
		ChatID: 42, Caption: "receipt",
		Photo: &models.InputFileUpload{Filename: "receipt.png", Data: bytes.NewReader(png)},
	})
	require.NoError(t, err)
	require.Equal(t, "receipt", msg.Caption)
	require.Len(t, msg.Photo, 2, "a thumbnail size and the original")
	largest := msg.Photo[len(msg.Photo)-1]
	require.Equal(t, 400, largest.Width)
	require.Equal(t, 300, largest.Height)

	f, err := b.GetFile(ctx(t), &bot.GetFileParams{FileID: largest.FileID})
	require.NoError(t, err)
	require.Equal(t, int64(len(png)), f.FileSize)
	require.Contains(t, f.FilePath, "photos/")

	resp, err := tb.srv.Client().Get(b.FileDownloadLink(f))
	require.NoError(t, err)
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, png, got)

	// Resending by file_id reuses the file.
	msg, err = b.SendPhoto(ctx(t), &bot.SendPhotoParams{ChatID: 42, Photo: &models.InputFileString{Data: largest.FileID}})
	require.NoError(t, err)
	require.Equal(t, largest.FileID, msg.Photo[len(msg.Photo)-1].FileID)

	doc, err := b.SendDocument(ctx(t), &bot.SendDocumentParams{
		ChatID:   42,
		Document: &models.InputFileUpload{Filename: "terms.pdf", Data: bytes.NewReader([]byte("%PDF-1.4 terms"))},
	})
	require.NoError(t, err)
	require.Equal(t, "terms.pdf", doc.Document.FileName)
	require.Equal(t, "application/pdf", doc.Document.MimeType)

	_, err = b.GetFile(ctx(t), &bot.GetFileParams{FileID: "nope"})
	require.ErrorIs(t, err, bot.ErrorBadRequest)
	_, err = b.SendPhoto(ctx(t), &bot.SendPhotoParams{ChatID: 42, Photo: &models.InputFileString{Data: "unknown-file-id"}})
	require.ErrorIs(t, err, bot.ErrorBadRequest)
}

func TestTelegramMagicChats(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	b := tgClient(t, tb, tgToken)
	send := func(chat int64) error {
		_, err := b.SendMessage(ctx(t), &bot.SendMessageParams{ChatID: chat, Text: "x"})
		return err
	}
	require.ErrorIs(t, send(5550000000), bot.ErrorBadRequest)
	require.ErrorIs(t, send(5550000001), bot.ErrorForbidden)
	var tooMany *bot.TooManyRequestsError
	require.ErrorAs(t, send(5550000429), &tooMany)
	require.Equal(t, 1, tooMany.RetryAfter)
	err := send(5550000500)
	require.Error(t, err)
	require.Contains(t, err.Error(), "500")

	_, err = tgClient(t, tb, "1:invalid").GetMe(ctx(t))
	require.ErrorIs(t, err, bot.ErrorUnauthorized)

	_, err = b.SendMessage(ctx(t), &bot.SendMessageParams{ChatID: 42, Text: ""})
	require.ErrorIs(t, err, bot.ErrorBadRequest)

	status, _, raw := tb.do(t, http.MethodPost, "/telegram/bot"+tgToken+"/noSuchMethod", "", nil)
	require.Equal(t, http.StatusNotFound, status)
	require.JSONEq(t, `{"ok":false,"error_code":404,"description":"Not Found"}`, string(raw))
}

func TestTelegramWebhookAndInbound(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	b := tgClient(t, tb, tgToken)
	target := tb.hook.url("/hooks/telegram")

	ok, err := b.SetWebhook(ctx(t), &bot.SetWebhookParams{URL: target, SecretToken: "s3cr3t-Token_1"})
	require.NoError(t, err)
	require.True(t, ok)
	info, err := b.GetWebhookInfo(ctx(t))
	require.NoError(t, err)
	require.Equal(t, target, info.URL)

	_, err = b.SetWebhook(ctx(t), &bot.SetWebhookParams{URL: target, SecretToken: "bad secret!"})
	require.ErrorIs(t, err, bot.ErrorBadRequest)

	// A contact starts the bot with a deep-link code, by bot username.
	var res InboundResult
	status := tb.jsonDo(t, http.MethodPost, "/_api/inbound", InboundRequest{
		Channel: "telegram", To: "@sb123456789_bot", Text: "/start abc123",
		From: InboundContact{ID: "777000111", Name: "Ana Lima", Username: "ana"},
	}, &res)
	require.Equal(t, http.StatusAccepted, status)

	h := tb.hook.next(t)
	require.Equal(t, "s3cr3t-Token_1", h.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
	var upd models.Update
	require.NoError(t, json.Unmarshal(h.Body, &upd))
	require.NotZero(t, upd.ID)
	require.Equal(t, "/start abc123", upd.Message.Text)
	require.Equal(t, int64(777000111), upd.Message.From.ID)
	require.Equal(t, int64(777000111), upd.Message.Chat.ID)
	require.Equal(t, "Ana", upd.Message.From.FirstName)
	require.Equal(t, "Lima", upd.Message.From.LastName)
	require.Equal(t, "ana", upd.Message.From.Username)
	require.Len(t, upd.Message.Entities, 1)
	require.Equal(t, models.MessageEntityTypeBotCommand, upd.Message.Entities[0].Type)
	require.Equal(t, 6, upd.Message.Entities[0].Length)

	// Replies to that chat now carry the contact's name.
	msg, err := b.SendMessage(ctx(t), &bot.SendMessageParams{ChatID: 777000111, Text: "Welcome"})
	require.NoError(t, err)
	require.Equal(t, "Ana", msg.Chat.FirstName)

	// A photo from the contact, fetched through getFile like the adapter does.
	png := tinyPNG(t)
	status = tb.jsonDo(t, http.MethodPost, "/_api/inbound", InboundRequest{
		Channel: "telegram", To: tgToken, Text: "my receipt",
		From:  InboundContact{ID: "777000111", Name: "Ana Lima"},
		Media: &InboundMedia{Filename: "r.png", ContentType: "image/png", Base64: base64.StdEncoding.EncodeToString(png)},
	}, &res)
	require.Equal(t, http.StatusAccepted, status)
	h = tb.hook.next(t)
	var upd2 models.Update
	require.NoError(t, json.Unmarshal(h.Body, &upd2))
	require.Greater(t, upd2.ID, upd.ID)
	require.Equal(t, "my receipt", upd2.Message.Caption)
	require.NotEmpty(t, upd2.Message.Photo)
	f, err := b.GetFile(ctx(t), &bot.GetFileParams{FileID: upd2.Message.Photo[len(upd2.Message.Photo)-1].FileID})
	require.NoError(t, err)
	resp, err := tb.srv.Client().Get(b.FileDownloadLink(f))
	require.NoError(t, err)
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, png, got)

	// A voice note arrives as voice, a PDF as a document.
	status = tb.jsonDo(t, http.MethodPost, "/_api/inbound", InboundRequest{
		Channel: "telegram", To: tgToken, From: InboundContact{ID: "777000111"},
		Media: &InboundMedia{Filename: "v.ogg", ContentType: "audio/ogg", Base64: base64.StdEncoding.EncodeToString([]byte("OggS...."))},
	}, nil)
	require.Equal(t, http.StatusAccepted, status)
	var upd3 models.Update
	require.NoError(t, json.Unmarshal(tb.hook.next(t).Body, &upd3))
	require.NotNil(t, upd3.Message.Voice)

	ok, err = b.DeleteWebhook(ctx(t), &bot.DeleteWebhookParams{})
	require.NoError(t, err)
	require.True(t, ok)
	status = tb.jsonDo(t, http.MethodPost, "/_api/inbound", InboundRequest{Channel: "telegram", To: tgToken, Text: "x"}, nil)
	require.Equal(t, http.StatusNotFound, status, "no webhook, nowhere to deliver")
}

func TestTelegramUploadLimits(t *testing.T) {
	t.Parallel()
	tb := setup(t)
	b := tgClient(t, tb, tgToken)
	big := bytes.Repeat([]byte{0xff}, tgMaxPhoto+1)
	_, err := b.SendPhoto(ctx(t), &bot.SendPhotoParams{ChatID: 42, Photo: &models.InputFileUpload{Filename: "big.jpg", Data: bytes.NewReader(big)}})
	require.Error(t, err)
	require.True(t, errors.Is(err, bot.ErrorBadRequest) || bytes.Contains([]byte(err.Error()), []byte("413")), err.Error())
}
