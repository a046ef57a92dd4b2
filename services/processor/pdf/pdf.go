// Package pdf is docbatch's default PDF text engine: it turns the bytes of a
// PDF into one string of text per page.
//
// It runs PDFium compiled to WebAssembly (go-pdfium's webassembly mode on the
// wazero runtime). That choice is deliberate (see DESIGN.md, "Facts measured
// here"): it is pure Go with permissive licences, it matched poppler's
// pdftotext on real papers, and the WebAssembly sandbox means a hostile PDF
// can at worst trap or hang its own instance, never corrupt or crash the
// process. The price is a slow start (compiling the module takes seconds and
// a few hundred MB), which is why an Engine compiles once per process, keeps
// a pool of instances, and persists the compiled code in a wazero compilation
// cache on disk; and why LazyEngine exists for processes that may never see a
// PDF.
package pdf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/klippa-app/go-pdfium"
	pdfiumerrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// Sentinel errors. PageTexts wraps them with detail, so test with errors.Is.
var (
	// ErrEncrypted: the document needs a password, or uses an encryption
	// PDFium does not support. docbatch never has passwords, so this is final.
	ErrEncrypted = errors.New("pdf: document is encrypted")
	// ErrMalformed: the bytes are not a PDF PDFium can open (empty,
	// truncated, garbage, broken structure).
	ErrMalformed = errors.New("pdf: malformed document")
	// ErrTooManyPages: the document has more pages than Options.MaxPages.
	ErrTooManyPages = errors.New("pdf: too many pages")
	// ErrTimeout: a step took longer than Options.PageTimeout, or the
	// caller's context deadline passed. The instance doing the work was
	// killed and will be replaced.
	ErrTimeout = errors.New("pdf: timed out")
	// ErrClosed: the engine has been closed.
	ErrClosed = errors.New("pdf: engine closed")
	// ErrAborted: PDFium trapped on the document: most often it ran out of
	// memory under Options.MaxMemoryBytes (a decompression bomb), or it
	// crashed. The instance is discarded; the cap is fixed and a document
	// needs far less than it unless it is hostile, so the same document
	// aborts again.
	ErrAborted = errors.New("pdf: PDFium aborted")
)

// Defaults for the zero values of Options.
const (
	DefaultWorkers     = 1
	DefaultMaxPages    = 2000
	DefaultPageTimeout = 30 * time.Second
	// DefaultMaxMemoryBytes caps the linear memory of one instance. Papers
	// need tens of MB; the cap exists so a decompression bomb traps inside its
	// sandbox instead of taking the processor's memory budget (invariant 4).
	DefaultMaxMemoryBytes = 1 << 30
	// DefaultReuseDocuments and DefaultReuseMaxBytes bound how long an
	// instance is reused (Options.ReuseDocuments, Options.ReuseMaxBytes).
	DefaultReuseDocuments = 32
	DefaultReuseMaxBytes  = 4 << 20
)

// Options configure an Engine. The zero value is usable.
type Options struct {
	// Workers is the number of PDFium instances, i.e. how many documents
	// are extracted in parallel; callers beyond that wait. Default 1.
	Workers int
	// CompilationCacheDir is where wazero keeps the compiled module so
	// later process starts skip the multi-second compilation. "" means
	// os.UserCacheDir()/docbatch/wazero. If the directory cannot be used the
	// engine still works, it just compiles from scratch.
	CompilationCacheDir string
	// MaxPages rejects documents with more pages (ErrTooManyPages).
	// Default 2000.
	MaxPages int
	// PageTimeout bounds opening the document and extracting each page; a
	// step that runs longer has its instance killed (ErrTimeout). Default
	// 30s; negative disables it (the caller's context still applies).
	PageTimeout time.Duration
	// MaxMemoryBytes caps each instance's WebAssembly memory. Default 1 GiB,
	// rounded up to 64 KiB pages; the hard ceiling of wasm32 is 4 GiB.
	MaxMemoryBytes int64
	// NoInterrupt trades safety for speed: wazero stops compiling in the
	// checks that let a running call be interrupted, which makes PDFium
	// ~3x faster (measured on 17 PMC papers, one worker: 12.6–15.4 MB/s
	// instead of 4.3 MB/s). The price: a timeout or cancelled ctx is noticed only when
	// the current PDFium call returns (between pages), so a PDF that makes
	// PDFium loop forever holds its worker (and a core) forever. Use it
	// only for trusted input.
	NoInterrupt bool
	// ReuseDocuments is how many documents an instance serves before it is
	// replaced by a fresh one; 1 gives every document a fresh instance.
	// Default DefaultReuseDocuments. Reuse saves instantiating PDFium
	// (allocating and zeroing its initial memory, applying its data
	// segments: about 14 ms, a tenth of the CPU a paper costs); the bound
	// keeps what a long-lived heap accumulates (fragmentation, PDFium's
	// caches) from building up. The price is isolation between documents:
	// PDFium's process-wide caches (fonts, glyphs) outlive a document, for
	// at most ReuseDocuments-1 others. An instance is always discarded
	// after an error other than a document error, and after RetireAfter.
	ReuseDocuments int
	// ReuseMaxBytes: an instance that served a document larger than this is
	// discarded after it, because wasm memory never shrinks: the instance
	// would keep the largest document's memory for as long as it lives.
	// Default DefaultReuseMaxBytes.
	ReuseMaxBytes int64
	// OnStep, when set, is called after every step that finished in time
	// and hands no page to EachPage's fn (opening the document, counting
	// its pages, reading its metadata); a page handed over is its own sign
	// of progress. The process sandbox uses both as a heartbeat: its parent
	// kills a child that stops making progress.
	OnStep func()
}

