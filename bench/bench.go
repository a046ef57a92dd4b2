// Package bench holds docbatch's scheduler benchmarks behind `docbatch bench
// dispatch` and `docbatch bench scale`. They drive the real scheduler (the
// service package with its JetStream journal, or the bare core over an
// in-memory store to price the journal) over real loopback TCP gRPC with
// no-op processors: goroutines that speak DispatchService.Work and complete
// every assignment the moment it arrives, so what is measured is the
// scheduler and its transport, not document extraction.
//
// Documents are referenced under a root that does not exist on disk. That is
// the legitimate "remote volume" case (the processors see a volume the
// scheduler does not): the scheduler then skips its stat of each path, which
// lets a benchmark submit a million documents without creating a million
// files. The no-op processors never open them either.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"

	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/scheduler"
	"github.com/docbatch/docbatch/services/scheduler/grpcapi"
	"github.com/docbatch/docbatch/services/scheduler/memstore"
	"github.com/docbatch/docbatch/services/scheduler/service"
)

// Scheduler settings shared by every benchmark: the product's defaults, so
// that leases and checkpoints cost what they cost in production.
const (
	heartbeatInterval  = 2 * time.Second
	leaseMisses        = 3
	maxRetries         = 3
	checkpointInterval = 30 * time.Second
	// submitChunk is how many document specs go in one SubmitBatch message,
	// as the CLI client sends them.
	submitChunk = 1000
	// docSize is the size every benchmark document claims, so reservations
	// and rank estimates are the same on every run.
	docSize = 4096
	// stallAfter fails a run whose completions stop moving, so that a
	// benchmark always ends by itself.
	stallAfter = 30 * time.Second
)

// remoteRoot is a document root that does not exist on disk, under dir (a
// temporary folder the benchmark owns, so it cannot appear by accident).
// Fleet is the batch and the no-op processors every benchmark runs.
type Fleet struct {
	Documents  int
	Processors int
	Slots      int
	// Timeout bounds a run.
	Timeout time.Duration
}

// fill sets what is unset: the benchmark's own batch size and time limit,
// and 4 processors of 64 slots.
func (f *Fleet) fill(docs int, timeout time.Duration) {
	if f.Documents <= 0 {
		f.Documents = docs
	}
	if f.Processors <= 0 {
		f.Processors = 4
	}
	if f.Slots <= 0 {
		f.Slots = 64
	}
	if f.Timeout <= 0 {
		f.Timeout = timeout
	}
}

func remoteRoot(dir string) string { return filepath.Join(dir, "remote-volume") }

// docID and docPath name document i. Paths are spread over folders of 1000
// the way a real collection would be; ids carry i so a processor can tally
// completions in a flat array.
func docID(i int) string   { return fmt.Sprintf("doc-%07d", i) }
func docPath(i int) string { return fmt.Sprintf("d%04d/%07d.txt", i/1000, i) }

func docIndex(id string) (int, bool) {
	if len(id) < 5 || id[:4] != "doc-" {
		return 0, false
	}
	n, err := strconv.Atoi(id[4:])
	return n, err == nil
}

// serverOptions say which scheduler to start.
type serverOptions struct {
	// Journal selects the real service (JetStream store); false builds the
	// core over memstore (nothing durable).
	Journal bool
	// StateDir holds the embedded NATS file store (Journal only).
	StateDir string
	// NATSURL, when set, is an external NATS to use instead of an embedded
	// one.
	NATSURL    string
	SyncAlways bool
	Root       string
	Listen     string
	Log        *slog.Logger
}

// target is a scheduler serving gRPC on a loopback port.
type target struct {
	Addr string
	stop func() error
}

// Stop shuts the scheduler down (gRPC, scheduler loop, NATS) and waits.
func (s *target) Stop() error { return s.stop() }

