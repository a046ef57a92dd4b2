// Package chaos is docbatch's fault-injection suite (`docbatch chaos`): it
// runs the services as separate OS processes on loopback — a standalone
// nats-server (or a cluster of three), the scheduler, three processors, the
// resolver and the citations service — processes one generated batch
// without faults, then again under each kind of fault (kill -9 of a
// processor, the scheduler, NATS, the resolver or the citations service;
// SIGSTOP of a processor past its lease; network delay, blackhole and
// resets through an in-process proxy; a NATS node of an R3 cluster downed),
// and checks every faulted run against the clean one: nothing the
// scheduler showed DONE is lost, nothing is counted twice, and the final
// outputs (document states, entity clusters, citation network, metrics
// and domains) are identical after canonical ordering.
package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/docbatch/docbatch/client"
	"github.com/docbatch/docbatch/corpus"
	citationsv1 "github.com/docbatch/docbatch/proto/docbatch/citations/v1"
	resolverv1 "github.com/docbatch/docbatch/proto/docbatch/resolver/v1"
	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
)

// Fault kinds, in the order the suite runs them.
const (
	ProcessorKill  = "processor_kill"
	ProcessorPause = "processor_pause"
	SchedulerKill  = "scheduler_kill"
	ConsumerKill   = "consumer_kill"
	NATSKill       = "nats_kill"
	Network        = "network"
	NATSCluster    = "nats_cluster"
)

// Kinds lists every fault kind.
var Kinds = []string{ProcessorKill, ProcessorPause, SchedulerKill, ConsumerKill, NATSKill, Network, NATSCluster}

// Options configure a run of the suite.
type Options struct {
	Docs int    // documents in the batch
	Seed uint64 // corpus and fault schedule
	// Runs is the number of faulted runs per fault kind; Faults the number
	// of faults injected in each run (spread over its progress).
	Runs, Faults int
	// Kinds to run (nil: all).
	Kinds      []string
	Bins       Binaries
	Processors int
	Slots      int
	// Heartbeat is the heartbeat interval the scheduler asks of processors;
	// a processor silent for 3 of them is fenced.
	Heartbeat time.Duration
	// RunTimeout bounds one run (topology up, batch done, outputs read).
	RunTimeout time.Duration
	TempDir    string
	Keep       bool      // keep the work folder (logs, stores)
	Log        io.Writer // progress lines
}

