package match

import (
	"cmp"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
)

// Blocking limits.
const (
	// maxBlock is the largest block compared all-pairs; a larger block is
	// sorted by name/title and each record compared with the next
	// blockWindow records (sorted neighbourhood), so its cost is linear.
	maxBlock    = 400
	blockWindow = 40
	// rareTokens is how many of a work's (or organisation's) rarest title
	// (name) tokens become blocking keys. Tokens seen in one record only
	// are skipped (they cannot pair it with anything). Chosen on the dev
	// halves of dblp_acm and cora: 3 → 4 raised dev blocking recall from
	// 0.998/0.960 to 1.000/0.978; 5 gained cora 0.002 more for twice the
	// candidate pairs on dblp_acm.
	rareTokens = 4
)

// recKeys are a record's blocking keys: strings for identifiers and
// names, integers (tokenKey) for rare tokens.
type recKeys struct {
	str []string
	tok []uint64
}

// tokenKey is the blocking key of token id of field f for records of
// kind k. It stands for the string key kind+"t:"+id (field fTitle or
// fName) or kind+"a:"+id (fAuth): distinct strings, distinct integers.
func tokenKey(k Kind, f int, id int32) uint64 {
	return uint64(k)<<40 | uint64(f)<<32 | uint64(uint32(id))
}

// blockKeys returns the blocking keys of a normalised record.
func (m *Model) blockKeys(p *prep, adhoc bool) recKeys {
	var keys recKeys
	kind := strconv.Itoa(int(p.kind)) + ":"
	if p.orcid != "" {
		keys.str = append(keys.str, kind+"orcid:"+p.orcid)
	}
	if p.doi != "" {
		keys.str = append(keys.str, kind+"doi:"+p.doi)
	}
	switch p.kind {
	case Person:
		if p.family == "" {
			break
		}
		keys.str = append(keys.str, kind+"n:"+personKey(p.family, p.given))
		for _, part := range p.familyParts {
			if len(part) >= 2 {
				keys.str = append(keys.str, kind+"n:"+personKey(part, p.given))
			}
		}
	case Work:
		// At most rareTokens keys without adhoc (the author tokens only
		// stand in for an empty title): one allocation, not three appends.
		if !adhoc {
			keys.tok = make([]uint64, 0, rareTokens)
		}
		keys.tok = m.rareKeys(keys.tok, p.kind, fTitle, p.vec(fTitle), adhoc)
		if len(p.vec(fTitle)) == 0 {
			keys.tok = m.rareKeys(keys.tok, p.kind, fAuth, p.vec(fAuth), adhoc)
		}
	default:
		if !adhoc {
			keys.tok = make([]uint64, 0, rareTokens)
		}
		keys.tok = m.rareKeys(keys.tok, p.kind, fName, p.vec(fName), adhoc)
		if p.titleKey != "" {
			keys.str = append(keys.str, kind+"x:"+p.titleKey)
		}
	}
	return keys
}

// rareKeys appends keys for the rareTokens rarest tokens (document
// frequency ≥ 2) of the tokens of v; ties go to the lower token id, which
// is deterministic because ids are assigned in canonical record order.
func (m *Model) rareKeys(keys []uint64, k Kind, f int, v vec, adhoc bool) []uint64 {
	type tf struct {
		id int32
		df int32
	}
	var buf [32]tf // most titles fit: no allocation
	c := buf[:0]
	for _, t := range v {
		id := t.id
		d := m.stats.dfOf(f, id)
		switch {
		case d >= 2:
			c = append(c, tf{id, d})
		case d == 1 && adhoc:
			// An ad-hoc record also pairs with a token's only holder.
			keys = append(keys, tokenKey(k, f, id))
		}
	}
	slices.SortFunc(c, func(a, b tf) int { return cmp.Or(cmp.Compare(a.df, b.df), cmp.Compare(a.id, b.id)) })
	c = slices.CompactFunc(c, func(a, b tf) bool { return a.id == b.id })
	for j := 0; j < len(c) && j < rareTokens; j++ {
		keys = append(keys, tokenKey(k, f, c[j].id))
	}
	return keys
}

