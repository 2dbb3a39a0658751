package sandbox

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Errors of the control API, mapped to statuses in one place (controlError).
var (
	// errNoTarget: nothing is registered to receive the webhook (404).
	errNoTarget = errors.New("no webhook target")
	// errBadInbound: the simulated message is malformed (400).
	errBadInbound = errors.New("invalid inbound message")
	// errVerification: Meta's subscription handshake failed (422).
	errVerification = errors.New("callback verification failed")
	// errInvalid: a registration or config was refused (400).
	errInvalid = errors.New("invalid input")
)

// validationError joins field problems under errInvalid.
func validationError(problems []string) error {
	return fmt.Errorf("%w: %s", errInvalid, strings.Join(problems, "; "))
}

func controlError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, errNoTarget):
		problem(w, http.StatusNotFound, err.Error())
	case errors.Is(err, errBadInbound), errors.Is(err, errInvalid):
		problem(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, errVerification):
		problem(w, http.StatusUnprocessableEntity, err.Error())
	default:
		problem(w, http.StatusInternalServerError, "the sandbox could not save its state")
	}
}

// absoluteHTTP reports whether s is an absolute http(s) URL with a host.
func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// maxControlBody bounds control API bodies (inbound media is base64).
const maxControlBody = 48 << 20

func (s *Sandbox) controlRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /_api/config", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.CurrentConfig())
	})
	mux.HandleFunc("PUT /_api/config", s.putConfig)
	mux.HandleFunc("GET /_api/messages", s.listMessages)
	mux.HandleFunc("GET /_api/webhooks", s.listWebhooks)
	mux.HandleFunc("GET /_api/stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("GET /_api/registrations", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Registrations())
	})
	mux.HandleFunc("PUT /_api/twilio/senders", s.putSenderHandler)
	mux.HandleFunc("DELETE /_api/twilio/senders/{from}", s.deleteSender)
	mux.HandleFunc("PUT /_api/instagram/subscriptions", s.putSubscriptionHandler)
	mux.HandleFunc("DELETE /_api/instagram/subscriptions/{account}", s.deleteSubscription)
	mux.HandleFunc("POST /_api/inbound", s.inboundHandler)
	mux.HandleFunc("POST /_api/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/_api/", func(w http.ResponseWriter, r *http.Request) {
		problem(w, http.StatusNotFound, "no such sandbox endpoint")
	})
}

// CurrentConfig returns the behaviour in force.
func (s *Sandbox) CurrentConfig() Config { return *s.config() }

// SetConfig replaces the behaviour after validating it.
func (s *Sandbox) SetConfig(c Config) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("%w: %w", errInvalid, err)
	}
	s.cfgMu.Lock()
	s.cfg.Store(&c)
	s.cfgMu.Unlock()
	return nil
}

// putConfig merges the fields given into the current config, so
// {"twilio":{"rate_429":0.1}} changes one value.
func (s *Sandbox) putConfig(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		problem(w, http.StatusBadRequest, "reading config: "+err.Error())
		return
	}
	s.cfgMu.Lock()
	defer s.cfgMu.Unlock()
	next := *s.cfg.Load()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&next); err != nil {
		problem(w, http.StatusBadRequest, "invalid config: "+err.Error())
		return
	}
	if err := next.Validate(); err != nil {
		problem(w, http.StatusBadRequest, err.Error())
		return
	}
	s.cfg.Store(&next)
	writeJSON(w, http.StatusOK, next)
}

func (s *Sandbox) listMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := parseLimit(w, q.Get("limit"))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": s.Messages(MessageFilter{
		Provider: q.Get("provider"), To: q.Get("to"), Direction: q.Get("direction"), Limit: limit,
	})})
}

func (s *Sandbox) listWebhooks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, ok := parseLimit(w, q.Get("limit"))
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": s.Webhooks(q.Get("provider"), limit)})
}

func parseLimit(w http.ResponseWriter, v string) (int, bool) {
	if v == "" {
		return defaultListMax, true
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		problem(w, http.StatusBadRequest, "limit must be a positive integer")
		return 0, false
	}
	return n, true
}

