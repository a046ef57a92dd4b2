// Package worker is the processor's side of the scheduler's Work stream: it
// says hello with its slots, memory headroom and formats, heartbeats the
// headroom, runs each assignment it is sent (bounded by slots and the memory
// Budget), publishes one DocumentResult per document to JetStream, and only
// then reports the result's stream sequence back to the scheduler, so a
// Completed always points at a durable result (invariant 1).
//
// It reconnects with exponential backoff when the stream breaks, cancelling
// in-flight work first: the scheduler re-assigns it under a new epoch, and
// the publish dedup (Nats-Msg-Id) plus the consumers' idempotence by
// (batch, document) keep a repeated document from counting twice.
package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/processor"
	"github.com/docbatch/docbatch/services/processor/headroom"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
)

// Defaults for the zero values of Config.
const (
	DefaultInlineTextLimit   = 256 << 10
	DefaultHeartbeatInterval = 4 * time.Second
	DefaultMinBackoff        = 100 * time.Millisecond
	DefaultMaxBackoff        = 5 * time.Second
	// DefaultWelcomeTimeout bounds the wait for Welcome after Hello, so a
	// scheduler that accepts the stream but never answers does not hold the
	// processor forever.
	DefaultWelcomeTimeout = 30 * time.Second
	// DefaultPublishTimeout bounds publishing a result, retries included;
	// past it the document fails as transient and the scheduler retries
	// it. Long enough to ride out a stream leader election or a NATS
	// restart, which are not the document's fault.
	DefaultPublishTimeout = 30 * time.Second
)

// DefaultFormats are the formats a processor extracts, as announced in
// Hello.
func DefaultFormats() []string { return []string{"pdf", "jats", "tei", "html", "markdown", "text"} }

// Config says who the processor is and how it behaves on the stream.
type Config struct {
	ID      string
	Slots   int
	Formats []string // default DefaultFormats()
	Version string
	// InlineTextLimit: texts longer than this go to the object store.
	InlineTextLimit   int
	HeartbeatInterval time.Duration // used when Welcome does not say
	MinBackoff        time.Duration
	MaxBackoff        time.Duration
	WelcomeTimeout    time.Duration
	PublishTimeout    time.Duration
}

// Extractor is what the worker needs of processor.Extractor.
type Extractor interface {
	Extract(ctx context.Context, root, path string, reservation uint64) (*processor.Result, error)
}

// HeadroomReader is what the worker needs of headroom.Meter.
type HeadroomReader interface {
	Read(ctx context.Context) (headroom.Reading, error)
}

// Deps are the worker's collaborators.
type Deps struct {
	Dispatch  grpc.ClientConnInterface
	JetStream jetstream.JetStream
	Extractor Extractor
	Budget    *processor.Budget
	Headroom  HeadroomReader
	Log       *slog.Logger
	// TracerProvider defaults to the global one; the trace context is
	// propagated with the global propagator, like natsbus does.
	TracerProvider trace.TracerProvider
}

// Worker runs the Work stream. Create it with New.
type Worker struct {
	cfg    Config
	client schedulerv1.DispatchServiceClient
	js     jetstream.JetStream
	ex     Extractor
	budget *processor.Budget
	room   HeadroomReader
	log    *slog.Logger
	tracer trace.Tracer

	running atomic.Int32 // documents holding a slot

	storeMu sync.Mutex
	store   jetstream.ObjectStore // opened on first large text
}

