// Package simulate drives the real scheduler core in virtual time over
// synthetic workloads, so that scheduling policies can be compared on
// makespan against a lower bound. Only time is simulated: the core, its
// queues, memory admission, retries and dependency handling are the ones a
// deployment runs (with an in-memory store instead of JetStream, since the
// policy, not durability, is under study).
package simulate

import (
	"container/heap"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/docbatch/docbatch/services/scheduler"
	"github.com/docbatch/docbatch/services/scheduler/memstore"
)

// ProcSpec is one simulated processor.
type ProcSpec struct {
	Slots  int
	Memory uint64
}

// Workload describes one synthetic batch.
type Workload struct {
	// Regime names the kind of deployment (laptop, cluster); Name the
	// workload family within it.
	Regime string
	Name   string
	Docs   int
	// EdgeFraction is the edge probability of the layered random DAG: each
	// document depends on each document of the layer before it with this
	// probability (the usual construction in DAG-scheduling studies).
	EdgeFraction float64
	Layers       int
	Procs        []ProcSpec
	// TransientRate and PermanentRate are per-document failure rates.
	TransientRate, PermanentRate float64
	Seed                         uint64
	// RetryBackoff is the core's first retry backoff ceiling; 0 keeps the
	// scheduler's default. Varying it shows what the retry policy costs.
	RetryBackoff time.Duration
	// Oracle submits only the documents that will run (knownFailures):
	// the scheduler then knows in advance which permanent failures skip
	// what, as the lower bound does, which shows how much of the gap to
	// the bound is not knowing it.
	Oracle bool
}

// Result is one simulated run.
type Result struct {
	Makespan   float64 // virtual seconds
	LowerBound float64
	// Parts of the bound, for the reader.
	CriticalPath, WorkOverSlots, MemoryArea float64
	Done, Failed, Skipped                   int64
}

// Ratio is makespan over the lower bound.
func (r Result) Ratio() float64 { return r.Makespan / r.LowerBound }

type simDoc struct {
	spec      scheduler.DocSpec
	seconds   float64 // true run time
	transient bool    // first attempt fails transiently
	permanent bool
}

// generate builds a workload's documents deterministically from its seed:
// log-normal sizes, formats in a fixed mix, run time linear in size with
// noise, and a layered random DAG.
func generate(w Workload) []simDoc {
	r := rand.New(rand.NewPCG(w.Seed, 0xd0cba7c4))
	layers := max(w.Layers, 1)
	docs := make([]simDoc, w.Docs)
	exts := []string{".pdf", ".pdf", ".pdf", ".xml", ".html", ".xml", ".md", ".txt", ".txt", ".md"}
	perByte := map[string]float64{".pdf": 1 / 8e6, ".xml": 1 / 40e6, ".html": 1 / 40e6, ".md": 1 / 60e6, ".txt": 1 / 60e6}
	for i := range docs {
		ext := exts[r.IntN(len(exts))]
		size := int64(math.Exp(math.Log(200e3) + 1.2*r.NormFloat64()))
		size = min(max(size, 1e3), 200e6)
		noise := math.Exp(0.25 * r.NormFloat64())
		docs[i] = simDoc{
			spec:      scheduler.DocSpec{ID: fmt.Sprintf("L%02d/d%06d%s", i*layers/w.Docs, i, ext), Size: size},
			seconds:   (0.005 + float64(size)*perByte[ext]) * noise,
			transient: r.Float64() < w.TransientRate,
			permanent: r.Float64() < w.PermanentRate,
		}
		docs[i].spec.Path = docs[i].spec.ID
	}
	if w.EdgeFraction > 0 {
		layerStart := func(l int) int { return (l*w.Docs + layers - 1) / layers }
		for l := 1; l < layers; l++ {
			for b := layerStart(l); b < layerStart(l+1); b++ {
				for a := layerStart(l - 1); a < layerStart(l); a++ {
					if r.Float64() < w.EdgeFraction {
						docs[b].spec.DependsOn = append(docs[b].spec.DependsOn, docs[a].spec.ID)
					}
				}
			}
		}
	}
	// Users list documents in no particular order (a folder walk, a
	// manifest): submission order is not a topological order.
	r.Shuffle(len(docs), func(i, j int) { docs[i], docs[j] = docs[j], docs[i] })
	return docs
}

