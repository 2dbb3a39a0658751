package templates

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/auth"
	"github.com/switchboard/switchboard/internal/dbtest"
	"github.com/switchboard/switchboard/internal/dbutil"
)

func TestCreate(t *testing.T) {
	t.Parallel()

	t.Run("email draft with generated text", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tpl := b.create(t, emailParams("Welcome"))
		require.Equal(t, "Welcome", tpl.Name)
		require.Equal(t, ChannelEmail, tpl.Channel)
		require.Equal(t, StatusDraft, tpl.Status)
		require.Equal(t, 1, tpl.Version)
		require.Equal(t, 1, tpl.LatestVersion)
		require.Nil(t, tpl.ApprovedVersion)
		require.False(t, tpl.Usable)
		require.False(t, tpl.IsDefault)
		require.Equal(t, "Hi {{ first_name }}, your plan is {{attributes.plan}}.", tpl.BodyText)
		require.True(t, tpl.BodyTextGenerated)
		require.Equal(t, b.owner.ID, *tpl.CreatedBy)

		got, err := Get(b.ctx, b.tx, b.org.ID, tpl.ID)
		require.NoError(t, err)
		require.Equal(t, tpl, got)

		_, err = GetUsable(b.ctx, b.tx, b.org.ID, tpl.ID)
		require.ErrorIs(t, err, ErrNotUsable, "a draft is not usable")
		_, err = Get(b.ctx, b.tx, b.org.ID, uuid.New())
		require.ErrorIs(t, err, ErrNotFound)
		_, err = GetUsable(b.ctx, b.tx, b.org.ID, uuid.New())
		require.ErrorIs(t, err, ErrNotFound)
	})

	t.Run("chat channels", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		wa := b.create(t, CreateParams{Channel: ChannelWhatsApp, Content: Content{
			Body: "Your order {{order_id}} ships today, {{first_name}}.", ProviderTemplateName: "order_shipped",
			ProviderTemplateSID: "HX0123456789abcdef0123456789abcdef", Variables: []TemplateVariable{{Name: "order_id", Sample: strp("A-1")}},
		}})
		require.Equal(t, "order_shipped", wa.ProviderTemplateName)
		require.Empty(t, wa.BodyText)
		tg := b.create(t, CreateParams{Channel: ChannelTelegram, Content: Content{Body: "Hello from {{org.name}}"}})
		require.Equal(t, []TemplateVariable{}, tg.Variables)
	})

	t.Run("undeclared and unused variables are named", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		p := emailParams("Bad")
		p.Content.Subject = "{{coupon}} for {{first_name}}"
		p.Content.BodyHTML = "<p>{{attributes.plan}} {{attributes.seats}} {{org.name}}</p>"
		p.Content.Variables = []TemplateVariable{{Name: "attributes.plan"}, {Name: "never_used"}, {Name: "also_unused"}}
		_, err := Create(b.ctx, b.tx, b.org.ID, p, b.now)
		msgs := requireFields(t, err, "body.subject", "body.body_html", "body.body_text", "body.variables[1].name", "body.variables[2].name")
		require.Contains(t, msgs["body.subject"][0], `undeclared variable "coupon"`)
		require.Contains(t, msgs["body.body_html"][0], `undeclared variable "attributes.seats" (line 1, column 24)`)
		require.Contains(t, msgs["body.body_text"][0], `"attributes.seats"`, "the generated text is checked too")
		require.Contains(t, msgs["body.variables[1].name"][0], `declares "never_used" but no field uses it`)
		require.Contains(t, msgs["body.variables[2].name"][0], `"also_unused"`)
	})

	t.Run("every bad field at once", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		_, err := Create(b.ctx, b.tx, b.org.ID, CreateParams{Name: " ", Channel: ChannelEmail, Content: Content{Body: "x {{ bad name }}"}}, b.now)
		requireFields(t, err, "body.name", "body.subject", "body.body_html", "body.body")
		_, err = Create(b.ctx, b.tx, b.org.ID, CreateParams{Name: "x", Channel: "sms"}, b.now)
		requireFields(t, err, "body.channel")
		_, err = Create(b.ctx, b.tx, b.org.ID, CreateParams{Name: "x", Channel: ChannelTelegram, Content: Content{Body: "Hi {{first name}}"}}, b.now)
		msgs := requireFields(t, err, "body.body")
		require.Contains(t, msgs["body.body"][0], "line 1, column 4")
	})

	t.Run("names are unique per channel, ignoring case", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		b.create(t, emailParams("Newsletter"))
		_, err := Create(b.ctx, b.tx, b.org.ID, emailParams("newsletter"), b.now)
		require.ErrorIs(t, err, ErrNameTaken)
		b.create(t, CreateParams{Name: "Newsletter", Channel: ChannelTelegram, Content: Content{Body: "x"}})
		other, _ := newOrg(b.ctx, t, b.tx)
		_, err = Create(b.ctx, b.tx, other.ID, emailParams("Newsletter"), b.now)
		require.NoError(t, err, "another org may use the name")
	})
}

