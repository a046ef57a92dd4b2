// Command scheduler runs docbatch's scheduler alone, against a NATS server:
// SchedulerService for clients and DispatchService for processors.
package main

import (
	"context"
	"io"

	"github.com/docbatch/docbatch/services/platform/servicemain"
	"github.com/docbatch/docbatch/services/scheduler/service"
)

func main() { servicemain.Main("scheduler", run) }

func run(ctx context.Context, args []string, stderr io.Writer) error {
	var cfg service.Config
	return servicemain.Run(ctx, args, stderr, "scheduler", "127.0.0.1:7401", &cfg,
		func(ctx context.Context, p *servicemain.Process) (servicemain.Registered, error) {
			svc, err := service.New(ctx, cfg, service.Deps{NATS: p.NATS, Log: p.Log})
			if err != nil {
				return nil, err
			}
			return svc, nil
		})
}
