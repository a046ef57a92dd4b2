package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docbatch/docbatch/chaos"
	"github.com/docbatch/docbatch/services/platform/flagenv"
)

const chaosUsage = `Usage:
  docbatch chaos [--docs 400] [--runs 1] [--faults 3] [--kinds K1,K2] [--seed 1]
                 [--bin-dir DIR | --build REPO] [--evidence FILE] [--keep] [--json]

Runs the services as separate OS processes on loopback (nats-server, scheduler,
three processors, resolver, citations), processes one generated batch without
faults, then under each kind of fault, and compares every faulted run with the
clean one. Kinds: ` + "processor_kill processor_pause scheduler_kill consumer_kill nats_kill network nats_cluster" + `.
The binaries come from --bin-dir (default: the folder of this executable, as
'make build' leaves them in bin/, with nats-server in bin/tools from 'make
tools'), or are built from the workspace at --build.
`

func chaosCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, chaosUsage); fs.PrintDefaults() }
	var o chaos.Options
	fs.IntVar(&o.Docs, "docs", 400, "documents in the generated batch")
	fs.Uint64Var(&o.Seed, "seed", 1, "seed of the corpus and of the fault points")
	fs.IntVar(&o.Runs, "runs", 1, "faulted runs per fault kind")
	fs.IntVar(&o.Faults, "faults", 3, "faults injected per run (spread over its progress)")
	fs.IntVar(&o.Slots, "slots", 1, "slots per processor")
	fs.DurationVar(&o.Heartbeat, "heartbeat", time.Second, "heartbeat interval the scheduler asks of processors (lease = 3 of them)")
	fs.DurationVar(&o.RunTimeout, "run-timeout", 6*time.Minute, "bound on one run")
	kinds := fs.String("kinds", "", "comma-separated fault kinds (default: all)")
	binDir := fs.String("bin-dir", "", "folder with scheduler, processor, resolver, citations and tools/nats-server (default: this executable's folder)")
	build := fs.String("build", "", "build the binaries from the workspace at this folder instead")
	evidence := fs.String("evidence", "", "write the evidence report (docs/evidence.md) here")
	fs.BoolVar(&o.Keep, "keep", false, "keep the work folder (logs, stores)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	if *kinds != "" {
		for _, k := range strings.Split(*kinds, ",") {
			o.Kinds = append(o.Kinds, strings.TrimSpace(k))
		}
	}
	o.Log = stderr
	switch {
	case *build != "":
		out, err := os.MkdirTemp("", "docbatch-chaos-bin-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(out)
		if o.Bins, err = chaos.BuildBinaries(ctx, *build, out); err != nil {
			return err
		}
	default:
		dir := *binDir
		if dir == "" {
			exe, err := os.Executable()
			if err != nil {
				return err
			}
			dir = filepath.Dir(exe)
		}
		var err error
		if o.Bins, err = chaos.FindBinaries(dir); err != nil {
			return err
		}
	}
	res, err := chaos.Run(ctx, o)
	if res != nil {
		if *evidence != "" {
			f, ferr := os.Create(*evidence)
			if ferr != nil {
				return ferr
			}
			werr := res.WriteEvidence(f, "docbatch chaos "+strings.Join(args, " "))
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				return werr
			}
		}
		if *asJSON {
			if jerr := writeJSON(stdout, res); jerr != nil {
				return jerr
			}
		} else if terr := res.WriteTable(stdout); terr != nil {
			return terr
		}
	}
	return err
}
