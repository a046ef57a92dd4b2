package citations

import (
	"strings"
	"unicode"
)

// NormalizeDOI returns the canonical form of a DOI (lowercase, no resolver
// prefix, no trailing punctuation), or "" when s does not look like a DOI
// ("10." registrant, a slash, a suffix): a garbled DOI must not link two
// unrelated works.
func NormalizeDOI(s string) string {
	d := strings.ToLower(strings.TrimSpace(s))
	// Resolver prefixes, longest first.
	for _, p := range [...]string{
		"https://dx.doi.org/", "http://dx.doi.org/", "https://doi.org/", "http://doi.org/",
		"dx.doi.org/", "doi.org/", "doi:", "doi ",
	} {
		if strings.HasPrefix(d, p) {
			d = strings.TrimSpace(d[len(p):])
			break
		}
	}
	// Reference strings often end a DOI with the sentence's punctuation.
	d = strings.TrimRight(d, ".,;:)]}>'\"")
	slash := strings.IndexByte(d, '/')
	if !strings.HasPrefix(d, "10.") || slash < 0 || slash == len(d)-1 || strings.ContainsAny(d, " \t\n") {
		return ""
	}
	return d
}

// NormalizeTitle returns a title folded for comparison: lowercase, Latin
// diacritics folded to ASCII, every run of non-alphanumerics collapsed to one
// space. Letters of other scripts are kept (lowercased) rather than dropped,
// so titles in those scripts still compare.
func NormalizeTitle(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		r = unicode.ToLower(r)
		if r >= 0x80 {
			if f, ok := foldLatin(r); ok {
				if b.Len() > 0 && space {
					b.WriteByte(' ')
				}
				space = false
				b.WriteString(f)
				continue
			}
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if b.Len() > 0 && space {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
			continue
		}
		space = true
	}
	return b.String()
}

// normalizeKeyword folds a keyword the way titles are folded so "Deep
// Learning" and "deep-learning" count as one.
func normalizeKeyword(s string) string { return NormalizeTitle(s) }

// foldLatin maps the lowercase letters of Latin-1 Supplement and Latin
// Extended-A to ASCII. It is the "simple version" of NFKD-and-strip-marks,
// without pulling in x/text tables; it covers the names and titles found in
// Western bibliographies.
func foldLatin(r rune) (string, bool) {
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ă', 'ą':
		return "a", true
	case 'æ':
		return "ae", true
	case 'ç', 'ć', 'ĉ', 'ċ', 'č':
		return "c", true
	case 'ð', 'ď', 'đ':
		return "d", true
	case 'è', 'é', 'ê', 'ë', 'ē', 'ĕ', 'ė', 'ę', 'ě':
		return "e", true
	case 'ĝ', 'ğ', 'ġ', 'ģ':
		return "g", true
	case 'ĥ', 'ħ':
		return "h", true
	case 'ì', 'í', 'î', 'ï', 'ĩ', 'ī', 'ĭ', 'į', 'ı':
		return "i", true
	case 'ĳ':
		return "ij", true
	case 'ĵ':
		return "j", true
	case 'ķ':
		return "k", true
	case 'ĺ', 'ļ', 'ľ', 'ŀ', 'ł':
		return "l", true
	case 'ñ', 'ń', 'ņ', 'ň', 'ŋ':
		return "n", true
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō', 'ŏ', 'ő':
		return "o", true
	case 'œ':
		return "oe", true
	case 'ŕ', 'ŗ', 'ř':
		return "r", true
	case 'ś', 'ŝ', 'ş', 'š', 'ſ':
		return "s", true
	case 'ß':
		return "ss", true
	case 'ţ', 'ť', 'ŧ':
		return "t", true
	case 'þ':
		return "th", true
	case 'ù', 'ú', 'û', 'ü', 'ũ', 'ū', 'ŭ', 'ů', 'ű', 'ų':
		return "u", true
	case 'ŵ':
		return "w", true
	case 'ý', 'ÿ', 'ŷ':
		return "y", true
	case 'ź', 'ż', 'ž':
		return "z", true
	}
	return "", false
}
