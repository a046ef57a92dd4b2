package deploy

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/kustomize/api/krusty"
	kusttypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// memoryRatio is the processor's container memory (request = limit) over its
// DOCBATCH_MEMORY_BUDGET, as base/processor.yaml documents it.
const memoryRatio = 1.25

// strictDecoder decodes the kinds docbatch's manifests may contain, and only
// those, rejecting unknown and duplicate fields (case-sensitively, as the
// API server's strict field validation does).
var strictDecoder = func() runtime.Decoder {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{appsv1.AddToScheme, corev1.AddToScheme, policyv1.AddToScheme} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}()

// yamlDocs splits a multi-document YAML stream, dropping empty documents.
func yamlDocs(t *testing.T, data []byte) [][]byte {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("splitting YAML: %v", err)
		}
		var probe map[string]any
		if err := yaml.Unmarshal(doc, &probe); err != nil {
			t.Fatalf("YAML document: %v\n%s", err, doc)
		}
		if len(probe) > 0 {
			docs = append(docs, doc)
		}
	}
}

// decodeObjects strictly decodes every document into its typed object.
func decodeObjects(t *testing.T, name string, data []byte) []runtime.Object {
	t.Helper()
	var objs []runtime.Object
	for i, doc := range yamlDocs(t, data) {
		obj, gvk, err := strictDecoder.Decode(doc, nil, nil)
		if err != nil {
			t.Errorf("%s, document %d: %v", name, i+1, err)
			continue
		}
		if gvk.Empty() {
			t.Errorf("%s, document %d: no apiVersion/kind", name, i+1)
			continue
		}
		objs = append(objs, obj)
	}
	return objs
}

// decodeKustomization strictly decodes a kustomization.yaml into kustomize's
// own type.
func decodeKustomization(t *testing.T, path string) kusttypes.Kustomization {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var k kusttypes.Kustomization
	strictJSON(t, path, data, &k)
	if k.Kind != kusttypes.KustomizationKind || k.APIVersion != kusttypes.KustomizationVersion {
		t.Errorf("%s: apiVersion/kind %s/%s, want %s/%s", path, k.APIVersion, k.Kind, kusttypes.KustomizationVersion, kusttypes.KustomizationKind)
	}
	return k
}

func strictJSON(t *testing.T, name string, yamlData []byte, v any) {
	t.Helper()
	j, err := yaml.YAMLToJSON(yamlData)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	strictErrs, err := sigsjson.UnmarshalStrict(j, v)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for _, e := range strictErrs {
		t.Errorf("%s: %v", name, e)
	}
}

// TestManifestsDecodeStrictly decodes every YAML file under k8s/: the
// kustomizations into kustomize's type, everything else (resources and
// strategic-merge patches) into the Kubernetes API types.
func TestManifestsDecodeStrictly(t *testing.T) {
	var files int
	err := filepath.WalkDir("k8s", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext != ".yaml" && ext != ".yml" {
			t.Errorf("%s: unexpected file under k8s/ (only YAML is validated)", path)
			return nil
		}
		files++
		if d.Name() == "kustomization.yaml" {
			decodeKustomization(t, path)
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if objs := decodeObjects(t, path, data); len(objs) == 0 {
			t.Errorf("%s: no objects", path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("validated only %d files under k8s/", files)
	}
}

// TestStrictDecoderRejects makes sure the decoder would catch the mistakes it
// is here for.
func TestStrictDecoderRejects(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field":   "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replica: 3}\n",
		"wrong case":      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {Replicas: 3}\n",
		"duplicate field": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\ndata: {c: d}\n",
		"unknown kind":    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: x}\n",
		"wrong type":      "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {replicas: three}\n",
	} {
		if _, _, err := strictDecoder.Decode([]byte(doc), nil, nil); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// built is a kustomization's output, decoded.
type built struct {
	objs        []runtime.Object
	deployments map[string]*appsv1.Deployment
	configMaps  map[string]*corev1.ConfigMap
	sets        map[string]*appsv1.StatefulSet
	services    map[string]*corev1.Service
	pdbs        map[string]*policyv1.PodDisruptionBudget
	pvcs        map[string]*corev1.PersistentVolumeClaim
	namespaces  map[string]*corev1.Namespace
}

func build(t *testing.T, dir string) built {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	out, err := m.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	b := built{
		deployments: map[string]*appsv1.Deployment{}, configMaps: map[string]*corev1.ConfigMap{},
		sets: map[string]*appsv1.StatefulSet{}, services: map[string]*corev1.Service{},
		pdbs: map[string]*policyv1.PodDisruptionBudget{}, pvcs: map[string]*corev1.PersistentVolumeClaim{},
		namespaces: map[string]*corev1.Namespace{},
	}
	b.objs = decodeObjects(t, "kustomize build "+dir, out)
	for _, o := range b.objs {
		switch o := o.(type) {
		case *appsv1.Deployment:
			b.deployments[o.Name] = o
		case *appsv1.StatefulSet:
			b.sets[o.Name] = o
		case *corev1.ConfigMap:
			b.configMaps[o.Name] = o
		case *corev1.Service:
			b.services[o.Name] = o
		case *policyv1.PodDisruptionBudget:
			b.pdbs[o.Name] = o
		case *corev1.PersistentVolumeClaim:
			b.pvcs[o.Name] = o
		case *corev1.Namespace:
			b.namespaces[o.Name] = o
		default:
			t.Errorf("%s: unexpected %T", dir, o)
		}
	}
	return b
}

func container(t *testing.T, d *appsv1.Deployment) corev1.Container {
	t.Helper()
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("deployment %s: %d containers", d.Name, len(d.Spec.Template.Spec.Containers))
	}
	return d.Spec.Template.Spec.Containers[0]
}

func envValue(c corev1.Container, name string) (string, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

// parseBudget reads a DOCBATCH_MEMORY_BUDGET value the way the processor does
// for the forms the manifests use (bytes, or a KiB/MiB/GiB/TiB suffix).
func parseBudget(s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"", 1}}
	for _, u := range units {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			var v int64
			if _, err := fmt.Sscanf(n, "%d", &v); err != nil || fmt.Sprint(v) != n {
				return 0, fmt.Errorf("budget %q: use an integer with KiB, MiB, GiB or TiB", s)
			}
			return v * u.mult, nil
		}
	}
	return 0, fmt.Errorf("budget %q", s)
}

