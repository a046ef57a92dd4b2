package pdf

import (
	"bytes"
	"compress/zlib"
	"context"
	"errors"
	"fmt"
	"testing"
)

func zlibZeros(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, _ := zlib.NewWriterLevel(&b, zlib.BestCompression)
	if _, err := w.Write(make([]byte, n)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestCheckBombs(t *testing.T) {
	const limit = 1 << 20
	z := zlibZeros(t, 2*limit)
	small := zlibZeros(t, limit/2)
	obj := func(dict string, data []byte) string {
		return fmt.Sprintf("7 0 obj\n<< %s /Length %d >>\nstream\n%s\nendstream\nendobj\n", dict, len(data), data)
	}
	tests := []struct {
		name string
		pdf  string
		want error
	}{
		{"content stream bomb", obj("/Filter /FlateDecode", z), ErrBomb},
		{"CRLF after keyword", replaceOnce(obj("/Filter /FlateDecode", z), "stream\n", "stream\r\n"), ErrBomb},
		{"image is skipped", obj("/Type /XObject /Subtype /Image /Filter /FlateDecode", z), nil},
		{"under the limit", obj("/Filter /FlateDecode", small) + obj("/Filter /FlateDecode", small), nil},
		{"not flate", obj("", z), nil},
		{"not zlib", obj("/Filter /FlateDecode", []byte("garbage")), nil},
		{"no endstream", "1 0 obj << /Filter /FlateDecode >>\nstream\n" + string(z), ErrBomb},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkBombs(context.Background(), []byte("%PDF-1.7\n"+tt.pdf), limit)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func replaceOnce(s, old, new string) string {
	return string(bytes.Replace([]byte(s), []byte(old), []byte(new), 1))
}

// The shortcut in checkBombs (streams shorter than limit/maxInflateRatio are
// not inflated) is sound only if no stream inflates by more than
// maxInflateRatio. Zeros at the best compression are zlib's best case.
func TestMaxInflateRatio(t *testing.T) {
	for _, n := range []int{1 << 10, 1 << 16, 1 << 20, 16 << 20} {
		z := zlibZeros(t, n)
		if ratio := float64(n) / float64(len(z)); ratio > maxInflateRatio {
			t.Errorf("%d zeros deflate to %d bytes: ratio %.0f exceeds %d", n, len(z), ratio, maxInflateRatio)
		}
	}
	// The bound is tight enough to catch a real bomb: a stream just over
	// limit/maxInflateRatio that inflates past the limit is still inflated.
	const limit = 1 << 20
	z := zlibZeros(t, 2*limit)
	if int64(len(z))*maxInflateRatio <= limit {
		t.Fatalf("test bomb too small to be checked: %d bytes", len(z))
	}
}
