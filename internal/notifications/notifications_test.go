package notifications_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/notifications"
	"github.com/switchboard/switchboard/internal/tenanttest"
	"github.com/switchboard/switchboard/internal/testfactory"
)

// notify creates a notification for userID in orgID, created at.
func (b *testBundle) notify(t *testing.T, orgID, userID uuid.UUID, title string, at time.Time) notifications.Notification {
	t.Helper()
	n, err := notifications.Create(b.ctx, b.tx, notifications.Params{
		OrgID: orgID, UserID: userID, Kind: "campaign.completed", Title: title, Body: "All 1,204 recipients reached a final status.", Link: "/messaging/campaigns",
	}, at)
	require.NoError(t, err)
	return n
}

func TestCreate(t *testing.T) {
	t.Parallel()
	b := setup(t)

	n := b.notify(t, b.org.ID, b.owner.ID, "  Spring sale finished  ", b.now)
	require.Equal(t, "Spring sale finished", n.Title)
	require.Equal(t, "campaign.completed", n.Kind)
	require.Equal(t, "/messaging/campaigns", n.Link)
	require.Equal(t, b.now, n.CreatedAt.UTC())
	require.Nil(t, n.ReadAt)

	long, err := notifications.Create(b.ctx, b.tx, notifications.Params{OrgID: b.org.ID, UserID: b.owner.ID, Kind: "alert", Title: strings.Repeat("é", 300)}, b.now)
	require.NoError(t, err)
	require.Equal(t, 200, len([]rune(long.Title)), "a long title is cut, not refused")
	require.True(t, strings.HasSuffix(long.Title, "…"))

	// Someone outside the org gets nothing.
	stranger := testfactory.User(b.ctx, t, b.tx, &testfactory.UserOpts{Password: "-"})
	_, err = notifications.Create(b.ctx, b.tx, notifications.Params{OrgID: b.org.ID, UserID: stranger.ID, Kind: "alert", Title: "x"}, b.now)
	require.ErrorIs(t, err, notifications.ErrNotMember)

	for _, p := range []notifications.Params{
		{OrgID: b.org.ID, UserID: b.owner.ID, Kind: "Campaign Completed", Title: "x"},
		{OrgID: b.org.ID, UserID: b.owner.ID, Kind: "alert", Title: "   "},
		{OrgID: b.org.ID, UserID: b.owner.ID, Kind: "alert", Title: "x", Link: "https://evil.example/"},
		{OrgID: b.org.ID, UserID: b.owner.ID, Kind: "alert", Title: "x", Link: "//evil.example/"},
		{OrgID: b.org.ID, UserID: b.owner.ID, Kind: "alert", Title: "x", Link: `/\evil.example`},
		{OrgID: b.org.ID, Kind: "alert", Title: "x"},
	} {
		_, err := notifications.Create(b.ctx, b.tx, p, b.now)
		require.Errorf(t, err, "%+v", p)
	}
}