func (o Options) withDefaults() Options {
	if o.Workers <= 0 {
		o.Workers = DefaultWorkers
	}
	if o.MaxPages <= 0 {
		o.MaxPages = DefaultMaxPages
	}
	if o.PageTimeout == 0 {
		o.PageTimeout = DefaultPageTimeout
	}
	if o.MaxMemoryBytes <= 0 {
		o.MaxMemoryBytes = DefaultMaxMemoryBytes
	}
	if o.ReuseDocuments <= 0 {
		o.ReuseDocuments = DefaultReuseDocuments
	}
	if o.ReuseMaxBytes <= 0 {
		o.ReuseMaxBytes = DefaultReuseMaxBytes
	}
	return o
}

// Engine extracts page texts with a pool of PDFium WebAssembly instances
// sharing one compiled module. It is safe for concurrent use.
type Engine struct {
	opts  Options
	pool  pdfium.Pool
	cache wazero.CompilationCache // nil when no cache could be opened

	// CacheErr records why the compilation cache is not in use, for the
	// caller to log; nil when it is.
	CacheErr error

	mu     sync.RWMutex // guards closed against Close racing PageTexts
	closed bool

	// served counts documents, to retire an instance every
	// Options.ReuseDocuments of them. Instances are anonymous in
	// go-pdfium's pool, so with several workers this retires one instance
	// per ReuseDocuments documents rather than each after exactly that many.
	served atomic.Uint64
}

// Renew discards an idle instance, so that the next extraction starts on
// a fresh one created when it borrows it. With one worker (the sandbox
// child's engine) that is the engine's only instance: the one New
// prepared, which the child drops so that its first document, which it
// measures, pays for its own instance as every later measured one does.
func (e *Engine) Renew(ctx context.Context) error {
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return ErrClosed
	}
	inst, err := e.pool.GetInstanceWithContext(ctx)
	if err != nil {
		return fmt.Errorf("pdf: getting PDFium instance: %w", err)
	}
	// Kill invalidates the worker; the pool creates the next one only
	// when it is borrowed.
	return inst.Kill()
}

type retireKey struct{}

// RetireAfter returns ctx marked so that the instance serving an
// extraction under it is discarded afterwards: the next extraction starts
// on a fresh instance. The process sandbox uses it on the document before
// one whose memory it measures, since a reused instance's grown memory
// would hide part of that document's peak.
func RetireAfter(ctx context.Context) context.Context {
	return context.WithValue(ctx, retireKey{}, true)
}

