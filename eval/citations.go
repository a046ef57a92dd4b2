package eval

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/docbatch/docbatch/client"
	processorv1 "github.com/docbatch/docbatch/proto/docbatch/processor/v1"
	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/citations"
	"github.com/docbatch/docbatch/services/processor/extract"
)

// LabelsSubjectHeading takes the subjects of each JATS article's
// <subj-group subj-group-type="heading"> groups, as a set, for its gold
// domain: eLife gives an article one or two headings, listed alphabetically,
// so neither is primary and "Cell biology + Neuroscience" is a class of its
// own. The figures over the articles with a single heading are reported
// beside.
const LabelsSubjectHeading = "subject-heading"

// CitationsOptions tune Citations.
type CitationsOptions struct {
	// Gold is the CSV of gold citing → cited links, with columns citing_file
	// and cited_file naming documents of the folder (other columns are
	// ignored). Empty: no edge scores.
	Gold string
	// Labels names the gold domain of each document: LabelsSubjectHeading
	// or "" (no domain scores). The labels are read for scoring only; the
	// clustering never sees them.
	Labels string
	// Workers is how many documents are extracted at once; <= 0 means
	// GOMAXPROCS.
	Workers int
	// MaxBytes is passed to extract.Options; <= 0 means 1 GiB.
	MaxBytes int64
	// PDF, when set, is used instead of starting a PDFium engine.
	PDF extract.PDFTextSource
	// Diff, when set, receives one tab-separated line per disagreement with
	// the gold links: run (doi, no-doi), "missed" or "spurious", citing and
	// cited document, and for a spurious edge how it was matched.
	Diff io.Writer
}

// CitationsResult is one evaluation of the citation network. The JSON keys
// are the figures the citations issue names.
type CitationsResult struct {
	Dir       string `json:"dir"`
	Gold      string `json:"gold,omitempty"`
	Labels    string `json:"labels,omitempty"`
	Documents int    `json:"documents"`
	Failed    int    `json:"failed"` // extraction errors: nodes without references

	// Batch → batch edges against the gold links, with the references'
	// DOIs as extracted.
	GoldEdges      int     `json:"gold_edges"`
	PredictedEdges int     `json:"predicted_edges"`
	MatchedEdges   int     `json:"matched_edges"`
	EdgePrecision  float64 `json:"edge_precision"`
	EdgeRecall     float64 `json:"edge_recall"`
	EdgeF1         float64 `json:"edge_f1"`
	// The same with every DOI removed from the references (the documents
	// keep their own): links made by title, authors and year only.
	PredictedEdgesWithoutDOI int     `json:"predicted_edges_without_doi"`
	MatchedEdgesWithoutDOI   int     `json:"matched_edges_without_doi"`
	EdgePrecisionWithoutDOI  float64 `json:"edge_precision_without_doi"`
	EdgeRecallWithoutDOI     float64 `json:"edge_recall_without_doi"`
	EdgeF1WithoutDOI         float64 `json:"edge_f1_without_doi"`
	// GoldEdgesOutside counts gold links naming a file that is not a
	// document of the folder; they are left out of the scores.
	GoldEdgesOutside int `json:"gold_edges_outside,omitempty"`

	// Domains of the network with DOIs, as the service reports them (the
	// documents with no link to any other form one domain).
	Domains           int     `json:"domains"`
	UnlinkedDocuments int     `json:"unlinked_documents"`
	Modularity        float64 `json:"modularity"`
	// Scores against the gold labels over the labelled documents; absent
	// without labels.
	LabelledDocuments int      `json:"labelled_documents,omitempty"`
	GoldDomains       int      `json:"gold_domains,omitempty"`
	DomainNMI         *float64 `json:"domain_nmi,omitempty"`
	DomainARI         *float64 `json:"domain_ari,omitempty"`
	// Over the documents with exactly one label (one heading): a gold
	// without the multi-label ambiguity.
	SingleLabelDocuments int      `json:"single_label_documents,omitempty"`
	DomainNMISingleLabel *float64 `json:"domain_nmi_single_label,omitempty"`
	DomainARISingleLabel *float64 `json:"domain_ari_single_label,omitempty"`
	// The same for the network built without reference DOIs.
	DomainNMIWithoutDOI *float64 `json:"domain_nmi_without_doi,omitempty"`
	DomainARIWithoutDOI *float64 `json:"domain_ari_without_doi,omitempty"`

	Nodes int64 `json:"nodes"`
	Edges int64 `json:"edges"`

	// Seconds is the wall clock of the whole evaluation; ExtractSeconds of
	// the extraction; NetworkSeconds of one network build with its metrics
	// and domains (the run with DOIs).
	Seconds            float64 `json:"seconds"`
	ExtractSeconds     float64 `json:"extract_seconds"`
	NetworkSeconds     float64 `json:"network_seconds"`
	EngineStartSeconds float64 `json:"engine_start_seconds,omitempty"`
	Workers            int     `json:"workers"`

	Errors []DocError `json:"errors,omitempty"`
}

