package extract

import (
	"context"
	"testing"
)

// A paper with one author: the title must stop before the name, whether
// the name has an initial or is followed by an affiliation.
func TestSoleAuthorEndsTitle(t *testing.T) {
	cases := []struct{ name, text, title, author string }{
		{"initial", "Gravitational waves and cosmic shear across binary\nneutron star mergers\nB. Williams\nUniversity of Göttingen, Germany\n\nAbstract\nText.\n",
			"Gravitational waves and cosmic shear across binary neutron star mergers", "B. Williams"},
		{"affiliation follows", "How perovskite stability may reveal magnetic anisotropy\nAmélie Fontaine\nDepartment of Materials Science, University of Oxford\n\nAbstract\nText.\n",
			"How perovskite stability may reveal magnetic anisotropy", "Amélie Fontaine"},
		{"title case wrap is not a name", "Deep Learning for\nProtein Structure Prediction\nA. Smith, B. Jones\n\nAbstract\nText.\n",
			"Deep Learning for Protein Structure Prediction", "A. Smith"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var d Document
			if err := parsePlain(context.Background(), tc.text, &d); err != nil {
				t.Fatal(err)
			}
			if d.Title != tc.title {
				t.Errorf("title %q, want %q", d.Title, tc.title)
			}
			if len(d.Authors) == 0 || d.Authors[0].Full != tc.author {
				t.Errorf("authors %+v, want first %q", d.Authors, tc.author)
			}
		})
	}
}
