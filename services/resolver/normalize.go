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

var doiPrefixes = []string{"https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi.org/", "doi:"}

// NormalizeDOI lower-cases a DOI (DOIs are case-insensitive) and strips the
// resolver URL or "doi:" prefix.
func NormalizeDOI(doi string) string {
	d := strings.ToLower(strings.TrimSpace(doi))
	for _, p := range doiPrefixes {
		if strings.HasPrefix(d, p) {
			d = strings.TrimSpace(d[len(p):])
			break
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

// nameSuffixes are generational or honorific tokens that are not a family
// name when they end a full name.
var nameSuffixes = map[string]bool{"jr": true, "sr": true, "ii": true, "iii": true, "iv": true, "phd": true, "md": true}

// familyParticles are dropped from family names so "van der Berg" (a
// structured family name) and "Jan van der Berg" (parsed from a full name,
// whose last word is "Berg") get the same key.
var familyParticles = map[string]bool{
	"van": true, "von": true, "der": true, "den": true, "de": true, "del": true, "della": true,
	"di": true, "da": true, "du": true, "la": true, "le": true, "dos": true, "das": true,
	"ten": true, "ter": true, "bin": true, "al": true, "el": true,
}

// SplitName splits a full name into given and family parts: "Family, Given"
// when there is a comma, otherwise the last word (ignoring "Jr." and the
// like) is the family name.
func SplitName(full string) (given, family string) {
	full = strings.Join(strings.Fields(full), " ")
	if i := strings.IndexByte(full, ','); i >= 0 {
		return strings.TrimSpace(full[i+1:]), strings.TrimSpace(full[:i])
	}
	ws := strings.Fields(full)
	for len(ws) > 1 && nameSuffixes[strings.Trim(Fold(ws[len(ws)-1]), ".")] {
		ws = ws[:len(ws)-1]
	}
	if len(ws) == 0 {
		return "", ""
	}
	return strings.Join(ws[:len(ws)-1], " "), ws[len(ws)-1]
}

// PersonKey is the blocking key of a person: the folded family name without
// particles, spaces or hyphens, a bar, and the first initial of the given
// names ("C. J. Smith" and "Christopher Smith" both give "smith|c"). It is
// empty when there is no family name.
func PersonKey(given, family string) string {
	fw := words(family)
	var fam strings.Builder
	for i, w := range fw {
		// Keep a particle that is the whole name ("Le", "Da").
		if familyParticles[w] && i < len(fw)-1 {
			continue
		}
		fam.WriteString(w)
	}
	if fam.Len() == 0 {
		return ""
	}
	initial := ""
	if gw := words(given); len(gw) > 0 {
		initial = string([]rune(gw[0])[:1])
	}
	return fam.String() + "|" + initial
}
