package scheduler

import (
	"container/heap"
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Config tunes the scheduler core.
type Config struct {
	// Roots are the directories documents may live under; a batch names one
	// of them. When a root is readable here, submitted paths are checked to
	// exist (a remote scheduler may not see the processors' volume).
	Roots []string
	// HeartbeatInterval is what processors are told to beat at; a processor
	// silent for LeaseMisses intervals loses its assignments.
	HeartbeatInterval time.Duration
	LeaseMisses       int
	// DefaultMaxRetries applies to transient failures when a batch sets none.
	DefaultMaxRetries int
	// RetryBackoff is the first transient retry's backoff ceiling; each
	// further attempt doubles it up to RetryBackoffMax, and the wait is drawn
	// uniformly below the ceiling (full jitter). The base is short because a
	// document is a few hundred milliseconds of work: a long first wait only
	// stretches the batch's tail, while the doubling still backs off a
	// failure that persists. A first transient failure's retry may start at
	// once on another processor; only on the one it failed on does it wait.
	RetryBackoff, RetryBackoffMax time.Duration
	// CheckpointInterval is how often running batches' records are saved.
	CheckpointInterval time.Duration
	// MaxDocuments caps one batch.
	MaxDocuments int
	// AgingInterval is how long a ready document waits before its priority
	// class is raised by one, so LOW work in a busy system still starts.
	AgingInterval time.Duration
	// Policy orders ready documents (PolicyRank unless set).
	Policy Policy
	// OnAssign, when set, is told how long each assigned document waited
	// since it became ready (a metrics histogram). It runs under the
	// scheduler's lock: it must be quick and must not call back.
	OnAssign func(wait time.Duration)
	// Now is the clock; a simulation drives the core in virtual time.
	Now  func() time.Time
	Seed uint64
	Log  *slog.Logger
}

// Policy is how ready documents are ordered. PolicyRank is docbatch's; the
// others exist so benchmarks can compare against them on the same core.
type Policy uint8

const (
	// PolicyRank: priority class (with aging), critical-path rank, estimated
	// cost (longest first), submission order.
	PolicyRank Policy = iota
	// PolicyFIFO: submission order only.
	PolicyFIFO
	// PolicyShortestFirst: priority class, then shortest estimated time (the
	// seed's heuristic).
	PolicyShortestFirst
)

func (c *Config) defaults() {
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 2 * time.Second
	}
	if c.LeaseMisses <= 0 {
		c.LeaseMisses = 3
	}
	if c.DefaultMaxRetries <= 0 {
		c.DefaultMaxRetries = 3
	}
	if c.RetryBackoff <= 0 {
		c.RetryBackoff = DefaultRetryBackoff
	}
	if c.RetryBackoffMax <= 0 {
		c.RetryBackoffMax = 30 * time.Second
	}
	if c.CheckpointInterval <= 0 {
		c.CheckpointInterval = 30 * time.Second
	}
	if c.MaxDocuments <= 0 {
		c.MaxDocuments = 10_000_000
	}
	if c.AgingInterval <= 0 {
		c.AgingInterval = 60 * time.Second
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Seed == 0 {
		c.Seed = uint64(time.Now().UnixNano())
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
}

// Lease is how long a processor may stay silent before it is fenced.
func (c Config) Lease() time.Duration { return time.Duration(c.LeaseMisses) * c.HeartbeatInterval }

// Scheduler is the core. All state is guarded by mu; I/O (the journal) runs
// outside it and re-enters through callbacks.
type Scheduler struct {
	cfg   Config
	store Store
	log   *slog.Logger

	mu          sync.Mutex
	batches     map[string]*batch
	order       []*batch // creation order, for listing
	procs       map[string]*proc
	assignments map[string]*assign
	incarnation uint32
	counter     uint32
	lastAging   time.Time
	model       costModel
	modelDirty  bool
	rng         *rand.Rand
	stats       stats
	// retryAdded is signalled when a transient failure schedules a retry,
	// so that Run re-arms its retry timer for the new earliest backoff end.
	retryAdded chan struct{}
	// parkedUntil is the earliest backoff end of the early retries the
	// last pump set aside (zero if none): then they may run anywhere.
	parkedUntil time.Time
}

type doc struct {
	spec       DocSpec
	state      DocState
	waiting    int32   // dependencies not yet done
	dependents []int32 // documents waiting for this one
	attempts   int
	rank       float64
	est        estimate
	err        string
	history    []string // failed attempts, oldest first, at most maxHistory
	resultSeq  uint64
	procID     string
	heapIdx    int
	notBefore  time.Time
	readyAt    time.Time // when it last entered the ready queue
	boost      int8      // classes gained by aging
	current    *assign   // the live assignment, while running
	// avoid is the processor a first transient failure happened on: until
	// notBefore the retry may run anywhere but there.
	avoid *proc
}

// class is the document's priority class with what aging added.
func (d *doc) class() Priority { return min(d.spec.Priority+Priority(d.boost), PriorityCritical) }

type batch struct {
	rec     Record
	docs    []*doc
	topo    []int32 // topoOrder(docs): dependencies before dependents
	edges   int     // dependencies in all
	ready   readyQueue
	delayed []int32 // retrying after a backoff
	// nextRetry is the earliest backoff end among delayed: pump releases
	// retries as soon as it passes, not at the next tick.
	nextRetry  time.Time
	waitingBig []int32 // fit no connected processor yet
	// ranksStale: a failure skipped part of the DAG, or the cost model
	// moved, since ranks were computed; lastRerank paces recomputing.
	ranksStale bool
	lastRerank time.Time
	// rerankNow: a failure skipped a large part of what was pending, so
	// the next chance re-ranks without waiting for rerankInterval.
	rerankNow  bool
	maxRetries int
	watchers   map[*Watcher]struct{}
	samples    []sample // (time, done) for the rate
}

type sample struct {
	at   time.Time
	done int64
}

type proc struct {
	id        string
	slots     int
	running   int
	budget    uint64
	available uint64 // as last reported
	reserved  uint64 // by assignments outstanding here
	sinceBeat uint64 // reserved since the last report
	lastSeen  time.Time
	assigns   map[string]*assign
	sess      *Session
}

type assign struct {
	Assignment
	b    *batch
	d    int32
	p    *proc
	done bool // reported; waiting for the journal
	// unreported: assigned after the processor's last headroom report.
	unreported bool
}

// New returns a scheduler over store. Call Recover before serving.
func New(cfg Config, store Store) *Scheduler {
	cfg.defaults()
	return &Scheduler{
		cfg:         cfg,
		store:       store,
		log:         cfg.Log,
		batches:     map[string]*batch{},
		procs:       map[string]*proc{},
		assignments: map[string]*assign{},
		rng:         rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)),
		retryAdded:  make(chan struct{}, 1),
	}
}

