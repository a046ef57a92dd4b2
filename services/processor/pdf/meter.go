package pdf

import (
	"context"
	"sync/atomic"
)

// Meter collects the measured peak memory of the PDF work done for one
// document, for engines that can measure it (the process sandbox can; the
// in-process Engine cannot, since its instances share the process's heap).
// A caller that wants the figure attaches a Meter to the context it passes
// to PageTexts; the figure travels out of band because the text interfaces
// (extract.PDFTextSource) have no room for it and most callers do not care.
type Meter struct{ peak atomic.Uint64 }

type meterKey struct{}

// WithMeter returns ctx carrying m.
func WithMeter(ctx context.Context, m *Meter) context.Context {
	return context.WithValue(ctx, meterKey{}, m)
}

// RecordPeak reports a measured peak of bytes to the Meter in ctx, if any;
// the Meter keeps the largest figure reported.
func RecordPeak(ctx context.Context, bytes uint64) {
	m, _ := ctx.Value(meterKey{}).(*Meter)
	if m == nil {
		return
	}
	for {
		old := m.peak.Load()
		if bytes <= old || m.peak.CompareAndSwap(old, bytes) {
			return
		}
	}
}

// Peak is the largest peak recorded, 0 when nothing was measured.
func (m *Meter) Peak() uint64 { return m.peak.Load() }
