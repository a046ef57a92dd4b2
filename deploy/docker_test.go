package deploy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
	"golang.org/x/mod/modfile"
)

// images are the Dockerfiles under docker/: service → gRPC port.
var images = map[string]int{"scheduler": 7401, "processor": 7402, "resolver": 7403, "citations": 7404, "docbatch": 7400}

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd, args string
	line      int
}

// parseDockerfile reads instructions the way the Dockerfile frontend does
// for what these files use: comments, blank lines and "\" continuations.
func parseDockerfile(data string) []instruction {
	var out []instruction
	var cur strings.Builder
	start := 0
	for i, line := range strings.Split(data, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if cur.Len() == 0 {
			start = i + 1
		}
		if s, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(s + " ")
			continue
		}
		cur.WriteString(trimmed)
		cmd, args, _ := strings.Cut(cur.String(), " ")
		out = append(out, instruction{strings.ToUpper(cmd), strings.TrimSpace(args), start})
		cur.Reset()
	}
	return out
}

var goBuildRE = regexp.MustCompile(`go build (.*?)-o /out/(\S+) (\./\S+)`)

func TestDockerfiles(t *testing.T) {
	goVersion := workspaceGoVersion(t)
	for name, port := range images {
		path := filepath.Join("docker", name+".Dockerfile")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var stages [][]instruction
		var args []instruction
		for _, in := range parseDockerfile(string(data)) {
			switch {
			case in.cmd == "FROM":
				stages = append(stages, []instruction{in})
			case len(stages) == 0 && in.cmd == "ARG":
				args = append(args, in)
			case len(stages) == 0:
				t.Errorf("%s:%d: %s before FROM", path, in.line, in.cmd)
			default:
				stages[len(stages)-1] = append(stages[len(stages)-1], in)
			}
		}
		if len(stages) < 2 {
			t.Errorf("%s: %d stages, want a multi-stage build", path, len(stages))
			continue
		}
		builder, final := stages[0], stages[len(stages)-1]
		if !strings.HasPrefix(builder[0].args, "golang:${GO_VERSION} AS build") || len(args) != 1 || args[0].args != "GO_VERSION="+goVersion {
			t.Errorf("%s: builder should be golang:${GO_VERSION} AS build with ARG GO_VERSION=%s (go.work's Go)", path, goVersion)
		}
		var cgoOff, built, healthprobe bool
		for _, in := range builder {
			if (in.cmd == "ENV" || in.cmd == "RUN") && regexp.MustCompile(`(^|\s)CGO_ENABLED=0(\s|$)`).MatchString(in.args) {
				cgoOff = true
			}
			if in.cmd != "RUN" {
				continue
			}
			for _, m := range goBuildRE.FindAllStringSubmatch(in.args, -1) {
				if !strings.Contains(m[1], "-trimpath") {
					t.Errorf("%s:%d: go build without -trimpath", path, in.line)
				}
				assertMainPackage(t, path, m[3])
				built = built || m[2] == name
				healthprobe = healthprobe || (m[2] == "healthprobe" && m[3] == "./deploy/healthprobe")
			}
		}
		if !cgoOff || !built || !healthprobe {
			t.Errorf("%s: builder must set CGO_ENABLED=0 and build %s and healthprobe (cgo off %v, built %v, healthprobe %v)", path, name, cgoOff, built, healthprobe)
		}
		base := final[0].args
		if !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
			t.Errorf("%s: final stage %q: want distroless static or scratch (the binary is static)", path, base)
		}
		var user, expose, listen string
		var entry []string
		var copied bool
		for _, in := range final {
			switch in.cmd {
			case "USER":
				user = in.args
			case "EXPOSE":
				expose = in.args
			case "ENV":
				if m := regexp.MustCompile(`DOCBATCH_LISTEN=(\S+)`).FindStringSubmatch(in.args); m != nil {
					listen = m[1]
				}
			case "ENTRYPOINT":
				if err := json.Unmarshal([]byte(in.args), &entry); err != nil {
					t.Errorf("%s:%d: ENTRYPOINT should be exec form: %v", path, in.line, err)
				}
			case "COPY":
				copied = copied || strings.HasPrefix(in.args, "--from=build /out/"+name+" ")
			case "RUN":
				t.Errorf("%s:%d: RUN in the final stage (it has no shell)", path, in.line)
			}
		}
		uid, _, _ := strings.Cut(user, ":")
		if n, err := strconv.Atoi(uid); err != nil || n == 0 {
			t.Errorf("%s: USER %q, want a numeric non-root uid", path, user)
		}
		if expose != strconv.Itoa(port) || listen != "0.0.0.0:"+strconv.Itoa(port) {
			t.Errorf("%s: EXPOSE %q and DOCBATCH_LISTEN %q, want port %d", path, expose, listen, port)
		}
		if !copied || len(entry) == 0 || entry[0] != "/usr/local/bin/"+name {
			t.Errorf("%s: final stage should copy the binary from the builder and run it (entrypoint %v)", path, entry)
		}
	}
	entries, err := os.ReadDir("docker")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(images) {
		t.Errorf("docker/ has %d files, the test knows %d images", len(entries), len(images))
	}
}