// TickInterval is how often the periodic work runs: it bounds how late a
// document whose retry backoff has passed goes back on the queue.
const TickInterval = 50 * time.Millisecond

// DefaultRetryBackoff is Config.RetryBackoff when unset.
const DefaultRetryBackoff = 100 * time.Millisecond

func (s *Scheduler) now() time.Time { return s.cfg.Now() }

// Config returns the effective configuration.
func (s *Scheduler) Config() Config { return s.cfg }

// Recover loads every stored batch and takes a new incarnation for epochs.
func (s *Scheduler) Recover(ctx context.Context) error {
	inc, err := s.store.NextIncarnation(ctx)
	if err != nil {
		return fmt.Errorf("taking incarnation: %w", err)
	}
	learned, err := s.store.LoadModel(ctx)
	if err != nil {
		return fmt.Errorf("loading cost model: %w", err)
	}
	s.mu.Lock()
	s.incarnation = inc
	s.model.restore(learned)
	s.mu.Unlock()
	var n int
	err = s.store.Load(ctx, func(rec Record, docs []DocSpec, events []Event) error {
		_, deps, err := validateDocs(docs)
		if err != nil {
			return fmt.Errorf("stored batch %s: %w", rec.Header.ID, err)
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		// The journal is the truth: state and counts are recomputed from it.
		// Only the finishing time of a batch that had ended is kept.
		rec.State = BatchRunning
		b := s.buildBatch(rec, docs, deps)
		for _, ev := range events {
			s.applyEvent(b, ev, false)
		}
		// Ranks were computed before replay; drop what replay skipped.
		computeRanks(b.docs, b.topo, b.failureRate())
		for i, d := range b.docs {
			if d.state == DocPending && d.waiting == 0 {
				b.ready.push(b.docs, int32(i))
			}
		}
		s.settle(b)
		if b.rec.State == BatchRunning {
			b.rec.FinishedAt = 0
		}
		n++
		return nil
	})
	if err != nil {
		return fmt.Errorf("loading batches: %w", err)
	}
	s.log.Info("scheduler recovered", "batches", n, "incarnation", inc)
	return nil
}

// buildBatch creates the in-memory batch; caller holds mu.
func (s *Scheduler) buildBatch(rec Record, specs []DocSpec, deps [][]int32) *batch {
	b := &batch{rec: rec, docs: make([]*doc, len(specs)), watchers: map[*Watcher]struct{}{}}
	b.maxRetries = rec.Header.MaxRetries
	if b.maxRetries <= 0 {
		b.maxRetries = s.cfg.DefaultMaxRetries
	}
	for i := range specs {
		b.docs[i] = &doc{spec: specs[i], state: DocPending, heapIdx: -1, est: s.model.estimate(specs[i].Path, specs[i].Size)}
	}
	b.ready.docs = b.docs
	b.ready.policy = s.cfg.Policy
	b.ready.now = s.now
	for i, ds := range deps {
		b.edges += len(ds)
		b.docs[i].waiting = int32(len(ds))
		for _, j := range ds {
			b.docs[j].dependents = append(b.docs[j].dependents, int32(i))
		}
	}
	for _, d := range b.docs {
		if d.spec.Priority == PriorityUnspecified {
			// A document that blocks others goes first.
			d.spec.Priority = PriorityNormal
			if len(d.dependents) > 0 {
				d.spec.Priority = PriorityCritical
			}
		}
	}
	b.topo = topoOrder(b.docs)
	computeRanks(b.docs, b.topo, b.failureRate())
	b.rec.Counts = Counts{Total: int64(len(specs)), Pending: int64(len(specs))}
	if b.rec.State == 0 {
		b.rec.State = BatchRunning
	}
	s.batches[rec.Header.ID] = b
	s.order = append(s.order, b)
	return b
}

// topoOrder returns the documents in an order where each comes after
// everything it depends on (Kahn's algorithm: no recursion however deep the
// chain). A batch's DAG never changes after submit, so it is computed once
// and every re-rank walks it.
func topoOrder(docs []*doc) []int32 {
	indeg := make([]int32, len(docs))
	for _, d := range docs {
		for _, c := range d.dependents {
			indeg[c]++
		}
	}
	order := make([]int32, 0, len(docs))
	for i := range docs {
		if indeg[i] == 0 {
			order = append(order, int32(i))
		}
	}
	for k := 0; k < len(order); k++ {
		for _, c := range docs[order[k]].dependents {
			indeg[c]--
			if indeg[c] == 0 {
				order = append(order, c)
			}
		}
	}
	return order
}

// computeRanks sets the upward rank (HEFT) of each document that may still
// run: its own estimated time plus the length of the chain of estimated
// times through its dependents that may still run. Only that live part of
// the DAG is walked: a finished, failed or skipped document never queues
// again, so its rank is not used, and it adds nothing to a live document's
// (whose dependents cannot have run yet). So once a failure has skipped
// much of a batch, re-ranking costs only what is left. order is
// topoOrder's.
//
// With pFail > 0, the chance that a document fails for good, the chain is
// the expected longest one rather than the longest: a dependent runs only
// if its other unfinished dependencies all succeed, so one that waits for
// 400 documents may well never run, and a chain through it should not
// outrank a shorter one that surely will. This is what the lower bound
// knows and a scheduler does not (see docs/benchmarks.md, `--oracle`).
func computeRanks(docs []*doc, order []int32, pFail float64) {
	rank := make([]float64, len(docs)) // 0 for documents that will not run
	var runs []float64                 // chance that each runs, given one dependency
	if pFail > 0 {
		runs = make([]float64, len(docs))
	}
	var kids []int32
	for k := len(order) - 1; k >= 0; k-- {
		i := order[k]
		d := docs[i]
		if d.state.terminal() {
			continue
		}
		best := 0.0
		if pFail <= 0 {
			for _, c := range d.dependents {
				best = max(best, rank[c])
			}
		} else {
			var rest float64
			kids, rest = longestKids(kids[:0], d.dependents, rank)
			best = expectedLongest(rank, runs, kids, rest)
			runs[i] = math.Pow(1-pFail, float64(max(d.waiting-1, 0)))
		}
		d.rank = d.est.seconds + best
		rank[i] = d.rank
	}
}

// longestKids returns, longest first, the maxExpectedKids dependents with
// the highest ranks (0 is a dependent that will not run), and the highest
// rank of the others. A bounded min-heap: most dependents cost one
// comparison, so a re-rank of a dense DAG stays within a few times HEFT's.
func longestKids(top, dependents []int32, rank []float64) ([]int32, float64) {
	h := rankHeap{idx: top, rank: rank, min: true}
	rest := 0.0
	for _, c := range dependents {
		r := rank[c]
		switch {
		case r <= 0:
		case len(h.idx) < maxExpectedKids:
			h.push(c)
		case r > rank[h.idx[0]]:
			rest = max(rest, rank[h.idx[0]])
			h.idx[0] = c
			h.down(0)
		default:
			rest = max(rest, r)
		}
	}
	// Longest first: each pop of the min-heap goes to the back.
	all := h.idx
	for n := len(all); n > 1; n-- {
		all[0], all[n-1] = all[n-1], all[0]
		h.idx = all[:n-1]
		h.down(0)
	}
	return all, rest
}

// expectedLongest is the expected rank of the longest dependent that will
// run, where runs[c] is the chance that c runs given the document being
// ranked succeeds (its other unfinished dependencies all succeed): longest
// first, each counts with the chance that it runs and no longer one does.
// kids are the longest dependents, longest first; the others, at most rest
// each, count as rest (an upper bound) with the chance that none of kids
// runs.
func expectedLongest(rank, runs []float64, kids []int32, rest float64) float64 {
	e, none := 0.0, 1.0 // none: the chance that no longer one runs
	for _, c := range kids {
		e += rank[c] * runs[c] * none
		if none *= 1 - runs[c]; none < 1e-3 {
			return e // the rest would change the rank by under 0.1%
		}
	}
	return e + none*rest
}

// maxExpectedKids bounds the dependents expectedLongest weighs one by one.
const maxExpectedKids = 32

// rankHeap is a heap of document indices by rank (a min-heap when min),
// by hand: the container/heap interface would cost an indirect call per
// comparison on the re-rank's hot path.
type rankHeap struct {
	idx  []int32
	rank []float64
	min  bool
}

// before: the document at a belongs above the one at b.
func (h *rankHeap) before(a, b int) bool {
	if h.min {
		return h.rank[h.idx[a]] < h.rank[h.idx[b]]
	}
	return h.rank[h.idx[a]] > h.rank[h.idx[b]]
}

func (h *rankHeap) push(c int32) {
	h.idx = append(h.idx, c)
	for i := len(h.idx) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.before(i, p) {
			return
		}
		h.idx[i], h.idx[p] = h.idx[p], h.idx[i]
		i = p
	}
}

