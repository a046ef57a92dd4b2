package pdf

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/docbatch/docbatch/services/processor/extract"
	"github.com/go-pdf/fpdf"
)

// line is one line of a generated page: text at a font size in points.
type line struct {
	text string
	size float64
}

func makeStyledPDF(t testing.TB, title string, lines []line) []byte {
	t.Helper()
	doc := fpdf.New("P", "mm", "A4", "")
	if title != "" {
		doc.SetTitle(title, true)
	}
	doc.AddPage()
	for _, l := range lines {
		doc.SetFont("Helvetica", "", l.size)
		doc.CellFormat(0, l.size*0.6, l.text, "", 1, "L", false, 0, "")
	}
	var buf bytes.Buffer
	if err := doc.Output(&buf); err != nil {
		t.Fatalf("writing test PDF: %v", err)
	}
	return buf.Bytes()
}

var body = []line{
	{"Ada Lovelace, Charles Babbage and Grace Hopper", 11},
	{"Abstract", 11},
	{"We measure things that are worth measuring, carefully and twice.", 10},
	{"Our results hold on every corpus we tried and on some we did not.", 10},
	{"1. Introduction", 11},
	{"Measuring is hard, and this paragraph is the body text of the page.", 10},
	{"It goes on for a while so that the body outweighs the header lines.", 10},
}

func TestHeaderLargestRun(t *testing.T) {
	lines := append([]line{
		{"Journal of Testing 2024; 12:1-9 https://doi.org/10.1234/jt.5", 8},
		{"Research Article", 9},
		{"Large Font Titles Are", 20},
		{"Easy to Find", 20},
	}, body...)
	data := makeStyledPDF(t, "", lines)
	_, h, err := shared.PageTextsHeader(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Large Font Titles Are Easy to Find"; h.LargestRun != want {
		t.Errorf("LargestRun = %q, want %q", h.LargestRun, want)
	}
	if h.LargestSize < 19.5 || h.LargestSize > 20.5 {
		t.Errorf("LargestSize = %v, want 20", h.LargestSize)
	}
	if h.MetaTitle != "" {
		t.Errorf("MetaTitle = %q, want empty", h.MetaTitle)
	}

	doc, err := extract.Extract(context.Background(), bytes.NewReader(data), "x.pdf", extract.Options{PDF: shared})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "Large Font Titles Are Easy to Find" {
		t.Errorf("extracted title = %q", doc.Title)
	}
	var names []string
	for _, a := range doc.Authors {
		names = append(names, a.Full)
	}
	if got := strings.Join(names, "; "); got != "Ada Lovelace; Charles Babbage; Grace Hopper" {
		t.Errorf("authors = %q", got)
	}
}

func TestHeaderMetaTitle(t *testing.T) {
	// One font size throughout: no layout signal, so the Info title wins
	// over the first line of the page.
	lines := []line{{"Journal of Testing 2024; 12:1-9", 10}, {"A note on things", 10}}
	for _, l := range body {
		lines = append(lines, line{l.text, 10})
	}
	data := makeStyledPDF(t, "Metadata Titles Are a Fallback", lines)
	_, h, err := shared.PageTextsHeader(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	if h.LargestRun != "" {
		t.Errorf("LargestRun = %q, want empty for a page in one size", h.LargestRun)
	}
	if h.MetaTitle != "Metadata Titles Are a Fallback" {
		t.Errorf("MetaTitle = %q", h.MetaTitle)
	}
	lazy := Lazy(Options{CompilationCacheDir: cacheDir})
	defer lazy.Close()
	doc, err := extract.Extract(context.Background(), bytes.NewReader(data), "x.pdf", extract.Options{PDF: lazy})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Title != "Metadata Titles Are a Fallback" {
		t.Errorf("extracted title = %q", doc.Title)
	}
}

func TestPickLargestRun(t *testing.T) {
	var chars []rune
	var sizes []float64
	add := func(s string, size float64) {
		for _, r := range s {
			chars = append(chars, r)
			if isRunSeparator(r) {
				sizes = append(sizes, 0)
			} else {
				sizes = append(sizes, size)
			}
		}
	}
	add("W", 40) // drop cap: ignored
	add("ide body text comes first here and is long enough\r\n", 10)
	add("Title of the\r\nPaper", 18)
	add("*", 9) // footnote mark inside the title
	add(" Continues\r\n", 18)
	add("Author One, Author Two and more body text that goes on and on\r\n", 10)
	add("Journal Name Set Large", 18) // same size, far away: not the title
	got, size := pickLargestRun(chars, sizes)
	if got != "Title of the Paper Continues" || size != 18 {
		t.Errorf("pickLargestRun = %q, %v", got, size)
	}
}
