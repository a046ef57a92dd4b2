package service_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/natsbus/natstest"
	"github.com/docbatch/docbatch/services/scheduler/service"
)

type env struct {
	root  string
	ns    *server.Server
	sched schedulerv1.SchedulerServiceClient
	disp  schedulerv1.DispatchServiceClient
	stop  func()
}

// start runs the scheduler service over bufconn against a real embedded
// NATS server whose store lives in storeDir (shared across restarts).
func start(t *testing.T, ns *server.Server, root string) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	nc, err := natsbus.Dialer{Embedded: ns, Log: log}.Connect("test")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := service.New(ctx, service.Config{Roots: []string{root}, HeartbeatInterval: 200 * time.Millisecond, LeaseMisses: 3}, service.Deps{NATS: nc, Log: log})
	require.NoError(t, err)
	srv := grpcserver.New(log)
	svc.Register(srv.GRPC)
	lis := bufconn.Listen(1 << 20)
	served := make(chan struct{})
	go func() { _ = srv.Serve(ctx, lis, time.Second); close(served) }()
	ran := make(chan struct{})
	go func() { _ = svc.Run(ctx); close(ran) }()
	cc, err := grpc.NewClient("passthrough:///bufnet", grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	e := &env{root: root, ns: ns, sched: schedulerv1.NewSchedulerServiceClient(cc), disp: schedulerv1.NewDispatchServiceClient(cc)}
	e.stop = func() { cancel(); <-served; <-ran; cc.Close(); nc.Close() }
	return e
}

func newNATS(t *testing.T) *server.Server {
	t.Helper()
	return natstest.Server(t)
}

func writeFiles(t *testing.T, root string, names ...string) {
	t.Helper()
	for _, n := range names {
		p := filepath.Join(root, n)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("# "+n+"\n\nbody\n"), 0o644))
	}
}

func submit(ctx context.Context, c schedulerv1.SchedulerServiceClient, hdr *schedulerv1.BatchHeader, docs ...*schedulerv1.DocumentSpec) (*schedulerv1.SubmitBatchResponse, error) {
	st, err := c.SubmitBatch(ctx)
	if err != nil {
		return nil, err
	}
	if hdr != nil {
		if err := st.Send(&schedulerv1.SubmitBatchRequest{Kind: &schedulerv1.SubmitBatchRequest_Header{Header: hdr}}); err != nil {
			return nil, err
		}
	}
	if len(docs) > 0 {
		if err := st.Send(&schedulerv1.SubmitBatchRequest{Kind: &schedulerv1.SubmitBatchRequest_Documents{Documents: &schedulerv1.DocumentChunk{Documents: docs}}}); err != nil {
			return nil, err
		}
	}
	return st.CloseAndRecv()
}

func doc(id string, deps ...string) *schedulerv1.DocumentSpec {
	return &schedulerv1.DocumentSpec{Id: id, Path: id, DependsOn: deps}
}

