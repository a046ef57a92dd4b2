package extract

import (
	"context"
	"encoding/xml"
	"io"
	"strings"
)

var teiInline = []string{"hi", "ref", "emph", "term", "foreign", "lb", "formula-inline"}
var teiBlock = []string{"p", "div", "head", "list", "item", "figure", "table", "row", "formula", "note", "quote", "abstract"}

type teiBibl struct {
	ref      Reference
	analytic string
	monogr   string
	given    []string
	family   string
	inAuthor bool
	from, to string
}

type teiAuthor struct {
	a     Author
	given []string
	affs  []string
}

// teiParser reads GROBID-style TEI: header metadata from teiHeader (title,
// sourceDesc/biblStruct authors, DOI, venue, date), profileDesc abstract and
// keywords, body divs, and back listBibl/biblStruct references.
type teiParser struct {
	w      *xmlWalker
	doc    *Document
	body   *capture
	secs   []int
	bibl   *teiBibl
	author *teiAuthor
}

func parseTEI(ctx context.Context, r io.Reader, doc *Document) error {
	p := &teiParser{w: newXMLWalker(ctx, r, teiInline, teiBlock), doc: doc}
	if err := p.w.walk(p.start, p.end); err != nil {
		return err
	}
	for i := range doc.Sections {
		s := &doc.Sections[i]
		s.End = min(max(s.End, s.Start), len(doc.Text))
		s.Start = min(s.Start, s.End)
	}
	return nil
}

func (p *teiParser) start(name string, attrs []xml.Attr) error {
	w, d := p.w, p.doc
	if w.in("listBibl") && !(w.in("sourceDesc")) {
		p.startBibl(name, attrs)
		return nil
	}
	inHeader := w.in("teiHeader")
	switch name {
	case "title":
		switch {
		case inHeader && w.in("titleStmt") && d.Title == "":
			w.capture(capRaw, fieldMax, func(s string) {
				if d.Title == "" {
					d.Title = s
				}
			})
		case inHeader && w.in("sourceDesc") && w.in("monogr") && d.Venue == "":
			w.capture(capRaw, fieldMax, func(s string) {
				if d.Venue == "" {
					d.Venue = s
				}
			})
		}
	case "author":
		if inHeader && w.in("sourceDesc") && w.in("analytic") {
			p.author = &teiAuthor{}
		}
	case "forename", "surname", "affiliation", "idno", "orgName", "date", "email":
		if inHeader {
			p.startHeaderField(name, attrs)
		}
	case "abstract":
		if inHeader {
			w.capture(capBlock, abstractMax, func(s string) {
				if d.Abstract == "" {
					d.Abstract = s
				}
			})
		}
	case "term":
		if inHeader && w.in("keywords") {
			w.capture(capRaw, fieldMax, func(s string) {
				if s != "" && len(d.Keywords) < 1000 {
					d.Keywords = append(d.Keywords, s)
				}
			})
		}
	case "body":
		if p.body == nil && w.in("text") {
			p.body = w.capture(capBlock, 0, func(s string) { d.Text = s })
		}
	case "div":
		if p.body != nil && w.in("body") {
			p.body.flush()
			d.Sections = append(d.Sections, Section{Start: p.body.b.Len()})
			p.secs = append(p.secs, len(d.Sections)-1)
		}
	case "head":
		if w.parent() == "div" && len(p.secs) > 0 && w.in("body") {
			idx := p.secs[len(p.secs)-1]
			w.capture(capRaw, fieldMax, func(s string) { d.Sections[idx].Heading = s })
		}
	}
	return nil
}

func (p *teiParser) startHeaderField(name string, attrs []xml.Attr) {
	w, d, a := p.w, p.doc, p.author
	switch name {
	case "forename":
		if a != nil && w.in("persName") {
			w.capture(capRaw, fieldMax, func(s string) { a.given = append(a.given, s) })
		}
	case "surname":
		if a != nil && w.in("persName") {
			w.capture(capRaw, fieldMax, func(s string) { a.a.Family = s })
		}
	case "orgName":
		if a != nil && w.in("affiliation") {
			w.capture(capRaw, fieldMax, func(s string) { a.affs = append(a.affs, s) })
		}
	case "idno":
		t := strings.ToLower(attr(attrs, "type"))
		switch {
		case t == "orcid" && a != nil:
			w.capture(capRaw, fieldMax, func(s string) { a.a.ORCID = normalizeORCID(s) })
		case t == "doi" && d.DOI == "" && w.in("sourceDesc"):
			w.capture(capRaw, fieldMax, func(s string) { d.DOI = findDOIOr(s) })
		}
	case "date":
		if w.in("sourceDesc") || w.in("publicationStmt") {
			if y := parseYear(attr(attrs, "when")); y > 0 {
				if d.Year == 0 {
					d.Year = y
				}
				return
			}
			w.capture(capRaw, fieldMax, func(s string) {
				if d.Year == 0 {
					d.Year = parseYear(s)
				}
			})
		}
	}
}

