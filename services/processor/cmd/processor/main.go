// Command processor runs one docbatch processor on its own: it opens the
// scheduler's Work stream, extracts the documents it is assigned and
// publishes their results to NATS JetStream. It serves only gRPC health and
// reflection itself, for probes and grpcurl.
package main

import (
	"context"
	"flag"
	"io"
	"os"
	"runtime/debug"

	"github.com/docbatch/docbatch/services/platform/flagenv"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/servicemain"
	"github.com/docbatch/docbatch/services/processor/service"
)

func main() { servicemain.Main("processor", run) }

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("processor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scheduler := fs.String("scheduler", "127.0.0.1:7401", "scheduler gRPC address")
	var common servicemain.Flags
	common.Register(fs, "127.0.0.1:7402", "address of the health and reflection gRPC server")
	var cfg service.Config
	cfg.RegisterFlags(fs)
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	// The Go heap is the bulk of a processor's memory: make the GC work
	// harder as it nears the budget instead of letting it run past. An
	// explicit GOMEMLIMIT wins.
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set && cfg.MemoryBudget > 0 && cfg.MemoryBudget < 1<<63 {
		debug.SetMemoryLimit(int64(cfg.MemoryBudget))
	}
	p, err := servicemain.Start(ctx, "processor", fs, common, stderr)
	if err != nil {
		return err
	}
	defer p.Close()
	cc, err := grpcserver.Dial(*scheduler)
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
