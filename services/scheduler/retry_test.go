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
