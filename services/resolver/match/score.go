package match

import (
	"fmt"
	"math"
	"strings"
)

// Decisions that override the score.
const (
	decIdentifierMatch    = "identifier-match"
	decIdentifierConflict = "identifier-conflict"
	decSameDoc            = "same-document"
	decKindMismatch       = "kind-mismatch"
)

type scored struct {
	prior, logit, prob float64
	decision           string
}

// Scored probabilities are kept strictly inside (0, 1) so that a pair's
// probability alone tells a decided pair (exactly 0 or 1) from a scored one
// and pairs need no flags. It is a no-op for the frozen weights: no sum of
// them comes near the ±37 log-odds where float64 saturates.
var (
	minScoredProb = math.SmallestNonzeroFloat64
	maxScoredProb = math.Nextafter(1, 0)
)

// pairProb is the probability a candidate pair keeps.
func (s scored) pairProb() float64 {
	if s.decision != "" {
		return s.prob
	}
	return min(max(s.prob, minScoredProb), maxScoredProb)
}

func sigmoid(x float64) float64 {
	switch {
	case math.IsInf(x, 1):
		return 1
	case math.IsInf(x, -1):
		return 0
	}
	return 1 / (1 + math.Exp(-x))
}

// recorder collects signals only when explaining; scoring millions of
// pairs must not allocate.
type recorder struct{ sig *[]Signal }

func (r recorder) add(name, level string, w float64, detail func() string) {
	if r.sig != nil {
		*r.sig = append(*r.sig, Signal{Name: name, Level: level, Weight: w, Detail: detail()})
	}
}

// scorer is one scoring worker's state: what it has prepared about the
// record a it is comparing with its candidates, and a memo of sigmoid.
// compareWith gives exactly the same result with or without one.
type scorer struct {
	// tri holds the trigram slots of triOf: a pair's shared trigrams are
	// then counted with a lookup per trigram of b instead of a merge of two
	// sorted lists, whose unpredictable branches made it the costliest
	// comparison of works.
	tri   triSet
	triOf *prep
	// dense holds, indexed by token id, the title, author and venue terms
	// of a work prepared as a (zero where a has none), so that a pair's
	// title cosine, title containment, author overlap and venue cosine are
	// one lookup per term of b instead of four merges of sorted lists.
	// The sums add the same products in the same (ascending id) order as
	// the merges, plus exact zeros, so they are bit-for-bit the same.
	dense   []denseTerm
	denseOf *prep
	// denseLen is the size dense is first given, the dictionary's, so
	// that it is allocated once; 0 leaves dense unused.
	denseLen int
	// sig memoises sigmoid: a logit is a sum of a few frozen weights, so
	// few distinct values recur over millions of pairs, and math.Exp was a
	// tenth of the scoring. Direct-mapped by the bits of the logit; every
	// slot starts as {0, sigmoid(0) = 0.5}, a true entry.
	sig [sigSlots]sigEntry
}

const sigSlots = 1 << 10

type sigEntry struct{ x, p float64 }

func newScorer() *scorer {
	s := &scorer{}
	for i := range s.sig {
		s.sig[i].p = 0.5
	}
	return s
}

// sigmoid is sigmoid(x), memoised.
func (s *scorer) sigmoid(x float64) float64 {
	bits := math.Float64bits(x)
	e := &s.sig[(bits*0x9E3779B97F4A7C15)>>(64-10)]
	if math.Float64bits(e.x) == bits {
		return e.p
	}
	p := sigmoid(x)
	*e = sigEntry{x, p}
	return p
}

// denseTerm is a work's weights of one token: title weight and idf,
// author idf, venue weight.
type denseTerm struct{ tw, tidf, aidf, vw float32 }

// denseFields are the fields a work's dense terms hold.
var denseFields = [...]int{fTitle, fAuth, fVenue}

// prepare makes a the record whose trigrams are in the set (and, for a
// work, whose terms are in dense).
func (s *scorer) prepare(a *prep) {
	if s.triOf != nil {
		for _, k := range s.triOf.triK {
			s.tri[k>>6] = 0
		}
	}
	s.triOf = a
	for _, k := range a.triK {
		s.tri[k>>6] |= 1 << (k & 63)
	}
	if s.denseOf != nil {
		for _, f := range denseFields {
			for _, t := range s.denseOf.vec(f) {
				s.dense[t.id] = denseTerm{}
			}
		}
		s.denseOf = nil
	}
	if a.kind != Work || s.denseLen == 0 {
		// Without a dictionary size (Best: one ad-hoc record against a
		// few candidates) the merges cost less than the array.
		return
	}
	need := 0
	for _, f := range denseFields {
		if v := a.vec(f); len(v) > 0 {
			need = max(need, int(v[len(v)-1].id)+1)
		}
	}
	if need > len(s.dense) {
		s.dense = append(s.dense, make([]denseTerm, max(need, 2*len(s.dense), s.denseLen)-len(s.dense))...)
	}
	for _, t := range a.vec(fTitle) {
		s.dense[t.id].tw, s.dense[t.id].tidf = t.w, t.idf
	}
	for _, t := range a.vec(fAuth) {
		s.dense[t.id].aidf = t.idf
	}
	for _, t := range a.vec(fVenue) {
		s.dense[t.id].vw = t.w
	}
	s.denseOf = a
}

