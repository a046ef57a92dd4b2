// Command resolver runs the docbatch resolver service on its own: it consumes
// document results from NATS JetStream with a durable consumer and serves
// docbatch.resolver.v1.ResolverService over gRPC. The all-in-one docbatch
// binary runs the same service in-process.
package main

import (
	"context"
	"io"

	"github.com/docbatch/docbatch/services/platform/servicemain"
	"github.com/docbatch/docbatch/services/resolver/service"
)

func main() { servicemain.Main("resolver", run) }

func run(ctx context.Context, args []string, stderr io.Writer) error {
	var cfg service.Config
	return servicemain.Run(ctx, args, stderr, "resolver", "127.0.0.1:7403", &cfg,
		func(ctx context.Context, p *servicemain.Process) (servicemain.Registered, error) {
			svc, err := service.New(ctx, cfg, service.Deps{NATS: p.NATS, Log: p.Log})
			if err != nil {
				return nil, err
			}
			return svc, nil
		})
}
