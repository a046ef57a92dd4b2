package main

import (
	"bytes"
	"context"
	"flag"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRunHelp(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"-h"}, &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, f := range []string{"-scheduler", "-nats-url", "-listen", "-memory-budget", "-roots", "DOCBATCH_MEMORY_BUDGET"} {
		require.Contains(t, out.String(), f)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	var out bytes.Buffer
	require.Error(t, run(context.Background(), []string{"--memory-budget", "lots"}, &out))
	require.ErrorContains(t, run(context.Background(), []string{"--log-level", "loud"}, &out), "log level")
}
