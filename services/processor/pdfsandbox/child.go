package pdfsandbox

import (
	"bufio"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"

	"github.com/docbatch/docbatch/services/processor/pdf"
)

// childEnv marks a process as a sandbox child and carries its
// configuration (JSON of childConfig). The parent sets it for the child
// only.
const childEnv = "DOCBATCH_PDF_SANDBOX_CHILD"

// The child is the executable that imports this package, started again
// with childEnv set. Taking over in init means every binary that can start
// a sandbox (the processor, docbatch, test binaries) can also be one,
// without each main having to remember a hook; the child never reaches
// main, so it runs nothing else of the program.
func init() {
	if cfg, ok := os.LookupEnv(childEnv); ok {
		os.Exit(runChild(cfg))
	}
}

// childConfig is what the parent passes down.
type childConfig struct {
	MaxPages            int
	MaxMemoryBytes      int64
	CompilationCacheDir string
	MeasureEvery        int
}

// runChild serves requests until the parent closes the request pipe, and
// returns the process's exit code.
func runChild(cfgJSON string) int {
	var cfg childConfig
	if err := json.Unmarshal([]byte(cfgJSON), &cfg); err != nil {
		fmt.Fprintf(os.Stderr, "pdf sandbox child: bad %s: %v\n", childEnv, err)
		return 2
	}
	in, out := os.NewFile(3, "requests"), os.NewFile(4, "replies")
	if _, err := in.Stat(); err != nil {
		fmt.Fprintf(os.Stderr, "pdf sandbox child: fd 3 is not open (%v); %s is set only by the parent\n", err, childEnv)
		return 2
	}
	if _, err := out.Stat(); err != nil {
		fmt.Fprintf(os.Stderr, "pdf sandbox child: fds 3 and 4 are not open; %s is set only by the parent\n", childEnv)
		return 2
	}
	bw := bufio.NewWriter(out)
	enc := gob.NewEncoder(bw)
	send := func(r *reply) error {
		if err := enc.Encode(r); err != nil {
			return err
		}
		return bw.Flush()
	}

	var sendErr error
	eng, err := pdf.New(context.Background(), pdf.Options{
		Workers: 1,
		// Renew the instance when a measured document is next (see
		// Options.MeasureEvery); RetireAfter below makes sure of it.
		ReuseDocuments:      max(cfg.MeasureEvery, 1),
		MaxPages:            cfg.MaxPages,
		MaxMemoryBytes:      cfg.MaxMemoryBytes,
		CompilationCacheDir: cfg.CompilationCacheDir,
		// The parent enforces time from outside, by killing the process,
		// which needs no help from the code running: PDFium can run at
		// full speed, without wazero's termination checks.
		NoInterrupt: true,
		PageTimeout: -1,
		OnStep: func() {
			if sendErr == nil {
				sendErr = send(&reply{Progress: true})
			}
		},
	})
	if err != nil {
		_ = send(&reply{Ready: true, Err: toWire(err)})
		return 1
	}
	defer eng.Close()
	// The first document is measured, so it must start on an instance
	// created inside its measurement, like every later measured one (the
	// document before those retires its instance); New prepared one ahead.
	if err := eng.Renew(context.Background()); err != nil {
		_ = send(&reply{Ready: true, Err: toWire(err)})
		return 1
	}
	ready := &reply{Ready: true}
	ready.HighWater, _ = peakRSS()
	// Compiling (or loading) PDFium leaves hundreds of MB of garbage; hand
	// it back so the first document's peak is measured from a baseline
	// without it, as every later one is.
	debug.FreeOSMemory()
	if err := send(ready); err != nil {
		return 1
	}

	// gob reads a bufio.Reader (an io.ByteReader) without buffering ahead
	// of it, so the raw document after each request is still there.
	br := bufio.NewReaderSize(in, 64<<10)
	dec := gob.NewDecoder(br)
	var buf []byte // the document, reused up to reuseBufferBytes
	measureEvery := max(cfg.MeasureEvery, 1)
	for n := 0; ; n++ {
		measure := n%measureEvery == 0
		var req request
		if err := dec.Decode(&req); err != nil {
			if errors.Is(err, io.EOF) {
				return 0 // the parent is done with us
			}
			fmt.Fprintf(os.Stderr, "pdf sandbox child: reading request: %v\n", err)
			return 1
		}
		if req.Size < 0 {
			fmt.Fprintf(os.Stderr, "pdf sandbox child: bad request size %d\n", req.Size)
			return 1
		}
		var data []byte
		if req.Size <= reuseBufferBytes {
			if cap(buf) < req.Size {
				// Rounded up to 256 KiB: a few reallocations over a batch
				// (the scheduler sends the costliest documents first), and
				// never much above the largest document, as doubling
				// would be.
				const grain = 256 << 10
				buf = make([]byte, min((req.Size+grain-1)&^(grain-1), reuseBufferBytes))
			}
			data = buf[:req.Size]
		} else {
			data = make([]byte, req.Size)
		}
		if _, err := io.ReadFull(br, data); err != nil {
			fmt.Fprintf(os.Stderr, "pdf sandbox child: reading a document of %d bytes: %v\n", req.Size, err)
			return 1
		}
		var base uint64
		measurable := false
		if measure {
			base, measurable = resetPeakRSS()
		}
		nextMeasured := (n+1)%measureEvery == 0
		ctx := context.Background()
		if nextMeasured {
			// The next document is measured, so it must start from a fresh
			// PDFium instance: a reused one's grown memory would hide part
			// of its peak.
			ctx = pdf.RetireAfter(ctx)
		}
		// Each page goes to the parent as it is read, so the child holds
		// one page's text, not the document's twice over (in a slice and
		// in the encoder's buffer): on a 600-page PDF that was about
		// 8 MiB of its peak.
		r := &reply{}
		r.Header, err = eng.EachPage(ctx, data, req.WithHeader, func(text string) error {
			return send(&reply{Page: text, IsPage: true})
		})
		r.Err = toWire(err)
		if peak, ok := peakRSS(); ok {
			r.HighWater = peak
			if measurable && peak > base {
				r.PeakBytes = peak - base
			}
		}
		if sendErr != nil {
			return 1
		}
		if err := send(r); err != nil {
			return 1
		}
		if nextMeasured {
			// The next document is measured: hand this one's memory back
			// to the OS now, so its peak rises from a baseline it does not
			// share with this one (reused free memory would not show in
			// RSS). Not after every document: paging the memory in again
			// cost 7% of the throughput on the PMC PDFs (fourth session).
			debug.FreeOSMemory()
		} else if !pdf.MappedMemory {
			// If the engine retired the document's PDFium instance (its
			// linear memory is a Go slice here, tens of MB), that is
			// garbage now; collecting it before the next instance is
			// allocated lets that one reuse the memory, so the child's RSS
			// stays near one document's need instead of two. On Linux the
			// memory is a mapping, unmapped when the instance closes.
			runtime.GC()
		}
	}
}
