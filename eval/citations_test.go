package eval

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// citationsArticle is one JATS article of the test folder.
type citationsArticle struct {
	file, title, family, doi, heading string
	year                              int
	cites                             []int // indexes of the articles it cites
	// inPress cites an article under another title, a year early.
	inPress map[int]string
}

func citationsJATS(a citationsArticle, all []citationsArticle) string {
	var refs strings.Builder
	for k, c := range a.cites {
		t := all[c]
		title, year := t.title, t.year
		if v, ok := a.inPress[c]; ok {
			title, year = v, t.year-1
		}
		fmt.Fprintf(&refs, `<ref id="bib%d"><element-citation publication-type="journal"><person-group person-group-type="author"><name><surname>%s</surname><given-names>A</given-names></name></person-group><year>%d</year><article-title>%s</article-title><source>Journal of Tests</source><pub-id pub-id-type="doi">%s</pub-id></element-citation></ref>`,
			k+1, t.family, year, title, t.doi)
	}
	// An outside work every article of a heading cites: coupling.
	fmt.Fprintf(&refs, `<ref id="bibx"><element-citation publication-type="journal"><person-group person-group-type="author"><name><surname>Outsider</surname><given-names>O</given-names></name></person-group><year>1999</year><article-title>Foundations of %s research methods</article-title><source>Reviews</source><pub-id pub-id-type="doi">10.9999/%s</pub-id></element-citation></ref>`,
		a.heading, strings.ReplaceAll(strings.ToLower(a.heading), " ", "-"))
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<article article-type="research-article"><front><article-meta><article-id pub-id-type="doi">%s</article-id>
<article-categories><subj-group subj-group-type="heading"><subject>%s</subject></subj-group></article-categories>
<title-group><article-title>%s</article-title></title-group>
<contrib-group><contrib contrib-type="author"><name><surname>%s</surname><given-names>Ann</given-names></name></contrib></contrib-group>
<pub-date><year>%d</year></pub-date>
<kwd-group><kwd>%s</kwd></kwd-group>
</article-meta></front><body><p>Text.</p></body><back><ref-list>%s</ref-list></back></article>
`, a.doi, a.heading, a.title, a.family, a.year, a.heading, refs.String())
}

// citationsFolder writes 12 articles in two headings, each citing two
// earlier articles of its heading, and the gold links.
func citationsFolder(t *testing.T) (dir, gold string, links int) {
	t.Helper()
	dir = t.TempDir()
	topics := []struct{ heading, words string }{
		{"Neuroscience", "cortical neurons spike timing in the visual cortex of mice"},
		{"Plant biology", "root growth and auxin transport in arabidopsis seedlings"},
	}
	var arts []citationsArticle
	for i := range 12 {
		tp := topics[i%2]
		a := citationsArticle{
			file:    fmt.Sprintf("sub/art%02d.xml", i),
			title:   fmt.Sprintf("Study %d of %s", i, tp.words),
			family:  fmt.Sprintf("Author%c", 'A'+i),
			doi:     fmt.Sprintf("10.5555/test.%02d", i),
			heading: tp.heading,
			year:    2010 + i,
		}
		for _, c := range []int{i - 2, i - 4} {
			if c >= 0 {
				a.cites = append(a.cites, c)
			}
		}
		arts = append(arts, a)
	}
	// One reference cites its target under its title in press, with a typo
	// and the year before: only fuzzy matching links it without the DOI.
	arts[11].inPress = map[int]string{7: "Study 7 of root growth and auxin transports in arabidopsis seedlings"}
	var csv strings.Builder
	csv.WriteString("citing_file,citing_doi,cited_file,cited_doi\n")
	for _, a := range arts {
		for _, c := range a.cites {
			fmt.Fprintf(&csv, "%s,%s,%s,%s\n", filepath.Base(a.file), a.doi, filepath.Base(arts[c].file), arts[c].doi)
			links++
		}
	}
	fmt.Fprintf(&csv, "missing.xml,10.1/x,%s,%s\n", filepath.Base(arts[0].file), arts[0].doi)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	for _, a := range arts {
		require.NoError(t, os.WriteFile(filepath.Join(dir, filepath.FromSlash(a.file)), []byte(citationsJATS(a, arts)), 0o600))
	}
	gold = filepath.Join(t.TempDir(), "gold.csv")
	require.NoError(t, os.WriteFile(gold, []byte(csv.String()), 0o600))
	return dir, gold, links
}

func TestCitationsEval(t *testing.T) {
	dir, gold, links := citationsFolder(t)
	var diff strings.Builder
	res, err := Citations(context.Background(), dir, CitationsOptions{Gold: gold, Labels: LabelsSubjectHeading, Workers: 2, Diff: &diff})
	require.NoError(t, err)
	assert.Equal(t, 12, res.Documents)
	assert.Zero(t, res.Failed)
	assert.Equal(t, links, res.GoldEdges)
	assert.Equal(t, 1, res.GoldEdgesOutside)
	assert.Equal(t, 1.0, res.EdgeF1, diff.String())
	assert.Equal(t, 1.0, res.EdgeF1WithoutDOI, diff.String())
	assert.Empty(t, diff.String())
	require.NotNil(t, res.DomainNMI)
	assert.Equal(t, 12, res.LabelledDocuments)
	assert.Equal(t, 2, res.GoldDomains)
	assert.InDelta(t, 1.0, *res.DomainNMI, 1e-9)
	assert.InDelta(t, 1.0, *res.DomainARI, 1e-9)
	assert.Greater(t, res.Modularity, 0.3)
	assert.Equal(t, 2, res.Domains)

	var table strings.Builder
	require.NoError(t, res.WriteTable(&table))
	assert.Contains(t, table.String(), "references without DOIs")
	assert.Contains(t, table.String(), "NMI 1.0000")
}

func TestCitationsEvalErrors(t *testing.T) {
	_, err := Citations(context.Background(), t.TempDir(), CitationsOptions{})
	require.ErrorContains(t, err, "no documents")
	dir, _, _ := citationsFolder(t)
	_, err = Citations(context.Background(), dir, CitationsOptions{Labels: "mesh"})
	require.ErrorContains(t, err, `unknown labels "mesh"`)
	bad := filepath.Join(t.TempDir(), "bad.csv")
	require.NoError(t, os.WriteFile(bad, []byte("a,b\n1,2\n"), 0o600))
	_, err = Citations(context.Background(), dir, CitationsOptions{Gold: bad})
	require.ErrorContains(t, err, "want columns citing_file and cited_file")
}

func TestClusterAgreement(t *testing.T) {
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	// Identical up to renaming.
	nmi, ari := clusterAgreement([]string{"a", "a", "b", "b"}, []string{"x", "x", "y", "y"})
	assert.True(t, near(nmi, 1) && near(ari, 1), "%v %v", nmi, ari)
	// Independent: NMI 0, ARI negative (below chance).
	nmi, ari = clusterAgreement([]string{"a", "a", "b", "b"}, []string{"x", "y", "x", "y"})
	assert.True(t, near(nmi, 0), "%v", nmi)
	assert.True(t, near(ari, -0.5), "%v", ari)
	// scikit-learn: normalized_mutual_info_score([0,0,0,1,1,1],[0,0,1,1,2,2])
	// = 0.5158037429793889, adjusted_rand_score = 0.24242424242424243.
	nmi, ari = clusterAgreement([]string{"0", "0", "0", "1", "1", "1"}, []string{"0", "0", "1", "1", "2", "2"})
	assert.InDelta(t, 0.5158037429793889, nmi, 1e-12)
	assert.InDelta(t, 0.24242424242424243, ari, 1e-12)
}

func TestSubjectHeadings(t *testing.T) {
	x := `<article><front><article-meta><article-categories>
<subj-group subj-group-type="display-channel"><subject>Research article</subject></subj-group>
<subj-group subj-group-type="heading"><subject>Neuroscience</subject></subj-group>
<subj-group subj-group-type="heading"><subject> Cell
 biology </subject></subj-group></article-categories></article-meta></front>
<body><subj-group subj-group-type="heading"><subject>Not front</subject></subj-group></body></article>`
	assert.Equal(t, []string{"Cell biology", "Neuroscience"}, subjectHeadings([]byte(x)))
	assert.Nil(t, subjectHeadings([]byte("plain text")))
}
