package worker

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	processorv1 "github.com/docbatch/docbatch/proto/docbatch/processor/v1"
	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/natsbus/natstest"
	"github.com/docbatch/docbatch/services/processor"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
)

// fakeScheduler is a real DispatchService peer, small enough to script: it
// welcomes each stream, hands the test a handle to send on it, and forwards
// what the processor says.
type fakeScheduler struct {
	schedulerv1.UnimplementedDispatchServiceServer
	hellos  chan *schedulerv1.Hello
	streams chan *peer
	reports chan *schedulerv1.WorkRequest // completed and failed
	beats   chan *schedulerv1.Heartbeat
}

type peer struct {
	stream schedulerv1.DispatchService_WorkServer
	mu     sync.Mutex
	close  chan error // makes the handler return, breaking the stream
}

func (p *peer) send(t *testing.T, r *schedulerv1.WorkResponse) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	require.NoError(t, p.stream.Send(r))
}

func (f *fakeScheduler) Work(stream schedulerv1.DispatchService_WorkServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	f.hellos <- first.GetHello()
	if err := stream.Send(&schedulerv1.WorkResponse{Kind: &schedulerv1.WorkResponse_Welcome{
		Welcome: &schedulerv1.Welcome{HeartbeatIntervalMs: 20, LeaseMs: 30000},
	}}); err != nil {
		return err
	}
	p := &peer{stream: stream, close: make(chan error, 1)}
	f.streams <- p
	errc := make(chan error, 1)
	go func() {
		for {
			req, err := stream.Recv()
			if err != nil {
				errc <- err
				return
			}
			if hb := req.GetHeartbeat(); hb != nil {
				select {
				case f.beats <- hb:
				default: // the test samples heartbeats; drop the rest
				}
				continue
			}
			f.reports <- req
		}
	}()
	select {
	case err := <-errc:
		return err
	case err := <-p.close:
		return err
	}
}

// blockingPDF stands in for the PDF engine with a document that never ends
// on its own: it is how the test holds a document "running".
type blockingPDF struct {
	started chan struct{}
	stopped chan error
}

func (b *blockingPDF) PageTexts(ctx context.Context, _ []byte) ([]string, error) {
	b.started <- struct{}{}
	<-ctx.Done()
	b.stopped <- ctx.Err()
	return nil, ctx.Err()
}

type env struct {
	sched  *fakeScheduler
	js     jetstream.JetStream
	stream jetstream.Stream
	root   string
	pdf    *blockingPDF
	budget *processor.Budget
	spans  *tracetest.SpanRecorder
}

const budgetBytes = 64 << 20

func setup(t *testing.T) *env {
	t.Helper()
	// natsbus.InjectTrace uses the global propagator, as in production
	// after telemetry.Setup.
	otel.SetTextMapPropagator(propagation.TraceContext{})

	_, js := natstest.Connect(t, natstest.Server(t), "worker-test")
	ctx := t.Context()
	st, err := natsbus.EnsureResults(ctx, js, natsbus.StreamOptions{Replicas: 1})
	require.NoError(t, err)

	e := &env{
		sched: &fakeScheduler{
			hellos:  make(chan *schedulerv1.Hello, 4),
			streams: make(chan *peer, 4),
			reports: make(chan *schedulerv1.WorkRequest, 16),
			beats:   make(chan *schedulerv1.Heartbeat, 1),
		},
		js: js, stream: st, root: t.TempDir(),
		pdf:    &blockingPDF{started: make(chan struct{}, 4), stopped: make(chan error, 4)},
		budget: processor.NewBudget(budgetBytes),
		spans:  tracetest.NewSpanRecorder(),
	}
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer()
	schedulerv1.RegisterDispatchServiceServer(gs, e.sched)
	go gs.Serve(lis)
	t.Cleanup(gs.Stop)
	cc, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { cc.Close() })

	ex, err := processor.NewExtractor(processor.ExtractorOptions{Roots: []string{e.root}, PDF: e.pdf})
	require.NoError(t, err)
	t.Cleanup(func() { ex.Close() })
	w, err := New(Config{ID: "proc-1", Slots: 2, Version: "test", InlineTextLimit: 1024}, Deps{
		Dispatch: cc, JetStream: js, Extractor: ex, Budget: e.budget,
		TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(e.spans)),
	})
	require.NoError(t, err)
	wctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return e
}

