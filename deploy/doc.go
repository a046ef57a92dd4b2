// Package deploy holds docbatch's deployment assets — Dockerfiles
// (docker/), a compose file (compose/), Kubernetes manifests (k8s/) — and
// the tests that validate them offline: every manifest strictly decoded into
// the Kubernetes API types, every kustomization built in-process, the
// compose file loaded with the compose-spec loader, the NATS configurations
// parsed by nats-server, every DOCBATCH_* variable matched to a real flag of
// the service that reads it, and the Dockerfiles checked for a multi-stage,
// static, non-root build. The local launcher (local/) runs the same topology
// as separate processes on loopback. It is its own module so that the
// Kubernetes and compose libraries stay out of the services' builds.
package deploy
