package extract

import (
	"context"
	"strings"
	"testing"
)

// Reference styles and PDF text artefacts met in publishers' PDFs. All
// strings are made up.

func TestParseReferenceStyles(t *testing.T) {
	tests := []struct {
		name, in string
		want     Reference
	}{
		{"semicolon authors", "1. Smith, J.; Doe, A.B.; van Berg, C. A study of small things. J. Stuff 2019, 12, 34–56.",
			Reference{Index: 1, Authors: []string{"J. Smith", "A.B. Doe", "C. van Berg"}, Title: "A study of small things", Venue: "J. Stuff", Year: 2019, Volume: "12", Pages: "34-56"}},
		{"semicolon authors et al", "2. Roe, R.; Poe, P.; et al. The status of widgets: Research and results. Energy 2018, 164, 147–159.",
			Reference{Index: 2, Authors: []string{"R. Roe", "P. Poe"}, Title: "The status of widgets: Research and results", Venue: "Energy", Year: 2018, Volume: "164", Pages: "147-159"}},
		{"compound surname in semicolon list", "3. Villa, B.C.; De Paz Alberola, R. Constrained widgets for tiny networks: A survey. Widget Rev. 2012, 3, 1–9.",
			Reference{Index: 3, Authors: []string{"B.C. Villa", "R. De Paz Alberola"}, Title: "Constrained widgets for tiny networks: A survey", Venue: "Widget Rev", Year: 2012, Volume: "3", Pages: "1-9"}},
		{"book with publisher", "5. Doe, A.; Roe, B. Wireless Widget Networks; Springer: Berlin, Germany, 2004.",
			Reference{Index: 5, Authors: []string{"A. Doe", "B. Roe"}, Title: "Wireless Widget Networks", Year: 2004}},
		{"et al comma style", "[8] Jane Li, et al., Evaluating the widgets: a case study, Case Stud. Widg. Eng. 54 (2024) 104005.",
			Reference{Index: 8, Authors: []string{"Jane Li"}, Title: "Evaluating the widgets: a case study", Venue: "Case Stud. Widg. Eng", Year: 2024, Volume: "54"}},
		{"et al then numbers", "[13] Min Zhao, et al., Improved widget optimizer for hybrid systems, 10.2, Heliyon (2024) e24315.",
			Reference{Index: 13, Authors: []string{"Min Zhao"}, Title: "Improved widget optimizer for hybrid systems", Venue: "10.2, Heliyon", Year: 2024}},
		{"apa compound surnames and article number", "Carignano Torres, P., Morsello, C., & Vieira, M. A. R. D. M. (2022). Wild food and child health. Scientific Reports, 12, Article 5213.",
			Reference{Authors: []string{"P. Carignano Torres", "C. Morsello", "M. A. R. D. M. Vieira"}, Title: "Wild food and child health", Venue: "Scientific Reports", Year: 2022, Volume: "12", Pages: "5213"}},
		{"organisation author", "Brasil. (1967). Dispõe sobre a fauna. http://www.example.org/leis/L5197.htm",
			Reference{Authors: []string{"Brasil"}, Title: "Dispõe sobre a fauna", Year: 1967}},
		{"quoted phrase inside title", "79. Hughes F, Stroh P. Monitoring large-scale, “open-ended” habitat projects: a journey. J Nat Conserv. 2011;19(4):245–53.",
			Reference{Index: 79, Authors: []string{"F Hughes", "P Stroh"}, Title: "Monitoring large-scale, “open-ended” habitat projects: a journey", Venue: "J Nat Conserv", Year: 2011, Volume: "19", Pages: "245-53"}},
		{"authorless standard with date", "6. Widget Protocol over Things (WPT), IETF Std., August 2007. Available online: http://www.example.org/rfc/rfc1.txt (accessed on 10 June 2014).",
			Reference{Index: 6, Title: "Widget Protocol over Things (WPT), IETF Std", Year: 2007}},
		{"authorless standard without date", "36. Efficient Widget Interchange (EWI) Format 1.0, W3C Std. Available online: http://www.example.org/TR/ewi/ (accessed on 10 August 2014).",
			Reference{Index: 36, Title: "Efficient Widget Interchange (EWI) Format 1.0, W3C Std"}},
	}
	for _, tt := range tests {
		got := ParseReference(tt.in)
		if !refEqual(got, tt.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", tt.name, got, tt.want)
		}
	}
}

