package scheduler

import (
	"container/heap"
	"time"
)

// readyQueue is a batch's documents whose dependencies are done, best first
// by the scheduler's policy. PolicyRank: priority class (raised by aging),
// then critical-path rank, then estimated cost (longest first packs best),
// then submission order.
type readyQueue struct {
	docs   []*doc
	idx    []int32
	policy Policy
	now    func() time.Time
}

func (q *readyQueue) Len() int { return len(q.idx) }
func (q *readyQueue) Less(i, j int) bool {
	a, b := q.docs[q.idx[i]], q.docs[q.idx[j]]
	switch q.policy {
	case PolicyFIFO:
		return q.idx[i] < q.idx[j]
	case PolicyShortestFirst:
		if a.spec.Priority != b.spec.Priority {
			return a.spec.Priority > b.spec.Priority
		}
		if a.est.seconds != b.est.seconds {
			return a.est.seconds < b.est.seconds
		}
		return q.idx[i] < q.idx[j]
	}
	if ca, cb := a.class(), b.class(); ca != cb {
		return ca > cb
	}
	if a.rank != b.rank {
		return a.rank > b.rank
	}
	if a.est.seconds != b.est.seconds {
		return a.est.seconds > b.est.seconds
	}
	return q.idx[i] < q.idx[j]
}
func (q *readyQueue) Swap(i, j int) {
	q.idx[i], q.idx[j] = q.idx[j], q.idx[i]
	q.docs[q.idx[i]].heapIdx = i
	q.docs[q.idx[j]].heapIdx = j
}
func (q *readyQueue) Push(x any) {
	i := x.(int32)
	q.docs[i].heapIdx = len(q.idx)
	q.idx = append(q.idx, i)
}
func (q *readyQueue) Pop() any {
	n := len(q.idx) - 1
	i := q.idx[n]
	q.idx = q.idx[:n]
	q.docs[i].heapIdx = -1
	return i
}

func (q *readyQueue) push(docs []*doc, i int32) {
	q.docs = docs
	if docs[i].heapIdx >= 0 {
		return
	}
	docs[i].readyAt = q.now()
	heap.Push(q, i)
}

// restore puts back a document that was taken out only to be looked at,
// without restarting its wait.
func (q *readyQueue) restore(i int32) { heap.Push(q, i) }

// age raises the class of documents that have waited in the queue for whole
// aging intervals, so that no class starves. It reports whether any moved.
func (q *readyQueue) age(now time.Time, interval time.Duration) {
	if q.policy != PolicyRank || len(q.idx) == 0 {
		return
	}
	moved := false
	for _, i := range q.idx {
		d := q.docs[i]
		if d.class() == PriorityCritical {
			continue
		}
		if want := int8(min(now.Sub(d.readyAt)/interval, 4)); want > d.boost {
			d.boost = want
			moved = true
		}
	}
	if moved {
		heap.Init(q)
	}
}

func (q *readyQueue) peek() (int32, bool) {
	if len(q.idx) == 0 {
		return 0, false
	}
	return q.idx[0], true
}

func (q *readyQueue) pop() int32 { return heap.Pop(q).(int32) }

func (q *readyQueue) remove(i int32) {
	if h := q.docs[i].heapIdx; h >= 0 {
		heap.Remove(q, h)
	}
}
