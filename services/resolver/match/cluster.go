package match

import (
	"cmp"
	"container/heap"
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/docbatch/docbatch/services/platform/disjoint"
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
	m.llm = make([]bool, len(m.pairs))
	var ask []int
	for k, p := range m.pairs {
		if !p.decided() && p.prob >= lo && p.prob <= hi {
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
		m.llm[k] = true
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
	// The documents of the group's records: doc and doc2 while there are
	// at most two, docs (which then holds them all) once there are more.
	// Most groups are one record, and a map per record was the
	// clustering's largest allocation; a group of two sources (a DBLP and
	// an ACM record) needs no map either.
	doc, doc2 string
	docs      map[string]struct{}
	orcid     string
	doi       string
	minLink   float64 // lowest mean probability of a similarity merge
	merged    bool    // had a similarity merge
	idMerge   bool
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
	n := len(m.ids)
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
	uf := disjoint.New(n)
	for _, p := range m.pairs {
		if p.idMatch() && uf.Union(int(p.a), int(p.b)) {
			st.IdentifierMerges++
		}
	}
	groups := make([]*group, n)
	slab := make([]group, n) // one allocation for all the groups
	for i := range n {
		r := uf.Find(i)
		g := groups[r]
		if g == nil {
			g = &slab[r]
			g.minLink = 1
			groups[r] = g
		}
		g.size++
		p := &m.preps[i]
		if p.doc != "" {
			g.addDoc(p.doc)
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
	// probabilities. Without identifier merges every group is one record
	// and the pairs (sorted, distinct) are the edges as they stand, so
	// they are not copied.
	var agg []gEdge
	aggregated := st.IdentifierMerges > 0
	if aggregated {
		agg = groupEdges(m.pairs, uf)
	}
	edgeAt := func(k int32) gEdge {
		if aggregated {
			return agg[k]
		}
		p := m.pairs[k]
		return gEdge{a: p.a, b: p.b, sum: p.prob, n: 1}
	}
	numEdges := len(m.pairs)
	if aggregated {
		numEdges = len(agg)
	}
	forEdges := func(f func(k int32, e gEdge)) {
		for k := range int32(numEdges) {
			f(k, edgeAt(k))
		}
	}

	// 2. Average linkage. A merge needs a mean ≥ threshold, and a mean of
	// merged clusters is a weighted mean of their parts' means, so clusters
	// never grow beyond the components of the group edges whose mean
	// reaches the threshold: each component is agglomerated on its own.
	comp := disjoint.New(n)
	forEdges(func(_ int32, e gEdge) {
		if e.sum/float64(e.n) >= threshold(m.preps[e.a].kind) {
			comp.Union(int(e.a), int(e.b))
		}
	})
	// Components as contiguous runs: nodes (ascending) and edges of each,
	// the edges as indices (4 bytes, not a 24-byte copy: in a big batch
	// most of the millions of pairs lie inside components).
	nodeStart := make([]int32, n+1)
	edgeStart := make([]int32, n+1)
	compOf := make([]int32, n)
	for i := range n {
		compOf[i] = int32(comp.Find(i))
		if groups[i] != nil {
			nodeStart[compOf[i]+1]++
		}
	}
	forEdges(func(_ int32, e gEdge) {
		if c := compOf[e.a]; c == compOf[e.b] {
			edgeStart[c+1]++
		}
	})
	for i := range n {
		nodeStart[i+1] += nodeStart[i]
		edgeStart[i+1] += edgeStart[i]
	}
	nodeAt, edgeNext := slices.Clone(nodeStart[:n]), slices.Clone(edgeStart[:n])
	nodeList := make([]int32, nodeStart[n])
	edgeList := make([]int32, edgeStart[n])
	for i := range n {
		if groups[i] != nil {
			c := compOf[i]
			nodeList[nodeAt[c]] = int32(i)
			nodeAt[c]++
		}
	}
	forEdges(func(k int32, e gEdge) {
		if c := compOf[e.a]; c == compOf[e.b] {
			edgeList[edgeNext[c]] = k
			edgeNext[c]++
		}
	})
	alias := make([]int32, n) // absorbed group → absorbing group
	for i := range alias {
		alias[i] = int32(i)
	}
	// The components share no group, so they are agglomerated concurrently
	// (each writes only its own nodes' entries of groups and alias); the
	// largest first, so that one big component does not start last. A
	// component's merges do not depend on the others or on the order.
	var todo []int32
	for c := range n {
		if nodeStart[c+1]-nodeStart[c] >= 2 {
			todo = append(todo, int32(c))
		}
	}
	size := func(c int32) int32 { return nodeStart[c+1] - nodeStart[c] }
	slices.SortFunc(todo, func(x, y int32) int { return cmp.Or(cmp.Compare(size(y), size(x)), cmp.Compare(x, y)) })
	var maxEdges int32
	for _, c := range todo {
		maxEdges = max(maxEdges, edgeStart[c+1]-edgeStart[c])
	}
	workers := m.opts.Workers
	if workers <= 0 {
		workers = 2
	}
	var next atomic.Int64
	var merges atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, len(todo)) {
		wg.Go(func() {
			var dense denseScratch
			ce := make([]gEdge, 0, maxEdges) // one component's edges at a time
			done := 0
			for {
				t := int(next.Add(1) - 1)
				if t >= len(todo) {
					break
				}
				c := todo[t]
				nodes := nodeList[nodeStart[c]:nodeStart[c+1]]
				ce = ce[:0]
				for _, k := range edgeList[edgeStart[c]:edgeStart[c+1]] {
					ce = append(ce, edgeAt(k))
				}
				th := threshold(m.preps[c].kind)
				if len(nodes) <= denseMax {
					done += hacDense(groups, alias, nodes, ce, th, &dense)
				} else {
					done += hacSparse(groups, alias, nodes, ce, th)
				}
			}
			merges.Add(int64(done))
		})
	}
	wg.Wait()
	st.ScoreMerges += int(merges.Load())

	// 3. Number clusters by their smallest canonical member.
	resolve := func(i int) int32 {
		r := int32(uf.Find(i))
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
	for k, p := range m.pairs {
		ca, cb := num[rootOf[p.a]], num[rootOf[p.b]]
		if ca == cb {
			if m.llm != nil && m.llm[k] && p.prob > 0.5 {
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
	if a.docs == nil {
		return a.doc != "" && b.hasDoc(a.doc) || a.doc2 != "" && b.hasDoc(a.doc2)
	}
	if b.docs == nil {
		return b.doc != "" && a.hasDoc(b.doc) || b.doc2 != "" && a.hasDoc(b.doc2)
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

// hasDoc reports whether a record of g is from document d (non-empty).
func (g *group) hasDoc(d string) bool {
	if g.docs == nil {
		return g.doc == d || g.doc2 == d
	}
	_, ok := g.docs[d]
	return ok
}

// addDoc adds the non-empty document d to g's.
func (g *group) addDoc(d string) {
	switch {
	case g.docs != nil:
		g.docs[d] = struct{}{}
	case g.doc == "" || g.doc == d:
		g.doc = d
	case g.doc2 == "" || g.doc2 == d:
		g.doc2 = d
	default:
		g.docs = map[string]struct{}{g.doc: {}, g.doc2: {}, d: {}}
	}
}

// groupEdges aggregates the candidate pairs between identifier groups
// (uf's roots) into one edge per pair of groups, sorted.
func groupEdges(pairs []pair, uf *disjoint.Sets) []gEdge {
	edges := make([]gEdge, 0, len(pairs))
	for _, p := range pairs {
		ra, rb := int32(uf.Find(int(p.a))), int32(uf.Find(int(p.b)))
		if ra == rb {
			continue
		}
		if ra > rb {
			ra, rb = rb, ra
		}
		edges = append(edges, gEdge{a: ra, b: rb, sum: p.prob, n: 1})
	}
	byGroups := func(x, y gEdge) int { return cmp.Or(cmp.Compare(x.a, y.a), cmp.Compare(x.b, y.b)) }
	if !slices.IsSortedFunc(edges, byGroups) {
		slices.SortFunc(edges, byGroups)
	}
	out := edges[:0] // sum each run of one key, in place
	for _, e := range edges {
		if k := len(out) - 1; k >= 0 && out[k].a == e.a && out[k].b == e.b {
			out[k].sum += e.sum
			out[k].n++
			continue
		}
		out = append(out, e)
	}
	return out
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
	if gf.docs == nil {
		if gf.doc != "" {
			gi.addDoc(gf.doc)
		}
		if gf.doc2 != "" {
			gi.addDoc(gf.doc2)
		}
	} else {
		for d := range gf.docs {
			gi.addDoc(d)
		}
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

// denseScratch holds hacDense's matrices, reused from one component to
// the next: allocating (and zeroing fresh pages for) n×n matrices per
// component was a large share of clustering time.
type denseScratch struct {
	sum   []float64
	cnt   []int32   // −1: blocked (conflicting; stays so as the groups grow)
	avg   []float64 // sum/cnt, or 0: no edge, blocked, dead or diagonal
	local []int32   // group id → row
	alive []bool
	bestK []int
	bestV []float64
	stale []bool
}

// get returns the matrices for n nodes, cleared.
func (d *denseScratch) get(n int) (sum []float64, cnt []int32, avg []float64) {
	if cap(d.sum) < n*n {
		d.sum, d.cnt, d.avg = make([]float64, n*n), make([]int32, n*n), make([]float64, n*n)
	}
	sum, cnt, avg = d.sum[:n*n], d.cnt[:n*n], d.avg[:n*n]
	clear(sum)
	clear(cnt)
	clear(avg)
	return sum, cnt, avg
}

// hacDense agglomerates one component (nodes ascending) with n×n sums,
// counts and means and a nearest-neighbour array instead of a heap: a
// merge costs O(n) plus O(n) per row scan, and finding a node's best
// neighbour is a scan of one row of means. It makes the same merges in the
// same order as hacSparse (highest mean first, ties to the lowest ids). It
// returns the number of merges.
//
// A node whose best neighbour was merged away and whose link to the merged
// group is lower is not rescanned at once: its row is marked stale and
// bestV keeps the old best, an upper bound of the row (no other entry
// changed). It is rescanned only when that bound could make it the next
// merge; in a big cluster absorbing its members one by one, most rows went
// stale merge after merge and were rescanned each time.
//
// A mean of 0 stands for "no link" in avg: th > 0, so neither can merge.
func hacDense(groups []*group, alias []int32, nodes []int32, edges []gEdge, th float64, sc *denseScratch) int {
	n := len(nodes)
	sum, cnt, avg := sc.get(n)
	if len(sc.local) < len(groups) {
		sc.local = make([]int32, len(groups))
	}
	local := sc.local
	for i, g := range nodes {
		local[g] = int32(i)
	}
	for _, e := range edges {
		a, b := int(local[e.a]), int(local[e.b])
		v := e.sum / float64(e.n)
		sum[a*n+b], sum[b*n+a] = e.sum, e.sum
		cnt[a*n+b], cnt[b*n+a] = e.n, e.n
		avg[a*n+b], avg[b*n+a] = v, v
	}
	if cap(sc.alive) < n {
		sc.alive, sc.bestK, sc.bestV, sc.stale = make([]bool, n), make([]int, n), make([]float64, n), make([]bool, n)
	}
	alive, bestK, bestV, stale := sc.alive[:n], sc.bestK[:n], sc.bestV[:n], sc.stale[:n]
	for i := range alive {
		alive[i], stale[i] = true, false
	}
	// recompute finds i's best neighbour: the first highest mean of its
	// row (dead and blocked nodes read 0), if it reaches th.
	recompute := func(i int) {
		k, v := -1, -1.0
		for j, w := range avg[i*n : (i+1)*n] {
			if w > v {
				k, v = j, w
			}
		}
		if v < th {
			k, v = -1, -1
		}
		bestK[i], bestV[i], stale[i] = k, v, false
	}
	for i := range n {
		recompute(i)
	}
	merges := 0
	for {
		a, b, v := -1, -1, -1.0
		st := -1 // the stale row whose bound is the highest, if it beats a, b
		for i := range n {
			if !alive[i] || bestK[i] < 0 {
				continue
			}
			if stale[i] {
				// Its true best is at most bestV[i], with any ids: it may
				// win if the bound reaches v.
				if bestV[i] >= v && (st < 0 || bestV[i] > bestV[st]) {
					st = i
				}
				continue
			}
			x, y := min(i, bestK[i]), max(i, bestK[i])
			if bestV[i] > v || (bestV[i] == v && (x < a || (x == a && y < b))) {
				a, b, v = x, y, bestV[i]
			}
		}
		if st >= 0 && bestV[st] >= v {
			recompute(st)
			continue
		}
		if a < 0 {
			return merges
		}
		ga, gb := groups[nodes[a]], groups[nodes[b]]
		if conflicts(ga, gb) {
			cnt[a*n+b], cnt[b*n+a] = -1, -1
			avg[a*n+b], avg[b*n+a] = 0, 0
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
			avg[k*n+b] = 0 // b is gone
			if !alive[k] || k == a {
				continue
			}
			xa, xb := a*n+k, b*n+k
			w := 0.0
			if cnt[xa] < 0 || cnt[xb] < 0 {
				cnt[xa] = -1
			} else {
				sum[xa] += sum[xb]
				cnt[xa] += cnt[xb]
				if cnt[xa] > 0 {
					w = sum[xa] / float64(cnt[xa])
				}
			}
			sum[k*n+a], cnt[k*n+a] = sum[xa], cnt[xa]
			avg[xa], avg[k*n+a] = w, w
		}
		recompute(a)
		for k := range n {
			if !alive[k] || k == a {
				continue
			}
			if stale[k] {
				// Entry b is gone and entry a changed: the bound still
				// holds, and a link to a above it is the row's best.
				if w := avg[k*n+a]; w > bestV[k] {
					bestK[k], bestV[k], stale[k] = a, w, false
				}
				continue
			}
			if bestK[k] == a || bestK[k] == b {
				// Only entries a and b of k's row changed, and every entry
				// before the old best was below it: if the new link to a
				// is at least the old best, it is the row's first highest
				// (a < b), so the row need not be scanned again.
				if w := avg[k*n+a]; w >= bestV[k] {
					bestK[k], bestV[k] = a, w
				} else {
					stale[k] = true // bestV[k] bounds the row
				}
			} else if w := avg[k*n+a]; w >= th && (w > bestV[k] || (w == bestV[k] && a < bestK[k])) {
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
