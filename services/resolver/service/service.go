// Package service wires the resolver together: JetStream resources, the
// key-value store, the in-memory index rebuilt from it, the result-stream
// consumer and the gRPC API. Both cmd/resolver and the all-in-one docbatch
// binary build the resolver through it, so the two cannot drift apart.
package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"google.golang.org/grpc"

	resolverv1 "github.com/docbatch/docbatch/proto/docbatch/resolver/v1"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/resolver"
	"github.com/docbatch/docbatch/services/resolver/consumer"
	"github.com/docbatch/docbatch/services/resolver/grpcapi"
	"github.com/docbatch/docbatch/services/resolver/llm"
	"github.com/docbatch/docbatch/services/resolver/match"
	"github.com/docbatch/docbatch/services/resolver/store"
)

// Config is the resolver's configuration.
type Config struct {
	// Replicas of the streams and the bucket the resolver creates: 1 on one
	// machine, 3 on a NATS cluster.
	Replicas int
	// LLM, when its URL is set, adjudicates uncertain pairs; off by default.
	LLMURL, LLMModel, LLMAPIKey string
	LLMMinConfidence            float64
}

// RegisterFlags binds the configuration to fs. Flag names carry the
// "resolver-" prefix so the all-in-one binary can register every service's
// flags on one set without collisions.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.Replicas, "resolver-replicas", 1, "replicas of the JetStream stream and bucket the resolver creates (1 on one machine, 3 on a cluster)")
	fs.StringVar(&c.LLMURL, "resolver-llm-url", "", "OpenAI-compatible API root (e.g. http://127.0.0.1:11434/v1 for ollama) to adjudicate uncertain pairs; empty: off")
	fs.StringVar(&c.LLMModel, "resolver-llm-model", "", "model name for --resolver-llm-url")
	fs.StringVar(&c.LLMAPIKey, "resolver-llm-api-key", "", "bearer key for --resolver-llm-url, if it needs one")
	fs.Float64Var(&c.LLMMinConfidence, "resolver-llm-min-confidence", 0.7, "a model's \"same\" counts only at or above this confidence")
}

// Deps are what the resolver needs from its host process.
type Deps struct {
	NATS *nats.Conn
	Log  *slog.Logger
}

// Service is a ready-to-run resolver.
type Service struct {
	index    *resolver.Index
	api      *grpcapi.Server
	consumer *consumer.Consumer
	log      *slog.Logger
}

// New creates the JetStream resources the resolver uses (the results stream,
// so start-up order between services does not matter, and the resolver's
// bucket) and rebuilds the index from the bucket, so the returned service
// answers queries at once, before Run has consumed anything.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	if deps.NATS == nil {
		return nil, errors.New("resolver: a NATS connection is required")
	}
	log := deps.Log
	if log == nil {
		log = slog.Default()
	}
	js, err := jetstream.New(deps.NATS)
	if err != nil {
		return nil, fmt.Errorf("resolver: jetstream: %w", err)
	}
	if _, err := natsbus.EnsureResults(ctx, js, natsbus.StreamOptions{Replicas: cfg.Replicas}); err != nil {
		return nil, fmt.Errorf("resolver: %w", err)
	}
	st, err := store.Open(ctx, js, store.Options{Replicas: cfg.Replicas, Log: log})
	if err != nil {
		return nil, fmt.Errorf("resolver: %w", err)
	}
	var adj *llm.Client
	opts := match.Options{}
	if cfg.LLMURL != "" {
		if adj, err = llm.New(llm.Config{BaseURL: cfg.LLMURL, Model: cfg.LLMModel, APIKey: cfg.LLMAPIKey}); err != nil {
			return nil, fmt.Errorf("resolver: %w", err)
		}
		opts.Adjudicator = llm.Adjudicator{Client: adj, MinConfidence: cfg.LLMMinConfidence}
		// Bounded so that one rebuild of the clusters cannot turn into
		// thousands of model calls; the closest-to-even pairs go first.
		opts.MaxAdjudications = 500
		log.Info("resolver adjudicates uncertain pairs with a language model", "url", cfg.LLMURL, "model", cfg.LLMModel)
	}
	idx := resolver.NewIndexWith(opts)
	docs := 0
	lastSeq, err := st.Load(ctx, func(d store.Document) error {
		idx.Apply(d.BatchID, d.ID, d.Version, d.Mentions)
		docs++
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("resolver: rebuilding index: %w", err)
	}
	for batch, seq := range lastSeq {
		idx.MarkApplied(batch, seq)
	}
	log.Info("resolver index loaded", "documents", docs, "batches", len(lastSeq))
	return &Service{
		index:    idx,
		api:      grpcapi.New(idx, adj),
		consumer: consumer.New(js, st, idx, log),
		log:      log,
	}, nil
}

// Register adds the ResolverService to a gRPC server.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	resolverv1.RegisterResolverServiceServer(r, s.api)
}

// HealthNames are the service names to mark SERVING in grpc.health.v1.
func (s *Service) HealthNames() []string {
	return []string{resolverv1.ResolverService_ServiceDesc.ServiceName}
}

// Run consumes the result stream until ctx ends; it returns nil then. NATS
// outages only pause it.
func (s *Service) Run(ctx context.Context) error {
	s.log.Info("resolver consuming results", "stream", natsbus.ResultsStream, "durable", consumer.Durable)
	if err := s.consumer.Run(ctx); err != nil {
		return fmt.Errorf("resolver: consuming results: %w", err)
	}
	return nil
}
