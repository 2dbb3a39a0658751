package templates

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// HTMLToText makes the plain-text alternative of an email's HTML body, the
// way a careful person would retype it: paragraphs and headings separated
// by a blank line, line breaks kept, list items as "- item" or "1. item"
// (nested lists indented), links as "text (url)", images as their alt text,
// quotes prefixed with "> ", table rows on their own lines, and everything
// invisible (head, style, script) dropped. Placeholders pass through: a
// link to {{unsubscribe_url}} becomes "Unsubscribe ({{unsubscribe_url}})".
func HTMLToText(src string) string {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		// html.Parse only fails when its reader does; a string reader never does.
		return ""
	}
	w := &textWriter{}
	w.walk(doc)
	return w.String()
}

// textWriter accumulates plain text with HTML's whitespace rules: runs of
// spaces collapse, and block elements ask for line breaks that are only
// written when more text follows.
type textWriter struct {
	b strings.Builder
	// pendingSpace: a collapsed space to write before the next word.
	pendingSpace bool
	// pendingBreaks: newlines requested by blocks, written before the next text.
	pendingBreaks int
	// trailingNewlines counts the newlines at the end of b.
	trailingNewlines int
	// prefixes are written at the start of each line (indentation, "> ").
	prefixes []string
	// marker replaces the innermost prefix on the next line start (a list bullet).
	marker string
	pre    int
}

func (w *textWriter) atLineStart() bool { return w.b.Len() == 0 || w.trailingNewlines > 0 }

// block asks for at least n line breaks before the next text.
func (w *textWriter) block(n int) {
	w.pendingSpace = false
	if w.b.Len() == 0 {
		return
	}
	if n-w.trailingNewlines > w.pendingBreaks {
		w.pendingBreaks = n - w.trailingNewlines
	}
}

// newline writes a line break now (<br>, or a newline inside <pre>).
func (w *textWriter) newline() {
	w.flushBreaks()
	if w.marker != "" {
		w.startLine()
	}
	w.b.WriteByte('\n')
	w.trailingNewlines++
	w.pendingSpace = false
}

func (w *textWriter) flushBreaks() {
	for ; w.pendingBreaks > 0; w.pendingBreaks-- {
		w.b.WriteByte('\n')
		w.trailingNewlines++
	}
}

// startLine writes the line's prefixes (and a pending list marker).
func (w *textWriter) startLine() {
	n := len(w.prefixes)
	if w.marker != "" && n > 0 {
		n--
	}
	for _, p := range w.prefixes[:n] {
		w.b.WriteString(p)
	}
	if w.marker != "" {
		w.b.WriteString(w.marker)
		w.marker = ""
	}
	w.trailingNewlines = 0
}

// word writes visible text (no whitespace in it, except inside <pre>).
func (w *textWriter) word(s string) {
	if s == "" {
		return
	}
	w.flushBreaks()
	if w.atLineStart() {
		w.startLine()
	} else if w.pendingSpace {
		w.b.WriteByte(' ')
	}
	w.pendingSpace = false
	w.b.WriteString(s)
	w.trailingNewlines = 0
}

// text writes a text node's content, collapsing whitespace unless in <pre>.
func (w *textWriter) text(s string) {
	s = strings.ReplaceAll(s, "\u00a0", " ")
	if w.pre > 0 {
		for i, line := range strings.Split(s, "\n") {
			if i > 0 {
				w.newline()
			}
			if line != "" {
				w.flushBreaks()
				if w.atLineStart() {
					w.startLine()
				}
				w.b.WriteString(line)
				w.trailingNewlines = 0
			}
		}
		return
	}
	start := -1
	for i, r := range s {
		if unicode.IsSpace(r) {
			if start >= 0 {
				w.word(s[start:i])
				start = -1
			}
			if !w.atLineStart() && w.pendingBreaks == 0 {
				w.pendingSpace = true
			}
			continue
		}
		if start < 0 {
			start = i
		}
	}
	if start >= 0 {
		w.word(s[start:])
	}
}

// skipped elements never show in a mail client.
var skipped = map[atom.Atom]bool{
	atom.Head: true, atom.Script: true, atom.Style: true, atom.Title: true, atom.Template: true,
	atom.Object: true, atom.Iframe: true, atom.Svg: true,
}

// paragraphs are separated from what surrounds them by a blank line.
var paragraphs = map[atom.Atom]bool{
	atom.P: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Table: true, atom.Pre: true, atom.Dl: true, atom.Figure: true, atom.Address: true,
}

// lines start on a line of their own.
var lines = map[atom.Atom]bool{
	atom.Div: true, atom.Section: true, atom.Article: true, atom.Header: true, atom.Footer: true,
	atom.Main: true, atom.Nav: true, atom.Aside: true, atom.Tr: true, atom.Dt: true, atom.Dd: true,
	atom.Center: true, atom.Form: true, atom.Fieldset: true, atom.Figcaption: true, atom.Caption: true,
	atom.Tbody: true, atom.Thead: true, atom.Tfoot: true, atom.Details: true, atom.Summary: true,
	atom.Body: true, atom.Html: true,
}

