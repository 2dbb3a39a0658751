package conversations

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/messaging"
	"github.com/switchboard/switchboard/internal/tenanttest"
)

func TestConversationsAPI(t *testing.T) {
	t.Parallel()
	a := setupAPI(t)
	owner := a.tenant(t, auth.RoleOwner)
	member := a.memberToken(t, owner.org, auth.RoleMember)
	viewer := a.memberToken(t, owner.org, auth.RoleViewer)

	first := a.seed(t, owner.org, Inbound{Channel: contacts.ChannelWhatsApp, From: "+14155550111", FirstName: "Wanda", Text: "first",
		ReceivedAt: time.Now().Add(-2 * time.Minute), Media: []Media{fakeMedia("p.png", "image/png", pngBytes, nil, nil)}})
	a.seed(t, owner.org, Inbound{Channel: contacts.ChannelWhatsApp, From: "+14155550111", Text: "second", ReceivedAt: time.Now().Add(-time.Minute)})
	tg := a.seed(t, owner.org, Inbound{Channel: contacts.ChannelTelegram, From: "31337", Username: "tele_tom", FirstName: "Tom", Text: "from telegram"})

	t.Run("List", func(t *testing.T) {
		var page Page
		status, raw := a.call(t, "GET", "/api/v1/conversations", viewer, nil, nil, &page)
		require.Equal(t, http.StatusOK, status, string(raw))
		require.Len(t, page.Items, 2)
		require.Equal(t, tg.ConversationID, page.Items[0].ID, "newest activity first")
		require.Equal(t, first.ConversationID, page.Items[1].ID)
		require.Equal(t, 2, page.Items[1].UnreadCount)
		require.Equal(t, "second", page.Items[1].LastMessagePreview)
		require.Equal(t, "Wanda", page.Items[1].Contact.Name)

		status, _ = a.call(t, "GET", "/api/v1/conversations?channel=telegram", viewer, nil, nil, &page)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, page.Items, 1)
		require.Equal(t, "tele_tom", page.Items[0].Contact.Username)

		for _, q := range []string{"wanda", "4155550111", "TELE_TOM", "31337"} {
			status, _ = a.call(t, "GET", "/api/v1/conversations?search="+url.QueryEscape(q), viewer, nil, nil, &page)
			require.Equal(t, http.StatusOK, status)
			require.Len(t, page.Items, 1, q)
		}

		status, _ = a.call(t, "GET", "/api/v1/conversations?limit=1", viewer, nil, nil, &page)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, page.Items, 1)
		require.NotEmpty(t, page.NextCursor)
		var next Page
		status, _ = a.call(t, "GET", "/api/v1/conversations?limit=1&cursor="+page.NextCursor, viewer, nil, nil, &next)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, next.Items, 1)
		require.Equal(t, first.ConversationID, next.Items[0].ID)
		require.Empty(t, next.NextCursor)

		status, _ = a.call(t, "GET", "/api/v1/conversations?cursor=garbage", viewer, nil, nil, nil)
		require.Equal(t, http.StatusUnprocessableEntity, status)
	})

	t.Run("ThreadReadAndReply", func(t *testing.T) {
		id := first.ConversationID.String()
		var th Thread
		status, raw := a.call(t, "GET", "/api/v1/conversations/"+id+"/messages", viewer, nil, nil, &th)
		require.Equal(t, http.StatusOK, status, string(raw))
		require.Len(t, th.Items, 2)
		require.Equal(t, "first", th.Items[0].Text, "oldest first")
		require.Len(t, th.Items[0].Media, 1)
		require.NotNil(t, th.Items[0].Media[0].UploadID)

		// The viewer may read but not reply.
		status, _ = a.call(t, "POST", "/api/v1/conversations/"+id+"/messages", viewer, ReplyRequest{Body: "nope"}, nil, nil)
		require.Equal(t, http.StatusForbidden, status)

		var msg messaging.Message
		hdr := map[string]string{"Idempotency-Key": "reply-" + uuid.NewString()}
		status, raw = a.call(t, "POST", "/api/v1/conversations/"+id+"/messages", member, ReplyRequest{Body: "Hi {{first_name}}!"}, hdr, &msg)
		require.Equal(t, http.StatusAccepted, status, string(raw))
		require.Equal(t, "Hi Wanda!", msg.BodyText)
		require.Equal(t, first.ConversationID, *msg.ConversationID)
		require.Equal(t, messaging.StatusQueued, msg.Status)

		var again messaging.Message
		status, _ = a.call(t, "POST", "/api/v1/conversations/"+id+"/messages", member, ReplyRequest{Body: "Hi {{first_name}}!"}, hdr, &again)
		require.Equal(t, http.StatusAccepted, status)
		require.Equal(t, msg.ID, again.ID, "the idempotency key answers with the first message")

		status, raw = a.call(t, "POST", "/api/v1/conversations/"+id+"/messages", member, ReplyRequest{}, nil, nil)
		require.Equal(t, http.StatusUnprocessableEntity, status, string(raw))

		status, _ = a.call(t, "GET", "/api/v1/conversations/"+id+"/messages", viewer, nil, nil, &th)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, th.Items, 3)
		last := th.Items[2]
		require.Equal(t, "outbound", last.Direction)
		require.Equal(t, "Hi Wanda!", last.Text)
		require.Equal(t, messaging.StatusQueued, last.Status)

		status, _ = a.call(t, "GET", "/api/v1/conversations/"+id+"/messages?limit=2", viewer, nil, nil, &th)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, th.Items, 2)
		require.Equal(t, "second", th.Items[0].Text)
		require.NotEmpty(t, th.PrevCursor)
		var older Thread
		status, _ = a.call(t, "GET", "/api/v1/conversations/"+id+"/messages?limit=2&cursor="+th.PrevCursor, viewer, nil, nil, &older)
		require.Equal(t, http.StatusOK, status)
		require.Len(t, older.Items, 1)
		require.Equal(t, "first", older.Items[0].Text)
		require.Empty(t, older.PrevCursor)

		var conv Conversation
		status, _ = a.call(t, "POST", "/api/v1/conversations/"+id+"/read", viewer, nil, nil, &conv)
		require.Equal(t, http.StatusOK, status)
		require.Zero(t, conv.UnreadCount)
		require.Equal(t, "outbound", conv.LastMessageDirection)
		require.Equal(t, "Hi Wanda!", conv.LastMessagePreview)

		var unread Page
		status, _ = a.call(t, "GET", "/api/v1/conversations?unread=true", viewer, nil, nil, &unread)
		require.Equal(t, http.StatusOK, status)
		for _, c := range unread.Items {
			require.NotEqual(t, first.ConversationID, c.ID)
		}
	})

	t.Run("ReplyWithAPIKey", func(t *testing.T) {
		var msg messaging.Message
		status, raw := a.call(t, "POST", "/api/v1/conversations/"+tg.ConversationID.String()+"/messages", owner.key, ReplyRequest{Body: "by key"}, nil, &msg)
		require.Equal(t, http.StatusAccepted, status, string(raw))
		require.Equal(t, "31337", msg.To)
		require.NotNil(t, msg.APIKeyID)
	})
}

