//go:build unix

package citations

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// peakHeap samples the live heap every 5 ms until stop is called, and
// returns the highest value seen.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// cpuSeconds is the process's user + system CPU time: on a shared machine
// it shows the work apart from the waiting.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// vmHWM is the process's peak resident set (Linux), or 0.
func vmHWM() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkBatch times what the service does for a whole batch of
// generated documents: apply every contribution to the index, build the
// snapshot (linking, fuzzy linking, outside works), its metrics and its
// domains (document network with coupling and text similarity, Louvain,
// labels). It reports seconds and the peak live heap of that work (the
// contributions themselves, generated beforehand, are in the baseline).
//
//	go test -run '^$' -bench 'Batch/100000' -benchtime 1x ./services/citations
func BenchmarkBatch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			docs := synthCorpus(n, 1)
			refs := 0
			for _, d := range docs {
				refs += len(d.References)
			}
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			b.ResetTimer()
			for b.Loop() {
				stop := peakHeap()
				cpu0 := cpuSeconds()
				start := time.Now()
				x := NewIndex()
				for _, d := range docs {
					x.Apply("b", d)
				}
				g := x.Network("b").Snapshot()
				built := time.Now()
				m := g.Metrics(10)
				ds := g.Domains()
				end := time.Now()
				cpu := cpuSeconds() - cpu0
				peak := stop()
				b.ReportMetric(end.Sub(start).Seconds(), "seconds")
				b.ReportMetric(cpu, "cpu-s")
				b.ReportMetric(built.Sub(start).Seconds(), "build-s")
				b.ReportMetric(end.Sub(built).Seconds(), "metrics+domains-s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(base.HeapAlloc)/(1<<20), "input-heap-MiB")
				b.Logf("%d documents, %d references: %d nodes, %d edges (%d internal), %d domains, modularity %.3f; %.2f s (%.2f s CPU); peak heap %d MiB (input %d MiB); process peak RSS %d MiB; GOMAXPROCS %d",
					n, refs, m.Nodes, m.Edges, m.InternalEdges, len(ds), g.Modularity(), end.Sub(start).Seconds(), cpu,
					peak>>20, base.HeapAlloc>>20, vmHWM()>>20, runtime.GOMAXPROCS(0))
			}
		})
	}
}
