package extract

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	refNumRe = regexp.MustCompile(`^\s*(?:\[(\d{1,5})\]|\((\d{1,5})\)|(\d{1,5})[.)])\s*`)
	// The DOI with whatever introduces it ("doi:", "DOI: https://doi.org/").
	refDOIRe = regexp.MustCompile(`(?i)(?:\bdoi\s*:?\s*)?(?:https?://(?:dx\.)?doi\.org/)?\b(10\.\d{4,9}/[^\s"<>\x{201c}\x{201d}]+)`)
	urlRe    = regexp.MustCompile(`(?i)(?:\b(?:available|accessed|retrieved)\b[^.]*?)?\b(?:https?://|www\.)\S+`)
	pmidRe   = regexp.MustCompile(`(?i)\b(?:PMID|PMCID|PubMed|ISBN|ISSN|arXiv)\s*:?\s*[\w.\-/]+`)
	quoteRe  = regexp.MustCompile(`[“"‘]([^”"’]{4,}?)[,.]?[”"’]`)
	// "(2019)", "(2019a)", "(2019, May 3)", "(n.d.)"
	apaYearRe = regexp.MustCompile(`\(\s*((?:1[5-9]|20)\d\d)[a-z]?(?:,[^)]{0,30})?\s*\)|\(n\.\s?d\.\)`)
	// Vancouver "2019;12(3):45-67" and "2019 Mar;12"
	vancYearRe = regexp.MustCompile(`\b((?:1[5-9]|20)\d\d)[a-z]?(?:\s+[A-Z][a-z]{2,8}(?:\s+\d{1,2})?)?\s*;\s*`)
	// Harvard/eLife "Author A. 2019. Title": a bare year as its own sentence.
	bareYearSegRe = regexp.MustCompile(`^\(?((?:1[5-9]|20)\d\d)[a-z]?\)?$`)
	volIssRe      = regexp.MustCompile(`\b(\d{1,5})\s*\(\s*([^()]{1,20})\s*\)(?:\s*[:,]\s*(?:pp?\.?\s*)?([A-Za-z]?\d+(?:\s*[-–—]\s*[A-Za-z]?\d+)?))?`)
	volPagesRe    = regexp.MustCompile(`\b(\d{1,5})\s*:\s*(?:pp?\.?\s*)?([A-Za-z]?\d+(?:\s*[-–—]\s*[A-Za-z]?\d+)?)\b`)
	spaceVolRe    = regexp.MustCompile(`(?:^|[\s.])(\d{1,5})\s*,\s*((?:[A-Za-z]?\d+(?:\s*[-–—]\s*[A-Za-z]?\d+)?))\b`)
	volWordRe     = regexp.MustCompile(`(?i)\b(?:vol(?:ume)?\.?)\s*(\d+)`)
	pagesWordRe   = regexp.MustCompile(`(?i)\b(?:pp?\.|pages)\s*([A-Za-z]?\d+(?:\s*[-–—]\s*[A-Za-z]?\d+)?)`)
	// ", 12, 45–67" and APA 7's e-locator ", 238, Article 108177".
	commaVolRe = regexp.MustCompile(`(?i),\s*(\d{1,5})\s*,\s*(?:article(?:\s+no\.?)?\s+)?([A-Za-z]?\d+(?:\s*[-–—]\s*[A-Za-z]?\d+)?)\b`)
	etAlRe     = regexp.MustCompile(`(?i),?\s*\bet\.?\s*al\b\.?|…|\.\.\.`)
	edsRe      = regexp.MustCompile(`(?i)\(\s*eds?\.?\s*\)|\beds?\.$`)
	initialsRe = regexp.MustCompile(`^(?:\p{Lu}\.?\s?-?\s?){1,4}$|^(?:\p{Lu}\.\s?-?\s?){5,6}$`)
	vancNameRe = regexp.MustCompile(`^(\p{Lu}[\p{L}'’\-]+(?:\s+\p{L}[\p{L}'’\-]+)*)\s+(\p{Lu}{1,3})$`)
	// "[cited 2024 Apr 14]", "accessed 3 May 2021": a year that is not the publication's.
	accessDateRe = regexp.MustCompile(`(?i)\b(?:cited|accessed|retrieved|viewed|updated|downloaded)\b[^\])\d]{0,15}(?:\d{1,2}[^\])\d]{1,12})?$`)
	inPrefixRe   = regexp.MustCompile(`(?i)^in:?\s+`)
)

