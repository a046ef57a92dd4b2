//go:build slow

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/docbatch/docbatch/corpus"
)

// jaegerBinary is Jaeger v2 built from the Go module proxy through the
// wrapper module tools/jaeger (bin/tools/jaeger after make jaeger).
func jaegerBinary(t *testing.T) string {
	t.Helper()
	if p, err := filepath.Abs("../bin/tools/jaeger"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	bin := filepath.Join(t.TempDir(), "jaeger")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/jaegertracing/jaeger/cmd/jaeger")
	cmd.Dir = "../tools/jaeger"
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "building jaeger: %s", out)
	return bin
}

// jaegerConfig is an all-in-one Jaeger v2 on loopback ports with memory
// storage.
const jaegerConfig = `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:%d
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:%d
    grpc:
      endpoint: 127.0.0.1:%d
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`

type jaegerTraces struct {
	Data []struct {
		TraceID string `json:"traceID"`
		Spans   []struct {
			ProcessID     string `json:"processID"`
			OperationName string `json:"operationName"`
		} `json:"spans"`
		Processes map[string]struct {
			ServiceName string `json:"serviceName"`
		} `json:"processes"`
	} `json:"data"`
}

// One document's trace runs scheduler → processor → resolver and citations,
// across gRPC and NATS, as four separate processes export it to a real
// Jaeger; read back through Jaeger's HTTP query API.
func TestTracesInJaeger(t *testing.T) {
	bins := buildAll(t)
	jaeger := jaegerBinary(t)
	work := t.TempDir()
	dir := filepath.Join(work, "corpus")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	const docs = 12
	_, err := corpus.Generate(ctx, dir, corpus.Options{Docs: docs, Seed: 5, Formats: []corpus.Format{corpus.FormatJATS, corpus.FormatMarkdown}})
	require.NoError(t, err)

	otlp, query, queryGRPC := freePort(t), freePort(t), freePort(t)
	cfg := filepath.Join(work, "jaeger.yaml")
	require.NoError(t, os.WriteFile(cfg, fmt.Appendf(nil, jaegerConfig, otlp, query, queryGRPC), 0o644))
	p := &procs{t: t}
	p.start("jaeger", jaeger, "--config", cfg)
	queryURL := fmt.Sprintf("http://127.0.0.1:%d", query)
	require.Eventually(t, func() bool {
		resp, err := http.Get(queryURL + "/api/services")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 2*time.Minute, 200*time.Millisecond, "jaeger never answered")

	// Children inherit the exporter settings.
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", fmt.Sprintf("http://127.0.0.1:%d", otlp))
	t.Setenv("OTEL_EXPORTER_OTLP_INSECURE", "true")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "200")

	natsPort := freePort(t)
	natsURL := fmt.Sprintf("nats://127.0.0.1:%d", natsPort)
	addr := func() string { return "127.0.0.1:" + strconv.Itoa(freePort(t)) }
	sched, res, cit := addr(), addr(), addr()
	p.start("nats-server", bins["nats-server"], "-a", "127.0.0.1", "-p", strconv.Itoa(natsPort), "-js", "-sd", filepath.Join(work, "nats"))
	p.start("scheduler", bins["scheduler"], "--listen", sched, "--nats-url", natsURL, "--roots", dir)
	waitHealthy(t, sched)
	p.start("resolver", bins["resolver"], "--listen", res, "--nats-url", natsURL)
	waitHealthy(t, res)
	p.start("citations", bins["citations"], "--listen", cit, "--nats-url", natsURL)
	waitHealthy(t, cit)
	p.start("processor", bins["processor"], "--id", "proc-1", "--listen", addr(), "--scheduler", sched, "--nats-url", natsURL, "--roots", dir, "--slots", "2")

	out, err := exec.CommandContext(ctx, bins["docbatch"], "submit", "--server", sched, "--batch-id", "traced", "--watch", dir).CombinedOutput()
	require.NoError(t, err, "%s", out)

	want := []string{"docbatch-scheduler", "docbatch-processor", "docbatch-resolver", "docbatch-citations"}
	var complete int
	var seen map[string]bool
	require.Eventually(t, func() bool {
		resp, err := http.Get(queryURL + "/api/traces?service=docbatch-processor&limit=200&lookback=1h")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var tr jaegerTraces
		if json.NewDecoder(resp.Body).Decode(&tr) != nil {
			return false
		}
		complete, seen = 0, map[string]bool{}
		for _, trace := range tr.Data {
			services := map[string]bool{}
			for _, sp := range trace.Spans {
				name := trace.Processes[sp.ProcessID].ServiceName
				services[name] = true
				seen[name] = true
			}
			all := true
			for _, w := range want {
				all = all && services[w]
			}
			if all {
				complete++
			}
		}
		return complete >= docs
	}, 90*time.Second, time.Second, "traces with spans of all four services: want %d", docs)
	t.Logf("%d traces hold spans of all four services (services seen: %v)", complete, seen)
}
