package scheduler

import (
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
// weighted mean of observed run time over the prior's, and how many
// observations it rests on.
type Factor struct {
	Ratio float64 `json:"ratio"`
	N     int64   `json:"n"`
}

// costModel corrects the prior estimates with what processors report, per
// format kind and size band, so that ranks and longest-first ordering follow
// this deployment's real costs. It is persisted with the scheduler's state.
type costModel struct {
	f [kinds][bands]Factor
}

func (m *costModel) observe(p string, size int64, seconds float64) {
	prior := estimateFor(p, size).seconds
	if prior <= 0 || seconds <= 0 {
		return
	}
	f := &m.f[kindOf(p)][bandOf(size)]
	r := seconds / prior
	if f.N == 0 {
		f.Ratio = r
	} else {
		f.Ratio += ewmaAlpha * (r - f.Ratio)
	}
	f.N++
}

func (m *costModel) estimate(p string, size int64) estimate {
	e := estimateFor(p, size)
	if f := m.f[kindOf(p)][bandOf(size)]; f.N >= minObservations {
		e.seconds *= f.Ratio
	}
	return e
}

// snapshot names every learned factor ("pdf <1MB"), for storage and reports.
func (m *costModel) snapshot() map[string]Factor {
	out := map[string]Factor{}
	for k := range kinds {
		for b := range bands {
			if f := m.f[k][b]; f.N > 0 {
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
			}
		}
	}
}
