package webhooks

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/db/dbsqlc"
	"github.com/switchboard/switchboard/internal/testfactory"
)

// token is an access token for a new member of org with role.
func (b *testBundle) token(t *testing.T, orgID uuid.UUID, role auth.Role) string {
	t.Helper()
	u := testfactory.User(b.ctx, t, b.tx, &testfactory.UserOpts{Password: "-"})
	_, err := dbsqlc.New().AddMember(b.ctx, b.tx, dbsqlc.AddMemberParams{OrgID: orgID, UserID: u.ID, Role: string(role)})
	require.NoError(t, err)
	tok, err := b.tokens.Issue(u.ID, uuid.NullUUID{UUID: orgID, Valid: true}, role, uuid.New(), false)
	require.NoError(t, err)
	return tok
}

func (b *testBundle) getLog(t *testing.T, token, query string) (int, WebhookLogPage) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/webhooks/log"+query, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res := b.do(t, req)
	var page WebhookLogPage
	if res.status == http.StatusOK {
		require.NoError(t, json.Unmarshal([]byte(res.body), &page))
	}
	return res.status, page
}

func TestLogAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for i := range 3 {
		require.Equal(t, http.StatusOK, b.postTelegram(t, b.a, b.a.tgSecret, tgUpdate(int64(100+i), 42, int64(i), "hi")).status)
	}
	require.Equal(t, http.StatusUnauthorized, b.postTelegram(t, b.a, "nope", tgUpdate(200, 42, 1, "x")).status)
	require.Equal(t, http.StatusOK, b.postSendGrid(t, b.a, b.a.sgKey, b.now, []byte(`[]`)).status)
	require.Equal(t, http.StatusOK, b.postTelegram(t, b.b, b.b.tgSecret, tgUpdate(300, 43, 1, "other org")).status)

	viewer := b.token(t, b.a.org.ID, auth.RoleViewer)
	status, page := b.getLog(t, viewer, "")
	require.Equal(t, http.StatusOK, status)
	require.Len(t, page.Items, 5, "the other org's call is not listed")
	require.Equal(t, "sendgrid", page.Items[0].Provider)
	require.Equal(t, VerdictBadSignature, page.Items[1].Verdict)
	require.Equal(t, http.StatusUnauthorized, page.Items[1].HTTPStatus)

	_, page = b.getLog(t, viewer, "?provider=telegram&verdict=accepted")
	require.Len(t, page.Items, 3)

	// Keyset pages, newest first, each call once.
	seen := map[uuid.UUID]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5)
		_, page = b.getLog(t, viewer, "?limit=2&cursor="+cursor)
		for _, r := range page.Items {
			require.False(t, seen[r.ID])
			seen[r.ID] = true
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	require.Len(t, seen, 5)

	status, _ = b.getLog(t, viewer, "?cursor=garbage")
	require.Equal(t, http.StatusUnprocessableEntity, status)
	status, _ = b.getLog(t, viewer, "?verdict=maybe")
	require.Equal(t, http.StatusUnprocessableEntity, status)
	status, _ = b.getLog(t, "", "")
	require.Equal(t, http.StatusUnauthorized, status)

	otherViewer := b.token(t, b.b.org.ID, auth.RoleViewer)
	_, page = b.getLog(t, otherViewer, "")
	require.Len(t, page.Items, 1)
	require.Contains(t, page.Items[0].Snippet, "other org")
}
