package extract

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// markers lists the text of each of doc's citation markers.
func markers(doc *Document) []string {
	var out []string
	for _, c := range doc.Citations {
		out = append(out, doc.Text[c.Start:c.End])
	}
	return out
}

// citedRefs lists the reference indexes each of doc's citations cites.
func citedRefs(doc *Document) [][]int {
	var out [][]int
	for _, c := range doc.Citations {
		out = append(out, c.Refs)
	}
	return out
}

func TestAuthorBefore(t *testing.T) {
	for _, c := range []struct {
		text, first string // first "" when no marker is read
	}{
		{"as shown (Smith, 2003", "Smith"},
		{"as shown (Smith et al. 2006", "Smith"},
		{"as shown (Long\net al., 2020", "Long"},
		{"Smith and Jones (2001", "Smith"},
		{"(Nelson, Bidwell & Sillero-Zubiri, 2003", "Nelson"},
		{"(Woodroffe, Thirgood & Rabinowitz,\n2005", "Woodroffe"},
		{"(Tarrant, Kruger & du Preez, 2016", "Tarrant"},
		{"(e.g., Smith & Lee, 2003", "Smith"},
		{"(van Aarde & Jackson, 2007", "Aarde"},
		{"(Hall 1946", "Hall"},
		{"designated in 2007", ""},
		{"up to 2003", ""},
	} {
		year := len(c.text) - 4
		_, ns, ne, ok := authorBefore(c.text, 0, year)
		if c.first == "" {
			require.False(t, ok, "%q read as a marker of %q", c.text, c.text[ns:ne])
			continue
		}
		require.True(t, ok, "%q", c.text)
		require.Equal(t, c.first, c.text[ns:ne], "%q", c.text)
	}
}

// Styles that set the superscript after the punctuation flatten to
// "country.1–3 Several"; the marker is the numbers alone.
func TestCitationsSuperscriptAfterPunctuation(t *testing.T) {
	text := "Clean Heating and Health\n\nAnn Lee1, Bo Chen2\n\nIntroduction\n" +
		"The policy covers the country.1–3 Measures have been taken,2,4 and at 3.4 mg/m3 the air improved.4\n\n" +
		"References\n1. A. Author. One. J, 2001.\n2. B. Author. Two. J, 2002.\n3. C. Author. Three. J, 2003.\n4. D. Author. Four. J, 2004.\n"
	doc := extractString(t, "x.txt", text)
	require.Len(t, doc.References, 4)
	got, refs := markers(doc), citedRefs(doc)
	require.Equal(t, []string{"1–3", "2,4", "4"}, got)
	require.Equal(t, [][]int{{1, 2, 3}, {2, 4}, {4}}, refs)
}

// A short note whose first recognised heading comes after its text
// ("Author Contributions") still has its citations found: the body starts
// where the header ends.
func TestCitationsBeforeTheFirstHeading(t *testing.T) {
	text := "Wolves Return to Nevada\n\nAnn Lee\n\nAbstract\nA gray wolf was photographed by a camera trap in northwestern Nevada, the second sighting in the state in a century.\n\n" +
		"Wolves avoid open habitat (Oakleaf et al. 2006; Mech 2017), but they disperse far.\n\n" +
		"Author Contributions\nAnn Lee did everything.\n\n" +
		"References\nMech, L. D. 2017. Where can wolves live. Biological Conservation 210: 310-317.\n" +
		"Oakleaf, J. K., D. L. Murray, and J. R. Oakleaf. 2006. Habitat selection by wolves. Journal of Wildlife Management 70: 554-563.\n"
	doc := extractString(t, "x.txt", text)
	require.Len(t, doc.References, 2)
	got := markers(doc)
	require.Equal(t, []string{"Oakleaf et al. 2006", "Mech 2017"}, got)
	require.NotContains(t, strings.Join(got, " "), "Nevada")
}

// Without an "Abstract" or any heading before the references, the body
// starts after the author line, not 80 lines in: the superscripts of the
// first paragraphs count, the affiliation marks of the author line do not.
func TestCitationsWithoutHeadings(t *testing.T) {
	var b strings.Builder
	b.WriteString("Heat Demand Prediction for District Heating Networks\n\nAnn Lee1, Bo Chen2 & Cai Wu3\n\n")
	b.WriteString("District heating supplies many homes in cold regions of the world today1.\n")
	for range 90 {
		b.WriteString("Demand depends on the weather and on the habits of the people who live in the homes.\n")
	}
	b.WriteString("Storage decouples production from demand2,3.\n\n")
	b.WriteString("References\n1. A. Author. One. J, 2001.\n2. B. Author. Two. J, 2002.\n3. C. Author. Three. J, 2003.\n")
	doc := extractString(t, "x.txt", b.String())
	require.Len(t, doc.References, 3)
	require.Equal(t, []string{"1", "2,3"}, markers(doc))
}
