package extract

import (
	"context"
	"strings"
	"testing"
)

// affils returns "Full=Affiliation" for each author, for comparison.
func affils(doc *Document) []string {
	var out []string
	for _, a := range doc.Authors {
		out = append(out, a.Full+"="+a.Affiliation)
	}
	return out
}

func checkAffils(t *testing.T, doc *Document, want ...string) {
	t.Helper()
	got := affils(doc)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("affiliations:\n got %q\nwant %q", got, want)
	}
}

func pdfDoc(t *testing.T, largest string, pages ...string) *Document {
	t.Helper()
	src := fakeHeaderPDF{fakePDF: fakePDF{pages: pages}, largest: largest}
	doc, err := Extract(context.Background(), strings.NewReader("%PDF-1.7\n"), "x.pdf", Options{PDF: src})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestAffiliationsNumberedMarks(t *testing.T) {
	doc := extractString(t, "a.txt", strings.Join([]string{
		"Thermal Limits of Coastal Fishes Under Warming",
		"",
		"Ada Lovelace1,2, Charles Babbage2 and Grace Hopper3*",
		"1 Department of Marine Biology, University of Exeter, Exeter EX4 4QD, UK",
		"2 Institute of Oceanography, Kiel,",
		"Germany",
		"3 Laboratory of Fish Physiology, Universidade do Porto, Portugal",
		"* Correspondence: ada@example.org",
		"",
		"Abstract",
		"We measured things at the University of Oxford and found them warm.",
		"",
		"1 Introduction",
		"Text.",
	}, "\n"))
	checkAffils(t, doc,
		"Ada Lovelace=Department of Marine Biology, University of Exeter, Exeter EX4 4QD, UK; Institute of Oceanography, Kiel, Germany",
		"Charles Babbage=Institute of Oceanography, Kiel, Germany",
		"Grace Hopper=Laboratory of Fish Physiology, Universidade do Porto, Portugal")
}

func TestAffiliationsLetterMarks(t *testing.T) {
	// Markers set apart from the names and broken over lines, as PDF
	// text gives them; the affiliations run on in one paragraph.
	page := strings.Join([]string{
		"Research article",
		"Optimal Sizing of Gas Engine Systems for Homes",
		"Li Nan a,**, Qi Xiao b",
		", Milad Rahimi c,d,*",
		"a Traffic Engineering Institute, Xi'an, 710300, Shaanxi, China b CCTEG Research Institute, Xi'an, 710076, Shaanxi, China c Elite Club, Ardabil Branch, Azad University, Ardabil, Iran d College of Engineering, The Islamic University, Najaf, Iraq",
		"ABSTRACT",
		"This paper aims to enhance the design of systems.",
	}, "\n")
	doc := pdfDoc(t, "Optimal Sizing of Gas Engine Systems for Homes", page)
	checkAffils(t, doc,
		"Li Nan=Traffic Engineering Institute, Xi'an, 710300, Shaanxi, China",
		"Qi Xiao=CCTEG Research Institute, Xi'an, 710076, Shaanxi, China",
		"Milad Rahimi=Elite Club, Ardabil Branch, Azad University, Ardabil, Iran; College of Engineering, The Islamic University, Najaf, Iraq")
}

func TestAffiliationSingleUnmarked(t *testing.T) {
	doc := extractString(t, "b.md", strings.Join([]string{
		"# Soil Carbon Under Grazing Pressure",
		"",
		"Maria Silva, João Costa",
		"",
		"Department of Soil Science, University of Lisbon, Portugal",
		"",
		"## Abstract",
		"",
		"Grazing changes soil carbon.",
	}, "\n"))
	checkAffils(t, doc,
		"Maria Silva=Department of Soil Science, University of Lisbon, Portugal",
		"João Costa=Department of Soil Science, University of Lisbon, Portugal")

	// Two unmarked affiliations cannot be told apart: none is given.
	doc = extractString(t, "c.txt", strings.Join([]string{
		"Soil Carbon Under Grazing Pressure",
		"Maria Silva, João Costa",
		"Department of Soil Science, University of Lisbon, Portugal",
		"Institute of Agronomy, University of Porto, Portugal",
		"",
		"Abstract",
		"Grazing changes soil carbon.",
	}, "\n"))
	checkAffils(t, doc, "Maria Silva=", "João Costa=")
}

func TestAffiliationFootnoteBlock(t *testing.T) {
	// The affiliations at the bottom of page 1, each mark on a line of its
	// own and the next one after the previous affiliation's full stop.
	page := strings.Join([]string{
		"www.example.com/journal",
		"Explainable heat load prediction",
		"for district heating",
		"Minh Dang1",
		", Jihye Shin2",
		" & Hyeon Moon1*",
		"Heat networks play a vital role in the energy sector by offering thermal energy to residents of",
		"the University of Seoul district and beyond, as 1 Department of Energy showed in 2010.",
		"OPEN",
		"1",
		"Department of Information Engineering, Sejong University, Seoul, Republic of Korea. 2",
		"Department of Artificial Intelligence, Gachon University, Seongnam 13120, Republic of",
		"Korea. *email: moon@example.ac.kr",
	}, "\n")
	doc := pdfDoc(t, "Explainable heat load prediction for district heating", page, "Second page text.")
	checkAffils(t, doc,
		"Minh Dang=Department of Information Engineering, Sejong University, Seoul, Republic of Korea",
		"Jihye Shin=Department of Artificial Intelligence, Gachon University, Seongnam 13120, Republic of Korea",
		"Hyeon Moon=Department of Information Engineering, Sejong University, Seoul, Republic of Korea")
}

func TestAffiliationNotFromBody(t *testing.T) {
	// No marks and no affiliation under the author line: a body line that
	// names a university, or starts like a marked one, is not taken.
	doc := extractString(t, "d.txt", strings.Join([]string{
		"Soil Carbon Under Grazing Pressure",
		"Maria Silva, João Costa",
		"",
		"Abstract",
		"Grazing changes soil carbon.",
		"",
		"1 Introduction",
		"Samples were analysed at the University of Lisbon, Portugal.",
		"1 Department of Soil Science, University of Lisbon, Portugal",
	}, "\n"))
	checkAffils(t, doc, "Maria Silva=", "João Costa=")

	// Marks whose affiliations are not printed: nothing is guessed.
	doc = extractString(t, "e.txt", strings.Join([]string{
		"Soil Carbon Under Grazing Pressure",
		"Maria Silva1, João Costa2",
		"",
		"Abstract",
		"Grazing changes soil carbon at the University of Lisbon.",
	}, "\n"))
	checkAffils(t, doc, "Maria Silva=", "João Costa=")

	// Marked authors whose affiliations are printed at the end of the
	// article (not on page 1): the numbered headings and a sentence that
	// names a university on page 1 are not taken for them.
	page := strings.Join([]string{
		"Soil Carbon Under Grazing Pressure",
		"Maria Silva1, João Costa2",
		"Abstract",
		"Grazing changes soil carbon.",
		"1 Introduction",
		"Samples were analysed at the University of Lisbon, Portugal, and the Institute of Soils in Porto.",
		"2 Methods",
		"We measured carbon at the Department of Soil Science laboratory.",
	}, "\n")
	doc = pdfDoc(t, "Soil Carbon Under Grazing Pressure", page, "3 Results\nMore text.")
	checkAffils(t, doc, "Maria Silva=", "João Costa=")
}

func TestORCIDByName(t *testing.T) {
	body := strings.Join([]string{
		"Soil Carbon Under Grazing Pressure",
		"Maria Silva1, João Costa1, Ana Pereira1",
		"1 University of Lisbon, Portugal",
		"",
		"Abstract",
		"Grazing changes soil carbon.",
		"",
		"1 Introduction",
		"Text cites 0000-0001-2345-6789 as a number nobody owns.",
		"",
		"ORCID",
		"Maria Silva https://orcid.org/0000-0002-1825-0097",
		"João Costa https://orcid.org/0000-0002-3095-",
		"7052",
		"",
		"References",
		"1. Smith J. A paper. J Test. 2001;1:1-2.",
	}, "\n")
	doc := extractString(t, "f.txt", body)
	got := map[string]string{}
	for _, a := range doc.Authors {
		got[a.Family] = a.ORCID
	}
	want := map[string]string{"Silva": "0000-0002-1825-0097", "Costa": "0000-0002-3095-7052", "Pereira": ""}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("ORCID of %s = %q, want %q", k, got[k], v)
		}
	}
}