func (e *env) write(t *testing.T, name, body string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(e.root, name), []byte(body), 0o644))
}

func recv[T any](t *testing.T, c chan T) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("nothing received on %T within 10s", c)
		panic("unreachable")
	}
}

// traced returns an assignment trace context as the scheduler would carry
// it, and the span the processor's span must be a child of.
func traced(t *testing.T) (map[string]string, trace.SpanContext) {
	sc := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:     trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8},
		TraceFlags: trace.FlagsSampled,
		Remote:     true,
	})
	m := map[string]string{}
	propagation.TraceContext{}.Inject(trace.ContextWithSpanContext(t.Context(), sc), propagation.MapCarrier(m))
	require.NotEmpty(t, m["traceparent"])
	return m, sc
}

func assignment(id, doc, root, path string, epoch uint64) *schedulerv1.WorkResponse {
	return &schedulerv1.WorkResponse{Kind: &schedulerv1.WorkResponse_Assignment{Assignment: &schedulerv1.Assignment{
		AssignmentId: id, BatchId: "b1", DocumentId: doc, Root: root, Path: path,
		Epoch: epoch, LeaseMs: 30000, MemoryReservationBytes: 8 << 20, Attempt: 1,
	}}}
}

// result reads back the message a report points at.
func (e *env) result(t *testing.T, seq uint64) (*processorv1.DocumentResult, *jetstream.RawStreamMsg) {
	t.Helper()
	msg, err := e.stream.GetMsg(t.Context(), seq)
	require.NoError(t, err)
	var out processorv1.DocumentResult
	require.NoError(t, proto.Unmarshal(msg.Data, &out))
	return &out, msg
}

