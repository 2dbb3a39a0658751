package telegram_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/providers/telegram"
)

const (
	textUpdate     = `{"update_id":10000,"message":{"message_id":1365,"from":{"id":1111111,"is_bot":false,"first_name":"Ada","last_name":"Lovelace","username":"ada","language_code":"en"},"chat":{"id":1111111,"first_name":"Ada","last_name":"Lovelace","username":"ada","type":"private"},"date":1441645532,"text":"Hello there"}}`
	startUpdate    = `{"update_id":10001,"message":{"message_id":1,"from":{"id":1111111,"is_bot":false,"first_name":"Ada"},"chat":{"id":1111111,"type":"private"},"date":1441645532,"text":"/start c_8f3a2b","entities":[{"offset":0,"length":6,"type":"bot_command"}]}}`
	photoUpdate    = `{"update_id":10002,"message":{"message_id":7,"from":{"id":1111111,"is_bot":false,"first_name":"Ada"},"chat":{"id":1111111,"type":"private"},"date":1441645532,"photo":[{"file_id":"AgAD-small","file_unique_id":"s","file_size":1404,"width":90,"height":67},{"file_id":"AgAD-large","file_unique_id":"l","file_size":93271,"width":1280,"height":960},{"file_id":"AgAD-medium","file_unique_id":"m","file_size":23143,"width":320,"height":240}],"caption":"my receipt"}}`
	documentUpdate = `{"update_id":10003,"message":{"message_id":8,"from":{"id":1111111,"is_bot":false,"first_name":"Ada"},"chat":{"id":-1001234567890,"title":"Support","type":"supergroup"},"date":1441645532,"document":{"file_name":"invoice.pdf","mime_type":"application/pdf","file_id":"BQACAgIAAxkBAAIC","file_unique_id":"AgADx","file_size":52913}}}`
	voiceUpdate    = `{"update_id":10004,"message":{"message_id":9,"from":{"id":1111111,"is_bot":false,"first_name":"Ada"},"chat":{"id":1111111,"type":"private"},"date":1441645532,"voice":{"duration":3,"mime_type":"audio/ogg","file_id":"AwACAgIAAxkBAAID","file_unique_id":"AgADy","file_size":9317}}}`
	videoUpdate    = `{"update_id":10005,"message":{"message_id":10,"chat":{"id":1111111,"type":"private"},"date":1441645532,"video":{"duration":5,"width":640,"height":360,"file_name":"clip.mp4","mime_type":"video/mp4","file_id":"BAACAgIAAxkBAAIE","file_unique_id":"AgADz","file_size":120000}}}`
	audioUpdate    = `{"update_id":10006,"message":{"message_id":11,"from":{"id":1111111,"is_bot":false,"first_name":"Ada"},"chat":{"id":1111111,"type":"private"},"date":1441645532,"audio":{"duration":180,"performer":"Band","title":"Song","file_name":"song.mp3","mime_type":"audio/mpeg","file_id":"CQACAgIAAxkBAAIF","file_unique_id":"AgADw","file_size":4000000}}}`
	callbackUpdate = `{"update_id":10007,"callback_query":{"id":"4382bfdwdsb323b2d9","from":{"id":1111111,"is_bot":false,"first_name":"Ada"},"data":"yes","chat_instance":"-1"}}`
)

