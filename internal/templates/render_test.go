package templates

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/switchboard/switchboard/internal/fault"
)

func strp(s string) *string { return &s }

func TestRender(t *testing.T) {
	t.Parallel()
	contact := map[string]any{
		"first_name": "Zoë",
		"last_name":  "",
		"email":      "zoe@example.com",
		"attributes": map[string]any{"plan": "pro", "seats": float64(12), "vip": true, "bio": `<script>alert("x")</script> & co`},
	}
	tests := []struct {
		name    string
		ch      Channel
		c       Content
		d       Data
		want    Rendered
		footer  *Footer
		compare func(t *testing.T, got Rendered)
	}{
		{
			name: "chat body from contact, raw",
			ch:   ChannelTelegram,
			c:    Content{Body: "Hi {{first_name}}, plan {{ attributes.plan }} ({{attributes.seats}} seats, vip {{attributes.vip}}) <b>", Variables: []TemplateVariable{{Name: "attributes.plan"}, {Name: "attributes.seats"}, {Name: "attributes.vip"}}},
			d:    Data{Contact: contact},
			want: Rendered{Body: "Hi Zoë, plan pro (12 seats, vip true) <b>", Missing: []string{}},
		},
		{
			name: "chat values are never escaped",
			ch:   ChannelWhatsApp,
			c:    Content{Body: "{{attributes.bio}}", Variables: []TemplateVariable{{Name: "attributes.bio"}}},
			d:    Data{Contact: contact},
			want: Rendered{Body: `<script>alert("x")</script> & co`, Missing: []string{}},
		},
		{
			name: "email: HTML escaped, subject and text raw",
			ch:   ChannelEmail,
			c: Content{
				Subject:   "News for {{attributes.bio}}",
				BodyHTML:  `<p title="{{attributes.bio}}">{{attributes.bio}}</p><a href="{{unsubscribe_url}}">x</a>`,
				BodyText:  "{{attributes.bio}} {{unsubscribe_url}}",
				Variables: []TemplateVariable{{Name: "attributes.bio"}},
			},
			d: Data{Contact: contact, UnsubscribeURL: "https://sb.test/u/t?a=1&b=2"},
			want: Rendered{
				Subject: `News for <script>alert("x")</script> & co`,
				HTML:    `<p title="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co">&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; co</p><a href="https://sb.test/u/t?a=1&amp;b=2">x</a>`,
				Text:    `<script>alert("x")</script> & co https://sb.test/u/t?a=1&b=2`,
				Missing: []string{},
			},
		},
		{
			name: "defaults apply to absent and empty values",
			ch:   ChannelTelegram,
			c:    Content{Body: "Hi {{first_name}} {{last_name}}, code {{coupon}}", Variables: []TemplateVariable{{Name: "first_name", Default: strp("there")}, {Name: "last_name", Default: strp("")}, {Name: "coupon", Default: strp("WELCOME")}}},
			d:    Data{Contact: map[string]any{"first_name": "", "last_name": ""}},
			want: Rendered{Body: "Hi there , code WELCOME", Missing: []string{}},
		},
		{
			name: "missing values are reported and render empty",
			ch:   ChannelInstagram,
			c:    Content{Body: "{{first_name}}|{{attributes.tier}}|{{first_name}}|{{org.name}}", Variables: []TemplateVariable{{Name: "attributes.tier"}}},
			d:    Data{},
			want: Rendered{Body: "|||", Missing: []string{"attributes.tier", "first_name", "org.name"}},
		},
		{
			name: "send values win over the contact; nested or dotted keys",
			ch:   ChannelTelegram,
			c:    Content{Body: "{{first_name}} {{attributes.plan}} {{order.id}}", Variables: []TemplateVariable{{Name: "attributes.plan"}, {Name: "order.id"}}},
			d:    Data{Contact: contact, Values: map[string]any{"first_name": "Z", "attributes.plan": "team", "order": map[string]any{"id": 42}}},
			want: Rendered{Body: "Z team 42", Missing: []string{}},
		},
		{
			name: "samples in previews without a contact",
			ch:   ChannelTelegram,
			c:    Content{Body: "{{first_name}} {{email}} {{attributes.plan}} {{coupon}} {{ref}}", Variables: []TemplateVariable{{Name: "attributes.plan", Sample: strp("pro"), Default: strp("free")}, {Name: "coupon", Default: strp("SAVE")}, {Name: "ref"}}},
			d:    Data{UseSamples: true, OrgName: "Acme"},
			want: Rendered{Body: "Ada ada@example.com pro SAVE ", Missing: []string{"ref"}},
		},
		{
			name:   "footer appended to HTML and text without unsubscribe_url",
			ch:     ChannelEmail,
			c:      Content{Subject: "S", BodyHTML: "<html><body><p>Hi</p></BODY></html>", BodyText: "Hi\n"},
			d:      Data{OrgName: "A&B", UnsubscribeURL: "https://u.test/x"},
			footer: &DefaultFooter,
			compare: func(t *testing.T, got Rendered) {
				require.Equal(t, "<html><body><p>Hi</p>"+
					`<p style="margin:24px 0 0;font-size:12px;line-height:18px;color:#6b7280;text-align:center">You are receiving this email from A&amp;B. <a href="https://u.test/x" style="color:#6b7280">Unsubscribe</a></p>`+
					"\n</BODY></html>", got.HTML)
				require.Equal(t, "Hi\n\nYou are receiving this email from A&B.\nUnsubscribe: https://u.test/x", got.Text)
				require.Equal(t, FooterAppended{HTML: true, Text: true}, got.FooterAppended)
				require.Empty(t, got.Missing)
			},
		},
		{
			name:   "footer appended only where the link is missing",
			ch:     ChannelEmail,
			c:      Content{Subject: "S", BodyHTML: `<p><a href="{{ unsubscribe_url }}">Stop</a></p>`, BodyText: "Hi"},
			d:      Data{OrgName: "Acme", UnsubscribeURL: "https://u.test/x"},
			footer: &Footer{HTML: "<p>F {{unsubscribe_url}}</p>", Text: "F {{unsubscribe_url}}"},
			want: Rendered{
				Subject: "S", HTML: `<p><a href="https://u.test/x">Stop</a></p>`, Text: "Hi\n\nF https://u.test/x",
				Missing: []string{}, FooterAppended: FooterAppended{Text: true},
			},
		},
		{
			name: "no footer given, none appended; missing link reported",
			ch:   ChannelEmail,
			c:    Content{Subject: "S", BodyHTML: "<p>{{unsubscribe_url}}</p>"},
			d:    Data{},
			want: Rendered{Subject: "S", HTML: "<p></p>", Missing: []string{"unsubscribe_url"}},
		},
		{
			name: "values cannot break the subject line",
			ch:   ChannelEmail,
			c:    Content{Subject: "Hi {{first_name}}", BodyText: "x"},
			d:    Data{Values: map[string]any{"first_name": "a\r\nBcc: evil@example.com"}},
			want: Rendered{Subject: "Hi a  Bcc: evil@example.com", Text: "x", Missing: []string{}},
		},
		{
			name: "malformed placeholders print as text",
			ch:   ChannelTelegram,
			c:    Content{Body: "{{ not valid }} {{first_name}}"},
			d:    Data{Values: map[string]any{"first_name": "A"}},
			want: Rendered{Body: "{{ not valid }} A", Missing: []string{}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Render(tt.ch, tt.c, tt.d, tt.footer)
			if tt.compare != nil {
				tt.compare(t, got)
				return
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestPrepare(t *testing.T) {
	t.Parallel()
	t.Run("email text generated from HTML", func(t *testing.T) {
		t.Parallel()
		c := Content{Subject: " Hi ", BodyHTML: `<p>Hello {{first_name}}</p><p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>`}
		require.NoError(t, prepare(ChannelEmail, &c, false))
		require.Equal(t, "Hi", c.Subject)
		require.Equal(t, "Hello {{first_name}}\n\nUnsubscribe ({{unsubscribe_url}})", c.BodyText)
		require.True(t, c.BodyTextGenerated)
	})
	t.Run("given text is kept", func(t *testing.T) {
		t.Parallel()
		c := Content{Subject: "S", BodyHTML: "<p>H</p>", BodyText: "Mine"}
		require.NoError(t, prepare(ChannelEmail, &c, false))
		require.Equal(t, "Mine", c.BodyText)
		require.False(t, c.BodyTextGenerated)
	})
	t.Run("generated text follows the HTML", func(t *testing.T) {
		t.Parallel()
		c := Content{Subject: "S", BodyHTML: "<p>New</p>", BodyText: "Old", BodyTextGenerated: true}
		require.NoError(t, prepare(ChannelEmail, &c, true))
		require.Equal(t, "New", c.BodyText)
	})
	t.Run("channel fields", func(t *testing.T) {
		t.Parallel()
		locs := func(err error) []string {
			var out []string
			for _, f := range faultFields(t, err) {
				out = append(out, f.Location)
			}
			return out
		}
		c := Content{Body: "x"}
		require.Equal(t, []string{"body.subject", "body.body_html", "body.body"}, locs(prepare(ChannelEmail, &c, false)))
		c = Content{Subject: "s", BodyHTML: "h", Body: ""}
		require.Equal(t, []string{"body.body", "body.subject", "body.body_html"}, locs(prepare(ChannelTelegram, &c, false)))
		c = Content{Body: "x", ProviderTemplateName: "Bad Name", ProviderTemplateSID: "nope"}
		require.Equal(t, []string{"body.provider_template_name", "body.provider_template_sid"}, locs(prepare(ChannelWhatsApp, &c, false)))
		c = Content{Body: "x", ProviderTemplateName: "order_update", ProviderTemplateSID: "HX0123456789abcdef0123456789abcdef"}
		require.NoError(t, prepare(ChannelWhatsApp, &c, false))
		c = Content{Body: "x", ProviderTemplateName: "order_update"}
		require.Equal(t, []string{"body.provider_template_name"}, locs(prepare(ChannelTelegram, &c, false)))
		long := make([]byte, 1025)
		for i := range long {
			long[i] = 'a'
		}
		c = Content{Body: string(long)}
		require.Equal(t, []string{"body.body"}, locs(prepare(ChannelWhatsApp, &c, false)))
		c = Content{Body: string(long)}
		require.NoError(t, prepare(ChannelTelegram, &c, false))
	})
}

func faultFields(t *testing.T, err error) []fault.FieldError {
	t.Helper()
	fe, ok := fault.As(err)
	require.True(t, ok, "want a fault, got %v", err)
	return fe.Fields
}
