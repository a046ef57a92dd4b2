// Package pdfsandbox runs docbatch's PDF engine (package pdf) in child
// processes, and is how the processor extracts PDFs by default.
//
// Why a process: PDFium runs as WebAssembly, and wazero can interrupt a
// running call only if it compiles a termination check into every loop,
// which makes PDFium about 3x slower (pdf.Options.NoInterrupt; measured in
// docs/benchmarks.md). A child process gives the same guarantee from the
// outside at no cost to the code running: the child runs PDFium without
// the checks, reports progress after every page, and the parent kills it
// when a step overruns its timeout or the caller gives up. Anything that
// escapes Go's recover (a runtime fatal error, an out-of-memory kill) also
// ends only the child; the document fails with pdf.ErrAborted and the next
// one gets a fresh child.
//
// It also measures. A child resets its peak resident set size before a
// document and reads it after, so that document's real peak memory is known
// (pdf.Meter) and the scheduler can learn reservations from it, which no
// in-process engine can offer: there, every document shares one heap. A
// child measures a sample of its documents (Options.MeasureEvery).
//
// A child is the running executable itself, started again with an
// environment variable this package's init recognises (see child.go). It
// compiles PDFium once, or loads it from wazero's compilation cache on disk,
// then serves documents one at a time until its parent closes the pipe.
package pdfsandbox

import (
	"bufio"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/docbatch/docbatch/services/processor/pdf"
)

// DefaultStartTimeout bounds a child's start: a cold compilation of PDFium
// takes seconds (4–7 s measured here), a warm cache well under one.
const DefaultStartTimeout = 3 * time.Minute

// DefaultMeasureEvery is Options.MeasureEvery's default: as often as a
// child renews its PDFium instance anyway (pdf.DefaultReuseDocuments), so
// sampling costs nothing extra.
const DefaultMeasureEvery = pdf.DefaultReuseDocuments

// Options configure a Sandbox. The zero value is usable.
type Options struct {
	// Engine configures the engine in each child. Workers is the number of
	// children, i.e. how many documents are extracted in parallel (default
	// 1); PageTimeout bounds each step (opening, each page) and is enforced
	// by killing the child (default pdf.DefaultPageTimeout, negative
	// disables it); MaxPages, MaxMemoryBytes and CompilationCacheDir are
	// passed down. NoInterrupt and OnStep are the sandbox's own business
	// and ignored.
	Engine pdf.Options
	// StartTimeout bounds starting one child (default DefaultStartTimeout).
	StartTimeout time.Duration
	// MeasureEvery: each child measures the peak memory of its first
	// document and of every MeasureEvery-th after it (default
	// DefaultMeasureEvery; 1 measures all). A measured document must start
	// on a fresh PDFium instance (a reused one's grown memory would hide
	// part of its peak) after the child returned its free memory to the
	// OS, and pays for both by paging its memory in: with a sample every
	// 8th document that cost 7% of the throughput (measured on the PMC
	// PDFs). So a child renews its instance every MeasureEvery documents
	// (pdf.Options.ReuseDocuments) and measures the document that starts
	// on the new one; the scheduler's cost model needs a sample per format
	// and size band, not every document.
	MeasureEvery int
	// Executable is the program started as a child; it must import this
	// package. Default: the running executable (on Linux /proc/self/exe,
	// which still names the same binary after an upgrade replaced or
	// deleted the file, so parent and child always speak one protocol).
	Executable string
}

// Sandbox extracts PDF page texts in a pool of child processes. It is safe
// for concurrent use and starts no child before the first document, so a
// processor that never sees a PDF never pays PDFium's start-up.
type Sandbox struct {
	opts    Options
	cfgJSON string
	slots   chan struct{} // one token per child that may exist

	// startMu serialises starts: on a cold compilation cache the first
	// child compiles and fills it, and the next loads from it, instead of
	// both compiling at once.
	startMu sync.Mutex

	mu     sync.Mutex
	idle   []*child
	live   map[*child]struct{}
	closed bool
	stats  Stats
}

// Stats count what the sandbox did, for logs and benchmarks.
type Stats struct {
	Started   int // children started
	Killed    int // children killed for a timeout or a cancelled caller
	Died      int // children that exited on their own mid-document
	Documents int // documents answered by a child (including document errors)
	// PeakChildRSS is the largest resident size any child reached, at its
	// start or during a document (0 where it cannot be measured). With
	// Workers children, Workers × PeakChildRSS bounds their memory.
	PeakChildRSS uint64
}

