package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
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
	size := opts.Size
	if opts.MaxBytes > 0 {
		// One byte past the limit, so that an input larger than it is
		// detected without being buffered whole.
		r = io.LimitReader(r, opts.MaxBytes+1)
		size = min(size, opts.MaxBytes)
	}
	var head [sniffLen]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, fmt.Errorf("extract: read: %w", err)
	}
	f := Detect(head[:n], name)
	if s, ok := opts.PDF.(PDFStreamSource); ok && f == FormatPDF && opts.Size > 0 &&
		(opts.MaxBytes <= 0 || opts.Size <= opts.MaxBytes) {
		// The engine takes the file as a stream: a PDF's bytes are needed
		// only inside the engine, which has to buffer them anyway.
		return extractPDFStream(ctx, s, io.MultiReader(bytes.NewReader(head[:n]), r), opts.Size)
	}
	var pooled []byte
	if opts.Buffers != nil {
		pooled = opts.Buffers.Get(int(size) + bytes.MinRead)
		defer func() { opts.Buffers.Put(pooled) }()
	}
	buf := bytes.NewBuffer(pooled[:0])
	// size, when known, sizes the buffer once: growing it by doubling
	// copies and zeroes a paper several times over, a measurable share of
	// what extracting it costs. MinRead spare bytes: bytes.Buffer.ReadFrom
	// grows when less than that is free, and the read that reports EOF
	// needs room too.
	buf.Grow(max(int(size), n) + bytes.MinRead)
	buf.Write(head[:n])
	data, err := readRest(buf, r, opts.MaxBytes)
	if opts.Buffers != nil {
		pooled = buf.Bytes()[:0] // the buffer as grown, for the next input
	}
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, ErrEmpty
	}
	return extractFormat(ctx, f, data, opts)
}

// readRest reads the rest of r into buf, after the head already in it.
// limit > 0 is the most the whole input may hold; r reads at most one byte
// past it (see Extract).
func readRest(buf *bytes.Buffer, r io.Reader, limit int64) ([]byte, error) {
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
			return nil, pdfError(ctx, err)
		}
		return pdfDocument(ctx, pages, largestRun, metaTitle)
	default:
		return nil, fmt.Errorf("%w: content is neither PDF, XML (JATS/TEI), HTML, Markdown nor text", ErrUnsupportedFormat)
	}
	if err != nil {
		return nil, err
	}
	finishDocument(doc)
	return doc, nil
}

// extractPDFStream extracts a PDF that src reads from r, size bytes.
func extractPDFStream(ctx context.Context, src PDFStreamSource, r io.Reader, size int64) (*Document, error) {
	in := &inputReader{r: r}
	pages, largestRun, metaTitle, err := src.PageTextsTitlesFrom(ctx, in, size)
	if in.eof && in.n < size && in.err == nil {
		in.err = fmt.Errorf("the input ended after %d of its %d bytes", in.n, size)
	}
	if in.err != nil {
		// The input, not the document, is at fault (a file cut short or
		// unreadable while it was copied), whatever the engine made of it.
		if ctx.Err() != nil && errors.Is(in.err, ctx.Err()) {
			return nil, in.err
		}
		return nil, fmt.Errorf("extract: read: %w", in.err)
	}
	if err != nil {
		return nil, pdfError(ctx, err)
	}
	if in.n < size {
		return nil, fmt.Errorf("extract: read: the PDF engine read %d of %d bytes", in.n, size)
	}
	return pdfDocument(ctx, pages, largestRun, metaTitle)
}

// pdfDocument is the Document of a PDF's page texts and header signals,
// however the engine read it.
func pdfDocument(ctx context.Context, pages []string, largestRun, metaTitle string) (*Document, error) {
	doc := &Document{Format: FormatPDF}
	if err := parsePDFPages(ctx, doc, pages, largestRun, metaTitle); err != nil {
		return nil, err
	}
	finishDocument(doc)
	return doc, nil
}

// inputReader counts what the engine read, notes EOF and keeps the first
// other read error, so Extract can tell a bad input stream (a file cut
// short or unreadable while it was copied) from a bad PDF.
type inputReader struct {
	r   io.Reader
	n   int64
	eof bool
	err error
}

func (i *inputReader) Read(p []byte) (int, error) {
	n, err := i.r.Read(p)
	i.n += int64(n)
	switch {
	case err == io.EOF:
		i.eof = true
	case err != nil && i.err == nil:
		i.err = err
	}
	return n, err
}

// pdfError is a PDF engine's error as Extract returns it: the context's
// error as it is, anything else as ErrMalformed with the engine's own
// error kept in the chain.
func pdfError(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("%w: pdf: %w", ErrMalformed, err)
}

// parsePDFPages applies the plain-text heuristics to a PDF's page texts,
// with the title the engine found in the layout as a hint.
func parsePDFPages(ctx context.Context, doc *Document, pages []string, largestRun, metaTitle string) error {
	doc.Pages = len(pages)
	// Only the first page is needed after joining, so the pages are
	// garbage while the text is parsed (a long PDF's pages are as large as
	// its text).
	var first string
	if len(pages) > 0 {
		first = pages[0]
	}
	text := joinPages(pages)
	err := parsePlainHint(ctx, text, doc, pdfTitleHint(largestRun, metaTitle))
	if err == nil && doc.DOI == "" && first != "" {
		// The article's DOI is often only in the running header or
		// footer, which joinPages drops.
		doc.DOI = findDOI(joinDOIBreaks(normalizeText(first)))
	}
	if err == nil && doc.Venue == "" && first != "" {
		// The journal's citation line is in page 1's running header or
		// footer, which joinPages drops when every page repeats it.
		doc.Venue = findVenue(pageEdgeLines(normalizeText(first), 10))
	}
	return err
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

	if doc.Format == FormatPDF {
		doc.PageStarts = pageStarts(doc.Text)
	}
	pageOf := func(off int) int {
		if len(doc.PageStarts) == 0 {
			return 0
		}
		return sort.Search(len(doc.PageStarts), func(i int) bool { return doc.PageStarts[i] > off })
	}
	bodyStart, bodyEnd := bodySpan(doc)
	var persons []Entity
	doc.Citations, persons = findCitations(doc.Text, bodyStart, bodyEnd, doc.References, pageOf)
	doc.Entities = findEntities(doc, bodyEnd, persons, pageOf)
}

// pageStarts are the offsets where the pages of a PDF's text begin: 0, and
// after every form feed (joinPages puts one between pages).
func pageStarts(text string) []int {
	starts := []int{0}
	for i := 0; i < len(text); i++ {
		if text[i] == '\f' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

// bodySpan is the part of doc.Text where citations are looked for: from
// the first section or the end of the header, whichever comes first (what
// comes before is the title, authors and affiliations), to the reference
// list (the last section headed like one), or the whole text.
func bodySpan(doc *Document) (start, end int) {
	end = len(doc.Text)
	for i := len(doc.Sections) - 1; i >= 0; i-- {
		s := doc.Sections[i]
		if (refsHeadingRe.MatchString(s.Heading) || htmlRefsHeadingRe.MatchString(s.Heading)) && s.Start <= end {
			end = s.Start
			break
		}
	}
	if len(doc.Sections) > 0 && doc.Sections[0].Start <= end {
		start = doc.Sections[0].Start
	}
	// A body whose first headings were not recognised (a short note's
	// unnumbered "Introduction", or none at all) starts where the header
	// ends, not at the first heading found ("Author Contributions").
	if doc.headerEnd > 0 && doc.headerEnd < start {
		start = doc.headerEnd
	}
	return start, end
}