// New compiles PDFium (or loads it from the compilation cache) and prepares
// the instance pool. It takes seconds on a cold cache; ctx is only checked
// before starting, because the compiled module outlives the call.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("pdf: starting engine: %w", err)
	}
	opts = opts.withDefaults()
	e := &Engine{opts: opts}

	pages := uint32(min((opts.MaxMemoryBytes+65535)/65536, 65536))
	rc := wazero.NewRuntimeConfig().
		// The bundled PDFium lowers setjmp/longjmp to wasm exception
		// handling, so that feature must be on (go-pdfium's default has it).
		WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling).
		// Without this, cancelling an instance's context cannot interrupt
		// a running call, and a PDF that makes PDFium loop would pin a
		// worker forever. It costs: measured here, PDFium runs ~3x slower
		// with the termination checks wazero then compiles in (see
		// Options.NoInterrupt).
		WithCloseOnContextDone(!opts.NoInterrupt).
		WithMemoryLimitPages(pages)

	cache, err := openCache(opts.CompilationCacheDir)
	if err != nil {
		e.CacheErr = err
	} else {
		e.cache = cache
		rc = rc.WithCompilationCache(cache)
	}

	// The pool must outlive this call, so it must not die with ctx.
	poolCtx := context.WithoutCancel(ctx)
	if opts.NoInterrupt {
		// Instances are only closed between calls here, so their memory
		// can be a mapping that Free unmaps (memory_linux.go).
		poolCtx = experimental.WithMemoryAllocator(poolCtx, mmapAllocator())
	}
	pool, err := webassembly.Init(webassembly.Config{
		Context:  poolCtx,
		MinIdle:  1,
		MaxIdle:  opts.Workers,
		MaxTotal: opts.Workers,
		// No directory mounts: documents arrive as bytes, so the sandbox
		// gets no file system at all (go-pdfium's default mounts "/").
		FSConfig:      wazero.NewFSConfig(),
		RuntimeConfig: rc,
		// PDFium's diagnostics about broken files are noise at batch scale
		// and a hostile file could flood the log with them.
		Stdout: io.Discard,
		Stderr: io.Discard,
		// Instances are reused, within the bounds of ReuseDocuments and
		// ReuseMaxBytes (see there); session.release decides.
		ReuseWorkers: true,
	})
	if err != nil {
		if cache != nil {
			_ = cache.Close(context.Background())
		}
		return nil, fmt.Errorf("pdf: starting PDFium: %w", err)
	}
	e.pool = pool
	return e, nil
}

func openCache(dir string) (wazero.CompilationCache, error) {
	if dir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("locating user cache dir: %w", err)
		}
		dir = filepath.Join(base, "docbatch", "wazero")
	}
	// wazero would create it too, but with a less helpful error.
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating compilation cache dir: %w", err)
	}
	cache, err := wazero.NewCompilationCacheWithDir(dir)
	if err != nil {
		return nil, fmt.Errorf("opening compilation cache %s: %w", dir, err)
	}
	return cache, nil
}

// Close releases every instance and the compiled module. PageTexts calls
// still in flight finish first. Closing twice is a no-op.
func (e *Engine) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	err := e.pool.Close()
	if e.cache != nil {
		err = errors.Join(err, e.cache.Close(context.Background()))
	}
	if err != nil {
		return fmt.Errorf("pdf: closing engine: %w", err)
	}
	return nil
}

// PageTexts returns the text of every page, in page order. Line breaks are
// kept as "\n"; words PDFium split at a line-end hyphen are joined again.
//
// Errors wrap ErrEncrypted, ErrMalformed, ErrTooManyPages, ErrBomb,
// ErrAborted, ErrTimeout, ErrClosed or the context's error. Whatever the input, it does not panic and
// does not hang past ctx's deadline or Options.PageTimeout per step (with
// Options.NoInterrupt, only between PDFium calls).
func (e *Engine) PageTexts(ctx context.Context, data []byte) (texts []string, err error) {
	texts, _, err = e.collect(ctx, data, false)
	return texts, err
}

// EachPage extracts as PageTextsHeader (withHeader) or PageTexts do, but
// hands each page's text to fn as soon as it is read, in page order,
// instead of keeping the document's text: a caller that passes pages on (the
// sandbox child, to its parent) then holds one page at a time, not the
// text of a 600-page document twice over. The texts still carry PDFium's
// in-line soft-hyphen marks, which only the whole document can resolve:
// whoever collects the pages passes them to ResolveSoftHyphens. An error
// from fn stops the extraction and is returned; the errors are otherwise
// those of PageTexts.
func (e *Engine) EachPage(ctx context.Context, data []byte, withHeader bool, fn func(text string) error) (Header, error) {
	return e.run(ctx, data, withHeader, fn)
}

// collect is EachPage into a slice, with the soft hyphens resolved.
func (e *Engine) collect(ctx context.Context, data []byte, withHeader bool) ([]string, Header, error) {
	var texts []string
	h, err := e.run(ctx, data, withHeader, func(t string) error {
		texts = append(texts, t)
		return nil
	})
	if err != nil {
		return nil, Header{}, err
	}
	return ResolveSoftHyphens(texts), h, nil
}

