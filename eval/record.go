package eval

import (
	"strings"

	"github.com/docbatch/docbatch/corpus"
	"github.com/docbatch/docbatch/services/processor/extract"
)

// Record is what is scored of one document, gold or predicted, in the
// source's own spelling; Normalize is applied when comparing.
type Record struct {
	Title      string
	Authors    []Name
	DOI        string
	Year       int // 0 = unknown
	Venue      string
	Abstract   string
	Keywords   []string
	References []Ref
	// CitedTimes[i] is how often the body cites References[i] (in-text
	// citation markers); nil when the source does not say (gold without
	// citation markers), and then citations are not scored.
	CitedTimes []int
	// ORCIDs and Affiliations run parallel to Authors (addAuthor keeps
	// them so): the author's ORCID in any spelling and affiliations joined
	// with "; ", "" where the source gives none. Shorter slices (records
	// built by hand) read as "".
	ORCIDs       []string
	Affiliations []string
}

// Ref is one reference list entry.
type Ref struct {
	Title   string
	Authors []Name
	Year    int
	Venue   string
	DOI     string
}

// addAuthor appends an author with its ORCID and affiliation.
func (r *Record) addAuthor(n Name, orcid, affiliation string) {
	for len(r.ORCIDs) < len(r.Authors) {
		r.ORCIDs = append(r.ORCIDs, "")
	}
	for len(r.Affiliations) < len(r.Authors) {
		r.Affiliations = append(r.Affiliations, "")
	}
	r.Authors = append(r.Authors, n)
	r.ORCIDs = append(r.ORCIDs, orcid)
	r.Affiliations = append(r.Affiliations, affiliation)
}

// at is s[i], or "" when s is shorter.
func at(s []string, i int) string {
	if i >= 0 && i < len(s) {
		return s[i]
	}
	return ""
}

// FromDocument converts the extract package's result.
func FromDocument(d *extract.Document) Record {
	r := Record{Title: d.Title, DOI: d.DOI, Year: d.Year, Venue: d.Venue, Abstract: d.Abstract, Keywords: d.Keywords}
	for _, a := range d.Authors {
		if strings.TrimSpace(a.Family) != "" {
			r.addAuthor(Name{Given: a.Given, Family: a.Family}, a.ORCID, a.Affiliation)
		} else if n := splitFull(a.Full); n != (Name{}) {
			r.addAuthor(n, a.ORCID, a.Affiliation)
		}
	}
	for _, x := range d.References {
		ref := Ref{Title: x.Title, Year: x.Year, Venue: x.Venue, DOI: x.DOI}
		for _, a := range x.Authors {
			ref.Authors = append(ref.Authors, splitFull(a))
		}
		r.References = append(r.References, ref)
	}
	pos := make(map[int]int, len(d.References))
	for i, x := range d.References {
		pos[x.Index] = i
	}
	r.CitedTimes = make([]int, len(d.References))
	for _, c := range d.Citations {
		for _, idx := range c.Refs {
			if i, ok := pos[idx]; ok {
				r.CitedTimes[i]++
			}
		}
	}
	return r
}

// splitFull splits a name the way the extract package promises to give it,
// "Given Family" (the family name is the last word), or "Family, Given".
// Unlike ParseName it does not guess that a short capitalised last word
// ("N XU") is a set of initials: a name the extractor left in printed order
// is its error to count.
func splitFull(s string) Name {
	s = strings.Join(strings.Fields(s), " ")
	if strings.Contains(s, ",") {
		return ParseName(s)
	}
	if i := strings.LastIndexByte(s, ' '); i > 0 {
		return Name{Given: s[:i], Family: s[i+1:]}
	}
	return Name{Family: s}
}

// FromGold converts a generated corpus's gold document.
func FromGold(g *corpus.GoldDocument) Record {
	r := Record{Title: g.Title, DOI: g.DOI, Year: g.Year, Venue: g.Venue, Abstract: g.Abstract, Keywords: g.Keywords}
	for _, a := range g.Authors {
		r.addAuthor(Name{Given: a.Given, Family: a.Family}, a.ORCID, a.Affiliation)
	}
	for _, x := range g.References {
		ref := Ref{Title: x.Title, Year: x.Year, Venue: x.Venue, DOI: x.DOI}
		for _, a := range x.Authors {
			ref.Authors = append(ref.Authors, ParseName(a))
		}
		r.References = append(r.References, ref)
	}
	return r
}
