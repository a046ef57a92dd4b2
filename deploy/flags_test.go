package deploy

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// flagSources are the Go files that register each binary's flags, relative
// to the repository root: the common flags (servicemain), the service's
// Config.RegisterFlags, and the main package.
var flagSources = map[string][]string{
	"scheduler": {"services/platform/servicemain", "services/scheduler/service", "services/scheduler/cmd/scheduler"},
	"processor": {"services/platform/servicemain", "services/processor/service", "services/processor/cmd/processor"},
	"resolver":  {"services/platform/servicemain", "services/resolver/service", "services/resolver/cmd/resolver"},
	"citations": {"services/platform/servicemain", "services/citations/service", "services/citations/cmd/citations"},
	"docbatch":  {"cmd/docbatch"},
}

var flagMethods = map[string]bool{
	"String": true, "StringVar": true, "Int": true, "IntVar": true, "Int64": true, "Int64Var": true,
	"Uint": true, "UintVar": true, "Uint64": true, "Uint64Var": true, "Bool": true, "BoolVar": true,
	"Float64": true, "Float64Var": true, "Duration": true, "DurationVar": true, "Var": true,
	"Func": true, "BoolFunc": true, "TextVar": true,
}

var flagNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// envName is flagenv.EnvName: "nats-url" → DOCBATCH_NATS_URL.
func envName(flag string) string {
	return "DOCBATCH_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// serviceEnv reads, from the source, the DOCBATCH_* variables each binary
// understands: every flag registered on a FlagSet (fs.String("name", …),
// fs.Var(v, "name", …), …) in its flag sources.
func serviceEnv(t *testing.T) map[string]map[string]bool {
	t.Helper()
	out := map[string]map[string]bool{}
	for svc, dirs := range flagSources {
		out[svc] = map[string]bool{}
		for _, dir := range dirs {
			files, _ := filepath.Glob(filepath.Join("..", dir, "*.go"))
			for _, f := range files {
				if strings.HasSuffix(f, "_test.go") {
					continue
				}
				file, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.SkipObjectResolution)
				if err != nil {
					t.Fatal(err)
				}
				ast.Inspect(file, func(n ast.Node) bool {
					call, ok := n.(*ast.CallExpr)
					if !ok {
						return true
					}
					sel, ok := call.Fun.(*ast.SelectorExpr)
					if !ok || !flagMethods[sel.Sel.Name] {
						return true
					}
					// The name is the first string literal among the
					// first two arguments (after the pointer of …Var).
					for _, a := range call.Args[:min(2, len(call.Args))] {
						if lit, ok := a.(*ast.BasicLit); ok && lit.Kind == token.STRING {
							if name, err := strconv.Unquote(lit.Value); err == nil && flagNameRE.MatchString(name) {
								out[svc][envName(name)] = true
							}
							break
						}
					}
					return true
				})
			}
		}
		for _, must := range []string{"DOCBATCH_LISTEN", "DOCBATCH_NATS_URL"} {
			if svc != "docbatch" && !out[svc][must] {
				t.Fatalf("found no %s among %s's flags: the flag scan is broken (%v)", must, svc, keys(out[svc]))
			}
		}
	}
	if !out["processor"]["DOCBATCH_MEMORY_BUDGET"] || !out["docbatch"]["DOCBATCH_SERVER"] {
		t.Fatalf("flag scan missed processor's or docbatch's own flags: %v %v", keys(out["processor"]), keys(out["docbatch"]))
	}
	return out
}

func keys(m map[string]bool) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TestEnvMatchesFlags: a misspelt DOCBATCH_* variable is silently ignored by
// the binaries, so every one the manifests set must be a flag of the
// service that reads it (for the shared ConfigMap and compose anchor: of at
// least one service that reads them).
func TestEnvMatchesFlags(t *testing.T) {
	env := serviceEnv(t)
	check := func(where, svc string, vars []string) {
		for _, v := range vars {
			if strings.HasPrefix(v, "DOCBATCH_") && !env[svc][v] {
				t.Errorf("%s: %s sets %s, which is no flag of %s (it has %v)", where, svc, v, svc, keys(env[svc]))
			}
		}
	}
	sharedOK := func(where string, vars []string, readers []string) {
		for _, v := range vars {
			if !strings.HasPrefix(v, "DOCBATCH_") {
				continue
			}
			var used bool
			for _, r := range readers {
				used = used || env[r][v]
			}
			if !used {
				t.Errorf("%s: shared %s is no flag of any of %v", where, v, readers)
			}
		}
	}
	for _, dir := range []string{"k8s/base", "k8s/overlays/example"} {
		b := build(t, dir)
		var readers []string
		for _, d := range b.deployments {
			c := container(t, d)
			svc := imageService(c.Image)
			if _, ok := env[svc]; !ok {
				t.Errorf("%s: deployment %s runs %s, not a docbatch image", dir, d.Name, c.Image)
				continue
			}
			var vars []string
			for _, e := range c.Env {
				vars = append(vars, e.Name)
			}
			check(dir+" deployment "+d.Name, svc, vars)
			if hasEnvFrom(c, "docbatch") {
				readers = append(readers, svc)
			}
		}
		var shared []string
		for k := range b.configMaps["docbatch"].Data {
			shared = append(shared, k)
		}
		sharedOK(dir+" ConfigMap docbatch", shared, readers)
	}

	p := loadCompose(t)
	var readers []string
	for _, s := range p.Services {
		svc := composeImageService(s)
		if svc == "" {
			continue
		}
		var vars []string
		for k := range s.Environment {
			vars = append(vars, k)
		}
		sharedVars := sharedComposeEnv(t)
		var own []string
		for _, v := range vars {
			if !sharedVars[v] {
				own = append(own, v)
			} else {
				readers = append(readers, svc)
			}
		}
		check("compose service "+s.Name, svc, own)
	}
	sharedOK("compose x-docbatch-env", keys(sharedComposeEnv(t)), readers)
}

// imageService maps an image reference to the docbatch binary it runs:
// registry.example.com/docbatch/processor:v1 → processor.
func imageService(image string) string {
	i := strings.LastIndex(image, "/")
	name, _, _ := strings.Cut(image[i+1:], ":")
	return name
}

// sharedComposeEnv is the compose file's x-docbatch-env anchor.
func sharedComposeEnv(t *testing.T) map[string]bool {
	t.Helper()
	p := loadCompose(t)
	m, ok := p.Extensions["x-docbatch-env"].(map[string]any)
	if !ok {
		t.Fatalf("compose.yaml: no x-docbatch-env mapping (%T)", p.Extensions["x-docbatch-env"])
	}
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}
