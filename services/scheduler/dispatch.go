package scheduler

import (
	"fmt"
	"math"
	"time"
)

// Outgoing is a message for a processor: an assignment or a cancel.
type Outgoing struct {
	Assign       *Assignment
	CancelID     string
	CancelReason string
}

// Session is one processor's connection. The transport reads Outbox and
// sends each message; Done closes when the scheduler fences the processor
// (lease lost, or the same id connected again).
type Session struct {
	s      *Scheduler
	p      *proc
	out    chan Outgoing
	done   chan struct{}
	closed bool
}

// Outbox delivers what must be sent to the processor, in order.
func (se *Session) Outbox() <-chan Outgoing { return se.out }

// Done is closed when the session is fenced.
func (se *Session) Done() <-chan struct{} { return se.done }

// ProcessorID names the session's processor.
func (se *Session) ProcessorID() string { return se.p.id }

// Connect registers a processor. A processor that connects again under the
// same id replaces its old session, whose assignments are re-queued.
func (s *Scheduler) Connect(id string, slots int, h Headroom) (*Session, error) {
	if id == "" {
		return nil, fmt.Errorf("%w: processor id is required", ErrInvalid)
	}
	if slots <= 0 || slots > 4096 {
		return nil, fmt.Errorf("%w: slots must be between 1 and 4096, got %d", ErrInvalid, slots)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.procs[id]; ok {
		s.fence(old, "processor reconnected")
	}
	p := &proc{id: id, slots: slots, assigns: map[string]*assign{}, lastSeen: s.now()}
	p.report(h)
	se := &Session{s: s, p: p, out: make(chan Outgoing, 2*slots+64), done: make(chan struct{})}
	p.sess = se
	s.procs[id] = p
	// A bigger processor may fit documents that were waiting for one.
	for _, b := range s.batches {
		for _, i := range b.waitingBig {
			if b.docs[i].state == DocPending {
				b.ready.push(b.docs, i)
			}
		}
		b.waitingBig = b.waitingBig[:0]
	}
	s.pump()
	s.log.Info("processor connected", "processor", id, "slots", slots, "budget", h.MemoryBudget, "available", h.MemoryAvailable)
	return se, nil
}

func (p *proc) report(h Headroom) {
	p.budget = h.MemoryBudget
	p.available = h.MemoryAvailable
	// The report accounts for everything assigned so far.
	p.sinceBeat = 0
	for _, a := range p.assigns {
		a.unreported = false
	}
	if p.budget == 0 {
		p.budget = p.available
	}
}

// capacity is the memory the scheduler may still reserve on p: within its
// budget less what is outstanding, and within what it last reported less
// what was assigned since.
func (p *proc) capacity() uint64 {
	var byBudget, byReport uint64
	if p.budget > p.reserved {
		byBudget = p.budget - p.reserved
	}
	if p.available > p.sinceBeat {
		byReport = p.available - p.sinceBeat
	}
	return min(byBudget, byReport)
}

// Heartbeat renews the processor's lease and its headroom.
func (se *Session) Heartbeat(h Headroom) {
	s := se.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if se.closed {
		return
	}
	se.p.lastSeen = s.now()
	se.p.report(h)
	s.pump()
}

// Close ends the session (the stream ended): its assignments are re-queued
// without counting as failures.
func (se *Session) Close() {
	s := se.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !se.closed {
		s.fence(se.p, "processor disconnected")
	}
}

// fence drops a processor: its live assignments go back to the queue and
// any late report from it is rejected by epoch. Caller holds mu.
func (s *Scheduler) fence(p *proc, why string) {
	se := p.sess
	if se.closed {
		return
	}
	se.closed = true
	close(se.done)
	if s.procs[p.id] == p {
		delete(s.procs, p.id)
	}
	n := 0
	// Reported assignments already left p.assigns (release); their journal
	// callbacks settle them.
	for id, a := range p.assigns {
		delete(s.assignments, id)
		d := a.b.docs[a.d]
		if d.current == a {
			s.unrun(a.b, a.d)
			a.b.ready.push(a.b.docs, a.d)
			n++
		}
	}
	p.assigns = nil
	s.log.Warn("processor fenced", "processor", p.id, "reason", why, "requeued", n)
	s.pump()
}

// pump hands ready documents to processors with room until nothing more
// fits. Caller holds mu.
func (s *Scheduler) pump() {
	s.parkedUntil = time.Time{}
	if len(s.procs) == 0 {
		return // nothing can run; keep the queues as they are
	}
	var parked []parkedRetry
	s.dispatch(&parked)
	for _, r := range parked {
		r.b.ready.restore(r.i)
	}
	if !s.parkedUntil.IsZero() {
		s.retryTimerMoved()
	}
}

// parkedRetry is an early retry that pump set aside because only the
// processor it failed on had room.
type parkedRetry struct {
	b *batch
	i int32
}

// dispatch is pump's loop: it assigns ready documents, best first, while
// slots are free.
func (s *Scheduler) dispatch(parked *[]parkedRetry) {
	var now time.Time
	for _, b := range s.order {
		if len(b.delayed) > 0 {
			if now.IsZero() {
				now = s.now()
			}
			b.releaseRetries(now)
		}
	}
	for {
		b, i, ok := s.best()
		if !ok {
			return
		}
		d := b.docs[i]
		var avoid *proc
		if d.avoid != nil {
			if now.IsZero() {
				now = s.now()
			}
			if d.shuns(d.avoid, now) {
				avoid = d.avoid
			}
		}
		p, fitsSomewhere := s.bestFit(d.est.reservation, avoid)
		if p == nil && avoid != nil {
			// No other processor has room for the early retry yet: it
			// stays first in line for them, and what ranks next may take
			// the slot it must not. Once its backoff ends it may run
			// anywhere, so Run wakes then (NextRetry).
			b.ready.remove(i)
			*parked = append(*parked, parkedRetry{b, i})
			if s.parkedUntil.IsZero() || d.notBefore.Before(s.parkedUntil) {
				s.parkedUntil = d.notBefore
			}
			continue
		}
		if p == nil && !s.freeSlot(nil) {
			return // every slot is busy: the usual state of a saturated system
		}
		if p == nil {
			if !fitsSomewhere {
				// Bigger than any processor's budget: park it with a clear
				// status instead of sending it to die.
				b.ready.remove(i)
				b.waitingBig = append(b.waitingBig, i)
				d.err = fmt.Sprintf("waiting: needs %d bytes of memory, more than any connected processor's budget", d.est.reservation)
				continue
			}
			s.backfill(d.est.reservation)
			return
		}
		b.ready.remove(i)
		s.assign(b, i, p)
	}
}

// NextRetry is when the earliest retry backoff ends, zero when no document
// waits out a backoff. Run wakes then (and a simulation advances its clock
// to it) so that a retry starts when its backoff ends: on a critical path
// at the end of a layer nothing else may happen until the next tick.
func (s *Scheduler) NextRetry() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.parkedUntil
	for _, b := range s.order {
		if len(b.delayed) > 0 && (next.IsZero() || b.nextRetry.Before(next)) {
			next = b.nextRetry
		}
	}
	return next
}

