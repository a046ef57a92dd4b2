// Command local runs docbatch's deployment topology on one machine, as
// separate processes on loopback: a three-node NATS JetStream cluster
// (nats-server built from the Go module proxy, file store in a work
// directory), the scheduler, several processors, the resolver and the
// citations service — configured through DOCBATCH_* variables as the compose
// file and the Kubernetes manifests configure the containers. It waits for
// every node and service to be healthy, optionally runs a batch with the
// docbatch CLI and checks that every document was done and reached the
// resolver and the citations service, then stops everything in order.
//
// From the repository root:
//
//	go run ./deploy/local --docs 200          # generate a corpus, run it, stop
//	go run ./deploy/local --corpus ~/papers   # run a folder, stop
//	go run ./deploy/local --serve             # start, print addresses, wait for Ctrl-C
//
// With --serve the topology stays up after the batch until Ctrl-C or SIGTERM.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/template"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	citationsv1 "github.com/docbatch/docbatch/proto/docbatch/citations/v1"
	resolverv1 "github.com/docbatch/docbatch/proto/docbatch/resolver/v1"
	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/platform/loopback"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err == nil {
		_, err = launch(ctx, cfg, os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "local:", err)
		os.Exit(1)
	}
}

type config struct {
	repo, work, bin, natsServer string
	keepWork, serve, freePorts  bool
	processors, slots           int
	budget, logLevel, otlp      string
	docs                        int
	formats, corpus, batchID    string
	roots                       string
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.work, "work", "", "work directory: NATS file stores, logs, binaries, generated corpus (default: a new temporary directory, removed at the end)")
	fs.BoolVar(&c.keepWork, "keep", false, "keep the temporary work directory")
	fs.StringVar(&c.bin, "bin", "", "directory with prebuilt docbatch, scheduler, processor, resolver and citations binaries (e.g. bin after make build; default: build them)")
	fs.StringVar(&c.natsServer, "nats-server", "", "nats-server binary (default: bin/tools/nats-server after make tools, else built from tools/go.mod)")
	fs.IntVar(&c.processors, "processors", 3, "processors to start")
	fs.IntVar(&c.slots, "slots", 2, "slots of each processor")
	fs.StringVar(&c.budget, "memory-budget", "512MiB", "memory budget of each processor")
	fs.StringVar(&c.logLevel, "log-level", "info", "services' log level")
	fs.StringVar(&c.otlp, "otlp", "", "OTLP/gRPC endpoint for traces, e.g. http://127.0.0.1:4317 (a local Jaeger)")
	fs.IntVar(&c.docs, "docs", 0, "generate a corpus of this many documents (docbatch gen) and run it as a batch")
	fs.StringVar(&c.formats, "formats", "", "formats of the generated corpus (docbatch gen --formats; default: all)")
	fs.StringVar(&c.corpus, "corpus", "", "run this folder as a batch")
	fs.StringVar(&c.batchID, "batch-id", "local", "batch id")
	fs.StringVar(&c.roots, "roots", "", "document roots of the scheduler and processors (default: the corpus, else the current directory)")
	fs.BoolVar(&c.serve, "serve", false, "stay up (after the batch, if any) until interrupted")
	fs.BoolVar(&c.freePorts, "free-ports", false, "pick free loopback ports instead of the fixed ones (NATS 4222-4224, scheduler 7401, …)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if c.docs > 0 && c.corpus != "" {
		return c, errors.New("--docs and --corpus exclude each other")
	}
	if c.processors < 1 {
		return c, errors.New("--processors must be at least 1")
	}
	return c, nil
}

// result is what a launch did, for the test.
type result struct {
	Total       int64
	Done        int64
	ByProcessor map[string]int
	Resolved    int64 // documents the resolver indexed
	Cited       int64 // documents the citations service indexed
	ExitCodes   map[string]int
	Replicas    map[string]int // JetStream stream → replicas, after the batch
	Work        string
}

// ports of the topology.
type ports struct {
	natsClient, natsCluster, natsHTTP [3]int
	scheduler, resolver, citations    int
	processors                        []int
}