// maxRefLen bounds the work on one reference string; real ones are < 1 KB.
const maxRefLen = 4096

// ParseReference splits one raw reference string into fields. It handles
// the common styles: numbered IEEE-like ("A. Author, B. Author. Title.
// Venue, 12(3):45-67, 2019."), author-year APA-like ("Author A, Author B
// (2019) Title. Venue 12:45–67.") and Vancouver ("Author AB, Author CD.
// Title. Venue. 2019;12(3):45-67."). Authors come back as "Given Family".
// Raw is the cleaned input (dehyphenated, NFKC, white space collapsed).
// Unrecognised parts are left empty rather than guessed.
func ParseReference(raw string) Reference {
	s := clean(truncateBytes(raw, maxRefLen))
	ref := Reference{Raw: s}
	if m := refNumRe.FindStringSubmatch(s); m != nil {
		for _, g := range m[1:] {
			if n, err := strconv.Atoi(g); err == nil {
				ref.Index = n
			}
		}
		s = s[len(m[0]):]
	}
	// Each expression runs only where the words it needs occur: most
	// references have no URL, PMID or access date, and the expressions
	// (whose optional prefixes defeat the regexp package's literal scan)
	// were a quarter of reference parsing.
	if mayHaveDOI(s) {
		if loc := refDOIRe.FindStringSubmatchIndex(s); loc != nil {
			full := s[loc[2]:loc[3]]
			ref.DOI = cleanDOI(full)
			end := loc[2] + len(ref.DOI)
			s = s[:loc[0]] + " " + s[end:]
		}
	}
	if mayHaveAccessed(s) {
		s = accessedRe.ReplaceAllString(s, " ")
	}
	if mayHaveURL(s) {
		s = urlRe.ReplaceAllString(s, " ")
	}
	if mayHaveID(s) {
		s = pmidRe.ReplaceAllString(s, " ")
	}
	s = collapseSpace(s)
	s = strings.TrimRight(s, " ,;:")

	var authors, title, rest string
	if m := quoteRe.FindStringSubmatchIndex(s); m != nil && m[0] > 0 && quotedTitle(s, m) {
		// IEEE/Chicago: the title is quoted.
		authors, title, rest = s[:m[0]], s[m[2]:m[3]], s[m[1]:]
		if y := yearRe.FindStringSubmatch(authors); y != nil {
			ref.Year = atoi(y[1])
			authors = yearRe.ReplaceAllString(authors, "")
			authors = strings.NewReplacer("()", "", "( )", "").Replace(authors)
		}
	} else if m := apaYearRe.FindStringSubmatchIndex(s); m != nil && m[0] > 0 && (looksLikeAuthors(s[:m[0]]) || orgAuthor(s[:m[0]])) {
		authors = s[:m[0]]
		if m[2] >= 0 {
			ref.Year = atoi(s[m[2]:m[3]])
		}
		after := strings.TrimLeft(s[m[1]:], " .,:")
		segs := splitSegments(after, false)
		if len(segs) > 0 {
			title, rest = segs[0], strings.Join(segs[1:], ". ")
		}
	} else if a, t, r, ok := splitLeadingAuthors(s); ok {
		authors, title, rest = a, t, r
	} else {
		segs := splitSegments(s, true)
		if len(segs) >= 2 && looksLikeAuthors(segs[0]) {
			authors, segs = segs[0], segs[1:]
		}
		// "Author A. 2019. Title. Venue": the year has its own sentence.
		if len(segs) >= 2 {
			if y := bareYearSegRe.FindStringSubmatch(segs[0]); y != nil {
				ref.Year = atoi(y[1])
				segs = segs[1:]
			}
		}
		if len(segs) >= 2 || (len(segs) == 1 && authors != "") {
			title, rest = segs[0], strings.Join(segs[1:], ". ")
		} else if len(segs) == 1 {
			rest = segs[0]
			// A work without authors, "Title, Publisher Std., March
			// 2011": the title is what precedes the trailing date.
			if m := trailingDateRe.FindStringIndex(segs[0]); m != nil && authors == "" && len(strings.Fields(segs[0][:m[0]])) >= 3 {
				title = segs[0][:m[0]]
				rest = ""
			} else if authors == "" && refYearIndex(segs[0]) == nil && len(strings.Fields(segs[0])) >= 3 && !strings.ContainsAny(segs[0], ":;") {
				// No authors, no date, no volume: a bare title ("Efficient
				// XML Interchange (EXI) Format 1.0, W3C Std.").
				title, rest = segs[0], ""
			}
		}
	}
	ref.Authors = splitAuthors(authors)
	book := false
	if m := bookPublisherRe.FindStringSubmatchIndex(title); m != nil {
		// "Book Title; Publisher: City, 2004": a book, whose title is
		// the whole work; the publisher is no venue.
		title, rest, book = title[:m[2]], title[m[3]:]+". "+rest, true
	}
	ref.Title = strings.Trim(title, " .,;:\"'“”‘’")
	parseVenue(rest, &ref)
	if book {
		ref.Venue = ""
	}
	if ref.Year == 0 {
		if m := refYearIndex(s); m != nil {
			ref.Year = atoi(s[m[2]:m[3]])
		}
	}
	return ref
}