// titleSums returns cosine(a, b) and the shared idf mass of the titles of
// a and b (see overlap), from dense when a is prepared: the same sums, in
// the same order, as the merges.
func (s *scorer) titleSums(c *corpus, a, b *prep) (cos, shared float64) {
	if s == nil || s.denseOf != a {
		return cosine(a.vec(fTitle), b.vec(fTitle)), c.sharedIdf(a.vec(fTitle), b.vec(fTitle))
	}
	d := s.dense
	for _, t := range b.vec(fTitle) {
		if int(t.id) < len(d) {
			x := &d[t.id]
			cos += float64(x.tw) * float64(t.w)
			shared += float64(x.tidf)
		}
	}
	return cos, shared
}

// authorOverlap is corpus.authorOverlap, from dense when a is prepared.
func (s *scorer) authorOverlap(c *corpus, a, b *prep) float64 {
	if s == nil || s.denseOf != a {
		return c.authorOverlap(a, b)
	}
	var shared float64
	d := s.dense
	for _, t := range b.vec(fAuth) {
		if int(t.id) < len(d) {
			shared += float64(d[t.id].aidf)
		}
	}
	return overlapOf(shared, a.authW, b.authW)
}

// venueCosine is the cosine of the venues, from dense when a is prepared.
func (s *scorer) venueCosine(a, b *prep) float64 {
	if s == nil || s.denseOf != a {
		return cosine(a.vec(fVenue), b.vec(fVenue))
	}
	var cos float64
	d := s.dense
	for _, t := range b.vec(fVenue) {
		if int(t.id) < len(d) {
			cos += float64(d[t.id].vw) * float64(t.w)
		}
	}
	return cos
}

// dice is the Dice coefficient of a's and b's trigrams, from the set when
// a is prepared.
func (s *scorer) dice(a, b *prep) float64 {
	if s == nil || s.triOf != a {
		return dice(nil, a, b)
	}
	return dice(&s.tri, a, b)
}

// compare scores a pair of normalised records. sig, when not nil, receives
// every signal.
func (m *Model) compare(a, b *prep, sig *[]Signal) scored { return m.compareWith(nil, a, b, sig) }

// compareWith is compare with a worker's scorer (nil: none).
func (m *Model) compareWith(sc *scorer, a, b *prep, sig *[]Signal) scored {
	rec := recorder{sig}
	if a.kind != b.kind {
		return scored{logit: math.Inf(-1), decision: decKindMismatch}
	}
	if a.orcid != "" && b.orcid != "" {
		if a.orcid == b.orcid {
			rec.add("orcid", "equal", math.Inf(1), func() string { return a.orcid })
			return scored{logit: math.Inf(1), prob: 1, decision: decIdentifierMatch}
		}
		rec.add("orcid", "different", math.Inf(-1), func() string { return a.orcid + " ≠ " + b.orcid })
		return scored{logit: math.Inf(-1), decision: decIdentifierConflict}
	}
	if a.doi != "" && b.doi != "" {
		if a.doi == b.doi {
			rec.add("doi", "equal", math.Inf(1), func() string { return a.doi })
			return scored{logit: math.Inf(1), prob: 1, decision: decIdentifierMatch}
		}
		rec.add("doi", "different", math.Inf(-1), func() string { return a.doi + " ≠ " + b.doi })
		return scored{logit: math.Inf(-1), decision: decIdentifierConflict}
	}
	if a.doc != "" && a.doc == b.doc {
		rec.add("document", "same", math.Inf(-1), func() string { return "both in " + a.doc })
		return scored{logit: math.Inf(-1), decision: decSameDoc}
	}
	var s, prior float64
	switch a.kind {
	case Person:
		prior = personPrior
		s = personPrior + m.comparePersons(a, b, rec)
	case Work:
		prior = workPrior
		s = workPrior + m.compareWorks(sc, a, b, rec)
	default:
		prior = otherPrior
		s = otherPrior + m.compareOthers(sc, a, b, rec)
	}
	if sc != nil {
		return scored{prior: prior, logit: s, prob: sc.sigmoid(s)}
	}
	return scored{prior: prior, logit: s, prob: sigmoid(s)}
}

