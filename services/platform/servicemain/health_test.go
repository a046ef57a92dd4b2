package servicemain

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/docbatch/docbatch/services/platform/natsbus"
)

type idle struct{}

func (idle) HealthNames() []string         { return []string{"test.v1.Idle"} }
func (idle) Run(ctx context.Context) error { <-ctx.Done(); return nil }

func freeAddr(t *testing.T) (string, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String(), l.Addr().(*net.TCPAddr).Port
}

func startNATS(t *testing.T, port int) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats not ready")
	}
	return ns
}

// Health follows NATS: NOT_SERVING while it is unreachable, SERVING again
// once the service has reconnected by itself.
func TestHealthFollowsNATS(t *testing.T) {
	_, natsPort := freeAddr(t)
	ns := startNATS(t, natsPort)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	nc, err := natsbus.Dialer{URL: ns.ClientURL(), Log: log}.Connect("health-test")
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	addr, _ := freeAddr(t)
	p := &Process{Log: log, NATS: nc, listen: addr}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Serve(ctx, nil, idle{}) }()
	defer func() { cancel(); <-done }()

	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	h := healthpb.NewHealthClient(cc)
	waitFor := func(want healthpb.HealthCheckResponse_ServingStatus) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		var got healthpb.HealthCheckResponse_ServingStatus
		for time.Now().Before(deadline) {
			c, cancel := context.WithTimeout(context.Background(), time.Second)
			r, err := h.Check(c, &healthpb.HealthCheckRequest{Service: "test.v1.Idle"})
			cancel()
			if err == nil {
				if got = r.GetStatus(); got == want {
					return
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("health is %v, want %v", got, want)
	}
	waitFor(healthpb.HealthCheckResponse_SERVING)
	ns.Shutdown()
	ns.WaitForShutdown()
	waitFor(healthpb.HealthCheckResponse_NOT_SERVING)
	ns2 := startNATS(t, natsPort)
	defer ns2.Shutdown()
	waitFor(healthpb.HealthCheckResponse_SERVING)
}
