package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"google.golang.org/grpc"

	"github.com/docbatch/docbatch/client"
	"github.com/docbatch/docbatch/progress"
	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/platform/flagenv"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/security"
)

// serverFlags say how a client command reaches the server: its address,
// TLS and token.
type serverFlags struct {
	addr string
	sec  security.ClientConfig
}

func clientFlags(name string, stderr io.Writer) (*flag.FlagSet, *serverFlags) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	s := &serverFlags{}
	fs.StringVar(&s.addr, "server", "127.0.0.1:7400", "address of a docbatch server (docbatch serve or the scheduler)")
	s.sec.RegisterFlags(fs, "")
	return fs, s
}

func dial(s *serverFlags) (*grpc.ClientConn, schedulerv1.SchedulerServiceClient, error) {
	opts, err := s.sec.DialOptions()
	if err != nil {
		return nil, nil, err
	}
	cc, err := grpcserver.Dial(s.addr, opts...)
	if err != nil {
		return nil, nil, err
	}
	return cc, schedulerv1.NewSchedulerServiceClient(cc), nil
}

func submitCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, server := clientFlags("submit", stderr)
	root := fs.String("root", "", "the server's document root DIR lies under (default: DIR itself, which the server must allow)")
	batchID := fs.String("batch-id", "", "batch id (default: generated)")
	name := fs.String("name", "", "batch name")
	retries := fs.Int("max-retries", 0, "retries of transient failures per document (0: server default)")
	watch := fs.Bool("watch", false, "follow the batch until it ends")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "Usage: docbatch submit [flags] DIR")
		fs.PrintDefaults()
		return exitCode(2)
	}
	dir, err := filepath.Abs(fs.Arg(0))
	if err != nil {
		return err
	}
	r, prefix := dir, ""
	if *root != "" {
		if r, err = filepath.Abs(*root); err != nil {
			return err
		}
		rel, err := filepath.Rel(r, dir)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			return fmt.Errorf("%s is not under root %s", dir, r)
		}
		if rel != "." {
			prefix = filepath.ToSlash(rel)
		}
	}
	cc, sched, err := dial(server)
	if err != nil {
		return err
	}
	defer cc.Close()
	resp, err := client.Submit(ctx, sched, &schedulerv1.BatchHeader{BatchId: *batchID, Name: *name, Root: r, MaxRetries: int32(*retries)}, dir, prefix)
	if err != nil {
		return fmt.Errorf("submit: %w", err)
	}
	verb := "submitted"
	if resp.Resumed {
		verb = "resumed"
	}
	fmt.Fprintf(stdout, "%s batch %s: %d documents\n", verb, resp.Batch.BatchId, resp.Batch.Counts.Total)
	if *watch {
		return follow(ctx, sched, resp.Batch.BatchId, stdout, stderr)
	}
	return nil
}

func follow(ctx context.Context, sched schedulerv1.SchedulerServiceClient, id string, stdout, stderr io.Writer) error {
	var bar *progress.Reporter
	final, err := client.Watch(ctx, sched, id, false, func(m *schedulerv1.WatchBatchResponse) {
		if bar == nil {
			bar = progress.New(stderr, m.Batch.Counts.Total)
		}
		bar.Update(m.Batch)
	})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	printBatch(stdout, final)
	return nil
}

func printBatch(w io.Writer, b *schedulerv1.Batch) {
	c := b.GetCounts()
	fmt.Fprintf(w, "%s\t%s\ttotal %d\tpending %d\trunning %d\tdone %d\tfailed %d\tskipped %d\tcancelled %d\n", b.GetBatchId(),
		strings.ToLower(strings.TrimPrefix(b.GetState().String(), "BATCH_STATE_")), c.GetTotal(), c.GetPending(), c.GetRunning(), c.GetDone(), c.GetFailed(), c.GetSkipped(), c.GetCancelled())
}

func statusCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, server := clientFlags("status", stderr)
	docs := fs.Int("docs", 0, "also list up to this many documents")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	cc, sched, err := dial(server)
	if err != nil {
		return err
	}
	defer cc.Close()
	if fs.NArg() == 0 {
		r, err := sched.ListBatches(ctx, &schedulerv1.ListBatchesRequest{})
		if err != nil {
			return fmt.Errorf("status: %w", err)
		}
		for _, b := range r.Batches {
			printBatch(stdout, b)
		}
		return nil
	}
	r, err := sched.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: fs.Arg(0), PageSize: int32(min(*docs, 1000))})
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	printBatch(stdout, r.Batch)
	for _, d := range r.Documents {
		fmt.Fprintf(stdout, "  %s\t%s\tattempts %d\t%s\n", d.DocumentId, strings.ToLower(strings.TrimPrefix(d.State.String(), "DOCUMENT_STATE_")), d.Attempts, d.Error)
	}
	return nil
}

func watchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, server := clientFlags("watch", stderr)
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "Usage: docbatch watch [--server ADDR] BATCH")
		return exitCode(2)
	}
	cc, sched, err := dial(server)
	if err != nil {
		return err
	}
	defer cc.Close()
	return follow(ctx, sched, fs.Arg(0), stdout, stderr)
}

func cancelCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, server := clientFlags("cancel", stderr)
	reason := fs.String("reason", "", "why (recorded on every cancelled document)")
	if err := flagenv.Parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "Usage: docbatch cancel [--server ADDR] BATCH")
		return exitCode(2)
	}
	cc, sched, err := dial(server)
	if err != nil {
		return err
	}
	defer cc.Close()
	r, err := sched.CancelBatch(ctx, &schedulerv1.CancelBatchRequest{BatchId: fs.Arg(0), Reason: *reason})
	if err != nil {
		return fmt.Errorf("cancel: %w", err)
	}
	printBatch(stdout, r.Batch)
	return nil
}
