package citations

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalizeDOI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"10.1000/ABC.def", "10.1000/abc.def"},
		{"https://doi.org/10.1000/xyz", "10.1000/xyz"},
		{"http://dx.doi.org/10.1000/xyz", "10.1000/xyz"},
		{"doi:10.1000/xyz.", "10.1000/xyz"},
		{"DOI: 10.1000/xyz);", "10.1000/xyz"},
		{"  10.1000/xyz  ", "10.1000/xyz"},
		{"not a doi", ""},
		{"10.1000", ""},
		{"10.1000/", ""},
		{"", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, NormalizeDOI(tt.in), "NormalizeDOI(%q)", tt.in)
	}
}

func TestNormalizeTitle(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Deep Learning", "deep learning"},
		{"  Déjà-vu: über Łódź!  ", "deja vu uber lodz"},
		{"A  --  B", "a b"},
		{"Straße", "strasse"},
		{"Ἀρχή 42", "ἀρχή 42"},
		{"...", ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, NormalizeTitle(tt.in), "NormalizeTitle(%q)", tt.in)
	}
}

// doc builds a contribution; refs are (title, doi, year) triples.
func doc(id, title, doi string, year int32, kw []string, refs ...Reference) Contribution {
	for i := range refs {
		refs[i].Index = int32(i + 1)
	}
	return Contribution{DocumentID: id, Title: title, DOI: doi, Year: year, Keywords: kw, References: refs}
}

func ref(title, doi string, year int32) Reference {
	return Reference{Title: title, DOI: doi, Year: year}
}

func edgesOf(g *Graph) map[[2]string]string {
	out := map[[2]string]string{}
	for _, e := range g.Edges {
		out[[2]string{e.Source, e.Target}] = e.Match
	}
	return out
}

func TestLinking(t *testing.T) {
	a, b := DocumentNodeID("a"), DocumentNodeID("b")
	tests := []struct {
		name      string
		docs      []Contribution
		wantEdges map[[2]string]string // source,target → match; "x" target means any external
		wantNodes int
		check     func(t *testing.T, g *Graph)
	}{
		{
			name: "doi link through prefix and case",
			docs: []Contribution{
				doc("a", "Alpha paper on things", "10.1000/ALPHA", 2020, nil),
				doc("b", "Beta", "", 2021, nil, ref("garbled title", "https://doi.org/10.1000/alpha.", 0)),
			},
			wantEdges: map[[2]string]string{{b, a}: MatchDOI},
			wantNodes: 2,
		},
		{
			name: "title link with accents and one missing year",
			docs: []Contribution{
				doc("a", "Über die Theorie der Déjà-vu Erlebnisse", "", 0, nil),
				doc("b", "Beta", "", 2021, nil, ref("uber die theorie der deja vu erlebnisse", "", 1999)),
			},
			wantEdges: map[[2]string]string{{b, a}: MatchTitle},
			wantNodes: 2,
		},
		{
			name: "title with different years is an outside work",
			docs: []Contribution{
				doc("a", "A long enough title here", "", 2001, nil),
				doc("b", "Beta", "", 2021, nil, ref("A long enough title here", "", 1999)),
			},
			wantNodes: 3,
			check: func(t *testing.T, g *Graph) {
				require.Len(t, g.Edges, 1)
				n, ok := g.Node(g.Edges[0].Target)
				require.True(t, ok)
				assert.Equal(t, KindExternal, n.Kind)
				assert.Equal(t, int32(1999), n.Year)
			},
		},
		{
			name: "outside work shared by two citing documents is one node",
			docs: []Contribution{
				doc("a", "A", "", 2020, nil, ref("Shared Work", "10.5/shared", 2010)),
				doc("b", "B", "", 2020, nil, ref("Shared work!", "doi:10.5/SHARED", 2010)),
				doc("c", "C", "", 2020, nil, ref("shared work", "", 0)), // joins by title
			},
			wantNodes: 4,
			check: func(t *testing.T, g *Graph) {
				x := externalNodeID("doi:10.5/shared")
				n, ok := g.Node(x)
				require.True(t, ok)
				assert.Equal(t, 3, n.InDegree)
				assert.Equal(t, "10.5/shared", n.DOI)
				assert.Equal(t, int32(2010), n.Year)
				assert.Equal(t, MatchTitle, edgesOf(g)[[2]string{DocumentNodeID("c"), x}])
				m := g.Metrics(10)
				require.Len(t, m.TopCited, 1)
				assert.Equal(t, 3, m.TopCited[0].Citations)
				assert.Equal(t, int64(1), m.Components)
			},
		},
		{
			name: "title-only outside works merge across missing year",
			docs: []Contribution{
				doc("a", "A", "", 2020, nil, ref("Some book", "", 1990)),
				doc("b", "B", "", 2020, nil, ref("Some Book.", "", 0)),
			},
			wantNodes: 3,
			check: func(t *testing.T, g *Graph) {
				n, ok := g.Node(externalNodeID("title:some book|1990"))
				require.True(t, ok)
				assert.Equal(t, 2, n.InDegree)
			},
		},
		{
			name: "self-citation, repeats and empty references make no edge",
			docs: []Contribution{
				doc("a", "A self citing paper", "10.1/a", 2020, nil,
					ref("", "10.1/a", 0), ref("Other", "", 0), ref("other", "", 0), ref("", "", 0)),
			},
			wantNodes: 2,
			check: func(t *testing.T, g *Graph) {
				require.Len(t, g.Edges, 1)
				assert.Equal(t, int32(2), g.Edges[0].ReferenceIndex, "the first of repeated references is kept")
				m := g.Metrics(10)
				assert.Equal(t, int64(4), m.References)
				assert.Equal(t, int64(1), m.Edges)
				assert.Equal(t, int64(0), m.InternalEdges)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := NewIndex()
			for _, d := range tt.docs {
				require.True(t, x.Apply("b1", d))
			}
			g := x.Network("b1").Snapshot()
			assert.Len(t, g.Nodes, tt.wantNodes)
			got := edgesOf(g)
			for k, m := range tt.wantEdges {
				assert.Equal(t, m, got[k], "edge %v", k)
			}
			if tt.check != nil {
				tt.check(t, g)
			}
		})
	}
}

