package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"

	"github.com/docbatch/docbatch/client"
	"github.com/docbatch/docbatch/corpus"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/procstatus"
	"github.com/docbatch/docbatch/services/processor/pdf"
	"github.com/docbatch/docbatch/services/processor/service"
)

// MemoryOptions configure `docbatch bench memory`.
type MemoryOptions struct {
	// Budget is the processor's --memory-budget. Default 512 MiB.
	Budget uint64
	// SmallBytes and LargeBytes are the generator's byte targets of the two
	// collections (defaults 200 MB and 2.3 GB, which is above 2 GiB).
	SmallBytes int64
	LargeBytes int64
	// AvgDocBytes sets the number of documents of each collection
	// (bytes / AvgDocBytes), so both have the same size distribution and
	// the large one simply has more documents. Default 100 KB.
	AvgDocBytes int64
	// Formats are the generator's formats; nil is its default mix (about
	// 10% PDF, so the PDF engine is exercised).
	Formats []corpus.Format
	Seed    int64
	// Slots and PDFWorkers are the processor's --slots and --pdf-workers
	// (defaults: 2, and the processor's own default).
	Slots      int
	PDFWorkers int
	// Dir keeps the generated collections (and reuses them on a later run
	// with the same settings); "" generates them in a temporary folder that
	// is removed at the end.
	Dir string
	// ProcessorCommand is the argv of a process that runs one processor
	// (`docbatch bench memory-processor`); --scheduler, --nats-url,
	// --roots, --memory-budget, --slots and --pdf-workers are appended. It
	// is required: the processor's memory is measured alone.
	ProcessorCommand []string
	// ProcessorEnv is added to the child's environment.
	ProcessorEnv []string
	// Sample is how often the child's RSS is read. Default 100 ms.
	Sample  time.Duration
	Timeout time.Duration // for each collection's batch; default 60 minutes
	Stderr  io.Writer     // the child's log and progress lines
	TempDir string
	Log     *slog.Logger
}

// MemoryResult is the memory benchmark's figures. The first keys are the
// ones issue 4 names.
type MemoryResult struct {
	BudgetBytes       uint64 `json:"budget_bytes"`
	SmallCorpusBytes  int64  `json:"small_corpus_bytes"`
	SmallPeakRSSBytes int64  `json:"small_peak_rss_bytes"`
	LargeCorpusBytes  int64  `json:"large_corpus_bytes"`
	LargePeakRSSBytes int64  `json:"large_peak_rss_bytes"`
	// GC cycles and total stop-the-world GC pause of the processor over
	// each run (runtime.MemStats NumGC and PauseTotalNs, read by the child
	// as it exits).
	SmallGCCycles            uint32  `json:"small_gc_cycles"`
	SmallGCPauseTotalSeconds float64 `json:"small_gc_pause_total_seconds"`
	LargeGCCycles            uint32  `json:"large_gc_cycles"`
	LargeGCPauseTotalSeconds float64 `json:"large_gc_pause_total_seconds"`

	// PeakRSSDifference is |large − small| / small.
	PeakRSSDifference float64 `json:"peak_rss_difference"`
	// UnderBudget: both peaks below BudgetBytes. SimilarPeaks: the
	// difference below 10%. TargetsMet: both, and every document of both
	// collections processed.
	UnderBudget  bool `json:"under_budget"`
	SimilarPeaks bool `json:"similar_peaks"`
	TargetsMet   bool `json:"targets_met"`

	Small MemoryRun `json:"small"`
	Large MemoryRun `json:"large"`

	Slots      int    `json:"slots"`
	PDFWorkers int    `json:"pdf_workers"`
	Seed       int64  `json:"seed"`
	NumCPU     int    `json:"num_cpu"`
	RSSOf      string `json:"rss_of"`
}

