package citations

import (
	"slices"
	"strings"
	"unicode"
)

// MatchFuzzy marks an edge linked by a similar, not identical, title with
// agreeing year and first author: the same work cited under the title it had
// in press, with a typo, or with its words reordered.
const MatchFuzzy = "fuzzy-title"

// Thresholds of fuzzy linking, as the Dice coefficient of the two titles'
// content-word sets (stop words and one-character tokens left out).
const (
	// fuzzySameAuthor links when the first authors' family names agree and
	// the years are equal (or one is missing).
	fuzzySameAuthor = 0.6
	// fuzzyYearOff links when the first authors agree and the years differ
	// by one (a work cited in press one year, published the next).
	fuzzyYearOff = 0.85
	// fuzzyTitleOnly links without author evidence (one side lists no
	// author), years agreeing or one missing.
	fuzzyTitleOnly = 0.9
	// fuzzyMinWords is the fewest content words a title needs to be linked
	// fuzzily: a short title says too little.
	fuzzyMinWords = 4
	// fuzzyRareTokens is how many of a reference's rarest title words find
	// the candidates without author evidence, and fuzzyMaxPosting the most
	// documents a word may be in to be used for that.
	fuzzyRareTokens = 3
	fuzzyMaxPosting = 1000
)

// stopWords are left out of fuzzy title comparison: they make unrelated
// titles look alike.
var stopWords = map[string]bool{
	"a": true, "an": true, "and": true, "are": true, "as": true, "at": true, "by": true, "for": true,
	"from": true, "in": true, "into": true, "is": true, "its": true, "of": true, "on": true, "or": true,
	"the": true, "their": true, "to": true, "via": true, "with": true, "without": true,
}

// titleWords returns the sorted distinct content words of a normalised
// title.
func titleWords(normTitle string) []string {
	var out []string
	for _, w := range strings.Fields(normTitle) {
		if len(w) > 1 && !stopWords[w] {
			out = append(out, w)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// dice is the Dice coefficient of two sorted distinct word lists.
func dice(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	common := 0
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch c := strings.Compare(a[i], b[j]); {
		case c == 0:
			common++
			i++
			j++
		case c < 0:
			i++
		default:
			j++
		}
	}
	return 2 * float64(common) / float64(len(a)+len(b))
}

// FamilyName returns the key fuzzy linking compares first authors by: the
// last word of the family name (SplitName), folded, so "Ludwig van
// Beethoven", "Beethoven, L." and "Beethoven L" agree. "" when there is none.
func FamilyName(name string) string {
	fam, _ := SplitName(name)
	f := strings.Fields(fam)
	if len(f) == 0 {
		return ""
	}
	return foldName(f[len(f)-1])
}

// isInitials tells initials ("JH", "T-K", "J.H.") from a family name.
func isInitials(s string) bool {
	letters := 0
	for _, r := range s {
		switch {
		case unicode.IsUpper(r):
			letters++
		case r == '.' || r == '-':
		default:
			return false
		}
	}
	return letters > 0 && letters <= 3
}

func foldName(s string) string { return strings.ReplaceAll(NormalizeTitle(s), " ", "") }

// fuzzyDoc is a batch document as fuzzy linking sees it.
type fuzzyDoc struct {
	docRef
	family string
	words  []string
}

// fuzzyIndex finds the batch document a reference cites under a similar
// title.
type fuzzyIndex struct {
	docs     []fuzzyDoc
	byAuthor map[string][]int32 // family|year → documents
	byWord   map[string][]int32 // content word → documents
}

func familyYear(family string, year int32) string {
	return family + "|" + itoa(year)
}

func newFuzzyIndex(docs []Contribution) *fuzzyIndex {
	x := &fuzzyIndex{byAuthor: map[string][]int32{}, byWord: map[string][]int32{}}
	for _, d := range docs {
		words := titleWords(NormalizeTitle(d.Title))
		if len(words) < fuzzyMinWords {
			continue
		}
		fam := ""
		if len(d.Authors) > 0 {
			fam = FamilyName(d.Authors[0])
		}
		i := int32(len(x.docs))
		x.docs = append(x.docs, fuzzyDoc{
			docRef: docRef{node: DocumentNodeID(d.DocumentID), doi: NormalizeDOI(d.DOI), year: d.Year},
			family: fam, words: words,
		})
		if fam != "" && d.Year != 0 {
			k := familyYear(fam, d.Year)
			x.byAuthor[k] = append(x.byAuthor[k], i)
		}
		for _, w := range words {
			x.byWord[w] = append(x.byWord[w], i)
		}
	}
	return x
}

// link returns the node of the batch document the reference most likely
// cites, or "". Candidates are the documents whose first author and year
// (±1) agree with the reference's, and those sharing one of its rarest
// title words; the best Dice score over the threshold that applies wins,
// ties going to the smallest node id. A reference and a document that both
// carry a DOI are never linked here: two DOIs are two works.
func (x *fuzzyIndex) link(r *Reference, doi, normTitle string) string {
	if len(x.docs) == 0 {
		return ""
	}
	words := titleWords(normTitle)
	if len(words) < fuzzyMinWords {
		return ""
	}
	fam := ""
	if len(r.Authors) > 0 {
		fam = FamilyName(r.Authors[0])
	}
	best, bestScore := "", 0.0
	consider := func(i int32) {
		d := &x.docs[i]
		if doi != "" && d.doi != "" {
			return
		}
		var need float64
		yearOff := r.Year != 0 && d.year != 0 && r.Year != d.year
		switch {
		case fam != "" && d.family != "":
			if fam != d.family {
				return
			}
			need = fuzzySameAuthor
			if yearOff {
				if r.Year-d.year > 1 || d.year-r.Year > 1 {
					return
				}
				need = fuzzyYearOff
			}
		default:
			if yearOff {
				return
			}
			need = fuzzyTitleOnly
		}
		s := dice(words, d.words)
		if s < need {
			return
		}
		if s > bestScore || (s == bestScore && d.node < best) {
			best, bestScore = d.node, s
		}
	}
	if fam != "" && r.Year != 0 {
		for _, y := range [...]int32{r.Year, r.Year - 1, r.Year + 1} {
			for _, i := range x.byAuthor[familyYear(fam, y)] {
				consider(i)
			}
		}
	}
	// The rarest words: a title similar enough to link without author
	// evidence shares almost all its words, so one of these.
	rare := make([]string, 0, len(words))
	for _, w := range words {
		if n := len(x.byWord[w]); n > 0 && n <= fuzzyMaxPosting {
			rare = append(rare, w)
		}
	}
	slices.SortFunc(rare, func(a, b string) int {
		if c := len(x.byWord[a]) - len(x.byWord[b]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	for _, w := range rare[:min(fuzzyRareTokens, len(rare))] {
		for _, i := range x.byWord[w] {
			consider(i)
		}
	}
	return best
}
