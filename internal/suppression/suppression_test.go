package suppression

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/tenanttest"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	tk := NewTokens([]byte("secret one"))
	id := uuid.New()
	for _, ch := range contacts.Channels {
		tok := tk.Make(id, ch)
		require.Len(t, tok, 46)
		gotID, gotCh, ok := tk.Parse(tok)
		require.True(t, ok)
		require.Equal(t, id, gotID)
		require.Equal(t, ch, gotCh)
	}
	tok := tk.Make(id, contacts.ChannelEmail)
	require.NotEqual(t, tok, tk.Make(id, contacts.ChannelWhatsApp), "a token is per channel")
	require.Equal(t, tok, tk.Make(id, contacts.ChannelEmail), "and stable: old messages' links keep working")
	_, _, ok := NewTokens([]byte("secret two")).Parse(tok)
	require.False(t, ok, "another key does not accept it")
	for i := range tok {
		flipped := []byte(tok)
		flipped[i] = map[bool]byte{true: 'A', false: 'B'}[flipped[i] != 'A']
		_, _, ok := tk.Parse(string(flipped))
		require.Falsef(t, ok, "changing character %d", i)
	}
	for _, bad := range []string{"", "x", tok + "A", strings.Repeat("A", 46)} {
		_, _, ok := tk.Parse(bad)
		require.False(t, ok, bad)
	}
	require.Equal(t, baseURL+"/u/"+tok, tk.URL(baseURL, id, contacts.ChannelEmail))
}

func (b *testBundle) suppressions(t *testing.T, orgID uuid.UUID) map[string]string {
	t.Helper()
	rows, err := b.pool.Query(context.Background(), `SELECT channel || ':' || value, reason || '/' || source FROM suppressions WHERE org_id = $1`, orgID)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k, v string
		require.NoError(t, rows.Scan(&k, &v))
		out[k] = v
	}
	return out
}

func (b *testBundle) events(t *testing.T, token string, contactID uuid.UUID) []ConsentEvent {
	t.Helper()
	var out listBody[ConsentEvent]
	status, raw := b.call(t, "GET", "/api/v1/contacts/"+contactID.String()+"/consent-events", token, nil, &out)
	require.Equal(t, http.StatusOK, status, string(raw))
	return out.Items
}

func TestUnsubscribePage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)
	c := b.contact(t, a.token, map[string]any{"email": "Ada@Example.com", "whatsapp": "+4915123456789",
		"consent": map[string]any{"email": map[string]any{"status": "opted_in"}}})

	var urls map[string]string
	status, _ := b.call(t, "GET", "/api/v1/contacts/"+c.ID.String()+"/unsubscribe-urls", a.token, nil, &urls)
	require.Equal(t, http.StatusOK, status)
	require.Len(t, urls, 2)
	emailPath := strings.TrimPrefix(urls["email"], baseURL)
	require.Equal(t, "/u/"+b.unsub.Make(c.ID, contacts.ChannelEmail), emailPath)

	// GET only asks: link scanners must not unsubscribe anyone.
	resp, html := b.page(t, "GET", emailPath, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	require.Contains(t, html, "a•••@example.com", "the address is masked")
	require.NotContains(t, html, "Ada@")
	require.Contains(t, html, `<form method="post" action="`+emailPath+`"`)
	require.NotContains(t, strings.ToLower(html), "<script")
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'")
	require.NotContains(t, resp.Header.Get("Content-Security-Policy"), "unsafe-inline' http")
	require.Equal(t, "no-referrer", resp.Header.Get("Referrer-Policy"))
	require.Empty(t, b.suppressions(t, a.orgID))

	// POST from the page records it.
	resp, html = b.page(t, "POST", emailPath, "confirm=1")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, html, "You are unsubscribed")
	require.Equal(t, map[string]string{"email:ada@example.com": "unsubscribed/unsubscribe_page"}, b.suppressions(t, a.orgID))
	var got contacts.Contact
	b.call(t, "GET", "/api/v1/contacts/"+c.ID.String(), a.token, nil, &got)
	require.Equal(t, contacts.ConsentOptedOut, got.Consent["email"].Status)
	require.Equal(t, SourceUnsubscribePage, got.Consent["email"].Source)
	evs := b.events(t, a.token, c.ID)
	require.Len(t, evs, 1)
	require.Equal(t, "opted_out", evs[0].Action)
	require.Equal(t, "ada@example.com", evs[0].Value)

	// Again: nothing changes, nothing is recorded twice.
	resp, html = b.page(t, "POST", emailPath, "confirm=1")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, html, "already unsubscribed")
	require.Len(t, b.events(t, a.token, c.ID), 1)

	// A mail client's one-click POST (RFC 8058), on the WhatsApp link.
	resp, _ = b.page(t, "POST", strings.TrimPrefix(urls["whatsapp"], baseURL), "List-Unsubscribe=One-Click")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "unsubscribed/one_click", b.suppressions(t, a.orgID)["whatsapp:+4915123456789"])

	// The list sees it; sends see it, set-based.
	var page contacts.ContactPage
	b.call(t, "GET", "/api/v1/contacts?opted_out=whatsapp", a.token, nil, &page)
	require.Len(t, page.Items, 1)
	got2, err := SuppressedAmong(context.Background(), b.pool, a.orgID, contacts.ChannelEmail, []string{"ada@example.com", "bob@example.com"})
	require.NoError(t, err)
	require.Equal(t, []string{"ada@example.com"}, got2)

	// Unknown, forged and dead tokens get the not-found page.
	for _, path := range []string{"/u/nope", "/u/" + b.unsub.Make(uuid.New(), contacts.ChannelEmail), "/u/" + NewTokens([]byte("other")).Make(c.ID, contacts.ChannelEmail)} {
		for _, method := range []string{"GET", "POST"} {
			resp, html := b.page(t, method, path, "List-Unsubscribe=One-Click")
			require.Equal(t, http.StatusNotFound, resp.StatusCode, method+" "+path)
			require.Contains(t, html, "Link not valid")
		}
	}
}

