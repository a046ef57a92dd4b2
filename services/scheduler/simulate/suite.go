package simulate

import (
	"fmt"

	"github.com/docbatch/docbatch/services/scheduler"
)

// SuiteResult aggregates the policy comparison over a suite of workloads.
type SuiteResult struct {
	Runs int `json:"runs"`
	// Mean of makespan / lower bound over every workload and seed.
	MakespanRatio     float64 `json:"makespan_ratio"`
	FIFOMakespanRatio float64 `json:"fifo_makespan_ratio"`
	SeedMakespanRatio float64 `json:"seed_makespan_ratio"`
	// Mean fraction of FIFO's makespan saved on workloads with dependencies.
	DAGImprovementVsFIFO float64 `json:"dag_improvement_vs_fifo"`
	// The most any scheduler could save against FIFO on those workloads:
	// the mean of 1 - lower bound / FIFO's makespan. Improvement is capped
	// by how far FIFO itself is from the bound.
	DAGImprovementCeiling float64 `json:"dag_improvement_ceiling"`
	// Per workload family (edge fraction), the same three ratios.
	Families []FamilyResult `json:"families"`
}

// FamilyResult is one workload family averaged over seeds.
type FamilyResult struct {
	Name              string  `json:"name"`
	MakespanRatio     float64 `json:"makespan_ratio"`
	FIFOMakespanRatio float64 `json:"fifo_makespan_ratio"`
	SeedMakespanRatio float64 `json:"seed_makespan_ratio"`
}

// Suite is the benchmark's workloads: log-normal sizes, run time linear in
// size with noise, layered random DAGs with 0, 5 and 20% edges, 2%
// transient and 0.5% permanent failures, and processors of different
// headroom; each over seeds 1..seeds.
func Suite(docs, seeds int) []Workload {
	procs := []ProcSpec{{Slots: 2, Memory: 1 << 30}, {Slots: 4, Memory: 2 << 30}, {Slots: 2, Memory: 512 << 20}}
	var out []Workload
	for _, ef := range []float64{0, 0.05, 0.2} {
		for s := 1; s <= seeds; s++ {
			out = append(out, Workload{
				Name: fmt.Sprintf("edges-%02.0f%%", ef*100), Docs: docs, EdgeFraction: ef, Layers: 8,
				Procs: procs, TransientRate: 0.02, PermanentRate: 0.005, Seed: uint64(s),
			})
		}
	}
	return out
}

// RunSuite simulates every workload under the three policies.
func RunSuite(ws []Workload) (SuiteResult, error) {
	var res SuiteResult
	type acc struct {
		ours, fifo, seed float64
		n                int
	}
	fam := map[string]*acc{}
	var order []string
	var dagSaved, dagCeiling float64
	var dagRuns int
	for _, w := range ws {
		var r [3]Result
		for i, p := range []scheduler.Policy{scheduler.PolicyRank, scheduler.PolicyFIFO, scheduler.PolicyShortestFirst} {
			x, err := Run(w, p)
			if err != nil {
				return res, err
			}
			r[i] = x
		}
		res.Runs++
		res.MakespanRatio += r[0].Ratio()
		res.FIFOMakespanRatio += r[1].Ratio()
		res.SeedMakespanRatio += r[2].Ratio()
		if w.EdgeFraction > 0 {
			dagSaved += 1 - r[0].Makespan/r[1].Makespan
			dagCeiling += 1 - r[1].LowerBound/r[1].Makespan
			dagRuns++
		}
		a, ok := fam[w.Name]
		if !ok {
			a = &acc{}
			fam[w.Name] = a
			order = append(order, w.Name)
		}
		a.ours += r[0].Ratio()
		a.fifo += r[1].Ratio()
		a.seed += r[2].Ratio()
		a.n++
	}
	if res.Runs > 0 {
		n := float64(res.Runs)
		res.MakespanRatio /= n
		res.FIFOMakespanRatio /= n
		res.SeedMakespanRatio /= n
	}
	if dagRuns > 0 {
		res.DAGImprovementVsFIFO = dagSaved / float64(dagRuns)
		res.DAGImprovementCeiling = dagCeiling / float64(dagRuns)
	}
	for _, name := range order {
		a := fam[name]
		n := float64(a.n)
		res.Families = append(res.Families, FamilyResult{Name: name, MakespanRatio: a.ours / n, FIFOMakespanRatio: a.fifo / n, SeedMakespanRatio: a.seed / n})
	}
	return res, nil
}