func TestListAndRead(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tok := b.ownerToken(t)

	var created []notifications.Notification
	for i := range 5 {
		created = append(created, b.notify(t, b.org.ID, b.owner.ID, fmt.Sprintf("n%d", i), b.now.Add(time.Duration(i-10)*time.Minute)))
	}
	// Two share a time: the id breaks the tie, and paging loses neither.
	created = append(created, b.notify(t, b.org.ID, b.owner.ID, "n5", created[4].CreatedAt))
	// Another member's and another org's are not listed.
	colleague := testfactory.Member(b.ctx, t, b.tx, b.org.ID, auth.RoleMember)
	b.notify(t, b.org.ID, colleague.ID, "theirs", b.now)
	orgB, _ := b.newOrg(t)
	_, err := b.tx.Exec(b.ctx, `INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'viewer')`, orgB.ID, b.owner.ID)
	require.NoError(t, err)
	b.notify(t, orgB.ID, b.owner.ID, "in the other org", b.now)

	var seen []string
	cursor := ""
	for range 4 {
		var page notifications.NotificationPage
		status, raw := b.call(t, "GET", "/api/v1/notifications?limit=2&cursor="+cursor, tok, nil, &page)
		require.Equal(t, http.StatusOK, status, string(raw))
		require.Equal(t, int64(6), page.UnreadCount)
		for _, n := range page.Items {
			seen = append(seen, n.Title)
		}
		cursor = page.NextCursor
		if cursor == "" {
			break
		}
	}
	require.Len(t, seen, 6)
	require.ElementsMatch(t, []string{"n5", "n4"}, seen[:2], "newest first")
	require.Equal(t, []string{"n3", "n2", "n1", "n0"}, seen[2:])

	// Reading one: idempotent, keeps the first time.
	var n notifications.Notification
	status, raw := b.call(t, "POST", "/api/v1/notifications/"+created[0].ID.String()+"/read", tok, nil, &n)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Equal(t, b.now, n.ReadAt.UTC())
	first := *n.ReadAt
	b.now = b.now.Add(time.Minute)
	b.call(t, "POST", "/api/v1/notifications/"+created[0].ID.String()+"/read", tok, nil, &n)
	require.Equal(t, first, *n.ReadAt)

	var unread notifications.NotificationPage
	b.call(t, "GET", "/api/v1/notifications?unread=true", tok, nil, &unread)
	require.Len(t, unread.Items, 5)
	require.Equal(t, int64(5), unread.UnreadCount)

	// Mark all read up to what the list showed: a newer one stays unread.
	late := b.notify(t, b.org.ID, b.owner.ID, "late", b.now.Add(-time.Second))
	var res notifications.NotificationsReadAllResult
	status, raw = b.call(t, "POST", "/api/v1/notifications/read-all", tok, map[string]any{"up_to": created[5].CreatedAt}, &res)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Equal(t, notifications.NotificationsReadAllResult{Marked: 5, UnreadCount: 1}, res)
	status, raw = b.call(t, "POST", "/api/v1/notifications/read-all", tok, nil, &res)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Equal(t, notifications.NotificationsReadAllResult{Marked: 1, UnreadCount: 0}, res)
	got, err := notifications.Get(b.ctx, b.tx, b.org.ID, b.owner.ID, late.ID)
	require.NoError(t, err)
	require.NotNil(t, got.ReadAt)

	// The colleague's stays unread.
	count, err := notifications.UnreadCount(b.ctx, b.tx, b.org.ID, colleague.ID)
	require.NoError(t, err)
	require.Equal(t, int64(1), count)

	status, _ = b.call(t, "GET", "/api/v1/notifications?cursor=nonsense", tok, nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
}

// Every role has its own notifications; API keys have none.
func TestAccess(t *testing.T) {
	t.Parallel()
	b := setup(t)
	viewer := testfactory.Member(b.ctx, t, b.tx, b.org.ID, auth.RoleViewer)
	n := b.notify(t, b.org.ID, viewer.ID, "for the viewer", b.now)
	tok := b.token(t, viewer.ID, b.org.ID, auth.RoleViewer)

	var page notifications.NotificationPage
	status, raw := b.call(t, "GET", "/api/v1/notifications", tok, nil, &page)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Len(t, page.Items, 1)
	status, _ = b.call(t, "POST", "/api/v1/notifications/"+n.ID.String()+"/read", tok, nil, nil)
	require.Equal(t, http.StatusOK, status)

	key := testfactory.APIKey(b.ctx, t, b.tx, &testfactory.APIKeyOpts{OrgID: b.org.ID})
	status, _ = b.call(t, "GET", "/api/v1/notifications", key.Secret, nil, nil)
	require.Equal(t, http.StatusForbidden, status)
	status, _ = b.call(t, "GET", "/api/v1/notifications", "", nil, nil)
	require.Equal(t, http.StatusUnauthorized, status)
}

// A user of org B, and another member of org A, get 404 on A's user's
// notification: read, mark read; and mark-all-read touches only their own.
func TestCrossTenant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	n := b.notify(t, b.org.ID, b.owner.ID, "owner's", b.now)
	ownerTok := b.ownerToken(t)

	orgB, ownerB := b.newOrg(t)
	tokB := b.token(t, ownerB.ID, orgB.ID, auth.RoleOwner)
	colleague := testfactory.Member(b.ctx, t, b.tx, b.org.ID, auth.RoleAdmin)
	colleagueTok := b.token(t, colleague.ID, b.org.ID, auth.RoleAdmin)
	// The owner of A is also a member of B: acting in B, A's notification is not theirs.
	ownerInB := b.token(t, b.owner.ID, orgB.ID, auth.RoleViewer)

	res := tenanttest.Resource{
		Name:   "notification",
		Read:   tenanttest.Request{Method: "GET", Path: "/api/v1/notifications/" + n.ID.String()},
		Update: tenanttest.Request{Method: "POST", Path: "/api/v1/notifications/" + n.ID.String() + "/read"},
	}
	for name, other := range map[string]string{"other org": tokB, "same org, other member": colleagueTok} {
		t.Run(name, func(t *testing.T) {
			tenanttest.Check(t, b.do, ownerTok, other, res)
		})
	}
	_, err := b.tx.Exec(b.ctx, `INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, 'viewer')`, orgB.ID, b.owner.ID)
	require.NoError(t, err)
	tenanttest.Check(t, b.do, ownerTok, ownerInB, res)

	for _, tok := range []string{tokB, colleagueTok, ownerInB} {
		var page notifications.NotificationPage
		status, _ := b.call(t, "GET", "/api/v1/notifications", tok, nil, &page)
		require.Equal(t, http.StatusOK, status)
		require.Empty(t, page.Items)
		require.Zero(t, page.UnreadCount)
		b.call(t, "POST", "/api/v1/notifications/read-all", tok, nil, nil)
	}
	got, err := notifications.Get(b.ctx, b.tx, b.org.ID, b.owner.ID, n.ID)
	require.NoError(t, err)
	require.Nil(t, got.ReadAt, "nobody else marked it read")
}
