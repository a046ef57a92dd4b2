package corpus

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Format is a document format the generator writes.
type Format string

// The supported formats.
const (
	FormatText     Format = "text"
	FormatMarkdown Format = "markdown"
	FormatHTML     Format = "html"
	FormatJATS     Format = "jats"
	FormatPDF      Format = "pdf"
)

// Ext is the file extension (with dot) used for the format.
func (f Format) Ext() string {
	switch f {
	case FormatText:
		return ".txt"
	case FormatMarkdown:
		return ".md"
	case FormatHTML:
		return ".html"
	case FormatJATS:
		return ".xml"
	case FormatPDF:
		return ".pdf"
	}
	return ""
}

// defaultMix keeps PDFs to about a tenth: they are an order of magnitude slower to
// write (and to extract), and a corpus dominated by them would make every benchmark a
// PDF benchmark.
var defaultMix = []struct {
	f Format
	w float64
}{
	{FormatText, 0.23}, {FormatMarkdown, 0.22}, {FormatHTML, 0.23}, {FormatJATS, 0.22}, {FormatPDF, 0.10},
}

// Options controls Generate.
type Options struct {
	Docs          int      // number of documents (MinDocs .. MaxDocs)
	Bytes         int64    // approximate total bytes of the documents (0 = natural sizes)
	Seed          int64    // same Options, same bytes
	Formats       []Format // formats to mix; nil = default mix (about 10% PDF)
	DepFraction   float64  // fraction of documents with 1-3 dependencies on earlier ones
	ExternalWorks int      // pool of outside cited works; 0 = derived from Docs
}

// Limits on Options.Docs.
const (
	MinDocs = 10
	MaxDocs = 1_000_000
)

// KeepInMemoryDocs is the largest corpus for which Generate also returns Documents and
// Works in the *Gold; above it they are only in gold.json (use StreamGold).
const KeepInMemoryDocs = 20_000

// ErrInvalidOptions is returned (wrapped) when Options are out of range.
var ErrInvalidOptions = errors.New("corpus: invalid options")

// Files written next to the documents.
const (
	GoldFile     = "gold.json"
	ManifestFile = "manifest.jsonl"
)

// ManifestEntry is one line of manifest.jsonl. ID equals Path (the relative path).
type ManifestEntry struct {
	ID        string   `json:"id"`
	Path      string   `json:"path"`
	Priority  string   `json:"priority"`
	DependsOn []string `json:"depends_on"`
}

// RNG streams: every kind of entity draws from its own stream keyed by its index, so
// an entity can be regenerated on demand (a cited document's title, an outside work)
// instead of being kept in memory, and adding draws to one kind never shifts another.
const (
	streamPerson uint64 = iota + 1
	streamWork
	streamCore
	streamBody
	streamSize
	streamFormat
)

type rng struct {
	pcg rand.PCG
	r   *rand.Rand
}

func newRNG() *rng {
	x := &rng{}
	x.r = rand.New(&x.pcg)
	return x
}

func (x *rng) seed(seed int64, stream uint64, i int) {
	x.pcg.Seed(uint64(seed)^(stream*0x9E3779B97F4A7C15), uint64(i)*0xD1B54A32D192ED03+stream)
}

func (x *rng) intn(n int) int         { return x.r.IntN(n) }
func (x *rng) f() float64             { return x.r.Float64() }
func (x *rng) pick(s []string) string { return s[x.r.IntN(len(s))] }
func (x *rng) between(lo, hi int) int { return lo + x.r.IntN(hi-lo+1) }
func (x *rng) chance(p float64) bool  { return x.r.Float64() < p }
func (x *rng) normal() float64        { return x.r.NormFloat64() }
func (x *rng) skewed(n int, p float64) int { // heavy head: index 0 is the most likely
	k := int(float64(n) * math.Pow(x.r.Float64(), p))
	if k >= n {
		k = n - 1
	}
	return k
}

// docCore is the part of a document that other documents need when they cite it. It is
// a pure function of (seed, index), so citing documents regenerate it rather than the
// generator keeping a million titles in memory.
type docCore struct {
	idx     int
	id      string
	format  Format
	domain  int
	title   string
	authors []authorSlot
	year    int
	venue   int
	volume  int
	issue   int
	fpage   int
	lpage   int
	doi     string
}