// allocatePorts gives the topology's fixed ports, or with free set ports
// picked by loopback.FreePorts, which stay clear of the ephemeral range
// other sockets draw from.
func allocatePorts(n int, free bool) (ports, error) {
	var p ports
	dsts := make([]*int, 0, 12+n)
	fixed := make([]int, 0, 12+n)
	add := func(dst *int, port int) {
		dsts = append(dsts, dst)
		fixed = append(fixed, port)
	}
	for i := range 3 {
		add(&p.natsClient[i], 4222+i)
		add(&p.natsCluster[i], 6222+i)
		add(&p.natsHTTP[i], 8222+i)
	}
	add(&p.scheduler, 7401)
	add(&p.resolver, 7403)
	add(&p.citations, 7404)
	p.processors = make([]int, n)
	for i := range n {
		port := 7402
		if i > 0 {
			port = 7404 + i
		}
		add(&p.processors[i], port)
	}
	if free {
		var err error
		if fixed, err = loopback.FreePorts(len(dsts)); err != nil {
			return p, err
		}
	}
	for i, dst := range dsts {
		*dst = fixed[i]
	}
	return p, nil
}

func launch(ctx context.Context, c config, stdout io.Writer) (res *result, err error) {
	if c.repo == "" {
		if c.repo, err = findRepo(); err != nil {
			return nil, err
		}
	}
	if c.work == "" {
		if c.work, err = os.MkdirTemp("", "docbatch-local-"); err != nil {
			return nil, err
		}
		if !c.keepWork {
			defer os.RemoveAll(c.work)
		}
	}
	if c.work, err = filepath.Abs(c.work); err != nil {
		return nil, err
	}
	logs := filepath.Join(c.work, "logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return nil, err
	}
	say := func(format string, a ...any) { fmt.Fprintf(stdout, "local: "+format+"\n", a...) }

	bins, err := binaries(ctx, c, say)
	if err != nil {
		return nil, err
	}
	corpus := c.corpus
	if c.docs > 0 {
		corpus = filepath.Join(c.work, "corpus")
		args := []string{"gen", "--out", corpus, "--docs", strconv.Itoa(c.docs)}
		if c.formats != "" {
			args = append(args, "--formats", c.formats)
		}
		say("generating %d documents in %s", c.docs, corpus)
		if out, err := exec.CommandContext(ctx, bins["docbatch"], args...).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("docbatch gen: %w\n%s", err, out)
		}
	}
	if corpus != "" {
		if corpus, err = filepath.Abs(corpus); err != nil {
			return nil, err
		}
	}
	roots := c.roots
	if roots == "" {
		roots = corpus
	}
	if roots == "" {
		if roots, err = os.Getwd(); err != nil {
			return nil, err
		}
	}

	p, err := allocatePorts(c.processors, c.freePorts)
	if err != nil {
		return nil, err
	}
	g := &group{logs: logs}
	res = &result{Work: c.work}
	defer func() {
		res.ExitCodes = g.stopAll(say)
		for name, code := range res.ExitCodes {
			if code != 0 && err == nil {
				err = fmt.Errorf("%s exited with %d on shutdown (log: %s)", name, code, g.logPath(name))
			}
		}
	}()

	// The NATS cluster.
	var urls []string
	for i := range 3 {
		name := fmt.Sprintf("nats-%d", i+1)
		conf := filepath.Join(c.work, name+".conf")
		if err := os.WriteFile(conf, []byte(natsConfig(name, p, i, filepath.Join(c.work, "nats", name))), 0o644); err != nil {
			return res, err
		}
		if err := g.start(name, bins["nats-server"], []string{"--config", conf}, nil); err != nil {
			return res, err
		}
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", p.natsClient[i]))
	}
	for i := range 3 {
		if err := waitNATS(ctx, g, fmt.Sprintf("nats-%d", i+1), p.natsHTTP[i]); err != nil {
			return res, err
		}
	}
	say("NATS JetStream cluster up: %s", strings.Join(urls, ","))

	// The services, configured as the containers are: DOCBATCH_* variables.
	common := []string{
		"DOCBATCH_NATS_URL=" + strings.Join(urls, ","),
		"DOCBATCH_LOG_LEVEL=" + c.logLevel,
		"DOCBATCH_REPLICAS=3",
		"DOCBATCH_RESOLVER_REPLICAS=3",
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + c.otlp,
		"XDG_CACHE_HOME=" + filepath.Join(c.work, "cache"),
	}
	addr := func(port int) string { return "127.0.0.1:" + strconv.Itoa(port) }
	sched := addr(p.scheduler)
	if err := g.start("scheduler", bins["scheduler"], nil, append(common, "DOCBATCH_LISTEN="+sched, "DOCBATCH_ROOTS="+roots)); err != nil {
		return res, err
	}
	if err := waitHealthy(ctx, g, "scheduler", sched); err != nil {
		return res, err
	}
	// One at a time: the resolver, the citations service and the processors
	// all create the results stream and its object store at start, and
	// concurrent creations of the replicated stream timed out on a fresh
	// cluster here (once it exists, concurrent updates are fine).
	health := map[string]string{"resolver": addr(p.resolver), "citations": addr(p.citations)}
	// The citations service asks the scheduler and the resolver for the
	// parts of its batch reports they know.
	own := map[string][]string{"citations": {"DOCBATCH_SCHEDULER=" + sched, "DOCBATCH_RESOLVER=" + health["resolver"]}}
	for _, name := range []string{"resolver", "citations"} {
		env := append(append(slices.Clip(common), "DOCBATCH_LISTEN="+health[name]), own[name]...)
		if err := g.start(name, bins[name], nil, env); err != nil {
			return res, err
		}
		if err := waitHealthy(ctx, g, name, health[name]); err != nil {
			return res, err
		}
	}
	for i, port := range p.processors {
		name := fmt.Sprintf("processor-%d", i+1)
		health[name] = addr(port)
		if err := g.start(name, bins["processor"], nil, append(common,
			"DOCBATCH_LISTEN="+addr(port), "DOCBATCH_SCHEDULER="+sched, "DOCBATCH_ROOTS="+roots,
			"DOCBATCH_ID=local-"+strconv.Itoa(i+1), "DOCBATCH_SLOTS="+strconv.Itoa(c.slots),
			"DOCBATCH_MEMORY_BUDGET="+c.budget)); err != nil {
			return res, err
		}
	}
	for _, name := range sortedKeys(health) {
		if err := waitHealthy(ctx, g, name, health[name]); err != nil {
			return res, err
		}
	}
	say("healthy: scheduler %s, resolver %s, citations %s, %d processors; logs in %s", sched, health["resolver"], health["citations"], c.processors, logs)

	if corpus != "" {
		if err := runBatch(ctx, c, g, bins, sched, health, corpus, res, stdout, say); err != nil {
			return res, err
		}
		res.Replicas = streamReplicas(p.natsHTTP[:])
		for _, name := range sortedKeys(res.Replicas) {
			if res.Replicas[name] != 3 {
				say("warning: JetStream stream %s has %d replica(s), not 3", name, res.Replicas[name])
			}
		}
	}
	if c.serve || corpus == "" {
		say("running; try: %s submit --server %s --watch DIR   (Ctrl-C stops everything)", bins["docbatch"], sched)
		select {
		case <-ctx.Done():
		case name := <-g.exited:
			return res, fmt.Errorf("%s exited (log: %s)", name, g.logPath(name))
		}
	}
	return res, nil
}

