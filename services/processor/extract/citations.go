package extract

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Bounds on what citation finding keeps: a result travels as one NATS
// message, and a reader of why a work is cited needs a few sentences, not
// every one.
const (
	// MaxCitations bounds Document.Citations.
	MaxCitations = 2000
	// MaxCitationContexts is how many citations of one reference keep
	// their Context.
	MaxCitationContexts = 5
	// MaxContextBytes bounds a Context.
	MaxContextBytes = 400
	// maxContextTotal bounds the Contexts of one document together.
	maxContextTotal = 128 << 10
	// maxRangeRefs bounds what one range marker ("[3-9]") expands to.
	maxRangeRefs = 50
)

// Numbered markers are matched by regular expressions anchored in a small
// window around a cheap anchor ('[' or a digit) that a byte scan finds, and
// author-year markers are read backwards by hand from each year
// (authorBefore): run over a whole paper, unanchored, the expressions took
// most of a document's extraction time.
var (
	// A bracketed list of numbers and ranges: "[3]", "[2, 5-7]", "[4–6]";
	// the window starts at the '['.
	numCiteRe = regexp.MustCompile(`^\[(\d{1,4}(?:\s*[-–,;]\s*\d{1,4})*)\]`)
	// A superscript marker as text extraction flattens it: digits glued to
	// the end of a word, "results11,12." or, in styles that put the
	// marker after the punctuation, "the country.1–3 Several" (group 1 the
	// numbers). Only lower-case words of three letters or more, so "CO2"
	// and "p53" are not taken for citations. The window starts three
	// letters before the digits or their punctuation.
	superCiteRe = regexp.MustCompile(`^\p{Ll}{3}[.,;:)]?(\d{1,3}(?:[,–-]\d{1,3})*)(?:[\s.,;:)]|$)`)
)

// markerWindow bounds the bytes a numbered marker's expression sees after
// its anchor.
const markerWindow = 80

