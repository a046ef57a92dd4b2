package extract

import (
	"context"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var (
	// doiRe finds a DOI. The suffix stops at white space and characters that
	// cannot be part of a DOI in running text; trailing punctuation is cut by
	// cleanDOI because sentences often end right after a DOI.
	doiRe  = regexp.MustCompile(`(?i)\b10\.\d{4,9}/[^\s"<>\x{201c}\x{201d}]+`)
	yearRe = regexp.MustCompile(`\b(1[5-9]\d\d|20\d\d)[a-z]?\b`)
	// hyphenBreakRe joins "exam-\nple": a lower-case word broken at a line end.
	hyphenBreakRe     = regexp.MustCompile(`(\p{Ll})[-\x{00AD}\x{2010}]\s*\n\s*(\p{Ll})`)
	softHyphenBreakRe = regexp.MustCompile(`(\p{L})\x{FFFE}[ \t]*\n\s*(\p{Ll})`)
	orcidRe           = regexp.MustCompile(`\d{4}-\d{4}-\d{4}-\d{3}[\dX]`)
	// doiAtRe is doiRe anchored at a "10." that findDOIs found.
	doiAtRe = regexp.MustCompile(`^10\.\d{4,9}/[^\s"<>\x{201c}\x{201d}]+`)
)

// findDOIs is doiRe.FindAllStringIndex(s, -1), the same matches found by
// looking for "10." first: the expression alone, with no literal prefix to
// skip ahead to, stepped through every byte of a paper's text (fuzzed
// against it in FuzzFindDOIs).
func findDOIs(s string) [][]int {
	var locs [][]int
	for off := 0; ; {
		i := strings.Index(s[off:], "10.")
		if i < 0 {
			return locs
		}
		at := off + i
		// \b: RE2's word characters are ASCII letters, digits and '_'.
		if at > 0 && isWordByte(s[at-1]) {
			off = at + 1
			continue
		}
		if m := doiAtRe.FindStringIndex(s[at:]); m != nil {
			locs = append(locs, []int{at, at + m[1]})
			off = at + m[1]
			continue
		}
		off = at + 1
	}
}

func isWordByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// cleanDOI trims punctuation that ends the sentence around a DOI, and
// closing brackets that the DOI itself did not open.
func cleanDOI(s string) string {
	for {
		t := strings.TrimRight(s, ".,;:'\"]}>*")
		for strings.HasSuffix(t, ")") && strings.Count(t, "(") < strings.Count(t, ")") {
			t = t[:len(t)-1]
		}
		if t == s {
			break
		}
		s = t
	}
	return s
}

var (
	// doiContRe: the start of the next line continuing a DOI that ended in
	// ".", "/" or "-" ("10.1371/journal." + "pone.0323994"): DOI characters
	// with at least one digit, not a bare list number ("42.").
	doiContRe = regexp.MustCompile(`^[\p{L}\d][\p{L}\d._;()/:-]*`)
	// doiSepContRe: a next line that itself starts with the separator
	// ("10.1080/00306525" + ".2002.11446745").
	doiSepContRe  = regexp.MustCompile(`^[./-][\p{L}\d][\p{L}\d._;()/:-]*`)
	bareNumberRe  = regexp.MustCompile(`^\d{1,4}[.)]?$`)
	gluedLetterRe = regexp.MustCompile(`\d{4,}(\p{Lu})[.,;]*$`)
)

// joinDOIBreaks rejoins DOIs that a line break split: a DOI ending at a line
// end in ".", "/" or "-" followed by a line starting with DOI characters, or
// a DOI followed by a line starting with ".", "/" or "-" and DOI
// characters. A lone capital glued after the digits of the continuation
// (a neighbouring column's letter) is dropped.
func joinDOIBreaks(s string) string {
	if !strings.Contains(s, "10.") || !strings.Contains(s, "\n") {
		return s
	}
	locs := findDOIs(s)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		if l[0] < last {
			continue
		}
		end := l[1]
		j := end
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if j >= len(s) || s[j] != '\n' {
			continue
		}
		k := j + 1
		for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
			k++
		}
		next := s[k:]
		doi := s[l[0]:end]
		var cont string
		switch c := doi[len(doi)-1]; {
		case c == '.' || c == '/' || c == '-':
			cont = doiContRe.FindString(next)
			if cont == "" || bareNumberRe.MatchString(cont) || !strings.ContainsAny(cont, "0123456789") {
				continue
			}
		case isDOIAlnum(c):
			cont = doiSepContRe.FindString(next)
			if cont == "" || !strings.ContainsAny(cont, "0123456789") {
				continue
			}
		default:
			continue
		}
		trimmed := cleanDOI(cont)
		if m := gluedLetterRe.FindStringSubmatchIndex(trimmed); m != nil {
			trimmed = trimmed[:m[2]]
		}
		b.WriteString(s[last:end])
		b.WriteString(trimmed)
		// Keep the rest of the continuation line on a line of its own.
		last = k + len(trimmed)
		if last < len(s) && s[last] != '\n' {
			b.WriteByte('\n')
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isDOIAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// findDOI returns the first DOI in s, cleaned, or "".
func findDOI(s string) string {
	m := doiRe.FindString(s)
	if m == "" {
		return ""
	}
	return cleanDOI(m)
}

// parseYear returns the first plausible year in s, or 0.
func parseYear(s string) int {
	m := yearRe.FindStringSubmatch(s)
	if m == nil {
		return 0
	}
	y := 0
	for _, c := range m[1] {
		y = y*10 + int(c-'0')
	}
	return y
}

// dehyphenate removes the PDF engine's U+0002 marker (it stands where a word
// was hyphenated at a line end, so the line break after it goes too) and
// joins lower-case words hyphenated across line breaks.
func dehyphenate(s string) string {
	if strings.IndexByte(s, '\x02') >= 0 {
		var b strings.Builder
		b.Grow(len(s))
		for i := 0; i < len(s); i++ {
			if s[i] != '\x02' {
				b.WriteByte(s[i])
				continue
			}
			for i+1 < len(s) && (s[i+1] == '\n' || s[i+1] == '\r' || s[i+1] == ' ' || s[i+1] == '\t') {
				i++
			}
		}
		s = b.String()
	}
	if strings.Contains(s, "\uFFFE") {
		// PDFium's other soft-hyphen mark, if an engine left it in: before
		// a line break and a lower-case continuation it joins the halves,
		// elsewhere it is a hyphen.
		s = softHyphenBreakRe.ReplaceAllString(s, "$1$2")
		s = strings.ReplaceAll(s, "\uFFFE", "-")
	}
	if strings.Contains(s, "\n") {
		s = joinHyphenBreaks(s)
	}
	return s
}

// joinHyphenBreaks is hyphenBreakRe.ReplaceAllString(s, "$1$2") written out:
// the regular expression tries a match at every lower-case letter of the
// document, which made it one of the costliest steps of extracting a
// paper; this looks only at hyphens. The result is the same (fuzzed
// against the expression in FuzzJoinHyphenBreaks): leftmost matches that
// do not overlap, so in "a-\nb-\nc" the "b" that ended the first match
// cannot start a second.
func joinHyphenBreaks(s string) string {
	var b strings.Builder
	last := 0 // where the text still to copy starts (0: no match yet)
	end := 0  // end of the last match: the next one must start at or after it
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r != '-' && r != '\u00AD' && r != '\u2010' {
			i += n
			continue
		}
		before, bn := utf8.DecodeLastRuneInString(s[:i])
		start := i - bn
		j := i + n
		newline := false
		for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n' || s[j] == '\f' || s[j] == '\r') {
			newline = newline || s[j] == '\n'
			j++
		}
		after, an := utf8.DecodeRuneInString(s[j:])
		if start < end || bn == 0 || !unicode.IsLower(before) || !newline || an == 0 || !unicode.IsLower(after) {
			i += n
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[last:i]) // through the first letter
		last = j                 // the second letter is copied with what follows
		end = j + an
		i = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// normalizeText makes text comparable across formats: valid UTF-8, unified
// line ends, dehyphenated, NFKC, and without control characters other than
// newline, tab and form feed.
func normalizeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexByte(s, '\r') >= 0 {
		s = strings.ReplaceAll(s, "\r\n", "\n")
		s = strings.ReplaceAll(s, "\r", "\n")
	}
	s = dehyphenate(s)
	s = joinSpacingAccents(s)
	s = norm.NFKC.String(s)
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t' || r == '\f':
			return r
		case r == '\u00AD' || r == '\u200B' || r == '\uFEFF':
			return -1 // soft hyphen, zero-width space, BOM carry no text
		case unicode.IsControl(r):
			return ' '
		}
		return r
	}, s)
}

