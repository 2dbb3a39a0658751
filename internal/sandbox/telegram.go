package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Telegram's published limits the sandbox enforces.
const (
	tgMaxText       = 4096
	tgMaxCaption    = 1024
	tgMaxPhoto      = 10 << 20
	tgMaxUpload     = 50 << 20
	tgMaxURLFetch   = 20 << 20
	tgMaxGetFile    = 20 << 20
	tgMaxMemory     = 32 << 20
	tgThumbnailSide = 320
)

// tgMediaMethods maps the send methods that carry a file to their field.
var tgMediaMethods = map[string]string{
	"sendphoto": "photo", "senddocument": "document", "sendvideo": "video",
	"sendaudio": "audio", "sendvoice": "voice",
}

// tgDirs are the file_path folders Telegram uses per kind.
var tgDirs = map[string]string{
	"photo": "photos", "document": "documents", "video": "videos", "audio": "music", "voice": "voice",
}

// telegram routes /telegram/bot<token>/<method> and
// /telegram/file/bot<token>/<path>. The mux cannot: "bot<token>" is half
// a path segment.
func (s *Sandbox) telegram(w http.ResponseWriter, r *http.Request) {
	rest := strings.TrimPrefix(r.URL.Path, "/telegram/")
	if p, ok := strings.CutPrefix(rest, "file/bot"); ok {
		token, filePath, _ := strings.Cut(p, "/")
		s.tgDownload(w, r, token, filePath)
		return
	}
	p, ok := strings.CutPrefix(rest, "bot")
	token, method, _ := strings.Cut(p, "/")
	method = strings.ToLower(strings.TrimPrefix(method, "test/"))
	if !ok || token == "" || method == "" {
		tgError(w, http.StatusNotFound, "Not Found", 0)
		return
	}
	// Parameters first: see bufferBody for why the latency waits.
	params, err := tgParse(w, r)
	if params != nil {
		defer params.cleanup()
	}
	b, ok := s.begin(r.Context(), ProviderTelegram)
	if !ok {
		return
	}
	st := s.stats[ProviderTelegram]
	if strings.Contains(strings.ToLower(token), "invalid") {
		st.rejected.Add(1)
		tgError(w, http.StatusUnauthorized, "Unauthorized", 0)
		return
	}
	if err != nil {
		st.rejected.Add(1)
		if errors.As(err, new(*http.MaxBytesError)) {
			tgError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large", 0)
			return
		}
		tgError(w, http.StatusBadRequest, "Bad Request: "+err.Error(), 0)
		return
	}

	var mg magic
	chatID := params.get("chat_id")
	if strings.HasPrefix(method, "send") {
		mg = magicOf(chatID)
	}
	if s.tgFault(w, b, mg) {
		return
	}
	bot := tgBotFor(token)
	switch method {
	case "getme":
		tgOK(w, bot.user())
	case "sendmessage":
		s.tgSendMessage(w, bot, params, mg)
	case "sendphoto", "senddocument", "sendvideo", "sendaudio", "sendvoice":
		s.tgSendMedia(w, r, bot, tgMediaMethods[method], params, mg)
	case "setwebhook":
		s.tgSetWebhook(w, token, bot, params)
	case "deletewebhook":
		s.tgDeleteWebhook(w, token)
	case "getwebhookinfo":
		s.tgWebhookInfo(w, token)
	case "getfile":
		s.tgGetFile(w, params)
	default:
		st.rejected.Add(1)
		tgError(w, http.StatusNotFound, "Not Found", 0)
	}
}

// tgOK answers {"ok":true,"result":...}.
func tgOK(w http.ResponseWriter, result any) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

// tgError answers Telegram's error body, with retry_after for 429s.
func tgError(w http.ResponseWriter, status int, description string, retryAfter int) {
	body := map[string]any{"ok": false, "error_code": status, "description": description}
	if retryAfter > 0 {
		body["parameters"] = map[string]int{"retry_after": retryAfter}
	}
	writeJSON(w, status, body)
}

func (s *Sandbox) tgFault(w http.ResponseWriter, b Behaviour, m magic) bool {
	switch s.injected(b, m) {
	case faultRateLimit:
		s.stats[ProviderTelegram].rateLimited.Add(1)
		wait := max(1, b.RetryAfterS)
		tgError(w, http.StatusTooManyRequests, fmt.Sprintf("Too Many Requests: retry after %d", wait), wait)
		return true
	case faultServer:
		s.stats[ProviderTelegram].serverErrors.Add(1)
		status := s.serverStatus(m)
		tgError(w, status, http.StatusText(status), 0)
		return true
	}
	return false
}

