package templates

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHTMLToText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, html, want string
	}{
		{"plain text", "Hello world", "Hello world"},
		{"whitespace collapses", "  Hello \n\t  world  ", "Hello world"},
		{"paragraphs", "<p>One</p><p>Two</p>", "One\n\nTwo"},
		{"line breaks", "Line one<br>Line two<br/><br>Line four", "Line one\nLine two\n\nLine four"},
		{"entities decoded", "<p>Tom &amp; Jerry &lt;3 &nbsp;&eacute;</p>", "Tom & Jerry <3 é"},
		{"link with text", `<p>Read <a href="https://example.com/post">the post</a> now.</p>`, "Read the post (https://example.com/post) now."},
		{"link whose text is the url", `<a href="https://example.com/">https://example.com</a>`, "https://example.com"},
		{"link without text", `<a href="https://example.com/x"></a>`, "https://example.com/x"},
		{"image link uses alt", `<a href="https://example.com"><img src="logo.png" alt="Acme"></a>`, "Acme (https://example.com)"},
		{"mailto", `<a href="mailto:help@example.com">Write to us</a>`, "Write to us (help@example.com)"},
		{"mailto showing the address", `<a href="mailto:help@example.com">help@example.com</a>`, "help@example.com"},
		{"anchor links keep the text", `<a href="#top">Top</a>`, "Top"},
		{"placeholder link", `<p><a href="{{unsubscribe_url}}">Unsubscribe</a></p>`, "Unsubscribe ({{unsubscribe_url}})"},
		{"placeholders in text survive", `<p>Hi {{ first_name }},</p>`, "Hi {{ first_name }},"},
		{"unordered list", "<p>Intro</p><ul><li>One</li><li>Two</li></ul><p>Outro</p>", "Intro\n\n- One\n- Two\n\nOutro"},
		{"ordered list", "<ol><li>First</li><li>Second</li></ol>", "1. First\n2. Second"},
		{"ordered list start", `<ol start="4"><li>Four</li><li>Five</li></ol>`, "4. Four\n5. Five"},
		{
			"nested lists",
			"<ul><li>Fruit<ul><li>Apple</li><li>Pear</li></ul></li><li>Veg<ol><li>Leek</li></ol></li></ul>",
			"- Fruit\n  - Apple\n  - Pear\n- Veg\n  1. Leek",
		},
		{"paragraphs inside an item make a loose list", "<ol><li><p>Step one</p><p>More</p></li><li>Two</li></ol>", "1. Step one\n\n   More\n\n2. Two"},
		{"empty items vanish", "<ul><li></li><li>Real</li></ul>", "- Real"},
		{"headings", "<h1>Title</h1>Body text<h2>Sub</h2>More", "Title\n\nBody text\n\nSub\n\nMore"},
		{"invisible parts dropped", "<html><head><title>T</title><style>p{color:red}</style></head><body><script>alert(1)</script><p>Shown</p></body></html>", "Shown"},
		{"comments dropped", "A<!-- hidden -->B", "AB"},
		{"link in a quote", `<blockquote><a href="https://x.test">https://x.test</a></blockquote>`, "> https://x.test"},
		{"blockquote", "<p>He said:</p><blockquote><p>Hello</p><p>Bye</p></blockquote>", "He said:\n\n> Hello\n\n> Bye"},
		{"pre keeps spacing", "<pre>a  b\n  c</pre>", "a  b\n  c"},
		{"horizontal rule", "Above<hr>Below", "Above\n\n-----\n\nBelow"},
		{
			"layout table",
			`<table><tr><td><h1>News</h1></td></tr><tr><td>Left</td><td>Right</td></tr></table>`,
			"News\n\nLeft Right",
		},
		{"divs are lines", "<div>One</div><div>Two</div>", "One\nTwo"},
		{"inline formatting", "<p>This is <strong>bold</strong> and <em>em</em>.</p>", "This is bold and em."},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, HTMLToText(tt.html))
		})
	}
}

func TestHTMLToTextEmail(t *testing.T) {
	t.Parallel()
	src := `<!doctype html><html><head><meta charset="utf-8"><style>.x{}</style></head>
<body style="margin:0">
  <table role="presentation" width="100%"><tr><td align="center">
    <h1>Welcome, {{first_name}}!</h1>
    <p>Your plan is <b>{{attributes.plan}}</b>.</p>
    <p>Next steps:</p>
    <ol>
      <li>Verify your email</li>
      <li>Read <a href="https://example.com/docs">the docs</a></li>
    </ol>
    <p>Thanks,<br>The {{org.name}} team</p>
  </td></tr></table>
</body></html>`
	want := "Welcome, {{first_name}}!\n\n" +
		"Your plan is {{attributes.plan}}.\n\n" +
		"Next steps:\n\n" +
		"1. Verify your email\n" +
		"2. Read the docs (https://example.com/docs)\n\n" +
		"Thanks,\nThe {{org.name}} team"
	require.Equal(t, want, HTMLToText(src))
}
