// Package telegram talks to the Telegram Bot API with the go-telegram/bot
// library (one bot.Bot per token, built with WithServerURL, WithHTTPClient
// and WithSkipGetMe, kept in a bounded cache), and reads the updates
// Telegram posts to a bot's webhook.
//
// Every failed call returns a *providers.Error (see package providers for
// the error model). Telegram's error body is {"ok":false,"error_code",
// "description","parameters":{"retry_after"}}; the library turns it into
// sentinel errors and *bot.TooManyRequestsError, and the HTTP client given to
// the library records the status and body so that 5xx answers and unreadable
// ones are classified too.
package telegram

import (
	"bytes"
	"container/list"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/switchboard/switchboard/internal/providers"
)

// Provider is the name this adapter gives in errors.
const Provider = "telegram"

// DefaultBaseURL is the Bot API root.
const DefaultBaseURL = "https://api.telegram.org"

// Telegram's published limits.
const (
	MaxCaption    = 1024     // characters of a photo or document caption
	MaxPhotoBytes = 10 << 20 // larger images go as documents
)

// DefaultCacheSize is how many bots a Client keeps built.
const DefaultCacheSize = 1024

// Client calls the Bot API for any number of bots (one token per
// organization's bot). Safe for concurrent use.
type Client struct {
	base string
	hc   *http.Client
	now  func() time.Time

	mu    sync.Mutex
	max   int
	order *list.List               // of *cached, most recently used first
	bots  map[string]*list.Element // by token
}

type cached struct {
	token string
	bot   *bot.Bot
}

// New returns a client for the Bot API at baseURL (DefaultBaseURL when
// empty; in sandbox mode <PUBLIC_BASE_URL>/sandbox/telegram), calling it with
// hc (a providers.NewHTTPClient when nil).
func New(baseURL string, hc *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if hc == nil {
		hc = providers.NewHTTPClient(providers.DefaultTimeout, true)
	}
	return &Client{
		base: strings.TrimRight(baseURL, "/"), hc: hc, now: time.Now,
		max: DefaultCacheSize, order: list.New(), bots: make(map[string]*list.Element),
	}
}

// bot returns the cached bot for token, building it on first use. Building
// one makes no call (WithSkipGetMe), so a bad token shows on first use.
func (c *Client) bot(op, token string) (*bot.Bot, error) {
	if strings.TrimSpace(token) == "" {
		return nil, providers.Errorf(Provider, op, "credentials", "no bot token")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.bots[token]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*cached).bot, nil
	}
	b, err := bot.New(token,
		bot.WithServerURL(c.base),
		bot.WithHTTPClient(c.hc.Timeout, recordingClient{c.hc}),
		bot.WithSkipGetMe(),
		// The library's default handler logs with the standard logger; the
		// errors it would report (closing a pipe) are also returned to us.
		bot.WithErrorsHandler(func(error) {}),
	)
	if err != nil {
		return nil, &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindPermanent,
			Code: "credentials", Reason: err.Error(), Err: err}
	}
	c.bots[token] = c.order.PushFront(&cached{token: token, bot: b})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.bots, last.Value.(*cached).token)
	}
	return b, nil
}

// Bot is what getMe says of a bot.
type Bot struct {
	ID       int64
	Username string
}

// GetMe fetches the bot behind token: the connection check.
func (c *Client) GetMe(ctx context.Context, token string) (Bot, error) {
	const op = "check"
	b, err := c.bot(op, token)
	if err != nil {
		return Bot{}, err
	}
	ctx, rec := record(ctx)
	u, err := b.GetMe(ctx)
	if err != nil {
		return Bot{}, c.callError(op, rec, err)
	}
	return Bot{ID: u.ID, Username: u.Username}, nil
}

// Message is one message to a chat: text, or an attachment with the text as
// its caption.
type Message struct {
	ChatID     int64
	Text       string
	Attachment *providers.Attachment // uploaded from Open(): a photo for images, a document otherwise
}