func TestApprovalAndVersioning(t *testing.T) {
	t.Parallel()
	b := setup(t)
	member := b.member(t, b.org.ID, auth.RoleMember)
	admin := b.member(t, b.org.ID, auth.RoleAdmin)
	p := emailParams("Onboarding")
	p.Actor = actorOf(member)
	tpl := b.create(t, p)

	// Draft edits stay on version 1.
	tpl, err := Update(b.ctx, b.tx, b.org.ID, tpl.ID, UpdateParams{Subject: strp("Hello {{first_name}}"), Actor: actorOf(member)}, b.now)
	require.NoError(t, err)
	require.Equal(t, 1, tpl.Version)
	require.Equal(t, StatusDraft, tpl.Status)

	// Submit; editing a pending version withdraws it.
	tpl, err = Submit(b.ctx, b.tx, b.org.ID, tpl.ID, actorOf(member), b.now)
	require.NoError(t, err)
	require.Equal(t, StatusPendingApproval, tpl.Status)
	require.Equal(t, member.ID, *tpl.SubmittedBy)
	_, err = Submit(b.ctx, b.tx, b.org.ID, tpl.ID, actorOf(member), b.now)
	require.ErrorIs(t, err, ErrAlreadyPending)
	tpl, err = Update(b.ctx, b.tx, b.org.ID, tpl.ID, UpdateParams{Subject: strp("Hi {{first_name}}")}, b.now)
	require.NoError(t, err)
	require.Equal(t, StatusDraft, tpl.Status, "an edited submission goes back to draft")
	require.Nil(t, tpl.SubmittedAt)
	_, err = Approve(b.ctx, b.tx, b.org.ID, tpl.ID, actorOf(admin), b.now)
	require.ErrorIs(t, err, ErrNotPending, "a draft cannot be approved")

	// Reject with a reason, fix, resubmit, approve.
	_, err = Submit(b.ctx, b.tx, b.org.ID, tpl.ID, actorOf(member), b.now)
	require.NoError(t, err)
	_, err = Reject(b.ctx, b.tx, b.org.ID, tpl.ID, "  ", actorOf(admin), b.now)
	requireFields(t, err, "body.reason")
	tpl, err = Reject(b.ctx, b.tx, b.org.ID, tpl.ID, "Say who we are", actorOf(admin), b.now)
	require.NoError(t, err)
	require.Equal(t, StatusRejected, tpl.Status)
	require.Equal(t, "Say who we are", *tpl.RejectionReason)
	_, err = Reject(b.ctx, b.tx, b.org.ID, tpl.ID, "again", actorOf(admin), b.now)
	require.ErrorIs(t, err, ErrNotPending)
	tpl, err = Submit(b.ctx, b.tx, b.org.ID, tpl.ID, actorOf(member), b.now)
	require.NoError(t, err, "a rejected version may be resubmitted")
	require.Nil(t, tpl.RejectionReason)
	tpl, err = Approve(b.ctx, b.tx, b.org.ID, tpl.ID, actorOf(admin), b.now)
	require.NoError(t, err)
	require.Equal(t, StatusApproved, tpl.Status)
	require.Equal(t, 1, *tpl.ApprovedVersion)
	require.True(t, tpl.Usable)
	require.Equal(t, admin.ID, *tpl.ApprovedBy)
	require.Equal(t, b.now, tpl.ApprovedAt.UTC())
	_, err = Submit(b.ctx, b.tx, b.org.ID, tpl.ID, actorOf(member), b.now)
	require.ErrorIs(t, err, ErrNothingToSubmit)

	usable, err := GetUsable(b.ctx, b.tx, b.org.ID, tpl.ID)
	require.NoError(t, err)
	require.Equal(t, "Hi {{first_name}}", usable.Subject)

	// A rename is not content: no new version.
	tpl, err = Update(b.ctx, b.tx, b.org.ID, tpl.ID, UpdateParams{Name: strp("Onboarding v2")}, b.now)
	require.NoError(t, err)
	require.Equal(t, "Onboarding v2", tpl.Name)
	require.Equal(t, 1, tpl.LatestVersion)
	require.Equal(t, StatusApproved, tpl.Status)
	// Neither is resending the same content.
	tpl, err = Update(b.ctx, b.tx, b.org.ID, tpl.ID, UpdateParams{Subject: strp("Hi {{first_name}}")}, b.now)
	require.NoError(t, err)
	require.Equal(t, 1, tpl.LatestVersion)

	// Editing the approved template starts version 2; version 1 stays in use.
	tpl, err = Update(b.ctx, b.tx, b.org.ID, tpl.ID, UpdateParams{
		Subject: strp("Your {{attributes.plan}} plan, {{first_name}}"), Actor: actorOf(member),
	}, b.now)
	require.NoError(t, err)
	require.Equal(t, 2, tpl.Version)
	require.Equal(t, 2, tpl.LatestVersion)
	require.Equal(t, StatusDraft, tpl.Status)
	require.Equal(t, 1, *tpl.ApprovedVersion)
	require.True(t, tpl.Usable)
	usable, err = GetUsable(b.ctx, b.tx, b.org.ID, tpl.ID)
	require.NoError(t, err)
	require.Equal(t, 1, usable.Version)
	require.Equal(t, "Hi {{first_name}}", usable.Subject, "the approved version is still what sends use")
	require.Equal(t, StatusApproved, usable.Status)

	// A second edit changes the same draft.
	tpl, err = Update(b.ctx, b.tx, b.org.ID, tpl.ID, UpdateParams{Subject: strp("Your {{attributes.plan}} plan")}, b.now)
	require.NoError(t, err)
	require.Equal(t, 2, tpl.LatestVersion)

	// Rejecting version 2 leaves version 1 in use.
	_, err = Submit(b.ctx, b.tx, b.org.ID, tpl.ID, actorOf(member), b.now)
	require.NoError(t, err)
	_, err = Reject(b.ctx, b.tx, b.org.ID, tpl.ID, "no", actorOf(admin), b.now)
	require.NoError(t, err)
	usable, err = GetUsable(b.ctx, b.tx, b.org.ID, tpl.ID)
	require.NoError(t, err)
	require.Equal(t, 1, usable.Version)

	// Approving version 2 switches what sends use.
	_, err = Submit(b.ctx, b.tx, b.org.ID, tpl.ID, actorOf(member), b.now)
	require.NoError(t, err)
	later := b.now.Add(time.Minute)
	tpl, err = Approve(b.ctx, b.tx, b.org.ID, tpl.ID, actorOf(admin), later)
	require.NoError(t, err)
	require.Equal(t, 2, *tpl.ApprovedVersion)
	usable, err = GetUsable(b.ctx, b.tx, b.org.ID, tpl.ID)
	require.NoError(t, err)
	require.Equal(t, 2, usable.Version)
	require.Equal(t, "Your {{attributes.plan}} plan", usable.Subject)

	// The history.
	vs, err := Versions(b.ctx, b.tx, b.org.ID, tpl.ID)
	require.NoError(t, err)
	require.Len(t, vs, 2)
	require.Equal(t, 2, vs[0].Version)
	require.True(t, vs[0].InUse)
	require.Equal(t, StatusApproved, vs[0].Status)
	require.Equal(t, member.ID, *vs[0].CreatedBy)
	require.Equal(t, 1, vs[1].Version)
	require.False(t, vs[1].InUse)
	require.Equal(t, StatusApproved, vs[1].Status)
	require.Equal(t, later, vs[1].SupersededAt.UTC())
	v1, err := GetVersion(b.ctx, b.tx, b.org.ID, tpl.ID, 1)
	require.NoError(t, err)
	require.Equal(t, "Hi {{first_name}}", v1.Subject)
	_, err = GetVersion(b.ctx, b.tx, b.org.ID, tpl.ID, 3)
	require.ErrorIs(t, err, ErrVersionNotFound)
	_, err = Versions(b.ctx, b.tx, b.org.ID, uuid.New())
	require.ErrorIs(t, err, ErrNotFound)
}

