package extract

import (
	"context"
	"io"
)

// Format is the detected document format.
type Format string

// Formats recognised by Detect.
const (
	FormatPDF      Format = "pdf"
	FormatJATS     Format = "jats"
	FormatTEI      Format = "tei"
	FormatHTML     Format = "html"
	FormatMarkdown Format = "markdown"
	FormatText     Format = "text"
	FormatUnknown  Format = "unknown"
)

// Author of a document. Full is always set when anything is known; Given and
// Family are set when the source separates them.
type Author struct {
	Given, Family, Full, ORCID, Affiliation string
}

// Reference is one entry of a reference list. Authors are "Given Family"
// strings (given names as the source spells them, often initials). Year is 0
// when unknown. Pages is "first-last" or a single page / e-location.
type Reference struct {
	Index   int
	Raw     string
	Authors []string
	Title   string
	Year    int
	Venue   string
	Volume  string
	Pages   string
	DOI     string
}

// Section is a titled span of Document.Text; Start and End are byte offsets
// into Document.Text (End exclusive). Nested sections overlap their parent.
type Section struct {
	Heading    string
	Start, End int
}

// Citation is one place in Document.Text where the body cites the
// reference list: a numbered marker ("[3]", "[2-4, 7]") or an author-year
// one ("Smith et al., 2019", "Smith and Jones (2020)"), with the entries it
// stands for.
type Citation struct {
	// Start and End are the marker's byte offsets in Document.Text.
	Start, End int
	// Page is the 1-based PDF page the marker is on, 0 for formats
	// without pages.
	Page int
	// Refs are the Index values of the references cited.
	Refs []int
	// Context is the sentence around the marker (at most about
	// MaxContextBytes), for whoever reads why a work is cited.
	Context string
}

// EntityType is the kind of a named entity.
type EntityType string

// Entity types.
const (
	EntityPerson       EntityType = "person"
	EntityOrganisation EntityType = "organisation"
	EntityPlace        EntityType = "place"
	EntityConcept      EntityType = "concept"
)

// Entity is one mention of a named entity in Document.Text.
type Entity struct {
	Type EntityType
	// Text is the mention as the text spells it; Name the normalised name
	// that mentions of the same entity share (a person's full name where
	// the document gives it, a concept in lower case).
	Text, Name string
	// Start and End are the mention's byte offsets in Document.Text.
	Start, End int
	// Page is the 1-based PDF page of the mention, 0 for formats without
	// pages.
	Page int
}

// Document is the extraction result for one input.
type Document struct {
	Format     Format
	Title      string
	Authors    []Author
	DOI        string
	Year       int
	Venue      string
	Abstract   string
	Keywords   []string
	Text       string // body text (plain)
	Sections   []Section
	References []Reference
	Pages      int // PDF only: number of pages returned by the engine
	// PageStarts are the byte offsets in Text where each PDF page begins
	// (PDF only; the pages are separated by a form feed).
	PageStarts []int
	// Citations are the in-text citations of the reference list, in text
	// order: at most MaxCitationContexts per reference keep their Context,
	// and at most MaxCitations are listed.
	Citations []Citation
	// Entities are the named entities the text mentions, grouped by type
	// and name, each with where it is (at most MaxEntityMentions).
	Entities []Entity

	// headerEnd is where the plain-text heuristics saw the header (title,
	// authors, abstract) end, 0 when unknown: the body, where citations
	// are looked for, starts there even when its first heading was not
	// recognised.
	headerEnd int
}

// PDFTextSource is implemented by a PDF engine elsewhere; Extract uses it for
// FormatPDF and applies the plain-text heuristics to the page texts.
type PDFTextSource interface {
	PageTexts(ctx context.Context, data []byte) ([]string, error)
}

// PDFHeaderSource is optionally implemented by a PDFTextSource that can also
// read layout signals for the title; Extract checks for it with a type
// assertion. largestRun is the text set in the largest font on page 1 (runs
// of fewer than 3 words ignored), metaTitle the Info dictionary's Title;
// either may be "".
type PDFHeaderSource interface {
	PageTextsTitles(ctx context.Context, data []byte) (pages []string, largestRun, metaTitle string, err error)
}

// PDFStreamSource is optionally implemented by a PDFHeaderSource that can
// read the document from a stream of exactly size bytes instead of a
// slice, so that its caller never holds the file: the process sandbox
// copies it straight into its child, which has to buffer it anyway.
// Extract uses it when it knows the input's size (Options.Size). The
// source must not read r after it returned, and reports a stream that
// ends before size bytes as an error.
type PDFStreamSource interface {
	PageTextsTitlesFrom(ctx context.Context, r io.Reader, size int64) (pages []string, largestRun, metaTitle string, err error)
}

// Options tune Extract.
type Options struct {
	// MaxBytes refuses inputs larger than this with ErrTooLarge; <= 0 means no limit.
	MaxBytes int64
	// PDF extracts page texts; nil makes PDF input fail with ErrUnsupportedFormat.
	PDF PDFTextSource
	// Size is the input's size in bytes when the caller knows it (a file's
	// stat), 0 otherwise; the input is then read into one buffer of that
	// size, where a wrong figure costs only a reallocation. A PDF given to
	// a PDFStreamSource is not buffered: the engine reads exactly Size
	// bytes, and an input that ends sooner fails with a read error.
	Size int64
	// Buffers, when set, lends the buffer an input is read into, so a
	// caller extracting many documents can reuse them. Extract asks only
	// when it reads an input whole (not for a PDF it streams) and gives
	// the buffer back before it returns, keeping no reference to it (the
	// Document holds copies: strings, never sub-slices), nor does any
	// PDFTextSource it calls.
	Buffers Buffers
}

// Buffers lends read buffers; see Options.Buffers.
type Buffers interface {
	// Get returns an empty buffer; n is the size the caller expects to
	// read (0 when unknown), a hint.
	Get(n int) []byte
	// Put takes back a buffer Get returned, possibly grown.
	Put(buf []byte)
}