// Send sends m with sendMessage, sendPhoto or sendDocument. MessageID is
// Telegram's message_id in decimal.
func (c *Client) Send(ctx context.Context, token string, m Message) (providers.Sent, error) {
	const op = "send"
	if m.ChatID == 0 {
		return providers.Sent{}, providers.Errorf(Provider, op, "invalid_message", "no chat id")
	}
	if m.Attachment == nil && m.Text == "" {
		return providers.Sent{}, providers.Errorf(Provider, op, "invalid_message", "no text and no attachment")
	}
	if m.Attachment != nil && utf8.RuneCountInString(m.Text) > MaxCaption {
		return providers.Sent{}, providers.Errorf(Provider, op, "caption_too_long",
			"text with an attachment is its caption, at most %d characters", MaxCaption)
	}
	b, err := c.bot(op, token)
	if err != nil {
		return providers.Sent{}, err
	}
	ctx, rec := record(ctx)
	if m.Attachment == nil {
		msg, err := b.SendMessage(ctx, &bot.SendMessageParams{ChatID: m.ChatID, Text: m.Text})
		if err != nil {
			return providers.Sent{}, c.callError(op, rec, err)
		}
		return providers.Sent{MessageID: strconv.Itoa(msg.ID), Status: rec.status}, nil
	}

	rc, err := providers.OpenAttachment(Provider, op, m.Attachment)
	if err != nil {
		return providers.Sent{}, err
	}
	// The library streams the upload from a goroutine that may still be
	// reading when the answer is back; the lock keeps Close from racing it.
	data := &lockedReader{r: rc}
	defer data.Close()
	file := &models.InputFileUpload{Filename: filename(m.Attachment), Data: data}
	var sent int
	if isPhoto(m.Attachment) {
		msg, err := b.SendPhoto(ctx, &bot.SendPhotoParams{ChatID: m.ChatID, Photo: file, Caption: m.Text})
		if err != nil {
			return providers.Sent{}, c.callError(op, rec, err)
		}
		sent = msg.ID
	} else {
		msg, err := b.SendDocument(ctx, &bot.SendDocumentParams{ChatID: m.ChatID, Document: file, Caption: m.Text})
		if err != nil {
			return providers.Sent{}, c.callError(op, rec, err)
		}
		sent = msg.ID
	}
	return providers.Sent{MessageID: strconv.Itoa(sent), Status: rec.status}, nil
}

// isPhoto says whether a goes as a photo. Telegram recompresses photos and
// refuses them over 10 MB; GIFs would lose their animation and SVGs aren't
// accepted, so those go as documents.
func isPhoto(a *providers.Attachment) bool {
	ct := strings.ToLower(a.ContentType)
	return strings.HasPrefix(ct, "image/") && ct != "image/gif" && ct != "image/svg+xml" && a.Size <= MaxPhotoBytes
}

func filename(a *providers.Attachment) string {
	if a.Filename != "" {
		return a.Filename
	}
	return "file"
}

// SetWebhook points the bot's updates at url; Telegram sends secret in
// X-Telegram-Bot-Api-Secret-Token with each one (see VerifySecret).
func (c *Client) SetWebhook(ctx context.Context, token, url, secret string) error {
	const op = "set_webhook"
	b, err := c.bot(op, token)
	if err != nil {
		return err
	}
	ctx, rec := record(ctx)
	ok, err := b.SetWebhook(ctx, &bot.SetWebhookParams{URL: url, SecretToken: secret, AllowedUpdates: []string{"message"}})
	if err != nil {
		return c.callError(op, rec, err)
	}
	if !ok {
		return &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindPermanent, Status: rec.status,
			Code: "bad_response", Reason: "setWebhook answered false"}
	}
	return nil
}

// DownloadFile fetches a file a contact sent: getFile, then GET
// <base>/file/bot<token>/<file_path>. The caller closes the reader. The
// content type is the server's, or guessed from the file's extension when the
// server only says application/octet-stream (as Telegram does).
func (c *Client) DownloadFile(ctx context.Context, token, fileID string) (io.ReadCloser, string, error) {
	const op = "get_file"
	b, err := c.bot(op, token)
	if err != nil {
		return nil, "", err
	}
	rctx, rec := record(ctx)
	f, err := b.GetFile(rctx, &bot.GetFileParams{FileID: fileID})
	if err != nil {
		return nil, "", c.callError(op, rec, err)
	}
	if f.FilePath == "" {
		return nil, "", providers.Errorf(Provider, op, "bad_response", "getFile gave no file_path")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.FileDownloadLink(f), nil)
	if err != nil {
		return nil, "", providers.Errorf(Provider, op, "bad_request", "building download request: %s", scrub(err.Error(), token))
	}
	res, err := c.hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = scrub(ue.URL, token)
		}
		return nil, "", providers.TransportError(Provider, op, err)
	}
	if res.StatusCode != http.StatusOK {
		body := providers.ReadErrorBody(res.Body)
		res.Body.Close()
		return nil, "", c.answerError(op, res.StatusCode, res.Header, body)
	}
	ct := res.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || mt == "application/octet-stream" {
		if guess := mime.TypeByExtension(path.Ext(f.FilePath)); guess != "" {
			ct = guess
		} else if ct == "" {
			ct = "application/octet-stream"
		}
	}
	return res.Body, ct, nil
}

// VerifySecret compares the X-Telegram-Bot-Api-Secret-Token header with the
// secret given to SetWebhook, in constant time. An empty secret never matches.
// (The library's own webhook handler answers 200 to a wrong secret, so ours
// does the check.)
func VerifySecret(expected, got string) bool {
	return expected != "" && subtle.ConstantTimeCompare([]byte(expected), []byte(got)) == 1
}

