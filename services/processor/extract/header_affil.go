package extract

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Affiliations, ORCID iDs and the venue from plain text (PDF page text,
// text files, Markdown). Only a bounded region is read: the header, or a
// PDF's first page, where the author line, its affiliation lines or
// footnote block and the journal's citation line are printed.
//
// Affiliations are mapped to authors by the marks after the names on the
// author line ("Smith1,2", "Nguyen a,b", "Taylor (1)", "Wright^1^"): each
// mark is looked for, in order, where an affiliation starts (a line's
// start, or after the previous affiliation: "… Korea. 2 Department …",
// "… USA | 2Institute …", "… China b CCTEG …"). An author gets
// affiliations only when all their marks were found; with no marks at
// all, a single affiliation under the author line belongs to everyone.

// maxHeaderRegion bounds the text the header enrichment reads.
const maxHeaderRegion = 12000

var (
	// postcodeRe: a postal code beside a city ("1000 Ljubljana", "Beijing
	// 100124", "Suwon 16419", "CA 94305", "CB2 1TN").
	postcodeRe = regexp.MustCompile(`\b\d{4,6}\s+\p{Lu}\p{Ll}+|\p{Lu}\p{Ll}+,?\s+\d{5,6}\b|\b[A-Z]{2}\s+\d{5}\b|\b[A-Z]{1,2}\d{1,2}[A-Z]?\s+\d[A-Z]{2}\b`)
	// affilEndRe: where the text after the last affiliation stops being
	// one (a correspondence note, e-mail, dates, a licence).
	affilEndRe = regexp.MustCompile(`(?i)(?:^|\s|[.;,])(?:[*✉†]\s*)?(?:e-?mails?(?: addresses)?\s*:|correspond|received\b|accepted\b|published\b|present address|tel\.|phone\b|fax\b|equal(?:ly)? contribut|these authors|©|copyright|citation:|academic editor|editor:|full list of author)`)
	// markedLineRe: a line that opens with an affiliation mark (the next
	// affiliation, one the author line did not point to). Not a letter:
	// lines of an affiliation start with "y", "e", "a" too ("y Recursos
	// Naturales").
	markedLineRe = regexp.MustCompile(`^(?:\d{1,2}|\(\w{1,2}\)|\^\w{1,2}\^)\s*\p{Lu}`)
	orcidURLRe   = regexp.MustCompile(`(?i)(?:https?://)?(?:www\.)?orcid\.org/|\borcid(?:\s*id)?s?\b\s*:?`)
)

// countries: the last part of most affiliations, and a sign that a line
// is one.
var countries = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Split("usa|u.s.a.|united states|united states of america|uk|u.k.|united kingdom|england|scotland|wales|ireland|canada|mexico|brazil|argentina|chile|colombia|peru|venezuela|ecuador|uruguay|bolivia|cuba|germany|france|italy|spain|portugal|netherlands|the netherlands|belgium|luxembourg|switzerland|austria|sweden|norway|denmark|finland|iceland|poland|czech republic|czechia|slovakia|hungary|romania|bulgaria|greece|turkey|türkiye|slovenia|croatia|serbia|bosnia and herzegovina|estonia|latvia|lithuania|ukraine|russia|russian federation|belarus|israel|iran|iraq|jordan|lebanon|saudi arabia|qatar|kuwait|united arab emirates|uae|oman|egypt|morocco|algeria|tunisia|nigeria|ghana|kenya|ethiopia|tanzania|uganda|rwanda|cameroon|senegal|south africa|zimbabwe|zambia|malawi|mozambique|botswana|namibia|sudan|india|pakistan|bangladesh|sri lanka|nepal|china|p.r. china|pr china|people's republic of china|hong kong|taiwan|japan|korea|republic of korea|south korea|vietnam|viet nam|thailand|malaysia|singapore|indonesia|philippines|australia|new zealand|cyprus|malta|georgia|armenia|azerbaijan|kazakhstan|uzbekistan|mongolia|cambodia|myanmar|laos", "|") {
		m[c] = true
	}
	return m
}()

// endsWithCountry reports whether the last comma- or space-separated part of
// s names a country.
func endsWithCountry(s string) bool {
	s = strings.TrimRight(strings.TrimSpace(s), ".;,")
	if i := strings.LastIndexByte(s, ','); i >= 0 {
		if countries[strings.ToLower(strings.TrimSpace(s[i+1:]))] {
			return true
		}
	}
	// Without commas ("Missoula Montana USA"): the last one to four words.
	f := strings.Fields(strings.ToLower(s))
	for n := 1; n <= 4 && n <= len(f); n++ {
		if countries[strings.Join(f[len(f)-n:], " ")] {
			return true
		}
	}
	return false
}

// affilWords name institutions (a wider list than affiliationRe, which
// also decides where an author block ends); looked for in lower case
// with strings.Contains, which is many times faster than one
// case-folding expression.
var affilWords = []string{"universi", "univ.", "institu", "department", "dept.", "college", "laborator", "school",
	"centre", "center", "centro", "hospital", "academy", "facult", "division", "program", "ministry", "agency",
	"foundation", "fundaci", "council", "society", "corporation", "company", "gmbh", "ltd", "inc.", "authority",
	"museum", "clinic", "research", "association", "observatory", "service", "consejo", "conicet", "cnrs", "inserm",
	"max planck", " unit", " group"}

