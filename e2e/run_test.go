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

	"github.com/docbatch/docbatch/corpus"
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
	for _, f := range []string{report.SummaryFile, report.BatchFile, report.ClustersFile, report.GraphMLFile, report.GEXFFile, report.NodesFile, report.EdgesFile, report.CSLJSONFile, report.BibTeXFile, report.DomainsFile} {
		fi, err := os.Stat(filepath.Join(out, f))
		require.NoError(t, err)
		require.NotZero(t, fi.Size(), f)
	}
	summary, err := os.ReadFile(filepath.Join(out, report.SummaryFile))
	require.NoError(t, err)
	require.Contains(t, string(summary), "SUCCEEDED")

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
