package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func extractString(t *testing.T, name, in string) *Document {
	t.Helper()
	doc, err := Extract(context.Background(), strings.NewReader(in), name, Options{MaxBytes: 1 << 20})
	if err != nil {
		t.Fatalf("Extract(%s): %v", name, err)
	}
	return doc
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name, head, file string
		want             Format
	}{
		{"pdf", "%PDF-1.7\n%\xe2\xe3", "", FormatPDF},
		{"jats", `<?xml version="1.0"?><!DOCTYPE article PUBLIC "-//NLM//DTD JATS"><article><front/></article>`, "", FormatJATS},
		{"tei", `<?xml version="1.0"?><TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader/></TEI>`, "", FormatTEI},
		{"html doctype", "<!DOCTYPE html><html><body>x</body></html>", "", FormatHTML},
		{"html fragment", "<div><p>hello</p></div>", "", FormatHTML},
		{"markdown heading", "# A Title\n\nJane Doe\n", "", FormatMarkdown},
		{"markdown constructs", "Intro\n\n## Methods\n\n- a\n- b\n\n[link](http://x)\n", "", FormatMarkdown},
		{"text", "A plain title\n\nSome text here.\n", "", FormatText},
		{"text named md", "plain words\n", "notes.md", FormatMarkdown},
		{"binary", "\x00\x01\x02\x03\xff\xfe", "", FormatUnknown},
		{"other xml", `<?xml version="1.0"?><svg></svg>`, "", FormatUnknown},
		{"cut rune", "caf\xc3", "", FormatText},
	}
	for _, tt := range tests {
		if got := Detect([]byte(tt.head), tt.file); got != tt.want {
			t.Errorf("%s: Detect = %q, want %q", tt.name, got, tt.want)
		}
	}
}

const jatsFixture = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.1 20151215//EN" "JATS-archivearticle1.dtd">
<article xmlns:xlink="http://www.w3.org/1999/xlink" article-type="research-article">
<front>
 <journal-meta><journal-title-group><journal-title>Journal of Tests</journal-title></journal-title-group></journal-meta>
 <article-meta>
  <article-id pub-id-type="doi">10.1234/jot.2020.001</article-id>
  <title-group><article-title>Streaming <italic>parsers</italic> for ﬁne documents</article-title></title-group>
  <contrib-group>
   <contrib contrib-type="author"><contrib-id contrib-id-type="orcid">https://orcid.org/0000-0002-1825-0097</contrib-id>
    <name><surname>Doe</surname><given-names>Jane A</given-names></name><xref ref-type="aff" rid="a1"/></contrib>
   <contrib contrib-type="author"><collab>The Test Consortium<contrib-group><contrib><name><surname>Member</surname></name></contrib></contrib-group></collab></contrib>
   <contrib contrib-type="editor"><name><surname>Editor</surname><given-names>E</given-names></name></contrib>
   <aff id="a1"><label>1</label>Dept of Testing, Example University</aff>
  </contrib-group>
  <pub-date pub-type="collection"><year>2021</year></pub-date>
  <pub-date pub-type="epub"><day>1</day><year>2020</year></pub-date>
  <abstract><object-id>10.1234/x.001</object-id><p>We parse things.</p></abstract>
  <abstract abstract-type="executive-summary"><title>Digest</title><p>Plain words.</p></abstract>
  <kwd-group><kwd>parsing</kwd><kwd>XML</kwd></kwd-group>
 </article-meta>
</front>
<body>
 <sec><title>Introduction</title><p>Intro text with a cite (<xref ref-type="bibr" rid="b1">Smith, 2019</xref>).</p></sec>
 <sec><title>Methods</title><p>Method text.</p><sec><title>Sub</title><p>Deeper.</p></sec></sec>
