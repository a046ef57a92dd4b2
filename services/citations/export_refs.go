package citations

import (
	"encoding/json"
	"io"
	"strings"
	"unicode"
)

// citationKeys gives every node a citation key shared by the CSL-JSON and
// BibTeX exports: first author's family name, year and first content word
// of the title, folded to [a-z0-9] ("smith2019deep"). Nodes that would
// share a key all get their node hash appended ("smith2019deep-1a2b3c"), so
// a work's key depends only on the works that collide with it, not on node
// order.
func (g *Graph) citationKeys() []string {
	keys := make([]string, len(g.Nodes))
	count := map[string]int{}
	for i := range g.Nodes {
		keys[i] = baseKey(&g.Nodes[i])
		count[keys[i]]++
	}
	for i := range g.Nodes {
		if count[keys[i]] > 1 {
			_, h, _ := strings.Cut(g.Nodes[i].ID, ":")
			keys[i] += "-" + h[:min(6, len(h))]
		}
	}
	return keys
}

func baseKey(n *Node) string {
	var b strings.Builder
	if len(n.Authors) > 0 {
		fam, _ := SplitName(n.Authors[0])
		b.WriteString(asciiKey(fam))
	}
	if b.Len() == 0 {
		b.WriteString("anon")
	}
	if n.Year != 0 {
		b.WriteString(itoa(n.Year))
	}
	for _, w := range strings.Fields(NormalizeTitle(n.Title)) {
		if len(w) > 2 && !stopWords[w] {
			b.WriteString(asciiKey(w))
			break
		}
	}
	return b.String()
}

// asciiKey keeps the ASCII letters and digits of s, folded.
func asciiKey(s string) string {
	var b strings.Builder
	for _, r := range NormalizeTitle(s) {
		if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cslName is a CSL-JSON name variable.
type cslName struct {
	Family  string `json:"family,omitempty"`
	Given   string `json:"given,omitempty"`
	Literal string `json:"literal,omitempty"`
}

type cslDate struct {
	DateParts [][]int `json:"date-parts"`
}

// cslItem is one CSL-JSON item; the field order is the output order.
type cslItem struct {
	ID             string    `json:"id"`
	Type           string    `json:"type"`
	Title          string    `json:"title,omitempty"`
	Author         []cslName `json:"author,omitempty"`
	Issued         *cslDate  `json:"issued,omitempty"`
	DOI            string    `json:"DOI,omitempty"`
	ContainerTitle string    `json:"container-title,omitempty"`
	Volume         string    `json:"volume,omitempty"`
	Page           string    `json:"page,omitempty"`
	// Note ties the item to its network node (and batch document).
	Note string `json:"note,omitempty"`
}

func cslNames(authors []string) []cslName {
	var out []cslName
	for _, a := range authors {
		fam, given := SplitName(a)
		switch {
		case fam == "":
		case given == "" && !strings.Contains(a, ","):
			out = append(out, cslName{Literal: fam})
		default:
			out = append(out, cslName{Family: fam, Given: given})
		}
	}
	return out
}

// writeCSLJSON writes every node (batch documents and the works they cite)
// as a CSL-JSON array, one item per line, in node order.
func (g *Graph) writeCSLJSON(w io.Writer) error {
	keys := g.citationKeys()
	if _, err := io.WriteString(w, "["); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range g.Nodes {
		n := &g.Nodes[i]
		it := cslItem{
			ID: keys[i], Type: "article", Title: cleanText(n.Title), Author: cslNames(n.Authors),
			DOI: n.DOI, ContainerTitle: cleanText(n.Venue), Volume: cleanText(n.Volume), Page: cleanText(n.Pages),
			Note: "docbatch node " + n.ID,
		}
		if n.Venue != "" {
			it.Type = "article-journal"
		}
		if n.Year != 0 {
			it.Issued = &cslDate{DateParts: [][]int{{int(n.Year)}}}
		}
		if n.DocumentID != "" {
			it.Note += "; document " + n.DocumentID
		}
		sep := ",\n"
		if i == 0 {
			sep = "\n"
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		// Encode ends the item with a newline; the separator that follows
		// starts with the comma.
		if err := enc.Encode(&it); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]\n")
	return err
}

// cleanText drops control characters (from broken PDFs) and collapses
// white space.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// bibEscape escapes the characters BibTeX and LaTeX give a meaning to.
// Braces are escaped rather than balanced: a value is always well formed.
var bibEscaper = strings.NewReplacer(
	`\`, `\textbackslash{}`, `{`, `\{`, `}`, `\}`, `&`, `\&`, `%`, `\%`, `$`, `\$`, `#`, `\#`, `_`, `\_`,
	`~`, `\textasciitilde{}`, `^`, `\textasciicircum{}`,
)

func bibEscape(s string) string { return bibEscaper.Replace(cleanText(s)) }

// writeBibTeX writes every node as an entry: @article when a venue is
// known, @misc otherwise, keyed like the CSL-JSON items.
func (g *Graph) writeBibTeX(w io.Writer) error {
	keys := g.citationKeys()
	var b strings.Builder
	for i := range g.Nodes {
		n := &g.Nodes[i]
		b.Reset()
		typ := "misc"
		if n.Venue != "" {
			typ = "article"
		}
		b.WriteString("@" + typ + "{" + keys[i] + ",\n")
		field := func(name, v string) {
			if v = bibEscape(v); v != "" {
				b.WriteString("  " + name + " = {" + v + "},\n")
			}
		}
		field("title", n.Title)
		var authors []string
		for _, a := range cslNames(n.Authors) {
			switch {
			case a.Literal != "":
				authors = append(authors, "{"+bibEscape(a.Literal)+"}")
			case a.Given == "":
				authors = append(authors, bibEscape(a.Family))
			default:
				authors = append(authors, bibEscape(a.Family)+", "+bibEscape(a.Given))
			}
		}
		if len(authors) > 0 {
			b.WriteString("  author = {" + strings.Join(authors, " and ") + "},\n")
		}
		field("year", yearString(n.Year))
		field("journal", n.Venue)
		field("volume", n.Volume)
		field("pages", bibPages(n.Pages))
		field("doi", n.DOI)
		note := "docbatch node " + n.ID
		if n.DocumentID != "" {
			note += "; document " + n.DocumentID
		}
		field("note", note)
		b.WriteString("}\n\n")
		if _, err := io.WriteString(w, b.String()); err != nil {
			return err
		}
	}
	return nil
}

// bibPages writes a page range with BibTeX's "--".
func bibPages(p string) string {
	first, last, ok := strings.Cut(strings.NewReplacer("–", "-", "—", "-").Replace(p), "-")
	if !ok {
		return p
	}
	return strings.TrimSpace(first) + "--" + strings.TrimSpace(strings.TrimLeft(last, "-"))
}