// ReleaseRetries queues the documents whose backoff has ended and
// dispatches what can run.
func (s *Scheduler) ReleaseRetries() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, b := range s.order {
		b.releaseRetries(now) // even with no processor: NextRetry moves on
	}
	s.pump()
}

// retryTimerMoved tells Run that NextRetry may have changed, so that it
// re-arms its retry timer.
func (s *Scheduler) retryTimerMoved() {
	select {
	case s.retryAdded <- struct{}{}:
	default: // Run has a signal pending already
	}
}

// shuns reports whether the document's early retry may not run on p yet.
func (d *doc) shuns(p *proc, now time.Time) bool { return d.avoid == p && now.Before(d.notBefore) }

// delay puts document i aside until its backoff (notBefore) ends. Caller
// holds mu.
func (b *batch) delay(i int32) {
	if d := b.docs[i]; len(b.delayed) == 0 || d.notBefore.Before(b.nextRetry) {
		b.nextRetry = d.notBefore
	}
	b.delayed = append(b.delayed, i)
}

// releaseRetries queues the documents whose retry backoff has ended. pump
// calls it too, so a retry on the critical path starts at the first
// completion after its backoff if that comes before Run's retry timer.
// Caller holds mu.
func (b *batch) releaseRetries(now time.Time) {
	if len(b.delayed) == 0 || now.Before(b.nextRetry) {
		return
	}
	keep := b.delayed[:0]
	var next time.Time
	for _, i := range b.delayed {
		d := b.docs[i]
		switch {
		case d.state != DocPending:
		case now.Before(d.notBefore):
			keep = append(keep, i)
			if next.IsZero() || d.notBefore.Before(next) {
				next = d.notBefore
			}
		default:
			b.ready.push(b.docs, i)
		}
	}
	b.delayed = keep
	b.nextRetry = next
}