// SecretHeader carries the webhook secret on each update.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// recordKey finds the recorder of a call in its request's context.
type recordKey struct{}

// recorder keeps what the HTTP client saw of an answer.
type recorder struct {
	status int
	header http.Header
	body   []byte // of error answers only
}

func record(ctx context.Context) (context.Context, *recorder) {
	rec := &recorder{}
	return context.WithValue(ctx, recordKey{}, rec), rec
}

// recordingClient is the bot.HttpClient given to the library: it records
// status and headers, and keeps a copy of error bodies, for callError.
type recordingClient struct{ hc *http.Client }

// Do implements bot.HttpClient.
func (rc recordingClient) Do(req *http.Request) (*http.Response, error) {
	res, err := rc.hc.Do(req)
	rec, _ := req.Context().Value(recordKey{}).(*recorder)
	if err != nil || rec == nil {
		return res, err
	}
	rec.status = res.StatusCode
	rec.header = res.Header
	if res.StatusCode >= 300 {
		rec.body = providers.ReadErrorBody(res.Body)
		res.Body.Close()
		res.Body = io.NopCloser(bytes.NewReader(rec.body))
	}
	return res, nil
}

// apiError is Telegram's error body.
type apiError struct {
	OK          bool   `json:"ok"`
	ErrorCode   int    `json:"error_code"`
	Description string `json:"description"`
	Parameters  struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// callError maps an error of the library, with what the HTTP client
// recorded, to a *providers.Error.
func (c *Client) callError(op string, rec *recorder, err error) *providers.Error {
	var tmr *bot.TooManyRequestsError
	if errors.As(err, &tmr) {
		e := &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindRateLimited, Status: http.StatusTooManyRequests,
			Code: "429", Reason: tmr.Message, RetryAfter: time.Duration(tmr.RetryAfter) * time.Second, Err: err}
		if rec.status != 0 {
			e.Status = rec.status
		}
		var ae apiError
		if json.Unmarshal(rec.body, &ae) == nil && ae.Description != "" {
			e.Reason = ae.Description
		}
		if e.RetryAfter == 0 && rec.header != nil {
			e.RetryAfter = providers.ParseRetryAfter(rec.header.Get("Retry-After"), c.now())
		}
		return e
	}
	if rec.status == 0 {
		return providers.TransportError(Provider, op, err)
	}
	if rec.status < 300 {
		// A 2xx the library could not use (an unreadable body, or ok:false,
		// which Telegram itself never sends with 200). The request may have
		// worked, so retrying could duplicate it.
		return &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindPermanent, Status: rec.status,
			Code: "bad_response", Reason: err.Error(), Err: err}
	}
	e := c.answerError(op, rec.status, rec.header, rec.body)
	e.Err = err
	var me *bot.MigrateError
	if errors.As(err, &me) {
		e.Reason += " (the group became a supergroup: chat id " + strconv.Itoa(me.MigrateToChatID) + ")"
	}
	return e
}

// answerError reads an error answer of the Bot API (or of the file server).
func (c *Client) answerError(op string, status int, h http.Header, body []byte) *providers.Error {
	e := &providers.Error{Provider: Provider, Operation: op, Kind: providers.Classify(status, nil), Status: status}
	var ae apiError
	if json.Unmarshal(body, &ae) == nil && (ae.ErrorCode != 0 || ae.Description != "") {
		e.Reason = ae.Description
		if ae.ErrorCode != 0 {
			e.Code = strconv.Itoa(ae.ErrorCode)
		}
		if e.Kind == providers.KindRateLimited {
			e.RetryAfter = time.Duration(ae.Parameters.RetryAfter) * time.Second
		}
	} else {
		e.Reason = providers.Snippet(body)
	}
	if e.Reason == "" {
		e.Reason = http.StatusText(status)
	}
	if e.Kind == providers.KindRateLimited && e.RetryAfter == 0 && h != nil {
		e.RetryAfter = providers.ParseRetryAfter(h.Get("Retry-After"), c.now())
	}
	return e
}

// scrub hides the bot token in a URL or message.
func scrub(s, token string) string {
	if token == "" {
		return s
	}
	return strings.ReplaceAll(s, token, "***")
}

// lockedReader serializes Read and Close, and reads nothing after Close.
type lockedReader struct {
	mu     sync.Mutex
	r      io.ReadCloser
	closed bool
}

// Read implements io.Reader.
func (l *lockedReader) Read(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return 0, io.ErrClosedPipe
	}
	return l.r.Read(p)
}

// Close implements io.Closer; it is safe to call more than once.
func (l *lockedReader) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	return l.r.Close()
}
