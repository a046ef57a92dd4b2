package citations

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/iterator"
	"gonum.org/v1/gonum/graph/simple"
)

// Domain is a research domain: a community of batch documents.
type Domain struct {
	ID          string
	Keywords    []string
	DocumentIDs []string
}

// Domain detection parameters.
const (
	// louvainSeed fixes the Louvain node shuffles so domains are a function
	// of the network alone.
	louvainSeed1, louvainSeed2 = 0x646f6362, 0x61746368
	// maxCouplingCiters bounds the pairs a cited work adds: a work cited by
	// more documents than this is too general to say which domain they
	// share, and its pairs would grow quadratically.
	maxCouplingCiters = 50
	// domainKeywords is how many keywords label a domain.
	domainKeywords = 5
	// UnlinkedDomainID names the domain that pools documents with no
	// citation or coupling link to any other document: Louvain could only
	// make each of them a singleton, which says nothing, so they are listed
	// together, last.
	UnlinkedDomainID = "domain-unlinked"
)

// Domains returns the research domains of the batch, computed once per
// snapshot. Documents are grouped by Louvain community detection (gonum,
// fixed seed, resolution 1) on an undirected weighted graph over the batch
// documents whose edge weight sums direct citations (1 per citing
// direction) and bibliographic coupling, fractionally counted (a work cited
// by k batch documents adds 1/(k-1) to each of their pairs, so one popular
// reference does not outweigh several specific ones). Domains are ordered by
// size, then by their smallest document id, and numbered domain-1, domain-2…
func (g *Graph) Domains() []Domain {
	g.domainsOnce.Do(func() { g.domains = g.computeDomains() })
	return g.domains
}

func (g *Graph) computeDomains() []Domain {
	n := len(g.docs)
	docIndex := make(map[string]int, n) // node id → position in g.docs
	for i, d := range g.docs {
		docIndex[DocumentNodeID(d.DocumentID)] = i
	}
	w := newWeightedGraph(n)
	citers := map[string][]int{}
	for _, e := range g.Edges {
		s := docIndex[e.Source]
		if t, ok := docIndex[e.Target]; ok {
			w.add(s, t, 1)
		}
		citers[e.Target] = append(citers[e.Target], s)
	}
	// Visit cited works in id order: float sums then add up in one order.
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
		f := 1 / float64(len(c)-1)
		for i, a := range c {
			for _, b := range c[i+1:] {
				w.add(a, b, f)
			}
		}
	}

	var groups [][]int
	var unlinked []int
	for i := range n {
		if len(w.adj[i]) == 0 {
			unlinked = append(unlinked, i)
		}
	}
	if len(unlinked) < n {
		linked := w.without(unlinked)
		reduced := community.Modularize(linked, 1, rand.NewPCG(louvainSeed1, louvainSeed2))
		for _, c := range reduced.Communities() {
			grp := make([]int, len(c))
			for j, node := range c {
				grp[j] = int(node.ID())
			}
			slices.Sort(grp)
			groups = append(groups, grp)
		}
	}
	slices.SortFunc(groups, func(a, b []int) int {
		return cmp.Or(cmp.Compare(len(b), len(a)), cmp.Compare(a[0], b[0]))
	})

	labels := newKeywordLabeller(g.docs)
	out := make([]Domain, 0, len(groups)+1)
	for i, grp := range groups {
		out = append(out, g.domain(fmt.Sprintf("domain-%d", i+1), grp, labels))
	}
	if len(unlinked) > 0 {
		out = append(out, g.domain(UnlinkedDomainID, unlinked, labels))
	}
	return out
}

func (g *Graph) domain(id string, members []int, labels *keywordLabeller) Domain {
	d := Domain{ID: id, DocumentIDs: make([]string, len(members))}
	for i, m := range members {
		d.DocumentIDs[i] = g.docs[m].DocumentID
	}
	d.Keywords = labels.label(members)
	return d
}

// keywordLabeller names domains by their most characteristic keywords.
type keywordLabeller struct {
	docKeys [][]string     // normalised keywords of each document, deduplicated
	batch   map[string]int // documents carrying each keyword
	display map[string]string
}

func newKeywordLabeller(docs []Contribution) *keywordLabeller {
	l := &keywordLabeller{docKeys: make([][]string, len(docs)), batch: map[string]int{}, display: map[string]string{}}
	spellings := map[string]map[string]int{}
	for i, d := range docs {
		seen := map[string]bool{}
		for _, k := range d.Keywords {
			nk := normalizeKeyword(k)
			if nk == "" {
				continue
			}
			if spellings[nk] == nil {
				spellings[nk] = map[string]int{}
			}
			spellings[nk][strings.TrimSpace(k)]++
			if !seen[nk] {
				seen[nk] = true
				l.docKeys[i] = append(l.docKeys[i], nk)
				l.batch[nk]++
			}
		}
	}
	// Show each keyword in its most common spelling (ties to the smallest).
	for nk, sp := range spellings {
		best, bestN := "", 0
		for s, c := range sp {
			if c > bestN || (c == bestN && s < best) {
				best, bestN = s, c
			}
		}
		l.display[nk] = best
	}
	return l
}

