package messaging

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/contacts"
	"github.com/switchboard/switchboard/internal/suppression"
	"github.com/switchboard/switchboard/internal/templates"
)

// problemAt returns the problem at field, failing when there is none.
func problemAt(t *testing.T, res CheckResult, field string) CheckProblem {
	t.Helper()
	for _, p := range res.Problems {
		if p.Field == field {
			return p
		}
	}
	require.Failf(t, "no problem at "+field, "%+v", res.Problems)
	return CheckProblem{}
}

func TestCheckWritesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res, err := b.sends.Check(b.ctx, b.org, SendRequest{Channel: "email", To: "New.Person@Example.COM", Subject: "Hi {{first_name}}", Body: "Hello from {{org.name}}"})
	require.NoError(t, err)
	require.False(t, res.OK, "the contact has no first name: the send would be refused")
	p := problemAt(t, res, "body.variables.first_name")
	require.Equal(t, ProblemVariables, p.Kind)
	require.Equal(t, []string{"first_name"}, res.Missing)
	require.NotNil(t, res.Recipient)
	require.Equal(t, "New.Person@example.com", res.Recipient.Address)
	require.Nil(t, res.Recipient.ContactID)
	require.NotNil(t, res.Preview, "the render is shown even with a variable missing")
	require.Equal(t, "Hi ", res.Preview.Subject)
	require.Contains(t, res.Preview.Text, "Hello from Org ")

	// Nothing stays: no contact was made for the raw address, no message.
	var n int
	require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT count(*) FROM contacts WHERE org_id = $1`, b.org).Scan(&n))
	require.Zero(t, n)
	require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT count(*) FROM outbound_messages WHERE org_id = $1`, b.org).Scan(&n))
	require.Zero(t, n)

	res, err = b.sends.Check(b.ctx, b.org, SendRequest{Channel: "email", To: "new.person@example.com", Subject: "Hi", HTML: "<p>Hello <b>you</b></p>"})
	require.NoError(t, err)
	require.True(t, res.OK, "%+v", res.Problems)
	require.Contains(t, res.Preview.HTML, "<b>you</b>")
	require.Contains(t, res.Preview.Text, "Hello you", "the text part is made from the HTML")
}

func TestCheckReportsEveryStage(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := suppression.Add(b.ctx, b.tx, b.org, suppression.Actor{}, suppression.SuppressionInput{Channel: "email", Value: "gone@example.com", Reason: "bounced"}, "test")
	require.NoError(t, err)

	// An empty subject is "missing", and the suppression shows at once too.
	res, err := b.sends.Check(b.ctx, b.org, SendRequest{Channel: "email", To: "gone@example.com", Body: "b"})
	require.NoError(t, err)
	require.False(t, res.OK)
	require.Equal(t, ProblemMissing, problemAt(t, res, "body.subject").Kind)
	p := problemAt(t, res, "body.to")
	require.Equal(t, ProblemRecipient, p.Kind)
	require.Contains(t, p.Message, "suppression list")

	// Opted out.
	c := b.contact(t, contacts.ContactInput{Email: ptr("out@example.com"), FirstName: ptr("Ada")})
	_, err = b.tx.Exec(b.ctx, `UPDATE contacts SET consent = '{"email":{"status":"opted_out"}}' WHERE id = $1`, c.ID)
	require.NoError(t, err)
	res, err = b.sends.Check(b.ctx, b.org, SendRequest{Channel: "email", ContactID: &c.ID, Subject: "Hi {{first_name}}", Body: "b"})
	require.NoError(t, err)
	require.Contains(t, problemAt(t, res, "body.contact_id").Message, "opted out")
	require.Equal(t, "Ada", res.Recipient.Name)
	require.Equal(t, &c.ID, res.Recipient.ContactID)
	require.Equal(t, "Hi Ada", res.Preview.Subject)

	// No recipient yet: "missing", and contact variables are not counted.
	res, err = b.sends.Check(b.ctx, b.org, SendRequest{Channel: "telegram", Body: "Hi {{first_name}}, {{code}}"})
	require.NoError(t, err)
	require.Equal(t, ProblemMissing, problemAt(t, res, "body.contact_id").Kind)
	problemAt(t, res, "body.variables.code")
	for _, p := range res.Problems {
		require.NotEqual(t, "body.variables.first_name", p.Field)
	}
	require.Equal(t, []string{"code"}, res.Missing)
	require.Nil(t, res.Recipient)

	// A bad address, a message too long and an attachment refused.
	up, err := SaveUpload(b.ctx, b.tx, b.store, b.org, uuid.NullUUID{}, "upload", "notes.exe", strings.NewReader("MZ\x90\x00binary"))
	require.NoError(t, err)
	res, err = b.sends.Check(b.ctx, b.org, SendRequest{Channel: "whatsapp", To: "not a number", Body: strings.Repeat("x", 1601), Attachments: []uuid.UUID{up.ID}})
	require.NoError(t, err)
	require.Equal(t, ProblemRecipient, problemAt(t, res, "body.to").Kind)
	require.Equal(t, ProblemInvalid, problemAt(t, res, "body.body").Kind)
	require.Equal(t, ProblemAttachments, problemAt(t, res, "body.attachments").Kind)

	// Instagram's reply window.
	ig := b.contact(t, contacts.ContactInput{InstagramID: ptr("17841400000000002")})
	res, err = b.sends.Check(b.ctx, b.org, SendRequest{Channel: "instagram", ContactID: &ig.ID, Body: "hello"})
	require.NoError(t, err)
	require.Contains(t, problemAt(t, res, "body.contact_id").Message, "24 hours")
}