func TestContactChannelsView(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)
	ann := b.contact(t, a.token, map[string]any{"email": "ann@example.com", "telegram_chat_id": "42"})
	bob := b.contact(t, a.token, map[string]any{"email": "bob@example.com"})
	cat := b.contact(t, a.token, map[string]any{"email": "cat@example.com"})
	_, err := OptOut(context.Background(), b.pool, a.orgID, bob.ID, contacts.ChannelEmail, SourceAdmin, "asked by phone", Actor{}, time.Now())
	require.NoError(t, err)
	status, raw := b.call(t, "POST", "/api/v1/suppressions", a.token, map[string]any{"channel": "email", "value": "CAT@example.com", "reason": "bounced"}, nil)
	require.Equal(t, http.StatusCreated, status, string(raw))

	rows, err := b.pool.Query(context.Background(), `
		SELECT contact_id, channel, address, opted_out, suppressed, sendable FROM contact_channels
		WHERE org_id = $1 ORDER BY address`, a.orgID)
	require.NoError(t, err)
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id uuid.UUID
		var ch, addr string
		var out, sup, send bool
		require.NoError(t, rows.Scan(&id, &ch, &addr, &out, &sup, &send))
		got = append(got, fmt.Sprintf("%s %s %v %v %v", ch, addr, out, sup, send))
	}
	require.Equal(t, []string{
		"telegram 42 false false true",
		"email ann@example.com false false true",
		"email bob@example.com true true false",
		"email cat@example.com false true false",
	}, got)
	var page contacts.ContactPage
	b.call(t, "GET", "/api/v1/contacts?opted_out=any", a.token, nil, &page)
	require.Len(t, page.Items, 1)
	require.Equal(t, bob.ID, page.Items[0].ID)
	require.NotEqual(t, ann.ID, cat.ID)
}

func TestResubscribeIsRecorded(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)
	c := b.contact(t, a.token, map[string]any{"email": "re@example.com"})
	member, _ := b.tokenFor(t, a.orgID, auth.RoleMember)
	admin, adminID := b.tokenFor(t, a.orgID, auth.RoleAdmin)

	status, raw := b.call(t, "POST", "/api/v1/contacts/"+c.ID.String()+"/resubscribe", admin, map[string]any{"channel": "email", "reason": "x"}, nil)
	require.Equal(t, http.StatusConflict, status, "not unsubscribed: %s", raw)

	// A member records an opt-out received by phone.
	var got contacts.Contact
	status, raw = b.call(t, "POST", "/api/v1/contacts/"+c.ID.String()+"/unsubscribe", member, map[string]any{"channel": "email", "reason": "called us"}, &got)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Equal(t, contacts.ConsentOptedOut, got.Consent["email"].Status)

	status, _ = b.call(t, "POST", "/api/v1/contacts/"+c.ID.String()+"/resubscribe", member, map[string]any{"channel": "email", "reason": "x"}, nil)
	require.Equal(t, http.StatusForbidden, status, "members may not resubscribe")
	status, raw = b.call(t, "POST", "/api/v1/contacts/"+c.ID.String()+"/resubscribe", admin, map[string]any{"channel": "email", "reason": "  "}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "body.reason", decodeProblem(t, raw).Errors[0].Location)

	status, raw = b.call(t, "POST", "/api/v1/contacts/"+c.ID.String()+"/resubscribe", admin, map[string]any{"channel": "email", "reason": "signed the paper form again"}, &got)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Equal(t, contacts.ConsentOptedIn, got.Consent["email"].Status)
	require.Equal(t, SourceAdmin, got.Consent["email"].Source)
	require.Empty(t, b.suppressions(t, a.orgID))

	evs := b.events(t, a.token, c.ID)
	require.Len(t, evs, 2)
	require.Equal(t, "resubscribed", evs[0].Action)
	require.Equal(t, "signed the paper form again", evs[0].Reason)
	require.Equal(t, adminID, *evs[0].ActorUserID)
	require.Equal(t, "opted_out", evs[1].Action)
	require.Equal(t, "called us", evs[1].Reason)
}