func TestApplyIsIdempotentAndFenced(t *testing.T) {
	x := NewIndex()
	d := doc("a", "A", "", 2020, nil, ref("W1", "10.1/w1", 0), ref("W2", "10.1/w2", 0))
	d.Epoch, d.Seq = 1, 10
	require.True(t, x.Apply("b", d))
	before := x.Network("b").Snapshot().Metrics(10)

	// The same result again (a redelivery, or a republish under another
	// message id) changes nothing.
	again := d
	again.Seq = 11
	require.True(t, x.Apply("b", again))
	assert.Equal(t, before, x.Network("b").Snapshot().Metrics(10))

	// A newer epoch replaces the contribution rather than adding to it.
	newer := doc("a", "A", "", 2020, nil, ref("W1", "10.1/w1", 0))
	newer.Epoch, newer.Seq = 2, 12
	require.True(t, x.Apply("b", newer))
	m := x.Network("b").Snapshot().Metrics(10)
	assert.Equal(t, int64(1), m.Documents)
	assert.Equal(t, int64(1), m.References)

	// A stale result (older epoch) arriving late is ignored.
	assert.False(t, x.Supersedes("b", d))
	assert.False(t, x.Apply("b", d))
	assert.Equal(t, m, x.Network("b").Snapshot().Metrics(10))

	assert.Nil(t, x.Network("unknown"))
	assert.Equal(t, []string{"b"}, x.Batches())
}

// corpus has two obvious communities: a*-documents couple through W1–W3 and
// cite each other, b*-documents through V1–V3; plus one document that cites
// nothing and a failed one.
func corpus() []Contribution {
	var docs []Contribution
	for i := range 4 {
		docs = append(docs, doc(fmt.Sprintf("a%d", i), fmt.Sprintf("Graph neural networks part %d", i), fmt.Sprintf("10.9/a%d", i), 2018+int32(i%2),
			[]string{"Graph Learning", "neural networks", fmt.Sprintf("topic-a%d", i)},
			ref("W1", "10.7/w1", 2001), ref("W2", "", 2002), ref("W3", "10.7/w3", 0),
			ref("", fmt.Sprintf("10.9/a%d", (i+1)%4), 0)))
		docs = append(docs, doc(fmt.Sprintf("b%d", i), fmt.Sprintf("Protein folding study %d", i), "", 2020,
			[]string{"protein folding", "Biology", "neural networks"},
			ref("V1", "10.8/v1", 0), ref("V2", "10.8/v2", 0), ref("V3 title", "", 1990),
			ref(fmt.Sprintf("Protein folding study %d", (i+1)%4), "", 2020)))
	}
	docs = append(docs, doc("lonely", "Nothing cited", "", 0, []string{"misc"}))
	docs = append(docs, Contribution{DocumentID: "failed", Failed: true})
	return docs
}

