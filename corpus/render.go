package corpus

import (
	"bytes"
	"html"
	"strconv"
	"strings"
)

// seg is a piece of a paragraph: prose, or an in-text citation of references (0-based).
type seg struct {
	text string
	refs []int
}

// emitter is one output format's body writer. size is in the unit the body budget is
// measured in (bytes of output, or of text for PDF) and includes the reference list,
// which is rendered before the body so the body can be padded to the target.
type emitter interface {
	section(level int, num, title string)
	para(d *docModel, p []seg)
	size() int
}

var sectionTitles = []string{"Introduction", "Methods", "Results", "Discussion"}
var sectionShares = []float64{0.2, 0.5, 0.8, 1.0}
var subsectionTitles = []string{"Data collection", "Statistical analysis", "Model specification", "Robustness checks",
	"Sensitivity analysis", "Validation", "Comparison with previous work", "Additional analyses"}

// renderers holds the buffers reused across documents.
type renderers struct {
	main, tail bytes.Buffer
	sent       strings.Builder
	segs       []seg
	refIdx     []int
	pdf        pdfWriter
	txt        textEmitter
	md         mdEmitter
	htm        htmlEmitter
	jats       jatsEmitter
}

func newRenderers() *renderers {
	rd := &renderers{}
	rd.txt.rd, rd.md.rd, rd.htm.rd, rd.jats.rd = rd, rd, rd, rd
	return rd
}

// render writes d in its format; for PDFs it also reports the text length, which the
// sizer uses to learn the PDF bytes-per-text ratio.
func (rd *renderers) render(d *docModel, desired int, sz *sizer) ([]byte, int, error) {
	rd.main.Reset()
	rd.tail.Reset()
	switch d.gold.Format {
	case FormatText:
		rd.txt.header(d)
		rd.txt.refs(d)
		rd.body(d, &rd.txt, desired)
	case FormatMarkdown:
		rd.md.header(d)
		rd.md.refs(d)
		rd.body(d, &rd.md, desired)
	case FormatHTML:
		rd.htm.header(d)
		rd.htm.refs(d)
		rd.body(d, &rd.htm, desired)
	case FormatJATS:
		rd.jats.header(d)
		rd.jats.refs(d)
		rd.body(d, &rd.jats, desired)
		rd.jats.closeSecs()
		rd.main.WriteString("</body>\n")
	case FormatPDF:
		out, n, err := rd.pdf.render(rd, d, sz.pdfTextBudget(desired))
		return out, n, err
	}
	rd.main.Write(rd.tail.Bytes())
	return rd.main.Bytes(), 0, nil
}

// body writes the four IMRaD sections, each padded with paragraphs (and, when long,
// numbered subsections) until its share of the target is reached.
func (rd *renderers) body(d *docModel, em emitter, target int) {
	r := d.r
	cs := citeState{}
	start := em.size()
	span := max(target-start, 0)
	for k, title := range sectionTitles {
		num := strconv.Itoa(k + 1)
		em.section(1, num, title)
		goal := start + int(float64(span)*sectionShares[k])
		sub := 0
		for n := 0; n == 0 || em.size() < goal; n++ {
			if n > 0 && n%8 == 0 && k > 0 {
				sub++
				em.section(2, num+"."+strconv.Itoa(sub), subsectionTitles[r.intn(len(subsectionTitles))])
			}
			em.para(d, rd.paragraph(d, &cs))
		}
	}
}

type citeState struct{ next int }