func (w *textWriter) walk(n *html.Node) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
	case html.DocumentNode:
		w.children(n)
		return
	default: // comments, doctypes
		return
	}
	a := n.DataAtom
	if skipped[a] {
		return
	}
	switch {
	case a == atom.Br:
		w.newline()
	case a == atom.Hr:
		w.block(2)
		w.word("-----")
		w.block(2)
	case a == atom.Img:
		if alt := strings.TrimSpace(attr(n, "alt")); alt != "" {
			w.text(alt)
		}
	case a == atom.A:
		w.link(n)
	case a == atom.Ul || a == atom.Ol:
		w.list(n)
	case a == atom.Li:
		// An item outside a list: treat it as a bulleted line.
		w.item(n, "- ")
	case a == atom.Blockquote:
		w.block(2)
		w.prefixes = append(w.prefixes, "> ")
		w.children(n)
		w.prefixes = w.prefixes[:len(w.prefixes)-1]
		w.block(2)
	case a == atom.Pre:
		w.block(2)
		w.pre++
		w.children(n)
		w.pre--
		w.block(2)
	case a == atom.Td || a == atom.Th:
		if !w.atLineStart() {
			w.pendingSpace = true
		}
		w.children(n)
		w.pendingSpace = true
	case paragraphs[a]:
		w.block(2)
		w.children(n)
		w.block(2)
	case lines[a]:
		w.block(1)
		w.children(n)
		w.block(1)
	default:
		w.children(n)
	}
}

func (w *textWriter) children(n *html.Node) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.walk(c)
	}
}

// link writes "text (url)", or just the url when the text is the url (or
// there is no text), or just the text for in-page anchors and scripts.
func (w *textWriter) link(n *html.Node) {
	href := strings.TrimSpace(attr(n, "href"))
	w.children(n)
	lower := strings.ToLower(href)
	if href == "" || strings.HasPrefix(href, "#") || strings.HasPrefix(lower, "javascript:") {
		return
	}
	shown := strings.Join(strings.Fields(visibleText(n)), " ")
	target := href
	if strings.HasPrefix(lower, "mailto:") || strings.HasPrefix(lower, "tel:") {
		target = href[strings.IndexByte(href, ':')+1:]
	}
	switch {
	case shown == "":
		w.word(href)
	case shown == href || shown == target || strings.TrimRight(shown, "/") == strings.TrimRight(href, "/"):
	case target != href:
		// "Write to us (help@example.com)".
		w.pendingSpace = true
		w.word("(" + target + ")")
	default:
		w.pendingSpace = true
		w.word("(" + href + ")")
	}
}

// list writes a ul or ol: each item on its own line with its marker, nested
// lists indented under their item.
func (w *textWriter) list(n *html.Node) {
	// A nested list starts on its own line; a top-level one is a paragraph.
	if w.inList() {
		w.block(1)
	} else {
		w.block(2)
	}
	num := 1
	if n.DataAtom == atom.Ol {
		if s, err := strconv.Atoi(strings.TrimSpace(attr(n, "start"))); err == nil {
			num = s
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || c.DataAtom != atom.Li {
			w.walk(c)
			continue
		}
		marker := "- "
		if n.DataAtom == atom.Ol {
			if v, err := strconv.Atoi(strings.TrimSpace(attr(c, "value"))); err == nil {
				num = v
			}
			marker = strconv.Itoa(num) + ". "
			num++
		}
		w.item(c, marker)
	}
	if w.inList() {
		w.block(1)
	} else {
		w.block(2)
	}
}

func (w *textWriter) inList() bool {
	for _, p := range w.prefixes {
		if strings.TrimSpace(p) == "" {
			return true
		}
	}
	return false
}

// item writes one list item: the marker on its first line, its width of
// indentation on the lines after.
func (w *textWriter) item(n *html.Node, marker string) {
	w.block(1)
	if w.marker != "" {
		// The previous item had no text of its own (only a nested list):
		// give its marker a line.
		w.flushBreaks()
		w.startLine()
		w.b.WriteByte('\n')
		w.trailingNewlines = 1
	}
	w.marker = marker
	w.prefixes = append(w.prefixes, strings.Repeat(" ", len(marker)))
	w.children(n)
	w.prefixes = w.prefixes[:len(w.prefixes)-1]
	if w.marker == marker {
		// An empty item: drop it rather than print a lone bullet.
		w.marker = ""
	}
	w.block(1)
}

// visibleText is what a node shows: its text and its images' alt text.
func visibleText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch {
		case n.Type == html.TextNode:
			b.WriteString(n.Data)
		case n.Type == html.ElementNode && skipped[n.DataAtom]:
			return
		case n.Type == html.ElementNode && n.DataAtom == atom.Img:
			b.WriteString(" " + attr(n, "alt") + " ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Namespace == "" && strings.EqualFold(a.Key, key) {
			return a.Val
		}
	}
	return ""
}

var manyBlankLines = regexp.MustCompile(`\n{3,}`)

// String is the text: trailing spaces trimmed from each line, at most one
// blank line in a row, no blank lines at either end.
func (w *textWriter) String() string {
	ls := strings.Split(w.b.String(), "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	out := manyBlankLines.ReplaceAllString(strings.Join(ls, "\n"), "\n\n")
	return strings.Trim(out, "\n")
}
