package sandbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Twilio's published limits the sandbox enforces.
const (
	twMaxBody     = 1600
	twMaxMedia    = 16 << 20
	twMaxFormSize = 1 << 20
	twAPIVersion  = "2010-04-01"
	twDateLayout  = "Mon, 02 Jan 2006 15:04:05 -0700"
)

func (s *Sandbox) twilioRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /twilio/2010-04-01/Accounts/{sid}/Messages.json", s.twSend)
	mux.HandleFunc("GET /twilio/2010-04-01/Accounts/{sidjson}", s.twAccount)
	mux.HandleFunc("GET /twilio/2010-04-01/Accounts/{sid}/Messages/{msid}/Media/{mid}", s.twMedia)
	mux.HandleFunc("/twilio/", func(w http.ResponseWriter, r *http.Request) {
		twError(w, http.StatusNotFound, 20404, "The requested resource "+strings.TrimPrefix(r.URL.Path, "/twilio")+" was not found")
	})
}

// twError answers Twilio's error body: {"code","message","more_info","status"}.
func twError(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, map[string]any{
		"code": code, "message": message, "more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status,
	})
}

// twAuth reads HTTP basic auth, answering 401 (20003) when missing or when
// the token contains "invalid".
func (s *Sandbox) twAuth(w http.ResponseWriter, r *http.Request) (user, token string, ok bool) {
	user, token, ok = r.BasicAuth()
	if !ok || user == "" || token == "" || strings.Contains(strings.ToLower(token), "invalid") {
		s.stats[ProviderTwilio].rejected.Add(1)
		twError(w, http.StatusUnauthorized, 20003, "Authenticate")
		return "", "", false
	}
	return user, token, true
}

