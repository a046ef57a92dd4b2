package extract

import (
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
