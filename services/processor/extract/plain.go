package extract

import (
	"context"
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	abstractRe  = regexp.MustCompile(`(?i)^\s*(?:a\s?b\s?s\s?t\s?r\s?a\s?c\s?t|summary)\s*(?:[:.—–-]\s*|$)(.*)$`)
	keywordsRe  = regexp.MustCompile(`(?i)^\s*(?:key\s?words?|index terms)\s*[:.—–-]?\s*(.*)$`)
	headingRe   = regexp.MustCompile(`(?i)^\s*(?:(?:\d{1,2}(?:\.\d{1,2})*|[IVX]{1,5})\.?\s+)?(introduction|background|methods?|materials and methods|methods and materials|methodology|results|results and discussion|discussion|conclusions?|related work|experiments?|evaluation|acknowledge?ments?|references|bibliography|literature cited|appendix|supplementary (?:material|information)|data availability|funding|author contributions|competing interests|conflicts? of interest)\s*:?\s*$`)
	numHeadRe   = regexp.MustCompile(`^\s*\d{1,2}(?:\.\d{1,2})*\.?\s+\p{Lu}[^.!?]{2,80}$`)
	noiseRe     = regexp.MustCompile(`(?i)(journal|proceedings|transactions|vol\.|volume \d|issue|\bdoi\b|https?://|www\.|©|\(c\)|copyright|licen[cs]e|open access|received|accepted|published|available online|issn|citation:|correspondence|e-?mail|@|arxiv|preprint|page \d|\bpp\.|creative commons|all rights reserved|downloaded from|elsevier|springer|wiley|frontiers in|plos|bmc |mdpi)`)
	articleKind = regexp.MustCompile(`(?i)^(?:research|original|review|brief|short)?\s*(?:article|paper|letter|report|communication|research|review)s?$`)
	pageNumRe   = regexp.MustCompile(`(?i)^(?:page\s*)?\d{1,5}(?:\s*(?:of|/)\s*\d{1,5})?$`)
	markerRe    = regexp.MustCompile(`[\d*†‡§¶#∗✉⁎]+|\([a-z0-9]\)`)
	endRefsRe   = regexp.MustCompile(`(?i)^\s*(?:appendix|supplementa(?:ry|l)|figure legends|figures|tables?\s*$|supporting information)`)
	// Affiliation markers written as Markdown/Pandoc superscripts
	// ("Smith^1,2^") or HTML ("Smith<sup>a</sup>").
	supMarkerRe = regexp.MustCompile(`(?i)\^[^^\s]{1,12}\^|<sup>[^<]{0,20}</sup>`)
	// A citation line in the header: "Journal of X, 2020, 62(1):1064-1092",
	// "J. X. 2020;62:1-9". The year is followed by a volume.
	citeLineYearRe = regexp.MustCompile(`(?m)^[*_ ]*\p{L}[^\n]{1,200}?[,.]\s*((?:18|19|20)\d\d)\s*[,;]\s*(?:vol\.?\s*)?\d{1,5}\s*(?:\(|:|,|$)`)
	copyYearRe     = regexp.MustCompile(`(?i)(?:©|\(c\)|copyright)\s*(\d{4})|(?:published|available online|issued)[^\n]{0,40}?\b((?:19|20)\d\d)\b`)
)

type textLine struct {
	text  string
	start int // byte offset of the line in the document text
}

func splitLines(text string) []textLine {
	// Counted first: appending would leave up to twice the slice a long
	// document needs (tens of thousands of lines) to the collector.
	out := make([]textLine, 0, strings.Count(text, "\n")+1)
	off := 0
	for off <= len(text) {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			out = append(out, textLine{text[off:], off})
			break
		}
		out = append(out, textLine{text[off : off+i], off})
		off += i + 1
	}
	return out
}

// parsePlain applies the plain-text heuristics (also used for PDF page
// text): header block → title, authors, DOI, year; "Abstract" heading →
// abstract; known or numbered heading lines → sections; the LAST
// references heading → reference list (the last, because the word also
// appears in tables of contents and body text).
func parsePlain(ctx context.Context, raw string, doc *Document) error {
	return parsePlainHint(ctx, raw, doc, "")
}

