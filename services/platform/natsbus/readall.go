package natsbus

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ReadAll calls fn, in stream order, for every message of st on subject (a
// filter, wildcards allowed) that is there when it starts, then returns. It
// is how state is rebuilt from a stream: an ordered consumer counts what is
// pending and fetches exactly that many.
func ReadAll(ctx context.Context, st jetstream.Stream, subject string, fn func(jetstream.Msg) error) error {
	cons, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subject},
		DeliverPolicy:  jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("reading %s: %w", subject, err)
	}
	info, err := cons.Info(ctx)
	if err != nil {
		return fmt.Errorf("reading %s: %w", subject, err)
	}
	for left := int(info.NumPending); left > 0; {
		b, err := cons.Fetch(min(left, 256), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return fmt.Errorf("reading %s: %w", subject, err)
		}
		got := 0
		for m := range b.Messages() {
			got++
			if err := fn(m); err != nil {
				return err
			}
		}
		if err := b.Error(); err != nil {
			return fmt.Errorf("reading %s: %w", subject, err)
		}
		if got == 0 {
			return fmt.Errorf("reading %s: stream stopped with %d messages left", subject, left)
		}
		left -= got
	}
	return nil
}
