package extract

import (
	"regexp"
	"strings"
	"testing"
)

func TestMarkdownSuperscriptBylineAndCitationYear(t *testing.T) {
	for _, byline := range []string{
		"Michael Wright^1^, Eva Novák^2,3^, Alex Smith^3^",
		"Michael Wright<sup>1</sup>, Eva Novák<sup>2,3</sup>, Alex Smith<sup>3</sup>",
	} {
		md := "# Effects of things on other things\n\n" + byline + "\n\n^1^ University of Somewhere\n\n" +
			"*Journal of Examples, 2020, 62(1):1064-1092*\n\n## Introduction\n\nText.\n"
		doc := extractString(t, "paper.md", md)
		var names []string
		for _, a := range doc.Authors {
			names = append(names, a.Full)
		}
		if got := strings.Join(names, "; "); got != "Michael Wright; Eva Novák; Alex Smith" {
			t.Errorf("%q: authors = %q", byline, got)
		}
		if doc.Year != 2020 {
			t.Errorf("%q: year = %d, want 2020", byline, doc.Year)
		}
	}
}

func TestPlainCitationLineYear(t *testing.T) {
	txt := "Effects of things on other things\n\nJane Doe, John Roe\n\nJournal of Examples, 2020, 62(1):1064-1092\n\nAbstract\n\nWe did 1836 things.\n"
	if doc := extractString(t, "paper.txt", txt); doc.Year != 2020 {
		t.Errorf("year = %d, want 2020", doc.Year)
	}
}