func TestSubmitRejectsBadInput(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, "a.md", "b.md", "c.md")
	e := start(t, newNATS(t), root)
	defer e.stop()
	ctx := context.Background()
	cases := []struct {
		name string
		hdr  *schedulerv1.BatchHeader
		docs []*schedulerv1.DocumentSpec
		code codes.Code
		msg  string
	}{
		{"no header", nil, nil, codes.InvalidArgument, "empty submit stream"},
		{"empty batch", &schedulerv1.BatchHeader{}, nil, codes.InvalidArgument, "the batch has no documents"},
		{"duplicate id", &schedulerv1.BatchHeader{}, []*schedulerv1.DocumentSpec{doc("a.md"), doc("a.md")}, codes.InvalidArgument, `duplicate document ids: "a.md"`},
		{"missing path", &schedulerv1.BatchHeader{}, []*schedulerv1.DocumentSpec{doc("a.md"), doc("nope.md")}, codes.InvalidArgument, `"nope.md" (no such file or directory)`},
		{"escaping path", &schedulerv1.BatchHeader{}, []*schedulerv1.DocumentSpec{{Id: "x", Path: "../etc/passwd"}}, codes.InvalidArgument, "stay inside the root"},
		{"unknown dependency", &schedulerv1.BatchHeader{}, []*schedulerv1.DocumentSpec{doc("a.md", "zzz")}, codes.InvalidArgument, `"a.md" depends on unknown "zzz"`},
		{"self edge", &schedulerv1.BatchHeader{}, []*schedulerv1.DocumentSpec{doc("a.md", "a.md")}, codes.InvalidArgument, `depend on themselves: "a.md"`},
		{"cycle", &schedulerv1.BatchHeader{}, []*schedulerv1.DocumentSpec{doc("a.md", "c.md"), doc("b.md", "a.md"), doc("c.md", "b.md")}, codes.InvalidArgument, `dependency cycle: "a.md" -> "c.md" -> "b.md" -> "a.md"`},
		{"bad batch id", &schedulerv1.BatchHeader{BatchId: "no spaces"}, []*schedulerv1.DocumentSpec{doc("a.md")}, codes.InvalidArgument, "batch id"},
		{"root not allowed", &schedulerv1.BatchHeader{Root: "/etc"}, []*schedulerv1.DocumentSpec{doc("a.md")}, codes.InvalidArgument, "not one of the allowed roots"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := submit(ctx, e.sched, tc.hdr, tc.docs...)
			require.Error(t, err)
			require.Equal(t, tc.code, status.Code(err), err.Error())
			require.Contains(t, status.Convert(err).Message(), tc.msg)
		})
	}
	for _, call := range []func() error{
		func() error {
			_, err := e.sched.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: "nope"})
			return err
		},
		func() error {
			_, err := e.sched.CancelBatch(ctx, &schedulerv1.CancelBatchRequest{BatchId: "nope"})
			return err
		},
		func() error {
			st, err := e.sched.WatchBatch(ctx, &schedulerv1.WatchBatchRequest{BatchId: "nope"})
			if err != nil {
				return err
			}
			_, err = st.Recv()
			return err
		},
	} {
		err := call()
		require.Equal(t, codes.NotFound, status.Code(err), "%v", err)
		require.Contains(t, err.Error(), `batch "nope"`)
	}
	_, err := e.sched.GetBatch(ctx, &schedulerv1.GetBatchRequest{})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = e.sched.ListBatches(ctx, &schedulerv1.ListBatchesRequest{PageToken: "garbage!"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}

// processor drives a Work stream the way a real processor does.
type processor struct {
	t      *testing.T
	stream schedulerv1.DispatchService_WorkClient
	mu     sync.Mutex // gRPC streams take one sender at a time
}

func (p *processor) send(req *schedulerv1.WorkRequest) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stream.Send(req)
}

func connect(t *testing.T, ctx context.Context, c schedulerv1.DispatchServiceClient, id string, slots int32, budget uint64) *processor {
	t.Helper()
	st, err := c.Work(ctx)
	require.NoError(t, err)
	h := &schedulerv1.Headroom{MemoryAvailableBytes: budget, MemoryBudgetBytes: budget, FreeSlots: slots}
	require.NoError(t, st.Send(&schedulerv1.WorkRequest{Kind: &schedulerv1.WorkRequest_Hello{Hello: &schedulerv1.Hello{ProcessorId: id, Slots: slots, Headroom: h}}}))
	w, err := st.Recv()
	require.NoError(t, err)
	require.NotNil(t, w.GetWelcome())
	return &processor{t: t, stream: st}
}

func (p *processor) next() *schedulerv1.Assignment {
	p.t.Helper()
	m, err := p.stream.Recv()
	require.NoError(p.t, err)
	require.NotNil(p.t, m.GetAssignment(), "got %v", m)
	return m.GetAssignment()
}

func (p *processor) complete(a *schedulerv1.Assignment, seq uint64) {
	p.t.Helper()
	require.NoError(p.t, p.send(&schedulerv1.WorkRequest{Kind: &schedulerv1.WorkRequest_Completed{Completed: &schedulerv1.Completed{AssignmentId: a.AssignmentId, Epoch: a.Epoch, ResultSeq: seq}}}))
}

func (p *processor) fail(a *schedulerv1.Assignment, class schedulerv1.FailureClass, msg string) {
	p.t.Helper()
	require.NoError(p.t, p.send(&schedulerv1.WorkRequest{Kind: &schedulerv1.WorkRequest_Failed{Failed: &schedulerv1.Failed{AssignmentId: a.AssignmentId, Epoch: a.Epoch, Class: class, Error: msg}}}))
}