// parsePlainHint is parsePlain with a title known from elsewhere (a PDF's
// layout): when titleHint is not "", it is the title, and the authors are
// looked for on the lines after the place the title ends in the text.
func parsePlainHint(ctx context.Context, raw string, doc *Document, titleHint string) error {
	poll := &poller{ctx: ctx}
	text := joinDOIBreaks(normalizeText(raw))
	doc.Text = text
	lines := splitLines(text)

	refLine := -1
	for i := len(lines) - 1; i >= 0; i-- {
		if len(lines[i].text) < 60 && refsHeadingRe.MatchString(lines[i].text) {
			refLine = i
			break
		}
	}
	bodyEnd := len(lines)
	if refLine >= 0 {
		bodyEnd = refLine
		end := len(lines)
		for j := refLine + 1; j < len(lines); j++ {
			if len(lines[j].text) < 60 && endRefsRe.MatchString(lines[j].text) {
				end = j
				break
			}
		}
		var sb strings.Builder
		for _, l := range lines[refLine+1 : end] {
			sb.WriteString(l.text)
			sb.WriteByte('\n')
		}
		refs, err := parseReferenceList(poll, sb.String())
		if err != nil {
			return err
		}
		doc.References = refs
	}

	// Sections.
	var heads []int
	for i, l := range lines {
		if err := poll.err(); err != nil {
			return err
		}
		t := strings.TrimSpace(l.text)
		if t == "" || len(t) > 100 {
			continue
		}
		if headingRe.MatchString(t) || i == refLine || (numHeadRe.MatchString(t) && len(strings.Fields(t)) <= 12 && !strings.HasSuffix(t, ",")) {
			heads = append(heads, i)
		}
	}
	for k, h := range heads {
		end := len(text)
		if k+1 < len(heads) {
			end = lines[heads[k+1]].start
		}
		doc.Sections = append(doc.Sections, Section{Heading: strings.TrimSpace(lines[h].text), Start: lines[h].start, End: end})
	}

	// Header block: up to the abstract or the first section heading.
	headerEnd := min(bodyEnd, 80)
	absLine := -1
	for i := 0; i < min(bodyEnd, 300); i++ {
		if abstractRe.MatchString(lines[i].text) && len(lines[i].text) < 4000 {
			absLine = i
			headerEnd = min(headerEnd, i)
			break
		}
	}
	if len(heads) > 0 && heads[0] < headerEnd {
		headerEnd = heads[0]
	}
	header := lines[:max(headerEnd, 0)]
	parseHeader(header, doc)
	if titleHint != "" {
		doc.Title = titleHint
		// Usually the title comes before the abstract; in layouts with a
		// side column the text of page 1 can put it after.
		limit := min(bodyEnd, 400)
		if end := findTitleEnd(lines[:limit], titleHint); end >= 0 {
			if authors := authorsAfter(lines[end+1 : min(limit, end+40)]); len(authors) > 0 {
				doc.Authors = authors
			}
		}
	}

	headerText := text[:min(len(text), 6000)]
	if headerEnd < len(lines) {
		doc.headerEnd = lines[max(headerEnd, 0)].start
	}
	if absLine < 0 && headerEnd == min(bodyEnd, 80) {
		// Neither an "Abstract" nor a heading ended the header, so 80
		// lines is a guess that can swallow an unlabelled abstract and
		// the introduction. The body starts after the last of those lines
		// that names an author instead: what the header exclusion is for
		// is the author line, whose affiliation marks ("Nguyen5") read
		// like superscript citations.
		if last := lastAuthorLine(lines[:max(headerEnd, 0)], doc.Authors); last >= 0 && last+1 < len(lines) {
			doc.headerEnd = lines[last+1].start
		}
	}
	if absLine >= 0 {
		var absEnd int
		doc.Abstract, absEnd = collectAbstract(lines, absLine, bodyEnd)
		if absEnd < len(lines) {
			doc.headerEnd = lines[absEnd].start
		}
	}
	for i := 0; i < min(bodyEnd, 400); i++ {
		if len(lines[i].text) > 4000 {
			continue
		}
		if m := keywordsRe.FindStringSubmatch(lines[i].text); m != nil {
			if kw := readKeywords(lines[i+1:min(bodyEnd, i+20)], strings.TrimSpace(m[1])); len(kw) > 0 {
				doc.Keywords = kw
				break
			}
		}
	}
	if doc.DOI == "" {
		doc.DOI = findDOI(headerText)
	}
	// The citation line can follow lines read as headings ("1 University
	// of X"): it is looked for up to the abstract.
	venueEnd := min(len(lines), bodyEnd, 40)
	if absLine >= 0 {
		venueEnd = min(venueEnd, absLine)
	}
	enrichPlainHeader(doc, plainHeaderRegion(doc, text, lines, venueEnd), text, plainVenueLines(lines[:venueEnd]))
	if doc.DOI == "" && refLine >= 0 {
		doc.DOI = findDOI(text[:lines[refLine].start][:min(lines[refLine].start, 20000)])
	}
	if doc.Year == 0 && mayHaveCopyYear(headerText) {
		if m := copyYearRe.FindStringSubmatch(headerText); m != nil {
			doc.Year = parseYear(m[1] + m[2])
		}
	}
	if doc.Year == 0 {
		doc.Year = citeLineYear(headerText)
	}
	if doc.Year == 0 {
		var hb strings.Builder
		for _, l := range header {
			hb.WriteString(l.text)
			hb.WriteByte('\n')
		}
		// Bounded like the other header scans: a megabyte-long first
		// line must not cost seconds of regexp time.
		doc.Year = parseYear(truncateBytes(hb.String(), 20000))
	}
	return nil
}