// paragraph draws 3-7 sentences, about a third ending in a citation. Unseen references
// are preferred, so numbered styles are numbered roughly in order of first citation.
func (rd *renderers) paragraph(d *docModel, cs *citeState) []seg {
	r := d.r
	segs := rd.segs[:0]
	nrefs := len(d.cites)
	rd.refIdx = rd.refIdx[:0]
	for n := r.between(3, 7); n > 0; n-- {
		rd.sent.Reset()
		sentence(r, d.dm, &rd.sent)
		s := rd.sent.String()
		if n > 1 {
			s += " "
		}
		if nrefs == 0 || !r.chance(0.35) {
			segs = append(segs, seg{text: s})
			continue
		}
		k := 1
		if r.chance(0.25) {
			k = 2 + r.intn(2)
		}
		start := len(rd.refIdx)
		for ; k > 0; k-- {
			var j int
			if cs.next < nrefs && (cs.next == 0 || r.chance(0.7)) {
				j = cs.next
				cs.next++
			} else {
				j = r.intn(max(cs.next, 1))
			}
			dup := false
			for _, x := range rd.refIdx[start:] {
				dup = dup || x == j
			}
			if !dup {
				rd.refIdx = append(rd.refIdx, j)
			}
		}
		dot := strings.LastIndexByte(s, '.')
		segs = append(segs, seg{text: s[:dot] + " "}, seg{refs: rd.refIdx[start:len(rd.refIdx):len(rd.refIdx)]}, seg{text: s[dot:]})
	}
	rd.segs = segs
	return segs
}

// marker renders an in-text citation as plain text in the document's style.
func marker(b *bytes.Buffer, d *docModel, refs []int, link func(b *bytes.Buffer, k int, label string)) {
	if d.style == styleAuthorYear {
		b.WriteByte('(')
		for i, k := range refs {
			if i > 0 {
				b.WriteString("; ")
			}
			link(b, k, authorYearLabel(&d.cites[k]))
		}
		b.WriteByte(')')
		return
	}
	b.WriteByte('[')
	for i, k := range refs {
		if i > 0 {
			b.WriteString(", ")
		}
		link(b, k, strconv.Itoa(k+1))
	}
	b.WriteByte(']')
}

func authorYearLabel(it *citeItem) string {
	y := strconv.Itoa(it.year)
	switch len(it.authors) {
	case 1:
		return it.authors[0].Family + ", " + y
	case 2:
		return it.authors[0].Family + " and " + it.authors[1].Family + ", " + y
	}
	return it.authors[0].Family + " et al., " + y
}

func plainLink(b *bytes.Buffer, _ int, label string) { b.WriteString(label) }

// refLabel is the list label a reference carries in plain formats ("" for author-year).
func refLabel(st refStyle, k int) string {
	switch st {
	case styleNumbered:
		return "[" + strconv.Itoa(k+1) + "] "
	case styleVancouver:
		return strconv.Itoa(k+1) + ". "
	}
	return ""
}

func authorsLine(d *docModel, b *bytes.Buffer, supOpen, supClose string) {
	for i, a := range d.gold.Authors {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(a.Given + " " + a.Family)
		if len(d.affs) > 1 {
			b.WriteString(supOpen + strconv.Itoa(d.authorAff[i]+1) + supClose)
		}
	}
}

func venueLine(d *docModel) string {
	c := &d.core
	return d.venue.Name + ", " + strconv.Itoa(c.year) + ", " + strconv.Itoa(c.volume) + "(" + strconv.Itoa(c.issue) + "):" +
		strconv.Itoa(c.fpage) + "-" + strconv.Itoa(c.lpage)
}

// ---- plain text ----

type textEmitter struct{ rd *renderers }

func (e *textEmitter) header(d *docModel) {
	b := &e.rd.main
	g := &d.gold
	b.WriteString(g.Title + "\n\n")
	authorsLine(d, b, " (", ")")
	b.WriteString("\n")
	for i, a := range d.affs {
		if len(d.affs) > 1 {
			b.WriteString("(" + strconv.Itoa(i+1) + ") ")
		}
		b.WriteString(a + "\n")
	}
	b.WriteString("\n" + venueLine(d) + "\nDOI: " + g.DOI + "\n\nAbstract\n\n" + g.Abstract + "\n\nKeywords: " + strings.Join(g.Keywords, ", ") + "\n")
}

func (e *textEmitter) refs(d *docModel) {
	b := &e.rd.tail
	b.WriteString("\nReferences\n\n")
	for k := range d.gold.References {
		b.WriteString(refLabel(d.style, k) + d.gold.References[k].Raw + "\n")
	}
}

