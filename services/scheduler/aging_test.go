package scheduler_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/docbatch/docbatch/services/scheduler"
	"github.com/docbatch/docbatch/services/scheduler/memstore"
)

// LOW work in a busy system still starts: after waiting two aging intervals
// a LOW document outranks NORMAL work that arrived after it, while fresh
// LOW work still yields to NORMAL.
func TestAgingLetsLowPriorityWorkStart(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	core := scheduler.New(scheduler.Config{
		Roots: []string{"/not-on-disk"}, HeartbeatInterval: time.Hour, AgingInterval: time.Minute,
		Now: func() time.Time { return now }, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, memstore.New())
	ctx := context.Background()
	if err := core.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	submit := func(id string, p scheduler.Priority, docs ...string) {
		t.Helper()
		var specs []scheduler.DocSpec
		for _, d := range docs {
			specs = append(specs, scheduler.DocSpec{ID: d, Path: d + ".txt", Priority: p})
		}
		if _, _, err := core.Submit(ctx, scheduler.BatchHeader{ID: id}, specs); err != nil {
			t.Fatal(err)
		}
	}
	submit("old-low", scheduler.PriorityLow, "old")
	now = now.Add(2*time.Minute + time.Second)
	core.Tick()
	submit("new", scheduler.PriorityNormal, "n1", "n2")
	submit("new-low", scheduler.PriorityLow, "fresh")
	sess, err := core.Connect("p", 1, scheduler.Headroom{MemoryAvailable: 1 << 30, MemoryBudget: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	next := func() scheduler.Assignment {
		t.Helper()
		select {
		case out := <-sess.Outbox():
			return *out.Assign
		default:
			t.Fatal("no assignment")
		}
		panic("unreachable")
	}
	var order []string
	for range 4 {
		a := next()
		order = append(order, a.DocumentID)
		if err := sess.Complete(a.ID, a.Epoch, 1, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(order, ","); got != "old,n1,n2,fresh" {
		t.Fatalf("order %s, want old,n1,n2,fresh", got)
	}
}
