package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/docbatch/docbatch/corpus"
	citationsv1 "github.com/docbatch/docbatch/proto/docbatch/citations/v1"
	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/report"
)

// buildDocbatch compiles the real binary once per test binary.
func buildDocbatch(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "docbatch")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/docbatch")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "building docbatch: %s", out)
	return bin
}

var tookRe = regexp.MustCompile(`succeeded in [^:]+:`)

func normTitle(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(norm.NFKC.String(s))), " ")
}

func readDocuments(t *testing.T, path string) map[string]report.DocumentLine {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]report.DocumentLine{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var l report.DocumentLine
		require.NoError(t, json.Unmarshal(sc.Bytes(), &l))
		_, dup := out[l.DocumentID]
		require.False(t, dup, "document %s reported twice", l.DocumentID)
		out[l.DocumentID] = l
	}
	require.NoError(t, sc.Err())
	return out
}

// TestRunGeneratedCorpus generates a mixed corpus, runs `docbatch run` on it
// as a user would, checks the report against the generator's gold, then runs
// it again and checks that the batch is resumed, not redone.
func TestRunGeneratedCorpus(t *testing.T) {
	bin := buildDocbatch(t)
	work := t.TempDir()
	dir := filepath.Join(work, "corpus")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	gold, err := corpus.Generate(ctx, dir, corpus.Options{Docs: 80, Seed: 7, DepFraction: 0.2})
	require.NoError(t, err)

	state, out := filepath.Join(work, "state"), filepath.Join(work, "report")
	cmd := exec.CommandContext(ctx, bin, "run", "--state", state, "--out", out, dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stdout: %s\nstderr: %s", stdout.String(), stderr.String())
	require.Contains(t, stdout.String(), "80 documents, 80 done, 0 failed")
	require.Contains(t, stderr.String(), "ended (done") // plain progress lines off a terminal
	// The report's parts are announced as they are written.
	for _, part := range []string{report.DocumentsFile, report.ClustersFile + " (entity resolution)", "citation network", report.ReportFile} {
		require.Contains(t, stderr.String(), "docbatch: report: "+part, "stderr: %s", stderr.String())
	}

	docs := readDocuments(t, filepath.Join(out, report.DocumentsFile))
	require.Len(t, docs, len(gold.Documents), "every document accounted for")
	var pdfs, pdfRight int
	for _, g := range gold.Documents {
		d, ok := docs[g.ID]
		require.True(t, ok, "document %s missing from the report", g.ID)
		require.Equal(t, "done", d.State, "%s: %s", g.ID, d.Error)
		var r struct {
			Format   string `json:"format"`
			Metadata struct {
				Title string `json:"title"`
				DOI   string `json:"doi"`
			} `json:"metadata"`
			References []json.RawMessage `json:"references"`
		}
		require.NoError(t, json.Unmarshal(d.Result, &r), g.ID)
		if g.Format == corpus.FormatPDF {
			pdfs++
			if normTitle(r.Metadata.Title) == normTitle(g.Title) {
				pdfRight++
			}
			continue
		}
		require.Equal(t, normTitle(g.Title), normTitle(r.Metadata.Title), "title of %s (%s)", g.ID, g.Format)
		require.Equal(t, strings.ToLower(g.DOI), strings.ToLower(r.Metadata.DOI), "doi of %s", g.ID)
		require.NotEmpty(t, r.References, "references of %s", g.ID)
	}
	if pdfs > 0 {
		// PDF titles come from layout heuristics over page text: most, not all.
		require.GreaterOrEqual(t, float64(pdfRight)/float64(pdfs), 0.8, "PDF titles right: %d of %d", pdfRight, pdfs)
	}
	for _, f := range []string{report.SummaryFile, report.ReportFile, report.BatchFile, report.CostModelFile, report.ClustersFile, report.GraphMLFile, report.GEXFFile, report.NodesFile, report.EdgesFile, report.CSLJSONFile, report.BibTeXFile, report.DomainsFile} {
		fi, err := os.Stat(filepath.Join(out, f))
		require.NoError(t, err)
		require.NotZero(t, fi.Size(), f)
	}
	summary, err := os.ReadFile(filepath.Join(out, report.SummaryFile))
	require.NoError(t, err)
	require.Contains(t, string(summary), "SUCCEEDED")
	checkReportJSON(t, out, docs)
	checkCostModel(t, out, pdfs)

	// Running the same folder again resumes the finished batch: nothing is
	// processed twice, the report is the same, and so is the time it took.
	took := tookRe.FindString(stdout.String())
	require.NotEmpty(t, took)
	stdout.Reset()
	stderr.Reset()
	cmd = exec.CommandContext(ctx, bin, "run", "--state", state, "--out", out, dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), "stderr: %s", stderr.String())
	require.Contains(t, stderr.String(), "resuming batch")
	require.Contains(t, stdout.String(), "80 documents, 80 done, 0 failed")
	require.Equal(t, took, tookRe.FindString(stdout.String()))
	again := readDocuments(t, filepath.Join(out, report.DocumentsFile))
	for id, d := range docs {
		require.Equal(t, d.ResultSeq, again[id].ResultSeq, "%s was processed again", id)
	}
}

