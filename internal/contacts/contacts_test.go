package contacts

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/tenanttest"
)

func TestCreateNormalizesAndDedupes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)

	var c Contact
	status, raw := b.call(t, "POST", "/api/v1/contacts", a.token, map[string]any{
		"email": "  Ada.Lovelace@Example.COM ", "phone": "(415) 555-0132", "first_name": " Ada ", "last_name": "Lovelace",
		"telegram_username": "@ada_l", "locale": "en_gb", "timezone": "Europe/London",
		"attributes": map[string]any{"plan": "pro", "seats": 3}, "tags": []string{"vip", " vip ", "beta"},
		"consent": map[string]any{"email": map[string]any{"status": "opted_in", "source": "signup_form"}},
	}, &c)
	require.Equal(t, http.StatusCreated, status, string(raw))
	require.Equal(t, "Ada.Lovelace@example.com", *c.Email, "the domain is lower-cased, the local part kept")
	require.Equal(t, "+14155550132", *c.Phone, "a local number reads in the org's default country (US)")
	require.Equal(t, "Ada", c.FirstName)
	require.Equal(t, "ada_l", *c.TelegramUsername)
	require.Equal(t, "en-GB", c.Locale)
	require.Equal(t, []string{"vip", "beta"}, c.Tags)
	require.Equal(t, "pro", c.Attributes["plan"])
	require.Equal(t, ConsentOptedIn, c.Consent["email"].Status)
	require.Equal(t, "signup_form", c.Consent["email"].Source)

	// The same email in another case collides; the 409 names the contact.
	status, raw = b.call(t, "POST", "/api/v1/contacts", a.token, map[string]any{"email": "ada.lovelace@EXAMPLE.com"}, nil)
	require.Equal(t, http.StatusConflict, status)
	p := decodeProblem(t, raw)
	require.Contains(t, p.Detail, c.ID.String())
	require.Equal(t, []string{"body.email"}, p.locations())

	// So does the phone written another way, and the Telegram chat id.
	status, raw = b.call(t, "POST", "/api/v1/contacts", a.token, map[string]any{"email": "other@example.com", "phone": "+1 415-555-0132"}, nil)
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, []string{"body.phone"}, decodeProblem(t, raw).locations())

	// Another org may hold the same values.
	other := b.tenant(t)
	status, _ = b.call(t, "POST", "/api/v1/contacts", other.token, map[string]any{"email": "ada.lovelace@example.com", "phone": "4155550132"}, nil)
	require.Equal(t, http.StatusCreated, status)

	// Bad values are 422s naming each field.
	status, raw = b.call(t, "POST", "/api/v1/contacts", a.token, map[string]any{
		"email": "not-an-email", "phone": "12", "whatsapp": "+49 30", "telegram_chat_id": "abc", "timezone": "Mars/Olympus",
		"attributes": map[string]any{"bad key": 1},
	}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.ElementsMatch(t, []string{"body.email", "body.phone", "body.whatsapp", "body.telegram_chat_id", "body.timezone", "body.attributes"},
		decodeProblem(t, raw).locations())

	// A contact needs a channel.
	status, raw = b.call(t, "POST", "/api/v1/contacts", a.token, map[string]any{"first_name": "Nobody"}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status, string(raw))
}

func TestConcurrentCreatesOfOneEmail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)
	for round := range 5 {
		email := fmt.Sprintf("race-%d-%s@example.com", round, uuid.NewString()[:8])
		var wg sync.WaitGroup
		start := make(chan struct{})
		statuses := make([]int, 2)
		bodies := make([][]byte, 2)
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				statuses[i], bodies[i] = b.call(t, "POST", "/api/v1/contacts", a.token, map[string]any{"email": email}, nil)
			}()
		}
		close(start)
		wg.Wait()
		sorted := slices.Clone(statuses)
		slices.Sort(sorted)
		require.Equal(t, []int{http.StatusCreated, http.StatusConflict}, sorted, "round %d: %s / %s", round, bodies[0], bodies[1])
		winner := bodies[slices.Index(statuses, http.StatusCreated)]
		loser := decodeProblem(t, bodies[slices.Index(statuses, http.StatusConflict)])
		var c Contact
		require.NoError(t, jsonUnmarshal(winner, &c))
		require.Contains(t, loser.Detail, c.ID.String(), "the 409 names the contact that won")
	}
}

func TestUpdateAndDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)
	var c1, c2 Contact
	status, _ := b.call(t, "POST", "/api/v1/contacts", a.token, map[string]any{"email": "one@example.com", "phone": "+4930901820"}, &c1)
	require.Equal(t, http.StatusCreated, status)
	status, _ = b.call(t, "POST", "/api/v1/contacts", a.token, map[string]any{"email": "two@example.com", "tags": []string{"x"}}, &c2)
	require.Equal(t, http.StatusCreated, status)

	var got Contact
	status, raw := b.call(t, "PATCH", "/api/v1/contacts/"+c1.ID.String(), a.token, map[string]any{"first_name": "Uno", "email": ""}, &got)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.Equal(t, "Uno", got.FirstName)
	require.Nil(t, got.Email, "an empty string clears a channel field")
	require.Equal(t, "+4930901820", *got.Phone, "fields left out stay")

	// Clearing the last channel is refused.
	status, _ = b.call(t, "PATCH", "/api/v1/contacts/"+c1.ID.String(), a.token, map[string]any{"phone": ""}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)

	// Taking another contact's value is a 409 naming it.
	status, raw = b.call(t, "PATCH", "/api/v1/contacts/"+c1.ID.String(), a.token, map[string]any{"email": "TWO@example.com"}, nil)
	require.Equal(t, http.StatusConflict, status)
	require.Contains(t, decodeProblem(t, raw).Detail, c2.ID.String())

	// Tags and attributes are replaced when given.
	status, _ = b.call(t, "PATCH", "/api/v1/contacts/"+c2.ID.String(), a.token, map[string]any{"tags": []string{}, "attributes": map[string]any{"a": "b"}}, &got)
	require.Equal(t, http.StatusOK, status)
	require.Empty(t, got.Tags)
	require.Equal(t, map[string]any{"a": "b"}, got.Attributes)

	status, _ = b.call(t, "DELETE", "/api/v1/contacts/"+c2.ID.String(), a.token, nil, nil)
	require.Equal(t, http.StatusNoContent, status)
	status, _ = b.call(t, "GET", "/api/v1/contacts/"+c2.ID.String(), a.token, nil, nil)
	require.Equal(t, http.StatusNotFound, status)

	// A viewer reads but does not write.
	viewer := b.tokenFor(t, a.orgID, auth.RoleViewer)
	status, _ = b.call(t, "GET", "/api/v1/contacts/"+c1.ID.String(), viewer, nil, nil)
	require.Equal(t, http.StatusOK, status)
	status, _ = b.call(t, "PATCH", "/api/v1/contacts/"+c1.ID.String(), viewer, map[string]any{"first_name": "x"}, nil)
	require.Equal(t, http.StatusForbidden, status)
}

// seedContacts creates n contacts through the API and returns them.
func seedContacts(t *testing.T, b *testBundle, token string, specs []map[string]any) []Contact {
	t.Helper()
	out := make([]Contact, len(specs))
	for i, s := range specs {
		status, raw := b.call(t, "POST", "/api/v1/contacts", token, s, &out[i])
		require.Equal(t, http.StatusCreated, status, string(raw))
	}
	return out
}

// pageAll walks every page of path (which has a query string) with limit.
func pageAll(t *testing.T, b *testBundle, token, path string) []Contact {
	t.Helper()
	var all []Contact
	cursor := ""
	for range 100 {
		var page ContactPage
		status, raw := b.call(t, "GET", path+"&limit=4&cursor="+url.QueryEscape(cursor), token, nil, &page)
		require.Equal(t, http.StatusOK, status, string(raw))
		require.LessOrEqual(t, len(page.Items), 4)
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all
		}
		cursor = page.NextCursor
	}
	t.Fatal("pagination did not end")
	return nil
}

