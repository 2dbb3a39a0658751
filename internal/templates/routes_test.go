package templates

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/tenanttest"
)

// templateJSON is the answer's shape as a client reads it.
type templateJSON struct {
	ID              uuid.UUID `json:"id"`
	Name            string    `json:"name"`
	Channel         string    `json:"channel"`
	IsDefault       bool      `json:"is_default"`
	LatestVersion   int       `json:"latest_version"`
	ApprovedVersion *int      `json:"approved_version"`
	Usable          bool      `json:"usable"`
	Version         int       `json:"version"`
	Status          string    `json:"status"`
	Subject         string    `json:"subject"`
	BodyText        string    `json:"body_text"`
	RejectionReason *string   `json:"rejection_reason"`
	Variables       []struct {
		Name    string  `json:"name"`
		Default *string `json:"default"`
		Sample  *string `json:"sample"`
	} `json:"variables"`
}

func newTemplateBody(name string) map[string]any {
	return map[string]any{
		"name":      name,
		"channel":   "email",
		"subject":   "Hello {{first_name}}",
		"body_html": `<p>Your plan: {{attributes.plan}}</p>`,
		"variables": []map[string]any{{"name": "attributes.plan", "default": "free", "sample": "pro"}},
	}
}

func TestRoutesWorkflow(t *testing.T) {
	t.Parallel()
	b := setupAPI(t)
	viewer, member, admin := b.roleToken(t, auth.RoleViewer), b.roleToken(t, auth.RoleMember), b.roleToken(t, auth.RoleAdmin)

	// A member creates a draft.
	var tpl templateJSON
	require.Equal(t, http.StatusCreated, b.call(t, "POST", "/api/v1/templates", member, newTemplateBody("Welcome"), &tpl))
	require.Equal(t, "draft", tpl.Status)
	require.Equal(t, 1, tpl.Version)
	require.Equal(t, "Your plan: {{attributes.plan}}", tpl.BodyText)
	require.Equal(t, "free", *tpl.Variables[0].Default)
	path := "/api/v1/templates/" + tpl.ID.String()

	// Undeclared and unused variables: 422 naming each.
	bad := newTemplateBody("Bad")
	bad["body_html"] = "<p>{{coupon}} {{attributes.plan}}</p>"
	bad["variables"] = []map[string]any{{"name": "attributes.plan"}, {"name": "ghost"}}
	var p problem
	require.Equal(t, http.StatusUnprocessableEntity, b.call(t, "POST", "/api/v1/templates", member, bad, &p))
	byLoc := map[string]string{}
	for _, e := range p.Errors {
		byLoc[e.Location] += e.Message + ";"
	}
	require.Contains(t, byLoc["body.body_html"], `undeclared variable "coupon" (line 1, column 4)`)
	require.Contains(t, byLoc["body.body_text"], `"coupon"`)
	require.Contains(t, byLoc["body.variables[1].name"], `declares "ghost" but no field uses it`)
	require.Len(t, byLoc, 3)

	// Viewers read but do not write; members do not review.
	require.Equal(t, http.StatusOK, b.call(t, "GET", path, viewer, nil, nil))
	require.Equal(t, http.StatusForbidden, b.call(t, "PATCH", path, viewer, map[string]any{"name": "x"}, nil))
	require.Equal(t, http.StatusForbidden, b.call(t, "POST", path+"/submit", viewer, nil, nil))
	require.Equal(t, http.StatusOK, b.call(t, "POST", path+"/submit", member, nil, &tpl))
	require.Equal(t, "pending_approval", tpl.Status)
	require.Equal(t, http.StatusForbidden, b.call(t, "POST", path+"/approve", member, nil, nil))
	require.Equal(t, http.StatusForbidden, b.call(t, "POST", path+"/reject", member, map[string]any{"reason": "x"}, nil))

	// An admin rejects with a reason, then approves the resubmission.
	require.Equal(t, http.StatusUnprocessableEntity, b.call(t, "POST", path+"/reject", admin, map[string]any{"reason": " "}, nil))
	require.Equal(t, http.StatusOK, b.call(t, "POST", path+"/reject", admin, map[string]any{"reason": "Too short"}, &tpl))
	require.Equal(t, "rejected", tpl.Status)
	require.Equal(t, "Too short", *tpl.RejectionReason)
	require.Equal(t, http.StatusConflict, b.call(t, "POST", path+"/approve", admin, nil, nil), "nothing is pending")
	require.Equal(t, http.StatusOK, b.call(t, "POST", path+"/submit", member, nil, nil))
	require.Equal(t, http.StatusOK, b.call(t, "POST", path+"/approve", admin, nil, &tpl))
	require.Equal(t, "approved", tpl.Status)
	require.True(t, tpl.Usable)

	// Default: admins only.
	require.Equal(t, http.StatusForbidden, b.call(t, "POST", path+"/make-default", member, nil, nil))
	require.Equal(t, http.StatusOK, b.call(t, "POST", path+"/make-default", admin, nil, &tpl))
	require.True(t, tpl.IsDefault)

	// Editing the approved template starts a draft version 2.
	require.Equal(t, http.StatusOK, b.call(t, "PATCH", path, member, map[string]any{"subject": "Hi {{first_name}}!"}, &tpl))
	require.Equal(t, 2, tpl.Version)
	require.Equal(t, "draft", tpl.Status)
	require.Equal(t, 1, *tpl.ApprovedVersion)
	require.Equal(t, http.StatusOK, b.call(t, "PATCH", path, member, map[string]any{
		"body_html": "<p>Code {{coupon}}</p>", "variables": []map[string]any{{"name": "coupon", "default": nil, "sample": "X1"}},
	}, &tpl))
	require.Equal(t, 2, tpl.Version, "the same draft")
	require.Equal(t, "Code {{coupon}}", tpl.BodyText)
	require.Len(t, tpl.Variables, 1)
	require.Nil(t, tpl.Variables[0].Default)
	var versions struct {
		Items []struct {
			Version int    `json:"version"`
			Status  string `json:"status"`
			InUse   bool   `json:"in_use"`
			Subject string `json:"subject"`
		} `json:"items"`
	}
	require.Equal(t, http.StatusOK, b.call(t, "GET", path+"/versions", viewer, nil, &versions))
	require.Len(t, versions.Items, 2)
	require.Equal(t, "Hi {{first_name}}!", versions.Items[0].Subject)
	require.True(t, versions.Items[1].InUse)

	// Deleting: never the default; a live template needs an admin.
	require.Equal(t, http.StatusForbidden, b.call(t, "DELETE", path, member, nil, nil))
	require.Equal(t, http.StatusConflict, b.call(t, "DELETE", path, admin, nil, nil))
	var draft templateJSON
	require.Equal(t, http.StatusCreated, b.call(t, "POST", "/api/v1/templates", member, newTemplateBody("Scratch"), &draft))
	require.Equal(t, http.StatusNoContent, b.call(t, "DELETE", "/api/v1/templates/"+draft.ID.String(), member, nil, nil))
	require.Equal(t, http.StatusNotFound, b.call(t, "GET", "/api/v1/templates/"+draft.ID.String(), member, nil, nil))
}