// twFault answers an injected failure; false when there is none.
func (s *Sandbox) twFault(w http.ResponseWriter, b Behaviour, m magic) bool {
	switch s.injected(b, m) {
	case faultRateLimit:
		s.stats[ProviderTwilio].rateLimited.Add(1)
		retryAfter(w, b.RetryAfterS)
		twError(w, http.StatusTooManyRequests, 20429, "Too Many Requests")
		return true
	case faultServer:
		s.stats[ProviderTwilio].serverErrors.Add(1)
		if status := s.serverStatus(m); status == http.StatusServiceUnavailable {
			twError(w, status, 20503, "Service unavailable")
		} else {
			twError(w, status, 20500, "An internal server error has occurred")
		}
		return true
	}
	return false
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// twSend answers POST /2010-04-01/Accounts/{sid}/Messages.json: 201 with
// the message resource in status queued, then status callbacks.
func (s *Sandbox) twSend(w http.ResponseWriter, r *http.Request) {
	readErr := bufferBody(w, r, twMaxFormSize)
	b, ok := s.begin(r.Context(), ProviderTwilio)
	if !ok {
		return
	}
	_, token, ok := s.twAuth(w, r)
	if !ok {
		return
	}
	st := s.stats[ProviderTwilio]
	if err := r.ParseForm(); err != nil || readErr != nil {
		st.rejected.Add(1)
		twError(w, http.StatusBadRequest, 20001, "Invalid request body")
		return
	}
	f := r.PostForm
	to, from, body, callback := f.Get("To"), f.Get("From"), f.Get("Body"), f.Get("StatusCallback")
	media := f["MediaUrl"]
	toNum, fromNum := strings.TrimPrefix(to, "whatsapp:"), strings.TrimPrefix(from, "whatsapp:")
	mg := magicOf(toNum)
	if s.twFault(w, b, mg) {
		return
	}
	code, msg := 0, ""
	switch {
	case to == "":
		code, msg = 21604, "A 'To' phone number is required."
	case from == "" && f.Get("MessagingServiceSid") == "":
		code, msg = 21603, "A 'From' phone number is required."
	case body == "" && len(media) == 0 && f.Get("ContentSid") == "":
		code, msg = 21602, "Message body is required."
	case !e164.MatchString(toNum) || mg.invalid:
		code, msg = 21211, fmt.Sprintf("Invalid 'To' Phone Number: %s", toNum)
	case from != "" && !e164.MatchString(fromNum):
		code, msg = 21212, fmt.Sprintf("Invalid 'From' Phone Number: %s", fromNum)
	case utf8.RuneCountInString(body) > twMaxBody:
		code, msg = 21617, "The concatenated message body exceeds the 1600 character limit."
	case callback != "" && !absoluteHTTP(callback):
		code, msg = 21609, "Invalid StatusCallback url"
	}
	for _, u := range media {
		if code == 0 && !absoluteHTTP(u) {
			code, msg = 21620, "Invalid media URL(s)"
		}
	}
	if code != 0 {
		st.rejected.Add(1)
		twError(w, http.StatusBadRequest, code, msg)
		return
	}

	sid := r.PathValue("sid")
	msgSID := "SM" + randomHex(16)
	now := s.now()
	st.accepted.Add(1)
	s.record(&Message{
		Provider: ProviderTwilio, Direction: "outbound", ID: msgSID, Account: sid,
		From: fromNum, To: toNum, Body: body, Status: "queued", At: now,
	})
	out := &twOutbound{
		accountSID: sid, authToken: token, sid: msgSID, from: from, to: to, toNum: toNum,
		callback: callback, plan: s.twPlan(b, mg), delay: b.webhookDelay(),
	}
	if len(media) > 0 {
		// Twilio fetches media after answering; a URL it cannot fetch fails
		// the message (63019), which is how expired signed links show up.
		if !s.disp.later(0, &twMediaFetch{out: out, urls: media}) {
			s.warnDropped()
		}
	} else {
		s.twPlay(out)
	}
	writeJSON(w, http.StatusCreated, twMessageResource(sid, msgSID, from, to, body, "queued", len(media), now))
}

// twMessageResource is the Message resource as the API returns it.
func twMessageResource(accountSID, sid, from, to, body, status string, numMedia int, now time.Time) map[string]any {
	uri := "/2010-04-01/Accounts/" + accountSID + "/Messages/" + sid
	date := now.UTC().Format(twDateLayout)
	return map[string]any{
		"account_sid": accountSID, "api_version": twAPIVersion, "body": body,
		"date_created": date, "date_sent": nil, "date_updated": date,
		"direction": "outbound-api", "error_code": nil, "error_message": nil,
		"from": from, "messaging_service_sid": nil, "num_media": strconv.Itoa(numMedia),
		"num_segments": "1", "price": nil, "price_unit": "USD", "sid": sid, "status": status,
		"subresource_uris": map[string]string{"media": uri + "/Media.json", "feedback": uri + "/Feedback.json"},
		"to":               to, "uri": uri + ".json",
	}
}

// twOutbound is an accepted send whose statuses are still to come.
type twOutbound struct {
	accountSID, authToken string
	sid, from, to, toNum  string
	callback              string
	plan                  []twStep
	delay                 time.Duration
}

// twStep is one status of a send, with its error for failures.
type twStep struct {
	status    string
	errorCode int
	message   string
}

// twPlan decides the statuses after queued. Magic numbers get exactly what
// they ask for.
func (s *Sandbox) twPlan(b Behaviour, m magic) []twStep {
	o := b.Outcomes
	sent := twStep{status: "sent"}
	delivered := twStep{status: "delivered"}
	failed := twStep{status: "failed", errorCode: 63003, message: "Channel could not find the To address"}
	undelivered := twStep{status: "undelivered", errorCode: 30003, message: "Unreachable destination handset"}
	switch {
	case m.fail:
		return []twStep{failed}
	case m.undelivered:
		return []twStep{sent, undelivered}
	case m.read:
		return []twStep{sent, delivered, {status: "read"}}
	}
	switch s.dice.pick(o.Delivered, o.Failed, o.Undelivered) {
	case 1:
		return []twStep{failed}
	case 2:
		return []twStep{sent, undelivered}
	}
	if s.dice.chance(o.Read) {
		return []twStep{sent, delivered, {status: "read"}}
	}
	return []twStep{sent, delivered}
}

// twPlay moves the message through its plan, with a callback per status
// when the send asked for them.
func (s *Sandbox) twPlay(out *twOutbound) {
	if out.callback == "" {
		now := s.now()
		for _, st := range out.plan {
			s.messages.setStatus(ProviderTwilio, out.sid, out.toNum, st.status, twCode(st.errorCode), now)
		}
		return
	}
	for i, st := range out.plan {
		ok := s.disp.at(time.Duration(i+1)*out.delay, func() {
			s.messages.setStatus(ProviderTwilio, out.sid, out.toNum, st.status, twCode(st.errorCode), s.now())
			s.twCallback(out, st)
		})
		if !ok {
			s.warnDropped()
		}
	}
}

func twCode(code int) string {
	if code == 0 {
		return ""
	}
	return strconv.Itoa(code)
}

// twCallback posts one status callback, signed with the sending
// account's auth token over the exact callback URL.
func (s *Sandbox) twCallback(out *twOutbound, st twStep) {
	form := url.Values{
		"AccountSid":    {out.accountSID},
		"ApiVersion":    {twAPIVersion},
		"From":          {out.from},
		"To":            {out.to},
		"MessageSid":    {out.sid},
		"SmsSid":        {out.sid},
		"MessageStatus": {st.status},
		"SmsStatus":     {st.status},
	}
	if strings.HasPrefix(out.to, "whatsapp:") {
		form.Set("ChannelPrefix", "whatsapp")
		form.Set("ChannelToAddress", out.toNum)
		form.Set("StructuredMessage", "false")
	}
	if st.errorCode != 0 {
		form.Set("ErrorCode", strconv.Itoa(st.errorCode))
		form.Set("ErrorMessage", st.message)
	}
	s.deliver(0, twDelivery("status", out.callback, out.authToken, form))
}

// twDelivery builds a Twilio webhook: a form POST with X-Twilio-Signature
// and an idempotency token that stays the same across retries.
func twDelivery(kind, target, authToken string, form url.Values) *delivery {
	sig := TwilioSignature(authToken, target, form)
	idem := randomHex(16)
	return &delivery{
		provider: ProviderTwilio, kind: kind, target: target, body: []byte(form.Encode()),
		contentType: "application/x-www-form-urlencoded",
		sign: func([]byte, time.Time) http.Header {
			return http.Header{"X-Twilio-Signature": {sig}, "I-Twilio-Idempotency-Token": {idem}}
		},
	}
}

// TwilioSignature computes X-Twilio-Signature: base64 HMAC-SHA1, keyed by
// the auth token, of the URL followed by each form key and value, sorted
// by key.
func TwilioSignature(authToken, fullURL string, form url.Values) string {
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	for _, k := range keys {
		for _, v := range form[k] {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// twMediaFetch fetches a send's media as Twilio does before delivering.
type twMediaFetch struct {
	out  *twOutbound
	urls []string
}

func (t *twMediaFetch) run(ctx context.Context, s *Sandbox) {
	for _, u := range t.urls {
		info, err := fetchMedia(ctx, s.client, u, twMaxMedia)
		if err != nil {
			s.log.Debug().Err(err).Str("url", u).Msg("sandbox: twilio media fetch failed")
			t.out.plan = []twStep{{status: "failed", errorCode: 63019, message: "Media failed to download"}}
			break
		}
		s.messages.addAttachment(ProviderTwilio, t.out.sid, t.out.toNum, info)
	}
	s.twPlay(t.out)
}

// fetchMedia downloads url (up to limit bytes, then discarded) the way a
// provider fetching an attachment would, and describes what it got.
func fetchMedia(ctx context.Context, client *http.Client, rawURL string, limit int64) (AttachmentInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return AttachmentInfo{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return AttachmentInfo{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return AttachmentInfo{}, fmt.Errorf("media answered %d", resp.StatusCode)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return AttachmentInfo{}, fmt.Errorf("reading media: %w", err)
	}
	if n > limit {
		return AttachmentInfo{}, fmt.Errorf("media larger than %d bytes", limit)
	}
	name := ""
	if _, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); err == nil {
		name = params["filename"]
	}
	if name == "" {
		if u, err := url.Parse(rawURL); err == nil {
			name = path.Base(u.Path)
		}
	}
	return AttachmentInfo{Name: name, ContentType: resp.Header.Get("Content-Type"), Size: n, URL: rawURL}, nil
}

// twAccount answers GET /2010-04-01/Accounts/{sid}.json, the connection check.
func (s *Sandbox) twAccount(w http.ResponseWriter, r *http.Request) {
	sid, ok := strings.CutSuffix(r.PathValue("sidjson"), ".json")
	if !ok {
		twError(w, http.StatusNotFound, 20404, "The requested resource "+strings.TrimPrefix(r.URL.Path, "/twilio")+" was not found")
		return
	}
	b, ok := s.begin(r.Context(), ProviderTwilio)
	if !ok {
		return
	}
	if _, _, ok := s.twAuth(w, r); !ok {
		return
	}
	if s.twFault(w, b, magic{}) {
		return
	}
	date := s.now().UTC().Format(twDateLayout)
	uri := "/2010-04-01/Accounts/" + sid
	writeJSON(w, http.StatusOK, map[string]any{
		"sid": sid, "owner_account_sid": sid, "friendly_name": "Sandbox account " + sid,
		"status": "active", "type": "Full", "date_created": date, "date_updated": date,
		"uri": uri + ".json",
		"subresource_uris": map[string]string{
			"messages": uri + "/Messages.json", "incoming_phone_numbers": uri + "/IncomingPhoneNumbers.json",
		},
	})
}

// twMedia serves media simulated contacts sent (MediaUrl0 of an inbound).
func (s *Sandbox) twMedia(w http.ResponseWriter, r *http.Request) {
	f := s.files.byID(r.PathValue("mid"))
	if f == nil {
		twError(w, http.StatusNotFound, 20404, "The requested resource "+strings.TrimPrefix(r.URL.Path, "/twilio")+" was not found")
		return
	}
	writeFile(w, r, f)
}

// putSender registers a WhatsApp sender for inbound messages.
func (s *Sandbox) putSender(in TwilioSender) (TwilioSender, error) {
	in.From = strings.TrimPrefix(strings.TrimSpace(in.From), "whatsapp:")
	var errs []string
	if !e164.MatchString(in.From) {
		errs = append(errs, "from must be an E.164 number")
	}
	if in.AccountSID == "" {
		errs = append(errs, "account_sid is required")
	}
	if in.AuthToken == "" {
		errs = append(errs, "auth_token is required")
	}
	if !absoluteHTTP(in.InboundURL) {
		errs = append(errs, "inbound_url must be an absolute http(s) URL")
	}
	if len(errs) > 0 {
		return in, validationError(errs)
	}
	err := s.state.change(func(d *stateData) error {
		c := in
		d.Senders[in.From] = &c
		return nil
	})
	return in, err
}

// twInbound makes a simulated contact send a WhatsApp message to a sender.
func (s *Sandbox) twInbound(base string, in InboundRequest, media *storedFile) (InboundResult, error) {
	to := strings.TrimPrefix(in.To, "whatsapp:")
	var sender TwilioSender
	found := false
	s.state.read(func(d *stateData) {
		if sd := d.Senders[to]; sd != nil {
			sender, found = *sd, true
		}
	})
	if !found {
		return InboundResult{}, fmt.Errorf("%w: no Twilio sender registered for %s (PUT /_api/twilio/senders)", errNoTarget, to)
	}
	phone := strings.TrimPrefix(in.From.Phone, "whatsapp:")
	if phone == "" {
		phone = strings.TrimPrefix(in.From.ID, "whatsapp:")
	}
	if !e164.MatchString(phone) {
		return InboundResult{}, fmt.Errorf("%w: from.phone must be an E.164 number", errBadInbound)
	}
	sid := "SM" + randomHex(16)
	numMedia := "0"
	form := url.Values{
		"MessageSid":    {sid},
		"SmsMessageSid": {sid},
		"SmsSid":        {sid},
		"AccountSid":    {sender.AccountSID},
		"From":          {"whatsapp:" + phone},
		"To":            {"whatsapp:" + sender.From},
		"Body":          {in.Text},
		"NumSegments":   {"1"},
		"SmsStatus":     {"received"},
		"ApiVersion":    {twAPIVersion},
		"WaId":          {strings.TrimPrefix(phone, "+")},
		"ProfileName":   {in.From.Name},
		"MessageType":   {"text"},
	}
	var atts []AttachmentInfo
	mediaURL := ""
	if media != nil {
		sid = "MM" + sid[2:]
		form.Set("MessageSid", sid)
		form.Set("SmsMessageSid", sid)
		form.Set("SmsSid", sid)
		mediaURL = fmt.Sprintf("%s/twilio/2010-04-01/Accounts/%s/Messages/%s/Media/%s", base, sender.AccountSID, sid, media.ID)
		numMedia = "1"
		form.Set("MediaUrl0", mediaURL)
		form.Set("MediaContentType0", media.ContentType)
		form.Set("MessageType", strings.SplitN(media.ContentType, "/", 2)[0])
		atts = append(atts, AttachmentInfo{Name: media.Name, ContentType: media.ContentType, Size: int64(len(media.Data)), URL: mediaURL})
	}
	form.Set("NumMedia", numMedia)
	s.record(&Message{
		Provider: ProviderTwilio, Direction: "inbound", ID: sid, Account: sender.AccountSID,
		From: phone, To: sender.From, Body: in.Text, Attachments: atts, Status: "received", At: s.now(),
	})
	s.deliver(0, twDelivery("inbound", sender.InboundURL, sender.AuthToken, form))
	return InboundResult{Provider: ProviderTwilio, ID: sid, Target: sender.InboundURL, MediaURL: mediaURL}, nil
}
