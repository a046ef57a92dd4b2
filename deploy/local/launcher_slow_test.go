//go:build slow

package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// sharedBinaries builds the topology's binaries once for both tests, with
// the launcher's own build step.
func sharedBinaries(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "docbatch-local-test-"); binErr != nil {
			return
		}
		var repo string
		if repo, binErr = findRepo(); binErr != nil {
			return
		}
		_, binErr = binaries(context.Background(), config{repo: repo, work: binDir}, func(string, ...any) {})
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return filepath.Join(binDir, "bin")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// TestLauncher runs the launcher end to end (binaries built once with the
// launcher's own build step, shared with TestLauncherInterrupt): it starts
// a three-node NATS JetStream cluster, the scheduler, three processors, the
// resolver and the citations service as separate processes on loopback,
// runs a generated corpus through the docbatch CLI, and stops everything.
// The launcher itself checks that every document is done and reached the
// resolver and the citations service; the test checks its report and that
// every process exited cleanly (SIGINT, exit 0).
func TestLauncher(t *testing.T) {
	bin := sharedBinaries(t)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	var out strings.Builder
	cfg, err := parseFlags([]string{
		"--free-ports", "--docs", "60", "--formats", "text,markdown,html,jats",
		"--processors", "3", "--slots", "2", "--work", t.TempDir(), "--log-level", "warn", "--bin", bin,
	}, &out)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := launch(ctx, cfg, &out)
	t.Logf("launcher output (%s):\n%s", time.Since(start).Round(time.Millisecond), out.String())
	if err != nil {
		if res != nil {
			logs, _ := filepath.Glob(filepath.Join(res.Work, "logs", "*.log"))
			for _, l := range logs {
				data, _ := os.ReadFile(l)
				t.Logf("---- %s:\n%s", filepath.Base(l), tail(string(data), 30))
			}
		}
		t.Fatal(err)
	}
	if res.Total != 60 || res.Done != 60 || res.Resolved != 60 || res.Cited != 60 {
		t.Errorf("total %d done %d resolved %d cited %d, want 60 each", res.Total, res.Done, res.Resolved, res.Cited)
	}
	var byProc int
	for _, n := range res.ByProcessor {
		byProc += n
	}
	if byProc != 60 || len(res.ByProcessor) < 2 {
		t.Errorf("documents by processor %v: want all 60, spread over more than one processor", res.ByProcessor)
	}
	// Every stream and bucket on three replicas, as DOCBATCH_REPLICAS and
	// DOCBATCH_RESOLVER_REPLICAS ask.
	for _, name := range []string{"DOCBATCH_SCHEDULER", "KV_docbatch-scheduler", "DOCBATCH_RESULTS", "OBJ_docbatch-text"} {
		if _, ok := res.Replicas[name]; !ok {
			t.Errorf("stream %s not found on the cluster (%v)", name, res.Replicas)
		}
	}
	for name, n := range res.Replicas {
		if n != 3 {
			t.Errorf("stream %s has %d replica(s), want 3", name, n)
		}
	}
	if len(res.ExitCodes) != 3+1+3+2 {
		t.Errorf("exit codes of %d processes, want 9: %v", len(res.ExitCodes), res.ExitCodes)
	}
	for name, code := range res.ExitCodes {
		if code != 0 {
			t.Errorf("%s exited with %d", name, code)
		}
	}
}

// TestLauncherInterrupt starts the topology without a batch (--serve) and
// interrupts the launcher as Ctrl-C would, from the outside: `go run` of the
// launcher gets SIGINT, and every process it started must be gone.
func TestLauncherInterrupt(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	work := t.TempDir()
	bin := filepath.Join(work, "local")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building the launcher: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "--free-ports", "--serve", "--processors", "1", "--work", filepath.Join(work, "w"), "--log-level", "warn", "--bin", sharedBinaries(t))
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	for !strings.Contains(out.String(), "healthy:") {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("never healthy:\n%s", out.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	pids := childPIDs(t, cmd.Process.Pid)
	if len(pids) != 3+1+1+2 {
		t.Errorf("launcher has %d children, want 7 (3 nats, scheduler, processor, resolver, citations)", len(pids))
	}
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("launcher exited with %v:\n%s", err, out.String())
		}
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("launcher did not stop:\n%s", out.String())
	}
	for _, pid := range pids {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("process %d still running after the launcher stopped", pid)
		}
	}
	if !strings.Contains(out.String(), "stopped 7 processes") {
		t.Errorf("output:\n%s", out.String())
	}
}

// childPIDs lists the children of pid from /proc (each thread lists the
// children it started).
func childPIDs(t *testing.T, pid int) []int {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(pid), "task", "*", "children"))
	if len(files) == 0 {
		t.Skip("no /proc children lists")
	}
	var pids []int
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, field := range strings.Fields(string(data)) {
			if p, err := strconv.Atoi(field); err == nil {
				pids = append(pids, p)
			}
		}
	}
	return pids
}

// syncBuffer is an io.Writer safe to read while a child writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
