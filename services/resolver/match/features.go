package match

import (
	"math"
	"slices"
	"strings"
)

// Fields with their own document frequencies.
const (
	fTitle = iota
	fVenue
	fAff
	fName
	fAuth
	nFields
)

// term is one weighted token of a unit-length TF-IDF vector.
type term struct {
	id int32
	w  float32
	// idf is the token's idf in the field (idfOf), kept here so that the
	// idf-weighted overlaps of a pair read it with the term instead of
	// from the corpus table.
	idf float32
}

type vec []term // sorted by id

// cosine of two unit vectors.
func cosine(a, b vec) float64 {
	var s float64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].id < b[j].id:
			i++
		case a[i].id > b[j].id:
			j++
		default:
			s += float64(a[i].w) * float64(b[j].w)
			i++
			j++
		}
	}
	return s
}

// prep is a record's normalised form, computed once.
type prep struct {
	kind  Kind
	doc   string
	orcid string
	doi   string
	// persons
	family      string   // compact folded family name
	familyParts []string // parts of a compound family name
	given       []string // folded given-name tokens, first name first
	coauth      []string // sorted distinct co-author keys (family|initial)
	nameKey     string   // family|first given token
	// nameN is the corpus count of nameKey (0 when the first given name is
	// an initial) and givenExact the weight of an exact first name at that
	// count; set by vectorize.
	nameN      int
	givenExact float64
	// terms holds the TF-IDF vectors of all fields, one after the other:
	// field f's is terms[voff[f]:voff[f+1]] (see vec). One slice and
	// offsets rather than five slices: 96 bytes and four pointers less per
	// record for the collector to scan. The token ids they come from
	// (tokens, ids ≥ the dictionary size local to an ad-hoc record) are
	// not kept: only vectorize reads them.
	terms []term
	voff  [nFields + 1]int32
	// authW is the idf mass of the author tokens (works).
	authW float64
	year  int
	// titleKey is the normalised title (works) or name (others); triK and
	// triRest its distinct character trigrams (spaces removed, so
	// "architec ture" still matches; see trigrams); titleW the idf mass
	// of its tokens.
	titleKey string
	triK     []uint16
	triRest  []uint32
	titleW   float64
}

// vec is the TF-IDF vector of field f (capped: appending to it cannot
// overwrite the next field's).
func (p *prep) vec(f int) vec {
	return vec(p.terms[p.voff[f]:p.voff[f+1]:p.voff[f+1]])
}

// triSet is a set of trigram slots (see triSlot): a bitmap small enough
// (5.8 kB) to stay in the L1 cache.
type triSet [(36*36*36 + 63) / 64]uint64

// trigrams returns the distinct character trigrams of s without spaces:
// those of three [a-z0-9] bytes as their triSlot, in order of first
// occurrence, and the others (non-ASCII letters, or s shorter than three
// bytes) as values b0<<16|b1<<8|b2 (b0<<16|len for a short s), sorted.
// Splitting them lets a pair's shared trigrams be counted with a bitmap
// (see scorer) instead of sorting every record's trigrams and merging two
// sorted lists per pair; the set is the same, so Dice is too. seen is
// scratch that is empty on entry and on return.
func trigrams(s string, seen *triSet) (slots []uint16, rest []uint32) {
	// The bytes of s without spaces are read through a three-byte window
	// rather than copied without the spaces (two allocations per record).
	nb := len(s) - strings.Count(s, " ")
	if nb < 3 {
		if nb == 0 {
			return nil, nil
		}
		first := s[strings.IndexFunc(s, func(r rune) bool { return r != ' ' })]
		return nil, []uint32{uint32(first)<<16 | uint32(nb)}
	}
	slots = make([]uint16, 0, nb-2)
	var t uint32
	got := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			continue
		}
		t = (t<<8 | uint32(s[i])) & 0xFFFFFF
		if got++; got < 3 {
			continue
		}
		if k, ok := triSlot(t); ok {
			if seen[k>>6]>>(k&63)&1 == 0 {
				seen[k>>6] |= 1 << (k & 63)
				slots = append(slots, uint16(k))
			}
		} else {
			rest = append(rest, t)
		}
	}
	for _, k := range slots {
		seen[k>>6] = 0
	}
	slices.Sort(rest)
	return slots, slices.Compact(rest)
}

