package extract

import (
	"regexp"
	"strings"
	"unicode"
)

// Author blocks: the names under a title, as PDF text gives them. Layout
// breaks the block in odd places ("L. Minh Dang1\n, Jihye Shin2\n, …",
// "Zhaomin Dong, Yi\nZhao, Meng Xu,"), and affiliation markers come as
// digits, letters ("Nan a,**"), symbols (¤ ☯ ✉, ORCID icons) or nothing
// but a space between two names with numbers ("Lemos1,2 Denis Valle5").
// So the block is read as one text: lines are joined while the whole
// still reads as a list of names, and every marker counts as a separator.

// maxAuthorBlockLines bounds how many lines one author block may span.
const maxAuthorBlockLines = 16

var (
	// camelGlueRe: two capitalised words run together by text extraction
	// ("LiliaTightiz"). The first part needs four letters, so "McGreevy",
	// "MacArthur" and "DeAngelis" stay whole.
	camelGlueRe = regexp.MustCompile(`^(\p{Lu}\p{Ll}{3,})(\p{Lu}\p{Ll}{2,})$`)
	// nameSuffixRe: a generational suffix after a name, which is not part
	// of the family name.
	nameSuffixRe = regexp.MustCompile(`\s+(?:Jr|Sr|Jnr|Snr)\.?$|\s+(?:II|III|IV)$`)
)

// authorText turns an author line into comma-separated name candidates:
// Markdown/HTML superscripts, digits and every character that cannot be
// part of a name become commas; "and" and "&" too.
func authorText(t string) string {
	t = supMarkerRe.ReplaceAllString(t, ",")
	var b strings.Builder
	b.WriteByte(' ')
	for _, r := range t {
		switch {
		case unicode.IsLetter(r) || unicode.IsMark(r) || r == '.' || r == '\'' || r == '’' || unicode.Is(unicode.Pd, r):
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteByte(',')
		}
	}
	b.WriteByte(' ')
	return strings.NewReplacer(" and ", ",", " AND ", ",").Replace(b.String())
}