// backfillDepth bounds how far behind a blocked head pump looks.
const backfillDepth = 256

// backfill runs when the best document fits no processor right now. Rather
// than idle every slot behind it (head-of-line blocking), the processor it
// will run on — the largest budget that covers it — is held for it, so its
// room grows as its work ends, and documents further down the queues that
// fit the other processors go there now. The head is never overtaken on the
// processor it waits for, so it cannot starve.
func (s *Scheduler) backfill(need uint64) {
	var hold *proc
	for _, p := range s.procs {
		if p.budget >= need && (hold == nil || p.budget > hold.budget || (p.budget == hold.budget && p.id < hold.id)) {
			hold = p
		}
	}
	now := s.now()
	for _, b := range s.order {
		var skipped []int32
		for n := 0; n < backfillDepth && s.freeSlot(hold); n++ {
			i, ok := b.ready.peek()
			if !ok {
				break
			}
			b.ready.pop()
			if p, _ := s.bestFit(b.docs[i].est.reservation, hold); p != nil && !b.docs[i].shuns(p, now) {
				s.assign(b, i, p)
			} else {
				skipped = append(skipped, i)
			}
		}
		for _, i := range skipped {
			b.ready.restore(i) // keeps its place in the aging clock
		}
	}
}

// best returns the best ready document across batches: highest priority
// class first, then the batch with the fewest running documents (fair
// share), then the batch's own order.
func (s *Scheduler) best() (*batch, int32, bool) {
	var (
		bb *batch
		bi int32
	)
	for _, b := range s.order {
		i, ok := b.ready.peek()
		if !ok {
			continue
		}
		if bb == nil {
			bb, bi = b, i
			continue
		}
		if s.cfg.Policy == PolicyFIFO {
			continue // the earliest batch's documents go first
		}
		pd, pb := b.docs[i].class(), bb.docs[bi].class()
		if pd > pb || (pd == pb && b.rec.Counts.Running < bb.rec.Counts.Running) {
			bb, bi = b, i
		}
	}
	return bb, bi, bb != nil
}

// freeSlot reports whether a processor other than except has a free slot.
func (s *Scheduler) freeSlot(except *proc) bool {
	for _, p := range s.procs {
		if p != except && p.running < p.slots {
			return true
		}
	}
	return false
}

// bestFit picks the processor (other than except) with a free slot whose
// capacity covers need with the least to spare. fitsSomewhere says whether
// any connected processor could ever take it (its whole budget covers need).
func (s *Scheduler) bestFit(need uint64, except *proc) (best *proc, fitsSomewhere bool) {
	var spare uint64 = math.MaxUint64
	for _, p := range s.procs {
		if p == except {
			continue
		}
		if p.budget >= need {
			fitsSomewhere = true
		}
		if p.running >= p.slots {
			continue
		}
		c := p.capacity()
		if c < need {
			continue
		}
		if c-need < spare || (c-need == spare && best != nil && p.id < best.id) {
			best, spare = p, c-need
		}
	}
	return best, fitsSomewhere
}

