package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/docbatch/docbatch/eval"
	"github.com/docbatch/docbatch/services/platform/flagenv"
)

const evalUsage = `Usage:
  docbatch eval extract [--json] [--limit N] [--workers N] [--diff FILE] DIR
      extraction accuracy against gold: DIR is a generated corpus (gold.json),
      a folder of <ID>.pdf + <ID>.xml JATS twins, or a folder of JATS XML
  docbatch eval resolve [--json] [--data DIR] [--dataset NAME] [--split test|dev|all]
      entity-resolution accuracy (blocking recall, pairwise and B-cubed
      P/R/F1, speed) on dblp_acm, cora, s2and and elife_authors under DIR
      (default ../shared/data); figures are for the test split by default
` + evalCitationsUsage

func evalCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, evalUsage)
		return exitCode(2)
	}
	switch args[0] {
	case "extract":
		return evalExtract(ctx, args[1:], stdout, stderr)
	case "resolve":
		return evalResolve(ctx, args[1:], stdout, stderr)
	case "citations":
		return evalCitations(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, evalUsage)
		return nil
	}
	fmt.Fprintf(stderr, "docbatch eval: unknown evaluation %q\n\n%s", args[0], evalUsage)
	return exitCode(2)
}

func evalExtract(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval extract", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o eval.Options
	fs.IntVar(&o.Limit, "limit", 0, "score only the first N documents (0 = all)")
	fs.IntVar(&o.Workers, "workers", 0, "documents extracted at once (0 = GOMAXPROCS)")
	diff := fs.String("diff", "", "write every disagreement (document, field, gold, prediction) to FILE, - for stderr")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitCode(2)
	}
	switch *diff {
	case "":
	case "-":
		o.Diff = stderr
	default:
		f, err := os.Create(*diff)
		if err != nil {
			return err
		}
		defer f.Close()
		o.Diff = f
	}
	res, err := eval.Extract(ctx, fs.Arg(0), o)
	if err != nil {
		return err
	}
	return printResult(stdout, *asJSON, res)
}

func evalResolve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("eval resolve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o eval.ResolveOptions
	data := fs.String("data", filepath.Join("..", "shared", "data"), "data folder (er/dblp-acm, er/cora, er/s2and-authors, papers/elife-jats)")
	dataset := fs.String("dataset", "", "score only this data set ("+strings.Join(eval.ResolveDatasets, ", ")+"); comma-separated list allowed")
	fs.StringVar(&o.Split, "split", eval.SplitTest, "gold split to score: test (thresholds were chosen on dev), dev or all")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		fs.Usage()
		return exitCode(2)
	}
	if *dataset != "" {
		o.Datasets = strings.Split(*dataset, ",")
	}
	res, err := eval.Resolve(ctx, *data, o)
	if err != nil {
		return err
	}
	return printResult(stdout, *asJSON, res)
}