// findCitations finds the citations of refs in text[bodyStart:bodyEnd]:
// numbered markers (entries are cited by Index) or author-year markers
// matched on the first author's family name and the year, whichever the
// text has more of.
//
// persons are the cited first authors at the author-year markers, named as
// the reference list names them.
func findCitations(text string, bodyStart, bodyEnd int, refs []Reference, pageOf func(int) int) (cites []Citation, persons []Entity) {
	if len(refs) == 0 || bodyEnd <= bodyStart {
		return nil, nil
	}
	// The header is left out (its author lines carry affiliation numbers
	// that look like superscript citations), but offsets stay the text's:
	// the search covers text[:bodyEnd] and skips matches before bodyStart.
	body := text[:bodyEnd]
	byIndex := make(map[int]bool, len(refs))
	byAuthorYear := map[string][]int{}
	fullName := map[int]string{}
	for _, r := range refs {
		if len(r.Authors) > 0 {
			fullName[r.Index] = r.Authors[0]
		}
		byIndex[r.Index] = true
		if fam := firstFamily(r.Authors); fam != "" && r.Year > 0 {
			// Under the year alone, and, for "1994a" and "1994b", also
			// under the year with its letter, which markers that carry
			// the letter look up first.
			k := authorYearKey(fam, r.Year)
			byAuthorYear[k] = append(byAuthorYear[k], r.Index)
			if suffix := yearSuffix(r.Raw, r.Year); suffix != 0 {
				k += string(suffix)
				byAuthorYear[k] = append(byAuthorYear[k], r.Index)
			}
		}
	}

	for i := bodyStart; i < len(body) && len(cites) < MaxCitations; i++ {
		if body[i] != '[' {
			continue
		}
		c, ok := numberedMarker(body, i, i, numCiteRe, 0, byIndex)
		if !ok {
			continue
		}
		if len(c.Refs) > 0 {
			cites = append(cites, c)
		}
		i = c.End - 1
	}
	// Superscripts are looked for even when some bracketed markers were
	// found: a paper cited in superscript can still have a "[1]" that
	// indexes the list (an interval, an equation's reference), and the
	// style with more markers wins below.
	var super []Citation
	for i := bodyStart + 3; i < len(body) && len(super) < MaxCitations; i++ {
		if !isDigit(body[i]) || isDigit(body[i-1]) {
			continue
		}
		lo := i
		if strings.IndexByte(".,;:)", body[i-1]) >= 0 {
			lo-- // "country.1–3"
		}
		for k := 0; k < 3 && lo > bodyStart; k++ {
			_, n := utf8.DecodeLastRuneInString(body[bodyStart:lo])
			lo -= n
		}
		c, ok := numberedMarker(body, lo, i, superCiteRe, 1, byIndex)
		if !ok {
			continue
		}
		if len(c.Refs) > 0 {
			super = append(super, c)
		}
		i = c.End - 1
	}
	if len(super) > len(cites) {
		cites = super
	}
	var authorYear []Citation
	if len(byAuthorYear) > 0 {
		for i := bodyStart + 1; i+4 <= len(body) && len(authorYear) < MaxCitations; i++ {
			// A year after a space, a line break or "(" (cheap tests first: this runs
			// at every byte of the body).
			if c := body[i]; (c != '1' && c != '2') || (body[i-1] != ' ' && body[i-1] != '(' && body[i-1] != '\n') {
				continue
			}
			year, ok := yearAt(body, i)
			if !ok {
				continue
			}
			start, nameStart, nameEnd, ok := authorBefore(body, bodyStart, i)
			if !ok {
				continue
			}
			end := i + 4
			key := authorYearKey(body[nameStart:nameEnd], year)
			idx := byAuthorYear[key]
			if suffix := letterAfter(body, end); suffix != 0 {
				end++ // "2019a"
				if exact := byAuthorYear[key+string(suffix)]; len(exact) > 0 {
					idx = exact
				}
			}
			if len(idx) > 0 {
				authorYear = append(authorYear, Citation{Start: start, End: end, Refs: idx})
				if name := fullName[idx[0]]; name != "" && len(persons) < MaxEntityMentions {
					persons = append(persons, Entity{Type: EntityPerson, Name: name, Start: nameStart, End: nameEnd})
				}
			}
			i = end - 1
		}
	}
	// A paper cites in one style. Numbers in brackets also occur in
	// author-year papers (concentrations, equation numbers), and an
	// author-year phrase can turn up in a numbered one: the style with
	// more markers is the paper's.
	if len(authorYear) > len(cites) {
		cites = authorYear
	} else {
		persons = nil
	}

	contexts := map[int]int{}
	total := 0
	for i := range cites {
		c := &cites[i]
		c.Page = pageOf(c.Start)
		for _, r := range c.Refs {
			if contexts[r] < MaxCitationContexts && total < maxContextTotal {
				c.Context = sentenceAround(body, c.Start, c.End)
				total += len(c.Context)
				break
			}
		}
		for _, r := range c.Refs {
			contexts[r]++
		}
	}
	return cites, persons
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// letterAfter is the lower-case letter at text[i] that ends a year
// ("1994a," "1994b)"), or 0.
func letterAfter(text string, i int) byte {
	if i >= len(text) || text[i] < 'a' || text[i] > 'z' {
		return 0
	}
	if i+1 < len(text) {
		if r, _ := utf8.DecodeRuneInString(text[i+1:]); unicode.IsLetter(r) {
			return 0
		}
	}
	return text[i]
}

// yearSuffix is the letter that follows year in a reference's raw text
// ("Gupta S, Day KP. 1994a."), 0 when none does.
func yearSuffix(raw string, year int) byte {
	y := strconv.Itoa(year)
	for off := 0; ; {
		i := strings.Index(raw[off:], y)
		if i < 0 {
			return 0
		}
		if c := letterAfter(raw, off+i+len(y)); c != 0 {
			return c
		}
		off += i + len(y)
	}
}

// authorBefore reads backwards from the year at text[year:] the author
// part of an author-year marker, not before lo: "Smith, ", "Smith et al. ",
// "Smith and Jones (", "Smith & Jones, ". It returns where the marker
// starts and the first author's family name. (A hand-written scan: a
// regular expression anchored at the year still tried every start in its
// window, at every year of the text.)
func authorBefore(text string, lo, year int) (start, nameStart, nameEnd int, ok bool) {
	j := year
	if j > lo && text[j-1] == '(' {
		j--
	}
	spaces := j
	for j > lo && unicode.IsSpace(rune(text[j-1])) {
		j--
	}
	if j == spaces {
		return 0, 0, 0, false
	}
	if j > lo && text[j-1] == ',' {
		j--
	}
	ws, we := wordBefore(text, lo, j)
	if ws == we {
		return 0, 0, 0, false
	}
	if w := text[ws:we]; w == "al." || w == "al" {
		// "et al.": the name is the word before "et".
		es, ee := wordBefore(text, lo, trimSpaceBefore(text, lo, ws))
		if text[es:ee] != "et" {
			return 0, 0, 0, false
		}
		ws, we = wordBefore(text, lo, trimSpaceBefore(text, lo, es))
	} else {
		from := skipParticle(text, lo, ws) // "& du Preez"
		if as, ae := wordBefore(text, lo, trimSpaceBefore(text, lo, from)); ae < from && (text[as:ae] == "and" || text[as:ae] == "&") {
			// "Smith and Jones": the first author is Smith; in "Nelson,
			// Bidwell & Sillero-Zubiri" it is Nelson, the first of the
			// capitalised names the commas join.
			ws, we = wordBefore(text, lo, trimSpaceBefore(text, lo, as))
			for {
				c := trimSpaceBefore(text, lo, skipParticle(text, lo, ws))
				if c <= lo || text[c-1] != ',' {
					break
				}
				ps, pe := wordBefore(text, lo, trimSpaceBefore(text, lo, c-1))
				if pe-ps < 2 || !capitalised(text[ps:pe]) || strings.HasSuffix(text[ps:pe], ".") {
					break // "e.g., Smith & Lee": not a name
				}
				ws, we = ps, pe
			}
		}
	}
	if we-ws < 2 || !capitalised(text[ws:we]) {
		return 0, 0, 0, false
	}
	return ws, ws, we, true
}

// skipParticle steps back from the name starting at text[ws] over a
// lower-case particle before it ("du Preez", "van Aarde"), returning where
// the name with its particle starts.
func skipParticle(text string, lo, ws int) int {
	ps, pe := wordBefore(text, lo, trimSpaceBefore(text, lo, ws))
	if pe < ws && familyParticles[text[ps:pe]] {
		return ps
	}
	return ws
}

// wordBefore returns the span of the name-like word (letters, ' ’ - . &)
// that ends at text[end], not before lo; empty when there is none.
func wordBefore(text string, lo, end int) (int, int) {
	i := end
	for i > lo {
		r, n := utf8.DecodeLastRuneInString(text[lo:i])
		if !unicode.IsLetter(r) && r != '\'' && r != '’' && r != '-' && r != '.' && r != '&' {
			break
		}
		i -= n
	}
	return i, end
}

// trimSpaceBefore steps back over the white space that ends at text[end].
func trimSpaceBefore(text string, lo, end int) int {
	for end > lo && unicode.IsSpace(rune(text[end-1])) {
		end--
	}
	return end
}

// yearAt reads a year from 1600 to 2099 standing alone at text[i:i+4]
// (not inside a longer number; a letter suffix, "2019a", may follow).
func yearAt(text string, i int) (int, bool) {
	if i+4 > len(text) || (i > 0 && isDigit(text[i-1])) || (i+4 < len(text) && isDigit(text[i+4])) {
		return 0, false
	}
	y := 0
	for k := i; k < i+4; k++ {
		if !isDigit(text[k]) {
			return 0, false
		}
		y = y*10 + int(text[k]-'0')
	}
	return y, y >= 1600 && y < 2100
}

// numberedMarker matches re, whose group 1 is the marker's numbers, at
// body[lo:], reading at most markerWindow bytes past the anchor at. The
// citation spans the expression's group span (0: the whole match, 1: the
// numbers alone); its Refs are nil when the numbers index no reference.
// ok is false when re does not match.
func numberedMarker(body string, lo, at int, re *regexp.Regexp, span int, known map[int]bool) (c Citation, ok bool) {
	m := re.FindStringSubmatchIndex(body[lo:min(len(body), at+markerWindow)])
	if m == nil {
		return Citation{}, false
	}
	m = shift(m, lo)
	return Citation{Start: m[2*span], End: m[2*span+1], Refs: expandNumbers(body[m[2]:m[3]], known)}, true
}

// shift adds off to the offsets of a regexp match.
func shift(m []int, off int) []int {
	for i := range m {
		if m[i] >= 0 {
			m[i] += off
		}
	}
	return m
}

// expandNumbers turns "2, 5-7" into [2 5 6 7], keeping numbers that index
// a reference; nil when any part does not (a "[2019]" or "[1-1000]" is not
// a citation of this list).
func expandNumbers(s string, known map[int]bool) []int {
	var out []int
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' }) {
		lo, hi, isRange := strings.Cut(strings.ReplaceAll(part, "–", "-"), "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		if err != nil {
			return nil
		}
		b := a
		if isRange {
			if b, err = strconv.Atoi(strings.TrimSpace(hi)); err != nil || b < a || b-a >= maxRangeRefs {
				return nil
			}
		}
		for n := a; n <= b; n++ {
			if !known[n] {
				return nil
			}
			out = append(out, n)
		}
	}
	return out
}