// tgParams are a Bot API call's parameters, which may come in the query,
// as a urlencoded or multipart form, or as JSON: Telegram takes them all.
type tgParams struct {
	values map[string]string
	form   *multipart.Form
}

func (p *tgParams) get(k string) string { return p.values[k] }

func (p *tgParams) file(k string) *multipart.FileHeader {
	if p.form == nil || len(p.form.File[k]) == 0 {
		return nil
	}
	return p.form.File[k][0]
}

func (p *tgParams) cleanup() {
	if p.form != nil {
		_ = p.form.RemoveAll()
	}
}

func tgParse(w http.ResponseWriter, r *http.Request) (*tgParams, error) {
	p := &tgParams{values: map[string]string{}}
	for k, vs := range r.URL.Query() {
		p.values[k] = vs[0]
	}
	r.Body = http.MaxBytesReader(w, r.Body, tgMaxUpload+1<<20)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		// go-telegram/bot sends a multipart body even for calls without
		// parameters (getMe), and then an empty one: no parts is fine.
		if err := r.ParseMultipartForm(tgMaxMemory); err != nil && !errors.Is(err, io.EOF) {
			if errors.As(err, new(*http.MaxBytesError)) {
				return nil, err
			}
			return nil, errors.New("can't parse request body")
		}
		if r.MultipartForm != nil {
			p.form = r.MultipartForm
			for k, vs := range r.MultipartForm.Value {
				p.values[k] = vs[0]
			}
		}
	case "application/x-www-form-urlencoded":
		if err := r.ParseForm(); err != nil {
			return nil, errors.New("can't parse request body")
		}
		for k, vs := range r.PostForm {
			p.values[k] = vs[0]
		}
	case "application/json":
		var m map[string]json.RawMessage
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(raw)) > 0 {
			if err := json.Unmarshal(raw, &m); err != nil {
				return nil, errors.New("can't parse JSON object")
			}
		}
		for k, v := range m {
			var str string
			if json.Unmarshal(v, &str) == nil {
				p.values[k] = str
			} else {
				p.values[k] = string(v)
			}
		}
	}
	// Read to the end: multipart parsing stops at the closing boundary.
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		p.cleanup()
		return nil, err
	}
	return p, nil
}

// tgBot is a bot's identity, derived from its token: "<id>:<secret>".
type tgBot struct {
	ID       int64
	Username string
}

func tgBotFor(token string) tgBot {
	idPart, _, _ := strings.Cut(token, ":")
	id, err := strconv.ParseInt(idPart, 10, 64)
	if err != nil || id <= 0 {
		id = derivedID(token, 1_000_000_000)
	}
	return tgBot{ID: id, Username: fmt.Sprintf("sb%d_bot", id)}
}

func (b tgBot) user() map[string]any {
	return map[string]any{
		"id": b.ID, "is_bot": true, "first_name": "Sandbox Bot " + strconv.FormatInt(b.ID, 10),
		"username": b.Username, "can_join_groups": true, "can_read_all_group_messages": false,
		"supports_inline_queries": false, "can_connect_to_business": false, "has_main_web_app": false,
	}
}

// derivedID turns a name into a stable positive id of ten digits that no
// magic rule matches.
func derivedID(name string, base int64) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	id := base + int64(h.Sum64()%8_000_000_000)
	for isMagicNumber(strconv.FormatInt(id, 10)) {
		id += 7
	}
	return id
}

// tgChat describes the chat a message goes to, using what simulated
// contacts told the sandbox about themselves.
func (s *Sandbox) tgChat(chatID string) map[string]any {
	if strings.HasPrefix(chatID, "@") {
		return map[string]any{"id": -derivedID(chatID, 1_000_000_000_000), "title": chatID[1:], "username": chatID[1:], "type": "channel"}
	}
	id, _ := strconv.ParseInt(chatID, 10, 64)
	if id < 0 {
		return map[string]any{"id": id, "title": "Sandbox group", "type": "group"}
	}
	chat := map[string]any{"id": id, "type": "private", "first_name": "Contact"}
	if c, ok := s.contacts.get(id); ok {
		chat["first_name"] = c.firstName
		if c.lastName != "" {
			chat["last_name"] = c.lastName
		}
		if c.username != "" {
			chat["username"] = c.username
		}
	}
	return chat
}

