package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/docbatch/docbatch/services/processor"
	"github.com/docbatch/docbatch/services/processor/extract"
	"github.com/docbatch/docbatch/services/processor/pdf"
	"github.com/shirou/gopsutil/v4/process"
)

// ExtractOptions configure `docbatch bench extract`.
type ExtractOptions struct {
	// Dir holds the PDFs: every *.pdf directly in it, as `ls *.pdf` lists
	// them for the baseline.
	Dir string
	// Workers is how many documents docbatch extracts at once (and how
	// many PDFium instances its engine gets) and the -P of the pdftotext
	// baseline. Default 2, the issue's `xargs -P2`.
	Workers int
	// Repeat is the number of measured passes over the PDFs, each timed for
	// docbatch and then for pdftotext, alternately, so noise from the
	// machine's other tenants falls on both. Default 1.
	Repeat int
	// Pdftotext is the pdftotext binary; "" looks it up on PATH.
	Pdftotext string
	// PDF, when set, replaces the PDFium engine the benchmark starts
	// (tests). Nil starts one, outside the measured window.
	PDF     extract.PDFTextSource
	TempDir string
	// Engine is the processor's --pdf-engine: processor.PDFEngineSandbox
	// (the default, PDFium in child processes) or
	// processor.PDFEngineInProcess.
	Engine string
	// NoInterrupt, with the in-process engine, starts PDFium without
	// wazero's interruption checks (pdf.Options.NoInterrupt): a PDF that
	// loops would hold its worker forever, so no processor runs that way;
	// it shows what the checks cost and what the sandbox wins back.
	NoInterrupt bool
	// Profile, when set, is started before the first measured pass and
	// stopped after the last (pdftotext's passes fall inside it too, but
	// they run in other processes).
	Profile *Profiler
}

// ExtractResult is the extraction benchmark's figures; the first three keys
// are the ones issue 4 names.
type ExtractResult struct {
	DocsPerSec          float64 `json:"docs_per_sec"`
	PdftotextDocsPerSec float64 `json:"pdftotext_docs_per_sec"`
	RatioVsPdftotext    float64 `json:"ratio_vs_pdftotext"`

	// Documents is the number of PDFs in Dir; every pass extracts each
	// once. Bytes is their total size.
	Documents int   `json:"documents"`
	Bytes     int64 `json:"bytes"`
	Repeat    int   `json:"repeat"`
	Workers   int   `json:"workers"`
	// Seconds and PdftotextSeconds are the measured time over all passes.
	Seconds              float64   `json:"seconds"`
	PdftotextSeconds     float64   `json:"pdftotext_seconds"`
	PassSeconds          []float64 `json:"pass_seconds"`
	PdftotextPassSeconds []float64 `json:"pdftotext_pass_seconds"`
	MBPerSec             float64   `json:"mb_per_sec"`
	PdftotextMBPerSec    float64   `json:"pdftotext_mb_per_sec"`
	// CPUSeconds is the CPU time (user + system) docbatch spent in the
	// measured passes: this process plus the sandbox's PDFium children;
	// PdftotextCPUSeconds that of the baseline's processes. CPURatio is
	// pdftotext's CPU time over docbatch's: above 1, docbatch needs less
	// CPU per document. CPU time is far less disturbed than wall time by
	// other tenants of a shared machine, so it is the steadier comparison
	// of the two programs' cost; the throughput ratio is still the target.
	CPUSeconds          float64 `json:"cpu_seconds"`
	PdftotextCPUSeconds float64 `json:"pdftotext_cpu_seconds"`
	CPURatio            float64 `json:"cpu_ratio_vs_pdftotext"`
	// EngineStartSeconds is PDFium's start (compilation, or loading it from
	// the on-disk cache); WarmupSeconds one unmeasured extraction per
	// worker after it. Neither is in Seconds.
	EngineStartSeconds float64 `json:"engine_start_seconds"`
	WarmupSeconds      float64 `json:"warmup_seconds"`
	// What docbatch extracted in the last pass: evidence that it did the
	// whole job (header, authors, references), not only the text.
	Failed       int   `json:"failed"`
	Titles       int   `json:"titles"`
	Authors      int   `json:"authors"`
	DOIs         int   `json:"dois"`
	References   int   `json:"references"`
	TextBytes    int64 `json:"text_bytes"`
	Pages        int   `json:"pages"`
	PdftotextOut int64 `json:"pdftotext_text_bytes"`

	Extractor        string   `json:"extractor"`
	NoInterrupt      bool     `json:"no_interrupt"`
	PdftotextCommand string   `json:"pdftotext_command"`
	PdftotextVersion string   `json:"pdftotext_version"`
	GOMAXPROCS       int      `json:"gomaxprocs"`
	NumCPU           int      `json:"num_cpu"`
	Dir              string   `json:"dir"`
	Errors           []string `json:"errors,omitempty"`
}

