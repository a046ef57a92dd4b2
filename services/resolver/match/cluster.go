package match

import (
	"cmp"
	"container/heap"
	"context"
	"math"
	"slices"
)

// Probabilities given to pairs the adjudicator decided.
const (
	adjudicatedSame      = 0.99
	adjudicatedDifferent = 0.01
)

// adjudicate asks the adjudicator about the uncertain candidate pairs, most
// uncertain first, and replaces their probability with its answer.
func (m *Model) adjudicate(ctx context.Context) error {
	adj := m.opts.Adjudicator
	if adj == nil {
		return nil
	}
	lo, hi := m.opts.UncertainLow, m.opts.UncertainHigh
	if lo == 0 && hi == 0 {
		lo, hi = DefaultUncertainLow, DefaultUncertainHigh
	}
	var ask []int
	for k, p := range m.pairs {
		if !p.decided && !p.llm && p.prob >= lo && p.prob <= hi {
			ask = append(ask, k)
		}
	}
	slices.SortStableFunc(ask, func(x, y int) int {
		return cmp.Compare(math.Abs(m.pairs[x].prob-0.5), math.Abs(m.pairs[y].prob-0.5))
	})
	if c := m.opts.MaxAdjudications; c > 0 && len(ask) > c {
		ask = ask[:c]
	}
	for _, k := range ask {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := &m.pairs[k]
		m.calls++
		same, err := adj.Same(ctx, m.recs[p.a], m.recs[p.b])
		if err != nil {
			m.callErrs++
			continue
		}
		p.llm = true
		if same {
			p.prob = adjudicatedSame
		} else {
			p.prob = adjudicatedDifferent
		}
	}
	return nil
}

// group is one cluster during agglomeration.
type group struct {
	size    int
	version uint32
	docs    map[string]struct{}
	orcid   string
	doi     string
	minLink float64 // lowest mean probability of a similarity merge
	merged  bool    // had a similarity merge
	idMerge bool
}

type edge struct {
	sum float64
	n   int32
}

type entry struct {
	avg    float64
	a, b   int32 // a < b
	va, vb uint32
}

type entryHeap []entry