// tgCheckChat refuses chats the way Telegram does for magic recipients.
func (s *Sandbox) tgCheckChat(w http.ResponseWriter, chatID string, mg magic) bool {
	st := s.stats[ProviderTelegram]
	switch {
	case chatID == "":
		st.rejected.Add(1)
		tgError(w, http.StatusBadRequest, "Bad Request: chat_id is empty", 0)
	case mg.invalid:
		st.rejected.Add(1)
		tgError(w, http.StatusBadRequest, "Bad Request: chat not found", 0)
	case mg.fail:
		st.rejected.Add(1)
		tgError(w, http.StatusForbidden, "Forbidden: bot was blocked by the user", 0)
	case !strings.HasPrefix(chatID, "@"):
		if _, err := strconv.ParseInt(chatID, 10, 64); err != nil {
			st.rejected.Add(1)
			tgError(w, http.StatusBadRequest, "Bad Request: chat not found", 0)
			return false
		}
		return true
	default:
		return true
	}
	return false
}

// tgMessage builds the Message a send returns.
func (s *Sandbox) tgMessage(bot tgBot, chatID string) map[string]any {
	return map[string]any{
		"message_id": s.tgMessageID.Add(1),
		"from":       map[string]any{"id": bot.ID, "is_bot": true, "first_name": "Sandbox Bot " + strconv.FormatInt(bot.ID, 10), "username": bot.Username},
		"chat":       s.tgChat(chatID),
		"date":       s.now().Unix(),
	}
}

func (s *Sandbox) tgSendMessage(w http.ResponseWriter, bot tgBot, p *tgParams, mg magic) {
	chatID, text := p.get("chat_id"), p.get("text")
	if !s.tgCheckChat(w, chatID, mg) {
		return
	}
	st := s.stats[ProviderTelegram]
	switch n := utf8.RuneCountInString(text); {
	case strings.TrimSpace(text) == "":
		st.rejected.Add(1)
		tgError(w, http.StatusBadRequest, "Bad Request: message text is empty", 0)
		return
	case n > tgMaxText:
		st.rejected.Add(1)
		tgError(w, http.StatusBadRequest, "Bad Request: message is too long", 0)
		return
	}
	msg := s.tgMessage(bot, chatID)
	msg["text"] = text
	st.accepted.Add(1)
	s.record(&Message{
		Provider: ProviderTelegram, Direction: "outbound", ID: strconv.FormatInt(msg["message_id"].(int64), 10),
		Account: strconv.FormatInt(bot.ID, 10), From: bot.Username, To: chatID, Body: text, Status: "sent", At: s.now(),
	})
	tgOK(w, msg)
}

// tgSendMedia answers sendPhoto, sendDocument, sendVideo, sendAudio and
// sendVoice: the file comes as an upload, an attach:// part, a file_id or
// a URL Telegram fetches.
func (s *Sandbox) tgSendMedia(w http.ResponseWriter, r *http.Request, bot tgBot, kind string, p *tgParams, mg magic) {
	chatID, caption := p.get("chat_id"), p.get("caption")
	if !s.tgCheckChat(w, chatID, mg) {
		return
	}
	st := s.stats[ProviderTelegram]
	if utf8.RuneCountInString(caption) > tgMaxCaption {
		st.rejected.Add(1)
		tgError(w, http.StatusBadRequest, "Bad Request: message caption is too long", 0)
		return
	}
	f, status, desc := s.tgResolveFile(r, kind, p)
	if f == nil {
		st.rejected.Add(1)
		tgError(w, status, desc, 0)
		return
	}
	msg := s.tgMessage(bot, chatID)
	if caption != "" {
		msg["caption"] = caption
	}
	msg[kind] = s.tgMediaObject(kind, f)
	st.accepted.Add(1)
	s.record(&Message{
		Provider: ProviderTelegram, Direction: "outbound", ID: strconv.FormatInt(msg["message_id"].(int64), 10),
		Account: strconv.FormatInt(bot.ID, 10), From: bot.Username, To: chatID, Body: caption, Status: "sent", At: s.now(),
		Attachments: []AttachmentInfo{{Name: f.Name, ContentType: f.ContentType, Size: int64(len(f.Data)), FileID: f.FileID}},
	})
	tgOK(w, msg)
}