// alnumCode numbers the bytes [a-z0-9] from 0; every other byte is −1.
var alnumCode = func() (c [256]int8) {
	for i := range c {
		c[i] = -1
	}
	for i := range byte(26) {
		c['a'+i] = int8(i)
	}
	for i := range byte(10) {
		c['0'+i] = int8(26 + i)
	}
	return c
}()

// triSlot is the slot in a triSet of a trigram of three bytes of
// [a-z0-9]; ok is false for any other.
func triSlot(t uint32) (slot uint32, ok bool) {
	x, y, z := alnumCode[byte(t>>16)], alnumCode[byte(t>>8)], alnumCode[byte(t)]
	if x < 0 || y < 0 || z < 0 {
		return 0, false
	}
	return (uint32(x)*36+uint32(y))*36 + uint32(z), true
}

// numTri is the number of distinct trigrams of p.
func (p *prep) numTri() int { return len(p.triK) + len(p.triRest) }

// sharedTri counts the trigrams of b that are in a, whose slots are in
// set.
func sharedTri(set *triSet, a, b *prep) int {
	n := 0
	for _, k := range b.triK {
		n += int(set[k>>6] >> (k & 63) & 1)
	}
	if len(a.triRest) > 0 {
		for _, t := range b.triRest {
			if _, ok := slices.BinarySearch(a.triRest, t); ok {
				n++
			}
		}
	}
	return n
}

// dice is the Dice coefficient of the trigram sets of a and b, with a's
// slots in set (nil: filled here).
func dice(set *triSet, a, b *prep) float64 {
	na, nb := a.numTri(), b.numTri()
	if na == 0 || nb == 0 {
		return 0
	}
	if set == nil {
		set = new(triSet)
		for _, k := range a.triK {
			set[k>>6] |= 1 << (k & 63)
		}
	}
	return 2 * float64(sharedTri(set, a, b)) / float64(na+nb)
}

// corpus holds the token dictionary and document frequencies.
type corpus struct {
	dict map[string]int32
	df   [nFields][]int32
	// lastDoc is assign's scratch for counting a token once per record.
	lastDoc [nFields][]int32
	nDocs   [nFields]int
	idf     [nFields][]float32
	frozen  bool
	// nameCount counts persons per nameKey (full first given + family);
	// blockCount per family|initial.
	nameCount  map[string]int
	blockCount map[string]int
	// slab, when it has room, holds the token ids ids returns: New sizes
	// it from the word counts so that the records' ids are one allocation
	// instead of one per field and record.
	slab []int32
}

func newCorpus() corpus {
	return corpus{dict: map[string]int32{}, nameCount: map[string]int{}, blockCount: map[string]int{}}
}

// ids maps words to token ids. While building, new words are added; once
// frozen (ad-hoc records in Best), unknown words get ids beyond the
// dictionary from local, so the model is not changed.
func (c *corpus) ids(ws []string, local map[string]int32) []int32 {
	var out []int32
	if n := len(c.slab); !c.frozen && cap(c.slab)-n >= len(ws) {
		out, c.slab = c.slab[n:n:n+len(ws)], c.slab[:n+len(ws)]
	} else {
		out = make([]int32, 0, len(ws))
	}
	for _, w := range ws {
		id, ok := c.dict[w]
		if !ok {
			if c.frozen {
				if id, ok = local[w]; !ok {
					id = int32(len(c.dict) + len(local))
					local[w] = id
				}
			} else {
				id = int32(len(c.dict))
				c.dict[w] = id
			}
		}
		out = append(out, id)
	}
	return out
}

// NormalizeDOI lower-cases a DOI (DOIs are case-insensitive) and strips the
// resolver URL or "doi:" prefix.
func NormalizeDOI(doi string) string {
	d := strings.ToLower(strings.TrimSpace(doi))
	for _, p := range []string{"https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi.org/", "doi:"} {
		if strings.HasPrefix(d, p) {
			return strings.TrimSpace(d[len(p):])
		}
	}
	return d
}

// NormalizeORCID strips the orcid.org URL and upper-cases the check digit.
func NormalizeORCID(orcid string) string {
	o := strings.TrimSpace(orcid)
	for _, p := range []string{"https://orcid.org/", "http://orcid.org/", "orcid.org/"} {
		if len(o) >= len(p) && strings.EqualFold(o[:len(p)], p) {
			o = o[len(p):]
			break
		}
	}
	return strings.ToUpper(strings.TrimSpace(o))
}

