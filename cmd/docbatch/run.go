package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/docbatch/docbatch/client"
	"github.com/docbatch/docbatch/node"
	"github.com/docbatch/docbatch/progress"
	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/report"
	"github.com/docbatch/docbatch/services/platform/flagenv"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/security"
	"github.com/docbatch/docbatch/services/platform/telemetry"
)

// nodeFlags are the settings run and serve share.
type nodeFlags struct {
	state      string
	natsURL    string
	natsListen string
	syncAlways bool
	processors int
	slots      int
	budget     byteSize
	logLevel   string
	natsCreds  natsbus.Credentials
}

func (f *nodeFlags) register(fs *flag.FlagSet, defaultState string) {
	fs.StringVar(&f.state, "state", defaultState, "state directory (the embedded NATS file store: batches, journals, results)")
	fs.StringVar(&f.natsURL, "nats-url", "", "external NATS URL; empty starts an embedded server")
	fs.StringVar(&f.natsListen, "nats-listen", "", "expose the embedded NATS server on host:port (empty: in-process only)")
	fs.BoolVar(&f.syncAlways, "nats-sync-always", false, "fsync every JetStream write before acknowledging it")
	fs.IntVar(&f.processors, "processors", 1, "in-process processors")
	fs.IntVar(&f.slots, "slots", runtime.NumCPU(), "documents each processor runs at once")
	f.budget = 1 << 30
	fs.Var(&f.budget, "memory-budget", "memory budget of each processor (e.g. 512MiB, 2GiB)")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.natsCreds.RegisterFlags(fs)
}

func (f *nodeFlags) config(roots []string, log *slog.Logger) node.Config {
	cfg := node.Config{StateDir: f.state, NATSURL: f.natsURL, NATSCredentials: f.natsCreds, NATSListen: f.natsListen, SyncAlways: f.syncAlways, Processors: f.processors, Log: log}
	cfg.Scheduler.Roots = roots
	cfg.Scheduler.HeartbeatInterval = 2 * time.Second
	cfg.Scheduler.LeaseMisses = 3
	cfg.Scheduler.MaxRetries = 3
	cfg.Scheduler.CheckpointInterval = 30 * time.Second
	cfg.Processor.Roots = roots
	cfg.Processor.Slots = f.slots
	cfg.Processor.MemoryBudget = uint64(f.budget)
	cfg.Processor.MaxDocumentBytes = 256 << 20
	cfg.Processor.DocumentTimeout = 2 * time.Minute
	cfg.Processor.InlineTextLimit = 256 << 10
	cfg.Processor.PDFWorkers = f.slots
	return cfg
}

func runCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: docbatch run [flags] DIR\n\nProcess every document under DIR (or those its manifest.jsonl lists), show progress and write a report.\nRunning it again after an interruption resumes the same batch.\n\nFlags:")
		fs.PrintDefaults()
	}
	var nf nodeFlags
	nf.register(fs, ".docbatch")
	out := fs.String("out", "docbatch-report", "report folder")
	batchID := fs.String("batch-id", "", "batch id (default: derived from DIR, so re-running resumes)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file once the report is written")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitCode(2)
	}
	dir, err := filepath.Abs(fs.Arg(0))
	if err != nil {
		return err
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return fmt.Errorf("%s is not a folder", fs.Arg(0))
	}
	if *batchID == "" {
		if *batchID, err = client.RunBatchID(dir); err != nil {
			return err
		}
	}
	lvl, err := telemetry.ParseLevel(nf.logLevel)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(nf.state, 0o755); err != nil {
		return fmt.Errorf("creating state dir: %w", err)
	}
	// Logs go to a file so they do not fight the progress bar.
	logPath := filepath.Join(nf.state, "docbatch.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("opening log: %w", err)
	}
	defer logFile.Close()
	log := telemetry.NewLogger(logFile, "docbatch", lvl)
	shutdownTel, err := telemetry.Setup(ctx, "docbatch")
	if err != nil {
		return err
	}
	defer func() { _ = shutdownTel(context.Background()) }()

	fmt.Fprintf(stderr, "docbatch: starting (state %s, log %s)\n", nf.state, logPath)
	n, err := node.Start(ctx, nf.config([]string{dir}, log))
	if err != nil {
		return err
	}
	defer func() { _ = n.Stop() }()
	sched := schedulerv1.NewSchedulerServiceClient(n.Conn())
	resp, err := client.Submit(ctx, sched, &schedulerv1.BatchHeader{BatchId: *batchID, Name: filepath.Base(dir), Root: dir}, dir, "")
	if status.Code(err) == codes.AlreadyExists {
		return fmt.Errorf("%s changed since batch %s was submitted; pass --batch-id NEW to start a new batch: %s", dir, *batchID, status.Convert(err).Message())
	}
	if err != nil {
		return fmt.Errorf("submitting %s: %w", dir, err)
	}
	c := resp.Batch.Counts
	if resp.Resumed {
		fmt.Fprintf(stderr, "docbatch: resuming batch %s: %d of %d documents already ended\n", *batchID, c.Done+c.Failed+c.Skipped+c.Cancelled, c.Total)
	} else {
		fmt.Fprintf(stderr, "docbatch: batch %s: %d documents\n", *batchID, c.Total)
	}
	bar := progress.New(stderr, c.Total)
	final, err := client.Watch(ctx, sched, *batchID, false, func(m *schedulerv1.WatchBatchResponse) { bar.Update(m.Batch) })
	bar.Finish()
	if ctx.Err() != nil {
		fmt.Fprintf(stderr, "docbatch: interrupted; run the same command again to resume batch %s\n", *batchID)
		return exitCode(130)
	}
	if err != nil {
		return fmt.Errorf("watching batch: %w", err)
	}
	fmt.Fprintf(stderr, "docbatch: writing the report to %s\n", *out)
	sum, err := report.Writer{Conn: n.Conn(), JS: n.JetStream(), Step: func(what string, took time.Duration) {
		fmt.Fprintf(stderr, "docbatch: report: %s (%s)\n", what, took.Round(10*time.Millisecond))
	}}.Write(ctx, *batchID, *out)
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	printSummary(stdout, final, sum, *out)
	if *memProfile != "" {
		f, err := os.Create(*memProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			return err
		}
	}
	return nil
}