func ids(cs []Contact) []uuid.UUID {
	out := make([]uuid.UUID, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func TestListSearchFiltersAndKeysetPages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)
	var specs []map[string]any
	names := []string{"Zoe", "adam", "Émile", "Bob", "bob", "Carla", "dora", "Eve", "Frank", "Gus", "Hana"}
	for i, n := range names {
		s := map[string]any{"first_name": n, "last_name": fmt.Sprintf("L%02d", i)}
		if i%3 != 0 {
			s["email"] = fmt.Sprintf("%s%d@example.com", strings.ToLower(n), i)
		} else {
			s["phone"] = fmt.Sprintf("+1415555%04d", i)
		}
		if i%2 == 0 {
			s["tags"] = []string{"even"}
		}
		specs = append(specs, s)
	}
	created := seedContacts(t, b, a.token, specs)
	// Another org's contacts never show.
	other := b.tenant(t)
	seedContacts(t, b, other.token, []map[string]any{{"email": "zoe0@example.com", "first_name": "Zoe"}})

	for _, sort := range []string{"-created_at", "created_at", "name", "-name", "email", "-email"} {
		got := pageAll(t, b, a.token, "/api/v1/contacts?sort="+sort)
		require.Len(t, got, len(created), sort)
		require.ElementsMatch(t, ids(created), ids(got), sort)
		key := func(c Contact) string {
			switch strings.TrimPrefix(sort, "-") {
			case "name":
				return strings.ToLower(strings.TrimSpace(c.FirstName + " " + c.LastName))
			case "email":
				if c.Email == nil {
					return ""
				}
				return strings.ToLower(*c.Email)
			}
			return c.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000")
		}
		require.Truef(t, sortedBy(got, key, strings.HasPrefix(sort, "-")), "%s: %v", sort, got)
	}

	list := func(query string) []Contact {
		var page ContactPage
		status, raw := b.call(t, "GET", "/api/v1/contacts?limit=500&"+query, a.token, nil, &page)
		require.Equal(t, http.StatusOK, status, string(raw))
		return page.Items
	}
	require.Len(t, list("search=BOB"), 2, "search ignores case")
	require.Len(t, list("search=bob4%40example"), 1, "search finds emails")
	require.Len(t, list("search="+url.QueryEscape("(415) 555-0003")), 1, "search finds a phone typed with punctuation")
	require.Empty(t, list("search=%25"), "LIKE wildcards match literally")
	require.Len(t, list("tag=even"), 6)
	require.Len(t, list("has_channel=phone"), 4)
	require.Len(t, list("has_channel=email&tag=even"), 4)
	require.Empty(t, list("opted_out=any"))

	status, raw := b.call(t, "GET", "/api/v1/contacts?sort=name&cursor=garbage", a.token, nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status, string(raw))
	var page ContactPage
	b.call(t, "GET", "/api/v1/contacts?sort=name&limit=2", a.token, nil, &page)
	status, _ = b.call(t, "GET", "/api/v1/contacts?sort=email&cursor="+page.NextCursor, a.token, nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status, "a cursor belongs to its sort order")
}

func sortedBy(cs []Contact, key func(Contact) string, desc bool) bool {
	return sort.SliceIsSorted(cs, func(i, j int) bool {
		if desc {
			return key(cs[i]) > key(cs[j])
		}
		return key(cs[i]) < key(cs[j])
	})
}

