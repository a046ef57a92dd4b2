// Package scheduler is docbatch's scheduling core: it owns the batches, their
// dependency graphs and priorities, the processors' room, the assignments
// and their leases, retries, and the durable journal of what has finished.
// It knows no transport: the grpcapi package adapts it to gRPC, and the
// jsstore package persists it in JetStream.
package scheduler

import (
	"errors"
	"fmt"
	"time"
)

// Priority classes, lowest first so that a larger value runs first.
type Priority int8

const (
	PriorityUnspecified Priority = iota
	PriorityLow
	PriorityNormal
	PriorityHigh
	PriorityCritical
)

var priorityNames = [...]string{"unspecified", "low", "normal", "high", "critical"}

// String is the class's lower-case name.
func (p Priority) String() string {
	if p < 0 || int(p) >= len(priorityNames) {
		return fmt.Sprintf("Priority(%d)", int(p))
	}
	return priorityNames[p]
}

// DocState is where a document is in its life.
type DocState uint8

const (
	DocPending DocState = iota + 1
	DocRunning
	DocDone
	DocFailed
	DocSkipped
	DocCancelled
)

func (s DocState) terminal() bool { return s >= DocDone }

func (s DocState) String() string {
	switch s {
	case DocPending:
		return "pending"
	case DocRunning:
		return "running"
	case DocDone:
		return "done"
	case DocFailed:
		return "failed"
	case DocSkipped:
		return "skipped"
	case DocCancelled:
		return "cancelled"
	}
	return "unknown"
}

// BatchState is where a batch is in its life.
type BatchState uint8

const (
	BatchRunning BatchState = iota + 1
	BatchSucceeded
	BatchCompletedWithErrors
	BatchCancelled
)

// FailureClass says how a failure is retried.
type FailureClass uint8

func (c FailureClass) String() string {
	switch c {
	case FailTransient:
		return "transient"
	case FailPermanent:
		return "permanent"
	case FailOutOfMemory:
		return "out of memory"
	}
	return "unclassified"
}

const (
	FailTransient FailureClass = iota + 1
	FailPermanent
	FailOutOfMemory
)

// DocSpec is one document of a submitted batch.
type DocSpec struct {
	ID        string   `json:"id"`
	Path      string   `json:"path"`
	Priority  Priority `json:"priority,omitempty"`
	DependsOn []string `json:"depends_on,omitempty"`
	Size      int64    `json:"size,omitempty"`
}

// BatchHeader is everything about a batch but its documents.
type BatchHeader struct {
	ID         string            `json:"id"`
	Name       string            `json:"name,omitempty"`
	Root       string            `json:"root"`
	MaxRetries int               `json:"max_retries"`
	Labels     map[string]string `json:"labels,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	// Digest identifies the documents, so that resubmitting the same batch
	// resumes it and a different one under the same id is refused.
	Digest string `json:"digest"`
	Docs   int    `json:"docs"`
}

// Counts of a batch's documents by state.
type Counts struct {
	Total, Pending, Running, Done, Failed, Skipped, Cancelled int64
}

// BatchInfo is a snapshot of a batch.
type BatchInfo struct {
	Header     BatchHeader
	State      BatchState
	Counts     Counts
	FinishedAt time.Time
	RatePerSec float64
	ETASeconds float64
}

// DocInfo is a snapshot of one document.
type DocInfo struct {
	ID, Path    string
	State       DocState
	Priority    Priority
	Attempts    int
	Error       string
	ResultSeq   uint64
	ProcessorID string
	// History of failed attempts, oldest first.
	History []string
}

// Transition is a document changing state, as streamed to watchers.
type Transition struct {
	DocumentID string
	State      DocState
	Error      string
}

// Headroom is what a processor says it can still take.
type Headroom struct {
	MemoryAvailable uint64
	MemoryBudget    uint64
	MemoryReserved  uint64
	FreeSlots       int
}

// Assignment is one document sent to one processor.
type Assignment struct {
	ID          string
	BatchID     string
	DocumentID  string
	Root, Path  string
	Size        int64
	Epoch       uint64
	Lease       time.Duration
	Reservation uint64
	Attempt     int
}

// Sentinel errors; the gRPC adapter maps each to its status code.
var (
	// ErrInvalid: the request is malformed (InvalidArgument).
	ErrInvalid = errors.New("invalid request")
	// ErrNotFound: no such batch (NotFound).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a batch id exists with other documents (AlreadyExists).
	ErrConflict = errors.New("conflict")
	// ErrStale: a report for an assignment that is no longer current, e.g.
	// from a processor whose lease expired (FailedPrecondition).
	ErrStale = errors.New("stale assignment")
	// ErrUnavailable: the durable store could not be written (Unavailable).
	ErrUnavailable = errors.New("store unavailable")
	// ErrTooLarge: a cap was exceeded (ResourceExhausted).
	ErrTooLarge = errors.New("too large")
)