// clean normalises a short field: normalizeText plus white space collapsed.
func clean(s string) string {
	return collapseSpace(normalizeText(s))
}

func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// tidyPunct removes the space that element boundaries leave before
// punctuation ("2008 ." → "2008.") and after opening brackets.
var spaceBeforePunctRe = regexp.MustCompile(`\s+([.,;:)\]])`)
var spaceAfterOpenRe = regexp.MustCompile(`([(\[])\s+`)

func tidyPunct(s string) string {
	s = spaceBeforePunctRe.ReplaceAllString(s, "$1")
	return spaceAfterOpenRe.ReplaceAllString(s, "$1")
}

// truncateRunes cuts s to at most n bytes on a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// poller checks ctx every ctxPoll calls, keeping the check cheap in hot loops.
type poller struct {
	ctx context.Context
	n   int
}

func (p *poller) err() error {
	p.n++
	if p.n%ctxPoll != 0 {
		return nil
	}
	return p.ctx.Err()
}

// normalizeORCID reduces an ORCID URL or id to the bare 16-digit form.
func normalizeORCID(s string) string {
	if m := orcidRe.FindString(s); m != "" {
		return m
	}
	return collapseSpace(s)
}

// splitGivenFamily splits a display name "Given Middle Family" into given
// and family at the last space.
func splitGivenFamily(full string) (given, family string) {
	full = collapseSpace(full)
	if i := strings.LastIndexByte(full, ' '); i > 0 {
		return full[:i], full[i+1:]
	}
	return "", full
}