func hasAffilWord(s string) bool {
	l := strings.ToLower(s)
	for _, w := range affilWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// joinWords: the lower-case words of institutions' names and addresses.
var joinWords = map[string]bool{"of": true, "and": true, "the": true, "for": true, "in": true, "on": true, "at": true,
	"de": true, "del": true, "della": true, "des": true, "du": true, "di": true, "da": true, "do": true, "das": true,
	"dos": true, "la": true, "le": true, "les": true, "el": true, "y": true, "e": true, "et": true, "en": true, "und": true,
	"für": true, "der": true, "van": true, "von": true, "zu": true, "para": true, "sobre": true, "na": true, "no": true,
	"à": true, "aux": true, "&": true}

// mostlyCapitalised: most words of s begin with a capital letter, a digit
// or a sign, as names and addresses do; a sentence of running text does
// not ("Samples were analysed at the University of Lisbon").
func mostlyCapitalised(s string) bool {
	lower, n := 0, 0
	for _, w := range strings.Fields(s) {
		w = strings.Trim(w, "(),;:.")
		if w == "" || joinWords[strings.ToLower(w)] {
			continue
		}
		n++
		if unicode.IsLower(firstRune(w)) {
			lower++
		}
	}
	return lower*10 <= n*3
}

// affiliationLike: s reads as an affiliation.
func affiliationLike(s string) bool {
	if len(s) < 6 || len(s) > 400 || strings.Contains(s, "@") && !strings.Contains(s, ",") || !mostlyCapitalised(s) {
		return false
	}
	return hasAffilWord(s) || endsWithCountry(s) || postcodeRe.MatchString(s) && strings.Contains(s, ",")
}

// enrichPlainHeader fills what the plain-text header holds beyond title
// and authors: each author's affiliation and ORCID iD, and the venue.
// region is the header (or a PDF's first page), text the whole document
// text (ORCID lists are often at the end), venueLines the lines where a
// citation line is looked for.
func enrichPlainHeader(doc *Document, region, text string, venueLines []string) {
	if len(region) > maxHeaderRegion {
		region = region[:maxHeaderRegion]
	}
	if len(doc.Authors) > 0 {
		assignAffiliations(doc.Authors, region, text)
		assignORCIDs(doc.Authors, text)
	}
	if doc.Venue == "" {
		doc.Venue = findVenue(venueLines)
	}
}

// assignAffiliations sets Author.Affiliation where the author line's marks
// (or their absence) tie the affiliations found in region to the authors.
//
// Marked affiliations not found after the author line are looked for
// under an "Author details" or "Affiliations" heading anywhere in text,
// where BMC, Springer and Nature journals list them at the article's end.
func assignAffiliations(authors []Author, region, text string) {
	marks, end, ok := authorMarks(region, authors)
	if !ok {
		return
	}
	var order []string
	seen := map[string]bool{}
	for _, ms := range marks {
		for _, m := range ms {
			if !seen[m] {
				seen[m] = true
				order = append(order, m)
			}
		}
	}
	if len(order) == 0 {
		if aff := soleAffiliation(region[end:]); aff != "" {
			for i := range authors {
				if authors[i].Affiliation == "" {
					authors[i].Affiliation = aff
				}
			}
		}
		return
	}
	sortMarks(order)
	affs := markedAffiliations(region[end:], order)
	if len(affs) == 0 {
		if block := affiliationSection(text); block != "" {
			affs = markedAffiliations(block, order)
		}
	}
	for i := range authors {
		if authors[i].Affiliation != "" || len(marks[i]) == 0 {
			continue
		}
		var parts []string
		for _, m := range marks[i] {
			a, ok := affs[m]
			if !ok {
				parts = nil
				break
			}
			parts = append(parts, a)
		}
		if len(parts) > 0 {
			authors[i].Affiliation = strings.Join(parts, "; ")
		}
	}
}

// sortMarks orders marks as affiliations are listed: numbers by value,
// letters alphabetically.
func sortMarks(ms []string) {
	sort.SliceStable(ms, func(i, j int) bool {
		a, ea := strconv.Atoi(ms[i])
		b, eb := strconv.Atoi(ms[j])
		switch {
		case ea == nil && eb == nil:
			return a < b
		case (ea == nil) != (eb == nil):
			return ea == nil
		}
		return ms[i] < ms[j]
	})
}

// familyAt finds family in s at or after from, as a whole word (or glued
// to the given name before it: "LiliaTightiz"), within limit bytes of
// from; it returns the offset or -1.
func familyAt(s, family string, from, limit int) int {
	end := min(len(s), from+limit)
	for k := from; k < end; {
		i := strings.Index(s[k:end], family)
		if i < 0 {
			return -1
		}
		p := k + i
		before, _ := utf8.DecodeLastRuneInString(s[:p])
		after, _ := utf8.DecodeRuneInString(s[p+len(family):])
		first, _ := utf8.DecodeRuneInString(family)
		okBefore := p == 0 || !unicode.IsLetter(before) || unicode.IsLower(before) && unicode.IsUpper(first)
		if okBefore && (p+len(family) == len(s) || !unicode.IsLetter(after)) {
			return p
		}
		k = p + len(family)
	}
	return -1
}

// authorMarks finds the author line in region (every author's family
// name in order, each close to the one before) and reads the marks after
// each name. end is the offset after the last author's marks.
//
// The names can be found more than once (a citation line "Vahldiek, K.;
// Rüger, B.; Klawonn, F." before the author line): the occurrence whose
// names carry the most marks wins; with none marked, the first one
// followed by an affiliation line.
func authorMarks(region string, authors []Author) (marks [][]string, end int, ok bool) {
	best, bestMarked := -1, -1
	var bestMarks [][]string
	for from, tries := 0, 0; tries < 8; tries++ {
		ms, e, p, found := authorMarksFrom(region, authors, from)
		if !found {
			break
		}
		from = p + 1
		marked := 0
		for _, m := range ms {
			if len(m) > 0 {
				marked++
			}
		}
		if marked == 0 && soleAffiliation(region[e:]) == "" {
			if best < 0 {
				best, bestMarks = e, ms
			}
			continue
		}
		if marked > bestMarked {
			best, bestMarked, bestMarks = e, marked, ms
		}
	}
	return bestMarks, best, best >= 0
}

// authorMarksFrom is authorMarks for the first occurrence of the names at
// or after from; p is where it starts.
func authorMarksFrom(region string, authors []Author, from int) (marks [][]string, end, p int, ok bool) {
	if len(authors) == 0 || authors[0].Family == "" {
		return nil, 0, 0, false
	}
	for tries := 0; tries < 8; tries++ {
		p = familyAt(region, authors[0].Family, from, len(region))
		if p < 0 {
			return nil, 0, 0, false
		}
		from = p + len(authors[0].Family)
		marks = marks[:0]
		cur := p
		complete := true
		for i, a := range authors {
			if a.Family == "" {
				complete = false
				break
			}
			q := cur
			if i > 0 {
				q = familyAt(region, a.Family, cur, 40+len(a.Full)+len(a.Family))
				if q < 0 {
					complete = false
					break
				}
			}
			if g := strings.Fields(a.Given); len(g) > 0 && g[len(g)-1] == a.Family {
				// "Pei Pei6": the family name is the second one.
				if q2 := familyAt(region, a.Family, q+len(a.Family), len(a.Family)+3); q2 >= 0 {
					q = q2
				}
			}
			e := q + len(a.Family)
			ms, n := readMarks(region[e:])
			marks = append(marks, ms)
			cur = e + n
		}
		if complete {
			return marks, cur, p, true
		}
	}
	return nil, 0, 0, false
}

// readMarks reads the affiliation marks at the start of s (after a
// name): digits, lone lower-case letters, "(1)", "^1,2^", "<sup>a</sup>",
// with commas and footnote symbols between them. Past a line break only
// symbols and separators are read: a digit there opens the first
// affiliation ("Chaves1\n1Department …"). It returns the marks (symbols
// left out) and the bytes read.
func readMarks(s string) (marks []string, n int) {
	i := 0
	newline := false
	add := func(m string) {
		m = strings.TrimSpace(m)
		if m == "" {
			return
		}
		for _, x := range marks {
			if x == m {
				return
			}
		}
		marks = append(marks, m)
	}
	for i < len(s) && i < 80 {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n':
			if newline {
				return marks, n
			}
			newline = true
			i += w
			continue
		case r == ' ' || r == '\t' || r == ',' || r == '\u00a0':
			i += w
			continue
		case !newline && (strings.HasPrefix(s[i:], "Jr.") || strings.HasPrefix(s[i:], "Sr.")):
			// A suffix the name was read without ("McGreevy Jr. 1").
			i += 3
			continue
		case strings.ContainsRune("*†‡§¶#∗✉⁎¤☯", r):
			i += w
			n = i
			continue
		}
		if newline && !markBeforeSeparator(s[i:]) {
			return marks, n
		}
		switch {
		case r >= '0' && r <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j-i > 2 {
				return marks, n
			}
			add(s[i:j])
			i, n = j, j
		case r == '(' && len(s) > i+2:
			j := strings.IndexByte(s[i:min(len(s), i+5)], ')')
			if j < 0 || !isMarkToken(s[i+1:i+j]) {
				return marks, n
			}
			add(s[i+1 : i+j])
			i += j + 1
			n = i
		case r == '^':
			j := strings.IndexByte(s[i+1:min(len(s), i+16)], '^')
			if j < 0 {
				return marks, n
			}
			for _, m := range strings.Split(s[i+1:i+1+j], ",") {
				if isMarkToken(strings.TrimSpace(m)) {
					add(m)
				}
			}
			i += j + 2
			n = i
		case r == '<' && strings.HasPrefix(s[i:], "<sup>"):
			j := strings.Index(s[i:min(len(s), i+40)], "</sup>")
			if j < 0 {
				return marks, n
			}
			for _, m := range strings.Split(s[i+5:i+j], ",") {
				if isMarkToken(strings.TrimSpace(m)) {
					add(m)
				}
			}
			i += j + 6
			n = i
		case r >= 'a' && r <= 'z' && r != 'y':
			if i+1 < len(s) {
				if next, _ := utf8.DecodeRuneInString(s[i+1:]); unicode.IsLetter(next) || next == '.' || next == '\'' {
					return marks, n
				}
			}
			add(s[i : i+1])
			i++
			n = i
		default:
			return marks, n
		}
	}
	return marks, n
}

