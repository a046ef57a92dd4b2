package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
)

// One engine for the whole package: starting PDFium costs seconds, and
// the tests are about extraction, not start-up. cacheDir is shared too, so
// the few tests that need other Options start from a warm compilation cache.
var (
	shared   *Engine
	cacheDir string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	var err error
	// DOCBATCH_PDF_TEST_CACHE keeps the compiled module across processes:
	// each fuzz worker runs TestMain, and compiling PDFium with the fuzzer's
	// coverage instrumentation takes minutes.
	if cacheDir = os.Getenv("DOCBATCH_PDF_TEST_CACHE"); cacheDir == "" {
		cacheDir, err = os.MkdirTemp("", "docbatch-pdf-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(cacheDir)
	}
	shared, err = New(context.Background(), Options{Workers: 2, CompilationCacheDir: cacheDir})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting engine:", err)
		return 1
	}
	defer shared.Close()
	if shared.CacheErr != nil {
		fmt.Fprintln(os.Stderr, "compilation cache not in use:", shared.CacheErr)
	}
	return m.Run()
}

// makePDF writes one page per element of pages, each element a list of
// lines, optionally password protected.
func makePDF(t testing.TB, pages [][]string, userPassword string) []byte {
	t.Helper()
	doc := fpdf.New("P", "mm", "A4", "")
	if userPassword != "" {
		doc.SetProtection(fpdf.CnProtectPrint, userPassword, "owner-"+userPassword)
	}
	doc.SetFont("Helvetica", "", 12)
	for _, lines := range pages {
		doc.AddPage()
		for _, l := range lines {
			doc.CellFormat(0, 8, l, "", 1, "L", false, 0, "")
		}
	}
	var buf bytes.Buffer
	if err := doc.Output(&buf); err != nil {
		t.Fatalf("writing test PDF: %v", err)
	}
	return buf.Bytes()
}

// manyPages makes a document big enough that extracting it takes a while.
func manyPages(t testing.TB, n int) []byte {
	pages := make([][]string, n)
	for i := range pages {
		for j := range 30 {
			pages[i] = append(pages[i], fmt.Sprintf("Page %d line %d: the quick brown fox jumps over the lazy dog.", i+1, j+1))
		}
	}
	return makePDF(t, pages, "")
}

func TestPageTextsOrderAndLines(t *testing.T) {
	data := makePDF(t, [][]string{
		{"Alpha first page title", "Second line of page one"},
		{"Bravo second page", "with two lines"},
		{"Charlie third page"},
	}, "")

	texts, err := shared.PageTexts(context.Background(), data)
	if err != nil {
		t.Fatalf("PageTexts: %v", err)
	}
	want := []string{
		"Alpha first page title\nSecond line of page one",
		"Bravo second page\nwith two lines",
		"Charlie third page",
	}
	if len(texts) != len(want) {
		t.Fatalf("got %d pages, want %d: %q", len(texts), len(want), texts)
	}
	for i := range want {
		if got := strings.TrimSpace(texts[i]); got != want[i] {
			t.Errorf("page %d = %q, want %q", i+1, got, want[i])
		}
	}
}

func TestPageTextsErrors(t *testing.T) {
	valid := makePDF(t, [][]string{{"some text"}, {"more text"}}, "")
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(rng.UintN(256))
	}

	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"encrypted", makePDF(t, [][]string{{"secret"}}, "hunter2"), ErrEncrypted},
		{"garbage", garbage, ErrMalformed},
		{"garbage after header", append([]byte("%PDF-1.7\n"), garbage...), ErrMalformed},
		{"truncated", valid[:200], ErrMalformed},
		{"html", []byte("<html><body>404 not found</body></html>"), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			texts, err := shared.PageTexts(context.Background(), tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v (texts %q), want %v", err, texts, tt.want)
			}
		})
	}

	// Errors about a document must leave the engine healthy.
	if _, err := shared.PageTexts(context.Background(), valid); err != nil {
		t.Fatalf("valid document after bad ones: %v", err)
	}
}

