package service

import (
	"context"
	"flag"
	"path/filepath"
	"testing"
	"time"

	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

func TestParseBytes(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		err  bool
	}{
		{"1073741824", 1 << 30, false},
		{"512MiB", 512 << 20, false},
		{"2GiB", 2 << 30, false},
		{"2 gib", 2 << 30, false},
		{"1.5GiB", 3 << 29, false},
		{"64k", 64 << 10, false},
		{"1GB", 1e9, false},
		{"100B", 100, false},
		{"", 0, true},
		{"lots", 0, true},
		{"-1MiB", 0, true},
		{"99999999999TiB", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseBytes(tt.in)
			if tt.err {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestRegisterFlags(t *testing.T) {
	var c Config
	fs := flag.NewFlagSet("processor", flag.ContinueOnError)
	c.RegisterFlags(fs)
	require.NotEmpty(t, c.ID, "default id is hostname-pid")
	require.Positive(t, c.Slots)
	require.EqualValues(t, 1<<30, c.MemoryBudget)
	require.EqualValues(t, 256<<20, c.MaxDocumentBytes)
	require.Equal(t, 2*time.Minute, c.DocumentTimeout)

	require.NoError(t, fs.Parse([]string{
		"--id", "p7", "--slots", "3", "--memory-budget", "512MiB", "--roots", "/data/a, /data/b",
		"--inline-text-limit", "64KiB", "--max-document-bytes", "1GiB", "--document-timeout", "30s", "--pdf-workers", "2",
		"--replicas", "3", "--pdf-engine", "inprocess",
	}))
	require.Equal(t, Config{
		ID: "p7", Slots: 3, MemoryBudget: 512 << 20, Roots: []string{"/data/a", "/data/b"},
		InlineTextLimit: 64 << 10, MaxDocumentBytes: 1 << 30, DocumentTimeout: 30 * time.Second, PDFWorkers: 2,
		PDFEngine: "inprocess", Replicas: 3,
	}, c)
	require.Error(t, fs.Parse([]string{"--memory-budget", "much"}))
	require.ErrorContains(t, fs.Parse([]string{"--pdf-engine", "mupdf"}), "want sandbox or inprocess")
}

func TestNewAndRun(t *testing.T) {
	srv, err := natsbus.StartEmbedded(natsbus.EmbeddedOptions{StoreDir: t.TempDir(), Port: 0})
	require.NoError(t, err)
	t.Cleanup(srv.Shutdown)
	nc, err := natsbus.Dialer{Embedded: srv}.Connect("service-test")
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	// A scheduler that is not there: the worker only dials it in Run.
	cc, err := grpc.NewClient("passthrough:///nowhere", grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { cc.Close() })

	_, err = New(t.Context(), Config{Roots: []string{filepath.Join(t.TempDir(), "missing")}}, Deps{NATS: nc, Dispatch: cc})
	require.ErrorContains(t, err, "opening root")
	_, err = New(t.Context(), Config{}, Deps{Dispatch: cc})
	require.ErrorContains(t, err, "no NATS")

	s, err := New(t.Context(), Config{Roots: []string{t.TempDir()}}, Deps{NATS: nc, Dispatch: cc})
	require.NoError(t, err)
	require.Equal(t, []string{"docbatch.processor"}, s.HealthNames())
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	_, err = js.Stream(t.Context(), natsbus.ResultsStream)
	require.NoError(t, err, "New ensures the results stream")
	_, err = js.ObjectStore(t.Context(), natsbus.TextObjectStore)
	require.NoError(t, err, "New ensures the text object store")

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.NoError(t, s.Run(ctx), "Run ends cleanly with its context")
}
