//go:build slow

package eval

import (
	"os"
	"path/filepath"
	"testing"
)

// TestResolveSharedData runs the resolver on the real evaluation sets
// (../shared/data from the repository root) and checks that the figures
// are sane — not that they reach the targets.
func TestResolveSharedData(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "data")
	if _, err := os.Stat(filepath.Join(dir, "er")); err != nil {
		t.Skipf("shared data not found at %s (expected ../shared/data relative to the repository root): %v", dir, err)
	}
	rep, err := Resolve(t.Context(), dir, ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	floors := map[string]float64{DatasetDBLPACM: 0.9, DatasetCora: 0.75, DatasetS2AND: 0.6, DatasetELife: 0.8}
	for _, name := range ResolveDatasets {
		f := rep.Figures(name)
		if f == nil {
			t.Errorf("%s: missing", name)
			continue
		}
		t.Logf("%s: %+v", name, *f)
		if f.ScoredMentions == 0 || f.Records < f.ScoredMentions {
			t.Errorf("%s: %d scored of %d records", name, f.ScoredMentions, f.Records)
		}
		if f.BlockingRecall < 0.85 || f.ReductionRatio < 0.8 {
			t.Errorf("%s: blocking recall %.3f, reduction %.3f", name, f.BlockingRecall, f.ReductionRatio)
		}
		if f.B3F1 < floors[name] || f.PairwiseF1 < floors[name]-0.2 {
			t.Errorf("%s: B3 F1 %.3f, pairwise F1 %.3f below the sanity floor %.2f", name, f.B3F1, f.PairwiseF1, floors[name])
		}
		for _, v := range []float64{f.PairwisePrecision, f.PairwiseRecall, f.B3Precision, f.B3Recall} {
			if v < 0 || v > 1 {
				t.Errorf("%s: figure out of [0,1]: %+v", name, f)
			}
		}
		if f.MentionsPerSec < 1000 {
			t.Errorf("%s: %.0f mentions/s", name, f.MentionsPerSec)
		}
	}
}