// MemoryRun is one collection's run.
type MemoryRun struct {
	Dir             string  `json:"dir"`
	CorpusBytes     int64   `json:"corpus_bytes"` // the documents' bytes on disk
	Documents       int     `json:"documents"`
	PDFDocuments    int     `json:"pdf_documents"`
	PDFBytes        int64   `json:"pdf_bytes"`
	LargestDocBytes int64   `json:"largest_doc_bytes"`
	GenerateSeconds float64 `json:"generate_seconds"` // 0 when reused
	Reused          bool    `json:"reused"`
	Seconds         float64 `json:"seconds"` // submit → batch ended
	DocsPerSec      float64 `json:"docs_per_sec"`
	MBPerSec        float64 `json:"mb_per_sec"`
	Done            int64   `json:"done"`
	Failed          int64   `json:"failed"`
	Skipped         int64   `json:"skipped"`
	State           string  `json:"state"`
	// PeakRSSBytes is the peak of the processor and its PDF sandbox
	// children together: the sum of each process's VmHWM at the batch's
	// end (an upper bound, since they need not peak at the same moment),
	// or MaxSampledRSS if larger.
	PeakRSSBytes     int64   `json:"peak_rss_bytes"`
	MaxSampledRSS    int64   `json:"max_sampled_rss"`    // largest total VmRSS of the process tree seen by sampling
	ProcessorPeakRSS int64   `json:"processor_peak_rss"` // the processor's own VmHWM
	SandboxPeakRSS   int64   `json:"sandbox_peak_rss"`   // the sum of its children's VmHWM
	Sandboxes        int     `json:"sandboxes"`          // children alive at the batch's end
	StartRSSBytes    int64   `json:"start_rss_bytes"`    // VmRSS before the first document
	ProcessorCPUSecs float64 `json:"processor_cpu_seconds"`
	ProcessorStats
}

// ProcessorStats is what the processor child reports about its Go runtime
// as it exits.
type ProcessorStats struct {
	GCCycles            uint32  `json:"gc_cycles"`
	GCForcedCycles      uint32  `json:"gc_forced_cycles"`
	GCPauseTotalSeconds float64 `json:"gc_pause_total_seconds"`
	GCPauseMaxSeconds   float64 `json:"gc_pause_max_seconds"` // over the last 256 cycles
	GCCPUFraction       float64 `json:"gc_cpu_fraction"`
	TotalAllocBytes     uint64  `json:"total_alloc_bytes"`
	HeapSysBytes        uint64  `json:"heap_sys_bytes"`
	SysBytes            uint64  `json:"sys_bytes"` // everything the Go runtime got from the OS
	MemoryLimitBytes    int64   `json:"memory_limit_bytes"`
	// The PDF sandbox's children: how many were started, and the largest
	// resident size one reached (pdfsandbox.Stats.PeakChildRSS).
	SandboxesStarted int    `json:"sandboxes_started"`
	PeakSandboxRSS   uint64 `json:"peak_sandbox_rss"`
}

const (
	defaultMemoryBudget = 512 << 20
	// similarPeaks is the bound on the difference of the peaks.
	similarPeaks = 0.10
)

