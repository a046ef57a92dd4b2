// Command citations runs the citations service alone against an external
// NATS: it consumes document results and serves the citation network of
// each batch over gRPC (docbatch.citations.v1.CitationService).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/docbatch/docbatch/services/citations/service"
	"github.com/docbatch/docbatch/services/platform/flagenv"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/telemetry"
	"github.com/nats-io/nats.go"
	"golang.org/x/sync/errgroup"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "citations:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) (err error) {
	fs := flag.NewFlagSet("citations", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:7404", "gRPC listen address")
	natsURL := fs.String("nats-url", "nats://127.0.0.1:4222", "NATS server URL")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn or error")
	var cfg service.Config
	cfg.RegisterFlags(fs)
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	lvl, err := telemetry.ParseLevel(*logLevel)
	if err != nil {
		return err
	}

	shutdownTelemetry, err := telemetry.Setup(ctx, "docbatch-citations")
	if err != nil {
		return err
	}
	defer func() {
		// The signal context is done by now; flushing gets its own time.
		fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = errors.Join(err, shutdownTelemetry(fctx))
	}()
	log := telemetry.NewLogger(os.Stderr, "citations", lvl)
	log.Info("starting", flagenv.Describe(fs)...)

	nc, err := natsbus.Dialer{URL: *natsURL, Log: log}.Connect("docbatch-citations")
	if err != nil {
		return err
	}
	defer drain(nc, log)

	svc, err := service.New(ctx, cfg, service.Deps{NATS: nc, Log: log})
	if err != nil {
		return err
	}
	srv := grpcserver.New(log)
	svc.Register(srv.GRPC)
	lis, err := grpcserver.Listen(*listen)
	if err != nil {
		return err
	}
	srv.SetServing(svc.HealthNames()...)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(gctx, lis, 5*time.Second) })
	g.Go(func() error { return svc.Run(gctx) })
	if err := g.Wait(); err != nil {
		return err
	}
	log.Info("stopped")
	return nil
}

// drain flushes what the connection still has to send and waits (bounded)
// for it to close: Drain itself returns at once.
func drain(nc *nats.Conn, log *slog.Logger) {
	if err := nc.Drain(); err != nil {
		log.Warn("draining nats", "err", err)
		return
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	for !nc.IsClosed() {
		select {
		case <-tick.C:
		case <-deadline:
			log.Warn("nats drain timed out")
			nc.Close()
			return
		}
	}
}
