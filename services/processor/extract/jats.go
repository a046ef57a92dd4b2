package extract

import (
	"context"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
)

// Inline formatting elements: their boundaries are not word boundaries.
// So are MathML's inside a formula ("<mi>C</mi><msub><mi>O</mi><mn>2</mn>
// </msub>" is "CO2"), which is read only in the abstract and the title
// (see start); <math> itself separates words, as it did when skipped.
var jatsInline = []string{"italic", "bold", "sup", "sub", "sc", "underline", "monospace", "roman",
	"sans-serif", "overline", "strike", "styled-content", "named-content", "inline-formula",
	"ext-link", "uri", "email", "abbrev", "xref", "break", "inline-graphic", "x",
	"semantics", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msub", "msup", "msubsup",
	"munder", "mover", "munderover", "mmultiscripts", "mprescripts", "mfrac", "msqrt", "mroot",
	"mstyle", "mfenced", "mpadded", "mphantom", "menclose", "merror", "maction"}

// Block elements: paragraph breaks in body text and abstracts.
var jatsBlock = []string{"p", "sec", "title", "list", "list-item", "caption", "fig", "table-wrap",
	"table", "tr", "disp-formula", "disp-quote", "boxed-text", "def-list", "def-item", "statement",
	"ack", "app", "abstract", "fn", "speech", "verse-group", "verse-line", "label", "glossary"}

// Field captures are bounded so a hostile document cannot grow one field
// without limit; the body is bounded by the input size itself.
const (
	fieldMax    = 64 << 10
	abstractMax = 256 << 10
)

type jatsAuthor struct {
	a      Author
	affIDs []string
	inline []string // <aff> inside <contrib>
	seen   bool     // a <name> was read: later alternatives are ignored
}

type jatsRef struct {
	ref        Reference
	citations  int // citation elements seen in this <ref>
	inCitation bool
	articleTit string
	chapterTit string
	source     string
	fpage      string
	lpage      string
	eloc       string
	pgroupType string
	given      string
	family     string
	nameDepth  int
	raw        *capture
	refRaw     *capture
}

type jatsPubDate struct {
	rank int
	year int
}

type jatsParser struct {
	w        *xmlWalker
	doc      *Document
	author   *jatsAuthor
	authors  []*jatsAuthor
	affs     map[string]string
	abstract string
	absTyped string // first typed abstract (e.g. eLife digest), fallback
	pubYear  jatsPubDate
	body     *capture
	secs     []int // indices into doc.Sections of open <sec>
	ref      *jatsRef
	dateRank int
	inRefs   int
}

// parseJATS streams a JATS article. Content of <sub-article> and <response>
// (reviews, decision letters) is skipped: it has its own front matter that
// would otherwise overwrite the article's.
func parseJATS(ctx context.Context, r io.Reader, doc *Document) error {
	p := &jatsParser{w: newXMLWalker(ctx, r, jatsInline, jatsBlock), doc: doc, affs: map[string]string{}, pubYear: jatsPubDate{rank: 1 << 30}}
	if err := p.w.walk(p.start, p.end); err != nil {
		return err
	}
	p.finish()
	return nil
}

func (p *jatsParser) start(name string, attrs []xml.Attr) error {
	w := p.w
	switch name {
	case "sub-article", "response", "object-id", "tex-math", "annotation", "annotation-xml":
		w.skip()
		return nil
	case "math":
		// A formula's MathML is skipped in the body and the references
		// (token soup in running text), but read in the abstract and the
		// title, whose words it is part of ("decrease in CO2 emissions").
		// Its TeX source (<tex-math>, <annotation>) is another spelling.
		if !w.in("article-meta") || (!w.in("abstract") && !w.in("title-group")) {
			w.skip()
			return nil
		}
	}
	if p.ref != nil {
		p.startRef(name, attrs)
		return nil
	}
	if w.in("article-meta") {
		p.startMeta(name, attrs)
		return nil
	}
	switch name {
	case "journal-title":
		if w.in("journal-meta") && p.doc.Venue == "" {
			w.capture(capRaw, fieldMax, func(s string) { p.doc.Venue = s })
		}
	case "body":
		if p.body == nil {
			p.body = w.capture(capBlock, 0, func(s string) { p.doc.Text = s })
		}
	case "sec":
		if p.body != nil && w.in("body") {
			p.body.flush()
			p.doc.Sections = append(p.doc.Sections, Section{Start: p.body.b.Len()})
			p.secs = append(p.secs, len(p.doc.Sections)-1)
		}
	case "title":
		if w.parent() == "sec" && len(p.secs) > 0 && w.in("body") {
			idx := p.secs[len(p.secs)-1]
			w.capture(capRaw, fieldMax, func(s string) { p.doc.Sections[idx].Heading = s })
		}
	case "ref-list":
		p.inRefs++
	case "ref":
		if p.inRefs > 0 {
			if len(p.doc.References) >= MaxReferences {
				w.skip()
				return nil
			}
			p.ref = &jatsRef{}
			p.ref.refRaw = w.capture(capRaw, fieldMax, nil)
		}
	}
	return nil
}

