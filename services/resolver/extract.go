package resolver

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/docbatch/docbatch/services/resolver/match"
)

// Document is what the resolver needs of an extracted document: its authors
// and its references. The consumer fills it from the wire result.
type Document struct {
	ID string
	// Failed marks a document whose extraction failed: it counts as a
	// document of the batch but contributes no mentions, whatever partial
	// metadata it carries.
	Failed     bool
	Authors    []Author
	References []Reference
}

// Author is an author of the document as the extractor found it.
type Author struct {
	FullName    string
	Given       string
	Family      string
	ORCID       string
	Affiliation string
}

// Reference is one entry of the document's bibliography.
type Reference struct {
	Raw     string
	Authors []string
	Title   string
	Year    int
	DOI     string
}

// ExtractMentions lists the mentions a document contributes: a PERSON per
// author, an ORGANIZATION per distinct affiliation and a WORK per reference.
// Locators are positional ("author[0]", "author[0].affiliation",
// "reference[3]"), so re-extracting the same document yields the same ids.
func ExtractMentions(d Document) []Mention {
	if d.Failed {
		return nil
	}
	var out []Mention
	for i, a := range d.Authors {
		given, family := strings.TrimSpace(a.Given), strings.TrimSpace(a.Family)
		text := strings.Join(strings.Fields(a.FullName), " ")
		if text == "" {
			text = strings.TrimSpace(given + " " + family)
		}
		orcid := match.NormalizeORCID(a.ORCID)
		if text == "" && orcid == "" {
			continue
		}
		attrs := map[string]string{}
		setNonEmpty(attrs, AttrORCID, orcid)
		setNonEmpty(attrs, AttrAffiliation, strings.TrimSpace(a.Affiliation))
		setNonEmpty(attrs, AttrGiven, given)
		setNonEmpty(attrs, AttrFamily, family)
		out = append(out, Mention{DocumentID: d.ID, Locator: fmt.Sprintf("author[%d]", i), Text: text, Type: TypePerson, Attributes: attrs})
	}
	seen := map[string]bool{}
	for i, a := range d.Authors {
		aff := strings.Join(strings.Fields(a.Affiliation), " ")
		key := NormalizeOrganization(aff)
		if key == "" || seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, Mention{DocumentID: d.ID, Locator: fmt.Sprintf("author[%d].affiliation", i), Text: aff, Type: TypeOrganization})
	}
	for i, r := range d.References {
		title := strings.Join(strings.Fields(r.Title), " ")
		doi := match.NormalizeDOI(r.DOI)
		text := title
		if text == "" {
			text = strings.Join(strings.Fields(r.Raw), " ")
		}
		if text == "" && doi == "" {
			continue
		}
		attrs := map[string]string{}
		setNonEmpty(attrs, AttrDOI, doi)
		setNonEmpty(attrs, AttrTitle, title)
		if r.Year > 0 {
			attrs[AttrYear] = strconv.Itoa(r.Year)
		}
		if len(r.Authors) > 0 {
			setNonEmpty(attrs, AttrFirstAuthor, strings.TrimSpace(r.Authors[0]))
		}
		out = append(out, Mention{DocumentID: d.ID, Locator: fmt.Sprintf("reference[%d]", i), Text: text, Type: TypeWork, Attributes: attrs})
	}
	return out
}

func setNonEmpty(m map[string]string, k, v string) {
	if v != "" {
		m[k] = v
	}
}
