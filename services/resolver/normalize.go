package resolver

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// foldSpecial maps letters that Unicode decomposition does not reduce to
// ASCII but that authors and databases commonly write in ASCII.
var foldSpecial = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i",
}

// Fold lower-cases s and strips diacritics ("Müller" → "muller",
// "Łukasz" → "lukasz"). Letters with no ASCII form (CJK, Cyrillic) are kept
// lower-cased rather than dropped, so such names still get a key.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		r = unicode.ToLower(r)
		if rep, ok := foldSpecial[r]; ok {
			b.WriteString(rep)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// words folds s and splits it on everything that is not a letter or digit.
func words(s string) []string {
	return strings.FieldsFunc(Fold(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// orgExpansions spell out the abbreviations that make one affiliation look
// like two.
var orgExpansions = map[string]string{
	"univ": "university", "uni": "university", "dept": "department", "inst": "institute",
	"natl": "national", "lab": "laboratory", "labs": "laboratories", "ctr": "center",
	"centre": "center",
}

// NormalizeOrganization is the blocking key of an organisation name:
// folded, punctuation stripped, "the" dropped, "&" read as "and" and common
// abbreviations expanded ("The Univ. of Oxford" → "university of oxford").
func NormalizeOrganization(name string) string {
	name = strings.ReplaceAll(name, "&", " and ")
	ws := words(name)
	out := ws[:0]
	for _, w := range ws {
		if w == "the" {
			continue
		}
		if e, ok := orgExpansions[w]; ok {
			w = e
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// NormalizeTitle is the folded, punctuation-free form of a work's title.
func NormalizeTitle(title string) string { return strings.Join(words(title), " ") }
