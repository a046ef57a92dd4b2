// Package platform is the root of docbatch's shared plumbing: the gRPC
// server with health and reflection (grpcserver), NATS connections and the
// embedded server (natsbus), OpenTelemetry and logging (telemetry),
// configuration from flags backed by environment variables (flagenv),
// free loopback ports for servers other processes start (loopback), a
// union-find that the resolver and the citations service share (disjoint)
// and memory figures from /proc (procstatus).
// It holds no domain logic.
package platform
