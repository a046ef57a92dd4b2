package match

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// referencePairs lists the candidate pairs the way the blocking rules
// define them, block by block (all pairs of a small block; pairs at most
// blockWindow apart in the window order of a big one), as canonical
// indices, sorted and distinct.
func referencePairs(m *Model) [][2]int32 {
	var out [][2]int32
	for _, b := range m.blockList {
		b := slices.Clone(b)
		win := len(b)
		if len(b) > maxBlock {
			slices.SortFunc(b, func(x, y int32) int {
				return cmp.Or(cmp.Compare(m.preps[x].sortKey(), m.preps[y].sortKey()), cmp.Compare(x, y))
			})
			win = blockWindow
		}
		for x := range b {
			for y := x + 1; y < len(b) && y <= x+win; y++ {
				out = append(out, [2]int32{min(b[x], b[y]), max(b[x], b[y])})
			}
		}
	}
	slices.SortFunc(out, func(p, q [2]int32) int { return cmp.Or(cmp.Compare(p[0], q[0]), cmp.Compare(p[1], q[1])) })
	return slices.Compact(out)
}

// blockingRecords mixes small blocks, a windowed block whose window order
// differs from the canonical order, compound family names (a record in
// several blocks) and works.
func blockingRecords() []Record {
	var recs []Record
	givens := []string{"John", "Jane", "Jim", "Jo"}
	for i := range maxBlock + 60 {
		recs = append(recs, person(fmt.Sprintf("s%04d", (i*7919)%(maxBlock+60)), fmt.Sprintf("d%d", i),
			givens[i%len(givens)]+fmt.Sprint(i%13), "Smith", ""))
	}
	for i := range 50 {
		fam := []string{"Garcia", "Lopez", "Garcia-Lopez", "Garcia Marquez"}[i%4]
		recs = append(recs, person(fmt.Sprintf("g%03d", i), fmt.Sprintf("e%d", i%9), "Ana", fam, ""))
	}
	recs = append(recs, synthetic(300)...)
	return recs
}

func TestCandidatesFollowBlocks(t *testing.T) {
	recs := blockingRecords()
	m := New(recs, Options{Workers: 3})
	want := referencePairs(m)
	m.score()
	if len(m.pairs) != len(want) {
		t.Fatalf("%d candidate pairs, blocks define %d", len(m.pairs), len(want))
	}
	for k, p := range m.pairs {
		if p.a != want[k][0] || p.b != want[k][1] {
			t.Fatalf("pair %d is (%d, %d), want %v", k, p.a, p.b, want[k])
		}
	}
	if m.blockStats.WindowedBlocks == 0 {
		t.Fatal("no windowed block: the test does not cover windows")
	}
	// Explain's Candidate asks the block index, not the pairs: it must
	// agree on every pair of records, after the pairs are dropped.
	res := m.Cluster()
	if m.pairs != nil {
		t.Fatal("pairs kept after clustering")
	}
	if res.Stats.CandidatePairs != len(want) {
		t.Fatalf("stats say %d candidate pairs, want %d", res.Stats.CandidatePairs, len(want))
	}
	isCand := map[[2]int32]bool{}
	for _, p := range want {
		isCand[p] = true
	}
	n := int32(len(m.preps))
	for a := range n {
		for b := range n {
			if got := a != b && m.index.candidate(a, b); got != isCand[[2]int32{min(a, b), max(a, b)}] {
				t.Fatalf("candidate(%d, %d) = %v", a, b, got)
			}
		}
	}
	// CandidatePairs (caller indices) re-lists the same pairs.
	cp := m.CandidatePairs()
	if len(cp) != len(want) {
		t.Fatalf("CandidatePairs lists %d, want %d", len(cp), len(want))
	}
	for _, p := range cp {
		a, b := int32(m.canon[p[0]]), int32(m.canon[p[1]])
		if !isCand[[2]int32{min(a, b), max(a, b)}] {
			t.Fatalf("CandidatePairs lists %v, not a candidate", p)
		}
	}
}

func TestClusterIsComputedOnce(t *testing.T) {
	recs := synthetic(500)
	m := New(recs, Options{})
	first := m.Cluster()
	again := m.Cluster()
	if !slices.Equal(first.Cluster, again.Cluster) || first.Stats != again.Stats {
		t.Fatal("a second Cluster call gave a different result")
	}
	// Explain still scores pairs and knows candidates once the pairs are gone.
	cp := m.CandidatePairs()
	if len(cp) == 0 {
		t.Fatal("no candidate pairs")
	}
	if e := m.Explain(cp[0][0], cp[0][1]); !e.Candidate {
		t.Fatalf("Explain(%d, %d) not a candidate", cp[0][0], cp[0][1])
	}
}