// ErrNoPdftotext is returned when the baseline cannot run.
var ErrNoPdftotext = errors.New("pdftotext (poppler) not found on PATH: install poppler-utils (Debian/Ubuntu: sudo apt-get install -y poppler-utils)")

func (o *ExtractOptions) defaults() {
	if o.Workers <= 0 {
		o.Workers = 2
	}
	if o.Repeat <= 0 {
		o.Repeat = 1
	}
}

// RunExtract measures docbatch's PDF extraction throughput against
// `ls *.pdf | xargs -P2 -n1 pdftotext` on the same files in the same run.
// docbatch runs the processor's own Extractor (open inside the root, read,
// PDFium page text and header signals, then metadata, authors, references
// and sections) with Workers goroutines over an engine of Workers PDFium
// instances, started and warmed up before the clock starts.
func RunExtract(ctx context.Context, o ExtractOptions) (ExtractResult, error) {
	o.defaults()
	res := ExtractResult{Repeat: o.Repeat, Workers: o.Workers, GOMAXPROCS: runtime.GOMAXPROCS(0), NumCPU: runtime.NumCPU(), NoInterrupt: o.NoInterrupt}
	switch {
	case o.Engine == processor.PDFEngineInProcess && o.NoInterrupt:
		res.Extractor = "services/processor Extractor + PDFium (WebAssembly) in-process with NoInterrupt (unsafe: no processor runs it)"
	case o.Engine == processor.PDFEngineInProcess:
		res.Extractor = "services/processor Extractor + PDFium (WebAssembly) in-process, interruptible (--pdf-engine inprocess)"
	case o.NoInterrupt:
		return res, errors.New("NoInterrupt applies to the in-process engine only: the sandbox always runs PDFium without the checks")
	default:
		res.Extractor = "services/processor Extractor + PDFium (WebAssembly) in sandbox child processes (--pdf-engine sandbox, the default)"
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return res, err
	}
	res.Dir = dir
	bin := o.Pdftotext
	if bin == "" {
		if bin, err = exec.LookPath("pdftotext"); err != nil {
			return res, ErrNoPdftotext
		}
	} else if _, err := exec.LookPath(bin); err != nil {
		return res, fmt.Errorf("%w (%s: %v)", ErrNoPdftotext, bin, err)
	}
	res.PdftotextVersion = pdftotextVersion(ctx, bin)

	names, size, err := listPDFs(dir)
	if err != nil {
		return res, err
	}
	res.Documents, res.Bytes = len(names), size

	// The baseline writes X.txt beside X.pdf, so it runs in a scratch
	// folder of links to the PDFs: the input folder is left as it was.
	scratch, err := os.MkdirTemp(o.TempDir, "docbatch-bench-extract-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(scratch)
	for _, n := range names {
		if err := os.Symlink(filepath.Join(dir, n), filepath.Join(scratch, n)); err != nil {
			return res, err
		}
	}
	script := fmt.Sprintf("ls *.pdf | xargs -P%d -n1 %s", o.Workers, shellQuote(bin))
	res.PdftotextCommand = script + "  (in a folder of links to DIR's PDFs; .txt written there)"

	src := o.PDF
	if src == nil {
		start := time.Now()
		var eng processor.PDFEngine
		var err error
		if o.NoInterrupt {
			eng, err = pdf.New(ctx, pdf.Options{Workers: o.Workers, NoInterrupt: true})
		} else {
			eng, err = processor.NewPDFEngine(o.Engine, pdf.Options{Workers: o.Workers})
		}
		if err != nil {
			return res, fmt.Errorf("starting the PDF engine: %w", err)
		}
		defer eng.Close()
		res.EngineStartSeconds = time.Since(start).Seconds()
		src = eng
	}
	ex, err := processor.NewExtractor(processor.ExtractorOptions{Roots: []string{dir}, PDF: src})
	if err != nil {
		return res, err
	}
	defer ex.Close()

	// Warm-up: one document per worker, at once, the smallest ones, so the
	// first instances exist and the code has run before the clock starts.
	warm := slices.Clone(names)
	slices.SortFunc(warm, func(a, b string) int { return int(fileSize(dir, a) - fileSize(dir, b)) })
	start := time.Now()
	if _, err := extractPass(ctx, ex, dir, warm[:min(o.Workers, len(warm))], o.Workers); err != nil {
		return res, err
	}
	res.WarmupSeconds = time.Since(start).Seconds()

	var tally passTally
	if o.Profile != nil {
		if err := o.Profile.Start(); err != nil {
			return res, fmt.Errorf("starting cpu profile: %w", err)
		}
		defer o.Profile.Stop()
	}
	for range o.Repeat {
		start := time.Now()
		cpu0 := ownCPU(src)
		t, err := extractPass(ctx, ex, dir, names, o.Workers)
		if err != nil {
			return res, err
		}
		d := time.Since(start).Seconds()
		res.CPUSeconds += ownCPU(src) - cpu0
		res.PassSeconds = append(res.PassSeconds, d)
		res.Seconds += d
		tally = t

		for _, f := range names {
			_ = os.Remove(filepath.Join(scratch, strings.TrimSuffix(f, ".pdf")+".txt"))
		}
		start = time.Now()
		cmd := exec.CommandContext(ctx, "sh", "-c", script)
		cmd.Dir = scratch
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return res, fmt.Errorf("pdftotext baseline (%s): %w: %s", script, err, strings.TrimSpace(stderr.String()))
		}
		d = time.Since(start).Seconds()
		// The shell, xargs and every pdftotext have been waited for (they
		// are the only children reaped in between), so their CPU time is
		// in the process state's totals.
		if ps := cmd.ProcessState; ps != nil {
			res.PdftotextCPUSeconds += ps.UserTime().Seconds() + ps.SystemTime().Seconds()
		}
		res.PdftotextPassSeconds = append(res.PdftotextPassSeconds, d)
		res.PdftotextSeconds += d
	}
	res.PdftotextOut = 0
	for _, f := range names {
		res.PdftotextOut += fileSize(scratch, strings.TrimSuffix(f, ".pdf")+".txt")
	}

	res.Failed, res.Titles, res.Authors, res.DOIs = tally.failed, tally.titles, tally.authors, tally.dois
	res.References, res.TextBytes, res.Pages, res.Errors = tally.refs, tally.text, tally.pages, tally.errors
	total := float64(o.Repeat * len(names))
	mb := float64(o.Repeat) * float64(size) / 1e6
	if res.Seconds > 0 {
		res.DocsPerSec, res.MBPerSec = total/res.Seconds, mb/res.Seconds
	}
	if res.PdftotextSeconds > 0 {
		res.PdftotextDocsPerSec, res.PdftotextMBPerSec = total/res.PdftotextSeconds, mb/res.PdftotextSeconds
	}
	if res.PdftotextDocsPerSec > 0 {
		res.RatioVsPdftotext = res.DocsPerSec / res.PdftotextDocsPerSec
	}
	if res.CPUSeconds > 0 {
		res.CPURatio = res.PdftotextCPUSeconds / res.CPUSeconds
	}
	return res, nil
}