func (o *MemoryOptions) defaults() {
	if o.Budget == 0 {
		o.Budget = defaultMemoryBudget
	}
	if o.SmallBytes <= 0 {
		o.SmallBytes = 200e6
	}
	if o.LargeBytes <= 0 {
		o.LargeBytes = 2.3e9
	}
	if o.AvgDocBytes <= 0 {
		o.AvgDocBytes = 100e3
	}
	if o.Slots <= 0 {
		o.Slots = 2
	}
	if o.Sample <= 0 {
		o.Sample = 100 * time.Millisecond
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Minute
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// RunMemory generates two collections with the project's generator, a
// small and a large one of the same document size distribution, and runs
// each through the real scheduler (embedded NATS listening on loopback, in
// this process) and one real processor in a child process with the memory
// budget; it reports the child's peak RSS for each, with its GC figures.
func RunMemory(ctx context.Context, o MemoryOptions) (MemoryResult, error) {
	o.defaults()
	res := MemoryResult{BudgetBytes: o.Budget, Slots: o.Slots, PDFWorkers: o.PDFWorkers, Seed: o.Seed, NumCPU: runtime.NumCPU(),
		RSSOf: "the processor child process and its PDF sandbox children (the processor's VmHWM plus --pdf-workers times the largest VmHWM a child reported, and their total VmRSS sampled every 100 ms)"}
	if len(o.ProcessorCommand) == 0 {
		return res, errors.New("bench memory: no processor command")
	}
	base := o.Dir
	if base == "" {
		tmp, err := os.MkdirTemp(o.TempDir, "docbatch-bench-memory-")
		if err != nil {
			return res, err
		}
		defer os.RemoveAll(tmp)
		base = tmp
	}
	for _, c := range []struct {
		name  string
		bytes int64
		run   *MemoryRun
	}{{"small", o.SmallBytes, &res.Small}, {"large", o.LargeBytes, &res.Large}} {
		docs := int(max(c.bytes/o.AvgDocBytes, corpus.MinDocs))
		dir := filepath.Join(base, fmt.Sprintf("%s-%d-%d-s%d%s", c.name, c.bytes, docs, o.Seed, formatsTag(o.Formats)))
		fmt.Fprintf(o.Stderr, "bench memory: %s collection: %d documents, %.0f MB target, in %s\n", c.name, docs, float64(c.bytes)/1e6, dir)
		if err := ensureCorpus(ctx, dir, corpus.Options{Docs: docs, Bytes: c.bytes, Seed: o.Seed, Formats: o.Formats}, c.run); err != nil {
			return res, err
		}
		if err := memoryRun(ctx, o, c.name, dir, c.run); err != nil {
			return res, fmt.Errorf("%s collection: %w", c.name, err)
		}
		fmt.Fprintf(o.Stderr, "bench memory: %s: %d done, %d failed in %.1f s, peak RSS %.1f MiB\n",
			c.name, c.run.Done, c.run.Failed, c.run.Seconds, float64(c.run.PeakRSSBytes)/(1<<20))
	}
	res.SmallCorpusBytes, res.SmallPeakRSSBytes = res.Small.CorpusBytes, res.Small.PeakRSSBytes
	res.LargeCorpusBytes, res.LargePeakRSSBytes = res.Large.CorpusBytes, res.Large.PeakRSSBytes
	res.SmallGCCycles, res.SmallGCPauseTotalSeconds = res.Small.GCCycles, res.Small.GCPauseTotalSeconds
	res.LargeGCCycles, res.LargeGCPauseTotalSeconds = res.Large.GCCycles, res.Large.GCPauseTotalSeconds
	if res.SmallPeakRSSBytes > 0 {
		d := float64(res.LargePeakRSSBytes - res.SmallPeakRSSBytes)
		if d < 0 {
			d = -d
		}
		res.PeakRSSDifference = d / float64(res.SmallPeakRSSBytes)
	}
	res.UnderBudget = res.SmallPeakRSSBytes < int64(o.Budget) && res.LargePeakRSSBytes < int64(o.Budget)
	res.SimilarPeaks = res.PeakRSSDifference < similarPeaks
	complete := res.Small.Failed == 0 && res.Large.Failed == 0 && res.Small.Skipped == 0 && res.Large.Skipped == 0 &&
		res.Small.Done == int64(res.Small.Documents) && res.Large.Done == int64(res.Large.Documents)
	res.TargetsMet = res.UnderBudget && res.SimilarPeaks && complete
	return res, nil
}

func formatsTag(fs []corpus.Format) string {
	if len(fs) == 0 {
		return ""
	}
	var b strings.Builder
	for _, f := range fs {
		b.WriteString("-" + string(f))
	}
	return b.String()
}

// completeMarker is written into a generated collection once it is whole,
// so a kept one is reused only if its generation finished.
const completeMarker = ".docbatch-bench-complete"

// ensureCorpus generates the collection into dir unless a complete one is
// there, then measures it.
func ensureCorpus(ctx context.Context, dir string, co corpus.Options, run *MemoryRun) error {
	run.Dir = dir
	if _, err := os.Stat(filepath.Join(dir, completeMarker)); err == nil {
		run.Reused = true
	} else {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		start := time.Now()
		if _, err := corpus.Generate(ctx, dir, co); err != nil {
			return fmt.Errorf("generating %s: %w", dir, err)
		}
		run.GenerateSeconds = time.Since(start).Seconds()
		if err := os.WriteFile(filepath.Join(dir, completeMarker), nil, 0o644); err != nil {
			return err
		}
	}
	return filepath.WalkDir(filepath.Join(dir, "docs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		run.Documents++
		run.CorpusBytes += info.Size()
		run.LargestDocBytes = max(run.LargestDocBytes, info.Size())
		if strings.HasSuffix(p, ".pdf") {
			run.PDFDocuments++
			run.PDFBytes += info.Size()
		}
		return nil
	})
}

// memoryRun processes one collection: NATS (listening on loopback) and the
// scheduler in this process, the processor in a child, the batch submitted
// from the collection's manifest; it samples the child's RSS until the
// batch ends.
func memoryRun(ctx context.Context, o MemoryOptions, name, dir string, run *MemoryRun) (err error) {
	state, err := os.MkdirTemp(o.TempDir, "docbatch-bench-memory-state-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(state)
	ns, err := natsbus.StartEmbedded(natsbus.EmbeddedOptions{StoreDir: filepath.Join(state, "nats"), Port: -1})
	if err != nil {
		return err
	}
	defer func() { ns.Shutdown(); ns.WaitForShutdown() }()
	natsURL := ns.ClientURL()
	srv, err := startServer(ctx, serverOptions{Journal: true, NATSURL: natsURL, StateDir: state, Root: dir, Log: o.Log})
	if err != nil {
		return err
	}
	defer func() {
		if serr := srv.Stop(); err == nil && serr != nil {
			err = fmt.Errorf("stopping scheduler: %w", serr)
		}
	}()

	args := append(append([]string{}, o.ProcessorCommand[1:]...),
		"--scheduler", srv.Addr, "--nats-url", natsURL, "--roots", dir,
		"--memory-budget", strconv.FormatUint(o.Budget, 10), "--slots", strconv.Itoa(o.Slots), "--id", "bench-memory-"+name)
	if o.PDFWorkers > 0 {
		args = append(args, "--pdf-workers", strconv.Itoa(o.PDFWorkers))
	}
	p, err := startProcessorChild(ctx, o, args)
	if err != nil {
		return err
	}
	stopped := false
	defer func() {
		if !stopped {
			_, _ = p.stop()
		}
	}()
	// RSS before any document: Go runtime, gRPC and NATS clients, no PDF
	// engine yet (it starts with the first PDF).
	time.Sleep(200 * time.Millisecond)
	run.StartRSSBytes, _ = procStatus(p.pid(), "VmRSS")

	cc, err := grpcserver.Dial(srv.Addr)
	if err != nil {
		return err
	}
	defer cc.Close()
	sc := schedulerv1.NewSchedulerServiceClient(cc)
	rctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	batchID := "bench-memory-" + name
	start := time.Now()
	if _, err := client.Submit(rctx, sc, &schedulerv1.BatchHeader{BatchId: batchID, Name: "bench memory " + name, Root: dir}, dir, ""); err != nil {
		return fmt.Errorf("submitting: %w", err)
	}
	b, err := waitBatch(rctx, sc, batchID, p, o.Stderr, name)
	run.Seconds = time.Since(start).Seconds()
	if b != nil {
		c := b.GetCounts()
		run.Done, run.Failed, run.Skipped, run.State = c.GetDone(), c.GetFailed(), c.GetSkipped(), b.GetState().String()
	}
	run.MaxSampledRSS = p.maxRSS()
	hwm, herr := procStatus(p.pid(), "VmHWM")
	run.ProcessorPeakRSS = hwm
	stopped = true
	st, serr := p.stop()
	if st.SandboxesStarted > 0 {
		run.Sandboxes = o.PDFWorkers
		if run.Sandboxes <= 0 {
			run.Sandboxes = pdf.DefaultWorkers
		}
		run.SandboxPeakRSS = int64(run.Sandboxes) * int64(st.PeakSandboxRSS)
	}
	// Linux updates VmHWM lazily (at unmaps and exit), so it can sit a
	// little below a VmRSS that sampling saw: take the larger.
	run.PeakRSSBytes = max(hwm+run.SandboxPeakRSS, run.MaxSampledRSS)
	run.ProcessorCPUSecs = p.cpuSeconds
	run.ProcessorStats = st
	if run.Seconds > 0 {
		run.DocsPerSec = float64(run.Done) / run.Seconds
		run.MBPerSec = float64(run.CorpusBytes) / 1e6 / run.Seconds
	}
	switch {
	case err != nil:
		return err
	case herr != nil:
		return fmt.Errorf("reading the processor's peak RSS: %w", herr)
	case serr != nil:
		return serr
	}
	return nil
}

// waitBatch polls the batch until it ends, failing if the processor child
// exits or no document ends for a long while.
func waitBatch(ctx context.Context, sc schedulerv1.SchedulerServiceClient, batchID string, p *processorChild, progress io.Writer, name string) (*schedulerv1.Batch, error) {
	const stall = 5 * time.Minute
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var last *schedulerv1.Batch
	lastEnded, lastMove, lastShown := int64(-1), time.Now(), time.Now()
	for {
		resp, err := sc.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: batchID})
		if err != nil {
			return last, fmt.Errorf("polling batch: %w", err)
		}
		last = resp.GetBatch()
		if last.GetState() != schedulerv1.BatchState_BATCH_STATE_RUNNING {
			return last, nil
		}
		c := last.GetCounts()
		ended := c.GetDone() + c.GetFailed() + c.GetSkipped()
		if ended != lastEnded {
			lastEnded, lastMove = ended, time.Now()
		} else if time.Since(lastMove) > stall {
			return last, fmt.Errorf("stalled: %d of %d documents ended, none for %s", ended, c.GetTotal(), stall)
		}
		if time.Since(lastShown) >= 15*time.Second {
			lastShown = time.Now()
			fmt.Fprintf(progress, "bench memory: %s: %d of %d documents ended, processor RSS %.1f MiB (max %.1f)\n",
				name, ended, c.GetTotal(), float64(p.lastRSS())/(1<<20), float64(p.maxRSS())/(1<<20))
		}
		select {
		case <-ctx.Done():
			return last, fmt.Errorf("waiting for the batch: %w", ctx.Err())
		case <-p.exited:
			return last, fmt.Errorf("the processor child exited during the batch: %v", p.waitErr)
		case <-tick.C:
		}
	}
}

// processorChild is the processor running as a separate process.
type processorChild struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout bytes.Buffer // the stats line; read after exit
	exited chan struct{}
	// waitErr and cpuSeconds are set when exited closes. (The child's
	// getrusage ru_maxrss is no use here: Linux carries the parent's RSS
	// high-water mark over the fork and exec into it, so after generating
	// a corpus the parent's peak would show up as the child's.)
	waitErr    error
	cpuSeconds float64

	mu       sync.Mutex
	max, cur int64
	stopSamp chan struct{}
	sampDone chan struct{}
}

