package scheduler

import "context"

// EventKind is what the journal records. Only terminal outcomes are
// journaled: a running or retried document that is lost in a crash simply
// runs again, and skipped documents are derived from the failures on replay.
type EventKind uint8

const (
	EventDone EventKind = iota + 1
	EventFailed
	// EventBatchCancelled has Doc == -1.
	EventBatchCancelled
)

// Event is one journaled transition of a batch.
type Event struct {
	Kind     EventKind `json:"k"`
	Doc      int32     `json:"d"`
	Seq      uint64    `json:"s,omitempty"`
	Error    string    `json:"e,omitempty"`
	Attempts int       `json:"a,omitempty"`
}

// Record is a batch's checkpoint: its header and, at the time it was
// written, its state and counts. It lets ListBatches answer without replaying
// journals and marks finished batches.
type Record struct {
	Header     BatchHeader `json:"header"`
	State      BatchState  `json:"state"`
	Counts     Counts      `json:"counts"`
	FinishedAt int64       `json:"finished_at,omitempty"`
}

// Store makes the scheduler's acknowledged transitions durable.
type Store interface {
	// CreateBatch durably stores a new batch (header and documents) before
	// the submit is acknowledged.
	CreateBatch(ctx context.Context, rec Record, docs []DocSpec) error
	// Append journals ev for a batch and calls done once it is durable (nil)
	// or could not be made durable. Appends are group-committed.
	Append(batchID string, ev Event, done func(error))
	// SaveRecord writes a batch checkpoint.
	SaveRecord(ctx context.Context, rec Record) error
	// Load calls fn for every stored batch with its documents and journal.
	Load(ctx context.Context, fn func(rec Record, docs []DocSpec, events []Event) error) error
	// NextIncarnation returns a number larger than any earlier start's, so
	// epochs handed out after a restart fence everything before it.
	NextIncarnation(ctx context.Context) (uint32, error)
	// SaveModel and LoadModel keep the learned cost model across restarts
	// (LoadModel returns nil when none was saved).
	SaveModel(ctx context.Context, model map[string]Factor) error
	LoadModel(ctx context.Context) (map[string]Factor, error)
}