// checkReportJSON: report.json (CitationService.GetBatchReport) agrees with
// the scheduler's counts, the per-document results and the resolver's
// clusters written beside it.
func checkReportJSON(t *testing.T, out string, docs map[string]report.DocumentLine) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, report.ReportFile))
	require.NoError(t, err)
	var rep citationsv1.BatchReport
	require.NoError(t, protojson.Unmarshal(data, &rep))
	require.Empty(t, rep.SchedulerError)
	require.Empty(t, rep.ResolverError)

	var batch schedulerv1.Batch
	data, err = os.ReadFile(filepath.Join(out, report.BatchFile))
	require.NoError(t, err)
	require.NoError(t, protojson.Unmarshal(data, &batch))
	require.Equal(t, batch.BatchId, rep.BatchId)
	require.Equal(t, "succeeded", rep.Documents.State)
	require.Equal(t, batch.Counts.Total, rep.Documents.Total)
	require.Equal(t, batch.Counts.Done, rep.Documents.Done)
	require.Equal(t, int64(0), rep.Documents.Failed)

	formats := map[string]int64{}
	var refs int64
	for _, d := range docs {
		var r struct {
			Format     string            `json:"format"`
			References []json.RawMessage `json:"references"`
		}
		require.NoError(t, json.Unmarshal(d.Result, &r))
		formats[r.Format]++
		refs += int64(len(r.References))
	}
	x := rep.Extraction
	require.Equal(t, int64(len(docs)), x.Documents)
	require.Equal(t, formats, x.Formats)
	require.Zero(t, x.Failed)
	require.Equal(t, refs, x.References)
	require.Equal(t, refs, x.ReferencesToBatch+x.ReferencesToOutside+x.SelfCitations+x.ReferencesUnidentified)
	require.Equal(t, refs, x.Mentions["work"])
	require.Positive(t, x.ReferencesToBatch, "the generated corpus cites itself")
	require.Equal(t, int64(len(docs)), rep.Network.Documents)
	require.Positive(t, rep.Network.Domains)
	require.NotEmpty(t, rep.Domains)
	require.LessOrEqual(t, len(rep.Domains), report.ReportTop)

	for _, list := range [][]*citationsv1.CitedWork{rep.TopCitedInBatch, rep.TopCitedOutside} {
		require.NotEmpty(t, list)
		for i := 1; i < len(list); i++ {
			require.GreaterOrEqual(t, list[i-1].Citations, list[i].Citations, "top cited sorted")
		}
	}
	require.Equal(t, citationsv1.NodeKind_NODE_KIND_DOCUMENT, rep.TopCitedInBatch[0].Node.Kind)
	require.Equal(t, citationsv1.NodeKind_NODE_KIND_EXTERNAL, rep.TopCitedOutside[0].Node.Kind)

	lines, err := os.ReadFile(filepath.Join(out, report.ClustersFile))
	require.NoError(t, err)
	var clusters int64
	types := map[string]bool{}
	for _, g := range rep.Entities {
		clusters += g.Clusters
		types[g.Type] = true
		require.NotEmpty(t, g.Top)
		for i := 1; i < len(g.Top); i++ {
			require.GreaterOrEqual(t, g.Top[i-1].MemberCount, g.Top[i].MemberCount, "largest first")
		}
	}
	require.Equal(t, int64(bytes.Count(lines, []byte("\n"))), clusters, "entity clusters of every type = clusters.jsonl")
	require.True(t, types["person"] && types["work"], "entity types: %v", types)
}

// checkCostModel: the scheduler learned run times for every kind it ran,
// and peak memory only where a processor measured it, which only the PDF
// sandbox does, for a sample of the PDFs (each child's first, then every
// pdfsandbox.DefaultMeasureEvery-th).
func checkCostModel(t *testing.T, out string, pdfs int) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, report.CostModelFile))
	require.NoError(t, err)
	var cm schedulerv1.GetCostModelResponse
	require.NoError(t, protojson.Unmarshal(data, &cm))
	require.NotEmpty(t, cm.GetFactors())
	var pdfMemory int64
	for _, f := range cm.GetFactors() {
		require.Positive(t, f.GetTimeObservations(), "%s %s", f.GetKind(), f.GetBand())
		require.Positive(t, f.GetTimeRatio(), "%s %s", f.GetKind(), f.GetBand())
		if f.GetKind() != "pdf" {
			require.Zero(t, f.GetMemoryObservations(), "%s %s: nothing measures memory outside the PDF sandbox", f.GetKind(), f.GetBand())
			continue
		}
		pdfMemory += f.GetMemoryObservations()
		require.Positive(t, f.GetMemoryP95Ratio(), "%s %s", f.GetKind(), f.GetBand())
	}
	require.Positive(t, pdfMemory, "measured PDF peaks")
	require.LessOrEqual(t, pdfMemory, int64(pdfs), "at most one measured peak per PDF")
}
