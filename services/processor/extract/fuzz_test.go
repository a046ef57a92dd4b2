package extract

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

// The fuzz targets check the robustness contract: no panic, and every
// error is one of the documented sentinels.

func FuzzDetect(f *testing.F) {
	for _, s := range []string{"%PDF-1.4", "# T\n", "<html>", jatsFixture[:200], "\x00\xff", "caf\xc3"} {
		f.Add([]byte(s), "x.md")
	}
	f.Fuzz(func(t *testing.T, head []byte, name string) {
		switch Detect(head, name) {
		case FormatPDF, FormatJATS, FormatTEI, FormatHTML, FormatMarkdown, FormatText, FormatUnknown:
		default:
			t.Fatal("unknown format value")
		}
	})
}

func checkFuzzErr(t *testing.T, doc *Document, err error) {
	if err != nil {
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrEmpty) && !errors.Is(err, ErrUnsupportedFormat) && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("undocumented error: %v", err)
		}
		return
	}
	for _, s := range doc.Sections {
		if s.Start < 0 || s.End < s.Start || s.End > len(doc.Text) {
			t.Fatalf("bad section %+v (text %d bytes)", s, len(doc.Text))
		}
	}
}

func FuzzExtractJATS(f *testing.F) {
	f.Add(jatsFixture)
	f.Add(`<article><front><article-meta><contrib><collab><contrib/></collab></contrib></article-meta></front></article>`)
	f.Add(`<article><back><ref-list><ref><mixed-citation>Smith J. T. 2001;1:2.</mixed-citation></ref></ref-list></back></article>`)
	f.Fuzz(func(t *testing.T, in string) {
		doc := &Document{}
		err := parseJATS(context.Background(), strings.NewReader(in), doc)
		checkFuzzErr(t, doc, err)
	})
}

func FuzzExtractHTML(f *testing.F) {
	f.Add(`<html><head><meta name="citation_author" content="a, b"></head><body><h2>References</h2><ol><li>x</li></ol></body></html>`)
	f.Add(`<h1>T</h1><script><h2>References</h2></script><h3>Bibliography</h3><p>A. 2001. B.</p>`)
	f.Fuzz(func(t *testing.T, in string) {
		doc := &Document{}
		err := parseHTML(context.Background(), []byte(in), doc)
		checkFuzzErr(t, doc, err)
	})
}

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{
		"[3] A. Author, B. Author. Title. Venue, 12(3):45-67, 2019. doi:10.1000/x.",
		"Author A, Author B (2019) Title. Venue 12:45–67. https://doi.org/10.1/x",
		"Author AB, Author CD. Title. Venue. 2019;12(3):45-67.",
		`J. Smith, "Quoted," vol. 1, pp. 2-3, 2000.`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		r := ParseReference(in)
		if len(r.Authors) > maxAuthors {
			t.Fatal("too many authors")
		}
		_ = SplitReferences(in)
	})
}

// checkFuzzDoc adds the invariants every successful parse keeps.
func checkFuzzDoc(t *testing.T, doc *Document, err error) {
	checkFuzzErr(t, doc, err)
	if err != nil {
		return
	}
	if len(doc.References) > MaxReferences {
		t.Fatalf("%d references, cap %d", len(doc.References), MaxReferences)
	}
	indexes := map[int]bool{}
	for _, r := range doc.References {
		indexes[r.Index] = true
	}
	if len(doc.Citations) > MaxCitations || len(doc.Entities) > MaxEntityMentions {
		t.Fatalf("%d citations, %d entities: over the caps", len(doc.Citations), len(doc.Entities))
	}
	for _, c := range doc.Citations {
		if c.Start < 0 || c.End <= c.Start || c.End > len(doc.Text) || c.Page < 0 || c.Page > len(doc.PageStarts) || len(c.Context) > 2*MaxContextBytes {
			t.Fatalf("bad citation %+v (text %d bytes, %d pages)", c, len(doc.Text), len(doc.PageStarts))
		}
		for _, r := range c.Refs {
			if !indexes[r] {
				t.Fatalf("citation %+v of reference %d, which the list does not have", c, r)
			}
		}
	}
	for _, e := range doc.Entities {
		if e.Start < 0 || e.End <= e.Start || e.End > len(doc.Text) || doc.Text[e.Start:e.End] != e.Text || e.Name == "" {
			t.Fatalf("bad entity %+v (text %d bytes)", e, len(doc.Text))
		}
	}
}

const teiSeed = `<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc>
<titleStmt><title level="a" type="main">TEI Title</title></titleStmt>
<sourceDesc><biblStruct><analytic><author><persName><forename type="first">Ada</forename><surname>King</surname></persName>
<affiliation><orgName type="institution">Lab</orgName></affiliation></author><idno type="DOI">10.9999/tei.5</idno></analytic>
<monogr><title level="j">TEI Journal</title><imprint><date when="2015"/></imprint></monogr></biblStruct></sourceDesc></fileDesc>
<profileDesc><abstract><p>Short abstract.</p></abstract></profileDesc></teiHeader>
<text><body><div><head>Intro</head><p>Hello body.</p></div></body><back><div type="references"><listBibl>
<biblStruct><analytic><title level="a">Ref title</title><author><persName><forename>J</forename><surname>Roe</surname></persName></author></analytic>
<monogr><title level="j">Ref J</title><imprint><biblScope unit="page" from="5" to="9"/><date when="1999"/></imprint></monogr></biblStruct>
</listBibl></div></back></text></TEI>`