// markBeforeSeparator: s starts with a mark of one or two digits that a
// comma or footnote symbol follows ("Anderson\n5, Patricia"), not an
// affiliation's ("1Department", "1\nDepartment").
func markBeforeSeparator(s string) bool {
	j := 0
	for j < len(s) && j < 2 && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == 0 || j == len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[j:])
	return r == ',' || strings.ContainsRune("*†‡§¶#∗✉⁎", r)
}

// isMarkToken: one or two digits, or one lower-case letter.
func isMarkToken(m string) bool {
	if m == "" || len(m) > 2 {
		return false
	}
	if len(m) == 1 && m[0] >= 'a' && m[0] <= 'z' {
		return true
	}
	for i := 0; i < len(m); i++ {
		if m[i] < '0' || m[i] > '9' {
			return false
		}
	}
	return true
}

// markStart finds, at or after from in s, the place where the affiliation
// with mark m starts: the mark (bare, "(m)", "^m^" or "<sup>m</sup>") at
// a line start, or (unless lineStart) after a separator or a space,
// followed by a capital letter. It returns the offsets of the mark and of
// the affiliation text, or -1.
func markStart(s, m string, from int, lineStart bool) (at, text int) {
	// The earliest of the forms: a later "(1)" in the text must not win
	// over the "1" that starts the block.
	at, text = -1, -1
	for _, form := range []string{"(" + m + ")", "^" + m + "^", "<sup>" + m + "</sup>", m} {
		limit := len(s)
		if at >= 0 {
			limit = at
		}
		if p, q := markFormStart(s, m, form, from, limit, lineStart); p >= 0 {
			at, text = p, q
		}
	}
	return at, text
}

