package eval

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// WriteTable prints the citations evaluation for people.
func (r *CitationsResult) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "eval citations %s: %d documents, %d failed\n", r.Dir, r.Documents, r.Failed)
	if r.Gold != "" {
		fmt.Fprintf(w, "gold %s: %d links", r.Gold, r.GoldEdges)
		if r.GoldEdgesOutside > 0 {
			fmt.Fprintf(w, " (%d more name files outside the folder, not scored)", r.GoldEdgesOutside)
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "batch → batch edges\tprecision\trecall\tF1\tpredicted\tmatched\t")
		fmt.Fprintf(tw, "with DOIs\t%.4f\t%.4f\t%.4f\t%d\t%d\t\n", r.EdgePrecision, r.EdgeRecall, r.EdgeF1, r.PredictedEdges, r.MatchedEdges)
		fmt.Fprintf(tw, "references without DOIs\t%.4f\t%.4f\t%.4f\t%d\t%d\t\n", r.EdgePrecisionWithoutDOI, r.EdgeRecallWithoutDOI, r.EdgeF1WithoutDOI, r.PredictedEdgesWithoutDOI, r.MatchedEdgesWithoutDOI)
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\nnetwork: %d nodes, %d edges; %d domains (%d documents without links pooled in one), modularity %.4f\n",
		r.Nodes, r.Edges, r.Domains, r.UnlinkedDocuments, r.Modularity)
	if r.DomainNMI != nil {
		fmt.Fprintf(w, "domains against %s (%d documents, %d classes): NMI %.4f, ARI %.4f",
			r.Labels, r.LabelledDocuments, r.GoldDomains, *r.DomainNMI, *r.DomainARI)
		if r.DomainNMISingleLabel != nil {
			fmt.Fprintf(w, "; over the %d with one label NMI %.4f, ARI %.4f", r.SingleLabelDocuments, *r.DomainNMISingleLabel, *r.DomainARISingleLabel)
		}
		if r.DomainNMIWithoutDOI != nil {
			fmt.Fprintf(w, "; without reference DOIs NMI %.4f, ARI %.4f", *r.DomainNMIWithoutDOI, *r.DomainARIWithoutDOI)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "time: %.2f s (extraction %.2f s with %d workers, network + metrics + domains %.3f s)",
		r.Seconds, r.ExtractSeconds, r.Workers, r.NetworkSeconds)
	if r.EngineStartSeconds > 0 {
		fmt.Fprintf(w, ", PDF engine start %.2f s", r.EngineStartSeconds)
	}
	fmt.Fprintln(w)
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s: %s\n", e.Document, e.Error)
	}
	_, err := fmt.Fprintln(w)
	return err
}