func TestRoutesPreview(t *testing.T) {
	t.Parallel()
	b := setupAPI(t)
	viewer := b.roleToken(t, auth.RoleViewer)
	var tpl templateJSON
	require.Equal(t, http.StatusCreated, b.call(t, "POST", "/api/v1/templates", b.roleToken(t, auth.RoleMember), newTemplateBody("P"), &tpl))
	path := "/api/v1/templates/" + tpl.ID.String() + "/preview"
	contactID := uuid.New()
	b.contacts[contactID] = map[string]any{"org_id": b.org.ID, "first_name": "Linus", "attributes": map[string]any{}}
	other, _ := newOrg(b.ctx, t, b.tx)
	foreign := uuid.New()
	b.contacts[foreign] = map[string]any{"org_id": other.ID, "first_name": "Nope"}

	type previewJSON struct {
		Version        int      `json:"version"`
		Subject        string   `json:"subject"`
		HTML           string   `json:"html"`
		Text           string   `json:"text"`
		Missing        []string `json:"missing"`
		FooterAppended struct {
			HTML bool `json:"html"`
			Text bool `json:"text"`
		} `json:"footer_appended"`
	}
	var pv previewJSON
	require.Equal(t, http.StatusOK, b.call(t, "POST", path, viewer, nil, &pv), "no body: samples")
	require.Equal(t, "Hello Ada", pv.Subject)
	require.Contains(t, pv.HTML, "Your plan: pro")
	require.Contains(t, pv.HTML, `href="https://sb.test/u/preview"`)
	require.True(t, pv.FooterAppended.HTML)
	require.Empty(t, pv.Missing)

	require.Equal(t, http.StatusOK, b.call(t, "POST", path, viewer, map[string]any{"contact_id": contactID, "variables": map[string]any{"attributes.plan": "<i>gold</i>"}}, &pv))
	require.Equal(t, "Hello Linus", pv.Subject)
	require.Contains(t, pv.HTML, "Your plan: &lt;i&gt;gold&lt;/i&gt;")
	require.Contains(t, pv.Text, "Your plan: <i>gold</i>")

	var p problem
	require.Equal(t, http.StatusUnprocessableEntity, b.call(t, "POST", path, viewer, map[string]any{"contact_id": foreign}, &p), "another org's contact")
	require.Equal(t, "body.contact_id", p.Errors[0].Location)
	require.Equal(t, http.StatusUnprocessableEntity, b.call(t, "POST", path, viewer, map[string]any{"version": 7}, &p))
	require.Equal(t, "body.version", p.Errors[0].Location)
}

