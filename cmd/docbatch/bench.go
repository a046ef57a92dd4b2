package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/docbatch/docbatch/bench"
	"github.com/docbatch/docbatch/corpus"
	"github.com/docbatch/docbatch/services/platform/flagenv"
	"github.com/docbatch/docbatch/services/processor"
	"github.com/docbatch/docbatch/services/scheduler"
	"github.com/docbatch/docbatch/services/scheduler/simulate"
)

const benchUsage = `Usage:
  docbatch bench dispatch [--docs 200000] [--processors 4] [--slots 64] [--cpuprofile FILE] [--json]
      assignments completed per second by no-op processors over loopback gRPC,
      with the JetStream journal and with an in-memory store
  docbatch bench sched [--docs 2000] [--seeds 10] [--regimes laptop,cluster]
                       [--transient 0.02] [--permanent 0.005] [--retry-backoff 100ms] [--oracle] [--json]
      the real scheduler core driven in virtual time over a suite of workloads,
      on a laptop (8 slots) and a cluster (64 slots); makespan over a lower
      bound, against FIFO and the seed's heuristic; the failure rates and the
      retry backoff may be varied to see what each costs, and --oracle tells
      the scheduler in advance which documents failures will skip
  docbatch bench scale [--docs 1000000] [--json]
      one batch submitted through the streaming API and completed; peak RSS of
      the scheduler, measured in a child process
  docbatch bench recovery [--docs 10000] [--kills 10] [--seed 1] [--json]
      kill -9 the scheduler child at --kills points of one batch, restarting it
      on the same state each time; lost, double-counted and re-run documents,
      and the time from restart to the first assignment
  docbatch bench extract [--workers 2] [--repeat 1] [--json] DIR
      PDF throughput of the processor's full extraction over DIR/*.pdf, against
      'ls *.pdf | xargs -P2 -n1 pdftotext' on the same files in the same run
  docbatch bench memory [--budget 512MiB] [--small 200MB] [--large 2.3GB] [--dir DIR] [--json]
      a small and a large generated collection, each processed by one processor
      (a child process) with the memory budget; its peak RSS, GC cycles and pause
`

func benchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, benchUsage)
		return exitCode(2)
	}
	switch args[0] {
	case "sched":
		return benchSched(args[1:], stdout, stderr)
	case "dispatch":
		return benchDispatch(ctx, args[1:], stdout, stderr)
	case "scale":
		return benchScale(ctx, args[1:], stdout, stderr)
	case "recovery":
		return benchRecovery(ctx, args[1:], stdout, stderr)
	case "extract":
		return benchExtract(ctx, args[1:], stdout, stderr)
	case "memory":
		return benchMemory(ctx, args[1:], stdout, stderr)
	case "memory-processor":
		// Hidden: the processor child of `bench memory`, so that its
		// memory is measured alone.
		return benchMemoryProcessor(ctx, args[1:], stdout, stderr)
	case "scale-server":
		// Hidden: the child that `bench scale` starts so that the
		// scheduler's memory is measured alone.
		return benchScaleServer(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, benchUsage)
		return nil
	}
	fmt.Fprintf(stderr, "docbatch bench: unknown benchmark %q\n\n%s", args[0], benchUsage)
	return exitCode(2)
}

// benchLog shows only errors: the scheduler logs every processor that
// leaves, which every benchmark run ends with.
func benchLog(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
}

func benchDispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench dispatch", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.DispatchOptions
	fleetFlags(fs, &o.Fleet, 200_000, 5*time.Minute)
	fs.BoolVar(&o.SyncAlways, "sync-always", false, "fsync every JetStream write (sync_interval: always)")
	fs.StringVar(&o.NATSURL, "nats-url", "", "run against this NATS server (e.g. a standalone one) instead of an embedded one; its own sync_interval applies")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the journal run's measured window to FILE")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	o.Log = benchLog(stderr)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		o.Profile = &bench.Profiler{Start: func() error { return pprof.StartCPUProfile(f) }, Stop: pprof.StopCPUProfile}
	}
	res, err := bench.RunDispatch(ctx, o)
	if err != nil {
		return err
	}
	return printResult(stdout, *asJSON, res)
}

func benchScale(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench scale", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.ScaleOptions
	fleetFlags(fs, &o.Fleet, 1_000_000, 15*time.Minute)
	fs.BoolVar(&o.SyncAlways, "sync-always", false, "fsync every JetStream write (sync_interval: always)")
	inProcess := fs.Bool("in-process", false, "run the scheduler in this process (peak RSS is then the whole process's)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	o.Log = benchLog(stderr)
	o.Stderr = stderr
	if !*inProcess {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("finding this executable to run the scheduler child: %w", err)
		}
		o.ServerCommand = []string{exe, "bench", "scale-server"}
	}
	res, err := bench.RunScale(ctx, o)
	if err != nil {
		return err
	}
	return printResult(stdout, *asJSON, res)
}