func joinName(given, family string) string {
	return collapseSpace(given + " " + family)
}

// spacingAccents maps the spacing forms of accents, which PDFs made with
// TeX put before the letter they sit on ("L´evy"), to the combining marks
// (NFKC would make them a space and a mark: "L ́evy").
var spacingAccents = map[rune]rune{
	'\u00b4': '\u0301', '\u00a8': '\u0308', '\u02c6': '\u0302', '\u02dc': '\u0303', '\u02c7': '\u030c',
	'\u02d8': '\u0306', '\u02d9': '\u0307', '\u02da': '\u030a', '\u02dd': '\u030b',
}

// joinSpacingAccents puts a spacing accent before a letter onto the letter
// ("´e" → "é") where the two make one precomposed character; any other is
// left as it is ("don´t").
func joinSpacingAccents(s string) string {
	k := nextSpacingAccent(s)
	if k < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for k >= 0 {
		b.WriteString(s[:k])
		r, w := utf8.DecodeRuneInString(s[k:])
		next, nw := utf8.DecodeRuneInString(s[k+w:])
		if c := norm.NFC.String(string(next) + string(spacingAccents[r])); unicode.IsLetter(next) && utf8.RuneCountInString(c) == 1 {
			b.WriteString(c)
			s = s[k+w+nw:]
		} else {
			b.WriteString(s[k : k+w])
			s = s[k+w:]
		}
		k = nextSpacingAccent(s)
	}
	b.WriteString(s)
	return b.String()
}

// nextSpacingAccent is the offset of the first of spacingAccents in s, or
// -1. Their UTF-8 forms start with 0xC2 or 0xCB, which IndexByte finds
// fast; strings.IndexAny with non-ASCII characters decodes every rune.
func nextSpacingAccent(s string) int {
	off := 0
	for {
		i, j := strings.IndexByte(s, 0xC2), strings.IndexByte(s, 0xCB)
		if i < 0 || j >= 0 && j < i {
			i = j
		}
		if i < 0 || i+1 >= len(s) {
			return -1
		}
		r, _ := utf8.DecodeRuneInString(s[i:])
		if _, ok := spacingAccents[r]; ok {
			return off + i
		}
		off += i + 1
		s = s[i+1:]
	}
}
