// Command citations runs the docbatch citations service on its own: it
// consumes document results from NATS JetStream with a durable consumer and
// serves docbatch.citations.v1.CitationService over gRPC. The all-in-one
// docbatch binary runs the same service in-process.
//
// --scheduler and --resolver are optional: GetBatchReport asks them for the
// parts only they know, and says so in the report when one is not set or
// does not answer.
package main

import (
	"context"
	"flag"
	"io"

	"google.golang.org/grpc"

	"github.com/docbatch/docbatch/services/citations/service"
	"github.com/docbatch/docbatch/services/platform/flagenv"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/security"
	"github.com/docbatch/docbatch/services/platform/servicemain"
)

func main() { servicemain.Main("citations", run) }

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("citations", flag.ContinueOnError)
	fs.SetOutput(stderr)
	scheduler := fs.String("scheduler", "", "scheduler gRPC address for batch reports (empty: reports say it is not configured)")
	resolver := fs.String("resolver", "", "resolver gRPC address for batch reports (empty: reports say it is not configured)")
	var schedSec, resSec security.ClientConfig
	schedSec.RegisterFlags(fs, "scheduler-")
	resSec.RegisterFlags(fs, "resolver-")
	var common servicemain.Flags
	common.Register(fs, "127.0.0.1:7404", "gRPC listen address")
	var cfg service.Config
	cfg.RegisterFlags(fs)
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	p, err := servicemain.Start(ctx, "citations", fs, common, stderr)
	if err != nil {
		return err
	}
	defer p.Close()
	deps := service.Deps{NATS: p.NATS, Log: p.Log}
	// Dialing is lazy: a peer that is down at start only degrades reports
	// until it is up.
	for _, peer := range []struct {
		addr string
		sec  security.ClientConfig
		dep  *grpc.ClientConnInterface
	}{{*scheduler, schedSec, &deps.Scheduler}, {*resolver, resSec, &deps.Resolver}} {
		if peer.addr == "" {
			continue // a nil *grpc.ClientConn would be a non-nil interface
		}
		opts, err := peer.sec.DialOptions()
		if err != nil {
			return err
		}
		cc, err := grpcserver.Dial(peer.addr, opts...)
		if err != nil {
			return err
		}
		defer cc.Close()
		*peer.dep = cc
	}
	svc, err := service.New(ctx, cfg, deps)
	if err != nil {
		return err
	}
	return p.Serve(ctx, svc.Register, svc)
}
