// Package match is the probabilistic entity-resolution engine of the
// resolver: it decides which records (author mentions, cited works,
// organisations, ...) name the same real-world entity.
//
// It is a pure algorithm with no transport (no NATS, gRPC or protobuf) and
// it is deterministic: records are sorted canonically by ID before anything
// else, no result depends on map iteration order, and there is no
// randomness, so the same set of records in any order gives the same
// clusters.
//
// The pipeline has four stages:
//
//  1. Normalisation, once per record: ASCII folding, name splitting,
//     initials, token ids, TF-IDF vectors from corpus document frequencies.
//  2. Blocking, per kind (see blocking.go): persons by first initial +
//     family name (and each part of a compound family name); works by DOI
//     and by their rarest title tokens; organisations, places and concepts
//     by their rarest name tokens. Blocks larger than maxBlock are not
//     compared all-pairs but with a sorted-neighbourhood window, so no
//     block costs quadratic time.
//  3. Pairwise scoring, Fellegi–Sunter style (see score.go): every
//     comparison (family name, given name, middle initials, co-authors,
//     affiliation, title, authors, venue, year, ...) falls into a level
//     whose weight is log(m/u); the sum of the weights plus a prior is the
//     log-odds that the pair is a match. Trusted identifiers (ORCID, DOI)
//     override: equal means same, different means different.
//  4. Clustering (see cluster.go): records sharing a trusted identifier are
//     joined first; then average-linkage agglomeration over the sparse
//     candidate graph merges the two clusters with the highest mean pair
//     probability while it is at least the frozen threshold of their kind,
//     never merging clusters with conflicting identifiers or two records of
//     the same document (two authors of one paper are two people).
//
// An optional Adjudicator (for example an LLM) is consulted only for pairs
// whose probability falls in the uncertain band of Options; without one the
// similarity model decides alone.
//
// The weights and thresholds are constants chosen on the dev halves of the
// evaluation data sets (docbatch eval resolve); see weights.go.
package match

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// Kind is the kind of entity a record names.
type Kind int

// Kinds of entity.
const (
	Person Kind = iota
	Organization
	Work
	Place
	Concept
)

var kindNames = [...]string{"person", "organization", "work", "place", "concept"}

// String returns the lower-case name of k.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// Record is one mention of an entity with what the signals compare. Only
// the fields that make sense for the kind are used; empty fields carry no
// evidence either way.
type Record struct {
	// ID identifies the record; it must be unique within one Model.
	ID   string
	Kind Kind
	// Doc is the source document. Two different records of the same
	// non-empty Doc are never the same entity (the authors of one paper,
	// the references of one reference list, the rows of one clean table).
	Doc string
	// Name is the display or full name (persons, organisations, places,
	// concepts) or the title (works, when Title is empty).
	Name string
	// Given, Middle and Family are a person's name parts when the source
	// splits them; otherwise Name is split.
	Given, Middle, Family string
	// ORCID and DOI are trusted identifiers: equal means the same entity,
	// different non-empty values mean different entities.
	ORCID, DOI string
	// Affiliation of a person (several may be joined with " | ").
	Affiliation string
	// Coauthors are the other persons named in the same document.
	Coauthors []string
	// Title, Venue and Year describe a work (for a person: the document's).
	Title string
	Venue string
	Year  int
	// Authors of a work, one name per element (a single element holding a
	// whole author string is fine).
	Authors []string
	// Context is optional free text around the mention.
	Context string
}

// Adjudicator decides pairs the similarity model is unsure about.
type Adjudicator interface {
	Same(ctx context.Context, a, b Record) (same bool, err error)
}

// Options tune a Model. The zero value is the default: no adjudicator.
type Options struct {
	// Adjudicator, when set, is asked about candidate pairs whose
	// probability lies in [UncertainLow, UncertainHigh].
	Adjudicator Adjudicator
	// UncertainLow and UncertainHigh bound the uncertain band; when both
	// are zero the band is [DefaultUncertainLow, DefaultUncertainHigh].
	UncertainLow, UncertainHigh float64
	// MaxAdjudications caps the calls per Cluster (0 = no cap); pairs are
	// asked in order of closeness to 0.5.
	MaxAdjudications int
	// Workers scores pairs in parallel (0 = 2). The result does not depend
	// on it.
	Workers int
}

