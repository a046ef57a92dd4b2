package extract

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	refsHeadingRe = regexp.MustCompile(`(?i)^\s*(?:#{1,6}\s*)?(?:[\dIVX]+\.?\s+)?(?:\*\*)?(references?(?:\s+and\s+notes?)?|bibliography|works\s+cited|literature\s+cited|literature|cited\s+literature|reference\s+list)(?:\*\*)?\s*:?\s*$`)
	bracketNumRe  = regexp.MustCompile(`(?:^|\s)\[(\d{1,4})\]\s`)
	lineNumRe     = regexp.MustCompile(`^\s*(\d{1,4})[.)]\s+\S`)
	bulletRe      = regexp.MustCompile(`^\s*(?:[-*+•]|\d{1,4}[.)])\s+`)
	// Entry starts: "Surname, I." / "Surname, Given" (APA/Chicago) or
	// "Surname IN," / "Surname IN." (Vancouver).
	// An author-year entry by an organisation or a one-word name:
	// "Brasil. (1998).", "World Health Organization. (2020)."
	orgYearStartRe = regexp.MustCompile(`^\p{Lu}[\p{L}&'’\- ]{1,120}(?:\(\p{L}{2,15}\))?\.\s+\(\s*(?:1[5-9]|20)\d\d[a-z]?\s*\)`)
	authorStartRe  = regexp.MustCompile(`^(?:\p{Lu}[\p{L}'’\-]+\s){0,2}\p{Lu}[\p{L}'’\-]+(?:,\s+\p{Lu}[\p{L}]*\.?|\s+\p{Lu}{1,3}[,.])`)
)

// SplitReferences cuts the text of a reference section into one string per
// entry. It tries, in order: bracketed numbers "[1]" (also several on one
// line), line-initial numbers "1." / "1)" in sequence, bullets, blank-line
// paragraphs, hanging indentation, and lines that start like an author
// name after a line that ends an entry. A leading "References" heading is
// dropped. Lines of one entry are joined, with hyphenation undone. At most
// MaxReferences entries are returned.
func SplitReferences(section string) []string {
	section = strings.ToValidUTF8(section, "\uFFFD")
	section = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\f", "\n").Replace(section)
	lines := strings.Split(section, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if refsHeadingRe.MatchString(l) {
			lines = lines[i+1:]
		}
		break
	}
	var entries [][]string
	switch {
	case splitBracketed(lines, &entries):
	case splitNumbered(lines, &entries):
	case splitBullets(lines, &entries):
	case splitParagraphs(lines, &entries):
	case splitHanging(lines, &entries):
	default:
		splitAuthorStarts(lines, &entries)
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		if s := joinRefLines(e); s != "" {
			out = append(out, s)
			if len(out) >= MaxReferences {
				break
			}
		}
	}
	return out
}

// splitBracketed handles "[n]" markers anywhere, accepting only markers
// that continue the sequence, so "[3]" inside a title does not split.
func splitBracketed(lines []string, out *[][]string) bool {
	text := strings.Join(lines, "\n")
	ms := bracketNumRe.FindAllStringSubmatchIndex(text, -1)
	var cuts []int
	next := -1
	for _, m := range ms {
		n, _ := strconv.Atoi(text[m[2]:m[3]])
		if next < 0 && n <= 2 || n == next {
			pos := m[2] - 1 // the '['
			cuts = append(cuts, pos)
			next = n + 1
		}
	}
	if len(cuts) < 2 {
		return false
	}
	for i, c := range cuts {
		end := len(text)
		if i+1 < len(cuts) {
			end = cuts[i+1]
		}
		*out = append(*out, strings.Split(text[c:end], "\n"))
	}
	return true
}

// splitNumbered handles "1." / "1)" at line starts, in sequence.
func splitNumbered(lines []string, out *[][]string) bool {
	var starts []int
	next := -1
	for i, l := range lines {
		m := lineNumRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[1])
		if next < 0 && n <= 2 || n == next {
			starts = append(starts, i)
			next = n + 1
		}
	}
	if len(starts) < 2 {
		return false
	}
	cutAt(lines, starts, out)
	return true
}

func splitBullets(lines []string, out *[][]string) bool {
	var starts []int
	for i, l := range lines {
		if bulletRe.MatchString(l) && !lineNumRe.MatchString(l) {
			starts = append(starts, i)
		}
	}
	if len(starts) < 2 {
		return false
	}
	cutAt(lines, starts, out)
	for i, e := range *out {
		if len(e) > 0 {
			(*out)[i][0] = bulletRe.ReplaceAllString(e[0], "")
		}
	}
	return true
}

