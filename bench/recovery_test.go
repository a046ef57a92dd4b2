package bench

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// childEnv makes this test binary act as `docbatch bench scale-server`, so
// the recovery test has a process to kill without building docbatch, or as
// `docbatch bench memory-processor` for the memory test.
const childEnv = "DOCBATCH_BENCH_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "memory-processor" {
		fs := flag.NewFlagSet("memory-processor", flag.ExitOnError)
		var o ProcessorChildOptions
		fs.StringVar(&o.Scheduler, "scheduler", "", "")
		fs.StringVar(&o.NATSURL, "nats-url", "", "")
		o.Config.RegisterFlags(fs)
		_ = fs.Parse(os.Args[1:])
		if err := ServeProcessor(context.Background(), o, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv(childEnv) == "scale-server" {
		fs := flag.NewFlagSet("scale-server", flag.ExitOnError)
		var o ScaleServerOptions
		fs.StringVar(&o.Listen, "listen", "127.0.0.1:0", "")
		fs.StringVar(&o.StateDir, "state", "", "")
		fs.StringVar(&o.Root, "root", "", "")
		_ = fs.Parse(os.Args[1:])
		if err := ServeScale(context.Background(), o, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestRecoverySmall(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const n = 1000
	res, err := RunRecovery(ctx, RecoveryOptions{Fleet: Fleet{Documents: n, Processors: 2, Slots: 16, Timeout: 45 * time.Second}, Kills: 2, Seed: 7,
		ServerCommand: []string{os.Args[0]}, ServerEnv: []string{childEnv + "=scale-server"}, Stderr: os.Stderr, TempDir: t.TempDir()})
	t.Logf("%+v", res)
	require.NoError(t, err)
	m := keys(t, res)
	for _, k := range []string{"kills", "documents", "lost", "double_counted", "rerun_beyond_in_flight",
		"restart_to_assign_ms_p50", "restart_to_assign_ms_p99", "seconds"} {
		require.Contains(t, m, k)
	}
	require.EqualValues(t, n, m["documents"])
	require.Equal(t, 2, res.Kills)
	require.Zero(t, res.Lost, "lost")
	require.Zero(t, res.DoubleCounted, "double counted")
	require.EqualValues(t, n, res.CountsDone)
	require.Len(t, res.RestartToAssignMs, 2)
}
