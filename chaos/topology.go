package chaos

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/loopback"
)

// Binaries are the paths of the programs a topology runs.
type Binaries struct {
	Scheduler, Processor, Resolver, Citations, NATSServer string
}

// FindBinaries looks for the service binaries in dir (as `make build`
// leaves them in bin/) and for nats-server in dir/tools (as `make tools`
// leaves it) or on PATH.
func FindBinaries(dir string) (Binaries, error) {
	b := Binaries{
		Scheduler: filepath.Join(dir, "scheduler"),
		Processor: filepath.Join(dir, "processor"),
		Resolver:  filepath.Join(dir, "resolver"),
		Citations: filepath.Join(dir, "citations"),
	}
	for _, p := range []string{b.Scheduler, b.Processor, b.Resolver, b.Citations} {
		if _, err := os.Stat(p); err != nil {
			return b, fmt.Errorf("%s not found (run make build, or pass --build): %w", p, err)
		}
	}
	if p := filepath.Join(dir, "tools", "nats-server"); fileExists(p) {
		b.NATSServer = p
	} else if p, err := exec.LookPath("nats-server"); err == nil {
		b.NATSServer = p
	} else {
		return b, errors.New("nats-server not found in " + filepath.Join(dir, "tools") + " or on PATH (run make tools)")
	}
	return b, nil
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// BuildBinaries compiles the services from the workspace at repo into out,
// and nats-server from repo/tools (its pinned version, GOWORK=off), the way
// the Makefile does.
func BuildBinaries(ctx context.Context, repo, out string) (Binaries, error) {
	b := Binaries{
		Scheduler:  filepath.Join(out, "scheduler"),
		Processor:  filepath.Join(out, "processor"),
		Resolver:   filepath.Join(out, "resolver"),
		Citations:  filepath.Join(out, "citations"),
		NATSServer: filepath.Join(out, "nats-server"),
	}
	for bin, pkg := range map[string]string{
		b.Scheduler: "./services/scheduler/cmd/scheduler",
		b.Processor: "./services/processor/cmd/processor",
		b.Resolver:  "./services/resolver/cmd/resolver",
		b.Citations: "./services/citations/cmd/citations",
	} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			return b, fmt.Errorf("building %s: %w: %s", pkg, err, out)
		}
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", b.NATSServer, "github.com/nats-io/nats-server/v2")
	cmd.Dir = filepath.Join(repo, "tools")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return b, fmt.Errorf("building nats-server: %w: %s", err, out)
	}
	return b, nil
}

// freeAddr returns a loopback address with a port nothing listens on now,
// chosen outside the ephemeral range so that no other socket is given it
// before our process binds it (see loopback).
func freeAddr() (string, error) {
	p, err := loopback.FreePort()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), nil
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// proc is one OS process of the topology; it can be killed, paused and
// started again with the same arguments (same address, same state).
type proc struct {
	name string
	bin  string
	args []string
	log  string // file the process's output is appended to

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	pids []int // every pid it had, for the record
}

func (p *proc) start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	fmt.Fprintf(f, "\n==== chaos: start %s at %s\n", p.name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	// If the suite dies, so do its children.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("starting %s: %w", p.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); f.Close(); close(done) }()
	p.cmd, p.done = cmd, done
	p.pids = append(p.pids, cmd.Process.Pid)
	return nil
}

// signal sends sig to the current process (by its pid).
func (p *proc) signal(sig syscall.Signal) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return fmt.Errorf("%s not running", p.name)
	}
	return p.cmd.Process.Signal(sig)
}

// kill sends SIGKILL and waits for the process to be reaped.
func (p *proc) kill() error {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGCONT) // a paused process dies too
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("killing %s: %w", p.name, err)
	}
	<-done
	return nil
}

// stop asks the process to shut down (SIGTERM), killing it after grace.
func (p *proc) stop(grace time.Duration) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGCONT)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-done
	}
}

// logText returns the process's log (all its lives).
func (p *proc) logText() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