// New checks the dependencies and fills in defaults.
func New(cfg Config, d Deps) (*Worker, error) {
	switch {
	case d.Dispatch == nil:
		return nil, errors.New("worker: no dispatch connection")
	case d.JetStream == nil:
		return nil, errors.New("worker: no JetStream")
	case d.Extractor == nil:
		return nil, errors.New("worker: no extractor")
	case d.Budget == nil:
		return nil, errors.New("worker: no budget")
	case cfg.ID == "":
		return nil, errors.New("worker: empty processor id")
	}
	if cfg.Slots <= 0 {
		cfg.Slots = 1
	}
	if cfg.Formats == nil {
		cfg.Formats = DefaultFormats()
	}
	if cfg.InlineTextLimit <= 0 {
		cfg.InlineTextLimit = DefaultInlineTextLimit
	}
	cfg.HeartbeatInterval = orDefault(cfg.HeartbeatInterval, DefaultHeartbeatInterval)
	cfg.MinBackoff = orDefault(cfg.MinBackoff, DefaultMinBackoff)
	cfg.MaxBackoff = orDefault(cfg.MaxBackoff, DefaultMaxBackoff)
	cfg.WelcomeTimeout = orDefault(cfg.WelcomeTimeout, DefaultWelcomeTimeout)
	cfg.PublishTimeout = orDefault(cfg.PublishTimeout, DefaultPublishTimeout)
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Headroom == nil {
		d.Headroom = headroom.New(d.Budget.Total(), d.Budget.Reserved)
	}
	tp := d.TracerProvider
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	return &Worker{
		cfg:    cfg,
		client: schedulerv1.NewDispatchServiceClient(d.Dispatch),
		js:     d.JetStream,
		ex:     d.Extractor,
		budget: d.Budget,
		room:   d.Headroom,
		log:    d.Log,
		tracer: tp.Tracer("github.com/docbatch/docbatch/services/processor/worker"),
	}, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Run keeps a Work stream open until ctx ends, reconnecting with
// exponential backoff. It returns nil when ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	backoff := w.cfg.MinBackoff
	for {
		welcomed, err := w.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if welcomed {
			backoff = w.cfg.MinBackoff
		}
		w.log.Warn("work stream ended; reconnecting", "err", err, "backoff", backoff.String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, w.cfg.MaxBackoff)
	}
}

// headroom is the figure the scheduler plans with.
func (w *Worker) headroom(ctx context.Context) *schedulerv1.Headroom {
	r, err := w.room.Read(ctx)
	if err != nil {
		w.log.Debug("headroom partly unknown", "err", err)
	}
	return &schedulerv1.Headroom{
		MemoryAvailableBytes: r.Available,
		MemoryBudgetBytes:    r.Budget,
		MemoryReservedBytes:  r.Reserved,
		FreeSlots:            int32(w.cfg.Slots) - w.running.Load(),
	}
}

// session is one Work stream: Hello, Welcome, then assignments until the
// stream breaks. It returns only after every document it started has
// stopped, so no reservation outlives it.
func (w *Worker) session(ctx context.Context) (welcomed bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := w.client.Work(ctx)
	if err != nil {
		return false, fmt.Errorf("opening work stream: %w", err)
	}
	s := &session{w: w, stream: stream, cancel: cancel, jobs: map[string]*job{}}
	defer s.wg.Wait() // after cancel (deferred earlier, runs later): jobs see it
	defer cancel()

	if err := s.send(&schedulerv1.WorkRequest{Kind: &schedulerv1.WorkRequest_Hello{Hello: &schedulerv1.Hello{
		ProcessorId: w.cfg.ID,
		Slots:       int32(w.cfg.Slots),
		Headroom:    w.headroom(ctx),
		Formats:     w.cfg.Formats,
		Version:     w.cfg.Version,
	}}}); err != nil {
		return false, fmt.Errorf("sending hello: %w", err)
	}
	timer := time.AfterFunc(w.cfg.WelcomeTimeout, cancel)
	first, err := stream.Recv()
	if !timer.Stop() {
		return false, fmt.Errorf("no welcome within %s", w.cfg.WelcomeTimeout)
	}
	if err != nil {
		return false, fmt.Errorf("waiting for welcome: %w", err)
	}
	welcome := first.GetWelcome()
	if welcome == nil {
		return false, fmt.Errorf("protocol: first message is %T, want a Welcome", first.GetKind())
	}
	interval := time.Duration(welcome.GetHeartbeatIntervalMs()) * time.Millisecond
	if interval <= 0 {
		interval = w.cfg.HeartbeatInterval
	}
	w.log.Info("work stream open", "heartbeat", interval.String(), "lease_ms", welcome.GetLeaseMs())

	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.heartbeat(ctx, interval)
	}()
	for {
		msg, err := stream.Recv()
		if err != nil {
			return true, fmt.Errorf("receiving: %w", err)
		}
		switch k := msg.GetKind().(type) {
		case *schedulerv1.WorkResponse_Assignment:
			s.assign(ctx, k.Assignment)
		case *schedulerv1.WorkResponse_Cancel:
			s.cancelJob(k.Cancel)
		case *schedulerv1.WorkResponse_Welcome:
			w.log.Debug("extra welcome ignored")
		default:
			w.log.Warn("unknown work message ignored", "type", fmt.Sprintf("%T", k))
		}
	}
}

