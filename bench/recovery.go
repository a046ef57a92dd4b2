package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"

	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
)

// RecoveryOptions configure `docbatch bench recovery`.
type RecoveryOptions struct {
	Fleet
	Kills int
	Seed  uint64
	// Window bounds "in flight at a kill": a document run again after a
	// kill counts as in flight only if its earlier Completed was sent at
	// most Window before that kill (and the scheduler had not shown it
	// DONE). A healthy journal acknowledges within milliseconds.
	Window time.Duration
	// ServerCommand is the argv of a process that serves the scheduler
	// (`docbatch bench scale-server`); --listen, --state and --root are
	// appended. Required: the benchmark kill -9s it.
	ServerCommand []string
	// ServerEnv is added to the child's environment.
	ServerEnv []string
	Stderr    io.Writer
	TempDir   string
}

func (o *RecoveryOptions) defaults() {
	o.fill(10_000, 10*time.Minute)
	if o.Kills < 0 {
		o.Kills = 0
	}
	if o.Window <= 0 {
		o.Window = time.Second
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
}

// RecoveryResult is the recovery benchmark's figures.
type RecoveryResult struct {
	Kills     int `json:"kills"`
	Documents int `json:"documents"`
	// Lost is documents not DONE in the final GetBatch pages (or absent).
	Lost int `json:"lost"`
	// DoubleCounted is counts.done above the number of DONE documents, plus
	// document ids that appear twice in the pages, plus result sequences
	// claimed by two DONE documents.
	DoubleCounted int `json:"double_counted"`
	// RerunBeyondInFlight is documents completed more than once by the
	// processors where some repeat is not explained by the document being
	// in flight at a kill: see AckedThenRerun, RerunSameIncarnation and
	// RerunOutsideWindow (a document may be in more than one).
	RerunBeyondInFlight  int     `json:"rerun_beyond_in_flight"`
	RestartToAssignMsP50 float64 `json:"restart_to_assign_ms_p50"`
	RestartToAssignMsP99 float64 `json:"restart_to_assign_ms_p99"`
	Seconds              float64 `json:"seconds"`

	// RerunInFlight is documents completed more than once where every
	// repeat follows a Completed sent to an incarnation that was then
	// killed, within Window before the kill, for a document the
	// pre-kill GetBatch scan did not show DONE; the restarted scheduler
	// assigning it again is the evidence that it was not durable.
	RerunInFlight int `json:"rerun_in_flight"`
	// AckedThenRerun: shown DONE by GetBatch before a kill, run again
	// after it (an acknowledged completion lost).
	AckedThenRerun int `json:"acked_then_rerun"`
	// RerunSameIncarnation: completed twice to one scheduler life.
	RerunSameIncarnation int `json:"rerun_same_incarnation"`
	// RerunOutsideWindow: the earlier Completed was sent more than Window
	// before the kill and still not kept.
	RerunOutsideWindow int     `json:"rerun_outside_window"`
	InFlightMaxAgeMs   float64 `json:"in_flight_max_age_ms"`
	WindowMs           float64 `json:"window_ms"`

	CompletionsSent int64 `json:"completions_sent"`
	NeverCompleted  int   `json:"never_completed"`
	CountsDone      int64 `json:"counts_done"`
	DoneDocuments   int   `json:"done_documents"`
	// BadResultSeq is DONE documents whose result_seq is not one a
	// processor sent for that document.
	BadResultSeq int    `json:"bad_result_seq"`
	State        string `json:"state"`

	KillsRequested int       `json:"kills_requested"`
	KillFractions  []float64 `json:"kill_fractions"`
	// CompletedAtKill and AckedAtKill: documents completed by processors
	// (at least once) and documents GetBatch showed DONE, just before
	// each kill.
	CompletedAtKill   []int     `json:"completed_at_kill"`
	AckedAtKill       []int     `json:"acked_at_kill"`
	RestartToListenMs []float64 `json:"restart_to_listen_ms"`
	RestartToAssignMs []float64 `json:"restart_to_assign_ms"`
	Reconnects        int64     `json:"reconnects"`
	Seed              uint64    `json:"seed"`
	Processors        int       `json:"processors"`
	Slots             int       `json:"slots"`
}

// completion is one Completed a processor handed to its stream.
type completion struct {
	inc uint32 // scheduler incarnation (epoch >> 32) it was sent to
	at  int64  // unix nanoseconds
	seq uint64
}

// recoveryTally records every completion and the first assignment of each
// scheduler incarnation.
type recoveryTally struct {
	mu         sync.Mutex
	docs       [][]completion
	seqDoc     map[uint64]int32
	firstByInc map[uint32]int64
	maxInc     uint32
	// gen is the life of the child in charge (0 first, +1 just before each
	// kill); genOfInc maps an incarnation to the life whose child took it,
	// as seen at its first assignment (never before that child started,
	// and a child is never killed before its first assignment).
	gen        atomic.Int32
	genOfInc   map[uint32]int32
	distinct   atomic.Int64
	sent       atomic.Int64
	unexpected atomic.Int64
}

func (t *recoveryTally) assigned(a *schedulerv1.Assignment) {
	inc, now := uint32(a.GetEpoch()>>32), time.Now().UnixNano()
	t.mu.Lock()
	if _, ok := t.firstByInc[inc]; !ok {
		t.firstByInc[inc] = now
		t.genOfInc[inc] = t.gen.Load()
		t.maxInc = max(t.maxInc, inc)
	}
	t.mu.Unlock()
}

func (t *recoveryTally) sentDone(a *schedulerv1.Assignment, seq uint64) {
	i, ok := docIndex(a.GetDocumentId())
	if !ok || i < 0 || i >= len(t.docs) {
		t.unexpected.Add(1)
		return
	}
	c := completion{inc: uint32(a.GetEpoch() >> 32), at: time.Now().UnixNano(), seq: seq}
	t.mu.Lock()
	t.docs[i] = append(t.docs[i], c)
	first := len(t.docs[i]) == 1
	t.seqDoc[seq] = int32(i)
	t.mu.Unlock()
	t.sent.Add(1)
	if first {
		t.distinct.Add(1)
	}
}

func (t *recoveryTally) latestInc() uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.maxInc
}