// Default uncertain band for the adjudicator.
const (
	DefaultUncertainLow  = 0.2
	DefaultUncertainHigh = 0.8
)

// Resolution methods of a cluster.
const (
	MethodSingleton = "singleton" // one record
	MethodORCID     = "orcid"     // joined by equal ORCIDs only
	MethodDOI       = "doi"       // joined by equal DOIs only
	MethodScore     = "score"     // at least one merge by similarity
	MethodLLM       = "llm"       // at least one merge decided by the adjudicator
)

// Result is a clustering of a Model's records.
type Result struct {
	// Cluster[i] is the cluster of the i-th record as given to New.
	// Clusters are numbered 0..NumClusters-1 in the canonical order of
	// their smallest record ID, so the numbering is order independent.
	Cluster     []int
	NumClusters int
	// Confidence per cluster: for a merged cluster, the lowest mean pair
	// probability at which one of its merges happened (1 for identifier
	// merges); for a singleton, 1 − the highest probability of any of its
	// candidate pairs.
	Confidence []float64
	// Method per cluster (MethodSingleton, MethodORCID, ...).
	Method []string
	Stats  Stats
}

// Stats count the work done.
type Stats struct {
	Records int
	// Blocks is the number of distinct blocking keys with ≥ 2 records;
	// LargestBlock the size of the largest; WindowedBlocks how many were
	// larger than the all-pairs cap and compared with a window.
	Blocks, LargestBlock, WindowedBlocks int
	// CandidatePairs is the number of distinct pairs scored.
	CandidatePairs int
	// AllPairs is n(n−1)/2 over records of the same kind.
	AllPairs int64
	// IdentifierMerges counts unions by equal ORCID/DOI; ScoreMerges and
	// AdjudicatedMerges the agglomerative merges.
	IdentifierMerges, ScoreMerges, AdjudicatedMerges int
	// AdjudicatorCalls and AdjudicatorErrors count Adjudicator.Same calls
	// (errors fall back to the similarity decision).
	AdjudicatorCalls, AdjudicatorErrors int
}

// Model holds normalised records and corpus statistics. Call Cluster (or
// ClusterContext) from one goroutine; once it has returned, Explain and
// Best only read the model and may be called concurrently.
type Model struct {
	opts Options
	// ids are the record IDs in canonical order (by ID). The records
	// themselves are not copied (a pointer-rich megabyte per few thousand
	// records, for the collector to mark) except for an adjudicator, the
	// one thing that needs them after New: recs is nil without one.
	ids   []string
	recs  []Record // canonical order, only with an Adjudicator
	order []int    // order[canonical] = index in the caller's slice
	canon []int    // canon[input] = canonical index
	preps []prep
	stats corpus
	// blocks: key → canonical record indices (ascending)
	blocks map[string][]int32
	// tblocks: token key (see tokenKey) → canonical record indices, for
	// the rare-token keys of works and others: integers, not strings, as
	// they are most of a batch of works' keys.
	tblocks map[uint64][]int32
	// blockList: the blocks with ≥ 2 records, those of blocks by sorted
	// key, then those of tblocks by sorted key.
	blockList [][]int32
	index     blockIndex
	// candidates (canonical indices, a < b, sorted) and their scores,
	// filled by score(); the clustering uses them and then drops them (a
	// big batch has millions), so Explain and CandidatePairs ask the block
	// index instead.
	pairs []pair
	// llm[k]: pairs[k] was decided by the adjudicator (nil without one).
	llm        []bool
	scored     bool
	blockStats Stats
	calls      int
	callErrs   int
	last       *Result
}

// pair is a candidate pair and its probability: exactly 1 for equal
// trusted identifiers, exactly 0 for a hard constraint (conflicting
// identifiers, same document), strictly between for a score (see
// pairProb) or an adjudication. 16 bytes: the pairs are the matcher's
// largest structure.
type pair struct {
	a, b int32
	prob float64
}

// idMatch: the pair shares a trusted identifier.
func (p pair) idMatch() bool { return p.prob == 1 }

// decided: the probability comes from an identifier or a hard constraint,
// not from the score.
func (p pair) decided() bool { return p.prob == 0 || p.prob == 1 }

