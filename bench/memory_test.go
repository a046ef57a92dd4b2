package bench

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMemorySmall runs the memory benchmark end to end on two tiny
// generated collections (PDFs included), with the processor as a child
// process (this test binary, see TestMain).
func TestMemorySmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := RunMemory(ctx, MemoryOptions{
		Budget: 256 << 20, SmallBytes: 1e6, LargeBytes: 2e6, AvgDocBytes: 50e3, Seed: 2, Timeout: 2 * time.Minute,
		ProcessorCommand: []string{os.Args[0]}, ProcessorEnv: []string{childEnv + "=memory-processor"},
		Stderr: os.Stderr, TempDir: t.TempDir(),
	})
	t.Logf("%+v", res)
	require.NoError(t, err)
	m := keys(t, res)
	for _, k := range []string{"budget_bytes", "small_corpus_bytes", "small_peak_rss_bytes", "large_corpus_bytes", "large_peak_rss_bytes",
		"small_gc_cycles", "small_gc_pause_total_seconds", "large_gc_cycles", "large_gc_pause_total_seconds",
		"peak_rss_difference", "under_budget", "similar_peaks", "targets_met"} {
		require.Contains(t, m, k)
	}
	require.EqualValues(t, 256<<20, res.BudgetBytes)
	for _, r := range []MemoryRun{res.Small, res.Large} {
		require.Positive(t, r.CorpusBytes)
		require.Positive(t, r.PDFDocuments, "the generator's mix includes PDFs")
		require.Positive(t, r.PeakRSSBytes)
		require.GreaterOrEqual(t, r.PeakRSSBytes, r.StartRSSBytes)
		require.Positive(t, r.GCCycles)
		require.Positive(t, r.GCPauseTotalSeconds)
		require.EqualValues(t, 256<<20, r.MemoryLimitBytes, "GOMEMLIMIT comes from the budget")
		require.EqualValues(t, r.Documents, r.Done, "every document processed")
	}
	require.Greater(t, res.LargeCorpusBytes, res.SmallCorpusBytes)
}
