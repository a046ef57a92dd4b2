package resolver_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/docbatch/docbatch/services/resolver"
	"github.com/docbatch/docbatch/services/resolver/match"
)

// corpus is a small batch with the cases the spine must get right.
func corpus() []resolver.Document {
	return []resolver.Document{
		{ID: "doc-a", Authors: []resolver.Author{
			{FullName: "Christopher Smith", Given: "Christopher", Family: "Smith", Affiliation: "The Univ. of Oxford"},
			{FullName: "Jane Doe", ORCID: "https://orcid.org/0000-0002-1825-009x", Affiliation: "Department of Physics, MIT"},
		}, References: []resolver.Reference{
			{Title: "Deep Learning", Year: 2015, DOI: "https://doi.org/10.1038/NATURE14539", Authors: []string{"LeCun Y"}},
			{Title: "A Study of Things", Year: 2001},
		}},
		{ID: "doc-b", Authors: []resolver.Author{
			{FullName: "C. J. Smith", Affiliation: "University of Oxford"},
			{FullName: "Jane Roe", ORCID: "0000-0002-1825-009X"}, // same ORCID, changed name
		}, References: []resolver.Reference{
			{Title: "Deep learning.", Year: 2015, DOI: "10.1038/nature14539"},
			{Title: "A study of things", Year: 2001},
			{Title: "A study of things", Year: 2002}, // another year: another work
		}},
		{ID: "doc-c", Authors: []resolver.Author{
			{FullName: "Müller, Hans", Affiliation: "Department of Physics, MIT"},
		}, References: []resolver.Reference{
			{Raw: "Unparsed reference text"},
		}},
		{ID: "doc-d", Failed: true, Authors: []resolver.Author{{FullName: "Ghost Writer"}}},
		{ID: "doc-e", Authors: []resolver.Author{{FullName: "Hans Muller"}, {FullName: "Hans Müller"}}},
	}
}

func applyAll(t *testing.T, x *resolver.Index, batch string, docs []resolver.Document, order []int) {
	t.Helper()
	for _, i := range order {
		d := docs[i]
		x.Apply(batch, d.ID, resolver.Version{}, resolver.ExtractMentions(d))
	}
}

func listAll(t *testing.T, x *resolver.Index, batch string) []resolver.Cluster {
	t.Helper()
	cs, total, err := x.ListClusters(batch, resolver.TypeUnspecified, 0, 0, 0)
	require.NoError(t, err)
	require.Len(t, cs, total)
	return cs
}

func clusterOf(t *testing.T, cs []resolver.Cluster, docID, locator string) resolver.Cluster {
	t.Helper()
	for _, c := range cs {
		for _, m := range c.Members {
			if m.DocumentID == docID && m.Locator == locator {
				return c
			}
		}
	}
	t.Fatalf("no cluster holds %s %s", docID, locator)
	return resolver.Cluster{}
}

func TestOrderIndependence(t *testing.T) {
	docs := corpus()
	orders := [][]int{
		{0, 1, 2, 3, 4},
		{4, 3, 2, 1, 0},
		{1, 3, 4, 0, 2, 1, 0, 4}, // with re-applies, as redeliveries would do
	}
	var want []resolver.Cluster
	for i, order := range orders {
		x := resolver.NewIndex()
		applyAll(t, x, "b1", docs, order)
		got := listAll(t, x, "b1")
		if i == 0 {
			want = got
			continue
		}
		require.Equal(t, want, got, "order %v", order)
	}
}

func TestApplyIsIdempotent(t *testing.T) {
	docs := corpus()
	x := resolver.NewIndex()
	applyAll(t, x, "b1", docs, []int{0, 1, 2, 3, 4})
	before := listAll(t, x, "b1")
	statsBefore, err := x.Stats("b1")
	require.NoError(t, err)

	applyAll(t, x, "b1", docs, []int{0, 1, 2, 3, 4})
	require.Equal(t, before, listAll(t, x, "b1"))
	statsAfter, err := x.Stats("b1")
	require.NoError(t, err)
	require.Equal(t, statsBefore, statsAfter)
	require.Equal(t, 5, statsAfter.Documents, "a failed document still counts")

	// Replacing a document's contribution removes what it said before.
	x.Apply("b1", "doc-c", resolver.Version{}, nil)
	s, err := x.Stats("b1")
	require.NoError(t, err)
	require.Equal(t, statsBefore.Mentions-len(resolver.ExtractMentions(docs[2])), s.Mentions)
}

func TestOlderVersionIsIgnored(t *testing.T) {
	x := resolver.NewIndex()
	newer := []resolver.Mention{{Locator: "author[0]", Text: "Ada Lovelace", Type: resolver.TypePerson}}
	older := []resolver.Mention{{Locator: "author[0]", Text: "Alan Turing", Type: resolver.TypePerson}}
	require.True(t, x.Apply("b", "d", resolver.Version{Epoch: 2, Seq: 5}, newer))
	require.False(t, x.Apply("b", "d", resolver.Version{Epoch: 1, Seq: 9}, older), "stale epoch")
	require.False(t, x.Apply("b", "d", resolver.Version{Epoch: 2, Seq: 4}, older), "stale sequence")
	require.True(t, x.Apply("b", "d", resolver.Version{Epoch: 2, Seq: 5}, newer), "same version re-applies")
	cs := listAll(t, x, "b")
	require.Len(t, cs, 1)
	require.Equal(t, "Ada Lovelace", cs[0].CanonicalName)
}

