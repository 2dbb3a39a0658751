package templates

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// The placeholder syntax is deliberately small: `{{name}}` or `{{ name }}`,
// where name is one or more identifiers joined by dots (first_name,
// attributes.plan, org.name). There are no filters, conditionals or loops:
// templates are written by marketers and reviewed by admins, and a value is
// either there, defaulted, or reported missing. A `{{` that does not start a
// well-formed placeholder is a syntax error when a template is saved; the
// renderer (which only ever sees saved templates) prints it as text.

const (
	openDelim  = "{{"
	closeDelim = "}}"
	// maxNameLen bounds a variable name.
	maxNameLen = 100
)

// Pos is a place in a template field: a byte offset and a 1-based line and
// column (columns count characters, not bytes).
type Pos struct {
	Offset int `json:"offset"`
	Line   int `json:"line"`
	Column int `json:"column"`
}

func (p Pos) String() string { return fmt.Sprintf("line %d, column %d", p.Line, p.Column) }

// Ref is one placeholder in a template field.
type Ref struct {
	Name string
	// Pos is where its "{{" starts; End is the offset just after its "}}".
	Pos Pos
	End int
}

// SyntaxError is a malformed placeholder.
type SyntaxError struct {
	Pos     Pos
	Message string
}

func (e SyntaxError) Error() string { return e.Pos.String() + ": " + e.Message }

// node is a piece of a parsed field: literal text, or a placeholder when ref
// is set.
type node struct {
	text string
	ref  *Ref
}

// Parsed is a template field split into literal text and placeholders.
type Parsed struct {
	nodes  []node
	Refs   []Ref
	Errors []SyntaxError
}

// Parse splits src into text and placeholders. It never fails: malformed
// placeholders are reported in Errors and kept as literal text, so that
// concatenating the pieces always gives back src.
func Parse(src string) *Parsed {
	p := &Parsed{}
	lc := lineCounter{src: src, line: 1, col: 1}
	textStart := 0
	i := 0
	// Where the last "}}" starts: a "{{" after it is unclosed. Knowing it
	// keeps parsing linear on inputs full of "{{".
	lastClose := strings.LastIndex(src, closeDelim)
	for {
		j := strings.Index(src[i:], openDelim)
		if j < 0 {
			break
		}
		start := i + j
		ref, end, msg := lexPlaceholder(src, start, lastClose)
		if msg != "" {
			p.Errors = append(p.Errors, SyntaxError{Pos: lc.at(start), Message: msg})
			// Resume after the bad "{{" so a good placeholder right after it is still found.
			i = start + len(openDelim)
			continue
		}
		if start > textStart {
			p.nodes = append(p.nodes, node{text: src[textStart:start]})
		}
		ref.Pos = lc.at(start)
		ref.End = end
		p.Refs = append(p.Refs, ref)
		p.nodes = append(p.nodes, node{text: src[start:end], ref: &p.Refs[len(p.Refs)-1]})
		textStart, i = end, end
	}
	if textStart < len(src) {
		p.nodes = append(p.nodes, node{text: src[textStart:]})
	}
	// Refs grew while nodes pointed into it: point them at the final array.
	k := 0
	for n := range p.nodes {
		if p.nodes[n].ref != nil {
			p.nodes[n].ref = &p.Refs[k]
			k++
		}
	}
	return p
}

// lexPlaceholder reads the placeholder whose "{{" is at start. It returns the
// reference and the offset after its "}}", or a message saying what is wrong.
func lexPlaceholder(src string, start, lastClose int) (Ref, int, string) {
	i := start + len(openDelim)
	if i < len(src) && src[i] == '{' {
		return Ref{}, 0, "triple braces are not supported: write {{name}}; values are escaped where needed"
	}
	i = skipSpace(src, i)
	nameStart := i
	for i < len(src) && isNameByte(src[i]) {
		i++
	}
	name := src[nameStart:i]
	i = skipSpace(src, i)
	if !strings.HasPrefix(src[i:], closeDelim) {
		if lastClose < start+len(openDelim) {
			return Ref{}, 0, "unclosed {{: a placeholder ends with }}"
		}
		if name == "" {
			return Ref{}, 0, "malformed placeholder: write a variable name like {{first_name}} or {{attributes.plan}}"
		}
		return Ref{}, 0, fmt.Sprintf("malformed placeholder after %q: a name has only letters, digits, underscores and dots", name)
	}
	if name == "" {
		return Ref{}, 0, "empty placeholder: write a variable name like {{first_name}}"
	}
	if msg := checkName(name); msg != "" {
		return Ref{}, 0, msg
	}
	return Ref{Name: name}, i + len(closeDelim), ""
}

// checkName validates a variable name: dot-separated identifiers.
func checkName(name string) string {
	if len(name) > maxNameLen {
		return fmt.Sprintf("variable name is longer than %d characters", maxNameLen)
	}
	for seg := range strings.SplitSeq(name, ".") {
		if seg == "" {
			return fmt.Sprintf("invalid variable name %q: empty part between dots", name)
		}
		if c := seg[0]; c >= '0' && c <= '9' {
			return fmt.Sprintf("invalid variable name %q: each part starts with a letter or underscore", name)
		}
		for k := 0; k < len(seg); k++ {
			if !isNameByte(seg[k]) || seg[k] == '.' {
				return fmt.Sprintf("invalid variable name %q: use letters, digits and underscores", name)
			}
		}
	}
	return ""
}

func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
}

func skipSpace(src string, i int) int {
	for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r') {
		i++
	}
	return i
}

// lineCounter turns increasing byte offsets into lines and columns without
// rescanning from the start each time.
type lineCounter struct {
	src       string
	off       int
	line, col int
}

func (lc *lineCounter) at(offset int) Pos {
	for lc.off < offset {
		r, size := utf8.DecodeRuneInString(lc.src[lc.off:])
		if r == '\n' {
			lc.line++
			lc.col = 1
		} else {
			lc.col++
		}
		lc.off += size
	}
	return Pos{Offset: offset, Line: lc.line, Column: lc.col}
}

// Names returns the distinct variable names of refs in first-use order.
func (p *Parsed) Names() []string {
	seen := make(map[string]bool, len(p.Refs))
	var out []string
	for _, r := range p.Refs {
		if !seen[r.Name] {
			seen[r.Name] = true
			out = append(out, r.Name)
		}
	}
	return out
}
