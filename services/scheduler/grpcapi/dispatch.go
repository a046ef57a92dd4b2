package grpcapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/scheduler"
)

// DispatchServer implements schedulerv1.DispatchServiceServer: one Work
// stream per processor.
type DispatchServer struct {
	schedulerv1.UnimplementedDispatchServiceServer
	Core *scheduler.Scheduler
	Log  *slog.Logger
}

func headroomFromPB(h *schedulerv1.Headroom) scheduler.Headroom {
	return scheduler.Headroom{
		MemoryAvailable: h.GetMemoryAvailableBytes(), MemoryBudget: h.GetMemoryBudgetBytes(),
		MemoryReserved: h.GetMemoryReservedBytes(), FreeSlots: int(h.GetFreeSlots()),
	}
}

// Work runs one processor's session: Hello first, then heartbeats and
// reports in, assignments and cancels out.
func (d *DispatchServer) Work(stream schedulerv1.DispatchService_WorkServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	hello := first.GetHello()
	if hello == nil {
		return status.Error(codes.InvalidArgument, "the first message of Work must be a hello")
	}
	sess, err := d.Core.Connect(hello.GetProcessorId(), int(hello.GetSlots()), headroomFromPB(hello.GetHeadroom()))
	if err != nil {
		return toStatus(err)
	}
	defer sess.Close()
	cfg := d.Core.Config()
	if err := stream.Send(&schedulerv1.WorkResponse{Kind: &schedulerv1.WorkResponse_Welcome{Welcome: &schedulerv1.Welcome{
		HeartbeatIntervalMs: cfg.HeartbeatInterval.Milliseconds(), LeaseMs: cfg.Lease().Milliseconds(),
	}}}); err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(stream.Context())
	defer cancel()
	sendErr := make(chan error, 1)
	go func() { sendErr <- d.send(ctx, stream, sess) }()

	recvErr := make(chan error, 1)
	go func() { recvErr <- d.receive(stream, sess) }()

	select {
	case err := <-recvErr:
		cancel()
		return err
	case err := <-sendErr:
		return err
	case <-sess.Done():
		return status.Error(codes.Aborted, "processor fenced: its lease expired or it connected again; reconnect")
	}
}

// send is the only goroutine that sends on the stream after the welcome.
func (d *DispatchServer) send(ctx context.Context, stream schedulerv1.DispatchService_WorkServer, sess *scheduler.Session) error {
	tracer := otel.Tracer("docbatch/scheduler")
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sess.Done():
			return nil
		case out := <-sess.Outbox():
			var msg *schedulerv1.WorkResponse
			if a := out.Assign; a != nil {
				// Each document's trace starts here and follows it through the
				// processor and over NATS to the consumers.
				_, span := tracer.Start(context.Background(), "dispatch document", trace.WithSpanKind(trace.SpanKindProducer),
					trace.WithAttributes(attribute.String("docbatch.batch_id", a.BatchID), attribute.String("docbatch.document_id", a.DocumentID),
						attribute.String("docbatch.processor_id", sess.ProcessorID()), attribute.Int("docbatch.attempt", a.Attempt)))
				carrier := propagation.MapCarrier{}
				otel.GetTextMapPropagator().Inject(trace.ContextWithSpan(context.Background(), span), carrier)
				span.End()
				msg = &schedulerv1.WorkResponse{Kind: &schedulerv1.WorkResponse_Assignment{Assignment: &schedulerv1.Assignment{
					AssignmentId: a.ID, BatchId: a.BatchID, DocumentId: a.DocumentID, Root: a.Root, Path: a.Path,
					SizeBytes: a.Size, Epoch: a.Epoch, LeaseMs: a.Lease.Milliseconds(), MemoryReservationBytes: a.Reservation,
					Attempt: int32(a.Attempt), TraceContext: carrier,
				}}}
			} else {
				msg = &schedulerv1.WorkResponse{Kind: &schedulerv1.WorkResponse_Cancel{Cancel: &schedulerv1.Cancel{AssignmentId: out.CancelID, Reason: out.CancelReason}}}
			}
			if err := stream.Send(msg); err != nil {
				return err
			}
		}
	}
}

func (d *DispatchServer) receive(stream schedulerv1.DispatchService_WorkServer, sess *scheduler.Session) error {
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch k := msg.GetKind().(type) {
		case *schedulerv1.WorkRequest_Heartbeat:
			sess.Heartbeat(headroomFromPB(k.Heartbeat.GetHeadroom()))
		case *schedulerv1.WorkRequest_Completed:
			c := k.Completed
			took := time.Duration(c.GetDurationMs()) * time.Millisecond
			if err := sess.Complete(c.GetAssignmentId(), c.GetEpoch(), c.GetResultSeq(), took, c.GetPeakMemoryBytes()); err != nil {
				// A late report from a fenced assignment: its document runs
				// elsewhere; consumers are idempotent, so nothing counts twice.
				d.Log.Warn("completion rejected", "processor", sess.ProcessorID(), "assignment", c.GetAssignmentId(), "err", err)
			}
		case *schedulerv1.WorkRequest_Failed:
			f := k.Failed
			class := scheduler.FailureClass(f.GetClass())
			if class == 0 {
				class = scheduler.FailTransient
			}
			if err := sess.Fail(f.GetAssignmentId(), f.GetEpoch(), class, f.GetError(), f.GetResultSeq()); err != nil {
				d.Log.Warn("failure report rejected", "processor", sess.ProcessorID(), "assignment", f.GetAssignmentId(), "err", err)
			}
		case *schedulerv1.WorkRequest_Hello:
			return status.Error(codes.InvalidArgument, "hello may only be the first message of Work")
		default:
			return status.Error(codes.InvalidArgument, "empty Work message")
		}
	}
}
