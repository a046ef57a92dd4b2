// Package consumer feeds the resolver from the JetStream result stream: a
// durable pull consumer decodes each DocumentResult, stores the mentions it
// contributes (durably, first) and then applies them to the in-memory
// index, and only then lets the message be acknowledged.
package consumer

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/proto"

	processorv1 "github.com/docbatch/docbatch/proto/docbatch/processor/v1"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/resolver"
	"github.com/docbatch/docbatch/services/resolver/store"
)

// Durable is the name of the resolver's consumer on the results stream.
const Durable = "resolver"

// TracerName names the tracer of the spans this package starts.
const TracerName = "docbatch/resolver"

// Consumer applies results to an index through a store.
type Consumer struct {
	js     jetstream.JetStream
	store  *store.Store
	index  *resolver.Index
	log    *slog.Logger
	tracer trace.Tracer
}

// New returns a consumer. The tracer comes from the global provider at the
// time of the call (telemetry.Setup installs it before services start).
func New(js jetstream.JetStream, st *store.Store, idx *resolver.Index, log *slog.Logger) *Consumer {
	if log == nil {
		log = slog.Default()
	}
	return &Consumer{js: js, store: st, index: idx, log: log, tracer: otel.Tracer(TracerName)}
}

// Run consumes the results stream until ctx ends.
func (c *Consumer) Run(ctx context.Context) error {
	return natsbus.Consume(ctx, c.js, natsbus.ConsumeOptions{
		Stream:        natsbus.ResultsStream,
		Durable:       Durable,
		FilterSubject: natsbus.ResultsSubjectPrefix + ">",
		Log:           c.log,
	}, c.Handle)
}

// Handle applies one result message. It is idempotent by (batch, document):
// the stored and indexed contribution of a document is replaced, never
// added to, and a result older than the one held (earlier epoch, or earlier
// stream sequence in the same epoch) is ignored, so redeliveries, retries
// and republished results never double-count. Messages that can never be
// applied (undecodable, no ids, a batch id unusable as a key) are logged and
// acknowledged: redelivering them would only block the stream.
func (c *Consumer) Handle(ctx context.Context, msg jetstream.Msg, meta *jetstream.MsgMetadata) error {
	seq := meta.Sequence.Stream
	ctx, span := c.tracer.Start(ctx, "resolver.apply_result",
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(
			attribute.String("messaging.system", "nats"),
			attribute.String("messaging.destination.name", msg.Subject()),
			attribute.Int64("messaging.nats.stream_sequence", int64(seq)),
		))
	defer span.End()

	var res processorv1.DocumentResult
	if err := proto.Unmarshal(msg.Data(), &res); err != nil {
		c.drop(ctx, span, "undecodable result", err, "subject", msg.Subject(), "seq", seq)
		return nil
	}
	batchID, docID := res.GetBatchId(), res.GetDocumentId()
	span.SetAttributes(attribute.String("docbatch.batch_id", batchID), attribute.String("docbatch.document_id", docID))
	if batchID == "" || docID == "" {
		c.drop(ctx, span, "result without batch or document id", nil, "subject", msg.Subject(), "seq", seq)
		return nil
	}
	if !store.ValidBatchID(batchID) {
		c.drop(ctx, span, "result with a batch id unusable as a key", store.ErrInvalidBatchID, "batch", batchID, "seq", seq)
		return nil
	}

	v := resolver.Version{Epoch: res.GetEpoch(), Seq: seq}
	if cur, ok := c.index.Current(batchID, docID); ok && v.Less(cur) {
		c.log.DebugContext(ctx, "ignoring stale result", "batch", batchID, "document", docID, "seq", seq, "epoch", v.Epoch, "held_seq", cur.Seq, "held_epoch", cur.Epoch)
		span.SetAttributes(attribute.Bool("docbatch.stale", true))
		return c.markApplied(ctx, batchID, seq)
	}

	mentions := resolver.ExtractMentions(documentFromResult(&res))
	// Durable first: once the message is acknowledged the stream will not
	// give it back, so the contribution must already be in the bucket.
	if err := c.store.Put(ctx, store.Document{BatchID: batchID, ID: docID, Version: v, Mentions: mentions}); err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "storing mentions")
		return fmt.Errorf("applying result seq %d: %w", seq, err)
	}
	c.index.Apply(batchID, docID, v, mentions)
	span.SetAttributes(attribute.Int("docbatch.mentions", len(mentions)))
	return c.markApplied(ctx, batchID, seq)
}

func (c *Consumer) markApplied(ctx context.Context, batchID string, seq uint64) error {
	if err := c.store.RecordSeq(ctx, batchID, seq); err != nil {
		trace.SpanFromContext(ctx).RecordError(err)
		return fmt.Errorf("applying result seq %d: %w", seq, err)
	}
	c.index.MarkApplied(batchID, seq)
	return nil
}

func (c *Consumer) drop(ctx context.Context, span trace.Span, why string, err error, kv ...any) {
	if err != nil {
		span.RecordError(err)
		kv = append(kv, "err", err)
	}
	span.SetStatus(codes.Error, why)
	c.log.ErrorContext(ctx, why+"; acknowledged without applying", kv...)
}

// documentFromResult keeps what the resolver uses of a result. A result
// that carries an error counts as a document with no mentions, replacing
// whatever an earlier attempt contributed.
func documentFromResult(r *processorv1.DocumentResult) resolver.Document {
	d := resolver.Document{ID: r.GetDocumentId(), Failed: r.GetError() != nil}
	for _, a := range r.GetMetadata().GetAuthors() {
		d.Authors = append(d.Authors, resolver.Author{
			FullName:    a.GetFullName(),
			Given:       a.GetGiven(),
			Family:      a.GetFamily(),
			ORCID:       a.GetOrcid(),
			Affiliation: a.GetAffiliation(),
		})
	}
	for _, ref := range r.GetReferences() {
		d.References = append(d.References, resolver.Reference{
			Raw:     ref.GetRaw(),
			Authors: ref.GetAuthors(),
			Title:   ref.GetTitle(),
			Year:    int(ref.GetYear()),
			DOI:     ref.GetDoi(),
		})
	}
	return d
}
