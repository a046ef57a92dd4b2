package processor

import (
	"context"
	"errors"
	"io/fs"

	"github.com/docbatch/docbatch/services/processor/extract"
	"github.com/docbatch/docbatch/services/processor/pdf"
)

// Sentinel errors of the core. Returned errors wrap them with detail, so
// test with errors.Is.
var (
	// ErrNotAllowed: the path is absolute, climbs with "..", names an
	// unknown root, or resolves (through a symlink) outside its root.
	ErrNotAllowed = errors.New("path not allowed")
	// ErrNotFound: nothing at that path under the root.
	ErrNotFound = errors.New("document not found")
	// ErrNotRegular: the path names a directory or a device, not a file.
	ErrNotRegular = errors.New("not a regular file")
	// ErrOutOfMemory: the document cannot be processed within the memory
	// reserved for it; the scheduler retries it with a larger reservation.
	ErrOutOfMemory = errors.New("document exceeds its memory reservation")
	// ErrPanic: the extractor panicked on this document. The panic is
	// contained to the document; the input is treated as bad.
	ErrPanic = errors.New("extractor panic")
	// ErrTimeout: the document ran past its per-document deadline.
	ErrTimeout = errors.New("document timed out")
)

// Class is how the scheduler should treat a failure.
type Class int

// Failure classes, mirroring docbatch.scheduler.v1.FailureClass.
const (
	// ClassTransient: worth retrying as it is (I/O hiccup, NATS away, timeout
	// under load).
	ClassTransient Class = iota + 1
	// ClassPermanent: the document itself is bad; retrying cannot help.
	ClassPermanent
	// ClassOutOfMemory: retry with a larger memory reservation.
	ClassOutOfMemory
)

// String is the class as DocumentResult.error.class spells it.
func (c Class) String() string {
	switch c {
	case ClassPermanent:
		return "permanent"
	case ClassOutOfMemory:
		return "out_of_memory"
	default:
		return "transient"
	}
}

// permanent are the errors that say the input itself is at fault.
var permanent = []error{
	extract.ErrMalformed, extract.ErrUnsupportedFormat, extract.ErrTooLarge, extract.ErrEmpty,
	pdf.ErrEncrypted, pdf.ErrMalformed, pdf.ErrTooManyPages, pdf.ErrBomb, pdf.ErrAborted,
	ErrNotAllowed, ErrNotFound, ErrNotRegular, ErrPanic, fs.ErrNotExist,
}

// Classify maps an error from Extractor.Extract (or from publishing its
// result) to a Class. Unknown errors are transient: retrying something that
// was not the document's fault is cheap, while calling a good document bad
// would lose it for good.
func Classify(err error) Class {
	switch {
	case err == nil:
		return ClassTransient
	case errors.Is(err, ErrOutOfMemory):
		return ClassOutOfMemory
	case errors.Is(err, ErrPanic):
		return ClassPermanent
	// Timeouts come before the document sentinels because extract wraps a
	// PDF engine timeout in ErrMalformed. A timeout depends on load as much
	// as on the document, and invariant 3 wants results that depend on the
	// inputs only, so it is left to the scheduler's retry budget.
	case errors.Is(err, ErrTimeout), errors.Is(err, pdf.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return ClassTransient
	}
	for _, p := range permanent {
		if errors.Is(err, p) {
			return ClassPermanent
		}
	}
	return ClassTransient
}