// block assigns records to blocks and indexes, per record, the blocks it
// shares with others (see blockIndex).
func (m *Model) block() {
	// The keys are a pure function of the frozen corpus: computed in
	// parallel, then filed in canonical order.
	keys := make([]recKeys, len(m.preps))
	parallel(len(m.preps), m.opts.Workers, func(i int) { keys[i] = m.blockKeys(&m.preps[i], false) })
	m.blocks = map[string][]int32{}
	m.tblocks = map[uint64][]int32{}
	for i := range m.preps {
		for _, k := range keys[i].str {
			b := m.blocks[k]
			if n := len(b); n > 0 && b[n-1] == int32(i) {
				continue
			}
			m.blocks[k] = append(b, int32(i))
		}
		for _, k := range keys[i].tok {
			b := m.tblocks[k]
			if n := len(b); n > 0 && b[n-1] == int32(i) {
				continue
			}
			m.tblocks[k] = append(b, int32(i))
		}
	}
	// Singletons stay in the maps for Best. The order of the blocks
	// changes no candidate (neighbours sorts them), but it is fixed.
	var skeys []string
	for k, b := range m.blocks {
		if len(b) >= 2 {
			skeys = append(skeys, k)
		}
	}
	slices.Sort(skeys)
	var tkeys []uint64
	for k, b := range m.tblocks {
		if len(b) >= 2 {
			tkeys = append(tkeys, k)
		}
	}
	slices.Sort(tkeys)
	m.blockList = make([][]int32, 0, len(skeys)+len(tkeys))
	for _, k := range skeys {
		m.blockList = append(m.blockList, m.blocks[k])
	}
	for _, k := range tkeys {
		m.blockList = append(m.blockList, m.tblocks[k])
	}
	m.index = newBlockIndex(m)
}

// sortKey orders a big block for its sliding window.
func (p *prep) sortKey() string {
	if p.kind == Person {
		return p.nameKey
	}
	return p.titleKey
}

// blockIndex lets each record list its candidates by itself, in ascending
// order, instead of generating every block's pairs and deduplicating them
// with a global sort: that sort was a large share of the matcher's time and
// its input (every pair once per shared block) its largest allocation. It
// also answers "is (a, b) a candidate pair?" without keeping the pairs.
type blockIndex struct {
	// members of block j (m.blockList[j]) ascending; for a windowed block, in
	// window order (sortKey, then index).
	members  [][]int32
	windowed []bool
	// The blocks of record i are blk[start[i]:start[i+1]] (ascending), and
	// pos the record's place in each windowed block's window order.
	start []int32
	blk   []int32
	pos   []int32
	stats Stats
}

func newBlockIndex(m *Model) blockIndex {
	n := len(m.preps)
	x := blockIndex{members: make([][]int32, len(m.blockList)), windowed: make([]bool, len(m.blockList)), start: make([]int32, n+1)}
	for j, b := range m.blockList {
		x.stats.Blocks++
		x.stats.LargestBlock = max(x.stats.LargestBlock, len(b))
		if len(b) > maxBlock {
			x.stats.WindowedBlocks++
			x.windowed[j] = true
			s := slices.Clone(b)
			slices.SortFunc(s, func(x, y int32) int {
				return cmp.Or(cmp.Compare(m.preps[x].sortKey(), m.preps[y].sortKey()), cmp.Compare(x, y))
			})
			b = s
		}
		x.members[j] = b
		for _, r := range b {
			x.start[r+1]++
		}
	}
	for i := range n {
		x.start[i+1] += x.start[i]
	}
	x.blk = make([]int32, x.start[n])
	x.pos = make([]int32, x.start[n])
	at := slices.Clone(x.start[:n])
	for j, b := range x.members { // j ascending: each record's blocks come out sorted
		for p, r := range b {
			x.blk[at[r]], x.pos[at[r]] = int32(j), int32(p)
			at[r]++
		}
	}
	return x
}

// neighbours appends to out the records after a (b > a) that share a
// block with a, ascending and distinct; seen is scratch of one entry per
// record that must not hold a.
func (x *blockIndex) neighbours(a int32, seen []int32, out []int32) []int32 {
	out = out[:0]
	// Without a windowed block (whose members are in sortKey order), the
	// records after a in each of its blocks are an ascending run: merging
	// the few runs gives the distinct ascending list directly, where
	// collecting and sorting it was a tenth of the scoring of works.
	var buf [8][]int32
	runs := buf[:0]
	for k := x.start[a]; k < x.start[a+1]; k++ {
		if x.windowed[x.blk[k]] || len(runs) == len(buf) {
			runs = nil
			break
		}
		b := x.members[x.blk[k]]
		if from, _ := slices.BinarySearch(b, a+1); from < len(b) {
			runs = append(runs, b[from:])
		}
	}
	if runs != nil {
		if len(runs) == 1 {
			return append(out, runs[0]...)
		}
		for {
			best := -1
			var v int32
			for i, r := range runs {
				if len(r) > 0 && (best < 0 || r[0] < v) {
					best, v = i, r[0]
				}
			}
			if best < 0 {
				return out
			}
			out = append(out, v)
			for i, r := range runs {
				if len(r) > 0 && r[0] == v {
					runs[i] = r[1:]
				}
			}
		}
	}
	sorted := true // one small block gives its records in order: no sort
	for k := x.start[a]; k < x.start[a+1]; k++ {
		b := x.members[x.blk[k]]
		if !x.windowed[x.blk[k]] {
			// Ascending: the records after a are a suffix.
			from, _ := slices.BinarySearch(b, a+1)
			for _, r := range b[from:] {
				if seen[r] != a {
					seen[r] = a
					sorted = sorted && (len(out) == 0 || out[len(out)-1] < r)
					out = append(out, r)
				}
			}
			continue
		}
		p := int(x.pos[k])
		for q := max(0, p-blockWindow); q < min(len(b), p+blockWindow+1); q++ {
			if r := b[q]; r > a && seen[r] != a {
				seen[r] = a
				sorted = sorted && (len(out) == 0 || out[len(out)-1] < r)
				out = append(out, r)
			}
		}
	}
	if !sorted {
		slices.Sort(out)
	}
	return out
}

