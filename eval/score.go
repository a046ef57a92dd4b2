package eval

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// Counts are true positives, false positives and false negatives of one
// field, summed over documents (micro-averaging).
type Counts struct {
	TP, FP, FN int
}

func (c *Counts) add(o Counts) { c.TP += o.TP; c.FP += o.FP; c.FN += o.FN }

// field scores one present-or-absent value: equal is a true positive; a
// wrong value is both a false positive (it was claimed) and a false negative
// (the right one was not found); "" means absent. It reports whether the two
// agree (both absent agrees).
func (c *Counts) field(gold, pred string) bool {
	if gold != "" && pred == gold {
		c.TP++
		return true
	}
	if pred != "" {
		c.FP++
	}
	if gold != "" {
		c.FN++
	}
	return gold == pred
}

// goldField is field for a value the gold may lack (venue, abstract, an
// author's ORCID or affiliation): where the gold has none nothing is
// counted, not even a predicted value, because such a source does not say
// what is right; a document without the field neither inflates nor lowers
// its score.
func (c *Counts) goldField(gold, pred string) bool {
	if gold == "" {
		return true
	}
	return c.field(gold, pred)
}

// set scores a set of values (keywords): each value in both is a true
// positive, each only predicted a false positive, each only in the gold a
// false negative; an empty gold counts nothing (see goldField). Values are
// compared after norm; duplicates count once. It returns the values only
// in the gold and only predicted, in their order.
func (c *Counts) set(gold, pred []string, norm func(string) string) (missed, extra []string) {
	g, p := map[string]bool{}, map[string]bool{}
	for _, v := range gold {
		if n := norm(v); n != "" {
			g[n] = true
		}
	}
	if len(g) == 0 {
		return nil, nil
	}
	for _, v := range pred {
		if n := norm(v); n != "" && !p[n] {
			p[n] = true
			if g[n] {
				c.TP++
			} else {
				c.FP++
				extra = append(extra, v)
			}
		}
	}
	seen := map[string]bool{}
	for _, v := range gold {
		if n := norm(v); n != "" && !p[n] && !seen[n] {
			seen[n] = true
			c.FN++
			missed = append(missed, v)
		}
	}
	return missed, extra
}

// Score is precision, recall and F1 with the counts behind them. An empty
// denominator scores 1: nothing to find, or nothing wrongly claimed.
type Score struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	TP        int     `json:"tp"`
	FP        int     `json:"fp"`
	FN        int     `json:"fn"`
}

