// Package grpcapi adapts the scheduler core to gRPC: SchedulerService for
// clients and DispatchService for processors. It validates requests, maps
// core errors to status codes and carries trace context into assignments.
package grpcapi

import (
	"context"
	"errors"
	"io"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/scheduler"
)

// SchedulerServer implements schedulerv1.SchedulerServiceServer.
type SchedulerServer struct {
	schedulerv1.UnimplementedSchedulerServiceServer
	Core *scheduler.Scheduler
	// WatchInterval is how often WatchBatch sends a snapshot while the
	// batch moves.
	WatchInterval time.Duration
}

// SubmitBatch reads the header, then document chunks, until the client
// closes its side; the whole batch is validated and stored before the reply.
func (s *SchedulerServer) SubmitBatch(stream schedulerv1.SchedulerService_SubmitBatchServer) error {
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		return status.Error(codes.InvalidArgument, "empty submit stream: send a header, then documents")
	}
	if err != nil {
		return err
	}
	hdr := first.GetHeader()
	if hdr == nil {
		return status.Error(codes.InvalidArgument, "the first message of SubmitBatch must be a header")
	}
	if hdr.GetMaxRetries() < 0 {
		return status.Errorf(codes.InvalidArgument, "max_retries must not be negative, got %d", hdr.GetMaxRetries())
	}
	var docs []scheduler.DocSpec
	limit := s.Core.Config().MaxDocuments
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		chunk := msg.GetDocuments()
		if chunk == nil {
			return status.Error(codes.InvalidArgument, "only the first message of SubmitBatch may be a header")
		}
		if len(docs)+len(chunk.GetDocuments()) > limit {
			return status.Errorf(codes.ResourceExhausted, "batch exceeds the limit of %d documents", limit)
		}
		for _, d := range chunk.GetDocuments() {
			docs = append(docs, specFromPB(d))
		}
	}
	h := scheduler.BatchHeader{ID: hdr.GetBatchId(), Name: hdr.GetName(), Root: hdr.GetRoot(), MaxRetries: int(hdr.GetMaxRetries()), Labels: hdr.GetLabels()}
	info, resumed, err := s.Core.Submit(stream.Context(), h, docs)
	if err != nil {
		return toStatus(err)
	}
	return stream.SendAndClose(&schedulerv1.SubmitBatchResponse{Batch: batchToPB(info), Resumed: resumed})
}

// GetBatch answers a snapshot and a page of documents.
func (s *SchedulerServer) GetBatch(_ context.Context, req *schedulerv1.GetBatchRequest) (*schedulerv1.GetBatchResponse, error) {
	size, err := pageSize(req.GetPageSize(), 0, 1000)
	if err != nil {
		return nil, err
	}
	off, err := decodeToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	info, docs, next, err := s.Core.GetBatch(req.GetBatchId(), scheduler.DocState(req.GetStateFilter()), off, size)
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &schedulerv1.GetBatchResponse{Batch: batchToPB(info), NextPageToken: encodeToken(next)}
	for _, d := range docs {
		resp.Documents = append(resp.Documents, docToPB(d))
	}
	return resp, nil
}

// WatchBatch sends a snapshot at once, then whenever the batch has moved
// (at most every WatchInterval), with the transitions since; it ends after
// the snapshot that shows the batch finished.
func (s *SchedulerServer) WatchBatch(req *schedulerv1.WatchBatchRequest, stream schedulerv1.SchedulerService_WatchBatchServer) error {
	w, err := s.Core.Watch(req.GetBatchId())
	if err != nil {
		return toStatus(err)
	}
	defer w.Stop()
	interval := s.WatchInterval
	if interval <= 0 {
		interval = 250 * time.Millisecond
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		info, _, _, err := s.Core.GetBatch(req.GetBatchId(), 0, 0, 0)
		if err != nil {
			return toStatus(err)
		}
		resp := &schedulerv1.WatchBatchResponse{Batch: batchToPB(info)}
	drain:
		for len(resp.Transitions) < 10000 {
			select {
			case t := <-w.Transitions:
				if req.GetIncludeDocuments() {
					resp.Transitions = append(resp.Transitions, &schedulerv1.DocumentTransition{DocumentId: t.DocumentID, State: schedulerv1.DocumentState(t.State), Error: t.Error})
				}
			default:
				break drain
			}
		}
		if err := stream.Send(resp); err != nil {
			return err
		}
		if info.State != scheduler.BatchRunning {
			return nil
		}
		select {
		case <-stream.Context().Done():
			return nil
		case <-w.Changed:
		}
		select {
		case <-stream.Context().Done():
			return nil
		case <-tick.C:
		}
	}
}

// CancelBatch cancels a running batch; cancelling a finished one is a no-op.
func (s *SchedulerServer) CancelBatch(ctx context.Context, req *schedulerv1.CancelBatchRequest) (*schedulerv1.CancelBatchResponse, error) {
	info, err := s.Core.Cancel(ctx, req.GetBatchId(), req.GetReason())
	if err != nil {
		return nil, toStatus(err)
	}
	return &schedulerv1.CancelBatchResponse{Batch: batchToPB(info)}, nil
}

// GetCostModel answers the learned cost factors.
func (s *SchedulerServer) GetCostModel(context.Context, *schedulerv1.GetCostModelRequest) (*schedulerv1.GetCostModelResponse, error) {
	resp := &schedulerv1.GetCostModelResponse{}
	for _, f := range s.Core.CostFactors() {
		resp.Factors = append(resp.Factors, &schedulerv1.CostFactor{
			Kind: f.Kind, Band: f.Band,
			TimeRatio: f.Ratio, TimeObservations: f.N,
			MemoryP95Ratio: f.MemoryP95, MemoryObservations: f.MemoryN,
		})
	}
	return resp, nil
}

// ListBatches pages through batches, newest first.
func (s *SchedulerServer) ListBatches(_ context.Context, req *schedulerv1.ListBatchesRequest) (*schedulerv1.ListBatchesResponse, error) {
	size, err := pageSize(req.GetPageSize(), 100, 1000)
	if err != nil {
		return nil, err
	}
	off, err := decodeToken(req.GetPageToken())
	if err != nil {
		return nil, err
	}
	infos, next := s.Core.ListBatches(off, size)
	resp := &schedulerv1.ListBatchesResponse{NextPageToken: encodeToken(next)}
	for _, b := range infos {
		resp.Batches = append(resp.Batches, batchToPB(b))
	}
	return resp, nil
}
