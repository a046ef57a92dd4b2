// Command docbatch is docbatch's one binary: `run` processes a folder with
// everything in one process, `serve` runs all services on one gRPC port,
// `gen` writes a synthetic corpus, and submit/status/watch/cancel talk to a
// running server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"syscall"
)

const usage = `docbatch batch-processes collections of research documents.

Usage:
  docbatch run [--out REPORT_DIR] [--state DIR] DIR   process every document under DIR and write a report
  docbatch serve [--listen 127.0.0.1:7400] [--nats-url URL] [--state DIR] [--roots DIRS]
                                                      all services on one gRPC port
  docbatch gen --out DIR --docs N [--bytes SIZE] [--seed N]
                                                      write a synthetic corpus with gold.json
  docbatch submit [--server ADDR] [--root ROOT] DIR   submit a folder to a running server
  docbatch status [--server ADDR] [BATCH]             show one batch, or list batches
  docbatch watch  [--server ADDR] BATCH               follow a batch until it ends
  docbatch cancel [--server ADDR] BATCH               cancel a batch
  docbatch bench NAME [--json]                        benchmarks (see docs/benchmarks.md)
  docbatch eval extract [--json] DIR                  extraction accuracy against gold
  docbatch chaos [--docs N] [--json]                  the fault-injection suite (see docs/evidence.md)

Run 'docbatch COMMAND -h' for a command's flags. Every flag can also be set
by an environment variable DOCBATCH_<FLAG> (e.g. DOCBATCH_NATS_URL).
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var ec exitCode
	switch {
	case err == nil:
	case errors.As(err, &ec):
		os.Exit(int(ec))
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "docbatch:", readable(err))
		os.Exit(1)
	}
}

var rpcPrefix = regexp.MustCompile(`rpc error: code = (\w+) desc = `)

// readable shortens gRPC's "rpc error: code = X desc = " to "X: ", so a
// person reads what went wrong first.
func readable(err error) string { return rpcPrefix.ReplaceAllString(err.Error(), "$1: ") }

// exitCode ends the program with a status after the command printed why.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitCode(2)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "run":
		return runCmd(ctx, rest, stdout, stderr)
	case "serve":
		return serveCmd(ctx, rest, stderr)
	case "gen":
		return genCmd(ctx, rest, stdout, stderr)
	case "submit":
		return submitCmd(ctx, rest, stdout, stderr)
	case "status":
		return statusCmd(ctx, rest, stdout, stderr)
	case "watch":
		return watchCmd(ctx, rest, stdout, stderr)
	case "cancel":
		return cancelCmd(ctx, rest, stdout, stderr)
	case "bench":
		return benchCmd(ctx, rest, stdout, stderr)
	case "eval":
		return evalCmd(ctx, rest, stdout, stderr)
	case "chaos":
		return chaosCmd(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "docbatch: unknown command %q\n\n%s", cmd, usage)
	return exitCode(2)
}
