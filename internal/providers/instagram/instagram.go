// Package instagram sends Instagram direct messages through Meta's Graph API
// over plain net/http (Meta publishes no Go SDK), and reads the signed
// messaging webhooks.
//
// Every failed call returns a *providers.Error (see package providers for
// the error model). The Graph API's error body is {"error":{"message","type",
// "code","error_subcode","fbtrace_id","is_transient"}}; rate limits come as
// codes (4, 17, 32, 613, 80002), usually with HTTP 400, so the code decides
// the Kind before the status does.
package instagram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard/switchboard/internal/providers"
)

// Provider is the name this adapter gives in errors.
const Provider = "instagram"

// DefaultBaseURL is the Graph API root, and DefaultVersion the API version
// the adapter speaks.
const (
	DefaultBaseURL = "https://graph.facebook.com"
	DefaultVersion = "v21.0"
)

// Client calls the Graph API. It holds no credentials: each call takes an
// organization's. Safe for concurrent use.
type Client struct {
	base    string
	version string
	hc      *http.Client
	now     func() time.Time
}

// New returns a client for the Graph API at baseURL (DefaultBaseURL when
// empty; in sandbox mode <PUBLIC_BASE_URL>/sandbox/instagram), calling it with
// hc (a providers.NewHTTPClient when nil).
func New(baseURL string, hc *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if hc == nil {
		hc = providers.NewHTTPClient(providers.DefaultTimeout, true)
	}
	return &Client{base: strings.TrimRight(baseURL, "/"), version: DefaultVersion, hc: hc, now: time.Now}
}

// Credentials are an organization's Instagram professional account and the
// access token that may message for it.
type Credentials struct {
	AccessToken string
	AccountID   string
}

// Message is a direct message to an Instagram user (by the id webhooks give
// as the sender). Instagram allows replies only within 24 hours of the
// user's last message.
type Message struct {
	RecipientID string
	Text        string
	Attachment  *providers.Attachment // sent by URL, which Instagram fetches
}

type sendRequest struct {
	Recipient struct {
		ID string `json:"id"`
	} `json:"recipient"`
	Message sendMessage `json:"message"`
}

type sendMessage struct {
	Text       string          `json:"text,omitempty"`
	Attachment *sendAttachment `json:"attachment,omitempty"`
}

type sendAttachment struct {
	Type    string `json:"type"`
	Payload struct {
		URL string `json:"url"`
	} `json:"payload"`
}

// Send posts m to /{version}/me/messages. A message can't carry both text and
// an attachment, so with both the attachment goes first and the text second;
// MessageID is then the attachment's, and if the text fails the attachment
// has already gone (a retry would send it again).
func (c *Client) Send(ctx context.Context, cr Credentials, m Message) (providers.Sent, error) {
	const op = "send"
	switch {
	case cr.AccessToken == "":
		return providers.Sent{}, providers.Errorf(Provider, op, "credentials", "no access token")
	case m.RecipientID == "":
		return providers.Sent{}, providers.Errorf(Provider, op, "invalid_message", "no recipient")
	case m.Text == "" && m.Attachment == nil:
		return providers.Sent{}, providers.Errorf(Provider, op, "invalid_message", "no text and no attachment")
	case m.Attachment != nil && m.Attachment.URL == "":
		return providers.Sent{}, providers.Errorf(Provider, op, "invalid_message", "attachment %q has no URL", m.Attachment.Filename)
	}
	var parts []sendMessage
	if a := m.Attachment; a != nil {
		att := &sendAttachment{Type: attachmentType(a.ContentType)}
		att.Payload.URL = a.URL
		parts = append(parts, sendMessage{Attachment: att})
	}
	if m.Text != "" {
		parts = append(parts, sendMessage{Text: m.Text})
	}
	var first providers.Sent
	for i, p := range parts {
		var req sendRequest
		req.Recipient.ID = m.RecipientID
		req.Message = p
		var out struct {
			RecipientID string `json:"recipient_id"`
			MessageID   string `json:"message_id"`
		}
		status, err := c.call(ctx, op, cr.AccessToken, http.MethodPost, "/me/messages", nil, req, &out)
		if err != nil {
			return first, err
		}
		if out.MessageID == "" {
			return first, &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindPermanent, Status: status,
				Code: "bad_response", Reason: "Instagram accepted the message but gave no message_id"}
		}
		if i == 0 {
			first = providers.Sent{MessageID: out.MessageID, Status: status}
		}
	}
	return first, nil
}

// attachmentType maps a content type to the Send API's attachment types.
func attachmentType(contentType string) string {
	ct := strings.ToLower(contentType)
	switch {
	case strings.HasPrefix(ct, "image/"):
		return "image"
	case strings.HasPrefix(ct, "video/"):
		return "video"
	case strings.HasPrefix(ct, "audio/"):
		return "audio"
	default:
		return "file"
	}
}

