package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// minimalPDF lays out numbered objects (object i+1 is objs[i], object 1
// the catalog) with a correct cross-reference table.
func minimalPDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
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

func onePage(content string, extra ...string) []byte {
	objs := append([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	}, extra...)
	return minimalPDF(objs...)
}

// FuzzPageTexts feeds PDFium (in its sandbox) mutated PDFs. Whatever the
// input, PageTextsHeader returns within its per-input deadline, without
// panicking, with no error outside the documented sentinels, and the
// engine stays usable.
func FuzzPageTexts(f *testing.F) {
	f.Add(onePage("BT /F1 24 Tf 72 720 Td (A Title Line Here) Tj ET\nBT /F1 12 Tf 72 680 Td (Body text.) Tj ET"))
	f.Add(onePage("BT /F1 12 Tf 72 720 Td [(Kern) -120 (ed)] TJ T* (next) ' ET"))
	f.Add(onePage("q 1 0 0 1 0 0 cm BT /F1 1 Tf 24 0 0 24 72 700 Tm (Scaled) Tj ET Q", "<< /Title (Meta Title) >>"))
	f.Add([]byte("%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"))
	f.Add(makePDF(f, [][]string{{"fpdf page one", "second line"}, {"page two"}}, ""))
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		texts, _, err := shared.PageTextsHeader(ctx, data)
		if d := time.Since(start); d > 15*time.Second {
			t.Fatalf("took %v past a 5s deadline", d)
		}
		if err != nil {
			for _, s := range []error{ErrMalformed, ErrEncrypted, ErrTooManyPages, ErrBomb, ErrAborted, ErrTimeout} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("undocumented error: %v", err)
		}
		if len(texts) > DefaultMaxPages {
			t.Fatalf("%d pages past the limit", len(texts))
		}
	})
}