</body>
<back><ref-list>
 <ref id="b1"><element-citation publication-type="journal"><person-group person-group-type="author">
   <name><surname>Smith</surname><given-names>AB</given-names></name><name><surname>Jones</surname><given-names>C</given-names></name><etal/></person-group>
   <person-group person-group-type="editor"><name><surname>Ed</surname><given-names>X</given-names></name></person-group>
   <year>2019a</year><article-title>A study of things</article-title><source>Nature</source><volume>5</volume><fpage>10</fpage><lpage>20</lpage>
   <pub-id pub-id-type="doi">10.1038/nature.123</pub-id></element-citation></ref>
 <ref id="b2"><element-citation publication-type="book"><person-group person-group-type="author"><collab>WHO</collab></person-group>
   <year>2010</year><source>Big Book of Health</source><publisher-name>WHO Press</publisher-name></element-citation></ref>
 <ref id="b3"><label>3</label><mixed-citation publication-type="journal"><string-name><surname>Lee</surname> <given-names>K</given-names></string-name>. <article-title>Mixed title</article-title>. <source>Cell</source>. <year>2001</year>;<volume>7</volume>:<fpage>1</fpage>–<lpage>9</lpage>. doi: 10.1016/j.cell.2001.1.</mixed-citation></ref>
 <ref id="b4"><mixed-citation>Brown T, Green G. Untagged reference. Science. 2005;300(1):5-6.</mixed-citation></ref>