func (p *jatsParser) startMeta(name string, attrs []xml.Attr) {
	w := p.w
	switch name {
	case "article-title":
		if w.in("title-group") && p.doc.Title == "" {
			w.capture(capRaw, fieldMax, func(s string) {
				if p.doc.Title == "" {
					p.doc.Title = s
				}
			})
		}
	case "article-id":
		if strings.EqualFold(attr(attrs, "pub-id-type"), "doi") && p.doc.DOI == "" {
			w.capture(capRaw, fieldMax, func(s string) { p.doc.DOI = findDOIOr(s) })
		}
	case "contrib":
		if p.author != nil || w.in("collab") {
			w.skip() // members of a group author are not authors of the paper
			return
		}
		if t := attr(attrs, "contrib-type"); t == "author" || (t == "" && !w.in("collab")) {
			p.author = &jatsAuthor{}
		}
	case "surname", "given-names", "collab", "string-name", "contrib-id", "xref", "aff", "label":
		if name == "aff" {
			// tidyPunct: the parts are elements separated by their own
			// punctuation ("<institution>…</institution>, <country>"),
			// and an element boundary is no space before a comma.
			if a := p.author; a != nil {
				w.capture(capRaw, fieldMax, func(s string) { a.inline = append(a.inline, tidyPunct(s)) })
			} else if id := attr(attrs, "id"); id != "" {
				w.capture(capRaw, fieldMax, func(s string) { p.affs[id] = tidyPunct(s) })
			}
			return
		}
		if name == "label" {
			if w.parent() == "aff" {
				w.skip() // "1", "a": markers, not affiliation text
			}
			return
		}
		a := p.author
		if a == nil {
			return
		}
		switch name {
		case "surname":
			if !a.seen {
				w.capture(capRaw, fieldMax, func(s string) { a.a.Family = s })
			}
		case "given-names":
			if !a.seen {
				w.capture(capRaw, fieldMax, func(s string) { a.a.Given = s })
			}
		case "collab", "string-name":
			if a.a.Full == "" && !a.seen {
				w.capture(capRaw, fieldMax, func(s string) {
					if a.a.Family == "" && a.a.Full == "" {
						a.a.Full = s
					}
				})
			}
		case "contrib-id":
			if strings.EqualFold(attr(attrs, "contrib-id-type"), "orcid") {
				w.capture(capRaw, fieldMax, func(s string) { a.a.ORCID = normalizeORCID(s) })
			}
		case "xref":
			if attr(attrs, "ref-type") == "aff" {
				a.affIDs = append(a.affIDs, strings.Fields(attr(attrs, "rid"))...)
			}
		}
	case "pub-date":
		p.dateRank = pubDateRank(attr(attrs, "pub-type"), attr(attrs, "date-type"), attr(attrs, "publication-format"))
	case "year":
		if w.parent() == "pub-date" {
			rank := p.dateRank
			w.capture(capRaw, fieldMax, func(s string) {
				if y := parseYear(s); y > 0 && rank < p.pubYear.rank {
					p.pubYear = jatsPubDate{rank: rank, year: y}
				}
			})
		}
	case "abstract", "trans-abstract":
		if name == "trans-abstract" {
			w.skip()
			return
		}
		typed := attr(attrs, "abstract-type") != ""
		w.capture(capBlock, abstractMax, func(s string) {
			if !typed && p.abstract == "" {
				p.abstract = s
			} else if typed && p.absTyped == "" {
				p.absTyped = s
			}
		})
	case "title":
		if w.parent() == "abstract" {
			w.skip() // "Abstract", "eLife digest"
		}
	case "kwd":
		w.capture(capRaw, fieldMax, func(s string) {
			if s != "" && len(p.doc.Keywords) < 1000 {
				p.doc.Keywords = append(p.doc.Keywords, s)
			}
		})
	}
}