// ownCPU is the CPU time, in seconds, of this process and of the PDF
// engine's child processes (the sandbox's; none in-process). A child that
// was replaced during a pass takes its time with it, so the figure can only
// err low, and only when a document killed its child, which the corpus
// measured here does not do.
func ownCPU(engine any) float64 {
	pids := []int{os.Getpid()}
	if c, ok := engine.(interface{ PIDs() []int }); ok {
		pids = append(pids, c.PIDs()...)
	}
	var total float64
	for _, pid := range pids {
		if p, err := process.NewProcess(int32(pid)); err == nil {
			if t, err := p.Times(); err == nil {
				total += t.User + t.System
			}
		}
	}
	return total
}

// passTally is what one pass extracted.
type passTally struct {
	failed, titles, authors, dois, refs, pages int
	text                                       int64
	errors                                     []string
}

// extractPass extracts names with workers goroutines through the
// processor's Extractor.
func extractPass(ctx context.Context, ex *processor.Extractor, dir string, names []string, workers int) (passTally, error) {
	var (
		t    passTally
		mu   sync.Mutex
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(names) || ctx.Err() != nil {
					return
				}
				r, err := ex.Extract(ctx, dir, names[i], 0)
				mu.Lock()
				if err != nil {
					t.failed++
					if len(t.errors) < 10 {
						t.errors = append(t.errors, err.Error())
					}
				} else {
					d := r.Doc
					if d.Title != "" {
						t.titles++
					}
					if d.DOI != "" {
						t.dois++
					}
					t.authors += len(d.Authors)
					t.refs += len(d.References)
					t.pages += d.Pages
					t.text += int64(len(d.Text))
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return t, ctx.Err()
}

// listPDFs lists the regular *.pdf files directly in dir, sorted as ls
// sorts them in the C locale.
func listPDFs(dir string) ([]string, int64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, 0, err
	}
	var names []string
	var size int64
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasSuffix(e.Name(), ".pdf") && !strings.HasPrefix(e.Name(), ".") {
			info, err := e.Info()
			if err != nil {
				return nil, 0, err
			}
			names = append(names, e.Name())
			size += info.Size()
		}
	}
	if len(names) == 0 {
		return nil, 0, fmt.Errorf("no *.pdf files in %s", dir)
	}
	for _, n := range names {
		// The baseline pipes `ls` into xargs, which splits on blanks and
		// quotes: such names would measure a different set of files.
		if strings.ContainsAny(n, " \t\n'\"\\") {
			return nil, 0, fmt.Errorf("%q: PDF names with blanks or quotes would break the `ls | xargs` baseline", n)
		}
	}
	return names, size, nil
}

