package louvain

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/simple"
)

// clique adds the edges of a clique over nodes [lo, lo+size).
func clique(edges []Edge, lo, size int) []Edge {
	for a := lo; a < lo+size; a++ {
		for b := a + 1; b < lo+size; b++ {
			edges = append(edges, Edge{U: int32(a), V: int32(b), W: 1})
		}
	}
	return edges
}

// twoCliques is two 5-cliques joined by one edge.
func twoCliques() (int, []Edge) {
	e := clique(clique(nil, 0, 5), 5, 5)
	return 10, append(e, Edge{U: 4, V: 5, W: 1})
}

// ringOfCliques is a ring of k cliques of size s, each joined to the next by
// one edge. With 12 cliques of 6 the cliques are the modularity optimum (a
// ring of many small cliques would hit the resolution limit).
func ringOfCliques(k, s int) (int, []Edge) {
	var e []Edge
	for c := range k {
		e = clique(e, c*s, s)
		e = append(e, Edge{U: int32(c*s + s - 1), V: int32(((c + 1) % k) * s), W: 1})
	}
	return k * s, e
}

// planted is a planted partition: groups of size, each node drawing intra
// edges inside its group and inter edges anywhere, with weights in [0.5, 1.5)
// when weighted.
func planted(seed uint64, groups, size, intra, inter int, weighted bool) (int, []Edge) {
	r := rand.New(rand.NewPCG(seed, 7))
	n := groups * size
	e := make([]Edge, 0, n*(intra+inter))
	w := func() float64 {
		if weighted {
			return 0.5 + r.Float64()
		}
		return 1
	}
	for i := range n {
		g := i / size
		for range intra {
			if j := g*size + r.IntN(size); j != i {
				e = append(e, Edge{U: int32(i), V: int32(j), W: w()})
			}
		}
		for range inter {
			if j := r.IntN(n); j != i {
				e = append(e, Edge{U: int32(i), V: int32(j), W: w()})
			}
		}
	}
	return n, e
}

// erdosRenyi is a G(n, p) graph with weights in [0.1, 2.1).
func erdosRenyi(seed uint64, n int, p float64) (int, []Edge) {
	r := rand.New(rand.NewPCG(seed, 11))
	var e []Edge
	for a := range n {
		for b := a + 1; b < n; b++ {
			if r.Float64() < p {
				e = append(e, Edge{U: int32(a), V: int32(b), W: 0.1 + 2*r.Float64()})
			}
		}
	}
	return n, e
}

func mustBuild(t testing.TB, n int, edges []Edge) *Graph {
	t.Helper()
	g, err := FromEdges(n, edges)
	require.NoError(t, err)
	require.NoError(t, g.Validate())
	return g
}

// groups returns the communities as sorted member lists, by smallest member.
func groups(r Result) [][]int {
	out := make([][]int, r.Count)
	for i, c := range r.Communities {
		out[c] = append(out[c], i)
	}
	return out
}

func TestDetectKnownStructures(t *testing.T) {
	tests := []struct {
		name  string
		build func() (int, []Edge)
		want  [][]int
	}{
		{"two cliques joined by one edge", twoCliques, [][]int{{0, 1, 2, 3, 4}, {5, 6, 7, 8, 9}}},
		{"ring of cliques", func() (int, []Edge) { return ringOfCliques(12, 6) }, func() [][]int {
			var w [][]int
			for c := range 12 {
				var g []int
				for i := range 6 {
					g = append(g, c*6+i)
				}
				w = append(w, g)
			}
			return w
		}()},
		{"isolated nodes stay alone", func() (int, []Edge) {
			n, e := twoCliques()
			return n + 2, e
		}, [][]int{{0, 1, 2, 3, 4}, {5, 6, 7, 8, 9}, {10}, {11}}},
		{"no edges", func() (int, []Edge) { return 3, nil }, [][]int{{0}, {1}, {2}}},
		{"one edge", func() (int, []Edge) { return 2, []Edge{{0, 1, 3}} }, [][]int{{0, 1}}},
		{"empty", func() (int, []Edge) { return 0, nil }, [][]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, edges := tt.build()
			g := mustBuild(t, n, edges)
			r := Detect(g, 1)
			assert.Equal(t, tt.want, groups(r))
			assert.InDelta(t, gonumQ(g, r), r.Modularity, 1e-9)
		})
	}
}

func TestFromEdges(t *testing.T) {
	g := mustBuild(t, 3, []Edge{{1, 0, 1}, {0, 1, 0.5}, {2, 2, 1}, {1, 2, 0}})
	assert.Equal(t, []int{0, 1, 2, 3}, g.Offsets)
	assert.Equal(t, []int32{1, 0, 2}, g.Adj)
	assert.Equal(t, []float64{1.5, 1.5, 2}, g.Weights)

	for _, bad := range [][]Edge{{{0, 3, 1}}, {{-1, 0, 1}}, {{0, 1, -1}}} {
		_, err := FromEdges(3, bad)
		assert.Error(t, err, "%v", bad)
	}
	asym := &Graph{Offsets: []int{0, 1, 1}, Adj: []int32{1}, Weights: []float64{1}}
	assert.Error(t, asym.Validate())
}