func (p *jatsParser) startRef(name string, attrs []xml.Attr) {
	w, r := p.w, p.ref
	switch name {
	case "element-citation", "mixed-citation", "citation", "nlm-citation":
		r.citations++
		if r.citations == 1 {
			r.inCitation = true
			r.raw = w.capture(capRaw, fieldMax, nil)
			r.raw.mixed = name == "mixed-citation"
		}
		return
	case "label":
		if !r.inCitation {
			w.capture(capRaw, 32, func(s string) {
				if n, err := strconv.Atoi(strings.Trim(s, "[]().  ")); err == nil && n > 0 {
					r.ref.Index = n
				}
			})
		}
		return
	}
	if !r.inCitation {
		return
	}
	set := func(dst *string) {
		w.capture(capRaw, fieldMax, func(s string) {
			if *dst == "" {
				*dst = s
			}
		})
	}
	switch name {
	case "person-group":
		r.pgroupType = attr(attrs, "person-group-type")
	case "name", "string-name":
		if r.nameDepth == 0 && authorGroup(r.pgroupType) {
			r.nameDepth = len(w.stack)
			r.given, r.family = "", ""
			if name == "string-name" {
				// Unstructured string-name: its text is the whole name.
				w.capture(capRaw, fieldMax, func(s string) {
					if r.family == "" {
						r.family = s
					}
				})
			}
		}
	case "surname":
		if r.nameDepth > 0 {
			w.capture(capRaw, fieldMax, func(s string) { r.family = s })
		}
	case "given-names":
		if r.nameDepth > 0 {
			w.capture(capRaw, fieldMax, func(s string) { r.given = s })
		}
	case "collab":
		if authorGroup(r.pgroupType) {
			w.capture(capRaw, fieldMax, func(s string) {
				if s != "" && len(r.ref.Authors) < maxAuthors {
					r.ref.Authors = append(r.ref.Authors, s)
				}
			})
		}
	case "article-title":
		set(&r.articleTit)
	case "chapter-title", "data-title", "part-title":
		set(&r.chapterTit)
	case "source":
		set(&r.source)
	case "year":
		w.capture(capRaw, fieldMax, func(s string) {
			if r.ref.Year == 0 {
				r.ref.Year = parseYear(s)
			}
		})
	case "volume":
		set(&r.ref.Volume)
	case "fpage":
		set(&r.fpage)
	case "lpage":
		set(&r.lpage)
	case "elocation-id":
		set(&r.eloc)
	case "pub-id":
		if strings.EqualFold(attr(attrs, "pub-id-type"), "doi") {
			w.capture(capRaw, fieldMax, func(s string) {
				if r.ref.DOI == "" {
					r.ref.DOI = findDOIOr(s)
				}
			})
		}
	case "ext-link":
		if r.ref.DOI == "" {
			if d := findDOI(attr(attrs, "href")); d != "" {
				r.ref.DOI = d
			}
		}
	}
}

// authorGroup: names outside a person-group (mixed citations) or in an
// author group are authors; editors, translators etc. are not.
func authorGroup(t string) bool {
	return t == "" || t == "author"
}

func (p *jatsParser) end(name string) {
	w := p.w
	if r := p.ref; r != nil {
		switch name {
		case "name", "string-name":
			if r.nameDepth == len(w.stack) {
				r.nameDepth = 0
				if n := joinName(r.given, r.family); n != "" && len(r.ref.Authors) < maxAuthors {
					r.ref.Authors = append(r.ref.Authors, n)
				}
			}
		case "person-group":
			r.pgroupType = ""
		case "element-citation", "mixed-citation", "citation", "nlm-citation":
			if r.inCitation {
				r.inCitation = false
				r.ref.Raw = tidyPunct(r.raw.String())
			}
		case "ref":
			p.finishRef()
		}
		return
	}
	switch name {
	case "contrib":
		if a := p.author; a != nil && w.in("article-meta") {
			p.author = nil
			if a.a.Full == "" {
				a.a.Full = joinName(a.a.Given, a.a.Family)
			}
			if a.a.Full != "" {
				p.authors = append(p.authors, a)
			}
		}
	case "name":
		if p.author != nil {
			p.author.seen = true // name-alternatives: keep the first
		}
	case "sec":
		if len(p.secs) > 0 && p.body != nil {
			idx := p.secs[len(p.secs)-1]
			p.secs = p.secs[:len(p.secs)-1]
			p.doc.Sections[idx].End = p.body.b.Len()
		}
	case "ref-list":
		if p.inRefs > 0 {
			p.inRefs--
		}
	}
}