func TestWorker(t *testing.T) {
	e := setup(t)
	e.write(t, "paper.md", "# Memory-Aware Scheduling of Document Batches\n\nJane Doe\n\n## Introduction\n\nWe schedule documents.\n")
	e.write(t, "paper.html", "<html><head><title>Linking Citations Across Papers</title></head><body><h1>Linking Citations Across Papers</h1>"+
		"<h2>Introduction</h2><p>Networks of citations were mapped at the University of Oslo in Norway [1].</p>"+
		"<h2>References</h2><ol><li>A. Author. Mapping citations. J Nets 3:1-9, 2001.</li></ol></body></html>")
	e.write(t, "big.md", "# A Long Paper\n\n"+strings.Repeat("This sentence makes the body long. ", 200)+"\n")
	e.write(t, "slow.pdf", "%PDF-1.7\n% held open by the test's engine\n")

	hello := recv(t, e.sched.hellos)
	require.Equal(t, "proc-1", hello.GetProcessorId())
	require.EqualValues(t, 2, hello.GetSlots())
	require.Contains(t, hello.GetFormats(), "pdf")
	require.EqualValues(t, budgetBytes, hello.GetHeadroom().GetMemoryBudgetBytes())
	require.LessOrEqual(t, hello.GetHeadroom().GetMemoryAvailableBytes(), uint64(budgetBytes))
	p := recv(t, e.sched.streams)

	t.Run("heartbeats carry headroom", func(t *testing.T) {
		hb := recv(t, e.sched.beats)
		require.EqualValues(t, budgetBytes, hb.GetHeadroom().GetMemoryBudgetBytes())
		require.EqualValues(t, 2, hb.GetHeadroom().GetFreeSlots())
	})

	t.Run("markdown is published then completed, traced", func(t *testing.T) {
		tc, parent := traced(t)
		a := assignment("a-md", "doc-md", e.root, "paper.md", 7)
		a.GetAssignment().TraceContext = tc
		p.send(t, a)
		c := recv(t, e.sched.reports).GetCompleted()
		require.NotNil(t, c)
		require.Equal(t, "a-md", c.GetAssignmentId())
		require.EqualValues(t, 7, c.GetEpoch())
		require.NotZero(t, c.GetResultSeq())
		require.Zero(t, c.GetPeakMemoryBytes(), "an estimate must not be reported as a measured peak")

		res, msg := e.result(t, c.GetResultSeq())
		require.Equal(t, natsbus.ResultSubject("b1"), msg.Subject)
		require.Equal(t, natsbus.MsgID("b1", "doc-md"), msg.Header.Get(jetstream.MsgIDHeader))
		require.Equal(t, "Memory-Aware Scheduling of Document Batches", res.GetMetadata().GetTitle())
		require.Equal(t, "markdown", res.GetFormat())
		require.EqualValues(t, 7, res.GetEpoch())
		require.Equal(t, "proc-1", res.GetProcessorId())
		require.Equal(t, "paper.md", res.GetPath())
		require.NotEmpty(t, res.GetText())
		require.EqualValues(t, len(res.GetText()), res.GetTextBytes())
		require.Nil(t, res.GetError())

		// The NATS message continues the scheduler's trace through a
		// "process document" span that is the child of the assignment's.
		require.Contains(t, msg.Header.Get("traceparent"), parent.TraceID().String())
		require.Eventually(t, func() bool { return len(e.spans.Ended()) > 0 }, 5*time.Second, 10*time.Millisecond)
		span := e.spans.Ended()[0]
		require.Equal(t, "process document", span.Name())
		require.Equal(t, parent.SpanID(), span.Parent().SpanID())
		require.Equal(t, parent.TraceID(), span.SpanContext().TraceID())
		require.Contains(t, msg.Header.Get("traceparent"), span.SpanContext().SpanID().String())
	})

	t.Run("html", func(t *testing.T) {
		p.send(t, assignment("a-html", "doc-html", e.root, "paper.html", 3))
		c := recv(t, e.sched.reports).GetCompleted()
		require.NotNil(t, c)
		require.EqualValues(t, 3, c.GetEpoch())
		res, _ := e.result(t, c.GetResultSeq())
		require.Equal(t, "Linking Citations Across Papers", res.GetMetadata().GetTitle())
		require.Equal(t, "html", res.GetFormat())

		// Citations and entities travel with their offsets into the text.
		require.Len(t, res.GetReferences(), 1)
		require.Len(t, res.GetCitations(), 1)
		cite := res.GetCitations()[0]
		require.Equal(t, "[1]", res.GetText()[cite.GetStart():cite.GetEnd()])
		require.Equal(t, []int32{1}, cite.GetRefs())
		require.Contains(t, cite.GetContext(), "University of Oslo in Norway [1].")
		var got []string
		for _, en := range res.GetEntities() {
			require.Equal(t, en.GetText(), res.GetText()[en.GetStart():en.GetEnd()])
			got = append(got, en.GetType()+":"+en.GetName())
		}
		require.Contains(t, got, "organisation:University of Oslo")
		require.Contains(t, got, "place:Norway")
	})

	t.Run("big text goes to the object store", func(t *testing.T) {
		p.send(t, assignment("a-big", "doc-big", e.root, "big.md", 1))
		c := recv(t, e.sched.reports).GetCompleted()
		require.NotNil(t, c)
		res, _ := e.result(t, c.GetResultSeq())
		require.Empty(t, res.GetText())
		require.Equal(t, natsbus.DocKey("b1", "doc-big"), res.GetTextObject())
		require.Greater(t, res.GetTextBytes(), int64(1024))
		store, err := e.js.ObjectStore(t.Context(), natsbus.TextObjectStore)
		require.NoError(t, err)
		text, err := store.GetBytes(t.Context(), res.GetTextObject())
		require.NoError(t, err)
		require.Len(t, text, int(res.GetTextBytes()))
		require.Contains(t, string(text), "This sentence makes the body long.")
	})

	for _, tt := range []struct{ name, path, msg string }{
		{"missing file", "missing.md", "not found"},
		{"path with dotdot", "../etc/passwd", `".."`},
	} {
		t.Run(tt.name+" fails permanently with an error result", func(t *testing.T) {
			doc := "doc-" + tt.path
			p.send(t, assignment("a-"+tt.path, doc, e.root, tt.path, 5))
			f := recv(t, e.sched.reports).GetFailed()
			require.NotNil(t, f)
			require.EqualValues(t, 5, f.GetEpoch())
			require.Equal(t, schedulerv1.FailureClass_FAILURE_CLASS_PERMANENT, f.GetClass())
			require.Contains(t, f.GetError(), tt.msg)
			require.NotZero(t, f.GetResultSeq())
			res, msg := e.result(t, f.GetResultSeq())
			require.Equal(t, natsbus.MsgID("b1", doc), msg.Header.Get(jetstream.MsgIDHeader))
			require.Equal(t, "permanent", res.GetError().GetClass())
			require.Contains(t, res.GetError().GetMessage(), tt.msg)
			require.EqualValues(t, 5, res.GetEpoch())
		})
	}

	t.Run("no local headroom is refused at once", func(t *testing.T) {
		a := assignment("a-huge", "doc-huge", e.root, "paper.md", 2)
		a.GetAssignment().MemoryReservationBytes = budgetBytes + 1
		p.send(t, a)
		f := recv(t, e.sched.reports).GetFailed()
		require.NotNil(t, f)
		require.Equal(t, "a-huge", f.GetAssignmentId())
		require.Equal(t, schedulerv1.FailureClass_FAILURE_CLASS_TRANSIENT, f.GetClass())
		require.Contains(t, f.GetError(), "no local headroom")
		require.Zero(t, f.GetResultSeq())
	})

	t.Run("cancel stops a slow document and reports nothing", func(t *testing.T) {
		p.send(t, assignment("a-slow", "doc-slow", e.root, "slow.pdf", 9))
		recv(t, e.pdf.started)
		require.EqualValues(t, 8<<20, e.budget.Reserved())
		p.send(t, &schedulerv1.WorkResponse{Kind: &schedulerv1.WorkResponse_Cancel{Cancel: &schedulerv1.Cancel{AssignmentId: "a-slow", Reason: "test"}}})
		require.ErrorIs(t, recv(t, e.pdf.stopped), context.Canceled)
		// The reservation is released only after the worker decided not
		// to report, so once it is back, silence is final.
		require.Eventually(t, func() bool { return e.budget.Reserved() == 0 }, 5*time.Second, 5*time.Millisecond)
		p.send(t, assignment("a-after", "doc-after", e.root, "paper.html", 10))
		r := recv(t, e.sched.reports)
		require.Equal(t, "a-after", r.GetCompleted().GetAssignmentId(), "got %v", r)
	})

	t.Run("a broken stream cancels in-flight work and reconnects", func(t *testing.T) {
		p.send(t, assignment("a-slow2", "doc-slow2", e.root, "slow.pdf", 11))
		recv(t, e.pdf.started)
		p.close <- nil
		require.ErrorIs(t, recv(t, e.pdf.stopped), context.Canceled)
		hello := recv(t, e.sched.hellos)
		require.Equal(t, "proc-1", hello.GetProcessorId())
		require.EqualValues(t, 2, hello.GetHeadroom().GetFreeSlots())
		require.Zero(t, hello.GetHeadroom().GetMemoryReservedBytes())
		p2 := recv(t, e.sched.streams)
		p2.send(t, assignment("a-again", "doc-md", e.root, "paper.md", 8))
		c := recv(t, e.sched.reports).GetCompleted()
		require.NotNil(t, c)
		require.EqualValues(t, 8, c.GetEpoch())
		require.Empty(t, e.sched.reports, "nothing reported for the abandoned document")
	})
}
