// Command citations runs the docbatch citations service on its own: it
// consumes document results from NATS JetStream with a durable consumer and
// serves docbatch.citations.v1.CitationService over gRPC. The all-in-one
// docbatch binary runs the same service in-process.
package main

import (
	"context"
	"io"

	"github.com/docbatch/docbatch/services/citations/service"
	"github.com/docbatch/docbatch/services/platform/servicemain"
)

func main() { servicemain.Main("citations", run) }

func run(ctx context.Context, args []string, stderr io.Writer) error {
	var cfg service.Config
	return servicemain.Run(ctx, args, stderr, "citations", "127.0.0.1:7404", &cfg,
		func(ctx context.Context, p *servicemain.Process) (servicemain.Registered, error) {
			svc, err := service.New(ctx, cfg, service.Deps{NATS: p.NATS, Log: p.Log})
			if err != nil {
				return nil, err
			}
			return svc, nil
		})
}
