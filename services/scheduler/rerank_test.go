package scheduler_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/docbatch/docbatch/services/scheduler"
	"github.com/docbatch/docbatch/services/scheduler/memstore"
)

func newTestCore(t *testing.T, now *time.Time) *scheduler.Scheduler {
	t.Helper()
	core := scheduler.New(scheduler.Config{
		Roots: []string{"/not-on-disk"}, HeartbeatInterval: time.Hour,
		Now: func() time.Time { return *now }, Seed: 1, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, memstore.New())
	if err := core.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	return core
}

func nextAssign(t *testing.T, sess *scheduler.Session) *scheduler.Assignment {
	t.Helper()
	for {
		select {
		case out := <-sess.Outbox():
			if out.Assign != nil {
				return out.Assign
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no assignment")
		}
	}
}

// What the model learns re-orders documents already queued: the prior
// thinks a 500 KB PDF takes far longer than a 500 KB text file, so PDFs go
// first (longest first); once processors report that text files here take
// seconds, the queued text files overtake the PDFs. The learned peak memory
// moves later reservations too.
func TestLearnedCostsReorderQueuedDocuments(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	core := newTestCore(t, &now)
	var specs []scheduler.DocSpec
	for i := range 6 { // teachers run first: they are HIGH
		specs = append(specs, scheduler.DocSpec{ID: fmt.Sprintf("teach%d.txt", i), Path: fmt.Sprintf("teach%d.txt", i), Size: 500_000, Priority: scheduler.PriorityHigh})
	}
	for i := range 4 {
		specs = append(specs,
			scheduler.DocSpec{ID: fmt.Sprintf("p%d.pdf", i), Path: fmt.Sprintf("p%d.pdf", i), Size: 500_000, Priority: scheduler.PriorityNormal},
			scheduler.DocSpec{ID: fmt.Sprintf("t%d.txt", i), Path: fmt.Sprintf("t%d.txt", i), Size: 500_000, Priority: scheduler.PriorityNormal})
	}
	if _, _, err := core.Submit(context.Background(), scheduler.BatchHeader{ID: "learn"}, specs); err != nil {
		t.Fatal(err)
	}
	sess, err := core.Connect("p", 1, scheduler.Headroom{MemoryAvailable: 8 << 30, MemoryBudget: 8 << 30})
	if err != nil {
		t.Fatal(err)
	}
	var first *scheduler.Assignment
	for i := range 6 {
		a := nextAssign(t, sess)
		if !strings.HasPrefix(a.DocumentID, "teach") {
			t.Fatalf("assignment %d is %s, want a HIGH teacher", i, a.DocumentID)
		}
		if i == 0 {
			first = a
		}
		// Text files take 5 s here and peak at 3× the prior's reservation.
		if err := sess.Complete(a.ID, a.Epoch, uint64(i+1), 5*time.Second, 3*first.Reservation); err != nil {
			t.Fatal(err)
		}
		if i == 4 {
			now = now.Add(time.Second)
			core.Tick() // the model moved after 5 reports: re-rank
		}
	}
	a := nextAssign(t, sess)
	if !strings.HasPrefix(a.DocumentID, "t") {
		t.Fatalf("after learning, %s was assigned first; want a text file (now estimated longer than the PDFs)", a.DocumentID)
	}
	if want := 3 * first.Reservation; a.Reservation < want {
		t.Fatalf("reservation after learning a 3× peak is %d, want at least %d", a.Reservation, want)
	}
	f := core.CostModel()["text <1MB"]
	if f.N != 6 || f.MemoryN != 6 || f.MemoryP95 < 2.5 {
		t.Fatalf("learned %+v", f)
	}
}

// Without learning, the same batch runs PDFs first: the control for the
// test above.
func TestPriorRunsLongestFirst(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	core := newTestCore(t, &now)
	specs := []scheduler.DocSpec{
		{ID: "t0.txt", Path: "t0.txt", Size: 500_000, Priority: scheduler.PriorityNormal},
		{ID: "p0.pdf", Path: "p0.pdf", Size: 500_000, Priority: scheduler.PriorityNormal},
	}
	if _, _, err := core.Submit(context.Background(), scheduler.BatchHeader{ID: "prior"}, specs); err != nil {
		t.Fatal(err)
	}
	sess, err := core.Connect("p", 1, scheduler.Headroom{MemoryAvailable: 8 << 30, MemoryBudget: 8 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if a := nextAssign(t, sess); a.DocumentID != "p0.pdf" {
		t.Fatalf("first assignment %s, want p0.pdf", a.DocumentID)
	}
}

// appendChain appends c0 → c1 → … → c9, a chain of big NORMAL PDFs whose
// head also depends on heads.
func appendChain(specs []scheduler.DocSpec, heads ...string) []scheduler.DocSpec {
	prev := heads
	for i := range 10 {
		id := fmt.Sprintf("c%d", i)
		specs = append(specs, scheduler.DocSpec{ID: id, Path: id + ".pdf", Size: 20_000_000, DependsOn: prev, Priority: scheduler.PriorityNormal})
		prev = []string{id}
	}
	return specs
}

// runOnOne submits specs as batch id and connects one processor of one
// slot; it returns the processor and a check that its next assignment is
// of document want.
func runOnOne(t *testing.T, core *scheduler.Scheduler, id string, specs []scheduler.DocSpec) (*scheduler.Session, func(want string) *scheduler.Assignment) {
	t.Helper()
	if _, _, err := core.Submit(context.Background(), scheduler.BatchHeader{ID: id}, specs); err != nil {
		t.Fatal(err)
	}
	sess, err := core.Connect("p", 1, scheduler.Headroom{MemoryAvailable: 8 << 30, MemoryBudget: 8 << 30})
	if err != nil {
		t.Fatal(err)
	}
	return sess, func(want string) *scheduler.Assignment {
		t.Helper()
		a := nextAssign(t, sess)
		if a.DocumentID != want {
			t.Fatalf("assigned %s, want %s", a.DocumentID, want)
		}
		return a
	}
}

// A permanent failure that skips a long chain takes the chain out of its
// ancestors' ranks: work that can still run is ordered by what it still
// blocks, not by documents that will never run.
func TestFailureReranksWhatItSkipped(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	core := newTestCore(t, &now)
	// gate → bad → c0 → … → c9, a long chain of big PDFs that c0 also
	// needs hub for; y is a 2 MB text file nothing depends on. Priorities
	// are explicit so that only ranks order the documents.
	n := scheduler.PriorityNormal
	specs := []scheduler.DocSpec{
		{ID: "gate", Path: "gate.txt", Size: 1000, Priority: n},
		{ID: "bad", Path: "bad.txt", Size: 1000, DependsOn: []string{"gate"}, Priority: n},
		{ID: "hub", Path: "hub.txt", Size: 500, Priority: n},
		{ID: "y", Path: "y.txt", Size: 2_000_000, Priority: n},
	}
	specs = appendChain(specs, "bad", "hub")
	sess, expect := runOnOne(t, core, "skip", specs)
	a := expect("gate") // heads the chain, a little longer than hub
	if err := sess.Complete(a.ID, a.Epoch, 1, 0, 0); err != nil {
		t.Fatal(err)
	}
	a = expect("bad")
	if err := sess.Fail(a.ID, a.Epoch, scheduler.FailPermanent, "broken", 0); err != nil {
		t.Fatal(err)
	}
	// The failure skipped the chain. Before the re-rank, hub still carried
	// the chain's rank and went first; once re-ranked it is a tiny file that
	// blocks nothing that can run, and the 2 MB y is longer.
	now = now.Add(time.Second)
	core.Tick()
	a = expect("y")
	if err := sess.Complete(a.ID, a.Epoch, 2, 0, 0); err != nil {
		t.Fatal(err)
	}
	expect("hub")
	info, _, _, err := core.GetBatch("skip", 0, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if info.Counts.Skipped != 10 || info.Counts.Failed != 1 {
		t.Fatalf("counts %+v, want 10 skipped and 1 failed", info.Counts)
	}
}

// A failure that skips a large part of what is pending re-ranks at once,
// even right after another re-rank, instead of waiting for the pace of
// re-ranking: otherwise the next slots would go by ranks that still count
// the skipped chain.
func TestLargeSkipReranksAtOnce(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	core := newTestCore(t, &now)
	n, low := scheduler.PriorityNormal, scheduler.PriorityLow
	specs := []scheduler.DocSpec{
		// tiny fails first and skips tinychild: a small skip, whose re-rank
		// starts the pacing interval.
		{ID: "tiny", Path: "tiny.txt", Size: 100, Priority: scheduler.PriorityCritical},
		{ID: "tinychild", Path: "tinychild.txt", Size: 100, DependsOn: []string{"tiny"}, Priority: low},
		{ID: "gate", Path: "gate.txt", Size: 1000, Priority: n},
		{ID: "bad", Path: "bad.txt", Size: 1000, DependsOn: []string{"gate"}, Priority: n},
		{ID: "hub", Path: "hub.txt", Size: 500, Priority: n},
		{ID: "y", Path: "y.txt", Size: 2_000_000, Priority: n},
	}
	specs = appendChain(specs, "bad", "hub")
	for i := range 30 { // filler, so that tinychild is under a twentieth
		id := fmt.Sprintf("f%d", i)
		specs = append(specs, scheduler.DocSpec{ID: id, Path: id + ".txt", Size: 100, Priority: low})
	}
	sess, expect := runOnOne(t, core, "skip", specs)
	a := expect("tiny")
	if err := sess.Fail(a.ID, a.Epoch, scheduler.FailPermanent, "broken", 0); err != nil {
		t.Fatal(err)
	}
	a = expect("gate")
	if err := sess.Complete(a.ID, a.Epoch, 1, 0, 0); err != nil {
		t.Fatal(err)
	}
	a = expect("bad")
	if err := sess.Fail(a.ID, a.Epoch, scheduler.FailPermanent, "broken", 0); err != nil {
		t.Fatal(err)
	}
	// No time has passed since the first re-rank: only the size of the
	// skip (10 of about 44 pending) re-ranks, and y overtakes hub.
	a = expect("y")
	if err := sess.Complete(a.ID, a.Epoch, 2, 0, 0); err != nil {
		t.Fatal(err)
	}
	expect("hub")
}