// startServer starts a scheduler the way a process would: store, core,
// gRPC adapters, grpcserver on a TCP listener, and the periodic loop.
func startServer(ctx context.Context, o serverOptions) (*target, error) {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	var (
		ns       *server.Server
		nc       *nats.Conn
		register func(grpc.ServiceRegistrar)
		health   []string
		run      func(context.Context) error
		cleanup  []func()
	)
	undo := func() {
		for i := len(cleanup) - 1; i >= 0; i-- {
			cleanup[i]()
		}
	}
	if o.Journal {
		var err error
		if o.NATSURL == "" {
			ns, err = natsbus.StartEmbedded(natsbus.EmbeddedOptions{StoreDir: filepath.Join(o.StateDir, "nats"), Port: 0, SyncAlways: o.SyncAlways})
			if err != nil {
				return nil, err
			}
			cleanup = append(cleanup, func() { ns.Shutdown(); ns.WaitForShutdown() })
		}
		nc, err = natsbus.Dialer{URL: o.NATSURL, Embedded: ns, Log: o.Log}.Connect("docbatch-bench-scheduler")
		if err != nil {
			undo()
			return nil, err
		}
		cleanup = append(cleanup, nc.Close)
		svc, err := service.New(ctx, service.Config{
			Roots: []string{o.Root}, HeartbeatInterval: heartbeatInterval, LeaseMisses: leaseMisses,
			MaxRetries: maxRetries, CheckpointInterval: checkpointInterval, Replicas: 1,
		}, service.Deps{NATS: nc, Log: o.Log})
		if err != nil {
			undo()
			return nil, fmt.Errorf("starting scheduler service: %w", err)
		}
		register, health, run = svc.Register, svc.HealthNames(), svc.Run
	} else {
		core := scheduler.New(scheduler.Config{
			Roots: []string{o.Root}, HeartbeatInterval: heartbeatInterval, LeaseMisses: leaseMisses,
			DefaultMaxRetries: maxRetries, CheckpointInterval: checkpointInterval, Log: o.Log,
		}, memstore.New())
		if err := core.Recover(ctx); err != nil {
			return nil, fmt.Errorf("recovering scheduler core: %w", err)
		}
		register = func(r grpc.ServiceRegistrar) {
			schedulerv1.RegisterSchedulerServiceServer(r, &grpcapi.SchedulerServer{Core: core})
			schedulerv1.RegisterDispatchServiceServer(r, &grpcapi.DispatchServer{Core: core, Log: o.Log})
		}
		health = []string{schedulerv1.SchedulerService_ServiceDesc.ServiceName, schedulerv1.DispatchService_ServiceDesc.ServiceName}
		run = core.Run
	}
	gs := grpcserver.New(o.Log)
	register(gs.GRPC)
	gs.SetServing(health...)
	lis, err := grpcserver.Listen(o.Listen)
	if err != nil {
		undo()
		return nil, err
	}
	// The server outlives the caller's ctx only until Stop: its own context
	// keeps a cancelled benchmark from tearing NATS down under the journal.
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g, gctx := errgroup.WithContext(sctx)
	g.Go(func() error { return gs.Serve(gctx, lis, 2*time.Second) })
	g.Go(func() error { return run(gctx) })
	var once sync.Once
	var stopErr error
	stop := func() error {
		once.Do(func() {
			cancel()
			stopErr = g.Wait()
			undo()
		})
		return stopErr
	}
	return &target{Addr: lis.Addr().String(), stop: stop}, nil
}

// fleet is a set of no-op processors and the tally of what they completed.
type fleet struct {
	n           int
	counts      []atomic.Uint32 // completions per document index
	unexpected  atomic.Int64    // assignments for ids outside the batch
	cancels     atomic.Int64
	completed   atomic.Int64
	firstAssign atomic.Int64 // unix nanoseconds of the first assignment
	seq         atomic.Uint64
	all         chan struct{} // closed when completed reaches n
	allOnce     sync.Once
	// onFirst, when set, runs once when the first assignment arrives.
	onFirst func()
	// onAssign, when set, sees every assignment as it arrives; onSent sees
	// it again once its Completed (with result sequence seq) was handed to
	// the stream. The recovery benchmark tallies with them.
	onAssign func(a *schedulerv1.Assignment)
	onSent   func(a *schedulerv1.Assignment, seq uint64)
}

func newFleet(n int) *fleet {
	return &fleet{n: n, counts: make([]atomic.Uint32, n), all: make(chan struct{})}
}

func (f *fleet) record(id string) {
	i, ok := docIndex(id)
	if !ok || i < 0 || i >= f.n {
		f.unexpected.Add(1)
		return
	}
	f.counts[i].Add(1)
	if f.completed.Add(1) == int64(f.n) {
		f.allOnce.Do(func() { close(f.all) })
	}
}

// tally counts documents completed exactly once, more than once, and never.
func (f *fleet) tally() (once, dup, missing int) {
	for i := range f.counts {
		switch c := f.counts[i].Load(); {
		case c == 1:
			once++
		case c > 1:
			dup++
		default:
			missing++
		}
	}
	return once, dup, missing
}

// largeBudget is the headroom the no-op processors claim: far more than any
// benchmark reserves, so memory never limits dispatch.
const largeBudget = 1 << 40

func headroom(slots int) *schedulerv1.Headroom {
	return &schedulerv1.Headroom{MemoryAvailableBytes: largeBudget, MemoryBudgetBytes: largeBudget, FreeSlots: int32(slots)}
}

