package extract

import (
	"context"
	"strings"
	"testing"
)

type fakeHeaderPDF struct {
	fakePDF
	largest, meta string
}

func (f fakeHeaderPDF) PageTextsTitles(context.Context, []byte) ([]string, string, string, error) {
	return f.pages, f.largest, f.meta, f.err
}

func TestPDFTitleHint(t *testing.T) {
	for _, c := range []struct{ largest, meta, want string }{
		{"Large Font Titles Are Easy", "Other Meta Title Here", "Large Font Titles Are Easy"},
		{"Research Article", "Meta Title Is Used Here", "Meta Title Is Used Here"},
		{"Journal of Applied Testing", "", ""},
		{"https://doi.org/10.1234/x.5 DOI line here", "", ""},
		{"This is an open access article under the CC BY license", "", ""},
		{"", "Microsoft Word - final draft v2.docx", ""},
		{"", "paper_final_v2", ""},
		{"", "people&#x02010;centered wildlife conservation", "people‐centered wildlife conservation"},
		{"Two Words", "", ""},
	} {
		if got := pdfTitleHint(c.largest, c.meta); got != c.want {
			t.Errorf("pdfTitleHint(%q, %q) = %q, want %q", c.largest, c.meta, got, c.want)
		}
	}
}

func TestExtractPDFTitleHint(t *testing.T) {
	page := strings.Join([]string{
		"Journal of Testing 12 (2024) 1-9",
		"Spatial Patterns of Things",
		"in Places",
		"Ada Lovelace1, Charles Babbage2 | Grace Hopper1",
		"1 University of Somewhere",
		"Abstract",
		"We study things.",
	}, "\n")
	src := fakeHeaderPDF{fakePDF: fakePDF{pages: []string{page}}, largest: "Spatial Patterns of Things in Places"}
	doc, err := Extract(context.Background(), strings.NewReader("%PDF-1.7\n"), "x.pdf", Options{PDF: src})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "Spatial Patterns of Things in Places" {
		t.Errorf("title = %q", doc.Title)
	}
	var names []string
	for _, a := range doc.Authors {
		names = append(names, a.Full)
	}
	if got := strings.Join(names, "; "); got != "Ada Lovelace; Charles Babbage; Grace Hopper" {
		t.Errorf("authors = %q", got)
	}
}
