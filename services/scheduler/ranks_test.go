package scheduler

import (
	"math/rand/v2"
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
	computeRanks(docs, topoOrder(docs))
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

// BenchmarkRerank is a re-rank of the policy benchmark's densest cluster
// workload (8 layers of 2,000, 20% edges: 5.6 million), with everything
// pending and after a failure skipped all but two layers.
func BenchmarkRerank(b *testing.B) {
	docs := layeredDocs(8, 2000, 0.2)
	order := topoOrder(docs)
	b.Run("all-pending", func(b *testing.B) {
		for b.Loop() {
			computeRanks(docs, order)
		}
	})
	for _, d := range docs[2*2000:] {
		d.state = DocSkipped
	}
	b.Run("two-layers-left", func(b *testing.B) {
		for b.Loop() {
			computeRanks(docs, order)
		}
	})
	b.Run("topo-order", func(b *testing.B) {
		for b.Loop() {
			topoOrder(docs)
		}
	})
}