func (h *rankHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h.idx) {
			return
		}
		if r := l + 1; r < len(h.idx) && h.before(r, l) {
			l = r
		}
		if !h.before(l, i) {
			return
		}
		h.idx[i], h.idx[l] = h.idx[l], h.idx[i]
		i = l
	}
}

// failureRate estimates the chance that a document of the batch fails for
// good from what has finished, starting as if a hundred had finished with
// one failure: a prior of 1%, which the batch's own record soon outweighs.
func (b *batch) failureRate() float64 {
	c := b.rec.Counts
	return (float64(c.Failed) + 1) / (float64(c.Done+c.Failed) + 100)
}

// rerankInterval paces recomputing a batch's ranks: at least a tick apart,
// and 10 µs per document and 500 ns per dependency more, about thirty times
// what a pass costs (BenchmarkRerank: ~20 ns a dependency with expected
// ranks), so a million-document batch re-ranks at most every 10 s and a
// dense DAG of 5.6 million dependencies every 3 s, each spending a few
// percent of the core's time on it. A large skip re-ranks at once anyway
// (rerankNow).
func rerankInterval(docs, edges int) time.Duration {
	return TickInterval + time.Duration(docs)*10*time.Microsecond + time.Duration(edges)*500*time.Nanosecond
}

// estimatesStale marks every running batch for re-estimation after the cost
// model moved. Caller holds mu.
func (s *Scheduler) estimatesStale() {
	for _, b := range s.order {
		if b.rec.State == BatchRunning {
			b.ranksStale = true
		}
	}
}