</ref-list></back>
<sub-article><front-stub><title-group><article-title>Decision letter</article-title></title-group></front-stub></sub-article>
</article>`

func TestExtractJATS(t *testing.T) {
	doc := extractString(t, "a.xml", jatsFixture)
	if doc.Format != FormatJATS {
		t.Fatalf("format %q", doc.Format)
	}
	check := func(field, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	check("title", doc.Title, "Streaming parsers for fine documents") // NFKC: ﬁ → fi
	check("doi", doc.DOI, "10.1234/jot.2020.001")
	check("venue", doc.Venue, "Journal of Tests")
	check("abstract", doc.Abstract, "We parse things.")
	if doc.Year != 2020 {
		t.Errorf("year = %d, want 2020 (epub preferred)", doc.Year)
	}
	if len(doc.Authors) != 2 {
		t.Fatalf("authors = %+v", doc.Authors)
	}
	a := doc.Authors[0]
	check("author0", a.Full, "Jane A Doe")
	check("orcid", a.ORCID, "0000-0002-1825-0097")
	check("aff", a.Affiliation, "Dept of Testing, Example University")
	check("author1", doc.Authors[1].Full, "The Test Consortium")
	if strings.Join(doc.Keywords, "|") != "parsing|XML" {
		t.Errorf("keywords %q", doc.Keywords)
	}
	if !strings.Contains(doc.Text, "Intro text with a cite (Smith, 2019).") || strings.Contains(doc.Text, "Decision") {
		t.Errorf("text %q", doc.Text)
	}
	if len(doc.Sections) != 3 {
		t.Fatalf("sections %+v", doc.Sections)
	}
	for _, s := range doc.Sections {
		if !strings.HasPrefix(doc.Text[s.Start:s.End], s.Heading) {
			t.Errorf("section %q spans %q", s.Heading, doc.Text[s.Start:s.End])
		}
	}
	if len(doc.References) != 4 {
		t.Fatalf("refs %+v", doc.References)
	}
	r := doc.References[0]
	if strings.Join(r.Authors, "|") != "AB Smith|C Jones" || r.Title != "A study of things" || r.Venue != "Nature" ||
		r.Year != 2019 || r.Volume != "5" || r.Pages != "10-20" || r.DOI != "10.1038/nature.123" {
		t.Errorf("ref0 %+v", r)
	}
	if r := doc.References[1]; r.Title != "Big Book of Health" || r.Venue != "" || strings.Join(r.Authors, "|") != "WHO" {
		t.Errorf("book ref %+v", r)
	}
	r = doc.References[2]
	if r.Index != 3 || r.Title != "Mixed title" || r.DOI != "10.1016/j.cell.2001.1" || r.Raw != "Lee K. Mixed title. Cell. 2001;7:1–9. doi: 10.1016/j.cell.2001.1." {
		t.Errorf("mixed ref %+v", r)
	}
	r = doc.References[3]
	if r.Title != "Untagged reference" || r.Year != 2005 || r.Venue != "Science" || r.Volume != "300" || r.Pages != "5-6" {
		t.Errorf("untagged ref %+v", r)
	}
}

func TestExtractErrors(t *testing.T) {
	deep := strings.Repeat("<sec>", 300)
	tests := []struct {
		name, in string
		opts     Options
		want     error
		msg      string
	}{
		{"empty", "", Options{}, ErrEmpty, ""},
		{"blank", " \n\t", Options{}, ErrEmpty, ""},
		{"too large", strings.Repeat("a", 101), Options{MaxBytes: 100}, ErrTooLarge, "100 bytes"},
		{"binary", "\x00\x01\x02\x03", Options{}, ErrUnsupportedFormat, ""},
		{"pdf without engine", "%PDF-1.4\n", Options{}, ErrUnsupportedFormat, "pdf"},
		{"truncated xml", `<?xml version="1.0"?><article><front><article-meta><title-group>`, Options{}, ErrMalformed, "line 1"},
		{"deep xml", `<?xml version="1.0"?><article>` + deep, Options{}, ErrMalformed, "nesting deeper than 256"},
		{"bad xml", `<?xml version="1.0"?><article><front></article>`, Options{}, ErrMalformed, "line"},
	}
	for _, tt := range tests {
		_, err := Extract(context.Background(), strings.NewReader(tt.in), "", tt.opts)
		if !errors.Is(err, tt.want) || !strings.Contains(fmtErr(err), tt.msg) {
			t.Errorf("%s: err = %v, want %v containing %q", tt.name, err, tt.want, tt.msg)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Extract(ctx, strings.NewReader("x"), "", Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

type fakePDF struct {
	pages []string
	err   error
}

func (f fakePDF) PageTexts(context.Context, []byte) ([]string, error) { return f.pages, f.err }

func TestExtractPDF(t *testing.T) {
	pages := []string{
		"Journal of Examples 12 (2020) 1-9\nResearch Article\nA Careful Study of Heuristic\x02\nExtraction\nAlice Smith1, Bob Jones2,*\n1 Univ A\nhttps://doi.org/10.5555/ex.2020.7.\nAbstract\nWe study extraction.\n\n1. Introduction\nText.\n3",
		"Journal of Examples 12 (2020) 1-9\nMore body text.\n4",
		"Journal of Examples 12 (2020) 1-9\nReferences\n[1] A. Author, B. Author. Title one. Venue, 12(3):45-67, 2019.\n[2] C. Writer. Title two. Other\nVenue, 3:1-2, 2018.\n5",
	}
	doc, err := Extract(context.Background(), strings.NewReader("%PDF-1.7\n"), "x.pdf", Options{PDF: fakePDF{pages: pages}})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Pages != 3 || doc.Title != "A Careful Study of Heuristic Extraction" && doc.Title != "A Careful Study of HeuristicExtraction" {
		t.Errorf("pages %d title %q", doc.Pages, doc.Title)
	}
	if strings.Contains(doc.Text, "Journal of Examples") {
		t.Errorf("running header kept: %q", doc.Text)
	}
	if len(doc.Authors) != 2 || doc.Authors[1].Full != "Bob Jones" || doc.DOI != "10.5555/ex.2020.7" || doc.Abstract != "We study extraction." {
		t.Errorf("authors %+v doi %q abstract %q", doc.Authors, doc.DOI, doc.Abstract)
	}
	if len(doc.References) != 2 || doc.References[1].Venue != "Other Venue" || doc.References[1].Year != 2018 {
		t.Errorf("refs %+v", doc.References)
	}
	_, err = Extract(context.Background(), strings.NewReader("%PDF-1.7\n"), "", Options{PDF: fakePDF{err: errors.New("bad xref")}})
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "bad xref") {
		t.Errorf("engine error: %v", err)
	}
}

func TestExtractText(t *testing.T) {
	in := `Research Article

Graph Methods for Citation
Networks in Practice

Maria Garcia1, Li Wei2 and Ann Lee1*

1 Department of Things
doi: 10.7777/abc.123.
© 2017 The Authors

Abstract
Citation networks are useful. We show
how to build them.

Keywords: graphs; citations

1 Introduction
Body text mentions references in passing.

