package eval

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
	"unicode"
)

// errNotJATS marks an XML file whose root is not <article>: it is skipped,
// not scored.
var errNotJATS = errors.New("not a JATS article")

// The structs below read only what is scored, with encoding/xml's own
// mapping, deliberately sharing nothing with the extract package's streaming
// JATS reader: a bug there must show up as a lower score, not be reproduced
// in the gold.
type jatsArticle struct {
	XMLName xml.Name
	Journal struct {
		GroupTitle xmlText `xml:"journal-title-group>journal-title"`
		Title      xmlText `xml:"journal-title"` // older DTDs: no group
	} `xml:"front>journal-meta"`
	Meta struct {
		IDs []struct {
			Type  string `xml:"pub-id-type,attr"`
			Value string `xml:",chardata"`
		} `xml:"article-id"`
		Title    xmlText `xml:"title-group>article-title"`
		Contribs []struct {
			Type   string      `xml:"contrib-type,attr"`
			Name   *jatsName   `xml:"name"`
			Alts   []jatsName  `xml:"name-alternatives>name"`
			SName  *jatsString `xml:"string-name"`
			Collab *xmlText    `xml:"collab"`
			IDs    []struct {
				Type  string `xml:"contrib-id-type,attr"`
				Value string `xml:",chardata"`
			} `xml:"contrib-id"`
			XRefs []struct {
				Type string `xml:"ref-type,attr"`
				RID  string `xml:"rid,attr"`
			} `xml:"xref"`
			Affs []jatsText `xml:"aff"` // an affiliation inside the contrib
		} `xml:"contrib-group>contrib"`
		// Affiliations referred to by xref rid: eLife puts them in the
		// contrib-group, other publishers directly in article-meta.
		GroupAffs []jatsText `xml:"contrib-group>aff"`
		Affs      []jatsText `xml:"aff"`
		PubDates  []struct {
			PubType  string `xml:"pub-type,attr"`
			DateType string `xml:"date-type,attr"`
			Year     string `xml:"year"`
		} `xml:"pub-date"`
		Abstracts []jatsText `xml:"abstract"`
		KwdGroups []struct {
			Kwds []xmlText `xml:"kwd"`
		} `xml:"kwd-group"`
	} `xml:"front>article-meta"`
	RefLists []jatsRefList `xml:"back>ref-list"`
}

// jatsText is a block of running text (an abstract, an affiliation) as a
// reader sees it: its words, with the element boundaries that separate
// words read as spaces, without what is not text (see skipped). Such a
// space is dropped before closing punctuation and after an opening bracket
// ("<institution>Group</institution>, …" is "Group, …"); white space the
// source itself has is kept.
type jatsText struct {
	ID, Type string // id and abstract-type attributes
	Text     string
}

// inlineElements are JATS's emphasis and inline elements: their boundaries
// lie inside words ("Ca<sup>2+</sup>"). So are MathML's inside <math>:
// "<mi>C</mi><msub><mi>O</mi><mn>2</mn></msub>" reads "CO2". Every other
// element boundary separates words, <math>'s own too.
var inlineElements = map[string]bool{"italic": true, "bold": true, "sup": true, "sub": true, "sc": true,
	"underline": true, "overline": true, "strike": true, "monospace": true, "roman": true, "sans-serif": true,
	"styled-content": true, "named-content": true, "inline-formula": true, "ext-link": true, "uri": true,
	"email": true, "abbrev": true, "xref": true}

// skipped: a child that is not part of the text. In an abstract, its own
// heading ("Abstract", "eLife digest"; headings of a structured abstract's
// sections are kept) and the object-id (eLife's DOI of the abstract as a
// component); in an affiliation, its label ("1", "a"), a marker;
// anywhere, the TeX source of a formula (<tex-math>, a MathML
// <annotation>), another spelling of what the MathML reads.
func skipped(parent, child string, depth int) bool {
	switch {
	case child == "tex-math" || child == "annotation":
		return true
	case parent == "abstract" && depth == 1 && (child == "title" || child == "object-id"):
		return true
	case parent == "aff" && depth == 1 && child == "label":
		return true
	}
	return false
}

// boundary stands for a space left by an element boundary while the text
// is collected (a control character, never in XML text).
const boundary = "\x01"

var (
	boundaryBeforePunct = regexp.MustCompile(boundary + `+([.,;:)\]])`)
	boundaryAfterOpen   = regexp.MustCompile(`([(\[])` + boundary + `+`)
)

