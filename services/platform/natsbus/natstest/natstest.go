// Package natstest starts the real embedded NATS server that docbatch's
// tests run against (JetStream on a file store in the test's temporary
// folder) and connects to it, with cleanup registered on the test.
package natstest

import (
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/docbatch/docbatch/services/platform/natsbus"
)

// Server starts an embedded JetStream server with no listener (clients
// connect in-process); it is shut down when the test ends.
func Server(t testing.TB) *server.Server {
	t.Helper()
	srv, err := natsbus.StartEmbedded(natsbus.EmbeddedOptions{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	return srv
}

// Connect opens a connection to srv and a JetStream context on it; the
// connection is closed when the test ends.
func Connect(t testing.TB, srv *server.Server, name string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := natsbus.Dialer{Embedded: srv}.Connect(name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}
