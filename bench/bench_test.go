package bench

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// keys decodes v's JSON into a map, as a script reading `--json` would.
func keys(t *testing.T, v any) map[string]any {
	t.Helper()
	data, err := json.Marshal(v)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

func TestDispatchSmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 2000
	res, err := RunDispatch(ctx, DispatchOptions{Fleet: Fleet{Documents: n, Processors: 3, Slots: 16, Timeout: 30 * time.Second}, TempDir: t.TempDir()})
	require.NoError(t, err)
	m := keys(t, res)
	for _, k := range []string{"assignments_per_sec", "us_per_assignment", "us_per_assignment_no_journal", "documents", "processors", "slots"} {
		require.Contains(t, m, k)
	}
	require.EqualValues(t, n, m["documents"])
	require.EqualValues(t, 3, m["processors"])
	require.EqualValues(t, 16, m["slots"])
	// Both runs (journal and in-memory) completed every document once.
	require.Equal(t, 2*n, res.CompletedOnce)
	require.Positive(t, res.AssignmentsPerSec)
	require.Positive(t, res.USPerAssignmentNoJournal)
}

func TestScaleSmallInProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 5000
	res, err := RunScale(ctx, ScaleOptions{Fleet: Fleet{Documents: n, Processors: 2, Slots: 32, Timeout: 30 * time.Second}, TempDir: t.TempDir()})
	require.NoError(t, err)
	m := keys(t, res)
	for _, k := range []string{"documents", "peak_rss_bytes", "seconds", "submit_seconds"} {
		require.Contains(t, m, k)
	}
	require.EqualValues(t, n, m["documents"])
	require.Equal(t, n, res.CompletedOnce)
	require.Positive(t, res.PeakRSSBytes)
	require.GreaterOrEqual(t, res.Seconds, res.SubmitSeconds)
}

// TestTallyFlagsDuplicatesAndMissing makes sure the tally the tests rely on
// would notice a document completed twice or never.
func TestTallyFlagsDuplicatesAndMissing(t *testing.T) {
	f := newFleet(3)
	f.record(docID(0))
	f.record(docID(0))
	f.record(docID(1))
	f.record("not-a-doc")
	once, dup, missing := f.tally()
	require.Equal(t, 1, once)
	require.Equal(t, 1, dup)
	require.Equal(t, 1, missing)
	require.EqualValues(t, 1, f.unexpected.Load())
	r := runResult{Once: once, Dup: dup, Missing: missing}
	require.Error(t, r.check(3))
}