func TestClusters(t *testing.T) {
	x := resolver.NewIndex()
	applyAll(t, x, "b1", corpus(), []int{0, 1, 2, 3, 4})
	cs := listAll(t, x, "b1")

	tests := []struct {
		name       string
		a, b       [2]string // two mentions (document, locator)
		same       bool
		method     string
		confidence float64
		canonical  string
	}{
		{"initials and full given name", [2]string{"doc-a", "author[0]"}, [2]string{"doc-b", "author[0]"}, true, match.MethodScore, 0, "C. J. Smith"},
		{"same ORCID merges different names", [2]string{"doc-a", "author[1]"}, [2]string{"doc-b", "author[1]"}, true, match.MethodORCID, 1.0, "Jane Doe"},
		{"diacritics and inverted names fold together", [2]string{"doc-c", "author[0]"}, [2]string{"doc-e", "author[0]"}, true, match.MethodScore, 0, "Hans Muller"},
		{"two authors of one paper are two people", [2]string{"doc-e", "author[0]"}, [2]string{"doc-e", "author[1]"}, false, "", 0, ""},
		{"abbreviated university", [2]string{"doc-a", "author[0].affiliation"}, [2]string{"doc-b", "author[0].affiliation"}, true, match.MethodScore, 0, "The Univ. of Oxford"},
		{"abbreviated department", [2]string{"doc-a", "author[1].affiliation"}, [2]string{"doc-c", "author[0].affiliation"}, true, match.MethodScore, 0, "Department of Physics, MIT"},
		{"DOI case and URL prefix", [2]string{"doc-a", "reference[0]"}, [2]string{"doc-b", "reference[0]"}, true, match.MethodDOI, 1.0, "Deep Learning"},
		{"title and year", [2]string{"doc-a", "reference[1]"}, [2]string{"doc-b", "reference[1]"}, true, match.MethodScore, 0, "A Study of Things"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := clusterOf(t, cs, tc.a[0], tc.a[1])
			b := clusterOf(t, cs, tc.b[0], tc.b[1])
			if !tc.same {
				require.NotEqual(t, a.ID, b.ID)
				return
			}
			require.Equal(t, a.ID, b.ID)
			require.Equal(t, tc.method, a.Method)
			if tc.confidence > 0 {
				require.InDelta(t, tc.confidence, a.Confidence, 1e-9)
			} else {
				require.True(t, a.Confidence > 0.5 && a.Confidence <= 1, "confidence %v", a.Confidence)
			}
			require.Equal(t, tc.canonical, a.CanonicalName)
			require.Equal(t, len(a.Members), a.MemberCount)
		})
	}

	// Canonical order: type, member count descending, id.
	for i := 1; i < len(cs); i++ {
		p, c := cs[i-1], cs[i]
		ordered := p.Type < c.Type || (p.Type == c.Type && (p.MemberCount > c.MemberCount || (p.MemberCount == c.MemberCount && p.ID < c.ID)))
		require.True(t, ordered, "clusters %d and %d out of order", i-1, i)
	}
}

func TestORCIDAndNameKey(t *testing.T) {
	person := func(doc, name, orcid string) (string, []resolver.Mention) {
		attrs := map[string]string{}
		if orcid != "" {
			attrs[resolver.AttrORCID] = orcid
		}
		return doc, []resolver.Mention{{Locator: "author[0]", Text: name, Type: resolver.TypePerson, Attributes: attrs}}
	}
	tests := []struct {
		name     string
		docs     [][2]string // name, orcid
		clusters int
	}{
		{"a bare initial and surname is not evidence enough to join an ORCID", [][2]string{{"John Smith", "0000-0001"}, {"J. Smith", ""}}, 2},
		{"two ORCIDs stay apart whatever the names", [][2]string{{"John Smith", "0000-0001"}, {"John Smith", "0000-0002"}}, 2},
		{"two ORCIDs in a block stay apart and the bare mention too", [][2]string{{"John Smith", "0000-0001"}, {"Jim Smith", "0000-0002"}, {"J. Smith", ""}}, 3},
		{"same ORCID across blocks", [][2]string{{"Mary Jones", "0000-0003"}, {"Mary Brown", "0000-0003"}}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x := resolver.NewIndex()
			for i, d := range tc.docs {
				doc, ms := person(fmt.Sprintf("d%d", i), d[0], d[1])
				x.Apply("b", doc, resolver.Version{}, ms)
			}
			require.Len(t, listAll(t, x, "b"), tc.clusters)
		})
	}
}