func TestUpdate(t *testing.T) {
	t.Parallel()

	t.Run("generated text follows the HTML; given text stays", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tpl := b.create(t, emailParams(""))
		tpl, err := Update(b.ctx, b.tx, b.org.ID, tpl.ID, UpdateParams{BodyHTML: strp("<p>New {{attributes.plan}}</p>")}, b.now)
		require.NoError(t, err)
		require.Equal(t, "New {{attributes.plan}}", tpl.BodyText)
		require.True(t, tpl.BodyTextGenerated)

		tpl, err = Update(b.ctx, b.tx, b.org.ID, tpl.ID, UpdateParams{BodyText: strp("Mine {{attributes.plan}}")}, b.now)
		require.NoError(t, err)
		require.False(t, tpl.BodyTextGenerated)
		tpl, err = Update(b.ctx, b.tx, b.org.ID, tpl.ID, UpdateParams{BodyHTML: strp("<p>Newer {{attributes.plan}}</p>")}, b.now)
		require.NoError(t, err)
		require.Equal(t, "Mine {{attributes.plan}}", tpl.BodyText, "a written text is not overwritten")

		tpl, err = Update(b.ctx, b.tx, b.org.ID, tpl.ID, UpdateParams{BodyText: strp("")}, b.now)
		require.NoError(t, err)
		require.Equal(t, "Newer {{attributes.plan}}", tpl.BodyText, `"" generates it again`)
		require.True(t, tpl.BodyTextGenerated)
	})

	t.Run("validation names the variables; nothing changes", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		tpl := b.create(t, emailParams(""))
		_, err := Update(b.ctx, b.tx, b.org.ID, tpl.ID, UpdateParams{Variables: &[]TemplateVariable{{Name: "coupon"}}}, b.now)
		msgs := requireFields(t, err, "body.body_html", "body.body_text", "body.variables[0].name")
		require.Contains(t, msgs["body.body_html"][0], `"attributes.plan"`)
		require.Contains(t, msgs["body.variables[0].name"][0], `"coupon"`)
		got, err := Get(b.ctx, b.tx, b.org.ID, tpl.ID)
		require.NoError(t, err)
		require.Equal(t, tpl.Variables, got.Variables)
	})

	t.Run("channel is fixed; names stay unique", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		a := b.create(t, emailParams("A"))
		b.create(t, emailParams("B"))
		ch := ChannelTelegram
		_, err := Update(b.ctx, b.tx, b.org.ID, a.ID, UpdateParams{Channel: &ch}, b.now)
		requireFields(t, err, "body.channel")
		same := ChannelEmail
		_, err = Update(b.ctx, b.tx, b.org.ID, a.ID, UpdateParams{Channel: &same}, b.now)
		require.NoError(t, err)
		_, err = Update(b.ctx, b.tx, b.org.ID, a.ID, UpdateParams{Name: strp("b")}, b.now)
		require.ErrorIs(t, err, ErrNameTaken)
		_, err = Update(b.ctx, b.tx, b.org.ID, uuid.New(), UpdateParams{Name: strp("c")}, b.now)
		require.ErrorIs(t, err, ErrNotFound)
	})
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	b := setup(t)
	draft := b.create(t, emailParams(""))
	_, err := MakeDefault(b.ctx, b.tx, b.org.ID, draft.ID, actorOf(b.owner), b.now)
	require.ErrorIs(t, err, ErrDefaultNeedsApproval)
	_, err = GetDefault(b.ctx, b.tx, b.org.ID, ChannelEmail)
	require.ErrorIs(t, err, ErrNoDefault)

	a := b.approved(t, emailParams(""))
	bb := b.approved(t, emailParams(""))
	tg := b.approved(t, CreateParams{Channel: ChannelTelegram, Content: Content{Body: "hi"}})

	a, err = MakeDefault(b.ctx, b.tx, b.org.ID, a.ID, actorOf(b.owner), b.now)
	require.NoError(t, err)
	require.True(t, a.IsDefault)
	_, err = MakeDefault(b.ctx, b.tx, b.org.ID, tg.ID, actorOf(b.owner), b.now)
	require.NoError(t, err, "each channel has its own default")
	def, err := GetDefault(b.ctx, b.tx, b.org.ID, ChannelEmail)
	require.NoError(t, err)
	require.Equal(t, a.ID, def.ID)

	_, err = MakeDefault(b.ctx, b.tx, b.org.ID, bb.ID, actorOf(b.owner), b.now)
	require.NoError(t, err)
	def, err = GetDefault(b.ctx, b.tx, b.org.ID, ChannelEmail)
	require.NoError(t, err)
	require.Equal(t, bb.ID, def.ID)
	a, err = Get(b.ctx, b.tx, b.org.ID, a.ID)
	require.NoError(t, err)
	require.False(t, a.IsDefault, "the previous default is one no more")
	tgNow, err := Get(b.ctx, b.tx, b.org.ID, tg.ID)
	require.NoError(t, err)
	require.True(t, tgNow.IsDefault, "other channels are untouched")

	// Making the default the default again changes nothing.
	_, err = MakeDefault(b.ctx, b.tx, b.org.ID, bb.ID, actorOf(b.owner), b.now)
	require.NoError(t, err)

	// Editing the default keeps it the default, on its approved version.
	_, err = Update(b.ctx, b.tx, b.org.ID, bb.ID, UpdateParams{Subject: strp("Changed {{first_name}}")}, b.now)
	require.NoError(t, err)
	def, err = GetDefault(b.ctx, b.tx, b.org.ID, ChannelEmail)
	require.NoError(t, err)
	require.Equal(t, 1, def.Version)
	require.Equal(t, "Welcome, {{first_name}}", def.Subject)

	// The database holds the rules, whatever the code does.
	_, err = b.tx.Exec(b.ctx, `SAVEPOINT s1`)
	require.NoError(t, err)
	_, err = b.tx.Exec(b.ctx, `UPDATE templates SET is_default = true WHERE id = $1`, a.ID)
	require.True(t, dbutil.IsUniqueViolation(err, "templates_one_default_per_channel"), "got %v", err)
	_, err = b.tx.Exec(b.ctx, `ROLLBACK TO SAVEPOINT s1`)
	require.NoError(t, err)
	_, err = b.tx.Exec(b.ctx, `UPDATE templates SET is_default = true WHERE id = $1`, draft.ID)
	require.ErrorContains(t, err, "templates_default_is_approved")
	_, err = b.tx.Exec(b.ctx, `ROLLBACK TO SAVEPOINT s1`)
	require.NoError(t, err)

	// The default cannot be deleted; another one can.
	require.ErrorIs(t, Delete(b.ctx, b.tx, b.org.ID, bb.ID, DeleteOpts{AllowApproved: true}), ErrDeleteDefault)
	require.NoError(t, Delete(b.ctx, b.tx, b.org.ID, a.ID, DeleteOpts{AllowApproved: true}))
}

