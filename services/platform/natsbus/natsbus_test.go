package natsbus

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// A message published with a Nats-Msg-Id twice is stored once, and the trace
// context put in its headers comes out on the consumer side.
func TestEmbeddedResultsDedupAndTraceHeaders(t *testing.T) {
	ns, err := StartEmbedded(EmbeddedOptions{StoreDir: t.TempDir()})
	require.NoError(t, err)
	defer ns.Shutdown()
	nc, err := Dialer{Embedded: ns}.Connect("test")
	require.NoError(t, err)
	defer nc.Close()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := EnsureResults(ctx, js, StreamOptions{})
	require.NoError(t, err)

	tp := sdktrace.NewTracerProvider()
	otel.SetTextMapPropagator(propagation.TraceContext{})
	sctx, span := tp.Tracer("t").Start(ctx, "publish")
	defer span.End()
	msg := nats.NewMsg(ResultSubject("b1"))
	msg.Data = []byte("x")
	InjectTrace(sctx, msg.Header)
	a1, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(MsgID("b1", "doc/1.pdf")))
	require.NoError(t, err)
	a2, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(MsgID("b1", "doc/1.pdf")))
	require.NoError(t, err)
	require.True(t, a2.Duplicate)
	require.Equal(t, a1.Sequence, a2.Sequence)
	info, err := st.Info(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, info.State.Msgs)

	got := make(chan string, 1)
	cctx, ccancel := context.WithCancel(ctx)
	go func() {
		_ = Consume(cctx, js, ConsumeOptions{Stream: ResultsStream, Durable: "t", FilterSubject: ResultsSubjectPrefix + ">"}, func(ctx context.Context, m jetstream.Msg, _ *jetstream.MsgMetadata) error {
			got <- trace.SpanContextFromContext(ctx).TraceID().String()
			return nil
		})
	}()
	select {
	case id := <-got:
		require.Equal(t, span.SpanContext().TraceID().String(), id)
	case <-ctx.Done():
		t.Fatal("message not consumed")
	}
	ccancel()
}
