package match

import (
	_ "embed"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// foldSpecial maps letters that Unicode decomposition does not reduce to
// ASCII but that authors and databases commonly write in ASCII.
var foldSpecial = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i",
}

// fold lower-cases s and strips diacritics ("Müller" → "muller"). Letters
// with no ASCII form are kept lower-cased. HTML numeric entities, common in
// bibliographic exports ("Lud&#228;scher"), are decoded first.
func fold(s string) string {
	if strings.Contains(s, "&#") {
		s = decodeEntities(s)
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
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

// decodeEntities decodes decimal and hexadecimal numeric character
// references; anything malformed is kept as is.
func decodeEntities(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "&#")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], ';')
		if j < 0 || j > 10 {
			b.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		num, base := s[i+2:i+j], 10
		if len(num) > 0 && (num[0] == 'x' || num[0] == 'X') {
			num, base = num[1:], 16
		}
		v, ok := 0, len(num) > 0
		for _, c := range num {
			d := -1
			switch {
			case c >= '0' && c <= '9':
				d = int(c - '0')
			case base == 16 && c >= 'a' && c <= 'f':
				d = int(c-'a') + 10
			case base == 16 && c >= 'A' && c <= 'F':
				d = int(c-'A') + 10
			}
			if d < 0 || v > 0x10FFFF {
				ok = false
				break
			}
			v = v*base + d
		}
		b.WriteString(s[:i])
		if ok {
			b.WriteRune(rune(v))
		} else {
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
}

func isSep(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }

// words folds s and splits it on everything that is not a letter or digit.
func words(s string) []string {
	if w, ok := asciiWords(s); ok {
		return w
	}
	return strings.FieldsFunc(fold(s), isSep)
}

// asciiWords is words for plain ASCII without character references (most
// bibliographic text): there fold is strings.ToLower and the separators
// are the bytes outside [a-z0-9], so one pass over the lowered bytes splits
// them without FieldsFunc's per-rune unicode calls. ok is false for any
// other input.
func asciiWords(s string) (out []string, ok bool) {
	n, in := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c == '&' && strings.HasPrefix(s[i:], "&#") {
			return nil, false
		}
		w := isAlnumASCII(c)
		if w && !in {
			n++
		}
		in = w
	}
	if n == 0 {
		return nil, true
	}
	low := strings.ToLower(s)
	out = make([]string, 0, n)
	start := -1
	for i := 0; i < len(low); i++ {
		if isAlnumASCII(low[i]) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			out = append(out, low[start:i])
			start = -1
		}
	}
	if start >= 0 {
		out = append(out, low[start:])
	}
	return out, true
}