func isNoiseLine(t string) bool {
	// A line of over 1000 bytes is no title; the length check also keeps
	// the unanchored noiseRe off megabyte-long lines, which took seconds.
	return len(t) < 4 || len(t) > 1000 || pageNumRe.MatchString(t) || noiseRe.MatchString(t) || articleKind.MatchString(t)
}

// parseHeader finds the title (first substantial non-noise lines) and the
// author line right after it.
func parseHeader(header []textLine, doc *Document) {
	i := 0
	for ; i < len(header); i++ {
		t := strings.TrimSpace(header[i].text)
		if t == "" || isNoiseLine(t) || len(strings.Fields(t)) < 2 || looksLikeAuthorLine(t) {
			continue
		}
		break
	}
	if i >= len(header) {
		return
	}
	title := strings.TrimSpace(header[i].text)
	i++
	for ; i < len(header) && len(title) < 300; i++ {
		t := strings.TrimSpace(header[i].text)
		if t == "" || isNoiseLine(t) || looksLikeAuthorLine(t) || soleAuthor(header, i) {
			break
		}
		title += " " + t
	}
	doc.Title = title
	// The author block: the next line(s) that read as names.
	doc.Authors = append(doc.Authors, authorBlock(header[i:], len(header))...)
}

// splitNameList splits an author line on commas, semicolons and "and",
// after removing affiliation markers (digits, *, †, ...).
func splitNameList(t string) []string {
	t = supMarkerRe.ReplaceAllString(t, " ")
	t = markerRe.ReplaceAllString(t, " ")
	t = strings.NewReplacer(" & ", ",", " and ", ",", ";", ",", "·", ",", "•", ",", "|", ",").Replace(t)
	var out []string
	for _, p := range strings.Split(t, ",") {
		if p = collapseSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func isNameLike(p string) bool {
	f := strings.Fields(p)
	if len(f) < 2 || len(f) > 5 {
		return false
	}
	for _, w := range f {
		if isParticle(w) {
			continue
		}
		r := firstRune(w)
		if !unicode.IsUpper(r) || strings.ContainsAny(w, "()[]:/@") {
			return false
		}
	}
	return true
}

func looksLikeAuthorLine(t string) bool {
	if len(t) > 400 || noiseRe.MatchString(t) {
		return false
	}
	parts := splitNameList(t)
	if len(parts) == 0 {
		return false
	}
	good := 0
	for _, p := range parts {
		if isNameLike(p) {
			good++
		}
	}
	hasMarker := markerRe.MatchString(t)
	return good*10 >= len(parts)*7 && (len(parts) >= 2 || hasMarker)
}

// soleAuthor reports whether header line i is a paper's only author: one
// name that carries an initial ("B. Williams") or is followed by an
// affiliation line. A bare Title-Case line is not enough, since titles wrap
// onto lines that look like names.
func soleAuthor(header []textLine, i int) bool {
	t := strings.TrimSpace(header[i].text)
	if !isNameLike(t) || strings.Contains(t, ",") {
		return false
	}
	if initialRe.MatchString(t) {
		return true
	}
	for j := i + 1; j < len(header); j++ {
		if next := strings.TrimSpace(header[j].text); next != "" {
			return affiliationRe.MatchString(next)
		}
	}
	return false
}

var (
	initialRe     = regexp.MustCompile(`(^|\s)\p{Lu}\.(\s|-|$)`)
	affiliationRe = regexp.MustCompile(`(?i)\b(universit|institut|department|dept\.|college|laborator|school|cent(re|er)|hospital|academy|faculty)`)
)

func parseAuthorLine(t string) []Author {
	var out []Author
	for _, p := range splitNameList(t) {
		if !isNameLike(p) {
			continue
		}
		g, f := splitGivenFamily(p)
		out = append(out, Author{Given: g, Family: f, Full: p})
	}
	return out
}

// collectAbstract takes the text after the "Abstract" heading up to the
// next heading, keywords line, or a blank line once it has some content;
// next is the line after it.
func collectAbstract(lines []textLine, at, end int) (abstract string, next int) {
	var parts []string
	if m := abstractRe.FindStringSubmatch(lines[at].text); m != nil && strings.TrimSpace(m[1]) != "" {
		parts = append(parts, strings.TrimSpace(m[1]))
	}
	size := 0
	i := at + 1
	afterBreak := false
	for ; i < end && size < 8000; i++ {
		t := strings.TrimSpace(lines[i].text)
		if t == "" {
			if size > 100 {
				// A page break in mid-sentence: the abstract goes on
				// on the next page.
				if strings.Contains(lines[i].text, "\f") && midSentence(parts) && nextStartsLower(lines, i+1, end) {
					afterBreak = true
					continue
				}
				break
			}
			continue
		}
		if headingRe.MatchString(t) || keywordsRe.MatchString(t) || numHeadRe.MatchString(t) && len(t) < 60 ||
			len(t) < 60 && barHeadRe.MatchString(t) {
			break
		}
		if afterBreak && isPageFurniture(t) {
			continue // the next page's running head
		}
		afterBreak = false
		if size > 0 && isPageFurniture(t) {
			// The page's footer (dates, DOI, licence, a "How to cite"
			// box) set inside the abstract: skipped to the page break when
			// the abstract goes on after it in mid-sentence.
			if j := pageBreakAfter(lines, i, end, 12); j >= 0 && midSentence(parts) && nextStartsLower(lines, j+1, end) {
				i, afterBreak = j, true
				continue
			}
			break
		}
		parts = append(parts, t)
		size += len(t)
	}
	return clean(strings.Join(parts, "\n")), i
}

var (
	// barHeadRe: a numbered heading set with a bar ("1 | Introduction").
	barHeadRe = regexp.MustCompile(`^\d{1,2}(?:\.\d{1,2})*\s*\|\s*\p{Lu}`)
	// furnitureRe: a line of a page's header or footer block: dates, DOI,
	// licence, copyright, a suggested citation, "1 of 12", a
	// correspondence footnote.
	furnitureRe = regexp.MustCompile(`(?i)^(?:received\b|accepted\b|revised\b|published\b|doi\b|https?://|www\.|©|\(c\)\s*\d|copyright\b|this is an open access|how to cite|to cite this article|cite this article|citation:|\d{1,4}\s+of\s+\d{1,4}$|[*†‡✉]*\s*(?:corresponding authors?\b|correspondence\b|e-?mail addresses?\b))`)
)

// isPageFurniture: t belongs to a page's header or footer block, not to
// running text.
func isPageFurniture(t string) bool {
	// A running head: "PLOS One | https://doi.org/… 2 / 23".
	return furnitureRe.MatchString(t) || strings.Contains(t, "|") && strings.Contains(t, "://")
}

// midSentence: the last of parts does not end a sentence.
func midSentence(parts []string) bool {
	if len(parts) == 0 {
		return false
	}
	r := lastRune(strings.TrimSpace(parts[len(parts)-1]))
	return r != '.' && r != '!' && r != '?' && r != ':'
}

// pageBreakAfter is the index of the first page break line among the n
// lines after i, or -1.
func pageBreakAfter(lines []textLine, i, end, n int) int {
	for j := i + 1; j < end && j <= i+n; j++ {
		if strings.Contains(lines[j].text, "\f") {
			return j
		}
	}
	return -1
}

// nextStartsLower: the first non-empty line from j on starts with a
// lower-case letter (a sentence going on).
func nextStartsLower(lines []textLine, j, end int) bool {
	skipped := 0
	for ; j < end && j < len(lines); j++ {
		t := strings.TrimSpace(lines[j].text)
		if t == "" {
			continue
		}
		if isPageFurniture(t) && skipped < 3 {
			skipped++ // the next page's running head
			continue
		}
		return unicode.IsLower(firstRune(t))
	}
	return false
}

func splitKeywords(s string) []string {
	sep := ","
	for _, c := range []string{";", "·", "•", "|"} {
		if strings.Contains(s, c) {
			sep = c
			break
		}
	}
	var out []string
	for _, k := range strings.Split(s, sep) {
		if k = strings.Trim(collapseSpace(k), " ."); k != "" && len(out) < 100 {
			out = append(out, k)
		}
	}
	return out
}

// joinPages joins PDF page texts after dropping running headers and
// footers: lines among the first/last three of a page that recur (digits
// ignored) on at least half of the pages, and bare page numbers.
func joinPages(pages []string) string {
	const edge = 3
	key := func(s string) string {
		return strings.ToLower(strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return '#'
			}
			if unicode.IsSpace(r) {
				return -1
			}
			return r
		}, s))
	}
	split := make([][]string, len(pages))
	counts := map[string]int{}
	for i, p := range pages {
		p = strings.ReplaceAll(strings.ReplaceAll(p, "\r\n", "\n"), "\r", "\n")
		split[i] = strings.Split(p, "\n")
		seen := map[string]bool{}
		for _, j := range edgeLines(split[i], edge) {
			k := key(split[i][j])
			if k != "" && !seen[k] {
				seen[k] = true
				counts[k]++
			}
		}
	}
	threshold := max(3, (len(pages)+1)/2)
	// The text is at most the pages and their separators: one allocation of
	// that size, rather than a builder doubling its way up to it (eight
	// times a 600-page PDF's text allocated, and a result holding up to
	// twice the memory it needs for as long as the document's text lives).
	size := 3 * len(pages)
	for _, p := range pages {
		size += len(p)
	}
	var b strings.Builder
	b.Grow(size)
	for i, ls := range split {
		split[i] = nil // what has been copied need not outlive the loop
		drop := map[int]bool{}
		for _, j := range edgeLines(ls, edge) {
			t := strings.TrimSpace(ls[j])
			if counts[key(ls[j])] >= threshold || (pageNumRe.MatchString(t) && utf8.RuneCountInString(t) < 12) {
				drop[j] = true
			}
		}
		if i > 0 {
			// A form feed on a line of its own, as pdftotext separates
			// pages: to the heuristics it is a blank line, and it tells
			// where each page starts (Document.PageStarts).
			b.WriteString("\n\f\n")
		}
		first := true
		for j, l := range ls {
			if drop[j] {
				continue
			}
			if !first {
				b.WriteByte('\n')
			}
			first = false
			b.WriteString(l)
		}
	}
	return b.String()
}