type authorSlot struct {
	person  int
	variant int
	org     int
	affForm int
}

type generator struct {
	opts Options
	mix  []struct {
		f Format
		w float64
	}
	people   []person
	byDomain [][]int // person indices per domain
	orgs     []org
	nWorks   int

	rCore, rCite, rBody, rWork *rng

	// Preferential attachment: a document appears once when written and once more per
	// citation it receives, so drawing uniformly from a ballot favours the well cited.
	ballotAll []int32
	ballotDom [][]int32
	domainOf  []uint8

	sb strings.Builder
}

func validate(opts *Options) error {
	if opts.Docs < MinDocs || opts.Docs > MaxDocs {
		return fmt.Errorf("%w: docs %d not in [%d, %d]", ErrInvalidOptions, opts.Docs, MinDocs, MaxDocs)
	}
	if opts.Bytes < 0 {
		return fmt.Errorf("%w: negative bytes", ErrInvalidOptions)
	}
	if opts.DepFraction < 0 || opts.DepFraction > 1 || math.IsNaN(opts.DepFraction) {
		return fmt.Errorf("%w: dep fraction %v not in [0, 1]", ErrInvalidOptions, opts.DepFraction)
	}
	if opts.ExternalWorks < 0 {
		return fmt.Errorf("%w: negative external works", ErrInvalidOptions)
	}
	for _, f := range opts.Formats {
		if f.Ext() == "" {
			return fmt.Errorf("%w: unknown format %q", ErrInvalidOptions, f)
		}
	}
	return nil
}

func newGenerator(opts Options) *generator {
	g := &generator{opts: opts, rCore: newRNG(), rCite: newRNG(), rBody: newRNG(), rWork: newRNG()}
	if len(opts.Formats) == 0 {
		g.mix = defaultMix
	} else {
		// Keep the default relative weights of the chosen formats; duplicates count once.
		for _, m := range defaultMix {
			if slices.Contains(opts.Formats, m.f) {
				g.mix = append(g.mix, m)
			}
		}
	}
	g.nWorks = opts.ExternalWorks
	if g.nWorks == 0 {
		g.nWorks = min(max(opts.Docs*2, 200), 500_000)
	}
	nOrgs := min(opts.Docs/10+20, len(places)*len(orgTemplates))
	g.orgs = makeOrgs(nOrgs)
	nPeople := min(opts.Docs*6/10+40, 200_000)
	g.people = make([]person, nPeople)
	g.byDomain = make([][]int, len(domains))
	r := newRNG()
	for i := range g.people {
		r.seed(opts.Seed, streamPerson, i)
		p := &g.people[i]
		o := nameOrigins[originIndex(r)]
		p.name = nameParts{Given: r.pick(o.Given), Family: r.pick(o.Family)}
		if r.chance(0.45) {
			p.name.Middle = string(rune('A' + r.intn(26)))
		}
		p.nick = nicknames[p.name.Given]
		if r.chance(0.4) {
			p.orcid = orcidFor(i)
		}
		p.org = r.skewed(nOrgs, 1.6)
		p.domain = i % len(domains)
		g.byDomain[p.domain] = append(g.byDomain[p.domain], i)
	}
	g.ballotDom = make([][]int32, len(domains))
	g.domainOf = make([]uint8, opts.Docs)
	return g
}

// originIndex favours the first (English) pool, as author lists in the literature do.
func originIndex(r *rng) int {
	if r.chance(0.35) {
		return 0
	}
	return r.intn(len(nameOrigins))
}

func (g *generator) docPath(i int, f Format) string {
	return fmt.Sprintf("docs/%04d/p%06d%s", i/1000, i, f.Ext())
}

func (g *generator) yearOf(i int) int { return 1995 + i*30/g.opts.Docs }