// Header is what the layout of a document says about its title.
type Header struct {
	// MetaTitle is the Title entry of the document's Info dictionary, as
	// stored ("" when absent). It is often a file name or junk; judging it is
	// the caller's business.
	MetaTitle string
	// LargestRun is the text set in the largest font on page 1: the first
	// run of at least 3 words in the largest size any such run has (sizes
	// within 0.5 pt count as equal, and include the text matrix), plus the
	// runs of that size directly around it, in reading order, joined with
	// spaces. "" when page 1 has no such run, or when that size is the
	// page's body size (more than half of its characters).
	LargestRun string
	// LargestSize is the font size of LargestRun in points (0 if none).
	LargestSize float64
}

// PageTextsHeader is PageTexts plus the header signals of the document,
// gathered in the same pass (one extra PDFium call per character of page
// 1, and one for the Info title). Errors are those of PageTexts.
func (e *Engine) PageTextsHeader(ctx context.Context, data []byte) ([]string, Header, error) {
	return e.collect(ctx, data, true)
}

func (e *Engine) run(ctx context.Context, data []byte, withHeader bool, fn func(string) error) (h Header, err error) {
	if len(data) == 0 {
		return h, fmt.Errorf("%w: empty input", ErrMalformed)
	}
	// Cheap enough to do here, and it keeps the most common non-PDF input
	// (HTML error pages, zero-filled files) out of PDFium altogether.
	if !looksLikePDF(data) {
		return h, fmt.Errorf("%w: no %%PDF header", ErrMalformed)
	}
	if err := ctx.Err(); err != nil {
		return h, ContextError(err)
	}
	if err := checkBombs(ctx, data, e.opts.bombLimit()); err != nil {
		return h, err
	}

	// A read lock: concurrent extractions share it, Close waits for them.
	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.closed {
		return h, ErrClosed
	}

	inst, err := e.pool.GetInstanceWithContext(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return h, ContextError(ctx.Err())
		}
		return h, fmt.Errorf("pdf: getting PDFium instance: %w", err)
	}
	s := &session{inst: inst, interrupt: !e.opts.NoInterrupt, onStep: e.opts.OnStep}
	retire, _ := ctx.Value(retireKey{}).(bool)
	s.retire = retire || int64(len(data)) > e.opts.ReuseMaxBytes ||
		e.served.Add(1)%uint64(e.opts.ReuseDocuments) == 0
	stop := context.AfterFunc(ctx, func() { s.kill(ContextError(ctx.Err())) })

	defer func() {
		stop()
		if r := recover(); r != nil {
			// Nothing is known about the instance's state any more.
			err = fmt.Errorf("pdf: panic: %v\n%s", r, debug.Stack())
			s.kill(err)
			s.release()
			h = Header{}
			return
		}
		if err != nil && !isDocumentError(err) {
			// A trap or an interrupted call can leave the wasm heap in any
			// state: discard the instance rather than reuse it.
			s.kill(err)
		}
		s.release()
	}()

	h, err = e.extract(s, data, withHeader, fn)
	if err != nil && s.isKilled() {
		// The real cause is why we killed it, not the error the
		// interrupted call happened to return.
		return Header{}, s.reason
	}
	return h, err
}

// extract does the PDFium calls. Each step runs under the page timeout.
func (e *Engine) extract(s *session, data []byte, withHeader bool, fn func(string) error) (Header, error) {
	inst := s.inst
	var h Header

	var doc references.FPDF_DOCUMENT
	err := s.step(e.opts.PageTimeout, "opening document", true, func() error {
		res, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
		if err != nil {
			return openError(err)
		}
		doc = res.Document
		return nil
	})
	if err != nil {
		return h, err
	}
	// Closing the document frees its copy of the file inside the instance.
	defer func() { _, _ = inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc}) }()

	var n int
	err = s.step(e.opts.PageTimeout, "counting pages", true, func() error {
		res, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc})
		if err != nil {
			return err
		}
		n = res.PageCount
		return nil
	})
	if err != nil {
		return h, err
	}
	if n > e.opts.MaxPages {
		return h, fmt.Errorf("%w: %d pages, limit %d", ErrTooManyPages, n, e.opts.MaxPages)
	}

	if withHeader {
		err = s.step(e.opts.PageTimeout, "reading metadata", true, func() error {
			res, err := inst.FPDF_GetMetaText(&requests.FPDF_GetMetaText{Document: doc, Tag: "Title"})
			if err != nil {
				// A missing or unreadable Info dictionary is not an error
				// of the document's text.
				return nil
			}
			h.MetaTitle = strings.TrimSpace(strings.ReplaceAll(res.Value, "\x00", ""))
			return nil
		})
		if err != nil {
			return h, err
		}
	}

	for i := range n {
		if s.isKilled() {
			// Only reachable with NoInterrupt: the deadline passed during
			// the previous step; stop at the page boundary.
			return h, s.reason
		}
		var hp *Header
		if withHeader && i == 0 {
			hp = &h
		}
		var text string
		err := s.step(e.opts.PageTimeout, fmt.Sprintf("page %d", i+1), false, func() error {
			var err error
			text, err = pageText(inst, doc, i, hp)
			return err
		})
		if err != nil {
			return h, err
		}
		if err := fn(text); err != nil {
			return h, err
		}
	}
	return h, nil
}

