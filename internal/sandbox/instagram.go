package sandbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Instagram messaging limits the sandbox enforces.
const (
	igMaxText       = 1000
	igMaxImage      = 8 << 20
	igMaxOtherMedia = 25 << 20
	igAccountBase   = 17_841_400_000_000_000
	igUserBase      = 1_000_000_000_000_000
)

func (s *Sandbox) instagramRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /instagram/{ver}/me", s.igMe)
	mux.HandleFunc("POST /instagram/{ver}/me/messages", s.igSend)
	mux.HandleFunc("POST /instagram/{ver}/{id}/messages", s.igSend)
	mux.HandleFunc("/instagram/", func(w http.ResponseWriter, r *http.Request) {
		igError(w, http.StatusBadRequest, 2500, 0, "OAuthException", "Unknown path components: "+strings.TrimPrefix(r.URL.Path, "/instagram"))
	})
}

// igError answers the Graph API's error body.
func igError(w http.ResponseWriter, status, code, subcode int, typ, message string) {
	e := map[string]any{"message": message, "type": typ, "code": code, "fbtrace_id": "A" + randomB64(16)}
	if subcode != 0 {
		e["error_subcode"] = subcode
	}
	if status >= 500 || code == 4 || code == 32 || code == 613 {
		e["is_transient"] = true
	}
	writeJSON(w, status, map[string]any{"error": e})
}

// igToken reads the access token (Bearer header, or access_token in the
// query or form) and answers the Graph errors for none or a bad one.
func (s *Sandbox) igToken(w http.ResponseWriter, r *http.Request) (string, bool) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		token = r.URL.Query().Get("access_token")
	}
	if token == "" && r.Method == http.MethodPost && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		token = r.PostFormValue("access_token")
	}
	st := s.stats[ProviderInstagram]
	switch {
	case token == "":
		st.rejected.Add(1)
		igError(w, http.StatusBadRequest, 2500, 0, "OAuthException", "An active access token must be used to query information about the current user.")
		return "", false
	case strings.Contains(strings.ToLower(token), "invalid"):
		st.rejected.Add(1)
		igError(w, http.StatusBadRequest, 190, 0, "OAuthException", "Invalid OAuth access token - Cannot parse access token")
		return "", false
	}
	return token, true
}

// igFault answers an injected failure the Graph way: throttling is a 400
// with code 613 (and the usage header), server trouble code 2.
func (s *Sandbox) igFault(w http.ResponseWriter, b Behaviour, m magic) bool {
	switch s.injected(b, m) {
	case faultRateLimit:
		s.stats[ProviderInstagram].rateLimited.Add(1)
		retryAfter(w, b.RetryAfterS)
		usage, _ := json.Marshal(map[string]any{"sandbox": []map[string]any{{
			"type": "instagram", "call_count": 100, "total_cputime": 10, "total_time": 10,
			"estimated_time_to_regain_access": (b.RetryAfterS + 59) / 60,
		}}})
		w.Header().Set("X-Business-Use-Case-Usage", string(usage))
		igError(w, http.StatusBadRequest, 613, 0, "OAuthException", "(#613) Calls to this api have exceeded the rate limit.")
		return true
	case faultServer:
		s.stats[ProviderInstagram].serverErrors.Add(1)
		status := s.serverStatus(m)
		msg := "An unexpected error has occurred. Please retry your request later."
		if status == http.StatusServiceUnavailable {
			msg = "Service temporarily unavailable"
		}
		igError(w, status, 2, 0, "OAuthException", msg)
		return true
	}
	return false
}

// igAccountFor is the Instagram account a token acts as: the one a
// subscription ties it to, else an id derived from the token.
func (s *Sandbox) igAccountFor(token string) string {
	account := ""
	s.state.read(func(d *stateData) {
		for _, sub := range d.Instagram {
			if sub.AccessToken != "" && sub.AccessToken == token {
				account = sub.AccountID
				return
			}
		}
	})
	if account == "" {
		account = strconv.FormatInt(derivedID(token, igAccountBase), 10)
	}
	return account
}