func (s *Scheduler) assign(b *batch, i int32, p *proc) {
	d := b.docs[i]
	epoch := s.nextEpoch()
	a := &assign{Assignment: Assignment{
		ID:          fmt.Sprintf("a-%016x", epoch),
		BatchID:     b.rec.Header.ID,
		DocumentID:  d.spec.ID,
		Root:        b.rec.Header.Root,
		Path:        d.spec.Path,
		Size:        d.spec.Size,
		Epoch:       epoch,
		Lease:       s.cfg.Lease(),
		Reservation: d.est.reservation,
		Attempt:     d.attempts + 1,
	}, b: b, d: i, p: p}
	wait := s.now().Sub(d.readyAt)
	s.stats.assignments++
	s.stats.waitSum += wait
	if s.cfg.OnAssign != nil {
		s.cfg.OnAssign(wait)
	}
	d.state = DocRunning
	d.current = a
	d.avoid = nil
	d.procID = p.id
	d.err = ""
	b.rec.Counts.Pending--
	b.rec.Counts.Running++
	p.running++
	p.reserved += a.Reservation
	p.sinceBeat += a.Reservation
	a.unreported = true
	p.assigns[a.ID] = a
	s.assignments[a.ID] = a
	s.notify(b, Transition{DocumentID: d.spec.ID, State: DocRunning})
	cp := a.Assignment
	select {
	case p.sess.out <- Outgoing{Assign: &cp}:
	default:
		// Cannot happen while running <= slots and the outbox holds 2*slots;
		// if it does, the lease will fence the processor.
		s.log.Error("processor outbox full", "processor", p.id)
	}
}

// unrun takes a running document back to pending (the caller queues it):
// its attempt ended without an outcome to keep. Caller holds mu.
func (s *Scheduler) unrun(b *batch, i int32) {
	d := b.docs[i]
	d.current = nil
	d.state = DocPending
	b.rec.Counts.Running--
	b.rec.Counts.Pending++
}

// release frees a's slot and reservation on its processor. Caller holds mu.
func (s *Scheduler) release(a *assign) {
	a.p.running--
	a.p.reserved -= a.Reservation
	if a.unreported {
		// Assigned and finished between two reports: no report ever
		// counted it, so it no longer shrinks the reported headroom.
		a.p.sinceBeat -= a.Reservation
		a.unreported = false
	}
	delete(a.p.assigns, a.ID)
	delete(s.assignments, a.ID)
}

// lookup finds a live assignment reported by this session.
func (se *Session) lookup(id string, epoch uint64) (*assign, error) {
	a, ok := se.s.assignments[id]
	if !ok || a.p != se.p || se.closed {
		return nil, fmt.Errorf("%w: assignment %s is not live on processor %s", ErrStale, id, se.p.id)
	}
	if a.Epoch != epoch {
		return nil, fmt.Errorf("%w: assignment %s has epoch %d, report carries %d", ErrStale, id, a.Epoch, epoch)
	}
	if a.done {
		return nil, fmt.Errorf("%w: assignment %s was already reported", ErrStale, id)
	}
	return a, nil
}

// Complete records that a document's result is published at stream
// sequence seq, after took of processing with a peak memory of peak (each 0
// when unknown), which the cost model learns from. The transition becomes visible once journaled.
func (se *Session) Complete(id string, epoch, seq uint64, took time.Duration, peak uint64) error {
	s := se.s
	s.mu.Lock()
	a, err := se.lookup(id, epoch)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	if took > 0 || peak > 0 {
		d := a.b.docs[a.d]
		if s.model.observe(d.spec.Path, d.spec.Size, took.Seconds(), peak) {
			s.estimatesStale()
		}
		s.modelDirty = true
	}
	a.done = true
	s.release(a)
	if !unblocks(a.b, a.d) {
		s.pump()
	}
	// Otherwise the freed slot waits for the journal (a group commit, a few
	// milliseconds): journaled releases the dependents and then pumps, so
	// the slot goes to whatever ranks best among them too, instead of to the
	// best of what happened to be ready a moment earlier.
	s.mu.Unlock()
	ev := Event{Kind: EventDone, Doc: a.d, Seq: seq}
	s.store.Append(a.BatchID, ev, func(err error) { s.journaled(a, ev, err) })
	return nil
}

