package worker

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/natsbus/natstest"
)

// A result published while its stream is unavailable (here: not there yet,
// as during a leader election or a restart) is retried until the stream
// answers, and stored once: the retries carry the same message id.
func TestPublishRidesOutAMissingStream(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t), "publish")
	w := &Worker{js: js, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	go func() {
		time.Sleep(700 * time.Millisecond)
		if _, err := natsbus.EnsureResults(context.Background(), js, natsbus.StreamOptions{}); err != nil {
			t.Error(err)
		}
	}()
	msg := nats.NewMsg(natsbus.ResultSubject("b1"))
	msg.Data = []byte("result")
	start := time.Now()
	ack, err := w.publishRetrying(ctx, msg, "b1", "d1")
	if err != nil {
		t.Fatalf("publish did not ride out the missing stream: %v", err)
	}
	if time.Since(start) < 500*time.Millisecond {
		t.Fatal("published before the stream existed: the test proves nothing")
	}
	again, err := w.publishRetrying(ctx, msg, "b1", "d1")
	if err != nil || !again.Duplicate || again.Sequence != ack.Sequence {
		t.Fatalf("republish: %+v %v; want a duplicate of sequence %d", again, err, ack.Sequence)
	}
	st, err := js.Stream(ctx, natsbus.ResultsStream)
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := st.Info(ctx); info.State.Msgs != 1 {
		t.Fatalf("%d results stored, want 1", info.State.Msgs)
	}

	// Errors that are the result's own are not retried.
	cctx, ccancel := context.WithCancel(ctx)
	ccancel()
	if _, err := w.publishRetrying(cctx, msg, "b1", "d2"); err == nil {
		t.Fatal("a cancelled publish succeeded")
	}
}
