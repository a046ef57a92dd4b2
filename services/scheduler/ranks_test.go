package scheduler

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// layeredDocs builds a layered random DAG like the policy benchmark's
// densest family: layers of width documents, each depending on each of the
// layer before with probability p.
func layeredDocs(layers, width int, p float64) []*doc {
	r := rand.New(rand.NewPCG(1, 2))
	docs := make([]*doc, layers*width)
	for i := range docs {
		docs[i] = &doc{state: DocPending, est: estimate{seconds: r.Float64()}}
	}
	for l := 1; l < layers; l++ {
		for b := l * width; b < (l+1)*width; b++ {
			for a := (l - 1) * width; a < l*width; a++ {
				if r.Float64() < p {
					docs[a].dependents = append(docs[a].dependents, int32(b))
				}
			}
		}
	}
	return docs
}

// The ranks of the live part equal the longest chain computed by brute
// force, and skipped documents add nothing to their dependencies' ranks.
func TestComputeRanksLivePart(t *testing.T) {
	docs := layeredDocs(5, 40, 0.2)
	for i := 40; i < 80; i += 3 { // a third of the second layer skipped
		docs[i].state = DocSkipped
	}
	for i := 0; i < 40; i += 7 { // some of the first done or running
		docs[i].state = DocDone
	}
	docs[1].state = DocRunning
	computeRanks(docs, topoOrder(docs), 0)
	var longest func(i int) float64 // recursion is fine at depth 5
	longest = func(i int) float64 {
		best := 0.0
		for _, c := range docs[i].dependents {
			if !docs[c].state.terminal() {
				best = max(best, longest(int(c)))
			}
		}
		return docs[i].est.seconds + best
	}
	for i, d := range docs {
		if d.state.terminal() {
			continue
		}
		if want := longest(i); d.rank != want {
			t.Fatalf("document %d (%v): rank %v, want %v", i, d.state, d.rank, want)
		}
	}
}

// With a failure rate, a dependent counts with the chance that it runs:
// d has dependents a (rank 10, also waiting for x) and b (rank 5, waiting
// for d alone). At pFail 0.5, a runs with chance 0.5, and b is the longest
// otherwise: 10·0.5 + 5·0.5 = 7.5 beyond d's own second.
func TestExpectedRanks(t *testing.T) {
	docs := []*doc{
		{state: DocPending, est: estimate{seconds: 1}, dependents: []int32{2, 3}}, // d
		{state: DocPending, est: estimate{seconds: 1}, dependents: []int32{2}},    // x
		{state: DocPending, est: estimate{seconds: 10}, waiting: 2},               // a
		{state: DocPending, est: estimate{seconds: 5}, waiting: 1},                // b
	}
	computeRanks(docs, topoOrder(docs), 0.5)
	if docs[0].rank != 8.5 {
		t.Fatalf("d's rank %v, want 1 + 7.5", docs[0].rank)
	}
	computeRanks(docs, topoOrder(docs), 0)
	if docs[0].rank != 11 {
		t.Fatalf("d's rank without failures %v, want 1 + 10", docs[0].rank)
	}
}

// BenchmarkRerank is a re-rank of the policy benchmark's densest cluster
// workload (8 layers of 2,000, 20% edges: 5.6 million), with everything
// pending and after a failure skipped all but two layers.
func BenchmarkRerank(b *testing.B) {
	docs := layeredDocs(8, 2000, 0.2)
	order := topoOrder(docs)
	// HEFT's ranks (no failure rate) and expected ranks (1%).
	passes := func(state string) {
		for _, p := range []struct {
			name  string
			pFail float64
		}{{"", 0}, {"-expected", 0.01}} {
			b.Run(state+p.name, func(b *testing.B) {
				for b.Loop() {
					computeRanks(docs, order, p.pFail)
				}
			})
		}
	}
	passes("all-pending")
	for _, d := range docs[2*2000:] {
		d.state = DocSkipped
	}
	passes("two-layers-left")
	b.Run("topo-order", func(b *testing.B) {
		for b.Loop() {
			topoOrder(docs)
		}
	})
}

// longestKids keeps the highest ranks, longest first, and the highest of
// the others; expectedLongest counts those others at that rank.
func TestLongestKids(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	rank := make([]float64, 200)
	var deps []int32
	for i := range rank {
		if i%7 != 0 { // every seventh will not run
			rank[i] = r.Float64()
		}
		deps = append(deps, int32(i))
	}
	top, rest := longestKids(nil, deps, rank)
	sorted := slices.Clone(rank)
	slices.SortFunc(sorted, func(a, b float64) int { return cmp.Compare(b, a) })
	if len(top) != maxExpectedKids {
		t.Fatalf("%d kids, want %d", len(top), maxExpectedKids)
	}
	for k, c := range top {
		if rank[c] != sorted[k] {
			t.Fatalf("kid %d has rank %v, want %v", k, rank[c], sorted[k])
		}
	}
	if rest != sorted[maxExpectedKids] {
		t.Fatalf("rest %v, want %v", rest, sorted[maxExpectedKids])
	}
}