func (h entryHeap) Len() int { return len(h) }
func (h entryHeap) Less(i, j int) bool {
	if h[i].avg != h[j].avg {
		return h[i].avg > h[j].avg
	}
	if h[i].a != h[j].a {
		return h[i].a < h[j].a
	}
	return h[i].b < h[j].b
}
func (h entryHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *entryHeap) Push(x any)   { *h = append(*h, x.(entry)) }
func (h *entryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// cluster joins records by trusted identifiers, then agglomerates by
// average linkage over the candidate graph.
func (m *Model) cluster() Result {
	n := len(m.recs)
	st := m.blockStats
	st.Records = n
	st.CandidatePairs = len(m.pairs)
	perKind := map[Kind]int64{}
	for i := range m.preps {
		perKind[m.preps[i].kind]++
	}
	for _, c := range perKind {
		st.AllPairs += c * (c - 1) / 2
	}

	// 1. Trusted identifiers.
	uf := newUnionFind(n)
	for _, p := range m.pairs {
		if p.idMatch && uf.union(int(p.a), int(p.b)) {
			st.IdentifierMerges++
		}
	}
	groups := make([]*group, n)
	for i := range n {
		r := uf.find(i)
		g := groups[r]
		if g == nil {
			g = &group{docs: map[string]struct{}{}, minLink: 1}
			groups[r] = g
		}
		g.size++
		p := &m.preps[i]
		if p.doc != "" {
			g.docs[p.doc] = struct{}{}
		}
		if p.orcid != "" {
			g.orcid = p.orcid
		}
		if p.doi != "" {
			g.doi = p.doi
		}
		if r != i {
			g.idMerge = true
		}
	}
	// Edges between identifier groups: sum and count of candidate pair
	// probabilities, aggregated by sorting.
	type gpair struct {
		key  uint64 // ra<<32 | rb, ra < rb
		prob float64
	}
	gp := make([]gpair, 0, len(m.pairs))
	for _, p := range m.pairs {
		ra, rb := int32(uf.find(int(p.a))), int32(uf.find(int(p.b)))
		if ra == rb {
			continue
		}
		if ra > rb {
			ra, rb = rb, ra
		}
		gp = append(gp, gpair{uint64(ra)<<32 | uint64(rb), p.prob})
	}
	if !slices.IsSortedFunc(gp, func(x, y gpair) int { return cmp.Compare(x.key, y.key) }) {
		slices.SortFunc(gp, func(x, y gpair) int { return cmp.Compare(x.key, y.key) })
	}
	edges := make([]gEdge, 0, len(gp))
	for k := 0; k < len(gp); {
		e := gEdge{a: int32(gp[k].key >> 32), b: int32(gp[k].key & 0xffffffff)}
		for ; k < len(gp) && uint64(e.a)<<32|uint64(e.b) == gp[k].key; k++ {
			e.sum += gp[k].prob
			e.n++
		}
		edges = append(edges, e)
	}

	// 2. Average linkage. A merge needs a mean ≥ threshold, and a mean of
	// merged clusters is a weighted mean of their parts' means, so clusters
	// never grow beyond the components of the group edges whose mean
	// reaches the threshold: each component is agglomerated on its own.
	comp := newUnionFind(n)
	for _, e := range edges {
		if e.sum/float64(e.n) >= threshold(m.preps[e.a].kind) {
			comp.union(int(e.a), int(e.b))
		}
	}
	// Components as contiguous runs: nodes (ascending) and edges of each.
	nodeStart := make([]int32, n+1)
	edgeStart := make([]int32, n+1)
	compOf := make([]int32, n)
	for i := range n {
		compOf[i] = int32(comp.find(i))
		if groups[i] != nil {
			nodeStart[compOf[i]+1]++
		}
	}
	for _, e := range edges {
		if c := compOf[e.a]; c == compOf[e.b] {
			edgeStart[c+1]++
		}
	}
	for i := range n {
		nodeStart[i+1] += nodeStart[i]
		edgeStart[i+1] += edgeStart[i]
	}
	nodeAt, edgeAt := slices.Clone(nodeStart[:n]), slices.Clone(edgeStart[:n])
	nodeList := make([]int32, nodeStart[n])
	edgeList := make([]gEdge, edgeStart[n])
	for i := range n {
		if groups[i] != nil {
			c := compOf[i]
			nodeList[nodeAt[c]] = int32(i)
			nodeAt[c]++
		}
	}
	for _, e := range edges {
		if c := compOf[e.a]; c == compOf[e.b] {
			edgeList[edgeAt[c]] = e
			edgeAt[c]++
		}
	}
	alias := make([]int32, n) // absorbed group → absorbing group
	for i := range alias {
		alias[i] = int32(i)
	}
	for c := range n {
		nodes := nodeList[nodeStart[c]:nodeStart[c+1]]
		if len(nodes) < 2 {
			continue
		}
		ce := edgeList[edgeStart[c]:edgeStart[c+1]]
		th := threshold(m.preps[c].kind)
		if len(nodes) <= denseMax {
			st.ScoreMerges += hacDense(groups, alias, nodes, ce, th)
		} else {
			st.ScoreMerges += hacSparse(groups, alias, nodes, ce, th)
		}
	}

	// 3. Number clusters by their smallest canonical member.
	resolve := func(i int) int32 {
		r := int32(uf.find(i))
		for alias[r] != r {
			r = alias[r]
		}
		return r
	}
	num := make(map[int32]int, n)
	rootOf := make([]int32, n)
	var order []int32
	for i := range n { // canonical order: the first member met is the smallest
		r := resolve(i)
		rootOf[i] = r
		if _, ok := num[r]; !ok {
			num[r] = len(order)
			order = append(order, r)
		}
	}
	res := Result{Cluster: make([]int, n), NumClusters: len(order),
		Confidence: make([]float64, len(order)), Method: make([]string, len(order))}
	for c := range n {
		res.Cluster[m.order[c]] = num[rootOf[c]]
	}
	llm := make([]bool, len(order))
	bestProb := make([]float64, len(order))
	for _, p := range m.pairs {
		ca, cb := num[rootOf[p.a]], num[rootOf[p.b]]
		if ca == cb {
			if p.llm && p.prob > 0.5 {
				llm[ca] = true
			}
			continue
		}
		bestProb[ca] = max(bestProb[ca], p.prob)
		bestProb[cb] = max(bestProb[cb], p.prob)
	}
	for k, r := range order {
		g := groups[r]
		switch {
		case g.size == 1:
			res.Method[k], res.Confidence[k] = MethodSingleton, 1-bestProb[k]
		case llm[k]:
			res.Method[k], res.Confidence[k] = MethodLLM, g.minLink
		case g.merged:
			res.Method[k], res.Confidence[k] = MethodScore, g.minLink
		case g.orcid != "":
			res.Method[k], res.Confidence[k] = MethodORCID, 1
		default:
			res.Method[k], res.Confidence[k] = MethodDOI, 1
		}
		if llm[k] {
			st.AdjudicatedMerges++
		}
	}
	res.Stats = st
	return res
}

// conflicts reports whether two groups must stay apart: different trusted
// identifiers, or records of the same document.
func conflicts(a, b *group) bool {
	if a.orcid != "" && b.orcid != "" && a.orcid != b.orcid {
		return true
	}
	if a.doi != "" && b.doi != "" && a.doi != b.doi {
		return true
	}
	x, y := a.docs, b.docs
	if len(x) > len(y) {
		x, y = y, x
	}
	for d := range x {
		if _, ok := y[d]; ok {
			return true
		}
	}
	return false
}

// unionFind is a disjoint-set forest with path halving; the root is always
// the smallest index, so roots do not depend on union order.
type unionFind struct{ parent []int }

func newUnionFind(n int) *unionFind {
	u := &unionFind{parent: make([]int, n)}
	for i := range u.parent {
		u.parent[i] = i
	}
	return u
}

func (u *unionFind) find(i int) int {
	for u.parent[i] != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = u.parent[i]
	}
	return i
}

