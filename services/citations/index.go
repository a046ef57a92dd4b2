package citations

import (
	"slices"
	"sync"
)

// Index holds the networks of all batches. It is safe for concurrent use:
// the consumer applies contributions while gRPC calls read snapshots.
type Index struct {
	mu       sync.RWMutex
	networks map[string]*Network
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{networks: make(map[string]*Network)}
}

// Apply records c as the contribution of document c.DocumentID to batch,
// replacing any earlier one. It reports false, changing nothing, when the
// index already holds a newer result of that document (higher epoch, or the
// same epoch at a later stream sequence): a late redelivery must not undo
// newer work.
func (x *Index) Apply(batch string, c Contribution) bool {
	return x.network(batch, true).put(c)
}

// Supersedes reports whether c would be applied by Apply, so a caller can
// skip persisting stale results.
func (x *Index) Supersedes(batch string, c Contribution) bool {
	n := x.Network(batch)
	if n == nil {
		return true
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	old, ok := n.docs[c.DocumentID]
	return !ok || c.supersedes(&old)
}

// AdvanceSeq raises the last applied stream sequence of batch to seq; it
// never lowers it. A batch with no document yet stays unknown.
func (x *Index) AdvanceSeq(batch string, seq uint64) {
	n := x.network(batch, true)
	n.mu.Lock()
	n.lastSeq = max(n.lastSeq, seq)
	n.mu.Unlock()
}

// Network returns the network of batch, or nil when no document of it was
// applied.
func (x *Index) Network(batch string) *Network {
	n := x.network(batch, false)
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.docs) == 0 {
		return nil
	}
	return n
}

// Batches returns the ids of the batches with at least one document, sorted.
func (x *Index) Batches() []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]string, 0, len(x.networks))
	for b, n := range x.networks {
		n.mu.Lock()
		if len(n.docs) > 0 {
			out = append(out, b)
		}
		n.mu.Unlock()
	}
	slices.Sort(out)
	return out
}

func (x *Index) network(batch string, create bool) *Network {
	x.mu.RLock()
	n := x.networks[batch]
	x.mu.RUnlock()
	if n != nil || !create {
		return n
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if n = x.networks[batch]; n == nil {
		n = &Network{batch: batch, docs: make(map[string]Contribution)}
		x.networks[batch] = n
	}
	return n
}

// Network is the citation network of one batch: the contributions of its
// documents, and the graph derived from them, rebuilt lazily after a change.
type Network struct {
	batch string

	mu      sync.Mutex
	docs    map[string]Contribution
	lastSeq uint64
	// graph is the current snapshot; nil when a contribution changed since
	// it was built.
	graph *Graph
}

// put applies c unless a newer result of the document is already held.
func (n *Network) put(c Contribution) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if old, ok := n.docs[c.DocumentID]; ok && !c.supersedes(&old) {
		return false
	}
	n.docs[c.DocumentID] = c
	n.graph = nil
	return true
}

// Batch returns the batch id.
func (n *Network) Batch() string { return n.batch }

// LastSeq returns the highest stream sequence applied to this batch.
func (n *Network) LastSeq() uint64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.lastSeq
}

// Documents is how many documents have a contribution, without building
// the graph (which a poller must not do while documents arrive: building
// holds the network).
func (n *Network) Documents() int64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	return int64(len(n.docs))
}

// Snapshot returns the graph of the current contributions. The graph is
// immutable, so callers may page through or export it without holding any
// lock while documents keep arriving.
func (n *Network) Snapshot() *Graph {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.graph == nil {
		docs := make([]Contribution, 0, len(n.docs))
		for _, c := range n.docs {
			docs = append(docs, c)
		}
		n.graph = build(n.batch, docs)
	}
	return n.graph
}
