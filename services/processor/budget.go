package processor

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// Budget bounds the sum of the memory reservations of running documents, so
// the processor never takes on more than its --memory-budget (invariant 4)
// even if the scheduler's view is briefly stale. It is safe for concurrent
// use.
type Budget struct {
	total    uint64
	sem      *semaphore.Weighted
	reserved atomic.Uint64
}

// NewBudget returns a Budget of total bytes.
func NewBudget(total uint64) *Budget {
	return &Budget{total: total, sem: semaphore.NewWeighted(weight(total))}
}

// Total is the budget in bytes.
func (b *Budget) Total() uint64 { return b.total }

// Reserved is the sum of the reservations held now.
func (b *Budget) Reserved() uint64 { return b.reserved.Load() }

// TryReserve takes n bytes if they fit now and returns the function that
// gives them back (safe to call more than once). It never waits: the
// scheduler only sends what fits, so a miss means its view is stale and the
// assignment should be refused quickly rather than queued.
func (b *Budget) TryReserve(n uint64) (release func(), ok bool) {
	if n > b.total || !b.sem.TryAcquire(weight(n)) {
		return nil, false
	}
	return b.held(n), true
}

// Reserve waits until n bytes fit or ctx ends.
func (b *Budget) Reserve(ctx context.Context, n uint64) (release func(), err error) {
	if n > b.total {
		return nil, fmt.Errorf("%w: %d bytes asked of a %d-byte budget", ErrOutOfMemory, n, b.total)
	}
	if err := b.sem.Acquire(ctx, weight(n)); err != nil {
		return nil, fmt.Errorf("reserving %d bytes: %w", n, err)
	}
	return b.held(n), nil
}

func (b *Budget) held(n uint64) func() {
	b.reserved.Add(n)
	var once sync.Once
	return func() {
		once.Do(func() {
			b.reserved.Add(^(n - 1)) // atomic subtract
			b.sem.Release(weight(n))
		})
	}
}

// weight converts bytes to the semaphore's int64, saturating: budgets above
// 8 EiB do not exist.
func weight(n uint64) int64 {
	if n > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(n)
}
