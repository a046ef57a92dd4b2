package simulate

import (
	"testing"

	"github.com/docbatch/docbatch/services/scheduler"
)

func TestSimulationFinishesEveryDocumentOnce(t *testing.T) {
	w := Workload{Name: "t", Docs: 400, EdgeFraction: 0.2, Layers: 6, TransientRate: 0.05, PermanentRate: 0.02, Seed: 3,
		Procs: []ProcSpec{{Slots: 2, Memory: 1 << 30}, {Slots: 4, Memory: 2 << 30}}}
	for _, p := range []scheduler.Policy{scheduler.PolicyRank, scheduler.PolicyFIFO, scheduler.PolicyShortestFirst} {
		r, err := Run(w, p)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Done + r.Failed + r.Skipped; got != int64(w.Docs) {
			t.Fatalf("policy %d: %d documents ended, want %d", p, got, w.Docs)
		}
		if r.Failed == 0 || r.Skipped == 0 {
			t.Fatalf("policy %d: failures must fail and skip their dependents: %+v", p, r)
		}
		if r.Makespan < r.LowerBound {
			t.Fatalf("policy %d: makespan %.3f below the lower bound %.3f: the bound is wrong", p, r.Makespan, r.LowerBound)
		}
	}
	// Same seed, same result: the simulation is deterministic.
	a, _ := Run(w, scheduler.PolicyRank)
	b, _ := Run(w, scheduler.PolicyRank)
	if a != b {
		t.Fatalf("not deterministic: %+v vs %+v", a, b)
	}
}
