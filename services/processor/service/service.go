// Package service assembles the processor from its parts (extraction core,
// memory budget and headroom, PDF engine, Work-stream worker) for both
// cmd/processor and the all-in-one binary, which share this one API so the
// two cannot drift apart.
package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/processor"
	"github.com/docbatch/docbatch/services/processor/headroom"
	"github.com/docbatch/docbatch/services/processor/pdf"
	"github.com/docbatch/docbatch/services/processor/pdfsandbox"
	"github.com/docbatch/docbatch/services/processor/worker"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"
)

// HealthName is the grpc.health.v1 service name of a processor.
const HealthName = "docbatch.processor"

// DefaultMemoryBudget is used when Config.MemoryBudget is 0.
const DefaultMemoryBudget = 1 << 30

// Config is the processor's configuration. Zero values take the defaults
// that RegisterFlags documents.
type Config struct {
	ID               string
	Slots            int
	MemoryBudget     uint64
	Roots            []string
	InlineTextLimit  int
	MaxDocumentBytes int64
	DocumentTimeout  time.Duration
	PDFWorkers       int
	// PDFEngine is processor.PDFEngineSandbox (default) or
	// processor.PDFEngineInProcess.
	PDFEngine string
	// Replicas of the results stream and text object store the processor
	// ensures: 1 on one machine, 3 on a cluster. It must match the other
	// services', or each start would rescale the shared stream.
	Replicas int
}

// RegisterFlags binds the configuration to fs, with defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	c.applyDefaults()
	fs.StringVar(&c.ID, "id", c.ID, "processor id, unique among the scheduler's processors")
	fs.IntVar(&c.Slots, "slots", c.Slots, "documents extracted at once")
	fs.Var(byteSize{u: &c.MemoryBudget}, "memory-budget", "memory for running documents, bytes or with a KiB/MiB/GiB suffix (also sets GOMEMLIMIT)")
	fs.Var((*rootList)(&c.Roots), "roots", "comma-separated directories documents may be read from")
	fs.Var(byteSize{i: &c.InlineTextLimit}, "inline-text-limit", "texts larger than this go to the object store, bytes or with a suffix")
	fs.Var(byteSize{i64: &c.MaxDocumentBytes}, "max-document-bytes", "documents larger than this are refused before reading, bytes or with a suffix")
	fs.DurationVar(&c.DocumentTimeout, "document-timeout", c.DocumentTimeout, "deadline of one document")
	fs.IntVar(&c.PDFWorkers, "pdf-workers", c.PDFWorkers, "PDFs extracted at once: PDFium sandbox processes (or in-process instances), started when the first PDF arrives")
	if c.PDFEngine == "" {
		c.PDFEngine = processor.PDFEngineSandbox
	}
	fs.Func("pdf-engine", "where PDFium runs: sandbox (child processes, killed on a timeout, full speed; default) or inprocess (interruptible in-process WebAssembly, ~3x slower; for platforms that forbid child processes)", func(v string) error {
		if v != processor.PDFEngineSandbox && v != processor.PDFEngineInProcess {
			return fmt.Errorf("want %s or %s", processor.PDFEngineSandbox, processor.PDFEngineInProcess)
		}
		c.PDFEngine = v
		return nil
	})
	fs.IntVar(&c.Replicas, "replicas", 1, "replicas of the results stream and text object store (1 on one machine, 3 on a cluster)")
}

func (c *Config) applyDefaults() {
	if c.ID == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "processor"
		}
		c.ID = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if c.Slots <= 0 {
		c.Slots = runtime.NumCPU()
	}
	if c.MemoryBudget == 0 {
		c.MemoryBudget = DefaultMemoryBudget
	}
	if c.InlineTextLimit <= 0 {
		c.InlineTextLimit = worker.DefaultInlineTextLimit
	}
	if c.MaxDocumentBytes <= 0 {
		c.MaxDocumentBytes = processor.DefaultMaxDocumentBytes
	}
	if c.DocumentTimeout <= 0 {
		c.DocumentTimeout = processor.DefaultDocumentTimeout
	}
	if c.PDFWorkers <= 0 {
		c.PDFWorkers = pdf.DefaultWorkers
	}
}

// Deps are the connections the processor uses; the caller owns them.
type Deps struct {
	NATS     *nats.Conn
	Dispatch grpc.ClientConnInterface
	Log      *slog.Logger
}

// Service is a processor. Create it with New, run it with Run.
type Service struct {
	cfg    Config
	log    *slog.Logger
	engine processor.PDFEngine
	ex     *processor.Extractor
	w      *worker.Worker
}