// New returns a Sandbox. It checks the options but starts nothing.
func New(opts Options) (*Sandbox, error) {
	if opts.Engine.Workers <= 0 {
		opts.Engine.Workers = pdf.DefaultWorkers
	}
	if opts.Engine.PageTimeout == 0 {
		opts.Engine.PageTimeout = pdf.DefaultPageTimeout
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	if opts.MeasureEvery <= 0 {
		opts.MeasureEvery = DefaultMeasureEvery
	}
	if opts.Executable == "" {
		exe, err := selfExecutable()
		if err != nil {
			return nil, fmt.Errorf("pdf sandbox: locating own executable: %w", err)
		}
		opts.Executable = exe
	}
	cfg, err := json.Marshal(childConfig{
		MaxPages:            opts.Engine.MaxPages,
		MaxMemoryBytes:      opts.Engine.MaxMemoryBytes,
		CompilationCacheDir: opts.Engine.CompilationCacheDir,
		MeasureEvery:        opts.MeasureEvery,
	})
	if err != nil {
		return nil, err
	}
	return &Sandbox{
		opts:    opts,
		cfgJSON: string(cfg),
		slots:   make(chan struct{}, opts.Engine.Workers),
		live:    map[*child]struct{}{},
	}, nil
}

// PageTexts returns the text of every page, as pdf.Engine.PageTexts does,
// with the same errors, plus pdf.ErrAborted when the child dies and
// pdf.ErrTimeout when a step overruns. The document's measured peak memory
// goes to the pdf.Meter in ctx, if any.
func (s *Sandbox) PageTexts(ctx context.Context, data []byte) ([]string, error) {
	pages, _, err := s.run(ctx, bytesDocument(data), false)
	return pages, err
}

// PageTextsHeader is PageTexts plus the header signals, as
// pdf.Engine.PageTextsHeader.
func (s *Sandbox) PageTextsHeader(ctx context.Context, data []byte) ([]string, pdf.Header, error) {
	return s.run(ctx, bytesDocument(data), true)
}

// PageTextsTitles is PageTextsHeader flattened to strings, the shape the
// extract package's optional PDFHeaderSource interface wants.
func (s *Sandbox) PageTextsTitles(ctx context.Context, data []byte) ([]string, string, string, error) {
	pages, h, err := s.PageTextsHeader(ctx, data)
	return pages, h.LargestRun, h.MetaTitle, err
}

// PageTextsTitlesFrom is PageTextsTitles for a document read from r, size
// bytes, which go straight to the child: the caller never holds the file
// (extract.PDFStreamSource). r is not read after the call returns; one that
// ends before size bytes fails the call (the child, left waiting for the
// rest, is replaced).
func (s *Sandbox) PageTextsTitlesFrom(ctx context.Context, r io.Reader, size int64) ([]string, string, string, error) {
	pages, h, err := s.run(ctx, document{r: r, size: size}, true)
	return pages, h.LargestRun, h.MetaTitle, err
}

// document is what a child is sent: data, or size bytes of r.
type document struct {
	data []byte
	r    io.Reader
	size int64
}

func bytesDocument(data []byte) document { return document{data: data, size: int64(len(data))} }

// writeTo writes the document to w.
func (d document) writeTo(w *bufio.Writer) error {
	if d.r == nil {
		_, err := w.Write(d.data)
		return err
	}
	n, err := io.Copy(w, io.LimitReader(d.r, d.size))
	if err == nil && n < d.size {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return &inputError{fmt.Errorf("read %d of %d bytes of the document: %w", n, d.size, err)}
	}
	return nil
}

// inputError is a failure to read the caller's document while sending it:
// the input's fault, not the child's.
type inputError struct{ err error }

func (e *inputError) Error() string { return e.err.Error() }
func (e *inputError) Unwrap() error { return e.err }

// Stats returns the counters so far.
func (s *Sandbox) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// PIDs lists the children alive now, for whoever measures the memory of
// the whole processor (its children included).
func (s *Sandbox) PIDs() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	pids := make([]int, 0, len(s.live))
	for c := range s.live {
		pids = append(pids, c.cmd.Process.Pid)
	}
	return pids
}

// Close stops every child: idle ones at once (they exit when their request
// pipe closes), busy ones when their document ends. Later calls fail with
// pdf.ErrClosed. Closing twice is a no-op.
func (s *Sandbox) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	idle := s.idle
	s.idle = nil
	s.mu.Unlock()
	for _, c := range idle {
		c.stop()
	}
	return nil
}

