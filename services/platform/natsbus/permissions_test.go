package natsbus_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/docbatch/docbatch/services/platform/natsbus"
)

// A processor restricted to natsbus.ProcessorPublish can do its whole job —
// ensure the results stream, publish a result, store a large text — and
// nothing else: writing the scheduler's KV is refused.
func TestProcessorPermissions(t *testing.T) {
	opts := &server.Options{
		Host: "127.0.0.1", Port: -1, NoSigs: true, NoLog: true, JetStream: true, StoreDir: t.TempDir(),
		Users: []*server.User{
			{Username: "service", Password: "s3rvice"},
			{Username: "processor", Password: "pr0cessor", Permissions: &server.Permissions{
				Publish:   &server.SubjectPermission{Allow: natsbus.ProcessorPublish()},
				Subscribe: &server.SubjectPermission{Allow: natsbus.ProcessorSubscribe()},
			}},
		},
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	connect := func(user, pass string) (*nats.Conn, jetstream.JetStream) {
		nc, err := natsbus.Dialer{URL: srv.ClientURL(), Credentials: natsbus.Credentials{User: user, Password: pass}}.Connect("t-" + user)
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
	_, svc := connect("service", "s3rvice")
	if _, err := natsbus.EnsureResults(ctx, svc, natsbus.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	kv, err := svc.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "docbatch-scheduler"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "batch.b1", []byte("{}")); err != nil {
		t.Fatal(err)
	}

	_, proc := connect("processor", "pr0cessor")
	if _, err := natsbus.EnsureResults(ctx, proc, natsbus.StreamOptions{}); err != nil {
		t.Fatalf("a processor must be able to ensure the results stream: %v", err)
	}
	if _, err := proc.Publish(ctx, natsbus.ResultSubject("b1"), []byte("result")); err != nil {
		t.Fatalf("publishing a result: %v", err)
	}
	obj, err := proc.ObjectStore(ctx, natsbus.TextObjectStore)
	if err != nil {
		t.Fatalf("opening the text store: %v", err)
	}
	big := bytes.Repeat([]byte("text "), 200_000)
	if _, err := obj.PutBytes(ctx, "b1/doc", big); err != nil {
		t.Fatalf("storing a large text: %v", err)
	}
	if _, err := obj.PutBytes(ctx, "b1/doc", big[:10]); err != nil {
		t.Fatalf("replacing a stored text: %v", err)
	}

	// What a processor must not do. A refused publish gets no JetStream
	// acknowledgement (the server reports the violation asynchronously),
	// so each attempt has its own short deadline.
	refused := func(what string, f func(ctx context.Context) error) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := f(c); err == nil {
			t.Fatalf("a processor could %s", what)
		}
	}
	refused("write the scheduler's KV", func(c context.Context) error {
		_, err := proc.Publish(c, "$KV.docbatch-scheduler.batch.b1", []byte("forged"))
		return err
	})
	refused("open the scheduler's KV bucket", func(c context.Context) error {
		_, err := proc.KeyValue(c, "docbatch-scheduler")
		return err
	})
	refused("publish outside its subjects", func(c context.Context) error {
		_, err := proc.Publish(c, "docbatch.other", []byte("x"))
		return err
	})
	e, err := kv.Get(ctx, "batch.b1")
	if err != nil {
		t.Fatal(err)
	}
	if string(e.Value()) != "{}" || e.Revision() != 1 {
		t.Fatalf("scheduler state changed: revision %d, %q", e.Revision(), e.Value())
	}
}