func (p *jatsParser) finishRef() {
	r := p.ref
	p.ref = nil
	ref := r.ref
	if ref.Raw == "" {
		ref.Raw = tidyPunct(r.refRaw.String())
		// Unstructured <ref>: fall back to the string parser.
		if r.citations == 0 {
			parsed := ParseReference(ref.Raw)
			parsed.Index = ref.Index
			p.doc.References = append(p.doc.References, parsed)
			return
		}
	}
	switch {
	case r.articleTit != "":
		ref.Title, ref.Venue = r.articleTit, r.source
	case r.chapterTit != "":
		ref.Title, ref.Venue = r.chapterTit, r.source
	default:
		ref.Title = r.source // a book: the source is its title
	}
	switch {
	case r.fpage != "" && r.lpage != "" && r.lpage != r.fpage:
		ref.Pages = r.fpage + "-" + r.lpage
	case r.fpage != "":
		ref.Pages = r.fpage
	default:
		ref.Pages = r.eloc
	}
	if ref.DOI == "" {
		ref.DOI = findDOI(ref.Raw)
	}
	// Mixed citations without markup: fill the gaps from the string parser.
	if ref.Title == "" || len(ref.Authors) == 0 || ref.Year == 0 {
		parsed := ParseReference(ref.Raw)
		if ref.Title == "" {
			ref.Title = parsed.Title
			if ref.Venue == "" {
				ref.Venue = parsed.Venue
			}
		}
		if len(ref.Authors) == 0 {
			ref.Authors = parsed.Authors
		}
		if ref.Year == 0 {
			ref.Year = parsed.Year
		}
		if ref.Volume == "" {
			ref.Volume = parsed.Volume
		}
		if ref.Pages == "" {
			ref.Pages = parsed.Pages
		}
	}
	p.doc.References = append(p.doc.References, ref)
}

func (p *jatsParser) finish() {
	d := p.doc
	for _, a := range p.authors {
		var affs []string
		for _, id := range a.affIDs {
			if s := p.affs[id]; s != "" {
				affs = append(affs, s)
			}
		}
		affs = append(affs, a.inline...)
		a.a.Affiliation = strings.Join(affs, "; ")
		d.Authors = append(d.Authors, a.a)
	}
	d.Abstract = p.abstract
	if d.Abstract == "" {
		d.Abstract = p.absTyped
	}
	if p.pubYear.year > 0 {
		d.Year = p.pubYear.year
	}
	// Keep offsets valid whatever the body capture did (e.g. no body).
	for i := range d.Sections {
		s := &d.Sections[i]
		s.End = min(max(s.End, s.Start), len(d.Text))
		s.Start = min(s.Start, s.End)
	}
}

// pubDateRank orders <pub-date> kinds: electronic publication first, then
// print, then untyped, then collection/issue dates.
func pubDateRank(pubType, dateType, format string) int {
	t := strings.ToLower(pubType + " " + dateType)
	switch {
	case strings.Contains(t, "epub") || (strings.Contains(t, "pub") && format == "electronic" && !strings.Contains(t, "collection")):
		return 0
	case strings.Contains(t, "ppub") || (strings.Contains(t, "pub") && format == "print" && !strings.Contains(t, "collection")):
		return 1
	case strings.TrimSpace(t) == "" || strings.TrimSpace(t) == "pub":
		return 2
	}
	return 3
}

// findDOIOr returns the DOI inside s, or s itself when it holds none (some
// publishers put bare suffixes in article-id).
func findDOIOr(s string) string {
	if d := findDOI(s); d != "" {
		return d
	}
	return collapseSpace(s)
}
