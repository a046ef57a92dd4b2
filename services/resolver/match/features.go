package match

import (
	"math"
	"slices"
	"strings"
)

// Fields with their own document frequencies.
const (
	fTitle = iota
	fVenue
	fAff
	fName
	fAuth
	nFields
)

// term is one weighted token of a unit-length TF-IDF vector.
type term struct {
	id int32
	w  float32
}

type vec []term // sorted by id

// cosine of two unit vectors.
func cosine(a, b vec) float64 {
	var s float64
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i].id < b[j].id:
			i++
		case a[i].id > b[j].id:
			j++
		default:
			s += float64(a[i].w) * float64(b[j].w)
			i++
			j++
		}
	}
	return s
}

// prep is a record's normalised form, computed once.
type prep struct {
	kind  Kind
	doc   string
	orcid string
	doi   string
	// persons
	family      string   // compact folded family name
	familyParts []string // parts of a compound family name
	given       []string // folded given-name tokens, first name first
	coauth      []string // sorted distinct co-author keys (family|initial)
	nameKey     string   // family|first given token
	// token ids per field, before vectorize (ids ≥ the dictionary size are
	// local to an ad-hoc record)
	toks [nFields][]int32
	vecs [nFields]vec
	// authW is the idf mass of the author tokens (works).
	authW float64
	year  int
	// titleKey is the normalised title (works) or name (others); tri its
	// character trigrams (spaces removed, so "architec ture" still
	// matches), sorted and distinct; titleW the idf mass of its tokens.
	titleKey string
	tri      []uint32
	titleW   float64
}

