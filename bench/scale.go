package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// ScaleOptions configure `docbatch bench scale`.
type ScaleOptions struct {
	Fleet
	SyncAlways bool
	// ServerCommand, when set, is the argv of a process that serves the
	// scheduler (`docbatch bench scale-server`); --listen, --state and
	// --root are appended. Running it as a child is what lets its peak RSS
	// be measured alone. Empty runs the scheduler in this process (tests),
	// where the RSS figure is the whole process's.
	ServerCommand []string
	// Stderr receives the child's log.
	Stderr  io.Writer
	TempDir string
	Log     *slog.Logger
}

// ScaleResult is the scale benchmark's figures.
type ScaleResult struct {
	Documents       int     `json:"documents"`
	PeakRSSBytes    int64   `json:"peak_rss_bytes"`
	Seconds         float64 `json:"seconds"`
	SubmitSeconds   float64 `json:"submit_seconds"`
	DispatchSeconds float64 `json:"dispatch_seconds"`
	// AssignmentsPerSec is documents over DispatchSeconds.
	AssignmentsPerSec float64 `json:"assignments_per_sec"`
	CompletedOnce     int     `json:"completed_once"`
	// RSSOf says whose memory PeakRSSBytes is: the child scheduler process
	// (embedded NATS included, as `docbatch serve` runs it) or, in process,
	// everything including the no-op processors.
	RSSOf      string `json:"rss_of"`
	Processors int    `json:"processors"`
	Slots      int    `json:"slots"`
	SyncAlways bool   `json:"sync_always"`
	Root       string `json:"root"`
}

func (o *ScaleOptions) defaults() {
	o.fill(1_000_000, 15*time.Minute)
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
}

// RunScale submits one batch of o.Documents through the streaming API,
// completes it with no-op processors (journal on), and reports the
// scheduler's peak RSS and how long it all took.
func RunScale(ctx context.Context, o ScaleOptions) (ScaleResult, error) {
	o.defaults()
	res := ScaleResult{Documents: o.Documents, Processors: o.Processors, Slots: o.Slots, SyncAlways: o.SyncAlways}
	dir, err := os.MkdirTemp(o.TempDir, "docbatch-bench-scale-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	root := remoteRoot(dir)
	res.Root = root + " (absent on disk: remote-volume case, paths not stat'ed)"

	var (
		addr string
		rss  func() (int64, error) // peak RSS, read before the server stops
		stop func() error
	)
	if len(o.ServerCommand) > 0 {
		child, err := startChild(ctx, o, dir, root)
		if err != nil {
			return res, err
		}
		addr, rss, stop = child.addr, child.peakRSS, child.stop
		res.RSSOf = fmt.Sprintf("child scheduler process (pid %d, embedded NATS included)", child.cmd.Process.Pid)
	} else {
		srv, err := startServer(ctx, serverOptions{Journal: true, StateDir: dir, SyncAlways: o.SyncAlways, Root: root, Log: o.Log})
		if err != nil {
			return res, err
		}
		addr, stop = srv.Addr, srv.Stop
		rss = func() (int64, error) { return peakRSS("self") }
		res.RSSOf = "this whole process (in-process run: scheduler, NATS and processors together)"
	}
	r, err := drive(ctx, driveOptions{Addr: addr, Root: root, BatchID: "bench-scale", Documents: o.Documents,
		Processors: o.Processors, Slots: o.Slots, Timeout: o.Timeout})
	peak, rerr := rss()
	if serr := stop(); err == nil && serr != nil {
		err = fmt.Errorf("stopping scheduler: %w", serr)
	}
	if err == nil && rerr != nil {
		err = fmt.Errorf("reading peak rss: %w", rerr)
	}
	res.PeakRSSBytes = peak
	res.Seconds, res.SubmitSeconds, res.DispatchSeconds = r.Total.Seconds(), r.Submit.Seconds(), r.Dispatch.Seconds()
	if r.Dispatch > 0 {
		res.AssignmentsPerSec = float64(o.Documents) / r.Dispatch.Seconds()
	}
	res.CompletedOnce = r.Once
	return res, err
}

// child is the scheduler running as a separate process.
type child struct {
	cmd   *exec.Cmd
	addr  string
	stdin io.WriteCloser
	// hwm is the largest VmHWM seen; the last read happens just before the
	// child is told to stop, and getrusage after it exits covers shutdown.
	hwm int64
}

func startChild(ctx context.Context, o ScaleOptions, dir, root string) (*child, error) {
	args := append(append([]string{}, o.ServerCommand[1:]...), "--listen", "127.0.0.1:0", "--state", dir, "--root", root)
	if o.SyncAlways {
		args = append(args, "--sync-always")
	}
	cmd := exec.CommandContext(ctx, o.ServerCommand[0], args...)
	cmd.Stderr = o.Stderr
	// A cancelled benchmark asks the child to shut down; WaitDelay bounds
	// how long it may take before it is killed.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting scheduler child: %w", err)
	}
	c := &child{cmd: cmd, stdin: stdin}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, stdout) // keep the child from blocking on a full pipe
	}()
	select {
	case l, ok := <-line:
		addr, found := strings.CutPrefix(l, listeningPrefix)
		if ok && found {
			c.addr = addr
			return c, nil
		}
		_ = c.stop()
		return nil, fmt.Errorf("scheduler child did not say where it listens (got %q)", l)
	case <-time.After(60 * time.Second):
		_ = c.stop()
		return nil, errors.New("scheduler child not listening after 60s")
	}
}