// tgResolveFile finds or stores the file of a media send; on failure it
// returns the status and description to answer.
func (s *Sandbox) tgResolveFile(r *http.Request, kind string, p *tgParams) (*storedFile, int, string) {
	limit := int64(tgMaxUpload)
	if kind == "photo" {
		limit = tgMaxPhoto
	}
	fh := p.file(kind)
	if ref := p.get(kind); fh == nil && strings.HasPrefix(ref, "attach://") {
		fh = p.file(strings.TrimPrefix(ref, "attach://"))
	}
	if fh != nil {
		if fh.Size > limit {
			return nil, http.StatusRequestEntityTooLarge, "Request Entity Too Large"
		}
		rd, err := fh.Open()
		if err != nil {
			return nil, http.StatusBadRequest, "Bad Request: can't read the file"
		}
		defer rd.Close()
		data, err := io.ReadAll(rd)
		if err != nil {
			return nil, http.StatusBadRequest, "Bad Request: can't read the file"
		}
		if len(data) == 0 {
			return nil, http.StatusBadRequest, "Bad Request: file must be non-empty"
		}
		f := newStoredFile(fh.Filename, fh.Header.Get("Content-Type"), data, s.now())
		if kind == "photo" && !strings.HasPrefix(f.ContentType, "image/") {
			return nil, http.StatusBadRequest, "Bad Request: IMAGE_PROCESS_FAILED"
		}
		s.files.put(f, tgDirs[kind])
		return f, 0, ""
	}
	ref := p.get(kind)
	if ref == "" {
		return nil, http.StatusBadRequest, "Bad Request: there is no " + kind + " in the request"
	}
	if f := s.files.byFileID(ref); f != nil {
		return f, 0, ""
	}
	if absoluteHTTP(ref) {
		if f := s.tgFetch(r, ref, min(limit, tgMaxURLFetch)); f != nil {
			s.files.put(f, tgDirs[kind])
			return f, 0, ""
		}
	}
	return nil, http.StatusBadRequest, "Bad Request: wrong file identifier/HTTP URL specified"
}

// tgFetch downloads a file Telegram is asked to send by URL.
func (s *Sandbox) tgFetch(r *http.Request, rawURL string, limit int64) *storedFile {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, rawURL, nil)
	if err != nil {
		return nil
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil || int64(len(data)) > limit || len(data) == 0 {
		return nil
	}
	name := ""
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		name = params["filename"]
	}
	return newStoredFile(name, resp.Header.Get("Content-Type"), data, s.now())
}

// tgMediaObject describes a file the way a Message carries it.
func (s *Sandbox) tgMediaObject(kind string, f *storedFile) any {
	size := len(f.Data)
	switch kind {
	case "photo":
		sizes := []map[string]any{}
		if f.Width > tgThumbnailSide || f.Height > tgThumbnailSide {
			// Telegram offers smaller renditions too; here they alias the
			// original bytes.
			thumbID := telegramFileID()
			s.files.alias(thumbID, f)
			tw, th := tgThumbnailSide, f.Height*tgThumbnailSide/max(f.Width, 1)
			if f.Height > f.Width {
				tw, th = f.Width*tgThumbnailSide/max(f.Height, 1), tgThumbnailSide
			}
			sizes = append(sizes, map[string]any{"file_id": thumbID, "file_unique_id": "AQAD" + randomB64(9), "width": tw, "height": th, "file_size": size})
		}
		return append(sizes, map[string]any{"file_id": f.FileID, "file_unique_id": f.UniqueID, "width": f.Width, "height": f.Height, "file_size": size})
	case "voice":
		return map[string]any{"file_id": f.FileID, "file_unique_id": f.UniqueID, "duration": 1, "mime_type": f.ContentType, "file_size": size}
	case "video":
		return map[string]any{"file_id": f.FileID, "file_unique_id": f.UniqueID, "width": f.Width, "height": f.Height, "duration": 1, "file_name": f.Name, "mime_type": f.ContentType, "file_size": size}
	case "audio":
		return map[string]any{"file_id": f.FileID, "file_unique_id": f.UniqueID, "duration": 1, "file_name": f.Name, "mime_type": f.ContentType, "file_size": size}
	}
	return map[string]any{"file_id": f.FileID, "file_unique_id": f.UniqueID, "file_name": f.Name, "mime_type": f.ContentType, "file_size": size}
}

var tgSecretRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (s *Sandbox) tgSetWebhook(w http.ResponseWriter, token string, bot tgBot, p *tgParams) {
	target, secret := p.get("url"), p.get("secret_token")
	if target == "" {
		s.tgDeleteWebhook(w, token)
		return
	}
	if !absoluteHTTP(target) {
		tgError(w, http.StatusBadRequest, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook", 0)
		return
	}
	if secret != "" && !tgSecretRE.MatchString(secret) {
		tgError(w, http.StatusBadRequest, "Bad Request: secret token contains unallowed characters", 0)
		return
	}
	var allowed []string
	if raw := p.get("allowed_updates"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &allowed); err != nil {
			tgError(w, http.StatusBadRequest, "Bad Request: can't parse allowed updates", 0)
			return
		}
	}
	same := false
	err := s.state.change(func(d *stateData) error {
		if old := d.Bots[token]; old != nil && old.WebhookURL == target && old.Secret == secret {
			same = true
		}
		d.Bots[token] = &telegramBot{ID: bot.ID, Username: bot.Username, WebhookURL: target, Secret: secret, AllowedUpdates: allowed, SetAt: s.now()}
		return nil
	})
	if err != nil {
		tgError(w, http.StatusInternalServerError, "Internal Server Error", 0)
		return
	}
	desc := "Webhook was set"
	if same {
		desc = "Webhook is already set"
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": true, "description": desc})
}

func (s *Sandbox) tgDeleteWebhook(w http.ResponseWriter, token string) {
	had := false
	err := s.state.change(func(d *stateData) error {
		_, had = d.Bots[token]
		delete(d.Bots, token)
		return nil
	})
	if err != nil {
		tgError(w, http.StatusInternalServerError, "Internal Server Error", 0)
		return
	}
	desc := "Webhook was deleted"
	if !had {
		desc = "Webhook is already deleted"
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": true, "description": desc})
}

func (s *Sandbox) tgWebhookInfo(w http.ResponseWriter, token string) {
	info := map[string]any{"url": "", "has_custom_certificate": false, "pending_update_count": 0}
	s.state.read(func(d *stateData) {
		if b := d.Bots[token]; b != nil {
			info["url"] = b.WebhookURL
			info["max_connections"] = 40
			info["ip_address"] = "127.0.0.1"
			if len(b.AllowedUpdates) > 0 {
				info["allowed_updates"] = b.AllowedUpdates
			}
		}
	})
	tgOK(w, info)
}

func (s *Sandbox) tgGetFile(w http.ResponseWriter, p *tgParams) {
	id := p.get("file_id")
	f := s.files.byFileID(id)
	switch {
	case id == "" || f == nil:
		tgError(w, http.StatusBadRequest, "Bad Request: invalid file_id", 0)
		return
	case len(f.Data) > tgMaxGetFile:
		tgError(w, http.StatusBadRequest, "Bad Request: file is too big", 0)
		return
	}
	tgOK(w, map[string]any{"file_id": id, "file_unique_id": f.UniqueID, "file_size": len(f.Data), "file_path": f.Path})
}

// tgDownload serves GET /file/bot<token>/<file_path>.
func (s *Sandbox) tgDownload(w http.ResponseWriter, r *http.Request, token, filePath string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		tgError(w, http.StatusNotFound, "Not Found", 0)
		return
	}
	if _, ok := s.begin(r.Context(), ProviderTelegram); !ok {
		return
	}
	f := s.files.byPath(filePath)
	if token == "" || strings.Contains(strings.ToLower(token), "invalid") || f == nil {
		tgError(w, http.StatusNotFound, "Not Found", 0)
		return
	}
	writeFile(w, r, f)
}

// contactBook remembers what simulated contacts said about themselves, so
// outbound messages to their chats carry their names.
type contactBook struct {
	mu    sync.Mutex
	byID  map[int64]contact
	limit int
}

type contact struct {
	firstName, lastName, username string
}

func newContactBook(limit int) *contactBook {
	return &contactBook{byID: map[int64]contact{}, limit: limit}
}

func (b *contactBook) put(id int64, c contact) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.byID) >= b.limit {
		clear(b.byID) // crude but bounded: names are cosmetic
	}
	b.byID[id] = c
}

func (b *contactBook) get(id int64) (contact, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.byID[id]
	return c, ok
}

