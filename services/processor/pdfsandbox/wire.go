package pdfsandbox

import (
	"errors"

	"github.com/docbatch/docbatch/services/processor/pdf"
)

// The parent and a child speak encoding/gob over two pipes: requests on the
// child's fd 3, replies on its fd 4. Stdout and stderr stay out of the
// protocol, so nothing PDFium or the Go runtime prints can corrupt it.
//
// A request is a gob-encoded request followed by Size raw bytes of the
// document. The document stays out of gob so that neither side copies it
// into an encoding buffer and the child can read it into a buffer it
// reuses: those copies, and the page faults on a fresh buffer per document,
// were a measurable share of a child's time.

// request asks the child to extract one document of Size bytes, which
// follow it on the pipe.
type request struct {
	Size       int
	WithHeader bool
}

// reuseBufferBytes is the largest document buffer a child keeps for the
// next document; a larger document gets a buffer of its own, so one huge
// file does not pin its size in the child for good.
const reuseBufferBytes = 8 << 20

// reply is one message from the child: exactly one of Ready (sent once,
// after the engine started), Progress (after every step of a document
// that yields no page), a page's text (IsPage, in page order; it marks
// its step's end too) or a document's final result.
type reply struct {
	Ready    bool
	Progress bool

	// Page is one page's text, with PDFium's in-line soft-hyphen marks
	// still in it (see pdf.Engine.EachPage); the parent collects the pages
	// and resolves them.
	Page   string
	IsPage bool

	Header pdf.Header
	Err    *wireError
	// PeakBytes is how far the child's resident memory rose above where it
	// stood before the document (0 when the platform cannot tell).
	PeakBytes uint64
	// HighWater is the child's peak resident size (VmHWM) during the
	// document, or, with Ready, during its start. The child resets VmHWM
	// before each document to measure PeakBytes, so its lifetime peak is
	// only known as the largest of these.
	HighWater uint64
}

// wireError carries an error across the pipe with the sentinel it wraps,
// so errors.Is works in the parent as it would in-process.
type wireError struct {
	Sentinel int // index into sentinels, -1 for none
	Msg      string
}

// sentinels are the pdf package's errors a child can report. Their order is
// the protocol: append only.
var sentinels = []error{
	pdf.ErrEncrypted, pdf.ErrMalformed, pdf.ErrTooManyPages, pdf.ErrTimeout,
	pdf.ErrAborted, pdf.ErrBomb, pdf.ErrClosed,
}

func toWire(err error) *wireError {
	if err == nil {
		return nil
	}
	w := &wireError{Sentinel: -1, Msg: err.Error()}
	for i, s := range sentinels {
		if errors.Is(err, s) {
			w.Sentinel = i
			break
		}
	}
	return w
}

func (w *wireError) err() error {
	if w == nil {
		return nil
	}
	var s error
	if w.Sentinel >= 0 && w.Sentinel < len(sentinels) {
		s = sentinels[w.Sentinel]
	}
	return &childError{msg: w.Msg, sentinel: s}
}

// childError is an error the child returned: its text as the child wrote
// it, wrapping the same sentinel.
type childError struct {
	msg      string
	sentinel error
}

func (e *childError) Error() string { return e.msg }
func (e *childError) Unwrap() error { return e.sentinel }
