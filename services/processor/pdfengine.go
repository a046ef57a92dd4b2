package processor

import (
	"fmt"

	"github.com/docbatch/docbatch/services/processor/extract"
	"github.com/docbatch/docbatch/services/processor/pdf"
	"github.com/docbatch/docbatch/services/processor/pdfsandbox"
)

// PDF engine kinds, as the processor's --pdf-engine flag spells them.
const (
	// PDFEngineSandbox runs PDFium in child processes (package
	// pdfsandbox): full speed, killed from outside on a timeout, a crash
	// costs one document, and each document's peak memory is measured.
	// The default.
	PDFEngineSandbox = "sandbox"
	// PDFEngineInProcess runs PDFium inside the processor with wazero's
	// interruption checks (package pdf): about 3x slower, for platforms
	// that forbid a process to start children.
	PDFEngineInProcess = "inprocess"
)

// PDFEngine is what the Extractor needs of a PDF engine, plus Close.
type PDFEngine interface {
	extract.PDFTextSource
	extract.PDFHeaderSource
	Close() error
}

// NewPDFEngine returns an engine of the given kind ("" is the default).
// Neither kind starts PDFium before the first PDF.
func NewPDFEngine(kind string, o pdf.Options) (PDFEngine, error) {
	switch kind {
	case "", PDFEngineSandbox:
		return pdfsandbox.New(pdfsandbox.Options{Engine: o})
	case PDFEngineInProcess:
		return pdf.Lazy(o), nil
	}
	return nil, fmt.Errorf("unknown PDF engine %q (want %q or %q)", kind, PDFEngineSandbox, PDFEngineInProcess)
}