// draftPreviewJSON is the draft preview's answer as a client reads it.
type draftPreviewJSON struct {
	Channel        string   `json:"channel"`
	Subject        string   `json:"subject"`
	HTML           string   `json:"html"`
	Text           string   `json:"text"`
	Body           string   `json:"body"`
	Missing        []string `json:"missing"`
	FooterAppended struct {
		HTML bool `json:"html"`
		Text bool `json:"text"`
	} `json:"footer_appended"`
	Problems []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
		Kind     string `json:"kind"`
		Variable string `json:"variable"`
	} `json:"problems"`
}

func TestRoutesPreviewDraft(t *testing.T) {
	t.Parallel()
	b := setupAPI(t)
	viewer := b.roleToken(t, auth.RoleViewer)
	const path = "/api/v1/templates/preview"
	// Subtests share the bundle's transaction, so they run one by one.

	t.Run("renders like a saved preview", func(t *testing.T) {
		// The same content saved and unsaved renders the same: one renderer.
		var tpl templateJSON
		require.Equal(t, http.StatusCreated, b.call(t, "POST", "/api/v1/templates", b.roleToken(t, auth.RoleMember), newTemplateBody("Same"), &tpl))
		var saved, draft draftPreviewJSON
		require.Equal(t, http.StatusOK, b.call(t, "POST", "/api/v1/templates/"+tpl.ID.String()+"/preview", viewer, nil, &saved))
		body := newTemplateBody("")
		delete(body, "name")
		require.Equal(t, http.StatusOK, b.call(t, "POST", path, viewer, body, &draft))
		require.Equal(t, "Hello Ada", draft.Subject)
		require.Contains(t, draft.HTML, "Your plan: pro")
		require.Contains(t, draft.HTML, `href="https://sb.test/u/preview"`)
		require.True(t, draft.FooterAppended.HTML)
		require.Contains(t, draft.Text, "Your plan: pro", "the text part is derived from the HTML")
		require.Empty(t, draft.Problems)
		require.Empty(t, draft.Missing)
		require.Equal(t, saved.Subject, draft.Subject)
		require.Equal(t, saved.HTML, draft.HTML)
		require.Equal(t, saved.Text, draft.Text)
	})

	t.Run("lists what a save would refuse instead of refusing", func(t *testing.T) {
		var pv draftPreviewJSON
		require.Equal(t, http.StatusOK, b.call(t, "POST", path, viewer, map[string]any{
			"channel":   "email",
			"subject":   "Hi {{first_name}} {{coupon}}",
			"body_html": "<p>{{attributes.plan}} {{ oops</p>",
			"variables": []map[string]any{{"name": "attributes.plan", "sample": "gold"}, {"name": "ghost"}},
		}, &pv))
		type got struct{ loc, kind, variable string }
		var problems []got
		for _, p := range pv.Problems {
			problems = append(problems, got{p.Location, p.Kind, p.Variable})
		}
		require.ElementsMatch(t, []got{
			{"body.subject", "undeclared", "coupon"},
			{"body.body_html", "syntax", ""},
			{"body.variables[1].name", "unused", "ghost"},
		}, problems, "the generated text part does not repeat the HTML's problems")
		require.Equal(t, "Hi Ada ", pv.Subject, "an undeclared variable renders as missing")
		require.Equal(t, []string{"coupon"}, pv.Missing)
		require.Contains(t, pv.HTML, "<p>gold {{ oops</p>", "a malformed placeholder stays text")
	})

	t.Run("an empty draft is a list of problems too", func(t *testing.T) {
		var pv draftPreviewJSON
		require.Equal(t, http.StatusOK, b.call(t, "POST", path, viewer, map[string]any{"channel": "email"}, &pv))
		locs := map[string]string{}
		for _, p := range pv.Problems {
			locs[p.Location] = p.Kind
		}
		require.Equal(t, map[string]string{"body.subject": "content", "body.body_html": "content"}, locs)
	})

	t.Run("chat channels, values and contacts", func(t *testing.T) {
		contactID := uuid.New()
		b.contacts[contactID] = map[string]any{"org_id": b.org.ID, "first_name": "Linus", "attributes": map[string]any{"plan": "team"}}
		draft := map[string]any{
			"channel":   "telegram",
			"body":      "Hi {{first_name}}, your {{attributes.plan}} plan renews on {{renews_on}}.",
			"variables": []map[string]any{{"name": "attributes.plan", "sample": "pro"}, {"name": "renews_on", "default": "soon"}},
		}
		var pv draftPreviewJSON
		require.Equal(t, http.StatusOK, b.call(t, "POST", path, viewer, draft, &pv))
		require.Equal(t, "Hi Ada, your pro plan renews on soon.", pv.Body)
		require.Empty(t, pv.Subject)

		draft["contact_id"] = contactID
		draft["values"] = map[string]any{"renews_on": "1 May"}
		require.Equal(t, http.StatusOK, b.call(t, "POST", path, viewer, draft, &pv))
		require.Equal(t, "Hi Linus, your team plan renews on 1 May.", pv.Body)

		// Too long for Instagram: a problem, still rendered.
		long := map[string]any{"channel": "instagram", "body": strings.Repeat("x", 1001)}
		require.Equal(t, http.StatusOK, b.call(t, "POST", path, viewer, long, &pv))
		require.Len(t, pv.Problems, 1)
		require.Equal(t, "body.body", pv.Problems[0].Location)
		require.Equal(t, "content", pv.Problems[0].Kind)
		require.Len(t, pv.Body, 1001)
	})

	t.Run("what is not content is still refused", func(t *testing.T) {
		other, _ := newOrg(b.ctx, t, b.tx)
		foreign := uuid.New()
		b.contacts[foreign] = map[string]any{"org_id": other.ID, "first_name": "Nope"}
		var p problem
		require.Equal(t, http.StatusUnprocessableEntity, b.call(t, "POST", path, viewer, map[string]any{"channel": "telegram", "body": "Hi", "contact_id": foreign}, &p), "another org's contact")
		require.Equal(t, "body.contact_id", p.Errors[0].Location)
		require.Equal(t, http.StatusUnprocessableEntity, b.call(t, "POST", path, viewer, map[string]any{"channel": "sms", "body": "Hi"}, nil))
		require.Equal(t, http.StatusUnprocessableEntity, b.call(t, "POST", path, viewer, map[string]any{"body": "Hi"}, nil), "the channel is required")
		require.Equal(t, http.StatusUnauthorized, b.call(t, "POST", path, "", map[string]any{"channel": "telegram", "body": "Hi"}, nil))
	})
}