func TestSuppressionList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)

	var s Suppression
	status, raw := b.call(t, "POST", "/api/v1/suppressions", a.key, map[string]any{"channel": "email", "value": " ADA@Example.com ", "note": "asked"}, &s)
	require.Equal(t, http.StatusCreated, status, string(raw))
	require.Equal(t, "ada@example.com", s.Value)
	require.Equal(t, ReasonManual, s.Reason)
	require.Equal(t, "api", s.Source)

	status, raw = b.call(t, "POST", "/api/v1/suppressions", a.token, map[string]any{"channel": "email", "value": "ada@EXAMPLE.com", "reason": "bounced"}, nil)
	require.Equal(t, http.StatusConflict, status)
	require.Contains(t, decodeProblem(t, raw).Detail, s.ID.String())
	status, raw = b.call(t, "POST", "/api/v1/suppressions", a.token, map[string]any{"channel": "whatsapp", "value": "12"}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "body.value", decodeProblem(t, raw).Errors[0].Location)

	for i := range 6 {
		status, raw = b.call(t, "POST", "/api/v1/suppressions", a.token, map[string]any{"channel": "whatsapp", "value": fmt.Sprintf("(415) 555-01%02d", i), "reason": "spam_complaint"}, nil)
		require.Equal(t, http.StatusCreated, status, string(raw))
	}
	var all []Suppression
	cursor := ""
	for {
		var p SuppressionPage
		status, raw = b.call(t, "GET", "/api/v1/suppressions?limit=3&cursor="+url.QueryEscape(cursor), a.token, nil, &p)
		require.Equal(t, http.StatusOK, status, string(raw))
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	require.Len(t, all, 7)
	require.Equal(t, s.ID, all[6].ID, "newest first")
	var p SuppressionPage
	b.call(t, "GET", "/api/v1/suppressions?search=555-0103&channel=whatsapp", a.token, nil, &p)
	require.Empty(t, p.Items, "values are normalized; search the stored form")
	b.call(t, "GET", "/api/v1/suppressions?search=5550103&channel=whatsapp", a.token, nil, &p)
	require.Len(t, p.Items, 1)
	b.call(t, "GET", "/api/v1/suppressions?reason=spam_complaint", a.token, nil, &p)
	require.Len(t, p.Items, 6)

	status, _ = b.call(t, "PATCH", "/api/v1/suppressions/"+s.ID.String(), a.token, map[string]any{"reason": "bounced"}, &s)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "bounced", s.Reason)
	require.Equal(t, "asked", s.Note)

	member, _ := b.tokenFor(t, a.orgID, auth.RoleMember)
	status, _ = b.call(t, "DELETE", "/api/v1/suppressions/"+s.ID.String()+"?reason=typo", member, nil, nil)
	require.Equal(t, http.StatusForbidden, status)
	status, _ = b.call(t, "DELETE", "/api/v1/suppressions/"+s.ID.String(), a.token, nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status, "lifting needs a reason")
	status, _ = b.call(t, "DELETE", "/api/v1/suppressions/"+s.ID.String()+"?reason=typo", a.token, nil, nil)
	require.Equal(t, http.StatusNoContent, status)
	status, _ = b.call(t, "GET", "/api/v1/suppressions/"+s.ID.String(), a.token, nil, nil)
	require.Equal(t, http.StatusNotFound, status)
	var action, reason string
	require.NoError(t, b.pool.QueryRow(context.Background(),
		`SELECT action, reason FROM consent_events WHERE org_id = $1 AND value = 'ada@example.com' ORDER BY created_at DESC LIMIT 1`, a.orgID).Scan(&action, &reason))
	require.Equal(t, []string{"unsuppressed", "typo"}, []string{action, reason})
}