func (e *textEmitter) section(level int, num, title string) {
	if level == 1 {
		e.rd.main.WriteString("\n" + num + " " + title + "\n\n")
	} else {
		e.rd.main.WriteString(num + " " + title + "\n\n")
	}
}

func (e *textEmitter) para(d *docModel, p []seg) {
	b := &e.rd.main
	for _, s := range p {
		if s.refs != nil {
			marker(b, d, s.refs, plainLink)
		} else {
			b.WriteString(s.text)
		}
	}
	b.WriteString("\n\n")
}

func (e *textEmitter) size() int { return e.rd.main.Len() + e.rd.tail.Len() }

// ---- markdown ----

type mdEmitter struct{ rd *renderers }

func (e *mdEmitter) header(d *docModel) {
	b := &e.rd.main
	g := &d.gold
	b.WriteString("# " + g.Title + "\n\n")
	authorsLine(d, b, "^", "^")
	b.WriteString("\n\n")
	for i, a := range d.affs {
		if len(d.affs) > 1 {
			b.WriteString("^" + strconv.Itoa(i+1) + "^ ")
		}
		b.WriteString(a + "  \n")
	}
	b.WriteString("\n*" + venueLine(d) + "*\n\n**DOI:** " + g.DOI + "\n\n## Abstract\n\n" + g.Abstract + "\n\n**Keywords:** " + strings.Join(g.Keywords, ", ") + "\n\n")
}

func (e *mdEmitter) refs(d *docModel) {
	b := &e.rd.tail
	b.WriteString("## References\n\n")
	for k := range d.gold.References {
		if d.style == styleAuthorYear {
			b.WriteString("- ")
		} else {
			b.WriteString(strconv.Itoa(k+1) + ". ")
		}
		b.WriteString(d.gold.References[k].Raw + "\n")
	}
}

func (e *mdEmitter) section(level int, num, title string) {
	if level == 1 {
		e.rd.main.WriteString("## " + num + ". " + title + "\n\n")
	} else {
		e.rd.main.WriteString("### " + num + " " + title + "\n\n")
	}
}

func (e *mdEmitter) para(d *docModel, p []seg) { (*textEmitter)(e).para(d, p) }
func (e *mdEmitter) size() int                 { return e.rd.main.Len() + e.rd.tail.Len() }

// ---- HTML ----

type htmlEmitter struct{ rd *renderers }

func esc(s string) string {
	if !strings.ContainsAny(s, "<>&\"'") {
		return s
	}
	return html.EscapeString(s)
}

func meta(b *bytes.Buffer, name, content string) {
	b.WriteString(`<meta name="` + name + `" content="` + esc(content) + "\">\n")
}

func (e *htmlEmitter) header(d *docModel) {
	b := &e.rd.main
	g := &d.gold
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" + esc(g.Title) + "</title>\n")
	// Highwire Press tags, the metadata Google Scholar and most publishers use.
	meta(b, "citation_title", g.Title)
	for i, a := range g.Authors {
		meta(b, "citation_author", a.Family+", "+a.Given)
		meta(b, "citation_author_institution", d.affs[d.authorAff[i]])
		if a.ORCID != "" {
			meta(b, "citation_author_orcid", "https://orcid.org/"+a.ORCID)
		}
	}
	meta(b, "citation_doi", g.DOI)
	meta(b, "citation_publication_date", strconv.Itoa(g.Year))
	meta(b, "citation_journal_title", g.Venue)
	meta(b, "citation_volume", strconv.Itoa(d.core.volume))
	meta(b, "citation_issue", strconv.Itoa(d.core.issue))
	meta(b, "citation_firstpage", strconv.Itoa(d.core.fpage))
	meta(b, "citation_lastpage", strconv.Itoa(d.core.lpage))
	meta(b, "citation_keywords", strings.Join(g.Keywords, "; "))
	meta(b, "dc.identifier", "doi:"+g.DOI)
	b.WriteString("</head>\n<body>\n<article>\n<h1>" + esc(g.Title) + "</h1>\n<p class=\"authors\">")
	for i, a := range g.Authors {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("<span class=\"author\">" + esc(a.Given+" "+a.Family))
		if len(d.affs) > 1 {
			b.WriteString("<sup>" + strconv.Itoa(d.authorAff[i]+1) + "</sup>")
		}
		b.WriteString("</span>")
	}
	b.WriteString("</p>\n<ol class=\"affiliations\">\n")
	for i, a := range d.affs {
		b.WriteString("<li id=\"aff" + strconv.Itoa(i+1) + "\">" + esc(a) + "</li>\n")
	}
	b.WriteString("</ol>\n<p class=\"citation\">" + esc(venueLine(d)) + "</p>\n<p class=\"doi\">DOI: <a href=\"https://doi.org/" + esc(g.DOI) + "\">" + esc(g.DOI) + "</a></p>\n")
	b.WriteString("<section class=\"abstract\">\n<h2>Abstract</h2>\n<p>" + esc(g.Abstract) + "</p>\n</section>\n<p class=\"keywords\"><strong>Keywords:</strong> " + esc(strings.Join(g.Keywords, ", ")) + "</p>\n")
}

