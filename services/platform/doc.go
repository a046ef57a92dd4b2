// Package platform is the root of docbatch's shared plumbing: the gRPC
// server with health and reflection (grpcserver), NATS connections and the
// embedded server (natsbus), OpenTelemetry and logging (telemetry) and
// configuration from flags backed by environment variables (flagenv) and
// free loopback ports for servers other processes start (loopback), and
// a union-find both the resolver and the citations service use (disjoint).
// It holds no domain logic.
package platform
