//go:build unix

package processor

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docbatch/docbatch/services/processor/extract"
	"github.com/docbatch/docbatch/services/processor/pdf"
	"github.com/go-pdf/fpdf"
	"github.com/stretchr/testify/require"
)

// The hostile-input catalogue (docs/hostile-inputs.md): every kind of
// broken or hostile file is generated here, at test time, and run through
// a real Extractor with the real PDF engine. Each case asserts its specific
// outcome, a bound on the time it takes, and that the Extractor still
// extracts a good document afterwards; then all cases run at once, to show
// that one bad document does not harm the others running beside it.

const (
	hostileMaxBytes = 16 << 20
	hostileTimeout  = 10 * time.Second
	// hostileWasmMemory caps each PDFium instance in this test. Small
	// documents need a few MB; the decompression bomb inflates to twice
	// this, so it is the cap that stops it.
	hostileWasmMemory = 32 << 20
)

type hostileCase struct {
	name string
	// build creates the file(s) under root and returns the path to
	// extract, relative to root with slashes. It runs once.
	build func(t *testing.T, root string) string
	// root overrides the root passed to Extract ("" = the test root).
	root string
	// want: nil means success, checked by ok; otherwise every error in
	// want must match errors.Is.
	want  []error
	class Class
	msg   *regexp.Regexp // must match err.Error()
	// notIn must not occur in the error message (say, a secret's text).
	notIn string
	ok    func(t require.TestingT, r *Result)
}

func TestHostileInputs(t *testing.T) {
	// Both engines a processor can run (--pdf-engine) must give every case
	// the same outcome.
	for _, kind := range []string{PDFEngineSandbox, PDFEngineInProcess} {
		t.Run(kind, func(t *testing.T) { testHostileInputs(t, hostileEngine(t, kind)) })
	}
}

func testHostileInputs(t *testing.T, engine PDFEngine) {
	root := t.TempDir()
	outside := t.TempDir()
	writeBytes(t, outside, "secret.txt", []byte("root:x:0:0:TOP SECRET outside the root\n"))

	e := newExtractor(t, ExtractorOptions{
		Roots:            []string{root},
		MaxDocumentBytes: hostileMaxBytes,
		Timeout:          hostileTimeout,
		PDF:              engine,
	})
	cases := hostileCases(outside)
	require.GreaterOrEqual(t, len(cases), 22)
	paths := make([]string, len(cases))
	for i, c := range cases {
		paths[i] = c.build(t, root)
	}
	writeBytes(t, root, "good/paper.md", []byte(goodMarkdown))
	writeBytes(t, root, "good/paper.pdf", textPDF("Surviving Hostile Inputs In Batch", "Jane Q. Doe", "The body text of a good paper."))

	checkGood := func(t require.TestingT) {
		res, err := e.Extract(context.Background(), root, "good/paper.md", 0)
		require.NoError(t, err)
		require.Equal(t, "A Good Paper", res.Doc.Title)
		res, err = e.Extract(context.Background(), root, "good/paper.pdf", 0)
		require.NoError(t, err)
		require.Equal(t, extract.FormatPDF, res.Doc.Format)
		require.Contains(t, res.Doc.Text, "body text of a good paper")
	}

	t.Run("sequential", func(t *testing.T) {
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := runHostile(t, e, root, paths[i], c)
				t.Logf("outcome: %v", err)
				checkGood(t)
			})
		}
	})

	t.Run("concurrent", func(t *testing.T) {
		var wg sync.WaitGroup
		for i, c := range cases {
			goCollect(&wg, t, c.name, func(ct require.TestingT) { _ = runHostile(ct, e, root, paths[i], c) })
			if i%4 == 0 {
				goCollect(&wg, t, "good beside "+c.name, checkGood)
			}
		}
		wg.Wait()
		checkGood(t)
	})
}