func waitState(t *testing.T, c schedulerv1.SchedulerServiceClient, id string, want schedulerv1.BatchState) *schedulerv1.Batch {
	t.Helper()
	var b *schedulerv1.Batch
	require.Eventually(t, func() bool {
		r, err := c.GetBatch(context.Background(), &schedulerv1.GetBatchRequest{BatchId: id})
		require.NoError(t, err)
		b = r.Batch
		return b.State == want
	}, 10*time.Second, 10*time.Millisecond)
	return b
}

func TestDependenciesFailuresAndSkips(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, "a.md", "b.md", "c.md", "d.md")
	e := start(t, newNATS(t), root)
	defer e.stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// b and c depend on a; d depends on c. a blocks others, so it is derived
	// CRITICAL and must be dispatched first although submitted last.
	resp, err := submit(ctx, e.sched, &schedulerv1.BatchHeader{BatchId: "deps", MaxRetries: 1},
		doc("d.md", "c.md"), doc("c.md", "a.md"), doc("b.md", "a.md"), doc("a.md"))
	require.NoError(t, err)
	require.False(t, resp.Resumed)
	p := connect(t, ctx, e.disp, "p1", 1, 1<<30)
	a := p.next()
	require.Equal(t, "a.md", a.DocumentId)
	p.complete(a, 11)
	got := map[string]*schedulerv1.Assignment{}
	x := p.next()
	got[x.DocumentId] = x
	// Only one slot: the next arrives after we report this one.
	if x.DocumentId == "c.md" {
		p.fail(x, schedulerv1.FailureClass_FAILURE_CLASS_PERMANENT, "malformed: broken xref table")
	} else {
		p.complete(x, 12)
	}
	y := p.next()
	got[y.DocumentId] = y
	if y.DocumentId == "c.md" {
		p.fail(y, schedulerv1.FailureClass_FAILURE_CLASS_PERMANENT, "malformed: broken xref table")
	} else {
		p.complete(y, 12)
	}
	require.Contains(t, got, "b.md")
	require.Contains(t, got, "c.md")
	b := waitState(t, e.sched, "deps", schedulerv1.BatchState_BATCH_STATE_COMPLETED_WITH_ERRORS)
	require.EqualValues(t, 2, b.Counts.Done)
	require.EqualValues(t, 1, b.Counts.Failed)
	require.EqualValues(t, 1, b.Counts.Skipped)
	r, err := e.sched.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: "deps", PageSize: 10})
	require.NoError(t, err)
	byID := map[string]*schedulerv1.DocumentStatus{}
	for _, d := range r.Documents {
		byID[d.DocumentId] = d
	}
	require.Equal(t, schedulerv1.DocumentState_DOCUMENT_STATE_SKIPPED, byID["d.md"].State)
	require.Contains(t, byID["d.md"].Error, `depends on "c.md"`)
	require.Equal(t, "malformed: broken xref table", byID["c.md"].Error)
	require.EqualValues(t, 11, byID["a.md"].ResultSeq)
}

func TestLeaseExpiryFencesLateCompletion(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, "a.md")
	e := start(t, newNATS(t), root)
	defer e.stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := submit(ctx, e.sched, &schedulerv1.BatchHeader{BatchId: "lease"}, doc("a.md"))
	require.NoError(t, err)
	slow := connect(t, ctx, e.disp, "slow", 1, 1<<30)
	first := slow.next()
	// slow never heartbeats: after 3 x 200ms its lease is gone and its stream
	// is ended with Aborted.
	_, err = slow.stream.Recv()
	require.Equal(t, codes.Aborted, status.Code(err), "%v", err)
	fast := connect(t, ctx, e.disp, "fast", 1, 1<<30)
	second := fast.next()
	require.Equal(t, "a.md", second.DocumentId)
	require.Greater(t, second.Epoch, first.Epoch)
	// A late completion of the fenced epoch over a new stream is rejected:
	// the document must stay running until the live assignment reports.
	late := connect(t, ctx, e.disp, "slow", 1, 1<<30)
	late.complete(first, 99)
	fast.complete(second, 7)
	b := waitState(t, e.sched, "lease", schedulerv1.BatchState_BATCH_STATE_SUCCEEDED)
	require.EqualValues(t, 1, b.Counts.Done)
	r, err := e.sched.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: "lease", PageSize: 1})
	require.NoError(t, err)
	require.EqualValues(t, 7, r.Documents[0].ResultSeq)
}

