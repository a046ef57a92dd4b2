package citations

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/docbatch/docbatch/services/citations/louvain"
)

// Domain is a research domain: a community of batch documents.
type Domain struct {
	ID          string
	Keywords    []string
	DocumentIDs []string
}

// Domain detection parameters.
const (
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
// snapshot. Documents are grouped by Louvain community detection (package
// louvain: deterministic, resolution 1) on an undirected weighted graph
// over the batch documents whose edge weight sums direct citations (1 per
// citing direction) and bibliographic coupling, fractionally counted (a
// work cited by k batch documents adds 1/(k-1) to each of their pairs, so
// one popular reference does not outweigh several specific ones). Domains
// are ordered by size, then by their smallest document id, and numbered
// domain-1, domain-2…
func (g *Graph) Domains() []Domain {
	g.domainsOnce.Do(func() { g.domains = g.computeDomains() })
	return g.domains
}

// Modularity returns the modularity (resolution 1) of the domains over the
// weighted document network they were detected on; documents without links
// add nothing to it. 0 when there is no link at all.
func (g *Graph) Modularity() float64 {
	g.Domains()
	return g.modularity
}

func (g *Graph) computeDomains() []Domain {
	n := len(g.docs)
	net := g.domainNetwork()
	var groups [][]int
	var unlinked []int
	for i := range n {
		if net.Offsets[i] == net.Offsets[i+1] {
			unlinked = append(unlinked, i)
		}
	}
	if len(unlinked) < n {
		// Unlinked documents are singletons of their own; the other
		// communities are listed in the order of their smallest document.
		res := louvain.Detect(net, 1)
		g.modularity = res.Modularity
		slot := make([]int32, res.Count)
		for i := range slot {
			slot[i] = -1
		}
		for i, c := range res.Communities {
			if net.Offsets[i] == net.Offsets[i+1] {
				continue
			}
			if slot[c] < 0 {
				slot[c] = int32(len(groups))
				groups = append(groups, nil)
			}
			groups[slot[c]] = append(groups[slot[c]], i)
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

// domainNetwork returns the undirected weighted network of the batch
// documents (nodes are indexes into g.docs) that domains are detected on,
// built straight into CSR form. The weight of a pair is 1 per citing
// direction, then the coupling fractions of the works both cite (1/(k-1)
// for a work cited by k ≤ maxCouplingCiters batch documents), added in the
// order of the works' node ids: every weight is one fixed float sum.
//
// The pair weights are the sparse product of the citation matrix with its
// transpose, computed row by row into a dense accumulator for the pairs
// (u, v>u) only, then mirrored: no map and no sort of pair triples.
func (g *Graph) domainNetwork() *louvain.Graph {
	n := len(g.docs)
	nodeDoc := make([]int32, len(g.Nodes)) // node index → document index, or -1
	for i := range nodeDoc {
		nodeDoc[i] = -1
	}
	docNode := make([]int32, n) // document index → node index
	for i, d := range g.docs {
		v := int32(g.nodeIndex[DocumentNodeID(d.DocumentID)])
		docNode[i], nodeDoc[v] = v, int32(i)
	}

	// The works each document cites (ascending node index: edges are sorted
	// by target within a source, and node indexes follow node ids), and the
	// documents citing each node (ascending document index).
	outOff := make([]int, n+1)
	inOff := make([]int, len(g.Nodes)+1)
	for _, st := range g.edgeEnds {
		outOff[nodeDoc[st[0]]+1]++
		inOff[st[1]+1]++
	}
	for i := range n {
		outOff[i+1] += outOff[i]
	}
	for i := range g.Nodes {
		inOff[i+1] += inOff[i]
	}
	out := make([]int32, len(g.Edges))
	next := slices.Clone(outOff[:n])
	for _, st := range g.edgeEnds {
		s := nodeDoc[st[0]]
		out[next[s]] = st[1]
		next[s]++
	}
	citers := make([]int32, len(g.Edges))
	next = slices.Clone(inOff[:len(g.Nodes)])
	for u := range n {
		for _, t := range out[outOff[u]:outOff[u+1]] {
			citers[next[t]] = int32(u)
			next[t]++
		}
	}
	// pairs bounds the pairs of the upper triangle: each comes from a
	// citation or a shared work.
	pairs := 0
	for t := range g.Nodes {
		if k := inOff[t+1] - inOff[t]; k >= 2 && k <= maxCouplingCiters {
			pairs += k * (k - 1) / 2
		}
	}
	text := g.textNeighbourPairs()
	for _, p := range text {
		pairs += len(p)
	}
	pairs = min(pairs+len(g.Edges), n*(n-1)/2)

	// Upper triangle, row by row.
	upOff := make([]int, n+1)
	upAdj := make([]int32, 0, pairs)
	upW := make([]float64, 0, pairs)
	acc := make([]float64, n)
	seen := make([]bool, n)
	var touched []int32
	add := func(v int32, f float64) {
		if !seen[v] {
			seen[v] = true
			touched = append(touched, v)
		}
		acc[v] += f
	}
	for u := range n {
		cites := out[outOff[u]:outOff[u+1]]
		for _, t := range cites {
			if v := nodeDoc[t]; v > int32(u) {
				add(v, 1)
			}
		}
		self := docNode[u]
		for _, v := range citers[inOff[self]:inOff[self+1]] {
			if v > int32(u) {
				add(v, 1)
			}
		}
		for _, t := range cites {
			c := citers[inOff[t]:inOff[t+1]]
			if len(c) < 2 || len(c) > maxCouplingCiters {
				continue
			}
			f := 1 / float64(len(c)-1)
			j, _ := slices.BinarySearch(c, int32(u)+1)
			for _, v := range c[j:] {
				add(v, f)
			}
		}
		for _, p := range text[u] {
			add(p.term, p.w)
		}
		slices.Sort(touched)
		for _, v := range touched {
			upAdj = append(upAdj, v)
			upW = append(upW, acc[v])
			acc[v], seen[v] = 0, false
		}
		touched = touched[:0]
		upOff[u+1] = len(upAdj)
	}

	// Mirror: row v lists its lower neighbours u (in ascending u) before its
	// upper ones, so rows come out sorted.
	net := &louvain.Graph{Offsets: make([]int, n+1), Adj: make([]int32, 2*len(upAdj)), Weights: make([]float64, 2*len(upAdj))}
	for u := range n {
		net.Offsets[u+1] += upOff[u+1] - upOff[u]
		for _, v := range upAdj[upOff[u]:upOff[u+1]] {
			net.Offsets[v+1]++
		}
	}
	for i := range n {
		net.Offsets[i+1] += net.Offsets[i]
	}
	fill := slices.Clone(net.Offsets[:n])
	for u := range n {
		for k := upOff[u]; k < upOff[u+1]; k++ {
			v := upAdj[k]
			net.Adj[fill[v]], net.Weights[fill[v]] = int32(u), upW[k]
			fill[v]++
		}
	}
	for u := range n {
		k := upOff[u+1] - upOff[u]
		copy(net.Adj[fill[u]:], upAdj[upOff[u]:upOff[u+1]])
		copy(net.Weights[fill[u]:], upW[upOff[u]:upOff[u+1]])
		fill[u] += k
	}
	return net
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