func (s *Sandbox) putSenderHandler(w http.ResponseWriter, r *http.Request) {
	var in TwilioSender
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		problem(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	out, err := s.putSender(in)
	if err != nil {
		controlError(w, err)
		return
	}
	out.AuthToken = ""
	writeJSON(w, http.StatusOK, out)
}

func (s *Sandbox) deleteSender(w http.ResponseWriter, r *http.Request) {
	from := strings.TrimPrefix(r.PathValue("from"), "whatsapp:")
	err := s.state.change(func(d *stateData) error {
		if d.Senders[from] == nil {
			return fmt.Errorf("%w: no sender %s", errNoTarget, from)
		}
		delete(d.Senders, from)
		return nil
	})
	if err != nil {
		controlError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Sandbox) putSubscriptionHandler(w http.ResponseWriter, r *http.Request) {
	var in InstagramSubscription
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		problem(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	out, err := s.putSubscription(r.Context(), in)
	if err != nil {
		controlError(w, err)
		return
	}
	out.AppSecret, out.AccessToken = "", ""
	writeJSON(w, http.StatusOK, out)
}

func (s *Sandbox) deleteSubscription(w http.ResponseWriter, r *http.Request) {
	account := r.PathValue("account")
	err := s.state.change(func(d *stateData) error {
		if d.Instagram[account] == nil {
			return fmt.Errorf("%w: no subscription for %s", errNoTarget, account)
		}
		delete(d.Instagram, account)
		return nil
	})
	if err != nil {
		controlError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// InboundRequest is POST /_api/inbound: a simulated contact sends a
// message, which reaches the app as the provider's inbound webhook.
type InboundRequest struct {
	// Channel is whatsapp, telegram or instagram.
	Channel string `json:"channel"`
	// To is the Twilio sender number, the bot's token or username, or the
	// Instagram account id.
	To   string         `json:"to"`
	From InboundContact `json:"from"`
	Text string         `json:"text"`
	// Media is an optional file the contact sends.
	Media *InboundMedia `json:"media,omitempty"`
}

// InboundContact is who the simulated contact is. WhatsApp needs Phone;
// Telegram and Instagram use ID when numeric, else derive a stable one.
type InboundContact struct {
	ID       string `json:"id"`
	Phone    string `json:"phone"`
	Name     string `json:"name"`
	Username string `json:"username"`
}

// InboundMedia is a file, base64-encoded.
type InboundMedia struct {
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Base64      string `json:"base64"`
}

// InboundResult says what was fired.
type InboundResult struct {
	Provider string `json:"provider"`
	ID       string `json:"id"`
	Target   string `json:"target"`
	// MediaURL is where the app can fetch the media (Twilio, Instagram).
	MediaURL string `json:"media_url,omitempty"`
	// FileID is the media's Telegram file_id (for getFile).
	FileID string `json:"file_id,omitempty"`
	// SenderID is the Instagram-scoped id of the contact.
	SenderID string `json:"sender_id,omitempty"`
}

// inboundMediaLimits are the largest files each channel carries inbound.
var inboundMediaLimits = map[string]int{"whatsapp": 16 << 20, "telegram": 20 << 20, "instagram": 25 << 20}

func (s *Sandbox) inboundHandler(w http.ResponseWriter, r *http.Request) {
	var in InboundRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxControlBody)).Decode(&in); err != nil {
		problem(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
		return
	}
	res, err := s.Inbound(s.publicBase(r), in)
	if err != nil {
		controlError(w, err)
		return
	}
	writeJSON(w, http.StatusAccepted, res)
}

// Inbound plays a contact: it fires the provider's inbound webhook for
// in. base is the sandbox's absolute URL, used in media URLs.
func (s *Sandbox) Inbound(base string, in InboundRequest) (InboundResult, error) {
	limit, ok := inboundMediaLimits[in.Channel]
	if !ok {
		return InboundResult{}, fmt.Errorf("%w: channel must be whatsapp, telegram or instagram", errBadInbound)
	}
	switch {
	case strings.TrimSpace(in.To) == "":
		return InboundResult{}, fmt.Errorf("%w: to is required", errBadInbound)
	case in.Text == "" && in.Media == nil:
		return InboundResult{}, fmt.Errorf("%w: text or media is required", errBadInbound)
	case utf8.RuneCountInString(in.Text) > 4096:
		return InboundResult{}, fmt.Errorf("%w: text is longer than 4096 characters", errBadInbound)
	}
	var media *storedFile
	if in.Media != nil {
		data, err := base64.StdEncoding.DecodeString(in.Media.Base64)
		if err != nil {
			data, err = base64.RawURLEncoding.DecodeString(strings.TrimRight(in.Media.Base64, "="))
		}
		switch {
		case err != nil:
			return InboundResult{}, fmt.Errorf("%w: media.base64 is not base64", errBadInbound)
		case len(data) == 0:
			return InboundResult{}, fmt.Errorf("%w: media is empty", errBadInbound)
		case len(data) > limit:
			return InboundResult{}, fmt.Errorf("%w: media is larger than %d bytes", errBadInbound, limit)
		}
		media = newStoredFile(in.Media.Filename, in.Media.ContentType, data, s.now())
		dir := "media"
		if in.Channel == "telegram" {
			dir = tgDirs[tgKindOf(media.ContentType)]
		}
		if !s.files.put(media, dir) {
			return InboundResult{}, fmt.Errorf("%w: media exceeds the sandbox's file budget", errBadInbound)
		}
	}
	var (
		res      InboundResult
		err      error
		provider string
	)
	switch in.Channel {
	case "whatsapp":
		provider = ProviderTwilio
		res, err = s.twInbound(base, in, media)
	case "telegram":
		provider = ProviderTelegram
		res, err = s.tgInbound(in, media)
	case "instagram":
		provider = ProviderInstagram
		res, err = s.igInbound(base, in, media)
	}
	if err == nil {
		s.stats[provider].inbound.Add(1)
	}
	return res, err
}