// dial opens a client connection that reconnects fast and waits for the
// server to be back instead of failing while it restarts.
func dial(addr string) (*grpc.ClientConn, error) {
	return grpcserver.Dial(addr,
		grpc.WithConnectParams(grpc.ConnectParams{Backoff: backoff.Config{BaseDelay: 20 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 250 * time.Millisecond},
			MinConnectTimeout: 5 * time.Second}),
		grpc.WithDefaultCallOptions(grpc.WaitForReady(true)))
}

// waitHealthy waits until the gRPC health service at addr says SERVING.
func waitHealthy(ctx context.Context, addr string, timeout time.Duration) error {
	cc, err := grpcserver.Dial(addr)
	if err != nil {
		return err
	}
	defer cc.Close()
	h := healthpb.NewHealthClient(cc)
	deadline := time.Now().Add(timeout)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		r, err := h.Check(cctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && r.Status == healthpb.HealthCheckResponse_SERVING {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not healthy after %s (last: %v)", addr, timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitTCP waits until something accepts connections at addr.
func waitTCP(ctx context.Context, addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nothing listening at %s after %s", addr, timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// topology is one deployment on loopback: NATS (one server or a cluster of
// three), the scheduler, the resolver, the citations service and three
// processors, each its own OS process.
type topology struct {
	dir    string
	corpus string
	bins   Binaries

	nats      []*proc
	natsAddrs []string // client addresses of the NATS servers
	natsURL   string   // what the services connect to (maybe via a proxy)

	scheduler  *proc
	schedAddr  string // where the scheduler listens
	schedURL   string // what processors dial (maybe via a proxy)
	resolver   *proc
	resAddr    string
	citations  *proc
	citAddr    string
	processors []*proc

	proxies []*Proxy
}

// topoOptions choose the shape of a topology.
type topoOptions struct {
	cluster    bool // three NATS servers, R3 streams
	proxyNATS  bool // services reach NATS through a proxy
	proxySched bool // processors reach the scheduler through a proxy
	processors int
	slots      int
	heartbeat  time.Duration
}

func newTopology(ctx context.Context, dir, corpusDir string, bins Binaries, o topoOptions) (*topology, error) {
	t := &topology{dir: dir, corpus: corpusDir, bins: bins}
	ok := false
	defer func() {
		if !ok {
			t.close()
		}
	}()
	servers := 1
	if o.cluster {
		servers = 3
	}
	var routes []string
	clusterAddrs := make([]string, servers)
	for i := range servers {
		a, err := freeAddr()
		if err != nil {
			return nil, err
		}
		t.natsAddrs = append(t.natsAddrs, a)
		if o.cluster {
			if clusterAddrs[i], err = freeAddr(); err != nil {
				return nil, err
			}
			routes = append(routes, "nats://"+clusterAddrs[i])
		}
	}
	for i := range servers {
		name := "nats"
		if o.cluster {
			name = fmt.Sprintf("nats-%d", i+1)
		}
		args := []string{"-a", "127.0.0.1", "-p", portOf(t.natsAddrs[i]), "-js", "-sd", filepath.Join(dir, name+"-store")}
		if o.cluster {
			args = append(args, "-n", name, "--cluster_name", "chaos", "--cluster", "nats://"+clusterAddrs[i], "--routes", strings.Join(routes, ","))
		}
		p := &proc{name: name, bin: bins.NATSServer, args: args, log: filepath.Join(dir, name+".log")}
		if err := p.start(); err != nil {
			return nil, err
		}
		t.nats = append(t.nats, p)
	}
	for _, a := range t.natsAddrs {
		if err := waitTCP(ctx, a, 60*time.Second); err != nil {
			return nil, err
		}
	}
	var urls []string
	for _, a := range t.natsAddrs {
		urls = append(urls, "nats://"+a)
	}
	t.natsURL = strings.Join(urls, ",")
	if o.proxyNATS {
		px, err := NewProxy("nats", t.natsAddrs[0])
		if err != nil {
			return nil, err
		}
		t.proxies = append(t.proxies, px)
		t.natsURL = "nats://" + px.Addr()
	}
	if o.cluster {
		if err := waitJetStreamCluster(ctx, t.directNATSURL(), 90*time.Second); err != nil {
			return nil, err
		}
	}
	replicas := "1"
	if o.cluster {
		replicas = "3"
	}
	var err error
	if t.schedAddr, err = freeAddr(); err != nil {
		return nil, err
	}
	t.schedURL = t.schedAddr
	if o.proxySched {
		px, err := NewProxy("scheduler", t.schedAddr)
		if err != nil {
			return nil, err
		}
		t.proxies = append(t.proxies, px)
		t.schedURL = px.Addr()
	}
	hb := o.heartbeat.String()
	t.scheduler = &proc{name: "scheduler", bin: bins.Scheduler, log: filepath.Join(dir, "scheduler.log"),
		args: []string{"--listen", t.schedAddr, "--nats-url", t.natsURL, "--roots", corpusDir, "--heartbeat-interval", hb, "--replicas", replicas}}
	if err := t.scheduler.start(); err != nil {
		return nil, err
	}
	if err := waitHealthy(ctx, t.schedAddr, 90*time.Second); err != nil {
		return nil, fmt.Errorf("scheduler: %w", err)
	}
	if t.resAddr, err = freeAddr(); err != nil {
		return nil, err
	}
	if t.citAddr, err = freeAddr(); err != nil {
		return nil, err
	}
	t.resolver = &proc{name: "resolver", bin: bins.Resolver, log: filepath.Join(dir, "resolver.log"),
		args: []string{"--listen", t.resAddr, "--nats-url", t.natsURL, "--resolver-replicas", replicas}}
	t.citations = &proc{name: "citations", bin: bins.Citations, log: filepath.Join(dir, "citations.log"),
		args: []string{"--listen", t.citAddr, "--nats-url", t.natsURL, "--replicas", replicas}}
	// One after the other: on a cluster, two services creating the R3
	// results stream at once can both time out at start-up.
	for _, p := range []struct {
		p    *proc
		addr string
	}{{t.resolver, t.resAddr}, {t.citations, t.citAddr}} {
		if err := p.p.start(); err != nil {
			return nil, err
		}
		if err := waitHealthy(ctx, p.addr, 90*time.Second); err != nil {
			return nil, fmt.Errorf("%s: %w", p.p.name, err)
		}
	}
	for i := range o.processors {
		a, err := freeAddr()
		if err != nil {
			return nil, err
		}
		id := fmt.Sprintf("proc-%d", i+1)
		p := &proc{name: id, bin: bins.Processor, log: filepath.Join(dir, id+".log"),
			args: []string{"--id", id, "--listen", a, "--scheduler", t.schedURL, "--nats-url", t.natsURL, "--roots", corpusDir,
				"--slots", strconv.Itoa(o.slots), "--pdf-workers", "1", "--replicas", replicas}}
		if err := p.start(); err != nil {
			return nil, err
		}
		t.processors = append(t.processors, p)
	}
	ok = true
	return t, nil
}

// directNATSURL reaches the NATS servers without any proxy (the checker's
// own view).
func (t *topology) directNATSURL() string {
	var urls []string
	for _, a := range t.natsAddrs {
		urls = append(urls, "nats://"+a)
	}
	return strings.Join(urls, ",")
}

func (t *topology) all() []*proc {
	var ps []*proc
	ps = append(ps, t.processors...)
	for _, p := range []*proc{t.scheduler, t.resolver, t.citations} {
		if p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// close stops every process: services first, then NATS, then proxies.
func (t *topology) close() {
	var wg sync.WaitGroup
	for _, p := range t.all() {
		wg.Add(1)
		go func() { defer wg.Done(); p.stop(15 * time.Second) }()
	}
	wg.Wait()
	for _, p := range t.nats {
		wg.Add(1)
		go func() { defer wg.Done(); p.stop(15 * time.Second) }()
	}
	wg.Wait()
	for _, px := range t.proxies {
		px.Close()
	}
}
