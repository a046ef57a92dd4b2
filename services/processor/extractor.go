package processor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/docbatch/docbatch/services/processor/extract"
	"github.com/docbatch/docbatch/services/processor/pdf"
)

// Defaults for the zero values of ExtractorOptions.
const (
	DefaultMaxDocumentBytes = 256 << 20
	DefaultDocumentTimeout  = 2 * time.Minute
)

// ExtractorOptions configure an Extractor.
type ExtractorOptions struct {
	// Roots are the directories documents may be read from. An assignment
	// names one of them exactly (after filepath.Clean and Abs).
	Roots []string
	// MaxDocumentBytes refuses larger files before reading them. Default
	// 256 MiB.
	MaxDocumentBytes int64
	// Timeout bounds one document. Default 2 minutes.
	Timeout time.Duration
	// PDF extracts page texts; nil makes PDFs fail as unsupported.
	PDF extract.PDFTextSource
}

// Extractor opens and extracts documents. It is safe for concurrent use.
type Extractor struct {
	roots    map[string]*os.Root
	maxBytes int64
	timeout  time.Duration
	pdf      extract.PDFTextSource
	// bufs lends read buffers to extract.Extract, which asks for one only
	// when it reads a document whole.
	bufs readBuffers
}

// readBuffers is a pool of read buffers of at most pooledReadBytes for the
// next documents. A fresh buffer per document cost more than reading into
// it: the runtime zeroes it, and the pages it returned to the system
// after the last document fault in again.
type readBuffers struct{ pool sync.Pool }

// pooledReadBytes is the largest read buffer kept for reuse; larger
// documents are read into buffers of their own.
const pooledReadBytes = 8 << 20

func (b *readBuffers) Get(n int) []byte {
	if n > pooledReadBytes {
		return nil // bytes.Buffer allocates one of its own
	}
	if p, ok := b.pool.Get().(*[]byte); ok && cap(*p) >= n {
		return (*p)[:0]
	}
	// A small pooled buffer that was too small is dropped: the new one
	// replaces it. At least 1 MiB, so small documents share a few buffers.
	return make([]byte, 0, max(n, 1<<20))
}

func (b *readBuffers) Put(buf []byte) {
	if cap(buf) == 0 || cap(buf) > pooledReadBytes {
		return
	}
	buf = buf[:0]
	b.pool.Put(&buf)
}

// Result is one extracted document.
type Result struct {
	Doc      *extract.Document
	Size     int64
	Duration time.Duration
	// PeakMemory is the measured peak memory of the document, 0 when it
	// could not be measured. Only a PDF engine that runs out of process
	// (pdfsandbox) measures one: the child's peak resident growth for the
	// document (the processor streams the file to it without buffering).
	// Formats parsed in-process share the processor's heap with every
	// other document, and the Go runtime cannot attribute allocations to a
	// goroutine, so they report 0 rather than teach the scheduler a guess.
	PeakMemory uint64
}

// NewExtractor opens every root with os.OpenRoot, so that later opens cannot
// leave it whatever the path or symlinks say.
func NewExtractor(o ExtractorOptions) (*Extractor, error) {
	e := &Extractor{roots: map[string]*os.Root{}, maxBytes: o.MaxDocumentBytes, timeout: o.Timeout, pdf: o.PDF}
	if e.maxBytes <= 0 {
		e.maxBytes = DefaultMaxDocumentBytes
	}
	if e.timeout <= 0 {
		e.timeout = DefaultDocumentTimeout
	}
	for _, dir := range o.Roots {
		key, err := rootKey(dir)
		if err != nil {
			e.Close()
			return nil, err
		}
		if _, dup := e.roots[key]; dup {
			continue
		}
		r, err := os.OpenRoot(key)
		if err != nil {
			e.Close()
			return nil, fmt.Errorf("opening root %q: %w", dir, err)
		}
		e.roots[key] = r
	}
	return e, nil
}

// Close releases the roots.
func (e *Extractor) Close() error {
	var errs []error
	for _, r := range e.roots {
		errs = append(errs, r.Close())
	}
	return errors.Join(errs...)
}

func rootKey(dir string) (string, error) {
	if dir == "" {
		return "", fmt.Errorf("%w: empty root", ErrNotAllowed)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("resolving root %q: %w", dir, err)
	}
	return abs, nil
}

// EstimatePeak is the memory a document of size bytes is expected to need:
// the file buffered whole, the text and its normalised copies, plus a fixed
// allowance for parser state. It is a planning figure, not a measurement.
func EstimatePeak(size int64) uint64 {
	if size < 0 {
		size = 0
	}
	return uint64(size)*6 + 4<<20
}

