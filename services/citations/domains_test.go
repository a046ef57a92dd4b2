package citations

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/docbatch/docbatch/services/citations/louvain"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// synthCorpus generates n documents in a dozen domains, shaped like the
// corpus generator's output: 10-20 references each, about half to earlier
// documents by preferential attachment (80% within the domain), the rest to
// outside works, Zipf-like within the domain, 85% of them with a DOI.
func synthCorpus(n int, seed uint64) []Contribution {
	const domains = 12
	r := rand.New(rand.NewPCG(seed, 99))
	works := max(2*n, 200)
	per := works / domains
	ballotAll := make([]int, 0, 8*n)
	ballotDom := make([][]int, domains)
	docs := make([]Contribution, n)
	for i := range n {
		d := i % domains
		c := Contribution{
			DocumentID: fmt.Sprintf("doc-%07d", i),
			Title:      fmt.Sprintf("Study number %d of domain %d", i, d),
			DOI:        fmt.Sprintf("10.1/doc.%d", i),
			Year:       int32(1995 + i*30/n),
		}
		for k := range 3 + r.IntN(3) {
			c.Keywords = append(c.Keywords, fmt.Sprintf("kw-%d-%d", d, (k*7+r.IntN(20))%20))
		}
		nref := 10 + r.IntN(11)
		seen := map[string]bool{}
		for tries := 0; len(c.References) < nref && tries < 4*nref; tries++ {
			var ref Reference
			var key string
			if r.Float64() < 0.5*min(1, float64(i)/20) {
				b := ballotAll
				if bd := ballotDom[d]; len(bd) > 0 && r.Float64() < 0.8 {
					b = bd
				}
				j := b[r.IntN(len(b))]
				key = fmt.Sprintf("10.1/doc.%d", j)
				ref = Reference{DOI: key, Title: fmt.Sprintf("Study number %d", j)}
			} else {
				w := int(float64(per)*math.Pow(r.Float64(), 2))*domains + d
				key = fmt.Sprintf("work %d", w)
				ref = Reference{Title: fmt.Sprintf("Outside work %d on things", w), Year: int32(1960 + w%40)}
				if w%20 < 17 {
					ref.DOI = fmt.Sprintf("10.5555/ext.%07d", w)
				}
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			ref.Index = int32(len(c.References) + 1)
			c.References = append(c.References, ref)
		}
		ballotAll = append(ballotAll, i)
		ballotDom[d] = append(ballotDom[d], i)
		for _, ref := range c.References {
			var j int
			if _, err := fmt.Sscanf(ref.DOI, "10.1/doc.%d", &j); err == nil {
				ballotAll = append(ballotAll, j)
				ballotDom[j%domains] = append(ballotDom[j%domains], j)
			}
		}
		docs[i] = c
	}
	return docs
}

// referenceNetwork is the pair weights domainNetwork must produce, computed
// the straightforward way (per-pair map, as the code did before CSR).
func referenceNetwork(g *Graph) map[[2]int]float64 {
	docIndex := map[string]int{}
	for i, d := range g.docs {
		docIndex[DocumentNodeID(d.DocumentID)] = i
	}
	w := map[[2]int]float64{}
	add := func(a, b int, f float64) {
		w[[2]int{a, b}] += f
		w[[2]int{b, a}] += f
	}
	citers := map[string][]int{}
	for _, e := range g.Edges {
		s := docIndex[e.Source]
		if t, ok := docIndex[e.Target]; ok {
			add(s, t, 1)
		}
		citers[e.Target] = append(citers[e.Target], s)
	}
	targets := make([]string, 0, len(citers))
	for t := range citers {
		targets = append(targets, t)
	}
	slices.Sort(targets)
	for _, t := range targets {
		c := citers[t]
		if len(c) < 2 || len(c) > maxCouplingCiters {
			continue
		}
		slices.Sort(c)
		for i, a := range c {
			for _, b := range c[i+1:] {
				add(a, b, 1/float64(len(c)-1))
			}
		}
	}
	// Text similarity last, as domainNetwork adds it.
	for u, p := range g.textNeighbourPairs() {
		for _, x := range p {
			add(u, int(x.term), x.w)
		}
	}
	return w
}

func TestDomainNetworkMatchesReference(t *testing.T) {
	for _, docs := range [][]Contribution{corpus(), synthCorpus(1500, 3)} {
		g := build("b", docs)
		net := g.domainNetwork()
		require.NoError(t, net.Validate())
		got := map[[2]int]float64{}
		for u := range net.Len() {
			for e := net.Offsets[u]; e < net.Offsets[u+1]; e++ {
				got[[2]int{u, int(net.Adj[e])}] = net.Weights[e]
			}
		}
		// Equal bit for bit: the weights add up in the same order.
		want := referenceNetwork(g)
		require.Equal(t, len(want), len(got))
		for k, v := range want {
			if got[k] != v {
				t.Fatalf("pair %v: weight %v, want %v", k, got[k], v)
			}
		}
	}
}

func TestDomainsSynthetic(t *testing.T) {
	docs := synthCorpus(3000, 5)
	g := build("b", slices.Clone(docs))
	ds := g.computeDomains()
	seen := map[string]bool{}
	for _, d := range ds {
		require.NotEmpty(t, d.DocumentIDs, d.ID)
		require.True(t, slices.IsSorted(d.DocumentIDs), d.ID)
		for _, id := range d.DocumentIDs {
			require.False(t, seen[id], id)
			seen[id] = true
		}
	}
	assert.Len(t, seen, len(docs))
	// Twelve planted domains: the largest communities should be about that
	// size, not a handful of giants nor dust.
	assert.Greater(t, len(ds), 5)
	assert.Less(t, len(ds[0].DocumentIDs), len(docs)/3)

	rev := slices.Clone(docs)
	slices.Reverse(rev)
	assert.Equal(t, ds, build("b", rev).computeDomains())
}

// BenchmarkDomains times computeDomains (network construction, Louvain,
// labels) over synthetic batches; building the Graph is set-up.
func BenchmarkDomains(b *testing.B) {
	for _, n := range []int{20_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			docs := synthCorpus(n, 1)
			start := time.Now()
			g := build("b", docs)
			b.Logf("%d documents, %d references, %d edges; build %v", len(g.docs), g.references, len(g.Edges), time.Since(start).Round(time.Millisecond))
			b.ResetTimer()
			var ds []Domain
			for b.Loop() {
				ds = g.computeDomains()
			}
			b.StopTimer()
			// The phases once more, apart.
			start = time.Now()
			net := g.domainNetwork()
			mid := time.Now()
			r := louvain.Detect(net, 1)
			end := time.Now()
			b.ReportMetric(float64(mid.Sub(start).Milliseconds()), "network-ms")
			b.ReportMetric(float64(end.Sub(mid).Milliseconds()), "louvain-ms")
			b.Logf("network %d pairs; louvain Q %.4f over %d levels; %d domains, largest %d documents",
				len(net.Adj)/2, r.Modularity, r.Levels, len(ds), len(ds[0].DocumentIDs))
		})
	}
}