// label returns the top keywords of a domain by frequency within it relative
// to the batch: score d²/b for a keyword carried by d documents of the domain
// and b of the batch, i.e. its frequency in the domain weighted by the share
// of its uses that fall there. Ties go to the lexicographically smallest.
func (l *keywordLabeller) label(members []int) []string {
	in := map[string]int{}
	for _, m := range members {
		for _, k := range l.docKeys[m] {
			in[k]++
		}
	}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		// d_a²/b_a > d_b²/b_b, compared exactly in integers.
		sa := int64(in[a]) * int64(in[a]) * int64(l.batch[b])
		sb := int64(in[b]) * int64(in[b]) * int64(l.batch[a])
		return cmp.Or(cmp.Compare(sb, sa), strings.Compare(a, b))
	})
	keys = keys[:min(domainKeywords, len(keys))]
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = l.display[k]
	}
	return out
}

// weightedGraph is a graph.WeightedUndirected whose node and neighbour
// iteration is in id order. gonum's simple graphs iterate maps, and Louvain
// breaks ties by iteration order, so they would make domains vary between
// runs even with a fixed seed.
type weightedGraph struct {
	ids []int64           // present nodes, ascending
	adj []map[int]float64 // by node id; nil for absent nodes
	nbr [][]int64         // sorted neighbours, filled by without
}

var _ graph.WeightedUndirected = (*weightedGraph)(nil)

func newWeightedGraph(n int) *weightedGraph {
	w := &weightedGraph{adj: make([]map[int]float64, n)}
	for i := range w.adj {
		w.adj[i] = map[int]float64{}
	}
	return w
}

func (w *weightedGraph) add(a, b int, f float64) {
	if a == b {
		return
	}
	w.adj[a][b] += f
	w.adj[b][a] += f
}

// without returns the graph with the given nodes removed, ready to query.
func (w *weightedGraph) without(drop []int) *weightedGraph {
	out := &weightedGraph{adj: w.adj, nbr: make([][]int64, len(w.adj))}
	gone := make(map[int]bool, len(drop))
	for _, d := range drop {
		gone[d] = true
	}
	for i := range w.adj {
		if gone[i] {
			continue
		}
		out.ids = append(out.ids, int64(i))
		for j := range w.adj[i] {
			out.nbr[i] = append(out.nbr[i], int64(j))
		}
		slices.Sort(out.nbr[i])
	}
	return out
}

func (w *weightedGraph) has(id int64) bool {
	_, ok := slices.BinarySearch(w.ids, id)
	return ok
}

func (w *weightedGraph) Node(id int64) graph.Node {
	if !w.has(id) {
		return nil
	}
	return simple.Node(id)
}

func (w *weightedGraph) Nodes() graph.Nodes { return w.nodes(w.ids) }

func (w *weightedGraph) From(id int64) graph.Nodes {
	if !w.has(id) {
		return graph.Empty
	}
	return w.nodes(w.nbr[id])
}

func (w *weightedGraph) nodes(ids []int64) graph.Nodes {
	ns := make([]graph.Node, len(ids))
	for i, id := range ids {
		ns[i] = simple.Node(id)
	}
	return iterator.NewOrderedNodes(ns)
}

func (w *weightedGraph) HasEdgeBetween(x, y int64) bool {
	_, ok := w.Weight(x, y)
	return ok && x != y
}

func (w *weightedGraph) Edge(u, v int64) graph.Edge { return w.WeightedEdge(u, v) }

func (w *weightedGraph) EdgeBetween(x, y int64) graph.Edge { return w.WeightedEdge(x, y) }

func (w *weightedGraph) WeightedEdgeBetween(x, y int64) graph.WeightedEdge {
	return w.WeightedEdge(x, y)
}

func (w *weightedGraph) WeightedEdge(u, v int64) graph.WeightedEdge {
	f, ok := w.Weight(u, v)
	if !ok || u == v {
		return nil
	}
	return simple.WeightedEdge{F: simple.Node(u), T: simple.Node(v), W: f}
}

// Weight returns the weight between x and y; a node's weight to itself is 0.
func (w *weightedGraph) Weight(x, y int64) (float64, bool) {
	if !w.has(x) || !w.has(y) {
		return 0, false
	}
	if x == y {
		return 0, true
	}
	f, ok := w.adj[x][int(y)]
	return f, ok
}
