package scheduler_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/docbatch/docbatch/services/platform/natsbus/natstest"
	"github.com/docbatch/docbatch/services/scheduler"
	"github.com/docbatch/docbatch/services/scheduler/jsstore"
)

// What processors report teaches the cost model, and what it learned
// survives a restart (it is saved in JetStream KV on shutdown).
func TestCostModelLearnsAndSurvivesRestart(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t), "test")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	open := func() (*scheduler.Scheduler, *jsstore.Store) {
		st, err := jsstore.Open(context.Background(), js, jsstore.Options{Log: log})
		if err != nil {
			t.Fatal(err)
		}
		core := scheduler.New(scheduler.Config{Roots: []string{"/not-on-disk"}, Log: log}, st)
		if err := core.Recover(context.Background()); err != nil {
			t.Fatal(err)
		}
		return core, st
	}
	core, st := open()
	var docs []scheduler.DocSpec
	for i := range 8 {
		docs = append(docs, scheduler.DocSpec{ID: fmt.Sprintf("p%d.pdf", i), Path: fmt.Sprintf("p%d.pdf", i), Size: 500_000})
	}
	if _, _, err := core.Submit(context.Background(), scheduler.BatchHeader{ID: "learn"}, docs); err != nil {
		t.Fatal(err)
	}
	sess, err := core.Connect("p", 8, scheduler.Headroom{MemoryAvailable: 8 << 30, MemoryBudget: 8 << 30})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan struct{})
	go func() { _ = core.Run(ctx); close(ran) }()
	for range 8 {
		a := (<-sess.Outbox()).Assign
		// Each PDF of 500 KB takes 1 s here, far more than the prior's ~0.08 s.
		if err := sess.Complete(a.ID, a.Epoch, 1, time.Second, 0); err != nil {
			t.Fatal(err)
		}
	}
	learned := core.CostModel()["pdf <1MB"]
	if learned.N != 8 || learned.Ratio < 5 {
		t.Fatalf("learned %+v, want 8 observations of a ratio well above 1", learned)
	}
	cancel() // Run saves the model on its way out
	<-ran
	st.Close()

	again, st2 := open()
	defer st2.Close()
	if got := again.CostModel()["pdf <1MB"]; got != learned {
		t.Fatalf("after restart the model is %+v, want %+v", got, learned)
	}
}