func TestDomainsSeparateCommunities(t *testing.T) {
	x := NewIndex()
	for _, d := range corpus() {
		x.Apply("b", d)
	}
	ds := x.Network("b").Snapshot().Domains()
	require.Len(t, ds, 3)
	assert.Equal(t, []string{"a0", "a1", "a2", "a3"}, ds[0].DocumentIDs)
	assert.Equal(t, "domain-1", ds[0].ID)
	// "neural networks" is in every a-document but also every b-document:
	// 4²/8 = 2 still beats a topic carried by one document (1²/1).
	assert.Equal(t, []string{"Graph Learning", "neural networks", "topic-a0", "topic-a1", "topic-a2"}, ds[0].Keywords)
	assert.Equal(t, []string{"b0", "b1", "b2", "b3"}, ds[1].DocumentIDs)
	assert.Equal(t, []string{"Biology", "protein folding", "neural networks"}, ds[1].Keywords)
	assert.Equal(t, UnlinkedDomainID, ds[2].ID)
	assert.Equal(t, []string{"failed", "lonely"}, ds[2].DocumentIDs)
}

type outcome struct {
	exports map[Format][]byte
	metrics Metrics
	domains []Domain
}

func outcomeOf(t *testing.T, docs []Contribution) outcome {
	t.Helper()
	x := NewIndex()
	for _, d := range docs {
		x.Apply("batch", d)
	}
	g := x.Network("batch").Snapshot()
	o := outcome{exports: map[Format][]byte{}, metrics: g.Metrics(5), domains: g.Domains()}
	for _, f := range Formats {
		var buf bytes.Buffer
		require.NoError(t, g.Export(&buf, f))
		o.exports[f] = buf.Bytes()
	}
	return o
}

func TestOrderIndependence(t *testing.T) {
	docs := corpus()
	reversed := make([]Contribution, len(docs))
	for i, d := range docs {
		reversed[len(docs)-1-i] = d
	}
	interleaved := make([]Contribution, 0, len(docs))
	for i := 0; i < len(docs); i += 2 {
		interleaved = append(interleaved, docs[i])
	}
	for i := 1; i < len(docs); i += 2 {
		interleaved = append(interleaved, docs[i])
	}
	want := outcomeOf(t, docs)
	for name, order := range map[string][]Contribution{"reversed": reversed, "interleaved": interleaved} {
		got := outcomeOf(t, order)
		for f, b := range want.exports {
			assert.Equal(t, string(b), string(got.exports[f]), "%s export %s", name, f)
		}
		assert.Equal(t, want.metrics, got.metrics, name)
		assert.Equal(t, want.domains, got.domains, name)
	}
	m := want.metrics
	assert.Equal(t, int64(10), m.Documents)
	assert.Equal(t, int64(8), m.InternalEdges)
	assert.Equal(t, []YearCount{{2018, 2}, {2019, 2}, {2020, 4}}, m.PerYear)
	// Two communities, the lonely document and the failed one.
	assert.Equal(t, int64(4), m.Components)
	require.Len(t, m.TopCited, 5)
	assert.Equal(t, 4, m.TopCited[0].Citations)
}

func TestExportUnsupported(t *testing.T) {
	x := NewIndex()
	x.Apply("b", doc("a", "A", "", 0, nil))
	err := x.Network("b").Snapshot().Export(io.Discard, Format("docx"))
	require.ErrorIs(t, err, ErrUnsupportedFormat)
}

func TestGraphMLIsWellFormed(t *testing.T) {
	docs := corpus()
	docs = append(docs, doc("odd <&> \"id\"", "Title with \x01 control & <markup>", "", 2000, nil, ref("W1", "10.7/w1", 0)))
	o := outcomeOf(t, docs)
	gml := o.exports[FormatGraphML]
	dec := xml.NewDecoder(bytes.NewReader(gml))
	nodes, edges := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok {
			switch se.Name.Local {
			case "node":
				nodes++
			case "edge":
				edges++
			}
		}
	}
	assert.Equal(t, int(o.metrics.Nodes), nodes)
	assert.Equal(t, int(o.metrics.Edges), edges)

	// Read it back with networkx when it is at hand: an independent GraphML
	// reader is the real test of the key declarations.
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found; skipping the networkx read-back")
	}
	if err := exec.Command(py, "-c", "import networkx").Run(); err != nil {
		t.Skip("python3 has no networkx; skipping the networkx read-back")
	}
	path := filepath.Join(t.TempDir(), "net.graphml")
	require.NoError(t, os.WriteFile(path, gml, 0o600))
	script := `import sys, networkx as nx
g = nx.read_graphml(sys.argv[1])
assert g.is_directed()
years = [d["year"] for _, d in g.nodes(data=True) if "year" in d]
assert all(isinstance(y, int) for y in years)
kinds = sorted({d["kind"] for _, d in g.nodes(data=True)})
print(g.number_of_nodes(), g.number_of_edges(), ",".join(kinds), len(years))`
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	require.NoError(t, err, string(out))
	years := 0
	x := NewIndex()
	for _, d := range docs {
		x.Apply("batch", d)
	}
	for _, n := range x.Network("batch").Snapshot().Nodes {
		if n.Year != 0 {
			years++
		}
	}
	assert.Equal(t, fmt.Sprintf("%d %d document,external %d\n", nodes, edges, years), string(out))
}
