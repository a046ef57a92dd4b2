package consumer_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/protobuf/proto"

	processorv1 "github.com/docbatch/docbatch/proto/docbatch/processor/v1"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/natsbus/natstest"
	"github.com/docbatch/docbatch/services/resolver"
	"github.com/docbatch/docbatch/services/resolver/consumer"
	"github.com/docbatch/docbatch/services/resolver/store"
)

// A result's span continues the trace the processor put in the headers, and
// the result is durable in the bucket once applied.
func TestSpanContinuesPublisherTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})

	_, js := natstest.Connect(t, natstest.Server(t), "consumer-test")
	ctx := t.Context()
	_, err := natsbus.EnsureResults(ctx, js, natsbus.StreamOptions{})
	require.NoError(t, err)
	st, err := store.Open(ctx, js, store.Options{})
	require.NoError(t, err)
	idx := resolver.NewIndex()

	pctx, parent := tp.Tracer("processor").Start(ctx, "publish")
	data, err := proto.Marshal(&processorv1.DocumentResult{BatchId: "b", DocumentId: "d",
		Metadata: &processorv1.Metadata{Authors: []*processorv1.Author{{FullName: "Ada Lovelace"}}}})
	require.NoError(t, err)
	msg := &nats.Msg{Subject: natsbus.ResultSubject("b"), Data: data, Header: nats.Header{}}
	natsbus.InjectTrace(pctx, msg.Header)
	parent.End()
	_, err = js.PublishMsg(ctx, msg)
	require.NoError(t, err)

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- consumer.New(js, st, idx, nil).Run(runCtx) }()
	require.Eventually(t, func() bool {
		for _, s := range rec.Ended() {
			if s.Name() == "resolver.apply_result" {
				return s.Parent().TraceID() == parent.SpanContext().TraceID() && s.Parent().SpanID() == parent.SpanContext().SpanID()
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)

	var loaded []store.Document
	seqs, err := st.Load(ctx, func(d store.Document) error { loaded = append(loaded, d); return nil })
	require.NoError(t, err)
	require.Equal(t, map[string]uint64{"b": 1}, seqs)
	require.Len(t, loaded, 1)
	require.Equal(t, "Ada Lovelace", loaded[0].Mentions[0].Text)
	require.Equal(t, resolver.Version{Seq: 1}, loaded[0].Version)
}
