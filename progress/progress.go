// Package progress shows a batch's progress to a person: a progress bar with
// done, failed, rate and ETA on a terminal, and plain lines otherwise (logs,
// CI), never both.
package progress

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
)

// Reporter receives batch snapshots.
type Reporter struct {
	w        io.Writer
	bar      *progressbar.ProgressBar
	every    time.Duration
	lastLine time.Time
}

// New returns a reporter writing to w; it draws a bar when w is a terminal.
func New(w io.Writer, total int64) *Reporter {
	r := &Reporter{w: w, every: 2 * time.Second}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		r.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("processing"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("docs"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return r
}

// Update shows a snapshot.
func (r *Reporter) Update(b *schedulerv1.Batch) {
	c := b.GetCounts()
	ended := c.GetDone() + c.GetFailed() + c.GetSkipped() + c.GetCancelled()
	if r.bar != nil {
		r.bar.ChangeMax64(c.GetTotal())
		r.bar.Describe(fmt.Sprintf("done %d failed %d skipped %d", c.GetDone(), c.GetFailed(), c.GetSkipped()))
		_ = r.bar.Set64(ended)
		return
	}
	finished := b.GetState() != schedulerv1.BatchState_BATCH_STATE_RUNNING
	if !finished && time.Since(r.lastLine) < r.every {
		return
	}
	r.lastLine = time.Now()
	fmt.Fprintf(r.w, "batch %s: %d/%d ended (done %d, failed %d, skipped %d, running %d) %.1f docs/s eta %s\n",
		b.GetBatchId(), ended, c.GetTotal(), c.GetDone(), c.GetFailed(), c.GetSkipped(), c.GetRunning(), b.GetRatePerSec(), eta(b.GetEtaSeconds()))
}

// Finish closes the bar.
func (r *Reporter) Finish() {
	if r.bar != nil {
		_ = r.bar.Finish()
	}
}

func eta(s float64) string {
	if s <= 0 {
		return "-"
	}
	return (time.Duration(s) * time.Second).String()
}