var (
	// Building blocks of a leading author list: a surname ("Smith",
	// "O'Neil", "van der Berg", "Wynne-Jones") and initials ("F.", "J. A.",
	// "M.M.", "J.-P.").
	refSurname  = `(?:(?:van|von|de|der|den|da|di|du|del|dos|la|le|ten|ter)\s+)*\p{Lu}[\p{L}'’]+(?:[ -]\p{Lu}[\p{L}'’]+){0,2}`
	refInitials = `(?:\p{Lu}\.\s?-?){1,4}`
	// "Surname, I.[, Surname, I.]*[,] [&|and] Surname, I." followed by the title.
	// MDPI and ACS separate the names with semicolons ("Smith, J.;
	// Doe, A.B.") and may end the list with "et al.".
	surnameFirstRe = regexp.MustCompile(`^(` + refSurname + `,\s*` + refInitials + `(?:[,;]\s*` + refSurname + `,\s*` + refInitials + `)*(?:[,;]?\s*(?:&|and)\s+` + refSurname + `,\s*` + refInitials + `)?(?:[,;]?\s*et\.?\s*al\.)?)\s*`)
	// "I. Surname[, I.I. Surname]*[,] [and I. Surname]," followed by the title.
	initialsFirstRe = regexp.MustCompile(`^(` + refInitials + `\s?` + refSurname + `(?:,\s*` + refInitials + `\s?` + refSurname + `)*(?:,?\s*(?:&|and)\s+` + refInitials + `\s?` + refSurname + `)?),\s+`)
	surnameStartRe  = regexp.MustCompile(`^` + refSurname + `,\s*` + refInitials)
	initialStartRe  = regexp.MustCompile(`^` + refInitials + `\s?` + refSurname + `\b`)
	// The author list goes on past what the patterns took.
	listGoesOnRe = regexp.MustCompile(`^(?:&|and\b|et\.? al\b|\p{Lu}\.)`)
	// Where the venue's volume or year begins after "Title, Venue".
	venueNumRe = regexp.MustCompile(`\s\(?\d`)
)

// splitLeadingAuthors recognises a reference that opens with a list of
// "Surname, I." or "I. Surname," names whose end the sentence splitter
// cannot see ("Xia, F. Qos challenges…", "S. Sanaye, M.M. Ghafurian,
// Applying relative…, Energy Build. 86 (2015) 91–104"). It returns the
// author list, the title and the rest (venue, volume, pages).
func splitLeadingAuthors(s string) (authors, title, rest string, ok bool) {
	if m := surnameFirstRe.FindStringSubmatchIndex(s); m != nil {
		after := s[m[1]:]
		if after != "" && !surnameStartRe.MatchString(after) && !listGoesOnRe.MatchString(after) && startsTitle(after) {
			if segs := splitSegments(after, false); len(segs) > 0 {
				return s[m[2]:m[3]], segs[0], strings.Join(segs[1:], ". "), true
			}
		}
	} else if m := initialsFirstRe.FindStringSubmatchIndex(s); m != nil {
		after := s[m[1]:]
		if after != "" && !initialStartRe.MatchString(after) && !listGoesOnRe.MatchString(after) && startsTitle(after) {
			if t, r, ok := commaTitle(after); ok {
				return s[m[2]:m[3]], t, r, true
			}
		}
	}
	// "Shunlei Li, et al., Title, Venue…" / "A. Author et al. Title.
	// Venue…": whatever the name style, "et al." ends the author list.
	if m := etAlEndRe.FindStringSubmatchIndex(s); m != nil && namesOnly(s[:m[2]]) {
		after := s[m[1]:]
		if after == "" || !startsTitle(after) {
			return "", "", "", false
		}
		if strings.Contains(s[m[2]:m[1]], ",") {
			if t, r, ok := commaTitle(after); ok {
				return s[:m[2]], t, r, true
			}
			return "", "", "", false
		}
		segs := splitSegments(after, false)
		if len(segs) == 0 {
			return "", "", "", false
		}
		return s[:m[2]], segs[0], strings.Join(segs[1:], ". "), true
	}
	return "", "", "", false
}