func fileSize(dir, name string) int64 {
	st, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		return 0
	}
	return st.Size()
}

func pdftotextVersion(ctx context.Context, bin string) string {
	out, _ := exec.CommandContext(ctx, bin, "-v").CombinedOutput()
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`*?[]{}()<>|&;#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// WriteTable prints the figures for a reader.
func (r ExtractResult) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "extract: %d PDFs (%.1f MB) in %s, %d pass(es), %d workers, GOMAXPROCS=%d, %d CPUs\n",
		r.Documents, float64(r.Bytes)/1e6, r.Dir, r.Repeat, r.Workers, r.GOMAXPROCS, r.NumCPU)
	fmt.Fprintf(tw, "PDF engine start %.2f s, warm-up %.2f s (not measured)\n\n", r.EngineStartSeconds, r.WarmupSeconds)
	fmt.Fprintln(tw, "\tdocs/s\tMB/s\tseconds")
	fmt.Fprintf(tw, "docbatch (full extraction)\t%.2f\t%.2f\t%.2f\n", r.DocsPerSec, r.MBPerSec, r.Seconds)
	fmt.Fprintf(tw, "pdftotext (text only)\t%.2f\t%.2f\t%.2f\n", r.PdftotextDocsPerSec, r.PdftotextMBPerSec, r.PdftotextSeconds)
	fmt.Fprintf(tw, "\nratio docbatch / pdftotext: %.2f (target ≥ 1)\n", r.RatioVsPdftotext)
	fmt.Fprintf(tw, "CPU time: docbatch %.2f s, pdftotext %.2f s; pdftotext / docbatch %.2f (above 1: docbatch needs less CPU per document)\n",
		r.CPUSeconds, r.PdftotextCPUSeconds, r.CPURatio)
	fmt.Fprintf(tw, "last pass: %d failed, %d titles, %d authors, %d DOIs, %d references, %d pages, %.1f MB text (pdftotext: %.1f MB)\n",
		r.Failed, r.Titles, r.Authors, r.DOIs, r.References, r.Pages, float64(r.TextBytes)/1e6, float64(r.PdftotextOut)/1e6)
	fmt.Fprintf(tw, "baseline: %s; %s\n", r.PdftotextCommand, r.PdftotextVersion)
	for _, e := range r.Errors {
		fmt.Fprintf(tw, "error: %s\n", e)
	}
	return tw.Flush()
}
