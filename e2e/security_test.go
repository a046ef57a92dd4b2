package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// A server started with tokens refuses clients without one, with a wrong
// one, and with the processors' token, and none of those submissions
// creates a batch; the client token then runs a batch to the end. The
// token never appears in the server's log.
func TestServeRequiresTokens(t *testing.T) {
	bin := buildDocbatch(t)
	docs := t.TempDir()
	for i := range 3 {
		require.NoError(t, os.WriteFile(filepath.Join(docs, fmt.Sprintf("note%d.md", i)), []byte(fmt.Sprintf("# Note %d\n\nSome text about proteins.\n", i)), 0o644))
	}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	lis.Close()

	const clientTok, procTok = "c-7f3a9d2e41", "p-91be04c6d3"
	var log bytes.Buffer
	srv := exec.Command(bin, "serve", "--listen", addr, "--state", t.TempDir(), "--roots", docs,
		"--client-token", clientTok, "--processor-token", procTok)
	srv.Stdout, srv.Stderr = &log, &log
	require.NoError(t, srv.Start())
	t.Cleanup(func() {
		_ = srv.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = srv.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = srv.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	})

	// Health needs no token: orchestrators probe it.
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer cc.Close()
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		r, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
		return err == nil && r.Status == healthpb.HealthCheckResponse_SERVING
	}, 60*time.Second, 100*time.Millisecond)

	cli := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, bin, append(args[:1:1], append([]string{"--server", addr}, args[1:]...)...)...).CombinedOutput()
		return string(out), err
	}
	for _, tc := range []struct{ name, token, want string }{
		{"no token", "", "Unauthenticated"},
		{"wrong token", "guess", "Unauthenticated"},
		{"processor token", procTok, "PermissionDenied"},
	} {
		args := []string{"submit", "--batch-id", "b-" + strings.ReplaceAll(tc.name, " ", "-")}
		if tc.token != "" {
			args = append(args, "--token", tc.token)
		}
		out, err := cli(append(args, docs)...)
		require.Error(t, err, "%s: submit succeeded: %s", tc.name, out)
		require.Contains(t, out, tc.want, tc.name)
	}
	out, err := cli("status", "--token", clientTok)
	require.NoError(t, err, out)
	require.NotContains(t, out, "b-", "a refused submission created a batch:\n%s", out)

	out, err = cli("submit", "--token", clientTok, "--batch-id", "allowed", "--watch", docs)
	require.NoError(t, err, out)
	out, err = cli("status", "--token", clientTok, "allowed")
	require.NoError(t, err, out)
	require.Contains(t, out, "allowed")
	require.Regexp(t, `done\D*3\b`, out)

	require.NotContains(t, log.String(), clientTok, "the client token was logged")
	require.NotContains(t, log.String(), procTok, "the processor token was logged")
}

// docbatch serve --metrics-listen exports what an operator watches, in the
// Prometheus text format, and the figures move with a batch.
func TestServeExportsMetrics(t *testing.T) {
	bin := buildDocbatch(t)
	docs := t.TempDir()
	for i := range 4 {
		require.NoError(t, os.WriteFile(filepath.Join(docs, fmt.Sprintf("n%d.txt", i)), []byte("Plain text about enzymes.\n"), 0o644))
	}
	free := func() string {
		lis, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer lis.Close()
		return lis.Addr().String()
	}
	addr, metricsAddr := free(), free()
	var log bytes.Buffer
	srv := exec.Command(bin, "serve", "--listen", addr, "--metrics-listen", metricsAddr, "--state", t.TempDir(), "--roots", docs)
	srv.Stdout, srv.Stderr = &log, &log
	require.NoError(t, srv.Start())
	t.Cleanup(func() {
		_ = srv.Process.Signal(os.Interrupt)
		_ = srv.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	})
	scrape := func() string {
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	require.Eventually(t, func() bool { return strings.Contains(scrape(), "go_goroutines") }, 60*time.Second, 100*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, "submit", "--server", addr, "--batch-id", "m1", "--watch", docs).CombinedOutput()
	require.NoError(t, err, string(out))
	body := scrape()
	for _, want := range []string{
		"docbatch_scheduler_assignments_total",
		"docbatch_scheduler_assign_wait_seconds_bucket",
		"docbatch_processor_memory_available_bytes",
		"docbatch_processor_memory_budget_bytes",
		"docbatch_scheduler_retries_total",
		"docbatch_scheduler_quarantined_total",
		`docbatch_consumer_lag{consumer=`,
		`docbatch_consumer_applied_total{consumer=`,
	} {
		require.Contains(t, body, want)
	}
	require.Regexp(t, `docbatch_scheduler_assignments_total\{[^}]*\} 4\b`, body)
}