// rerankIfDue re-ranks a running batch whose ranks are stale, at the pace
// rerankInterval allows. Caller holds mu.
func (s *Scheduler) rerankIfDue(b *batch, now time.Time) {
	if b.ranksStale && b.rec.State == BatchRunning && (b.rerankNow || now.Sub(b.lastRerank) >= rerankInterval(len(b.docs), b.edges)) {
		s.rerank(b, now)
	}
}

// rerank refreshes the estimates of documents not yet run from the cost
// model, recomputes ranks over what can still run, and reorders the ready
// queue; documents parked as too big for every processor get another look.
// Caller holds mu.
func (s *Scheduler) rerank(b *batch, now time.Time) {
	b.ranksStale, b.rerankNow = false, false
	b.lastRerank = now
	for _, d := range b.docs {
		if d.state != DocPending {
			continue
		}
		e := s.model.estimate(d.spec.Path, d.spec.Size)
		d.est.seconds = e.seconds
		if d.attempts == 0 {
			// A document that ran out of memory keeps the larger
			// reservation its retry was given.
			d.est.reservation = e.reservation
		}
	}
	computeRanks(b.docs, b.topo, b.failureRate())
	heap.Init(&b.ready)
	if len(b.waitingBig) > 0 {
		for _, i := range b.waitingBig {
			b.ready.push(b.docs, i)
		}
		b.waitingBig = b.waitingBig[:0]
	}
}