func (e *htmlEmitter) refs(d *docModel) {
	b := &e.rd.tail
	b.WriteString("<section class=\"references\">\n<h2>References</h2>\n<ol>\n")
	for k := range d.gold.References {
		b.WriteString("<li id=\"ref" + strconv.Itoa(k+1) + "\">" + esc(d.gold.References[k].Raw) + "</li>\n")
	}
	b.WriteString("</ol>\n</section>\n</article>\n</body>\n</html>\n")
}

func (e *htmlEmitter) section(level int, num, title string) {
	if level == 1 {
		e.rd.main.WriteString("<h2>" + num + ". " + title + "</h2>\n")
	} else {
		e.rd.main.WriteString("<h3>" + num + " " + title + "</h3>\n")
	}
}

func htmlLink(b *bytes.Buffer, k int, label string) {
	b.WriteString("<a href=\"#ref" + strconv.Itoa(k+1) + "\">" + esc(label) + "</a>")
}

func (e *htmlEmitter) para(d *docModel, p []seg) {
	b := &e.rd.main
	b.WriteString("<p>")
	for _, s := range p {
		if s.refs != nil {
			marker(b, d, s.refs, htmlLink)
		} else {
			b.WriteString(esc(s.text))
		}
	}
	b.WriteString("</p>\n")
}

func (e *htmlEmitter) size() int { return e.rd.main.Len() + e.rd.tail.Len() }

// ---- JATS ----

type jatsEmitter struct {
	rd        *renderers
	open, sub bool
	nsec      int
}

func xesc(s string) string {
	if !strings.ContainsAny(s, "<>&\"'") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		case '\'':
			b.WriteString("&apos;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (e *jatsEmitter) header(d *docModel) {
	e.open, e.sub, e.nsec = false, false, 0
	b := &e.rd.main
	g := &d.gold
	c := &d.core
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.2 20190208//EN" "JATS-archivearticle1.dtd">
<article xmlns:xlink="http://www.w3.org/1999/xlink" article-type="research-article" dtd-version="1.2" xml:lang="en">
<front>
<journal-meta>
<journal-title-group><journal-title>` + xesc(d.venue.Name) + `</journal-title><abbrev-journal-title>` + xesc(d.venue.Abbrev) + `</abbrev-journal-title></journal-title-group>
</journal-meta>
<article-meta>
<article-id pub-id-type="doi">` + xesc(g.DOI) + `</article-id>
<article-categories><subj-group subj-group-type="discipline"><subject>` + xesc(g.Domain) + `</subject></subj-group></article-categories>
<title-group><article-title>` + xesc(g.Title) + `</article-title></title-group>
<contrib-group>
`)
	for i, a := range g.Authors {
		b.WriteString(`<contrib contrib-type="author">`)
		if a.ORCID != "" {
			b.WriteString(`<contrib-id contrib-id-type="orcid">https://orcid.org/` + a.ORCID + `</contrib-id>`)
		}
		b.WriteString(`<name><surname>` + xesc(a.Family) + `</surname><given-names>` + xesc(a.Given) + `</given-names></name><xref ref-type="aff" rid="aff` + strconv.Itoa(d.authorAff[i]+1) + `"/></contrib>` + "\n")
	}
	b.WriteString("</contrib-group>\n")
	for i, a := range d.affs {
		b.WriteString(`<aff id="aff` + strconv.Itoa(i+1) + `">` + xesc(a) + "</aff>\n")
	}
	b.WriteString(`<pub-date pub-type="epub"><year>` + strconv.Itoa(g.Year) + `</year></pub-date>
<volume>` + strconv.Itoa(c.volume) + `</volume><issue>` + strconv.Itoa(c.issue) + `</issue><fpage>` + strconv.Itoa(c.fpage) + `</fpage><lpage>` + strconv.Itoa(c.lpage) + `</lpage>
<abstract><p>` + xesc(g.Abstract) + `</p></abstract>
<kwd-group kwd-group-type="author">`)
	for _, k := range g.Keywords {
		b.WriteString("<kwd>" + xesc(k) + "</kwd>")
	}
	b.WriteString("</kwd-group>\n</article-meta>\n</front>\n<body>\n")
}

