// Package grpcserver builds the gRPC server every docbatch service uses:
// OpenTelemetry stats handler, grpc.health.v1 and server reflection (so
// grpcurl works with no .proto files at hand), and a shutdown that flips
// health to NOT_SERVING before stopping.
package grpcserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
)

// Server is a grpc.Server with its health service.
type Server struct {
	GRPC   *grpc.Server
	Health *health.Server
	log    *slog.Logger
}

// New returns a server with telemetry, health and reflection registered.
// Register the services on s.GRPC, then call SetServing for each.
func New(log *slog.Logger, extra ...grpc.ServerOption) *Server {
	opts := append([]grpc.ServerOption{
		grpc.StatsHandler(otelgrpc.NewServerHandler()),
		// Processors keep a Work stream open for hours; let them ping.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
		grpc.MaxRecvMsgSize(16 << 20),
	}, extra...)
	s := &Server{GRPC: grpc.NewServer(opts...), Health: health.NewServer(), log: log}
	healthpb.RegisterHealthServer(s.GRPC, s.Health)
	reflection.Register(s.GRPC)
	return s
}

// SetServing marks the named services (and the overall server, "") SERVING.
func (s *Server) SetServing(names ...string) {
	s.Health.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	for _, n := range names {
		s.Health.SetServingStatus(n, healthpb.HealthCheckResponse_SERVING)
	}
}

// SetNotServing marks the named services and the server NOT_SERVING (a
// dependency is down); SetServing undoes it.
func (s *Server) SetNotServing(names ...string) {
	s.Health.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	for _, n := range names {
		s.Health.SetServingStatus(n, healthpb.HealthCheckResponse_NOT_SERVING)
	}
}

// followPoll is how often Follow looks at its dependency.
const followPoll = 250 * time.Millisecond

// Follow reports NOT_SERVING on health while the dependency up says is down
// (a service that cannot reach NATS applies and publishes nothing; it waits
// and reconnects by itself) and SERVING again once it is back, until ctx
// ends, so orchestrators and load balancers see the outage instead of a
// green service that does nothing.
func (s *Server) Follow(ctx context.Context, dependency string, up func() bool, names ...string) {
	t := time.NewTicker(followPoll)
	defer t.Stop()
	serving := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok := up()
		if ok == serving {
			continue
		}
		if ok {
			s.SetServing(names...)
			s.log.Info(dependency + " is back; serving")
		} else {
			s.SetNotServing(names...)
			s.log.Warn(dependency + " unreachable; health is NOT_SERVING until it returns")
		}
		serving = ok
	}
}

// Listen opens a TCP listener, naming the address in the error.
func Listen(addr string) (net.Listener, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", addr, err)
	}
	return lis, nil
}

// Serve serves on lis until ctx ends, then shuts down: health goes
// NOT_SERVING, GracefulStop is given grace to finish in-flight calls, and Stop
// ends what is left (bidi streams such as Work would block GracefulStop
// forever).
func (s *Server) Serve(ctx context.Context, lis net.Listener, grace time.Duration) error {
	errc := make(chan error, 1)
	go func() { errc <- s.GRPC.Serve(lis) }()
	s.log.Info("grpc serving", "addr", lis.Addr().String())
	select {
	case err := <-errc:
		if err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			return fmt.Errorf("grpc serve: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	s.Health.Shutdown()
	done := make(chan struct{})
	go func() { s.GRPC.GracefulStop(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		s.log.Warn("graceful stop timed out; stopping", "grace", grace.String())
		s.GRPC.Stop()
		<-done
	}
	return nil
}

// Dial opens a client connection with telemetry; plaintext for now.
func Dial(target string, extra ...grpc.DialOption) (*grpc.ClientConn, error) {
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(16 << 20)),
	}, extra...)
	cc, err := grpc.NewClient(target, opts...)
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w", target, err)
	}
	return cc, nil
}
