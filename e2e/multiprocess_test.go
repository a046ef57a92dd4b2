//go:build slow

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/docbatch/docbatch/corpus"
	citationsv1 "github.com/docbatch/docbatch/proto/docbatch/citations/v1"
	resolverv1 "github.com/docbatch/docbatch/proto/docbatch/resolver/v1"
	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/loopback"
)

// freePort picks a loopback port clear of the ephemeral range, so that no
// other socket is given it before the process under test binds it.
func freePort(t *testing.T) int {
	t.Helper()
	p, err := loopback.FreePort()
	require.NoError(t, err)
	return p
}

// buildAll compiles the service binaries and a nats-server from the module
// proxy (pinned in tools/go.mod).
func buildAll(t *testing.T) map[string]string {
	t.Helper()
	dir := t.TempDir()
	bins := map[string]string{}
	for name, pkg := range map[string]string{
		"docbatch":  "./cmd/docbatch",
		"scheduler": "./services/scheduler/cmd/scheduler",
		"processor": "./services/processor/cmd/processor",
		"resolver":  "./services/resolver/cmd/resolver",
		"citations": "./services/citations/cmd/citations",
	} {
		bins[name] = filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", bins[name], pkg)
		cmd.Dir = ".."
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "building %s: %s", name, out)
	}
	bins["nats-server"] = filepath.Join(dir, "nats-server")
	cmd := exec.Command("go", "build", "-o", bins["nats-server"], "github.com/nats-io/nats-server/v2")
	cmd.Dir = "../tools"
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "building nats-server: %s", out)
	return bins
}

type procs struct {
	t    *testing.T
	cmds []*exec.Cmd
	logs []*bytes.Buffer
}

func (p *procs) start(name, bin string, args ...string) {
	cmd := exec.Command(bin, args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	require.NoError(p.t, cmd.Start(), name)
	p.cmds = append(p.cmds, cmd)
	p.logs = append(p.logs, &buf)
	p.t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if p.t.Failed() {
			p.t.Logf("---- %s output:\n%s", name, buf.String())
		}
	})
}

func waitHealthy(t *testing.T, addr string) {
	t.Helper()
	cc, err := grpcserver.Dial(addr)
	require.NoError(t, err)
	defer cc.Close()
	h := healthpb.NewHealthClient(cc)
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		r, err := h.Check(ctx, &healthpb.HealthCheckRequest{})
		return err == nil && r.Status == healthpb.HealthCheckResponse_SERVING
	}, 60*time.Second, 100*time.Millisecond, "service at %s never became healthy", addr)
}

// TestSeparateProcesses runs the topology of a real deployment on loopback:
// a standalone nats-server, the scheduler, two processors, the resolver and
// the citations service, each its own OS process, and completes a batch
// submitted with the docbatch CLI.
func TestSeparateProcesses(t *testing.T) {
	bins := buildAll(t)
	work := t.TempDir()
	dir := filepath.Join(work, "corpus")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	_, err := corpus.Generate(ctx, dir, corpus.Options{Docs: 60, Seed: 11, Formats: []corpus.Format{corpus.FormatText, corpus.FormatMarkdown, corpus.FormatHTML, corpus.FormatJATS}})
	require.NoError(t, err)

	natsPort := freePort(t)
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	addr := func() string { return "127.0.0.1:" + strconv.Itoa(freePort(t)) }
	sched, res, cit := addr(), addr(), addr()
	p := &procs{t: t}
	p.start("nats-server", bins["nats-server"], "-a", "127.0.0.1", "-p", strconv.Itoa(natsPort), "-js", "-sd", filepath.Join(work, "nats"))
	p.start("scheduler", bins["scheduler"], "--listen", sched, "--nats-url", natsURL, "--roots", dir)
	waitHealthy(t, sched)
	p.start("resolver", bins["resolver"], "--listen", res, "--nats-url", natsURL)
	resolverProc := p.cmds[len(p.cmds)-1]
	p.start("citations", bins["citations"], "--listen", cit, "--nats-url", natsURL, "--scheduler", sched, "--resolver", res)
	for i := range 2 {
		p.start(fmt.Sprintf("processor-%d", i+1), bins["processor"], "--id", fmt.Sprintf("proc-%d", i+1), "--listen", addr(),
			"--scheduler", sched, "--nats-url", natsURL, "--roots", dir, "--slots", "2")
	}
	waitHealthy(t, res)
	waitHealthy(t, cit)

	out, err := exec.CommandContext(ctx, bins["docbatch"], "submit", "--server", sched, "--batch-id", "multi", "--watch", dir).CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), "multi\tsucceeded\ttotal 60")

	cc, err := grpcserver.Dial(sched)
	require.NoError(t, err)
	defer cc.Close()
	r, err := schedulerv1.NewSchedulerServiceClient(cc).GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: "multi", PageSize: 100})
	require.NoError(t, err)
	byProc := map[string]int{}
	for _, d := range r.Documents {
		byProc[d.ProcessorId]++
	}
	require.Len(t, byProc, 2, "both processors took work: %v", byProc)

	rc := dialT(t, res)
	require.Eventually(t, func() bool {
		s, err := resolverv1.NewResolverServiceClient(rc).GetResolverStats(ctx, &resolverv1.GetResolverStatsRequest{BatchId: "multi"})
		return err == nil && s.Documents == 60 && s.Clusters > 0
	}, 30*time.Second, 100*time.Millisecond)
	cc2 := dialT(t, cit)
	require.Eventually(t, func() bool {
		m, err := citationsv1.NewCitationServiceClient(cc2).GetMetrics(ctx, &citationsv1.GetMetricsRequest{BatchId: "multi"})
		return err == nil && m.Documents == 60 && m.InternalEdges > 0
	}, 30*time.Second, 100*time.Millisecond)

	// The batch report, assembled by the citations process from the
	// scheduler and resolver processes.
	cit2 := citationsv1.NewCitationServiceClient(cc2)
	rep, err := cit2.GetBatchReport(ctx, &citationsv1.GetBatchReportRequest{BatchId: "multi", TopN: 3})
	require.NoError(t, err)
	require.Empty(t, rep.Report.SchedulerError)
	require.Empty(t, rep.Report.ResolverError)
	require.Equal(t, int64(60), rep.Report.Documents.Done)
	require.Equal(t, int64(60), rep.Report.Extraction.Documents)
	require.NotEmpty(t, rep.Report.Entities)

	// With the resolver gone, the report loses only the entities, and says why.
	require.NoError(t, resolverProc.Process.Kill())
	rep, err = cit2.GetBatchReport(ctx, &citationsv1.GetBatchReportRequest{BatchId: "multi", TopN: 3})
	require.NoError(t, err)
	require.Contains(t, rep.Report.ResolverError, "Unavailable")
	require.Empty(t, rep.Report.Entities)
	require.Equal(t, int64(60), rep.Report.Documents.Done)
	require.Equal(t, int64(60), rep.Report.Extraction.Documents)
}

func dialT(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpcserver.Dial(addr)
	require.NoError(t, err)
	t.Cleanup(func() { cc.Close() })
	return cc
}