// trigrams hashes the character trigrams of s without spaces.
func trigrams(s string) []uint32 {
	b := []byte(strings.ReplaceAll(s, " ", ""))
	if len(b) < 3 {
		if len(b) == 0 {
			return nil
		}
		return []uint32{uint32(b[0])<<16 | uint32(len(b))}
	}
	out := make([]uint32, 0, len(b)-2)
	for i := 0; i+3 <= len(b); i++ {
		out = append(out, uint32(b[i])<<16|uint32(b[i+1])<<8|uint32(b[i+2]))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// dice is the Dice coefficient of two sorted sets.
func dice(a, b []uint32) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return 2 * float64(n) / float64(len(a)+len(b))
}

// corpus holds the token dictionary and document frequencies.
type corpus struct {
	dict map[string]int32
	df   [nFields][]int32
	// lastDoc is assign's scratch for counting a token once per record.
	lastDoc [nFields][]int32
	nDocs   [nFields]int
	idf     [nFields][]float32
	frozen  bool
	// nameCount counts persons per nameKey (full first given + family);
	// blockCount per family|initial.
	nameCount  map[string]int
	blockCount map[string]int
}

func newCorpus() corpus {
	return corpus{dict: map[string]int32{}, nameCount: map[string]int{}, blockCount: map[string]int{}}
}

// ids maps words to token ids. While building, new words are added; once
// frozen (ad-hoc records in Best), unknown words get ids beyond the
// dictionary from local, so the model is not changed.
func (c *corpus) ids(ws []string, local map[string]int32) []int32 {
	out := make([]int32, 0, len(ws))
	for _, w := range ws {
		id, ok := c.dict[w]
		if !ok {
			if c.frozen {
				if id, ok = local[w]; !ok {
					id = int32(len(c.dict) + len(local))
					local[w] = id
				}
			} else {
				id = int32(len(c.dict))
				c.dict[w] = id
			}
		}
		out = append(out, id)
	}
	return out
}

// NormalizeDOI lower-cases a DOI (DOIs are case-insensitive) and strips the
// resolver URL or "doi:" prefix.
func NormalizeDOI(doi string) string {
	d := strings.ToLower(strings.TrimSpace(doi))
	for _, p := range []string{"https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi.org/", "doi:"} {
		if strings.HasPrefix(d, p) {
			return strings.TrimSpace(d[len(p):])
		}
	}
	return d
}

// NormalizeORCID strips the orcid.org URL and upper-cases the check digit.
func NormalizeORCID(orcid string) string {
	o := strings.TrimSpace(orcid)
	for _, p := range []string{"https://orcid.org/", "http://orcid.org/", "orcid.org/"} {
		if len(o) >= len(p) && strings.EqualFold(o[:len(p)], p) {
			o = o[len(p):]
			break
		}
	}
	return strings.ToUpper(strings.TrimSpace(o))
}

// personKey is family|first initial, the person blocking key.
func personKey(family string, given []string) string {
	if len(given) == 0 {
		return family + "|"
	}
	return family + "|" + firstRune(given[0])
}

// tokenize computes everything of a record that does not need corpus
// statistics, and counts its tokens.
func (c *corpus) tokenize(r *Record) prep {
	p, ws := normalize(r)
	c.assign(&p, &ws)
	return p
}

// normalize is the part of tokenize that needs no corpus: pure, so New runs
// it in parallel.
func normalize(r *Record) (prep, [nFields][]string) {
	p := prep{kind: r.Kind, doc: r.Doc, orcid: NormalizeORCID(r.ORCID), doi: NormalizeDOI(r.DOI), year: r.Year}
	var ws [nFields][]string
	switch r.Kind {
	case Person:
		given, family := strings.TrimSpace(r.Given+" "+r.Middle), r.Family
		if strings.TrimSpace(family) == "" {
			given, family = splitName(r.Name)
		}
		p.family, p.familyParts = familyForms(family)
		p.given = givenTokens(given)
		if len(p.given) > 0 {
			p.nameKey = p.family + "|" + p.given[0]
		}
		for _, co := range r.Coauthors {
			g, f := splitName(co)
			fc, _ := familyForms(f)
			if fc == "" {
				continue
			}
			p.coauth = append(p.coauth, personKey(fc, givenTokens(g)))
		}
		slices.Sort(p.coauth)
		p.coauth = slices.Compact(p.coauth)
		ws[fAff] = orgWords(r.Affiliation)
		ws[fTitle] = contentWords(r.Title)
		ws[fVenue] = contentWords(r.Venue)
	case Work:
		title := r.Title
		if strings.TrimSpace(title) == "" {
			title = r.Name
		}
		tw := contentWords(title)
		p.titleKey = strings.Join(tw, " ")
		p.tri = trigrams(p.titleKey)
		ws[fTitle] = tw
		ws[fVenue] = contentWords(r.Venue)
		var aw []string
		for _, a := range r.Authors {
			for _, w := range words(a) {
				if len(w) >= 2 && w != "and" && w != "et" && w != "al" {
					aw = append(aw, w)
				}
			}
		}
		ws[fAuth] = aw
	default:
		var nw []string
		if r.Kind == Organization {
			nw = orgWords(r.Name)
		} else {
			nw = contentWords(r.Name)
		}
		p.titleKey = strings.Join(nw, " ")
		p.tri = trigrams(p.titleKey)
		ws[fName] = nw
		ws[fAff] = orgWords(r.Affiliation + " " + r.Context)
	}
	return p, ws
}

// assign maps a normalised record's words to token ids and, while the
// corpus is being built, counts them.
func (c *corpus) assign(p *prep, ws *[nFields][]string) {
	local := map[string]int32{}
	for f := range nFields {
		if len(ws[f]) > 0 {
			p.toks[f] = c.ids(ws[f], local)
		}
	}
	if !c.frozen {
		if p.kind == Person {
			if p.nameKey != "" && len(p.given[0]) > 1 {
				c.nameCount[p.nameKey]++
			}
			c.blockCount[personKey(p.family, p.given)]++
		}
		for f := range nFields {
			if len(p.toks[f]) == 0 {
				continue
			}
			c.nDocs[f]++
			// A token counts once per record: lastDoc[f][id] holds the
			// nDocs value of the last record that counted it (a map per
			// record cost more than the counting).
			for _, id := range p.toks[f] {
				for int(id) >= len(c.df[f]) {
					c.df[f] = append(c.df[f], 0)
					c.lastDoc[f] = append(c.lastDoc[f], 0)
				}
				if c.lastDoc[f][id] == int32(c.nDocs[f]) {
					continue
				}
				c.lastDoc[f][id] = int32(c.nDocs[f])
				c.df[f][id]++
			}
		}
	}
}

// finish freezes the dictionary and computes idf per field.
func (c *corpus) finish([]prep) {
	c.frozen = true
	c.lastDoc = [nFields][]int32{}
	for f := range nFields {
		n := float64(c.nDocs[f])
		c.idf[f] = make([]float32, len(c.df[f]))
		for id, d := range c.df[f] {
			if d > 0 {
				c.idf[f][id] = float32(math.Log((n + 1) / float64(d)))
			}
		}
	}
}

// idfOf is the idf of a token in a field; tokens never seen count as if
// they occurred once.
func (c *corpus) idfOf(f int, id int32) float32 {
	if int(id) < len(c.idf[f]) && c.idf[f][id] > 0 {
		return c.idf[f][id]
	}
	return float32(math.Log(float64(c.nDocs[f]+1) + 1))
}

// dfOf is the document frequency of a token in a field (0 when unseen).
func (c *corpus) dfOf(f int, id int32) int32 {
	if int(id) < len(c.df[f]) {
		return c.df[f][id]
	}
	return 0
}

// vectorize builds the unit TF-IDF vectors (log tf) of a record.
func (c *corpus) vectorize(p *prep) {
	for f := range nFields {
		ts := p.toks[f]
		if len(ts) == 0 {
			continue
		}
		ids := slices.Clone(ts)
		slices.Sort(ids)
		var v vec
		var norm float64
		for i := 0; i < len(ids); {
			j := i
			for j < len(ids) && ids[j] == ids[i] {
				j++
			}
			w := (1 + float32(math.Log(float64(j-i)))) * c.idfOf(f, ids[i])
			v = append(v, term{ids[i], w})
			norm += float64(w) * float64(w)
			i = j
		}
		if norm > 0 {
			inv := float32(1 / math.Sqrt(norm))
			for k := range v {
				v[k].w *= inv
			}
		}
		p.vecs[f] = v
		for _, t := range v {
			switch f {
			case fAuth:
				p.authW += float64(c.idfOf(f, t.id))
			case fTitle:
				p.titleW += float64(c.idfOf(f, t.id))
			}
		}
	}
}

// authorOverlap is the idf-weighted overlap coefficient of two works'
// author tokens: shared idf mass over the smaller side's mass.
func (c *corpus) authorOverlap(a, b *prep) float64 {
	return c.overlap(fAuth, a.vecs[fAuth], b.vecs[fAuth], a.authW, b.authW)
}

// titleContainment is the idf-weighted overlap coefficient of two titles.
func (c *corpus) titleContainment(a, b *prep) float64 {
	return c.overlap(fTitle, a.vecs[fTitle], b.vecs[fTitle], a.titleW, b.titleW)
}

func (c *corpus) overlap(f int, va, vb vec, wa, wb float64) float64 {
	var s float64
	i, j := 0, 0
	for i < len(va) && j < len(vb) {
		switch {
		case va[i].id < vb[j].id:
			i++
		case va[i].id > vb[j].id:
			j++
		default:
			s += float64(c.idfOf(f, va[i].id))
			i++
			j++
		}
	}
	d := min(wa, wb)
	if d == 0 {
		return 0
	}
	return s / d
}
