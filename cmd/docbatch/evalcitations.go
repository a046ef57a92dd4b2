package main

import (
	"context"
	"flag"
	"io"

	"github.com/docbatch/docbatch/eval"
	"github.com/docbatch/docbatch/services/platform/flagenv"
)

// evalCitationsUsage is the line of `docbatch eval` usage for citations.
const evalCitationsUsage = `  docbatch eval citations [--json] [--gold CSV] [--labels subject-heading] [--workers N] DIR
      citation network of DIR's documents (extracted in process, built by the
      citations core): batch → batch edge precision/recall/F1 against the gold
      links (citing_file,cited_file), with and without the references' DOIs;
      domains' NMI/ARI against the labels and their modularity
`

func evalCitations(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval citations", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o eval.CitationsOptions
	fs.StringVar(&o.Gold, "gold", "", "CSV of gold citing → cited links (columns citing_file, cited_file)")
	fs.StringVar(&o.Labels, "labels", "", "gold domains to score against: "+eval.LabelsSubjectHeading+" (each JATS article's first subject heading)")
	fs.IntVar(&o.Workers, "workers", 0, "documents extracted at once (0 = GOMAXPROCS)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitCode(2)
	}
	res, err := eval.Citations(ctx, fs.Arg(0), o)
	if err != nil {
		return err
	}
	return printResult(stdout, *asJSON, res)
}