// pageText uses FPDFText_GetText, one call per page, rather than go-pdfium's
// GetPageText, which makes one wasm call per character. With h non-nil it
// also fills h.LargestRun, at one FPDFText_GetFontSize call per character.
func pageText(inst pdfium.Pdfium, doc references.FPDF_DOCUMENT, index int, h *Header) (string, error) {
	page, err := inst.FPDF_LoadPage(&requests.FPDF_LoadPage{Document: doc, Index: index})
	if err != nil {
		if errors.Is(err, pdfiumerrors.ErrPage) {
			// A page the page count promised but the tree does not hold.
			return "", fmt.Errorf("%w: loading page %d: %v", ErrMalformed, index+1, err)
		}
		return "", fmt.Errorf("loading page: %w", err)
	}
	defer func() { _, _ = inst.FPDF_ClosePage(&requests.FPDF_ClosePage{Page: page.Page}) }()

	tp, err := inst.FPDFText_LoadPage(&requests.FPDFText_LoadPage{Page: requests.Page{ByReference: &page.Page}})
	if err != nil {
		return "", fmt.Errorf("loading text page: %w", err)
	}
	defer func() { _, _ = inst.FPDFText_ClosePage(&requests.FPDFText_ClosePage{TextPage: tp.TextPage}) }()

	cnt, err := inst.FPDFText_CountChars(&requests.FPDFText_CountChars{TextPage: tp.TextPage})
	if err != nil {
		return "", fmt.Errorf("counting characters: %w", err)
	}
	if cnt.Count <= 0 {
		return "", nil
	}
	txt, err := inst.FPDFText_GetText(&requests.FPDFText_GetText{TextPage: tp.TextPage, Count: cnt.Count})
	if err != nil {
		return "", fmt.Errorf("getting text: %w", err)
	}
	if h != nil {
		if err := largestRun(inst, tp.TextPage, cnt.Count, txt.Text, h); err != nil {
			return "", err
		}
	}
	return cleanText(txt.Text), nil
}

// maxHeaderChars bounds the per-character pass over page 1; a title is
// near the top, and a page with more characters than this is not a normal
// first page anyway.
const maxHeaderChars = 20000

// largestRun fills h.LargestRun and h.LargestSize from page text tp, whose
// full text (count characters) is text.
func largestRun(inst pdfium.Pdfium, tp references.FPDF_TEXTPAGE, count int, text string, h *Header) error {
	count = min(count, maxHeaderChars)
	// FPDFText_GetText returns one UTF-16 unit per character index; when
	// the decoded text has exactly that many runes (no surrogate pairs) the
	// runes line up with the indices and no per-character text call is
	// needed.
	runes := []rune(text)
	aligned := len(runes) >= count
	chars := make([]rune, count)
	sizes := make([]float64, count)
	for i := range count {
		if aligned {
			chars[i] = runes[i]
		} else {
			u, err := inst.FPDFText_GetUnicode(&requests.FPDFText_GetUnicode{TextPage: tp, Index: i})
			if err != nil {
				return fmt.Errorf("getting character: %w", err)
			}
			chars[i] = rune(u.Unicode)
		}
		if isRunSeparator(chars[i]) {
			continue // sizes[i] stays 0: no size of its own
		}
		// To keep the cost per word rather than per character, a word
		// takes the size of its first character.
		if i > 0 && !isRunSeparator(chars[i-1]) {
			sizes[i] = sizes[i-1]
			continue
		}
		fs, err := inst.FPDFText_GetFontSize(&requests.FPDFText_GetFontSize{TextPage: tp, Index: i})
		if err != nil {
			return fmt.Errorf("getting font size: %w", err)
		}
		// The size PDFium reports is the one set with Tf; many producers
		// set 1 and scale with the text matrix, so scale it by the
		// character's matrix (which includes the CTM) to get the size on
		// the page.
		size := fs.FontSize
		if size > 0 {
			m, err := inst.FPDFText_GetMatrix(&requests.FPDFText_GetMatrix{TextPage: tp, Index: i})
			if err != nil {
				return fmt.Errorf("getting character matrix: %w", err)
			}
			mm := m.Matrix
			if det := math.Abs(float64(mm.A)*float64(mm.D) - float64(mm.B)*float64(mm.C)); det > 0 {
				size *= math.Sqrt(det)
			}
		}
		sizes[i] = size
	}
	h.LargestRun, h.LargestSize = pickLargestRun(chars, sizes)
	return nil
}