func TestPreviewDraftWithoutContacts(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := PreviewDraft(b.ctx, b.tx, b.org.ID, DraftParams{Channel: ChannelTelegram, Content: Content{Body: "Hi"}, ContactID: &b.owner.ID}, nil)
	require.ErrorIs(t, err, ErrContactsUnavailable)
}

func TestRoutesListAndSettings(t *testing.T) {
	t.Parallel()
	b := setupAPI(t)
	member, admin, viewer := b.roleToken(t, auth.RoleMember), b.roleToken(t, auth.RoleAdmin), b.roleToken(t, auth.RoleViewer)
	for _, n := range []string{"B news", "A news", "C promo"} {
		require.Equal(t, http.StatusCreated, b.call(t, "POST", "/api/v1/templates", member, newTemplateBody(n), nil))
	}
	require.Equal(t, http.StatusCreated, b.call(t, "POST", "/api/v1/templates", member, map[string]any{"name": "Chat", "channel": "telegram", "body": "Hi {{first_name}}"}, nil))

	type page struct {
		Items      []templateJSON `json:"items"`
		NextCursor string         `json:"next_cursor"`
	}
	var pg page
	require.Equal(t, http.StatusOK, b.call(t, "GET", "/api/v1/templates?channel=email&search=news&limit=1", viewer, nil, &pg))
	require.Len(t, pg.Items, 1)
	require.Equal(t, "A news", pg.Items[0].Name)
	require.NotEmpty(t, pg.NextCursor)
	cursor := pg.NextCursor
	pg = page{}
	require.Equal(t, http.StatusOK, b.call(t, "GET", "/api/v1/templates?channel=email&search=news&limit=1&cursor="+url.QueryEscape(cursor), viewer, nil, &pg))
	require.Equal(t, "B news", pg.Items[0].Name)
	require.Empty(t, pg.NextCursor)
	pg = page{}
	require.Equal(t, http.StatusOK, b.call(t, "GET", "/api/v1/templates?channel=telegram&status=draft", viewer, nil, &pg))
	require.Len(t, pg.Items, 1)
	pg = page{}
	require.Equal(t, http.StatusOK, b.call(t, "GET", "/api/v1/templates?usable=true", viewer, nil, &pg))
	require.Empty(t, pg.Items)
	require.Equal(t, http.StatusUnprocessableEntity, b.call(t, "GET", "/api/v1/templates?channel=sms", viewer, nil, nil))

	// Settings: /settings is not taken for an {id}.
	var s struct {
		EmailFooterHTML string `json:"email_footer_html"`
		EmailFooterText string `json:"email_footer_text"`
		IsDefault       bool   `json:"is_default"`
	}
	require.Equal(t, http.StatusOK, b.call(t, "GET", "/api/v1/templates/settings", viewer, nil, &s))
	require.True(t, s.IsDefault)
	footer := map[string]any{"email_footer_html": `<p>{{org.name}} · <a href="{{unsubscribe_url}}">Unsubscribe</a></p>`}
	require.Equal(t, http.StatusForbidden, b.call(t, "PUT", "/api/v1/templates/settings", member, footer, nil))
	var p problem
	require.Equal(t, http.StatusUnprocessableEntity, b.call(t, "PUT", "/api/v1/templates/settings", admin, map[string]any{"email_footer_html": "<p>bye</p>"}, &p))
	require.Equal(t, "body.email_footer_html", p.Errors[0].Location)
	require.Equal(t, http.StatusOK, b.call(t, "PUT", "/api/v1/templates/settings", admin, footer, &s))
	require.False(t, s.IsDefault)
	require.Equal(t, "{{org.name}} · Unsubscribe ({{unsubscribe_url}})", s.EmailFooterText)
}

