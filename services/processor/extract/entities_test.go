package extract

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// mentions lists "type:name@text" for the entities of doc.
func mentions(doc *Document) []string {
	var out []string
	for _, e := range doc.Entities {
		require.Equal(nil, e.Text, doc.Text[e.Start:e.End], "offsets point at the mention")
		out = append(out, string(e.Type)+":"+e.Name+"@"+e.Text)
	}
	return out
}

func TestCitationsNumbered(t *testing.T) {
	pages := []string{
		"Graph Methods for Citation Networks\n\nAnn Lee1, Bo Chen2\n1 University of Oslo, Norway\n\n1. Introduction\nCitation graphs are studied widely [1]. Later work [2-3] extended them.\nSee also [1, 3] and the 2019 survey [2019].",
		"Networks grow [4]. The end.\n\nReferences\n[1] A. Author. First. J, 2001.\n[2] B. Author. Second. J, 2002.\n[3] C. Author. Third. J, 2003.\n[4] D. Author. Fourth. J, 2004.",
	}
	doc, err := Extract(context.Background(), strings.NewReader("%PDF-1.7\n"), "x.pdf", Options{PDF: fakePDF{pages: pages}})
	require.NoError(t, err)
	require.Len(t, doc.References, 4)
	require.Equal(t, []int{0, strings.IndexByte(doc.Text, '\f') + 1}, doc.PageStarts)

	got := markers(doc)
	// "[2019]" indexes no reference, and the reference list cites nothing.
	require.Equal(t, []string{"[1]", "[2-3]", "[1, 3]", "[4]"}, got)
	require.Equal(t, []int{2, 3}, doc.Citations[1].Refs)
	require.Equal(t, []int{1, 3}, doc.Citations[2].Refs)
	require.Equal(t, 1, doc.Citations[0].Page)
	require.Equal(t, 2, doc.Citations[3].Page)
	require.Equal(t, "Citation graphs are studied widely [1].", doc.Citations[0].Context)
	require.Equal(t, "Networks grow [4].", doc.Citations[3].Context)
}

func TestCitationsSuperscriptAndHeader(t *testing.T) {
	text := "A Study of Heat Networks\n\nAnn Lee1, Bo Chen2\n\n1. Introduction\n" +
		"Heat networks supply many homes2. Demand depends on weather3,4 and on CO2 prices.\n\n" +
		"References\n1. A. Author. One. J, 2001.\n2. B. Author. Two. J, 2002.\n3. C. Author. Three. J, 2003.\n4. D. Author. Four. J, 2004.\n"
	doc := extractString(t, "x.txt", text)
	require.Len(t, doc.References, 4)
	got := citedRefs(doc)
	// Not "Lee1" and "Chen2" in the header, not "CO2".
	require.Equal(t, [][]int{{2}, {3, 4}}, got)
	require.Equal(t, 0, doc.Citations[0].Page, "no pages outside PDF")
}

func TestCitationsAuthorYear(t *testing.T) {
	text := "Learning in Cortex\n\nAnn Lee\n\nIntroduction\n" +
		"Plasticity follows timing (Markram et al., 1997; Bi and Poo, 1998). Feldman (2012) reviewed it. Smith, 1990 is not in the list.\n\n" +
		"References\nMarkram H, Lubke J. 1997. Regulation of synaptic efficacy. Science 275:213.\n" +
		"Bi G, Poo M. 1998. Synaptic modifications. J Neurosci 18:10464.\n" +
		"Feldman D, Brecht M. 2012. The spike-timing dependence of plasticity. Neuron 75:556.\n"
	doc := extractString(t, "x.txt", text)
	require.Len(t, doc.References, 3)
	got := markers(doc)
	require.Equal(t, []string{"Markram et al., 1997", "Bi and Poo, 1998", "Feldman (2012"}, got)
	require.Contains(t, doc.Citations[0].Context, "Plasticity follows timing")
	var persons []string
	for _, e := range doc.Entities {
		if e.Type == EntityPerson {
			persons = append(persons, e.Name+"@"+e.Text)
		}
	}
	require.Contains(t, persons, doc.References[0].Authors[0]+"@Markram")
}

func TestEntities(t *testing.T) {
	text := "Soil Carbon in Alpine Grasslands\n\nMaria Garcia, Li Wei\n\n" +
		"Keywords: soil carbon; grazing\n\n" +
		"Introduction\n" +
		"We sampled sites in Norway and the United Kingdom with the University of Oslo and the Max Planck Institute for Biogeochemistry. " +
		"Soil carbon in alpine grasslands responds to grazing. Maria Garcia led the work in Switzerland.\n" +
		"Alpine grasslands store soil carbon.\n"
	doc := extractString(t, "x.txt", text)
	got := mentions(doc)
	for _, want := range []string{
		"organisation:University of Oslo@University of Oslo",
		"organisation:Max Planck Institute for Biogeochemistry@Max Planck Institute for Biogeochemistry",
		"place:Norway@Norway",
		"place:United Kingdom@United Kingdom",
		"place:Switzerland@Switzerland",
		"person:Maria Garcia@Maria Garcia",
		"concept:soil carbon@Soil carbon",
		"concept:alpine grasslands@alpine grasslands",
		"concept:grazing@grazing",
	} {
		require.Contains(t, got, want)
	}
	for _, g := range got {
		require.NotContains(t, g, "place:Oslo", "a place inside an organisation's name is the organisation's")
	}
}

func TestEntityMentionsAreBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("Norway Everywhere\n\nAnn Lee\n\nIntroduction\n")
	for range 500 {
		b.WriteString("We went to Norway again. ")
	}
	doc := extractString(t, "x.txt", b.String())
	n := 0
	for _, e := range doc.Entities {
		if e.Name == "Norway" && e.Type == EntityPlace {
			n++
		}
	}
	require.Equal(t, maxMentionsPerName, n)
}

func TestCitationsYearLetters(t *testing.T) {
	text := "Malaria Strains\n\nAnn Lee\n\nIntroduction\n" +
		"Strain theory (Gupta and Day, 1994a) has a framework (Gupta and Day, 1994b). Both are reviewed (Gupta and Day, 1994).\n\n" +
		"References\nGupta S, Day K. 1994a. A strain theory of malaria transmission. Parasitol Today 10:476.\n" +
		"Gupta S, Day K. 1994b. A theoretical framework for immunoepidemiology. Parasite Immunol 16:361.\n"
	doc := extractString(t, "x.txt", text)
	require.Len(t, doc.References, 2)
	got := citedRefs(doc)
	// The letter picks one reference; a marker without it could be either.
	require.Equal(t, [][]int{{1}, {2}, {1, 2}}, got)
}