// markFormStart is markStart for one way of writing the mark.
// Only a mark that starts before limit is looked for.
func markFormStart(s, m, form string, from, limit int, lineStart bool) (at, text int) {
	for k := from; k < limit; {
		i := strings.Index(s[k:], form)
		if i < 0 || k+i >= limit {
			break
		}
		p := k + i
		k = p + len(form)
		// What comes before: a line start, a separator or a space.
		j := p
		for j > 0 && (s[j-1] == ' ' || s[j-1] == '\t') {
			j--
		}
		atLine := j == 0 || s[j-1] == '\n' || s[j-1] == '\f'
		if !atLine {
			if lineStart || j == p {
				continue
			}
			// After a separator ("… Korea. 2 Department", "… USA |
			// 2Institute"), or for a letter after a word ("… China b
			// CCTEG …"); a number after a word is part of an address
			// ("Box 2 Main Street").
			b, _ := utf8.DecodeLastRuneInString(s[:j])
			sep := strings.ContainsRune(".;,|)", b)
			if !sep && !(unicode.IsLetter(b) && isLetterMarker(m)) {
				continue
			}
		}
		// What comes after: the mark must end there ("1" not "12",
		// "a" not "an"), then an affiliation's capital letter, on the
		// same line or the next.
		q := k
		if form == m {
			if c, _ := utf8.DecodeRuneInString(s[q:]); unicode.IsDigit(c) || unicode.IsLower(c) {
				continue
			}
		}
		nl := 0
		for q < len(s) && (s[q] == ' ' || s[q] == '\t' || s[q] == '\n') {
			if s[q] == '\n' {
				nl++
			}
			q++
		}
		if nl > 1 || q >= len(s) {
			continue
		}
		if c, _ := utf8.DecodeRuneInString(s[q:]); !unicode.IsUpper(c) {
			continue
		}
		if form == m && q == k && !atLine {
			// A glued mark ("2Institute") only at a line start or after
			// a separator ("… USA | 2Institute …").
			if b, _ := utf8.DecodeLastRuneInString(s[:j]); unicode.IsLetter(b) {
				continue
			}
		}
		return p, q
	}
	return -1, -1
}

// markedAffiliations finds the affiliation of each mark in order in s
// (the text after the author line): the first at a line start, each next
// one after the one before.
func markedAffiliations(s string, order []string) map[string]string {
	out := map[string]string{}
	// The first affiliation is at a line start; after it, each next mark.
	at, text := markStart(s, order[0], 0, true)
	if at < 0 {
		return out
	}
	for k, m := range order {
		var end, nextAt, nextText int = -1, -1, -1
		if k+1 < len(order) {
			nextAt, nextText = markStart(s, order[k+1], text, false)
			end = nextAt
		}
		var entry string
		if end >= 0 {
			if end-text > 600 {
				return out
			}
			entry = s[text:end]
			// A line that opens with a mark the author line did not
			// show ends it.
			for off := 0; ; {
				i := strings.IndexByte(entry[off:], '\n')
				if i < 0 {
					break
				}
				off += i + 1
				if markedLineRe.MatchString(strings.TrimSpace(entry[off:min(len(entry), off+40)])) {
					entry = entry[:off]
					break
				}
			}
		} else {
			entry = lastAffiliation(s[text:])
		}
		if e := tidyAffiliation(entry); e != "" && affiliationLike(e) && !headingRe.MatchString(firstLine(entry)) {
			out[m] = e
		}
		if nextAt < 0 {
			break
		}
		text = nextText
	}
	return out
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return s
}