// Submit validates and durably stores a batch, then schedules it. If a
// batch with the same id and the same documents exists it is returned as it
// is (resumed=true).
func (s *Scheduler) Submit(ctx context.Context, h BatchHeader, docs []DocSpec) (BatchInfo, bool, error) {
	if h.ID == "" {
		h.ID = newBatchID()
	}
	if !ValidBatchID(h.ID) {
		return BatchInfo{}, false, fmt.Errorf("%w: batch id %q must be 1-64 characters of A-Z a-z 0-9 _ -", ErrInvalid, h.ID)
	}
	if len(docs) > s.cfg.MaxDocuments {
		return BatchInfo{}, false, fmt.Errorf("%w: %d documents exceed the limit of %d per batch", ErrTooLarge, len(docs), s.cfg.MaxDocuments)
	}
	root, err := s.resolveRoot(h.Root)
	if err != nil {
		return BatchInfo{}, false, err
	}
	h.Root = root
	_, deps, err := validateDocs(docs)
	if err != nil {
		return BatchInfo{}, false, err
	}
	if err := statDocs(root, docs); err != nil {
		return BatchInfo{}, false, err
	}
	h.Digest = digest(docs)
	h.Docs = len(docs)
	s.mu.Lock()
	if old, ok := s.batches[h.ID]; ok {
		defer s.mu.Unlock()
		if old.rec.Header.Digest != h.Digest || old.rec.Header.Root != h.Root {
			return BatchInfo{}, false, fmt.Errorf("%w: batch %q already exists with other documents or another root", ErrConflict, h.ID)
		}
		return s.info(old), true, nil
	}
	s.mu.Unlock()

	h.CreatedAt = s.now().UTC()
	rec := Record{Header: h, State: BatchRunning, Counts: Counts{Total: int64(len(docs)), Pending: int64(len(docs))}}
	if err := s.store.CreateBatch(ctx, rec, docs); err != nil {
		return BatchInfo{}, false, fmt.Errorf("%w: storing batch %s: %v", ErrUnavailable, h.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.batches[h.ID]; ok { // a concurrent identical submit won
		return s.info(old), true, nil
	}
	b := s.buildBatch(rec, docs, deps)
	for i, d := range b.docs {
		if d.waiting == 0 {
			b.ready.push(b.docs, int32(i))
		}
	}
	s.pump()
	s.log.Info("batch submitted", "batch", h.ID, "documents", len(docs), "root", root)
	return s.info(b), false, nil
}

func (s *Scheduler) resolveRoot(root string) (string, error) {
	if len(s.cfg.Roots) == 0 {
		return "", fmt.Errorf("%w: the scheduler has no document roots configured", ErrInvalid)
	}
	if root == "" {
		return s.cfg.Roots[0], nil
	}
	clean := filepath.Clean(root)
	for _, r := range s.cfg.Roots {
		if r == clean {
			return r, nil
		}
	}
	return "", fmt.Errorf("%w: root %q is not one of the allowed roots %v", ErrInvalid, root, s.cfg.Roots)
}

// statDocs checks that every document exists under root and fills in its
// size, when the root is visible from here. Opening through os.Root keeps a
// symlink from leading outside it.
func statDocs(root string, docs []DocSpec) error {
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil // not visible here: processors will report per document
	}
	defer r.Close()
	var missing []string
	for i := range docs {
		fi, err := r.Stat(docs[i].Path)
		switch {
		case err != nil:
			missing = append(missing, fmt.Sprintf("%q (%v)", docs[i].Path, trimPathErr(err)))
		case fi.IsDir():
			missing = append(missing, fmt.Sprintf("%q (is a directory)", docs[i].Path))
		case docs[i].Size == 0:
			docs[i].Size = fi.Size()
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: documents not found under root %q: %s", ErrInvalid, root, listSome(missing))
	}
	return nil
}

func trimPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

func newBatchID() string {
	return fmt.Sprintf("b-%s-%04x", time.Now().UTC().Format("20060102-150405"), rand.Uint32()&0xffff)
}

// epoch returns a fencing token larger than every earlier one, across
// restarts: the incarnation in the high half, a counter in the low.
func (s *Scheduler) nextEpoch() uint64 {
	s.counter++
	return uint64(s.incarnation)<<32 | uint64(s.counter)
}