// citationsBatch names the batch the evaluation builds.
const citationsBatch = "eval"

// Citations extracts every document of dir (the documents `docbatch run
// DIR` would submit, with the ids it would give them), builds the citation
// network through the citations core exactly as the service does (processor
// result → citations.FromResult → Index.Apply → Snapshot), and scores its
// batch → batch edges and domains against the gold.
func Citations(ctx context.Context, dir string, opts CitationsOptions) (*CitationsResult, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 30
	}
	if opts.Labels != "" && opts.Labels != LabelsSubjectHeading {
		return nil, fmt.Errorf("unknown labels %q (want %s)", opts.Labels, LabelsSubjectHeading)
	}
	begin := time.Now()
	var ids []string
	if err := client.Documents(dir, func(s *schedulerv1.DocumentSpec) error {
		ids = append(ids, s.GetId())
		return nil
	}); err != nil {
		return nil, fmt.Errorf("listing %s: %w", dir, err)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%s: no documents", dir)
	}
	res := &CitationsResult{Dir: dir, Gold: opts.Gold, Labels: opts.Labels, Documents: len(ids), Workers: opts.Workers}

	var gold [][2]string
	if opts.Gold != "" {
		var err error
		gold, res.GoldEdgesOutside, err = readCitationGold(opts.Gold, ids)
		if err != nil {
			return nil, err
		}
	}

	needPDF := false
	for _, id := range ids {
		needPDF = needPDF || strings.EqualFold(path.Ext(id), ".pdf")
	}
	if needPDF && opts.PDF == nil {
		stop, secs, err := startPDF(ctx, opts.Workers, &opts.PDF)
		if err != nil {
			return nil, err
		}
		defer stop()
		res.EngineStartSeconds = secs
	}

	start := time.Now()
	results, labels, errs, err := extractForCitations(ctx, dir, ids, opts)
	if err != nil {
		return nil, err
	}
	res.ExtractSeconds = time.Since(start).Seconds()
	for i, e := range errs {
		if e != nil {
			res.Failed++
			if len(res.Errors) < maxErrors {
				res.Errors = append(res.Errors, DocError{Document: ids[i], Error: e.Error()})
			}
		}
	}

	// With DOIs: the service's network.
	start = time.Now()
	contribs := make([]citations.Contribution, len(results))
	for i, r := range results {
		contribs[i] = citations.FromResult(r, uint64(i+1))
	}
	g := buildCitationGraph(contribs)
	m := g.Metrics(10)
	domains := g.Domains()
	res.Modularity = g.Modularity()
	res.NetworkSeconds = time.Since(start).Seconds()
	res.Nodes, res.Edges = m.Nodes, m.Edges
	res.Domains = len(domains)
	for _, d := range domains {
		if d.ID == citations.UnlinkedDomainID {
			res.UnlinkedDocuments = len(d.DocumentIDs)
		}
	}

	// Without the references' DOIs.
	for i := range contribs {
		refs := make([]citations.Reference, len(contribs[i].References))
		copy(refs, contribs[i].References)
		for j := range refs {
			refs[j].DOI = ""
		}
		contribs[i].References = refs
	}
	g0 := buildCitationGraph(contribs)

	if opts.Gold != "" {
		res.GoldEdges = len(gold)
		pred := internalEdges(g)
		res.PredictedEdges = len(pred)
		res.MatchedEdges, res.EdgePrecision, res.EdgeRecall, res.EdgeF1 = scoreEdges(gold, pred)
		pred0 := internalEdges(g0)
		res.PredictedEdgesWithoutDOI = len(pred0)
		res.MatchedEdgesWithoutDOI, res.EdgePrecisionWithoutDOI, res.EdgeRecallWithoutDOI, res.EdgeF1WithoutDOI = scoreEdges(gold, pred0)
		if opts.Diff != nil {
			if err := writeEdgeDiff(opts.Diff, "doi", gold, pred); err != nil {
				return nil, err
			}
			if err := writeEdgeDiff(opts.Diff, "no-doi", gold, pred0); err != nil {
				return nil, err
			}
		}
	}
	if opts.Labels != "" {
		gl, single := map[string]string{}, map[string]string{}
		for i, l := range labels {
			if len(l) > 0 {
				gl[ids[i]] = strings.Join(l, " + ")
			}
			if len(l) == 1 {
				single[ids[i]] = l[0]
			}
		}
		nmi, ari, n, k := scoreDomains(gl, domains)
		res.DomainNMI, res.DomainARI, res.LabelledDocuments, res.GoldDomains = &nmi, &ari, n, k
		nmi1, ari1, n1, _ := scoreDomains(single, domains)
		res.DomainNMISingleLabel, res.DomainARISingleLabel, res.SingleLabelDocuments = &nmi1, &ari1, n1
		nmi0, ari0, _, _ := scoreDomains(gl, g0.Domains())
		res.DomainNMIWithoutDOI, res.DomainARIWithoutDOI = &nmi0, &ari0
	}
	res.Seconds = time.Since(begin).Seconds()
	return res, nil
}