func (b *testBundle) uploadCSV(t *testing.T, token, query, content string) (int, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", "s.csv")
	require.NoError(t, err)
	_, _ = fw.Write([]byte(content))
	require.NoError(t, mw.Close())
	req := httptest.NewRequest("POST", "/api/v1/suppressions/imports"+query, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	return b.send(t, req, nil)
}

func TestSuppressionImport(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)
	status, _ := b.call(t, "POST", "/api/v1/suppressions", a.token, map[string]any{"channel": "email", "value": "old@example.com"}, nil)
	require.Equal(t, http.StatusCreated, status)

	var res SuppressionImportResult
	status, raw := b.uploadCSV(t, a.token, "?reason=bounced", strings.Join([]string{
		"Email;Reason",
		"one@example.com;",
		"TWO@example.com;spam_complaint",
		"old@example.com;",
		"one@example.com;",
		"not-an-email;",
		"three@example.com;lost",
		";",
	}, "\n"))
	require.Equal(t, http.StatusOK, status, string(raw))
	require.NoError(t, jsonUnmarshal(raw, &res))
	require.Equal(t, 6, res.Rows)
	require.EqualValues(t, 2, res.Added)
	require.EqualValues(t, 2, res.Existing, "already suppressed, or repeated in the file")
	require.Equal(t, 2, res.Rejected)
	require.Equal(t, 6, res.Rejects[0].Line)
	require.Equal(t, "not-an-email", res.Rejects[0].Value)
	require.Equal(t, 7, res.Rejects[1].Line)
	got := b.suppressions(t, a.orgID)
	require.Equal(t, "bounced/import", got["email:one@example.com"])
	require.Equal(t, "spam_complaint/import", got["email:two@example.com"])
	require.Equal(t, "manual/api", got["email:old@example.com"])

	// Channel by column, and a channel for files that do not say.
	status, raw = b.uploadCSV(t, a.token, "", "channel,value\nwhatsapp,+14155550100\ntelegram,12345\ninstagram,abc\n")
	require.Equal(t, http.StatusOK, status, string(raw))
	require.NoError(t, jsonUnmarshal(raw, &res))
	require.EqualValues(t, 2, res.Added)
	require.Equal(t, 1, res.Rejected)
	status, raw = b.uploadCSV(t, a.token, "", "value\nx@example.com\n")
	require.Equal(t, http.StatusUnprocessableEntity, status, string(raw))
	status, raw = b.uploadCSV(t, a.token, "?channel=email", "value\nx@example.com\n")
	require.Equal(t, http.StatusOK, status, string(raw))
}

func TestCrossTenant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)
	other := b.tenant(t)
	c := b.contact(t, a.token, map[string]any{"email": "mine@example.com"})
	var s Suppression
	status, _ := b.call(t, "POST", "/api/v1/suppressions", a.token, map[string]any{"channel": "email", "value": "mine@example.com"}, &s)
	require.Equal(t, http.StatusCreated, status)

	resources := []tenanttest.Resource{
		{
			Name:   "suppression",
			Read:   tenanttest.Request{Method: "GET", Path: "/api/v1/suppressions/" + s.ID.String()},
			Update: tenanttest.Request{Method: "PATCH", Path: "/api/v1/suppressions/" + s.ID.String(), Body: map[string]any{"note": "x"}},
			Delete: tenanttest.Request{Method: "DELETE", Path: "/api/v1/suppressions/" + s.ID.String() + "?reason=mine"},
		},
		{
			Name:   "contact consent",
			Read:   tenanttest.Request{Method: "GET", Path: "/api/v1/contacts/" + c.ID.String() + "/consent-events"},
			Update: tenanttest.Request{Method: "POST", Path: "/api/v1/contacts/" + c.ID.String() + "/unsubscribe", Body: map[string]any{"channel": "email"}},
			Delete: tenanttest.Request{Method: "POST", Path: "/api/v1/contacts/" + c.ID.String() + "/resubscribe", Body: map[string]any{"channel": "email", "reason": "theirs"}},
		},
		{
			Name: "contact unsubscribe links",
			Read: tenanttest.Request{Method: "GET", Path: "/api/v1/contacts/" + c.ID.String() + "/unsubscribe-urls"},
		},
	}
	for _, r := range resources {
		t.Run(r.Name+" with a user token", func(t *testing.T) {
			t.Parallel()
			tenanttest.Check(t, b.do, a.token, other.token, r)
		})
		t.Run(r.Name+" with an API key", func(t *testing.T) {
			t.Parallel()
			tenanttest.Check(t, b.do, a.token, other.key, r)
		})
	}
	var p SuppressionPage
	b.call(t, "GET", "/api/v1/suppressions", other.token, nil, &p)
	require.Empty(t, p.Items)
	got, err := SuppressedAmong(context.Background(), b.pool, other.orgID, contacts.ChannelEmail, []string{"mine@example.com"})
	require.NoError(t, err)
	require.Empty(t, got, "suppressions are per org")
}