func startProcessorChild(ctx context.Context, o MemoryOptions, args []string) (*processorChild, error) {
	cmd := exec.CommandContext(ctx, o.ProcessorCommand[0], args...)
	cmd.Env = append(os.Environ(), o.ProcessorEnv...)
	cmd.Stderr = o.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 30 * time.Second
	p := &processorChild{cmd: cmd, exited: make(chan struct{}), stopSamp: make(chan struct{}), sampDone: make(chan struct{})}
	cmd.Stdout = &p.stdout
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	p.stdin = stdin
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting processor child: %w", err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			p.cpuSeconds = time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		}
		close(p.exited)
	}()
	go p.sample(o.Sample)
	return p, nil
}

func (p *processorChild) pid() int { return p.cmd.Process.Pid }

// sample reads the VmRSS of the child and its descendants (the PDF
// sandbox processes) until stopped, keeping the largest total.
func (p *processorChild) sample(every time.Duration) {
	defer close(p.sampDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if v, err := procStatus(p.pid(), "VmRSS"); err == nil {
			for _, c := range descendants(p.pid()) {
				if cv, err := procStatus(c, "VmRSS"); err == nil {
					v += cv
				}
			}
			p.mu.Lock()
			p.cur, p.max = v, max(p.max, v)
			p.mu.Unlock()
		}
		select {
		case <-p.stopSamp:
			return
		case <-p.exited:
			return
		case <-t.C:
		}
	}
}

