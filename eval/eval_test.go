package eval

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docbatch/docbatch/corpus"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"  The  Quick\tBrown\nFox. ":           "the quick brown fox",
		"Ｆｕｌｌｗｉｄｔｈ":                            "fullwidth",
		"micro-\nscopy of cells":               "microscopy of cells",
		"soft\u00adhyphen":                     "softhyphen",
		"people\u2010centered — “quoted” word": `people-centered - "quoted" word`,
		"Straße":              "strasse",
		"(Title in brackets)": "title in brackets",
		"":                    "",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{
		"https://doi.org/10.1000/ABC.":      "10.1000/abc",
		"doi:10.1000/xyz":                   "10.1000/xyz",
		"http://dx.doi.org/10.5/Q)":         "10.5/q",
		" 10.1002/(SICI)1097-0061<1::AID> ": "10.1002/(sici)1097-0061<1::aid>",
	} {
		if got := NormalizeDOI(in); got != want {
			t.Errorf("NormalizeDOI(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNames(t *testing.T) {
	for in, want := range map[string]nameKey{
		"Smith, C. J.":          {"smith", 'c'},
		"Smith CJ":              {"smith", 'c'},
		"C. J. Smith":           {"smith", 'c'},
		"van der Berg AB":       {"berg", 'a'},
		"A le Roux":             {"roux", 'a'},
		"Díaz J":                {"díaz", 'j'},
		"The ENCODE Consortium": {"consortium", 't'},
	} {
		if got := keyOf(ParseName(in)); got != want {
			t.Errorf("keyOf(ParseName(%q)) = %+v, want %+v", in, got, want)
		}
	}
	// The extractor promises "Given Family": a short capitalised family
	// name is not mistaken for initials there.
	if got := keyOf(splitFull("N XU")); got != (nameKey{"xu", 'n'}) {
		t.Errorf("splitFull(N XU) key = %+v", got)
	}
	gold := keys([]Name{{"Anna", "Lee"}, {"Bo", "Lee"}, {"", "Kim"}})
	pred := keys([]Name{{"B.", "Lee"}, {"A", "Lee"}, {"J", "Kim"}, {"X", "Extra"}})
	m := matchNames(gold, pred)
	if m[0] != 1 || m[1] != 0 || m[2] != 2 {
		t.Errorf("matchNames = %v, want [1 0 2]", m)
	}
}

func TestTitleSimilarity(t *testing.T) {
	a := Normalize("Effects of roads on terrestrial vertebrate species in Latin America")
	if s := titleSimilarity(a, Normalize("Effects of roads on terrestrial vertebrate species in Latin Amer- ica")); s < 0.9 {
		t.Errorf("broken word: similarity %.3f < 0.9", s)
	}
	if s := titleSimilarity(a, Normalize("A completely different paper about fish")); s >= 0.9 {
		t.Errorf("different titles: similarity %.3f >= 0.9", s)
	}
}

func sampleRecord() Record {
	return Record{
		Title:   "A Study of Things",
		Authors: []Name{{"Ada", "Lovelace"}, {"Charles", "Babbage"}},
		DOI:     "10.1000/study",
		Year:    2020,
		References: []Ref{
			{Title: "First cited work", Authors: []Name{{"J", "Smith"}}, Year: 2001, Venue: "Nature", DOI: "10.1/a"},
			{Title: "Second cited work on several topics", Authors: []Name{{"K", "Jones"}, {"L", "Wu"}}, Year: 2002, Venue: "Cell"},
			{Title: "Third cited work", Authors: []Name{{"M", "Brown"}}, Year: 2003, Venue: "Science", DOI: "10.1/c"},
		},
	}
}

func TestComparePerfect(t *testing.T) {
	g := sampleRecord()
	s := compare("x", g, g, nil)
	for name, c := range map[string]Counts{"title": s.title, "author": s.author, "doi": s.doi, "year": s.year} {
		if sc := c.Score(); sc.F1 != 1 || sc.Precision != 1 || sc.Recall != 1 {
			t.Errorf("%s: %+v, want 1.0", name, sc)
		}
	}
	if s.matched != 3 || s.goldRefs != 3 {
		t.Errorf("matched %d of %d refs, want 3 of 3", s.matched, s.goldRefs)
	}
	for f := range nRefFields {
		if sc := s.refField[f].Score(); sc.F1 != 1 {
			t.Errorf("ref %s: %+v", refFieldNames[f], sc)
		}
	}
}

func TestCompareErrors(t *testing.T) {
	g := sampleRecord()
	p := sampleRecord()
	p.Title = "A Study of Other Things"                    // wrong: FP and FN
	p.DOI = "HTTPS://DOI.ORG/10.1000/STUDY"                // same after normalisation
	p.Year = 0                                             // missing: FN only
	p.Authors = []Name{{"A.", "Lovelace"}, {"X", "Extra"}} // one right, one wrong, one missed
	p.References = []Ref{
		// Same DOI, garbled title: matched by DOI; title and venue wrong.
		{Title: "Frist cited wrok garbled beyond repair", Authors: []Name{{"J", "Smith"}}, Year: 2001, Venue: "Nature 12, 3", DOI: "10.1/A"},
		// No DOI in gold: matched by a title one character off.
		{Title: "Second cited work on several topic", Authors: []Name{{"K", "Jones"}, {"L", "Wu"}}, Year: 2002, Venue: "Cell"},
		// The third is missing; a spurious one is extra.
		{Title: "Not in the gold at all", Year: 1999},
	}
	var diff strings.Builder
	s := compare("doc", g, p, &diff)
	if s.title != (Counts{0, 1, 1}) {
		t.Errorf("title counts %+v, want {0 1 1}", s.title)
	}
	if s.doi != (Counts{1, 0, 0}) {
		t.Errorf("doi counts %+v, want {1 0 0}", s.doi)
	}
	if s.year != (Counts{0, 0, 1}) {
		t.Errorf("year counts %+v, want {0 0 1}", s.year)
	}
	if s.author != (Counts{1, 1, 1}) {
		t.Errorf("author counts %+v, want {1 1 1}", s.author)
	}
	if s.matched != 2 || s.goldRefs != 3 || s.predRefs != 3 {
		t.Errorf("refs matched %d gold %d pred %d, want 2 3 3", s.matched, s.goldRefs, s.predRefs)
	}
	if got := s.refField[refTitle]; got != (Counts{0, 2, 2}) {
		t.Errorf("ref title counts %+v, want {0 2 2}", got)
	}
	if got := s.refField[refVenue]; got != (Counts{1, 1, 1}) {
		t.Errorf("ref venue counts %+v, want {1 1 1}", got)
	}
	if got := s.refField[refDOI]; got != (Counts{1, 0, 0}) {
		t.Errorf("ref doi counts %+v, want {1 0 0}", got)
	}
	// Unmatched: the missed third (5 fields) and the spurious one (title, year).
	all := s.refFieldAll[refTitle]
	if all != (Counts{0, 3, 3}) {
		t.Errorf("ref title counts over all refs %+v, want {0 3 3}", all)
	}
	for _, want := range []string{"doc\ttitle", "doc\tyear", "doc\tauthors", "doc\tref-missed\t#3", "doc\tref-spurious"} {
		if !strings.Contains(diff.String(), want) {
			t.Errorf("diff lacks %q:\n%s", want, diff.String())
		}
	}
	// 0 TP, 1 FP, 1 FN: F1 0; the score of an empty field is 1.
	if sc := s.title.Score(); sc.F1 != 0 {
		t.Errorf("title F1 %v", sc.F1)
	}
	if sc := (Counts{}).Score(); sc.F1 != 1 {
		t.Errorf("empty F1 %v", sc.F1)
	}
}

// TestCompareHeaderFields checks the counting of venue, abstract,
// keywords, ORCID and affiliation: equal after normalisation is a true
// positive, a wrong value a false positive and a false negative, a missing
// one a false negative, and where the gold has nothing nothing is counted.
func TestCompareHeaderFields(t *testing.T) {
	g := Record{
		Title:    "T",
		Venue:    "Journal of Tests",
		Abstract: "We measured (p = 0.01) the things.\n\nThey were big.",
		Keywords: []string{"Parsing", "XML", "streams", "xml"},
	}
	g.addAuthor(Name{"Ada", "Lovelace"}, "https://orcid.org/0000-0002-1825-009X", "Dept A, Univ B")
	g.addAuthor(Name{"Charles", "Babbage"}, "", "")                     // no ORCID, no affiliation: not counted
	g.addAuthor(Name{"Alan", "Turing"}, "0000-0001-5109-3700", "Lab C") // wrong ORCID, wrong affiliation
	g.addAuthor(Name{"Grace", "Hopper"}, "0000-0003-0000-0001", "Navy") // not found: both missed
	p := Record{
		Title:    "T",
		Venue:    "JOURNAL OF TESTS.",
		Abstract: "We measured (p=0.01) the things. They were big.", // white space only
		Keywords: []string{"parsing", "xml", "Trees"},
	}
	p.addAuthor(Name{"A.", "Lovelace"}, "0000-0002-1825-0091", "dept a, univ b")
	p.addAuthor(Name{"C", "Babbage"}, "0000-0000-0000-0000", "Somewhere")
	p.addAuthor(Name{"A", "Turing"}, "0000-0001-5109-3701", "Lab D")
	var diff strings.Builder
	s := compare("doc", g, p, &diff)
	for name, c := range map[string]struct{ got, want Counts }{
		"venue":       {s.venue, Counts{1, 0, 0}},
		"abstract":    {s.abstract, Counts{1, 0, 0}},
		"keywords":    {s.keywords, Counts{2, 1, 1}}, // parsing, xml; trees extra; streams missed
		"orcid":       {s.orcid, Counts{0, 2, 3}},    // Lovelace's has a wrong check digit
		"affiliation": {s.affiliation, Counts{1, 1, 2}},
	} {
		if c.got != c.want {
			t.Errorf("%s counts %+v, want %+v", name, c.got, c.want)
		}
	}
	for _, want := range []string{"doc\tkeywords\tmissed=[\"streams\"]\textra=[\"Trees\"]", "doc\torcid\t[Alan Turing]",
		"doc\torcid\t[Grace Hopper]", "doc\taffiliation\t[Alan Turing]"} {
		if !strings.Contains(diff.String(), want) {
			t.Errorf("diff lacks %q:\n%s", want, diff.String())
		}
	}
	if strings.Contains(diff.String(), "\t[Charles Babbage]") || strings.Contains(diff.String(), "\tvenue\t") ||
		strings.Contains(diff.String(), "\tabstract\t") {
		t.Errorf("diff has agreements or uncounted fields:\n%s", diff.String())
	}

	// The right ORCID in another spelling; a wrong venue and abstract, a
	// missing keyword list.
	p.ORCIDs[0] = "0000-0002-1825-009x"
	p.Venue = "Journal of Other Tests"
	p.Abstract = "We measured (p=0.01) the things."
	p.Keywords = nil
	s = compare("doc", g, p, nil)
	if s.orcid != (Counts{1, 1, 2}) || s.venue != (Counts{0, 1, 1}) || s.abstract != (Counts{0, 1, 1}) || s.keywords != (Counts{0, 0, 3}) {
		t.Errorf("orcid %+v venue %+v abstract %+v keywords %+v; want {1 1 2} {0 1 1} {0 1 1} {0 0 3}", s.orcid, s.venue, s.abstract, s.keywords)
	}
	p.Abstract = ""
	if s = compare("doc", g, p, nil); s.abstract != (Counts{0, 0, 1}) {
		t.Errorf("missing abstract %+v, want {0 0 1}", s.abstract)
	}

	// Gold without any of them: nothing is counted, whatever is predicted.
	bare := Record{Title: "T", Authors: []Name{{"Ada", "Lovelace"}, {"Alan", "Turing"}}}
	s = compare("doc", bare, p, nil)
	for name, c := range map[string]Counts{"venue": s.venue, "abstract": s.abstract, "keywords": s.keywords, "orcid": s.orcid, "affiliation": s.affiliation} {
		if c != (Counts{}) {
			t.Errorf("%s counted %+v without gold", name, c)
		}
	}
}

func TestSameAbstract(t *testing.T) {
	a := Normalize("The mean temperature of the sanitary hot water was set to 50 °C, and the system ran for ten days without a fault of any kind in its pumps.")
	for _, tt := range []struct {
		pred string
		want bool
	}{
		{"The mean temperature of the sanitary hot water was set to 50 ◦C, and the system ran for ten days without a fault of any kind in its pumps.", true}, // one glyph
		{"The mean temperature of the sanitary hot water was set to 50°C , and the system ran for ten days without a fault of any kind in its pumps.", true}, // spacing
		{"The mean temperature of the sanitary hot water was set to 50 °C, and the system ran for ten days.", false},                                         // cut short
		{"The mean temperature of the sanitary hot water was set to 50 °C, and the system ran for ten days without a fault of any kind in its pumps. Received 3 May.", false},
	} {
		if got := sameAbstract(a, Normalize(tt.pred)); got != tt.want {
			t.Errorf("sameAbstract(%q) = %v, want %v", tt.pred, got, tt.want)
		}
	}
}

const jatsA = `<?xml version="1.0"?>
<!DOCTYPE article PUBLIC "-//NLM//DTD JATS (Z39.96) Journal Archiving and Interchange DTD v1.1 20151215//EN" "JATS-archivearticle1.dtd">
<article xmlns:xlink="http://www.w3.org/1999/xlink"><front><journal-meta><journal-title-group><journal-title>J Tests</journal-title></journal-title-group></journal-meta>
<article-meta><article-id pub-id-type="doi">10.5555/test.1</article-id>
<title-group><article-title>Streaming <italic>in vivo</italic> extraction</article-title></title-group>
<contrib-group><contrib contrib-type="author"><name><surname>Lovelace</surname><given-names>Ada</given-names></name></contrib>
<contrib contrib-type="author"><collab>The Test Consortium</collab></contrib></contrib-group>
<contrib-group><contrib contrib-type="editor"><name><surname>Editor</surname><given-names>Ed</given-names></name></contrib></contrib-group>
<pub-date pub-type="collection"><year>2021</year></pub-date><pub-date pub-type="epub"><year>2020</year></pub-date>
</article-meta></front><body><p>Text.</p></body>
<back><ref-list><title>References</title>
<ref id="r1"><element-citation publication-type="journal"><collab>Group One</collab><person-group person-group-type="author"><name><surname>Smith</surname><given-names>JA</given-names></name><etal/></person-group><person-group person-group-type="editor"><name><surname>Ed</surname><given-names>E</given-names></name></person-group><year>2001a</year><article-title>First work</article-title><source>Nature</source><pub-id pub-id-type="doi">10.1/A</pub-id></element-citation></ref>
<ref id="r2"><element-citation publication-type="book"><person-group person-group-type="author"><name><surname>Jones</surname><given-names>K</given-names></name></person-group><year>2002</year><source>A Book Title</source><ext-link ext-link-type="uri" xlink:href="https://doi.org/10.1234/book.b">https://doi.org/10.1234/book.b</ext-link></element-citation></ref>
</ref-list></back></article>`

const jatsB = `<?xml version="1.0"?>
<article><front><article-meta><article-id pub-id-type="doi">10.5555/test.2</article-id>
<title-group><article-title>Second article</article-title></title-group>
<contrib-group><contrib contrib-type="author"><name><surname>Babbage</surname><given-names>Charles</given-names></name></contrib></contrib-group>
<pub-date><year>2019</year></pub-date></article-meta></front>
<back><ref-list><ref id="r1"><mixed-citation publication-type="journal"><name><surname>Brown</surname><given-names>M</given-names></name>. <article-title>Third work</article-title>. <source>Science</source>. <year>2003</year>.</mixed-citation></ref></ref-list></back></article>`

// jatsC is laid out as eLife's articles are: affiliations in the
// contrib-group with labels, pointed to by xref; an ORCID URL; an abstract
// with its component DOI, then a typed digest; two keyword groups. The
// second author has an inline affiliation and no ORCID; the abstract has a
// formula.
const jatsC = `<?xml version="1.0"?>
<article xmlns:mml="http://www.w3.org/1998/Math/MathML" xmlns:xlink="http://www.w3.org/1999/xlink"><front>
<journal-meta><journal-id journal-id-type="publisher-id">eLife</journal-id><journal-title-group><journal-title>eLife</journal-title></journal-title-group></journal-meta>
<article-meta><article-id pub-id-type="doi">10.7554/eLife.00001</article-id>
<title-group><article-title>Third article</article-title></title-group>
<contrib-group><contrib contrib-type="author"><contrib-id contrib-id-type="orcid">http://orcid.org/0000-0002-1825-009x</contrib-id><name><surname>Pawlak</surname><given-names>Verena</given-names></name><xref ref-type="aff" rid="aff1"/><xref ref-type="aff" rid="aff2"/><xref ref-type="fn" rid="con1"/></contrib>
<contrib contrib-type="author"><name><surname>Kerr</surname><given-names>Jason ND</given-names></name><aff><institution>Lab</institution>, <country>France</country></aff></contrib>
<aff id="aff1"><label>1</label><institution content-type="dept">Network Imaging Group</institution>, <institution>Max Planck Institute</institution>, <addr-line><named-content content-type="city">Tübingen</named-content></addr-line>, <country>Germany</country></aff>
<aff id="aff2"><institution>Bernstein Center</institution>, <country>Germany</country></aff></contrib-group>
<contrib-group content-type="section"><contrib contrib-type="editor"><name><surname>Häusser</surname><given-names>Michael</given-names></name><aff><institution>UCL</institution></aff></contrib></contrib-group>
<pub-date date-type="pub" publication-format="electronic"><year>2013</year></pub-date>
<abstract><object-id pub-id-type="doi">10.7554/eLife.00001.001</object-id><p>Action potentials (<italic>in vivo</italic>) change; less <inline-formula><mml:math><mml:mi>C</mml:mi><mml:msub><mml:mi>O</mml:mi><mml:mn>2</mml:mn></mml:msub></mml:math></inline-formula> too.</p><p><bold>DOI:</bold> <ext-link ext-link-type="doi" xlink:href="10.7554/eLife.00001.001">http://dx.doi.org/10.7554/eLife.00001.001</ext-link></p></abstract>
<abstract abstract-type="executive-summary"><title>eLife digest</title><p>Plain words.</p></abstract>
<kwd-group kwd-group-type="author-keywords"><title>Author keywords</title><kwd>synaptic plasticity</kwd><kwd><italic>in vivo</italic></kwd></kwd-group>
<kwd-group kwd-group-type="research-organism"><title>Research organism</title><kwd>Rat</kwd></kwd-group>
</article-meta></front><body><p>Text.</p></body></article>`

func TestReadJATSHeader(t *testing.T) {
	r, err := ReadJATS([]byte(jatsC))
	if err != nil {
		t.Fatal(err)
	}
	check := func(field, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %q, want %q", field, got, want)
		}
	}
	check("venue", r.Venue, "eLife")
	check("abstract", r.Abstract, "Action potentials (in vivo) change; less CO2 too. DOI: http://dx.doi.org/10.7554/eLife.00001.001")
	check("keywords", strings.Join(r.Keywords, "|"), "synaptic plasticity|in vivo|Rat")
	if len(r.Authors) != 2 || len(r.ORCIDs) != 2 || len(r.Affiliations) != 2 {
		t.Fatalf("authors %+v, ORCIDs %q, affiliations %q", r.Authors, r.ORCIDs, r.Affiliations)
	}
	check("orcid 0", NormalizeORCID(r.ORCIDs[0]), "000000021825009X")
	check("orcid 1", r.ORCIDs[1], "")
	check("affiliation 0", r.Affiliations[0], "Network Imaging Group, Max Planck Institute, Tübingen, Germany; Bernstein Center, Germany")
	check("affiliation 1", r.Affiliations[1], "Lab, France")

	// No journal-title-group (older DTDs), a typed abstract only.
	r, err = ReadJATS([]byte(`<article><front><journal-meta><journal-title>Old J</journal-title></journal-meta><article-meta>
<abstract abstract-type="short"><title>Summary</title><sec><title>Background</title><p>Words.</p></sec></abstract></article-meta></front></article>`))
	if err != nil {
		t.Fatal(err)
	}
	check("venue (no group)", r.Venue, "Old J")
	check("abstract (typed only, section heading kept)", r.Abstract, "Background Words.")
}

func TestReadJATS(t *testing.T) {
	r, err := ReadJATS([]byte(jatsA))
	if err != nil {
		t.Fatal(err)
	}
	if r.Title != "Streaming in vivo extraction" || r.DOI != "10.5555/test.1" || r.Year != 2020 {
		t.Errorf("header: %+v", r)
	}
	if len(r.Authors) != 2 || r.Authors[0].Family != "Lovelace" || keyOf(r.Authors[1]).family != "consortium" {
		t.Errorf("authors (editor excluded, collab kept): %+v", r.Authors)
	}
	if len(r.References) != 2 {
		t.Fatalf("refs: %+v", r.References)
	}
	r1, r2 := r.References[0], r.References[1]
	if got := authorsValue(r1.Authors); got != "one g; smith j" {
		t.Errorf("ref 1 authors %q (collab first, editors out)", got)
	}
	if r1.Year != 2001 || r1.Title != "First work" || r1.Venue != "Nature" || r1.DOI != "10.1/A" {
		t.Errorf("ref 1: %+v", r1)
	}
	if r2.Title != "A Book Title" || r2.Venue != "" || r2.DOI != "10.1234/book.b" {
		t.Errorf("ref 2 (book, DOI from link): %+v", r2)
	}
	if _, err := ReadJATS([]byte(`<TEI><text/></TEI>`)); err != errNotJATS {
		t.Errorf("TEI: err %v, want errNotJATS", err)
	}
}

// TestExtractJATSFolder scores a tiny JATS-only folder: the extract package
// reads both articles exactly, so every figure is 1.
func TestExtractJATSFolder(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"a.xml": jatsA, "b.xml": jatsB, "c.xml": jatsC, "notes.xml": `<notes>not an article</notes>`, "README.txt": "x"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Extract(context.Background(), dir, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.Layout != LayoutJATS || res.Documents != 3 || res.Failed != 0 {
		t.Fatalf("layout %s, %d documents, %d failed, errors %v", res.Layout, res.Documents, res.Failed, res.Errors)
	}
	for k, v := range map[string]float64{"title_f1": res.TitleF1, "author_f1": res.AuthorF1, "doi_f1": res.DOIF1,
		"year_f1": res.YearF1, "ref_found": res.RefFound, "ref_field_f1": res.RefFieldF1, "venue_f1": res.VenueF1,
		"abstract_f1": res.AbstractF1, "keywords_f1": res.KeywordsF1, "orcid_f1": res.ORCIDF1, "affiliation_f1": res.AffiliationF1} {
		if v != 1 {
			t.Errorf("%s = %v, want 1", k, v)
		}
	}
	if res.GoldRefs != 3 || res.Fields["author"].TP != 5 {
		t.Errorf("gold refs %d, author TP %d; want 3, 5", res.GoldRefs, res.Fields["author"].TP)
	}
	// Counted only where the gold has them: a.xml has a venue, c.xml
	// everything; b.xml nothing of the five.
	for k, want := range map[string]int{"venue": 2, "abstract": 1, "keywords": 3, "orcid": 1, "affiliation": 2} {
		if got := res.Fields[k].TP; got != want {
			t.Errorf("%s TP %d, want %d", k, got, want)
		}
	}
	// The JSON carries the figures under the names the issue asks for.
	b, _ := json.Marshal(res)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"documents", "title_f1", "author_f1", "doi_f1", "year_f1", "ref_found", "ref_field_f1", "seconds", "docs_per_sec",
		"venue_f1", "venue_precision", "venue_recall", "abstract_f1", "abstract_precision", "abstract_recall", "keywords_f1",
		"keywords_precision", "keywords_recall", "orcid_f1", "orcid_precision", "orcid_recall", "affiliation_f1",
		"affiliation_precision", "affiliation_recall"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	lim, err := Extract(context.Background(), dir, Options{Limit: 1})
	if err != nil || lim.Documents != 1 {
		t.Errorf("--limit 1: %d documents, %v", lim.Documents, err)
	}
}

// fakePDF stands in for PDFium: it returns the text after the "%PDF-1.4"
// line as the one page, so the twin layout is tested without the engine.
type fakePDF struct{}

func (fakePDF) PageTexts(_ context.Context, data []byte) ([]string, error) {
	_, text, _ := strings.Cut(string(data), "\n")
	return []string{text}, nil
}

func TestExtractPDFTwins(t *testing.T) {
	dir := t.TempDir()
	pdf := "%PDF-1.4\nSecond article\n\nCharles Babbage\n\nDOI: 10.5555/test.2\n\nAbstract\n\nWe study a thing.\n"
	for name, body := range map[string]string{"b.pdf": pdf, "b.xml": jatsB, "lonely.xml": jatsA} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := Extract(context.Background(), dir, Options{PDF: fakePDF{}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Layout != LayoutPDFJATS || res.Documents != 1 {
		t.Fatalf("layout %s with %d documents; want pdf-jats with 1 (the XML without a PDF is not scored)", res.Layout, res.Documents)
	}
	if res.TitleF1 != 1 || res.DOIF1 != 1 {
		t.Errorf("title F1 %v, DOI F1 %v; want 1, 1", res.TitleF1, res.DOIF1)
	}
	// The page has no references: the gold one is missed.
	if res.GoldRefs != 1 || res.RefFound != 0 {
		t.Errorf("gold refs %d, ref_found %v; want 1, 0", res.GoldRefs, res.RefFound)
	}
}

// TestExtractGenerated scores a small generated corpus, then the same corpus
// with one gold title changed: exactly that document's title turns from a
// true positive into a false positive and a false negative.
func TestExtractGenerated(t *testing.T) {
	dir := t.TempDir()
	const n = 24
	_, err := corpus.Generate(context.Background(), dir, corpus.Options{Docs: n, Seed: 7,
		Formats: []corpus.Format{corpus.FormatText, corpus.FormatMarkdown, corpus.FormatHTML, corpus.FormatJATS}})
	if err != nil {
		t.Fatal(err)
	}
	base, err := Extract(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if base.Layout != LayoutGenerated || base.Documents != n || base.Failed != 0 || base.EngineStartSeconds != 0 {
		t.Fatalf("layout %s, %d documents, %d failed, engine %v", base.Layout, base.Documents, base.Failed, base.EngineStartSeconds)
	}
	for k, v := range map[string]float64{"title_f1": base.TitleF1, "author_f1": base.AuthorF1, "doi_f1": base.DOIF1,
		"year_f1": base.YearF1, "ref_found": base.RefFound, "ref_field_f1": base.RefFieldF1} {
		if v < 0 || v > 1 || math.IsNaN(v) {
			t.Errorf("%s = %v out of [0,1]", k, v)
		}
	}
	if base.GoldRefs == 0 || base.Fields["title"].TP+base.Fields["title"].FN != n {
		t.Errorf("gold refs %d, title TP+FN %d (want %d)", base.GoldRefs, base.Fields["title"].TP+base.Fields["title"].FN, n)
	}
	// The generator's gold has a venue, an abstract and keywords for every
	// document, and affiliations for every author.
	for _, k := range []string{"venue", "abstract"} {
		if f := base.Fields[k]; f.TP+f.FN != n {
			t.Errorf("%s TP+FN %d, want %d", k, f.TP+f.FN, n)
		}
	}
	if f := base.Fields["affiliation"]; f.TP+f.FN != base.Fields["author"].TP+base.Fields["author"].FN {
		t.Errorf("affiliation TP+FN %d, want the gold authors' %d", f.TP+f.FN, base.Fields["author"].TP+base.Fields["author"].FN)
	}
	if base.Fields["keywords"].TP == 0 || base.Fields["orcid"].TP == 0 {
		t.Errorf("keywords %+v, orcid %+v: nothing found", base.Fields["keywords"], base.Fields["orcid"])
	}

	g, err := corpus.LoadGold(filepath.Join(dir, corpus.GoldFile))
	if err != nil {
		t.Fatal(err)
	}
	// Corrupt the first JATS document's title: JATS titles are read exactly.
	hit := -1
	for i := range g.Documents {
		if g.Documents[i].Format == corpus.FormatJATS {
			hit = i
			break
		}
	}
	if hit < 0 {
		t.Fatal("no JATS document generated")
	}
	g.Documents[hit].Title = "A deliberately wrong title"
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, corpus.GoldFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	bad, err := Extract(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bt, wt := base.Fields["title"], bad.Fields["title"]
	if wt.TP != bt.TP-1 || wt.FP != bt.FP+1 || wt.FN != bt.FN+1 {
		t.Errorf("title counts %+v after one wrong gold title, from %+v", wt, bt)
	}
	if want := float64(2*wt.TP) / float64(2*wt.TP+wt.FP+wt.FN); !near(bad.TitleF1, want) || bad.TitleF1 >= base.TitleF1 {
		t.Errorf("title_f1 %v, want %v (< %v)", bad.TitleF1, want, base.TitleF1)
	}
	if bad.AuthorF1 != base.AuthorF1 || bad.RefFound != base.RefFound {
		t.Errorf("other figures moved: author %v→%v, ref_found %v→%v", base.AuthorF1, bad.AuthorF1, base.RefFound, bad.RefFound)
	}
}