References
Smith, J. A., & Doe, B. (2019). Graph things. Journal of Graphs, 12(3), 45–67. https://doi.org/10.1000/xyz.1
Brown C, White D (2010) Another title. Net Sci 4:1–10.
`
	doc := extractString(t, "paper.txt", in)
	if doc.Format != FormatText || doc.Title != "Graph Methods for Citation Networks in Practice" {
		t.Errorf("format %q title %q", doc.Format, doc.Title)
	}
	var names []string
	for _, a := range doc.Authors {
		names = append(names, a.Full)
	}
	if strings.Join(names, "|") != "Maria Garcia|Li Wei|Ann Lee" {
		t.Errorf("authors %q", names)
	}
	if doc.DOI != "10.7777/abc.123" || doc.Year != 2017 || doc.Abstract != "Citation networks are useful. We show how to build them." {
		t.Errorf("doi %q year %d abstract %q", doc.DOI, doc.Year, doc.Abstract)
	}
	if strings.Join(doc.Keywords, "|") != "graphs|citations" {
		t.Errorf("keywords %q", doc.Keywords)
	}
	if len(doc.References) != 2 {
		t.Fatalf("refs %+v", doc.References)
	}
	if r := doc.References[0]; r.Title != "Graph things" || r.DOI != "10.1000/xyz.1" || r.Year != 2019 {
		t.Errorf("ref0 %+v", r)
	}
	found := false
	for _, s := range doc.Sections {
		if s.Heading == "1 Introduction" && strings.HasPrefix(doc.Text[s.Start:s.End], "1 Introduction") {
			found = true
		}
	}
	if !found {
		t.Errorf("sections %+v", doc.Sections)
	}
}

func TestExtractHTML(t *testing.T) {
	in := `<!DOCTYPE html><html><head><title>Site | Paper</title>
<meta name="citation_title" content="Meta Title">
<meta name="citation_author" content="Doe, Jane"><meta name="citation_author_institution" content="Uni X">
<meta name="citation_author" content="John Roe">
<meta name="citation_doi" content="doi:10.1111/meta.1">
<meta name="citation_publication_date" content="2018/05/01">
<meta name="citation_journal_title" content="Meta Journal">
<meta name="citation_keywords" content="a; b">
<style>body{}</style><script>var x = "<h2>References</h2>";</script></head>
<body><h1>Visible Title</h1><p>Body &amp; text.</p>
<h2>References</h2><ol><li>Smith J, Doe A. First ref. Nature. 2001;1(2):3-4.</li><li>Roe R (2002) Second ref. Cell 5:6–7.</li></ol>
<h2>Appendix</h2><p>Not a reference.</p></body></html>`
	doc := extractString(t, "", in)
	if doc.Format != FormatHTML || doc.Title != "Meta Title" || doc.DOI != "10.1111/meta.1" || doc.Year != 2018 || doc.Venue != "Meta Journal" {
		t.Errorf("%+v", doc)
	}
	if len(doc.Authors) != 2 || doc.Authors[0].Full != "Jane Doe" || doc.Authors[0].Affiliation != "Uni X" {
		t.Errorf("authors %+v", doc.Authors)
	}
	if strings.Contains(doc.Text, "var x") || !strings.Contains(doc.Text, "Body & text.") {
		t.Errorf("text %q", doc.Text)
	}
	if len(doc.References) != 2 || doc.References[0].Title != "First ref" || doc.References[1].Year != 2002 {
		t.Errorf("refs %+v", doc.References)
	}
	doc = extractString(t, "", `<html><head><title>T Tag</title></head><body><h1>H One</h1></body></html>`)
	if doc.Title != "H One" {
		t.Errorf("fallback title %q", doc.Title)
	}
}

func TestExtractMarkdown(t *testing.T) {
	in := "# A *Markdown* Paper\n\nJane Doe, John Roe\n\nDOI: https://doi.org/10.4242/md.9).\n\n## Introduction\n\nSome **bold** text.\n\n## References\n\n1. Doe J, Roe J. Thing one. J Things. 2020;1:1-2.\n2. Roe J. Thing two. J Things. 2021;2:3-4.\n"
	doc := extractString(t, "", in)
	if doc.Format != FormatMarkdown || doc.Title != "A Markdown Paper" || doc.DOI != "10.4242/md.9" {
		t.Errorf("format %q title %q doi %q", doc.Format, doc.Title, doc.DOI)
	}
	if len(doc.Authors) != 2 || doc.Authors[1].Family != "Roe" {
		t.Errorf("authors %+v", doc.Authors)
	}
	if len(doc.References) != 2 || doc.References[1].Title != "Thing two" || doc.References[1].Year != 2021 {
		t.Errorf("refs %+v", doc.References)
	}
	fm := "---\ntitle: \"Front Matter Title\"\nauthors:\n  - Ann Lee\n  - Bo Kim\ndoi: 10.1000/fm\ndate: 2022-01-02\n---\n\nBody.\n"
	doc = extractString(t, "", fm)
	if doc.Title != "Front Matter Title" || len(doc.Authors) != 2 || doc.DOI != "10.1000/fm" || doc.Year != 2022 {
		t.Errorf("front matter %+v", doc)
	}
}

func TestExtractTEI(t *testing.T) {
	in := `<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc>