// buildCitationGraph applies the contributions to a fresh index, as the
// service's consumer does, and returns the snapshot.
func buildCitationGraph(contribs []citations.Contribution) *citations.Graph {
	idx := citations.NewIndex()
	for _, c := range contribs {
		idx.Apply(citationsBatch, c)
	}
	n := idx.Network(citationsBatch)
	if n == nil {
		return nil
	}
	return n.Snapshot()
}

// internalEdges returns the batch → batch edges of g as (citing, cited)
// document ids, each with how it was matched.
func internalEdges(g *citations.Graph) map[[2]string]string {
	out := map[[2]string]string{}
	for _, e := range g.Edges {
		t, ok := g.Node(e.Target)
		if !ok || t.Kind != citations.KindDocument {
			continue
		}
		out[[2]string{e.CitingDocument, t.DocumentID}] = e.Match
	}
	return out
}

// writeEdgeDiff writes the gold links missed and the edges not in the gold,
// sorted.
func writeEdgeDiff(w io.Writer, run string, gold [][2]string, pred map[[2]string]string) error {
	var lines []string
	inGold := map[[2]string]bool{}
	for _, e := range gold {
		inGold[e] = true
		if _, ok := pred[e]; !ok {
			lines = append(lines, fmt.Sprintf("%s\tmissed\t%s\t%s\t\n", run, e[0], e[1]))
		}
	}
	for e, m := range pred {
		if !inGold[e] {
			lines = append(lines, fmt.Sprintf("%s\tspurious\t%s\t%s\t%s\n", run, e[0], e[1], m))
		}
	}
	slices.Sort(lines)
	for _, l := range lines {
		if _, err := io.WriteString(w, l); err != nil {
			return err
		}
	}
	return nil
}

// extractForCitations extracts every document with the real extract package
// and turns each into the DocumentResult a processor would publish. labels
// holds each document's gold label when opts.Labels asks for one.
func extractForCitations(ctx context.Context, dir string, ids []string, opts CitationsOptions) ([]*processorv1.DocumentResult, [][]string, []error, error) {
	results := make([]*processorv1.DocumentResult, len(ids))
	labels := make([][]string, len(ids))
	errs := make([]error, len(ids))
	if err := parallel(ctx, len(ids), opts.Workers, func(i int) {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(ids[i])))
		if err != nil {
			errs[i] = err
			results[i] = documentResult(ids[i], nil, err)
			return
		}
		if opts.Labels == LabelsSubjectHeading {
			labels[i] = subjectHeadings(data)
		}
		doc, err := extract.Extract(ctx, bytes.NewReader(data), path.Base(ids[i]), extract.Options{MaxBytes: opts.MaxBytes, PDF: opts.PDF})
		errs[i] = err
		results[i] = documentResult(ids[i], doc, err)
	}); err != nil {
		return nil, nil, nil, err
	}
	return results, labels, errs, nil
}

// documentResult is the wire form a processor publishes for an extraction
// (services/processor/worker's result), reduced to the fields the citations
// consumer reads: metadata and references.
func documentResult(id string, d *extract.Document, xerr error) *processorv1.DocumentResult {
	out := &processorv1.DocumentResult{BatchId: citationsBatch, DocumentId: id, Path: id}
	if xerr != nil || d == nil {
		msg := "no document"
		if xerr != nil {
			msg = xerr.Error()
		}
		out.Error = &processorv1.DocumentError{Message: msg}
		return out
	}
	out.Format = string(d.Format)
	out.Metadata = &processorv1.Metadata{
		Title: d.Title, Doi: d.DOI, Year: int32(d.Year), Venue: d.Venue, Abstract: d.Abstract, Keywords: d.Keywords,
	}
	for _, au := range d.Authors {
		out.Metadata.Authors = append(out.Metadata.Authors, &processorv1.Author{
			FullName: au.Full, Given: au.Given, Family: au.Family, Orcid: au.ORCID, Affiliation: au.Affiliation,
		})
	}
	for _, r := range d.References {
		out.References = append(out.References, &processorv1.Reference{
			Index: int32(r.Index), Raw: r.Raw, Authors: r.Authors, Title: r.Title, Year: int32(r.Year),
			Venue: r.Venue, Volume: r.Volume, Pages: r.Pages, Doi: r.DOI,
		})
	}
	return out
}