// TestDenseAndSparseAgree runs both agglomerations on the same components:
// they must make the same merges (the dense one is a faster equivalent).
func TestDenseAndSparseAgree(t *testing.T) {
	recs := synthetic(3000)
	m := New(recs, Options{})
	m.score()
	n := len(m.preps)
	build := func() []*group {
		gs := make([]*group, n)
		for i := range gs {
			gs[i] = &group{size: 1, docs: map[string]struct{}{}, minLink: 1}
			if d := m.preps[i].doc; d != "" {
				gs[i].docs[d] = struct{}{}
			}
		}
		return gs
	}
	// One component per kind: all records of the kind and their pairs.
	compared := 0
	for _, kind := range []Kind{Person, Work} {
		var nodes []int32
		for i := range n {
			if m.preps[i].kind == kind {
				nodes = append(nodes, int32(i))
			}
		}
		var edges []gEdge
		for _, p := range m.pairs {
			if m.preps[p.a].kind == kind {
				edges = append(edges, gEdge{a: p.a, b: p.b, sum: p.prob, n: 1})
			}
		}
		// Cut into pieces of at most denseMax nodes, keeping inner edges.
		for lo := 0; lo < len(nodes); lo += denseMax {
			part := nodes[lo:min(len(nodes), lo+denseMax)]
			var pe []gEdge
			for _, e := range edges {
				if e.a >= part[0] && e.b <= part[len(part)-1] {
					pe = append(pe, e)
				}
			}
			gd, gs := build(), build()
			ad, as := make([]int32, n), make([]int32, n)
			for i := range ad {
				ad[i], as[i] = int32(i), int32(i)
			}
			var sc denseScratch
			md := hacDense(gd, ad, part, pe, threshold(kind), &sc)
			ms := hacSparse(gs, as, part, pe, threshold(kind))
			if md != ms || !slices.Equal(ad, as) {
				t.Fatalf("%v: dense made %d merges, sparse %d (or different ones)", kind, md, ms)
			}
			compared += md
		}
	}
	if compared == 0 {
		t.Fatal("no merges compared")
	}
}

// TestDenseAndSparseAgreeRandom compares the agglomerations on random
// graphs with many tied means and conflicting documents: hacDense's lazy
// rescans of stale rows must not change a merge or its order.
func TestDenseAndSparseAgreeRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	probs := []float64{0.55, 0.6, 0.75, 0.75, 0.9, 0.95, 1, 0.3, 0.1}
	var sc denseScratch // reused across graphs, as in cluster
	for round := range 300 {
		n := 2 + rng.IntN(120)
		nodes := make([]int32, n)
		for i := range nodes {
			nodes[i] = int32(i)
		}
		var edges []gEdge
		density := 0.05 + rng.Float64()*0.6
		for a := range n {
			for b := a + 1; b < n; b++ {
				if rng.Float64() < density {
					k := 1 + rng.IntN(3)
					var sum float64
					for range k {
						sum += probs[rng.IntN(len(probs))]
					}
					edges = append(edges, gEdge{a: int32(a), b: int32(b), sum: sum, n: int32(k)})
				}
			}
		}
		docs := 1 + rng.IntN(3*n)
		build := func() ([]*group, []int32) {
			gs := make([]*group, n)
			al := make([]int32, n)
			for i := range gs {
				gs[i] = &group{size: 1, minLink: 1}
				gs[i].addDoc(fmt.Sprint("d", (i*7919)%docs))
				al[i] = int32(i)
			}
			return gs, al
		}
		gd, ad := build()
		gs, as := build()
		md := hacDense(gd, ad, nodes, edges, 0.5, &sc)
		ms := hacSparse(gs, as, nodes, edges, 0.5)
		if md != ms || !slices.Equal(ad, as) {
			t.Fatalf("round %d (n=%d): dense made %d merges, sparse %d (or different ones)", round, n, md, ms)
		}
		for i := range gd {
			if (gd[i] == nil) != (gs[i] == nil) || gd[i] != nil && (gd[i].size != gs[i].size || gd[i].minLink != gs[i].minLink) {
				t.Fatalf("round %d: group %d differs", round, i)
			}
		}
	}
}
