package extract

import (
	"strings"
	"testing"
)

func TestParseReference(t *testing.T) {
	tests := []struct {
		name, in string
		want     Reference
	}{
		{"ieee", "[3] A. Author, B. C. Writer. A title of things. Venue of Stuff, 12(3):45-67, 2019. doi:10.1000/abc.12.",
			Reference{Index: 3, Authors: []string{"A. Author", "B. C. Writer"}, Title: "A title of things", Venue: "Venue of Stuff", Year: 2019, Volume: "12", Pages: "45-67", DOI: "10.1000/abc.12"}},
		{"ieee quoted", `J. Smith and K. Lee, "Quoted title here," IEEE Trans. Things, vol. 7, pp. 100–110, 2015.`,
			Reference{Authors: []string{"J. Smith", "K. Lee"}, Title: "Quoted title here", Venue: "IEEE Trans. Things", Year: 2015, Volume: "7", Pages: "100-110"}},
		{"apa", "Author A, Author B (2019) Title of work. Venue 12:45–67. https://doi.org/10.1234/x.y(5)",
			Reference{Authors: []string{"A Author", "B Author"}, Title: "Title of work", Venue: "Venue", Year: 2019, Volume: "12", Pages: "45-67", DOI: "10.1234/x.y(5)"}},
		{"apa7", "Smith, J. A., & Doe, B. (2020a). Learning from data. Journal of Data, 3(1), 1–20.",
			Reference{Authors: []string{"J. A. Smith", "B. Doe"}, Title: "Learning from data", Venue: "Journal of Data", Year: 2020, Volume: "3", Pages: "1-20"}},
		{"vancouver", "12. Author AB, Author CD. Title. Venue. 2019;12(3):45-67. doi:10.5555/v.1",
			Reference{Index: 12, Authors: []string{"AB Author", "CD Author"}, Title: "Title", Venue: "Venue", Year: 2019, Volume: "12", Pages: "45-67", DOI: "10.5555/v.1"}},
		{"vancouver single initials", "Smith J, Doe A, et al. Mice and men. J Biol Chem. 2003 Mar;278(5):12-19.",
			Reference{Authors: []string{"J Smith", "A Doe"}, Title: "Mice and men", Venue: "J Biol Chem", Year: 2003, Volume: "278", Pages: "12-19"}},
		{"elife harvard", "Abraham WC. 2008. Metaplasticity: tuning synapses. Nature Reviews Neuroscience 9:387. DOI: https://doi.org/10.1038/nrn2356, PMID: 18401345",
			Reference{Authors: []string{"WC Abraham"}, Title: "Metaplasticity: tuning synapses", Venue: "Nature Reviews Neuroscience", Year: 2008, Volume: "9", Pages: "387", DOI: "10.1038/nrn2356"}},
		{"hyphenation and nfkc", "Lee K. Hyphen-\nated ﬁeld e\x02\nxperiments. Cell. 2001;7:1-9.",
			Reference{Authors: []string{"K Lee"}, Title: "Hyphenated field experiments", Venue: "Cell", Year: 2001, Volume: "7", Pages: "1-9"}},
	}
	for _, tt := range tests {
		got := ParseReference(tt.in)
		if !refEqual(got, tt.want) {
			t.Errorf("%s:\n got  %+v\n want %+v", tt.name, got, tt.want)
		}
	}
}

func TestSplitReferences(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"brackets inline", "References\n[1] A one. [2] B two\ncontinued. [3] C three [7] is not a cite.", []string{"[1] A one.", "[2] B two continued.", "[3] C three [7] is not a cite."}},
		{"numbered", "1. Alpha ref\nmore.\n2) Beta ref.\n", []string{"1. Alpha ref more.", "2) Beta ref."}},
		{"paragraphs", "Smith J. One.\n\nDoe A. Two hy-\nphenated.\n", []string{"Smith J. One.", "Doe A. Two hyphenated."}},
		{"hanging", "Smith, J. (2001). One\n    continues.\nDoe, A. (2002). Two.\n", []string{"Smith, J. (2001). One continues.", "Doe, A. (2002). Two."}},
		{"author starts", "Smith, J. (2001). One that\nwraps.\nDoe, A. (2002). Two.\n", []string{"Smith, J. (2001). One that wraps.", "Doe, A. (2002). Two."}},
		{"bullets", "- Ref one.\n- Ref two.\n", []string{"Ref one.", "Ref two."}},
	}
	for _, tt := range tests {
		got := SplitReferences(tt.in)
		if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
			t.Errorf("%s:\n got  %q\n want %q", tt.name, got, tt.want)
		}
	}
}

func TestSplitReferencesCap(t *testing.T) {
	in := strings.Repeat("- x.\n", MaxReferences+10)
	if n := len(SplitReferences(in)); n != MaxReferences {
		t.Errorf("got %d entries, want cap %d", n, MaxReferences)
	}
}