// New normalises records and builds corpus statistics. IDs must be unique
// (a duplicate ID makes New panic: it is a caller bug, not data).
func New(records []Record, opts Options) *Model {
	n := len(records)
	m := &Model{opts: opts, order: make([]int, n), canon: make([]int, n)}
	for i := range m.order {
		m.order[i] = i
	}
	slices.SortStableFunc(m.order, func(a, b int) int { return strings.Compare(records[a].ID, records[b].ID) })
	m.ids = make([]string, n)
	for c, i := range m.order {
		m.ids[c] = records[i].ID
		m.canon[i] = c
		if c > 0 && m.ids[c-1] == records[i].ID {
			panic(fmt.Sprintf("match: duplicate record ID %q", records[i].ID))
		}
	}
	if opts.Adjudicator != nil {
		m.recs = make([]Record, n) // a copy: the caller may reuse its slice
		for c, i := range m.order {
			m.recs[c] = records[i]
		}
	}
	m.preps = make([]prep, n)
	m.stats = newCorpus()
	words := make([][nFields][]string, n)
	parallelChunks(n, opts.Workers, func(lo, hi int) {
		nc := newNormCache() // per worker: records sorted by ID keep a document's together
		for c := lo; c < hi; c++ {
			m.preps[c], words[c] = normalize(&records[m.order[c]], nc)
		}
	})
	total := 0
	for c := range words {
		for _, ws := range words[c] {
			total += len(ws)
		}
	}
	m.stats.slab = make([]int32, 0, total)
	slab := m.stats.slab[:total]
	// The records' token ids are consecutive in slab (canonical order,
	// then field order), so only their counts are kept until vectorize:
	// a pointer-free array rather than five slice headers per record.
	tlen := make([][nFields]int32, n)
	start := make([]int32, n+1) // start[c]: offset in slab of record c's ids
	for c := range m.preps {    // token ids in canonical order: deterministic
		toks := m.stats.assign(&m.preps[c], &words[c])
		off := start[c]
		for f, ts := range toks {
			if len(ts) > 0 && &ts[0] != &slab[off] {
				panic("match: token ids not consecutive") // ids lost the slab: a bug
			}
			tlen[c][f] = int32(len(ts))
			off += int32(len(ts))
		}
		start[c+1] = off
	}
	words = nil // the word slices are garbage from here: collectable during vectorize
	m.stats.slab = nil
	m.stats.finish(m.preps)
	parallelChunks(n, opts.Workers, func(lo, hi int) {
		var vs vecScratch
		// a chunk's vectors have at most one term per token
		vs.slab = make([]term, 0, start[hi]-start[lo])
		for c := lo; c < hi; c++ {
			var toks tokens
			off := start[c]
			for f, l := range tlen[c] {
				if l > 0 {
					toks[f] = slab[off : off+l : off+l]
				}
				off += l
			}
			m.stats.vectorize(&m.preps[c], &toks, &vs)
		}
	})
	m.block()
	return m
}

// parallel runs f(0..n-1) on workers goroutines (0 = 2) in contiguous
// chunks; f must only write to its own index.
func parallel(n, workers int, f func(i int)) {
	parallelChunks(n, workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			f(i)
		}
	})
}

// parallelChunks runs f on workers (0 = 2) contiguous chunks covering
// [0, n), concurrently; f must only write to its own indices.
func parallelChunks(n, workers int, f func(lo, hi int)) {
	if workers <= 0 {
		workers = 2
	}
	if n < 256 || workers == 1 {
		f(0, n)
		return
	}
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		wg.Go(func() { f(lo, min(n, lo+chunk)) })
	}
	wg.Wait()
}

// Len is the number of records.
func (m *Model) Len() int { return len(m.ids) }

// Cluster resolves the records without an adjudicator deadline; see
// ClusterContext.
func (m *Model) Cluster() Result {
	r, _ := m.ClusterContext(context.Background())
	return r
}

// ClusterContext resolves the records. ctx only bounds adjudicator calls:
// when it is done, the remaining uncertain pairs are left to similarity and
// ctx.Err() is returned with the (complete) result.
//
// The model's records never change, so the clustering is computed once:
// later calls return the same result (and a nil error).
func (m *Model) ClusterContext(ctx context.Context) (Result, error) {
	if m.last != nil {
		return *m.last, nil
	}
	m.score()
	err := m.adjudicate(ctx)
	r := m.cluster()
	r.Stats.AdjudicatorCalls, r.Stats.AdjudicatorErrors = m.calls, m.callErrs
	m.last = &r
	// The pairs are what a big batch's model weighs most; nothing needs
	// them once clustered (Explain and CandidatePairs ask the block index).
	m.pairs, m.llm = nil, nil
	return r, err
}

