package citations

import (
	"cmp"
	"math"
	"slices"
)

// Text similarity of the documents, the second signal of domain detection:
// it links documents that cite nothing in common but write (and cite) about
// the same things, which citations alone leave apart in a batch that is a
// sample of a field.
//
// Each document is a TF-IDF vector over the content words of its own title
// and keywords, the content words of the titles it cites, and the venues it
// cites (a neuroscience paper cites neuroscience journals); the vector is
// pruned to its textTerms heaviest terms and L2-normalised, and every
// document is linked to its textNeighbours most similar documents (cosine
// ≥ textMinSimilarity) with weight textWeight × cosine.
const (
	textTerms         = 40
	textNeighbours    = 10
	textMinSimilarity = 0.1
	textWeight        = 3.0
	// Own title and keyword words count this many times a cited title's.
	textOwnBoost = 3
	// A term in more than textMaxShare of the documents (and more than
	// textMinPosting of them), or in more than textMaxPosting, says nothing
	// about a domain and would make the similarity quadratic; it is left
	// out.
	textMaxShare   = 0.2
	textMinPosting = 20
	textMaxPosting = 1000
)

type termWeight struct {
	term int32
	w    float64
}

// textNeighbourPairs returns, for each document u, its similar documents v > u
// with their weights (textWeight × cosine), v ascending; each pair appears
// once, under its smaller document.
func (g *Graph) textNeighbourPairs() [][]termWeight {
	n := len(g.docs)
	if n < 2 {
		return make([][]termWeight, n)
	}
	// Term counts per document, terms interned in first-seen order over the
	// documents in id order: deterministic.
	ids := map[string]int32{}
	intern := func(s string) int32 {
		id, ok := ids[s]
		if !ok {
			id = int32(len(ids))
			ids[s] = id
		}
		return id
	}
	// Term counts of each document, accumulated in a dense scratch array
	// through a touched list (no map per document).
	counts := make([][]termWeight, n)
	var scratch []float64
	var touchedTerms []int32
	bump := func(t int32, by float64) {
		for int(t) >= len(scratch) {
			scratch = append(scratch, 0)
		}
		if scratch[t] == 0 {
			touchedTerms = append(touchedTerms, t)
		}
		scratch[t] += by
	}
	for i := range g.docs {
		d := &g.docs[i]
		for _, w := range titleWords(NormalizeTitle(d.Title)) {
			bump(intern(w), textOwnBoost)
		}
		for _, k := range d.Keywords {
			for _, w := range titleWords(NormalizeTitle(k)) {
				bump(intern(w), textOwnBoost)
			}
		}
		for _, r := range d.References {
			for _, w := range titleWords(NormalizeTitle(r.Title)) {
				bump(intern(w), 1)
			}
			if v := NormalizeTitle(r.Venue); v != "" {
				bump(intern("\x00venue "+v), 1)
			}
		}
		c := make([]termWeight, len(touchedTerms))
		for k, t := range touchedTerms {
			c[k] = termWeight{t, scratch[t]}
			scratch[t] = 0
		}
		touchedTerms = touchedTerms[:0]
		counts[i] = c
	}
	df := make([]int32, len(ids))
	for _, c := range counts {
		for _, x := range c {
			df[x.term]++
		}
	}
	maxDF := int32(min(textMaxPosting, max(textMinPosting, textMaxShare*float64(n))))

	// Pruned, normalised vectors, terms ascending.
	vecs := make([][]termWeight, n)
	for i, c := range counts {
		v := c[:0] // reuses the counts' array
		for _, x := range c {
			if df[x.term] < 2 || df[x.term] > maxDF {
				continue // in one document only, or in too many
			}
			v = append(v, termWeight{x.term, (1 + math.Log(x.w)) * math.Log(float64(n)/float64(df[x.term]))})
		}
		slices.SortFunc(v, func(a, b termWeight) int { return cmp.Or(cmp.Compare(b.w, a.w), cmp.Compare(a.term, b.term)) })
		v = v[:min(textTerms, len(v))]
		slices.SortFunc(v, func(a, b termWeight) int { return cmp.Compare(a.term, b.term) })
		norm := 0.0
		for _, x := range v {
			norm += x.w * x.w
		}
		norm = math.Sqrt(norm)
		for k := range v {
			v[k].w /= norm
		}
		vecs[i] = v
	}

	// Inverted index over the pruned vectors, documents ascending.
	postOff := make([]int32, len(ids)+1)
	for _, v := range vecs {
		for _, x := range v {
			postOff[x.term+1]++
		}
	}
	for t := range len(ids) {
		postOff[t+1] += postOff[t]
	}
	post := make([]termWeight, postOff[len(ids)]) // term field holds the document
	fill := slices.Clone(postOff[:len(ids)])
	for i, v := range vecs {
		for _, x := range v {
			post[fill[x.term]] = termWeight{int32(i), x.w}
			fill[x.term]++
		}
	}

	// Top neighbours of each document; a pair found from either side is
	// kept once, under its smaller document.
	pairs := make([][]termWeight, n)
	acc := make([]float64, n)
	var touched []int32
	var cand []termWeight
	for u, v := range vecs {
		// Terms in ascending order, postings in ascending document order:
		// every score is one fixed float sum.
		for _, x := range v {
			for _, p := range post[postOff[x.term]:postOff[x.term+1]] {
				if p.term == int32(u) {
					continue
				}
				if acc[p.term] == 0 {
					touched = append(touched, p.term)
				}
				acc[p.term] += x.w * p.w
			}
		}
		cand = cand[:0]
		for _, d := range touched {
			if acc[d] >= textMinSimilarity {
				cand = append(cand, termWeight{d, acc[d]})
			}
			acc[d] = 0
		}
		touched = touched[:0]
		slices.SortFunc(cand, func(a, b termWeight) int { return cmp.Or(cmp.Compare(b.w, a.w), cmp.Compare(a.term, b.term)) })
		for _, c := range cand[:min(textNeighbours, len(cand))] {
			a, b := int32(u), c.term
			if b < a {
				a, b = b, a
			}
			pairs[a] = append(pairs[a], termWeight{b, textWeight * c.w})
		}
	}
	for u := range pairs {
		p := pairs[u]
		slices.SortFunc(p, func(a, b termWeight) int { return cmp.Or(cmp.Compare(a.term, b.term), cmp.Compare(b.w, a.w)) })
		// The same pair found from both sides carries the same cosine up to
		// rounding; keep the larger.
		pairs[u] = slices.CompactFunc(p, func(a, b termWeight) bool { return a.term == b.term })
	}
	return pairs
}
