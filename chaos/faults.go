package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"syscall"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	citationsv1 "github.com/docbatch/docbatch/proto/docbatch/citations/v1"
	resolverv1 "github.com/docbatch/docbatch/proto/docbatch/resolver/v1"
	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/platform/natsbus"
)

// faultEnv is what a fault sees of its run.
type faultEnv struct {
	topo      *topology
	rec       *recorder
	sc        schedulerv1.SchedulerServiceClient
	rc        resolverv1.ResolverServiceClient
	cc        citationsv1.CitationServiceClient
	js        jetstream.JetStream
	docs      int
	faults    int
	rng       *rand.Rand
	heartbeat time.Duration

	injected  int
	ends      []time.Time // fault ends whose recovery is the next progress
	recoverMs []float64   // recoveries a fault measured itself
	notes     []string
}

func (e *faultEnv) note(format string, args ...any) {
	e.notes = append(e.notes, fmt.Sprintf(format, args...))
}

// points are the progress fractions at which a run's faults fire: one
// uniform draw in each of n equal strata of [lo, hi].
func (e *faultEnv) points(n int, lo, hi float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = lo + (hi-lo)*(float64(i)+e.rng.Float64())/float64(n)
	}
	return out
}

// waitProgress waits until frac of the documents have been shown DONE. It
// returns false when ctx ended first (the batch is over).
func (e *faultEnv) waitProgress(ctx context.Context, frac float64) bool {
	target := int(frac * float64(e.docs))
	for e.rec.done() < target {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
	return true
}

// held is how many documents the scheduler shows RUNNING on processor id.
func (e *faultEnv) held(ctx context.Context, id string) int { return len(e.heldIDs(ctx, id)) }

// heldIDs is the documents the scheduler shows RUNNING on processor id.
func (e *faultEnv) heldIDs(ctx context.Context, id string) []string {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r, err := e.sc.GetBatch(cctx, &schedulerv1.GetBatchRequest{BatchId: batchID, PageSize: 1000, StateFilter: schedulerv1.DocumentState_DOCUMENT_STATE_RUNNING})
	if err != nil {
		return nil
	}
	var ids []string
	for _, d := range r.GetDocuments() {
		if d.GetProcessorId() == id {
			ids = append(ids, d.GetDocumentId())
		}
	}
	return ids
}

// allDoneAt is when the last of ids was first shown DONE, once all were.
func (e *faultEnv) allDoneAt(ids []string) (time.Time, bool) {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	var last time.Time
	for _, id := range ids {
		t, ok := e.rec.doneAt[id]
		if !ok {
			return time.Time{}, false
		}
		if t.After(last) {
			last = t
		}
	}
	return last, true
}

type fault struct {
	description string
	inject      func(ctx context.Context, e *faultEnv) error
}

// faults are the implemented fault kinds. Each inject returns only once
// every process it faulted is running (or continued) again, whatever ctx.
var faults = map[string]fault{
	ProcessorKill: {
		description: "kill -9 of one of the three processors (chosen at random) at random points of the batch, restarted 200 ms later with the same id; its assignments must be re-queued and its published results deduplicated",
		inject: func(ctx context.Context, e *faultEnv) error {
			for _, p := range e.points(e.faults, 0.1, 0.8) {
				if !e.waitProgress(ctx, p) {
					return nil
				}
				victim := e.topo.processors[e.rng.IntN(len(e.topo.processors))]
				held := e.held(ctx, victim.name)
				if err := victim.kill(); err != nil {
					return err
				}
				time.Sleep(200 * time.Millisecond)
				if err := victim.start(); err != nil {
					return err
				}
				e.injected++
				e.ends = append(e.ends, time.Now())
				e.note("killed %s at %d/%d done (%d documents running on it), restarted", victim.name, e.rec.done(), e.docs, held)
			}
			return nil
		},
	},
	ProcessorPause: {
		description: "SIGSTOP of one processor holding work for its lease plus a second (3 heartbeats + 1 s), then SIGCONT: the scheduler must fence it and re-queue its work, and its late completions (old epoch) must be rejected; recovery is from SIGSTOP until every document it held is shown DONE",
		inject: func(ctx context.Context, e *faultEnv) error {
			n := max(1, e.faults/2)
			for _, p := range e.points(n, 0.1, 0.6) {
				if !e.waitProgress(ctx, p) {
					return nil
				}
				// Prefer a processor that holds work now.
				victim := e.topo.processors[e.rng.IntN(len(e.topo.processors))]
				var held []string
				for range 20 {
					cand := e.topo.processors[e.rng.IntN(len(e.topo.processors))]
					if h := e.heldIDs(ctx, cand.name); len(h) > 0 {
						victim, held = cand, h
						break
					}
				}
				stopped := time.Now()
				if err := victim.signal(syscall.SIGSTOP); err != nil {
					return err
				}
				time.Sleep(3*e.heartbeat + time.Second)
				if err := victim.signal(syscall.SIGCONT); err != nil {
					return err
				}
				e.injected++
				// Recovery: from SIGSTOP until every document it held is
				// shown DONE (fenced at the lease, re-run elsewhere).
				if len(held) > 0 {
					deadline := time.Now().Add(2 * time.Minute)
					for time.Now().Before(deadline) {
						if t, ok := e.allDoneAt(held); ok {
							e.recoverMs = append(e.recoverMs, round3(float64(t.Sub(stopped))/1e6))
							break
						}
						time.Sleep(20 * time.Millisecond)
					}
				} else {
					e.ends = append(e.ends, time.Now())
				}
				e.note("paused %s for %s at %d/%d done (%d documents running on it), continued", victim.name, 3*e.heartbeat+time.Second, e.rec.done(), e.docs, len(held))
			}
			return nil
		},
	},
	SchedulerKill: {
		description: "kill -9 of the scheduler at random points of the batch, restarted at once on the same address and the same JetStream state; processors and clients reconnect, the batch is never resubmitted",
		inject: func(ctx context.Context, e *faultEnv) error {
			for _, p := range e.points(e.faults, 0.1, 0.85) {
				if !e.waitProgress(ctx, p) {
					return nil
				}
				at := e.rec.done()
				if err := e.topo.scheduler.kill(); err != nil {
					return err
				}
				if err := e.topo.scheduler.start(); err != nil {
					return err
				}
				e.injected++
				e.ends = append(e.ends, time.Now())
				e.note("killed the scheduler at %d/%d done, restarted", at, e.docs)
				// The next kill only once this life is serving.
				if err := waitHealthy(context.WithoutCancel(ctx), e.topo.schedAddr, 90*time.Second); err != nil {
					return err
				}
			}
			return nil
		},
	},
	ConsumerKill: {
		description: "kill -9 of the resolver and of the citations service mid-stream (alternately), restarted 200 ms later; recovery is from the restart until the consumer has applied everything published before it",
		inject: func(ctx context.Context, e *faultEnv) error {
			for k, p := range e.points(max(2, e.faults), 0.1, 0.8) {
				if !e.waitProgress(ctx, p) {
					return nil
				}
				victim, stats := e.topo.resolver, func(ctx context.Context) (uint64, error) {
					s, err := e.rc.GetResolverStats(ctx, &resolverv1.GetResolverStatsRequest{BatchId: batchID, ProgressOnly: true})
					return s.GetLastAppliedSeq(), err
				}
				if k%2 == 1 {
					victim, stats = e.topo.citations, func(ctx context.Context) (uint64, error) {
						m, err := e.cc.GetMetrics(ctx, &citationsv1.GetMetricsRequest{BatchId: batchID, ProgressOnly: true})
						return m.GetLastAppliedSeq(), err
					}
				}
				if err := victim.kill(); err != nil {
					return err
				}
				time.Sleep(200 * time.Millisecond)
				if err := victim.start(); err != nil {
					return err
				}
				restart := time.Now()
				e.injected++
				// What was published before the restart must be applied.
				wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
				var last uint64
				if st, err := e.js.Stream(wctx, natsbus.ResultsStream); err == nil {
					if info, err := st.Info(wctx); err == nil {
						last = info.State.LastSeq
					}
				}
				for wctx.Err() == nil {
					qctx, qcancel := context.WithTimeout(wctx, 2*time.Second)
					seq, err := stats(qctx)
					qcancel()
					if err == nil && seq >= last {
						ms := float64(time.Since(restart)) / 1e6
						e.recoverMs = append(e.recoverMs, round3(ms))
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
				cancel()
				e.note("killed %s at %d/%d done, restarted; caught up with stream sequence %d", victim.name, e.rec.done(), e.docs, last)
			}
			return nil
		},
	},
	NATSKill: {
		description: "kill -9 of the standalone nats-server (JetStream, file store) at random points, restarted 500 ms later on the same port and store; every service must wait, reconnect and resume",
		inject: func(ctx context.Context, e *faultEnv) error {
			for _, p := range e.points(max(1, e.faults-1), 0.15, 0.75) {
				if !e.waitProgress(ctx, p) {
					return nil
				}
				at := e.rec.done()
				if err := e.topo.nats[0].kill(); err != nil {
					return err
				}
				time.Sleep(500 * time.Millisecond)
				if err := e.topo.nats[0].start(); err != nil {
					return err
				}
				e.injected++
				e.ends = append(e.ends, time.Now())
				e.note("killed nats-server at %d/%d done, restarted", at, e.docs)
				if err := waitTCP(context.WithoutCancel(ctx), e.topo.natsAddrs[0], 60*time.Second); err != nil {
					return err
				}
			}
			return nil
		},
	},
	Network: {
		description: "network faults through in-process TCP proxies on the processor→scheduler links and on every service's NATS link: 150 ms delay each way for 2 s; all connections reset; processor→scheduler blackholed past the lease; NATS links blackholed for 2 s",
		inject: func(ctx context.Context, e *faultEnv) error {
			sched, nats := e.topo.proxies[1], e.topo.proxies[0]
			steps := []struct {
				name string
				do   func()
			}{
				{"delay 150 ms on both links for 2 s", func() {
					sched.SetDelay(150 * time.Millisecond)
					nats.SetDelay(150 * time.Millisecond)
					time.Sleep(2 * time.Second)
					sched.Heal()
					nats.Heal()
				}},
				{"reset every connection on both links", func() {
					n := sched.Reset() + nats.Reset()
					e.note("reset %d connections", n)
				}},
				{"blackhole processors→scheduler for 3 heartbeats + 1 s", func() {
					sched.Blackhole()
					time.Sleep(3*e.heartbeat + time.Second)
					sched.Heal()
				}},
				{"blackhole every NATS link for 2 s", func() {
					nats.Blackhole()
					time.Sleep(2 * time.Second)
					nats.Heal()
				}},
			}
			for i, p := range e.points(len(steps), 0.1, 0.8) {
				if !e.waitProgress(ctx, p) {
					return nil
				}
				at := e.rec.done()
				steps[i].do()
				e.injected++
				e.ends = append(e.ends, time.Now())
				e.note("%s at %d/%d done", steps[i].name, at, e.docs)
			}
			return nil
		},
	},
	NATSCluster: {
		description: "a three-node NATS cluster with R3 streams and buckets; one node (chosen at random) killed with kill -9 at random points and restarted 1 s later",
		inject: func(ctx context.Context, e *faultEnv) error {
			for _, p := range e.points(max(1, e.faults-1), 0.15, 0.75) {
				if !e.waitProgress(ctx, p) {
					return nil
				}
				at := e.rec.done()
				i := e.rng.IntN(len(e.topo.nats))
				victim := e.topo.nats[i]
				if err := victim.kill(); err != nil {
					return err
				}
				time.Sleep(time.Second)
				if err := victim.start(); err != nil {
					return err
				}
				e.injected++
				e.ends = append(e.ends, time.Now())
				e.note("killed %s at %d/%d done, restarted", victim.name, at, e.docs)
				if err := waitTCP(context.WithoutCancel(ctx), e.topo.natsAddrs[i], 60*time.Second); err != nil {
					return err
				}
			}
			return nil
		},
	},
}