func (t *jatsText) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	t.ID, t.Type = attr(start, "id"), attr(start, "abstract-type")
	var b strings.Builder
	math := 0 // > 0 inside <math>
	for depth := 0; ; {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.CharData:
			b.Write(tok)
		case xml.StartElement:
			if skipped(start.Name.Local, tok.Name.Local, depth+1) {
				if err := d.Skip(); err != nil {
					return err
				}
				continue
			}
			depth++
			switch {
			case math > 0:
				math++
			case tok.Name.Local == "math":
				math = 1
				b.WriteString(boundary)
			case !inlineElements[tok.Name.Local]:
				b.WriteString(boundary)
			}
		case xml.EndElement:
			if depth == 0 {
				s := boundaryBeforePunct.ReplaceAllString(b.String(), "$1")
				s = boundaryAfterOpen.ReplaceAllString(s, "$1")
				t.Text = collapse(strings.ReplaceAll(s, boundary, " "))
				return nil
			}
			depth--
			switch {
			case math > 0:
				if math--; math == 0 {
					b.WriteString(boundary)
				}
			case !inlineElements[tok.Name.Local]:
				b.WriteString(boundary)
			}
		}
	}
}

type jatsRefList struct {
	Refs  []jatsRef     `xml:"ref"`
	Lists []jatsRefList `xml:"ref-list"`
}

type jatsRef struct {
	ID   string         `xml:"id,attr"`
	Cits []jatsCitation `xml:",any"`
	Alts struct {
		Cits []jatsCitation `xml:",any"`
	} `xml:"citation-alternatives"`
}

type jatsCitation struct {
	XMLName xml.Name
	// Members catches every child not named below in document order: the
	// person-groups, and names and collaborations outside one (the authors
	// of a mixed citation, or of an element citation without a group).
	Members      []jatsMember `xml:",any"`
	ArticleTitle xmlText      `xml:"article-title"`
	ChapterTitle xmlText      `xml:"chapter-title"`
	DataTitle    xmlText      `xml:"data-title"`
	Source       xmlText      `xml:"source"`
	Years        []string     `xml:"year"`
	PubIDs       []struct {
		Type  string `xml:"pub-id-type,attr"`
		Value string `xml:",chardata"`
	} `xml:"pub-id"`
	ExtLinks []struct {
		Type string `xml:"ext-link-type,attr"`
		Href string `xml:"http://www.w3.org/1999/xlink href,attr"`
		Text string `xml:",chardata"`
	} `xml:"ext-link"`
}

// jatsMember is a child of a citation or person-group; only person-group,
// name, string-name and collab are used, read whole so that inline markup
// inside a collaboration's name keeps its words.
type jatsMember struct {
	XMLName              xml.Name
	groupType            string       // person-group-type of a person-group
	children             []jatsMember // of a person-group, in order
	text, surname, given string
}

func (m *jatsMember) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	m.XMLName = start.Name
	if start.Name.Local == "person-group" {
		for _, a := range start.Attr {
			if a.Name.Local == "person-group-type" {
				m.groupType = a.Value
			}
		}
		for {
			tok, err := d.Token()
			if err != nil {
				return err
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				var c jatsMember
				if err := c.UnmarshalXML(d, tok); err != nil {
					return err
				}
				m.children = append(m.children, c)
			case xml.EndElement:
				return nil
			}
		}
	}
	var text, surname, given strings.Builder
	var stack []string
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.CharData:
			text.Write(tok)
			for _, e := range stack {
				switch e {
				case "surname":
					surname.Write(tok)
				case "given-names":
					given.Write(tok)
				}
			}
		case xml.StartElement:
			stack = append(stack, tok.Name.Local)
		case xml.EndElement:
			if len(stack) == 0 {
				m.text, m.surname, m.given = collapse(text.String()), collapse(surname.String()), collapse(given.String())
				return nil
			}
			stack = stack[:len(stack)-1]
		}
	}
}

