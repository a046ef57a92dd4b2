package deploy

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

func loadCompose(t *testing.T) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{"compose/compose.yaml"},
		cli.WithWorkingDirectory("compose"),
		cli.WithEnv([]string{"DOCBATCH_DOCS=" + t.TempDir()}),
		cli.WithProfiles([]string{"tools"}),
	)
	if err != nil {
		t.Fatal(err)
	}
	// The loader validates against the compose-spec JSON schema, which
	// rejects unknown keys, then interpolates and normalises.
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("loading compose.yaml: %v", err)
	}
	return p
}

// composeImageService is the docbatch service a compose service runs ("" for others).
func composeImageService(s types.ServiceConfig) string {
	name, ok := strings.CutPrefix(s.Image, "docbatch/")
	if !ok {
		return ""
	}
	name, _, _ = strings.Cut(name, ":")
	return name
}

func TestComposeTopology(t *testing.T) {
	p := loadCompose(t)
	want := []string{"nats-1", "nats-2", "nats-3", "jaeger", "scheduler", "processor", "resolver", "citations", "cli"}
	if got := p.ServiceNames(); !sameSet(got, want) {
		t.Fatalf("services %v, want %v", got, want)
	}
	for i := 1; i <= 3; i++ {
		s := p.Services[fmt.Sprintf("nats-%d", i)]
		if !strings.HasPrefix(s.Image, "nats:") {
			t.Errorf("%s: image %s, want the official nats image", s.Name, s.Image)
		}
		if s.Environment["NATS_SERVER_NAME"] == nil || *s.Environment["NATS_SERVER_NAME"] != s.Name {
			t.Errorf("%s: NATS_SERVER_NAME", s.Name)
		}
		var store, conf bool
		for _, v := range s.Volumes {
			store = store || (v.Type == types.VolumeTypeVolume && v.Target == "/data")
			conf = conf || (v.Type == types.VolumeTypeBind && v.Target == "/etc/nats/docbatch.conf" && v.ReadOnly)
		}
		if !store || !conf {
			t.Errorf("%s: needs a named volume at /data (file store) and nats.conf mounted read-only", s.Name)
		}
		if s.HealthCheck == nil || len(s.HealthCheck.Test) == 0 {
			t.Errorf("%s: no healthcheck", s.Name)
		}
		if !slices.Equal(s.Command, types.ShellCommand{"nats-server", "--config", "/etc/nats/docbatch.conf"}) {
			t.Errorf("%s: command %v", s.Name, s.Command)
		}
	}
	jaeger := p.Services["jaeger"]
	if !strings.HasPrefix(jaeger.Image, "jaegertracing/jaeger:2") {
		t.Errorf("jaeger image %s, want Jaeger v2", jaeger.Image)
	}
	var jports []uint32
	for _, pt := range jaeger.Ports {
		jports = append(jports, pt.Target)
	}
	if !sameSet(jports, []uint32{4317, 4318, 16686}) {
		t.Errorf("jaeger ports %v", jports)
	}

	ports := map[string]string{"scheduler": "7401", "processor": "7402", "resolver": "7403", "citations": "7404"}
	for name, port := range ports {
		s := p.Services[name]
		if composeImageService(s) != name || s.Build == nil || s.Build.Dockerfile != "deploy/docker/"+name+".Dockerfile" {
			t.Errorf("%s: image %s, build %+v", name, s.Image, s.Build)
		} else if _, err := os.Stat(filepath.Join(s.Build.Context, s.Build.Dockerfile)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		env := func(k string) string {
			if v := s.Environment[k]; v != nil {
				return *v
			}
			return ""
		}
		if env("DOCBATCH_LISTEN") != "0.0.0.0:"+port {
			t.Errorf("%s: DOCBATCH_LISTEN %q", name, env("DOCBATCH_LISTEN"))
		}
		if got := strings.Split(env("DOCBATCH_NATS_URL"), ","); len(got) != 3 {
			t.Errorf("%s: DOCBATCH_NATS_URL %q should list the three nodes", name, env("DOCBATCH_NATS_URL"))
		}
		if env("OTEL_EXPORTER_OTLP_ENDPOINT") != "http://jaeger:4317" {
			t.Errorf("%s: OTEL_EXPORTER_OTLP_ENDPOINT %q", name, env("OTEL_EXPORTER_OTLP_ENDPOINT"))
		}
		if env("DOCBATCH_REPLICAS") != "3" || env("DOCBATCH_RESOLVER_REPLICAS") != "3" {
			t.Errorf("%s: JetStream replicas must be 3 on the 3-node cluster", name)
		}
		if s.HealthCheck == nil || !slices.Equal(s.HealthCheck.Test, types.HealthCheckTest{"CMD", "/usr/local/bin/healthprobe"}) {
			t.Errorf("%s: healthcheck %+v", name, s.HealthCheck)
		}
		if !s.ReadOnly {
			t.Errorf("%s: root filesystem should be read-only", name)
		}
		for _, dep := range []string{"nats-1", "nats-2", "nats-3"} {
			if name == "processor" {
				break
			}
			if d, ok := s.DependsOn[dep]; !ok || d.Condition != types.ServiceConditionHealthy {
				t.Errorf("%s: should wait for %s to be healthy", name, dep)
			}
		}
	}
	for _, name := range []string{"scheduler", "processor", "cli"} {
		s := p.Services[name]
		var docs bool
		for _, v := range s.Volumes {
			docs = docs || (v.Target == "/data/docs" && v.ReadOnly)
		}
		if !docs {
			t.Errorf("%s: the document root must be mounted read-only at /data/docs", name)
		}
	}
	proc := p.Services["processor"]
	if proc.Deploy == nil || proc.Deploy.Replicas == nil || *proc.Deploy.Replicas != 3 {
		t.Fatalf("processor: deploy.replicas should be 3")
	}
	budget, err := parseBudget(*proc.Environment["DOCBATCH_MEMORY_BUDGET"])
	if err != nil {
		t.Fatal(err)
	}
	res := proc.Deploy.Resources
	wantMem := types.UnitBytes(float64(budget) * memoryRatio)
	if res.Limits == nil || res.Limits.MemoryBytes != wantMem || res.Reservations == nil || res.Reservations.MemoryBytes != wantMem {
		t.Errorf("processor: memory limit and reservation should be budget × %.2f = %d bytes, have %+v / %+v", memoryRatio, wantMem, res.Limits, res.Reservations)
	}
	for _, dep := range []string{"scheduler", "resolver", "citations"} {
		if d, ok := proc.DependsOn[dep]; !ok || d.Condition != types.ServiceConditionHealthy {
			t.Errorf("processor: should wait for a healthy %s", dep)
		}
	}
}

func sameSet[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
