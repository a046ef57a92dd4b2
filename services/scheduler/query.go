package scheduler

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Watcher receives a batch's transitions. Changed signals that the batch
// moved (coalesced); Transitions carries per-document changes and may drop
// them when the reader lags (Lagged then reports how many).
type Watcher struct {
	Changed     chan struct{}
	Transitions chan Transition
	lagged      int64
	s           *Scheduler
	b           *batch
}

// Lagged returns and resets how many transitions were dropped.
func (w *Watcher) Lagged() int64 {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	n := w.lagged
	w.lagged = 0
	return n
}

// Stop unregisters the watcher.
func (w *Watcher) Stop() {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	delete(w.b.watchers, w)
}

// Watch follows a batch.
func (s *Scheduler) Watch(batchID string) (*Watcher, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.batch(batchID)
	if err != nil {
		return nil, err
	}
	w := &Watcher{Changed: make(chan struct{}, 1), Transitions: make(chan Transition, 4096), s: s, b: b}
	b.watchers[w] = struct{}{}
	return w, nil
}

func (s *Scheduler) notify(b *batch, t Transition) {
	for w := range b.watchers {
		if t.DocumentID != "" { // an empty transition only signals a change
			select {
			case w.Transitions <- t:
			default:
				w.lagged++
			}
		}
		select {
		case w.Changed <- struct{}{}:
		default:
		}
	}
}

func (s *Scheduler) batch(id string) (*batch, error) {
	if id == "" {
		return nil, fmt.Errorf("%w: batch_id is required", ErrInvalid)
	}
	b, ok := s.batches[id]
	if !ok {
		return nil, fmt.Errorf("%w: batch %q", ErrNotFound, id)
	}
	return b, nil
}

// settle ends a batch whose documents have all ended. Caller holds mu.
func (s *Scheduler) settle(b *batch) {
	c := b.rec.Counts
	if b.rec.State != BatchRunning || c.Pending+c.Running > 0 {
		return
	}
	switch {
	case c.Cancelled > 0:
		b.rec.State = BatchCancelled
	case c.Failed+c.Skipped > 0:
		b.rec.State = BatchCompletedWithErrors
	default:
		b.rec.State = BatchSucceeded
	}
	if b.rec.FinishedAt == 0 { // kept when a finished batch is replayed
		b.rec.FinishedAt = s.now().UnixMilli()
	}
	s.notify(b, Transition{})
	s.checkpoint(b)
	s.log.Info("batch finished", "batch", b.rec.Header.ID, "done", c.Done, "failed", c.Failed, "skipped", c.Skipped, "cancelled", c.Cancelled)
}

// checkpoint saves a batch record in the background. The record is derived
// state (the journal is the truth), so a lost write costs only a replay.
func (s *Scheduler) checkpoint(b *batch) {
	rec := b.rec
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.store.SaveRecord(ctx, rec); err != nil {
			s.log.Warn("saving batch checkpoint failed", "batch", rec.Header.ID, "err", err)
		}
	}()
}

// info snapshots a batch. Caller holds mu.
func (s *Scheduler) info(b *batch) BatchInfo {
	bi := BatchInfo{Header: b.rec.Header, State: b.rec.State, Counts: b.rec.Counts}
	if b.rec.FinishedAt != 0 {
		bi.FinishedAt = time.UnixMilli(b.rec.FinishedAt).UTC()
	}
	if n := len(b.samples); n >= 2 {
		first, last := b.samples[0], b.samples[n-1]
		if dt := last.at.Sub(first.at).Seconds(); dt > 0 {
			bi.RatePerSec = float64(last.done-first.done) / dt
		}
	}
	left := b.rec.Counts.Pending + b.rec.Counts.Running
	if bi.RatePerSec > 0 && left > 0 {
		bi.ETASeconds = float64(left) / bi.RatePerSec
	}
	return bi
}

// GetBatch returns a batch and a page of its documents in submission order,
// optionally only those in one state. token is the offset to start at.
func (s *Scheduler) GetBatch(id string, filter DocState, offset, limit int) (BatchInfo, []DocInfo, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.batch(id)
	if err != nil {
		return BatchInfo{}, nil, 0, err
	}
	var out []DocInfo
	next := 0
	for i := offset; i < len(b.docs) && limit > 0; i++ {
		d := b.docs[i]
		if filter != 0 && d.state != filter {
			continue
		}
		if len(out) == limit {
			next = i
			break
		}
		out = append(out, DocInfo{ID: d.spec.ID, Path: d.spec.Path, State: d.state, Priority: d.spec.Priority,
			Attempts: d.attempts, Error: d.err, ResultSeq: d.resultSeq, ProcessorID: d.procID, History: slices.Clone(d.history)})
	}
	return s.info(b), out, next, nil
}

// ListBatches pages through batches, newest first.
func (s *Scheduler) ListBatches(offset, limit int) ([]BatchInfo, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	all := slices.Clone(s.order)
	slices.SortStableFunc(all, func(a, b *batch) int { return b.rec.Header.CreatedAt.Compare(a.rec.Header.CreatedAt) })
	var out []BatchInfo
	for i := offset; i < len(all); i++ {
		if len(out) == limit {
			return out, i
		}
		out = append(out, s.info(all[i]))
	}
	return out, 0
}