func (u *unionFind) union(a, b int) bool {
	a, b = u.find(a), u.find(b)
	if a == b {
		return false
	}
	if b < a {
		a, b = b, a
	}
	u.parent[b] = a
	return true
}

// gEdge aggregates the candidate pairs between two groups.
type gEdge struct {
	a, b int32 // a < b
	sum  float64
	n    int32
}

// denseMax is the largest component agglomerated with dense matrices.
const denseMax = 1024

// absorb merges group gf into gi after a link of mean avg.
func absorb(gi, gf *group, avg float64) {
	gi.size += gf.size
	for d := range gf.docs {
		gi.docs[d] = struct{}{}
	}
	if gi.orcid == "" {
		gi.orcid = gf.orcid
	}
	if gi.doi == "" {
		gi.doi = gf.doi
	}
	gi.idMerge = gi.idMerge || gf.idMerge
	gi.merged = true
	gi.minLink = min(gi.minLink, gf.minLink, avg)
	gi.version++
}

// hacDense agglomerates one component (nodes ascending) with n×n sums and
// counts and a nearest-neighbour array instead of a heap: a merge costs
// O(n) plus O(n) per node whose best neighbour was one of the merged pair.
// It makes the same merges in the same order as hacSparse (highest mean
// first, ties to the lowest ids). It returns the number of merges.
func hacDense(groups []*group, alias []int32, nodes []int32, edges []gEdge, th float64) int {
	n := len(nodes)
	local := make(map[int32]int32, n)
	for i, g := range nodes {
		local[g] = int32(i)
	}
	sum := make([]float64, n*n)
	cnt := make([]int32, n*n)
	blocked := make([]bool, n*n) // conflicting pairs stay conflicting as groups grow
	for _, e := range edges {
		a, b := int(local[e.a]), int(local[e.b])
		sum[a*n+b], sum[b*n+a] = e.sum, e.sum
		cnt[a*n+b], cnt[b*n+a] = e.n, e.n
	}
	alive := make([]bool, n)
	for i := range alive {
		alive[i] = true
	}
	avg := func(i, k int) float64 {
		x := i*n + k
		if cnt[x] == 0 || blocked[x] {
			return -1
		}
		return sum[x] / float64(cnt[x])
	}
	bestK := make([]int, n)
	bestV := make([]float64, n)
	recompute := func(i int) {
		bestK[i], bestV[i] = -1, -1
		for k := range n {
			if k == i || !alive[k] {
				continue
			}
			if v := avg(i, k); v >= th && v > bestV[i] {
				bestK[i], bestV[i] = k, v
			}
		}
	}
	for i := range n {
		recompute(i)
	}
	merges := 0
	for {
		a, b, v := -1, -1, -1.0
		for i := range n {
			if !alive[i] || bestK[i] < 0 {
				continue
			}
			x, y := min(i, bestK[i]), max(i, bestK[i])
			if bestV[i] > v || (bestV[i] == v && (x < a || (x == a && y < b))) {
				a, b, v = x, y, bestV[i]
			}
		}
		if a < 0 {
			return merges
		}
		ga, gb := groups[nodes[a]], groups[nodes[b]]
		if conflicts(ga, gb) {
			blocked[a*n+b], blocked[b*n+a] = true, true
			recompute(a)
			recompute(b)
			continue
		}
		absorb(ga, gb, v) // a < b: the lower id survives
		alive[b] = false
		groups[nodes[b]] = nil
		alias[nodes[b]] = nodes[a]
		merges++
		for k := range n {
			if !alive[k] || k == a {
				continue
			}
			xa, xb := a*n+k, b*n+k
			sum[xa] += sum[xb]
			cnt[xa] += cnt[xb]
			blocked[xa] = blocked[xa] || blocked[xb]
			sum[k*n+a], cnt[k*n+a], blocked[k*n+a] = sum[xa], cnt[xa], blocked[xa]
		}
		recompute(a)
		for k := range n {
			if !alive[k] || k == a {
				continue
			}
			if bestK[k] == a || bestK[k] == b {
				recompute(k)
			} else if w := avg(k, a); w >= th && (w > bestV[k] || (w == bestV[k] && a < bestK[k])) {
				bestK[k], bestV[k] = a, w
			}
		}
	}
}