func TestCheckTemplate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	actor := uuid.NullUUID{UUID: b.owner, Valid: true}
	def := "friend"
	tpl, err := templates.Create(b.ctx, b.tx, b.org, templates.CreateParams{
		Name: "Order shipped", Channel: "whatsapp", Actor: actor,
		Content: templates.Content{Body: "Hi {{nick}}, order {{order}} shipped", Variables: []templates.TemplateVariable{{Name: "order"}, {Name: "nick", Default: &def}}},
	}, time.Now())
	require.NoError(t, err)
	req := SendRequest{Channel: "whatsapp", To: "+14155550199", TemplateID: &tpl.ID}

	res, err := b.sends.Check(b.ctx, b.org, req)
	require.NoError(t, err)
	p := problemAt(t, res, "body.template_id")
	require.Equal(t, ProblemTemplate, p.Kind)
	require.Nil(t, res.Preview)

	_, err = templates.Submit(b.ctx, b.tx, b.org, tpl.ID, actor, time.Now())
	require.NoError(t, err)
	_, err = templates.Approve(b.ctx, b.tx, b.org, tpl.ID, actor, time.Now())
	require.NoError(t, err)

	res, err = b.sends.Check(b.ctx, b.org, req)
	require.NoError(t, err)
	require.Equal(t, []string{"order"}, res.Missing)
	require.Len(t, res.Variables, 2)
	require.Equal(t, "Hi friend, order  shipped", res.Preview.Text)

	req.Variables = map[string]any{"order": "A-7"}
	res, err = b.sends.Check(b.ctx, b.org, req)
	require.NoError(t, err)
	require.True(t, res.OK, "%+v", res.Problems)
	require.Equal(t, "Hi friend, order A-7 shipped", res.Preview.Text)
	require.Equal(t, "+14155550199", res.Recipient.Address)
}

func TestCheckRoute(t *testing.T) {
	t.Parallel()
	a := setupAPI(t)
	member := a.tenant(t, auth.RoleMember)
	status, _, raw := a.call(t, "POST", "/api/v1/messages/check", member.token, map[string]any{"channel": "email", "to": "chk@example.com", "subject": "s", "body": "b"}, nil)
	require.Equal(t, http.StatusOK, status, string(raw))
	var res CheckResult
	require.NoError(t, json.Unmarshal(raw, &res))
	require.True(t, res.OK, "%+v", res.Problems)

	// The check sends nothing.
	status, _, raw = a.call(t, "GET", "/api/v1/messages", member.token, nil, nil)
	require.Equal(t, http.StatusOK, status)
	var page MessagePage
	require.NoError(t, json.Unmarshal(raw, &page))
	require.Empty(t, page.Items)

	viewer := a.tenant(t, auth.RoleViewer)
	status, _, _ = a.call(t, "POST", "/api/v1/messages/check", viewer.token, map[string]any{"channel": "email", "to": "x@example.com"}, nil)
	require.Equal(t, http.StatusForbidden, status)
}