func (o *Options) defaults() {
	if o.Docs <= 0 {
		o.Docs = 400
	}
	if o.Runs <= 0 {
		o.Runs = 1
	}
	if o.Faults <= 0 {
		o.Faults = 3
	}
	if len(o.Kinds) == 0 {
		o.Kinds = Kinds
	}
	if o.Processors <= 0 {
		o.Processors = 3
	}
	if o.Slots <= 0 {
		o.Slots = 1
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = time.Second
	}
	if o.RunTimeout <= 0 {
		o.RunTimeout = 6 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// FaultResult is the figures of one fault kind.
type FaultResult struct {
	Skipped string `json:"-"`

	Runs             int     `json:"runs"`
	Faults           int     `json:"faults"`
	Lost             int     `json:"lost"`
	DoubleCounted    int     `json:"double_counted"`
	OutputsIdentical bool    `json:"outputs_identical"`
	RecoverMsP50     float64 `json:"recover_ms_p50"`
	RecoverMsP99     float64 `json:"recover_ms_p99"`
	OverheadRatio    float64 `json:"overhead_ratio"`

	// Details behind the figures.
	AckedLost        int       `json:"acked_lost"`                // shown DONE during the run, not DONE at the end
	MissingResults   int       `json:"missing_results"`           // DONE documents whose result is not in the stream
	DuplicateResults int       `json:"duplicate_result_msgs"`     // extra messages for one (batch, document) in the stream
	Fenced           int       `json:"fenced"`                    // processors fenced by the scheduler (log lines)
	RecoverSamples   int       `json:"recover_samples"`           // faults with a progress after them
	RecoverMs        []float64 `json:"recover_ms"`                // every sample
	Differs          []string  `json:"differs,omitempty"`         // parts of the outputs that differ, with the first difference
	Seconds          []float64 `json:"seconds"`                   // wall time of each faulted run
	Error            string    `json:"error,omitempty"`           // a run that did not finish
	Notes            []string  `json:"notes,omitempty"`           // what the faults did
	Description      string    `json:"description,omitempty"`     // the fault, in words
	WorkDir          string    `json:"work_dir,omitempty"`        // logs, when kept
	StreamReplicas   int       `json:"stream_replicas,omitempty"` // results stream replicas at the end (cluster)
}

// MarshalJSON prints only the reason for a skipped fault kind, so no
// figure of a fault that was not run can be mistaken for a measurement.
func (f FaultResult) MarshalJSON() ([]byte, error) {
	if f.Skipped != "" {
		return json.Marshal(map[string]string{"skipped": f.Skipped})
	}
	type plain FaultResult
	return json.Marshal(plain(f))
}

// Result is the suite's figures: the clean run and one entry per kind.
type Result struct {
	Documents    int                     `json:"documents"`
	Seed         uint64                  `json:"seed"`
	CleanSeconds float64                 `json:"clean_seconds"`
	Clean        Outputs                 `json:"clean"`
	Faults       map[string]*FaultResult `json:"-"`
	Order        []string                `json:"-"`
}

// MarshalJSON flattens the fault kinds into the top-level object, so that
// `.processor_kill.lost` is a figure's path.
func (r Result) MarshalJSON() ([]byte, error) {
	m := map[string]any{"documents": r.Documents, "seed": r.Seed, "clean_seconds": r.CleanSeconds, "clean": r.Clean}
	for k, v := range r.Faults {
		m[k] = v
	}
	return json.Marshal(m)
}

// suite is one invocation.
type suite struct {
	o      Options
	work   string
	corpus string
	clean  *runOutcome
}

// Run runs the clean run and the faulted runs of every requested kind.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	work, err := os.MkdirTemp(o.TempDir, "docbatch-chaos-")
	if err != nil {
		return nil, err
	}
	if !o.Keep {
		defer os.RemoveAll(work)
	}
	s := &suite{o: o, work: work, corpus: filepath.Join(work, "corpus")}
	fmt.Fprintf(o.Log, "chaos: generating %d documents in %s\n", o.Docs, s.corpus)
	if _, err := corpus.Generate(ctx, s.corpus, corpus.Options{Docs: o.Docs, Seed: int64(o.Seed),
		Formats: []corpus.Format{corpus.FormatText, corpus.FormatMarkdown, corpus.FormatHTML, corpus.FormatJATS}}); err != nil {
		return nil, fmt.Errorf("generating corpus: %w", err)
	}
	res := &Result{Documents: o.Docs, Seed: o.Seed, Faults: map[string]*FaultResult{}}
	fmt.Fprintf(o.Log, "chaos: clean run\n")
	clean, err := s.runOnce(ctx, "clean", 0)
	if err != nil {
		return nil, fmt.Errorf("clean run: %w", err)
	}
	s.clean = clean
	res.CleanSeconds = clean.wall.Seconds()
	res.Clean = clean.final.Outputs
	fmt.Fprintf(o.Log, "chaos: clean run %.1fs, %v, %d clusters, %d nodes, %d edges\n", clean.wall.Seconds(), clean.final.States,
		clean.final.Clusters, clean.final.NetworkNodes, clean.final.NetworkEdges)
	for _, k := range Kinds {
		if !slices.Contains(o.Kinds, k) {
			res.Faults[k] = &FaultResult{Skipped: "not requested"}
			continue
		}
		if _, ok := faults[k]; !ok {
			res.Faults[k] = &FaultResult{Skipped: "not implemented"}
			continue
		}
		fr := &FaultResult{OutputsIdentical: true, Description: faults[k].description}
		res.Faults[k] = fr
		res.Order = append(res.Order, k)
		for i := range o.Runs {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			fmt.Fprintf(o.Log, "chaos: %s run %d\n", k, i+1)
			out, err := s.runOnce(ctx, k, i)
			if o.Keep {
				fr.WorkDir = filepath.Join(work, k)
			}
			if err != nil {
				fr.Error = err.Error()
				fr.OutputsIdentical = false
				fmt.Fprintf(o.Log, "chaos: %s run %d failed: %v\n", k, i+1, err)
				break
			}
			s.compare(fr, out)
			fmt.Fprintf(o.Log, "chaos: %s run %d: %.1fs, %d faults, lost %d, double %d, identical %v, recover %v ms\n", k, i+1,
				out.wall.Seconds(), out.faults, fr.Lost, fr.DoubleCounted, fr.OutputsIdentical, out.recoverMs)
		}
		lat := slices.Clone(fr.RecoverMs)
		slices.Sort(lat)
		fr.RecoverSamples = len(lat)
		fr.RecoverMsP50, fr.RecoverMsP99 = quantile(lat, 0.5), quantile(lat, 0.99)
		var sum float64
		for _, sec := range fr.Seconds {
			sum += sec
		}
		if len(fr.Seconds) > 0 && clean.wall > 0 {
			fr.OverheadRatio = round3(sum / float64(len(fr.Seconds)) / clean.wall.Seconds())
		}
	}
	return res, nil
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

// quantile is the nearest-rank quantile of sorted values (0 when empty).
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

// compare adds one faulted run's figures against the clean run.
func (s *suite) compare(fr *FaultResult, out *runOutcome) {
	c, f := s.clean.final, out.final
	fr.Runs++
	fr.Faults += out.faults
	fr.Seconds = append(fr.Seconds, round3(out.wall.Seconds()))
	fr.RecoverMs = append(fr.RecoverMs, out.recoverMs...)
	fr.Notes = append(fr.Notes, out.notes...)
	fr.Fenced += out.fenced
	if out.streamReplicas > 0 {
		fr.StreamReplicas = out.streamReplicas
	}
	// Lost: acknowledged (shown DONE) at any point, or DONE in the clean
	// run, and not DONE now; or DONE without its result in the stream.
	lost := map[string]bool{}
	for id := range out.acked {
		if !f.done[id] {
			lost[id] = true
			fr.AckedLost++
		}
	}
	for id := range c.done {
		if !f.done[id] {
			lost[id] = true
		}
	}
	fr.MissingResults += f.missingResult
	fr.Lost += len(lost) + f.missingResult
	// Double counted: a document listed twice, a done counter above the
	// DONE documents, a result claimed by two documents, or a consumer
	// that counts more documents than it did in the clean run.
	fr.DoubleCounted += f.dupIDs + f.countsExcess + f.seqShared +
		max(0, int(f.ResolverDocs-c.ResolverDocs)) + max(0, int(f.CitationsDocs-c.CitationsDocs))
	fr.DuplicateResults += f.dupResults
	for _, part := range []string{"scheduler", "resolver", "citations"} {
		if d := firstDiff(c.canonical[part], f.canonical[part]); d != "" {
			fr.OutputsIdentical = false
			fr.Differs = append(fr.Differs, part+": "+d)
		}
	}
}

// runOutcome is what one run leaves for the checker.
type runOutcome struct {
	wall           time.Duration
	final          *finalState
	acked          map[string]time.Time
	faults         int
	recoverMs      []float64
	notes          []string
	fenced         int
	streamReplicas int
}

const batchID = "chaos"

// runOnce brings a topology up, submits the batch, injects kind's faults
// while it runs, and reads the final outputs.
func (s *suite) runOnce(ctx context.Context, kind string, i int) (*runOutcome, error) {
	ctx, cancel := context.WithTimeout(ctx, s.o.RunTimeout)
	defer cancel()
	dir := filepath.Join(s.work, kind, fmt.Sprint(i+1))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	topo, err := newTopology(ctx, dir, s.corpus, s.o.Bins, topoOptions{
		cluster:    kind == NATSCluster,
		proxyNATS:  kind == Network,
		proxySched: kind == Network,
		processors: s.o.Processors,
		slots:      s.o.Slots,
		heartbeat:  s.o.Heartbeat,
	})
	if err != nil {
		return nil, fmt.Errorf("starting topology: %w (logs in %s)", err, dir)
	}
	defer topo.close()
	fail := func(err error) (*runOutcome, error) {
		return nil, fmt.Errorf("%w (logs in %s)", err, dir)
	}

	scc, err := dial(topo.schedAddr)
	if err != nil {
		return fail(err)
	}
	defer scc.Close()
	rcc, err := dial(topo.resAddr)
	if err != nil {
		return fail(err)
	}
	defer rcc.Close()
	ccc, err := dial(topo.citAddr)
	if err != nil {
		return fail(err)
	}
	defer ccc.Close()
	sc := schedulerv1.NewSchedulerServiceClient(scc)
	rc := resolverv1.NewResolverServiceClient(rcc)
	cc := citationsv1.NewCitationServiceClient(ccc)
	nc, err := nats.Connect(topo.directNATSURL(), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond), nats.RetryOnFailedConnect(true))
	if err != nil {
		return fail(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fail(err)
	}

	rec := newRecorder()
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	start := time.Now()
	if _, err := client.Submit(ctx, sc, &schedulerv1.BatchHeader{BatchId: batchID, Name: "chaos " + kind, Root: s.corpus}, s.corpus, ""); err != nil {
		return fail(fmt.Errorf("submitting: %w", err))
	}
	go rec.watch(wctx, sc, batchID)

	env := &faultEnv{topo: topo, rec: rec, sc: sc, rc: rc, cc: cc, js: js, docs: s.o.Docs, faults: s.o.Faults,
		rng: rand.New(rand.NewPCG(s.o.Seed, uint64(i)*1000+uint64(slices.Index(Kinds, kind)))), heartbeat: s.o.Heartbeat}
	fctx, stopFaults := context.WithCancel(ctx)
	faultDone := make(chan error, 1)
	if f, ok := faults[kind]; ok {
		go func() { faultDone <- f.inject(fctx, env) }()
	} else {
		faultDone <- nil
	}

	_, err = waitBatchEnd(ctx, sc, batchID, rec)
	stopFaults()
	ferr := <-faultDone // every faulted process is back when inject returns
	if err != nil {
		return fail(err)
	}
	if ferr != nil && ctx.Err() == nil {
		return fail(fmt.Errorf("injecting %s: %w", kind, ferr))
	}
	if err := waitConsumersCaughtUp(ctx, js); err != nil {
		return fail(err)
	}
	// The consumers acknowledge after applying; give the stats a moment
	// to settle past the last acknowledgement before reading them.
	if err := waitStable(ctx, rc, cc); err != nil {
		return fail(err)
	}
	wall := time.Since(start)
	stopWatch()
	final, err := readFinal(ctx, sc, rc, cc, js, batchID)
	if err != nil {
		return fail(err)
	}
	out := &runOutcome{wall: wall, final: final, faults: env.injected, notes: env.notes}
	rec.mu.Lock()
	out.acked = rec.doneAt
	rec.mu.Unlock()
	// Recovery: from each fault's end to the first progress after it,
	// unless the fault measured its own (consumers).
	out.recoverMs = env.recoverMs
	for _, end := range env.ends {
		if t, ok := rec.firstProgressAfter(end); ok {
			out.recoverMs = append(out.recoverMs, round3(float64(t.Sub(end))/1e6))
		}
	}
	out.fenced = strings.Count(topo.scheduler.logText(), `"processor fenced"`)
	if kind == NATSCluster {
		if st, err := js.Stream(ctx, "DOCBATCH_RESULTS"); err == nil {
			if info, err := st.Info(ctx); err == nil {
				out.streamReplicas = info.Config.Replicas
			}
		}
	}
	return out, nil
}

// waitStable waits until the resolver's and citations' document counts
// stop changing for a moment.
func waitStable(ctx context.Context, rc resolverv1.ResolverServiceClient, cc citationsv1.CitationServiceClient) error {
	var last string
	same := 0
	for same < 3 {
		rs, err := rc.GetResolverStats(ctx, &resolverv1.GetResolverStatsRequest{BatchId: batchID, ProgressOnly: true})
		if err != nil {
			return fmt.Errorf("GetResolverStats: %w", err)
		}
		m, err := cc.GetMetrics(ctx, &citationsv1.GetMetricsRequest{BatchId: batchID, ProgressOnly: true})
		if err != nil {
			return fmt.Errorf("GetMetrics: %w", err)
		}
		cur := fmt.Sprint(rs.GetDocuments(), rs.GetLastAppliedSeq(), m.GetDocuments(), m.GetLastAppliedSeq())
		if cur == last {
			same++
		} else {
			same, last = 0, cur
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}