func printSummary(w io.Writer, b *schedulerv1.Batch, s *report.Summary, out string) {
	c := b.GetCounts()
	took := ""
	if b.GetFinishedAt() != nil {
		took = " in " + b.GetFinishedAt().AsTime().Sub(b.GetCreatedAt().AsTime()).Round(time.Millisecond).String()
	}
	fmt.Fprintf(w, "batch %s %s%s: %d documents, %d done, %d failed, %d skipped, %d cancelled\n", b.GetBatchId(),
		strings.ToLower(strings.TrimPrefix(b.GetState().String(), "BATCH_STATE_")), took, c.GetTotal(), c.GetDone(), c.GetFailed(), c.GetSkipped(), c.GetCancelled())
	if m := s.Metrics; m != nil {
		fmt.Fprintf(w, "citation network: %d nodes, %d edges (%d inside the batch), %d domains; %d entity clusters\n", m.Nodes, m.Edges, m.InternalEdges, s.Domains, s.Clusters)
	}
	fmt.Fprintf(w, "report: %s\n", filepath.Join(out, report.SummaryFile))
}

func serveCmd(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var nf nodeFlags
	nf.register(fs, ".docbatch")
	listen := fs.String("listen", "127.0.0.1:7400", "gRPC listen address for all services")
	var sec security.ServerConfig
	sec.RegisterFlags(fs)
	metricsListen := fs.String("metrics-listen", "", "serve Prometheus metrics at http://ADDR/metrics (empty: off)")
	roots := fs.String("roots", ".", "comma-separated folders documents may be read from (the first is the default root)")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return exitCode(2)
	}
	lvl, err := telemetry.ParseLevel(nf.logLevel)
	if err != nil {
		return err
	}
	log := telemetry.NewLogger(stderr, "docbatch", lvl)
	log.Info("starting", flagenv.Describe(fs)...)
	shutdownTel, err := telemetry.Setup(ctx, "docbatch")
	if err != nil {
		return err
	}
	defer func() { _ = shutdownTel(context.Background()) }()
	if *metricsListen != "" {
		m, err := telemetry.ServeMetrics(*metricsListen, "docbatch", log)
		if err != nil {
			return err
		}
		defer func() { _ = m.Close(context.Background()) }()
	}
	var rs []string
	for _, r := range strings.Split(*roots, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		abs, err := filepath.Abs(r)
		if err != nil {
			return err
		}
		rs = append(rs, abs)
	}
	cfg := nf.config(rs, log)
	cfg.Listen = *listen
	cfg.Security = sec
	n, err := node.Start(ctx, cfg)
	if err != nil {
		return err
	}
	log.Info("serving", "grpc", n.Addr(), "nats", n.NATSURL(), "roots", rs)
	select {
	case <-ctx.Done():
	case <-waitChan(n.Wait):
	}
	log.Info("shutting down")
	if err := n.Stop(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func waitChan(f func() error) <-chan error {
	c := make(chan error, 1)
	go func() { c <- f() }()
	return c
}