func TestSplitReferencesLayouts(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"references and note heading", "References and Note\n1. Alpha, A. One thing.\nWidgets 2001, 1, 2.\n2. Beta, B. Two things. Widgets 2002, 2, 3.\n",
			[]string{"1. Alpha, A. One thing. Widgets 2001, 1, 2.", "2. Beta, B. Two things. Widgets 2002, 2, 3."}},
		{"organisation starts and URL ends",
			"Bragg, C., & Gama, G. M. (2019). Hunting in the wild. Perspectives, 17, 71–79.\n" +
				"Brasil. (1967). Dispõe sobre a fauna. http://www.\n" +
				"example.org/leis/L5197.htm\n" +
				"Brooks, M. E., & Berg, C. W. (2017). Mixed models. The R Journal, 9, 378–\n" +
				"400.\n" +
				"Instituto Nacional de Widgets (INW). (2006). Politica de widgets. Author.\n",
			[]string{
				"Bragg, C., & Gama, G. M. (2019). Hunting in the wild. Perspectives, 17, 71–79.",
				"Brasil. (1967). Dispõe sobre a fauna. http://www.example.org/leis/L5197.htm",
				"Brooks, M. E., & Berg, C. W. (2017). Mixed models. The R Journal, 9, 378– 400.",
				"Instituto Nacional de Widgets (INW). (2006). Politica de widgets. Author.",
			}},
		{"URL ending in a slash ends an entry",
			"Core Team. (2020). R: A language. https://www.example.org/\nRibot, J. C., & Pel, N. L. (2003). A theory of access. Rural Sociology, 68, 153–181.\n",
			[]string{"Core Team. (2020). R: A language. https://www.example.org/", "Ribot, J. C., & Pel, N. L. (2003). A theory of access. Rural Sociology, 68, 153–181."}},
	}
	for _, tt := range tests {
		got := SplitReferences(tt.in)
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s:\n got  %q\n want %q", tt.name, got, tt.want)
		}
	}
}

func TestAuthorBlock(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string // "Given|Family"
	}{
		{"names split across lines at commas",
			"A. Bee Smith1\n, Carl Jones2\n, DanaLeeson3\n, Hyoung-Kyu Song1 & \nEve Moon1*\nWidgets play a vital role in the energy sector by offering thermal energy to residents.",
			[]string{"A. Bee|Smith", "Carl|Jones", "Dana|Leeson", "Hyoung-Kyu|Song", "Eve|Moon"}},
		{"letter markers",
			"Jiang Nan a,**, Qi Xiao b\n, Milad Teimo c,d,* \na Widget Engineering Institute, Xi’an, China b Research Institute, Xi’an, China",
			[]string{"Jiang|Nan", "Qi|Xiao", "Milad|Teimo"}},
		{"names wrapped mid-name",
			"Zhixiong Weng,\nZhaomin Dong, Yi\nZhao, Meng Xu,\nYang Xie, Feng Lu\nxie@example.org",
			[]string{"Zhixiong|Weng", "Zhaomin|Dong", "Yi|Zhao", "Meng|Xu", "Yang|Xie", "Feng|Lu"}},
		{"names separated only by markers",
			"Lísley P. Lemos1,2,3,4 Denis Valle5 Thaís Queiroz Morcatty2,6\nWillandia Chaves1\n1Department of Fish and Wildlife Conservation,\nVirginia Widget Institute",
			[]string{"Lísley P.|Lemos", "Denis|Valle", "Thaís Queiroz|Morcatty", "Willandia|Chaves"}},
		{"symbol markers and lone commas",
			"Guillermo M. Wiemo 1,2,3¤\n, Marcela M. Uhara 4\n*☯, Lucía Rodríguez Planes 5\n, \nVirginia Ragu6\n1 Instituto de Ecología, Buenos Aires",
			[]string{"Guillermo M.|Wiemo", "Marcela M.|Uhara", "Lucía Rodríguez|Planes", "Virginia|Ragu"}},
		{"suffix and lower-case family name",
			"Thomas J. McGreevy Jr. 1 | Brian D. Gerbe 1\n and Bikila warkineh2\n1 Department of Natural Resources",
			[]string{"Thomas J.|McGreevy", "Brian D.|Gerbe", "Bikila|warkineh"}},
	}
	for _, tt := range tests {
		var got []string
		for _, a := range authorBlock(splitLines(tt.in), 6) {
			got = append(got, a.Given+"|"+a.Family)
		}
		if strings.Join(got, "; ") != strings.Join(tt.want, "; ") {
			t.Errorf("%s:\n got  %q\n want %q", tt.name, got, tt.want)
		}
	}
}

// A citation line quoting the title comes before the title itself; the
// authors are read under the title, not under the citation.
func TestTitleHintSkipsCitationLine(t *testing.T) {
	page := "Citation: Wiemo GM, Uhara MM (2025) Applying widget risk analysis\n" +
		"for conservation: A case study. Widget One 20(5): e1.\n" +
		"Funding: supported by the Administración\n" +
		"de Parques Nacionales and Consejo Nacional\n" +
		"RESEARCH ARTICLE\n" +
		"Applying widget risk analysis for conservation:\n" +
		"A case study\n" +
		"Guillermo M. Wiemo1, Marcela M. Uhara2\n" +
		"1 Instituto de Ecología, Buenos Aires\n" +
		"Abstract\nSomething about widgets.\n"
	doc := &Document{}
	if err := parsePlainHint(context.Background(), page, doc, "Applying widget risk analysis for conservation: A case study"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range doc.Authors {
		got = append(got, a.Full)
	}
	if want := "Guillermo M. Wiemo; Marcela M. Uhara"; strings.Join(got, "; ") != want {
		t.Errorf("authors = %q, want %q", got, want)
	}
}