// killFractions are the points of progress (fractions of the documents
// completed at least once) at which the scheduler is killed: one uniform
// draw in each of k equal strata of [0.05, 0.9], so they are spread over
// the batch and fixed by the seed.
func killFractions(k int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	const lo, hi = 0.05, 0.9
	out := make([]float64, k)
	for i := range out {
		out[i] = lo + (hi-lo)*(float64(i)+rng.Float64())/float64(k)
	}
	return out
}

// RunRecovery kill -9s the scheduler child at o.Kills points of one batch,
// restarting it on the same state folder and address each time, while no-op
// processors reconnect, and then checks the final state of every document.
func RunRecovery(ctx context.Context, o RecoveryOptions) (RecoveryResult, error) {
	o.defaults()
	res := RecoveryResult{Documents: o.Documents, KillsRequested: o.Kills, Seed: o.Seed, Processors: o.Processors, Slots: o.Slots,
		WindowMs: float64(o.Window) / 1e6}
	if len(o.ServerCommand) == 0 {
		return res, errors.New("bench recovery: a scheduler command to run as a child is required")
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	dir, err := os.MkdirTemp(o.TempDir, "docbatch-bench-recovery-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	root := remoteRoot(dir)
	res.KillFractions = killFractions(o.Kills, o.Seed)
	n := o.Documents

	start := time.Now()
	ch, err := startRecoveryChild(o, dir, root, "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	// Whatever happens, the child in charge at the end is stopped.
	defer func() { _ = ch.stop() }()
	addr := ch.addr

	// Short reconnect backoff, and calls that wait for the scheduler to be
	// back instead of failing while it restarts.
	cc, err := grpcserver.Dial(addr,
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{BaseDelay: 10 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 100 * time.Millisecond},
			MinConnectTimeout: 2 * time.Second}),
		grpc.WithDefaultCallOptions(grpc.WaitForReady(true)))
	if err != nil {
		return res, err
	}
	defer cc.Close()
	sc := schedulerv1.NewSchedulerServiceClient(cc)
	dc := schedulerv1.NewDispatchServiceClient(cc)

	t := &recoveryTally{docs: make([][]completion, n), seqDoc: make(map[uint64]int32, n+n/4), firstByInc: map[uint32]int64{}, genOfInc: map[uint32]int32{}}
	f := newFleet(n)
	f.onAssign, f.onSent = t.assigned, t.sentDone
	var reconnects atomic.Int64
	pctx, stopProcs := context.WithCancel(ctx)
	defer stopProcs()
	var g errgroup.Group
	for p := range o.Processors {
		g.Go(func() error {
			id := fmt.Sprintf("bench-proc-%d", p)
			for pctx.Err() == nil {
				_ = f.process(pctx, dc, id, o.Slots) // ends at every kill
				reconnects.Add(1)
				select {
				case <-pctx.Done():
				case <-time.After(10 * time.Millisecond):
				}
			}
			return nil
		})
	}
	stopFleet := func() { stopProcs(); _ = g.Wait() }
	defer stopFleet()

	const batchID = "bench-recovery"
	if _, err := submit(ctx, sc, batchID, root, n); err != nil {
		return res, err
	}

	// waitUntil polls cond, failing when nothing completes for stallAfter.
	waitUntil := func(what string, cond func() (bool, error)) error {
		last, lastMove := int64(-1), time.Now()
		for {
			ok, err := cond()
			if err != nil || ok {
				return err
			}
			if c := t.sent.Load(); c != last {
				last, lastMove = c, time.Now()
			} else if time.Since(lastMove) > stallAfter {
				return fmt.Errorf("stalled waiting for %s: %d of %d documents completed, nothing for %s", what, t.distinct.Load(), n, stallAfter)
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
			case <-time.After(time.Millisecond):
			}
		}
	}
	batchState := func() (*schedulerv1.Batch, error) {
		r, err := sc.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: batchID})
		if err != nil {
			return nil, fmt.Errorf("GetBatch: %w", err)
		}
		return r.GetBatch(), nil
	}
	// pages calls fn with every document in state filter (all when 0).
	pages := func(filter schedulerv1.DocumentState, fn func(*schedulerv1.DocumentStatus)) (*schedulerv1.Batch, error) {
		var b *schedulerv1.Batch
		tok := ""
		for {
			r, err := sc.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: batchID, PageSize: 1000, PageToken: tok, StateFilter: filter})
			if err != nil {
				return nil, fmt.Errorf("paging GetBatch: %w", err)
			}
			if b == nil {
				b = r.GetBatch()
			}
			for _, d := range r.GetDocuments() {
				fn(d)
			}
			if tok = r.GetNextPageToken(); tok == "" {
				return b, nil
			}
		}
	}

	// A scanner pages the documents GetBatch shows DONE, all along: what
	// the scheduler has shown DONE is acknowledged and must survive every
	// later kill. A page counts for a life only if no kill began between
	// its request and its answer.
	ackedGen := make([]int32, n) // first life that showed the document DONE, +1 (0 = never seen)
	var ackedMu sync.Mutex
	scanCtx, stopScan := context.WithCancel(ctx)
	scanDone := make(chan struct{})
	go func() {
		defer close(scanDone)
		for scanCtx.Err() == nil {
			tok := ""
			for {
				g0 := t.gen.Load()
				r, err := sc.GetBatch(scanCtx, &schedulerv1.GetBatchRequest{BatchId: batchID, PageSize: 1000, PageToken: tok,
					StateFilter: schedulerv1.DocumentState_DOCUMENT_STATE_DONE})
				if err != nil {
					break // killed under it, or the run is over: start again
				}
				if t.gen.Load() == g0 {
					ackedMu.Lock()
					for _, d := range r.GetDocuments() {
						if i, ok := docIndex(d.GetDocumentId()); ok && i >= 0 && i < n && ackedGen[i] == 0 {
							ackedGen[i] = g0 + 1
						}
					}
					ackedMu.Unlock()
				}
				if tok = r.GetNextPageToken(); tok == "" {
					break
				}
			}
			select {
			case <-scanCtx.Done():
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	stopScanner := func() { stopScan(); <-scanDone }
	defer stopScanner()

	killAt := map[int32]int64{} // by life
	var starts []time.Time      // start of each restarted child
	var prevInc uint32
	finishedEarly := false
	for k, frac := range res.KillFractions {
		target := max(1, min(n-1, int(frac*float64(n))))
		var cur uint32
		err := waitUntil(fmt.Sprintf("kill point %d (%d documents)", k+1, target), func() (bool, error) {
			if cur = t.latestInc(); cur <= prevInc {
				// Nothing assigned by this child yet: has the batch already
				// ended (everything journaled before the last kill)?
				if t.distinct.Load() == int64(n) {
					b, err := batchState()
					if err != nil {
						return false, err
					}
					if b.GetState() != schedulerv1.BatchState_BATCH_STATE_RUNNING {
						finishedEarly = true
						return true, nil
					}
				}
				return false, nil
			}
			return t.distinct.Load() >= int64(target), nil
		})
		if err != nil {
			return res, err
		}
		if finishedEarly {
			break
		}
		life := t.gen.Add(1) - 1
		killAt[life] = time.Now().UnixNano()
		if err := ch.kill(); err != nil {
			return res, err
		}
		res.Kills++
		res.CompletedAtKill = append(res.CompletedAtKill, int(t.distinct.Load()))
		ackedMu.Lock()
		acked := 0
		for _, a := range ackedGen {
			if a != 0 {
				acked++
			}
		}
		ackedMu.Unlock()
		res.AckedAtKill = append(res.AckedAtKill, acked)
		prevInc = cur
		next, err := startRecoveryChild(o, dir, root, addr)
		if err != nil {
			return res, fmt.Errorf("restart %d: %w", k+1, err)
		}
		ch = next
		starts = append(starts, ch.started)
		res.RestartToListenMs = append(res.RestartToListenMs, float64(ch.listening.Sub(ch.started))/1e6)
	}

	// Let the batch end: every document completed at least once, then the
	// scheduler reports it finished.
	var final *schedulerv1.Batch
	err = waitUntil("the batch to end", func() (bool, error) {
		if t.distinct.Load() < int64(n) {
			return false, nil
		}
		b, err := batchState()
		if err != nil {
			return false, err
		}
		final = b
		return b.GetState() != schedulerv1.BatchState_BATCH_STATE_RUNNING, nil
	})
	res.Seconds = time.Since(start).Seconds()
	if err != nil {
		return res, err
	}
	stopFleet()
	stopScanner()

	// Final state of every document.
	seen := make([]bool, n)
	usedSeq := map[uint64]int{}
	dup := 0
	t.mu.Lock()
	final, err = pages(0, func(d *schedulerv1.DocumentStatus) {
		i, ok := docIndex(d.GetDocumentId())
		if !ok || i < 0 || i >= n {
			return
		}
		if seen[i] {
			dup++
			return
		}
		seen[i] = true
		if d.GetState() != schedulerv1.DocumentState_DOCUMENT_STATE_DONE {
			return
		}
		res.DoneDocuments++
		seq := d.GetResultSeq()
		if owner, ok := t.seqDoc[seq]; !ok || int(owner) != i {
			res.BadResultSeq++
		}
		usedSeq[seq]++
	})
	t.mu.Unlock()
	if err != nil {
		return res, err
	}
	res.State = final.GetState().String()
	res.CountsDone = final.GetCounts().GetDone()
	res.Lost = n - res.DoneDocuments
	res.DoubleCounted = dup + max(0, int(res.CountsDone)-res.DoneDocuments)
	for _, c := range usedSeq {
		res.DoubleCounted += c - 1
	}

	// Re-runs, and restart → first assignment.
	t.mu.Lock()
	defer t.mu.Unlock()
	res.CompletionsSent = t.sent.Load()
	res.Reconnects = reconnects.Load()
	var maxAge int64
	for i, cs := range t.docs {
		if len(cs) == 0 {
			res.NeverCompleted++
			continue
		}
		if len(cs) == 1 {
			continue
		}
		slices.SortFunc(cs, func(a, b completion) int { return int(a.at - b.at) })
		var acked, same, outside bool
		for j := 1; j < len(cs); j++ {
			prev, next := cs[j-1], cs[j]
			pg, ng := t.genOfInc[prev.inc], t.genOfInc[next.inc]
			switch k, killed := killAt[pg]; {
			case pg == ng || !killed:
				same = true
			case ackedGen[i] != 0 && ackedGen[i]-1 < ng:
				acked = true
			case k-prev.at > int64(o.Window):
				outside = true
			default:
				maxAge = max(maxAge, k-prev.at)
			}
		}
		if acked {
			res.AckedThenRerun++
		}
		if same {
			res.RerunSameIncarnation++
		}
		if outside {
			res.RerunOutsideWindow++
		}
		if acked || same || outside {
			res.RerunBeyondInFlight++
		} else {
			res.RerunInFlight++
		}
	}
	res.InFlightMaxAgeMs = float64(maxAge) / 1e6
	// The first start's incarnation is the smallest seen; each start takes
	// the next one.
	var first uint32
	for inc := range t.firstByInc {
		if first == 0 || inc < first {
			first = inc
		}
	}
	var lat []float64
	for g, st := range starts {
		if at, ok := t.firstByInc[first+uint32(g+1)]; ok {
			ms := float64(at-st.UnixNano()) / 1e6
			res.RestartToAssignMs = append(res.RestartToAssignMs, ms)
			lat = append(lat, ms)
		}
	}
	slices.Sort(lat)
	res.RestartToAssignMsP50, res.RestartToAssignMsP99 = quantile(lat, 0.5), quantile(lat, 0.99)
	if u := t.unexpected.Load(); u > 0 {
		return res, fmt.Errorf("%d completions for documents outside the batch", u)
	}
	return res, nil
}

// quantile is the nearest-rank quantile of sorted values (0 when empty).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// recoveryChild is one life of the scheduler child.
type recoveryChild struct {
	cmd       *exec.Cmd
	stdin     *os.File // closing it asks the child to stop
	addr      string
	started   time.Time
	listening time.Time
	waited    bool
}

func startRecoveryChild(o RecoveryOptions, dir, root, listen string) (*recoveryChild, error) {
	args := append(append([]string{}, o.ServerCommand[1:]...), "--listen", listen, "--state", dir, "--root", root)
	cmd := exec.Command(o.ServerCommand[0], args...)
	cmd.Env = append(os.Environ(), o.ServerEnv...)
	cmd.Stderr = o.Stderr
	// If this process dies, so does the child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd.Stdin, cmd.Stdout = inR, outW
	c := &recoveryChild{cmd: cmd, stdin: inW, started: time.Now()}
	err = cmd.Start()
	inR.Close()
	outW.Close()
	if err != nil {
		inW.Close()
		outR.Close()
		return nil, fmt.Errorf("starting scheduler child: %w", err)
	}
	line := make(chan string, 1)
	go func() {
		defer outR.Close()
		sc := bufio.NewScanner(outR)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, outR)
	}()
	select {
	case l, ok := <-line:
		addr, found := strings.CutPrefix(l, listeningPrefix)
		if ok && found {
			c.addr, c.listening = addr, time.Now()
			return c, nil
		}
		_ = c.kill()
		return nil, fmt.Errorf("scheduler child did not say where it listens (got %q)", l)
	case <-time.After(60 * time.Second):
		_ = c.kill()
		return nil, errors.New("scheduler child not listening after 60s")
	}
}

// kill sends SIGKILL and reaps the child.
func (c *recoveryChild) kill() error {
	if c.waited {
		return nil
	}
	c.waited = true
	defer c.stdin.Close()
	if err := c.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing scheduler child: %w", err)
	}
	_ = c.cmd.Wait() // "signal: killed"
	return nil
}

