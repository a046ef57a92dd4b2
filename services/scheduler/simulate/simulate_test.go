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

// The oracle submits exactly the documents that run in the real batch:
// nothing is skipped, the same ones fail, the same ones finish, and each
// keeps the class the whole batch derives for it.
func TestOracleKnowsWhatFailuresSkip(t *testing.T) {
	w := Workload{Name: "t", Docs: 400, EdgeFraction: 0.2, Layers: 6, TransientRate: 0.05, PermanentRate: 0.02, Seed: 3,
		Procs: []ProcSpec{{Slots: 2, Memory: 1 << 30}, {Slots: 4, Memory: 2 << 30}}}
	real, err := Run(w, scheduler.PolicyRank)
	if err != nil {
		t.Fatal(err)
	}
	w.Oracle = true
	oracle, err := Run(w, scheduler.PolicyRank)
	if err != nil {
		t.Fatal(err)
	}
	if oracle.Skipped != 0 || oracle.Failed != real.Failed || oracle.Done != real.Done {
		t.Fatalf("oracle ended %+v, real batch %+v: want the same done and failed, none skipped", oracle, real)
	}
	if oracle.LowerBound != real.LowerBound {
		t.Fatalf("oracle bound %v, real %v: the same documents run", oracle.LowerBound, real.LowerBound)
	}
	for _, d := range knownFailures(generate(w)) {
		if d.spec.Priority == scheduler.PriorityUnspecified {
			t.Fatalf("%s has no class: the oracle must keep the whole batch's", d.spec.ID)
		}
	}
}
