// Command processor runs one docbatch processor on its own: it opens the
// scheduler's Work stream, extracts the documents it is assigned and
// publishes their results to NATS JetStream. It serves only gRPC health and
// reflection itself, for probes and grpcurl.
package main

import (
	"context"
	"flag"
	"io"

	"github.com/docbatch/docbatch/services/platform/flagenv"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/security"
	"github.com/docbatch/docbatch/services/platform/servicemain"
	"github.com/docbatch/docbatch/services/processor/service"
)

func main() { servicemain.Main("processor", run) }

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("processor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scheduler := fs.String("scheduler", "127.0.0.1:7401", "scheduler gRPC address")
	var schedSec security.ClientConfig
	schedSec.RegisterFlags(fs, "scheduler-")
	var common servicemain.Flags
	common.Register(fs, "127.0.0.1:7402", "address of the health and reflection gRPC server")
	var cfg service.Config
	cfg.RegisterFlags(fs)
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	service.SetMemoryLimit(cfg.MemoryBudget)
	p, err := servicemain.Start(ctx, "processor", fs, common, stderr)
	if err != nil {
		return err
	}
	defer p.Close()
	dialOpts, err := schedSec.DialOptions()
	if err != nil {
		return err
	}
	cc, err := grpcserver.Dial(*scheduler, dialOpts...)
	if err != nil {
		return err
	}
	defer cc.Close()
	svc, err := service.New(ctx, cfg, service.Deps{NATS: p.NATS, Dispatch: cc, Log: p.Log})
	if err != nil {
		return err
	}
	return p.Serve(ctx, nil, svc)
}
