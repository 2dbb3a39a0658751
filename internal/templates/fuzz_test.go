package templates

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// Run with: go test ./internal/templates/ -run '^$' -fuzz FuzzParse (or FuzzRender, FuzzCheck, FuzzHTMLToText).

var fuzzSeeds = []string{
	"", "Hi {{first_name}}", "{{ attributes.plan }}", "{{", "}}", "{{}}", "{{{a}}}", "{{a}}{{b}}",
	"{{ a b }} {{c}}", "héllo\n{{email}}", "{{attributes..x}}", "<p>{{org.name}}</p><a href=\"{{unsubscribe_url}}\">x</a>",
	"{{\n\tfirst_name\r\n}}", "{{ 1a }}", "{{a.}}", "<ul><li>{{x}}<ol><li>y</li></ol></li></ul>",
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		p := Parse(src)
		if got := joinNodes(p); got != src {
			t.Fatalf("pieces %q do not give back %q", got, src)
		}
		for _, r := range p.Refs {
			if r.Pos.Offset < 0 || r.End > len(src) || r.Pos.Offset >= r.End {
				t.Fatalf("ref %+v out of bounds of %d bytes", r, len(src))
			}
			piece := src[r.Pos.Offset:r.End]
			if !strings.HasPrefix(piece, openDelim) || !strings.HasSuffix(piece, closeDelim) {
				t.Fatalf("ref %+v spans %q", r, piece)
			}
			again := Parse(piece)
			if len(again.Refs) != 1 || again.Refs[0].Name != r.Name || len(again.Errors) != 0 {
				t.Fatalf("%q reparsed as %+v", piece, again)
			}
			if msg := checkName(r.Name); msg != "" {
				t.Fatalf("accepted bad name %q: %s", r.Name, msg)
			}
			checkPos(t, src, r.Pos)
		}
		for _, e := range p.Errors {
			checkPos(t, src, e.Pos)
		}
	})
}

// checkPos recomputes a position's line and column from scratch.
func checkPos(t *testing.T, src string, pos Pos) {
	t.Helper()
	before := src[:pos.Offset]
	line := strings.Count(before, "\n") + 1
	col := utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	if pos.Line != line || pos.Column != col {
		t.Fatalf("position %+v, want line %d column %d", pos, line, col)
	}
}

// FuzzRender checks that no value ever adds markup to an HTML body: the
// HTML rendered with the fuzzed value has exactly the '<' and '>' of the
// HTML rendered with a harmless one. It also checks that subjects stay one
// line and that the chat body is the value verbatim.
func FuzzRender(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, `<script>alert(1)</script>`)
		f.Add(s, `"><img src=x onerror=alert(1)>`)
	}
	f.Add("<p>{{x}}</p>", "\r\n<b>")
	f.Fuzz(func(t *testing.T, src, value string) {
		p := Parse(src)
		vars := []TemplateVariable{}
		values := map[string]any{}
		harmless := map[string]any{}
		for _, name := range p.Names() {
			vars = append(vars, TemplateVariable{Name: name})
			values[name] = value
			harmless[name] = "x"
		}
		c := Content{Subject: src, BodyHTML: src, BodyText: src, Body: src, Variables: vars}
		footer := &Footer{HTML: "<p>{{unsubscribe_url}}</p>", Text: "{{unsubscribe_url}}"}
		got := Render(ChannelEmail, c, Data{Values: values, OrgName: value, UnsubscribeURL: value}, footer)
		base := Render(ChannelEmail, c, Data{Values: harmless, OrgName: "x", UnsubscribeURL: "x"}, footer)
		for _, ch := range []string{"<", ">"} {
			if strings.Count(got.HTML, ch) != strings.Count(base.HTML, ch) {
				t.Fatalf("value %q added %q to the HTML: %q", value, ch, got.HTML)
			}
		}
		if strings.ContainsAny(got.Subject, "\r\n") && !strings.ContainsAny(src, "\r\n") {
			t.Fatalf("subject %q is not one line", got.Subject)
		}
		chat := Render(ChannelTelegram, Content{Body: src, Variables: vars}, Data{Values: values, OrgName: value, UnsubscribeURL: value}, nil)
		if len(p.Refs) > 0 && value != "" && !strings.Contains(chat.Body, value) {
			t.Fatalf("chat body %q lacks the raw value %q", chat.Body, value)
		}
	})
}

func FuzzHTMLToText(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add("<table><tr><td><ul><li><blockquote><pre>x\n y</pre></blockquote></li></ul></td></tr></table>")
	f.Fuzz(func(t *testing.T, src string) {
		out := HTMLToText(src)
		if strings.Contains(out, "\n\n\n") {
			t.Fatalf("more than one blank line in a row: %q", out)
		}
		if out != strings.Trim(out, "\n") {
			t.Fatalf("blank lines at the ends: %q", out)
		}
	})
}

// FuzzCheck runs the checks whose problems a draft preview lists on any
// content, for every channel: they never panic, each problem has a field, a
// message and a kind, and an undeclared or unused problem names its
// variable, so that an editor can put it where it belongs.
func FuzzCheck(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "x")
		f.Add(s, "first_name")
	}
	kinds := []ProblemKind{ProblemSyntax, ProblemUndeclared, ProblemUnused, ProblemDeclaration, ProblemContent}
	f.Fuzz(func(t *testing.T, src, declared string) {
		for _, ch := range append(slices.Clone(Channels), Channel("sms")) {
			c := Content{Body: src, Variables: []TemplateVariable{{Name: declared}}}
			if ch == ChannelEmail {
				c = Content{Subject: src, BodyHTML: src, BodyText: src, Variables: c.Variables}
			}
			for _, e := range check(ch, &c, false) {
				if e.location == "" || e.message == "" || !slices.Contains(kinds, e.kind) {
					t.Fatalf("%s: problem without a place, message or kind: %+v", ch, e)
				}
				if name, _ := e.value.(string); (e.kind == ProblemUndeclared || e.kind == ProblemUnused) && name == "" {
					t.Fatalf("%s: %s problem names no variable: %+v", ch, e.kind, e)
				}
			}
		}
	})
}