func TestInstagramReplyClosed(t *testing.T) {
	t.Parallel()
	a := setupAPI(t)
	owner := a.tenant(t, auth.RoleOwner)
	m := a.seed(t, owner.org, Inbound{Channel: contacts.ChannelInstagram, From: "99001", Text: "old", ReceivedAt: time.Now().Add(-30 * time.Hour)})
	status, raw := a.call(t, "POST", "/api/v1/conversations/"+m.ConversationID.String()+"/messages", owner.token, ReplyRequest{Body: "late"}, nil, nil)
	require.Equal(t, http.StatusConflict, status, string(raw))
	require.Contains(t, string(raw), "24 hours")

	open := a.seed(t, owner.org, Inbound{Channel: contacts.ChannelInstagram, From: "99002", Text: "new"})
	var msg messaging.Message
	status, raw = a.call(t, "POST", "/api/v1/conversations/"+open.ConversationID.String()+"/messages", owner.token, ReplyRequest{Body: "in time"}, nil, &msg)
	require.Equal(t, http.StatusAccepted, status, string(raw))
}

func TestConversationsCrossTenant(t *testing.T) {
	t.Parallel()
	a := setupAPI(t)
	owner := a.tenant(t, auth.RoleOwner)
	other := a.tenant(t, auth.RoleOwner)
	m := a.seed(t, owner.org, Inbound{Channel: contacts.ChannelWhatsApp, From: "+14155550122", Text: "private"})
	base := "/api/v1/conversations/" + m.ConversationID.String()
	resources := []tenanttest.Resource{
		{
			Name:   "conversation",
			Read:   tenanttest.Request{Method: "GET", Path: base},
			Update: tenanttest.Request{Method: "POST", Path: base + "/read"},
		},
		{
			Name:   "thread",
			Read:   tenanttest.Request{Method: "GET", Path: base + "/messages"},
			Update: tenanttest.Request{Method: "POST", Path: base + "/messages", Body: map[string]any{"body": "hijack"}},
		},
	}
	for _, r := range resources {
		t.Run(r.Name, func(t *testing.T) {
			t.Parallel()
			tenanttest.Check(t, a.do, owner.token, other.token, r)
		})
		t.Run(r.Name+" with an API key", func(t *testing.T) {
			t.Parallel()
			tenanttest.Check(t, a.do, owner.token, other.key, r)
		})
	}

	t.Run("ListAndStartCodes", func(t *testing.T) {
		t.Parallel()
		var page Page
		status, _ := a.call(t, "GET", "/api/v1/conversations", other.token, nil, nil, &page)
		require.Equal(t, http.StatusOK, status)
		for _, c := range page.Items {
			require.NotEqual(t, m.ConversationID, c.ID)
		}
		var sc StartCode
		status, raw := a.call(t, "POST", "/api/v1/telegram/start-codes", owner.token, StartCodeRequest{ContactID: &m.ContactID}, nil, &sc)
		require.Equal(t, http.StatusOK, status, string(raw))
		status, _ = a.call(t, "GET", "/api/v1/telegram/start-codes?contact_id="+m.ContactID.String(), other.token, nil, nil, nil)
		require.Equal(t, http.StatusNotFound, status)
		status, _ = a.call(t, "POST", "/api/v1/telegram/start-codes", other.token, StartCodeRequest{ContactID: &m.ContactID}, nil, nil)
		require.Equal(t, http.StatusUnprocessableEntity, status)
		// The other org's thread never sees the replies it tried.
		var th Thread
		status, _ = a.call(t, "GET", base+"/messages", owner.token, nil, nil, &th)
		require.Equal(t, http.StatusOK, status)
		for _, it := range th.Items {
			require.NotEqual(t, "hijack", it.Text)
		}
	})
}