// personKey is family|first initial, the person blocking key.
func personKey(family string, given []string) string {
	if len(given) == 0 {
		return family + "|"
	}
	return family + "|" + firstRune(given[0])
}

// tokenize computes everything of a record that does not need corpus
// statistics, and counts its tokens.
func (c *corpus) tokenize(r *Record) (prep, tokens) {
	p, ws := normalize(r, nil)
	return p, c.assign(&p, &ws)
}

// tokens are a record's token ids per field, in word order.
type tokens [nFields][]int32

// normCache memoises, within one of New's workers, the string functions
// normalize applies to record fields. The same strings recur from record
// to record in a batch: a document's title and affiliations on each of its
// authors, every author's name in the co-author list of each of the
// others (quadratic in the authors of a paper), the venues and author
// names of works. Folding and splitting them again and again was most of
// New's time on author data. The functions are pure, so the cache changes
// nothing but the time; its word slices are shared between records and
// must not be modified (nothing does: they are only read into token ids).
type normCache struct {
	coauth map[string]string // co-author name → personKey; "" = no family name
	words  [3]map[string][]string
	tri    triSet // trigrams' scratch
	parts  [][]string
}

// triScratch is a triSet for trigrams: the cache's, or a new one.
func (nc *normCache) triScratch() *triSet {
	if nc == nil {
		return new(triSet)
	}
	return &nc.tri
}

// normCacheMax bounds each map of a normCache; a full map is cleared.
const normCacheMax = 1 << 15

// Functions a normCache memoises.
const (
	cContent = iota // contentWords
	cOrg            // orgWords
	cAuthor         // author-name words of a work (≥ 2 letters, no "and", "et", "al")
)

func newNormCache() *normCache {
	return &normCache{coauth: map[string]string{}, words: [3]map[string][]string{{}, {}, {}}}
}

// wordsOf returns f(s) for the function fn, from the cache when there is
// one.
func (nc *normCache) wordsOf(fn int, s string) []string {
	if nc == nil {
		return wordFuncs[fn](s)
	}
	m := nc.words[fn]
	if w, ok := m[s]; ok {
		return w
	}
	w := wordFuncs[fn](s)
	if len(m) >= normCacheMax {
		clear(m)
	}
	m[s] = w
	return w
}

var wordFuncs = [3]func(string) []string{contentWords, orgWords, authorWords}

// authorTokens are the author words of a work's authors, in order: one
// exactly sized slice (appending them grew it several times per record).
func (nc *normCache) authorTokens(authors []string) []string {
	if len(authors) == 1 {
		return nc.wordsOf(cAuthor, authors[0]) // read only, like every cached slice
	}
	var parts [][]string
	if nc != nil {
		parts = nc.parts[:0]
	}
	n := 0
	for _, a := range authors {
		w := nc.wordsOf(cAuthor, a)
		parts = append(parts, w)
		n += len(w)
	}
	var aw []string
	if n > 0 {
		aw = make([]string, 0, n)
		for _, w := range parts {
			aw = append(aw, w...)
		}
	}
	if nc != nil {
		clear(parts) // the buffer must not keep old slices alive
		nc.parts = parts[:0]
	}
	return aw
}

// authorWords are the words of an author name that count as author tokens
// of a work.
func authorWords(a string) []string {
	// Filtered in place: words returns a fresh slice, and a second one per
	// author name was a tenth of New's allocations on works.
	ws := words(a)
	aw := ws[:0]
	for _, w := range ws {
		if len(w) >= 2 && w != "and" && w != "et" && w != "al" {
			aw = append(aw, w)
		}
	}
	return aw
}

// coauthorKey is the personKey of a co-author name, "" when it has no
// family name.
func (nc *normCache) coauthorKey(co string) string {
	if nc != nil {
		if k, ok := nc.coauth[co]; ok {
			return k
		}
	}
	g, f := splitName(co)
	k := ""
	if fc, _ := familyForms(f); fc != "" {
		k = personKey(fc, givenTokens(g))
	}
	if nc != nil {
		if len(nc.coauth) >= normCacheMax {
			clear(nc.coauth)
		}
		nc.coauth[co] = k
	}
	return k
}