// TestMakeDefaultConcurrently races make-default calls on committed data:
// the channel's default lock serializes them, so none fails and one wins.
func TestMakeDefaultConcurrently(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool := dbtest.Pool(t)
	org, owner := newOrg(ctx, t, pool)
	t.Cleanup(func() { _, _ = pool.Exec(context.WithoutCancel(ctx), `DELETE FROM orgs WHERE id = $1`, org.ID) })
	b := &testBundle{ctx: ctx, org: org, owner: owner, now: time.Now()}
	var ids []uuid.UUID
	for i := range 6 {
		p := emailParams(fmt.Sprintf("Race %d", i))
		tpl, err := Create(ctx, pool, org.ID, p, b.now)
		require.NoError(t, err)
		_, err = Submit(ctx, pool, org.ID, tpl.ID, actorOf(owner), b.now)
		require.NoError(t, err)
		_, err = Approve(ctx, pool, org.ID, tpl.ID, actorOf(owner), b.now)
		require.NoError(t, err)
		ids = append(ids, tpl.ID)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(ids))
	for i, id := range ids {
		wg.Go(func() {
			_, errs[i] = MakeDefault(ctx, pool, org.ID, id, actorOf(owner), time.Now())
		})
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
	var n int
	require.NoError(t, pool.QueryRow(ctx, `SELECT count(*) FROM templates WHERE org_id = $1 AND is_default`, org.ID).Scan(&n))
	require.Equal(t, 1, n)
}

func TestDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	draft := b.create(t, emailParams(""))
	live := b.approved(t, emailParams(""))

	require.ErrorIs(t, Delete(b.ctx, b.tx, b.org.ID, live.ID, DeleteOpts{}), ErrDeleteApproved)
	require.NoError(t, Delete(b.ctx, b.tx, b.org.ID, draft.ID, DeleteOpts{}))
	require.NoError(t, Delete(b.ctx, b.tx, b.org.ID, live.ID, DeleteOpts{AllowApproved: true}))
	require.ErrorIs(t, Delete(b.ctx, b.tx, b.org.ID, live.ID, DeleteOpts{AllowApproved: true}), ErrNotFound)
	var n int
	require.NoError(t, b.tx.QueryRow(b.ctx, `SELECT count(*) FROM template_versions WHERE template_id = ANY($1)`, []uuid.UUID{draft.ID, live.ID}).Scan(&n))
	require.Zero(t, n, "versions go with their template")
}