func TestStartCodesAPI(t *testing.T) {
	t.Parallel()
	a := setupAPI(t)
	owner := a.tenant(t, auth.RoleOwner)
	viewer := a.memberToken(t, owner.org, auth.RoleViewer)
	c, err := contacts.Create(context.Background(), dbtest.Pool(t), owner.org, contacts.ContactInput{Email: ptr("onboard@example.com")}, time.Now())
	require.NoError(t, err)

	status, _ := a.call(t, "GET", "/api/v1/telegram/start-codes?contact_id="+c.ID.String(), viewer, nil, nil, nil)
	require.Equal(t, http.StatusNotFound, status)
	status, _ = a.call(t, "POST", "/api/v1/telegram/start-codes", viewer, StartCodeRequest{ContactID: &c.ID}, nil, nil)
	require.Equal(t, http.StatusForbidden, status)

	var sc StartCode
	status, raw := a.call(t, "POST", "/api/v1/telegram/start-codes", owner.token, StartCodeRequest{ContactID: &c.ID}, nil, &sc)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Regexp(t, `^[A-Za-z0-9_-]{22}$`, sc.Code)
	require.Equal(t, "https://t.me/switchboard_test_bot?start="+sc.Code, *sc.Link)
	require.Equal(t, c.ID, *sc.ContactID)

	var got StartCode
	status, _ = a.call(t, "GET", "/api/v1/telegram/start-codes?contact_id="+c.ID.String(), viewer, nil, nil, &got)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, sc.Code, got.Code)

	var same, rotated StartCode
	a.call(t, "POST", "/api/v1/telegram/start-codes", owner.token, StartCodeRequest{ContactID: &c.ID}, nil, &same)
	require.Equal(t, sc.Code, same.Code)
	a.call(t, "POST", "/api/v1/telegram/start-codes", owner.token, StartCodeRequest{ContactID: &c.ID, Rotate: true}, nil, &rotated)
	require.NotEqual(t, sc.Code, rotated.Code)

	var org StartCode
	status, _ = a.call(t, "POST", "/api/v1/telegram/start-codes", owner.token, map[string]any{}, nil, &org)
	require.Equal(t, http.StatusOK, status)
	require.Nil(t, org.ContactID)
	require.True(t, strings.HasSuffix(*org.Link, org.Code))
	status, _ = a.call(t, "GET", "/api/v1/telegram/start-codes", viewer, nil, nil, &got)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, org.Code, got.Code)

	status, _ = a.call(t, "GET", "/api/v1/telegram/start-codes?contact_id=nope", viewer, nil, nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
}

func TestStartCodeWithoutBot(t *testing.T) {
	t.Parallel()
	require.Nil(t, startCodeFrom(dbsqlcCode("abcdefgh12"), "").Link)
	sc := startCodeFrom(dbsqlcCode("abcdefgh12"), "my_bot")
	require.Equal(t, "https://t.me/my_bot?start=abcdefgh12", *sc.Link)
}

func dbsqlcCode(code string) dbsqlc.TelegramStartCode { return dbsqlc.TelegramStartCode{Code: code} }