func (m *Model) comparePersons(a, b *prep, rec recorder) float64 {
	var s float64
	// Family name.
	var w float64
	var lvl string
	switch {
	case a.family == b.family:
		w, lvl = wFamilyExact, "exact"
	case compoundMatch(a, b):
		w, lvl = wFamilyCompound, "compound"
	case jaroWinkler(a.family, b.family) >= 0.92:
		w, lvl = wFamilySimilar, "similar"
	default:
		w, lvl = wFamilyDiffer, "different"
	}
	s += w
	rec.add("family", lvl, w, func() string { return a.family + " / " + b.family })

	// First given name.
	w, lvl = wGivenMissing, "missing"
	if len(a.given) > 0 && len(b.given) > 0 {
		g, h := a.given[0], b.given[0]
		fullG, fullH := len(g) > 1, len(h) > 1
		switch {
		case fullG && fullH && g == h:
			// The weight at max(count a, count b, 1): the larger count's.
			w, lvl = a.givenExact, "exact"
			if b.nameN > a.nameN {
				w = b.givenExact
			}
		case fullG && fullH && (isNickname(g, h) || prefixName(g, h)):
			w, lvl = wGivenNickname, "nickname"
		case fullG && fullH && jaroWinkler(g, h) >= 0.9:
			w, lvl = wGivenSimilar, "similar"
		case fullG && fullH:
			w, lvl = wGivenConflict, "conflict"
		case firstRune(g) != firstRune(h):
			w, lvl = wGivenConflict, "conflict"
		case fullG || fullH:
			w, lvl = wGivenInitial, "initial"
		default:
			w, lvl = wGivenInitials, "initials"
		}
	}
	s += w
	rec.add("given", lvl, w, func() string { return strings.Join(a.given, " ") + " / " + strings.Join(b.given, " ") })

	// Middle names (initials).
	switch {
	case len(a.given) > 1 && len(b.given) > 1:
		if firstRune(a.given[1]) == firstRune(b.given[1]) {
			w, lvl = wMiddleMatch, "match"
		} else {
			w, lvl = wMiddleConflict, "conflict"
		}
		s += w
		rec.add("middle", lvl, w, func() string { return a.given[1] + " / " + b.given[1] })
	case len(a.given) > 1 || len(b.given) > 1:
		if len(a.given) > 0 && len(b.given) > 0 {
			s += wMiddleOneAbsent
			rec.add("middle", "one-absent", wMiddleOneAbsent, func() string { return "only one has a middle name" })
		}
	}

	// Co-authors.
	if len(a.coauth) > 0 && len(b.coauth) > 0 {
		n := sharedSorted(a.coauth, b.coauth)
		switch {
		case n == 0:
			w, lvl = wCoauthNone, "none"
		case n == 1:
			w, lvl = wCoauthOne, "one"
		default:
			w, lvl = wCoauthMany, "several"
		}
		s += w
		rec.add("coauthors", lvl, w, func() string { return fmt.Sprintf("%d shared of %d / %d", n, len(a.coauth), len(b.coauth)) })
	}

	// Affiliation.
	if len(a.vec(fAff)) > 0 && len(b.vec(fAff)) > 0 {
		c := cosine(a.vec(fAff), b.vec(fAff))
		switch {
		case c >= 0.8:
			w, lvl = wAffHigh, "≥0.8"
		case c >= 0.5:
			w, lvl = wAffMid, "≥0.5"
		case c >= 0.25:
			w, lvl = wAffLow, "≥0.25"
		default:
			w, lvl = wAffNone, "<0.25"
		}
		s += w
		rec.add("affiliation", lvl, w, func() string { return fmt.Sprintf("cosine %.2f", c) })
	}

	// Venue of the documents (weak: a field, not an identity).
	if len(a.vec(fVenue)) > 0 && len(b.vec(fVenue)) > 0 {
		if c := cosine(a.vec(fVenue), b.vec(fVenue)); c >= 0.5 {
			s += wVenueSameP
			rec.add("venue", "≥0.5", wVenueSameP, func() string { return fmt.Sprintf("cosine %.2f", c) })
		}
	}
	return s
}

