package deploy

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// checkNATSConfig parses a nats-server configuration with nats-server's own
// parser (unknown fields are errors there) and asserts a JetStream cluster
// node: a server name from the environment, JetStream with an explicit
// sync_interval, cluster "docbatch" on 6222 with the given routes.
func checkNATSConfig(t *testing.T, name, conf string, env map[string]string, routes []string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var o server.Options
	if err := o.ProcessConfigString(conf); err != nil {
		t.Errorf("%s: nats-server rejects it: %v", name, err)
		return
	}
	var fromEnv bool
	for _, v := range env {
		fromEnv = fromEnv || v == o.ServerName
	}
	if !fromEnv {
		t.Errorf("%s: server_name %q does not come from %v", name, o.ServerName, env)
	}
	if !o.JetStream || o.StoreDir == "" {
		t.Errorf("%s: JetStream not enabled with a store_dir", name)
	}
	if !strings.Contains(conf, "sync_interval:") || (o.SyncInterval <= 0 && !o.SyncAlways) {
		t.Errorf("%s: sync_interval must be stated explicitly", name)
	}
	if o.Cluster.Name != "docbatch" || o.Cluster.Port != 6222 {
		t.Errorf("%s: cluster %q port %d", name, o.Cluster.Name, o.Cluster.Port)
	}
	var got []string
	for _, r := range o.Routes {
		got = append(got, r.String())
	}
	if !slices.Equal(got, routes) {
		t.Errorf("%s: routes %v, want %v", name, got, routes)
	}
	if o.HTTPPort != 8222 {
		t.Errorf("%s: monitoring port %d, want 8222 (health checks use /healthz)", name, o.HTTPPort)
	}
}

func TestComposeNATSConfig(t *testing.T) {
	conf, err := os.ReadFile("compose/nats.conf")
	if err != nil {
		t.Fatal(err)
	}
	checkNATSConfig(t, "compose/nats.conf", string(conf), map[string]string{"NATS_SERVER_NAME": "nats-2"},
		[]string{"nats-route://nats-1:6222", "nats-route://nats-2:6222", "nats-route://nats-3:6222"})
}