func benchRecovery(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench recovery", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.RecoveryOptions
	fleetFlags(fs, &o.Fleet, 10_000, 10*time.Minute)
	fs.IntVar(&o.Kills, "kills", 10, "times the scheduler is killed with SIGKILL")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the kill points")
	fs.DurationVar(&o.Window, "window", time.Second, "a re-run counts as in flight only if its earlier completion was sent at most this long before the kill")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this executable to run the scheduler child: %w", err)
	}
	o.ServerCommand = []string{exe, "bench", "scale-server"}
	o.Stderr = stderr
	res, err := bench.RunRecovery(ctx, o)
	if err != nil {
		if *asJSON {
			_ = writeJSON(stdout, res)
		} else {
			_ = res.WriteTable(stdout)
		}
		return err
	}
	return printResult(stdout, *asJSON, res)
}

func benchScaleServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench scale-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.ScaleServerOptions
	fs.StringVar(&o.Listen, "listen", "127.0.0.1:0", "gRPC address")
	fs.StringVar(&o.StateDir, "state", "", "folder for the JetStream store")
	fs.StringVar(&o.Root, "root", "", "the batch's document root")
	fs.StringVar(&o.NATSURL, "nats-url", "", "external NATS (default: embedded)")
	fs.BoolVar(&o.SyncAlways, "sync-always", false, "fsync every JetStream write")
	// Plain Parse: the parent passes everything, and DOCBATCH_* variables
	// meant for it must not leak into the child's settings.
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.Log = benchLog(stderr)
	return bench.ServeScale(ctx, o, os.Stdin, stdout)
}

func benchExtract(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench extract", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.ExtractOptions
	fs.IntVar(&o.Workers, "workers", 2, "documents extracted at once (and PDFium instances), and the -P of the pdftotext baseline")
	fs.IntVar(&o.Repeat, "repeat", 1, "measured passes over the PDFs (docbatch and pdftotext alternate)")
	fs.StringVar(&o.Pdftotext, "pdftotext", "", "pdftotext binary (default: from PATH)")
	fs.StringVar(&o.Engine, "engine", processor.PDFEngineSandbox, "the processor's --pdf-engine: sandbox or inprocess")
	fs.BoolVar(&o.NoInterrupt, "no-interrupt", false, "with --engine inprocess: run PDFium without interruption checks (unsafe; shows what the checks cost)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the measured passes to FILE")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		o.Profile = &bench.Profiler{Start: func() error { return pprof.StartCPUProfile(f) }, Stop: pprof.StopCPUProfile}
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: docbatch bench extract [--workers 2] [--repeat 1] [--json] DIR")
		return exitCode(2)
	}
	o.Dir = fs.Arg(0)
	res, err := bench.RunExtract(ctx, o)
	if err != nil {
		return err
	}
	return printResult(stdout, *asJSON, res)
}

func benchMemory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench memory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.MemoryOptions
	budget, small, large, avg := byteSize(512<<20), byteSize(200e6), byteSize(2.3e9), byteSize(100e3)
	fs.Var(&budget, "budget", "the processor's --memory-budget")
	fs.Var(&small, "small", "byte target of the small generated collection")
	fs.Var(&large, "large", "byte target of the large generated collection")
	fs.Var(&avg, "avg-doc", "average document size: each collection has bytes/avg-doc documents")
	formats := fs.String("formats", "", "generator formats, comma-separated (default: its mix, about 10% PDF)")
	fs.Int64Var(&o.Seed, "seed", 1, "generator seed")
	fs.IntVar(&o.Slots, "slots", 2, "the processor's --slots")
	fs.IntVar(&o.PDFWorkers, "pdf-workers", 0, "the processor's --pdf-workers (0: its default)")
	fs.StringVar(&o.Dir, "dir", "", "keep the generated collections here and reuse them (default: a temporary folder, removed)")
	fs.DurationVar(&o.Timeout, "timeout", 60*time.Minute, "give up on a collection's batch after this long")
	quiet := fs.Bool("quiet", false, "no progress lines or processor log on stderr")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	o.Budget, o.SmallBytes, o.LargeBytes, o.AvgDocBytes = uint64(budget), int64(small), int64(large), int64(avg)
	if *formats != "" {
		for _, f := range strings.Split(*formats, ",") {
			o.Formats = append(o.Formats, corpus.Format(strings.TrimSpace(f)))
		}
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this executable to run the processor child: %w", err)
	}
	o.ProcessorCommand = []string{exe, "bench", "memory-processor"}
	o.Log = benchLog(stderr)
	if !*quiet {
		o.Stderr = stderr
	}
	res, err := bench.RunMemory(ctx, o)
	if err != nil {
		return err
	}
	return printResult(stdout, *asJSON, res)
}

