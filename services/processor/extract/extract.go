package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// sniffLen is how much of the input Detect sees; JATS doctype declarations
// can push the root element a few hundred bytes in.
const sniffLen = 16 << 10

// Extract reads one document from r (at most opts.MaxBytes), detects its
// format and extracts it. name is only a tie-breaker for detection and may
// be empty. Errors wrap ErrTooLarge, ErrEmpty, ErrUnsupportedFormat or
// ErrMalformed, or are the context's error.
func Extract(ctx context.Context, r io.Reader, name string, opts Options) (*Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	data, err := readLimited(r, opts.MaxBytes, opts.Size, opts.Buffer)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, ErrEmpty
	}
	f := Detect(data[:min(len(data), sniffLen)], name)
	return extractFormat(ctx, f, data, opts)
}

// readLimited reads through io.LimitReader(limit+1) so that an oversized
// input is detected after reading one byte past the limit, never buffering
// it whole. size, when known (> 0), sizes the buffer once: growing it by
// doubling copies and zeroes a paper several times over, a measurable share
// of what extracting it costs. reuse is read into when it is large enough.
func readLimited(r io.Reader, limit, size int64, reuse []byte) ([]byte, error) {
	if limit > 0 {
		r = io.LimitReader(r, limit+1)
		size = min(size, limit)
	}
	buf := bytes.NewBuffer(reuse[:0])
	if size > 0 {
		// MinRead spare bytes: bytes.Buffer.ReadFrom grows when less than
		// that is free, and the read that reports EOF needs room too.
		buf.Grow(int(size) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, fmt.Errorf("extract: read: %w", err)
	}
	data := buf.Bytes()
	if limit > 0 && int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return data, nil
}

func extractFormat(ctx context.Context, f Format, data []byte, opts Options) (*Document, error) {
	doc := &Document{Format: f}
	var err error
	switch f {
	case FormatJATS:
		err = parseJATS(ctx, bytes.NewReader(data), doc)
	case FormatTEI:
		err = parseTEI(ctx, bytes.NewReader(data), doc)
	case FormatHTML:
		err = parseHTML(ctx, data, doc)
	case FormatMarkdown:
		err = parseMarkdown(ctx, string(data), doc)
	case FormatText:
		err = parsePlain(ctx, string(data), doc)
	case FormatPDF:
		if opts.PDF == nil {
			return nil, fmt.Errorf("%w: pdf (no PDF engine configured)", ErrUnsupportedFormat)
		}
		var pages []string
		var largestRun, metaTitle string
		if hs, ok := opts.PDF.(PDFHeaderSource); ok {
			pages, largestRun, metaTitle, err = hs.PageTextsTitles(ctx, data)
		} else {
			pages, err = opts.PDF.PageTexts(ctx, data)
		}
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return nil, err
			}
			// Keep the engine's own error in the chain next to ErrMalformed.
			return nil, fmt.Errorf("%w: pdf: %w", ErrMalformed, err)
		}
		doc.Pages = len(pages)
		// Only the first page is needed after joining, so the pages are
		// garbage while the text is parsed (a long PDF's pages are as
		// large as its text).
		var first string
		if len(pages) > 0 {
			first = pages[0]
		}
		text := joinPages(pages)
		err = parsePlainHint(ctx, text, doc, pdfTitleHint(largestRun, metaTitle))
		if err == nil && doc.DOI == "" && first != "" {
			// The article's DOI is often only in the running header or
			// footer, which joinPages drops.
			doc.DOI = findDOI(joinDOIBreaks(normalizeText(first)))
		}
	default:
		return nil, fmt.Errorf("%w: content is neither PDF, XML (JATS/TEI), HTML, Markdown nor text", ErrUnsupportedFormat)
	}
	if err != nil {
		return nil, err
	}
	finishDocument(doc)
	return doc, nil
}

// finishDocument applies the cross-format guarantees: references numbered,
// list capped, fields normalised.
func finishDocument(doc *Document) {
	if len(doc.References) > MaxReferences {
		doc.References = doc.References[:MaxReferences]
	}
	for i := range doc.References {
		if doc.References[i].Index == 0 {
			doc.References[i].Index = i + 1
		}
	}
	if len(doc.Authors) > maxAuthors {
		doc.Authors = doc.Authors[:maxAuthors]
	}
	doc.Title = clean(doc.Title)
	doc.DOI = cleanDOI(doc.DOI)
}
