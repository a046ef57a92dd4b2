// Command resolver runs the docbatch resolver on its own: it consumes
// document results from NATS JetStream and serves
// docbatch.resolver.v1.ResolverService over gRPC. The all-in-one docbatch
// binary runs the same service in-process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"golang.org/x/sync/errgroup"

	"github.com/docbatch/docbatch/services/platform/flagenv"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/telemetry"
	"github.com/docbatch/docbatch/services/resolver/service"
)

const (
	serviceName = "docbatch-resolver"
	// shutdownGrace bounds in-flight RPCs, the NATS drain and the trace flush.
	shutdownGrace = 5 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "resolver:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("resolver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:7403", "gRPC listen address")
	natsURL := fs.String("nats-url", nats.DefaultURL, "NATS server URL")
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
	log := telemetry.NewLogger(stderr, "resolver", lvl)

	flush, err := telemetry.Setup(ctx, serviceName)
	if err != nil {
		return err
	}
	defer func() {
		// ctx is done by now; the flush gets its own deadline.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		if ferr := flush(fctx); ferr != nil {
			log.Warn("flushing telemetry", "err", ferr)
		}
	}()
	log.Info("starting", flagenv.Describe(fs)...)

	nc, err := natsbus.Dialer{URL: *natsURL, Log: log}.Connect(serviceName)
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
	srv.SetServing(svc.HealthNames()...)
	lis, err := grpcserver.Listen(*listen)
	if err != nil {
		return err
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(gctx, lis, shutdownGrace) })
	g.Go(func() error { return svc.Run(gctx) })
	err = g.Wait()
	log.Info("stopped", "err", err)
	return err
}

// drain flushes what the connection still has to send and closes it,
// waiting at most shutdownGrace.
func drain(nc *nats.Conn, log *slog.Logger) {
	closed := make(chan struct{})
	nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
	if err := nc.Drain(); err != nil {
		log.Warn("draining nats", "err", err)
		nc.Close()
		return
	}
	select {
	case <-closed:
	case <-time.After(shutdownGrace):
		log.Warn("nats drain timed out; closing")
		nc.Close()
	}
}