func (c Counts) Score() Score {
	return Score{
		Precision: ratio(c.TP, c.TP+c.FP),
		Recall:    ratio(c.TP, c.TP+c.FN),
		F1:        ratio(2*c.TP, 2*c.TP+c.FP+c.FN),
		TP:        c.TP, FP: c.FP, FN: c.FN,
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// Reference fields, in the README's order.
const (
	refAuthors = iota
	refTitle
	refYear
	refVenue
	refDOI
	nRefFields
)

var refFieldNames = [nRefFields]string{"authors", "title", "year", "venue", "doi"}

// docScore is the comparison of one document.
type docScore struct {
	title, author, doi, year Counts
	// The header fields the gold may lack (goldField): venue and abstract
	// per document, keywords per keyword, ORCID and affiliation per gold
	// author that has one.
	venue, abstract, keywords, orcid, affiliation Counts
	// refField counts fields of matched pairs only; refFieldAll also counts
	// every field of an unmatched gold reference as missed and of an
	// unmatched prediction as wrong (GROBID's end-to-end way).
	refField, refFieldAll   [nRefFields]Counts
	goldRefs, predRefs      int
	matched, matchedByTitle int
	// citations counts in-text citations per reference: TP the
	// citations of a matched pair both sides have (the smaller count), FP
	// and FN the rest of each side's. scored: the gold says.
	citations       Counts
	citationsScored bool
}

// similarityThreshold is the title similarity at which two references are
// taken to be the same work.
const similarityThreshold = 0.9

// compare scores pred against gold. diff, when not nil, receives one line per
// disagreement, prefixed with id.
func compare(id string, gold, pred Record, diff io.Writer) docScore {
	var s docScore
	say := func(format string, args ...any) {
		if diff != nil {
			fmt.Fprintf(diff, "%s\t"+format+"\n", append([]any{id}, args...)...)
		}
	}
	if !s.title.field(Normalize(gold.Title), Normalize(pred.Title)) {
		say("title\tgold=%q\tpred=%q", gold.Title, pred.Title)
	}
	if !s.doi.field(NormalizeDOI(gold.DOI), NormalizeDOI(pred.DOI)) {
		say("doi\tgold=%q\tpred=%q", gold.DOI, pred.DOI)
	}
	if !s.year.field(yearString(gold.Year), yearString(pred.Year)) {
		say("year\tgold=%d\tpred=%d", gold.Year, pred.Year)
	}

	gk, pk := keys(gold.Authors), keys(pred.Authors)
	m := matchNames(gk, pk)
	tp := 0
	for _, j := range m {
		if j >= 0 {
			tp++
		}
	}
	s.author = Counts{TP: tp, FP: countKeys(pk) - tp, FN: countKeys(gk) - tp}
	if s.author.FP > 0 || s.author.FN > 0 {
		say("authors\tgold=%s\tpred=%s", names(gold.Authors), names(pred.Authors))
	}
	// ORCID and affiliation of each gold author that has one, compared with
	// those of the predicted author matched to it above. A gold author
	// without a match has its ORCID or affiliation missed (a false
	// negative); a predicted value on an author the gold gives none for is
	// not counted (goldField).
	for gi, pi := range m {
		if gk[gi].family == "" {
			continue
		}
		g := gold.Authors[gi]
		var po, pa string
		if pi >= 0 {
			po, pa = at(pred.ORCIDs, pi), at(pred.Affiliations, pi)
		}
		if !s.orcid.goldField(NormalizeORCID(at(gold.ORCIDs, gi)), NormalizeORCID(po)) {
			say("orcid\t%s\tgold=%q\tpred=%q", names([]Name{g}), at(gold.ORCIDs, gi), po)
		}
		if !s.affiliation.goldField(Normalize(at(gold.Affiliations, gi)), Normalize(pa)) {
			say("affiliation\t%s\tgold=%q\tpred=%q", names([]Name{g}), at(gold.Affiliations, gi), pa)
		}
	}
	if !s.venue.goldField(Normalize(gold.Venue), Normalize(pred.Venue)) {
		say("venue\tgold=%q\tpred=%q", gold.Venue, pred.Venue)
	}
	ga, pa := Normalize(gold.Abstract), Normalize(pred.Abstract)
	if ga != "" && pa != "" && sameAbstract(ga, pa) {
		pa = ga
	}
	if !s.abstract.goldField(ga, pa) {
		g, p := firstDifference(ga, pa)
		say("abstract\tgold=%q\tpred=%q", g, p)
	}
	if missed, extra := s.keywords.set(gold.Keywords, pred.Keywords, Normalize); len(missed)+len(extra) > 0 {
		say("keywords\tmissed=%q\textra=%q", missed, extra)
	}

	s.goldRefs, s.predRefs = len(gold.References), len(pred.References)
	pairs, byTitle := matchRefs(gold.References, pred.References)
	predMatched := make([]bool, len(pred.References))
	for gi, pi := range pairs {
		g := gold.References[gi]
		if pi < 0 {
			s.countUnmatchedGold(g)
			say("ref-missed\t#%d\t%q (%d) doi=%q", gi+1, g.Title, g.Year, g.DOI)
			continue
		}
		predMatched[pi] = true
		s.matched++
		p := pred.References[pi]
		var c [nRefFields]Counts
		gv, pv := refValues(g), refValues(p)
		for f := range nRefFields {
			if !c[f].field(gv[f], pv[f]) {
				say("ref-%s\t#%d\tgold=%q\tpred=%q", refFieldNames[f], gi+1, gv[f], pv[f])
			}
			s.refField[f].add(c[f])
			s.refFieldAll[f].add(c[f])
		}
	}
	s.matchedByTitle = byTitle
	if gold.CitedTimes != nil {
		s.citationsScored = true
		goldTotal, predTotal, tp := 0, 0, 0
		for _, n := range gold.CitedTimes {
			goldTotal += n
		}
		for _, n := range pred.CitedTimes {
			predTotal += n
		}
		for gi, pi := range pairs {
			if pi >= 0 && gi < len(gold.CitedTimes) && pi < len(pred.CitedTimes) {
				tp += min(gold.CitedTimes[gi], pred.CitedTimes[pi])
			}
		}
		s.citations = Counts{TP: tp, FP: predTotal - tp, FN: goldTotal - tp}
		if s.citations.FP > 0 || s.citations.FN > 0 {
			say("citations\tgold=%d\tpred=%d\tmatched=%d", goldTotal, predTotal, tp)
		}
	}
	for pi, ok := range predMatched {
		if !ok {
			s.countUnmatchedPred(pred.References[pi])
			say("ref-spurious\t%q (%d)", pred.References[pi].Title, pred.References[pi].Year)
		}
	}
	return s
}

func (s *docScore) countUnmatchedGold(g Ref) {
	for f, v := range refValues(g) {
		if v != "" {
			s.refFieldAll[f].FN++
		}
	}
}

func (s *docScore) countUnmatchedPred(p Ref) {
	for f, v := range refValues(p) {
		if v != "" {
			s.refFieldAll[f].FP++
		}
	}
}

// refValues renders a reference's fields as comparable strings. The author
// list counts as one field, equal when every author matches one to one; it is
// rendered as its sorted keys so equal lists give equal strings.
func refValues(r Ref) [nRefFields]string {
	return [nRefFields]string{
		refAuthors: authorsValue(r.Authors),
		refTitle:   Normalize(r.Title),
		refYear:    yearString(r.Year),
		refVenue:   Normalize(r.Venue),
		refDOI:     NormalizeDOI(r.DOI),
	}
}

// authorsValue renders a list of authors as "family i; family i; …" in the
// source's order. Two lists compare equal as field values only when they are
// the same in order and initials; the loose matching of matchNames (missing
// initials) is for counting header authors, where partial credit exists.
func authorsValue(ns []Name) string {
	var parts []string
	for _, k := range keys(ns) {
		if k.family == "" {
			continue
		}
		p := k.family
		if k.initial != 0 {
			p += " " + string(k.initial)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "; ")
}

func keys(ns []Name) []nameKey {
	ks := make([]nameKey, len(ns))
	for i, n := range ns {
		ks[i] = keyOf(n)
	}
	return ks
}

// countKeys counts names that have something to match on.
func countKeys(ks []nameKey) int {
	n := 0
	for _, k := range ks {
		if k.family != "" {
			n++
		}
	}
	return n
}

func names(ns []Name) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strings.TrimSpace(n.Given + " " + n.Family)
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

func yearString(y int) string {
	if y <= 0 {
		return ""
	}
	return strconv.Itoa(y)
}

// matchRefs pairs gold references with predicted ones, one to one: first by
// equal DOI, then by normalised title (exact, then the most similar at or
// above the threshold), and gold references without a title by first author
// and year. It returns for each gold reference its predicted
// index or -1, and how many pairs were made by title although both sides
// had a DOI and they differed (a DOI garbled by extraction should cost the
// DOI field, not hide the whole reference).
func matchRefs(gold, pred []Ref) ([]int, int) {
	m := make([]int, len(gold))
	used := make([]bool, len(pred))
	for i := range m {
		m[i] = -1
	}
	pDOI := make(map[string]int, len(pred))
	for j, p := range pred {
		if d := NormalizeDOI(p.DOI); d != "" {
			if _, dup := pDOI[d]; !dup {
				pDOI[d] = j
			}
		}
	}
	for i, g := range gold {
		if d := NormalizeDOI(g.DOI); d != "" {
			if j, ok := pDOI[d]; ok && !used[j] {
				m[i], used[j] = j, true
			}
		}
	}
	gt := make([]string, len(gold))
	pt := make([]string, len(pred))
	for i, g := range gold {
		gt[i] = Normalize(g.Title)
	}
	pIdx := map[string][]int{}
	for j, p := range pred {
		pt[j] = Normalize(p.Title)
		pIdx[pt[j]] = append(pIdx[pt[j]], j)
	}
	byTitle := 0
	conflict := func(i, j int) {
		if NormalizeDOI(gold[i].DOI) != "" && NormalizeDOI(pred[j].DOI) != "" {
			byTitle++
		}
	}
	// Exact titles first: cheap, and they must not be taken by a merely
	// similar title of another reference.
	for i := range gold {
		if m[i] >= 0 || gt[i] == "" {
			continue
		}
		for _, j := range pIdx[gt[i]] {
			if !used[j] {
				m[i], used[j] = j, true
				conflict(i, j)
				break
			}
		}
	}
	for i := range gold {
		if m[i] >= 0 || gt[i] == "" {
			continue
		}
		best, bestSim := -1, similarityThreshold
		for j := range pred {
			if used[j] || pt[j] == "" {
				continue
			}
			if sim := titleSimilarity(gt[i], pt[j]); sim >= bestSim {
				best, bestSim = j, sim
			}
		}
		if best >= 0 {
			m[i], used[best] = best, true
			conflict(i, best)
		}
	}
	// A gold reference without a title (a web page, a software manual)
	// cannot be matched by one; the same first author and year stand in.
	for i, g := range gold {
		if m[i] >= 0 || gt[i] != "" || len(g.Authors) == 0 {
			continue
		}
		gk := keyOf(g.Authors[0])
		for j, p := range pred {
			if !used[j] && len(p.Authors) > 0 && p.Year == g.Year && keyOf(p.Authors[0]).family == gk.family && gk.family != "" {
				m[i], used[j] = j, true
				break
			}
		}
	}
	return m, byTitle
}

// abstractSimilarity is how alike two normalised abstracts must be, on
// their characters without white space, to be the same abstract.
const abstractSimilarity = 0.98

// sameAbstract: one field of running text, the same after normalisation
// once white space is ignored, or with at most 2% of its characters
// different (Levenshtein). White space because an abstract's spacing is
// layout that differs between a JATS file and its typeset PDF ("p =
// 0.371" and "p=0.371", "( Canis lupus )" where the XML is pretty-printed
// and "(Canis lupus)"); a few characters for a glyph a PDF font maps
// differently ("50 ◦C" for "50 °C"). Not token similarity as for
// reference titles: 0.9 of the words of a 250-word abstract would let a
// missing sentence pass. On JATS both sides keep the headings of a
// structured abstract's sections and drop its own ("Abstract"), so there
// equality is what decides.
func sameAbstract(a, b string) bool {
	if a == b {
		return true
	}
	ra := []rune(strings.Join(strings.Fields(a), ""))
	rb := []rune(strings.Join(strings.Fields(b), ""))
	n := max(len(ra), len(rb))
	// The lengths alone rule most pairs out; Levenshtein is quadratic.
	if n == 0 || float64(min(len(ra), len(rb))) < abstractSimilarity*float64(n) {
		return false
	}
	if string(ra) == string(rb) {
		return true
	}
	return 1-float64(levenshtein(ra, rb))/float64(n) >= abstractSimilarity
}

// firstDifference shows where two long texts part, white space aside (as
// sameAbstract compares them): each from a little before its first rune
// that differs, cut to a readable length, with "…" where something was
// cut.
func firstDifference(a, b string) (string, string) {
	ra, rb := []rune(a), []rune(b)
	i, j := 0, 0
	for {
		for i < len(ra) && unicode.IsSpace(ra[i]) {
			i++
		}
		for j < len(rb) && unicode.IsSpace(rb[j]) {
			j++
		}
		if i == len(ra) || j == len(rb) || ra[i] != rb[j] {
			break
		}
		i, j = i+1, j+1
	}
	cut := func(r []rune, at int) string {
		from, to := max(0, at-40), min(len(r), at+80)
		s := string(r[from:to])
		if from > 0 {
			s = "…" + s
		}
		if to < len(r) {
			s += "…"
		}
		return s
	}
	return cut(ra, i), cut(rb, j)
}
