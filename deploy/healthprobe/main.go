// Command healthprobe checks a gRPC server's grpc.health.v1 status and exits
// 0 only when it is SERVING. The container images carry it so that compose
// healthchecks work on distroless images, which have no shell; Kubernetes
// uses its native grpc probes instead.
//
//	healthprobe [-addr 127.0.0.1:7401] [-service NAME] [-timeout 2s]
//
// With no -addr it probes the port of $DOCBATCH_LISTEN on loopback.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "healthprobe:", err)
		os.Exit(1)
	}
}

func run(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("healthprobe", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "gRPC address (default: loopback at the port of $DOCBATCH_LISTEN)")
	service := fs.String("service", "", "health service name (empty: the server as a whole)")
	timeout := fs.Duration("timeout", 2*time.Second, "deadline of the check")
	if err := fs.Parse(args); err != nil {
		return err
	}
	target, err := resolveAddr(*addr, os.Getenv("DOCBATCH_LISTEN"))
	if err != nil {
		return err
	}
	return Check(target, *service, *timeout)
}

// resolveAddr picks the address to probe: the flag, else loopback at the
// listen address's port.
func resolveAddr(flagAddr, listen string) (string, error) {
	if flagAddr != "" {
		return flagAddr, nil
	}
	if listen == "" {
		return "", fmt.Errorf("no -addr and no DOCBATCH_LISTEN")
	}
	_, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "", fmt.Errorf("DOCBATCH_LISTEN=%q: %w", listen, err)
	}
	return net.JoinHostPort("127.0.0.1", port), nil
}

// Check returns nil when the server at addr reports service as SERVING.
func Check(addr, service string, timeout time.Duration) error {
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	r, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return fmt.Errorf("%s: %w", addr, err)
	}
	if r.Status != healthpb.HealthCheckResponse_SERVING {
		return fmt.Errorf("%s: %s", addr, r.Status)
	}
	return nil
}
