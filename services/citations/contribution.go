package citations

import (
	"strings"

	processorv1 "github.com/docbatch/docbatch/proto/docbatch/processor/v1"
)

// Contribution is what one document brings to the network of its batch: its
// own metadata and the references it makes. It is also the unit the store
// persists, hence the short JSON names.
type Contribution struct {
	DocumentID string   `json:"id"`
	Title      string   `json:"t,omitempty"`
	DOI        string   `json:"doi,omitempty"`
	Year       int32    `json:"y,omitempty"`
	Authors    []string `json:"a,omitempty"`
	Venue      string   `json:"v,omitempty"`
	Keywords   []string `json:"k,omitempty"`
	// References in the order the document lists them.
	References []Reference `json:"r,omitempty"`
	// Failed marks a document whose extraction failed: it is a node of the
	// network with no references.
	Failed bool `json:"f,omitempty"`
	// Format is the detected format of an extracted document, ErrorClass
	// the class of a failed one, and Organizations the number of distinct
	// affiliations of its authors: kept only so that the batch report can
	// count what the processors extracted from the contributions alone
	// (contributions stored before these fields existed count as unknown).
	Format        string `json:"fm,omitempty"`
	ErrorClass    string `json:"ec,omitempty"`
	Organizations int    `json:"o,omitempty"`
	// Epoch and Seq order two results of the same document: the one with the
	// higher (epoch, stream sequence) wins, whatever order they arrive in.
	Epoch uint64 `json:"e,omitempty"`
	Seq   uint64 `json:"s,omitempty"`
}

// Reference is one entry of a document's bibliography.
type Reference struct {
	Index   int32    `json:"i"`
	Title   string   `json:"t,omitempty"`
	DOI     string   `json:"doi,omitempty"`
	Year    int32    `json:"y,omitempty"`
	Authors []string `json:"a,omitempty"`
	Venue   string   `json:"v,omitempty"`
	Volume  string   `json:"vo,omitempty"`
	Pages   string   `json:"pg,omitempty"`
}

// supersedes reports whether c should replace old. Equal (epoch, seq) also
// replaces: it is the same result applied again.
func (c *Contribution) supersedes(old *Contribution) bool {
	if c.Epoch != old.Epoch {
		return c.Epoch > old.Epoch
	}
	return c.Seq >= old.Seq
}

// FromResult converts a processor's DocumentResult, read at stream sequence
// seq, into a contribution. A result with Error set keeps whatever metadata
// it has but contributes no references.
func FromResult(r *processorv1.DocumentResult, seq uint64) Contribution {
	c := Contribution{
		DocumentID: r.GetDocumentId(),
		Epoch:      r.GetEpoch(),
		Seq:        seq,
		Failed:     r.GetError() != nil,
		Format:     r.GetFormat(),
	}
	if c.Failed {
		c.ErrorClass = r.GetError().GetClass()
	}
	if md := r.GetMetadata(); md != nil {
		c.Title = strings.TrimSpace(md.GetTitle())
		c.DOI = strings.TrimSpace(md.GetDoi())
		c.Year = md.GetYear()
		c.Venue = strings.TrimSpace(md.GetVenue())
		affiliations := map[string]bool{}
		for _, a := range md.GetAuthors() {
			if n := authorName(a); n != "" {
				c.Authors = append(c.Authors, n)
			}
			if aff := strings.ToLower(strings.Join(strings.Fields(a.GetAffiliation()), " ")); aff != "" && !c.Failed {
				affiliations[aff] = true
			}
		}
		c.Organizations = len(affiliations)
		for _, k := range md.GetKeywords() {
			if k = strings.TrimSpace(k); k != "" {
				c.Keywords = append(c.Keywords, k)
			}
		}
	}
	if c.Failed {
		return c
	}
	refs := r.GetReferences()
	// Processors that do not number references leave every index at 0; the
	// position is then the only provenance there is.
	numbered := false
	for _, ref := range refs {
		if ref.GetIndex() != 0 {
			numbered = true
			break
		}
	}
	for i, ref := range refs {
		idx := ref.GetIndex()
		if !numbered {
			idx = int32(i)
		}
		c.References = append(c.References, Reference{
			Index:   idx,
			Title:   strings.TrimSpace(ref.GetTitle()),
			DOI:     strings.TrimSpace(ref.GetDoi()),
			Year:    ref.GetYear(),
			Authors: ref.GetAuthors(),
			Venue:   strings.TrimSpace(ref.GetVenue()),
			Volume:  strings.TrimSpace(ref.GetVolume()),
			Pages:   strings.TrimSpace(ref.GetPages()),
		})
	}
	return c
}

func authorName(a *processorv1.Author) string {
	if n := strings.TrimSpace(a.GetFullName()); n != "" {
		return n
	}
	return strings.TrimSpace(strings.TrimSpace(a.GetGiven()) + " " + strings.TrimSpace(a.GetFamily()))
}