// compoundMatch: "garcia-lopez" and "garcia", or two compound names that
// share a part.
func compoundMatch(a, b *prep) bool {
	for _, p := range a.familyParts {
		if p == b.family || (len(p) > 2 && containsStr(b.familyParts, p)) {
			return true
		}
	}
	for _, p := range b.familyParts {
		if p == a.family {
			return true
		}
	}
	return false
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// prefixName: "alex" / "alexander" (at least three letters in common).
func prefixName(a, b string) bool {
	if len(a) > len(b) {
		a, b = b, a
	}
	return len(a) >= 3 && strings.HasPrefix(b, a)
}

func sharedSorted(a, b []string) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch c := strings.Compare(a[i], b[j]); {
		case c < 0:
			i++
		case c > 0:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

func (m *Model) compareWorks(sc *scorer, a, b *prep, rec recorder) float64 {
	var s, w float64
	var lvl string
	if len(a.vec(fTitle)) > 0 && len(b.vec(fTitle)) > 0 {
		cos, shared := sc.titleSums(&m.stats, a, b)
		// Trigrams catch typos and split words; titles sharing under
		// minCosineForTrigrams of their TF-IDF mass are not worth the
		// (costlier) trigram comparison.
		tri := 0.0
		if cos >= minCosineForTrigrams && cos < 0.95 {
			tri = sc.dice(a, b)
		}
		c := max(cos, tri)
		switch {
		case c < 0.85 && min(len(a.vec(fTitle)), len(b.vec(fTitle))) >= 2 && overlapOf(shared, a.titleW, b.titleW) >= 0.95:
			w, lvl = wTitleContained, "contained"
		case c >= 0.95:
			w, lvl = wTitle95, "≥0.95"
		case c >= 0.85:
			w, lvl = wTitle85, "≥0.85"
		case c >= 0.7:
			w, lvl = wTitle70, "≥0.7"
		case c >= 0.5:
			w, lvl = wTitle50, "≥0.5"
		case c >= 0.3:
			w, lvl = wTitle30, "≥0.3"
		default:
			w, lvl = wTitle00, "<0.3"
		}
		s += w
		rec.add("title", lvl, w, func() string {
			return fmt.Sprintf("cosine %.3f, trigram dice %.3f: %q / %q", cos, tri, a.titleKey, b.titleKey)
		})
	}
	if a.authW > 0 && b.authW > 0 {
		o := sc.authorOverlap(&m.stats, a, b)
		switch {
		case o >= 0.8:
			w, lvl = wAuthHigh, "≥0.8"
		case o >= 0.5:
			w, lvl = wAuthMid, "≥0.5"
		case o > 0.2:
			w, lvl = wAuthLow, ">0.2"
		default:
			w, lvl = wAuthNone, "≤0.2"
		}
		s += w
		rec.add("authors", lvl, w, func() string { return fmt.Sprintf("weighted overlap %.2f", o) })
	}
	if a.year > 0 && b.year > 0 {
		d := a.year - b.year
		if d < 0 {
			d = -d
		}
		switch {
		case d == 0:
			w, lvl = wYearSame, "same"
		case d == 1:
			w, lvl = wYearOne, "±1"
		default:
			w, lvl = wYearFar, "far"
		}
		s += w
		rec.add("year", lvl, w, func() string { return fmt.Sprintf("%d / %d", a.year, b.year) })
	}
	if len(a.vec(fVenue)) > 0 && len(b.vec(fVenue)) > 0 {
		c := sc.venueCosine(a, b)
		if c >= 0.5 {
			w, lvl = wVenueHigh, "≥0.5"
		} else {
			w, lvl = wVenueLow, "<0.5"
		}
		s += w
		rec.add("venue", lvl, w, func() string { return fmt.Sprintf("cosine %.2f", c) })
	}
	return s
}

func (m *Model) compareOthers(sc *scorer, a, b *prep, rec recorder) float64 {
	var s, w float64
	var lvl string
	c := max(cosine(a.vec(fName), b.vec(fName)), sc.dice(a, b))
	if a.titleKey != "" && a.titleKey == b.titleKey {
		c = 1
	}
	switch {
	case c >= 0.95:
		w, lvl = wName95, "≥0.95"
	case c >= 0.8:
		w, lvl = wName80, "≥0.8"
	case c >= 0.6:
		w, lvl = wName60, "≥0.6"
	case c >= 0.4:
		w, lvl = wName40, "≥0.4"
	default:
		w, lvl = wName00, "<0.4"
	}
	s += w
	rec.add("name", lvl, w, func() string { return fmt.Sprintf("cosine %.2f: %q / %q", c, a.titleKey, b.titleKey) })
	if len(a.vec(fAff)) > 0 && len(b.vec(fAff)) > 0 {
		c := cosine(a.vec(fAff), b.vec(fAff))
		if c >= 0.5 {
			w, lvl = wAffMid, "≥0.5"
		} else {
			w, lvl = wAffNone, "<0.5"
		}
		s += w
		rec.add("context", lvl, w, func() string { return fmt.Sprintf("cosine %.2f", c) })
	}
	return s
}
