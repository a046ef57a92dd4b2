package pdfsandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"
	"github.com/stretchr/testify/require"

	"github.com/docbatch/docbatch/services/processor/pdf"
)

// The children of these tests are this test binary, started again: the
// package's init turns it into a child before any test runs.

// cacheDir is shared by every sandbox of the package, so only the first
// child compiles PDFium.
var cacheDir string

func TestMain(m *testing.M) {
	os.Exit(func() int {
		dir, err := os.MkdirTemp("", "docbatch-pdfsandbox-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		cacheDir = dir
		return m.Run()
	}())
}

func newSandbox(t *testing.T, o pdf.Options) *Sandbox {
	t.Helper()
	o.CompilationCacheDir = cacheDir
	s, err := New(Options{Engine: o, MeasureEvery: 1})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

// makePDF writes one page per element of pages. A page whose text starts
// with "# " has that first line set large, as a title.
func makePDF(t testing.TB, pages ...string) []byte {
	t.Helper()
	doc := fpdf.New("P", "mm", "A4", "")
	for _, p := range pages {
		doc.AddPage()
		if title, rest, ok := strings.Cut(p, "\n"); ok && strings.HasPrefix(title, "# ") {
			doc.SetFont("Helvetica", "B", 20)
			doc.MultiCell(0, 10, title[2:], "", "L", false)
			p = rest
		}
		doc.SetFont("Helvetica", "", 11)
		doc.MultiCell(0, 6, p, "", "L", false)
	}
	var buf bytes.Buffer
	require.NoError(t, doc.Output(&buf))
	return buf.Bytes()
}

func TestExtractsLikeTheEngine(t *testing.T) {
	s := newSandbox(t, pdf.Options{})
	data := makePDF(t, "# Memory-aware scheduling of document batches\nA body in a smaller font, long enough to be the body size of the page.", "Second page text")

	var m pdf.Meter
	pages, h, err := s.PageTextsHeader(pdf.WithMeter(context.Background(), &m), data)
	require.NoError(t, err)
	require.Len(t, pages, 2)
	require.Contains(t, pages[0], "Memory-aware scheduling of document batches")
	require.Contains(t, pages[1], "Second page text")
	require.Equal(t, "Memory-aware scheduling of document batches", h.LargestRun)

	// The child measured its own peak for this document, and a document
	// with far more to hold in memory measures more.
	small := m.Peak()
	require.Positive(t, small, "measured peak")
	require.Less(t, small, uint64(1<<30), "measured peak")
	var big pdf.Meter
	pages200 := make([]string, 200)
	for i := range pages200 {
		pages200[i] = strings.Repeat(fmt.Sprintf("page %d has a lot of words ", i), 60)
	}
	_, err = s.PageTexts(pdf.WithMeter(context.Background(), &big), makePDF(t, pages200...))
	require.NoError(t, err)
	require.Greater(t, big.Peak(), small, "a 200-page document peaks above a 2-page one")

	// The same child serves the next document.
	pages, err = s.PageTexts(context.Background(), data)
	require.NoError(t, err)
	require.Len(t, pages, 2)
	st := s.Stats()
	require.Equal(t, Stats{Started: 1, Documents: 3, PeakChildRSS: st.PeakChildRSS}, st)
	require.Greater(t, st.PeakChildRSS, big.Peak(), "a child's lifetime peak includes its baseline")
}

func TestDocumentErrorsKeepTheirSentinels(t *testing.T) {
	s := newSandbox(t, pdf.Options{MaxPages: 2})
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, pdf.ErrMalformed},
		{"not a pdf", []byte("<html>not found</html>"), pdf.ErrMalformed},
		{"truncated", makePDF(t, "cut short")[:300], pdf.ErrMalformed},
		{"too many pages", makePDF(t, "1", "2", "3"), pdf.ErrTooManyPages},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.PageTexts(context.Background(), c.data)
			require.ErrorIs(t, err, c.want)
		})
	}
	// A document error does not cost the child.
	require.LessOrEqual(t, s.Stats().Started, 1)
	require.Zero(t, s.Stats().Killed+s.Stats().Died)
}

func TestStepTimeoutKillsTheChild(t *testing.T) {
	// No step of a real document finishes in 50 µs, so the first step
	// overruns and the parent must kill the child from outside.
	s := newSandbox(t, pdf.Options{PageTimeout: 50 * time.Microsecond})
	_, err := s.PageTexts(context.Background(), makePDF(t, "slow"))
	require.ErrorIs(t, err, pdf.ErrTimeout)
	require.Contains(t, err.Error(), "sandbox child killed")
	require.Equal(t, 1, s.Stats().Killed)
	require.Empty(t, s.PIDs(), "the killed child is forgotten")
}

func TestCallerDeadline(t *testing.T) {
	s := newSandbox(t, pdf.Options{})
	data := makePDF(t, "warm up")
	_, err := s.PageTexts(context.Background(), data)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	_, err = s.PageTexts(ctx, makePDF(t, strings.Repeat("many words on many pages ", 2000)))
	require.ErrorIs(t, err, pdf.ErrTimeout)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// The pool recovers: a new child takes the next document.
	pages, err := s.PageTexts(context.Background(), data)
	require.NoError(t, err)
	require.Contains(t, pages[0], "warm up")
}

