package simulate

import (
	"fmt"

	"github.com/docbatch/docbatch/services/scheduler"
)

// SuiteResult aggregates the policy comparison over a suite of workloads.
// The top-level figures are means over every run of every regime; Regimes
// has the same figures per regime.
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
	// Per workload family (edge fraction, over every regime), the same
	// three ratios.
	Families []FamilyResult `json:"families"`
	// Per regime (laptop, cluster).
	Regimes map[string]*RegimeResult `json:"regimes"`
}

// RegimeResult is the suite's figures over one regime's runs.
type RegimeResult struct {
	Processors int `json:"processors"`
	Slots      int `json:"slots"`
	Docs       int `json:"docs"`
	Runs       int `json:"runs"`

	MakespanRatio         float64 `json:"makespan_ratio"`
	FIFOMakespanRatio     float64 `json:"fifo_makespan_ratio"`
	SeedMakespanRatio     float64 `json:"seed_makespan_ratio"`
	DAGImprovementVsFIFO  float64 `json:"dag_improvement_vs_fifo"`
	DAGImprovementCeiling float64 `json:"dag_improvement_ceiling"`
	// DAGSkippedFraction is the mean share of a DAG workload's documents
	// skipped because something upstream failed permanently: with many
	// parents per document, 0.5% permanent failures cut off most of the
	// later layers, so those workloads run mostly their first layers.
	DAGSkippedFraction float64        `json:"dag_skipped_fraction"`
	Families           []FamilyResult `json:"families"`
}

// FamilyResult is one workload family averaged over seeds.
type FamilyResult struct {
	Name              string  `json:"name"`
	MakespanRatio     float64 `json:"makespan_ratio"`
	FIFOMakespanRatio float64 `json:"fifo_makespan_ratio"`
	SeedMakespanRatio float64 `json:"seed_makespan_ratio"`
	// Bound parts, means in virtual seconds, to show what binds.
	CriticalPath  float64 `json:"critical_path_s"`
	WorkOverSlots float64 `json:"work_over_slots_s"`
	MemoryArea    float64 `json:"memory_area_s"`
}

// Regime is a kind of deployment the suite runs every workload family on.
type Regime struct {
	Name  string
	Procs []ProcSpec
	// DocsScale scales the batch with the fleet: a regime's workloads have
	// DocsScale times the laptop's documents (the same documents per slot
	// when DocsScale is its slots over the laptop's).
	DocsScale int
}

// Regimes are the two kinds of docbatch users (see docs/benchmarks.md):
//   - laptop: a researcher's machine, three processors of different
//     memory, 8 slots in all;
//   - cluster: a platform team's fleet, 16 processors of 4 slots on three
//     node sizes (2, 4 and 1 GiB budgets), 64 slots, given the same load
//     per slot as the laptop (8x the slots, 8x the documents): a fleet is
//     sized to its batches.
func Regimes() []Regime {
	laptop := []ProcSpec{{Slots: 2, Memory: 1 << 30}, {Slots: 4, Memory: 2 << 30}, {Slots: 2, Memory: 512 << 20}}
	var cluster []ProcSpec
	for i := range 16 {
		cluster = append(cluster, ProcSpec{Slots: 4, Memory: []uint64{2 << 30, 4 << 30, 1 << 30}[i%3]})
	}
	return []Regime{
		{Name: "laptop", Procs: laptop, DocsScale: 1},
		{Name: "cluster", Procs: cluster, DocsScale: 8},
	}
}

