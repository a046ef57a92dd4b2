package main

import (
	"fmt"
	"io"
	"slices"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// TestNATSConfig parses the launcher's node configurations with
// nats-server's own parser: a three-node JetStream cluster on loopback with
// an explicit sync_interval.
func TestNATSConfig(t *testing.T) {
	p, err := allocatePorts(2, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		name := fmt.Sprintf("nats-%d", i+1)
		var o server.Options
		if err := o.ProcessConfigString(natsConfig(name, p, i, t.TempDir())); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if o.ServerName != name || o.Host != "127.0.0.1" || o.Port != p.natsClient[i] || o.HTTPPort != p.natsHTTP[i] {
			t.Errorf("%s: name %q listen %s:%d http %d", name, o.ServerName, o.Host, o.Port, o.HTTPPort)
		}
		if !o.JetStream || o.SyncInterval <= 0 || o.Cluster.Name != "docbatch" || o.Cluster.Port != p.natsCluster[i] {
			t.Errorf("%s: jetstream %v sync %v cluster %q:%d", name, o.JetStream, o.SyncInterval, o.Cluster.Name, o.Cluster.Port)
		}
		var routes []int
		for _, r := range o.Routes {
			var port int
			fmt.Sscanf(r.Port(), "%d", &port)
			routes = append(routes, port)
		}
		if !slices.Equal(routes, p.natsCluster[:]) {
			t.Errorf("%s: routes %v, want %v", name, routes, p.natsCluster)
		}
	}
}

func TestFlags(t *testing.T) {
	c, err := parseFlags([]string{"--docs", "10", "--processors", "2", "--free-ports"}, io.Discard)
	if err != nil || c.docs != 10 || c.processors != 2 || !c.freePorts || c.batchID != "local" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range [][]string{{"--docs", "1", "--corpus", "x"}, {"--processors", "0"}, {"extra"}} {
		if _, err := parseFlags(bad, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	p, err := allocatePorts(3, false)
	if err != nil || p.scheduler != 7401 || p.resolver != 7403 || p.citations != 7404 || !slices.Equal(p.processors, []int{7402, 7405, 7406}) || p.natsClient != [3]int{4222, 4223, 4224} {
		t.Errorf("fixed ports %+v %v", p, err)
	}
}