// authorParts splits an author text into cleaned name candidates.
func authorParts(t string) []string {
	var out []string
	for _, p := range strings.Split(authorText(t), ",") {
		f := strings.Fields(p)
		// Letter markers after a name ("Nan a", "Teimourian c,d").
		for len(f) > 0 && isLetterMarker(f[len(f)-1]) {
			f = f[:len(f)-1]
		}
		for len(f) > 0 && isLetterMarker(f[0]) {
			f = f[1:]
		}
		var words []string
		for _, w := range f {
			if m := camelGlueRe.FindStringSubmatch(w); m != nil {
				words = append(words, m[1], m[2])
				continue
			}
			words = append(words, w)
		}
		if p := strings.Join(words, " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// isLetterMarker: a lone lower-case letter (an affiliation mark), not
// the particle "y".
func isLetterMarker(w string) bool {
	r := []rune(w)
	return len(r) == 1 && unicode.IsLower(r[0]) && r[0] != 'y'
}

// nameLikeLoose is isNameLike that also accepts one lower-case word at
// the end ("Bikila warkineh"): authors do type their names that way.
func nameLikeLoose(p string) bool {
	if isNameLike(p) {
		return true
	}
	f := strings.Fields(p)
	if len(f) < 2 || len(f) > 4 || !unicode.IsUpper(firstRune(f[0])) {
		return false
	}
	for i, w := range f {
		for _, r := range w {
			if !unicode.IsLetter(r) && !unicode.IsMark(r) && r != '.' && r != '-' && r != '\'' && r != '’' {
				return false
			}
		}
		if !unicode.IsUpper(firstRune(w)) && !isParticle(w) && i != len(f)-1 {
			return false
		}
	}
	return true
}

// authorListScore counts the name-like parts of t (strict = isNameLike)
// among the parts that count: a single word at either end may be half
// of a name wrapped onto the previous or next line, so it is left out.
func authorListScore(t string) (good, strict, total int) {
	parts := authorParts(t)
	for i, p := range parts {
		single := len(strings.Fields(p)) == 1 && unicode.IsUpper(firstRune(p))
		if single && (i == 0 || i == len(parts)-1) {
			continue
		}
		total++
		if nameLikeLoose(p) {
			good++
			if isNameLike(p) {
				strict++
			}
		}
	}
	return good, strict, total
}

// authorListOK: t reads as a list of names.
func authorListOK(t string) bool {
	if len(t) > 1000 || noiseRe.MatchString(t) {
		return false
	}
	good, strict, total := authorListScore(t)
	return strict > 0 && good*10 >= total*7
}

// endsAuthorBlock: a line that cannot be part of an author block.
func endsAuthorBlock(t string) bool {
	return noiseRe.MatchString(t) || articleKind.MatchString(t) || affiliationRe.MatchString(t) ||
		affilStartRe.MatchString(t) || abstractRe.MatchString(t) || keywordsRe.MatchString(t) || headingRe.MatchString(t)
}

// affilStartRe: an affiliation opening with its marker glued on
// ("1Department of …", "2Rede de Pesquisa …"), where \b cannot see the
// word affiliationRe looks for.
var affilStartRe = regexp.MustCompile(`^\d{1,2}\s?\p{Lu}\p{Ll}+\s+\p{L}`)

// joinsPrevious: the line or the text before it shows that the list goes
// on across the break (a separator at the seam, or a marker after the
// last name).
func joinsPrevious(acc, line string) bool {
	a := strings.TrimSpace(acc)
	l := strings.TrimSpace(line)
	if strings.HasSuffix(a, ",") || strings.HasSuffix(a, "&") || strings.HasSuffix(a, " and") || strings.HasSuffix(a, "|") || strings.HasSuffix(a, ";") {
		return true
	}
	if strings.HasPrefix(l, ",") || strings.HasPrefix(l, "&") || strings.HasPrefix(l, "and ") || strings.HasPrefix(l, "|") || strings.HasPrefix(l, ";") {
		return true
	}
	r := lastRune(a)
	return r != '.' && !unicode.IsLetter(r)
}

func lastRune(s string) rune {
	r := []rune(s)
	if len(r) == 0 {
		return 0
	}
	return r[len(r)-1]
}

// authorBlock finds the author block among the first non-empty lines of
// lines (at most maxSkip of them are passed over before it starts) and
// returns its names, or nil.
func authorBlock(lines []textLine, maxSkip int) []Author {
	seen := 0
	for i := 0; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i].text)
		if t == "" {
			continue
		}
		seen++
		if seen > maxSkip {
			return nil
		}
		if endsAuthorBlock(t) {
			continue
		}
		acc, ok := t, looksLikeAuthorLine(t) || soleAuthor(lines, i)
		j := i + 1
		if !ok {
			// A block whose first line is not a list by itself:
			// "Zhixiong Weng," / "Zhaomin Dong, Yi" / "Zhao, Meng Xu,".
			if k := nextNonEmpty(lines, j); k >= 0 {
				n := strings.TrimSpace(lines[k].text)
				if !endsAuthorBlock(n) && joinsPrevious(t, n) && authorListOK(t+" "+n) {
					ok = true
				}
			}
		}
		if !ok {
			continue
		}
		for ; j < len(lines) && j < i+maxAuthorBlockLines; j++ {
			n := strings.TrimSpace(lines[j].text)
			if n == "" || endsAuthorBlock(n) {
				break
			}
			cand := acc + " " + n
			if !authorListOK(cand) {
				break
			}
			if !joinsPrevious(acc, n) && !authorListOK(n) {
				break
			}
			acc = cand
		}
		return parseAuthorBlock(acc)
	}
	return nil
}

func nextNonEmpty(lines []textLine, from int) int {
	for k := from; k < len(lines); k++ {
		if strings.TrimSpace(lines[k].text) != "" {
			return k
		}
	}
	return -1
}

// parseAuthorBlock splits the joined text of an author block into authors.
func parseAuthorBlock(t string) []Author {
	var out []Author
	for _, p := range authorParts(t) {
		p = nameSuffixRe.ReplaceAllString(p, "")
		if !nameLikeLoose(p) {
			continue
		}
		g, f := splitGivenFamily(p)
		out = append(out, Author{Given: g, Family: f, Full: p})
	}
	return out
}