// Extract reads root/slashPath and extracts it. reservation is the memory
// reserved for the document (0 if unknown); a file that could not even be
// buffered within it fails with ErrOutOfMemory, so the scheduler retries
// with a larger reservation instead of the processor exceeding its budget.
func (e *Extractor) Extract(ctx context.Context, root, slashPath string, reservation uint64) (*Result, error) {
	start := time.Now()
	ctx, cancel := context.WithTimeoutCause(ctx, e.timeout, fmt.Errorf("%w after %s", ErrTimeout, e.timeout))
	defer cancel()

	f, size, err := e.open(root, slashPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > e.maxBytes {
		return nil, fmt.Errorf("%w: %s is %d bytes, the limit is %d", extract.ErrTooLarge, slashPath, size, e.maxBytes)
	}
	if reservation > 0 && uint64(size) > reservation {
		return nil, fmt.Errorf("%w: %s is %d bytes, %d reserved", ErrOutOfMemory, slashPath, size, reservation)
	}
	var meter pdf.Meter
	doc, err := e.extract(pdf.WithMeter(ctx, &meter), ctxReader{ctx, f}, path.Base(slashPath), size)
	if err != nil {
		if cause := context.Cause(ctx); cause != nil && errors.Is(cause, ErrTimeout) {
			return nil, fmt.Errorf("%s: %w (%w)", slashPath, cause, err)
		}
		return nil, fmt.Errorf("%s: %w", slashPath, err)
	}
	// The sandbox read the PDF from the file itself (extract streams it),
	// so its measured peak is all the memory the document took outside the
	// processor's shared heap.
	return &Result{Doc: doc, Size: size, Duration: time.Since(start), PeakMemory: meter.Peak()}, nil
}

// extract contains panics: one bad document must not take down the
// processor and the other documents running beside it (invariant 5).
func (e *Extractor) extract(ctx context.Context, r io.Reader, name string, size int64) (doc *extract.Document, err error) {
	defer func() {
		if p := recover(); p != nil {
			doc, err = nil, &PanicError{Value: p, Stack: debug.Stack()}
		}
	}()
	return extract.Extract(ctx, r, name, extract.Options{MaxBytes: e.maxBytes, PDF: e.pdf, Size: size, Buffers: &e.bufs})
}

// open validates the path lexically (so the error says exactly what is
// wrong) and then opens it through os.Root, which also refuses symlinks
// that lead out of the root.
func (e *Extractor) open(root, slashPath string) (*os.File, int64, error) {
	if err := checkPath(slashPath); err != nil {
		return nil, 0, err
	}
	key, err := rootKey(root)
	if err != nil {
		return nil, 0, err
	}
	r, ok := e.roots[key]
	if !ok {
		return nil, 0, fmt.Errorf("%w: root %q is not one of the configured roots", ErrNotAllowed, root)
	}
	// O_NONBLOCK: opening a FIFO for reading blocks until a writer
	// appears, before Stat could refuse it. Regular files ignore the flag.
	f, err := r.OpenFile(filepath.FromSlash(slashPath), os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, openError(root, slashPath, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("stat %s under %s: %w", slashPath, root, err)
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%w: %s under %s is a %s", ErrNotRegular, slashPath, root, st.Mode().Type())
	}
	return f, st.Size(), nil
}

func checkPath(p string) error {
	switch {
	case p == "":
		return fmt.Errorf("%w: empty path", ErrNotAllowed)
	case strings.ContainsRune(p, 0):
		return fmt.Errorf("%w: path %q contains NUL", ErrNotAllowed, p)
	case path.IsAbs(p) || filepath.IsAbs(p) || filepath.VolumeName(p) != "":
		return fmt.Errorf("%w: path %q is absolute; paths are relative to their root", ErrNotAllowed, p)
	case strings.ContainsRune(p, '\\'):
		return fmt.Errorf("%w: path %q contains a backslash; paths use slashes", ErrNotAllowed, p)
	}
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return fmt.Errorf("%w: path %q climbs out with \"..\"", ErrNotAllowed, p)
		}
	}
	return nil
}

// openError sorts os.Root's errors. The lexical checks have passed, so an
// error that is not a system errno is os.Root refusing a symlink that
// escapes the root; the errno cases are told apart because a missing file is
// final while, say, too many open files is not.
func openError(root, p string, err error) error {
	var errno syscall.Errno
	switch {
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%w: %s under %s: %w", ErrNotFound, p, root, err)
	case errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.ELOOP), !errors.As(err, &errno):
		return fmt.Errorf("%w: %s under %s: %w", ErrNotAllowed, p, root, err)
	default:
		return fmt.Errorf("opening %s under %s: %w", p, root, err)
	}
}

// ctxReader makes file reads notice cancellation: local file I/O ignores
// contexts, and a 256 MiB read on a slow volume should stop on Cancel.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// PanicError is a panic contained by Extract. Its message is short enough
// for a result or a report; Stack is for the log.
type PanicError struct {
	Value any
	Stack []byte
}

func (p *PanicError) Error() string { return fmt.Sprintf("%v: %v", ErrPanic, p.Value) }

// Unwrap makes errors.Is(err, ErrPanic) hold.
func (p *PanicError) Unwrap() error { return ErrPanic }
