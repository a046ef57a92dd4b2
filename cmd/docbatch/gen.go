package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docbatch/docbatch/corpus"
	"github.com/docbatch/docbatch/services/platform/flagenv"
)

func genCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "folder to write the corpus into (required)")
	docs := fs.Int("docs", 100, "number of documents")
	var size byteSize
	fs.Var(&size, "bytes", "approximate total size (e.g. 200MB, 2GiB); 0 = natural sizes")
	seed := fs.Int64("seed", 1, "random seed: the same seed writes the same corpus")
	formats := fs.String("formats", "", "comma-separated formats to mix: text,markdown,html,jats,pdf (default: all)")
	deps := fs.Float64("deps", 0, "fraction of documents that depend on earlier ones (0-1)")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return exitCode(2)
	}
	opts := corpus.Options{Docs: *docs, Bytes: int64(size), Seed: *seed, DepFraction: *deps}
	if *formats != "" {
		for _, f := range strings.Split(*formats, ",") {
			opts.Formats = append(opts.Formats, corpus.Format(strings.TrimSpace(f)))
		}
	}
	start := time.Now()
	g, err := corpus.Generate(ctx, *out, opts)
	if err != nil {
		return err
	}
	_ = g
	fmt.Fprintf(stdout, "wrote %d documents to %s in %s (gold: %s, manifest: %s)\n", *docs, *out, time.Since(start).Round(time.Millisecond),
		corpus.GoldFile, corpus.ManifestFile)
	return nil
}