// runHostile extracts one case under a watchdog and checks its outcome.
func runHostile(t require.TestingT, e *Extractor, root, p string, c hostileCase) (err error) {
	if c.root != "" {
		root = c.root
	}
	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	start := time.Now()
	go func() {
		res, err := e.Extract(context.Background(), root, p, 0)
		done <- outcome{res, err}
	}()
	var o outcome
	defer func() { err = o.err }()
	select {
	case o = <-done:
	case <-time.After(hostileTimeout + 10*time.Second):
		t.Errorf("%s: Extract hung (no return after %s)", c.name, time.Since(start))
		t.FailNow()
	}
	// The per-document deadline bounds every case, with slack for a
	// loaded machine.
	require.Less(t, time.Since(start), hostileTimeout+2*time.Second, "%s took too long", c.name)
	if c.want == nil {
		require.NoError(t, o.err, c.name)
		require.NotNil(t, o.res)
		c.ok(t, o.res)
		return nil
	}
	require.Error(t, o.err, c.name)
	for _, w := range c.want {
		require.ErrorIs(t, o.err, w, c.name)
	}
	require.Equal(t, c.class, Classify(o.err), "%s: class of %v", c.name, o.err)
	require.Regexp(t, c.msg, o.err.Error(), c.name)
	require.NotContains(t, o.err.Error(), "goroutine ", "%s: a stack trace leaked into the message", c.name)
	if c.notIn != "" {
		require.NotContains(t, o.err.Error(), c.notIn, c.name)
	}
	return o.err
}