func (p *processorChild) maxRSS() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.max
}

func (p *processorChild) lastRSS() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur
}

// stop closes the child's stdin (its signal to shut down), waits for it,
// and reads the stats it printed.
func (p *processorChild) stop() (ProcessorStats, error) {
	close(p.stopSamp)
	<-p.sampDone
	_ = p.stdin.Close()
	<-p.exited
	var st ProcessorStats
	if p.waitErr != nil {
		return st, fmt.Errorf("processor child: %w", p.waitErr)
	}
	line := bytes.TrimSpace(p.stdout.Bytes())
	if i := bytes.LastIndexByte(line, '\n'); i >= 0 {
		line = line[i+1:]
	}
	if err := json.Unmarshal(line, &st); err != nil {
		return st, fmt.Errorf("reading the processor child's stats %q: %w", line, err)
	}
	return st, nil
}

// descendants lists the processes below pid, read from each thread's
// /proc/PID/task/TID/children (a child belongs to the thread that forked
// it, and Go forks from any thread).
func descendants(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	for _, t := range tasks {
		data, err := os.ReadFile(t)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(data)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
				out = append(out, descendants(c)...)
			}
		}
	}
	return out
}

// procStatus reads a "kB" field of /proc/PID/status, in bytes.
func procStatus(pid int, name string) (int64, error) {
	v, err := procstatus.Bytes(pid, name)
	return int64(v), err
}

