package corpus

import (
	"context"
	"testing"
)

// BenchmarkGenerate measures documents per second for the default mix and for
// text-only corpora (the two figures quoted in docs).
func BenchmarkGenerate(b *testing.B) {
	cases := []struct {
		name    string
		formats []Format
	}{
		{"default", nil},
		{"text", []Format{FormatText}},
		{"markdown", []Format{FormatMarkdown}},
		{"html", []Format{FormatHTML}},
		{"jats", []Format{FormatJATS}},
		{"pdf", []Format{FormatPDF}},
	}
	const docs = 500
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var bytes int64
			for b.Loop() {
				g, err := Generate(context.Background(), b.TempDir(), Options{Docs: docs, Seed: 7, Formats: c.formats, DepFraction: 0.1})
				if err != nil {
					b.Fatal(err)
				}
				for _, d := range g.Documents {
					bytes += d.SizeBytes
				}
			}
			b.ReportMetric(float64(docs*b.N)/b.Elapsed().Seconds(), "docs/s")
			b.ReportMetric(float64(bytes)/b.Elapsed().Seconds()/1e6, "MB/s")
		})
	}
}