func TestORCIDCheckDigit(t *testing.T) {
	for id, want := range map[string]bool{
		"0000-0002-1825-0097":   true,
		"0000-0001-5109-3700":   true,
		"0000-0002-1694-233X":   true,
		"0000-0002-3095-\n7052": true,
		"0000-0002-1825-0098":   false,
		"0000-0001-2345-6788":   false,
	} {
		if got := orcidChecks(id); got != want {
			t.Errorf("orcidChecks(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestVenueFromCitationLine(t *testing.T) {
	for _, c := range []struct{ line, want string }{
		{"Sci Rep 7, 1234 (2017)", ""}, // no year after the name: not read
		{"Entropy 2019, 21, 388; doi:10.3390/e21040388 www.mdpi.com/journal/entropy", "Entropy"},
		{"Journal of Applied Testing 12 (2019) 123–145", "Journal of Applied Testing"},
		{"Scientific Reports | (2023) 13:7434 | https://doi.org/10.1038/s41598-023-34146-3", "Scientific Reports"},
		{"PLoS ONE | www.plosone.org", "PLoS ONE"},
		{"Hua et al. BMC Public Health (2024) 24:2077", "BMC Public Health"},
		{"Ecology and Evolution, 2025; 15:e71422 1 of 4", "Ecology and Evolution"},
		{"*Nucleic Acids Research, 1995, 35(10):174-202*", "Nucleic Acids Research"},
		{"© 2025 The Author(s). Conservation Biology published by Wiley Periodicals LLC.", "Conservation Biology"},
		{"Frontiers in Veterinary Science 01 frontiersin.org", "Frontiers in Veterinary Science"},
		{"Received: 7 March 2014; Accepted: 13 August 2014", ""},
		{"Volume 12, 2019, 3: 45", ""},
		{"In 2019, 12: 45 cases were found", ""},
	} {
		if got := findVenue([]string{c.line}); got != c.want {
			t.Errorf("findVenue(%q) = %q, want %q", c.line, got, c.want)
		}
	}
	// A suggested citation: the journal after the title.
	cite := []string{
		"Citation: Ko, S.-J.; Kim, J.-G. Effect of",
		"Imidazole on Carbon Steel. Materials 2021, 14,",
		"4416. https://doi.org/10.3390/ma14164416",
	}
	if got := findVenue(cite); got != "Materials" {
		t.Errorf("citation block venue = %q", got)
	}
	// An abbreviation gives way to the name spelt out on another line.
	if got := findVenue([]string{"Citation: Iglesias I (2025) Editorial: Insights. Front. Vet. Sci. 12:1603605.", "Frontiers in Veterinary Science 01 frontiersin.org"}); got != "Frontiers in Veterinary Science" {
		t.Errorf("venue = %q", got)
	}

	doc := extractString(t, "g.txt", strings.Join([]string{
		"Thermal Limits of Coastal Fishes Under Warming",
		"Ada Lovelace, Charles Babbage",
		"Journal of Fish Biology 88 (2016) 1201–1220",
		"",
		"Abstract",
		"We measured things.",
	}, "\n"))
	if doc.Venue != "Journal of Fish Biology" {
		t.Errorf("venue = %q", doc.Venue)
	}
}

func TestAffiliationsAtArticleEnd(t *testing.T) {
	page1 := strings.Join([]string{
		"Soil Carbon Under Grazing Pressure",
		"Maria Silva1*, João Costa2, Pei Pei1",
		"Abstract",
		"Grazing changes soil carbon.",
	}, "\n")
	last := strings.Join([]string{
		"Acknowledgements",
		"We thank the University of Coimbra for the samples.",
		"Author details",
		"1",
		"Department of Soil Science, University of Lisbon, Lisbon 1000, ",
		"Portugal",
		"2",
		"Institute of Agronomy, University of Porto, Porto 4000, Portugal",
		"Received: 14 March 2024 / Accepted: 15 July 2024",
		"References",
		"1. Smith J. A paper. J Test. 2001;1:1-2.",
	}, "\n")
	doc := pdfDoc(t, "Soil Carbon Under Grazing Pressure", page1, last)
	checkAffils(t, doc,
		"Maria Silva=Department of Soil Science, University of Lisbon, Lisbon 1000, Portugal",
		"João Costa=Institute of Agronomy, University of Porto, Porto 4000, Portugal",
		"Pei Pei=Department of Soil Science, University of Lisbon, Lisbon 1000, Portugal")
}

func TestAffiliationsParenthesisedMarks(t *testing.T) {
	// "(1)" marks; an equation number "(1)" later on the page does not
	// take the place of the bare "1" nor of the affiliation.
	page := strings.Join([]string{
		"Thermal Limits of Coastal Fishes Under Warming",
		"Ada Lovelace (1), Charles Babbage (2)",
		"(1) Department of Marine Biology, University of Exeter, UK",
		"(2) Institute of Oceanography, Kiel, Germany",
		"Abstract",
		"We fit the model (1) The fit was good.",
	}, "\n")
	doc := extractString(t, "p.txt", page)
	checkAffils(t, doc,
		"Ada Lovelace=Department of Marine Biology, University of Exeter, UK",
		"Charles Babbage=Institute of Oceanography, Kiel, Germany")
	page = strings.Join([]string{
		"Thermal Limits of Coastal Fishes Under Warming",
		"Ada Lovelace1, Charles Babbage2",
		"1 Department of Marine Biology, University of Exeter, UK",
		"2 Institute of Oceanography, Kiel, Germany",
		"Abstract",
		"We fit the model (2) The fit was good.",
	}, "\n")
	doc = pdfDoc(t, "Thermal Limits of Coastal Fishes Under Warming", page)
	checkAffils(t, doc,
		"Ada Lovelace=Department of Marine Biology, University of Exeter, UK",
		"Charles Babbage=Institute of Oceanography, Kiel, Germany")
}

func TestAffiliationSection(t *testing.T) {
	for _, c := range []struct{ text, want string }{
		{"Intro\nAuthor details\n1 Dept, Univ, Norway\n", "1 Dept, Univ, Norway\n"},
		// Named in running text first: only the line of its own counts.
		{"See Author details below.\nAuthor details\nA\n", "A\n"},
		{"Author details here\nAffiliations\nB", "B"},
		{"x Author details\nAuthor details", ""}, // the last has no line under it
		{strings.Repeat("Author details ", 1000), ""},
		{"", ""},
	} {
		if got := affiliationSection(c.text); got != c.want {
			t.Errorf("affiliationSection(%.40q) = %q, want %q", c.text, got, c.want)
		}
	}
}