// ProcessorChildOptions configure the processor child of the memory
// benchmark.
type ProcessorChildOptions struct {
	Scheduler string
	NATSURL   string
	Config    service.Config
	Log       *slog.Logger
}

// ServeProcessor runs one processor as cmd/processor does (GOMEMLIMIT from
// the budget, the processor service over NATS and the scheduler's Work
// stream; no health server) until ctx ends or stdin closes, then writes its
// Go runtime's GC figures as one JSON line on stdout.
func ServeProcessor(ctx context.Context, o ProcessorChildOptions, stdin io.Reader, stdout io.Writer) error {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	limit := service.SetMemoryLimit(o.Config.MemoryBudget)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		cancel()
	}()
	nc, err := natsbus.Dialer{URL: o.NATSURL, Log: log}.Connect("docbatch-bench-processor")
	if err != nil {
		return err
	}
	defer nc.Close()
	cc, err := grpcserver.Dial(o.Scheduler)
	if err != nil {
		return err
	}
	defer cc.Close()
	svc, err := service.New(ctx, o.Config, service.Deps{NATS: nc, Dispatch: cc, Log: log})
	if err != nil {
		return err
	}
	if err := svc.Run(ctx); err != nil {
		return err
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := ProcessorStats{
		GCCycles: ms.NumGC, GCForcedCycles: ms.NumForcedGC, GCPauseTotalSeconds: float64(ms.PauseTotalNs) / 1e9,
		GCCPUFraction: ms.GCCPUFraction, TotalAllocBytes: ms.TotalAlloc, HeapSysBytes: ms.HeapSys, SysBytes: ms.Sys,
		MemoryLimitBytes: limit,
	}
	for _, ns := range ms.PauseNs {
		st.GCPauseMaxSeconds = max(st.GCPauseMaxSeconds, float64(ns)/1e9)
	}
	if sb, ok := svc.SandboxStats(); ok {
		st.SandboxesStarted, st.PeakSandboxRSS = sb.Started, sb.PeakChildRSS
	}
	return json.NewEncoder(stdout).Encode(st)
}

// WriteTable prints the figures for a reader.
func (r MemoryResult) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "memory: one processor (child process), --memory-budget %.0f MiB, %d slots, %d CPUs; RSS of %s\n\n",
		float64(r.BudgetBytes)/(1<<20), r.Slots, r.NumCPU, r.RSSOf)
	fmt.Fprintln(tw, "collection\tdocuments\tMB on disk\tPDFs (MB)\tdone\tfailed\tseconds\tMB/s\tpeak RSS MiB\t(processor + sandboxes)\tstart RSS MiB\tGC cycles\tGC pause total s")
	for _, x := range []struct {
		name string
		run  MemoryRun
	}{{"small", r.Small}, {"large", r.Large}} {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%d (%.0f)\t%d\t%d\t%.1f\t%.1f\t%.1f\t(%.1f + %.1f in %d)\t%.1f\t%d\t%.3f\n", x.name, x.run.Documents, float64(x.run.CorpusBytes)/1e6,
			x.run.PDFDocuments, float64(x.run.PDFBytes)/1e6, x.run.Done, x.run.Failed, x.run.Seconds, x.run.MBPerSec,
			float64(x.run.PeakRSSBytes)/(1<<20), float64(x.run.ProcessorPeakRSS)/(1<<20), float64(x.run.SandboxPeakRSS)/(1<<20), x.run.Sandboxes,
			float64(x.run.StartRSSBytes)/(1<<20), x.run.GCCycles, x.run.GCPauseTotalSeconds)
	}
	fmt.Fprintf(tw, "\npeak RSS under the budget: %t; peaks differ by %.1f%% (target < 10%%): %t; targets met: %t\n",
		r.UnderBudget, 100*r.PeakRSSDifference, r.SimilarPeaks, r.TargetsMet)
	return tw.Flush()
}
