package grpcapi

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/scheduler"
)

// toStatus maps the core's sentinel errors to gRPC codes; anything else is
// Internal with its message.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok && !errors.Is(err, scheduler.ErrInvalid) {
		return err
	}
	code := codes.Internal
	switch {
	case errors.Is(err, scheduler.ErrInvalid):
		code = codes.InvalidArgument
	case errors.Is(err, scheduler.ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, scheduler.ErrConflict):
		code = codes.AlreadyExists
	case errors.Is(err, scheduler.ErrStale):
		code = codes.FailedPrecondition
	case errors.Is(err, scheduler.ErrUnavailable):
		code = codes.Unavailable
	case errors.Is(err, scheduler.ErrTooLarge):
		code = codes.ResourceExhausted
	}
	return status.Error(code, err.Error())
}

func batchToPB(b scheduler.BatchInfo) *schedulerv1.Batch {
	out := &schedulerv1.Batch{
		BatchId:    b.Header.ID,
		Name:       b.Header.Name,
		Root:       b.Header.Root,
		State:      schedulerv1.BatchState(b.State),
		Labels:     b.Header.Labels,
		CreatedAt:  timestamppb.New(b.Header.CreatedAt),
		RatePerSec: b.RatePerSec,
		EtaSeconds: b.ETASeconds,
		Counts: &schedulerv1.BatchCounts{
			Total: b.Counts.Total, Pending: b.Counts.Pending, Running: b.Counts.Running, Done: b.Counts.Done,
			Failed: b.Counts.Failed, Skipped: b.Counts.Skipped, Cancelled: b.Counts.Cancelled,
		},
	}
	if !b.FinishedAt.IsZero() {
		out.FinishedAt = timestamppb.New(b.FinishedAt)
	}
	return out
}

func docToPB(d scheduler.DocInfo) *schedulerv1.DocumentStatus {
	return &schedulerv1.DocumentStatus{
		DocumentId: d.ID, Path: d.Path, State: schedulerv1.DocumentState(d.State), Priority: schedulerv1.Priority(d.Priority),
		Attempts: int32(d.Attempts), Error: d.Error, ResultSeq: d.ResultSeq, ProcessorId: d.ProcessorID, ErrorHistory: d.History,
	}
}

func specFromPB(d *schedulerv1.DocumentSpec) scheduler.DocSpec {
	return scheduler.DocSpec{ID: d.GetId(), Path: d.GetPath(), Priority: scheduler.Priority(d.GetPriority()), DependsOn: d.GetDependsOn(), Size: d.GetSizeBytes()}
}

// Page tokens are opaque to clients: a base64 offset.
func encodeToken(offset int) string {
	if offset <= 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(offset)))
}

func decodeToken(tok string) (int, error) {
	if tok == "" {
		return 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err == nil {
		if n, err := strconv.Atoi(string(raw)); err == nil && n >= 0 {
			return n, nil
		}
	}
	return 0, status.Error(codes.InvalidArgument, fmt.Sprintf("page_token %q is not a token this server issued", tok))
}

func pageSize(n int32, def, maxSize int) (int, error) {
	switch {
	case n < 0 || int(n) > maxSize:
		return 0, status.Errorf(codes.InvalidArgument, "page_size must be between 0 and %d, got %d", maxSize, n)
	case n == 0:
		return def, nil
	}
	return int(n), nil
}