func TestChildDeathFailsOnlyItsDocument(t *testing.T) {
	s := newSandbox(t, pdf.Options{})
	data := makePDF(t, "survivor")
	_, err := s.PageTexts(context.Background(), data)
	require.NoError(t, err)

	// Whatever kills a child (the OOM killer, a runtime fatal error), the
	// parent sees its pipe end.
	pids := s.PIDs()
	require.Len(t, pids, 1)
	require.NoError(t, syscall.Kill(pids[0], syscall.SIGKILL))

	_, err = s.PageTexts(context.Background(), data)
	require.ErrorIs(t, err, pdf.ErrAborted)
	require.Contains(t, err.Error(), "signal: killed")
	require.Equal(t, 1, s.Stats().Died)

	pages, err := s.PageTexts(context.Background(), data)
	require.NoError(t, err)
	require.Contains(t, pages[0], "survivor")
	require.Equal(t, 2, s.Stats().Started)
}

func TestConcurrentDocumentsShareTheChildren(t *testing.T) {
	s := newSandbox(t, pdf.Options{Workers: 2})
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := fmt.Sprintf("document number %d", i)
			pages, err := s.PageTexts(context.Background(), makePDF(t, want))
			if err == nil && !strings.Contains(pages[0], want) {
				err = fmt.Errorf("got %q, want %q", pages[0], want)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	st := s.Stats()
	require.Equal(t, 12, st.Documents)
	require.LessOrEqual(t, st.Started, 2, "at most Workers children")
}

func TestCloseStopsChildren(t *testing.T) {
	o := pdf.Options{CompilationCacheDir: cacheDir}
	s, err := New(Options{Engine: o})
	require.NoError(t, err)
	_, err = s.PageTexts(context.Background(), makePDF(t, "x"))
	require.NoError(t, err)
	pids := s.PIDs()
	require.Len(t, pids, 1)

	require.NoError(t, s.Close())
	_, err = s.PageTexts(context.Background(), makePDF(t, "x"))
	require.ErrorIs(t, err, pdf.ErrClosed)
	require.Eventually(t, func() bool {
		// Signal 0 probes: the child must be gone (reaped by the parent).
		return syscall.Kill(pids[0], 0) != nil
	}, 10*time.Second, 20*time.Millisecond, "child %d still running after Close", pids[0])
}

func TestChildRefusesToRunWithoutParent(t *testing.T) {
	// Someone sets the variable by hand: the child says why it cannot work
	// instead of hanging on a pipe that is not there.
	require.Equal(t, 2, runChild("{not json"))
	require.True(t, errors.Is(pdf.ErrClosed, sentinels[6]), "wire order is the protocol")
}

func TestManyDocumentsBackToBack(t *testing.T) {
	// Requests follow replies as fast as possible on one child: the writer
	// of one request must be done with the pipe before the next begins
	// (a race here once corrupted the stream as "short write").
	s := newSandbox(t, pdf.Options{})
	data := makePDF(t, "back to back")
	for i := range 300 {
		pages, err := s.PageTexts(context.Background(), data)
		require.NoError(t, err, "document %d", i)
		require.Contains(t, pages[0], "back to back")
	}
	require.Equal(t, 1, s.Stats().Started)
}

func TestMeasuresASample(t *testing.T) {
	s, err := New(Options{Engine: pdf.Options{CompilationCacheDir: cacheDir}, MeasureEvery: 3})
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	data := makePDF(t, strings.Repeat("a sampled document ", 500))
	var measured []int
	for i := range 7 {
		var m pdf.Meter
		_, err := s.PageTexts(pdf.WithMeter(context.Background(), &m), data)
		require.NoError(t, err)
		if m.Peak() > 0 {
			measured = append(measured, i)
		}
	}
	require.Equal(t, []int{0, 3, 6}, measured, "the first document of a child, then every third")
}

// errAfter reads from r and then fails with err instead of reporting EOF.
type errAfter struct {
	r   io.Reader
	err error
}

func (e *errAfter) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF {
		return n, e.err
	}
	return n, err
}

func TestStreamedDocuments(t *testing.T) {
	s := newSandbox(t, pdf.Options{})
	data := makePDF(t, "# Streaming documents into the sandbox\nThe body of the first page, in a smaller font than the title.", "A second page.")

	// Streamed, the document gives what it gives as a slice.
	wantPages, wantRun, wantMeta, err := s.PageTextsTitles(context.Background(), data)
	require.NoError(t, err)
	pages, run, meta, err := s.PageTextsTitlesFrom(context.Background(), bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	require.Equal(t, wantPages, pages)
	require.Equal(t, wantRun, run)
	require.Equal(t, wantMeta, meta)
	require.Equal(t, 1, s.Stats().Started)

	// A stream that ends before its announced size leaves the child
	// waiting for the rest: the call fails as a read error (not the
	// document's, not the child's) and the child is replaced.
	_, _, _, err = s.PageTextsTitlesFrom(context.Background(), bytes.NewReader(data), int64(len(data))+100)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	require.NotErrorIs(t, err, pdf.ErrAborted)
	require.NotErrorIs(t, err, pdf.ErrMalformed)
	require.Contains(t, err.Error(), fmt.Sprintf("read %d of %d bytes", len(data), len(data)+100))

	// A stream that fails says why.
	disk := errors.New("input/output error")
	_, _, _, err = s.PageTextsTitlesFrom(context.Background(), &errAfter{bytes.NewReader(data[:len(data)/2]), disk}, int64(len(data)))
	require.ErrorIs(t, err, disk)

	// The next document is served as usual, by a new child.
	pages, _, _, err = s.PageTextsTitlesFrom(context.Background(), bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	require.Equal(t, wantPages, pages)
	st := s.Stats()
	require.Equal(t, 3, st.Started, "one child per failed stream, one more after")
	require.Equal(t, 2, st.Killed)
}