func (e *jatsEmitter) refs(d *docModel) {
	b := &e.rd.tail
	b.WriteString("<back>\n<ref-list>\n<title>References</title>\n")
	for k := range d.cites {
		it := &d.cites[k]
		gr := &d.gold.References[k]
		id := strconv.Itoa(k + 1)
		b.WriteString(`<ref id="ref` + id + `">`)
		if d.style != styleAuthorYear {
			b.WriteString("<label>" + id + "</label>")
		}
		b.WriteString(`<element-citation publication-type="journal"><person-group person-group-type="author">`)
		names := it.authors
		if len(names) > 6 {
			names = names[:3]
		}
		for _, n := range names {
			b.WriteString("<name><surname>" + xesc(n.Family) + "</surname><given-names>" + xesc(n.initials()) + "</given-names></name>")
		}
		if len(it.authors) > 6 {
			b.WriteString("<etal/>")
		}
		b.WriteString("</person-group><article-title>" + xesc(gr.Title) + "</article-title><source>" + xesc(gr.Venue) +
			"</source><year>" + strconv.Itoa(gr.Year) + "</year><volume>" + gr.Volume + "</volume><issue>" + strconv.Itoa(it.issue) +
			"</issue><fpage>" + strconv.Itoa(it.fpage) + "</fpage><lpage>" + strconv.Itoa(it.lpage) + "</lpage>")
		if gr.DOI != "" {
			b.WriteString(`<pub-id pub-id-type="doi">` + xesc(gr.DOI) + "</pub-id>")
		}
		b.WriteString("</element-citation></ref>\n")
	}
	b.WriteString("</ref-list>\n</back>\n</article>\n")
}

func (e *jatsEmitter) closeSecs() {
	if e.sub {
		e.rd.main.WriteString("</sec>\n")
		e.sub = false
	}
	if e.open {
		e.rd.main.WriteString("</sec>\n")
		e.open = false
	}
}

func (e *jatsEmitter) section(level int, num, title string) {
	b := &e.rd.main
	e.nsec++
	id := `<sec id="s` + strconv.Itoa(e.nsec) + `">`
	if level == 1 {
		e.closeSecs()
		e.open = true
	} else {
		if e.sub {
			b.WriteString("</sec>\n")
		}
		e.sub = true
	}
	b.WriteString(id + "<label>" + num + "</label><title>" + xesc(title) + "</title>\n")
}

func jatsLink(b *bytes.Buffer, k int, label string) {
	b.WriteString(`<xref ref-type="bibr" rid="ref` + strconv.Itoa(k+1) + `">` + xesc(label) + "</xref>")
}

func (e *jatsEmitter) para(d *docModel, p []seg) {
	b := &e.rd.main
	b.WriteString("<p>")
	for _, s := range p {
		if s.refs != nil {
			marker(b, d, s.refs, jatsLink)
		} else {
			b.WriteString(xesc(s.text))
		}
	}
	b.WriteString("</p>\n")
}

func (e *jatsEmitter) size() int { return e.rd.main.Len() + e.rd.tail.Len() }