type session struct {
	w      *Worker
	stream grpc.BidiStreamingClient[schedulerv1.WorkRequest, schedulerv1.WorkResponse]
	cancel context.CancelFunc
	wg     sync.WaitGroup

	sendMu sync.Mutex // grpc streams do not allow concurrent Send

	mu   sync.Mutex
	jobs map[string]*job
}

// job is one running document.
type job struct {
	cancel   context.CancelFunc
	canceled atomic.Bool // the scheduler cancelled it: report nothing
}

func (s *session) send(req *schedulerv1.WorkRequest) error {
	s.sendMu.Lock()
	defer s.sendMu.Unlock()
	if err := s.stream.Send(req); err != nil {
		// A failed Send means the stream is gone; make Recv notice now.
		s.cancel()
		return err
	}
	return nil
}

func (s *session) heartbeat(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := s.send(&schedulerv1.WorkRequest{Kind: &schedulerv1.WorkRequest_Heartbeat{
			Heartbeat: &schedulerv1.Heartbeat{Headroom: s.w.headroom(ctx)},
		}}); err != nil {
			return
		}
	}
}

func (s *session) cancelJob(c *schedulerv1.Cancel) {
	s.mu.Lock()
	j := s.jobs[c.GetAssignmentId()]
	s.mu.Unlock()
	if j == nil {
		s.w.log.Debug("cancel for an assignment not running", "assignment", c.GetAssignmentId())
		return
	}
	s.w.log.Info("assignment cancelled", "assignment", c.GetAssignmentId(), "reason", c.GetReason())
	j.canceled.Store(true)
	j.cancel()
}

// assign admits an assignment or refuses it at once. It never waits: the
// scheduler sends only what fits the last reported headroom, so a miss
// means its view is stale, and a quick transient failure lets it place the
// document elsewhere.
func (s *session) assign(ctx context.Context, a *schedulerv1.Assignment) {
	w := s.w
	log := w.log.With("assignment", a.GetAssignmentId(), "batch", a.GetBatchId(), "document", a.GetDocumentId(), "epoch", a.GetEpoch())
	s.mu.Lock()
	_, dup := s.jobs[a.GetAssignmentId()]
	s.mu.Unlock()
	if dup {
		log.Warn("assignment already running; duplicate ignored")
		return
	}
	if n := w.running.Add(1); n > int32(w.cfg.Slots) {
		w.running.Add(-1)
		s.refuse(a, fmt.Sprintf("no free slot: %d of %d busy", n-1, w.cfg.Slots), log)
		return
	}
	want := a.GetMemoryReservationBytes()
	if want == 0 {
		// An unsized assignment still takes memory; account for it.
		want = processor.EstimatePeak(a.GetSizeBytes())
	}
	release, ok := w.budget.TryReserve(want)
	if !ok {
		w.running.Add(-1)
		s.refuse(a, fmt.Sprintf("no local headroom: %d bytes asked, %d of %d reserved", want, w.budget.Reserved(), w.budget.Total()), log)
		return
	}
	jctx, cancel := context.WithCancel(ctx)
	j := &job{cancel: cancel}
	s.mu.Lock()
	s.jobs[a.GetAssignmentId()] = j
	s.mu.Unlock()
	free := sync.OnceFunc(func() {
		cancel()
		release()
		w.running.Add(-1)
		s.mu.Lock()
		delete(s.jobs, a.GetAssignmentId())
		s.mu.Unlock()
	})
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.process(jctx, a, j, free, log)
	}()
}

func (s *session) refuse(a *schedulerv1.Assignment, msg string, log *slog.Logger) {
	log.Warn("assignment refused", "why", msg)
	if err := s.send(failed(a, schedulerv1.FailureClass_FAILURE_CLASS_TRANSIENT, msg, 0)); err != nil {
		log.Warn("reporting refusal failed", "err", err)
	}
}

