package telegram_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/providers"
	"github.com/switchboard/switchboard/internal/providers/telegram"
)

const token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

// request is what the fake Bot API saw of one call.
type request struct {
	method string
	fields map[string]string
	file   struct{ field, name, data string }
}

// fakeAPI answers Bot API methods with answer(method) and records requests.
func fakeAPI(t *testing.T, answer func(method string) (int, string)) (*httptest.Server, func() []request) {
	t.Helper()
	var mu sync.Mutex
	var reqs []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		prefix := "/bot" + token + "/"
		if !strings.HasPrefix(r.URL.Path, prefix) {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"ok":false,"error_code":404,"description":"Not Found"}`)
			return
		}
		req := request{method: strings.TrimPrefix(r.URL.Path, prefix), fields: map[string]string{}}
		if err := r.ParseMultipartForm(1 << 20); err == nil {
			for k, v := range r.MultipartForm.Value {
				req.fields[k] = v[0]
			}
			for k, fhs := range r.MultipartForm.File {
				f, _ := fhs[0].Open()
				b, _ := io.ReadAll(f)
				req.file.field, req.file.name, req.file.data = k, fhs[0].Filename, string(b)
			}
		}
		mu.Lock()
		reqs = append(reqs, req)
		mu.Unlock()
		status, body := answer(req.method)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []request {
		mu.Lock()
		defer mu.Unlock()
		return append([]request(nil), reqs...)
	}
}

const sentMessage = `{"ok":true,"result":{"message_id":42,"from":{"id":123456789,"is_bot":true,"first_name":"Shop","username":"shop_bot"},"chat":{"id":987654321,"first_name":"Ada","type":"private"},"date":1700000000,"text":"hi"}}`

func attachment(name, ct, data string) *providers.Attachment {
	return &providers.Attachment{Filename: name, ContentType: ct, Size: int64(len(data)),
		Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(data)), nil }}
}

func TestSend(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name       string
		msg        telegram.Message
		method     string
		fileField  string
		wantFields map[string]string
	}{
		{"text", telegram.Message{ChatID: 987654321, Text: "hi"}, "sendMessage", "",
			map[string]string{"chat_id": "987654321", "text": "hi"}},
		{"photo", telegram.Message{ChatID: 987654321, Text: "look", Attachment: attachment("cat.png", "image/png", "PNG...")}, "sendPhoto", "photo",
			map[string]string{"chat_id": "987654321", "caption": "look"}},
		{"document", telegram.Message{ChatID: -100123, Attachment: attachment("invoice.pdf", "application/pdf", "%PDF")}, "sendDocument", "document",
			map[string]string{"chat_id": "-100123"}},
		{"gif goes as document", telegram.Message{ChatID: 1, Attachment: attachment("a.gif", "image/gif", "GIF89a")}, "sendDocument", "document",
			map[string]string{"chat_id": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, seen := fakeAPI(t, func(string) (int, string) { return 200, sentMessage })
			sent, err := telegram.New(srv.URL, nil).Send(context.Background(), token, tt.msg)
			require.NoError(t, err)
			require.Equal(t, providers.Sent{MessageID: "42", Status: 200}, sent)
			reqs := seen()
			require.Len(t, reqs, 1)
			require.Equal(t, tt.method, reqs[0].method)
			require.Equal(t, tt.wantFields, reqs[0].fields)
			if tt.fileField != "" {
				require.Equal(t, tt.fileField, reqs[0].file.field)
				require.Equal(t, tt.msg.Attachment.Filename, reqs[0].file.name)
				require.NotEmpty(t, reqs[0].file.data)
			}
		})
	}
}

func TestSendRefusesBeforeCalling(t *testing.T) {
	t.Parallel()

	c := telegram.New("http://127.0.0.1:1", nil)
	tests := []struct {
		name  string
		token string
		msg   telegram.Message
		code  string
	}{
		{"no token", "", telegram.Message{ChatID: 1, Text: "x"}, "credentials"},
		{"no chat", token, telegram.Message{Text: "x"}, "invalid_message"},
		{"nothing to send", token, telegram.Message{ChatID: 1}, "invalid_message"},
		{"caption too long", token, telegram.Message{ChatID: 1, Text: strings.Repeat("é", telegram.MaxCaption+1), Attachment: attachment("a.pdf", "application/pdf", "x")}, "caption_too_long"},
		{"attachment without content", token, telegram.Message{ChatID: 1, Attachment: &providers.Attachment{Filename: "a"}}, "attachment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := c.Send(context.Background(), tt.token, tt.msg)
			pe, ok := providers.AsError(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, providers.KindPermanent, pe.Kind)
			require.Equal(t, tt.code, pe.Code)
		})
	}
}

func TestErrorClassification(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name       string
		status     int
		body       string
		kind       providers.Kind
		code       string
		reason     string
		retryAfter time.Duration
	}{
		{"400 chat not found", 400, `{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}`,
			providers.KindPermanent, "400", "Bad Request: chat not found", 0},
		{"400 migrated", 400, `{"ok":false,"error_code":400,"description":"Bad Request: group chat was upgraded to a supergroup chat","parameters":{"migrate_to_chat_id":-1001234567890}}`,
			providers.KindPermanent, "400", "Bad Request: group chat was upgraded to a supergroup chat (the group became a supergroup: chat id -1001234567890)", 0},
		{"401", 401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, providers.KindPermanent, "401", "Unauthorized", 0},
		{"403 blocked", 403, `{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}`,
			providers.KindPermanent, "403", "Forbidden: bot was blocked by the user", 0},
		{"404", 404, `{"ok":false,"error_code":404,"description":"Not Found"}`, providers.KindPermanent, "404", "Not Found", 0},
		{"429", 429, `{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 35","parameters":{"retry_after":35}}`,
			providers.KindRateLimited, "429", "Too Many Requests: retry after 35", 35 * time.Second},
		{"500", 500, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`, providers.KindRetryable, "500", "Internal Server Error", 0},
		{"502 html", 502, `<html><body><h1>502 Bad Gateway</h1></body></html>`, providers.KindRetryable, "", "<html><body><h1>502 Bad Gateway</h1></body></html>", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, _ := fakeAPI(t, func(string) (int, string) { return tt.status, tt.body })
			_, err := telegram.New(srv.URL, nil).Send(context.Background(), token, telegram.Message{ChatID: 1, Text: "hi"})
			pe, ok := providers.AsError(err)
			require.True(t, ok, "%v", err)
			require.Equal(t, "telegram", pe.Provider)
			require.Equal(t, tt.kind, pe.Kind)
			require.Equal(t, tt.status, pe.Status)
			require.Equal(t, tt.code, pe.Code)
			require.Equal(t, tt.reason, pe.Reason)
			require.Equal(t, tt.retryAfter, pe.RetryAfter)
			require.NotContains(t, pe.Error(), token)
		})
	}
}

func TestTransportErrors(t *testing.T) {
	t.Parallel()

	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}))
		t.Cleanup(srv.Close)
		_, err := telegram.New(srv.URL, providers.NewHTTPClient(50*time.Millisecond, true)).
			Send(context.Background(), token, telegram.Message{ChatID: 1, Text: "hi"})
		pe, ok := providers.AsError(err)
		require.True(t, ok)
		require.Equal(t, providers.KindRetryable, pe.Kind)
		require.Zero(t, pe.Status)
		require.True(t, providers.IsTimeout(err), "%v", err)
		require.NotContains(t, pe.Error(), token)
	})

	t.Run("connection refused", func(t *testing.T) {
		t.Parallel()
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		_, err := telegram.New(url, nil).GetMe(context.Background(), token)
		pe, ok := providers.AsError(err)
		require.True(t, ok)
		require.Equal(t, providers.KindRetryable, pe.Kind)
		require.Equal(t, "check", pe.Operation)
		require.NotContains(t, pe.Error(), token)
	})
}

func TestGetMe(t *testing.T) {
	t.Parallel()

	srv, _ := fakeAPI(t, func(string) (int, string) {
		return 200, `{"ok":true,"result":{"id":123456789,"is_bot":true,"first_name":"Shop","username":"shop_bot","can_join_groups":true}}`
	})
	b, err := telegram.New(srv.URL, nil).GetMe(context.Background(), token)
	require.NoError(t, err)
	require.Equal(t, telegram.Bot{ID: 123456789, Username: "shop_bot"}, b)
}

func TestSetWebhook(t *testing.T) {
	t.Parallel()

	srv, seen := fakeAPI(t, func(string) (int, string) { return 200, `{"ok":true,"result":true,"description":"Webhook was set"}` })
	err := telegram.New(srv.URL, nil).SetWebhook(context.Background(), token, "https://app.example.com/api/callbacks/telegram/7", "s3cr3t_token")
	require.NoError(t, err)
	reqs := seen()
	require.Len(t, reqs, 1)
	require.Equal(t, "setWebhook", reqs[0].method)
	require.Equal(t, "https://app.example.com/api/callbacks/telegram/7", reqs[0].fields["url"])
	require.Equal(t, "s3cr3t_token", reqs[0].fields["secret_token"])
	require.Equal(t, `["message"]`, reqs[0].fields["allowed_updates"])

	srv, _ = fakeAPI(t, func(string) (int, string) {
		return 400, `{"ok":false,"error_code":400,"description":"Bad Request: bad webhook: HTTPS url must be provided for webhook"}`
	})
	err = telegram.New(srv.URL, nil).SetWebhook(context.Background(), token, "http://insecure", "s")
	pe, ok := providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, "set_webhook", pe.Operation)
	require.Equal(t, providers.KindPermanent, pe.Kind)
}

func TestDownloadFile(t *testing.T) {
	t.Parallel()

	mux := http.NewServeMux()
	mux.HandleFunc("/bot"+token+"/getFile", func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseMultipartForm(1<<20))
		switch r.FormValue("file_id") {
		case "AgACAgIAAxkBAAIB":
			_, _ = io.WriteString(w, `{"ok":true,"result":{"file_id":"AgACAgIAAxkBAAIB","file_unique_id":"AQADa","file_size":5,"file_path":"photos/file_0.jpg"}}`)
		case "gone":
			_, _ = io.WriteString(w, `{"ok":true,"result":{"file_id":"gone","file_unique_id":"x","file_path":"documents/file_9.pdf"}}`)
		default:
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"ok":false,"error_code":400,"description":"Bad Request: invalid file_id"}`)
		}
	})
	mux.HandleFunc("/file/bot"+token+"/photos/file_0.jpg", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = io.WriteString(w, "JPEG!")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c := telegram.New(srv.URL, nil)

	rc, ct, err := c.DownloadFile(context.Background(), token, "AgACAgIAAxkBAAIB")
	require.NoError(t, err)
	data, err := io.ReadAll(rc)
	require.NoError(t, err)
	rc.Close()
	require.Equal(t, "JPEG!", string(data))
	require.Equal(t, "image/jpeg", ct)

	_, _, err = c.DownloadFile(context.Background(), token, "nope")
	pe, ok := providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, "get_file", pe.Operation)
	require.Equal(t, "Bad Request: invalid file_id", pe.Reason)

	_, _, err = c.DownloadFile(context.Background(), token, "gone")
	pe, ok = providers.AsError(err)
	require.True(t, ok)
	require.Equal(t, 404, pe.Status)
	require.Equal(t, providers.KindPermanent, pe.Kind)
	require.NotContains(t, pe.Error(), token)
}

func TestVerifySecret(t *testing.T) {
	t.Parallel()
	require.True(t, telegram.VerifySecret("abc_DEF-123", "abc_DEF-123"))
	require.False(t, telegram.VerifySecret("abc_DEF-123", "abc_DEF-124"))
	require.False(t, telegram.VerifySecret("abc_DEF-123", ""))
	require.False(t, telegram.VerifySecret("", ""))
}