// tick is the core's TickInterval in virtual seconds: the simulation runs
// the periodic work exactly as often as a deployment does.
var tick = scheduler.TickInterval.Seconds()

// event is a report due at a virtual time.
type event struct {
	at    float64
	seq   int
	sess  *scheduler.Session
	a     scheduler.Assignment
	fail  scheduler.FailureClass
	inMem uint64
}

type events []event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if e[i].at != e[j].at {
		return e[i].at < e[j].at
	}
	return e[i].seq < e[j].seq
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// Run simulates w under policy.
func Run(w Workload, policy scheduler.Policy) (Result, error) {
	docs := generate(w)
	if w.Oracle {
		docs = knownFailures(docs)
	}
	byID := make(map[string]int, len(docs))
	specs := make([]scheduler.DocSpec, len(docs))
	for i, d := range docs {
		byID[d.spec.ID] = i
		specs[i] = d.spec
	}
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var now float64
	clock := func() time.Time { return epoch.Add(time.Duration(now * float64(time.Second))) }
	core := scheduler.New(scheduler.Config{
		Roots: []string{"/simulated-root-not-on-disk"},
		// No heartbeats in virtual time: leases must never expire.
		HeartbeatInterval: 24 * time.Hour,
		Policy:            policy,
		RetryBackoff:      w.RetryBackoff,
		Now:               clock,
		Seed:              w.Seed,
		Log:               slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, memstore.New())
	ctx := context.Background()
	if err := core.Recover(ctx); err != nil {
		return Result{}, err
	}
	if _, _, err := core.Submit(ctx, scheduler.BatchHeader{ID: "sim"}, specs); err != nil {
		return Result{}, fmt.Errorf("submitting workload %s: %w", w.Name, err)
	}
	var sessions []*scheduler.Session
	for i, p := range w.Procs {
		s, err := core.Connect(fmt.Sprintf("p%d", i), p.Slots, scheduler.Headroom{MemoryAvailable: p.Memory, MemoryBudget: p.Memory})
		if err != nil {
			return Result{}, err
		}
		sessions = append(sessions, s)
	}
	attempts := make([]int, len(docs))
	var q events
	seq := 0
	drain := func() {
		for _, s := range sessions {
			for {
				select {
				case out := <-s.Outbox():
					if out.Assign == nil {
						continue
					}
					i := byID[out.Assign.DocumentID]
					attempts[i]++
					d := docs[i]
					ev := event{at: now + d.seconds, seq: seq, sess: s, a: *out.Assign}
					switch {
					case d.permanent:
						ev.fail, ev.at = scheduler.FailPermanent, now+d.seconds/2
					case d.transient && attempts[i] == 1:
						ev.fail, ev.at = scheduler.FailTransient, now+d.seconds/2
					}
					seq++
					heap.Push(&q, ev)
					continue
				default:
				}
				break
			}
		}
	}
	drain()
	ticks := 0 // ticks run so far: the next is at (ticks+1)·tick
	for steps := 0; ; steps++ {
		info, _, _, err := core.GetBatch("sim", 0, 0, 0)
		if err != nil {
			return Result{}, err
		}
		if info.State != scheduler.BatchRunning {
			res := bound(w, docs)
			res.Makespan = now
			res.Done, res.Failed, res.Skipped = info.Counts.Done, info.Counts.Failed, info.Counts.Skipped
			return res, nil
		}
		if steps > 50*len(docs)+1_000_000 {
			return Result{}, fmt.Errorf("workload %s: simulation did not converge (%+v)", w.Name, info.Counts)
		}
		// Advance to the next thing to happen: a backoff ending (Run's
		// retry timer), a tick, or a report. Ticks are counted, not summed,
		// so that rounding never stalls the clock.
		nextTick := float64(ticks+1) * tick
		if r := core.NextRetry(); !r.IsZero() {
			at := r.Sub(epoch).Seconds()
			for epoch.Add(time.Duration(at * float64(time.Second))).Before(r) {
				at += 1e-9 // the clock truncates to nanoseconds
			}
			if at = max(now, at); at < nextTick && (q.Len() == 0 || at < q[0].at) {
				now = at
				core.ReleaseRetries()
				drain()
				continue
			}
		}
		if q.Len() == 0 || q[0].at > nextTick {
			now = nextTick
			ticks++
			core.Tick()
			drain()
			continue
		}
		ev := heap.Pop(&q).(event)
		now = ev.at
		if ev.fail == 0 {
			took := time.Duration(docs[byID[ev.a.DocumentID]].seconds * float64(time.Second))
			err = ev.sess.Complete(ev.a.ID, ev.a.Epoch, uint64(seq), took, 0)
		} else {
			err = ev.sess.Fail(ev.a.ID, ev.a.Epoch, ev.fail, "simulated failure", 0)
		}
		if err != nil {
			return Result{}, fmt.Errorf("reporting %s: %w", ev.a.DocumentID, err)
		}
		drain()
	}
}

// bound is max(critical path, total work / total slots, memory-time area /
// total memory), over the true times and the reservations the core would
// make. Failed attempts are counted in the work, which keeps it a bound.
func bound(w Workload, docs []simDoc) Result {
	byID, order, skipped := skips(docs)
	var slots int
	var mem uint64
	for _, p := range w.Procs {
		slots += p.Slots
		mem += p.Memory
	}
	finish := make([]float64, len(docs))
	var work, area, cp float64
	for _, i := range order {
		d := docs[i]
		if skipped[i] {
			continue
		}
		t := d.seconds
		if d.permanent {
			t = d.seconds / 2
		} else if d.transient {
			t = d.seconds * 1.5
		}
		start := 0.0
		for _, dep := range d.spec.DependsOn {
			start = max(start, finish[byID[dep]])
		}
		finish[i] = start + t
		cp = max(cp, finish[i])
		work += t
		area += t * float64(scheduler.Reservation(d.spec.Path, d.spec.Size))
	}
	r := Result{CriticalPath: cp, WorkOverSlots: work / float64(slots), MemoryArea: area / float64(mem)}
	r.LowerBound = max(r.CriticalPath, r.WorkOverSlots, r.MemoryArea)
	return r
}

// skips says which documents never run because something upstream fails
// permanently, with the index by id and a dependencies-first order (ids
// start with the layer).
func skips(docs []simDoc) (byID map[string]int, order []int, skipped []bool) {
	byID = make(map[string]int, len(docs))
	for i, d := range docs {
		byID[d.spec.ID] = i
	}
	order = make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(docs[a].spec.ID, docs[b].spec.ID) })
	skipped = make([]bool, len(docs))
	for _, i := range order {
		for _, dep := range docs[i].spec.DependsOn {
			j := byID[dep]
			skipped[i] = skipped[i] || skipped[j] || docs[j].permanent
		}
	}
	return byID, order, skipped
}

// knownFailures is what an oracle would submit: the batch without the
// documents that permanent failures will skip. Every document keeps the
// priority class it is derived in the whole batch (CRITICAL when it blocks
// others there), so only the knowledge differs, not the ordering rules.
func knownFailures(docs []simDoc) []simDoc {
	_, _, skipped := skips(docs)
	blocking := map[string]bool{}
	for _, d := range docs {
		for _, dep := range d.spec.DependsOn {
			blocking[dep] = true
		}
	}
	out := make([]simDoc, 0, len(docs))
	for i, d := range docs {
		if skipped[i] {
			continue
		}
		if d.spec.Priority == scheduler.PriorityUnspecified {
			d.spec.Priority = scheduler.PriorityNormal
			if blocking[d.spec.ID] {
				d.spec.Priority = scheduler.PriorityCritical
			}
		}
		out = append(out, d)
	}
	return out
}
