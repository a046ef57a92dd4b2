package resolver

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/docbatch/docbatch/services/resolver/match"
)

// Index holds, per batch, the mentions each document contributed, and the
// clusters computed from them. It is safe for concurrent use. Clusters are
// recomputed lazily: Apply only marks the batch dirty, and the next query
// rebuilds its view, so a burst of results costs one clustering.
type Index struct {
	mu      sync.RWMutex
	batches map[string]*batchState
	opts    match.Options
}

type batchState struct {
	mu      sync.Mutex
	docs    map[string]docEntry
	lastSeq uint64
	view    *view // nil when dirty
}

type docEntry struct {
	version  Version
	mentions []Mention
}

// NewIndex returns an empty index that resolves with the match package's
// defaults (no adjudicator).
func NewIndex() *Index { return NewIndexWith(match.Options{}) }

// NewIndexWith returns an empty index resolving with opts, for example
// with a language-model adjudicator.
func NewIndexWith(opts match.Options) *Index {
	return &Index{batches: map[string]*batchState{}, opts: opts}
}

func (x *Index) batch(id string, create bool) *batchState {
	x.mu.RLock()
	b := x.batches[id]
	x.mu.RUnlock()
	if b != nil || !create {
		return b
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if b = x.batches[id]; b == nil {
		b = &batchState{docs: map[string]docEntry{}}
		x.batches[id] = b
	}
	return b
}

// Apply sets the mentions document doc contributes to batch, replacing
// whatever an earlier Apply of the same document contributed, so applying a
// result again never double-counts. A contribution older than the one held
// (see Version) is ignored; Apply reports whether it took effect. A document
// with no mentions (for example one whose extraction failed) still counts as
// a document of the batch.
func (x *Index) Apply(batchID, docID string, v Version, mentions []Mention) bool {
	b := x.batch(batchID, true)
	b.mu.Lock()
	defer b.mu.Unlock()
	if cur, ok := b.docs[docID]; ok && v.Less(cur.version) {
		return false
	}
	// Copy: the index must not see later changes to the caller's slices.
	own := make([]Mention, len(mentions))
	for i, m := range mentions {
		m.DocumentID = docID
		m.Attributes = maps.Clone(m.Attributes)
		own[i] = m
	}
	b.docs[docID] = docEntry{version: v, mentions: own}
	b.view = nil
	return true
}

// Current returns the version of the contribution held for a document.
func (x *Index) Current(batchID, docID string) (Version, bool) {
	b := x.batch(batchID, false)
	if b == nil {
		return Version{}, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	d, ok := b.docs[docID]
	return d.version, ok
}

// MarkApplied records that the result stream has been applied up to seq for
// the batch; it only ever moves forward.
func (x *Index) MarkApplied(batchID string, seq uint64) {
	b := x.batch(batchID, true)
	b.mu.Lock()
	b.lastSeq = max(b.lastSeq, seq)
	b.mu.Unlock()
}

// Batches lists the batches the index knows, sorted.
func (x *Index) Batches() []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return slices.Sorted(maps.Keys(x.batches))
}

// known runs fn on the batch, locked, or says it is unknown: a batch with
// no documents is as unknown as one never seen.
func (x *Index) known(batchID string, fn func(b *batchState)) error {
	b := x.batch(batchID, false)
	if b == nil {
		return fmt.Errorf("batch %q: %w", batchID, ErrUnknownBatch)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.docs) == 0 {
		return fmt.Errorf("batch %q: %w", batchID, ErrUnknownBatch)
	}
	fn(b)
	return nil
}

// snapshot returns the batch's current view, rebuilding it if dirty.
func (x *Index) snapshot(batchID string) (v *view, s Stats, err error) {
	err = x.known(batchID, func(b *batchState) {
		if b.view == nil {
			b.view = buildView(context.Background(), batchID, b.docs, x.opts)
		}
		v = b.view
		s = Stats{Documents: len(b.docs), Mentions: len(v.all), Clusters: len(v.clusters), LastAppliedSeq: b.lastSeq, CandidatePairs: v.stats.CandidatePairs}
	})
	return v, s, err
}

// ListClusters returns the batch's clusters of type t (TypeUnspecified for
// all types) with at least minMembers members, in canonical order (type,
// member count descending, cluster id), skipping offset and returning at
// most limit (limit <= 0: all). total counts every matching cluster.
func (x *Index) ListClusters(batchID string, t EntityType, minMembers, offset, limit int) (clusters []Cluster, total int, err error) {
	v, _, err := x.snapshot(batchID)
	if err != nil {
		return nil, 0, err
	}
	for _, c := range v.clusters {
		if (t != TypeUnspecified && c.Type != t) || c.MemberCount < minMembers {
			continue
		}
		if total >= offset && (limit <= 0 || len(clusters) < limit) {
			clusters = append(clusters, c)
		}
		total++
	}
	return clusters, total, nil
}

// GetCluster returns one cluster of the batch.
func (x *Index) GetCluster(batchID, clusterID string) (Cluster, error) {
	v, _, err := x.snapshot(batchID)
	if err != nil {
		return Cluster{}, err
	}
	i, ok := v.byID[clusterID]
	if !ok {
		return Cluster{}, fmt.Errorf("cluster %q in batch %q: %w", clusterID, batchID, ErrUnknownCluster)
	}
	return v.clusters[i], nil
}

// Resolve says which cluster of the batch each mention would join if it
// were applied, without changing the index. Mentions that would start a new
// cluster get an empty Resolution.
func (x *Index) Resolve(batchID string, mentions []Mention) ([]Resolution, error) {
	v, _, err := x.snapshot(batchID)
	if err != nil {
		return nil, err
	}
	out := make([]Resolution, len(mentions))
	for i, m := range mentions {
		out[i] = v.resolve(m)
	}
	return out, nil
}

// Stats reports what the index holds for the batch.
func (x *Index) Stats(batchID string) (Stats, error) {
	_, s, err := x.snapshot(batchID)
	return s, err
}

// Progress is Stats without resolving the batch: only Documents and
// LastAppliedSeq are set. A poller uses it while results are consumed,
// since resolving a large batch takes seconds and holds the batch.
func (x *Index) Progress(batchID string) (s Stats, err error) {
	err = x.known(batchID, func(b *batchState) {
		s = Stats{Documents: len(b.docs), LastAppliedSeq: b.lastSeq}
	})
	return s, err
}

// Explain says how the batch's resolution judged two of its mentions, each
// named by document id and locator.
func (x *Index) Explain(batchID, docA, locA, docB, locB string) (Explanation, error) {
	v, _, err := x.snapshot(batchID)
	if err != nil {
		return Explanation{}, err
	}
	return v.explain(mentionRef{docA, locA}, mentionRef{docB, locB})
}