// workspaceGoVersion is go.work's Go version as a major.minor image tag.
func workspaceGoVersion(t *testing.T) string {
	t.Helper()
	wf := readGoWork(t)
	parts := strings.SplitN(wf.Go.Version, ".", 3)
	return parts[0] + "." + parts[1]
}

func readGoWork(t *testing.T) *modfile.WorkFile {
	t.Helper()
	data, err := os.ReadFile("../go.work")
	if err != nil {
		t.Fatal(err)
	}
	wf, err := modfile.ParseWork("go.work", data, nil)
	if err != nil {
		t.Fatal(err)
	}
	return wf
}

// assertMainPackage checks that a build path of a Dockerfile (relative to
// the repository root) is a main package.
func assertMainPackage(t *testing.T, dockerfile, pkg string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", pkg, "*.go"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err == nil && regexp.MustCompile(`(?m)^package main$`).Match(data) {
			return
		}
	}
	t.Errorf("%s: %s is not a main package", dockerfile, pkg)
}

// TestDockerignore applies /.dockerignore with the matcher docker uses:
// everything the builds need stays in the context, local artefacts do not.
func TestDockerignore(t *testing.T) {
	f, err := os.Open("../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	excluded := func(p string) bool {
		// The context is matched directory by directory: a path is out
		// when it or a parent directory is excluded and not re-included.
		ok, err := pm.MatchesOrParentMatches(p)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	need := []string{"go.work", "go.work.sum", "deploy/healthprobe/main.go"}
	for _, u := range readGoWork(t).Use {
		dir := strings.TrimPrefix(filepath.ToSlash(filepath.Clean(u.Path)), "./")
		for _, f := range []string{"go.mod", "go.sum"} {
			need = append(need, filepath.ToSlash(filepath.Join(dir, f)))
		}
	}
	need = append(need, "services/scheduler/cmd/scheduler/main.go", "services/processor/cmd/processor/main.go",
		"services/resolver/cmd/resolver/main.go", "services/citations/cmd/citations/main.go", "cmd/docbatch/main.go",
		"services/processor/pdf/pdf.go", "proto/docbatch/scheduler/v1/scheduler.pb.go")
	for _, p := range need {
		if excluded(p) {
			t.Errorf(".dockerignore excludes %s, which the builds need", p)
		}
	}
	for _, p := range []string{".git/HEAD", "bin/scheduler", "bin/tools/nats-server", "docbatch", "corpus.test",
		"services/processor/extract/extract.test", "deploy/k8s/base/processor.yaml", "demo/gold.json"} {
		if !excluded(p) {
			t.Errorf(".dockerignore keeps %s in the build context", p)
		}
	}
}
