package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/docbatch/docbatch/corpus"
)

// TestExtractSmall runs the extraction benchmark on a few generated PDFs,
// with the real PDF engine and the pdftotext baseline (skipped when poppler
// is not installed; .ci/run installs it).
func TestExtractSmall(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	_, err := corpus.Generate(ctx, dir, corpus.Options{Docs: 10, Seed: 3, Formats: []corpus.Format{corpus.FormatPDF}})
	require.NoError(t, err)
	pdfs := filepath.Join(dir, "docs", "0000")
	before, err := os.ReadDir(pdfs)
	require.NoError(t, err)

	res, err := RunExtract(ctx, ExtractOptions{Dir: pdfs, Workers: 2, Repeat: 1, TempDir: t.TempDir()})
	require.NoError(t, err)
	m := keys(t, res)
	for _, k := range []string{"docs_per_sec", "pdftotext_docs_per_sec", "ratio_vs_pdftotext", "engine_start_seconds", "documents", "repeat"} {
		require.Contains(t, m, k)
	}
	require.Equal(t, 10, res.Documents)
	require.Zero(t, res.Failed, res.Errors)
	require.Positive(t, res.DocsPerSec)
	require.Positive(t, res.PdftotextDocsPerSec)
	require.Positive(t, res.RatioVsPdftotext)
	require.Equal(t, 10, res.Titles, "every generated PDF has a title")
	require.Positive(t, res.References)
	require.Positive(t, res.PdftotextOut)

	// The baseline wrote its .txt files elsewhere: the input folder is as it was.
	after, err := os.ReadDir(pdfs)
	require.NoError(t, err)
	require.Len(t, after, len(before))
}

func TestExtractWithoutPdftotext(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.pdf"), []byte("%PDF-1.4\n"), 0o644))
	_, err := RunExtract(context.Background(), ExtractOptions{Dir: dir, Pdftotext: filepath.Join(dir, "no-such-pdftotext")})
	require.ErrorIs(t, err, ErrNoPdftotext)
	require.ErrorContains(t, err, "apt-get install -y poppler-utils")
}