func TestReferenceYearNotFromPages(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"5. A. N. Clarke. Marked effects of feedback. Astronomy and Astrophysics, 36(11):1836-1855, 1995.", 1995},
		{"[2] J. Smith. A title. Some Journal, 12:1767-1789, 1996.", 1996},
		{"Smith J. A title. J Things. 1999; 12: 2001–2010.", 1999},
		{"Buckley MC. A title here. Conserv Biol [Internet]. 2008 [cited 2024 Apr 14];22(5):1118–24.", 2008},
	}
	for _, tt := range tests {
		if got := ParseReference(tt.in).Year; got != tt.want {
			t.Errorf("%q: year = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestSoftHyphenFFFE(t *testing.T) {
	if got := dehyphenate("conserva\uFFFE\ntion of human\uFFFEherbivore"); got != "conservation of human-herbivore" {
		t.Errorf("dehyphenate = %q", got)
	}
}

func TestJoinDOIBreaks(t *testing.T) {
	tests := []struct{ in, want string }{
		{"see https://doi.org/10.1371/journal.\npone.0323994\nEditor: X", "10.1371/journal.pone.0323994"},
		{"Ostrich. 2002;73:147–61. https://doi.org/10.1080/00306525\n.2002.11446745\n39. Next", "10.1080/00306525.2002.11446745"},
		{"doi:10.1000/abc.\n42. Duarte JMB. Title.", "10.1000/abc"},
		{"doi:10.1000/abc.\nThe next sentence 2019.", "10.1000/abc"},
	}
	for _, tt := range tests {
		if got := findDOI(joinDOIBreaks(tt.in)); got != tt.want {
			t.Errorf("%q: DOI = %q, want %q", tt.in, got, tt.want)
		}
	}
	doc := extractString(t, "p.txt", "A title of the paper here\n\nJane Doe, John Roe\n\nReferences\n1. Smith J. A title. Environ Challenges. 2022;7:100446. https://doi.org/10.1016/j.\nenvc.2022.100446\n2. Doe A. Other title. Nature. 2020;1:2.\n")
	if len(doc.References) != 2 || doc.References[0].DOI != "10.1016/j.envc.2022.100446" {
		t.Errorf("references = %+v", doc.References)
	}
}

func TestLeadingAuthorListAndVenueNumbers(t *testing.T) {
	tests := []struct {
		name, in string
		want     Reference
	}{
		{"surname first, one author", "1. Xia, F. Qos challenges and opportunities in wireless sensor/actuator networks. Sensors 2008, 8, 1099–1110.",
			Reference{Index: 1, Authors: []string{"F. Xia"}, Title: "Qos challenges and opportunities in wireless sensor/actuator networks", Venue: "Sensors", Year: 2008, Volume: "8", Pages: "1099-1110"}},
		{"surname first with &", "2. Barone, G., Buonomano, A., Forzano, C. & Palombo, A. A novel dynamic simulation model. Energy Convers. Manag. 220, 113052 (2020).",
			Reference{Index: 2, Authors: []string{"G. Barone", "A. Buonomano", "C. Forzano", "A. Palombo"}, Title: "A novel dynamic simulation model", Venue: "Energy Convers. Manag", Year: 2020, Volume: "220", Pages: "113052"}},
		{"initials first, comma title", "[1] S. Sanaye, M.M. Ghafurian, Applying relative equivalent uniform annual benefit, Energy Build. 86 (2015) 91–104.",
			Reference{Index: 1, Authors: []string{"S. Sanaye", "M.M. Ghafurian"}, Title: "Applying relative equivalent uniform annual benefit", Venue: "Energy Build", Year: 2015, Volume: "86"}},
		{"venue volume, pages", "Smith J, Doe A. Air and health. Environ. Int. 120, 443-455 (2018).",
			Reference{Authors: []string{"J Smith", "A Doe"}, Title: "Air and health", Venue: "Environ. Int", Year: 2018, Volume: "120", Pages: "443-455"}},
		{"ieee list is not cut early", "[3] A. Author, B. C. Writer, and K. O'Brien. A title of things. Venue of Stuff, 12(3):45-67, 2019.",
			Reference{Index: 3, Authors: []string{"A. Author", "B. C. Writer", "K. O'Brien"}, Title: "A title of things", Venue: "Venue of Stuff", Year: 2019, Volume: "12", Pages: "45-67"}},
	}
	for _, tt := range tests {
		if got := ParseReference(tt.in); !refEqual(got, tt.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", tt.name, got, tt.want)
		}
	}
}

func TestInitialYIsNotParticle(t *testing.T) {
	for in, want := range map[string]string{
		"[6] Y. Zhou, C. R. Pérez, and S. Z. Williams. Epigenetic splicing. PLoS Genetics, 13(8):64-85, 1963.": "Y. Zhou; C. R. Pérez; S. Z. Williams",
		"Moreau M, Wu Y, Kaminski M. A title. Lancet. 2019;1:2-3.":                                             "M Moreau; Y Wu; M Kaminski",
	} {
		if got := strings.Join(ParseReference(in).Authors, "; "); got != want {
			t.Errorf("%q: authors = %q, want %q", in, got, want)
		}
	}
}

func TestCamelCaseVenue(t *testing.T) {
	got := ParseReference("Smith J, Doe A. Inhibitory replay in the olfactory bulb. eLife. 2019;8:e1234.")
	if got.Title != "Inhibitory replay in the olfactory bulb" || got.Venue != "eLife" {
		t.Errorf("got %+v", got)
	}
}

func TestJoinHyphenBreaks(t *testing.T) {
	for _, in := range []string{
		"exam-\nple", "exam-\n\n  ple", "Exam-\nPle", "a-\nb-\nc", "a-\nb -\nc", "x- \t\r\n y", "co-operation\n",
		"ends-\n", "-\nstart", "über\u00AD\nall", "dash\u2010\nword", "no break-here", "é-\nü", "a-\n1",
	} {
		want := hyphenBreakRe.ReplaceAllString(in, "$1$2")
		if got := joinHyphenBreaks(in); got != want {
			t.Errorf("joinHyphenBreaks(%q) = %q, the expression gives %q", in, got, want)
		}
	}
}

func FuzzJoinHyphenBreaks(f *testing.F) {
	for _, s := range []string{"exam-\nple", "a-\nb-\nc", "x- \t\r\n y", "über\u00AD\nall\xff-\nz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		want := hyphenBreakRe.ReplaceAllString(in, "$1$2")
		if got := joinHyphenBreaks(in); got != want {
			t.Errorf("joinHyphenBreaks(%q) = %q, the expression gives %q", in, got, want)
		}
	})
}

func FuzzFindDOIs(f *testing.F) {
	for _, s := range []string{"doi: 10.1234/abc.def\nx", "a10.1234/x 10.12345/y_z10.5555/q", "(10.1000/xyz)", "é10.1234/a", "10.123/short 10.1234/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		want := doiRe.FindAllStringIndex(in, -1)
		got := findDOIs(in)
		if len(got) != len(want) {
			t.Fatalf("findDOIs(%q) = %v, the expression finds %v", in, got, want)
		}
		for i := range want {
			if got[i][0] != want[i][0] || got[i][1] != want[i][1] {
				t.Fatalf("findDOIs(%q) = %v, the expression finds %v", in, got, want)
			}
		}
	})
}

