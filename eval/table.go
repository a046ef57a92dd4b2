package eval

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the result for people: one row per field with precision,
// recall, F1 and counts, then the reference and timing figures.
func (r *Result) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "eval extract %s (%s): %d documents, %d failed\n\n", r.Dir, r.Layout, r.Documents, r.Failed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "field\tprecision\trecall\tF1\tTP\tFP\tFN\t")
	for _, row := range []struct{ label, key string }{
		{"title", "title"}, {"author", "author"}, {"doi", "doi"}, {"year", "year"},
		{"venue", "venue"}, {"abstract", "abstract"}, {"keywords", "keywords"}, {"orcid", "orcid"},
		{"affiliation", "affiliation"},
		{"ref authors", "ref_authors"}, {"ref title", "ref_title"}, {"ref year", "ref_year"},
		{"ref venue", "ref_venue"}, {"ref doi", "ref_doi"},
		{"ref fields (matched)", "ref_fields"}, {"ref fields (all refs)", "ref_fields_all"},
	} {
		s := r.Fields[row.key]
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%d\t%d\t%d\t\n", row.label, s.Precision, s.Recall, s.F1, s.TP, s.FP, s.FN)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nreferences: %d gold, %d predicted, %d matched: ref_found %.3f, precision %.3f",
		r.GoldRefs, r.PredRefs, r.MatchedRefs, r.RefFound, r.RefPrecision)
	if r.MatchedByTitleDOIConflict > 0 {
		fmt.Fprintf(w, " (%d matched by title despite differing DOIs)", r.MatchedByTitleDOIConflict)
	}
	fmt.Fprintf(w, "\ntime: %.2f s for %d documents with %d workers, %.1f docs/s", r.Seconds, r.Documents, r.Workers, r.DocsPerSec)
	if r.EngineStartSeconds > 0 {
		fmt.Fprintf(w, " (PDF engine start %.2f s, not included)", r.EngineStartSeconds)
	}
	fmt.Fprintln(w)
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s: %s\n", e.Document, e.Error)
	}
	_, err := fmt.Fprintln(w)
	return err
}