<titleStmt><title level="a" type="main">TEI Title</title></titleStmt>
<publicationStmt><date type="published" when="2015-03-01">2015</date></publicationStmt>
<sourceDesc><biblStruct><analytic>
 <author><persName><forename type="first">Ada</forename><forename type="middle">B</forename><surname>King</surname></persName>
  <affiliation><orgName type="institution">Lab</orgName></affiliation></author>
 <idno type="DOI">10.9999/tei.5</idno></analytic>
 <monogr><title level="j">TEI Journal</title><imprint/></monogr></biblStruct></sourceDesc></fileDesc>
<profileDesc><abstract><p>Short abstract.</p></abstract><textClass><keywords><term>one</term><term>two</term></keywords></textClass></profileDesc>
</teiHeader><text><body><div><head>Intro</head><p>Hello body.</p></div></body>
<back><div type="references"><listBibl>
<biblStruct><analytic><title level="a">Ref title</title><author><persName><forename>J</forename><surname>Roe</surname></persName></author></analytic>
<monogr><title level="j">Ref J</title><imprint><biblScope unit="volume">3</biblScope><biblScope unit="page" from="5" to="9"/><date when="1999"/></imprint></monogr>
<idno type="DOI">10.1/ref</idno></biblStruct>
</listBibl></div></back></text></TEI>`
	doc := extractString(t, "x.tei.xml", in)
	if doc.Format != FormatTEI || doc.Title != "TEI Title" || doc.DOI != "10.9999/tei.5" || doc.Year != 2015 || doc.Venue != "TEI Journal" || doc.Abstract != "Short abstract." {
		t.Errorf("%+v", doc)
	}
	if len(doc.Authors) != 1 || doc.Authors[0].Full != "Ada B King" || doc.Authors[0].Affiliation != "Lab" {
		t.Errorf("authors %+v", doc.Authors)
	}
	if len(doc.Sections) != 1 || doc.Sections[0].Heading != "Intro" {
		t.Errorf("sections %+v", doc.Sections)
	}
	want := Reference{Index: 1, Authors: []string{"J Roe"}, Title: "Ref title", Venue: "Ref J", Year: 1999, Volume: "3", Pages: "5-9", DOI: "10.1/ref"}
	if len(doc.References) != 1 || !refEqual(doc.References[0], want) {
		t.Errorf("refs %+v", doc.References)
	}
}

func refEqual(a, b Reference) bool {
	return a.Index == b.Index && strings.Join(a.Authors, "|") == strings.Join(b.Authors, "|") && a.Title == b.Title &&
		a.Venue == b.Venue && a.Year == b.Year && a.Volume == b.Volume && a.Pages == b.Pages && a.DOI == b.DOI
}

// streamPDF is a PDFStreamSource that reads the whole stream (a real
// engine must, to parse it) and records what it got.
type streamPDF struct {
	fakePDF
	got    []byte
	gotErr error
}

func (s *streamPDF) PageTextsTitlesFrom(_ context.Context, r io.Reader, size int64) ([]string, string, string, error) {
	s.got, s.gotErr = io.ReadAll(io.LimitReader(r, size))
	if s.gotErr != nil {
		return nil, "", "", s.gotErr
	}
	if int64(len(s.got)) < size {
		return nil, "", "", io.ErrUnexpectedEOF
	}
	return s.pages, "", "", s.err
}

// countingBuffers counts the buffers Extract borrows.
type countingBuffers struct{ gets, puts int }

func (c *countingBuffers) Get(n int) []byte { c.gets++; return make([]byte, 0, n) }
func (c *countingBuffers) Put([]byte)       { c.puts++ }

func TestExtractPDFStream(t *testing.T) {
	// More than the sniffed head, so the stream is head + rest.
	input := "%PDF-1.7\n" + strings.Repeat("% filler\n", 4000)
	pages := []string{"A Streamed Paper About Things\n\nJane Doe\n\nAbstract\nIt streams.\n"}

	t.Run("streamed whole, no buffer borrowed", func(t *testing.T) {
		src := &streamPDF{fakePDF: fakePDF{pages: pages}}
		bufs := &countingBuffers{}
		doc, err := Extract(context.Background(), strings.NewReader(input), "s.pdf", Options{PDF: src, Size: int64(len(input)), Buffers: bufs})
		require.NoError(t, err)
		require.Equal(t, input, string(src.got))
		require.Equal(t, FormatPDF, doc.Format)
		require.Equal(t, 1, doc.Pages)
		require.Equal(t, "A Streamed Paper About Things", doc.Title)
		require.Zero(t, bufs.gets, "a streamed PDF needs no read buffer")
	})
	t.Run("other formats borrow and return a buffer", func(t *testing.T) {
		bufs := &countingBuffers{}
		md := "# A Markdown Paper\n\nJane Doe\n\nBody.\n"
		_, err := Extract(context.Background(), strings.NewReader(md), "p.md", Options{PDF: &streamPDF{}, Size: int64(len(md)), Buffers: bufs})
		require.NoError(t, err)
		require.Equal(t, 1, bufs.gets)
		require.Equal(t, 1, bufs.puts)
	})
	t.Run("unknown size is buffered", func(t *testing.T) {
		src := &streamPDF{fakePDF: fakePDF{pages: pages}}
		doc, err := Extract(context.Background(), strings.NewReader(input), "s.pdf", Options{PDF: src})
		require.NoError(t, err)
		require.Nil(t, src.got, "not streamed")
		require.Equal(t, 1, doc.Pages)
	})
	t.Run("over the limit is refused, not streamed", func(t *testing.T) {
		src := &streamPDF{fakePDF: fakePDF{pages: pages}}
		_, err := Extract(context.Background(), strings.NewReader(input), "s.pdf", Options{PDF: src, Size: int64(len(input)), MaxBytes: 1000})
		require.ErrorIs(t, err, ErrTooLarge)
		require.Nil(t, src.got)
	})
	t.Run("a failing input is a read error, not a malformed PDF", func(t *testing.T) {
		disk := errors.New("input/output error")
		r := io.MultiReader(strings.NewReader(input), iotest.ErrReader(disk))
		_, err := Extract(context.Background(), r, "s.pdf", Options{PDF: &streamPDF{fakePDF: fakePDF{pages: pages}}, Size: int64(len(input)) + 10})
		require.ErrorIs(t, err, disk)
		require.NotErrorIs(t, err, ErrMalformed)
		require.Contains(t, err.Error(), "extract: read:")
	})
	t.Run("an input shorter than its size is a read error", func(t *testing.T) {
		_, err := Extract(context.Background(), strings.NewReader(input), "s.pdf", Options{PDF: &streamPDF{fakePDF: fakePDF{pages: pages}}, Size: int64(len(input)) + 10})
		require.NotErrorIs(t, err, ErrMalformed)
		require.ErrorContains(t, err, fmt.Sprintf("extract: read: the input ended after %d of its %d bytes", len(input), len(input)+10))
	})
	t.Run("an engine that reads too little", func(t *testing.T) {
		lazy := lazyPDF{pages: pages}
		_, err := Extract(context.Background(), strings.NewReader(input), "s.pdf", Options{PDF: lazy, Size: int64(len(input))})
		require.ErrorContains(t, err, fmt.Sprintf("the PDF engine read 0 of %d bytes", len(input)))
	})
}

// lazyPDF claims success without reading its input.
type lazyPDF struct{ pages []string }

func (l lazyPDF) PageTexts(context.Context, []byte) ([]string, error) { return l.pages, nil }
func (l lazyPDF) PageTextsTitlesFrom(context.Context, io.Reader, int64) ([]string, string, string, error) {
	return l.pages, "", "", nil
}