var (
	// accessedRe: "(accessed on 10 June 2014)", "[cited 2024 Apr 14]".
	accessedRe = regexp.MustCompile(`(?i)[(\[]\s*(?:last\s+)?(?:accessed|retrieved|cited|viewed)\b[^)\]]{0,40}[)\]]`)
	// trailingDateRe: ", March 2011" / ", 2011" closing a segment.
	trailingDateRe = regexp.MustCompile(`,\s+(?:(?:\d{1,2}\s+)?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?\s+)?(?:1[89]|20)\d\d$`)
)

// quotedTitle: the quotation m (a quoteRe match in s) is a whole title
// set off by punctuation (IEEE "Title," Venue), not a phrase quoted
// inside one ("the “open-ended” habitat").
func quotedTitle(s string, m []int) bool {
	inner := strings.TrimRight(s[m[0]:m[1]], "”\"’")
	if strings.HasSuffix(inner, ",") || strings.HasSuffix(inner, ".") {
		return true
	}
	after := strings.TrimLeft(s[m[1]:], " ")
	return after == "" || strings.ContainsRune(",.:;", firstRune(after))
}

// orgAuthor: an author-year entry by an organisation or a one-word name,
// "Brasil. (1998)." or "R Core Team. (2020).": a few capitalised words
// closed by a period.
func orgAuthor(s string) bool {
	s = strings.TrimSpace(s)
	f := strings.Fields(s)
	if !strings.HasSuffix(s, ".") || len(f) == 0 || len(f) > 12 || strings.ContainsAny(s, "0123456789") {
		return false
	}
	return unicode.IsUpper(firstRune(s))
}

// bookPublisherRe: a title segment that goes on with "; Publisher:
// Place" (MDPI, ACS and similar book citations).
var bookPublisherRe = regexp.MustCompile(`^.{3,}?(;\s+\p{Lu}[^;:.]{0,60}(?:\.[^;:.]{0,30})?:\s+\p{Lu})`)

// etAlEndRe: "et al." closing a short author list, followed by the comma
// or period that separates it from the title.
var etAlEndRe = regexp.MustCompile(`^[^()\d]{2,120}?(,?\s*\bet\.?\s*al\.?\s*[,.:]?\s+)`)

// namesOnly: s is a short list of names — every word capitalised, an
// initial or a particle, with commas, "and" or "&" between names.
func namesOnly(s string) bool {
	f := strings.Fields(s)
	if len(f) == 0 || len(f) > 40 {
		return false
	}
	for _, w := range f {
		w = strings.Trim(w, ",;")
		if w == "" || w == "&" || isParticle(w) {
			continue
		}
		if !unicode.IsUpper(firstRune(w)) || strings.ContainsAny(w, ":/@\"“”") {
			return false
		}
	}
	return true
}

// commaTitle splits "Title, Venue 86 (2015) 91–104" (Elsevier and IEEE
// styles, where commas separate the parts): the title ends at the last
// comma before the venue's numbers. Without such a comma it falls back to
// sentence boundaries.
func commaTitle(after string) (title, rest string, ok bool) {
	body := after
	if loc := venueNumRe.FindStringIndex(after); loc != nil {
		body = after[:loc[0]]
	}
	if i := strings.LastIndex(body, ", "); i > 0 {
		return after[:i], after[i+2:], true
	}
	// "Title, 10.2, Heliyon (2024)": the numbers follow the title's comma.
	if t := strings.TrimRight(body, " "); strings.HasSuffix(t, ",") && len(t) > 1 {
		return t[:len(t)-1], after[len(t):], true
	}
	segs := splitSegments(after, false)
	if len(segs) == 0 {
		return "", "", false
	}
	return segs[0], strings.Join(segs[1:], ". "), true
}

