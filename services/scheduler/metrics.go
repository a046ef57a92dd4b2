package scheduler

import "time"

// Metrics is what an operator watches, as one consistent snapshot; the
// service turns it into OpenTelemetry instruments. Counters are cumulative
// since the process started.
type Metrics struct {
	Batches    []BatchMetrics
	Processors []ProcessorMetrics
	// Assignments made, retries scheduled (transient and out-of-memory),
	// documents quarantined (failed for good with their error history),
	// processors fenced for missed heartbeats.
	Assignments, Retries, Quarantined, Fenced int64
	// AssignWait is the total time documents waited between becoming ready
	// and being assigned (Config.OnAssign sees each wait).
	AssignWaitSum time.Duration
}

// BatchMetrics is one running batch.
type BatchMetrics struct {
	ID string
	// Ready counts documents ready to run, by priority class (with aging).
	Ready      map[Priority]int64
	Counts     Counts
	RatePerSec float64
}

// ProcessorMetrics is one connected processor.
type ProcessorMetrics struct {
	ID                          string
	Slots, Running              int
	Budget, Available, Reserved uint64
}

// stats are the cumulative counters behind Metrics.
type stats struct {
	assignments, retries, quarantined, fenced int64
	waitSum                                   time.Duration
}

// Metrics returns the current snapshot. It walks running batches' ready
// queues, so it is meant for a scrape every few seconds, not a hot loop.
func (s *Scheduler) Metrics() Metrics {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := Metrics{
		Assignments: s.stats.assignments, Retries: s.stats.retries, Quarantined: s.stats.quarantined, Fenced: s.stats.fenced,
		AssignWaitSum: s.stats.waitSum,
	}
	for _, b := range s.order {
		if b.rec.State != BatchRunning {
			continue
		}
		bm := BatchMetrics{ID: b.rec.Header.ID, Ready: map[Priority]int64{}, Counts: b.rec.Counts, RatePerSec: s.info(b).RatePerSec}
		for _, i := range b.ready.idx {
			bm.Ready[b.docs[i].class()]++
		}
		m.Batches = append(m.Batches, bm)
	}
	for _, p := range s.procs {
		m.Processors = append(m.Processors, ProcessorMetrics{ID: p.id, Slots: p.slots, Running: p.running, Budget: p.budget, Available: p.available, Reserved: p.reserved})
	}
	return m
}