// Cancel stops a batch: pending documents are cancelled, running ones are
// told to stop. It returns once the cancellation is durable.
func (s *Scheduler) Cancel(ctx context.Context, id, reason string) (BatchInfo, error) {
	s.mu.Lock()
	b, err := s.batch(id)
	if err != nil {
		s.mu.Unlock()
		return BatchInfo{}, err
	}
	if b.rec.State != BatchRunning {
		info := s.info(b)
		s.mu.Unlock()
		return info, nil // already over: cancelling is a no-op
	}
	s.mu.Unlock()
	if reason == "" {
		reason = "cancelled by request"
	}
	done := make(chan error, 1)
	s.store.Append(id, Event{Kind: EventBatchCancelled, Doc: -1, Error: reason}, func(err error) { done <- err })
	select {
	case err := <-done:
		if err != nil {
			return BatchInfo{}, fmt.Errorf("%w: journaling cancel of %s: %v", ErrUnavailable, id, err)
		}
	case <-ctx.Done():
		return BatchInfo{}, ctx.Err()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cancelLocked(b, reason)
	s.pump()
	return s.info(b), nil
}

func (s *Scheduler) cancelLocked(b *batch, reason string) {
	if b.rec.State != BatchRunning {
		return
	}
	for i, d := range b.docs {
		if d.state.terminal() || (d.current != nil && d.current.done) {
			continue // settled, or settling through the journal
		}
		s.leave(b, int32(i))
		s.enter(b, int32(i), DocCancelled, reason)
	}
	b.delayed = b.delayed[:0]
	b.waitingBig = b.waitingBig[:0]
	s.settle(b)
}

// Run does the periodic work until ctx ends: fencing processors whose lease
// expired, releasing documents whose retry backoff passed (on a timer for
// the earliest one, not only at ticks), sampling rates, and checkpointing
// running batches (also once more on the way out).
func (s *Scheduler) Run(ctx context.Context) error {
	tick := time.NewTicker(TickInterval)
	defer tick.Stop()
	retry := time.NewTimer(time.Hour)
	defer retry.Stop()
	armRetry := func() {
		retry.Stop()
		if next := s.NextRetry(); !next.IsZero() {
			retry.Reset(max(next.Sub(s.now()), 0))
		}
	}
	armRetry()
	lastCheckpoint := s.now()
	for {
		select {
		case <-s.retryAdded:
			armRetry()
		case <-retry.C:
			s.ReleaseRetries()
			armRetry()
		case <-ctx.Done():
			s.mu.Lock()
			for _, b := range s.order {
				s.checkpointSync(b.rec)
			}
			s.saveModel()
			s.mu.Unlock()
			return nil
		case <-tick.C:
			now := s.now()
			s.mu.Lock()
			s.tick(now)
			if now.Sub(lastCheckpoint) >= s.cfg.CheckpointInterval {
				lastCheckpoint = now
				for _, b := range s.order {
					if b.rec.State == BatchRunning {
						s.checkpoint(b)
					}
				}
				s.saveModel()
			}
			s.mu.Unlock()
		}
	}
}

// saveModel persists the cost model when it learned something. Caller
// holds mu; a failure costs only what was learned since the last save.
func (s *Scheduler) saveModel() {
	if !s.modelDirty {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.store.SaveModel(ctx, s.model.snapshot()); err != nil {
		s.log.Warn("saving cost model failed", "err", err)
		return
	}
	s.modelDirty = false
}

// CostModel returns what the scheduler has learned, by format and size band.
func (s *Scheduler) CostModel() map[string]Factor {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.model.snapshot()
}

func (s *Scheduler) checkpointSync(rec Record) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.store.SaveRecord(ctx, rec); err != nil {
		s.log.Warn("final checkpoint failed", "batch", rec.Header.ID, "err", err)
	}
}

// Tick does the periodic work at the clock's current time. Run calls it on
// a ticker; a simulation calls it as its virtual time passes.
func (s *Scheduler) Tick() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick(s.now())
}

func (s *Scheduler) tick(now time.Time) {
	lease := s.cfg.Lease()
	for _, p := range s.procs {
		if now.Sub(p.lastSeen) > lease {
			s.stats.fenced++
			s.fence(p, fmt.Sprintf("no heartbeat for %s", now.Sub(p.lastSeen).Round(time.Millisecond)))
		}
	}
	// Aging walks every queue, so it runs a few times per interval only.
	aging := now.Sub(s.lastAging) >= s.cfg.AgingInterval/4
	if aging {
		s.lastAging = now
	}
	for _, b := range s.order {
		if aging {
			b.ready.age(now, s.cfg.AgingInterval)
		}
		b.releaseRetries(now)
		s.rerankIfDue(b, now)
		if b.rec.State == BatchRunning {
			b.samples = append(b.samples, sample{at: now, done: b.rec.Counts.Done + b.rec.Counts.Failed + b.rec.Counts.Skipped})
			// Keep a 10-second window for the rate.
			for len(b.samples) > 2 && now.Sub(b.samples[0].at) > 10*time.Second {
				b.samples = b.samples[1:]
			}
			s.notify(b, Transition{})
		}
	}
	s.pump()
}