// tgInbound makes a simulated contact write to a bot: an Update posted to
// its webhook with the secret token header.
func (s *Sandbox) tgInbound(in InboundRequest, media *storedFile) (InboundResult, error) {
	to := strings.TrimPrefix(in.To, "@")
	var token string
	var bot telegramBot
	s.state.read(func(d *stateData) {
		if b := d.Bots[in.To]; b != nil {
			token, bot = in.To, *b
			return
		}
		for t, b := range d.Bots {
			if strings.EqualFold(b.Username, to) {
				token, bot = t, *b
				return
			}
		}
	})
	if token == "" {
		return InboundResult{}, fmt.Errorf("%w: no Telegram webhook set for bot %s (setWebhook)", errNoTarget, in.To)
	}
	if len(bot.AllowedUpdates) > 0 && !contains(bot.AllowedUpdates, "message") {
		return InboundResult{}, fmt.Errorf("%w: the bot's allowed_updates exclude message", errNoTarget)
	}
	fromID, err := strconv.ParseInt(in.From.ID, 10, 64)
	if err != nil || fromID <= 0 {
		fromID = derivedID(in.From.Username+"|"+in.From.Phone+"|"+in.From.Name+"|"+in.From.ID, 1_000_000_000)
	}
	first, last, _ := strings.Cut(strings.TrimSpace(in.From.Name), " ")
	if first == "" {
		first = "Contact"
	}
	username := strings.TrimPrefix(in.From.Username, "@")
	s.contacts.put(fromID, contact{firstName: first, lastName: last, username: username})

	user := map[string]any{"id": fromID, "is_bot": false, "first_name": first, "language_code": "en"}
	chat := map[string]any{"id": fromID, "type": "private", "first_name": first}
	if last != "" {
		user["last_name"], chat["last_name"] = last, last
	}
	if username != "" {
		user["username"], chat["username"] = username, username
	}
	now := s.now()
	msgID := s.tgMessageID.Add(1)
	msg := map[string]any{"message_id": msgID, "from": user, "chat": chat, "date": now.Unix()}
	var atts []AttachmentInfo
	if media != nil {
		kind := tgKindOf(media.ContentType)
		msg[kind] = s.tgMediaObject(kind, media)
		if in.Text != "" {
			msg["caption"] = in.Text
		}
		atts = append(atts, AttachmentInfo{Name: media.Name, ContentType: media.ContentType, Size: int64(len(media.Data)), FileID: media.FileID})
	} else {
		msg["text"] = in.Text
		if strings.HasPrefix(in.Text, "/") {
			cmd, _, _ := strings.Cut(in.Text, " ")
			msg["entities"] = []map[string]any{{"offset": 0, "length": utf16Len(cmd), "type": "bot_command"}}
		}
	}
	update := map[string]any{"update_id": s.tgUpdateID.Add(1), "message": msg}
	body, _ := json.Marshal(update)
	secret := bot.Secret
	s.record(&Message{
		Provider: ProviderTelegram, Direction: "inbound", ID: strconv.FormatInt(msgID, 10), Account: strconv.FormatInt(bot.ID, 10),
		From: strconv.FormatInt(fromID, 10), To: bot.Username, Body: in.Text, Attachments: atts, Status: "received", At: now,
	})
	s.deliver(0, &delivery{
		provider: ProviderTelegram, kind: "update", target: bot.WebhookURL, body: body, contentType: "application/json",
		sign: func([]byte, time.Time) http.Header {
			if secret == "" {
				return nil
			}
			return http.Header{"X-Telegram-Bot-Api-Secret-Token": {secret}}
		},
	})
	return InboundResult{Provider: ProviderTelegram, ID: strconv.FormatInt(msgID, 10), Target: bot.WebhookURL, FileID: media.fileID()}, nil
}

// tgKindOf picks how Telegram presents a file a user sends.
func tgKindOf(contentType string) string {
	switch {
	case strings.HasPrefix(contentType, "image/") && contentType != "image/gif":
		return "photo"
	case contentType == "audio/ogg" || contentType == "audio/opus":
		return "voice"
	case strings.HasPrefix(contentType, "audio/"):
		return "audio"
	case strings.HasPrefix(contentType, "video/"):
		return "video"
	}
	return "document"
}

// fileID returns the Telegram file id of a stored file, "" for none.
func (f *storedFile) fileID() string {
	if f == nil {
		return ""
	}
	return f.FileID
}

// utf16Len is a length in UTF-16 code units, how Telegram counts offsets.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
