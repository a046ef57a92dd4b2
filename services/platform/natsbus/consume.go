package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// consumerMetrics are what an operator watches of a consumer: how far
// behind the stream it is, and what it applied or failed to.
type consumerMetrics struct {
	lag             metric.Int64Gauge
	applied, failed metric.Int64Counter
	attrs           metric.MeasurementOption
}

func newConsumerMetrics(durable string) consumerMetrics {
	m := otel.Meter("docbatch/natsbus")
	lag, _ := m.Int64Gauge("docbatch.consumer.lag", metric.WithDescription("messages of the stream not yet delivered to the consumer"))
	applied, _ := m.Int64Counter("docbatch.consumer.applied", metric.WithDescription("messages applied and acknowledged"))
	failed, _ := m.Int64Counter("docbatch.consumer.failed", metric.WithDescription("messages whose handler failed (redelivered later)"))
	return consumerMetrics{lag: lag, applied: applied, failed: failed, attrs: metric.WithAttributes(attribute.String("consumer", durable))}
}

// Handler applies one message. It must be idempotent: JetStream delivers at
// least once, so the same result can arrive again after a crash or a
// redelivery. A nil error acknowledges the message, so return only once what
// the message changed is durable.
type Handler func(ctx context.Context, msg jetstream.Msg, meta *jetstream.MsgMetadata) error

// ConsumeOptions name a durable consumer of a stream.
type ConsumeOptions struct {
	Stream        string
	Durable       string
	FilterSubject string
	// AckWait is how long JetStream waits for an acknowledgement before
	// redelivering (default 10 s). It is short so that messages a killed
	// consumer had pulled come back soon; a handler that runs longer keeps
	// its message with progress acknowledgements.
	AckWait time.Duration
	Log     *slog.Logger
}

// Consume runs a durable pull consumer until ctx ends, applying each message
// with h and acknowledging it after h returns nil. A failing message is
// negatively acknowledged with a delay and retried; the stream and consumer
// are (re)created as needed so a NATS restart only pauses consumption.
func Consume(ctx context.Context, js jetstream.JetStream, o ConsumeOptions, h Handler) error {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	if o.AckWait == 0 {
		o.AckWait = 10 * time.Second
	}
	backoff := 100 * time.Millisecond
	cm := newConsumerMetrics(o.Durable)
	for ctx.Err() == nil {
		err := consumeOnce(ctx, js, o, h, log, cm)
		if ctx.Err() != nil {
			return nil
		}
		log.Warn("consumer interrupted; retrying", "durable", o.Durable, "err", err, "backoff", backoff.String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
	return nil
}

func consumeOnce(ctx context.Context, js jetstream.JetStream, o ConsumeOptions, h Handler, log *slog.Logger, cm consumerMetrics) error {
	cons, err := js.CreateOrUpdateConsumer(ctx, o.Stream, jetstream.ConsumerConfig{
		Durable:       o.Durable,
		FilterSubject: o.FilterSubject,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       o.AckWait,
		DeliverPolicy: jetstream.DeliverAllPolicy,
		MaxAckPending: 1024,
	})
	if err != nil {
		return fmt.Errorf("creating consumer %s on %s: %w", o.Durable, o.Stream, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(256))
	if err != nil {
		return fmt.Errorf("consuming %s: %w", o.Durable, err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	for {
		msg, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) && ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("next message for %s: %w", o.Durable, err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			_ = msg.Term()
			log.Error("message without metadata; terminated", "subject", msg.Subject(), "err", err)
			continue
		}
		cm.lag.Record(ctx, int64(meta.NumPending), cm.attrs)
		mctx := ExtractTrace(ctx, msg.Headers())
		if err := handle(mctx, h, msg, meta, o.AckWait); err != nil {
			cm.failed.Add(ctx, 1, cm.attrs)
			log.ErrorContext(mctx, "applying message failed; will be redelivered", "durable", o.Durable, "seq", meta.Sequence.Stream, "err", err)
			_ = msg.NakWithDelay(time.Second)
			continue
		}
		cm.applied.Add(ctx, 1, cm.attrs)
		if err := msg.DoubleAck(ctx); err != nil {
			// The handler is idempotent, so a lost ack only costs a redelivery.
			log.WarnContext(mctx, "ack failed", "durable", o.Durable, "seq", meta.Sequence.Stream, "err", err)
		}
	}
}

// handle runs h, telling JetStream the message is still in progress every
// third of the ack wait so a slow handler is not raced by a redelivery.
func handle(ctx context.Context, h Handler, msg jetstream.Msg, meta *jetstream.MsgMetadata, ackWait time.Duration) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(ackWait / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				_ = msg.InProgress()
			}
		}
	}()
	return h(ctx, msg, meta)
}