func TestQueries(t *testing.T) {
	x := resolver.NewIndex()
	applyAll(t, x, "b1", corpus(), []int{0, 1, 2, 3, 4})
	x.MarkApplied("b1", 7)
	x.MarkApplied("b1", 3)

	_, _, err := x.ListClusters("nope", resolver.TypeUnspecified, 0, 0, 0)
	require.ErrorIs(t, err, resolver.ErrUnknownBatch)
	_, err = x.GetCluster("b1", "p-0000")
	require.ErrorIs(t, err, resolver.ErrUnknownCluster)

	people, total, err := x.ListClusters("b1", resolver.TypePerson, 2, 0, 0)
	require.NoError(t, err)
	require.Equal(t, 3, total) // Smith, Doe/Roe, Müller
	require.Len(t, people, 3)
	page, total2, err := x.ListClusters("b1", resolver.TypePerson, 2, 1, 1)
	require.NoError(t, err)
	require.Equal(t, total, total2)
	require.Equal(t, people[1:2], page)

	c, err := x.GetCluster("b1", people[0].ID)
	require.NoError(t, err)
	require.Equal(t, people[0], c)
	require.Equal(t, "p-", c.ID[:2])

	res, err := x.Resolve("b1", []resolver.Mention{
		{Text: "Smith, Chris", Type: resolver.TypePerson, Attributes: map[string]string{resolver.AttrAffiliation: "University of Oxford"}},
		{Text: "Someone Else", Type: resolver.TypePerson, Attributes: map[string]string{resolver.AttrORCID: "0000-0002-1825-009X"}},
		{Text: "University of Oxford.", Type: resolver.TypeOrganization},
		{Text: "whatever", Type: resolver.TypeWork, Attributes: map[string]string{resolver.AttrDOI: "doi:10.1038/Nature14539"}},
		{Text: "Nobody Known", Type: resolver.TypePerson},
	})
	require.NoError(t, err)
	require.Equal(t, "C. J. Smith", res[0].CanonicalName)
	require.Greater(t, res[0].Score, 0.5)
	require.Equal(t, "Jane Doe", res[1].CanonicalName)
	require.InDelta(t, 1.0, res[1].Score, 1e-9)
	require.NotEmpty(t, res[2].ClusterID)
	require.Equal(t, "Deep Learning", res[3].CanonicalName)
	require.Empty(t, res[4].ClusterID)

	s, err := x.Stats("b1")
	require.NoError(t, err)
	require.Equal(t, uint64(7), s.LastAppliedSeq)
	require.Equal(t, 5, s.Documents)
	require.Positive(t, s.Clusters)
}

func TestNormalizers(t *testing.T) {
	orgs := []struct{ in, want string }{
		{"The Univ. of Oxford", "university of oxford"},
		{"Dept. of Physics, M.I.T.", "department of physics m i t"},
		{"Ben & Jerry's", "ben and jerry s"},
		{"École Normale Supérieure", "ecole normale superieure"},
	}
	for _, o := range orgs {
		require.Equal(t, o.want, resolver.NormalizeOrganization(o.in))
	}
	require.Equal(t, "10.1/abc", match.NormalizeDOI(" https://doi.org/10.1/ABC "))
	require.Equal(t, "0000-0002-1825-009X", match.NormalizeORCID("https://orcid.org/0000-0002-1825-009x"))
}

func TestExplain(t *testing.T) {
	x := resolver.NewIndex()
	applyAll(t, x, "b1", corpus(), []int{0, 1, 2, 3, 4})

	e, err := x.Explain("b1", "doc-a", "author[0]", "doc-b", "author[0]")
	require.NoError(t, err)
	require.True(t, e.SameCluster)
	require.NotEmpty(t, e.ClusterID)
	require.Equal(t, resolver.DecisionScore, e.Decision)
	require.Greater(t, e.Probability, 0.5)
	require.NotEmpty(t, e.Signals, "a scored pair lists its signals")
	sum := 0.0
	for _, s := range e.Signals {
		require.NotEmpty(t, s.Name)
		sum += s.Weight
	}
	require.Greater(t, sum, 0.0, "evidence for the merge outweighs evidence against")

	e, err = x.Explain("b1", "doc-a", "author[1]", "doc-b", "author[1]")
	require.NoError(t, err)
	require.Equal(t, resolver.DecisionIdentifier, e.Decision)
	require.True(t, e.SameCluster)

	e, err = x.Explain("b1", "doc-e", "author[0]", "doc-e", "author[1]")
	require.NoError(t, err)
	require.Equal(t, resolver.DecisionConflict, e.Decision, "authors of one paper")
	require.False(t, e.SameCluster)

	_, err = x.Explain("b1", "doc-a", "author[9]", "doc-b", "author[0]")
	require.ErrorIs(t, err, resolver.ErrUnknownMention)
	_, err = x.Explain("b1", "doc-a", "author[0]", "doc-a", "reference[0]")
	require.ErrorIs(t, err, resolver.ErrDifferentTypes)
	_, err = x.Explain("nope", "doc-a", "author[0]", "doc-b", "author[0]")
	require.ErrorIs(t, err, resolver.ErrUnknownBatch)
}