// process runs one no-op processor until ctx ends: hello, heartbeats at the
// interval the scheduler asks for, and an immediate Completed for each
// assignment.
func (f *fleet) process(ctx context.Context, c schedulerv1.DispatchServiceClient, id string, slots int) error {
	st, err := c.Work(ctx)
	if err != nil {
		return fmt.Errorf("processor %s: opening Work: %w", id, err)
	}
	// Completions and heartbeats go out from two goroutines; a gRPC stream
	// allows one sender at a time.
	var mu sync.Mutex
	send := func(m *schedulerv1.WorkRequest) error {
		mu.Lock()
		defer mu.Unlock()
		return st.Send(m)
	}
	if err := send(&schedulerv1.WorkRequest{Kind: &schedulerv1.WorkRequest_Hello{Hello: &schedulerv1.Hello{
		ProcessorId: id, Slots: int32(slots), Headroom: headroom(slots),
	}}}); err != nil {
		return fmt.Errorf("processor %s: hello: %w", id, err)
	}
	first, err := st.Recv()
	if err != nil {
		return ended(ctx, id, err)
	}
	w := first.GetWelcome()
	if w == nil {
		return fmt.Errorf("processor %s: expected a welcome, got %T", id, first.GetKind())
	}
	beat := time.Duration(w.GetHeartbeatIntervalMs()) * time.Millisecond
	if beat <= 0 {
		beat = heartbeatInterval
	}
	hbDone := make(chan struct{})
	defer func() { <-hbDone }()
	hctx, stopBeats := context.WithCancel(ctx)
	defer stopBeats()
	go func() {
		defer close(hbDone)
		t := time.NewTicker(beat)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				if send(&schedulerv1.WorkRequest{Kind: &schedulerv1.WorkRequest_Heartbeat{Heartbeat: &schedulerv1.Heartbeat{Headroom: headroom(slots)}}}) != nil {
					return // the receive loop sees the stream's end
				}
			}
		}
	}()
	for {
		msg, err := st.Recv()
		if err != nil {
			return ended(ctx, id, err)
		}
		switch k := msg.GetKind().(type) {
		case *schedulerv1.WorkResponse_Assignment:
			a := k.Assignment
			if f.firstAssign.CompareAndSwap(0, time.Now().UnixNano()) && f.onFirst != nil {
				f.onFirst()
			}
			if f.onAssign != nil {
				f.onAssign(a)
			}
			f.record(a.GetDocumentId())
			seq := f.seq.Add(1)
			if err := send(&schedulerv1.WorkRequest{Kind: &schedulerv1.WorkRequest_Completed{Completed: &schedulerv1.Completed{
				AssignmentId: a.GetAssignmentId(), Epoch: a.GetEpoch(), ResultSeq: seq,
			}}}); err != nil {
				return ended(ctx, id, err)
			}
			if f.onSent != nil {
				f.onSent(a, seq)
			}
		case *schedulerv1.WorkResponse_Cancel:
			f.cancels.Add(1)
		}
	}
}

// ended turns the end of a Work stream into an error unless the benchmark
// itself closed it.
func ended(ctx context.Context, id string, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("processor %s: the scheduler ended the Work stream", id)
	}
	return fmt.Errorf("processor %s: %w", id, err)
}

// submit streams a batch of n documents in chunks, the way the CLI does.
func submit(ctx context.Context, c schedulerv1.SchedulerServiceClient, batchID, root string, n int) (*schedulerv1.SubmitBatchResponse, error) {
	st, err := c.SubmitBatch(ctx)
	if err != nil {
		return nil, fmt.Errorf("opening SubmitBatch: %w", err)
	}
	if err := st.Send(&schedulerv1.SubmitBatchRequest{Kind: &schedulerv1.SubmitBatchRequest_Header{Header: &schedulerv1.BatchHeader{
		BatchId: batchID, Name: "bench", Root: root,
	}}}); err != nil {
		return nil, submitErr(st, err)
	}
	for start := 0; start < n; start += submitChunk {
		end := min(start+submitChunk, n)
		chunk := make([]*schedulerv1.DocumentSpec, 0, end-start)
		for i := start; i < end; i++ {
			chunk = append(chunk, &schedulerv1.DocumentSpec{Id: docID(i), Path: docPath(i), SizeBytes: docSize})
		}
		if err := st.Send(&schedulerv1.SubmitBatchRequest{Kind: &schedulerv1.SubmitBatchRequest_Documents{Documents: &schedulerv1.DocumentChunk{Documents: chunk}}}); err != nil {
			return nil, submitErr(st, err)
		}
	}
	resp, err := st.CloseAndRecv()
	if err != nil {
		return nil, fmt.Errorf("submitting %d documents: %w", n, err)
	}
	return resp, nil
}

// submitErr prefers the server's status when a send failed because the
// server ended the stream.
func submitErr(st schedulerv1.SchedulerService_SubmitBatchClient, err error) error {
	if _, rerr := st.CloseAndRecv(); rerr != nil {
		return fmt.Errorf("submitting: %w", rerr)
	}
	return fmt.Errorf("submitting: %w", err)
}

