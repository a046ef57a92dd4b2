// Command scheduler runs docbatch's scheduler alone, against a NATS server:
// SchedulerService for clients and DispatchService for processors.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/docbatch/docbatch/services/platform/flagenv"
	"github.com/docbatch/docbatch/services/platform/servicemain"
	"github.com/docbatch/docbatch/services/scheduler/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "scheduler:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("scheduler", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var common servicemain.Flags
	common.Register(fs, "127.0.0.1:7401", "gRPC listen address")
	var cfg service.Config
	cfg.RegisterFlags(fs)
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	p, err := servicemain.Start(ctx, "scheduler", fs, common, stderr)
	if err != nil {
		return err
	}
	defer p.Close()
	svc, err := service.New(ctx, cfg, service.Deps{NATS: p.NATS, Log: p.Log})
	if err != nil {
		return err
	}
	return p.Serve(ctx, svc.Register, svc)
}