func TestGroupsAndBulkActions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)
	var specs []map[string]any
	for i := range 10 {
		s := map[string]any{"email": fmt.Sprintf("g%d@example.com", i)}
		if i < 4 {
			s["tags"] = []string{"lead"}
		}
		specs = append(specs, s)
	}
	cs := seedContacts(t, b, a.token, specs)

	var g1, g2 Group
	status, raw := b.call(t, "POST", "/api/v1/groups", a.token, map[string]any{"name": "Leads", "description": "From the fair", "color": "#1C7ED6"}, &g1)
	require.Equal(t, http.StatusCreated, status, string(raw))
	require.Equal(t, "#1c7ed6", g1.Color)
	status, _ = b.call(t, "POST", "/api/v1/groups", a.token, map[string]any{"name": "leads"}, nil)
	require.Equal(t, http.StatusConflict, status, "names are unique regardless of case")
	status, _ = b.call(t, "POST", "/api/v1/groups", a.token, map[string]any{"name": "VIP", "color": "red"}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	status, _ = b.call(t, "POST", "/api/v1/groups", a.token, map[string]any{"name": "VIP"}, &g2)
	require.Equal(t, http.StatusCreated, status)

	var n struct{ Affected int64 }
	// By filter: every "lead" into both groups.
	status, raw = b.call(t, "POST", "/api/v1/contacts/bulk-groups", a.token, map[string]any{
		"action": "add", "group_ids": []uuid.UUID{g1.ID, g2.ID}, "filter": map[string]any{"tag": "lead"},
	}, &n)
	require.Equal(t, http.StatusOK, status, string(raw))
	require.EqualValues(t, 8, n.Affected)
	// By ids: two more into g1, one of them already there.
	status, _ = b.call(t, "POST", "/api/v1/contacts/bulk-groups", a.token, map[string]any{
		"action": "add", "group_ids": []uuid.UUID{g1.ID}, "ids": []uuid.UUID{cs[3].ID, cs[9].ID},
	}, &n)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 1, n.Affected)

	var got Group
	b.call(t, "GET", "/api/v1/groups/"+g1.ID.String(), a.token, nil, &got)
	require.EqualValues(t, 5, got.ContactCount)
	var groups ListBody[Group]
	b.call(t, "GET", "/api/v1/groups", a.token, nil, &groups)
	require.Len(t, groups.Items, 2)
	require.Equal(t, "Leads", groups.Items[0].Name)

	members := pageAll(t, b, a.token, "/api/v1/groups/"+g1.ID.String()+"/contacts?sort=email")
	require.ElementsMatch(t, []uuid.UUID{cs[0].ID, cs[1].ID, cs[2].ID, cs[3].ID, cs[9].ID}, ids(members))
	members = pageAll(t, b, a.token, "/api/v1/contacts?group_id="+g2.ID.String()+"&search=g1")
	require.Equal(t, []uuid.UUID{cs[1].ID}, ids(members))

	var c Contact
	b.call(t, "GET", "/api/v1/contacts/"+cs[0].ID.String(), a.token, nil, &c)
	require.ElementsMatch(t, []uuid.UUID{g1.ID, g2.ID}, c.GroupIDs)

	// Remove by filter: g1's members with the tag leave g2.
	status, _ = b.call(t, "POST", "/api/v1/contacts/bulk-groups", a.token, map[string]any{
		"action": "remove", "group_ids": []uuid.UUID{g2.ID}, "filter": map[string]any{"group_id": g1.ID, "search": "g0"},
	}, &n)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 1, n.Affected)

	// A group of another org is refused, and names nothing.
	other := b.tenant(t)
	var og Group
	b.call(t, "POST", "/api/v1/groups", other.token, map[string]any{"name": "Theirs"}, &og)
	status, _ = b.call(t, "POST", "/api/v1/contacts/bulk-groups", a.token, map[string]any{
		"action": "add", "group_ids": []uuid.UUID{og.ID}, "ids": []uuid.UUID{cs[0].ID},
	}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	status, _ = b.call(t, "POST", "/api/v1/contacts/bulk-groups", a.token, map[string]any{
		"action": "add", "group_ids": []uuid.UUID{g1.ID}, "ids": []uuid.UUID{cs[0].ID}, "filter": map[string]any{},
	}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status, "ids and filter together are ambiguous")

	// Bulk delete by ids ignores another org's ids; by filter deletes the matches.
	var theirs Contact
	b.call(t, "POST", "/api/v1/contacts", other.token, map[string]any{"email": "keep@example.com"}, &theirs)
	status, _ = b.call(t, "POST", "/api/v1/contacts/bulk-delete", a.token, map[string]any{"ids": []uuid.UUID{cs[9].ID, theirs.ID}}, &n)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 1, n.Affected)
	status, _ = b.call(t, "GET", "/api/v1/contacts/"+theirs.ID.String(), other.token, nil, nil)
	require.Equal(t, http.StatusOK, status)
	status, _ = b.call(t, "POST", "/api/v1/contacts/bulk-delete", a.token, map[string]any{"filter": map[string]any{"group_id": g1.ID}}, &n)
	require.Equal(t, http.StatusOK, status)
	require.EqualValues(t, 4, n.Affected)
	rest := pageAll(t, b, a.token, "/api/v1/contacts?sort=email")
	require.Len(t, rest, 5)

	status, _ = b.call(t, "PATCH", "/api/v1/groups/"+g2.ID.String(), a.token, map[string]any{"name": "Leads"}, nil)
	require.Equal(t, http.StatusConflict, status)
	status, _ = b.call(t, "PATCH", "/api/v1/groups/"+g2.ID.String(), a.token, map[string]any{"description": "Very"}, &got)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "VIP", got.Name)
	require.Equal(t, "Very", got.Description)
	status, _ = b.call(t, "DELETE", "/api/v1/groups/"+g2.ID.String(), a.token, nil, nil)
	require.Equal(t, http.StatusNoContent, status)
	status, _ = b.call(t, "GET", "/api/v1/groups/"+g2.ID.String()+"/contacts", a.token, nil, nil)
	require.Equal(t, http.StatusNotFound, status)
}

