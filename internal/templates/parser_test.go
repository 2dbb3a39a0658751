package templates

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	t.Parallel()
	type ref struct {
		name      string
		line, col int
	}
	tests := []struct {
		name   string
		src    string
		refs   []ref
		errors []string // substrings, in order
	}{
		{name: "no placeholders", src: "Hello there"},
		{name: "one", src: "Hi {{first_name}}!", refs: []ref{{"first_name", 1, 4}}},
		{name: "spaces inside", src: "Hi {{  first_name\t}}", refs: []ref{{"first_name", 1, 4}}},
		{name: "newline inside", src: "{{\nfirst_name\n}}", refs: []ref{{"first_name", 1, 1}}},
		{name: "dotted", src: "Plan: {{ attributes.plan }} at {{org.name}}", refs: []ref{{"attributes.plan", 1, 7}, {"org.name", 1, 32}}},
		{name: "line and column count characters", src: "héllo\n  ünï {{email}}", refs: []ref{{"email", 2, 7}}},
		{name: "adjacent", src: "{{a}}{{b}}", refs: []ref{{"a", 1, 1}, {"b", 1, 6}}},
		{name: "single braces are text", src: "{ not } {a} }}", refs: nil},
		{name: "empty", src: "x {{ }} y", errors: []string{"line 1, column 3: empty placeholder"}},
		{name: "space in name", src: "{{first name}}", errors: []string{`malformed placeholder after "first"`}},
		{name: "unclosed", src: "Hi {{first_name", errors: []string{"unclosed {{"}},
		{name: "leading digit", src: "{{1st}}", errors: []string{`invalid variable name "1st"`}},
		{name: "empty segment", src: "{{attributes..plan}}", errors: []string{"empty part between dots"}},
		{name: "trailing dot", src: "{{attributes.}}", errors: []string{"empty part between dots"}},
		{name: "triple braces", src: "{{{first_name}}}", errors: []string{"triple braces"}},
		{name: "filter syntax", src: "{{ first_name | upcase }}", errors: []string{"malformed placeholder"}},
		{
			name: "a good placeholder after a bad one", src: "{{ bad name }} and {{good}}",
			refs: []ref{{"good", 1, 20}}, errors: []string{"malformed"},
		},
		{name: "too long", src: "{{" + strings.Repeat("a", 101) + "}}", errors: []string{"longer than 100"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := Parse(tt.src)
			var got []ref
			for _, r := range p.Refs {
				got = append(got, ref{r.Name, r.Pos.Line, r.Pos.Column})
				require.Equal(t, openDelim, tt.src[r.Pos.Offset:r.Pos.Offset+2])
				require.Equal(t, closeDelim, tt.src[r.End-2:r.End])
			}
			require.Equal(t, tt.refs, got)
			require.Len(t, p.Errors, len(tt.errors), "%v", p.Errors)
			for i, e := range tt.errors {
				require.Contains(t, p.Errors[i].Error(), e)
			}
			require.Equal(t, tt.src, joinNodes(p), "the pieces give back the source")
		})
	}
}

func TestParseNames(t *testing.T) {
	t.Parallel()
	p := Parse("{{b}} {{a}} {{ b }} {{c}}")
	require.Equal(t, []string{"b", "a", "c"}, p.Names())
}

func joinNodes(p *Parsed) string {
	var b strings.Builder
	for _, n := range p.nodes {
		b.WriteString(n.text)
	}
	return b.String()
}

func TestCheckVariables(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	type problem struct{ location, message string }
	tests := []struct {
		name   string
		fields map[string]string
		vars   []TemplateVariable
		want   []problem
	}{
		{
			name:   "built-ins need no declaration",
			fields: map[string]string{"body.body": "{{first_name}} {{last_name}} {{email}} {{phone}} {{org.name}} {{unsubscribe_url}}"},
		},
		{
			name:   "declared attribute and custom value",
			fields: map[string]string{"body.body": "{{attributes.plan}} {{order_id}}"},
			vars:   []TemplateVariable{{Name: "attributes.plan", Default: str("free")}, {Name: "order_id"}},
		},
		{
			name:   "a contact field may be declared for its default",
			fields: map[string]string{"body.body": "Hi {{first_name}}"},
			vars:   []TemplateVariable{{Name: "first_name", Default: str("there")}},
		},
		{
			name:   "undeclared, named once per field",
			fields: map[string]string{"body.body": "{{attributes.plan}} {{attributes.plan}} {{coupon}}"},
			want: []problem{
				{"body.body", `uses the undeclared variable "attributes.plan" (line 1, column 1)`},
				{"body.body", `uses the undeclared variable "coupon" (line 1, column 41)`},
			},
		},
		{
			name:   "declared but unused",
			fields: map[string]string{"body.body": "{{coupon}}"},
			vars:   []TemplateVariable{{Name: "coupon"}, {Name: "unused"}},
			want:   []problem{{"body.variables[1].name", `declares "unused" but no field uses it`}},
		},
		{
			name:   "unknown org variable",
			fields: map[string]string{"body.body": "{{org.slug}}"},
			want:   []problem{{"body.body", `uses "org.slug"`}},
		},
		{
			name:   "system variables cannot be declared",
			fields: map[string]string{"body.body": "{{unsubscribe_url}}"},
			vars:   []TemplateVariable{{Name: "unsubscribe_url"}},
			want:   []problem{{"body.variables[0].name", "supplied by the platform"}},
		},
		{
			name:   "duplicates and bad names",
			fields: map[string]string{"body.body": "{{x}}"},
			vars:   []TemplateVariable{{Name: "x"}, {Name: "x"}, {Name: "9lives"}, {Name: ""}},
			want: []problem{
				{"body.variables[1].name", `declares "x" twice`},
				{"body.variables[2].name", "invalid variable name"},
				{"body.variables[3].name", "is required"},
			},
		},
		{
			name:   "syntax errors are reported where they are",
			fields: map[string]string{"body.body": "Hi {{first name}}"},
			want:   []problem{{"body.body", "line 1, column 4: malformed placeholder"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var fields []fieldRefs
			for loc, src := range tt.fields {
				fields = append(fields, fieldRefs{loc, Parse(src)})
			}
			errs := checkVariables(fields, tt.vars)
			require.Len(t, errs, len(tt.want), "%+v", errs)
			for i, w := range tt.want {
				require.Equal(t, w.location, errs[i].location)
				require.Contains(t, errs[i].message, w.message)
			}
		})
	}
}