// firstFamily is the family name of a reference's first author, whose
// names are "Given Family" (or an organisation).
func firstFamily(authors []string) string {
	if len(authors) == 0 {
		return ""
	}
	f := strings.Fields(authors[0])
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

func authorYearKey(family string, year int) string {
	return strings.ToLower(family) + "|" + strconv.Itoa(year)
}

// sentenceAround returns the sentence of text that holds [start, end),
// trimmed to about MaxContextBytes around the marker and to whole runes,
// with white space collapsed.
func sentenceAround(text string, start, end int) string {
	lo := max(0, start-MaxContextBytes/2)
	for i := start - 1; i >= lo; i-- {
		if sentenceBreak(text, i) {
			lo = i + 1
			break
		}
	}
	hi := min(len(text), end+MaxContextBytes/2)
	for i := end; i < hi; i++ {
		if text[i] == '\f' || (text[i] == '.' && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\n')) {
			hi = i + 1
			break
		}
	}
	for lo < start && !utf8.RuneStart(text[lo]) {
		lo++
	}
	for hi > end && hi < len(text) && !utf8.RuneStart(text[hi]) {
		hi--
	}
	return collapseSpace(text[lo:hi])
}

// sentenceBreak reports whether a sentence ends at text[i]: ". " before a
// capital letter, a blank line, a page break, or the end of a short line
// without closing punctuation (a heading; wrapped lines of a paragraph are
// long, or end in punctuation).
func sentenceBreak(text string, i int) bool {
	switch text[i] {
	case '\f':
		return true
	case '\n':
		if i == 0 || text[i-1] == '\n' {
			return true
		}
		lineStart := strings.LastIndexByte(text[:i], '\n') + 1
		line := strings.TrimSpace(text[lineStart:i])
		return line == "" || len(line) < 50 && !strings.ContainsAny(line[len(line)-1:], ".,;:-")
	case '.', '?', '!':
		if i+2 < len(text) && text[i+1] == ' ' {
			r, _ := utf8.DecodeRuneInString(text[i+2:])
			return unicode.IsUpper(r)
		}
	}
	return false
}
