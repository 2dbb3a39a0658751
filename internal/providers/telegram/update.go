package telegram

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Media is a file attached to an inbound message; fetch it with
// DownloadFile(FileID).
type Media struct {
	Kind     string // photo, document, voice, video, audio
	FileID   string
	FileName string
	MimeType string
}

// Update is an inbound message update posted to a bot's webhook.
type Update struct {
	UpdateID  int64 // unique per bot: the idempotency key
	MessageID int64
	ChatID    int64 // where replies go
	FromID    int64
	Username  string
	FirstName string
	LastName  string
	Text      string // the text, or the caption of a media message
	Date      time.Time
	Media     *Media
	StartCode string // set when Text is "/start <code>" (a deep link t.me/<bot>?start=<code>)
}

// Errors of ParseUpdate.
var (
	ErrBadUpdate  = errors.New("telegram: update is not valid JSON with an update_id")
	ErrNotMessage = errors.New("telegram: update carries no message") // callback queries, chat member changes...: acknowledge and skip
)

type wireUpdate struct {
	UpdateID *int64       `json:"update_id"`
	Message  *wireMessage `json:"message"`
}

type wireMessage struct {
	MessageID int64 `json:"message_id"`
	From      *struct {
		ID        int64  `json:"id"`
		Username  string `json:"username"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
	} `json:"from"`
	Chat struct {
		ID int64 `json:"id"`
	} `json:"chat"`
	Date      int64       `json:"date"`
	Text      string      `json:"text"`
	Caption   string      `json:"caption"`
	Photo     []wirePhoto `json:"photo"`
	Document  *wireFile   `json:"document"`
	Video     *wireFile   `json:"video"`
	VideoNote *wireFile   `json:"video_note"`
	Voice     *wireFile   `json:"voice"`
	Audio     *wireFile   `json:"audio"`
}

type wirePhoto struct {
	FileID   string `json:"file_id"`
	Width    int64  `json:"width"`
	Height   int64  `json:"height"`
	FileSize int64  `json:"file_size"`
}

type wireFile struct {
	FileID   string `json:"file_id"`
	FileName string `json:"file_name"`
	MimeType string `json:"mime_type"`
}

// ParseUpdate reads an update. Only "message" updates are read; any other
// comes back with its UpdateID and ErrNotMessage. Of a photo, the largest
// size is kept.
func ParseUpdate(body []byte) (Update, error) {
	var w wireUpdate
	if err := json.Unmarshal(body, &w); err != nil {
		return Update{}, fmt.Errorf("%w: %w", ErrBadUpdate, err)
	}
	if w.UpdateID == nil {
		return Update{}, ErrBadUpdate
	}
	u := Update{UpdateID: *w.UpdateID}
	m := w.Message
	if m == nil {
		return u, ErrNotMessage
	}
	if m.Chat.ID == 0 {
		return u, fmt.Errorf("%w: message without a chat", ErrBadUpdate)
	}
	u.MessageID = m.MessageID
	u.ChatID = m.Chat.ID
	if m.From != nil {
		u.FromID, u.Username, u.FirstName, u.LastName = m.From.ID, m.From.Username, m.From.FirstName, m.From.LastName
	}
	u.Date = time.Unix(m.Date, 0).UTC()
	u.Text = m.Text
	if u.Text == "" {
		u.Text = m.Caption
	}
	u.Media = media(m)
	u.StartCode = startCode(m.Text)
	return u, nil
}

func media(m *wireMessage) *Media {
	if p := largest(m.Photo); p != nil {
		return &Media{Kind: "photo", FileID: p.FileID, MimeType: "image/jpeg"}
	}
	for _, f := range []struct {
		kind string
		file *wireFile
	}{{"document", m.Document}, {"video", m.Video}, {"video", m.VideoNote}, {"voice", m.Voice}, {"audio", m.Audio}} {
		if f.file != nil && f.file.FileID != "" {
			return &Media{Kind: f.kind, FileID: f.file.FileID, FileName: f.file.FileName, MimeType: f.file.MimeType}
		}
	}
	return nil
}

// largest picks the biggest of the sizes Telegram sends of a photo.
func largest(sizes []wirePhoto) *wirePhoto {
	var best *wirePhoto
	for i := range sizes {
		p := &sizes[i]
		if p.FileID == "" {
			continue
		}
		if best == nil || p.Width*p.Height > best.Width*best.Height ||
			(p.Width*p.Height == best.Width*best.Height && p.FileSize > best.FileSize) {
			best = p
		}
	}
	return best
}

// startCode reads the payload of "/start <code>" or "/start@bot <code>".
func startCode(text string) string {
	fields := strings.Fields(text)
	if len(fields) < 2 {
		return ""
	}
	cmd := fields[0]
	if i := strings.IndexByte(cmd, '@'); i >= 0 {
		cmd = cmd[:i]
	}
	if cmd != "/start" {
		return ""
	}
	return fields[1]
}