func FuzzExtractTEI(f *testing.F) {
	f.Add(teiSeed)
	f.Add(`<TEI><text><back><listBibl><biblStruct><monogr><author><persName><surname>X</surname></persName></author></monogr></biblStruct></listBibl></back></text></TEI>`)
	f.Add(`<TEI><teiHeader><fileDesc><sourceDesc><listBibl><biblStruct/></listBibl></sourceDesc></fileDesc></teiHeader></TEI>`)
	f.Fuzz(func(t *testing.T, in string) {
		doc := &Document{}
		err := parseTEI(context.Background(), strings.NewReader(in), doc)
		checkFuzzDoc(t, doc, err)
	})
}

func FuzzExtractMarkdown(f *testing.F) {
	f.Add("# A Title\n\nJane Doe, John Roe\n\n## Abstract\n\nText.\n\n## References\n\n1. Smith J. Title. J 2001;1:2.\n- [2] Doe A (2003) T. V 4:5-6.\n")
	f.Add("---\ntitle: \"Front Matter Title\"\nauthors:\n  - Ann Lee\ndoi: 10.1000/fm\ndate: 2022-01-02\nkeywords: [a, b]\n---\n\nBody.\n")
	f.Add("```\n# not a heading\n```\n# Real\n**bold** [l](u)\n> q\n")
	f.Fuzz(func(t *testing.T, in string) {
		doc := &Document{}
		err := parseMarkdown(context.Background(), in, doc)
		checkFuzzDoc(t, doc, err)
	})
}

func FuzzExtractPlain(f *testing.F) {
	f.Add("Research Article\n\nGraph Methods for Citation\nNetworks in Practice\n\nMaria Garcia1, Li Wei2 and Ann Lee1*\n\ndoi: 10.7777/abc.123.\n© 2017 The Authors\n\nAbstract\nCitation networks.\n\nKeywords: graphs; citations\n\n1 Introduction\nBody.\n\nReferences\nSmith, J. A., & Doe, B. (2019). Graph things. Journal of Graphs, 12(3), 45–67. https://doi.org/10.1000/xyz.1\nBrown C, White D (2010) Another title. Net Sci 4:1–10.\n")
	f.Add("Title\x02\nsplit exam\x02\nple \uFFFE word\r\nReferences\n[1] A. B. Title. 2001.\n[2] C. D. Other. 2002.\n")
	f.Add("A Title Hint\n\nAuthor One\n")
	f.Fuzz(func(t *testing.T, in string) {
		doc := &Document{}
		err := parsePlain(context.Background(), in, doc)
		checkFuzzDoc(t, doc, err)
		// The PDF path: the same heuristics with a layout title hint.
		doc = &Document{}
		err = parsePlainHint(context.Background(), in, doc, "A Title Hint")
		checkFuzzDoc(t, doc, err)
	})
}

func FuzzSplitReferences(f *testing.F) {
	for _, s := range []string{
		"References\n[1] A. Author. Title. Venue, 2019.\n[2] B. Author. Other. 2020. [3] C. Third. 2021.\n",
		"1. Smith J. Title. J 2001;1:2.\n2. Doe A. T. V 2003;4:5-6.\n",
		"- Smith J (2001) T.\n* Doe A (2002) U.\n",
		"Smith, J. (2001). A title.\n    continued line.\nDoe, A. (2002). B title.\n",
		"Smith J, Doe A. Title one. J. 2001.\n\nRoe B. Title two. K. 2002.\n",
		"Smith AB, Jones C. First. Journal. 2001;\nDoe A. Second. 2002.\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		entries := SplitReferences(in)
		if len(entries) > MaxReferences {
			t.Fatalf("%d entries, cap %d", len(entries), MaxReferences)
		}
		for _, e := range entries {
			if e == "" {
				t.Fatal("empty entry")
			}
		}
		refs, err := parseReferenceList(&poller{ctx: context.Background()}, in)
		if err != nil || len(refs) != len(entries) {
			t.Fatalf("parseReferenceList: %d refs, err %v; SplitReferences gave %d", len(refs), err, len(entries))
		}
	})
}

// FuzzExtract runs the whole pipeline (detection, then the parser the
// content picks) without a PDF engine.
func FuzzExtract(f *testing.F) {
	f.Add([]byte(jatsFixture), "a.xml")
	f.Add([]byte(teiSeed), "a.tei.xml")
	f.Add([]byte("<!DOCTYPE html><html><head><title>T</title></head><body><p>x</p></body></html>"), "a.html")
	f.Add([]byte("# T\n\nbody\n"), "a.md")
	f.Add([]byte("Title\n\nBody text.\n"), "a.txt")
	f.Add([]byte("%PDF-1.7\n"), "a.pdf")
	f.Fuzz(func(t *testing.T, in []byte, name string) {
		doc, err := Extract(context.Background(), bytes.NewReader(in), name, Options{MaxBytes: 1 << 20})
		checkFuzzDoc(t, doc, err)
	})
}