// CandidatePairs returns the pairs compared after blocking, as indices into
// the records given to New (a < b within each pair, pairs sorted).
func (m *Model) CandidatePairs() [][2]int {
	var out [][2]int
	s := &scratch{seen: make([]int32, len(m.preps))}
	for i := range s.seen {
		s.seen[i] = -1
	}
	for a := range int32(len(m.preps)) {
		s.nb = m.index.neighbours(a, s.seen, s.nb)
		for _, b := range s.nb {
			x, y := m.order[a], m.order[b]
			out = append(out, [2]int{min(x, y), max(x, y)})
		}
	}
	slices.SortFunc(out, func(x, y [2]int) int { return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1])) })
	return out
}

// Signal is one comparison's contribution to a pair's score.
type Signal struct {
	Name   string  // "family", "given", "title", ...
	Level  string  // the comparison level ("exact", "initial", "≥0.85", ...)
	Weight float64 // log-likelihood ratio added to the score
	Detail string  // human-readable: the values compared
}

// Explanation is the score of one pair and why.
type Explanation struct {
	A, B string // record IDs
	// Prior is the log-odds before any evidence; Score = Prior + Σ weights
	// (±Inf when decided by a trusted identifier or a hard constraint).
	Prior, Score float64
	Probability  float64
	// Candidate says whether blocking put the pair in the candidate set.
	Candidate bool
	// Decision is "identifier-match", "identifier-conflict",
	// "same-document", "kind-mismatch" or "" (decided by the score).
	Decision string
	Signals  []Signal
}

// Explain scores records i and j (indices into the slice given to New).
func (m *Model) Explain(i, j int) Explanation {
	a, b := m.canon[i], m.canon[j]
	var sig []Signal
	s := m.compare(&m.preps[a], &m.preps[b], &sig)
	ex := Explanation{A: m.ids[a], B: m.ids[b], Prior: s.prior, Score: s.logit,
		Probability: s.prob, Decision: s.decision, Signals: sig}
	ex.Candidate = a != b && m.index.candidate(int32(a), int32(b))
	return ex
}

func (e Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s ~ %s: p=%.3f score=%.2f prior=%.2f", e.A, e.B, e.Probability, e.Score, e.Prior)
	if e.Decision != "" {
		fmt.Fprintf(&b, " (%s)", e.Decision)
	}
	for _, s := range e.Signals {
		fmt.Fprintf(&b, "\n  %-12s %-10s %+6.2f  %s", s.Name, s.Level, s.Weight, s.Detail)
	}
	return b.String()
}

// Best places an ad-hoc record against the clusters of the last Cluster
// call (computing them first if needed) without changing anything. It
// returns the cluster whose members the record matches best on average
// (over the members blocking makes candidates) and that mean probability,
// or (-1, 0) when no cluster reaches the merge threshold of the kind.
func (m *Model) Best(r Record) (cluster int, score float64) {
	if m.last == nil {
		m.Cluster()
	}
	q, qt := m.stats.tokenize(&r)
	m.stats.vectorize(&q, &qt, nil)
	cands := m.blockCandidates(&q)
	sc := newScorer()
	sc.prepare(&q)
	type agg struct {
		sum float64
		n   int
	}
	sums := map[int]*agg{}
	var ids []int
	for _, c := range cands {
		s := m.compareWith(sc, &q, &m.preps[c], nil)
		if s.decision == decIdentifierMatch {
			return m.last.Cluster[m.order[c]], 1
		}
		cl := m.last.Cluster[m.order[c]]
		g := sums[cl]
		if g == nil {
			g = &agg{}
			sums[cl] = g
			ids = append(ids, cl)
		}
		if s.decision == decSameDoc || s.decision == decIdentifierConflict {
			g.sum = -1e9 // never placed with a cluster it conflicts with
		}
		g.sum += s.prob
		g.n++
	}
	slices.Sort(ids)
	cluster, score = -1, 0
	th := threshold(r.Kind)
	for _, cl := range ids {
		g := sums[cl]
		avg := g.sum / float64(g.n)
		if avg >= th && avg > score {
			cluster, score = cl, avg
		}
	}
	return cluster, score
}