// checkBase asserts what every build (base or overlay) must keep: the
// topology, the probes, the security context, and the processor's memory tied
// to its budget.
func checkBase(t *testing.T, dir string, b built) {
	t.Helper()
	ports := map[string]int32{"scheduler": 7401, "processor": 7402, "resolver": 7403, "citations": 7404}
	for name, port := range ports {
		d, ok := b.deployments[name]
		if !ok {
			t.Errorf("%s: no deployment %s", dir, name)
			continue
		}
		c := container(t, d)
		for probeName, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "readiness": c.ReadinessProbe, "liveness": c.LivenessProbe} {
			if p == nil || p.GRPC == nil || p.GRPC.Port != port {
				t.Errorf("%s: %s has no %s probe on grpc.health.v1 port %d", dir, name, probeName, port)
			}
		}
		if v, _ := envValue(c, "DOCBATCH_LISTEN"); v != fmt.Sprintf("0.0.0.0:%d", port) {
			t.Errorf("%s: %s listens on %q", dir, name, v)
		}
		if len(c.Ports) != 2 || c.Ports[0].ContainerPort != port || c.Ports[1].Name != "metrics" || c.Ports[1].ContainerPort != 9090 {
			t.Errorf("%s: %s container ports %v", dir, name, c.Ports)
		}
		psc, sc := d.Spec.Template.Spec.SecurityContext, c.SecurityContext
		if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
			t.Errorf("%s: %s does not run as a non-root user", dir, name)
		}
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
			t.Errorf("%s: %s: root filesystem not read-only or privilege escalation allowed", dir, name)
		}
		if !hasEnvFrom(c, "docbatch") {
			t.Errorf("%s: %s does not read the docbatch ConfigMap", dir, name)
		}
		if _, ok := b.services[name]; !ok && name != "processor" {
			t.Errorf("%s: no service %s", dir, name)
		}
	}
	for _, name := range []string{"scheduler", "resolver", "citations"} {
		if d := b.deployments[name]; d != nil && (d.Spec.Replicas == nil || *d.Spec.Replicas != 1 || d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType) {
			t.Errorf("%s: %s must be one replica replaced with Recreate", dir, name)
		}
	}
	if d := b.deployments["processor"]; d != nil {
		c := container(t, d)
		v, ok := envValue(c, "DOCBATCH_MEMORY_BUDGET")
		if !ok {
			t.Fatalf("%s: processor has no DOCBATCH_MEMORY_BUDGET", dir)
		}
		budget, err := parseBudget(v)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		want := resource.NewQuantity(int64(float64(budget)*memoryRatio), resource.BinarySI)
		req, lim := c.Resources.Requests[corev1.ResourceMemory], c.Resources.Limits[corev1.ResourceMemory]
		if req.Cmp(*want) != 0 || lim.Cmp(*want) != 0 {
			t.Errorf("%s: processor budget %s wants memory request = limit = %s (× %.2f), has %s / %s", dir, v, want, memoryRatio, req.String(), lim.String())
		}
		if _, ok := b.pdbs["processor"]; !ok {
			t.Errorf("%s: no PodDisruptionBudget for the processors", dir)
		}
	}
	cm := b.configMaps["docbatch"]
	if cm == nil || cm.Data["DOCBATCH_NATS_URL"] != "nats://nats:4222" || cm.Data["DOCBATCH_REPLICAS"] != "3" || cm.Data["DOCBATCH_RESOLVER_REPLICAS"] != "3" {
		t.Errorf("%s: docbatch ConfigMap %v", dir, cm)
	}
	checkNATS(t, dir, b)
}