// igMe answers GET /{ver}/me?fields=..., the connection check.
func (s *Sandbox) igMe(w http.ResponseWriter, r *http.Request) {
	b, ok := s.begin(r.Context(), ProviderInstagram)
	if !ok {
		return
	}
	token, ok := s.igToken(w, r)
	if !ok {
		return
	}
	if s.igFault(w, b, magic{}) {
		return
	}
	id := s.igAccountFor(token)
	all := map[string]any{
		"id": id, "user_id": id, "username": "sandbox_" + id[len(id)-6:], "name": "Sandbox " + id[len(id)-6:],
		"account_type": "BUSINESS",
	}
	out := map[string]any{"id": id}
	for _, f := range strings.Split(r.URL.Query().Get("fields"), ",") {
		if v, ok := all[strings.TrimSpace(f)]; ok {
			out[strings.TrimSpace(f)] = v
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// igSendBody is a Send API call.
type igSendBody struct {
	Recipient struct {
		ID string `json:"id"`
	} `json:"recipient"`
	Message *struct {
		Text       string `json:"text"`
		Attachment *struct {
			Type    string `json:"type"`
			Payload struct {
				URL string `json:"url"`
			} `json:"payload"`
		} `json:"attachment"`
	} `json:"message"`
	SenderAction string `json:"sender_action"`
}

// igSend answers POST /{ver}/me/messages (or /{ver}/{account}/messages).
func (s *Sandbox) igSend(w http.ResponseWriter, r *http.Request) {
	readErr := bufferBody(w, r, 1<<20)
	b, ok := s.begin(r.Context(), ProviderInstagram)
	if !ok {
		return
	}
	token, ok := s.igToken(w, r)
	if !ok {
		return
	}
	st := s.stats[ProviderInstagram]
	body, err := igParseSend(r)
	if readErr != nil {
		err = errors.New("Request body too large")
	}
	if err != nil {
		st.rejected.Add(1)
		igError(w, http.StatusBadRequest, 100, 0, "OAuthException", "(#100) "+err.Error())
		return
	}
	mg := magicOf(body.Recipient.ID)
	if s.igFault(w, b, mg) {
		return
	}
	if code, sub, msg := igValidate(body, mg); code != 0 {
		st.rejected.Add(1)
		igError(w, http.StatusBadRequest, code, sub, "OAuthException", msg)
		return
	}
	account := r.PathValue("id")
	if account == "" {
		account = s.igAccountFor(token)
	}
	if body.Message == nil {
		// A sender action (typing_on, mark_seen): acknowledged, not a message.
		writeJSON(w, http.StatusOK, map[string]string{"recipient_id": body.Recipient.ID})
		return
	}
	var atts []AttachmentInfo
	if a := body.Message.Attachment; a != nil {
		limit := int64(igMaxOtherMedia)
		if a.Type == "image" {
			limit = igMaxImage
		}
		info, err := fetchMedia(r.Context(), s.client, a.Payload.URL, limit)
		if err != nil {
			st.rejected.Add(1)
			igError(w, http.StatusBadRequest, 100, 2018047, "OAuthException", "(#100) Upload attachment failure.")
			return
		}
		atts = append(atts, info)
	}
	mid := igMID(account)
	st.accepted.Add(1)
	s.record(&Message{
		Provider: ProviderInstagram, Direction: "outbound", ID: mid, Account: account, From: account,
		To: body.Recipient.ID, Body: body.Message.Text, Attachments: atts, Status: "sent", At: s.now(),
	})
	s.igPlay(account, body.Recipient.ID, mid, b, mg)
	writeJSON(w, http.StatusOK, map[string]string{"recipient_id": body.Recipient.ID, "message_id": mid})
}

func igParseSend(r *http.Request) (*igSendBody, error) {
	var body igSendBody
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		// The Graph API also takes each top-level field as a JSON string.
		if err := r.ParseForm(); err != nil {
			return nil, errors.New("Invalid parameter")
		}
		if v := r.PostForm.Get("recipient"); v != "" {
			if err := json.Unmarshal([]byte(v), &body.Recipient); err != nil {
				return nil, errors.New("param recipient must be a JSON object")
			}
		}
		if v := r.PostForm.Get("message"); v != "" {
			if err := json.Unmarshal([]byte(v), &body.Message); err != nil {
				return nil, errors.New("param message must be a JSON object")
			}
		}
		body.SenderAction = r.PostForm.Get("sender_action")
		return &body, nil
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, errors.New("Invalid parameter")
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, errors.New("Invalid JSON for postbody")
	}
	return &body, nil
}

// igValidate checks a send as the Send API does; code 0 means fine.
func igValidate(b *igSendBody, mg magic) (code, subcode int, msg string) {
	switch {
	case b.Recipient.ID == "":
		return 100, 0, "(#100) The parameter recipient is required"
	case b.Message == nil && b.SenderAction == "":
		return 100, 0, "(#100) The parameter message is required"
	case mg.invalid:
		return 100, 2018001, "(#100) No matching user found"
	case mg.fail:
		return 10, 2018278, "(#10) This message is sent outside of allowed window."
	case b.Message == nil:
		return 0, 0, ""
	case b.Message.Text == "" && b.Message.Attachment == nil:
		return 100, 0, "(#100) Message cannot be empty, must provide valid attachment or text"
	case len(b.Message.Text) > igMaxText:
		return 100, 0, "(#100) Length of param message[text] must be less than or equal to 1000"
	}
	if a := b.Message.Attachment; a != nil {
		switch a.Type {
		case "image", "video", "audio", "file":
		default:
			return 100, 0, "(#100) param message[attachment][type] must be one of {image, video, audio, file}"
		}
		if !absoluteHTTP(a.Payload.URL) {
			return 100, 0, "(#100) param message[attachment][payload][url] must be a valid URL"
		}
	}
	return 0, 0, ""
}

// igMID looks like Instagram's message ids: base64 of an item key
// ("aWdf..." is "ig_...").
func igMID(account string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("ig_item:1:IGMessage:" + account + ":" + randomHex(16)))
}

// igPlay sends delivery and read events for an outbound message when the
// account has a subscription.
func (s *Sandbox) igPlay(account, recipient, mid string, b Behaviour, mg magic) {
	steps := []string{"delivered"}
	if mg.read || (!mg.any() && s.dice.chance(b.Outcomes.Read)) {
		steps = append(steps, "read")
	}
	if _, ok := s.igSubscription(account); !ok {
		now := s.now()
		for _, st := range steps {
			s.messages.setStatus(ProviderInstagram, mid, recipient, st, "", now)
		}
		return
	}
	for i, st := range steps {
		ok := s.disp.at(time.Duration(i+1)*b.webhookDelay(), func() {
			now := s.now()
			s.messages.setStatus(ProviderInstagram, mid, recipient, st, "", now)
			ms := now.UnixMilli()
			event := map[string]any{"sender": map[string]string{"id": recipient}, "recipient": map[string]string{"id": account}, "timestamp": ms}
			kind := "delivery"
			if st == "read" {
				kind = "read"
				event["read"] = map[string]any{"mid": mid, "watermark": ms}
			} else {
				event["delivery"] = map[string]any{"mids": []string{mid}, "watermark": ms}
			}
			s.igPost(account, kind, event, now)
		})
		if !ok {
			s.warnDropped()
		}
	}
}

func (s *Sandbox) igSubscription(account string) (InstagramSubscription, bool) {
	var sub InstagramSubscription
	ok := false
	s.state.read(func(d *stateData) {
		if v := d.Instagram[account]; v != nil {
			sub, ok = *v, true
		}
	})
	return sub, ok
}

// igPost wraps one messaging event in the webhook envelope and posts it to
// the account's subscription, signed with the app secret.
func (s *Sandbox) igPost(account, kind string, event map[string]any, now time.Time) bool {
	sub, ok := s.igSubscription(account)
	if !ok {
		return false
	}
	body, _ := json.Marshal(map[string]any{
		"object": "instagram",
		"entry":  []map[string]any{{"id": account, "time": now.UnixMilli(), "messaging": []any{event}}},
	})
	sig256, sig1 := InstagramSignature(sub.AppSecret, body)
	s.deliver(0, &delivery{
		provider: ProviderInstagram, kind: kind, target: sub.CallbackURL, body: body, contentType: "application/json",
		sign: func([]byte, time.Time) http.Header {
			return http.Header{"X-Hub-Signature-256": {sig256}, "X-Hub-Signature": {sig1}}
		},
	})
	return true
}

// InstagramSignature returns the X-Hub-Signature-256 and X-Hub-Signature
// values Meta sends: "sha256=<hex HMAC-SHA256>" and "sha1=<hex HMAC-SHA1>"
// of the body, keyed by the app secret.
func InstagramSignature(appSecret string, body []byte) (sha256Header, sha1Header string) {
	m256 := hmac.New(sha256.New, []byte(appSecret))
	m256.Write(body)
	m1 := hmac.New(sha1.New, []byte(appSecret))
	m1.Write(body)
	return "sha256=" + hex.EncodeToString(m256.Sum(nil)), "sha1=" + hex.EncodeToString(m1.Sum(nil))
}

// putSubscription runs Meta's verification handshake against the callback
// (GET with hub.mode, hub.verify_token, hub.challenge; the answer must be
// the challenge) and stores the subscription when it passes.
func (s *Sandbox) putSubscription(ctx context.Context, in InstagramSubscription) (InstagramSubscription, error) {
	in.AccountID = strings.TrimSpace(in.AccountID)
	var errs []string
	if in.AccountID == "" {
		errs = append(errs, "account_id is required")
	}
	if in.AppSecret == "" {
		errs = append(errs, "app_secret is required")
	}
	if in.VerifyToken == "" {
		errs = append(errs, "verify_token is required")
	}
	if !absoluteHTTP(in.CallbackURL) {
		errs = append(errs, "callback_url must be an absolute http(s) URL")
	}
	if len(errs) > 0 {
		return in, validationError(errs)
	}
	if err := s.igVerify(ctx, in); err != nil {
		return in, err
	}
	err := s.state.change(func(d *stateData) error {
		c := in
		d.Instagram[in.AccountID] = &c
		return nil
	})
	return in, err
}

func (s *Sandbox) igVerify(ctx context.Context, in InstagramSubscription) error {
	challenge := strconv.Itoa(1_000_000_000 + s.dice.intn(1_000_000_000))
	u, err := url.Parse(in.CallbackURL)
	if err != nil {
		return fmt.Errorf("%w: %v", errVerification, err)
	}
	q := u.Query()
	q.Set("hub.mode", "subscribe")
	q.Set("hub.verify_token", in.VerifyToken)
	q.Set("hub.challenge", challenge)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("%w: %v", errVerification, err)
	}
	req.Header.Set("User-Agent", userAgents[ProviderInstagram])
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", errVerification, err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(got)) != challenge {
		return fmt.Errorf("%w: the callback answered %d %q, want 200 and the challenge %s", errVerification, resp.StatusCode, got, challenge)
	}
	return nil
}