// normalize is the part of tokenize that needs no corpus: pure, so New runs
// it in parallel. nc may be nil.
func normalize(r *Record, nc *normCache) (prep, [nFields][]string) {
	p := prep{kind: r.Kind, doc: r.Doc, orcid: NormalizeORCID(r.ORCID), doi: NormalizeDOI(r.DOI), year: r.Year}
	var ws [nFields][]string
	switch r.Kind {
	case Person:
		given, family := strings.TrimSpace(r.Given+" "+r.Middle), r.Family
		if strings.TrimSpace(family) == "" {
			given, family = splitName(r.Name)
		}
		p.family, p.familyParts = familyForms(family)
		p.given = givenTokens(given)
		if len(p.given) > 0 {
			p.nameKey = p.family + "|" + p.given[0]
		}
		for _, co := range r.Coauthors {
			if k := nc.coauthorKey(co); k != "" {
				p.coauth = append(p.coauth, k)
			}
		}
		slices.Sort(p.coauth)
		p.coauth = slices.Compact(p.coauth)
		ws[fAff] = nc.wordsOf(cOrg, r.Affiliation)
		ws[fTitle] = nc.wordsOf(cContent, r.Title)
		ws[fVenue] = nc.wordsOf(cContent, r.Venue)
	case Work:
		title := r.Title
		if strings.TrimSpace(title) == "" {
			title = r.Name
		}
		var tw []string
		p.titleKey, tw = titleWords(title)
		p.triK, p.triRest = trigrams(p.titleKey, nc.triScratch())
		ws[fTitle] = tw
		ws[fVenue] = nc.wordsOf(cContent, r.Venue)
		ws[fAuth] = nc.authorTokens(r.Authors)
	default:
		var nw []string
		if r.Kind == Organization {
			nw = orgWords(r.Name)
		} else {
			nw = contentWords(r.Name)
		}
		p.titleKey = strings.Join(nw, " ")
		p.triK, p.triRest = trigrams(p.titleKey, nc.triScratch())
		ws[fName] = nw
		ws[fAff] = nc.wordsOf(cOrg, r.Affiliation+" "+r.Context)
	}
	return p, ws
}

// assign maps a normalised record's words to token ids and, while the
// corpus is being built, counts them.
func (c *corpus) assign(p *prep, ws *[nFields][]string) (toks tokens) {
	var local map[string]int32 // only ad-hoc records (frozen corpus) use it
	if c.frozen {
		local = map[string]int32{}
	}
	for f := range nFields {
		if len(ws[f]) > 0 {
			toks[f] = c.ids(ws[f], local)
		}
	}
	if !c.frozen {
		if p.kind == Person {
			if p.nameKey != "" && len(p.given[0]) > 1 {
				c.nameCount[p.nameKey]++
			}
			c.blockCount[personKey(p.family, p.given)]++
		}
		for f := range nFields {
			if len(toks[f]) == 0 {
				continue
			}
			c.nDocs[f]++
			// A token counts once per record: lastDoc[f][id] holds the
			// nDocs value of the last record that counted it (a map per
			// record cost more than the counting).
			for _, id := range toks[f] {
				for int(id) >= len(c.df[f]) {
					c.df[f] = append(c.df[f], 0)
					c.lastDoc[f] = append(c.lastDoc[f], 0)
				}
				if c.lastDoc[f][id] == int32(c.nDocs[f]) {
					continue
				}
				c.lastDoc[f][id] = int32(c.nDocs[f])
				c.df[f][id]++
			}
		}
	}
	return toks
}

// finish freezes the dictionary and computes idf per field.
func (c *corpus) finish([]prep) {
	c.frozen = true
	c.lastDoc = [nFields][]int32{}
	for f := range nFields {
		n := float64(c.nDocs[f])
		c.idf[f] = make([]float32, len(c.df[f]))
		for id, d := range c.df[f] {
			if d > 0 {
				c.idf[f][id] = float32(math.Log((n + 1) / float64(d)))
			}
		}
	}
}

// idfOf is the idf of a token in a field; tokens never seen count as if
// they occurred once.
func (c *corpus) idfOf(f int, id int32) float32 {
	if int(id) < len(c.idf[f]) && c.idf[f][id] > 0 {
		return c.idf[f][id]
	}
	return float32(math.Log(float64(c.nDocs[f]+1) + 1))
}