// TestModularityAgainstGonum compares the partitions with those of gonum's
// Louvain (community.Modularize), both scored by gonum's community.Q.
func TestModularityAgainstGonum(t *testing.T) {
	tests := []struct {
		name  string
		build func() (int, []Edge)
	}{
		{"planted weighted", func() (int, []Edge) { return planted(1, 20, 30, 8, 2, true) }},
		{"planted noisy", func() (int, []Edge) { return planted(2, 10, 50, 5, 5, false) }},
		{"planted uneven", func() (int, []Edge) { return planted(3, 40, 12, 4, 1, true) }},
		{"erdos-renyi sparse", func() (int, []Edge) { return erdosRenyi(4, 300, 0.015) }},
		{"erdos-renyi dense", func() (int, []Edge) { return erdosRenyi(5, 150, 0.1) }},
		{"ring of cliques", func() (int, []Edge) { return ringOfCliques(30, 5) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, edges := tt.build()
			g := mustBuild(t, n, edges)
			ours := Detect(g, 1)
			q := gonumQ(g, ours)
			assert.InDelta(t, q, ours.Modularity, 1e-9, "Modularity agrees with community.Q")

			ug := toGonum(g)
			theirs := community.Q(ug, community.Modularize(ug, 1, rand.NewPCG(1, 2)).Communities(), 1)
			t.Logf("modularity: ours %.4f (%d communities, %d levels), gonum %.4f", q, ours.Count, ours.Levels, theirs)
			assert.GreaterOrEqual(t, q, theirs-0.01)
		})
	}
}

func TestDeterminism(t *testing.T) {
	n, edges := planted(9, 30, 40, 6, 3, true)
	want := Detect(mustBuild(t, n, edges), 1)
	again := Detect(mustBuild(t, n, slices.Clone(edges)), 1)
	assert.Equal(t, want, again)

	// The same graph with its edges shuffled and half of them reversed.
	shuffled := slices.Clone(edges)
	r := rand.New(rand.NewPCG(3, 4))
	r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for i := range shuffled {
		if r.IntN(2) == 0 {
			shuffled[i].U, shuffled[i].V = shuffled[i].V, shuffled[i].U
		}
	}
	got := Detect(mustBuild(t, n, shuffled), 1)
	assert.Equal(t, want, got)
	assert.Greater(t, want.Count, 1)
}

func TestResolution(t *testing.T) {
	n, edges := ringOfCliques(30, 5)
	g := mustBuild(t, n, edges)
	// At resolution 1 the ring of 30 5-cliques merges neighbouring cliques
	// (the resolution limit); a higher resolution separates them.
	assert.Less(t, Detect(g, 1).Count, 30)
	assert.Equal(t, 30, Detect(g, 3).Count)
}

func toGonum(g *Graph) *simple.WeightedUndirectedGraph {
	ug := simple.NewWeightedUndirectedGraph(0, 0)
	for i := range g.Len() {
		ug.AddNode(simple.Node(i))
	}
	for i := range g.Len() {
		for e := g.Offsets[i]; e < g.Offsets[i+1]; e++ {
			if j := int(g.Adj[e]); j > i {
				ug.SetWeightedEdge(ug.NewWeightedEdge(simple.Node(i), simple.Node(j), g.Weights[e]))
			}
		}
	}
	return ug
}

// gonumQ scores r with gonum's community.Q (graphs without self-loops).
func gonumQ(g *Graph, r Result) float64 {
	if g.Len() == 0 {
		return 0
	}
	comms := make([][]graph.Node, r.Count)
	for i, c := range r.Communities {
		comms[c] = append(comms[c], simple.Node(i))
	}
	q := community.Q(toGonum(g), comms, 1)
	if q != q { // NaN: no edges
		return 0
	}
	return q
}

// BenchmarkLouvain detects communities in a planted partition of 100,000
// nodes in 1,000 groups, with about 1M edges (8 inside the group and 2
// anywhere drawn per node).
func BenchmarkLouvain(b *testing.B) {
	n, edges := planted(42, 1000, 100, 8, 2, false)
	g := mustBuild(b, n, edges)
	b.Logf("%d nodes, %d edges", g.Len(), len(g.Adj)/2)
	b.ResetTimer()
	var r Result
	for b.Loop() {
		r = Detect(g, 1)
	}
	b.StopTimer()
	truth := make([]int32, n)
	for i := range truth {
		truth[i] = int32(i / 100)
	}
	b.Logf("%d communities, %d levels, modularity %.4f (planted partition %.4f)", r.Count, r.Levels, r.Modularity, Modularity(g, truth, 1))
}
