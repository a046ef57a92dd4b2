package extract

import (
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Entity finding is rules and lists, not a statistical model: it runs in
// one pass over the text, at the speed of the rest of extraction and in
// constant memory, and every mention it reports can be explained. What it
// finds:
//
//   - people: the document's authors where the text names them, and the
//     first authors of cited works at their author-year markers (named as
//     the reference list names them);
//   - organisations: runs of capitalised words holding an institution word
//     ("University of Cambridge", "Max Planck Institute for Biology");
//   - places: countries (every ISO 3166 country by its English name, from
//     golang.org/x/text, plus common short forms), US states and
//     continents, as capitalised runs of words;
//   - key concepts: the document's keywords, and the two- and three-word
//     phrases of its title and abstract (no stop words) that its body uses
//     at least twice.
//
// Names are normalised so that mentions of one entity share one: the
// author's full name, the gazetteer's name of a place, a concept in lower
// case.

const (
	// MaxEntityMentions bounds Document.Entities.
	MaxEntityMentions = 1000
	// maxMentionsPerName bounds the mentions kept of one entity.
	maxMentionsPerName = 20
	// maxRunWords bounds a run of capitalised words considered as one name.
	maxRunWords = 12
)

// orgWords mark a capitalised run as an organisation.
var orgWords = map[string]bool{
	"university": true, "universität": true, "université": true, "universidad": true, "universidade": true,
	"università": true, "universiteit": true, "institute": true, "institut": true, "instituto": true,
	"istituto": true, "college": true, "laboratory": true, "laboratories": true, "laboratoire": true,
	"hospital": true, "clinic": true, "foundation": true, "council": true, "agency": true, "academy": true,
	"centre": true, "center": true, "school": true, "ministry": true, "organization": true,
	"organisation": true, "corporation": true, "society": true, "association": true, "consortium": true,
	"observatory": true, "museum": true, "department": true, "faculty": true,
}

// connectors may join the capitalised words of one name.
var connectors = map[string]bool{
	"of": true, "for": true, "the": true, "de": true, "di": true, "du": true, "der": true,
	"des": true, "für": true, "and": true, "&": true, "y": true, "e": true, "la": true,
}

// stopWords are never part of a concept phrase of the title or abstract.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the of for and or in on at to from by with without into onto
		over under between among within across through during via per as is are was were be been being
		this that these those it its their our we us they them he she his her which who whom whose what
		when where why how than then there here not no nor but if so such can could may might must should
		would will shall do does did done has have had using used use based new novel study studies paper
		results result approach method methods analysis data also both each more most other some all any
		one two three first second however thus therefore here show shows shown`) {
		m[w] = true
	}
	return m
}()

// extraPlaces are names the x/text region list spells differently, and
// places that are not countries.
var extraPlaces = []string{
	"USA", "U.S.A.", "United States of America", "UK", "England", "Scotland", "Wales",
	"Northern Ireland", "Czech Republic", "Korea", "Republic of Korea", "Russian Federation",
	"The Netherlands", "Hong Kong", "Macau", "Taiwan", "Palestine", "Ivory Coast", "Burma",
	"Swaziland", "Africa", "Europe", "Asia", "North America", "South America", "Antarctica",
	"Oceania", "Latin America", "Middle East", "Scandinavia",
	"Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut", "Delaware",
	"Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa", "Kansas", "Kentucky",
	"Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan", "Minnesota", "Mississippi",
	"Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire", "New Jersey", "New Mexico",
	"New York", "North Carolina", "North Dakota", "Ohio", "Oklahoma", "Oregon", "Pennsylvania",
	"Rhode Island", "South Carolina", "South Dakota", "Tennessee", "Texas", "Utah", "Vermont",
	"Virginia", "Washington", "West Virginia", "Wisconsin", "Wyoming",
}

var (
	placesOnce sync.Once
	places     map[string]string // lower-case name → name
	placeWords int               // the most words a place name has
)

// placeNames builds the gazetteer once: the English name of every ISO
// 3166-1 country x/text knows, and extraPlaces.
func placeNames() (map[string]string, int) {
	placesOnce.Do(func() {
		places = map[string]string{}
		add := func(name string) {
			if name == "" {
				return
			}
			places[strings.ToLower(name)] = name
			placeWords = max(placeWords, len(strings.Fields(name)))
		}
		namer := display.English.Regions()
		for a := 'A'; a <= 'Z'; a++ {
			for b := 'A'; b <= 'Z'; b++ {
				r, err := language.ParseRegion(string([]rune{a, b}))
				if err != nil || !r.IsCountry() {
					continue
				}
				name := namer.Name(r)
				// "Congo - Kinshasa", "Myanmar (Burma)": the part before
				// the qualifier is how papers write it.
				if i := strings.IndexAny(name, "(-"); i > 0 {
					name = strings.TrimSpace(name[:i])
				}
				add(name)
			}
		}
		for _, p := range extraPlaces {
			add(p)
		}
	})
	return places, placeWords
}

// word is one word of the text, with its byte offsets.
type word struct {
	start, end int
	text       string
}

// asciiWord marks the ASCII bytes isWordRune accepts.
var asciiWord = func() (t [utf8.RuneSelf]bool) {
	for c := range utf8.RuneSelf {
		t[c] = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '\'' || c == '-' || c == '&' || c == '.'
	}
	return t
}()

// isWordRune: letters, digits and the joiners inside names.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiWord[r]
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '’'
}

// eachWord calls fn for every word of text with what separates it from the
// previous one: sameRun is true when only single spaces do (no line break,
// no punctuation), so the two may belong to one name.
func eachWord(text string, fn func(w word, sameRun bool)) {
	prevEnd := -1
	i := 0
	for i < len(text) {
		r, n := rune(text[i]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRuneInString(text[i:])
		}
		if !isWordRune(r) || r == '.' || r == '-' || r == '\'' || r == '’' {
			i += n
			continue
		}
		start := i
		for i < len(text) {
			if c := text[i]; c < utf8.RuneSelf {
				if !asciiWord[c] {
					break
				}
				i++
				continue
			}
			r, n := utf8.DecodeRuneInString(text[i:])
			if !isWordRune(r) {
				break
			}
			i += n
		}
		end := i
		// A word ends before trailing dots and joiners ("U.S.A." keeps its
		// dots, "Smith." does not).
		for end > start && strings.ContainsRune(".-'’", rune(text[end-1])) && !(text[end-1] == '.' && end-start > 2 && text[end-3] == '.') {
			end--
		}
		same := prevEnd >= 0 && onlySpaces(text[prevEnd:start])
		fn(word{start: start, end: end, text: text[start:end]}, same)
		prevEnd = end
	}
}

func onlySpaces(s string) bool {
	if s == "" || len(s) > 2 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			return false
		}
	}
	return true
}

func capitalised(w string) bool {
	if w != "" && w[0] < utf8.RuneSelf {
		return 'A' <= w[0] && w[0] <= 'Z'
	}
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsUpper(r)
}

type entityKey struct {
	t    EntityType
	name string
}

// entityFinder collects mentions, bounded per name and in all.
type entityFinder struct {
	text    string
	pageOf  func(int) int
	out     []Entity
	perName map[entityKey]int
	lower   []byte // scratch for case-insensitive lookups
	// Concepts seen in the body: every hit (bounded), and counts.
	hits   []conceptHit
	counts map[*candidate]int
}

func (f *entityFinder) add(t EntityType, name string, start, end int) {
	if len(f.out) >= MaxEntityMentions || start < 0 || end <= start {
		return
	}
	key := entityKey{t, name}
	if f.perName[key] >= maxMentionsPerName {
		return
	}
	f.perName[key]++
	f.out = append(f.out, Entity{Type: t, Text: f.text[start:end], Name: name, Start: start, End: end, Page: f.pageOf(start)})
}

// findEntities finds the named entities of doc in its text; persons holds
// the cited authors findCitations saw at author-year markers.
func findEntities(doc *Document, bodyEnd int, persons []Entity, pageOf func(int) int) []Entity {
	text := doc.Text
	if text == "" {
		return nil
	}
	f := &entityFinder{text: text, pageOf: pageOf, perName: map[entityKey]int{}}

	// The document's authors, where the text names them.
	for _, a := range doc.Authors {
		name := collapseSpace(a.Full)
		if len(name) < 4 || !strings.Contains(name, " ") {
			continue
		}
		for off, n := 0, 0; n < 3; n++ {
			i := strings.Index(text[off:], name)
			if i < 0 {
				break
			}
			f.add(EntityPerson, name, off+i, off+i+len(name))
			off += i + len(name)
		}
	}
	for _, p := range persons {
		f.add(p.Type, p.Name, p.Start, p.End)
	}

	// One pass over the words feeds both finders.
	runs := f.capitalisedRuns()
	concepts := f.concepts(doc, bodyEnd)
	eachWord(text, func(w word, same bool) {
		runs(w, same)
		if concepts != nil && w.end <= bodyEnd {
			concepts(w, same)
		}
	})
	runs(word{}, false) // the last run
	if concepts != nil {
		f.keepConcepts()
	}

	sort.SliceStable(f.out, func(i, j int) bool {
		a, b := f.out[i], f.out[j]
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.Start < b.Start
	})
	return f.out
}

// capitalisedRuns returns a word visitor that finds organisations and
// places among the runs of capitalised words (joined by connectors); a
// zero word ends the last run.
func (f *entityFinder) capitalisedRuns() func(word, bool) {
	gazetteer, maxPlace := placeNames()
	var run []word
	flush := func() {
		// Connectors do not end a name.
		for len(run) > 0 && connectors[strings.ToLower(run[len(run)-1].text)] {
			run = run[:len(run)-1]
		}
		if len(run) > 0 {
			f.evaluateRun(run, gazetteer, maxPlace)
		}
		run = run[:0]
	}
	return func(w word, same bool) {
		if len(f.out) >= MaxEntityMentions {
			return
		}
		if !same || len(run) >= maxRunWords || w.text == "" {
			flush()
		}
		switch {
		case w.text == "":
		case capitalised(w.text):
			run = append(run, w)
		case len(run) > 0 && connectors[w.text]:
			run = append(run, w)
		default:
			flush()
		}
	}
}

// evaluateRun reports run as an organisation when it holds an institution
// word, and otherwise the places it names. A run of two organisations
// joined by "and" ("the University of Oslo and the Max Planck Institute")
// is two; "Department of Computer Science and Engineering" is one, since
// only one side names an institution.
func (f *entityFinder) evaluateRun(run []word, gazetteer map[string]string, maxPlace int) {
	for i, w := range run {
		if (w.text == "and" || w.text == "&") && f.hasOrgWord(run[:i]) && f.hasOrgWord(run[i+1:]) {
			f.evaluateRun(trimConnectors(run[:i]), gazetteer, maxPlace)
			f.evaluateRun(trimConnectors(run[i+1:]), gazetteer, maxPlace)
			return
		}
	}
	for _, w := range run {
		f.lower = appendLower(f.lower[:0], w.text)
		if orgWords[string(f.lower)] {
			// "The University of X": a leading article is not the name.
			first := 0
			if len(run) > 1 && strings.EqualFold(run[0].text, "the") {
				first = 1
			}
			if len(run)-first >= 2 {
				start, end := run[first].start, run[len(run)-1].end
				f.add(EntityOrganisation, collapseSpace(f.text[start:end]), start, end)
			}
			return
		}
	}
	// Places: the longest gazetteer name at each position.
	for i := 0; i < len(run); {
		matched := 0
		for n := min(maxPlace, len(run)-i); n >= 1; n-- {
			start, end := run[i].start, run[i+n-1].end
			f.lower = appendLower(f.lower[:0], f.text[start:end])
			if name, ok := gazetteer[string(f.lower)]; ok {
				f.add(EntityPlace, name, start, end)
				matched = n
				break
			}
		}
		i += max(matched, 1)
	}
}

func (f *entityFinder) hasOrgWord(run []word) bool {
	for _, w := range run {
		f.lower = appendLower(f.lower[:0], w.text)
		if orgWords[string(f.lower)] {
			return true
		}
	}
	return false
}

// trimConnectors drops the connectors at both ends of run.
func trimConnectors(run []word) []word {
	for len(run) > 0 && connectors[strings.ToLower(run[0].text)] {
		run = run[1:]
	}
	for len(run) > 0 && connectors[strings.ToLower(run[len(run)-1].text)] {
		run = run[:len(run)-1]
	}
	return run
}

// concepts returns a word visitor that finds the document's key concepts
// where its body mentions them: its keywords, and the two- and three-word
// phrases of its title and abstract (no stop words) that the body uses at
// least twice; keepConcepts then reports them. nil when there are none to
// look for.
func (f *entityFinder) concepts(doc *Document, bodyEnd int) func(word, bool) {
	byFirst := map[string][]*candidate{}
	seen := map[string]bool{}
	addCandidate := func(words []string, keyword bool) {
		key := strings.Join(words, " ")
		if len(words) == 0 || seen[key] {
			return
		}
		seen[key] = true
		byFirst[words[0]] = append(byFirst[words[0]], &candidate{words: words, name: key, keyword: keyword})
	}
	lowerWords := func(s string) []string {
		var ws []string
		eachWord(s, func(w word, _ bool) { ws = append(ws, strings.ToLower(w.text)) })
		return ws
	}
	for _, k := range doc.Keywords {
		if ws := lowerWords(k); len(ws) > 0 && len(ws) <= 6 {
			addCandidate(ws, true)
		}
	}
	for _, s := range []string{doc.Title, doc.Abstract} {
		ws := lowerWords(s)
		for n := 2; n <= 3; n++ {
			for i := 0; i+n <= len(ws); i++ {
				phrase := ws[i : i+n]
				if hasStopWord(phrase) || !allLetters(phrase) {
					continue
				}
				addCandidate(append([]string(nil), phrase...), false)
			}
		}
	}
	if len(byFirst) == 0 {
		return nil
	}
	f.counts = map[*candidate]int{}
	var open, next []partial
	found := func(c *candidate, start, end int) {
		f.counts[c]++
		if len(f.hits) < 4*MaxEntityMentions {
			f.hits = append(f.hits, conceptHit{c, start, end})
		}
	}
	// Partial matches advance word by word.
	return func(w word, same bool) {
		if !same {
			open = open[:0] // a phrase does not cross punctuation or a line break
		}
		next = next[:0]
		for _, p := range open {
			if !strings.EqualFold(w.text, p.c.words[p.matched]) {
				continue
			}
			if p.matched++; p.matched == len(p.c.words) {
				found(p.c, p.start, w.end)
				continue
			}
			next = append(next, p)
		}
		open, next = next, open
		var cands []*candidate
		if hasUpper(w.text) {
			f.lower = appendLower(f.lower[:0], w.text)
			cands = byFirst[string(f.lower)]
		} else {
			cands = byFirst[w.text]
		}
		for _, c := range cands {
			if len(c.words) == 1 {
				found(c, w.start, w.end)
			} else {
				open = append(open, partial{c: c, start: w.start, matched: 1})
			}
		}
	}
}

// candidate is a concept looked for: its words in lower case.
type candidate struct {
	words   []string
	name    string // the words joined by spaces
	keyword bool
}

// partial is a candidate whose first matched words have been seen.
type partial struct {
	c       *candidate
	start   int
	matched int
}

type conceptHit struct {
	c          *candidate
	start, end int
}

// keepConcepts reports the concepts found: keywords wherever they occur,
// phrases only when the body uses them at least twice.
func (f *entityFinder) keepConcepts() {
	for _, h := range f.hits {
		if h.c.keyword || f.counts[h.c] >= 2 {
			f.add(EntityConcept, h.c.name, h.start, h.end)
		}
	}
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			for _, r := range s[i:] {
				dst = utf8.AppendRune(dst, unicode.ToLower(r))
			}
			return dst
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func hasStopWord(ws []string) bool {
	for _, w := range ws {
		if stopWords[w] {
			return true
		}
	}
	return false
}

func allLetters(ws []string) bool {
	for _, w := range ws {
		for _, r := range w {
			if !unicode.IsLetter(r) && r != '-' {
				return false
			}
		}
	}
	return true
}
