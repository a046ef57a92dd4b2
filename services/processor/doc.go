// Package processor is the transport-free core of the docbatch processor:
// it opens a document strictly inside the configured roots, extracts it
// under a deadline and a size limit with panics contained, classifies every
// failure as permanent, transient or out-of-memory for the scheduler's retry
// policy, and accounts the memory reserved by running documents in a Budget.
//
// It knows nothing of gRPC or NATS: the worker package drives it from the
// scheduler's Work stream and publishes what it returns.
package processor