// New prepares the processor: the results stream and text object store
// exist when it returns, the roots are open, and the PDF engine is lazy so a
// processor that never sees a PDF never pays PDFium's start-up.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	if deps.NATS == nil {
		return nil, errors.New("processor: no NATS connection")
	}
	if deps.Dispatch == nil {
		return nil, errors.New("processor: no scheduler connection")
	}
	log := deps.Log
	if log == nil {
		log = slog.Default()
	}
	cfg.applyDefaults()
	if len(cfg.Roots) == 0 {
		log.Warn("no --roots configured: every document will be refused as not allowed")
	}
	js, err := jetstream.New(deps.NATS)
	if err != nil {
		return nil, fmt.Errorf("creating jetstream context: %w", err)
	}
	if _, err := natsbus.EnsureResults(ctx, js, natsbus.StreamOptions{Replicas: cfg.Replicas}); err != nil {
		return nil, err
	}
	engine, err := processor.NewPDFEngine(cfg.PDFEngine, pdf.Options{Workers: cfg.PDFWorkers})
	if err != nil {
		return nil, err
	}
	ex, err := processor.NewExtractor(processor.ExtractorOptions{
		Roots:            cfg.Roots,
		MaxDocumentBytes: cfg.MaxDocumentBytes,
		Timeout:          cfg.DocumentTimeout,
		PDF:              engine,
	})
	if err != nil {
		engine.Close()
		return nil, err
	}
	budget := processor.NewBudget(cfg.MemoryBudget)
	w, err := worker.New(worker.Config{
		ID:              cfg.ID,
		Slots:           cfg.Slots,
		Version:         version(),
		InlineTextLimit: cfg.InlineTextLimit,
	}, worker.Deps{
		Dispatch:  deps.Dispatch,
		JetStream: js,
		Extractor: ex,
		Budget:    budget,
		Headroom:  headroom.New(cfg.MemoryBudget, budget.Reserved),
		Log:       log,
	})
	if err != nil {
		ex.Close()
		engine.Close()
		return nil, err
	}
	return &Service{cfg: cfg, log: log, engine: engine, ex: ex, w: w}, nil
}

// Run works for the scheduler until ctx ends, then releases the PDF engine
// and the roots. It returns nil on a normal shutdown.
func (s *Service) Run(ctx context.Context) error {
	s.log.Info("processor running", "id", s.cfg.ID, "slots", s.cfg.Slots, "memory_budget", s.cfg.MemoryBudget, "roots", strings.Join(s.cfg.Roots, ","))
	err := s.w.Run(ctx)
	return errors.Join(err, s.engine.Close(), s.ex.Close())
}

// SetMemoryLimit gives the Go runtime the processor's memory budget as its
// soft memory limit (GOMEMLIMIT): the Go heap is the bulk of a processor's
// memory, so the GC should work harder as it nears the budget instead of
// letting it run past. An explicit GOMEMLIMIT wins. It returns the limit in
// force. Only a process that runs nothing but the processor should call it
// (cmd/processor, the memory benchmark's child): the limit is per process.
func SetMemoryLimit(budget uint64) int64 {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && budget > 0 && budget < 1<<63 {
		debug.SetMemoryLimit(int64(budget))
	}
	return debug.SetMemoryLimit(-1)
}

// SandboxStats are the PDF sandbox's counters; ok is false when PDFium
// runs in-process (--pdf-engine inprocess).
func (s *Service) SandboxStats() (st pdfsandbox.Stats, ok bool) {
	if sb, isSandbox := s.engine.(*pdfsandbox.Sandbox); isSandbox {
		return sb.Stats(), true
	}
	return st, false
}

// HealthNames are the health service names this processor answers for.
func (s *Service) HealthNames() []string { return []string{HealthName} }

// version is the module version the binary was built from, "dev" otherwise.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// rootList is a comma-separated flag value.
type rootList []string

func (r *rootList) String() string {
	if r == nil {
		return ""
	}
	return strings.Join(*r, ",")
}

func (r *rootList) Set(v string) error {
	*r = nil
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*r = append(*r, p)
		}
	}
	return nil
}

// byteSize is a flag value of bytes with an optional unit; exactly one of
// its pointers is set.
type byteSize struct {
	u   *uint64
	i   *int
	i64 *int64
}

func (b byteSize) String() string {
	switch {
	case b.u != nil:
		return strconv.FormatUint(*b.u, 10)
	case b.i != nil:
		return strconv.Itoa(*b.i)
	case b.i64 != nil:
		return strconv.FormatInt(*b.i64, 10)
	}
	return "0"
}

func (b byteSize) Set(v string) error {
	n, err := ParseBytes(v)
	if err != nil {
		return err
	}
	switch {
	case b.u != nil:
		*b.u = n
	case b.i != nil:
		if n > uint64(int(^uint(0)>>1)) {
			return fmt.Errorf("%q is too large", v)
		}
		*b.i = int(n)
	case b.i64 != nil:
		if n > 1<<63-1 {
			return fmt.Errorf("%q is too large", v)
		}
		*b.i64 = int64(n)
	}
	return nil
}

var units = []struct {
	suffix string
	mult   uint64
}{
	// Longest suffixes first so "MiB" is not read as "B".
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40},
	{"b", 1},
}

// ParseBytes reads "1073741824", "512MiB", "2GiB", "1.5GB" or "64k"
// (single letters are binary, as in GOMEMLIMIT).
func ParseBytes(s string) (uint64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := uint64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	if n, err := strconv.ParseUint(t, 10, 64); err == nil {
		if n > 0 && mult > ^uint64(0)/n {
			return 0, fmt.Errorf("byte size %q overflows", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("byte size %q: want a number of bytes, optionally with KiB, MiB, GiB, KB, MB or GB", s)
	}
	if f*float64(mult) >= 1<<64 {
		return 0, fmt.Errorf("byte size %q overflows", s)
	}
	return uint64(f * float64(mult)), nil
}