// igInbound makes a simulated contact write to an Instagram account.
func (s *Sandbox) igInbound(base string, in InboundRequest, media *storedFile) (InboundResult, error) {
	account := strings.TrimSpace(in.To)
	sub, ok := s.igSubscription(account)
	if !ok {
		return InboundResult{}, fmt.Errorf("%w: no Instagram subscription for account %s (PUT /_api/instagram/subscriptions)", errNoTarget, account)
	}
	sender := strings.TrimSpace(in.From.ID)
	if sender == "" {
		sender = strconv.FormatInt(derivedID(in.From.Username+"|"+in.From.Name+"|"+in.From.Phone, igUserBase), 10)
	}
	now := s.now()
	mid := igMID(account)
	message := map[string]any{"mid": mid}
	if in.Text != "" {
		message["text"] = in.Text
	}
	var atts []AttachmentInfo
	mediaURL := ""
	if media != nil {
		mediaURL = base + "/media/" + media.ID
		message["attachments"] = []map[string]any{{"type": igKindOf(media.ContentType), "payload": map[string]string{"url": mediaURL}}}
		atts = append(atts, AttachmentInfo{Name: media.Name, ContentType: media.ContentType, Size: int64(len(media.Data)), URL: mediaURL})
	}
	event := map[string]any{
		"sender": map[string]string{"id": sender}, "recipient": map[string]string{"id": account},
		"timestamp": now.UnixMilli(), "message": message,
	}
	s.record(&Message{
		Provider: ProviderInstagram, Direction: "inbound", ID: mid, Account: account,
		From: sender, To: account, Body: in.Text, Attachments: atts, Status: "received", At: now,
	})
	s.igPost(account, "inbound", event, now)
	return InboundResult{Provider: ProviderInstagram, ID: mid, Target: sub.CallbackURL, MediaURL: mediaURL, SenderID: sender}, nil
}

// igKindOf is the attachment type Instagram reports for a file.
func igKindOf(contentType string) string {
	switch {
	case strings.HasPrefix(contentType, "image/"):
		return "image"
	case strings.HasPrefix(contentType, "video/"):
		return "video"
	case strings.HasPrefix(contentType, "audio/"):
		return "audio"
	}
	return "file"
}