// Fail records a failed attempt. Transient failures retry with exponential
// backoff and full jitter (a first one may retry at once on another
// processor); out-of-memory ones retry with a larger
// reservation; permanent ones, and retries exhausted, fail the document and
// skip its dependents.
func (se *Session) Fail(id string, epoch uint64, class FailureClass, msg string, seq uint64) error {
	s := se.s
	s.mu.Lock()
	a, err := se.lookup(id, epoch)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	s.release(a)
	b, d := a.b, a.b.docs[a.d]
	d.attempts++
	d.remember(fmt.Sprintf("attempt %d on %s (%s): %s", d.attempts, a.p.id, class, msg))
	final := class == FailPermanent || d.attempts > b.maxRetries
	if !final {
		s.stats.retries++
		s.unrun(b, a.d)
		d.err = fmt.Sprintf("attempt %d: %s", d.attempts, msg)
		if class == FailOutOfMemory {
			d.est.reservation = d.est.reservation * 3 / 2
			b.ready.push(b.docs, a.d)
		} else {
			backoff := min(s.cfg.RetryBackoff<<min(d.attempts-1, 16), s.cfg.RetryBackoffMax)
			d.notBefore = s.now().Add(time.Duration(s.rng.Int64N(int64(backoff)) + 1))
			if d.attempts == 1 && len(s.procs) > 1 {
				// The first retry may start at once on another processor
				// (pump): most transient failures are the processor's
				// (a timeout under its load, its sandbox or disk), as
				// Spark, Hadoop and Ray assume when they retry a task
				// elsewhere at once. Only where it failed must it wait out
				// the backoff, and so must every later retry: a failure
				// that follows the document is backed off as before.
				d.avoid = a.p
				b.ready.push(b.docs, a.d)
			} else {
				b.delay(a.d)
				s.retryTimerMoved()
			}
		}
		s.notify(b, Transition{DocumentID: d.spec.ID, State: DocPending, Error: d.err})
		s.pump()
		s.mu.Unlock()
		return nil
	}
	a.done = true
	s.stats.quarantined++
	if class != FailPermanent {
		msg = fmt.Sprintf("%s (after %d attempts)", msg, d.attempts)
	}
	if !blocksAny(b, a.d) {
		s.pump()
	} // else journaled skips the dependents, re-ranks and then pumps
	s.mu.Unlock()
	ev := Event{Kind: EventFailed, Doc: a.d, Error: msg, Attempts: d.attempts, Seq: seq}
	s.store.Append(a.BatchID, ev, func(err error) { s.journaled(a, ev, err) })
	return nil
}

// maxHistory bounds the failures kept per document.
const maxHistory = 10

func (d *doc) remember(failure string) {
	if len(d.history) == maxHistory {
		d.history = append(d.history[:0], d.history[1:]...)
	}
	d.history = append(d.history, failure)
}

// unblocks reports whether document i is the last dependency some pending
// document waits for.
func unblocks(b *batch, i int32) bool {
	for _, c := range b.docs[i].dependents {
		if cd := b.docs[c]; cd.waiting == 1 && cd.state == DocPending {
			return true
		}
	}
	return false
}

// blocksAny reports whether some pending document depends on document i.
func blocksAny(b *batch, i int32) bool {
	for _, c := range b.docs[i].dependents {
		if b.docs[c].state == DocPending {
			return true
		}
	}
	return false
}

