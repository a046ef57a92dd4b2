// Package service wires the citations service together: the JetStream
// resources it needs, the core index rebuilt from the store at start-up, the
// durable consumer of document results, and the gRPC API. cmd/citations and
// the all-in-one binary both run it.
package service

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	citationsv1 "github.com/docbatch/docbatch/proto/docbatch/citations/v1"
	processorv1 "github.com/docbatch/docbatch/proto/docbatch/processor/v1"
	"github.com/docbatch/docbatch/services/citations"
	"github.com/docbatch/docbatch/services/citations/grpcapi"
	"github.com/docbatch/docbatch/services/citations/peers"
	"github.com/docbatch/docbatch/services/citations/store"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelcodes "go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// Durable is the name of the service's consumer on the results stream.
const Durable = "citations"

// TracerName names the spans of the service.
const TracerName = "docbatch/citations"

// Config is the citations service's configuration.
type Config struct {
	// Replicas of the KV bucket and the shared streams: 1 on one machine, 3
	// on a NATS cluster.
	Replicas int
}

// RegisterFlags binds the configuration to fs.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.Replicas, "replicas", 1, "replicas of the citations bucket and the results stream")
}

// Deps are what the service borrows from its host.
type Deps struct {
	NATS *nats.Conn
	Log  *slog.Logger
	// Scheduler and Resolver are optional connections to those services,
	// for the parts of GetBatchReport only they know (document counts,
	// entity clusters). Without one, reports say it is not configured.
	Scheduler grpc.ClientConnInterface
	Resolver  grpc.ClientConnInterface
}

// Service is a running citations service.
type Service struct {
	cfg   Config
	log   *slog.Logger
	js    jetstream.JetStream
	store *store.Store
	index *citations.Index
	// reporter answers GetBatchReport from the index and the peers.
	reporter *citations.Reporter
	tracer   trace.Tracer
}

// New ensures the JetStream resources and rebuilds the index from the
// store. It does not consume yet; Run does.
func New(ctx context.Context, cfg Config, deps Deps) (*Service, error) {
	if deps.NATS == nil {
		return nil, errors.New("a NATS connection is required")
	}
	log := deps.Log
	if log == nil {
		log = slog.Default()
	}
	js, err := jetstream.New(deps.NATS)
	if err != nil {
		return nil, fmt.Errorf("opening jetstream: %w", err)
	}
	if _, err := natsbus.EnsureResults(ctx, js, natsbus.StreamOptions{Replicas: cfg.Replicas}); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, js, cfg.Replicas)
	if err != nil {
		return nil, err
	}
	idx := citations.NewIndex()
	if err := st.Apply(ctx, idx); err != nil {
		return nil, fmt.Errorf("loading citation state: %w", err)
	}
	log.Info("citation state loaded", "batches", len(idx.Batches()))
	rep := &citations.Reporter{Index: idx}
	if deps.Scheduler != nil {
		rep.Scheduler = peers.NewScheduler(deps.Scheduler)
	}
	if deps.Resolver != nil {
		rep.Resolver = peers.NewResolver(deps.Resolver)
	}
	return &Service{
		cfg: cfg, log: log, js: js, store: st, index: idx, reporter: rep,
		tracer: otel.Tracer(TracerName),
	}, nil
}

// Register adds the CitationService to r.
func (s *Service) Register(r grpc.ServiceRegistrar) {
	citationsv1.RegisterCitationServiceServer(r, grpcapi.NewWithReporter(s.reporter))
}

// HealthNames are the service names to mark SERVING in grpc.health.v1.
func (s *Service) HealthNames() []string {
	return []string{citationsv1.CitationService_ServiceDesc.ServiceName}
}

// Core returns the index for in-process readers (the report writer of the
// all-in-one binary). Use it read-only: Network(…).Snapshot() and the
// snapshot's methods.
func (s *Service) Core() *citations.Index { return s.index }

// Run consumes document results until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	return natsbus.Consume(ctx, s.js, natsbus.ConsumeOptions{
		Stream:        natsbus.ResultsStream,
		Durable:       Durable,
		FilterSubject: natsbus.ResultsSubjectPrefix + ">",
		Log:           s.log,
	}, s.handle)
}

// handle applies one DocumentResult: the store first, then the index, so
// the ack that follows a nil return means the contribution is durable. It is
// idempotent by (batch, document): a result applied again replaces itself,
// and a result older than the one held is skipped.
func (s *Service) handle(ctx context.Context, msg jetstream.Msg, meta *jetstream.MsgMetadata) error {
	ctx, span := s.tracer.Start(ctx, "citations.apply_result", trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.destination.name", msg.Subject()),
			attribute.Int64("messaging.message.stream_sequence", int64(meta.Sequence.Stream)),
		))
	defer span.End()

	var r processorv1.DocumentResult
	if err := proto.Unmarshal(msg.Data(), &r); err != nil {
		// A malformed message will never parse; retrying it would block
		// nothing but fill the log, so it is acknowledged and dropped.
		span.SetStatus(otelcodes.Error, "malformed result")
		s.log.ErrorContext(ctx, "dropping malformed result", "subject", msg.Subject(), "seq", meta.Sequence.Stream, "err", err)
		return nil
	}
	batch := r.GetBatchId()
	if batch == "" {
		batch = msg.Subject()[len(natsbus.ResultsSubjectPrefix):]
	}
	if batch == "" || r.GetDocumentId() == "" {
		span.SetStatus(otelcodes.Error, "result without batch or document id")
		s.log.ErrorContext(ctx, "dropping result without batch or document id", "subject", msg.Subject(), "seq", meta.Sequence.Stream)
		return nil
	}
	span.SetAttributes(attribute.String("docbatch.batch_id", batch), attribute.String("docbatch.document_id", r.GetDocumentId()))

	seq := meta.Sequence.Stream
	c := citations.FromResult(&r, seq)
	if s.index.Supersedes(batch, c) {
		if err := s.store.Put(ctx, batch, c); err != nil {
			span.RecordError(err)
			return err
		}
		s.index.Apply(batch, c)
	} else {
		span.AddEvent("stale result skipped")
		s.log.DebugContext(ctx, "skipping stale result", "batch", batch, "document", r.GetDocumentId(), "epoch", r.GetEpoch(), "seq", seq)
	}
	if err := s.store.AdvanceSeq(ctx, batch, seq); err != nil {
		span.RecordError(err)
		return err
	}
	s.index.AdvanceSeq(batch, seq)
	return nil
}