func TestList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	names := []string{"delta", "Alpha", "charlie", "bravo", "echo 100%", "Foxtrot_x"}
	byName := map[string]*Template{}
	for _, n := range names {
		byName[n] = b.create(t, emailParams(n))
	}
	tg := b.approved(t, CreateParams{Name: "golf", Channel: ChannelTelegram, Content: Content{Body: "x"}})
	_, err := Submit(b.ctx, b.tx, b.org.ID, byName["bravo"].ID, actorOf(b.owner), b.now)
	require.NoError(t, err)
	// Another org's templates never show.
	other, _ := newOrg(b.ctx, t, b.tx)
	_, err = Create(b.ctx, b.tx, other.ID, emailParams("Alpha"), b.now)
	require.NoError(t, err)

	list := func(p ListParams) []string {
		t.Helper()
		page, err := List(b.ctx, b.tx, b.org.ID, p)
		require.NoError(t, err)
		var out []string
		for _, tpl := range page.Items {
			out = append(out, tpl.Name)
		}
		return out
	}
	require.Equal(t, []string{"Alpha", "bravo", "charlie", "delta", "echo 100%", "Foxtrot_x", "golf"}, list(ListParams{}))
	require.Equal(t, []string{"golf"}, list(ListParams{Channel: ChannelTelegram}))
	require.Equal(t, []string{"bravo"}, list(ListParams{Status: StatusPendingApproval}))
	require.Equal(t, []string{"golf"}, list(ListParams{Usable: true}))
	require.Equal(t, []string{"golf"}, list(ListParams{Status: StatusApproved}))
	require.Equal(t, []string{"charlie"}, list(ListParams{Search: "AR"}), "case-insensitive")
	require.Equal(t, []string{"echo 100%"}, list(ListParams{Search: "0%"}), "% is literal")
	require.Equal(t, []string{"Foxtrot_x"}, list(ListParams{Search: "t_"}), "_ is literal")

	// Keyset pages of 3.
	var all []string
	cursor := ""
	pages := 0
	for {
		page, err := List(b.ctx, b.tx, b.org.ID, ListParams{Limit: 3, Cursor: cursor})
		require.NoError(t, err)
		pages++
		for _, tpl := range page.Items {
			all = append(all, tpl.Name)
		}
		if page.NextCursor == "" {
			break
		}
		cursor = page.NextCursor
	}
	require.Equal(t, 3, pages)
	require.Equal(t, []string{"Alpha", "bravo", "charlie", "delta", "echo 100%", "Foxtrot_x", "golf"}, all)
	require.Equal(t, tg.ID, byNameAfter(t, b, "Foxtrot_x"))

	_, err = List(b.ctx, b.tx, b.org.ID, ListParams{Cursor: "garbage!"})
	requireFields(t, err, "query.cursor")
}