// edgeLines returns the indices of the first and last n non-empty lines.
func edgeLines(ls []string, n int) []int {
	var idx []int
	c := 0
	for j := 0; j < len(ls) && c < n; j++ {
		if strings.TrimSpace(ls[j]) != "" {
			idx = append(idx, j)
			c++
		}
	}
	c = 0
	for j := len(ls) - 1; j >= 0 && c < n; j-- {
		if strings.TrimSpace(ls[j]) != "" {
			idx = append(idx, j)
			c++
		}
	}
	return idx
}

// citeLineYear returns the year of a header citation line ("Journal of X,
// 2020, 62(1):1064-1092"), or 0.
func citeLineYear(header string) int {
	if m := citeLineYearRe.FindStringSubmatch(header); m != nil {
		return parseYear(m[1])
	}
	return 0
}

// titleKey reduces s to lower-case letters and digits, so that a title can
// be found in page text whatever its line breaks, hyphenation and spacing.
func titleKey(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// findTitleEnd returns the index of the line on which title ends, or -1 when
// the title cannot be found as consecutive lines of text.
func findTitleEnd(lines []textLine, title string) int {
	tk := titleKey(title)
	if len(tk) < 8 {
		return -1
	}
	// First where a line begins with the title (the title itself), then
	// anywhere (a title set inline after other text); a citation line
	// quoting the title mid-line must not win over the title.
	for _, atStart := range []bool{true, false} {
		if end := findTitleEndFrom(lines, tk, atStart); end >= 0 {
			return end
		}
	}
	return -1
}

func findTitleEndFrom(lines []textLine, tk string, atStart bool) int {
	head := tk[:min(len(tk), 15)]
	for i, l := range lines {
		lk := titleKey(l.text)
		k := strings.Index(lk, head)
		if k < 0 || atStart && k > 0 {
			continue
		}
		acc := lk[k:]
		if strings.HasPrefix(acc, tk) {
			return i
		}
		if !strings.HasPrefix(tk, acc) {
			continue
		}
		end := i
		for j := i + 1; j < len(lines) && j <= i+12 && len(acc) < len(tk); j++ {
			nk := titleKey(lines[j].text)
			if nk == "" {
				continue
			}
			if next := acc + nk; strings.HasPrefix(tk, next) || strings.HasPrefix(next, tk) {
				acc, end = next, j
				continue
			}
			break
		}
		if len(acc)*10 >= len(tk)*8 {
			return end
		}
	}
	return -1
}

// authorsAfter reads the author line(s) at the start of lines: the first
// lines that look like names, within the first few non-empty lines.
func authorsAfter(lines []textLine) []Author {
	return authorBlock(lines, 6)
}

var (
	titleNoiseRe = regexp.MustCompile(`(?i)(\bdoi\b|doi\.org|https?://|www\.|©|\(c\)|copyright|licen[cs]e|creative commons|open access|all rights reserved|\bissn\b|^(?:the\s+)?(?:international\s+)?journal\b|^journal of|proceedings of|\bvol\.|volume \d|\bpp\.|@|correspondence|available online|downloaded from)`)
	fileNameRe   = regexp.MustCompile(`(?i)(\.(?:docx?|pdf|tex|dvi|rtf|odt|indd|qxd|ps|eps|xml|html?)\b|^microsoft\b|^untitled\b|^document\d*$|^\S+_\S+$)`)
)

// maxTitleWords: a "largest font" run longer than this is body text set in
// one size, not a title.
const maxTitleWords = 60

// plausibleTitle reports whether t can be a title: at least 3 words, not
// too long, and no journal name, article kind, licence, DOI or author line.
func plausibleTitle(t string) bool {
	n := 0
	for _, w := range strings.Fields(t) {
		if strings.IndexFunc(w, unicode.IsLetter) >= 0 {
			n++
		}
	}
	return n >= 3 && n <= maxTitleWords && !titleNoiseRe.MatchString(t) &&
		!articleKind.MatchString(t) && !looksLikeAuthorLine(t)
}

// pdfTitleHint chooses a PDF's title from its layout signals: the
// largest-font run of page 1 when it is plausible, else the Info title
// when it is plausible and not a file name, else "" (the plain-text
// heuristics decide).
func pdfTitleHint(largestRun, metaTitle string) string {
	if t := collapseSpace(largestRun); plausibleTitle(t) {
		return t
	}
	// Producers store XML character references in the Info title
	// ("people&#x02010;centered").
	if t := collapseSpace(html.UnescapeString(metaTitle)); plausibleTitle(t) && !fileNameRe.MatchString(t) {
		return t
	}
	return ""
}

// mayHaveCopyYear is a necessary condition of copyYearRe matching
// normalised text (FuzzCopyYearPrefilter checks it): the expression has no
// literal prefix, and over a 6 KB header it was a seventh of plain-text
// parsing.
func mayHaveCopyYear(s string) bool {
	if strings.Contains(s, "©") {
		return true
	}
	for _, w := range []string{"(c)", "copyright", "published", "available online", "issued"} {
		if containsFoldASCII(s, w) {
			return true
		}
	}
	return false
}

// lastAuthorLine is the index of the last line that names one of authors
// by family name, -1 when none does.
func lastAuthorLine(lines []textLine, authors []Author) int {
	last := -1
	for i, l := range lines {
		for _, a := range authors {
			if len(a.Family) > 1 && strings.Contains(l.text, a.Family) {
				last = i
				break
			}
		}
	}
	return last
}

// plainHeaderRegion is the text where affiliations are looked for: a
// PDF's first page (footnote blocks at its bottom included), else the
// lines before end (the abstract, or the first 40): not the header,
// which ends at the first line read as a numbered heading, as "1
// Department of …" is.
func plainHeaderRegion(doc *Document, text string, lines []textLine, end int) string {
	region := text[:min(len(text), maxHeaderRegion)]
	if i := strings.IndexByte(region, '\f'); i >= 0 {
		return region[:i]
	}
	if doc.Format != FormatPDF && end < len(lines) {
		return text[:min(lines[end].start, len(region))]
	}
	return region
}

// plainVenueLines are the texts of header lines, where a venue is looked
// for (a PDF's first page's edges are read after them).
func plainVenueLines(header []textLine) []string {
	var out []string
	for _, l := range header {
		out = append(out, l.text)
	}
	return out
}

// abstractKeywords splits the text of an "Abstract" section at a
// keywords line ("Keywords: a, b"), which is not part of the abstract:
// the abstract before it, and the keywords it lists.
func abstractKeywords(sec string) (abstract string, keywords []string) {
	off := 0
	for _, l := range strings.SplitAfter(sec, "\n") {
		if t := strings.TrimSpace(l); len(t) < 2000 {
			if m := keywordsRe.FindStringSubmatch(t); m != nil && m[1] != "" {
				return clean(sec[:off]), splitKeywords(m[1])
			}
		}
		off += len(l)
	}
	return clean(sec), nil
}

// readKeywords reads a keyword list: first, the text after the
// "Keywords" label, and next, the lines after it. A list goes on on the
// next line when it ends with a separator, or for one short line that
// ends it ("… China" / "Kadoorie Biobank"). A label on a line of its own
// is followed by the list, or by one keyword a line.
func readKeywords(next []textLine, first string) []string {
	var lines []string
	for _, l := range next {
		t := strings.TrimSpace(l.text)
		if t == "" || headingRe.MatchString(t) || abstractRe.MatchString(t) || keywordsRe.MatchString(t) ||
			isPageFurniture(t) || numHeadRe.MatchString(t) && len(t) < 60 || len(t) > 200 {
			break
		}
		lines = append(lines, t)
	}
	text := first
	k := 0
	if text == "" {
		if len(lines) == 0 {
			return nil
		}
		if !strings.ContainsAny(lines[0], ",;·•|") {
			// One keyword a line: short lines without a full stop.
			var out []string
			for _, t := range lines {
				if len(t) > 80 || len(strings.Fields(t)) > 10 || strings.HasSuffix(t, ".") || len(out) >= 30 {
					break
				}
				out = append(out, strings.TrimRight(t, " ;,"))
			}
			if len(out) < 2 {
				return nil
			}
			return out
		}
		text, k = lines[0], 1
	}
	for ; k < len(lines) && k < 4; k++ {
		t := lines[k]
		last := lastRune(text)
		switch {
		case strings.ContainsRune(",;·•|", last):
			text += " " + t
			continue
		case last != '.' && sameSeparator(text, t) && !strings.Contains(t, ". "):
			// "…, occupancy" / "modeling, Rhode Island, …": the list
			// wrapped inside a keyword.
			text += " " + t
			continue
		case last != '.' && len(strings.Fields(t)) <= 4 && len(t) < 40 && !strings.ContainsAny(t, ",;.:") &&
			strings.IndexFunc(t, unicode.IsDigit) < 0 && strings.IndexFunc(t, unicode.IsLower) >= 0:
			// Not a heading in capitals ("CONFLICT OF INTEREST").
			text += " " + t
		}
		break
	}
	return splitKeywords(text)
}

// sameSeparator: a and b both hold the separator that splits a's list.
func sameSeparator(a, b string) bool {
	for _, c := range []string{";", ",", "·", "•", "|"} {
		if strings.Contains(a, c) {
			return strings.Contains(b, c)
		}
	}
	return false
}