func TestParseUpdate(t *testing.T) {
	t.Parallel()

	at := time.Unix(1441645532, 0).UTC()
	tests := []struct {
		name    string
		body    string
		want    telegram.Update
		wantErr error
	}{
		{"text", textUpdate, telegram.Update{UpdateID: 10000, MessageID: 1365, ChatID: 1111111, FromID: 1111111,
			Username: "ada", FirstName: "Ada", LastName: "Lovelace", Text: "Hello there", Date: at}, nil},
		{"start code", startUpdate, telegram.Update{UpdateID: 10001, MessageID: 1, ChatID: 1111111, FromID: 1111111,
			FirstName: "Ada", Text: "/start c_8f3a2b", Date: at, StartCode: "c_8f3a2b"}, nil},
		{"photo keeps the largest size", photoUpdate, telegram.Update{UpdateID: 10002, MessageID: 7, ChatID: 1111111, FromID: 1111111,
			FirstName: "Ada", Text: "my receipt", Date: at, Media: &telegram.Media{Kind: "photo", FileID: "AgAD-large", MimeType: "image/jpeg"}}, nil},
		{"document in a group", documentUpdate, telegram.Update{UpdateID: 10003, MessageID: 8, ChatID: -1001234567890, FromID: 1111111,
			FirstName: "Ada", Date: at, Media: &telegram.Media{Kind: "document", FileID: "BQACAgIAAxkBAAIC", FileName: "invoice.pdf", MimeType: "application/pdf"}}, nil},
		{"voice", voiceUpdate, telegram.Update{UpdateID: 10004, MessageID: 9, ChatID: 1111111, FromID: 1111111,
			FirstName: "Ada", Date: at, Media: &telegram.Media{Kind: "voice", FileID: "AwACAgIAAxkBAAID", MimeType: "audio/ogg"}}, nil},
		{"video without sender", videoUpdate, telegram.Update{UpdateID: 10005, MessageID: 10, ChatID: 1111111, Date: at,
			Media: &telegram.Media{Kind: "video", FileID: "BAACAgIAAxkBAAIE", FileName: "clip.mp4", MimeType: "video/mp4"}}, nil},
		{"audio", audioUpdate, telegram.Update{UpdateID: 10006, MessageID: 11, ChatID: 1111111, FromID: 1111111, FirstName: "Ada", Date: at,
			Media: &telegram.Media{Kind: "audio", FileID: "CQACAgIAAxkBAAIF", FileName: "song.mp3", MimeType: "audio/mpeg"}}, nil},
		{"callback query", callbackUpdate, telegram.Update{UpdateID: 10007}, telegram.ErrNotMessage},
		{"no update_id", `{"message":{"message_id":1,"chat":{"id":1}}}`, telegram.Update{}, telegram.ErrBadUpdate},
		{"message without chat", `{"update_id":5,"message":{"message_id":1,"text":"x"}}`, telegram.Update{UpdateID: 5}, telegram.ErrBadUpdate},
		{"not json", `update_id=1`, telegram.Update{}, telegram.ErrBadUpdate},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := telegram.ParseUpdate([]byte(tt.body))
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestStartCode(t *testing.T) {
	t.Parallel()

	tests := map[string]string{
		"/start abc":          "abc",
		"/start@shop_bot abc": "abc",
		"/start":              "",
		"/start  abc  extra":  "abc",
		"/started abc":        "",
		"hello /start abc":    "",
		"/help abc":           "",
	}
	for text, want := range tests {
		body := `{"update_id":1,"message":{"message_id":1,"chat":{"id":1},"date":1,"text":` + quote(text) + `}}`
		u, err := telegram.ParseUpdate([]byte(body))
		require.NoError(t, err)
		require.Equal(t, want, u.StartCode, text)
	}
}

func quote(s string) string { return `"` + s + `"` }

func FuzzParseUpdate(f *testing.F) {
	for _, s := range []string{textUpdate, startUpdate, photoUpdate, documentUpdate, voiceUpdate, videoUpdate, audioUpdate, callbackUpdate,
		`{"update_id":1,"message":{"chat":{"id":1},"photo":[{"file_id":"","width":-1,"height":9223372036854775807}]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := telegram.ParseUpdate(body)
		if err != nil {
			return
		}
		if u.ChatID == 0 {
			t.Fatalf("message update without a chat: %+v", u)
		}
		if u.Media != nil && u.Media.FileID == "" {
			t.Fatalf("media without file id: %+v", u.Media)
		}
	})
}