func TestRestartRecoversAndResubmitResumes(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, "a.md", "b.md", "c.md")
	ns := newNATS(t)
	e := start(t, ns, root)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	docs := []*schedulerv1.DocumentSpec{doc("a.md"), doc("b.md"), doc("c.md")}
	_, err := submit(ctx, e.sched, &schedulerv1.BatchHeader{BatchId: "resume"}, docs...)
	require.NoError(t, err)
	p := connect(t, ctx, e.disp, "p1", 1, 1<<30)
	a := p.next()
	p.complete(a, 5)
	require.Eventually(t, func() bool {
		r, err := e.sched.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: "resume"})
		return err == nil && r.Batch.Counts.Done == 1
	}, 5*time.Second, 10*time.Millisecond)
	_ = p.next() // in flight at the "crash": runs again after the restart
	e.stop()

	e2 := start(t, ns, root)
	defer e2.stop()
	r, err := e2.sched.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: "resume", PageSize: 10})
	require.NoError(t, err)
	require.EqualValues(t, 1, r.Batch.Counts.Done)
	require.EqualValues(t, 2, r.Batch.Counts.Pending)
	// Submitting the same batch again resumes it; other documents conflict.
	resp, err := submit(ctx, e2.sched, &schedulerv1.BatchHeader{BatchId: "resume"}, docs...)
	require.NoError(t, err)
	require.True(t, resp.Resumed)
	_, err = submit(ctx, e2.sched, &schedulerv1.BatchHeader{BatchId: "resume"}, doc("a.md"))
	require.Equal(t, codes.AlreadyExists, status.Code(err))

	p2 := connect(t, ctx, e2.disp, "p1", 2, 1<<30)
	seen := map[string]bool{}
	for range 2 {
		x := p2.next()
		require.NotEqual(t, a.DocumentId, x.DocumentId, "a completed document ran again")
		require.False(t, seen[x.DocumentId])
		seen[x.DocumentId] = true
		p2.complete(x, 6)
	}
	b := waitState(t, e2.sched, "resume", schedulerv1.BatchState_BATCH_STATE_SUCCEEDED)
	require.EqualValues(t, 3, b.Counts.Done)
}

func TestCancelStopsBatchAndWatchEnds(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, "a.md", "b.md")
	e := start(t, newNATS(t), root)
	defer e.stop()
	ctx := context.Background()
	_, err := submit(ctx, e.sched, &schedulerv1.BatchHeader{BatchId: "cancel"}, doc("a.md"), doc("b.md"))
	require.NoError(t, err)
	w, err := e.sched.WatchBatch(ctx, &schedulerv1.WatchBatchRequest{BatchId: "cancel", IncludeDocuments: true})
	require.NoError(t, err)
	first, err := w.Recv()
	require.NoError(t, err)
	require.EqualValues(t, 2, first.Batch.Counts.Pending)
	c, err := e.sched.CancelBatch(ctx, &schedulerv1.CancelBatchRequest{BatchId: "cancel", Reason: "test"})
	require.NoError(t, err)
	require.Equal(t, schedulerv1.BatchState_BATCH_STATE_CANCELLED, c.Batch.State)
	require.EqualValues(t, 2, c.Batch.Counts.Cancelled)
	var last *schedulerv1.WatchBatchResponse
	for {
		m, err := w.Recv()
		if err != nil {
			break
		}
		last = m
	}
	require.NotNil(t, last)
	require.Equal(t, schedulerv1.BatchState_BATCH_STATE_CANCELLED, last.Batch.State)
}

