package processor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docbatch/docbatch/services/processor/extract"
	"github.com/docbatch/docbatch/services/processor/pdf"
	"github.com/stretchr/testify/require"
)

// pdfSource is a stand-in PDF engine: the real one takes seconds to start
// and is tested in package pdf; here only the core's handling matters.
type pdfSource func(ctx context.Context, data []byte) ([]string, error)

func (f pdfSource) PageTexts(ctx context.Context, data []byte) ([]string, error) { return f(ctx, data) }

func write(t *testing.T, dir, name, body string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
}

func newExtractor(t *testing.T, o ExtractorOptions) *Extractor {
	t.Helper()
	e, err := NewExtractor(o)
	require.NoError(t, err)
	t.Cleanup(func() { e.Close() })
	return e
}

func TestExtractorPaths(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	write(t, root, "papers/a.md", "# A Title\n\nSome body text here.\n")
	write(t, root, "empty.txt", "  \n")
	write(t, outside, "secret.md", "# Secret\n\nnot yours\n")
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.md"), filepath.Join(root, "link.md")))
	require.NoError(t, os.WriteFile(filepath.Join(root, "big.txt"), make([]byte, 2048), 0o644))
	e := newExtractor(t, ExtractorOptions{Roots: []string{root}, MaxDocumentBytes: 1024})

	tests := []struct {
		name, root, path string
		want             error // nil: success
		class            Class
		msg              string
	}{
		{"ok", root, "papers/a.md", nil, 0, ""},
		{"root given unclean", root + "/./", "papers/a.md", nil, 0, ""},
		{"dotdot", root, "../x", ErrNotAllowed, ClassPermanent, `climbs out with ".."`},
		{"inner dotdot", root, "papers/../../x", ErrNotAllowed, ClassPermanent, `".."`},
		{"absolute", root, "/etc/passwd", ErrNotAllowed, ClassPermanent, "is absolute"},
		{"unknown root", outside, "secret.md", ErrNotAllowed, ClassPermanent, "not one of the configured roots"},
		{"empty root", "", "a.md", ErrNotAllowed, ClassPermanent, "empty root"},
		{"backslash", root, `papers\a.md`, ErrNotAllowed, ClassPermanent, "backslash"},
		{"symlink escape", root, "link.md", ErrNotAllowed, ClassPermanent, "link.md"},
		{"missing", root, "papers/missing.md", ErrNotFound, ClassPermanent, "papers/missing.md"},
		{"directory", root, "papers", ErrNotRegular, ClassPermanent, "is a d"},
		{"too large before reading", root, "big.txt", extract.ErrTooLarge, ClassPermanent, "limit is 1024"},
		{"empty", root, "empty.txt", extract.ErrEmpty, ClassPermanent, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := e.Extract(context.Background(), tt.root, tt.path, 0)
			if tt.want == nil {
				require.NoError(t, err)
				require.Equal(t, "A Title", res.Doc.Title)
				require.Equal(t, extract.FormatMarkdown, res.Doc.Format)
				require.Zero(t, res.PeakMemory, "markdown is parsed in-process: no per-document measurement")
				return
			}
			require.ErrorIs(t, err, tt.want)
			require.Equal(t, tt.class, Classify(err))
			require.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestExtractorReservationTooSmall(t *testing.T) {
	root := t.TempDir()
	write(t, root, "a.md", "# A Title\n\n"+strings.Repeat("word ", 100))
	e := newExtractor(t, ExtractorOptions{Roots: []string{root}})
	_, err := e.Extract(context.Background(), root, "a.md", 10)
	require.ErrorIs(t, err, ErrOutOfMemory)
	require.Equal(t, ClassOutOfMemory, Classify(err))
}

func TestExtractorPDFSource(t *testing.T) {
	root := t.TempDir()
	write(t, root, "boom.pdf", "%PDF-1.7\nnot really\n")
	tests := []struct {
		name  string
		src   pdfSource
		class Class
		is    error
		msg   string
	}{
		{"panic is contained", func(context.Context, []byte) ([]string, error) { panic("boom") }, ClassPermanent, ErrPanic, "extractor panic: boom"},
		{"encrypted", func(context.Context, []byte) ([]string, error) { return nil, fmt.Errorf("%w: rc4", pdf.ErrEncrypted) }, ClassPermanent, pdf.ErrEncrypted, "encrypted"},
		{"engine timeout is transient", func(context.Context, []byte) ([]string, error) { return nil, fmt.Errorf("%w: page 3", pdf.ErrTimeout) }, ClassTransient, pdf.ErrTimeout, "page 3"},
		{"deadline honoured", func(ctx context.Context, _ []byte) ([]string, error) { <-ctx.Done(); return nil, ctx.Err() }, ClassTransient, ErrTimeout, "document timed out after 50ms"},
		{"pages", func(context.Context, []byte) ([]string, error) { return []string{"A Paper Title\n\nBody text."}, nil }, 0, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newExtractor(t, ExtractorOptions{Roots: []string{root}, PDF: tt.src, Timeout: 50 * time.Millisecond})
			res, err := e.Extract(context.Background(), root, "boom.pdf", 0)
			if tt.is == nil {
				require.NoError(t, err)
				require.Equal(t, extract.FormatPDF, res.Doc.Format)
				require.Equal(t, 1, res.Doc.Pages)
				return
			}
			require.ErrorIs(t, err, tt.is)
			require.Equal(t, tt.class, Classify(err))
			require.Contains(t, err.Error(), tt.msg)
			var pe *PanicError
			if errors.As(err, &pe) {
				require.NotEmpty(t, pe.Stack)
				require.NotContains(t, err.Error(), "goroutine", "the stack belongs in the log, not the message")
			}
		})
	}
}

func TestExtractorCancel(t *testing.T) {
	root := t.TempDir()
	write(t, root, "slow.pdf", "%PDF-1.7\n")
	started := make(chan struct{})
	e := newExtractor(t, ExtractorOptions{Roots: []string{root}, PDF: pdfSource(func(ctx context.Context, _ []byte) ([]string, error) {
		close(started)
		<-ctx.Done()
		return nil, ctx.Err()
	})})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := e.Extract(ctx, root, "slow.pdf", 0); errc <- err }()
	<-started
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
}

func TestNewExtractorMissingRoot(t *testing.T) {
	_, err := NewExtractor(ExtractorOptions{Roots: []string{filepath.Join(t.TempDir(), "nope")}})
	require.ErrorContains(t, err, "opening root")
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want Class
	}{
		{fmt.Errorf("x: %w", extract.ErrMalformed), ClassPermanent},
		{fmt.Errorf("x: %w", extract.ErrUnsupportedFormat), ClassPermanent},
		{fmt.Errorf("x: %w", extract.ErrTooLarge), ClassPermanent},
		{extract.ErrEmpty, ClassPermanent},
		{fmt.Errorf("%w: a", ErrNotFound), ClassPermanent},
		{fmt.Errorf("%w: a", ErrNotAllowed), ClassPermanent},
		{fmt.Errorf("%w: %w", extract.ErrMalformed, pdf.ErrEncrypted), ClassPermanent},
		{fmt.Errorf("%w: %w", extract.ErrMalformed, pdf.ErrTimeout), ClassTransient},
		{&PanicError{Value: "x"}, ClassPermanent},
		{fmt.Errorf("%w: big", ErrOutOfMemory), ClassOutOfMemory},
		{fmt.Errorf("read: %w", os.ErrDeadlineExceeded), ClassTransient},
		{context.DeadlineExceeded, ClassTransient},
		{errors.New("nats: timeout"), ClassTransient},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			require.Equal(t, tt.want, Classify(tt.err))
		})
	}
	require.Equal(t, "out_of_memory", ClassOutOfMemory.String())
	require.Equal(t, "permanent", ClassPermanent.String())
	require.Equal(t, "transient", ClassTransient.String())
}

func TestBudget(t *testing.T) {
	b := NewBudget(100)
	r1, ok := b.TryReserve(60)
	require.True(t, ok)
	require.Equal(t, uint64(60), b.Reserved())
	_, ok = b.TryReserve(50)
	require.False(t, ok, "60+50 exceeds 100")
	_, ok = b.TryReserve(101)
	require.False(t, ok)
	r2, ok := b.TryReserve(40)
	require.True(t, ok)
	r1()
	r1() // idempotent
	require.Equal(t, uint64(40), b.Reserved())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.Reserve(ctx, 70)
	require.ErrorIs(t, err, context.Canceled)
	_, err = b.Reserve(context.Background(), 200)
	require.ErrorIs(t, err, ErrOutOfMemory)
	r2()
	r3, err := b.Reserve(context.Background(), 100)
	require.NoError(t, err)
	require.Equal(t, uint64(100), b.Reserved())
	r3()
	require.Zero(t, b.Reserved())
}
