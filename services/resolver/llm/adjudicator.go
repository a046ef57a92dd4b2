package llm

import (
	"context"
	"strconv"
	"strings"

	"github.com/docbatch/docbatch/services/resolver/match"
)

// Adjudicator lets the matcher ask the model about uncertain pairs. A
// verdict below MinConfidence counts as "not the same": the model must be
// fairly sure to join what similarity alone would not.
type Adjudicator struct {
	Client        *Client
	MinConfidence float64
}

var _ match.Adjudicator = Adjudicator{}

// Same implements match.Adjudicator.
func (a Adjudicator) Same(ctx context.Context, x, y match.Record) (bool, error) {
	v, err := a.Client.SameEntity(ctx, entityOf(x), entityOf(y))
	if err != nil {
		return false, err
	}
	return v.Same && v.Confidence >= a.MinConfidence, nil
}

// entityOf is what the model is shown of a record: its descriptive fields,
// never internal ids.
func entityOf(r match.Record) Entity {
	f := map[string]string{
		"name":        r.Name,
		"given":       strings.TrimSpace(r.Given + " " + r.Middle),
		"family":      r.Family,
		"affiliation": r.Affiliation,
		"co-authors":  strings.Join(r.Coauthors, "; "),
		"title":       r.Title,
		"venue":       r.Venue,
		"authors":     strings.Join(r.Authors, "; "),
		"context":     r.Context,
	}
	if r.Year > 0 {
		f["year"] = strconv.Itoa(r.Year)
	}
	return Entity{Kind: r.Kind.String(), Fields: f}
}