// startsTitle: a title begins with a letter, digit or quote, not with a
// year or punctuation.
func startsTitle(s string) bool {
	r := firstRune(s)
	if len(s) >= 4 && isYear(s[:4]) {
		return false
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("\"“‘'", r)
}

// endsPageRange: the text before a number ends in "443-", so the number is
// the end of a page range ("443-455 (2018)"), not a volume.
func endsPageRange(before string) bool {
	t := strings.TrimRight(before, " ")
	for _, d := range []string{"-", "–", "—"} {
		if strings.HasSuffix(t, d) {
			t = strings.TrimRight(strings.TrimSuffix(t, d), " ")
			return t != "" && t[len(t)-1] >= '0' && t[len(t)-1] <= '9'
		}
	}
	return false
}

// blank replaces s[i:j] with spaces, keeping offsets.
func blank(s string, i, j int) string {
	return s[:i] + strings.Repeat(" ", j-i) + s[j:]
}

// refYearIndex finds the publication year in a reference fragment: a
// 4-digit year 1800–2100 that is not part of a page range or a
// "volume(issue):pages" group, nor an access date ("[cited 2024 Apr 14]"). A year in parentheses wins, then the last
// one. It returns the submatch index like FindStringSubmatchIndex, or nil.
func refYearIndex(s string) []int {
	var best []int
	bestParen := false
	for _, m := range yearRe.FindAllStringSubmatchIndex(s, -1) {
		y := atoi(s[m[2]:m[3]])
		if y < 1800 || y > 2100 || inNumberGroup(s, m[2], m[3]) || accessDateRe.MatchString(s[max(0, m[2]-24):m[2]]) {
			continue
		}
		paren := m[2] > 0 && s[m[2]-1] == '(' && m[3] < len(s) && strings.ContainsRune(")abcdefghijklmnopqrstuvwxyz,", rune(s[m[3]]))
		if best == nil || paren || !bestParen {
			best, bestParen = m, paren
		}
	}
	return best
}

// inNumberGroup reports whether the number s[i:j] belongs to a page range
// ("1836-1855", "12–1836") or a volume/pages group ("36(11):1836",
// "1995(3)", "12:1836").
func inNumberGroup(s string, i, j int) bool {
	before := strings.TrimRight(s[:i], " ")
	after := strings.TrimLeft(s[j:], " ")
	dash := func(t string, suffix bool) bool {
		for _, d := range []string{"-", "–", "—"} {
			if suffix && strings.HasSuffix(t, d) || !suffix && strings.HasPrefix(t, d) {
				return true
			}
		}
		return false
	}
	if dash(after, false) {
		rest := strings.TrimLeft(strings.TrimLeft(strings.TrimLeft(after, "-"), "–—"), " ")
		if rest != "" && unicode.IsDigit(firstRune(rest)) {
			return true
		}
	}
	if dash(before, true) {
		b := strings.TrimRight(strings.TrimRight(strings.TrimRight(before, "-"), "–—"), " ")
		if b != "" && unicode.IsDigit(rune(b[len(b)-1])) {
			return true
		}
	}
	if strings.HasSuffix(before, ":") || strings.HasPrefix(s[j:], "(") {
		return true
	}
	return false
}

// parseVenue reads year, volume and pages from the part after the title;
// the venue is what precedes the first of them.
func parseVenue(rest string, ref *Reference) {
	rest = strings.TrimSpace(inPrefixRe.ReplaceAllString(strings.TrimSpace(rest), ""))
	if rest == "" {
		return
	}
	cut := len(rest)
	mark := func(i int) {
		if i >= 0 && i < cut {
			cut = i
		}
	}
	work := rest
	if m := vancYearRe.FindStringSubmatchIndex(work); m != nil {
		if ref.Year == 0 {
			ref.Year = atoi(work[m[2]:m[3]])
		}
		mark(m[0])
		work = work[:m[0]] + strings.Repeat(" ", m[1]-m[0]) + work[m[1]:]
	}
	if m := volIssRe.FindStringSubmatchIndex(work); m != nil && !isYear(work[m[2]:m[3]]) && !endsPageRange(work[:m[2]]) {
		ref.Volume = work[m[2]:m[3]]
		if m[6] >= 0 {
			ref.Pages = normPages(work[m[6]:m[7]])
		}
		mark(m[0])
		work = blank(work, m[0], m[1])
	} else if m := volPagesRe.FindStringSubmatchIndex(work); m != nil && !isYear(work[m[2]:m[3]]) {
		ref.Volume, ref.Pages = work[m[2]:m[3]], normPages(work[m[4]:m[5]])
		mark(m[0])
		work = blank(work, m[0], m[1])
	} else if m := commaVolRe.FindStringSubmatchIndex(work); m != nil && !isYear(work[m[2]:m[3]]) {
		ref.Volume, ref.Pages = work[m[2]:m[3]], normPages(work[m[4]:m[5]])
		mark(m[0])
		work = blank(work, m[0], m[1])
	} else if m := spaceVolRe.FindStringSubmatchIndex(work); m != nil && !isYear(work[m[2]:m[3]]) {
		// "Sci. Rep. 12, 1", "Environ. Int. 120, 443-455"
		ref.Volume, ref.Pages = work[m[2]:m[3]], normPages(work[m[4]:m[5]])
		mark(m[2])
		work = blank(work, m[2], m[1])
	}
	if m := volWordRe.FindStringSubmatchIndex(work); m != nil {
		if ref.Volume == "" {
			ref.Volume = work[m[2]:m[3]]
		}
		mark(m[0])
	}
	if m := pagesWordRe.FindStringSubmatchIndex(work); m != nil {
		if ref.Pages == "" {
			ref.Pages = normPages(work[m[2]:m[3]])
		}
		mark(m[0])
	}
	if m := refYearIndex(work); m != nil {
		if ref.Year == 0 {
			ref.Year = atoi(work[m[2]:m[3]])
		}
		mark(m[0])
	}
	venue := rest[:cut]
	// "Book Title; Editor, Ed.; Publisher: City": the venue is what
	// comes before the first semicolon.
	if i := strings.Index(venue, "; "); i > 0 {
		venue = venue[:i]
	}
	// Drop a trailing "(" left from "(2019)" and the volume-less remainder.
	venue = strings.TrimRight(venue, " .,;:([")
	ref.Venue = strings.TrimLeft(venue, " .,;:")
}

func normPages(p string) string {
	p = strings.NewReplacer("–", "-", "—", "-", " ", "").Replace(p)
	return p
}

func isYear(s string) bool {
	return len(s) == 4 && yearRe.MatchString(s)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// splitSegments cuts a reference at sentence boundaries: ". " (or "? ",
// "! ") followed by an upper-case letter, digit, quote or bracket. A period
// after a single-letter initial is not a boundary ("J. A. Smith"), except
// at the end of a Vancouver author list ("Smith J, Doe A. Title"), which is
// recognised when the initial follows a surname with no comma and we are
// still in the first segment (authors=true).
func splitSegments(s string, authors bool) []string {
	var segs []string
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '.' && c != '?' && c != '!' {
			continue
		}
		// next non-space
		j := i + 1
		if j < len(s) && s[j] != ' ' {
			continue
		}
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j >= len(s) {
			break
		}
		r, _ := utf8.DecodeRuneInString(s[j:])
		if !(unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune("\"“‘'([", r) || camelWord(s[j:])) {
			continue
		}
		if c == '.' {
			tok, prev := lastTokens(s[start:i])
			if isAbbrev(tok) {
				continue
			}
			if utf8.RuneCountInString(strings.TrimLeft(tok, "-")) == 1 && unicode.IsUpper(firstRune(tok)) {
				nextIsYear := j+4 <= len(s) && isYear(s[j:j+4])
				vancEnd := authors && len(segs) == 0 && prev != "" && !strings.HasSuffix(prev, ",") &&
					!strings.HasSuffix(prev, ".") && utf8.RuneCountInString(prev) > 1 && unicode.IsUpper(firstRune(prev)) &&
					!isParticle(prev)
				if !nextIsYear && !vancEnd {
					continue
				}
			}
		}
		if seg := strings.TrimSpace(s[start:i]); seg != "" {
			segs = append(segs, seg)
		}
		start = j
	}
	if seg := strings.TrimSpace(strings.TrimRight(s[start:], ". ")); seg != "" {
		segs = append(segs, seg)
	}
	return segs
}

// camelWord: the text starts with a word in lower camel case ("eLife",
// "iScience", "mBio"), which can open a sentence in a reference.
func camelWord(s string) bool {
	end := strings.IndexAny(s, " ,.;:")
	if end < 0 {
		end = len(s)
	}
	w := s[:end]
	if !unicode.IsLower(firstRune(w)) {
		return false
	}
	for _, r := range w {
		if unicode.IsUpper(r) {
			return true
		}
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return false
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

// lastTokens returns the last word of s (the one the period ends) and the
// word before it.
func lastTokens(s string) (tok, prev string) {
	f := strings.Fields(s)
	if len(f) > 0 {
		tok = f[len(f)-1]
		if i := strings.LastIndexAny(tok, "-."); i >= 0 && i+1 < len(tok) {
			tok = tok[i+1:] // "J.-P" → "P"
		}
	}
	if len(f) > 1 {
		prev = f[len(f)-2]
	}
	return tok, prev
}

var abbrevs = map[string]bool{"vs": true, "e.g": true, "i.e": true, "etc": true, "Vol": true, "vol": true,
	"No": true, "no": true, "pp": true, "p": true, "ed": true, "eds": true, "Ed": true, "Eds": true,
	"Jr": true, "Sr": true, "St": true, "Dr": true, "Proc": true, "Conf": true, "Int": true, "Natl": true, "Acad": true, "Sci": true}

func isAbbrev(tok string) bool { return abbrevs[strings.TrimRight(tok, ".,")] && len(tok) > 1 }

// familyParticles are the lower-case words that start family names ("van
// Aarde", "du Preez").
var familyParticles = map[string]bool{"van": true, "von": true, "de": true, "der": true, "den": true, "la": true, "le": true,
	"du": true, "da": true, "di": true, "del": true, "dos": true, "ten": true, "ter": true}

// particles are the small words inside a list of author names: family
// particles, the Spanish "y", and the words that join names.
var particles = func() map[string]bool {
	m := map[string]bool{"y": true, "and": true, "&": true, "et": true, "al": true, "al.": true}
	for p := range familyParticles {
		m[p] = true
	}
	return m
}()

// isParticle: "van", "de", "y", ... An upper-case single letter ("Y",
// "Y.") is an initial, not the Spanish "y".
func isParticle(s string) bool {
	t := strings.Trim(s, ",.")
	if utf8.RuneCountInString(t) == 1 && unicode.IsUpper(firstRune(t)) {
		return false
	}
	return particles[strings.ToLower(t)]
}

// looksLikeAuthors: mostly capitalised words or initials, with commas,
// "and"/"&" or initials, and not too long.
func looksLikeAuthors(s string) bool {
	s = strings.TrimSpace(s)
	f := strings.Fields(s)
	if len(f) == 0 || len(f) > 400 || !unicode.IsUpper(firstRune(s)) {
		return false
	}
	caps, initials := 0, 0
	for _, w := range f {
		w2 := strings.Trim(w, ",.;:()")
		switch {
		case w2 == "":
			caps++
		case isParticle(w2):
			caps++
		case unicode.IsUpper(firstRune(w2)):
			caps++
			if initialsRe.MatchString(w2) || (utf8.RuneCountInString(w2) <= 3 && strings.ToUpper(w2) == w2) {
				initials++
			}
		}
	}
	if caps*10 < len(f)*8 {
		return false
	}
	return initials > 0 || strings.Contains(s, ",") || strings.Contains(s, " and ") || strings.Contains(s, "&")
}

// splitAuthors splits an author list into "Given Family" strings. It copes
// with "Surname, I. I.," (APA), "Surname II" (Vancouver) and "I. I.
// Surname" (IEEE).
func splitAuthors(s string) []string {
	s = etAlRe.ReplaceAllString(s, "")
	s = edsRe.ReplaceAllString(s, "")
	s = strings.TrimSpace(strings.Trim(s, " ,;:"))
	if s == "" {
		return nil
	}
	s = strings.NewReplacer(" & ", ", ", ", and ", ", ", " and ", ", ", ";", ",").Replace(s)
	pieces := strings.Split(s, ",")
	var out []string
	for i := 0; i < len(pieces) && len(out) < maxAuthors; i++ {
		p := strings.TrimSpace(pieces[i])
		if p == "" || strings.ContainsAny(p, "0123456789") {
			continue
		}
		// "Smith, J. A." → surname piece followed by an initials piece.
		if i+1 < len(pieces) && isSurnameOnly(p) {
			next := strings.TrimSpace(pieces[i+1])
			if initialsRe.MatchString(next) || isGivenNames(next) {
				out = append(out, joinName(next, p))
				i++
				continue
			}
		}
		// "Carignano Torres, P." / "Onofre Dos Santos, R.": a surname of
		// several words, recognisable by the bare initials after it.
		if i+1 < len(pieces) && isCompoundSurname(p) {
			if next := strings.TrimSpace(pieces[i+1]); strings.Contains(next, ".") && initialsRe.MatchString(next) {
				out = append(out, joinName(next, p))
				i++
				continue
			}
		}
		if m := vancNameRe.FindStringSubmatch(p); m != nil {
			out = append(out, joinName(m[2], m[1]))
			continue
		}
		p = collapseSpace(p)
		// "Brasil." / "R Core Team.": the period closes the list, it is no
		// initial's.
		if w := lastField(p); strings.HasSuffix(w, ".") && !initialsRe.MatchString(w) && !isAbbrev(w) {
			p = strings.TrimSuffix(p, ".")
		}
		out = append(out, p)
	}
	return out
}

// isSurnameOnly: "van der Berg" — words that are particles or a single capitalised word.
func isSurnameOnly(p string) bool {
	f := strings.Fields(p)
	caps := 0
	for _, w := range f {
		if isParticle(w) {
			continue
		}
		if initialsRe.MatchString(w) {
			return false
		}
		caps++
	}
	return caps == 1
}

// isCompoundSurname: two to four capitalised words or particles, none of
// them an initial.
func isCompoundSurname(p string) bool {
	f := strings.Fields(p)
	if len(f) < 2 || len(f) > 4 {
		return false
	}
	for _, w := range f {
		if isParticle(w) {
			continue
		}
		if !unicode.IsUpper(firstRune(w)) || initialsRe.MatchString(w) || strings.ContainsAny(w, ".()") {
			return false
		}
	}
	return true
}

// isGivenNames: "John A." after a comma in APA-like lists with full given names.
func isGivenNames(p string) bool {
	f := strings.Fields(p)
	if len(f) == 0 || len(f) > 3 {
		return false
	}
	hasInitial := false
	for _, w := range f {
		if !unicode.IsUpper(firstRune(w)) {
			return false
		}
		if initialsRe.MatchString(w) {
			hasInitial = true
		}
	}
	return hasInitial
}

// The may* tests are necessary conditions of refDOIRe, accessedRe, urlRe
// and pmidRe matching (FuzzReferencePrefilters checks it): the literal
// words each expression requires, in any case.
func mayHaveDOI(s string) bool { return strings.Contains(s, "10.") }

func mayHaveAccessed(s string) bool {
	return containsFoldASCII(s, "accessed") || containsFoldASCII(s, "retrieved") ||
		containsFoldASCII(s, "cited") || containsFoldASCII(s, "viewed")
}

func mayHaveURL(s string) bool { return strings.Contains(s, "://") || containsFoldASCII(s, "www.") }

func mayHaveID(s string) bool {
	for _, w := range []string{"pmid", "pmcid", "pubmed", "isbn", "issn", "arxiv"} {
		if containsFoldASCII(s, w) {
			return true
		}
	}
	return false
}

// containsFoldASCII reports whether s contains sub, a lower-case ASCII
// word, in any case. It folds ASCII only: the text has been through clean
// (NFKC), which maps the other letters that Unicode case folding takes to
// ASCII ones (the long s, the Kelvin sign) onto plain letters.
func containsFoldASCII(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i]|0x20 != sub[0] {
			continue
		}
		k := 1
		for k < len(sub) && (s[i+k]|0x20) == sub[k] {
			k++
		}
		if k == len(sub) {
			return true
		}
	}
	return false
}