// authors appends the authors this member names: a person-group of authors
// (or of no stated type) gives its members; editors and translators none.
func (m jatsMember) authors(to []Name) []Name {
	if m.XMLName.Local == "person-group" {
		if m.groupType != "" && m.groupType != "author" {
			return to
		}
		for _, c := range m.children {
			to = c.authors(to)
		}
		return to
	}
	if n, ok := m.author(); ok {
		to = append(to, n)
	}
	return to
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

func (m jatsMember) author() (Name, bool) {
	switch m.XMLName.Local {
	case "name", "string-name":
		if m.surname != "" {
			return jatsName{Surname: xmlText(m.surname), Given: xmlText(m.given)}.name(), true
		}
		if m.text != "" {
			return ParseName(m.text), true
		}
	case "collab":
		if m.text != "" {
			return ParseName(m.text), true
		}
	}
	return Name{}, false
}

type jatsName struct {
	Surname xmlText `xml:"surname"`
	Given   xmlText `xml:"given-names"`
}

// name: a surname without given-names sometimes holds the whole printed
// name ("FitzHarris G"); it is split like any printed name.
func (n jatsName) name() Name {
	if n.Given == "" {
		return ParseName(string(n.Surname))
	}
	return Name{Given: string(n.Given), Family: string(n.Surname)}
}

type jatsString struct {
	jatsName
	Text string `xml:",chardata"`
}

func (s jatsString) name() Name {
	if s.Surname != "" {
		return s.jatsName.name()
	}
	return ParseName(s.Text)
}

// xmlText is an element's whole text, inline markup (<italic>, <sup>)
// included.
type xmlText string

// A repeated element keeps its first occurrence, as a reader of the
// document would (eLife has citations with a second, stray <article-title>).
func (t *xmlText) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	if *t != "" {
		return d.Skip()
	}
	var b strings.Builder
	for depth := 0; ; {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch tok := tok.(type) {
		case xml.CharData:
			b.Write(tok)
		case xml.StartElement:
			depth++
		case xml.EndElement:
			if depth == 0 {
				*t = xmlText(strings.Join(strings.Fields(b.String()), " "))
				return nil
			}
			depth--
		}
	}
}

// ReadJATS reads the gold record of a JATS article independently of the
// extract package.
func ReadJATS(data []byte) (Record, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	// Publisher files use HTML entity names (&nbsp;) their DTD defines.
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	var a jatsArticle
	if err := dec.Decode(&a); err != nil {
		return Record{}, err
	}
	if a.XMLName.Local != "article" {
		return Record{}, errNotJATS
	}
	r := Record{Title: string(a.Meta.Title)}
	for _, id := range a.Meta.IDs {
		if strings.EqualFold(id.Type, "doi") {
			r.DOI = strings.TrimSpace(id.Value)
			break
		}
	}
	affs := map[string]string{}
	for _, af := range append(a.Meta.GroupAffs, a.Meta.Affs...) {
		if af.ID != "" && af.Text != "" {
			affs[af.ID] = af.Text
		}
	}
	for _, c := range a.Meta.Contribs {
		if c.Type != "" && c.Type != "author" {
			continue // editors, reviewers
		}
		var n Name
		switch {
		case c.Name != nil:
			n = c.Name.name()
		case len(c.Alts) > 0:
			n = c.Alts[0].name()
		case c.SName != nil:
			n = c.SName.name()
		case c.Collab != nil && *c.Collab != "":
			n = ParseName(string(*c.Collab))
		default:
			continue
		}
		orcid := ""
		for _, id := range c.IDs {
			if strings.EqualFold(id.Type, "orcid") {
				orcid = strings.TrimSpace(id.Value)
				break
			}
		}
		// The affiliations the contrib points to, in its order, then any
		// written inside it, joined with "; ".
		var as []string
		for _, x := range c.XRefs {
			if x.Type != "aff" {
				continue
			}
			for _, id := range strings.Fields(x.RID) {
				if t := affs[id]; t != "" {
					as = append(as, t)
				}
			}
		}
		for _, af := range c.Affs {
			if af.Text != "" {
				as = append(as, af.Text)
			}
		}
		r.addAuthor(n, orcid, strings.Join(as, "; "))
	}
	r.Year = articleYear(a)
	r.Venue = string(a.Journal.GroupTitle)
	if r.Venue == "" {
		r.Venue = string(a.Journal.Title)
	}
	// The abstract: the one without an abstract-type (eLife's digest, a
	// graphical or teaser abstract have one), else the first.
	for _, ab := range a.Meta.Abstracts {
		if ab.Type == "" {
			r.Abstract = ab.Text
			break
		}
	}
	if r.Abstract == "" && len(a.Meta.Abstracts) > 0 {
		r.Abstract = a.Meta.Abstracts[0].Text
	}
	// Keywords: every <kwd> of every <kwd-group>, whatever its type. The
	// extract package's JATS reader promises that (it takes each <kwd> in
	// article-meta, with no regard to the group), and JATS itself gives the
	// group type only as a label: eLife has "author-keywords" and
	// "research-organism" ("Mouse", "other"), so the organisms are
	// keywords here. Scoring only author keywords would count a reader
	// doing what it documents as wrong.
	for _, g := range a.Meta.KwdGroups {
		for _, k := range g.Kwds {
			if k != "" {
				r.Keywords = append(r.Keywords, string(k))
			}
		}
	}
	index := map[string]int{} // ref id → position in r.References
	var walk func([]jatsRefList)
	walk = func(ls []jatsRefList) {
		for _, l := range ls {
			for _, ref := range l.Refs {
				if c := firstCitation(ref); c != nil {
					if ref.ID != "" {
						index[ref.ID] = len(r.References)
					}
					r.References = append(r.References, c.ref())
				}
			}
			walk(l.Lists)
		}
	}
	walk(a.RefLists)
	r.CitedTimes = bodyCitations(data, index, len(r.References))
	return r, nil
}

