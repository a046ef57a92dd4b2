// Package citations is the transport-free core of the citations service: it
// holds, per batch, the contribution of every document (its metadata and its
// references) and derives from them the citation network of the batch, its
// metrics, its research domains and its exports.
//
// Everything derived is a function of the set of contributions only (design
// invariant 3): documents are keyed by id and applying a document again
// replaces its contribution (invariant 2), every collection is put in a
// canonical order before it is used, and the community detection (package
// louvain) is deterministic over a graph built in a fixed order.
package citations