// candidate reports whether a and b (a ≠ b) share a block: the same test
// as neighbours, for one pair.
func (x *blockIndex) candidate(a, b int32) bool {
	bb := x.blk[x.start[b]:x.start[b+1]]
	for k := x.start[a]; k < x.start[a+1]; k++ {
		j := x.blk[k]
		kb, ok := slices.BinarySearch(bb, j)
		if !ok {
			continue
		}
		if !x.windowed[j] {
			return true
		}
		if d := x.pos[k] - x.pos[x.start[b]+int32(kb)]; d >= -blockWindow && d <= blockWindow {
			return true
		}
	}
	return false
}

// scanChunk is how many records a worker takes at a time when listing and
// scoring candidates; small enough to balance skewed blocks, large enough
// to amortise the bookkeeping.
const scanChunk = 64

// scratch is one worker's buffers for blockIndex.neighbours and score,
// and its scorer.
type scratch struct {
	seen, nb, list []int32
	sc             *scorer
}

// forChunks runs f on the chunks of records [lo, hi) on workers
// goroutines, each with its own scratch; f must only write to what belongs
// to its chunk.
func (m *Model) forChunks(f func(chunk int, lo, hi int32, s *scratch)) {
	n := len(m.preps)
	chunks := (n + scanChunk - 1) / scanChunk
	workers := m.opts.Workers
	if workers <= 0 {
		workers = 2
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(workers, max(chunks, 1)) {
		wg.Go(func() {
			s := &scratch{seen: make([]int32, n), sc: newScorer()}
			s.sc.denseLen = len(m.stats.dict)
			for i := range s.seen {
				s.seen[i] = -1
			}
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				lo, hi := int32(c*scanChunk), int32(min(n, (c+1)*scanChunk))
				f(c, lo, hi, s)
			}
		})
	}
	wg.Wait()
}

// score lists the candidate pairs and computes their probabilities once,
// in two passes: the first lists each chunk's pairs from the block index
// (only the b of each, 4 bytes, and how many per a), so that the second
// writes them, scored, straight into one exactly sized slice (sorted by a,
// then b) with no intermediate copy of the 16-byte pairs.
func (m *Model) score() {
	if m.scored {
		return
	}
	m.scored = true
	m.blockStats = m.index.stats
	n := len(m.preps)
	chunks := (n + scanChunk - 1) / scanChunk
	counts := make([]int, chunks+1)
	lists := make([][]int32, chunks) // the b's of a chunk's records, in order
	deg := make([]int32, n)          // candidates b > a per record a
	m.forChunks(func(c int, lo, hi int32, s *scratch) {
		// Gathered in the worker's buffer and kept as an exact copy: a
		// list grown by appends allocated about twice its size.
		l := s.list[:0]
		for a := lo; a < hi; a++ {
			s.nb = m.index.neighbours(a, s.seen, s.nb)
			deg[a] = int32(len(s.nb))
			l = append(l, s.nb...)
		}
		s.list = l
		lists[c], counts[c+1] = slices.Clone(l), len(l)
	})
	for c := 1; c < len(counts); c++ {
		counts[c] += counts[c-1]
	}
	m.pairs = make([]pair, counts[len(counts)-1])
	m.forChunks(func(c int, lo, hi int32, s *scratch) {
		k, l := counts[c], lists[c]
		for a := lo; a < hi; a++ {
			pa := &m.preps[a]
			s.sc.prepare(pa)
			for _, b := range l[:deg[a]] {
				m.pairs[k] = pair{a: a, b: b, prob: m.compareWith(s.sc, pa, &m.preps[b], nil).pairProb()}
				k++
			}
			l = l[deg[a]:]
		}
		lists[c] = nil
	})
}

// blockCandidates lists the records sharing a block with an ad-hoc record.
func (m *Model) blockCandidates(q *prep) []int32 {
	var out []int32
	keys := m.blockKeys(q, true)
	for _, k := range keys.str {
		out = append(out, m.blocks[k]...)
	}
	for _, k := range keys.tok {
		out = append(out, m.tblocks[k]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