// byNameAfter returns the id of the template listed right after name.
func byNameAfter(t *testing.T, b *testBundle, name string) uuid.UUID {
	t.Helper()
	page, err := List(b.ctx, b.tx, b.org.ID, ListParams{Limit: MaxPageSize})
	require.NoError(t, err)
	for i, tpl := range page.Items {
		if tpl.Name == name && i+1 < len(page.Items) {
			return page.Items[i+1].ID
		}
	}
	t.Fatalf("%q is not followed by anything", name)
	return uuid.Nil
}

func TestSettings(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s, err := GetSettings(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.True(t, s.IsDefault)
	require.Equal(t, DefaultFooter, s.Footer())

	_, err = PutSettings(b.ctx, b.tx, b.org.ID, SettingsParams{EmailFooterHTML: "<p>Bye {{attributes.plan}}</p>", EmailFooterText: "Bye {{ bad name }}"}, b.now)
	msgs := requireFields(t, err, "body.email_footer_html", "body.email_footer_text")
	require.Contains(t, msgs["body.email_footer_html"][0], `"attributes.plan"`)
	require.Contains(t, msgs["body.email_footer_html"][1], "must contain {{unsubscribe_url}}")
	require.Contains(t, msgs["body.email_footer_text"][0], "malformed")

	s, err = PutSettings(b.ctx, b.tx, b.org.ID, SettingsParams{
		EmailFooterHTML: `<p>{{org.name}}, 1 Main St. <a href="{{unsubscribe_url}}">Leave</a></p>`, Actor: actorOf(b.owner),
	}, b.now)
	require.NoError(t, err)
	require.False(t, s.IsDefault)
	require.Equal(t, "{{org.name}}, 1 Main St. Leave ({{unsubscribe_url}})", s.EmailFooterText, "generated from the HTML")
	require.Equal(t, b.owner.ID, *s.UpdatedBy)
	f, err := GetFooter(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	require.Equal(t, s.Footer(), f)

	other, _ := newOrg(b.ctx, t, b.tx)
	s, err = GetSettings(b.ctx, b.tx, other.ID)
	require.NoError(t, err)
	require.True(t, s.IsDefault, "settings are per org")
}

func TestPreviewTemplate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	contactID := uuid.New()
	lookup := func(_ context.Context, orgID, id uuid.UUID) (map[string]any, error) {
		if orgID != b.org.ID || id != contactID {
			return nil, ErrNotFound // any NotFound fault
		}
		return map[string]any{"first_name": "Grace", "email": "grace@example.com", "attributes": map[string]any{"plan": "<b>team</b>"}}, nil
	}
	tpl := b.approved(t, emailParams(""))
	tpl, err := Update(b.ctx, b.tx, b.org.ID, tpl.ID, UpdateParams{Subject: strp("v2 for {{first_name}}")}, b.now)
	require.NoError(t, err)
	unsub := "https://sb.test/u/preview"

	// Samples, with the org's name and the default footer.
	pv, err := PreviewTemplate(b.ctx, b.tx, b.org.ID, tpl.ID, PreviewParams{UnsubscribeURL: unsub}, lookup)
	require.NoError(t, err)
	require.Equal(t, 2, pv.Version)
	require.Equal(t, StatusDraft, pv.Status)
	require.Equal(t, "v2 for Ada", pv.Subject)
	require.Contains(t, pv.HTML, "<p>Hi Ada, your plan is <b>pro</b>.</p>")
	require.Contains(t, pv.HTML, "from "+b.org.Name+".")
	require.Contains(t, pv.HTML, `href="`+unsub+`"`)
	require.Contains(t, pv.Text, "Hi Ada, your plan is pro.\n\nYou are receiving this email from "+b.org.Name+".\nUnsubscribe: "+unsub)
	require.Equal(t, FooterAppended{HTML: true, Text: true}, pv.FooterAppended)
	require.Empty(t, pv.Missing)

	// A contact: its values, escaped in HTML; values given win.
	pv, err = PreviewTemplate(b.ctx, b.tx, b.org.ID, tpl.ID, PreviewParams{ContactID: &contactID, Version: 1, UnsubscribeURL: unsub}, lookup)
	require.NoError(t, err)
	require.Equal(t, 1, pv.Version)
	require.Equal(t, StatusApproved, pv.Status)
	require.Equal(t, "Welcome, Grace", pv.Subject)
	require.Contains(t, pv.HTML, "your plan is <b>&lt;b&gt;team&lt;/b&gt;</b>")
	require.Contains(t, pv.Text, "your plan is <b>team</b>.")
	pv, err = PreviewTemplate(b.ctx, b.tx, b.org.ID, tpl.ID, PreviewParams{ContactID: &contactID, Values: map[string]any{"first_name": "G"}}, lookup)
	require.NoError(t, err)
	require.Equal(t, "v2 for G", pv.Subject)
	require.Equal(t, []string{"unsubscribe_url"}, pv.Missing)

	// A contact without the value: the default; none at all: reported missing.
	noPlan := b.create(t, CreateParams{Channel: ChannelTelegram, Content: Content{
		Body: "{{first_name}} {{last_name}} {{attributes.tier}} {{attributes.plan}}", Variables: []TemplateVariable{{Name: "attributes.tier", Default: strp("basic")}, {Name: "attributes.plan"}},
	}})
	pv, err = PreviewTemplate(b.ctx, b.tx, b.org.ID, noPlan.ID, PreviewParams{ContactID: &contactID}, lookup)
	require.NoError(t, err)
	require.Equal(t, "Grace  basic <b>team</b>", pv.Body)
	require.Equal(t, []string{"last_name"}, pv.Missing)

	// Errors.
	stranger := uuid.New()
	_, err = PreviewTemplate(b.ctx, b.tx, b.org.ID, tpl.ID, PreviewParams{ContactID: &stranger}, lookup)
	requireFields(t, err, "body.contact_id")
	_, err = PreviewTemplate(b.ctx, b.tx, b.org.ID, tpl.ID, PreviewParams{ContactID: &contactID}, nil)
	require.ErrorIs(t, err, ErrContactsUnavailable)
	_, err = PreviewTemplate(b.ctx, b.tx, b.org.ID, tpl.ID, PreviewParams{Version: 9}, lookup)
	requireFields(t, err, "body.version")
	_, err = PreviewTemplate(b.ctx, b.tx, b.org.ID, uuid.New(), PreviewParams{}, lookup)
	require.ErrorIs(t, err, ErrNotFound)
}

// TestTemplateRender is the entry point later domains use: GetUsable, then Render.
func TestTemplateRender(t *testing.T) {
	t.Parallel()
	b := setup(t)
	tpl := b.approved(t, emailParams(""))
	usable, err := GetUsable(b.ctx, b.tx, b.org.ID, tpl.ID)
	require.NoError(t, err)
	footer, err := GetFooter(b.ctx, b.tx, b.org.ID)
	require.NoError(t, err)
	r := usable.Render(Data{Contact: map[string]any{"first_name": "Ann"}, OrgName: "Acme", UnsubscribeURL: "https://u.test/1"}, &footer)
	require.Equal(t, "Welcome, Ann", r.Subject)
	require.Contains(t, r.HTML, "your plan is <b>free</b>", "the declared default")
	require.Contains(t, r.Text, "Unsubscribe: https://u.test/1")
	require.Empty(t, r.Missing)
}