func TestRoutesRoleMatrix(t *testing.T) {
	t.Parallel()
	b := setupAPI(t)
	tokens := map[auth.Role]string{}
	for _, r := range []auth.Role{auth.RoleViewer, auth.RoleMember, auth.RoleAdmin, auth.RoleOwner} {
		tokens[r] = b.roleToken(t, r)
	}
	tpl := b.create(t, emailParams("Matrix"))
	id := tpl.ID.String()
	// Each route, the least role it needs and the answer that role gets
	// (state conflicts come after the role check, so 409 proves it passed).
	routes := []struct {
		method, path string
		body         any
		min          auth.Role
		ok           int
	}{
		{"GET", "/api/v1/templates", nil, auth.RoleViewer, 200},
		{"GET", "/api/v1/templates/" + id, nil, auth.RoleViewer, 200},
		{"GET", "/api/v1/templates/" + id + "/versions", nil, auth.RoleViewer, 200},
		{"POST", "/api/v1/templates/" + id + "/preview", nil, auth.RoleViewer, 200},
		{"POST", "/api/v1/templates/preview", map[string]any{"channel": "telegram", "body": "Hi"}, auth.RoleViewer, 200},
		{"GET", "/api/v1/templates/settings", nil, auth.RoleViewer, 200},
		{"PATCH", "/api/v1/templates/" + id, map[string]any{}, auth.RoleMember, 200},
		{"POST", "/api/v1/templates", map[string]any{"name": "x", "channel": "sms"}, auth.RoleMember, 422},
		{"DELETE", "/api/v1/templates/" + uuid.NewString(), nil, auth.RoleMember, 404},
		{"POST", "/api/v1/templates/" + uuid.NewString() + "/submit", nil, auth.RoleMember, 404},
		{"POST", "/api/v1/templates/" + id + "/approve", nil, auth.RoleAdmin, 409},
		{"POST", "/api/v1/templates/" + id + "/reject", map[string]any{"reason": "r"}, auth.RoleAdmin, 409},
		{"POST", "/api/v1/templates/" + id + "/make-default", nil, auth.RoleAdmin, 409},
		{"PUT", "/api/v1/templates/settings", map[string]any{"email_footer_html": "x"}, auth.RoleAdmin, 422},
	}
	for _, rt := range routes {
		for _, role := range []auth.Role{auth.RoleViewer, auth.RoleMember, auth.RoleAdmin, auth.RoleOwner} {
			// Subtests share the bundle's transaction, so they run one by one.
			t.Run(fmt.Sprintf("%s %s as %s", rt.method, strings.TrimPrefix(rt.path, "/api/v1/templates"), role), func(t *testing.T) {
				status := b.call(t, rt.method, rt.path, tokens[role], rt.body, nil)
				if role.AtLeast(rt.min) {
					require.Equal(t, rt.ok, status)
				} else {
					require.Equal(t, http.StatusForbidden, status)
				}
			})
		}
	}
}