func TestDocumentTooBigWaitsWithStatus(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, "a.md")
	e := start(t, newNATS(t), root)
	defer e.stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := submit(ctx, e.sched, &schedulerv1.BatchHeader{BatchId: "big"}, doc("a.md"))
	require.NoError(t, err)
	small := connect(t, ctx, e.disp, "small", 4, 1<<20) // 1 MiB: less than any reservation
	require.Eventually(t, func() bool {
		r, err := e.sched.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: "big", PageSize: 1})
		require.NoError(t, err)
		d := r.Documents[0]
		return d.State == schedulerv1.DocumentState_DOCUMENT_STATE_PENDING && strings.Contains(d.Error, "more than any connected processor's budget")
	}, 5*time.Second, 10*time.Millisecond)
	_ = small
	big := connect(t, ctx, e.disp, "big", 1, 1<<30)
	a := big.next()
	require.Equal(t, "a.md", a.DocumentId)
	require.LessOrEqual(t, a.MemoryReservationBytes, uint64(1<<30))
}

// Headroom a processor reported is not used up by documents that were
// assigned and finished since that report: a processor that turns over many
// small documents between two heartbeats keeps getting work.
func TestFinishedWorkGivesBackReportedHeadroom(t *testing.T) {
	root := t.TempDir()
	var docs []*schedulerv1.DocumentSpec
	for i := range 40 {
		name := fmt.Sprintf("d%02d.md", i)
		writeFiles(t, root, name)
		docs = append(docs, doc(name))
	}
	e := start(t, newNATS(t), root)
	defer e.stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := submit(ctx, e.sched, &schedulerv1.BatchHeader{BatchId: "turnover"}, docs...)
	require.NoError(t, err)
	// 40 MiB fits four reservations of ~8 MiB; the processor never
	// heartbeats, so without giving headroom back it would stall after four.
	p := connect(t, ctx, e.disp, "p", 1, 40<<20)
	for range 40 {
		p.complete(p.next(), 1)
	}
	waitState(t, e.sched, "turnover", schedulerv1.BatchState_BATCH_STATE_SUCCEEDED)
}

// A transient failure is retried after a backoff; once retries are spent the
// document is quarantined as failed with the history of its attempts, and
// the rest of the batch goes on.
func TestRetriesThenQuarantineWithHistory(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, "flaky.md", "fine.md")
	e := start(t, newNATS(t), root)
	defer e.stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := submit(ctx, e.sched, &schedulerv1.BatchHeader{BatchId: "retry", MaxRetries: 1}, doc("flaky.md"), doc("fine.md"))
	require.NoError(t, err)
	p := connect(t, ctx, e.disp, "p", 1, 1<<30)
	// Heartbeat so the lease holds while backoffs pass.
	go func() {
		for ctx.Err() == nil {
			_ = p.send(&schedulerv1.WorkRequest{Kind: &schedulerv1.WorkRequest_Heartbeat{Heartbeat: &schedulerv1.Heartbeat{Headroom: &schedulerv1.Headroom{MemoryAvailableBytes: 1 << 30, MemoryBudgetBytes: 1 << 30}}}})
			time.Sleep(50 * time.Millisecond)
		}
	}()
	flakyAttempts := 0
	for {
		a := p.next()
		if a.DocumentId == "fine.md" {
			p.complete(a, 3)
			continue
		}
		flakyAttempts++
		require.EqualValues(t, flakyAttempts, a.Attempt)
		p.fail(a, schedulerv1.FailureClass_FAILURE_CLASS_TRANSIENT, fmt.Sprintf("timeout reading (%d)", flakyAttempts))
		if flakyAttempts == 2 {
			break
		}
	}
	b := waitState(t, e.sched, "retry", schedulerv1.BatchState_BATCH_STATE_COMPLETED_WITH_ERRORS)
	require.EqualValues(t, 1, b.Counts.Done)
	require.EqualValues(t, 1, b.Counts.Failed)
	r, err := e.sched.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: "retry", PageSize: 10, StateFilter: schedulerv1.DocumentState_DOCUMENT_STATE_FAILED})
	require.NoError(t, err)
	require.Len(t, r.Documents, 1)
	q := r.Documents[0]
	require.Equal(t, "flaky.md", q.DocumentId)
	require.Contains(t, q.Error, "after 2 attempts")
	require.Len(t, q.ErrorHistory, 2)
	require.Contains(t, q.ErrorHistory[0], "attempt 1 on p (transient): timeout reading (1)")
}