func benchMemoryProcessor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench memory-processor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o bench.ProcessorChildOptions
	fs.StringVar(&o.Scheduler, "scheduler", "", "scheduler gRPC address")
	fs.StringVar(&o.NATSURL, "nats-url", "", "NATS URL")
	o.Config.RegisterFlags(fs)
	// Plain Parse, as for scale-server: the parent passes everything.
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.Log = benchLog(stderr)
	return bench.ServeProcessor(ctx, o, os.Stdin, stdout)
}

func benchSched(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench sched", flag.ContinueOnError)
	fs.SetOutput(stderr)
	docs := fs.Int("docs", 2000, "documents per laptop workload (a cluster workload has 8x, for 8x the slots)")
	seeds := fs.Int("seeds", 10, "seeds per workload family")
	regimes := fs.String("regimes", "laptop,cluster", "comma-separated regimes to run: laptop (8 slots), cluster (16 processors x 4 slots)")
	transient := fs.Float64("transient", 0.02, "share of documents whose first attempt fails transiently")
	permanent := fs.Float64("permanent", 0.005, "share of documents that fail permanently")
	backoff := fs.Duration("retry-backoff", scheduler.DefaultRetryBackoff, "the scheduler's first retry backoff ceiling")
	oracle := fs.Bool("oracle", false, "submit only the documents that permanent failures will not skip, as if the scheduler knew them in advance (the bound does)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	if *transient < 0 || *transient > 1 || *permanent < 0 || *permanent > 1 || *backoff <= 0 {
		return fmt.Errorf("bench sched: --transient and --permanent must be shares in [0, 1] and --retry-backoff positive")
	}
	var names []string
	for _, n := range strings.Split(*regimes, ",") {
		if n = strings.TrimSpace(n); n != "" {
			names = append(names, n)
		}
	}
	ws := simulate.Suite(*docs, *seeds, names...)
	if len(ws) == 0 {
		return fmt.Errorf("bench sched: no known regime in %q", *regimes)
	}
	for i := range ws {
		ws[i].TransientRate, ws[i].PermanentRate, ws[i].RetryBackoff, ws[i].Oracle = *transient, *permanent, *backoff, *oracle
	}
	res, err := simulate.RunSuite(ws)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "sched: %d runs, makespan / lower bound, mean\n", res.Runs)
	for _, rg := range simulate.Regimes() {
		r, ok := res.Regimes[rg.Name]
		if !ok {
			continue
		}
		fmt.Fprintf(stdout, "\n%s: %d processors, %d slots, %d documents per workload\n", rg.Name, r.Processors, r.Slots, r.Docs)
		fmt.Fprintf(stdout, "%-12s %8s %8s %8s %8s %8s %8s\n", "workloads", "docbatch", "fifo", "seed", "cp s", "work/sl", "mem s")
		for _, f := range r.Families {
			fmt.Fprintf(stdout, "%-12s %8.3f %8.3f %8.3f %8.2f %8.2f %8.2f\n", f.Name, f.MakespanRatio, f.FIFOMakespanRatio, f.SeedMakespanRatio, f.CriticalPath, f.WorkOverSlots, f.MemoryArea)
		}
		fmt.Fprintf(stdout, "%-12s %8.3f %8.3f %8.3f\n", "all", r.MakespanRatio, r.FIFOMakespanRatio, r.SeedMakespanRatio)
		fmt.Fprintf(stdout, "saved against FIFO with dependencies: %.1f%% (ceiling %.1f%%; %.0f%% of those documents skipped)\n",
			100*r.DAGImprovementVsFIFO, 100*r.DAGImprovementCeiling, 100*r.DAGSkippedFraction)
	}
	fmt.Fprintf(stdout, "\noverall: %.3f vs FIFO %.3f vs seed %.3f; saved against FIFO with dependencies: %.1f%% (ceiling %.1f%%)\n",
		res.MakespanRatio, res.FIFOMakespanRatio, res.SeedMakespanRatio, 100*res.DAGImprovementVsFIFO, 100*res.DAGImprovementCeiling)
	return nil
}

// fleetFlags binds the batch size and the no-op processors every
// benchmark takes.
func fleetFlags(fs *flag.FlagSet, f *bench.Fleet, docs int, timeout time.Duration) {
	fs.IntVar(&f.Documents, "docs", docs, "documents in the batch")
	fs.IntVar(&f.Processors, "processors", 4, "no-op processors")
	fs.IntVar(&f.Slots, "slots", 64, "slots per processor")
	fs.DurationVar(&f.Timeout, "timeout", timeout, "give up on a run after this long")
}

// tabler is a result that prints itself as a table.
type tabler interface{ WriteTable(io.Writer) error }

// printResult prints a command's result as one JSON object (--json) or as
// its table.
func printResult(w io.Writer, asJSON bool, res tabler) error {
	if asJSON {
		return writeJSON(w, res)
	}
	return res.WriteTable(w)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