func hasEnvFrom(c corev1.Container, configMap string) bool {
	for _, e := range c.EnvFrom {
		if e.ConfigMapRef != nil && e.ConfigMapRef.Name == configMap {
			return true
		}
	}
	return false
}

func checkNATS(t *testing.T, dir string, b built) {
	t.Helper()
	ss := b.sets["nats"]
	if ss == nil {
		t.Fatalf("%s: no nats StatefulSet", dir)
	}
	if ss.Spec.Replicas == nil || *ss.Spec.Replicas != 3 || ss.Spec.ServiceName != "nats-headless" || ss.Spec.PodManagementPolicy != appsv1.ParallelPodManagement {
		t.Errorf("%s: nats StatefulSet replicas/serviceName/podManagementPolicy", dir)
	}
	if h := b.services["nats-headless"]; h == nil || h.Spec.ClusterIP != corev1.ClusterIPNone || !h.Spec.PublishNotReadyAddresses {
		t.Errorf("%s: nats-headless must be headless and publish not-ready addresses", dir)
	}
	if len(ss.Spec.VolumeClaimTemplates) != 1 {
		t.Errorf("%s: nats needs a volume claim template for its file store", dir)
	}
	cm := b.configMaps["nats-config"]
	if cm == nil {
		t.Fatalf("%s: no nats-config ConfigMap", dir)
	}
	var routes []string
	for i := range 3 {
		routes = append(routes, fmt.Sprintf("nats-route://nats-%d.nats-headless:6222", i))
	}
	checkNATSConfig(t, dir+" nats-config", cm.Data["nats.conf"], map[string]string{"POD_NAME": "nats-0"}, routes)
}

func TestKustomizeBase(t *testing.T) {
	b := build(t, "k8s/base")
	checkBase(t, "base", b)
	if d := b.deployments["processor"]; d == nil || *d.Spec.Replicas != 3 {
		t.Errorf("base: processor replicas")
	}
	for _, o := range b.objs {
		m := o.(interface{ GetNamespace() string })
		if ns := m.GetNamespace(); ns != "" {
			t.Errorf("base sets namespace %q: leave it to overlays", ns)
		}
	}
}

func TestKustomizeOverlayExample(t *testing.T) {
	const ns = "docbatch-example"
	b := build(t, "k8s/overlays/example")
	checkBase(t, "overlays/example", b)
	if _, ok := b.namespaces[ns]; !ok {
		t.Errorf("no Namespace %s", ns)
	}
	for _, o := range b.objs {
		m := o.(interface {
			GetNamespace() string
			GetName() string
		})
		if _, isNS := o.(*corev1.Namespace); !isNS && m.GetNamespace() != ns {
			t.Errorf("%T %s in namespace %q, want %s", o, m.GetName(), m.GetNamespace(), ns)
		}
	}
	p := b.deployments["processor"]
	if p == nil || p.Spec.Replicas == nil || *p.Spec.Replicas != 6 {
		t.Errorf("overlay: processor replicas not patched to 6")
	}
	if v, _ := envValue(container(t, p), "DOCBATCH_MEMORY_BUDGET"); v != "4GiB" {
		t.Errorf("overlay: processor budget %q, want 4GiB", v)
	}
	if v, _ := envValue(container(t, p), "DOCBATCH_NATS_URL"); v != "" {
		t.Errorf("overlay: NATS URL should come from the ConfigMap only")
	}
	// The strategic merge kept the base's other variables.
	for _, name := range []string{"DOCBATCH_LISTEN", "DOCBATCH_SCHEDULER", "DOCBATCH_ROOTS", "DOCBATCH_ID"} {
		if _, ok := envValue(container(t, p), name); !ok {
			t.Errorf("overlay: processor lost %s", name)
		}
	}
	for _, name := range []string{"scheduler", "processor", "resolver", "citations"} {
		want := "registry.example.com/docbatch/" + name + ":v0.1.0"
		if img := container(t, b.deployments[name]).Image; img != want {
			t.Errorf("overlay: %s image %s, want %s", name, img, want)
		}
	}
	if cm := b.configMaps["docbatch"]; cm == nil || !strings.HasPrefix(cm.Data["OTEL_EXPORTER_OTLP_ENDPOINT"], "http://") || cm.Data["DOCBATCH_NATS_URL"] == "" {
		t.Errorf("overlay: docbatch ConfigMap not merged: %v", cm)
	}
	if pvc := b.pvcs["docbatch-docs"]; pvc == nil || pvc.Spec.StorageClassName == nil || len(pvc.Spec.AccessModes) == 0 {
		t.Errorf("overlay: docs PVC not merged: %v", pvc)
	}
}
