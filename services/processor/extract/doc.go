// Package extract is the transport-free core of document extraction: it turns
// the bytes of one research document (JATS or TEI XML, HTML, Markdown, plain
// text, or PDF through a pluggable text engine) into a Document with title,
// authors, identifiers, abstract, body text with sections, and a structured
// reference list.
//
// The package knows nothing about gRPC, NATS or protobuf so that it can be
// tested and fuzzed in isolation and reused by any caller.
//
// Robustness is part of the contract, because processors run hostile input
// next to other work (design invariants 4 and 5):
//   - inputs above Options.MaxBytes are refused with ErrTooLarge before they
//     are fully buffered;
//   - XML is read with a streaming token loop whose nesting depth is capped
//     (maxDepth), so deep documents fail with ErrMalformed instead of
//     exhausting the stack;
//   - reference lists are capped at MaxReferences entries;
//   - every loop polls the context, so a cancelled assignment stops promptly;
//   - no input makes the package panic (see the Fuzz* targets).
//
// Text is normalised the same way for every format: the PDF engine's U+0002
// dehyphenation marker is removed and the word halves joined, words broken
// with a hyphen across a line break are joined, and the result is NFKC
// normalised, so that fields compare equal across formats.
package extract

import "errors"

// Sentinel errors. Callers test them with errors.Is; the returned errors wrap
// them with detail ("%w: ...").
var (
	// ErrTooLarge: the input exceeds Options.MaxBytes. The message carries the limit.
	ErrTooLarge = errors.New("extract: document too large")
	// ErrUnsupportedFormat: the format could not be recognised (binary or
	// unknown XML), or it is PDF and no Options.PDF engine is configured.
	ErrUnsupportedFormat = errors.New("extract: unsupported format")
	// ErrMalformed: the document is recognised but cannot be parsed (truncated
	// or invalid XML, nesting deeper than maxDepth, PDF engine failure).
	ErrMalformed = errors.New("extract: malformed document")
	// ErrEmpty: the input holds no bytes, or only white space.
	ErrEmpty = errors.New("extract: empty document")
)

// ErrUnsupported is an alias of ErrUnsupportedFormat (same value), kept
// because early callers were told "ErrUnsupported for PDF without engine".
var ErrUnsupported = ErrUnsupportedFormat

const (
	// MaxReferences bounds the work spent on one reference list; entries
	// beyond it are dropped (real papers have at most a few hundred).
	MaxReferences = 5000
	// maxDepth bounds XML element nesting. Real JATS stays under ~30.
	maxDepth = 256
	// maxAuthors bounds the author list of one reference or document.
	maxAuthors = 2000
	// ctxPoll: how many loop iterations between context checks.
	ctxPoll = 256
)
