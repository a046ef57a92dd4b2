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
	References []Ref
	// CitedTimes[i] is how often the body cites References[i] (in-text
	// citation markers); nil when the source does not say (gold without
	// citation markers), and then citations are not scored.
	CitedTimes []int
}

// Ref is one reference list entry.
type Ref struct {
	Title   string
	Authors []Name
	Year    int
	Venue   string
	DOI     string
}

// FromDocument converts the extract package's result.
func FromDocument(d *extract.Document) Record {
	r := Record{Title: d.Title, DOI: d.DOI, Year: d.Year}
	for _, a := range d.Authors {
		if strings.TrimSpace(a.Family) != "" {
			r.Authors = append(r.Authors, Name{Given: a.Given, Family: a.Family})
		} else if n := splitFull(a.Full); n != (Name{}) {
			r.Authors = append(r.Authors, n)
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
	r := Record{Title: g.Title, DOI: g.DOI, Year: g.Year}
	for _, a := range g.Authors {
		r.Authors = append(r.Authors, Name{Given: a.Given, Family: a.Family})
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