// Check fetches /{version}/me?fields=id,username with the token and, when
// cr.AccountID is set, checks that the token is that account's.
func (c *Client) Check(ctx context.Context, cr Credentials) error {
	const op = "check"
	if cr.AccessToken == "" {
		return providers.Errorf(Provider, op, "credentials", "no access token")
	}
	var me struct {
		ID       string `json:"id"`
		Username string `json:"username"`
	}
	status, err := c.call(ctx, op, cr.AccessToken, http.MethodGet, "/me", url.Values{"fields": {"id,username"}}, nil, &me)
	if err != nil {
		return err
	}
	if cr.AccountID != "" && me.ID != cr.AccountID {
		return &providers.Error{Provider: Provider, Operation: op, Kind: providers.KindPermanent, Status: status,
			Code: "wrong_account", Reason: fmt.Sprintf("the token belongs to account %s (@%s), not %s", me.ID, me.Username, cr.AccountID)}
	}
	return nil
}

// call does one Graph API request and decodes a 2xx answer into out.
func (c *Client) call(ctx context.Context, op, token, method, path string, q url.Values, in, out any) (int, error) {
	u := c.base + "/" + c.version + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, providers.Errorf(Provider, op, "invalid_message", "encoding request: %v", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return 0, providers.Errorf(Provider, op, "bad_request", "building request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, providers.TransportError(Provider, op, err)
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode >= 300 {
		return res.StatusCode, responseError(op, res.StatusCode, res.Header, providers.ReadErrorBody(res.Body), c.now())
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(out); err != nil {
		kind := providers.KindRetryable
		if method == http.MethodPost {
			kind = providers.KindPermanent // it may have been sent: don't send twice
		}
		return res.StatusCode, &providers.Error{Provider: Provider, Operation: op, Kind: kind, Status: res.StatusCode,
			Code: "bad_response", Reason: "unreadable answer: " + err.Error(), Err: err}
	}
	return res.StatusCode, nil
}

// graphError is the Graph API's error body.
type graphError struct {
	Error struct {
		Message      string `json:"message"`
		Type         string `json:"type"`
		Code         int    `json:"code"`
		ErrorSubcode int    `json:"error_subcode"`
		FBTraceID    string `json:"fbtrace_id"`
		IsTransient  bool   `json:"is_transient"`
		ErrorUserMsg string `json:"error_user_msg"`
	} `json:"error"`
}

// Graph error codes that mean "too many calls": app (4), user (17), page
// (32), a specific rate limit (613) and the Instagram account's (80002).
var rateLimitCodes = map[int]bool{4: true, 17: true, 32: true, 613: true, 80002: true}

// Graph error codes that mean a temporary failure: unknown (1) and service
// unavailable (2).
var transientCodes = map[int]bool{1: true, 2: true}

// responseError reads a Graph API error answer.
func responseError(op string, status int, h http.Header, body []byte, now time.Time) *providers.Error {
	e := &providers.Error{Provider: Provider, Operation: op, Kind: providers.Classify(status, nil), Status: status}
	var ge graphError
	if json.Unmarshal(body, &ge) == nil && (ge.Error.Code != 0 || ge.Error.Message != "") {
		g := ge.Error
		e.Code = strconv.Itoa(g.Code)
		e.Reason = g.Message
		var extra []string
		if g.ErrorSubcode != 0 {
			extra = append(extra, "subcode "+strconv.Itoa(g.ErrorSubcode))
		}
		if g.FBTraceID != "" {
			extra = append(extra, "fbtrace_id "+g.FBTraceID)
		}
		if len(extra) > 0 {
			e.Reason += " (" + strings.Join(extra, ", ") + ")"
		}
		switch {
		case rateLimitCodes[g.Code]:
			e.Kind = providers.KindRateLimited
		case status < 500 && (g.IsTransient || transientCodes[g.Code]):
			e.Kind = providers.KindRetryable
		}
	} else {
		e.Reason = providers.Snippet(body)
	}
	if e.Reason == "" {
		e.Reason = http.StatusText(status)
	}
	if e.Kind == providers.KindRateLimited {
		e.RetryAfter = providers.ParseRetryAfter(h.Get("Retry-After"), now)
		if e.RetryAfter == 0 {
			e.RetryAfter = usageWait(h)
		}
	}
	return e
}

// usageWait reads the longest estimated_time_to_regain_access (minutes) in
// the usage headers Meta sends with throttled answers:
// X-Business-Use-Case-Usage {"<id>":[{...}]} and X-App-Usage / X-Ad-Account-Usage {...}.
func usageWait(h http.Header) time.Duration {
	var minutes float64
	if v := h.Get("X-Business-Use-Case-Usage"); v != "" {
		var buc map[string][]struct {
			Wait float64 `json:"estimated_time_to_regain_access"`
		}
		if json.Unmarshal([]byte(v), &buc) == nil {
			for _, list := range buc {
				for _, x := range list {
					minutes = max(minutes, x.Wait)
				}
			}
		}
	}
	for _, name := range []string{"X-App-Usage", "X-Ad-Account-Usage"} {
		var u struct {
			Wait float64 `json:"estimated_time_to_regain_access"`
		}
		if v := h.Get(name); v != "" && json.Unmarshal([]byte(v), &u) == nil {
			minutes = max(minutes, u.Wait)
		}
	}
	if minutes <= 0 || minutes > 24*60 {
		return 0
	}
	return time.Duration(minutes * float64(time.Minute))
}
