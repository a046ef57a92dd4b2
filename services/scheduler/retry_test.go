package scheduler_test

import (
	"context"
	"testing"
	"time"

	"github.com/docbatch/docbatch/services/scheduler"
)

// A transient failure's retry waits out its backoff and no longer:
// NextRetry says when it ends (Run arms a timer for it), ReleaseRetries
// before then leaves the document waiting, and at that time dispatches it.
func TestRetryReleasedWhenBackoffEnds(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	core := newTestCore(t, &now)
	if _, _, err := core.Submit(context.Background(), scheduler.BatchHeader{ID: "retry"},
		[]scheduler.DocSpec{{ID: "a.txt", Path: "a.txt", Size: 1000}}); err != nil {
		t.Fatal(err)
	}
	if !core.NextRetry().IsZero() {
		t.Fatal("NextRetry set before any failure")
	}
	sess, err := core.Connect("p", 1, scheduler.Headroom{MemoryAvailable: 1 << 30, MemoryBudget: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	first := nextAssign(t, sess)
	if err := sess.Fail(first.ID, first.Epoch, scheduler.FailTransient, "publish timed out", 0); err != nil {
		t.Fatal(err)
	}
	next := core.NextRetry()
	backoff := core.Config().RetryBackoff
	if !next.After(now) || next.After(now.Add(backoff)) {
		t.Fatalf("NextRetry %v, want in (now, now+%v]", next.Sub(now), backoff)
	}

	now = next.Add(-time.Nanosecond)
	core.ReleaseRetries()
	for drained := false; !drained; {
		select {
		case out := <-sess.Outbox():
			if out.Assign != nil {
				t.Fatalf("%s dispatched before its backoff ended", out.Assign.DocumentID)
			}
		default:
			drained = true
		}
	}

	now = next
	core.ReleaseRetries()
	again := nextAssign(t, sess)
	if again.DocumentID != "a.txt" || again.ID == first.ID {
		t.Fatalf("retry assignment %+v after %+v", again, first)
	}
	if !core.NextRetry().IsZero() {
		t.Fatal("NextRetry still set after the retry was dispatched")
	}
}

// connectSlot connects a processor of one slot and 1 GiB.
func connectSlot(t *testing.T, core *scheduler.Scheduler, id string) *scheduler.Session {
	t.Helper()
	sess, err := core.Connect(id, 1, scheduler.Headroom{MemoryAvailable: 1 << 30, MemoryBudget: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	return sess
}

// noAssign fails if sess has an assignment waiting.
func noAssign(t *testing.T, sess *scheduler.Session, why string) {
	t.Helper()
	for {
		select {
		case out := <-sess.Outbox():
			if out.Assign != nil {
				t.Fatalf("%s assigned to %s: %s", out.Assign.DocumentID, sess.ProcessorID(), why)
			}
		default:
			return
		}
	}
}

// A first transient failure's retry starts at once on another processor
// when one has room; the processor it failed on gets other work meanwhile,
// and the retry itself only once its backoff has ended.
func TestFirstRetryRunsElsewhereAtOnce(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	core := newTestCore(t, &now)
	n := scheduler.PriorityNormal
	if _, _, err := core.Submit(context.Background(), scheduler.BatchHeader{ID: "elsewhere"}, []scheduler.DocSpec{
		{ID: "x", Path: "x.txt", Size: 3000, Priority: n},
		{ID: "y", Path: "y.txt", Size: 2000, Priority: n},
		{ID: "z", Path: "z.txt", Size: 1000, Priority: n},
	}); err != nil {
		t.Fatal(err)
	}
	p1 := connectSlot(t, core, "p1")
	x := nextAssign(t, p1) // the longest first
	p2 := connectSlot(t, core, "p2")
	y := nextAssign(t, p2)
	if x.DocumentID != "x" || y.DocumentID != "y" {
		t.Fatalf("assigned %s to p1 and %s to p2, want x and y", x.DocumentID, y.DocumentID)
	}
	if err := p1.Fail(x.ID, x.Epoch, scheduler.FailTransient, "timed out under load", 0); err != nil {
		t.Fatal(err)
	}
	// p1 is free but x may not run there yet: z, next in line, takes it.
	if a := nextAssign(t, p1); a.DocumentID != "z" {
		t.Fatalf("p1 got %s, want z while x waits for another processor", a.DocumentID)
	}
	if next := core.NextRetry(); !next.After(now) {
		t.Fatalf("NextRetry %v: the early retry's backoff end should wake Run", next)
	}
	// y ends on p2: x goes there at once, its backoff not over.
	if err := p2.Complete(y.ID, y.Epoch, 1, 0, 0); err != nil {
		t.Fatal(err)
	}
	if a := nextAssign(t, p2); a.DocumentID != "x" || a.Attempt != 2 {
		t.Fatalf("p2 got %s (attempt %d), want x's second attempt", a.DocumentID, a.Attempt)
	}
	noAssign(t, p1, "nothing else is left")
}

// Where only the processor it failed on has room, the early retry waits
// out its backoff there and then runs.
func TestFirstRetryWaitsOnlyWhereItFailed(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	core := newTestCore(t, &now)
	if _, _, err := core.Submit(context.Background(), scheduler.BatchHeader{ID: "same"}, []scheduler.DocSpec{
		{ID: "x", Path: "x.txt", Size: 3000}, {ID: "y", Path: "y.txt", Size: 2000},
	}); err != nil {
		t.Fatal(err)
	}
	p1 := connectSlot(t, core, "p1")
	x := nextAssign(t, p1)
	p2 := connectSlot(t, core, "p2")
	nextAssign(t, p2) // y, which keeps p2 busy
	if err := p1.Fail(x.ID, x.Epoch, scheduler.FailTransient, "timed out under load", 0); err != nil {
		t.Fatal(err)
	}
	noAssign(t, p1, "its backoff has not ended")
	next := core.NextRetry()
	if !next.After(now) || next.After(now.Add(core.Config().RetryBackoff)) {
		t.Fatalf("NextRetry %v, want within the first backoff", next.Sub(now))
	}
	now = next
	core.ReleaseRetries()
	if a := nextAssign(t, p1); a.DocumentID != "x" {
		t.Fatalf("p1 got %s, want x after its backoff", a.DocumentID)
	}
}