func TestPageTextsConcurrent(t *testing.T) {
	const goroutines = 6
	docs := make([][]byte, goroutines)
	for g := range docs {
		docs[g] = makePDF(t, [][]string{{fmt.Sprintf("doc %d page one", g)}, {fmt.Sprintf("doc %d page two", g)}}, "")
	}
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*3)
	for g := range goroutines {
		wg.Go(func() {
			for range 3 {
				texts, err := shared.PageTexts(context.Background(), docs[g])
				if err != nil {
					errs <- err
					return
				}
				want := fmt.Sprintf("doc %d page two", g)
				if len(texts) != 2 || strings.TrimSpace(texts[1]) != want {
					errs <- fmt.Errorf("goroutine %d got %q", g, texts)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestPageTextsContext(t *testing.T) {
	data := manyPages(t, 400)

	t.Run("cancelled before", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := shared.PageTexts(ctx, data); !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})

	t.Run("deadline during extraction", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := shared.PageTexts(ctx, data)
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want ErrTimeout and DeadlineExceeded", err)
		}
		// The kill must interrupt PDFium, not wait for the document.
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("returned after %v", d)
		}
	})

	// The killed instance was replaced: the engine still works.
	texts, err := shared.PageTexts(context.Background(), data)
	if err != nil || len(texts) != 400 || !strings.Contains(texts[399], "Page 400 line 30") {
		t.Fatalf("after kill: err=%v pages=%d", err, len(texts))
	}
}

func TestMaxPages(t *testing.T) {
	e, err := New(context.Background(), Options{CompilationCacheDir: cacheDir, MaxPages: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if _, err := e.PageTexts(context.Background(), manyPages(t, 4)); !errors.Is(err, ErrTooManyPages) {
		t.Fatalf("err = %v, want ErrTooManyPages", err)
	}
	if texts, err := e.PageTexts(context.Background(), manyPages(t, 3)); err != nil || len(texts) != 3 {
		t.Fatalf("at the limit: err=%v pages=%d", err, len(texts))
	}
}

func TestPageTimeout(t *testing.T) {
	e, err := New(context.Background(), Options{CompilationCacheDir: cacheDir, PageTimeout: 50 * time.Microsecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	_, err = e.PageTexts(context.Background(), manyPages(t, 50))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a page timeout is not the caller's deadline: %v", err)
	}
}

func TestNoInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles PDFium a second time (termination checks off)")
	}
	e, err := New(context.Background(), Options{CompilationCacheDir: cacheDir, NoInterrupt: true})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	data := manyPages(t, 400)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	// The deadline is noticed at the next page boundary.
	if _, err := e.PageTexts(ctx, data); !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	texts, err := e.PageTexts(context.Background(), data)
	if err != nil || len(texts) != 400 {
		t.Fatalf("after timeout: err=%v pages=%d", err, len(texts))
	}
}

func TestLazy(t *testing.T) {
	l := Lazy(Options{CompilationCacheDir: cacheDir})
	data := makePDF(t, [][]string{{"lazy page"}}, "")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.PageTexts(ctx, data); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
	// The start begun by the cancelled call carries on for this one.
	texts, err := l.PageTexts(context.Background(), data)
	if err != nil || len(texts) != 1 || strings.TrimSpace(texts[0]) != "lazy page" {
		t.Fatalf("texts=%q err=%v", texts, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.PageTexts(context.Background(), data); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: err = %v, want ErrClosed", err)
	}
	if err := Lazy(Options{}).Close(); err != nil {
		t.Fatalf("closing an unused LazyEngine: %v", err)
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a\r\nb\rc\nd", "a\nb\nc\nd"},
		{"exam\x02\r\nple", "example"},
		{"exam\x02\nple", "example"},
		{"end of page exam\x02", "end of page exam-"},
		{"tem\x02Et = x", "tem-\nEt = x"},
		{"nul\x00s", "nuls"},
		{"ünïcode\r\n", "ünïcode\n"},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in); got != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSoftHyphenFFFE(t *testing.T) {
	pages := []string{
		cleanText("conserva\uFFFEtion and human\uFFFEelephant conflict; exam\uFFFE\r\nple"),
		cleanText("the human-elephant interface; Santos\uFFFEFita; end\uFFFE"),
	}
	got := ResolveSoftHyphens(pages)
	want := []string{
		"conservation and human-elephant conflict; example",
		"the human-elephant interface; Santos-Fita; end-",
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("page %d = %q, want %q", i, got[i], want[i])
		}
	}
}

// wordCounts must count what searching the text for each word counts: the
// word bounded by non-letters on both sides.
func TestWordCounts(t *testing.T) {
	doc := strings.ToLower("Self-report and self report: self-report, selfreport. " +
		"Human-elephant conflict; the human elephant; co-operation\ncooperation co-operation\uFFFEx " +
		"Ünïcode-wörds ünïcode wörds-ünïcode")
	search := func(w string) int { // the definition, by brute force
		n := 0
		for off := 0; ; {
			i := strings.Index(doc[off:], w)
			if i < 0 {
				return n
			}
			at, end := off+i, off+i+len(w)
			before, _ := utf8.DecodeLastRuneInString(doc[:at])
			after, _ := utf8.DecodeRuneInString(doc[end:])
			if !unicode.IsLetter(before) && !unicode.IsLetter(after) {
				n++
			}
			off = end
		}
	}
	got := wordCounts(doc)
	for _, w := range []string{"self-report", "selfreport", "self", "report", "human-elephant", "humanelephant",
		"co-operation", "cooperation", "ünïcode-wörds", "wörds-ünïcode", "ünïcode", "x", "missing", "and-self"} {
		if got[w] != search(w) {
			t.Errorf("wordCounts[%q] = %d, searching finds %d", w, got[w], search(w))
		}
	}
}

// A reused instance must give every document the same text and header as a
// fresh one, whatever it served before (including a document it failed),
// with linear memory in a mapping (NoInterrupt) and in the Go heap.
func TestReusedInstancesGiveTheSameResults(t *testing.T) {
	var docs [][]byte
	for i := range 6 {
		var pages [][]string
		for p := range i%3 + 1 {
			pages = append(pages, []string{
				fmt.Sprintf("Document %d page %d: a title long enough to be one", i, p),
				strings.Repeat(fmt.Sprintf("word%d ", i*7+p), 40+i*10),
				"conserva-", "tion of human-elephant conflict",
			})
		}
		docs = append(docs, makePDF(t, pages, ""))
	}
	broken := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("garbage "), 100)...)

	fresh, err := New(context.Background(), Options{CompilationCacheDir: cacheDir, ReuseDocuments: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	type result struct {
		pages []string
		h     Header
	}
	want := make([]result, len(docs))
	for i, d := range docs {
		pages, h, err := fresh.PageTextsHeader(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = result{pages, h}
	}

	for _, noInterrupt := range []bool{true, false} {
		reused, err := New(context.Background(), Options{CompilationCacheDir: cacheDir, NoInterrupt: noInterrupt, ReuseDocuments: 1000})
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		for round := range 3 {
			for _, i := range r.Perm(len(docs)) {
				if _, err := reused.PageTexts(context.Background(), broken); !errors.Is(err, ErrMalformed) {
					t.Fatalf("broken document: err = %v, want ErrMalformed", err)
				}
				pages, h, err := reused.PageTextsHeader(context.Background(), docs[i])
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(pages, want[i].pages) || h != want[i].h {
					t.Fatalf("NoInterrupt=%v round %d document %d: reused instance gave %q %+v, a fresh one %q %+v",
						noInterrupt, round, i, pages, h, want[i].pages, want[i].h)
				}
			}
		}
		reused.Close()
	}
}