type fontRun struct {
	text  string
	size  float64
	words int
}

// pickLargestRun groups consecutive characters of (almost) the same font
// size into runs, in reading order. Whitespace and PDFium's generated
// characters (line breaks, soft hyphens) never break a run. It returns the
// title candidate described at Header.LargestRun and its size. Runs of
// fewer than 3 words (a drop cap) do not set the size, but are kept when
// they have it and sit next to the chosen run (a title broken by a
// footnote mark).
func pickLargestRun(chars []rune, sizes []float64) (string, float64) {
	const tol = 0.5
	var runs []fontRun
	var cur strings.Builder
	curSize := -1.0
	flush := func() {
		t := cleanText(cur.String())
		t = strings.Join(strings.Fields(t), " ")
		if t != "" {
			runs = append(runs, fontRun{text: t, size: curSize, words: countWords(t)})
		}
		cur.Reset()
	}
	for i, c := range chars {
		if isRunSeparator(c) || sizes[i] <= 0 {
			if curSize >= 0 {
				switch {
				case c == '\x02' || c == '\uFFFE':
					cur.WriteRune('\x02')
				case c == '\n':
					cur.WriteByte('\n')
				case c != 0 && c != '\r':
					cur.WriteByte(' ')
				}
			}
			continue
		}
		if curSize < 0 || abs(sizes[i]-curSize) > tol {
			if curSize >= 0 {
				flush()
			}
			curSize = sizes[i]
		}
		cur.WriteRune(c)
	}
	if curSize >= 0 {
		flush()
	}
	best := 0.0
	for _, r := range runs {
		if r.words >= 3 && r.size > best {
			best = r.size
		}
	}
	if best == 0 {
		return "", 0
	}
	// When that size is also the body size (a page set in one size) it
	// says nothing about the title.
	var atBest, all int
	for _, r := range runs {
		n := utf8.RuneCountInString(r.text)
		all += n
		if abs(r.size-best) <= tol {
			atBest += n
		}
	}
	if atBest*2 > all {
		return "", 0
	}
	// The title is the first run of that size with 3 words, together with
	// the runs of that size right around it: only a few characters of
	// another size (a footnote mark, a superscript) may come between.
	// Text of the same size elsewhere (a journal name in the footer) is
	// not part of it.
	const maxGap = 3
	at := -1
	for i, r := range runs {
		if r.words >= 3 && abs(r.size-best) <= tol {
			at = i
			break
		}
	}
	from, to := at, at
	for i, gap := at-1, 0; i >= 0 && gap <= maxGap; i-- {
		if abs(runs[i].size-best) <= tol {
			from, gap = i, 0
			continue
		}
		gap += utf8.RuneCountInString(strings.ReplaceAll(runs[i].text, " ", ""))
	}
	for i, gap := at+1, 0; i < len(runs) && gap <= maxGap; i++ {
		if abs(runs[i].size-best) <= tol {
			to, gap = i, 0
			continue
		}
		gap += utf8.RuneCountInString(strings.ReplaceAll(runs[i].text, " ", ""))
	}
	var parts []string
	for _, r := range runs[from : to+1] {
		if abs(r.size-best) <= tol {
			parts = append(parts, r.text)
		}
	}
	return strings.Join(parts, " "), best
}

