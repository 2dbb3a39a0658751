package messaging

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/dbutil"
	"github.com/switchboard/switchboard/internal/tenanttest"
)

// inbound stores a message from contactID as conversations.Receive would.
func inbound(t *testing.T, db dbutil.Executor, org, contactID uuid.UUID, channel, text, media string, at time.Time) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	var conv uuid.UUID
	require.NoError(t, db.QueryRow(ctx, `
		INSERT INTO conversations (org_id, contact_id, channel, last_inbound_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (org_id, contact_id, channel) DO UPDATE SET last_inbound_at = excluded.last_inbound_at
		RETURNING id`, org, contactID, channel, at).Scan(&conv))
	var id uuid.UUID
	require.NoError(t, db.QueryRow(ctx, `
		INSERT INTO inbound_messages (org_id, conversation_id, contact_id, channel, provider_message_id, from_address, body, media, received_at)
		VALUES ($1, $2, $3, $4, $5, 'addr', $6, $7, $8) RETURNING id`,
		org, conv, contactID, channel, uuid.NewString(), text, media, at).Scan(&id))
	return id
}

func TestListInbound(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ada := b.contact(t, contacts.ContactInput{WhatsApp: ptr("+14155550111"), FirstName: ptr("Ada"), LastName: ptr("Lovelace")})
	tg := b.contact(t, contacts.ContactInput{TelegramChatID: ptr("777"), TelegramUsername: ptr("grace")})
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	upload := uuid.New()
	media := fmt.Sprintf(`[{"upload_id":%q,"content_type":"image/png","filename":"pic.png","size":12}]`, upload)
	for i := range 5 {
		inbound(t, b.tx, b.org, ada.ID, "whatsapp", fmt.Sprintf("hello %d", i), "[]", base.Add(time.Duration(i)*time.Minute))
	}
	photo := inbound(t, b.tx, b.org, tg.ID, "telegram", "look at this", media, base.Add(10*time.Minute))

	page, err := ListInbound(b.ctx, b.tx, b.org, InboundListParams{Limit: 4})
	require.NoError(t, err)
	require.Len(t, page.Items, 4)
	require.Equal(t, photo, page.Items[0].ID, "newest first")
	require.Equal(t, "grace", page.Items[0].Contact.Username)
	require.Len(t, page.Items[0].Media, 1)
	require.Equal(t, &upload, page.Items[0].Media[0].UploadID)
	require.Equal(t, "Ada Lovelace", page.Items[1].Contact.Name)
	require.Equal(t, "hello 4", page.Items[1].Text)
	require.NotEmpty(t, page.NextCursor)

	next, err := ListInbound(b.ctx, b.tx, b.org, InboundListParams{Limit: 4, Cursor: page.NextCursor})
	require.NoError(t, err)
	require.Len(t, next.Items, 2)
	require.Equal(t, "hello 0", next.Items[1].Text)
	require.Empty(t, next.NextCursor)

	for _, tc := range []struct {
		name string
		p    InboundListParams
		want int
	}{
		{"channel", InboundListParams{Channel: "telegram"}, 1},
		{"contact", InboundListParams{ContactID: &ada.ID}, 5},
		{"text", InboundListParams{Search: "LOOK"}, 1},
		{"name", InboundListParams{Search: "lovelace"}, 5},
		{"wildcards are literal", InboundListParams{Search: "%"}, 0},
	} {
		got, err := ListInbound(b.ctx, b.tx, b.org, tc.p)
		require.NoError(t, err, tc.name)
		require.Len(t, got.Items, tc.want, tc.name)
	}

	_, err = ListInbound(b.ctx, b.tx, b.org, InboundListParams{Cursor: "nope"})
	fieldErr(t, err, "query.cursor")

	m, err := GetInbound(b.ctx, b.tx, b.org, photo)
	require.NoError(t, err)
	require.Equal(t, "look at this", m.Text)
	_, err = GetInbound(b.ctx, b.tx, uuid.New(), photo)
	require.ErrorIs(t, err, ErrInboundNotFound)
}

func TestInboundRouteCrossTenant(t *testing.T) {
	t.Parallel()
	a := setupAPI(t)
	pool := dbtest.Pool(t)
	mine := a.tenant(t, auth.RoleViewer)
	other := a.tenant(t, auth.RoleOwner)
	c, err := contacts.Create(context.Background(), pool, mine.org, contacts.ContactInput{TelegramChatID: ptr("4242")}, time.Now())
	require.NoError(t, err)
	id := inbound(t, pool, mine.org, c.ID, "telegram", "mine only", "[]", time.Now())

	// A viewer reads the log; the route is not taken for a message id.
	status, _, raw := a.call(t, "GET", "/api/v1/messages/inbound?channel=telegram", mine.token, nil, nil)
	require.Equal(t, http.StatusOK, status, string(raw))
	var page InboundPage
	require.NoError(t, json.Unmarshal(raw, &page))
	require.Len(t, page.Items, 1)
	require.Equal(t, id, page.Items[0].ID)

	// Another org sees none of it, even naming the contact.
	status, _, raw = a.call(t, "GET", "/api/v1/messages/inbound?contact_id="+c.ID.String(), other.token, nil, nil)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.NoError(t, json.Unmarshal(raw, &page))
	require.Empty(t, page.Items)

	r := tenanttest.Resource{Name: "inbound message", Read: tenanttest.Request{Method: "GET", Path: "/api/v1/messages/inbound/" + id.String()}}
	tenanttest.Check(t, a.do, mine.token, other.token, r)
	tenanttest.Check(t, a.do, mine.token, other.key, r)
}
