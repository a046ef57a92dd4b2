// Command scheduler runs docbatch's scheduler alone, against a NATS server.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/docbatch/docbatch/services/platform/flagenv"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/telemetry"
	"github.com/docbatch/docbatch/services/scheduler/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "scheduler:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("scheduler", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:7401", "gRPC listen address")
	natsURL := fs.String("nats-url", "nats://127.0.0.1:4222", "NATS server URL")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	var cfg service.Config
	cfg.RegisterFlags(fs)
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	lvl, err := telemetry.ParseLevel(*logLevel)
	if err != nil {
		return err
	}
	log := telemetry.NewLogger(os.Stderr, "scheduler", lvl)
	log.Info("starting", flagenv.Describe(fs)...)
	shutdownTel, err := telemetry.Setup(ctx, "docbatch-scheduler")
	if err != nil {
		return err
	}
	defer func() { _ = shutdownTel(context.Background()) }()

	nc, err := natsbus.Dialer{URL: *natsURL, Log: log}.Connect("docbatch-scheduler")
	if err != nil {
		return err
	}
	defer func() { _ = nc.Drain() }()
	svc, err := service.New(ctx, cfg, service.Deps{NATS: nc, Log: log})
	if err != nil {
		return err
	}
	lis, err := grpcserver.Listen(*listen)
	if err != nil {
		return err
	}
	srv := grpcserver.New(log)
	svc.Register(srv.GRPC)
	srv.SetServing(svc.HealthNames()...)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(gctx, lis, 5*time.Second) })
	g.Go(func() error { return svc.Run(gctx) })
	return g.Wait()
}