func (p *teiParser) startBibl(name string, attrs []xml.Attr) {
	w := p.w
	if name == "biblStruct" {
		if p.bibl != nil {
			return // nested biblStruct (relatedItem): part of the current one
		}
		if len(p.doc.References) >= MaxReferences {
			w.skip()
			return
		}
		p.bibl = &teiBibl{}
		return
	}
	b := p.bibl
	if b == nil {
		return
	}
	switch name {
	case "title":
		dst := &b.monogr
		if w.in("analytic") {
			dst = &b.analytic
		}
		w.capture(capRaw, fieldMax, func(s string) {
			if *dst == "" {
				*dst = s
			}
		})
	case "author":
		if !w.in("monogr") || b.ref.Authors == nil {
			b.inAuthor = true
			b.given, b.family = nil, ""
		}
	case "forename":
		if b.inAuthor {
			w.capture(capRaw, fieldMax, func(s string) { b.given = append(b.given, s) })
		}
	case "surname":
		if b.inAuthor {
			w.capture(capRaw, fieldMax, func(s string) { b.family = s })
		}
	case "date":
		if y := parseYear(attr(attrs, "when")); y > 0 && b.ref.Year == 0 {
			b.ref.Year = y
		} else {
			w.capture(capRaw, fieldMax, func(s string) {
				if b.ref.Year == 0 {
					b.ref.Year = parseYear(s)
				}
			})
		}
	case "biblScope":
		unit := attr(attrs, "unit")
		if unit == "" {
			unit = attr(attrs, "type")
		}
		switch unit {
		case "volume":
			w.capture(capRaw, fieldMax, func(s string) { b.ref.Volume = s })
		case "page", "pp":
			b.from, b.to = attr(attrs, "from"), attr(attrs, "to")
			w.capture(capRaw, fieldMax, func(s string) {
				if s != "" {
					b.ref.Pages = s
				}
			})
		}
	case "idno":
		if strings.EqualFold(attr(attrs, "type"), "doi") {
			w.capture(capRaw, fieldMax, func(s string) {
				if b.ref.DOI == "" {
					b.ref.DOI = findDOIOr(s)
				}
			})
		}
	case "note":
		if attr(attrs, "type") == "raw_reference" {
			w.capture(capRaw, fieldMax, func(s string) { b.ref.Raw = s })
		}
	}
}

func (p *teiParser) end(name string) {
	w, d := p.w, p.doc
	if b := p.bibl; b != nil {
		switch name {
		case "author":
			if b.inAuthor {
				b.inAuthor = false
				if n := joinName(strings.Join(b.given, " "), b.family); n != "" && len(b.ref.Authors) < maxAuthors {
					b.ref.Authors = append(b.ref.Authors, n)
				}
			}
		case "biblStruct":
			if w.in("biblStruct") && len(w.stack) > 1 && countName(w.stack[:len(w.stack)-1], "biblStruct") > 0 {
				return
			}
			p.bibl = nil
			r := b.ref
			if b.analytic != "" {
				r.Title, r.Venue = b.analytic, b.monogr
			} else {
				r.Title = b.monogr
			}
			if r.Pages == "" && b.from != "" {
				r.Pages = b.from
				if b.to != "" && b.to != b.from {
					r.Pages += "-" + b.to
				}
			}
			d.References = append(d.References, r)
		}
		return
	}
	switch name {
	case "author":
		if a := p.author; a != nil {
			p.author = nil
			a.a.Given = strings.Join(a.given, " ")
			a.a.Full = joinName(a.a.Given, a.a.Family)
			a.a.Affiliation = strings.Join(a.affs, ", ")
			if a.a.Full != "" {
				d.Authors = append(d.Authors, a.a)
			}
		}
	case "div":
		if len(p.secs) > 0 && p.body != nil {
			idx := p.secs[len(p.secs)-1]
			p.secs = p.secs[:len(p.secs)-1]
			d.Sections[idx].End = p.body.b.Len()
		}
	}
}

func countName(stack []string, name string) int {
	n := 0
	for _, s := range stack {
		if s == name {
			n++
		}
	}
	return n
}