// bodyCitations counts the bibliographic cross-references of the article's
// body (<xref ref-type="bibr" rid="…">, one rid or several) per reference;
// nil when the XML cannot be read again (the Record is then scored without
// citations).
func bodyCitations(data []byte, index map[string]int, n int) []int {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	counts := make([]int, n)
	depth := 0 // > 0 inside <body>
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return counts
		}
		if err != nil {
			return nil
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local == "body" || depth > 0 {
				depth++
			}
			if depth == 0 || t.Name.Local != "xref" || attr(t, "ref-type") != "bibr" {
				continue
			}
			for _, id := range strings.Fields(attr(t, "rid")) {
				if i, ok := index[id]; ok {
					counts[i]++
				}
			}
		case xml.EndElement:
			if depth > 0 {
				depth--
			}
		}
	}
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// articleYear: the publication date's year, preferring a dated publication
// over the collection (issue) date, which can lie a year later.
func articleYear(a jatsArticle) int {
	best := 0
	for _, d := range a.Meta.PubDates {
		y := parseYear(d.Year)
		if y == 0 {
			continue
		}
		t := strings.ToLower(d.PubType + " " + d.DateType)
		if !strings.Contains(t, "collection") && !strings.Contains(t, "issue") {
			return y
		}
		if best == 0 {
			best = y
		}
	}
	return best
}

func firstCitation(ref jatsRef) *jatsCitation {
	for _, cits := range [][]jatsCitation{ref.Cits, ref.Alts.Cits} {
		for i := range cits {
			switch cits[i].XMLName.Local {
			case "element-citation", "mixed-citation", "citation", "nlm-citation":
				return &cits[i]
			}
		}
	}
	return nil
}

func (c *jatsCitation) ref() Ref {
	var r Ref
	for _, m := range c.Members {
		r.Authors = m.authors(r.Authors)
	}
	// The cited work's title; a book has only its source, which then is the
	// title and there is no separate venue.
	switch {
	case c.ArticleTitle != "":
		r.Title, r.Venue = string(c.ArticleTitle), string(c.Source)
	case c.ChapterTitle != "":
		r.Title, r.Venue = string(c.ChapterTitle), string(c.Source)
	case c.DataTitle != "":
		r.Title, r.Venue = string(c.DataTitle), string(c.Source)
	default:
		r.Title = string(c.Source)
	}
	for _, y := range c.Years {
		if r.Year = parseYear(y); r.Year > 0 {
			break
		}
	}
	for _, id := range c.PubIDs {
		// An untyped pub-id holding a DOI is one.
		v := strings.TrimSpace(id.Value)
		if strings.EqualFold(id.Type, "doi") || (id.Type == "" && strings.HasPrefix(v, "10.")) {
			r.DOI = v
			break
		}
	}
	// Some publishers link the DOI instead of tagging it.
	for _, l := range c.ExtLinks {
		if r.DOI != "" {
			break
		}
		switch {
		case strings.EqualFold(l.Type, "doi"):
			r.DOI = strings.TrimSpace(l.Text)
		case strings.Contains(l.Href, "doi.org/10."):
			r.DOI = l.Href[strings.Index(l.Href, "doi.org/")+len("doi.org/"):]
		}
	}
	return r
}

// parseYear finds the first plausible four-digit year ("2012a" → 2012).
func parseYear(s string) int {
	rs := []rune(s)
	for i := 0; i+4 <= len(rs); i++ {
		if i > 0 && unicode.IsDigit(rs[i-1]) {
			continue
		}
		y := 0
		ok := true
		for _, r := range rs[i : i+4] {
			if r < '0' || r > '9' {
				ok = false
				break
			}
			y = y*10 + int(r-'0')
		}
		if ok && (i+4 == len(rs) || !unicode.IsDigit(rs[i+4])) && y >= 1000 && y <= 2999 {
			return y
		}
	}
	return 0
}
