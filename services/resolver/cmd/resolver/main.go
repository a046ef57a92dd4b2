// Command resolver runs the docbatch resolver service on its own: it consumes
// document results from NATS JetStream with a durable consumer and serves
// docbatch.resolver.v1.ResolverService over gRPC. The all-in-one docbatch binary
// runs the same service in-process.
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
	"github.com/docbatch/docbatch/services/resolver/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "resolver:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("resolver", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var common servicemain.Flags
	common.Register(fs, "127.0.0.1:7403", "gRPC listen address")
	var cfg service.Config
	cfg.RegisterFlags(fs)
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	p, err := servicemain.Start(ctx, "resolver", fs, common, stderr)
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
