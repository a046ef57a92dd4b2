package pdf

import (
	"context"
	"sync"
)

// LazyEngine starts an Engine on first use, so a processor that never sees a
// PDF never pays PDFium's start-up time and memory. It is safe for
// concurrent use.
type LazyEngine struct {
	opts Options

	mu     sync.Mutex
	ready  chan struct{} // closed when the start attempt has finished; nil before it begins
	eng    *Engine
	err    error
	closed bool
}

// Lazy returns a LazyEngine that will call New(opts) when first needed.
func Lazy(opts Options) *LazyEngine {
	return &LazyEngine{opts: opts}
}

// PageTexts starts the engine if needed, then behaves like Engine.PageTexts.
// The start runs on its own goroutine: a caller whose ctx ends while waiting
// gets ctx's error, and the start goes on for the next caller instead of
// being thrown away after seconds of compilation.
func (l *LazyEngine) PageTexts(ctx context.Context, data []byte) ([]string, error) {
	eng, err := l.engine(ctx)
	if err != nil {
		return nil, err
	}
	return eng.PageTexts(ctx, data)
}

// PageTextsHeader starts the engine if needed, then behaves like
// Engine.PageTextsHeader.
func (l *LazyEngine) PageTextsHeader(ctx context.Context, data []byte) ([]string, Header, error) {
	eng, err := l.engine(ctx)
	if err != nil {
		return nil, Header{}, err
	}
	return eng.PageTextsHeader(ctx, data)
}

func (l *LazyEngine) engine(ctx context.Context) (*Engine, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, ErrClosed
	}
	if l.ready == nil {
		l.ready = make(chan struct{})
		go l.start(context.WithoutCancel(ctx))
	}
	ready := l.ready
	l.mu.Unlock()

	select {
	case <-ready:
	case <-ctx.Done():
		return nil, ContextError(ctx.Err())
	}
	// Safe without the lock: eng and err are written before ready closes.
	// A start failure is kept and returned to every caller: the causes
	// (a broken module, no memory) do not heal by retrying a multi-second
	// compilation per document.
	return l.eng, l.err
}

func (l *LazyEngine) start(ctx context.Context) {
	eng, err := New(ctx, l.opts)
	l.eng, l.err = eng, err
	close(l.ready)
}

// Close waits for a start in progress, then closes the engine if there is
// one. Later PageTexts calls return ErrClosed.
func (l *LazyEngine) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	ready := l.ready
	l.mu.Unlock()
	if ready == nil {
		return nil
	}
	<-ready
	if l.eng == nil {
		return nil
	}
	return l.eng.Close()
}

// PageTextsTitles starts the engine if needed, then behaves like
// Engine.PageTextsTitles.
func (l *LazyEngine) PageTextsTitles(ctx context.Context, data []byte) (pages []string, largestRun, metaTitle string, err error) {
	pages, h, err := l.PageTextsHeader(ctx, data)
	return pages, h.LargestRun, h.MetaTitle, err
}