// splitParagraphs: entries separated by blank lines, when there are several
// paragraphs and none is implausibly long for one reference.
func splitParagraphs(lines []string, out *[][]string) bool {
	var paras [][]string
	var cur []string
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			if len(cur) > 0 {
				paras = append(paras, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, l)
	}
	if len(cur) > 0 {
		paras = append(paras, cur)
	}
	if len(paras) < 2 {
		return false
	}
	for _, p := range paras {
		if len(p) > 12 {
			return false
		}
	}
	*out = append(*out, paras...)
	return true
}

// splitHanging: the first line of each entry is flush left, continuation
// lines are indented.
func splitHanging(lines []string, out *[][]string) bool {
	var starts []int
	indented := 0
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			indented++
		} else {
			starts = append(starts, i)
		}
	}
	if len(starts) < 2 || indented == 0 {
		return false
	}
	cutAt(lines, starts, out)
	return true
}

func splitAuthorStarts(lines []string, out *[][]string) {
	var starts []int
	prevEnds := true
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		if prevEnds && (authorStartRe.MatchString(t) || orgYearStartRe.MatchString(t) || len(starts) == 0) {
			starts = append(starts, i)
		}
		prevEnds = endsEntry(t)
	}
	if len(starts) == 0 {
		return
	}
	cutAt(lines, starts, out)
}

// endsEntry: a line that can close a reference — ends with a period, a
// digit (pages, year) or a DOI/URL.
func endsEntry(t string) bool {
	r, _ := utf8.DecodeLastRuneInString(t)
	return r == '.' || unicode.IsDigit(r) || r == ')' || doiRe.MatchString(lastField(t)) || isURLTail(lastField(t))
}

// brokenURL: s ends in a URL cut after a period ("http://www."), which
// goes on at the start of the next line.
func brokenURL(s string) bool {
	w := strings.ToLower(lastField(s))
	if !strings.HasSuffix(w, ".") {
		return false
	}
	host := w
	if i := strings.Index(host, "://"); i >= 0 {
		host = host[i+3:]
	} else if !strings.HasPrefix(host, "www.") {
		return false
	}
	// Only while the host name is being written: "http://www.", not
	// "http://x.org/page." closing a sentence.
	return !strings.Contains(host, "/")
}

// isURLTail: the last word of a line is (the end of) a URL, which closes
// an entry as a period would ("…/leis/L5197.htm").
func isURLTail(w string) bool {
	low := strings.ToLower(w)
	if strings.HasPrefix(low, "http") || strings.HasPrefix(low, "www.") {
		return !strings.HasSuffix(low, ".") && !strings.HasSuffix(low, "-")
	}
	i := strings.IndexByte(low, '/')
	return i > 0 && strings.Contains(low[:i], ".") && !strings.HasSuffix(low, "-")
}

func lastField(t string) string {
	f := strings.Fields(t)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

func cutAt(lines []string, starts []int, out *[][]string) {
	for i, s := range starts {
		end := len(lines)
		if i+1 < len(starts) {
			end = starts[i+1]
		}
		*out = append(*out, lines[s:end])
	}
}

// joinRefLines joins the lines of one entry, undoing hyphenation at line
// ends (the U+0002 marker, or "-" between lower-case letters).
func joinRefLines(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		s := b.String()
		switch {
		case b.Len() == 0:
		case strings.HasSuffix(s, "\x02"):
			b.Reset()
			b.WriteString(strings.TrimSuffix(s, "\x02"))
		case strings.HasSuffix(s, "-") && len(s) >= 2 && unicode.IsLower(lastRuneBefore(s, len(s)-1)) && unicode.IsLower(firstRune(l)):
			b.Reset()
			b.WriteString(s[:len(s)-1])
		case strings.HasSuffix(s, "/") || strings.HasSuffix(s, "-") || brokenURL(s):
			// URL or DOI broken at a slash or hyphen: no space.
		default:
			b.WriteByte(' ')
		}
		b.WriteString(l)
	}
	return clean(b.String())
}

func lastRuneBefore(s string, i int) rune {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r
}

// parseReferenceList splits a reference section and parses each entry.
func parseReferenceList(p *poller, section string) ([]Reference, error) {
	entries := SplitReferences(section)
	refs := make([]Reference, 0, len(entries))
	for i, e := range entries {
		if err := p.err(); err != nil {
			return nil, err
		}
		r := ParseReference(e)
		if r.Index == 0 {
			r.Index = i + 1
		}
		refs = append(refs, r)
	}
	return refs, nil
}