// lastAffiliation is the text of the last affiliation of a block: to a
// blank line, the next line that is not one (a heading, a correspondence
// note, the abstract), or 600 bytes.
func lastAffiliation(s string) string {
	s = s[:min(len(s), 600)]
	var b strings.Builder
	for i, l := range strings.Split(s, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || t == "\f" {
			if i == 0 {
				continue
			}
			break
		}
		if i > 0 && (abstractRe.MatchString(t) || keywordsRe.MatchString(t) || headingRe.MatchString(t) || endsAffiliationBlock(t) || markedLineRe.MatchString(t) ||
			strings.ContainsRune("*†‡§✉", firstRune(t)) || affilEndRe.MatchString(" "+t) && affilEndRe.FindStringIndex(" " + t)[0] == 0 ||
			looksLikeAuthorLine(t) || len(t) > 200) {
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(l)
		if i > 0 && endsWithCountry(strings.SplitN(b.String(), ";", 2)[0]) && !strings.HasSuffix(t, ",") {
			// A country ends the affiliation, unless a comma says it goes on.
			break
		}
		if i == 0 && endsWithCountry(strings.SplitN(t, ";", 2)[0]) && !strings.HasSuffix(t, ",") {
			break
		}
	}
	return b.String()
}

// tidyAffiliation cleans one affiliation: line breaks joined, e-mail
// addresses, correspondence notes and separators at the ends removed.
func tidyAffiliation(s string) string {
	s = strings.ReplaceAll(s, "\f", " ")
	if loc := affilEndRe.FindStringIndex(s); loc != nil {
		s = s[:loc[0]]
	}
	// "…, Slovenia; andrej.kitanovski@fs.uni-lj.si": the parts that are
	// addresses go.
	if strings.Contains(s, "@") {
		var keep []string
		for _, p := range strings.Split(s, ";") {
			if !strings.Contains(p, "@") {
				keep = append(keep, p)
			}
		}
		s = strings.Join(keep, ";")
	}
	s = collapseSpace(s)
	s = strings.TrimRight(s, " .;,|*")
	s = strings.TrimSuffix(s, " and")
	return strings.TrimSpace(s)
}

// soleAffiliation is the affiliation right under an author line without
// marks, when it is a single one: its lines (a line ending in a comma goes
// on), and nothing but a blank line, a note or the abstract after it.
func soleAffiliation(s string) string {
	s = s[:min(len(s), 800)]
	lines := strings.Split(s, "\n")
	var entries []string
	started := false
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if i == 0 && t == "" {
			continue // the rest of the author line
		}
		if t == "" || t == "\f" {
			if started {
				break
			}
			continue
		}
		if !started && i > 3 {
			return ""
		}
		if abstractRe.MatchString(t) || keywordsRe.MatchString(t) || headingRe.MatchString(t) || endsAffiliationBlock(t) ||
			strings.ContainsRune("*†‡§✉", firstRune(t)) || looksLikeAuthorLine(t) || len(t) > 300 {
			break
		}
		if loc := affilEndRe.FindStringIndex(" " + t); loc != nil && loc[0] == 0 {
			break
		}
		if started && len(entries) > 0 {
			prev := entries[len(entries)-1]
			if strings.HasSuffix(prev, ",") || unicode.IsLower(firstRune(t)) {
				entries[len(entries)-1] = prev + " " + t
				continue
			}
		}
		if !affiliationLike(tidyAffiliation(t)) {
			break
		}
		entries = append(entries, t)
		started = true
	}
	if len(entries) != 1 {
		return ""
	}
	return tidyAffiliation(entries[0])
}

// findORCIDs returns the offsets of the ORCID iDs in s
// ("0000-0002-1825-0097", hyphens optional within the last groups as
// text extraction loses them: "0000-0002-30957052").
func findORCIDs(s string) [][2]int {
	var out [][2]int
	for k := 0; k < len(s); {
		i := strings.Index(s[k:], "000")
		if i < 0 {
			break
		}
		p := k + i
		k = p + 1
		if p > 0 && (isWordByte(s[p-1]) || s[p-1] == '-') {
			continue
		}
		if e := orcidEnd(s, p); e > 0 {
			if orcidChecks(s[p:e]) {
				out = append(out, [2]int{p, e})
			}
			k = e
		}
	}
	return out
}