func hostileCases(outside string) []hostileCase {
	file := func(name string, data func() []byte) func(*testing.T, string) string {
		return func(t *testing.T, root string) string {
			writeBytes(t, root, name, data())
			return name
		}
	}
	re := regexp.MustCompile
	perm, notAllowed := ClassPermanent, ErrNotAllowed
	pdfMalformed := []error{extract.ErrMalformed, pdf.ErrMalformed}

	return []hostileCase{
		// --- Empty and non-documents -------------------------------------
		{name: "empty file", build: file("empty.txt", func() []byte { return nil }),
			want: []error{extract.ErrEmpty}, class: perm, msg: re(`^empty\.txt: extract: empty document$`)},
		{name: "zero-length PDF", build: file("zero.pdf", func() []byte { return nil }),
			want: []error{extract.ErrEmpty}, class: perm, msg: re(`^zero\.pdf: extract: empty document$`)},
		{name: "white space only", build: file("blank.md", func() []byte { return []byte(strings.Repeat(" \n\t\r\n", 1000)) }),
			want: []error{extract.ErrEmpty}, class: perm, msg: re(`empty document$`)},
		{name: "random binary", build: file("random.bin", func() []byte { return randomBytes(64<<10, 1) }),
			want: []error{extract.ErrUnsupportedFormat}, class: perm, msg: re(`^random\.bin: extract: unsupported format: content is neither PDF`)},
		{name: "gzip bomb named .pdf", build: file("bomb-gz.pdf", func() []byte { return gzipBomb(256 << 20) }),
			want: []error{extract.ErrUnsupportedFormat}, class: perm, msg: re(`^bomb-gz\.pdf: extract: unsupported format`)},
		{name: "zip bomb named .pdf", build: file("bomb-zip.pdf", func() []byte { return zipBomb(256 << 20) }),
			want: []error{extract.ErrUnsupportedFormat}, class: perm, msg: re(`^bomb-zip\.pdf: extract: unsupported format`)},
		{name: "unknown XML vocabulary", build: file("image.xml", func() []byte {
			return []byte(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>`)
		}), want: []error{extract.ErrUnsupportedFormat}, class: perm, msg: re(`unsupported format`)},

		// --- PDF ----------------------------------------------------------
		{name: "PDF header only", build: file("header-only.pdf", func() []byte { return []byte("%PDF-1.7\n") }),
			want: pdfMalformed, class: perm, msg: re(`^header-only\.pdf: extract: malformed document: pdf: pdf: malformed document: `)},
		{name: "truncated PDF", build: file("truncated.pdf", func() []byte { return textPDF("Truncated")[:120] }),
			want: pdfMalformed, class: perm, msg: re(`^truncated\.pdf: extract: malformed document: pdf: pdf: malformed document`)},
		{name: "PDF header then garbage", build: file("garbage.pdf", func() []byte {
			return append([]byte("%PDF-1.7\n"), randomBytes(32<<10, 2)...)
		}), want: pdfMalformed, class: perm, msg: re(`malformed document`)},
		{name: "PDF with garbage xref (repaired)", build: file("bad-xref.pdf", func() []byte {
			return garbageXref(textPDF("Repaired Cross Reference Table Works", "Body line of the repaired document."))
		}), ok: func(t require.TestingT, r *Result) {
			require.Equal(t, extract.FormatPDF, r.Doc.Format)
			require.Equal(t, 1, r.Doc.Pages)
			require.Contains(t, r.Doc.Text, "Body line of the repaired document")
		}},
		{name: "PDF with lying stream /Length", build: file("bad-length.pdf", func() []byte {
			return bytes.Replace(textPDF("Lying Length Still Reads", "Text after a wrong length."), []byte("/Length "), []byte("/Length 99999999"), 1)
		}), ok: func(t require.TestingT, r *Result) {
			require.Equal(t, 1, r.Doc.Pages)
			require.Contains(t, r.Doc.Text, "Text after a wrong length")
		}},
		{name: "encrypted PDF (fpdf RC4, user password)", build: file("encrypted.pdf", func() []byte { return encryptedPDF() }),
			want: []error{extract.ErrMalformed, pdf.ErrEncrypted}, class: perm, msg: re(`pdf: document is encrypted: 4: invalid password$`)},
		{name: "encrypted PDF (hand-made /Encrypt, unknown handler)", build: file("encrypt-dict.pdf", func() []byte { return encryptDictPDF() }),
			want: []error{extract.ErrMalformed, pdf.ErrEncrypted}, class: perm, msg: re(`pdf: document is encrypted`)},
		{name: "PDF FlateDecode bomb", build: file("flate-bomb.pdf", func() []byte { return flateBombPDF(2 * hostileWasmMemory) }),
			want: []error{extract.ErrMalformed, pdf.ErrBomb}, class: perm, msg: re(`^flate-bomb\.pdf: extract: malformed document: pdf: pdf: decompression bomb: the stream at byte \d+ inflates to more than 8388608 bytes$`)},
		{name: "PDF bomb split into 6 content streams", build: file("split-bomb.pdf", func() []byte { return splitBombPDF(6, 7<<20) }),
			want: []error{extract.ErrMalformed, pdf.ErrAborted}, class: perm, msg: re(`^split-bomb\.pdf: extract: malformed document: pdf: pdf: PDFium aborted: page 1: wasm error: unreachable$`)},
		{name: "PDF 100k nested arrays", build: file("nested-arrays.pdf", func() []byte {
			return nestedPDF(strings.Repeat("[", 100000) + strings.Repeat("]", 100000))
		}), ok: pdfOnePage},
		{name: "PDF 100k nested dictionaries", build: file("nested-dicts.pdf", func() []byte {
			return nestedPDF(strings.Repeat("<< /A ", 100000) + strings.Repeat(">> ", 100000))
		}), ok: pdfOnePage},
		{name: "PDF claiming 2e9 pages", build: file("huge-count.pdf", func() []byte {
			return bytes.Replace(textPDF("Huge Page Count"), []byte("/Count 1"), []byte("/Count 2000000000"), 1)
		}), ok: pdfOnePage},
		{name: "PDF page tree cycle", build: file("cycle.pdf", func() []byte {
			return bytes.Replace(textPDF("Page Tree Cycle"), []byte("/Kids [3 0 R]"), []byte("/Kids [3 0 R 2 0 R]"), 1)
		}), ok: pdfOnePage},
		{name: "PDF page tree with a broken /Kids key (fuzz crasher)", build: file("broken-kids.pdf", func() []byte {
			return []byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kid\x96 [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
		}), want: pdfMalformed, class: perm, msg: re(`^broken-kids\.pdf: extract: malformed document: pdf: pdf: malformed document: loading page 1: 6: incorrect page$`)},
		{name: "PDF named .txt (content decides)", build: file("disguised.txt", func() []byte {
			return textPDF("Disguised Portable Document Format", "This PDF was named .txt by mistake.")
		}), ok: func(t require.TestingT, r *Result) {
			require.Equal(t, extract.FormatPDF, r.Doc.Format)
			require.Contains(t, r.Doc.Text, "named .txt by mistake")
		}},

		// --- XML (JATS / TEI) -------------------------------------------
		{name: "billion laughs", build: file("laughs.xml", func() []byte { return []byte(billionLaughs) }),
			want: []error{extract.ErrMalformed}, class: perm, msg: re(`^laughs\.xml: extract: malformed document: XML syntax error on line \d+: invalid character entity &lol9;`)},
		{name: "XXE /etc/passwd", build: file("xxe.xml", func() []byte { return []byte(xxe("/etc/passwd")) }),
			want: []error{extract.ErrMalformed}, class: perm, msg: re(`invalid character entity &xxe;`), notIn: "root:"},
		{name: "XXE to a file outside the root", build: file("xxe-outside.xml", func() []byte {
			return []byte(xxe(filepath.Join(outside, "secret.txt")))
		}), want: []error{extract.ErrMalformed}, class: perm, msg: re(`invalid character entity &xxe;`), notIn: "TOP SECRET"},
		{name: "XML 100k-deep nesting", build: file("deep.xml", func() []byte {
			return []byte(`<?xml version="1.0"?><article><body>` + strings.Repeat("<sec>", 100000) + strings.Repeat("</sec>", 100000) + `</body></article>`)
		}), want: []error{extract.ErrMalformed}, class: perm, msg: re(`malformed document: nesting deeper than 256 at line 1$`)},
		{name: "TEI 100k-deep nesting", build: file("deep.tei.xml", func() []byte {
			return []byte(`<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>` + strings.Repeat("<div>", 100000) + `</body></text></TEI>`)
		}), want: []error{extract.ErrMalformed}, class: perm, msg: re(`nesting deeper than 256`)},
		{name: "JATS with invalid UTF-8", build: file("bad-utf8.xml", func() []byte {
			return []byte("<?xml version=\"1.0\"?><article><front><article-meta><title-group><article-title>Caf\xc3\x28 \xff\xfe</article-title></title-group></article-meta></front></article>")
		}), want: []error{extract.ErrMalformed}, class: perm, msg: re(`invalid UTF-8`)},
		{name: "truncated JATS", build: file("truncated.xml", func() []byte {
			return []byte(`<?xml version="1.0"?><article><front><article-meta><title-group><article-title>Cut he`)
		}), want: []error{extract.ErrMalformed}, class: perm, msg: re(`unexpected EOF`)},
		{name: "XML with unknown charset", build: file("charset.xml", func() []byte {
			return []byte(`<?xml version="1.0" encoding="x-no-such-charset"?><article><front/></article>`)
		}), want: []error{extract.ErrMalformed}, class: perm, msg: re(`x-no-such-charset`)},

		// --- HTML, Markdown, text ---------------------------------------
		{name: "HTML 1M nested tags", build: file("nested.html", func() []byte {
			return []byte("<html><head><title>Deep Tags</title></head><body>" + strings.Repeat("<div>", 1000000) + "deep text" + "</body></html>")
		}), ok: func(t require.TestingT, r *Result) {
			require.Equal(t, extract.FormatHTML, r.Doc.Format)
			require.Equal(t, "Deep Tags", r.Doc.Title)
			require.Contains(t, r.Doc.Text, "deep text")
		}},
		{name: "HTML unclosed script", build: file("script.html", func() []byte {
			return []byte("<html><head><title>Unclosed</title></head><body><p>visible</p><script>" + strings.Repeat("var x = '<p>'; ", 10000))
		}), ok: func(t require.TestingT, r *Result) {
			require.Equal(t, "Unclosed", r.Doc.Title)
			require.NotContains(t, r.Doc.Text, "var x")
		}},
		{name: "very long single line", build: file("one-line.txt", func() []byte {
			return []byte(strings.Repeat("word ", 800000)) // 4 MB, no newline
		}), ok: func(t require.TestingT, r *Result) {
			require.Equal(t, extract.FormatText, r.Doc.Format)
			require.Equal(t, 800000, strings.Count(r.Doc.Text, "word"))
		}},
		{name: "Markdown with 20k references", build: file("refs.md", func() []byte {
			var b strings.Builder
			b.WriteString("# Many References\n\n## References\n\n")
			for i := range 20000 {
				fmt.Fprintf(&b, "- Author A. Title number %d. Journal. 2001;1:%d.\n", i, i)
			}
			return []byte(b.String())
		}), ok: func(t require.TestingT, r *Result) {
			require.Equal(t, "Many References", r.Doc.Title)
			require.Len(t, r.Doc.References, extract.MaxReferences)
		}},

		// --- Size ---------------------------------------------------------
		{name: "file over the size limit (sparse 1 GiB)", build: func(t *testing.T, root string) string {
			f, err := os.Create(filepath.Join(root, "huge.pdf"))
			require.NoError(t, err)
			require.NoError(t, f.Truncate(1<<30))
			require.NoError(t, f.Close())
			return "huge.pdf"
		}, want: []error{extract.ErrTooLarge}, class: perm, msg: re(`^extract: document too large: huge\.pdf is 1073741824 bytes, the limit is 16777216$`)},

		// --- Paths --------------------------------------------------------
		{name: "path climbing out (..)", build: fixed("../" + filepath.Base(outside) + "/secret.txt"),
			want: []error{notAllowed}, class: perm, msg: re(`^path not allowed: path ".*" climbs out with ".."$`)},
		{name: "absolute path", build: fixed("/etc/passwd"),
			want: []error{notAllowed}, class: perm, msg: re(`^path not allowed: path "/etc/passwd" is absolute`)},
		{name: "NUL in path", build: fixed("a\x00.pdf"),
			want: []error{notAllowed}, class: perm, msg: re(`^path not allowed: path "a\\x00\.pdf" contains NUL$`)},
		{name: "backslash path", build: fixed(`..\..\etc\passwd`),
			want: []error{notAllowed}, class: perm, msg: re(`contains a backslash`)},
		{name: "root not configured", build: fixed("secret.txt"), root: outside,
			want: []error{notAllowed}, class: perm, msg: re(`is not one of the configured roots$`)},
		{name: "symlink out of the root", build: func(t *testing.T, root string) string {
			require.NoError(t, os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(root, "escape.txt")))
			return "escape.txt"
		}, want: []error{notAllowed}, class: perm, msg: re(`^path not allowed: escape\.txt under .*: openat escape\.txt: path escapes from parent$`), notIn: "TOP SECRET"},
		{name: "symlink loop", build: func(t *testing.T, root string) string {
			require.NoError(t, os.Symlink("loop-b", filepath.Join(root, "loop-a")))
			require.NoError(t, os.Symlink("loop-a", filepath.Join(root, "loop-b")))
			return "loop-a"
		}, want: []error{notAllowed}, class: perm, msg: re(`loop-a`)},
		{name: "missing file", build: fixed("no/such/file.pdf"),
			want: []error{ErrNotFound}, class: perm, msg: re(`^document not found: no/such/file\.pdf under `)},
		{name: "directory", build: func(t *testing.T, root string) string {
			require.NoError(t, os.Mkdir(filepath.Join(root, "adir.pdf"), 0o755))
			return "adir.pdf"
		}, want: []error{ErrNotRegular}, class: perm, msg: re(`^not a regular file: adir\.pdf under .* is a d---------$`)},
		{name: "FIFO (must not block)", build: func(t *testing.T, root string) string {
			require.NoError(t, syscall.Mkfifo(filepath.Join(root, "fifo.pdf"), 0o644))
			return "fifo.pdf"
		}, want: []error{ErrNotRegular}, class: perm, msg: re(`^not a regular file: fifo\.pdf under .* is a p---------$`)},
	}
}

func fixed(p string) func(*testing.T, string) string {
	return func(*testing.T, string) string { return p }
}

func pdfOnePage(t require.TestingT, r *Result) {
	require.Equal(t, extract.FormatPDF, r.Doc.Format)
	require.Equal(t, 1, r.Doc.Pages)
}

const goodMarkdown = "# A Good Paper\n\nJane Doe\n\n## Introduction\n\nSome body text.\n"

// hostileEngine starts a real PDFium engine of the given kind for the
// test, with small limits: two instances, a 32 MiB memory cap, an 8 s step
// timeout.
func hostileEngine(t *testing.T, kind string) PDFEngine {
	t.Helper()
	eng, err := NewPDFEngine(kind, pdf.Options{
		Workers:        2,
		MaxMemoryBytes: hostileWasmMemory,
		PageTimeout:    8 * time.Second,
		MaxPages:       100,
	})
	require.NoError(t, err)
	t.Cleanup(func() { eng.Close() })
	return eng
}

func writeBytes(t *testing.T, dir, name string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
	require.NoError(t, os.WriteFile(p, data, 0o644))
}

func randomBytes(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	return b
}

// buildPDF lays out numbered objects (object i+1 is objs[i]) with a correct
// cross-reference table. Object 1 must be the catalog.
func buildPDF(objs []string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	offs := make([]int, len(objs))
	for i, o := range objs {
		offs[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

func pdfStream(dict string, data []byte) string {
	return fmt.Sprintf("<< %s /Length %d >>\nstream\n%s\nendstream", dict, len(data), data)
}

// pageObjs are the objects of a one-page document whose page dictionary
// gets extra entries and whose content stream is content.
func pageObjs(pageExtra, content string) []string {
	return []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R " + pageExtra + " >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		pdfStream("", []byte(content)),
	}
}

// textPDF is a valid one-page PDF: the title in 24 pt, then lines in 12 pt.
func textPDF(title string, lines ...string) []byte {
	var c strings.Builder
	fmt.Fprintf(&c, "BT /F1 24 Tf 72 720 Td (%s) Tj ET\n", title)
	for i, l := range lines {
		fmt.Fprintf(&c, "BT /F1 12 Tf 72 %d Td (%s) Tj ET\n", 680-20*i, l)
	}
	return buildPDF(pageObjs("", c.String()))
}

// garbageXref overwrites every offset in the cross-reference table, which
// makes PDFium rebuild it by scanning the file.
func garbageXref(p []byte) []byte {
	return regexp.MustCompile(`(?m)^\d{10} 00000 n `).ReplaceAll(p, []byte("9999999999 00000 n "))
}

func nestedPDF(deep string) []byte {
	return buildPDF(pageObjs("/Deep "+deep, "BT /F1 12 Tf 72 720 Td (Nested) Tj ET"))
}

func encryptedPDF() []byte {
	doc := fpdf.New("P", "mm", "A4", "")
	doc.SetProtection(fpdf.CnProtectPrint, "user-secret", "owner-secret")
	doc.SetFont("Helvetica", "", 12)
	doc.AddPage()
	doc.CellFormat(0, 8, "secret text", "", 1, "L", false, 0, "")
	var b bytes.Buffer
	if err := doc.Output(&b); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// encryptDictPDF has an /Encrypt dictionary naming a security handler
// that does not exist.
func encryptDictPDF() []byte {
	objs := append(pageObjs("", "BT /F1 12 Tf 72 720 Td (Hidden) Tj ET"),
		"<< /Filter /NoSuchHandler /V 4 /R 4 /Length 128 >>")
	p := buildPDF(objs)
	return bytes.Replace(p, []byte("/Root 1 0 R"), []byte("/Root 1 0 R /Encrypt 6 0 R /ID [<00112233445566778899aabbccddeeff> <00112233445566778899aabbccddeeff>]"), 1)
}

// deflateBomb is a raw DEFLATE stream that inflates to size bytes of
// zeros (size a multiple of 1 MiB) at about 1000:1. One MiB of zeros is
// compressed once and flushed, which byte-aligns it; since its copies only
// reach back into zeros, repeating the block is again a valid stream, closed
// by an empty final block. Building a 256 MiB bomb costs a few ms, not the
// seconds compressing 256 MiB would.
func deflateBomb(size int) []byte {
	var blk bytes.Buffer
	w, _ := flate.NewWriter(&blk, flate.BestCompression)
	_, _ = w.Write(make([]byte, 1<<20))
	_ = w.Flush()
	out := bytes.Repeat(blk.Bytes(), size>>20)
	return append(out, 0x03, 0x00) // final, fixed Huffman, end of block
}

func bombSize(size int) int { return size >> 20 << 20 }

func zeroCRC(n int) uint32 {
	zero := make([]byte, 1<<20)
	var c uint32
	for n > 0 {
		k := min(n, len(zero))
		c = crc32.Update(c, crc32.IEEETable, zero[:k])
		n -= k
	}
	return c
}

func gzipBomb(size int) []byte {
	n := bombSize(size)
	b := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}
	b = append(b, deflateBomb(size)...)
	b = binary.LittleEndian.AppendUint32(b, zeroCRC(n))
	return binary.LittleEndian.AppendUint32(b, uint32(n))
}

func zipBomb(size int) []byte {
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	raw := deflateBomb(size)
	for i := range 4 { // four members: 4x the inflated size
		fw, err := w.CreateRaw(&zip.FileHeader{Name: fmt.Sprintf("zeros-%d.txt", i), Method: zip.Deflate,
			CRC32: zeroCRC(bombSize(size)), CompressedSize64: uint64(len(raw)), UncompressedSize64: uint64(bombSize(size))})
		if err != nil {
			panic(err)
		}
		if _, err := fw.Write(raw); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// flateBombPDF is a one-page PDF whose content stream is a zlib stream
// inflating to size bytes of zeros.
func flateBombPDF(size int) []byte {
	z := []byte{0x78, 0x01}
	z = append(z, deflateBomb(size)...)
	n := bombSize(size)
	z = binary.BigEndian.AppendUint32(z, uint32(n%65521)<<16|1) // Adler-32 of n zeros
	return buildPDF(append(pageObjs("", "")[:4:4], pdfStream("/Filter /FlateDecode", z)))
}

// splitBombPDF is a page whose content is n FlateDecode streams of size
// inflated bytes each: every stream stays under the per-stream bomb limit,
// but PDFium joins a page's content streams, so together they exhaust the
// instance's memory cap.
func splitBombPDF(n, size int) []byte {
	z := []byte{0x78, 0x01}
	z = append(z, deflateBomb(size)...)
	z = binary.BigEndian.AppendUint32(z, uint32(bombSize(size)%65521)<<16|1)
	objs := pageObjs("", "")[:4:4]
	var refs []string
	for i := range n {
		objs = append(objs, pdfStream("/Filter /FlateDecode", z))
		refs = append(refs, fmt.Sprintf("%d 0 R", 5+i))
	}
	objs[2] = strings.Replace(objs[2], "/Contents 5 0 R", "/Contents ["+strings.Join(refs, " ")+"]", 1)
	return buildPDF(objs)
}

const billionLaughs = `<?xml version="1.0"?>
<!DOCTYPE article [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<article><front><article-meta><title-group><article-title>&lol9;</article-title></title-group></article-meta></front></article>
`

func xxe(target string) string {
	return `<?xml version="1.0"?>
<!DOCTYPE article [<!ENTITY xxe SYSTEM "file://` + target + `">]>
<article><front><article-meta><title-group><article-title>&xxe;</article-title></title-group></article-meta></front></article>
`
}

// collectT lets a case run on its own goroutine: it records failures
// instead of calling t.FailNow off the test goroutine.
type collectT struct {
	name string
	mu   sync.Mutex
	errs []string
}

func (c *collectT) Errorf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

// FailNow stops the goroutine; report runs from its deferred path.
func (c *collectT) FailNow() { panic(errCollectStop) }

var errCollectStop = errors.New("stop")

func (c *collectT) report(t *testing.T) {
	for _, e := range c.errs {
		t.Errorf("%s (concurrent): %s", c.name, e)
	}
}

// goCollect runs fn on its own goroutine and reports its failures to t.
func goCollect(wg *sync.WaitGroup, t *testing.T, name string, fn func(require.TestingT)) {
	wg.Go(func() {
		ct := &collectT{name: name}
		defer func() {
			if r := recover(); r != nil && r != errCollectStop { //nolint:errorlint // identity is meant
				panic(r)
			}
			ct.report(t)
		}()
		fn(ct)
	})
}

// The bombs must really be bombs: inflate a small one and check its size.
func TestDeflateBombInflates(t *testing.T) {
	const size = 4 << 20
	n, err := io.Copy(io.Discard, flate.NewReader(bytes.NewReader(deflateBomb(size))))
	require.NoError(t, err)
	require.Equal(t, int64(bombSize(size)), n)
	require.Less(t, len(deflateBomb(size)), size/500)
}