// dfOf is the document frequency of a token in a field (0 when unseen).
func (c *corpus) dfOf(f int, id int32) int32 {
	if int(id) < len(c.df[f]) {
		return c.df[f][id]
	}
	return 0
}

// vecScratch is a vectorize worker's buffers: the sorted ids of a field,
// and a slab the vectors are cut from (one allocation per chunk of
// records instead of one per field and record, which was most of New's
// allocations and so of the garbage collections in a fresh process).
type vecScratch struct {
	ids  []int32
	slab []term
}

// vectorize builds the unit TF-IDF vectors (log tf) of a record. vs may be
// nil.
func (c *corpus) vectorize(p *prep, toks *tokens, vs *vecScratch) {
	if vs == nil {
		vs = &vecScratch{}
	}
	// The fields' vectors are cut consecutively from the slab (see
	// prep.terms), so room for all of them is made first: a field has at
	// most one term per token.
	total := 0
	for _, ts := range toks {
		total += len(ts)
	}
	if cap(vs.slab)-len(vs.slab) < total {
		vs.slab = make([]term, 0, total)
	}
	n0 := len(vs.slab)
	for f := range nFields {
		ts := toks[f]
		p.voff[f] = int32(len(vs.slab) - n0)
		if len(ts) == 0 {
			continue
		}
		ids := append(vs.ids[:0], ts...)
		vs.ids = ids
		slices.Sort(ids)
		distinct := 1
		for i := 1; i < len(ids); i++ {
			if ids[i] != ids[i-1] {
				distinct++
			}
		}
		n := len(vs.slab)
		v := vec(vs.slab[n : n : n+distinct])
		vs.slab = vs.slab[:n+distinct]
		var norm float64
		for i := 0; i < len(ids); {
			j := i
			for j < len(ids) && ids[j] == ids[i] {
				j++
			}
			idf := c.idfOf(f, ids[i])
			w := (1 + float32(math.Log(float64(j-i)))) * idf
			v = append(v, term{ids[i], w, idf})
			norm += float64(w) * float64(w)
			i = j
		}
		if norm > 0 {
			inv := float32(1 / math.Sqrt(norm))
			for k := range v {
				v[k].w *= inv
			}
		}
		for _, t := range v {
			switch f {
			case fAuth:
				p.authW += float64(t.idf)
			case fTitle:
				p.titleW += float64(t.idf)
			}
		}
	}
	p.voff[nFields] = int32(len(vs.slab) - n0)
	p.terms = vs.slab[n0:len(vs.slab):len(vs.slab)]
	if p.kind == Person {
		p.nameN = c.nameCount[p.nameKey]
		p.givenExact = givenExactWeight(p.nameN)
	}
}

// givenExactWeight is the weight of an exact full first name shared by n
// records (see wGivenCommon); comparePersons takes the one of the pair's
// larger count, so it is computed once per record, not per pair (a map
// lookup and a logarithm per pair were a tenth of the scoring of persons).
func givenExactWeight(n int) float64 {
	return max(wGivenExact-wGivenCommon*math.Log(float64(max(n, 1))), wGivenExactMin)
}

// authorOverlap is the idf-weighted overlap coefficient of two works'
// author tokens: shared idf mass over the smaller side's mass.
func (c *corpus) authorOverlap(a, b *prep) float64 {
	return c.overlap(fAuth, a.vec(fAuth), b.vec(fAuth), a.authW, b.authW)
}

func (c *corpus) overlap(f int, va, vb vec, wa, wb float64) float64 {
	return overlapOf(c.sharedIdf(va, vb), wa, wb)
}

// sharedIdf is the idf mass of the tokens va and vb share, summed in
// ascending id order.
func (c *corpus) sharedIdf(va, vb vec) float64 {
	var s float64
	i, j := 0, 0
	for i < len(va) && j < len(vb) {
		switch {
		case va[i].id < vb[j].id:
			i++
		case va[i].id > vb[j].id:
			j++
		default:
			s += float64(va[i].idf)
			i++
			j++
		}
	}
	return s
}

// overlapOf is the overlap coefficient of a shared mass s over the masses
// wa and wb.
func overlapOf(s, wa, wb float64) float64 {
	d := min(wa, wb)
	if d == 0 {
		return 0
	}
	return s / d
}