// orcidEnd returns the end of an ORCID iD starting at p, or -1: four
// groups of four (the last ending in a digit or X), the first hyphen
// required.
func orcidEnd(s string, p int) int {
	q := p
	for g := 0; g < 4; g++ {
		if g > 0 {
			if q < len(s) && s[q] == '-' {
				q++
				// "0000-0002-3095-\n7052": broken at the line end.
				if q < len(s) && s[q] == '\n' {
					q++
				}
			} else if g == 1 {
				return -1
			}
		}
		for c := 0; c < 4; c++ {
			if q >= len(s) {
				return -1
			}
			b := s[q]
			if !(b >= '0' && b <= '9' || g == 3 && c == 3 && (b == 'X' || b == 'x')) {
				return -1
			}
			q++
		}
	}
	if q < len(s) && (isWordByte(s[q]) || s[q] == '-') {
		return -1
	}
	return q
}

// orcidChecks reports whether an iD's last character is the ISO 7064
// MOD 11-2 check digit of the 15 digits before it (hyphens and line
// breaks ignored): a number that only looks like an iD fails it ten
// times in eleven.
func orcidChecks(id string) bool {
	total, n := 0, 0
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c < '0' || c > '9' && c != 'X' && c != 'x' {
			continue
		}
		n++
		if n == 16 {
			want := byte('0' + (12-total%11)%11)
			if (12-total%11)%11 == 10 {
				want = 'X'
			}
			return c == want || c == 'x' && want == 'X'
		}
		if c > '9' {
			return false
		}
		total = (total + int(c-'0')) * 2
	}
	return false
}

// assignORCIDs gives each ORCID iD in text to the author named next to it:
// the one author whose family name is on the iD's line before it (or,
// with nothing before it there, alone on the line before). An iD nobody
// or more than one author could claim is skipped.
func assignORCIDs(authors []Author, text string) {
	ids := findORCIDs(text)
	if len(ids) == 0 || len(ids) > 200 {
		return
	}
	used := map[string]bool{}
	for _, a := range authors {
		if a.ORCID != "" {
			used[a.ORCID] = true
		}
	}
	for _, span := range ids {
		id := strings.ToUpper(strings.NewReplacer("-", "", "\n", "").Replace(text[span[0]:span[1]]))
		id = id[:4] + "-" + id[4:8] + "-" + id[8:12] + "-" + id[12:]
		if used[id] {
			continue
		}
		ls := strings.LastIndexByte(text[:span[0]], '\n') + 1
		before := orcidURLRe.ReplaceAllString(text[ls:span[0]], " ")
		if strings.TrimSpace(before) == "" && ls > 0 {
			pls := strings.LastIndexByte(text[:ls-1], '\n') + 1
			before = text[pls : ls-1]
			if len(before) > 80 {
				continue
			}
		}
		if len(before) > 200 {
			before = before[len(before)-200:]
		}
		who := -1
		for i, a := range authors {
			if len(a.Family) < 2 || familyAt(before, a.Family, 0, len(before)) < 0 {
				continue
			}
			if who >= 0 {
				// Two authors named there: the iD follows the nearer only
				// when the other's name is farther back than a list of
				// "name iD" pairs would put it; skip instead.
				who = -2
				break
			}
			who = i
		}
		if who < 0 || authors[who].ORCID != "" {
			continue
		}
		// Same family name twice in the author list: the given name decides.
		dup := false
		for i, a := range authors {
			if i != who && a.Family == authors[who].Family {
				dup = true
			}
		}
		if dup && (authors[who].Given == "" || !strings.Contains(before, authors[who].Given)) {
			continue
		}
		authors[who].ORCID = id
		used[id] = true
	}
}

