package main

import (
	"io"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func TestCheck(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	h := health.NewServer()
	healthpb.RegisterHealthServer(srv, h)
	go srv.Serve(lis)
	defer srv.Stop()
	addr := lis.Addr().String()

	h.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	if err := Check(addr, "", 2*time.Second); err != nil {
		t.Fatalf("serving: %v", err)
	}
	h.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	if err := Check(addr, "", 2*time.Second); err == nil {
		t.Fatal("NOT_SERVING accepted")
	}
	if err := Check(addr, "unknown.Service", 2*time.Second); err == nil {
		t.Fatal("unknown service accepted")
	}
	// The port comes from DOCBATCH_LISTEN, as in the images.
	_, port, _ := net.SplitHostPort(addr)
	h.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	t.Setenv("DOCBATCH_LISTEN", "0.0.0.0:"+port)
	if err := run(nil, io.Discard); err != nil {
		t.Fatalf("run with DOCBATCH_LISTEN: %v", err)
	}
	t.Setenv("DOCBATCH_LISTEN", "")
	if err := run(nil, io.Discard); err == nil {
		t.Fatal("no address accepted")
	}
}
