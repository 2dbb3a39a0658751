package templates

import (
	"encoding/json"
	"fmt"
	"html"
	"slices"
	"strconv"
	"strings"
)

// Content is what a template version says, per channel: subject, HTML and
// text for email; body (and the provider's template) for the chat channels.
type Content struct {
	Subject              string
	BodyHTML             string
	BodyText             string
	BodyTextGenerated    bool
	Body                 string
	ProviderTemplateName string
	ProviderTemplateSID  string
	Variables            []TemplateVariable
}

// Footer is an org's email footer, appended to email templates without an
// {{unsubscribe_url}} of their own.
type Footer struct {
	HTML string
	Text string
}

// Data is where a render takes its values from, in this order: the
// platform's own values (org.name, unsubscribe_url), the send's Values,
// the Contact, samples (when UseSamples), and the declared defaults. An
// empty or null value counts as absent, so that "Hi {{first_name}}" falls
// back to its default for a contact without a first name.
type Data struct {
	// Values are the send's own values by variable name ("order_id",
	// "attributes.plan"); a dotted name may also be given as nested maps.
	Values map[string]any
	// Contact is the recipient: first_name, last_name, email, phone and
	// attributes (a map), as a ContactLookup returns it.
	Contact map[string]any
	// OrgName and UnsubscribeURL fill org.name and unsubscribe_url.
	OrgName        string
	UnsubscribeURL string
	// UseSamples fills variables from their declared samples and the
	// built-ins from stock samples: previews without a contact.
	UseSamples bool
}

// Rendered is a rendered template. Missing lists the variables that had no
// value and no default (rendered as empty); a sender decides whether that
// stops the send.
type Rendered struct {
	Subject string   `json:"subject"`
	HTML    string   `json:"html"`
	Text    string   `json:"text"`
	Body    string   `json:"body"`
	Missing []string `json:"missing" doc:"Variables without a value or default; they render as empty."`
	// FooterAppended says whether the org's footer was added to the HTML or
	// text part because the template had no {{unsubscribe_url}} there.
	FooterAppended FooterAppended `json:"footer_appended"`
}

// FooterAppended tells which email parts got the org's footer.
type FooterAppended struct {
	HTML bool `json:"html"`
	Text bool `json:"text"`
}

// escaping says how values are written into a field.
type escaping bool

const (
	raw        escaping = false
	escapeHTML escaping = true
)

// Render fills c's placeholders from d. Values are HTML-escaped in the HTML
// body only: the subject, the text body and chat bodies are plain text.
// Email parts without {{unsubscribe_url}} get the footer (when given).
func Render(ch Channel, c Content, d Data, footer *Footer) Rendered {
	r := renderer{data: d, declared: make(map[string]TemplateVariable, len(c.Variables)), missing: map[string]bool{}}
	for _, v := range c.Variables {
		r.declared[v.Name] = v
	}
	var out Rendered
	if ch != ChannelEmail {
		out.Body = r.render(Parse(c.Body), raw)
		out.Missing = r.missingList()
		return out
	}
	// A subject is one header line: a value must not break it.
	out.Subject = strings.Map(func(c rune) rune {
		if c == '\r' || c == '\n' {
			return ' '
		}
		return c
	}, r.render(Parse(c.Subject), raw))
	if c.BodyHTML != "" {
		p := Parse(c.BodyHTML)
		out.HTML = r.render(p, escapeHTML)
		if footer != nil && !uses(p, VarUnsubscribeURL) && footer.HTML != "" {
			out.HTML = appendHTMLFooter(out.HTML, r.render(Parse(footer.HTML), escapeHTML))
			out.FooterAppended.HTML = true
		}
	}
	if c.BodyText != "" {
		p := Parse(c.BodyText)
		out.Text = r.render(p, raw)
		if footer != nil && !uses(p, VarUnsubscribeURL) && footer.Text != "" {
			out.Text = strings.TrimRight(out.Text, "\n") + "\n\n" + r.render(Parse(footer.Text), raw)
			out.FooterAppended.Text = true
		}
	}
	out.Missing = r.missingList()
	return out
}

// appendHTMLFooter puts the footer before </body> when the document has one.
func appendHTMLFooter(doc, footer string) string {
	if i := strings.LastIndex(strings.ToLower(doc), "</body>"); i >= 0 {
		return doc[:i] + footer + "\n" + doc[i:]
	}
	return doc + "\n" + footer
}

func uses(p *Parsed, name string) bool {
	return slices.ContainsFunc(p.Refs, func(r Ref) bool { return r.Name == name })
}

type renderer struct {
	data     Data
	declared map[string]TemplateVariable
	missing  map[string]bool
}

func (r *renderer) render(p *Parsed, esc escaping) string {
	var b strings.Builder
	for _, n := range p.nodes {
		if n.ref == nil {
			b.WriteString(n.text)
			continue
		}
		v, ok := r.value(n.ref.Name)
		if !ok {
			r.missing[n.ref.Name] = true
			continue
		}
		if esc == escapeHTML {
			v = html.EscapeString(v)
		}
		b.WriteString(v)
	}
	return b.String()
}

// value resolves a variable in the documented order.
func (r *renderer) value(name string) (string, bool) {
	switch name {
	case VarOrgName:
		return r.data.OrgName, r.data.OrgName != ""
	case VarUnsubscribeURL:
		return r.data.UnsubscribeURL, r.data.UnsubscribeURL != ""
	}
	if s, ok := formatValue(lookup(r.data.Values, name)); ok {
		return s, true
	}
	if s, ok := formatValue(lookup(r.data.Contact, name)); ok {
		return s, true
	}
	decl, isDeclared := r.declared[name]
	if r.data.UseSamples {
		if isDeclared && decl.Sample != nil && *decl.Sample != "" {
			return *decl.Sample, true
		}
		if s, ok := builtinSamples[name]; ok {
			return s, true
		}
	}
	if isDeclared && decl.Default != nil {
		// A declared default, even "", is a deliberate value.
		return *decl.Default, true
	}
	return "", false
}

// lookup finds name in m: as a key, or by walking nested maps along its dots.
func lookup(m map[string]any, name string) any {
	if m == nil {
		return nil
	}
	if v, ok := m[name]; ok {
		return v
	}
	var cur any = m
	for seg := range strings.SplitSeq(name, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[seg]
		case map[string]string:
			s, ok := c[seg]
			if !ok {
				return nil
			}
			cur = s
		default:
			return nil
		}
	}
	return cur
}

// formatValue writes a value as text; nil and "" are absent.
func formatValue(v any) (string, bool) {
	var s string
	switch v := v.(type) {
	case nil:
		return "", false
	case string:
		s = v
	case *string:
		if v == nil {
			return "", false
		}
		s = *v
	case float64:
		s = strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		s = strconv.FormatFloat(float64(v), 'f', -1, 32)
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, bool, json.Number:
		s = fmt.Sprint(v)
	case fmt.Stringer:
		s = v.String()
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return "", false
		}
		s = string(b)
	}
	return s, s != ""
}

func (r *renderer) missingList() []string {
	out := make([]string, 0, len(r.missing))
	for n := range r.missing {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
