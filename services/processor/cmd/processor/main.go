// Command processor runs one docbatch processor on its own: it opens the
// scheduler's Work stream, extracts the documents it is assigned and
// publishes their results to NATS JetStream. It serves only gRPC health and
// reflection itself, for probes and grpcurl.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/docbatch/docbatch/services/platform/flagenv"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/telemetry"
	"github.com/docbatch/docbatch/services/processor/service"
	"golang.org/x/sync/errgroup"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "processor:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("processor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scheduler := fs.String("scheduler", "127.0.0.1:7401", "scheduler gRPC address")
	natsURL := fs.String("nats-url", "nats://127.0.0.1:4222", "NATS server URL")
	listen := fs.String("listen", "127.0.0.1:7402", "address of the health and reflection gRPC server")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	var cfg service.Config
	cfg.RegisterFlags(fs)
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	lvl, err := telemetry.ParseLevel(*logLevel)
	if err != nil {
		return err
	}
	log := telemetry.NewLogger(stderr, "processor", lvl)
	log.Info("starting", flagenv.Describe(fs)...)

	// The Go heap is the bulk of a processor's memory: make the GC work
	// harder as it nears the budget instead of letting it run past. An
	// explicit GOMEMLIMIT wins.
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && cfg.MemoryBudget > 0 && cfg.MemoryBudget < 1<<63 {
		debug.SetMemoryLimit(int64(cfg.MemoryBudget))
	}

	shutdownTelemetry, err := telemetry.Setup(ctx, "docbatch-processor")
	if err != nil {
		return err
	}
	defer func() {
		// ctx is done by now; flushing needs a context of its own.
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := shutdownTelemetry(fctx); err != nil {
			log.Warn("flushing telemetry", "err", err)
		}
	}()

	nc, err := natsbus.Dialer{URL: *natsURL, Log: log}.Connect("docbatch-processor " + cfg.ID)
	if err != nil {
		return err
	}
	defer func() {
		if err := nc.Drain(); err != nil {
			log.Warn("draining nats", "err", err)
		}
	}()
	cc, err := grpcserver.Dial(*scheduler)
	if err != nil {
		return err
	}
	defer cc.Close()

	svc, err := service.New(ctx, cfg, service.Deps{NATS: nc, Dispatch: cc, Log: log})
	if err != nil {
		return err
	}
	srv := grpcserver.New(log)
	lis, err := grpcserver.Listen(*listen)
	if err != nil {
		return err
	}
	srv.SetServing(svc.HealthNames()...)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(gctx, lis, 5*time.Second) })
	g.Go(func() error { return svc.Run(gctx) })
	err = g.Wait()
	log.Info("stopped", "err", err)
	return err
}