// The prefilters of ParseReference never skip an expression that would
// have matched the cleaned text.
func FuzzReferencePrefilters(f *testing.F) {
	for _, s := range []string{
		"Smith J. Title. Venue 2019. doi:10.1000/x. PMID: 12345 (Accessed 3 May 2020) https://x.org/y",
		"WWW.EXAMPLE.ORG [cited 2024 Apr 14] arXiv:2101.00001 ISSN 1234-5678",
		"Jones. 10.5/a. HTTP://A.B/C pubmed PMCID PMC1 Retrieved from x",
		"no identifiers at all",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s := clean(truncateBytes(in, maxRefLen))
		for _, c := range []struct {
			name string
			re   *regexp.Regexp
			may  func(string) bool
		}{{"DOI", refDOIRe, mayHaveDOI}, {"accessed", accessedRe, mayHaveAccessed}, {"URL", urlRe, mayHaveURL}, {"ID", pmidRe, mayHaveID}} {
			if c.re.MatchString(s) && !c.may(s) {
				t.Fatalf("the %s expression matches %q, which its prefilter skips", c.name, s)
			}
		}
	})
}

// isMarkdown's prefilters never skip a construct its expression would
// have counted.
func FuzzMarkdownPrefilters(f *testing.F) {
	for _, s := range []string{"# Title\n\n- item\n* item\n+ item\n> quote\n**bold** __b__ [a](b) ```go", "plain text only", "###### x\n  - y"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, c := range mdConstructs {
			if c.re.Match(in) && c.count(in) == 0 {
				t.Fatalf("%v matches %q, which its prefilter skips", c.re, in)
			}
		}
	})
}

func FuzzCopyYearPrefilter(f *testing.F) {
	for _, s := range []string{"© 2019 Elsevier", "(C) 2001", "Copyright 1999", "Published online: 3 May 2020", "Available online 1 June 2018", "ISSUED 2001", "nothing"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s := normalizeText(in)
		if copyYearRe.MatchString(s) && !mayHaveCopyYear(s) {
			t.Fatalf("copyYearRe matches %q, which mayHaveCopyYear skips", s)
		}
	})
}

// TestJATSAffiliationPunctAndAbstractMath: an affiliation built of
// elements separated by their own commas reads "Group, Institute", not
// "Group , Institute" (eval extract on eLife: affiliation F1 0.001 before);
// a formula in the abstract keeps its words ("CO2 emissions"), while one
// in the body is still skipped, and its TeX spelling is not read.
func TestJATSAffiliationPunctAndAbstractMath(t *testing.T) {
	const doc = `<?xml version="1.0"?>
<article xmlns:mml="http://www.w3.org/1998/Math/MathML"><front><article-meta>
<title-group><article-title>Less <inline-formula><mml:math><mml:mi>C</mml:mi><mml:msub><mml:mi>O</mml:mi><mml:mn>2</mml:mn></mml:msub></mml:math></inline-formula> now</article-title></title-group>
<contrib-group><contrib contrib-type="author"><name><surname>Doe</surname><given-names>Jane</given-names></name><xref ref-type="aff" rid="aff1"/><xref ref-type="aff" rid="aff2"/></contrib>
<contrib contrib-type="author"><name><surname>Roe</surname><given-names>Rick</given-names></name><aff><institution>Lab</institution>, <country>France</country></aff></contrib>
<aff id="aff1"><label>1</label><institution content-type="dept">Network Imaging Group</institution>, <institution>Max Planck Institute</institution>, <addr-line><named-content content-type="city">Tübingen</named-content></addr-line>, <country>Germany</country></aff>
<aff id="aff2"><institution>Centre (<italic>CNRS</italic>)</institution>, <city>Paris</city></aff></contrib-group>
<abstract><p>A decrease in <inline-formula><alternatives><tex-math>\mathrm{CO}_2</tex-math><mml:math><mml:semantics><mml:mrow><mml:mi>C</mml:mi><mml:msub><mml:mi>O</mml:mi><mml:mn>2</mml:mn></mml:msub></mml:mrow><mml:annotation encoding="TeX">CO_2</mml:annotation></mml:semantics></mml:math></alternatives></inline-formula> emissions.</p></abstract>
</article-meta></front>
<body><p>Body <inline-formula><mml:math><mml:mi>x</mml:mi></mml:math></inline-formula> text.</p></body></article>`
	d := extractString(t, "a.xml", doc)
	if len(d.Authors) != 2 {
		t.Fatalf("authors %+v", d.Authors)
	}
	if got, want := d.Authors[0].Affiliation, "Network Imaging Group, Max Planck Institute, Tübingen, Germany; Centre (CNRS), Paris"; got != want {
		t.Errorf("affiliation = %q, want %q", got, want)
	}
	if got, want := d.Authors[1].Affiliation, "Lab, France"; got != want {
		t.Errorf("inline affiliation = %q, want %q", got, want)
	}
	if d.Abstract != "A decrease in CO2 emissions." {
		t.Errorf("abstract = %q", d.Abstract)
	}
	if d.Title != "Less CO2 now" {
		t.Errorf("title = %q", d.Title)
	}
	if d.Text != "Body text." {
		t.Errorf("body = %q", d.Text)
	}
}
