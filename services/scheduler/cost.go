package scheduler

import (
	"math"
	"path"
	"strings"
)

// estimate is the scheduler's prior for one document: the memory to reserve
// on a processor and the expected run time. It follows the seed's size
// classes (<100 KB simple, <1 MB moderate, <10 MB complex, more intensive)
// with per-format factors; PDFs cost most because the engine renders text
// page by page. These are the prior; costModel corrects it with what
// processors report.
type estimate struct {
	reservation uint64
	seconds     float64
}

func estimateFor(p string, size int64) estimate {
	if size < 0 {
		size = 0
	}
	s := uint64(size)
	switch strings.ToLower(path.Ext(p)) {
	case ".pdf":
		return estimate{reservation: 64<<20 + 6*s, seconds: 0.02 + float64(size)/8e6}
	case ".xml", ".html", ".htm", ".xhtml":
		return estimate{reservation: 16<<20 + 8*s, seconds: 0.002 + float64(size)/40e6}
	default:
		return estimate{reservation: 8<<20 + 4*s, seconds: 0.001 + float64(size)/60e6}
	}
}

// Reservation is the memory the scheduler reserves for a document before it
// has learned anything about its kind.
func Reservation(path string, size int64) uint64 { return estimateFor(path, size).reservation }

// Format kinds and size bands the estimates learn over: the seed's classes.
const (
	kinds = 3 // pdf, markup (XML, HTML), text
	bands = 4 // <100 KB, <1 MB, <10 MB, larger
	// minObservations before a learned factor is trusted.
	minObservations = 5
	// ewmaAlpha weighs each new observation.
	ewmaAlpha = 0.1
)

var kindNames = [kinds]string{"pdf", "markup", "text"}
var bandNames = [bands]string{"<100KB", "<1MB", "<10MB", ">=10MB"}

func kindOf(p string) int {
	switch strings.ToLower(path.Ext(p)) {
	case ".pdf":
		return 0
	case ".xml", ".html", ".htm", ".xhtml":
		return 1
	}
	return 2
}

func bandOf(size int64) int {
	switch {
	case size < 100_000:
		return 0
	case size < 1_000_000:
		return 1
	case size < 10_000_000:
		return 2
	}
	return 3
}

// Factor is what the model learned for one kind and band: an exponentially
// weighted mean of observed run time over the prior's, a running estimate
// of the 95th percentile of reported peak memory over the prior
// reservation, and how many observations each rests on.
type Factor struct {
	Ratio float64 `json:"ratio"`
	N     int64   `json:"n"`
	// MemoryP95 is 0 until a processor reported a peak.
	MemoryP95 float64 `json:"memory_p95,omitempty"`
	MemoryN   int64   `json:"memory_n,omitempty"`
}

// Bounds on how far learning may move the prior's reservation: a processor
// that under-reports must not make the scheduler over-commit a machine, and
// one that over-reports must not make every document unplaceable.
const (
	minMemoryFactor = 0.5
	maxMemoryFactor = 4
	// memoryHeadroom is added over the learned 95th percentile.
	memoryHeadroom = 1.25
	// driftToApply is how far a learned factor must move from the one in
	// use before estimates (and ranks) change: small wobbles would re-rank
	// whole batches for nothing.
	driftToApply = 0.10
)

// costModel corrects the prior estimates with what processors report, per
// format kind and size band, so that ranks, longest-first ordering and
// reservations follow this deployment's real costs. It is persisted with
// the scheduler's state.
//
// Estimates use the applied factors, not the latest ones: every document of
// a kind and band is estimated with the same factor, and a factor is
// applied only once it rests on minObservations reports and has drifted by
// driftToApply, at which point observe says the batches need re-ranking.
type costModel struct {
	f       [kinds][bands]Factor
	applied [kinds][bands]struct{ time, memory float64 }
}

// observe learns one completed document: its run time and, when the
// processor measured it, its peak memory. It reports whether an applied
// factor changed, so queued estimates and ranks are stale.
func (m *costModel) observe(p string, size int64, seconds float64, peak uint64) bool {
	prior := estimateFor(p, size)
	k, b := kindOf(p), bandOf(size)
	f := &m.f[k][b]
	if prior.seconds > 0 && seconds > 0 {
		r := seconds / prior.seconds
		if f.N == 0 {
			f.Ratio = r
		} else {
			f.Ratio += ewmaAlpha * (r - f.Ratio)
		}
		f.N++
	}
	if prior.reservation > 0 && peak > 0 {
		r := float64(peak) / float64(prior.reservation)
		if f.MemoryN == 0 {
			f.MemoryP95 = r
		} else {
			// Stochastic approximation of the 95th percentile: step up
			// by 0.95 of a step when above it, down by 0.05 when below,
			// in steps proportional to the estimate, so it settles where
			// 95% of reports fall below.
			step := 0.05 * f.MemoryP95
			if r > f.MemoryP95 {
				f.MemoryP95 += step * 0.95
			} else {
				f.MemoryP95 -= step * 0.05
			}
		}
		f.MemoryN++
	}
	return m.apply(k, b)
}

// apply moves the factors in use towards what was learned once they drifted
// enough; it reports whether anything moved.
func (m *costModel) apply(k, b int) bool {
	f, a := m.f[k][b], &m.applied[k][b]
	moved := false
	if f.N >= minObservations && drifted(a.time, f.Ratio) {
		a.time = f.Ratio
		moved = true
	}
	if f.MemoryN >= minObservations {
		want := min(max(f.MemoryP95*memoryHeadroom, minMemoryFactor), maxMemoryFactor)
		if drifted(a.memory, want) {
			a.memory = want
			moved = true
		}
	}
	return moved
}

func drifted(applied, learned float64) bool {
	return applied == 0 || math.Abs(learned/applied-1) > driftToApply
}

func (m *costModel) estimate(p string, size int64) estimate {
	e := estimateFor(p, size)
	a := m.applied[kindOf(p)][bandOf(size)]
	if a.time > 0 {
		e.seconds *= a.time
	}
	if a.memory > 0 {
		e.reservation = uint64(float64(e.reservation) * a.memory)
	}
	return e
}

// snapshot names every learned factor ("pdf <1MB"), for storage and reports.
func (m *costModel) snapshot() map[string]Factor {
	out := map[string]Factor{}
	for k := range kinds {
		for b := range bands {
			if f := m.f[k][b]; f.N > 0 || f.MemoryN > 0 {
				out[kindNames[k]+" "+bandNames[b]] = f
			}
		}
	}
	return out
}

func (m *costModel) restore(s map[string]Factor) {
	for k := range kinds {
		for b := range bands {
			if f, ok := s[kindNames[k]+" "+bandNames[b]]; ok {
				m.f[k][b] = f
				m.apply(k, b)
			}
		}
	}
}

// LearnedFactor is one kind and band's Factor, named.
type LearnedFactor struct {
	Kind, Band string
	Factor
}

// CostFactors returns what the scheduler has learned, ordered by kind and
// then by band from small to large; kinds and bands nothing was learned
// for are left out.
func (s *Scheduler) CostFactors() []LearnedFactor {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []LearnedFactor
	for k := range kinds {
		for b := range bands {
			if f := s.model.f[k][b]; f.N > 0 || f.MemoryN > 0 {
				out = append(out, LearnedFactor{Kind: kindNames[k], Band: bandNames[b], Factor: f})
			}
		}
	}
	return out
}