// Venue: the journal's own citation line on page 1 or in the header.
var (
	venueNameP = `([\p{L}&][\p{L}\p{M}'’&.-]*(?: [\p{L}&][\p{L}\p{M}'’&.-]*){0,9}?)`
	yearP      = `(?:19|20)\d\d`
	// venueRes are tried on a line only when it holds what each needs (a
	// year, a bar, …): the expressions backtrack, and most lines fail.
	venueRes = []venueForm{
		// "Entropy 2019, 21, 388", "Ecology. 2025;106:e70094", "Nucleic
		// Acids Research, 1995, 35(10):174-202", "J. X. 2020;62:1-9".
		{regexp.MustCompile(`^` + venueNameP + `[.,]?\s+\(?` + yearP + `\)?\s*[,;.]\s*(?:vol\.?\s*)?\d{1,4}\s*(?:\(\d{1,4}(?:[-–]\d{1,4})?\))?\s*[,:]\s*[eA-Z]?\d`), hasYear},
		// "Heliyon 10 (2024) e31208", "Journal of X 12 (2019) 123–145".
		{regexp.MustCompile(`^` + venueNameP + `,?\s+(?:vol\.?\s*)?\d{1,4}\s*(?:\(\d{1,4}\)\s*)?\(` + yearP + `\)\s*[,:]?\s*[eA-Z]?\d`), hasYear},
		// "Scientific Reports | (2023) 13:7434 | https://doi.org/…".
		{regexp.MustCompile(`^` + venueNameP + `\s*\|\s*\(?` + yearP + `\)?\s*\d{1,4}\s*[:(]`), hasBarYear},
		// "Hua et al. BMC Public Health (2024) 24:2077".
		{regexp.MustCompile(`^\p{Lu}[\p{L}\p{M}'’-]+(?:\s+(?:and|&)\s+\p{Lu}[\p{L}\p{M}'’-]+|\s+et\s+al\.?)?,?\s+` + venueNameP + `,?\s+\(` + yearP + `\)\s*\d{1,4}\s*[:(]`), hasYear},
		// "PLOS One | https://doi.org/…", "PLoS ONE | www.plosone.org".
		{regexp.MustCompile(`^` + venueNameP + `\s*\|\s*(?:https?://|www\.|doi\b)`), hasBar},
		// "© 2025 The Author(s). Ecology and Evolution published by …".
		{regexp.MustCompile(`(?i:(?:©|\(c\)|copyright)\s*` + yearP + `,?\s+(?:the\s+)?authors?(?:\(s\))?\.?\s+)` + venueNameP + `\s+published\s+by\b`), hasPublishedBy},
		// "Published in Journal of X".
		{regexp.MustCompile(`^(?i:published in:?)\s+` + venueNameP + `\s*(?:[,.;(]|\d|$)`), hasPublishedIn},
		// "Weng et al., iScience 27," (the page on the next line).
		{regexp.MustCompile(`^\p{Lu}[\p{L}\p{M}'’-]+\s+et\s+al\.,?\s+` + venueNameP + `\s+\d{1,4},\s*(?:e?\d+\.?)?$`), hasEtAl},
		// A footer: "Frontiers in Veterinary Science 01 frontiersin.org".
		{regexp.MustCompile(`^` + venueNameP + `\s+\d{1,4}\s+(?:www\.)?[a-z0-9-]+\.(?:org|com)$`), hasDomain},
	}
	// citeBlockRe opens a suggested citation ("Citation: Ko, S.-J.; …
	// Water. Materials 2021, 14, 4416.", "How to cite this article …
	// Ethiopia. PeerJ 13:e19428").
	citeBlockRe = regexp.MustCompile(`^(?i:citation:|cite this article:?|how to cite this article:?|to cite this article:?)`)
	// citeVenueRe: the journal after the title's closing period, then its
	// volume and page ("PeerJ 13:e19428", "PLoS One 20(5): e0323994",
	// "Materials 2021, 14, 4416").
	citeVenueRe = regexp.MustCompile(`[.?!]\s+` + venueNameP + `,?\s+(?:` + yearP + `[,;]\s*\d{1,4}\s*(?:\(\d{1,4}\))?\s*[,:]\s*e?\d|\d{1,4}\s*(?:\(\d{1,4}\))?\s*:\s*e?\d)`)
	venueStop   = map[string]bool{"copyright": true, "licence": true, "license": true, "received": true, "accepted": true,
		"published": true, "available": true, "doi": true, "http": true, "https": true, "www": true, "et": true, "al": true,
		"citation": true, "correspondence": true, "email": true, "e-mail": true, "page": true, "vol": true, "volume": true,
		"issue": true, "article": true, "authors": true, "author": true,
		"editor": true, "editorial": true, "cite": true, "downloaded": true, "preprint": true, "submitted": true, "revised": true}
	// sentenceStart: words that open a sentence of running text, not a
	// journal's name ("In 2019, 12: 45 …").
	sentenceStart = map[string]bool{"in": true, "on": true, "at": true, "by": true, "for": true, "from": true, "since": true,
		"until": true, "during": true, "after": true, "before": true, "between": true, "to": true, "with": true, "of": true,
		"and": true, "we": true, "our": true, "this": true, "these": true, "fig": true, "fig.": true, "figure": true, "table": true}
	venueLower = map[string]bool{"of": true, "and": true, "the": true, "in": true, "for": true, "on": true, "de": true,
		"des": true, "du": true, "der": true, "und": true, "y": true, "la": true, "le": true, "di": true, "&": true, "a": true}
)

// findVenue returns the journal named by the first citation line among
// lines, or "".
//
// A name spelt with abbreviations ("Front. Vet. Sci.") is kept only when no
// line spells one out.
func findVenue(lines []string) string {
	abbrev := ""
	for i, l := range lines {
		t := strings.Trim(strings.TrimSpace(l), "*_ ")
		if len(t) < 6 || len(t) > 300 {
			continue
		}
		v := ""
		for _, f := range venueRes {
			if !f.need(t) {
				continue
			}
			if m := f.re.FindStringSubmatch(t); m != nil {
				if v = venueName(m[1]); v != "" {
					break
				}
			}
		}
		if v == "" && citeBlockRe.MatchString(t) {
			v = citedVenue(lines[i:min(len(lines), i+8)])
		}
		switch {
		case v == "":
		case !strings.Contains(v, "."):
			return v
		case abbrev == "":
			abbrev = v
		}
	}
	return abbrev
}