func (s *Sandbox) run(ctx context.Context, doc document, withHeader bool) ([]string, pdf.Header, error) {
	if doc.size <= 0 {
		// Not worth a child's time, and the in-process engine says the same.
		return nil, pdf.Header{}, fmt.Errorf("%w: empty input", pdf.ErrMalformed)
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, pdf.Header{}, pdf.ContextError(ctx.Err())
	}
	defer func() { <-s.slots }()

	c, err := s.get(ctx)
	if err != nil {
		return nil, pdf.Header{}, err
	}
	pages, r, err, healthy := c.do(ctx, request{Size: int(doc.size), WithHeader: withHeader}, doc, s.opts.Engine.PageTimeout)
	s.mu.Lock()
	s.stats.PeakChildRSS = max(s.stats.PeakChildRSS, r.HighWater)
	switch {
	case healthy:
		s.stats.Documents++
	case c.exited():
		s.stats.Died++
	default:
		s.stats.Killed++
	}
	s.mu.Unlock()
	if healthy {
		s.put(c)
	} else {
		c.kill()
		s.forget(c)
	}
	if r.PeakBytes > 0 {
		pdf.RecordPeak(ctx, r.PeakBytes)
	}
	if err != nil {
		return nil, pdf.Header{}, err
	}
	return pdf.ResolveSoftHyphens(pages), r.Header, nil
}

// get returns an idle child or starts one. The caller holds a slot, so
// there is room for it.
func (s *Sandbox) get(ctx context.Context) (*child, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, pdf.ErrClosed
	}
	if n := len(s.idle); n > 0 {
		c := s.idle[n-1]
		s.idle = s.idle[:n-1]
		s.mu.Unlock()
		return c, nil
	}
	s.mu.Unlock()

	s.startMu.Lock()
	defer s.startMu.Unlock()
	c, highWater, err := start(ctx, s.opts.Executable, s.cfgJSON, s.opts.StartTimeout)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Started++
	s.stats.PeakChildRSS = max(s.stats.PeakChildRSS, highWater)
	if s.closed {
		c.stop()
		return nil, pdf.ErrClosed
	}
	s.live[c] = struct{}{}
	return c, nil
}

func (s *Sandbox) put(c *child) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		delete(s.live, c)
		c.stop()
		return
	}
	s.idle = append(s.idle, c)
}

func (s *Sandbox) forget(c *child) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.live, c)
}

// child is one running child process.
type child struct {
	cmd    *exec.Cmd
	reqW   *os.File
	bw     *bufio.Writer
	enc    *gob.Encoder
	msgs   chan reply    // replies, closed when the reply pipe ends
	quit   chan struct{} // closed when the parent is done with the child
	once   sync.Once
	done   chan struct{} // closed when the process has been waited for
	err    error         // the process's exit status, set before done closes
	stderr *tail
	// writing is the outcome of a request still being written when do
	// gave up on the child, nil otherwise; kill waits for it, so that
	// once a call returns nothing reads the caller's document any more.
	writing chan error
}

// start starts a child and waits until its engine is ready; highWater is
// the child's peak resident size so far.
func start(ctx context.Context, exe, cfgJSON string, timeout time.Duration) (_ *child, highWater uint64, err error) {
	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, 0, fmt.Errorf("pdf sandbox: %w", err)
	}
	repR, repW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, 0, fmt.Errorf("pdf sandbox: %w", err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"="+cfgJSON)
	cmd.ExtraFiles = []*os.File{reqR, repW} // fds 3 and 4
	cmd.Stdout = nil                        // /dev/null
	c := &child{cmd: cmd, reqW: reqW, msgs: make(chan reply), quit: make(chan struct{}), done: make(chan struct{}), stderr: &tail{max: 4 << 10}}
	cmd.Stderr = c.stderr
	cmd.SysProcAttr = sysProcAttr()
	err = startProcess(cmd)
	// The child has its own copies; ours would keep the pipes open after
	// it dies and hide its death.
	reqR.Close()
	repW.Close()
	if err != nil {
		reqW.Close()
		repR.Close()
		return nil, 0, fmt.Errorf("pdf sandbox: starting %s: %w", exe, err)
	}
	c.bw = bufio.NewWriterSize(reqW, 64<<10)
	c.enc = gob.NewEncoder(c.bw)
	go func() {
		defer close(c.msgs)
		defer repR.Close()
		dec := gob.NewDecoder(bufio.NewReader(repR))
		for {
			var r reply
			if dec.Decode(&r) != nil {
				return
			}
			select {
			case c.msgs <- r:
			case <-c.quit:
				return
			}
		}
	}()
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r, ok := <-c.msgs:
		if !ok {
			c.kill()
			return nil, 0, fmt.Errorf("pdf sandbox: child exited while starting: %s", c.exitDetail())
		}
		if r.Err != nil {
			c.kill()
			return nil, 0, fmt.Errorf("pdf sandbox: child could not start PDFium: %w", r.Err.err())
		}
		return c, r.HighWater, nil
	case <-timer.C:
		c.kill()
		return nil, 0, fmt.Errorf("pdf sandbox: child not ready after %s", timeout)
	case <-ctx.Done():
		c.kill()
		return nil, 0, pdf.ContextError(ctx.Err())
	}
}

