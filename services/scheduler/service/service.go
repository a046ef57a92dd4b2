// Package service wires the scheduler for a process: JetStream store, core,
// gRPC adapters. cmd/scheduler and the all-in-one binary both use it.
package service

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"

	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/scheduler"
	"github.com/docbatch/docbatch/services/scheduler/grpcapi"
	"github.com/docbatch/docbatch/services/scheduler/jsstore"
)

// Config is the scheduler service's configuration.
type Config struct {
	Roots              []string
	HeartbeatInterval  time.Duration
	LeaseMisses        int
	MaxRetries         int
	CheckpointInterval time.Duration
	Replicas           int
}

// RegisterFlags binds the configuration to flags.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.Func("roots", "comma-separated directories documents may be read from (the first is the default)", func(v string) error {
		c.Roots = nil
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r != "" {
				c.Roots = append(c.Roots, r)
			}
		}
		return nil
	})
	fs.DurationVar(&c.HeartbeatInterval, "heartbeat-interval", 2*time.Second, "heartbeat interval asked of processors")
	fs.IntVar(&c.LeaseMisses, "lease-misses", 3, "missed heartbeats before a processor's assignments are re-queued")
	fs.IntVar(&c.MaxRetries, "max-retries", 3, "default retries of a transiently failing document")
	fs.DurationVar(&c.CheckpointInterval, "checkpoint-interval", 30*time.Second, "how often batch checkpoints are written")
	fs.IntVar(&c.Replicas, "replicas", 1, "JetStream replicas for the scheduler's stream and bucket")
}

// Deps are what the service needs from its process.
type Deps struct {
	NATS *nats.Conn
	Log  *slog.Logger
}

// Service is a running scheduler.
type Service struct {
	core  *scheduler.Scheduler
	store *jsstore.Store
	log   *slog.Logger
}

// New opens the store, recovers every batch and returns the service.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	js, err := jetstream.New(deps.NATS)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	roots := make([]string, 0, len(cfg.Roots))
	for _, r := range cfg.Roots {
		abs, err := filepath.Abs(r)
		if err != nil {
			return nil, fmt.Errorf("root %q: %w", r, err)
		}
		roots = append(roots, abs)
	}
	store, err := jsstore.Open(ctx, js, jsstore.Options{Replicas: cfg.Replicas, Log: deps.Log})
	if err != nil {
		return nil, err
	}
	in, err := newInstruments()
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("metrics: %w", err)
	}
	core := scheduler.New(scheduler.Config{
		Roots: roots, HeartbeatInterval: cfg.HeartbeatInterval, LeaseMisses: cfg.LeaseMisses,
		DefaultMaxRetries: cfg.MaxRetries, CheckpointInterval: cfg.CheckpointInterval, Log: deps.Log,
		OnAssign: in.onAssign,
	}, store)
	if err := core.Recover(ctx); err != nil {
		store.Close()
		return nil, err
	}
	if err := registerMetrics(core); err != nil {
		store.Close()
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return &Service{core: core, store: store, log: deps.Log}, nil
}

// Core exposes the scheduler for in-process callers (the all-in-one report).
func (s *Service) Core() *scheduler.Scheduler { return s.core }

// Register adds SchedulerService and DispatchService to r.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	schedulerv1.RegisterSchedulerServiceServer(r, &grpcapi.SchedulerServer{Core: s.core})
	schedulerv1.RegisterDispatchServiceServer(r, &grpcapi.DispatchServer{Core: s.core, Log: s.log})
}

// HealthNames are the health service names this service answers for.
func (s *Service) HealthNames() []string {
	return []string{schedulerv1.SchedulerService_ServiceDesc.ServiceName, schedulerv1.DispatchService_ServiceDesc.ServiceName}
}

// Run does the scheduler's periodic work until ctx ends, then checkpoints
// and stops the journal writer.
func (s *Service) Run(ctx context.Context) error {
	err := s.core.Run(ctx)
	s.store.Close()
	return err
}