// citedVenue is the journal of a suggested citation that starts on the
// first of lines: its text up to the first DOI or blank line is read.
func citedVenue(lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if t == "" || i > 0 && findDOI(b.String()) != "" {
			break
		}
		b.WriteString(t)
		b.WriteByte(' ')
	}
	block := b.String()
	if k := strings.Index(block, "doi"); k >= 0 {
		block = block[:k]
	}
	if k := strings.Index(block, "http"); k >= 0 {
		block = block[:k]
	}
	ms := citeVenueRe.FindAllStringSubmatch(block, -1)
	if len(ms) == 0 {
		return ""
	}
	// The last match: the title's sentences come before the journal. The
	// match can still hold the title's last sentence ("Effect on Carbon
	// Steel. Materials"): of the parts between full stops, the last is
	// the journal, with the one-word parts before it that abbreviate its
	// name ("Front. Vet. Sci.").
	parts := strings.Split(ms[len(ms)-1][1], ". ")
	k := len(parts) - 1
	for k > 0 && len(strings.Fields(parts[k-1])) == 1 && len(strings.Fields(parts[k])) == 1 {
		k--
	}
	return venueName(strings.Join(parts[k:], ". "))
}

// venueName checks and tidies a journal name taken from a citation line:
// capitalised words (or "iScience", "eLife") with lower-case joining
// words, no dates, licence or article-kind words.
func venueName(s string) string {
	s = strings.TrimRight(strings.TrimSpace(s), ".,;:")
	f := strings.Fields(s)
	// "… and Localization. Sensors 2022": a citation's title ends at a
	// full word's period (abbreviations are short: "Environ. Sci.").
	for i := len(f) - 2; i >= 0; i-- {
		if w := f[i]; strings.HasSuffix(w, ".") && utf8.RuneCountInString(w) > 9 {
			f = f[i+1:]
			s = strings.Join(f, " ")
			break
		}
	}
	if len(f) == 0 || len(f) > 10 || len(s) > 100 || articleKind.MatchString(s) {
		return ""
	}
	for i, w := range f {
		lw := strings.ToLower(strings.Trim(w, ".,"))
		if venueStop[lw] {
			return ""
		}
		r := firstRune(w)
		switch {
		case unicode.IsUpper(r) || r == '&':
		case i > 0 && venueLower[lw]:
		case unicode.IsLower(r) && strings.IndexFunc(w, unicode.IsUpper) > 0:
			// "iScience", "eLife"
		default:
			return ""
		}
	}
	if venueLower[f[len(f)-1]] || strings.Contains(strings.ToLower(s), "open access") || sentenceStart[strings.ToLower(f[0])] {
		return ""
	}
	return s
}

// pageEdgeLines are the first and last n non-empty lines of a page.
func pageEdgeLines(page string, n int) []string {
	ls := strings.Split(page, "\n")
	idx := edgeLines(ls, n)
	sort.Ints(idx) // in page order, so that a citation's lines follow each other
	var out []string
	for k, j := range idx {
		if k == 0 || j != idx[k-1] {
			out = append(out, ls[j])
		}
	}
	return out
}

// endsAffiliationBlock: a line after the affiliations that is none: a
// DOI, a journal's citation line, a URL.
func endsAffiliationBlock(t string) bool {
	return findDOI(t) != "" || findVenue([]string{t}) != "" || strings.Contains(t, "://") || strings.HasPrefix(t, "www.")
}

// venueForm is one citation line layout and what a line needs to have it.
type venueForm struct {
	re   *regexp.Regexp
	need func(string) bool
}

// hasYear: s holds a year 1900–2099 (four digits not inside a number).
func hasYear(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		if (s[i] == '1' && s[i+1] == '9' || s[i] == '2' && s[i+1] == '0') && isDigit(s[i+2]) && isDigit(s[i+3]) &&
			(i == 0 || !isDigit(s[i-1])) && (i+4 == len(s) || !isDigit(s[i+4])) {
			return true
		}
	}
	return false
}

func hasBar(s string) bool         { return strings.IndexByte(s, '|') >= 0 }
func hasBarYear(s string) bool     { return hasBar(s) && hasYear(s) }
func hasPublishedBy(s string) bool { return strings.Contains(s, "published by") && hasYear(s) }
func hasPublishedIn(s string) bool { return len(s) > 12 && strings.EqualFold(s[:12], "published in") }
func hasEtAl(s string) bool        { return strings.Contains(s, "et al") }
func hasDomain(s string) bool      { return strings.HasSuffix(s, ".org") || strings.HasSuffix(s, ".com") }

// affiliationSection is the text (at most 4000 bytes) under the first line
// that reads "Author details", "Author information" or "Affiliations", or
// "".
//
// Each search resumes at the line after a match, and stops at the last line
// break, so a text that repeats a label on one long line costs one pass,
// not one pass per repetition.
func affiliationSection(text string) string {
	for _, label := range []string{"Author details", "Author information", "Affiliations"} {
		for k := 0; k < len(text); {
			i := strings.Index(text[k:], label)
			if i < 0 {
				break
			}
			p := k + i
			e := strings.IndexByte(text[p:], '\n')
			if e < 0 {
				break // no line break after it: nothing is listed under it
			}
			b := p + e + 1 // the next line
			k = b
			if strings.TrimSpace(text[p+len(label):p+e]) != "" || strings.TrimSpace(text[strings.LastIndexByte(text[:p], '\n')+1:p]) != "" {
				continue // not a line of its own
			}
			return text[b:min(len(text), b+4000)]
		}
	}
	return ""
}