// countWords counts the space-separated tokens that contain a letter.
func countWords(s string) int {
	n := 0
	for _, w := range strings.Fields(s) {
		if strings.IndexFunc(w, unicode.IsLetter) >= 0 {
			n++
		}
	}
	return n
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// cleanText normalises PDFium's output: "\r\n" line breaks become "\n", and
// U+0002 — PDFium's mark for a line-end hyphen it judged to split a word —
// is removed together with the line break after it, so "exam-\nple" comes
// back as "example". When no line break follows (the word goes on in
// another column or on the next page), joining would glue the half-word to
// unrelated text, so the hyphen and a line break are kept instead, as
// pdftotext does. NULs (some fonts map glyphs to U+0000) are dropped.
func cleanText(s string) string {
	if !strings.ContainsAny(s, "\r\x02\x00\uFFFE") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\r':
			b.WriteByte('\n')
			if i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
		case '\x02':
			switch {
			case strings.HasPrefix(s[i+1:], "\r\n"):
				i += 2
			case strings.HasPrefix(s[i+1:], "\n"), strings.HasPrefix(s[i+1:], "\r"):
				i++
			case i+1 == len(s):
				b.WriteByte('-')
			default:
				b.WriteString("-\n")
			}
		case '\x00':
		case softHyphen[0]:
			if !strings.HasPrefix(s[i:], softHyphen) {
				b.WriteByte(c)
				break
			}
			// U+FFFE is PDFium's other soft-hyphen mark. Followed by a line
			// break it joins like U+0002; in the line (PDFium already dropped
			// the break) it is left for ResolveSoftHyphens, which sees the
			// whole document.
			i += len(softHyphen) - 1
			switch {
			case strings.HasPrefix(s[i+1:], "\r\n"):
				i += 2
			case strings.HasPrefix(s[i+1:], "\n"), strings.HasPrefix(s[i+1:], "\r"):
				i++
			default:
				b.WriteString(softHyphen)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

const softHyphen = "\uFFFE"

var softHyphenRe = regexp.MustCompile(`(\p{L}*)\x{FFFE}(\p{L}*)`)

// ResolveSoftHyphens decides what each remaining U+FFFE stands for. PDFium
// puts it where a line ended in a hyphen, and drops the line break, so
// "conserva\uFFFEtion" and "human\uFFFEelephant" look alike. Between a
// word and a lower-case continuation it joins the halves, unless the
// document itself spells the hyphenated form more often than the joined
// one ("human-elephant" elsewhere); anywhere else ("Santos\uFFFEFita", at a
// page end) it becomes "-".
func ResolveSoftHyphens(pages []string) []string {
	has := false
	for _, p := range pages {
		if strings.Contains(p, softHyphen) {
			has = true
			break
		}
	}
	if !has {
		return pages
	}
	var all strings.Builder
	for _, p := range pages {
		all.WriteString(strings.ToLower(p))
		all.WriteByte('\n')
	}
	count := wordCounts(all.String())
	out := make([]string, len(pages))
	for i, p := range pages {
		if !strings.Contains(p, softHyphen) {
			out[i] = p
			continue
		}
		out[i] = softHyphenRe.ReplaceAllStringFunc(p, func(m string) string {
			k := strings.Index(m, softHyphen)
			a, b := m[:k], m[k+len(softHyphen):]
			if a != "" && b != "" && unicode.IsLower(firstRune(b)) {
				la, lb := strings.ToLower(a), strings.ToLower(b)
				if count[la+"-"+lb] <= count[la+lb] {
					return a + b
				}
			}
			return a + "-" + b
		})
	}
	return out
}

// countWord counts the occurrences of w in doc that are whole words.
// wordCounts counts, in one pass, every maximal run of letters in doc and
// every two runs joined by a single hyphen ("self-report"): the two
// spellings ResolveSoftHyphens weighs against each other. (Searching the
// whole document once per hyphenated word, as this did before, was a
// measurable share of a child's time on long papers.)
func wordCounts(doc string) map[string]int {
	counts := map[string]int{}
	prevStart, prevEnd := -1, -1 // the last run of letters
	start := -1                  // the current run, -1 outside one
	endRun := func(end int) {    // the current run ends at end
		counts[doc[start:end]]++
		if prevEnd >= 0 && prevEnd+1 == start && doc[prevEnd] == '-' {
			counts[doc[prevStart:end]]++
		}
		prevStart, prevEnd, start = start, end, -1
	}
	for i, r := range doc {
		switch {
		case unicode.IsLetter(r):
			if start < 0 {
				start = i
			}
		case start >= 0:
			endRun(i)
		}
	}
	if start >= 0 {
		endRun(len(doc))
	}
	return counts
}

func firstRune(s string) rune {
	r, _ := utf8.DecodeRuneInString(s)
	return r
}

func looksLikePDF(data []byte) bool {
	// PDF readers accept the header anywhere in the first 1024 bytes, and
	// real files sometimes carry junk before it.
	head := data[:min(len(data), 1024)]
	return strings.Contains(string(head), "%PDF")
}

// openError maps PDFium's FPDF_GetLastError codes onto our sentinels.
func openError(err error) error {
	switch {
	case errors.Is(err, pdfiumerrors.ErrPassword), errors.Is(err, pdfiumerrors.ErrSecurity):
		return fmt.Errorf("%w: %v", ErrEncrypted, err)
	case errors.Is(err, pdfiumerrors.ErrFormat), errors.Is(err, pdfiumerrors.ErrFile),
		errors.Is(err, pdfiumerrors.ErrPage), errors.Is(err, pdfiumerrors.ErrUnknown):
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return fmt.Errorf("opening document: %w", err)
}

// isDocumentError reports errors that say something about the input, after
// which the instance is still healthy and can be released normally.
func isDocumentError(err error) bool {
	return errors.Is(err, ErrEncrypted) || errors.Is(err, ErrMalformed) || errors.Is(err, ErrTooManyPages)
}

// ContextError is how the engines report a context that ended: a passed
// deadline wraps ErrTimeout (and context.DeadlineExceeded), a cancellation
// the context's error.
func ContextError(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return fmt.Errorf("pdf: %w", err)
}

// session is one borrowed instance and the means to kill it from another
// goroutine (a context or timeout watchdog) while a call is in flight.
type session struct {
	inst      pdfium.Pdfium
	interrupt bool // the runtime can interrupt a running call
	onStep    func()
	retire    bool // discard the instance after this document

	mu       sync.Mutex
	released bool
	killed   bool
	reason   error
}

// step runs fn and kills the instance if it outlives timeout. Killing
// cancels the instance's context, which (WithCloseOnContextDone) makes the
// in-flight wasm call return an error. After a step that finished in time,
// signal calls onStep.
func (s *session) step(timeout time.Duration, what string, signal bool, fn func() error) error {
	if timeout > 0 {
		t := time.AfterFunc(timeout, func() {
			s.kill(fmt.Errorf("%w: %s took longer than %v", ErrTimeout, what, timeout))
		})
		defer t.Stop()
	}
	if err := fn(); err != nil {
		if isDocumentError(err) {
			return err
		}
		if trap, ok := trapMessage(err); ok {
			return fmt.Errorf("%w: %s: %s", ErrAborted, what, trap)
		}
		return fmt.Errorf("pdf: %s: %w", what, err)
	}
	if signal && s.onStep != nil {
		s.onStep()
	}
	return nil
}

// trapMessage finds a WebAssembly trap in err and returns wazero's first
// line of it ("wasm error: unreachable" when PDFium aborts, as it does on
// running out of memory); the wasm stack trace after it helps no one. The
// trap's type is internal to wazero, so its documented text is matched.
func trapMessage(err error) (string, bool) {
	msg := err.Error()
	i := strings.Index(msg, "wasm error: ")
	if i < 0 {
		return "", false
	}
	msg = msg[i:]
	if j := strings.IndexByte(msg, '\n'); j >= 0 {
		msg = msg[:j]
	}
	return msg, true
}

func (s *session) kill(reason error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.released || s.killed {
		return
	}
	s.killed = true
	s.reason = reason
	if s.interrupt {
		// Kill cancels the worker's context, which makes the running call
		// return, and invalidates the worker; the pool instantiates a new
		// one on the next borrow. Its error only says it was already gone.
		_ = s.inst.Kill()
	}
	// Without interruption, closing a module under a running call is not
	// something to rely on; release kills it once the call has returned.
}

func (s *session) isKilled() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.killed
}

// release hands a healthy instance back to the pool, or discards it when it
// is to be retired; after a kill there is nothing to hand back.
func (s *session) release() {
	s.mu.Lock()
	if s.released {
		s.mu.Unlock()
		return
	}
	s.released = true
	killed := s.killed
	s.mu.Unlock()
	if killed {
		if !s.interrupt {
			_ = s.inst.Kill()
		}
		return
	}
	if s.retire {
		// Kill invalidates the worker in the pool, which closes its
		// module; the next borrow instantiates a fresh one.
		_ = s.inst.Kill()
		return
	}
	_ = s.inst.Close()
}

// PageTextsTitles is PageTextsHeader with the header flattened to plain
// strings, so that packages which must not import this one (extract's
// optional PDFHeaderSource interface) can use it.
func (e *Engine) PageTextsTitles(ctx context.Context, data []byte) (pages []string, largestRun, metaTitle string, err error) {
	pages, h, err := e.PageTextsHeader(ctx, data)
	return pages, h.LargestRun, h.MetaTitle, err
}

// isRunSeparator reports characters that carry no font size of their own:
// whitespace (often generated by PDFium), PDFium's soft-hyphen marks, NUL.
func isRunSeparator(c rune) bool {
	return c == 0 || c == '\x02' || c == '\uFFFE' || unicode.IsSpace(c)
}