func isAlnumASCII(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// stopWords carry no identifying information in titles, venues and
// organisation names.
var stopWords = map[string]bool{
	"a": true, "an": true, "the": true, "of": true, "and": true, "or": true, "in": true, "on": true,
	"for": true, "to": true, "with": true, "by": true, "at": true, "from": true, "into": true,
	"via": true, "its": true, "is": true, "are": true, "as": true, "de": true, "la": true, "le": true,
	"des": true, "du": true, "et": true, "und": true, "der": true, "die": true, "das": true, "fur": true,
	"von": true, "y": true, "del": true, "di": true, "e": true,
}

// contentWords are the folded words of s without stop words; short numbers
// (volume, page fragments) are dropped too, but 4-digit years are kept.
func contentWords(s string) []string {
	ws := words(s)
	out := ws[:0]
	for _, w := range ws {
		if stopWords[w] {
			continue
		}
		out = append(out, w)
	}
	return out
}

// maxStopWord is the length of the longest stop word.
const maxStopWord = 4

// titleWords returns contentWords(s) and their join with single spaces
// (the titleKey of a work). For plain ASCII the words are cut from the key
// itself: one string for both, where lowering a copy, the words and their
// join were three allocations per title and a fifth of New's time on
// works.
func titleWords(s string) (key string, ws []string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || c == '&' && strings.HasPrefix(s[i:], "&#") {
			ws = contentWords(s)
			return strings.Join(ws, " "), ws
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	n := 0
	for i := 0; i < len(s); {
		if !isAlnumASCII(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isAlnumASCII(s[j]) {
			j++
		}
		if j-i <= maxStopWord { // only short words can be stop words
			var low [maxStopWord]byte
			for k := i; k < j; k++ {
				low[k-i] = lowerASCII(s[k])
			}
			if stopWords[string(low[:j-i])] {
				i = j
				continue
			}
		}
		if n > 0 {
			b.WriteByte(' ')
		}
		for k := i; k < j; k++ {
			b.WriteByte(lowerASCII(s[k]))
		}
		n++
		i = j
	}
	key = b.String()
	if n == 0 {
		return key, nil
	}
	ws = make([]string, 0, n)
	for w := range strings.SplitSeq(key, " ") {
		ws = append(ws, w)
	}
	return key, ws
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// orgExpansions spell out common abbreviations of organisation names.
var orgExpansions = map[string]string{
	"univ": "university", "uni": "university", "dept": "department", "inst": "institute",
	"natl": "national", "lab": "laboratory", "labs": "laboratories", "ctr": "center",
	"centre": "center", "universitat": "university", "universite": "university",
	"universidad": "university", "universita": "university", "universiteit": "university",
}

func orgWords(s string) []string {
	ws := contentWords(strings.ReplaceAll(s, "&", " and "))
	for i, w := range ws {
		if e, ok := orgExpansions[w]; ok {
			ws[i] = e
		}
	}
	return ws
}

// nameSuffixes end a full name without being a family name.
var nameSuffixes = map[string]bool{"jr": true, "sr": true, "ii": true, "iii": true, "iv": true, "phd": true, "md": true}

// familyParticles are dropped from family names ("van der Berg" → "berg")
// unless they are the whole name.
var familyParticles = map[string]bool{
	"van": true, "von": true, "der": true, "den": true, "de": true, "del": true, "della": true,
	"di": true, "da": true, "du": true, "la": true, "le": true, "dos": true, "das": true,
	"ten": true, "ter": true, "bin": true, "al": true, "el": true,
}

// splitName splits a full name: "Family, Given" when there is a comma,
// otherwise the last word (ignoring suffixes) is the family name.
func splitName(full string) (given, family string) {
	full = strings.Join(strings.Fields(full), " ")
	if i := strings.IndexByte(full, ','); i >= 0 {
		g := strings.TrimSpace(full[i+1:])
		if !nameSuffixes[strings.Trim(fold(g), ". ")] {
			return g, strings.TrimSpace(full[:i])
		}
		full = strings.TrimSpace(full[:i])
	}
	ws := strings.Fields(full)
	for len(ws) > 1 && nameSuffixes[strings.Trim(fold(ws[len(ws)-1]), ".")] {
		ws = ws[:len(ws)-1]
	}
	if len(ws) == 0 {
		return "", ""
	}
	// Keep particles with the family name: "Jan van der Berg".
	k := len(ws) - 1
	for k > 0 && familyParticles[fold(ws[k-1])] {
		k--
	}
	return strings.Join(ws[:k], " "), strings.Join(ws[k:], " ")
}

// familyForms returns the compact family key (folded, particles, spaces and
// hyphens removed) and, for a compound name, its parts.
func familyForms(family string) (compact string, parts []string) {
	fw := words(family)
	var b strings.Builder
	for i, w := range fw {
		if familyParticles[w] && i < len(fw)-1 {
			continue
		}
		b.WriteString(w)
		parts = append(parts, w)
	}
	if len(parts) < 2 {
		parts = nil
	}
	return b.String(), parts
}

// givenTokens splits given (and middle) names into folded tokens. An
// all-capital token of two or three letters is read as initials ("ND" →
// "n", "d"), as are "J." and "J-P".
func givenTokens(s string) []string {
	var out []string
	for _, raw := range strings.FieldsFunc(s, func(r rune) bool { return isSep(r) }) {
		n := utf8.RuneCountInString(raw)
		if n >= 2 && n <= 3 && strings.ToUpper(raw) == raw && strings.ToLower(raw) != raw && !hasVowel(raw) {
			for _, r := range fold(raw) {
				out = append(out, string(r))
			}
			continue
		}
		if f := fold(raw); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func hasVowel(s string) bool { return strings.ContainsAny(strings.ToLower(s), "aeiouy") }

func firstRune(s string) string {
	_, n := utf8.DecodeRuneInString(s)
	return s[:n]
}

//go:embed nicknames.txt
var nicknameFile string

var (
	nicknameOnce sync.Once
	// nicknames holds {a, b} with a < b: a pair of strings, not "a b",
	// so that a lookup per compared pair builds no string.
	nicknames map[[2]string]bool
)

// isNickname reports whether a and b are known variants of one given name
// (chris ↔ christopher), from the embedded table derived from S2AND.
func isNickname(a, b string) bool {
	nicknameOnce.Do(func() {
		nicknames = make(map[[2]string]bool, 6000)
		for line := range strings.SplitSeq(nicknameFile, "\n") {
			if line == "" || line[0] == '#' {
				continue
			}
			// The key of a line "x y" is what "x"+" "+"y" matched before:
			// split at each space that could have been the join.
			for i := 0; i < len(line); i++ {
				if line[i] == ' ' {
					nicknames[[2]string{line[:i], line[i+1:]}] = true
				}
			}
		}
	})
	if a > b {
		a, b = b, a
	}
	return nicknames[[2]string{a, b}]
}

// jaroWinkler is the Jaro–Winkler similarity of two (folded) strings,
// compared byte-wise.
func jaroWinkler(a, b string) float64 {
	if a == b {
		return 1
	}
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	if la > lb {
		a, b, la, lb = b, a, lb, la
	}
	win := max(lb/2-1, 0)
	var ma, mb [64]bool
	if lb > 64 {
		return jaroSlow(a, b)
	}
	m := 0
	for i := 0; i < la; i++ {
		lo, hi := max(0, i-win), min(lb, i+win+1)
		for j := lo; j < hi; j++ {
			if !mb[j] && a[i] == b[j] {
				ma[i], mb[j] = true, true
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	t, k := 0, 0
	for i := 0; i < la; i++ {
		if !ma[i] {
			continue
		}
		for !mb[k] {
			k++
		}
		if a[i] != b[k] {
			t++
		}
		k++
	}
	fm := float64(m)
	j := (fm/float64(la) + fm/float64(lb) + (fm-float64(t)/2)/fm) / 3
	p := 0
	for p < 4 && p < la && a[p] == b[p] {
		p++
	}
	return j + float64(p)*0.1*(1-j)
}

func jaroSlow(a, b string) float64 {
	if strings.HasPrefix(b, a) {
		return 0.9
	}
	return 0
}