func (c *child) peakRSS() (int64, error) {
	v, err := peakRSS(strconv.Itoa(c.cmd.Process.Pid))
	c.hwm = max(c.hwm, v)
	return c.hwm, err
}

// stop closes the child's stdin, which is its signal to shut down, and
// waits for it.
func (c *child) stop() error {
	_ = c.stdin.Close()
	err := c.cmd.Wait()
	if ru, ok := c.cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		c.hwm = max(c.hwm, ru.Maxrss*1024) // Linux reports kilobytes
	}
	if err != nil {
		return fmt.Errorf("scheduler child: %w", err)
	}
	return nil
}

// peakRSS reads VmHWM (the resident set's high-water mark) of a process
// from /proc; pid is a number or "self".
func peakRSS(pid string) (int64, error) {
	data, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	for l := range bytes.Lines(data) {
		if rest, ok := bytes.CutPrefix(l, []byte("VmHWM:")); ok {
			f := strings.Fields(string(rest))
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("unexpected VmHWM line %q", l)
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/" + pid + "/status")
}

// listeningPrefix starts the one line scale-server writes on stdout.
const listeningPrefix = "listening "

// ScaleServerOptions configure the scheduler child of the scale benchmark.
type ScaleServerOptions struct {
	Listen     string
	StateDir   string
	Root       string
	SyncAlways bool
	// NATSURL, when set, is an external NATS (then the child's RSS is the
	// scheduler's alone); empty embeds one, as `docbatch serve` does.
	NATSURL string
	Log     *slog.Logger
}

// ServeScale runs the scheduler service (embedded NATS, JetStream journal,
// gRPC on a TCP port) until ctx ends or stdin closes, after writing
// "listening ADDR" on stdout. Closing stdin is how the parent stops it: it
// works even when the parent dies, which a signal would not.
func ServeScale(ctx context.Context, o ScaleServerOptions, stdin io.Reader, stdout io.Writer) error {
	if o.StateDir == "" || o.Root == "" {
		return errors.New("scale-server: --state and --root are required")
	}
	srv, err := startServer(ctx, serverOptions{Journal: true, StateDir: o.StateDir, NATSURL: o.NATSURL, SyncAlways: o.SyncAlways,
		Root: o.Root, Listen: o.Listen, Log: o.Log})
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(stdout, "%s%s\n", listeningPrefix, srv.Addr); err != nil {
		_ = srv.Stop()
		return err
	}
	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, stdin)
		close(eof)
	}()
	select {
	case <-ctx.Done():
	case <-eof:
	}
	return srv.Stop()
}

// WriteTable prints the figures for a reader.
func (r ScaleResult) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "scale: one batch of %d documents, streamed submit, %d no-op processors × %d slots, JetStream journal, GOMAXPROCS=%d\n",
		r.Documents, r.Processors, r.Slots, runtime.GOMAXPROCS(0))
	fmt.Fprintf(tw, "root: %s\n\n", r.Root)
	fmt.Fprintf(tw, "peak RSS\t%.1f MiB\t(%s; target ≤ 1 GB for 1M)\n", float64(r.PeakRSSBytes)/(1<<20), r.RSSOf)
	fmt.Fprintf(tw, "seconds\t%.2f\t(submit + completion)\n", r.Seconds)
	fmt.Fprintf(tw, "submit seconds\t%.2f\t\n", r.SubmitSeconds)
	fmt.Fprintf(tw, "dispatch seconds\t%.2f\t(%.0f assignments/s)\n", r.DispatchSeconds, r.AssignmentsPerSec)
	fmt.Fprintf(tw, "completed exactly once\t%d of %d\t\n", r.CompletedOnce, r.Documents)
	return tw.Flush()
}