// process runs one document: extract, publish, then report. free gives
// back the slot and reservation; it runs before the report so the
// scheduler never sees room that is not free yet.
func (s *session) process(ctx context.Context, a *schedulerv1.Assignment, j *job, free func(), log *slog.Logger) {
	defer free() // free is idempotent; this covers the early returns
	w := s.w
	start := time.Now()
	ctx = otel.GetTextMapPropagator().Extract(ctx, propagation.MapCarrier(a.GetTraceContext()))
	ctx, span := w.tracer.Start(ctx, "process document", trace.WithSpanKind(trace.SpanKindConsumer))
	defer span.End()
	span.SetAttributes(docAttrs(a)...)

	res, xerr := w.ex.Extract(ctx, a.GetRoot(), a.GetPath(), a.GetMemoryReservationBytes())
	if s.abandoned(ctx, j) {
		log.DebugContext(ctx, "document abandoned", "err", xerr)
		return
	}
	class := processor.Classify(xerr)
	if xerr != nil {
		var pe *processor.PanicError
		if errors.As(xerr, &pe) {
			log.ErrorContext(ctx, "extractor panicked", "panic", fmt.Sprint(pe.Value), "stack", string(pe.Stack))
		}
		span.RecordError(xerr)
	}

	// Only final outcomes are published. A transient or out-of-memory
	// failure is retried, and an error result published under the
	// document's Nats-Msg-Id would make JetStream drop the retry's real
	// result as a duplicate for the whole dedup window.
	var seq uint64
	if xerr == nil || class == processor.ClassPermanent {
		var perr error
		seq, perr = w.publish(ctx, a, res, xerr)
		if xerr == nil && errors.Is(perr, ErrResultTooLarge) {
			// The document is at fault; say so in a small, final error result.
			xerr, class = perr, processor.ClassPermanent
			seq, perr = w.publish(ctx, a, nil, xerr)
		}
		if perr != nil {
			if s.abandoned(ctx, j) {
				return
			}
			span.RecordError(perr)
			if xerr == nil {
				xerr, class = perr, processor.Classify(perr)
			} else {
				// The document is bad but its error result is not durable:
				// retrying is the only way to get one published.
				xerr, class = fmt.Errorf("%w; publishing its error result: %w", xerr, perr), processor.ClassTransient
			}
			seq = 0
		}
	}
	free()
	if j.canceled.Load() {
		return
	}
	var report *schedulerv1.WorkRequest
	if xerr == nil {
		report = &schedulerv1.WorkRequest{Kind: &schedulerv1.WorkRequest_Completed{Completed: &schedulerv1.Completed{
			AssignmentId: a.GetAssignmentId(),
			Epoch:        a.GetEpoch(),
			ResultSeq:    seq,
			DurationMs:   time.Since(start).Milliseconds(),
			// Measured peaks only (the PDF sandbox's); 0 means unknown, and
			// the scheduler learns nothing from it rather than a guess.
			PeakMemoryBytes: res.PeakMemory,
		}}}
		log.InfoContext(ctx, "document done", "seq", seq, "format", res.Doc.Format, "ms", time.Since(start).Milliseconds())
	} else {
		report = failed(a, failureClass(class), xerr.Error(), seq)
		log.WarnContext(ctx, "document failed", "class", class.String(), "err", xerr, "seq", seq)
	}
	if err := s.send(report); err != nil {
		// The stream broke: the scheduler re-assigns after the lease, and
		// the republish dedups to the same result.
		log.WarnContext(ctx, "reporting document failed", "err", err)
	}
}

// abandoned: the scheduler cancelled the document or the stream is gone,
// so nothing about it may be reported.
func (s *session) abandoned(ctx context.Context, j *job) bool {
	return j.canceled.Load() || ctx.Err() != nil
}

func failed(a *schedulerv1.Assignment, c schedulerv1.FailureClass, msg string, seq uint64) *schedulerv1.WorkRequest {
	return &schedulerv1.WorkRequest{Kind: &schedulerv1.WorkRequest_Failed{Failed: &schedulerv1.Failed{
		AssignmentId: a.GetAssignmentId(),
		Epoch:        a.GetEpoch(),
		Class:        c,
		Error:        msg,
		ResultSeq:    seq,
	}}}
}

func failureClass(c processor.Class) schedulerv1.FailureClass {
	switch c {
	case processor.ClassPermanent:
		return schedulerv1.FailureClass_FAILURE_CLASS_PERMANENT
	case processor.ClassOutOfMemory:
		return schedulerv1.FailureClass_FAILURE_CLASS_OUT_OF_MEMORY
	default:
		return schedulerv1.FailureClass_FAILURE_CLASS_TRANSIENT
	}
}