// core fills c with document i's citable metadata.
func (g *generator) core(i int, c *docCore) {
	r := g.rCore
	r.seed(g.opts.Seed, streamCore, i)
	c.idx = i
	x := r.f()
	total := 0.0
	for _, m := range g.mix {
		total += m.w
	}
	x *= total
	c.format = g.mix[len(g.mix)-1].f
	for _, m := range g.mix {
		if x < m.w {
			c.format = m.f
			break
		}
		x -= m.w
	}
	c.id = g.docPath(i, c.format)
	c.domain = r.intn(len(domains))
	c.title = g.title(r, c.domain)
	c.year = g.yearOf(i)
	c.venue = r.intn(len(domains[c.domain].Venues))
	c.volume = c.year - 1960 + r.intn(3)
	c.issue = 1 + r.intn(12)
	c.fpage = 1 + r.intn(2000)
	c.lpage = c.fpage + 5 + r.intn(25)
	c.doi = fmt.Sprintf("10.5555/%s.%d.%07d", domains[c.domain].Slug, c.year, i)
	n := 1 + r.intn(4)
	if r.chance(0.25) {
		n += r.intn(6)
	}
	c.authors = c.authors[:0]
	pool := g.byDomain[c.domain]
	for len(c.authors) < n {
		var pi int
		if r.chance(0.85) {
			pi = pool[r.skewed(len(pool), 2.2)]
		} else { // interdisciplinary co-author
			pi = r.intn(len(g.people))
		}
		dup := false
		for _, a := range c.authors {
			if a.person == pi {
				dup = true
			}
		}
		if dup {
			continue
		}
		o := g.people[pi].org
		if r.chance(0.1) { // visiting or moved
			o = r.intn(len(g.orgs))
		}
		v := varFull
		switch x := r.f(); {
		case x < 0.5:
		case x < 0.7:
			v = varInitials
		case x < 0.85:
			v = varNoMiddle
		default:
			v = varNick
		}
		c.authors = append(c.authors, authorSlot{person: pi, variant: v, org: o, affForm: r.intn(numAffForms)})
	}
}

// pick2 draws two different words, so titles never read "X in X".
func pick2(r *rng, s []string) (string, string) {
	i := r.intn(len(s))
	j := r.intn(len(s) - 1)
	if j >= i {
		j++
	}
	return s[i], s[j]
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	if s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-32) + s[1:]
	}
	return s
}

func (g *generator) title(r *rng, d int) string {
	dm := &domains[d]
	var t string
	switch r.intn(8) {
	case 0:
		t = r.pick(dm.Adjs) + " " + r.pick(dm.Nouns) + " in " + r.pick(dm.Contexts)
	case 1:
		t = "Using " + r.pick(dm.Methods) + " to resolve " + r.pick(dm.Adjs) + " " + r.pick(dm.Nouns)
	case 2:
		a, b := pick2(r, dm.Nouns)
		t = "The role of " + a + " in " + b + ": evidence from " + r.pick(dm.Contexts)
	case 3:
		t = "Towards " + r.pick(dm.Adjs) + " " + r.pick(dm.Nouns) + ": a " + r.pick(dm.Methods) + " approach"
	case 4:
		a, b := pick2(r, dm.Nouns)
		t = a + " and " + b + " across " + r.pick(dm.Contexts)
	case 5:
		a, b := pick2(r, dm.Nouns)
		t = "How " + a + " may " + r.pick(verbsBase) + " " + b
	case 6:
		a, b := pick2(r, dm.Nouns)
		t = r.pick(adjsGeneric) + " effects of " + a + " on " + b + " in " + r.pick(dm.Contexts)
	default:
		t = "Quantifying " + r.pick(dm.Adjs) + " " + r.pick(dm.Nouns) + " with " + r.pick(dm.Methods)
	}
	return capitalise(t)
}

// work regenerates outside work i.
func (g *generator) work(i int, it *citeItem) {
	r := g.rWork
	r.seed(g.opts.Seed, streamWork, i)
	d := i % len(domains)
	it.title = g.title(r, d)
	it.year = 1960 + r.intn(41)
	it.venue = domains[d].Venues[r.intn(len(domains[d].Venues))]
	it.volume = max(1, it.year-1950+r.intn(3))
	it.issue = 1 + r.intn(12)
	it.fpage = 1 + r.intn(900)
	it.lpage = it.fpage + 3 + r.intn(20)
	it.doi = ""
	if r.chance(0.85) {
		it.doi = fmt.Sprintf("10.5555/ext.%07d", i)
	}
	it.authors = it.authors[:0]
	for n := 1 + r.intn(5); n > 0; n-- {
		o := nameOrigins[originIndex(r)]
		np := nameParts{Given: r.pick(o.Given), Family: r.pick(o.Family)}
		if r.chance(0.4) {
			np.Middle = string(rune('A' + r.intn(26)))
		}
		it.authors = append(it.authors, np)
	}
	it.citesDoc = ""
	it.workID = workID(i)
}