// runBatch submits the corpus with the CLI, follows it to the end, and
// checks through the public APIs that every document is done and reached
// the resolver and the citations service.
func runBatch(ctx context.Context, c config, g *group, bins map[string]string, sched string, health map[string]string,
	corpus string, res *result, stdout io.Writer, say func(string, ...any)) error {
	say("submitting %s as batch %q", corpus, c.batchID)
	cmd := exec.CommandContext(ctx, bins["docbatch"], "submit", "--server", sched, "--batch-id", c.batchID, "--watch", corpus)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.MultiWriter(stdout, &out), io.Discard
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docbatch submit: %w\n%s", err, out.String())
	}
	if name := g.anyExited(); name != "" {
		return fmt.Errorf("%s exited during the batch (log: %s)", name, g.logPath(name))
	}

	cc, err := dial(sched)
	if err != nil {
		return err
	}
	defer cc.Close()
	sc := schedulerv1.NewSchedulerServiceClient(cc)
	res.ByProcessor = map[string]int{}
	var notDone []string
	for page := ""; ; {
		r, err := sc.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: c.batchID, PageSize: 1000, PageToken: page})
		if err != nil {
			return fmt.Errorf("GetBatch: %w", err)
		}
		res.Total, res.Done = r.Batch.GetCounts().GetTotal(), r.Batch.GetCounts().GetDone()
		for _, d := range r.Documents {
			if d.State == schedulerv1.DocumentState_DOCUMENT_STATE_DONE {
				res.ByProcessor[d.ProcessorId]++
			} else if len(notDone) < 10 {
				notDone = append(notDone, fmt.Sprintf("%s: %s %s", d.DocumentId, d.State, d.Error))
			}
		}
		if page = r.NextPageToken; page == "" {
			break
		}
	}
	if res.Done != res.Total || len(notDone) > 0 {
		return fmt.Errorf("batch %s: %d of %d documents done; not done: %v", c.batchID, res.Done, res.Total, notDone)
	}
	say("batch %s: all %d documents done; by processor: %v", c.batchID, res.Total, res.ByProcessor)

	// The resolver and the citations service consume the results stream
	// asynchronously: wait until each has every document.
	rcc, err := dial(health["resolver"])
	if err != nil {
		return err
	}
	defer rcc.Close()
	ccc, err := dial(health["citations"])
	if err != nil {
		return err
	}
	defer ccc.Close()
	rs, cs := resolverv1.NewResolverServiceClient(rcc), citationsv1.NewCitationServiceClient(ccc)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if s, err := rs.GetResolverStats(ctx, &resolverv1.GetResolverStatsRequest{BatchId: c.batchID, ProgressOnly: true}); err == nil {
			res.Resolved = s.Documents
		}
		if m, err := cs.GetMetrics(ctx, &citationsv1.GetMetricsRequest{BatchId: c.batchID, ProgressOnly: true}); err == nil {
			res.Cited = m.Documents
		}
		if res.Resolved == res.Total && res.Cited == res.Total {
			say("resolver and citations have all %d documents", res.Total)
			return checkReport(ctx, cs, c.batchID, res.Total, say)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("after the batch: resolver has %d and citations %d of %d documents", res.Resolved, res.Cited, res.Total)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// checkReport asks the citations service for the aggregated batch report,
// which it assembles with the scheduler and the resolver: every part must
// be there and agree on the number of documents.
func checkReport(ctx context.Context, cs citationsv1.CitationServiceClient, batch string, total int64, say func(string, ...any)) error {
	r, err := cs.GetBatchReport(ctx, &citationsv1.GetBatchReportRequest{BatchId: batch, TopN: 5})
	if err != nil {
		return fmt.Errorf("GetBatchReport: %w", err)
	}
	rep := r.GetReport()
	if rep.GetSchedulerError() != "" || rep.GetResolverError() != "" {
		return fmt.Errorf("batch report incomplete: scheduler %q, resolver %q", rep.GetSchedulerError(), rep.GetResolverError())
	}
	if rep.GetDocuments().GetDone() != total || rep.GetExtraction().GetDocuments() != total || len(rep.GetEntities()) == 0 {
		return fmt.Errorf("batch report disagrees: scheduler done %d, extracted %d, %d entity types; want %d documents",
			rep.GetDocuments().GetDone(), rep.GetExtraction().GetDocuments(), len(rep.GetEntities()), total)
	}
	say("batch report: %d documents, %d references, %d domains, %d entity types", total, rep.GetExtraction().GetReferences(), rep.GetNetwork().GetDomains(), len(rep.GetEntities()))
	return nil
}

// natsTemplate is one node of the local cluster: the same settings as
// deploy/compose/nats.conf on loopback ports.
var natsTemplate = template.Must(template.New("nats").Parse(`# docbatch local launcher: JetStream cluster node {{.Name}}
server_name: {{.Name}}
listen: 127.0.0.1:{{.Client}}
http: 127.0.0.1:{{.HTTP}}

jetstream {
  store_dir: "{{.Store}}"
  max_memory_store: 256MB
  # Stated explicitly, as in compose and Kubernetes (see deploy/README.md):
  # fsync every 2m; an acknowledged write is on 2 of the 3 nodes.
  sync_interval: "2m"
}

cluster {
  name: docbatch
  listen: 127.0.0.1:{{.Cluster}}
  routes: [
{{- range .Routes}}
    nats-route://127.0.0.1:{{.}}
{{- end}}
  ]
}
`))

func natsConfig(name string, p ports, i int, store string) string {
	var b strings.Builder
	err := natsTemplate.Execute(&b, map[string]any{
		"Name": name, "Client": p.natsClient[i], "HTTP": p.natsHTTP[i], "Cluster": p.natsCluster[i],
		"Store": filepath.ToSlash(store), "Routes": p.natsCluster[:],
	})
	if err != nil {
		panic(err)
	}
	return b.String()
}

// waitNATS waits until a node serves /healthz and sees a JetStream meta
// leader in a cluster of three: only then can the services create
// replicated streams.
func waitNATS(ctx context.Context, g *group, name string, httpPort int) error {
	base := fmt.Sprintf("http://127.0.0.1:%d", httpPort)
	var last string
	err := poll(ctx, g, name, 120*time.Second, func() bool {
		r, err := http.Get(base + "/healthz")
		if err != nil {
			last = err.Error()
			return false
		}
		body, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != http.StatusOK {
			last = fmt.Sprintf("/healthz: %s %s", r.Status, bytes.TrimSpace(body))
			return false
		}
		r, err = http.Get(base + "/jsz")
		if err != nil {
			last = err.Error()
			return false
		}
		defer r.Body.Close()
		var jsz struct {
			Meta *struct {
				Leader string `json:"leader"`
				Size   int    `json:"cluster_size"`
			} `json:"meta_cluster"`
		}
		if err := json.NewDecoder(r.Body).Decode(&jsz); err != nil || jsz.Meta == nil {
			last = fmt.Sprintf("/jsz: no meta_cluster (%v)", err)
			return false
		}
		last = fmt.Sprintf("/jsz: meta leader %q, cluster size %d", jsz.Meta.Leader, jsz.Meta.Size)
		return jsz.Meta.Leader != "" && jsz.Meta.Size == 3
	})
	if err != nil {
		return fmt.Errorf("%w\nlast check: %s", err, last)
	}
	return nil
}

// streamReplicas reads every stream's configured replicas from the nodes'
// monitoring endpoints (a node lists the streams it holds a replica of).
func streamReplicas(httpPorts []int) map[string]int {
	out := map[string]int{}
	for _, port := range httpPorts {
		r, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/jsz?accounts=true&streams=true&config=true", port))
		if err != nil {
			continue
		}
		var jsz struct {
			Accounts []struct {
				Streams []struct {
					Name   string `json:"name"`
					Config struct {
						Replicas int `json:"num_replicas"`
					} `json:"config"`
				} `json:"stream_detail"`
			} `json:"account_details"`
		}
		err = json.NewDecoder(r.Body).Decode(&jsz)
		r.Body.Close()
		if err != nil {
			continue
		}
		for _, a := range jsz.Accounts {
			for _, st := range a.Streams {
				out[st.Name] = max(out[st.Name], st.Config.Replicas)
			}
		}
	}
	return out
}

func dial(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
}

// waitHealthy waits for grpc.health.v1 SERVING, as the probes do.
func waitHealthy(ctx context.Context, g *group, name, addr string) error {
	cc, err := dial(addr)
	if err != nil {
		return err
	}
	defer cc.Close()
	h := healthpb.NewHealthClient(cc)
	return poll(ctx, g, name, 90*time.Second, func() bool {
		cctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		r, err := h.Check(cctx, &healthpb.HealthCheckRequest{})
		return err == nil && r.Status == healthpb.HealthCheckResponse_SERVING
	})
}

// poll runs ok until it holds, the process exits, ctx ends or the timeout.
func poll(ctx context.Context, g *group, name string, timeout time.Duration, ok func() bool) error {
	deadline := time.Now().Add(timeout)
	for {
		if ok() {
			return nil
		}
		if g.hasExited(name) {
			return fmt.Errorf("%s exited while starting:\n%s", name, g.tail(name))
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not healthy after %s:\n%s", name, timeout, g.tail(name))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// binaries builds (or finds) every binary the topology runs.
func binaries(ctx context.Context, c config, say func(string, ...any)) (map[string]string, error) {
	names := map[string]string{
		"docbatch":  "./cmd/docbatch",
		"scheduler": "./services/scheduler/cmd/scheduler",
		"processor": "./services/processor/cmd/processor",
		"resolver":  "./services/resolver/cmd/resolver",
		"citations": "./services/citations/cmd/citations",
	}
	bins := map[string]string{}
	dir, err := filepath.Abs(c.bin)
	if err != nil {
		return nil, err
	}
	if c.bin == "" {
		dir = filepath.Join(c.work, "bin")
		args := []string{"build", "-o", dir + string(filepath.Separator)}
		for _, n := range sortedKeys(names) {
			args = append(args, names[n])
		}
		say("building the binaries into %s", dir)
		if err := goCmd(ctx, c.repo, nil, args...); err != nil {
			return nil, err
		}
	}
	for n := range names {
		bins[n] = filepath.Join(dir, n)
		if _, err := os.Stat(bins[n]); err != nil {
			return nil, fmt.Errorf("binary %s: %w", n, err)
		}
	}
	switch ns := c.natsServer; {
	case ns != "":
		if bins["nats-server"], err = filepath.Abs(ns); err != nil {
			return nil, err
		}
	case c.bin != "" && fileExists(filepath.Join(c.bin, "nats-server")):
		bins["nats-server"] = filepath.Join(c.bin, "nats-server")
	case fileExists(filepath.Join(c.repo, "bin", "tools", "nats-server")):
		bins["nats-server"] = filepath.Join(c.repo, "bin", "tools", "nats-server")
	default:
		// The version pinned in tools/go.mod, from the Go module proxy.
		bins["nats-server"] = filepath.Join(c.work, "bin", "nats-server")
		say("building nats-server (tools/go.mod) into %s", bins["nats-server"])
		if err := goCmd(ctx, filepath.Join(c.repo, "tools"), []string{"GOWORK=off"}, "build", "-o", bins["nats-server"], "github.com/nats-io/nats-server/v2"); err != nil {
			return nil, err
		}
	}
	return bins, nil
}

func goCmd(ctx context.Context, dir string, env []string, args ...string) error {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "go.work")) && fileExists(filepath.Join(dir, "services")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run it inside the docbatch repository (no go.work found above the current directory)")
		}
		dir = parent
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// group is the processes of the topology, in start order.
type group struct {
	logs   string
	mu     sync.Mutex
	procs  []*proc
	exited chan string
}

type proc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	code int
	// stopping is set before the launcher signals it, so that an exit
	// then is not reported as a crash.
	stopping bool
}

func (g *group) logPath(name string) string { return filepath.Join(g.logs, name+".log") }

// start runs bin with args and the launcher's environment plus env (later
// entries win), its output in logs/<name>.log, in its own process group so
// that a terminal's Ctrl-C reaches only the launcher, which stops the
// processes in order.
func (g *group) start(name, bin string, args, env []string) error {
	g.mu.Lock()
	if g.exited == nil {
		g.exited = make(chan string, 64)
	}
	g.mu.Unlock()
	log, err := os.Create(g.logPath(name))
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: log, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		g.mu.Lock()
		stopping := p.stopping
		g.mu.Unlock()
		close(p.done)
		if !stopping {
			g.exited <- name
		}
	}()
	g.mu.Lock()
	g.procs = append(g.procs, p)
	g.mu.Unlock()
	return nil
}

func (g *group) find(name string) *proc {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range g.procs {
		if p.name == name {
			return p
		}
	}
	return nil
}

func (g *group) hasExited(name string) bool {
	p := g.find(name)
	if p == nil {
		return false
	}
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (g *group) anyExited() string {
	select {
	case name := <-g.exited:
		return name
	default:
		return ""
	}
}

// tail is the end of a process's log.
func (g *group) tail(name string) string {
	f, err := os.Open(g.logPath(name))
	if err != nil {
		return ""
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		lines = append(lines, s.Text())
		if len(lines) > 20 {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// stopAll stops the processes in reverse start order — processors first,
// NATS last — each with SIGINT (the services' graceful path), escalating to
// SIGKILL after 20 s; processes of one tier stop together. It returns every
// process's exit code (-1: killed).
func (g *group) stopAll(say func(string, ...any)) map[string]int {
	g.mu.Lock()
	procs := append([]*proc(nil), g.procs...)
	for _, p := range procs {
		p.stopping = true
	}
	g.mu.Unlock()
	tier := func(name string) int {
		switch {
		case strings.HasPrefix(name, "processor"):
			return 0
		case strings.HasPrefix(name, "nats"):
			return 2
		}
		return 1
	}
	codes := map[string]int{}
	start := time.Now()
	for t := 0; t <= 2; t++ {
		var wg sync.WaitGroup
		for _, p := range procs {
			if tier(p.name) != t {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = p.cmd.Process.Signal(os.Interrupt)
				select {
				case <-p.done:
				case <-time.After(20 * time.Second):
					_ = p.cmd.Process.Kill()
					<-p.done
				}
				p.log.Close()
			}()
		}
		wg.Wait()
	}
	for _, p := range procs {
		codes[p.name] = p.code
	}
	if len(procs) > 0 {
		say("stopped %d processes in %s", len(procs), time.Since(start).Round(time.Millisecond))
	}
	return codes
}
