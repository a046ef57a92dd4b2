package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"text/tabwriter"
	"time"
)

// DispatchOptions configure `docbatch bench dispatch`.
type DispatchOptions struct {
	Fleet // Timeout bounds each of the two runs.
	// SyncAlways fsyncs every JetStream write (off is the product default).
	SyncAlways bool
	// NATSURL runs the journal on an external NATS server (a standalone
	// one, to compare its fsync settings) instead of an embedded one.
	NATSURL string
	// Profile, when set, is started at the first assignment of the journal
	// run and stopped when that run ends (runtime/pprof.StartCPUProfile and
	// StopCPUProfile, passed in so that this package writes no files).
	Profile *Profiler
	// TempDir is where the JetStream store goes ("" = the system's).
	TempDir string
	Log     *slog.Logger
}

// Profiler starts and stops a CPU profile around the measured window.
type Profiler struct {
	Start func() error
	Stop  func()
}

// DispatchResult is the dispatch benchmark's figures; the JSON keys are the
// ones docs/benchmarks.md and issue 3 name.
type DispatchResult struct {
	AssignmentsPerSec          float64 `json:"assignments_per_sec"`
	USPerAssignment            float64 `json:"us_per_assignment"`
	AssignmentsPerSecNoJournal float64 `json:"assignments_per_sec_no_journal"`
	USPerAssignmentNoJournal   float64 `json:"us_per_assignment_no_journal"`
	Documents                  int     `json:"documents"`
	Processors                 int     `json:"processors"`
	Slots                      int     `json:"slots"`
	// DispatchSeconds are the measured windows: first assignment received
	// to the batch SUCCEEDED.
	DispatchSeconds          float64 `json:"dispatch_seconds"`
	DispatchSecondsNoJournal float64 `json:"dispatch_seconds_no_journal"`
	SubmitSeconds            float64 `json:"submit_seconds"`
	SubmitSecondsNoJournal   float64 `json:"submit_seconds_no_journal"`
	// CompletedOnce counts documents the no-op processors completed exactly
	// once, over both runs (2 × documents when all is well).
	CompletedOnce int    `json:"completed_once"`
	SyncAlways    bool   `json:"sync_always"`
	GOMAXPROCS    int    `json:"gomaxprocs"`
	Transport     string `json:"transport"`
	Root          string `json:"root"`
}

func (o *DispatchOptions) defaults() {
	o.fill(200_000, 5*time.Minute)
}

// RunDispatch measures assignments completed per second end to end, first
// with the JetStream journal (the product as it runs), then with the core
// over an in-memory store, each in a fresh scheduler. Submission is outside
// the measured window: the clock runs from the first assignment a processor
// receives to the batch reaching SUCCEEDED.
func RunDispatch(ctx context.Context, o DispatchOptions) (DispatchResult, error) {
	o.defaults()
	res := DispatchResult{Documents: o.Documents, Processors: o.Processors, Slots: o.Slots, SyncAlways: o.SyncAlways,
		GOMAXPROCS: runtime.GOMAXPROCS(0), Transport: "grpc over loopback tcp"}
	dir, err := os.MkdirTemp(o.TempDir, "docbatch-bench-dispatch-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	root := remoteRoot(dir)
	res.Root = root + " (absent on disk: remote-volume case, paths not stat'ed)"

	for _, journal := range []bool{true, false} {
		var hook func()
		if journal && o.Profile != nil {
			hook = func() {
				if err := o.Profile.Start(); err != nil && o.Log != nil {
					o.Log.Warn("starting cpu profile", "err", err)
				}
			}
		}
		r, err := dispatchOnce(ctx, o, serverOptions{Journal: journal, StateDir: dir, SyncAlways: o.SyncAlways, NATSURL: o.NATSURL, Root: root, Log: o.Log}, hook)
		if journal && o.Profile != nil {
			o.Profile.Stop()
		}
		if err != nil {
			return res, fmt.Errorf("dispatch (journal=%t): %w", journal, err)
		}
		rate := float64(o.Documents) / r.Dispatch.Seconds()
		us := r.Dispatch.Seconds() * 1e6 / float64(o.Documents)
		res.CompletedOnce += r.Once
		if journal {
			res.AssignmentsPerSec, res.USPerAssignment = rate, us
			res.DispatchSeconds, res.SubmitSeconds = r.Dispatch.Seconds(), r.Submit.Seconds()
		} else {
			res.AssignmentsPerSecNoJournal, res.USPerAssignmentNoJournal = rate, us
			res.DispatchSecondsNoJournal, res.SubmitSecondsNoJournal = r.Dispatch.Seconds(), r.Submit.Seconds()
		}
	}
	return res, nil
}

func dispatchOnce(ctx context.Context, o DispatchOptions, so serverOptions, onFirst func()) (runResult, error) {
	srv, err := startServer(ctx, so)
	if err != nil {
		return runResult{}, err
	}
	batchID := "bench-dispatch-journal"
	if !so.Journal {
		batchID = "bench-dispatch-memory"
	}
	r, err := drive(ctx, driveOptions{
		Addr: srv.Addr, Root: so.Root, BatchID: batchID, Documents: o.Documents,
		Processors: o.Processors, Slots: o.Slots, Timeout: o.Timeout, OnFirstAssignment: onFirst,
	})
	if serr := srv.Stop(); err == nil && serr != nil {
		err = fmt.Errorf("stopping scheduler: %w", serr)
	}
	return r, err
}

// WriteTable prints the figures for a reader.
func (r DispatchResult) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "dispatch: %d documents, %d no-op processors × %d slots, %s, GOMAXPROCS=%d\n", r.Documents, r.Processors, r.Slots, r.Transport, r.GOMAXPROCS)
	fmt.Fprintf(tw, "root: %s\n\n", r.Root)
	fmt.Fprintln(tw, "store\tassignments/s\tµs/assignment\tdispatch s\tsubmit s")
	journal := "JetStream journal"
	if r.SyncAlways {
		journal += " (sync always)"
	}
	fmt.Fprintf(tw, "%s\t%.0f\t%.2f\t%.2f\t%.2f\n", journal, r.AssignmentsPerSec, r.USPerAssignment, r.DispatchSeconds, r.SubmitSeconds)
	fmt.Fprintf(tw, "in-memory (no journal)\t%.0f\t%.2f\t%.2f\t%.2f\n", r.AssignmentsPerSecNoJournal, r.USPerAssignmentNoJournal, r.DispatchSecondsNoJournal, r.SubmitSecondsNoJournal)
	fmt.Fprintf(tw, "\ncompleted exactly once: %d of %d (both runs); target ≥ 50000 assignments/s with the journal\n", r.CompletedOnce, 2*r.Documents)
	return tw.Flush()
}