func (g *generator) goldWork(i int) GoldWork {
	var it citeItem
	g.work(i, &it)
	gw := GoldWork{ID: it.workID, Title: it.title, DOI: it.doi, Year: it.year, Venue: it.venue.Name}
	for _, a := range it.authors {
		gw.Authors = append(gw.Authors, a.full())
	}
	return gw
}

// citeItem is a cited work (corpus document or outside work) before it is formatted.
type citeItem struct {
	authors  []nameParts
	title    string
	year     int
	venue    venue
	volume   int
	issue    int
	fpage    int
	lpage    int
	doi      string
	citesDoc string
	workID   string
}

func (g *generator) citeDoc(c *docCore, it *citeItem) {
	it.authors = it.authors[:0]
	for _, a := range c.authors {
		it.authors = append(it.authors, g.people[a.person].name)
	}
	it.title = c.title
	it.year = c.year
	it.venue = domains[c.domain].Venues[c.venue]
	it.volume, it.issue, it.fpage, it.lpage = c.volume, c.issue, c.fpage, c.lpage
	it.doi = c.doi
	it.citesDoc = c.id
	it.workID = c.id
}

// Generate writes opts.Docs documents, DIR/gold.json and DIR/manifest.jsonl. Documents
// are generated and written one at a time, so memory stays bounded whatever the size of
// the corpus; the same Options always produce byte-identical files.
func Generate(ctx context.Context, dir string, opts Options) (*Gold, error) {
	if err := validate(&opts); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating output dir: %w", err)
	}
	g := newGenerator(opts)
	keep := opts.Docs <= KeepInMemoryDocs
	gold := &Gold{Seed: opts.Seed}

	gf, err := os.Create(filepath.Join(dir, GoldFile))
	if err != nil {
		return nil, fmt.Errorf("creating gold: %w", err)
	}
	defer gf.Close()
	gw, err := newGoldWriter(gf, opts.Seed)
	if err != nil {
		return nil, fmt.Errorf("writing gold: %w", err)
	}
	mf, err := os.Create(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("creating manifest: %w", err)
	}
	defer mf.Close()
	mw := bufio.NewWriterSize(mf, 256<<10)
	menc := json.NewEncoder(mw)
	menc.SetEscapeHTML(false)

	sz := newSizer(g, opts)
	rd := newRenderers()
	var d docModel
	lastDir := -1
	for i := 0; i < opts.Docs; i++ {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		if dn := i / 1000; dn != lastDir {
			if err := os.MkdirAll(filepath.Join(dir, "docs", fmt.Sprintf("%04d", dn)), 0o755); err != nil {
				return nil, fmt.Errorf("creating docs dir: %w", err)
			}
			lastDir = dn
		}
		desired := sz.next(i)
		g.build(i, desired, &d)
		out, textBytes, err := rd.render(&d, desired, sz)
		if err != nil {
			return nil, fmt.Errorf("rendering %s: %w", d.gold.ID, err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.FromSlash(d.gold.ID)), out, 0o644); err != nil {
			return nil, fmt.Errorf("writing document: %w", err)
		}
		d.gold.SizeBytes = int64(len(out))
		sz.done(int64(len(out)), d.gold.Format, textBytes)
		if err := gw.doc(&d.gold); err != nil {
			return nil, fmt.Errorf("writing gold: %w", err)
		}
		if err := menc.Encode(ManifestEntry{ID: d.gold.ID, Path: d.gold.ID, Priority: d.gold.Priority, DependsOn: d.gold.DependsOn}); err != nil {
			return nil, fmt.Errorf("writing manifest: %w", err)
		}
		if keep {
			gold.Documents = append(gold.Documents, cloneDoc(&d.gold))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for i := range g.people {
		p := &g.people[i]
		gold.People = append(gold.People, GoldPerson{ID: personID(i), Given: p.name.Given + middleSuffix(p.name.Middle),
			Family: p.name.Family, ORCID: p.orcid, Variants: p.variants()})
	}
	for i := range g.orgs {
		gold.Orgs = append(gold.Orgs, g.orgs[i].gold(i))
	}
	if err := gw.finish(gold.People, gold.Orgs, g.nWorks, func(i int) GoldWork {
		w := g.goldWork(i)
		if keep {
			gold.Works = append(gold.Works, w)
		}
		return w
	}); err != nil {
		return nil, fmt.Errorf("writing gold: %w", err)
	}
	if err := gf.Close(); err != nil {
		return nil, fmt.Errorf("closing gold: %w", err)
	}
	if err := mw.Flush(); err != nil {
		return nil, fmt.Errorf("writing manifest: %w", err)
	}
	if err := mf.Close(); err != nil {
		return nil, fmt.Errorf("closing manifest: %w", err)
	}
	return gold, nil
}

func middleSuffix(m string) string {
	if m == "" {
		return ""
	}
	return " " + m + "."
}

// cloneDoc deep-copies the slices the generator reuses between documents.
func cloneDoc(d *GoldDocument) GoldDocument {
	c := *d
	c.Authors = slices.Clone(d.Authors)
	c.Keywords = slices.Clone(d.Keywords)
	c.DependsOn = slices.Clone(d.DependsOn)
	c.References = make([]GoldReference, len(d.References))
	for i, r := range d.References {
		r.Authors = slices.Clone(r.Authors)
		c.References[i] = r
	}
	return c
}

// sizer plans per-document byte targets. With a Bytes target the raw sizes are
// log-normal (a heavy tail, as real collections have), scaled so they sum to Bytes, and
// corrected as the run goes by the ratio of bytes still wanted to bytes still planned:
// documents cannot shrink below their headers and reference lists, so early overshoot
// is paid back by later documents.
type sizer struct {
	g        *generator
	r        *rng
	target   int64
	scale    float64
	planned  float64 // planned bytes of the documents not yet written
	written  int64
	pdfRatio float64 // PDF file bytes per byte of text, learned as PDFs are written
	pdfText  int64
	pdfOut   int64
	lastRaw  float64
}

const (
	sizeSigma   = 0.9
	naturalSize = 9000.0
	maxDocBytes = 64 << 20
	maxPDFBytes = 8 << 20
	pdfOverhead = 1800 // fixed bytes of an fpdf file with core fonts
)

func newSizer(g *generator, opts Options) *sizer {
	s := &sizer{g: g, r: newRNG(), target: opts.Bytes, scale: 1, pdfRatio: 0.45}
	if opts.Bytes > 0 {
		sum := 0.0
		for i := 0; i < opts.Docs; i++ {
			sum += s.raw(i)
		}
		s.scale = float64(opts.Bytes) / sum
		s.planned = float64(opts.Bytes)
	}
	return s
}

func (s *sizer) raw(i int) float64 {
	s.r.seed(s.g.opts.Seed, streamSize, i)
	return math.Exp(sizeSigma*s.r.normal() - sizeSigma*sizeSigma/2)
}

func (s *sizer) next(i int) int {
	if s.target == 0 {
		s.r.seed(s.g.opts.Seed, streamSize, i)
		return int(min(naturalSize*math.Exp(0.7*s.r.normal()), 2<<20))
	}
	raw := s.raw(i) * s.scale
	s.lastRaw = raw
	factor := 0.25
	if rem := float64(s.target - s.written); rem > 0 && s.planned > 0 {
		factor = min(max(rem/s.planned, 0.25), 4)
	}
	return int(min(raw*factor, maxDocBytes))
}

func (s *sizer) done(n int64, f Format, textBytes int) {
	s.written += n
	s.planned -= s.lastRaw
	if f == FormatPDF && textBytes > 0 {
		s.pdfText += int64(textBytes)
		s.pdfOut += n - pdfOverhead
		if s.pdfText > 20000 {
			s.pdfRatio = min(max(float64(s.pdfOut)/float64(s.pdfText), 0.2), 1.5)
		}
	}
}

// pdfTextBudget converts a byte target for a PDF into a text-length target.
func (s *sizer) pdfTextBudget(desired int) int {
	desired = min(desired, maxPDFBytes)
	return int(float64(desired-pdfOverhead) / s.pdfRatio)
}

func (g *generator) priority(r *rng) string {
	switch x := r.f(); {
	case x < 0.01:
		return "CRITICAL"
	case x < 0.11:
		return "HIGH"
	case x < 0.18:
		return "LOW"
	}
	return "NORMAL"
}

// refStyle is the citation style of one document.
type refStyle int

const (
	styleNumbered refStyle = iota
	styleAuthorYear
	styleVancouver
)

func (s refStyle) String() string {
	return [...]string{"numbered", "author-year", "vancouver"}[s]
}

// docModel is one fully planned document, ready to render in its format.
type docModel struct {
	core      docCore
	gold      GoldDocument
	style     refStyle
	venue     venue
	affs      []string
	authorAff []int
	cites     []citeItem
	refLabels []string // in-text label per reference (author-year) — unused for numbered
	r         *rng     // body text stream, positioned after planning
	dm        *domain
}

// build plans document i: metadata, references, dependencies. Body text is drawn later,
// while rendering, from d.r.
func (g *generator) build(i, desired int, d *docModel) {
	g.core(i, &d.core)
	c := &d.core
	r := g.rBody
	r.seed(g.opts.Seed, streamBody, i)
	d.r = r
	d.dm = &domains[c.domain]
	d.venue = d.dm.Venues[c.venue]
	gd := &d.gold
	*gd = GoldDocument{
		ID: c.id, Format: c.format, Title: c.title, DOI: c.doi, Year: c.year, Venue: d.venue.Name,
		Domain: d.dm.Label, Authors: gd.Authors[:0], Keywords: gd.Keywords[:0],
		References: gd.References[:0], DependsOn: gd.DependsOn[:0],
	}
	d.affs = d.affs[:0]
	d.authorAff = d.authorAff[:0]
	for _, a := range c.authors {
		p := &g.people[a.person]
		given, family := p.byline(a.variant)
		aff := g.orgs[a.org].affiliation(a.affForm, d.dm.Dept)
		k := slices.Index(d.affs, aff)
		if k < 0 {
			k = len(d.affs)
			d.affs = append(d.affs, aff)
		}
		d.authorAff = append(d.authorAff, k)
		gd.Authors = append(gd.Authors, GoldAuthor{Given: given, Family: family, PersonID: personID(a.person),
			ORCID: p.orcid, Affiliation: aff, OrgID: orgID(a.org)})
	}
	d.style = refStyle(r.intn(3))
	gd.RefStyle = d.style.String()
	gd.Priority = g.priority(r)

	// Abstract and keywords.
	g.sb.Reset()
	for n := r.between(4, 6); n > 0; n-- {
		if g.sb.Len() > 0 {
			g.sb.WriteByte(' ')
		}
		sentence(r, d.dm, &g.sb)
	}
	gd.Abstract = g.sb.String()
	for n := r.between(3, 6); len(gd.Keywords) < n; {
		k := r.pick(d.dm.Keywords)
		if !slices.Contains(gd.Keywords, k) {
			gd.Keywords = append(gd.Keywords, k)
		}
	}

	// References: about half point into the corpus once there is a corpus to cite.
	// Reference lists grow with the document, but small targets get short lists: a
	// reference costs 150-600 bytes depending on format, and a fixed 15 of them would put
	// a floor under document sizes that a small Bytes target cannot get below.
	nref := min(max(desired/800+r.between(-2, 4), 3), 80)
	if cap(d.cites) < nref {
		d.cites = make([]citeItem, 0, nref)
	}
	d.cites = d.cites[:0]
	pCorpus := 0.5 * min(1, float64(i)/20)
	var cited docCore
	for tries := 0; len(d.cites) < nref && tries < nref*4; tries++ {
		var it citeItem
		if n := len(d.cites); n < cap(d.cites) {
			it = d.cites[:n+1][n] // reuse the author slice of a previous document
		}
		if r.chance(pCorpus) && len(g.ballotAll) > 0 {
			var b []int32
			if bd := g.ballotDom[c.domain]; len(bd) > 0 && r.chance(0.8) {
				b = bd
			} else {
				b = g.ballotAll
			}
			j := int(b[r.intn(len(b))])
			g.core(j, &cited)
			g.citeDoc(&cited, &it)
		} else {
			// Outside works: Zipf-like within the document's domain.
			per := max(g.nWorks/len(domains), 1)
			w := r.skewed(per, 2.0)*len(domains) + c.domain
			if w >= g.nWorks {
				w = r.intn(g.nWorks)
			}
			g.work(w, &it)
		}
		if slices.ContainsFunc(d.cites, func(o citeItem) bool { return o.workID == it.workID }) {
			continue
		}
		d.cites = append(d.cites, it)
	}
	if d.style == styleAuthorYear {
		slices.SortStableFunc(d.cites, func(a, b citeItem) int {
			if c := strings.Compare(a.authors[0].Family, b.authors[0].Family); c != 0 {
				return c
			}
			return a.year - b.year
		})
	}
	for k := range d.cites {
		gd.References = append(gd.References, g.formatRef(r, d.style, &d.cites[k]))
	}
	// Register this document and its citations in the attachment ballots.
	g.domainOf[i] = uint8(c.domain)
	g.ballotAll = append(g.ballotAll, int32(i))
	g.ballotDom[c.domain] = append(g.ballotDom[c.domain], int32(i))
	for k := range d.cites {
		if d.cites[k].citesDoc == "" {
			continue
		}
		j := docIndex(d.cites[k].citesDoc)
		g.ballotAll = append(g.ballotAll, int32(j))
		g.ballotDom[g.domainOf[j]] = append(g.ballotDom[g.domainOf[j]], int32(j))
	}

	// Dependencies: only earlier documents, so the graph is acyclic by construction and
	// the manifest (written in index order) lists dependencies first.
	if i > 0 && r.chance(g.opts.DepFraction) {
		k := min(r.between(1, 3), i)
		var deps []int
		for tries := 0; len(deps) < k && tries < 20; tries++ {
			var j int
			j = r.intn(i)
			if len(d.cites) > 0 && r.chance(0.5) {
				// Depending on a cited document is the common real case (a derived
				// analysis needs its source processed first).
				if k := docIndex(d.cites[r.intn(len(d.cites))].citesDoc); k >= 0 {
					j = k
				}
			}
			if !slices.Contains(deps, j) {
				deps = append(deps, j)
			}
		}
		slices.Sort(deps)
		for _, j := range deps {
			g.core(j, &cited)
			gd.DependsOn = append(gd.DependsOn, cited.id)
		}
	}
	if gd.DependsOn == nil {
		gd.DependsOn = []string{}
	}
	if c.format == FormatPDF {
		latin1Gold(gd)
		for k := range d.affs {
			d.affs[k] = latin1(d.affs[k])
		}
	}
}

// docIndex recovers the index from a document ID ("docs/0001/p001234.md"), -1 if none.
func docIndex(id string) int {
	k := strings.LastIndexByte(id, '/') + 1
	if k >= len(id) || id[k] != 'p' {
		return -1
	}
	e := strings.IndexByte(id[k:], '.')
	if e < 0 {
		return -1
	}
	n, err := strconv.Atoi(id[k+1 : k+e])
	if err != nil {
		return -1
	}
	return n
}

// formatRef renders one reference in the document's style and records what it printed.
func (g *generator) formatRef(r *rng, st refStyle, it *citeItem) GoldReference {
	gr := GoldReference{Title: it.title, Year: it.year, Volume: strconv.Itoa(it.volume),
		Pages: strconv.Itoa(it.fpage) + "-" + strconv.Itoa(it.lpage), CitesDocument: it.citesDoc, WorkID: it.workID}
	if it.doi != "" && r.chance(0.8) {
		gr.DOI = it.doi
	}
	names := it.authors
	etal := false
	if len(names) > 6 {
		names, etal = names[:3], true
	}
	for _, n := range names {
		switch st {
		case styleNumbered:
			gr.Authors = append(gr.Authors, n.initials()+" "+n.Family)
		case styleAuthorYear:
			gr.Authors = append(gr.Authors, n.Family+", "+n.initials())
		default:
			gr.Authors = append(gr.Authors, n.Family+" "+n.compactInitials())
		}
	}
	b := &g.sb
	b.Reset()
	vol := gr.Volume + "(" + strconv.Itoa(it.issue) + ")"
	switch st {
	case styleNumbered:
		gr.Venue = it.venue.Name
		joinNames(b, gr.Authors, ", ", ", and ", etal, " et al.")
		fmt.Fprintf(b, ". %s. %s, %s:%s, %d.", it.title, gr.Venue, vol, gr.Pages, it.year)
		if gr.DOI != "" {
			b.WriteString(" doi:" + gr.DOI)
		}
	case styleAuthorYear:
		gr.Venue = it.venue.Name
		joinNames(b, gr.Authors, ", ", ", & ", etal, ", et al.")
		fmt.Fprintf(b, " (%d). %s. %s, %s, %s.", it.year, it.title, gr.Venue, vol, gr.Pages)
		if gr.DOI != "" {
			b.WriteString(" https://doi.org/" + gr.DOI)
		}
	default:
		gr.Venue = it.venue.Abbrev
		joinNames(b, gr.Authors, ", ", ", ", etal, ", et al")
		fmt.Fprintf(b, ". %s. %s. %d;%s:%s.", it.title, gr.Venue, it.year, vol, gr.Pages)
		if gr.DOI != "" {
			b.WriteString(" doi:" + gr.DOI)
		}
	}
	gr.Raw = b.String()
	return gr
}

func joinNames(b *strings.Builder, names []string, sep, lastSep string, etal bool, etalText string) {
	for k, n := range names {
		if k > 0 {
			if k == len(names)-1 && !etal {
				b.WriteString(lastSep)
			} else {
				b.WriteString(sep)
			}
		}
		b.WriteString(n)
	}
	if etal {
		b.WriteString(etalText)
	}
}

// sentence appends one sentence of domain prose (no citation marker).
func sentence(r *rng, dm *domain, b *strings.Builder) {
	switch r.intn(10) {
	case 0:
		b.WriteString("We " + r.pick(verbsPast) + " the " + r.pick(dm.Adjs) + " " + r.pick(dm.Nouns) + " of " + r.pick(dm.Contexts) + ".")
	case 1:
		b.WriteString("Using " + r.pick(dm.Methods) + ", we found a " + r.pick(adjsGeneric) + " link between " + r.pick(dm.Nouns) + " and " + r.pick(dm.Nouns) + ".")
	case 2:
		fmt.Fprintf(b, "Across %d %s, %s increased by %d.%d%% relative to baseline.", r.between(12, 4000), r.pick(dm.Units), r.pick(dm.Nouns), r.between(1, 60), r.intn(10))
	case 3:
		b.WriteString(r.pick(hedges) + " " + r.pick(dm.Nouns) + " was " + r.pick(adverbs) + " associated with " + r.pick(dm.Nouns) + " in " + r.pick(dm.Contexts) + ".")
	case 4:
		b.WriteString("Previous studies have " + r.pick(verbsPast) + " " + r.pick(dm.Nouns) + " using " + r.pick(dm.Methods) + ".")
	case 5:
		fmt.Fprintf(b, "The estimated effect was %d.%02d (95%% CI %d.%02d to %d.%02d, n = %d).", r.intn(3), r.intn(100), r.intn(2), r.intn(100), 2+r.intn(3), r.intn(100), r.between(20, 90000))
	case 6:
		b.WriteString("These results suggest that " + r.pick(dm.Nouns) + " can " + r.pick(verbsBase) + " " + r.pick(dm.Adjs) + " " + r.pick(dm.Nouns) + ".")
	case 7:
		b.WriteString("To test this, we combined " + r.pick(dm.Methods) + " with " + r.pick(dm.Methods) + " in " + r.pick(dm.Contexts) + ".")
	case 8:
		b.WriteString("In contrast to earlier reports, " + r.pick(dm.Nouns) + " did not depend on " + r.pick(dm.Adjs) + " " + r.pick(dm.Nouns) + ".")
	default:
		b.WriteString("A " + r.pick(adjsGeneric) + " fraction of the variance in " + r.pick(dm.Nouns) + " remains unexplained by current models of " + r.pick(dm.Nouns) + ".")
	}
}
