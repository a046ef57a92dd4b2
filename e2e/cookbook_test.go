package e2e

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/docbatch/docbatch/corpus"
)

// grpcurlBinary is the pinned grpcurl of tools/ (bin/tools after make
// tools), built here when absent.
func grpcurlBinary(t *testing.T) string {
	t.Helper()
	if p, err := filepath.Abs("../bin/tools/grpcurl"); err == nil {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	dir := t.TempDir()
	cmd := exec.Command("go", "build", "-o", dir, "github.com/fullstorydev/grpcurl/cmd/grpcurl")
	cmd.Dir = "../tools"
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "building grpcurl: %s", out)
	return filepath.Join(dir, "grpcurl")
}

// recipe is one fenced block of the cookbook.
type recipe struct {
	title    string
	commands []string
	expect   []string
}

// cookbook reads the "# cookbook:" blocks of docs/operations.md.
func cookbook(t *testing.T) []recipe {
	t.Helper()
	f, err := os.Open("../docs/operations.md")
	require.NoError(t, err)
	defer f.Close()
	var out []recipe
	var cur *recipe
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && line == "```sh":
			cur = &recipe{}
		case cur != nil && line == "```":
			if cur.title != "" {
				out = append(out, *cur)
			}
			cur = nil
		case cur != nil && strings.HasPrefix(line, "# cookbook:"):
			cur.title = strings.TrimSpace(strings.TrimPrefix(line, "# cookbook:"))
		case cur != nil && strings.HasPrefix(line, "# expect:"):
			cur.expect = append(cur.expect, strings.TrimSpace(strings.TrimPrefix(line, "# expect:")))
		case cur != nil && strings.TrimSpace(line) != "":
			cur.commands = append(cur.commands, line)
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// The grpcurl cookbook of docs/operations.md runs against a live server
// with a finished batch, so the documentation cannot go stale.
func TestOperationsCookbook(t *testing.T) {
	recipes := cookbook(t)
	require.GreaterOrEqual(t, len(recipes), 8, "the cookbook lost its recipes")
	bin, grpcurl := buildDocbatch(t), grpcurlBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	docs := filepath.Join(t.TempDir(), "corpus")
	_, err := corpus.Generate(ctx, docs, corpus.Options{Docs: 20, Seed: 3, Formats: []corpus.Format{corpus.FormatJATS, corpus.FormatMarkdown}})
	require.NoError(t, err)

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := lis.Addr().String()
	lis.Close()
	var log bytes.Buffer
	srv := exec.Command(bin, "serve", "--listen", addr, "--state", t.TempDir(), "--roots", docs)
	srv.Stdout, srv.Stderr = &log, &log
	require.NoError(t, srv.Start())
	t.Cleanup(func() {
		_ = srv.Process.Signal(os.Interrupt)
		_ = srv.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	})
	require.Eventually(t, func() bool {
		return exec.Command(grpcurl, "-plaintext", addr, "grpc.health.v1.Health/Check").Run() == nil
	}, 60*time.Second, 200*time.Millisecond)
	out, err := exec.CommandContext(ctx, bin, "submit", "--server", addr, "--batch-id", "cookbook", "--watch", docs).CombinedOutput()
	require.NoError(t, err, string(out))

	path := filepath.Dir(grpcurl) + string(os.PathListSeparator) + os.Getenv("PATH")
	for _, r := range recipes {
		t.Run(r.title, func(t *testing.T) {
			script := "set -e\n" + strings.Join(r.commands, "\n")
			cmd := exec.CommandContext(ctx, "bash", "-c", script)
			cmd.Env = append(os.Environ(), "PATH="+path, "ADDR="+addr, "BATCH=cookbook")
			got, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s\n%s", script, got)
			for _, e := range r.expect {
				require.Contains(t, string(got), strings.ReplaceAll(e, "$BATCH", "cookbook"), script)
			}
		})
	}
}

// Every flag of every service binary is in the configuration reference.
func TestOperationsDocCoversEveryFlag(t *testing.T) {
	doc, err := os.ReadFile("../docs/operations.md")
	require.NoError(t, err)
	dir := t.TempDir()
	for _, svc := range []string{"scheduler", "processor", "resolver", "citations"} {
		bin := filepath.Join(dir, svc)
		out, err := exec.Command("go", "build", "-o", bin, "../services/"+svc+"/cmd/"+svc).CombinedOutput()
		require.NoError(t, err, "building %s: %s", svc, out)
		help, _ := exec.Command(bin, "-h").CombinedOutput()
		n := 0
		for _, line := range strings.Split(string(help), "\n") {
			line = strings.TrimSpace(line)
			if !strings.HasPrefix(line, "-") {
				continue
			}
			name := strings.Fields(line)[0]
			n++
			require.Contains(t, string(doc), "`-"+name+"`", "%s flag %s is not in docs/operations.md", svc, name)
		}
		require.Greater(t, n, 5, "%s -h listed no flags:\n%s", svc, help)
	}
}
