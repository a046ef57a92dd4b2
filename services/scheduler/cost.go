package scheduler

import (
	"path"
	"strings"
)

// estimate is the scheduler's prior for one document: the memory to reserve
// on a processor and the expected run time. It follows the seed's size
// classes (<100 KB simple, <1 MB moderate, <10 MB complex, more intensive)
// with per-format factors; PDFs cost most because the engine renders text
// page by page. These are starting points; the estimates are meant to learn
// from what processors report.
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