// driveOptions describe one batch run against a serving scheduler.
type driveOptions struct {
	Addr       string
	Root       string
	BatchID    string
	Documents  int
	Processors int
	Slots      int
	Timeout    time.Duration
	// OnFirstAssignment, when set, is called once the clock starts, from a
	// processor's goroutine (the dispatch benchmark starts its CPU profile
	// there, so that the profile shows dispatch and not submit).
	OnFirstAssignment func()
}

// runResult is what one driven batch measured and counted.
type runResult struct {
	Submit   time.Duration // submit start → SubmitBatch answered
	Total    time.Duration // submit start → batch SUCCEEDED
	Dispatch time.Duration // first assignment received → batch SUCCEEDED
	State    schedulerv1.BatchState
	Counts   *schedulerv1.BatchCounts
	Once     int // documents completed exactly once
	Dup      int // documents completed more than once
	Missing  int // documents never completed
	Unexpected,
	Cancels int64
}

// drive connects no-op processors, submits the batch, and waits until the
// scheduler reports it finished.
func drive(ctx context.Context, o driveOptions) (runResult, error) {
	var r runResult
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	cc, err := grpcserver.Dial(o.Addr)
	if err != nil {
		return r, err
	}
	defer cc.Close()
	sc := schedulerv1.NewSchedulerServiceClient(cc)
	dc := schedulerv1.NewDispatchServiceClient(cc)

	f := newFleet(o.Documents)
	f.onFirst = o.OnFirstAssignment
	pctx, stopProcs := context.WithCancel(ctx)
	defer stopProcs()
	g, gctx := errgroup.WithContext(pctx)
	for p := range o.Processors {
		g.Go(func() error { return f.process(gctx, dc, fmt.Sprintf("bench-proc-%d", p), o.Slots) })
	}
	finish := func(err error) (runResult, error) {
		stopProcs()
		if werr := g.Wait(); err == nil {
			err = werr
		}
		r.Once, r.Dup, r.Missing = f.tally()
		r.Unexpected, r.Cancels = f.unexpected.Load(), f.cancels.Load()
		return r, err
	}

	start := time.Now()
	if _, err := submit(ctx, sc, o.BatchID, o.Root, o.Documents); err != nil {
		return finish(err)
	}
	r.Submit = time.Since(start)

	// Wait for every completion to leave the processors, watching for a
	// stall so that a wedged scheduler fails the run instead of hanging it.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last, lastMove := int64(-1), time.Now()
wait:
	for {
		select {
		case <-f.all:
			break wait
		case <-gctx.Done():
			return finish(fmt.Errorf("processors stopped after %d of %d completions: %w", f.completed.Load(), o.Documents, context.Cause(gctx)))
		case <-tick.C:
			if c := f.completed.Load(); c != last {
				last, lastMove = c, time.Now()
			} else if time.Since(lastMove) > stallAfter {
				return finish(fmt.Errorf("stalled: %d of %d documents completed, none for %s", c, o.Documents, stallAfter))
			}
		}
	}
	// The batch succeeds once the last completion is journaled; poll
	// closely, which is cheap now that nothing else is running.
	for {
		resp, err := sc.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: o.BatchID})
		if err != nil {
			return finish(fmt.Errorf("polling batch: %w", err))
		}
		if b := resp.GetBatch(); b.GetState() != schedulerv1.BatchState_BATCH_STATE_RUNNING {
			end := time.Now()
			r.State, r.Counts = b.GetState(), b.GetCounts()
			r.Total = end.Sub(start)
			r.Dispatch = end.Sub(time.Unix(0, f.firstAssign.Load()))
			break
		}
		select {
		case <-ctx.Done():
			return finish(fmt.Errorf("waiting for the batch to finish: %w", ctx.Err()))
		case <-time.After(2 * time.Millisecond):
		}
	}
	r, err = finish(nil)
	if err != nil {
		return r, err
	}
	return r, r.check(o.Documents)
}

// check fails a run whose counts are wrong: a benchmark that loses or
// repeats work measures nothing.
func (r runResult) check(n int) error {
	switch {
	case r.State != schedulerv1.BatchState_BATCH_STATE_SUCCEEDED:
		return fmt.Errorf("batch ended %s, want SUCCEEDED", r.State)
	case r.Counts.GetDone() != int64(n):
		return fmt.Errorf("scheduler counts %d done, want %d", r.Counts.GetDone(), n)
	case r.Once != n || r.Dup != 0 || r.Missing != 0 || r.Unexpected != 0:
		return fmt.Errorf("completions: %d once, %d more than once, %d never, %d unexpected (want %d once)", r.Once, r.Dup, r.Missing, r.Unexpected, n)
	}
	return nil
}
