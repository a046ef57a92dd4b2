//go:build slow

package chaos

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestChaosShort is the CI form of `docbatch chaos`: a small batch, one
// faulted run with one or two faults per implemented kind, each checked
// against the clean run.
func TestChaosShort(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Minute)
	defer cancel()
	repo, err := filepath.Abs("..")
	require.NoError(t, err)
	bins, err := BuildBinaries(ctx, repo, t.TempDir())
	require.NoError(t, err)
	o := Options{
		Docs:    120,
		Seed:    7,
		Runs:    1,
		Faults:  1,
		Bins:    bins,
		TempDir: t.TempDir(),
		// Kept for logTails: Run would delete the logs of a failed run
		// before the test can show them. The test's TempDir goes anyway.
		Keep:       true,
		RunTimeout: 4 * time.Minute,
		Log:        testWriter{t},
	}
	// Every kind, the three-node cluster included (processors retry a
	// publish through the stream's leader election). DOCBATCH_CHAOS_KINDS
	// narrows it.
	o.Kinds = Kinds
	if kinds := os.Getenv("DOCBATCH_CHAOS_KINDS"); kinds != "" {
		o.Kinds = strings.Split(kinds, ",")
	}
	res, err := Run(ctx, o)
	require.NoError(t, err)
	require.Equal(t, 120, res.Clean.States["DONE"], "the clean run completes every document")
	for _, k := range Kinds {
		f := res.Faults[k]
		require.NotNil(t, f, k)
		if f.Skipped != "" {
			continue
		}
		t.Run(k, func(t *testing.T) {
			if f.Error != "" {
				logTails(t, f.Error)
			}
			require.Empty(t, f.Error, "the run finished")
			require.Equal(t, 1, f.Runs)
			require.Zero(t, f.Lost, "lost")
			require.Zero(t, f.DoubleCounted, "double counted")
			require.True(t, f.OutputsIdentical, "outputs identical to the clean run: %v", f.Differs)
		})
	}
}

// logTails logs the end of every service log of a run that did not
// finish: the work folder is a t.TempDir, gone once the test ends, and a
// run that fails only on a loaded CI machine must leave evidence behind.
func logTails(t *testing.T, runErr string) {
	m := regexp.MustCompile(`\(logs in ([^)]+)\)`).FindStringSubmatch(runErr)
	if m == nil {
		return
	}
	logs, _ := filepath.Glob(filepath.Join(m[1], "*.log"))
	for _, p := range logs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		t.Logf("%s, last %d of %d lines:\n%s", filepath.Base(p), min(40, len(lines)), len(lines), strings.Join(lines[max(0, len(lines)-40):], "\n"))
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