func TestRoutesAPIKeyScopes(t *testing.T) {
	t.Parallel()
	b := setupAPI(t)
	read := b.apiKey(t, b.org.ID, ScopeRead)
	write := b.apiKey(t, b.org.ID, ScopeRead, ScopeWrite)
	tpl := b.approved(t, emailParams("Keyed"))
	path := "/api/v1/templates/" + tpl.ID.String()

	require.Equal(t, http.StatusOK, b.call(t, "GET", path, read, nil, nil))
	require.Equal(t, http.StatusOK, b.call(t, "POST", "/api/v1/templates/preview", read, map[string]any{"channel": "telegram", "body": "Hi"}, nil), "templates:read previews drafts")
	require.Equal(t, http.StatusForbidden, b.call(t, "POST", "/api/v1/templates/preview", b.apiKey(t, b.org.ID, "contacts:read"), map[string]any{"channel": "telegram", "body": "Hi"}, nil))
	var p problem
	require.Equal(t, http.StatusForbidden, b.call(t, "PATCH", path, read, map[string]any{"name": "x"}, &p))
	require.Contains(t, p.Detail, "scope")
	require.Equal(t, http.StatusForbidden, b.call(t, "POST", path+"/make-default", write, nil, nil), "approving needs templates:approve")
	require.Equal(t, http.StatusNoContent, b.call(t, "DELETE", path, write, nil, nil), "a key with templates:write deletes")
}

// TestRoutesCrossTenant runs the harness on every {id} route: org B's user
// token and API key get 404, never 403 or 200, and A's template is intact.
func TestRoutesCrossTenant(t *testing.T) {
	t.Parallel()
	b := setupAPI(t)
	tokA := b.token(t, b.owner, b.org.ID, auth.RoleOwner)
	orgB, ownerB := newOrg(b.ctx, t, b.tx)
	tokB := b.token(t, ownerB, orgB.ID, auth.RoleOwner)
	keyB := b.apiKey(t, orgB.ID, ScopeRead, ScopeWrite, ScopeApprove)

	tpl := b.create(t, emailParams("Secret"))
	_, err := Submit(b.ctx, b.tx, b.org.ID, tpl.ID, actorOf(b.owner), b.now)
	require.NoError(t, err)
	path := "/api/v1/templates/" + tpl.ID.String()
	resources := []tenanttest.Resource{
		{
			Name:   "template",
			Read:   tenanttest.Request{Method: "GET", Path: path},
			Update: tenanttest.Request{Method: "PATCH", Path: path, Body: map[string]any{"name": "Stolen"}},
			Delete: tenanttest.Request{Method: "DELETE", Path: path},
		},
		{
			Name:   "template review",
			Read:   tenanttest.Request{Method: "GET", Path: path + "/versions"},
			Update: tenanttest.Request{Method: "POST", Path: path + "/approve"},
			Delete: tenanttest.Request{Method: "POST", Path: path + "/reject", Body: map[string]any{"reason": "no"}},
		},
		{
			Name:   "template workflow",
			Read:   tenanttest.Request{Method: "POST", Path: path + "/preview", Body: map[string]any{"variables": map[string]any{"first_name": "x"}}},
			Update: tenanttest.Request{Method: "POST", Path: path + "/submit"},
			Delete: tenanttest.Request{Method: "POST", Path: path + "/make-default"},
		},
	}
	// Sequential: the requests share the test's transaction.
	for _, r := range resources {
		t.Run(r.Name+" with a user token", func(t *testing.T) { tenanttest.Check(t, b.do, tokA, tokB, r) })
		t.Run(r.Name+" with an API key", func(t *testing.T) { tenanttest.Check(t, b.do, tokA, keyB, r) })
	}
	got, err := Get(b.ctx, b.tx, b.org.ID, tpl.ID)
	require.NoError(t, err)
	require.Equal(t, "Secret", got.Name)
	require.Equal(t, StatusPendingApproval, got.Status, "nothing another org did took effect")
}