// hacSparse agglomerates a large component with adjacency maps.
func hacSparse(groups []*group, alias []int32, nodes []int32, edges []gEdge, th float64) int {
	adj := make(map[int32]map[int32]edge, len(nodes))
	for _, g := range nodes {
		adj[g] = map[int32]edge{}
	}
	for _, e := range edges {
		adj[e.a][e.b] = edge{e.sum, e.n}
		adj[e.b][e.a] = edge{e.sum, e.n}
	}
	var h entryHeap
	push := func(a, b int32) {
		if a > b {
			a, b = b, a
		}
		e := adj[a][b]
		if avg := e.sum / float64(e.n); avg >= th {
			heap.Push(&h, entry{avg: avg, a: a, b: b, va: groups[a].version, vb: groups[b].version})
		}
	}
	// The heap's order is total (mean, then ids), so the order of pushes
	// (map iteration) does not change the order of merges.
	for _, e := range edges {
		push(e.a, e.b)
	}
	merges := 0
	for h.Len() > 0 {
		e := heap.Pop(&h).(entry)
		ga, gb := groups[e.a], groups[e.b]
		if ga == nil || gb == nil || ga.version != e.va || gb.version != e.vb || conflicts(ga, gb) {
			continue
		}
		into, from := e.a, e.b // the lower id survives
		absorb(ga, gb, e.avg)
		ai, af := adj[into], adj[from]
		delete(ai, from)
		for c, x := range af {
			if c == into {
				continue
			}
			y := ai[c]
			y.sum += x.sum
			y.n += x.n
			ai[c] = y
			delete(adj[c], from)
			adj[c][into] = y
		}
		delete(adj, from)
		groups[from] = nil
		alias[from] = into
		merges++
		for c := range ai {
			push(into, c)
		}
	}
	return merges
}
