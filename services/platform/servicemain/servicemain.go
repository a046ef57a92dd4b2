// Package servicemain is the process plumbing every docbatch service binary
// shares, so each cmd/<service>/main.go keeps only what is its own: the
// common flags (listen, nats-url, log-level), the JSON logger, telemetry,
// the NATS connection, and serving gRPC beside the service's own loop until
// the context ends, then draining NATS and flushing traces.
package servicemain

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
	"google.golang.org/grpc"

	"github.com/docbatch/docbatch/services/platform/flagenv"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/security"
	"github.com/docbatch/docbatch/services/platform/telemetry"
)

// Flags are the settings every service binary has.
type Flags struct {
	Listen, NATSURL, LogLevel string
	// MetricsListen serves Prometheus /metrics when set.
	MetricsListen string
	// Security is the gRPC server's TLS and authorisation.
	Security security.ServerConfig
	// NATS is how to authenticate to NATS and verify it.
	NATS natsbus.Credentials
}

// Register binds the common flags; defaultListen differs per service.
func (f *Flags) Register(fs *flag.FlagSet, defaultListen, listenUsage string) {
	fs.StringVar(&f.Listen, "listen", defaultListen, listenUsage)
	fs.StringVar(&f.NATSURL, "nats-url", "nats://127.0.0.1:4222", "NATS server URL")
	fs.StringVar(&f.LogLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&f.MetricsListen, "metrics-listen", "", "serve Prometheus metrics at http://ADDR/metrics (empty: off)")
	f.Security.RegisterFlags(fs)
	f.NATS.RegisterFlags(fs)
}

// Process is a started service process.
type Process struct {
	Log         *slog.Logger
	NATS        *nats.Conn
	listen      string
	security    security.ServerConfig
	metrics     *telemetry.Metrics
	shutdownTel func(context.Context) error
}

// Start sets up logging (configuration printed, secrets masked), telemetry
// and the NATS connection for the service name ("scheduler", …). Call it
// after flagenv.Parse, and Close when done.
func Start(ctx context.Context, name string, fs *flag.FlagSet, f Flags, stderr io.Writer) (*Process, error) {
	lvl, err := telemetry.ParseLevel(f.LogLevel)
	if err != nil {
		return nil, err
	}
	log := telemetry.NewLogger(stderr, name, lvl)
	log.Info("starting", flagenv.Describe(fs)...)
	shutdownTel, err := telemetry.Setup(ctx, "docbatch-"+name)
	if err != nil {
		return nil, err
	}
	// Fail on bad TLS settings before connecting anywhere.
	if _, err := f.Security.ServerOptions(); err != nil {
		_ = shutdownTel(context.Background())
		return nil, err
	}
	var metrics *telemetry.Metrics
	if f.MetricsListen != "" {
		if metrics, err = telemetry.ServeMetrics(f.MetricsListen, "docbatch-"+name, log); err != nil {
			_ = shutdownTel(context.Background())
			return nil, err
		}
	}
	nc, err := natsbus.Dialer{URL: f.NATSURL, Credentials: f.NATS, Log: log}.Connect("docbatch-" + name)
	if err != nil {
		_ = metrics.Close(context.Background())
		_ = shutdownTel(context.Background())
		return nil, err
	}
	return &Process{Log: log, NATS: nc, listen: f.Listen, security: f.Security, metrics: metrics, shutdownTel: shutdownTel}, nil
}

// Close drains NATS and flushes telemetry, each with its own deadline (the
// signal context is over by now).
func (p *Process) Close() {
	if err := natsbus.Drain(p.NATS, 5*time.Second); err != nil {
		p.Log.Warn("closing nats", "err", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := p.shutdownTel(ctx); err != nil {
		p.Log.Warn("flushing telemetry", "err", err)
	}
	if err := p.metrics.Close(ctx); err != nil {
		p.Log.Warn("stopping metrics", "err", err)
	}
}

// Service is what a binary runs beside its gRPC server.
type Service interface {
	HealthNames() []string
	Run(ctx context.Context) error
}

// Serve runs the gRPC server (health, reflection, and what register adds)
// and svc.Run until ctx ends or either fails, then stops both.
func (p *Process) Serve(ctx context.Context, register func(grpc.ServiceRegistrar), svc Service) error {
	lis, err := grpcserver.Listen(p.listen)
	if err != nil {
		return err
	}
	opts, err := p.security.ServerOptions()
	if err != nil {
		return err
	}
	srv := grpcserver.New(p.Log, opts...)
	if register != nil {
		register(srv.GRPC)
	}
	names := svc.HealthNames()
	srv.SetServing(names...)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(gctx, lis, 5*time.Second) })
	g.Go(func() error { return svc.Run(gctx) })
	g.Go(func() error { srv.Follow(gctx, "nats", p.NATS.IsConnected, names...); return nil })
	if err := g.Wait(); err != nil {
		return fmt.Errorf("serving: %w", err)
	}
	p.Log.Info("stopped")
	return nil
}

// Configurable is a service's configuration, bound to flags.
type Configurable interface{ RegisterFlags(fs *flag.FlagSet) }

// Registered is a service that serves gRPC APIs of its own.
type Registered interface {
	Service
	Register(grpc.ServiceRegistrar)
}

// Run is the whole run of a service binary whose service needs only NATS:
// parse flags (the common ones and cfg's), start the process, build the
// service with start, and serve until ctx ends.
func Run(ctx context.Context, args []string, stderr io.Writer, name, defaultListen string, cfg Configurable,
	start func(ctx context.Context, p *Process) (Registered, error)) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var common Flags
	common.Register(fs, defaultListen, "gRPC listen address")
	cfg.RegisterFlags(fs)
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	p, err := Start(ctx, name, fs, common, stderr)
	if err != nil {
		return err
	}
	defer p.Close()
	svc, err := start(ctx, p)
	if err != nil {
		return err
	}
	return p.Serve(ctx, svc.Register, svc)
}

// Main runs run under a context that SIGINT and SIGTERM cancel, and exits
// non-zero with the error (help is not an error).
func Main(name string, run func(ctx context.Context, args []string, stderr io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}