// do sends one document and waits for its pages and result. healthy says
// whether the child can take another document; when it is false the child
// has died or must be killed.
func (c *child) do(ctx context.Context, req request, doc document, stepTimeout time.Duration) (pages []string, r reply, err error, healthy bool) {
	// Written on its own goroutine: a large document fills the pipe, and a
	// child that dies meanwhile must not leave the caller blocked writing.
	wrote := make(chan error, 1)
	defer func() { c.writing = wrote }() // nil once received
	go func() {
		err := c.enc.Encode(&req)
		if err == nil {
			// bufio writes data straight to the pipe once the header
			// has been flushed, without copying it into its buffer.
			err = c.bw.Flush()
		}
		if err == nil {
			err = doc.writeTo(c.bw)
		}
		if err == nil {
			err = c.bw.Flush()
		}
		wrote <- err
	}()

	var timeout <-chan time.Time
	var timer *time.Timer
	if stepTimeout > 0 {
		timer = time.NewTimer(stepTimeout)
		defer timer.Stop()
		timeout = timer.C
	}
	steps := 0
	for {
		select {
		case werr := <-wrote:
			wrote = nil
			var ierr *inputError
			if errors.As(werr, &ierr) {
				// The child waits for bytes that will not come.
				return nil, reply{}, fmt.Errorf("pdf sandbox: %w", ierr.err), false
			}
			if werr != nil {
				return nil, reply{}, fmt.Errorf("%w: sandbox child stopped reading: %v; %s", pdf.ErrAborted, werr, c.exitDetail()), false
			}
		case m, ok := <-c.msgs:
			if !ok {
				return nil, reply{}, fmt.Errorf("%w: sandbox child died %s: %s", pdf.ErrAborted, stepName(steps), c.exitDetail()), false
			}
			if m.IsPage || m.Progress {
				// A page is a step's end too (the child sends no Progress
				// for it: one pipe write per page, not two).
				if m.IsPage {
					pages = append(pages, m.Page)
				}
				steps++
				if timer != nil {
					timer.Reset(stepTimeout)
				}
				continue
			}
			if wrote != nil {
				// The child answers only after reading the whole request,
				// but the writing goroutine may not have returned from
				// Flush yet; the next request must not touch the buffered
				// writer before it has (bufio is not safe for concurrent
				// use, and a race here corrupts the stream).
				werr := <-wrote
				wrote = nil
				if werr != nil {
					return pages, m, m.Err.err(), false
				}
			}
			return pages, m, m.Err.err(), true
		case <-timeout:
			return nil, reply{}, fmt.Errorf("%w: %s took longer than %v; sandbox child killed", pdf.ErrTimeout, stepName(steps), stepTimeout), false
		case <-ctx.Done():
			return nil, reply{}, pdf.ContextError(ctx.Err()), false
		}
	}
}

// stepName names the step after steps finished ones: opening, counting
// pages and (with the header) the metadata come first, then the pages; it
// is a description for an error message, so "step N" is precise enough.
func stepName(steps int) string {
	return "during step " + strconv.Itoa(steps+1)
}

// exited reports whether the process has ended (without waiting).
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// exitDetail describes how the child ended, with the end of its stderr;
// it waits briefly for the exit status, which follows the pipe's end.
func (c *child) exitDetail() string {
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
		return "child still running"
	}
	msg := "exit status 0"
	if c.err != nil {
		msg = c.err.Error()
	}
	if t := c.stderr.String(); t != "" {
		msg += "; stderr: " + t
	}
	return msg
}

// kill ends the process at once and reaps it.
func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	c.release()
	<-c.done
	if c.writing != nil {
		// The pipe's reader is gone and its writer closed: the write
		// has failed or is failing now.
		<-c.writing
		c.writing = nil
	}
}

// release closes the parent's ends: the request pipe, and the reply
// reader, which may be holding a reply no one will read.
func (c *child) release() {
	c.once.Do(func() {
		close(c.quit)
		c.reqW.Close()
	})
}

// stop closes the request pipe, which makes an idle child exit by itself.
func (c *child) stop() {
	c.release()
	go func() {
		select {
		case <-c.done:
		case <-time.After(5 * time.Second):
			_ = c.cmd.Process.Kill()
		}
	}()
}

// tail keeps the last max bytes written to it: the end of a child's
// stderr, where a Go runtime crash leaves its reason.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}