func TestCrossTenant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)
	other := b.tenant(t)

	var c Contact
	status, _ := b.call(t, "POST", "/api/v1/contacts", a.token, map[string]any{"email": "mine@example.com"}, &c)
	require.Equal(t, http.StatusCreated, status)
	var g Group
	status, _ = b.call(t, "POST", "/api/v1/groups", a.token, map[string]any{"name": "Mine"}, &g)
	require.Equal(t, http.StatusCreated, status)
	status, im, raw := b.upload(t, a.token, "c.csv", csvLines("email", "x@example.com"))
	require.Equal(t, http.StatusCreated, status, string(raw))

	resources := []tenanttest.Resource{
		{
			Name:   "contact",
			Read:   tenanttest.Request{Method: "GET", Path: "/api/v1/contacts/" + c.ID.String()},
			Update: tenanttest.Request{Method: "PATCH", Path: "/api/v1/contacts/" + c.ID.String(), Body: map[string]any{"first_name": "Mallory"}},
			Delete: tenanttest.Request{Method: "DELETE", Path: "/api/v1/contacts/" + c.ID.String()},
		},
		{
			Name:   "group",
			Read:   tenanttest.Request{Method: "GET", Path: "/api/v1/groups/" + g.ID.String()},
			Update: tenanttest.Request{Method: "PATCH", Path: "/api/v1/groups/" + g.ID.String(), Body: map[string]any{"name": "Theirs"}},
			Delete: tenanttest.Request{Method: "DELETE", Path: "/api/v1/groups/" + g.ID.String()},
		},
		{
			Name: "group members",
			Read: tenanttest.Request{Method: "GET", Path: "/api/v1/groups/" + g.ID.String() + "/contacts"},
		},
		{
			Name:   "import",
			Read:   tenanttest.Request{Method: "GET", Path: "/api/v1/contacts/imports/" + im.ID.String()},
			Update: tenanttest.Request{Method: "POST", Path: "/api/v1/contacts/imports/" + im.ID.String() + "/start", Body: map[string]any{"mapping": []string{"email"}}},
			Delete: tenanttest.Request{Method: "DELETE", Path: "/api/v1/contacts/imports/" + im.ID.String()},
		},
		{
			Name: "import preview",
			Read: tenanttest.Request{Method: "GET", Path: "/api/v1/contacts/imports/" + im.ID.String() + "/preview"},
		},
		{
			Name: "import rejects",
			Read: tenanttest.Request{Method: "GET", Path: "/api/v1/contacts/imports/" + im.ID.String() + "/rejects.csv"},
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
	// The other org's list and export do not see it either.
	var page ContactPage
	b.call(t, "GET", "/api/v1/contacts?search=mine", other.key, nil, &page)
	require.Empty(t, page.Items)
	status, body := b.call(t, "GET", "/api/v1/contacts/export.csv", other.key, nil, nil)
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, string(body), "mine@example.com")
}

func TestExportCSV(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.tenant(t)
	seedContacts(t, b, a.token, []map[string]any{
		{"email": "b@example.com", "first_name": "=HYPERLINK(\"x\")", "attributes": map[string]any{"plan": "pro"}, "tags": []string{"t1", "t2"}},
		{"phone": "+4930901820", "first_name": "Carl", "attributes": map[string]any{"seats": 3}},
		{"email": "a@example.com", "first_name": "Anna"},
	})
	status, body := b.call(t, "GET", "/api/v1/contacts/export.csv?sort=email&has_channel=email", a.token, nil, nil)
	require.Equal(t, http.StatusOK, status, string(body))
	recs := readCSV(t, string(body))
	require.Equal(t, append(append([]string{}, exportColumns...), "attributes.plan"), recs[0], "one column per attribute among the exported")
	require.Len(t, recs, 3)
	require.Equal(t, "a@example.com", recs[1][1])
	require.Equal(t, "b@example.com", recs[2][1])
	require.Equal(t, `'=HYPERLINK("x")`, recs[2][8], "formulas are defused")
	require.Equal(t, "t1, t2", recs[2][12])
	require.Equal(t, "pro", recs[2][len(recs[2])-1])

	// The export's columns map back onto the import's targets.
	m := ProposeMapping(recs[0])
	require.Equal(t, "", m[0])
	require.Equal(t, TargetEmail, m[1])
	require.Equal(t, "attributes.plan", m[len(m)-1])

	status, body = b.call(t, "GET", "/api/v1/contacts/export.csv?sort=sideways", a.token, nil, nil)
	require.Equal(t, http.StatusUnprocessableEntity, status, string(body))
}