// stop asks the child to shut down (stdin closed) and kills it if it has
// not within 20 s.
func (c *recoveryChild) stop() error {
	if c.waited {
		return nil
	}
	c.waited = true
	_ = c.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
		return errors.New("scheduler child did not stop within 20s; killed")
	}
}

// WriteTable prints the figures for a reader.
func (r RecoveryResult) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "recovery: one batch of %d documents, scheduler child kill -9'd %d times (seed %d) and restarted on the same state and address;\n",
		r.Documents, r.Kills, r.Seed)
	fmt.Fprintf(tw, "%d no-op processors × %d slots reconnecting; submitted once, never resubmitted\n\n", r.Processors, r.Slots)
	fmt.Fprintf(tw, "kills\t%d\t(of %d requested, at %s of progress)\n", r.Kills, r.KillsRequested, fracs(r.KillFractions))
	fmt.Fprintf(tw, "documents\t%d\t\n", r.Documents)
	fmt.Fprintf(tw, "lost\t%d\t(not DONE at the end; invariant: 0)\n", r.Lost)
	fmt.Fprintf(tw, "double counted\t%d\t(counts.done %d, DONE documents %d, bad result_seq %d; invariant: 0)\n", r.DoubleCounted, r.CountsDone, r.DoneDocuments, r.BadResultSeq)
	fmt.Fprintf(tw, "re-run beyond in flight\t%d\t(acked then re-run %d, same incarnation %d, outside %.0f ms window %d)\n",
		r.RerunBeyondInFlight, r.AckedThenRerun, r.RerunSameIncarnation, r.WindowMs, r.RerunOutsideWindow)
	fmt.Fprintf(tw, "re-run, in flight at a kill\t%d\t(oldest %.1f ms before its kill)\n", r.RerunInFlight, r.InFlightMaxAgeMs)
	fmt.Fprintf(tw, "restart → first assignment\tp50 %.0f ms\tp99 %.0f ms\n", r.RestartToAssignMsP50, r.RestartToAssignMsP99)
	fmt.Fprintf(tw, "completions sent\t%d\t(%d reconnects)\n", r.CompletionsSent, r.Reconnects)
	fmt.Fprintf(tw, "batch state\t%s\t\n", r.State)
	fmt.Fprintf(tw, "seconds\t%.2f\t\n", r.Seconds)
	return tw.Flush()
}

func fracs(fs []float64) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%.0f%%", 100*f)
	}
	return strings.Join(parts, " ")
}
