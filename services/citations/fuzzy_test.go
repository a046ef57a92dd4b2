package citations

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSplitAndFamilyName(t *testing.T) {
	for _, tt := range []struct{ in, family, given, key string }{
		{"Ludwig van Beethoven", "van Beethoven", "Ludwig", "beethoven"},
		{"Beethoven, L.", "Beethoven", "L.", "beethoven"},
		{"Smith, John", "Smith", "John", "smith"},
		{"Koschwanez JH", "Koschwanez", "JH", "koschwanez"},
		{"Kim T-K", "Kim", "T-K", "kim"},
		{"J. H. Koschwanez", "Koschwanez", "J. H.", "koschwanez"},
		{"García-López", "García-López", "", "garcialopez"},
		{"", "", "", ""},
	} {
		f, g := SplitName(tt.in)
		assert.Equal(t, [2]string{tt.family, tt.given}, [2]string{f, g}, tt.in)
		assert.Equal(t, tt.key, FamilyName(tt.in), tt.in)
	}
}

func TestFuzzyLinking(t *testing.T) {
	target := Contribution{DocumentID: "t", Title: "RNA-directed remodeling of the HIV-1 protein Rev orchestrates assembly of the Rev–Rev response element complex",
		Year: 2014, Authors: []string{"Bhargavi Jayaraman"}, DOI: "10.1/t"}
	other := Contribution{DocumentID: "o", Title: "Structure of the Rev response element complex bound to HIV-1 Rev protein dimers",
		Year: 2014, Authors: []string{"Bhargavi Jayaraman"}}
	cite := func(id string, r Reference) Contribution {
		r.Index = 1
		return Contribution{DocumentID: id, Title: "Citing paper " + id, References: []Reference{r}}
	}
	docs := []Contribution{target, other,
		// Words reordered, first author as "Family Initials".
		cite("c1", Reference{Title: "RNA-directed remodeling of the HIV-1 Rev protein orchestrates assembly of the Rev-Rev response element complex", Year: 2014, Authors: []string{"Jayaraman B"}}),
		// In press the year before, title with a typo.
		cite("c2", Reference{Title: "RNA-directed remodelling of the HIV-1 Rev protein orchestrates assembly of the Rev-Rev response element complex", Year: 2013, Authors: []string{"B Jayaraman"}}),
		// Another first author: not the same work.
		cite("c3", Reference{Title: "RNA-directed remodeling of the HIV-1 Rev protein orchestrates assembly of the Rev-Rev response element", Year: 2014, Authors: []string{"A Someone"}}),
		// A DOI that is not the document's: another work.
		cite("c4", Reference{Title: "RNA-directed remodeling of the HIV-1 Rev protein orchestrates assembly of the Rev-Rev response element complexes", Year: 2014, Authors: []string{"B Jayaraman"}, DOI: "10.1/other"}),
		// Same author and year, a different paper on the same subject.
		cite("c5", Reference{Title: "Cryo-EM of Rev filaments on the response element", Year: 2014, Authors: []string{"B Jayaraman"}}),
		// No author at all, nearly identical title: linked on title alone.
		cite("c6", Reference{Title: "RNA directed remodeling of the HIV-1 protein Rev orchestrates assembly of the Rev Rev response element complexes", Year: 2014}),
		// Two years off: not linked.
		cite("c7", Reference{Title: "RNA-directed remodeling of the HIV-1 Rev protein orchestrates assembly of the Rev-Rev response element complex", Year: 2012, Authors: []string{"B Jayaraman"}}),
	}
	g := build("b", docs)
	got := map[string]string{}
	for _, e := range g.Edges {
		if n, _ := g.Node(e.Target); n.Kind == KindDocument {
			got[e.CitingDocument] = n.DocumentID + " " + e.Match
		}
	}
	assert.Equal(t, map[string]string{"c1": "t fuzzy-title", "c2": "t fuzzy-title", "c6": "t fuzzy-title"}, got)
}