// journaled applies a terminal outcome once it is durable. If it could not
// be made durable the document goes back to the queue: it was never
// acknowledged, so running it again loses and double-counts nothing.
func (s *Scheduler) journaled(a *assign, ev Event, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, d := a.b, a.b.docs[a.d]
	if d.current == a {
		d.current = nil
	}
	if err != nil {
		s.log.Error("journal write failed; document re-queued", "batch", a.BatchID, "document", d.spec.ID, "err", err)
		if d.state == DocRunning {
			s.unrun(b, a.d)
			b.ready.push(b.docs, a.d)
			s.pump()
		}
		return
	}
	s.applyEvent(b, ev, true)
	s.settle(b)
	s.rerankIfDue(b, s.now())
	s.pump()
}

// applyEvent moves a document to its journaled outcome. live is false during
// replay. Caller holds mu.
func (s *Scheduler) applyEvent(b *batch, ev Event, live bool) {
	if ev.Kind == EventBatchCancelled {
		s.cancelLocked(b, ev.Error)
		return
	}
	if ev.Doc < 0 || int(ev.Doc) >= len(b.docs) {
		s.log.Error("journal event for unknown document index", "batch", b.rec.Header.ID, "doc", ev.Doc)
		return
	}
	d := b.docs[ev.Doc]
	if d.state.terminal() {
		return // replayed twice or raced a cancel: counted once
	}
	s.leave(b, ev.Doc)
	switch ev.Kind {
	case EventDone:
		s.enter(b, ev.Doc, DocDone, "")
		d.resultSeq = ev.Seq
		for _, c := range d.dependents {
			cd := b.docs[c]
			cd.waiting--
			if cd.waiting == 0 && cd.state == DocPending {
				b.ready.push(b.docs, c)
			}
		}
	case EventFailed:
		d.attempts = max(d.attempts, ev.Attempts)
		d.resultSeq = ev.Seq
		s.enter(b, ev.Doc, DocFailed, ev.Error)
		s.skipDependents(b, ev.Doc)
	}
}

// leave takes a document out of its current state's count and queues.
func (s *Scheduler) leave(b *batch, i int32) {
	d := b.docs[i]
	switch d.state {
	case DocPending:
		b.rec.Counts.Pending--
		b.ready.remove(i)
	case DocRunning:
		b.rec.Counts.Running--
		if a := d.current; a != nil && !a.done {
			// Finished elsewhere (e.g. a cancel): tell the processor.
			s.release(a)
			select {
			case a.p.sess.out <- Outgoing{CancelID: a.ID, CancelReason: "document already settled"}:
			default:
			}
		}
		d.current = nil
	}
}

func (s *Scheduler) enter(b *batch, i int32, st DocState, why string) {
	d := b.docs[i]
	d.state = st
	d.err = why
	switch st {
	case DocDone:
		b.rec.Counts.Done++
	case DocFailed:
		b.rec.Counts.Failed++
	case DocSkipped:
		b.rec.Counts.Skipped++
	case DocCancelled:
		b.rec.Counts.Cancelled++
	}
	s.notify(b, Transition{DocumentID: d.spec.ID, State: st, Error: why})
}

// skipDependents marks everything downstream of a failed document skipped,
// breadth first (chains may be very deep).
func (s *Scheduler) skipDependents(b *batch, root int32) {
	queue := []int32{root}
	skipped := 0
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, c := range b.docs[i].dependents {
			cd := b.docs[c]
			if cd.state.terminal() {
				continue
			}
			s.leave(b, c)
			s.enter(b, c, DocSkipped, fmt.Sprintf("skipped: depends on %q, which did not succeed", b.docs[root].spec.ID))
			queue = append(queue, c)
			skipped++
			b.ranksStale = true
		}
	}
	// Ranks that still count a twentieth of the pending work as ahead
	// misorder the queue where it matters (the policy benchmark's dense
	// DAGs lose three points of makespan waiting for the next paced
	// re-rank): re-rank now. Each such re-rank follows the loss of a
	// twentieth of what was pending, and computeRanks walks only what
	// may still run, so together they cost at most twenty passes over
	// the batch.
	if skipped > 0 && int64(skipped)*20 >= b.rec.Counts.Pending+int64(skipped) {
		b.rerankNow = true
	}
}