// Suite is the benchmark's workloads: log-normal sizes, run time linear in
// size with noise, layered random DAGs with 0, 5 and 20% edges, 2%
// transient and 0.5% permanent failures, and processors of different
// headroom; each over seeds 1..seeds, in every regime named (all when none
// is). docs is the laptop's batch; other regimes scale it with their slots.
func Suite(docs, seeds int, regimes ...string) []Workload {
	var out []Workload
	for _, rg := range Regimes() {
		if len(regimes) > 0 && !contains(regimes, rg.Name) {
			continue
		}
		for _, ef := range []float64{0, 0.05, 0.2} {
			for s := 1; s <= seeds; s++ {
				out = append(out, Workload{
					Regime: rg.Name,
					Name:   fmt.Sprintf("edges-%02.0f%%", ef*100), Docs: docs * rg.DocsScale, EdgeFraction: ef, Layers: 8,
					Procs: rg.Procs, TransientRate: 0.02, PermanentRate: 0.005, Seed: uint64(s),
				})
			}
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// acc accumulates one group of runs (a regime, a family, everything).
type acc struct {
	ours, fifo, seed       float64
	cp, ws, ma             float64
	n                      int
	dagSaved, dagCeil, skp float64
	dagN                   int
}

func (a *acc) add(w Workload, r [3]Result) {
	a.ours += r[0].Ratio()
	a.fifo += r[1].Ratio()
	a.seed += r[2].Ratio()
	a.cp += r[0].CriticalPath
	a.ws += r[0].WorkOverSlots
	a.ma += r[0].MemoryArea
	a.n++
	if w.EdgeFraction > 0 {
		a.dagSaved += 1 - r[0].Makespan/r[1].Makespan
		a.dagCeil += 1 - r[1].LowerBound/r[1].Makespan
		a.skp += float64(r[0].Skipped) / float64(w.Docs)
		a.dagN++
	}
}

func (a *acc) family(name string) FamilyResult {
	n := float64(max(a.n, 1))
	return FamilyResult{Name: name, MakespanRatio: a.ours / n, FIFOMakespanRatio: a.fifo / n, SeedMakespanRatio: a.seed / n,
		CriticalPath: a.cp / n, WorkOverSlots: a.ws / n, MemoryArea: a.ma / n}
}

func (a *acc) dag() (saved, ceiling, skipped float64) {
	if a.dagN == 0 {
		return 0, 0, 0
	}
	n := float64(a.dagN)
	return a.dagSaved / n, a.dagCeil / n, a.skp / n
}

// ordered is a map of accumulators that remembers insertion order.
type ordered struct {
	m     map[string]*acc
	order []string
}

func (o *ordered) get(k string) *acc {
	if o.m == nil {
		o.m = map[string]*acc{}
	}
	a, ok := o.m[k]
	if !ok {
		a = &acc{}
		o.m[k] = a
		o.order = append(o.order, k)
	}
	return a
}

// RunSuite simulates every workload under the three policies.
func RunSuite(ws []Workload) (SuiteResult, error) {
	res := SuiteResult{Regimes: map[string]*RegimeResult{}}
	var all acc
	var fams, regs ordered
	regFams := map[string]*ordered{}
	for _, w := range ws {
		var r [3]Result
		for i, p := range []scheduler.Policy{scheduler.PolicyRank, scheduler.PolicyFIFO, scheduler.PolicyShortestFirst} {
			x, err := Run(w, p)
			if err != nil {
				return res, err
			}
			r[i] = x
		}
		all.add(w, r)
		fams.get(w.Name).add(w, r)
		regs.get(w.Regime).add(w, r)
		if regFams[w.Regime] == nil {
			regFams[w.Regime] = &ordered{}
			slots := 0
			for _, p := range w.Procs {
				slots += p.Slots
			}
			res.Regimes[w.Regime] = &RegimeResult{Processors: len(w.Procs), Slots: slots, Docs: w.Docs}
		}
		regFams[w.Regime].get(w.Name).add(w, r)
	}
	res.Runs = all.n
	f := all.family("all")
	res.MakespanRatio, res.FIFOMakespanRatio, res.SeedMakespanRatio = f.MakespanRatio, f.FIFOMakespanRatio, f.SeedMakespanRatio
	res.DAGImprovementVsFIFO, res.DAGImprovementCeiling, _ = all.dag()
	for _, name := range fams.order {
		res.Families = append(res.Families, fams.m[name].family(name))
	}
	for _, rn := range regs.order {
		a, rr := regs.m[rn], res.Regimes[rn]
		f := a.family(rn)
		rr.Runs = a.n
		rr.MakespanRatio, rr.FIFOMakespanRatio, rr.SeedMakespanRatio = f.MakespanRatio, f.FIFOMakespanRatio, f.SeedMakespanRatio
		rr.DAGImprovementVsFIFO, rr.DAGImprovementCeiling, rr.DAGSkippedFraction = a.dag()
		for _, name := range regFams[rn].order {
			rr.Families = append(rr.Families, regFams[rn].m[name].family(name))
		}
	}
	return res, nil
}
