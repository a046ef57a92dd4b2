package citations

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	processorv1 "github.com/docbatch/docbatch/proto/docbatch/processor/v1"
)

// reportResults is a small batch as processors publish it: four extracted
// documents in three formats citing each other and two outside works, one
// permanent and one out-of-memory failure.
func reportResults() []*processorv1.DocumentResult {
	au := func(name, aff string) *processorv1.Author {
		return &processorv1.Author{FullName: name, Affiliation: aff}
	}
	ok := func(id, format, title, doi string, authors []*processorv1.Author, refs ...*processorv1.Reference) *processorv1.DocumentResult {
		for i, r := range refs {
			r.Index = int32(i + 1)
		}
		return &processorv1.DocumentResult{
			BatchId: "b", DocumentId: id, Epoch: 1, Format: format,
			Metadata:   &processorv1.Metadata{Title: title, Doi: doi, Year: 2020, Authors: authors, Keywords: []string{"graphs"}},
			References: refs,
		}
	}
	r := func(title, doi string) *processorv1.Reference { return &processorv1.Reference{Title: title, Doi: doi} }
	failed := func(id, class string) *processorv1.DocumentResult {
		return &processorv1.DocumentResult{BatchId: "b", DocumentId: id, Epoch: 1, Error: &processorv1.DocumentError{Class: class, Message: "boom"}}
	}
	return []*processorv1.DocumentResult{
		ok("a", "jats", "Graph partitioning at scale", "10.1/a",
			[]*processorv1.Author{au("Ann Lee", "MIT"), au("Bo Chen", " mit "), au("Cy Diaz", "ETH Zurich")},
			r("Outside classic work", "10.9/x"), r("", "")),
		ok("b", "jats", "Community detection revisited", "10.1/b",
			[]*processorv1.Author{au("Ann Lee", "MIT")},
			r("Graph partitioning at scale", "10.1/a"), r("Outside classic work", "10.9/x"), r("Another outside work", "10.9/y")),
		ok("c", "markdown", "Citation networks in practice", "",
			[]*processorv1.Author{au("Dee Fox", "")},
			r("Graph partitioning at scale", ""), r("Outside classic work", "10.9/x"), r("Citation networks in practice", "")),
		ok("d", "pdf", "Modularity and its limits", "10.1/d", nil,
			r("Community detection revisited", "10.1/b"), r("Graph partitioning at scale", "10.1/a")),
		failed("e", "permanent"),
		failed("f", "out_of_memory"),
	}
}

func TestAggregateCounts(t *testing.T) {
	idx := NewIndex()
	for i, r := range reportResults() {
		idx.Apply("b", FromResult(r, uint64(i+1)))
	}
	a := idx.Network("b").Snapshot().Aggregate(10)
	x := a.Extraction
	assert.Equal(t, int64(6), x.Documents)
	assert.Equal(t, map[string]int64{"jats": 2, "markdown": 1, "pdf": 1}, x.Formats)
	assert.Equal(t, int64(2), x.Failed)
	assert.Equal(t, map[string]int64{"permanent": 1, "out_of_memory": 1}, x.Errors)
	assert.Equal(t, int64(10), x.References)
	// b→a, c→a (by title), d→a, d→b: 4 to the batch; a→x, b→x, b→y,
	// c→x: 4 outside; c cites itself; a's empty reference identifies nothing.
	assert.Equal(t, RefLinks{ToBatch: 4, ToOutside: 4, Self: 1, Unidentified: 1}, x.Links)
	assert.Equal(t, x.References, x.Links.ToBatch+x.Links.ToOutside+x.Links.Self+x.Links.Unidentified)
	// MIT twice in a (spacing and case differ) is one organisation.
	assert.Equal(t, map[string]int64{EntityPerson: 5, EntityOrganization: 3, EntityWork: 10}, x.Mentions)

	require.Len(t, a.TopCitedInBatch, 2)
	assert.Equal(t, "a", a.TopCitedInBatch[0].Node.DocumentID)
	assert.Equal(t, 3, a.TopCitedInBatch[0].Citations)
	assert.Equal(t, "b", a.TopCitedInBatch[1].Node.DocumentID)
	require.Len(t, a.TopCitedOutside, 2)
	assert.Equal(t, "10.9/x", a.TopCitedOutside[0].Node.DOI)
	assert.Equal(t, 3, a.TopCitedOutside[0].Citations)
	assert.Equal(t, "10.9/y", a.TopCitedOutside[1].Node.DOI)

	assert.Equal(t, int64(6), a.Metrics.Documents)
	assert.Empty(t, a.Metrics.TopCited, "the report splits the top list itself")
	assert.Equal(t, len(a.Domains), a.DomainCount)
	size := 0
	for _, d := range a.Domains {
		size += d.Size
	}
	assert.Equal(t, 6, size, "every document is in one domain")

	// Top lists are cut at top, each on its own.
	one := idx.Network("b").Snapshot().Aggregate(1)
	assert.Len(t, one.TopCitedInBatch, 1)
	assert.Len(t, one.TopCitedOutside, 1)
	assert.Len(t, one.Domains, 1)
	assert.Equal(t, a.DomainCount, one.DomainCount)
}

// The aggregate is a function of the set of latest results: shuffled
// arrival, and stale or repeated deliveries, change nothing.
func TestAggregateDeterministic(t *testing.T) {
	results := reportResults()
	build := func(order []int, extra bool) Aggregate {
		idx := NewIndex()
		for _, i := range order {
			idx.Apply("b", FromResult(results[i], uint64(100+i)))
		}
		if extra {
			// A stale earlier failure of a, and a repeat of b.
			stale := &processorv1.DocumentResult{BatchId: "b", DocumentId: "a", Epoch: 0, Error: &processorv1.DocumentError{Class: "transient"}}
			idx.Apply("b", FromResult(stale, 1))
			idx.Apply("b", FromResult(results[1], 101))
		}
		return idx.Network("b").Snapshot().Aggregate(5)
	}
	want := build([]int{0, 1, 2, 3, 4, 5}, false)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		order := rng.Perm(len(results))
		assert.Equal(t, want, build(order, i%2 == 1), "order %v", order)
	}
}

type fakeSched struct {
	counts BatchCounts
	err    error
	delay  time.Duration
}

func (f fakeSched) BatchCounts(ctx context.Context, _ string) (BatchCounts, error) {
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return BatchCounts{}, ctx.Err()
		}
	}
	return f.counts, f.err
}

type fakeRes struct {
	groups []EntityGroup
	err    error
}

func (f fakeRes) TopEntities(context.Context, string, int) ([]EntityGroup, error) {
	return f.groups, f.err
}

func TestReporterDegrades(t *testing.T) {
	idx := NewIndex()
	for i, r := range reportResults() {
		idx.Apply("b", FromResult(r, uint64(i+1)))
	}
	idx.AdvanceSeq("b", 6)
	ctx := context.Background()
	counts := BatchCounts{State: "completed_with_errors", Total: 6, Done: 4, Failed: 2}
	groups := []EntityGroup{{Type: EntityPerson, Clusters: 4, Top: []Entity{{ClusterID: "c1", CanonicalName: "Ann Lee", Members: 2, Documents: 2}}}}
	unknown := fmt.Errorf("no such batch: %w", ErrUnknownBatch)

	t.Run("everything answers", func(t *testing.T) {
		r := &Reporter{Index: idx, Scheduler: fakeSched{counts: counts}, Resolver: fakeRes{groups: groups}}
		rep, err := r.Report(ctx, "b", 3)
		require.NoError(t, err)
		assert.Equal(t, &counts, rep.Documents)
		assert.Equal(t, groups, rep.Entities)
		assert.Empty(t, rep.SchedulerError)
		assert.Empty(t, rep.ResolverError)
		assert.Equal(t, uint64(6), rep.LastSeq)
		assert.Equal(t, int64(6), rep.Aggregate.Extraction.Documents)
	})
	t.Run("nothing configured", func(t *testing.T) {
		rep, err := (&Reporter{Index: idx}).Report(ctx, "b", 3)
		require.NoError(t, err)
		assert.Nil(t, rep.Documents)
		assert.Equal(t, "scheduler not configured", rep.SchedulerError)
		assert.Equal(t, "resolver not configured", rep.ResolverError)
		assert.Equal(t, int64(6), rep.Aggregate.Extraction.Documents)
	})
	t.Run("resolver down", func(t *testing.T) {
		r := &Reporter{Index: idx, Scheduler: fakeSched{counts: counts}, Resolver: fakeRes{groups: groups, err: errors.New("connection refused")}}
		rep, err := r.Report(ctx, "b", 3)
		require.NoError(t, err)
		assert.Equal(t, "resolver: connection refused", rep.ResolverError)
		assert.Nil(t, rep.Entities)
		assert.Equal(t, &counts, rep.Documents)
	})
	t.Run("resolver has nothing yet", func(t *testing.T) {
		r := &Reporter{Index: idx, Scheduler: fakeSched{counts: counts}, Resolver: fakeRes{err: unknown}}
		rep, err := r.Report(ctx, "b", 3)
		require.NoError(t, err)
		assert.Empty(t, rep.ResolverError)
		assert.Nil(t, rep.Entities)
	})
	t.Run("slow scheduler costs its part only", func(t *testing.T) {
		r := &Reporter{Index: idx, Scheduler: fakeSched{counts: counts, delay: time.Minute}, Resolver: fakeRes{groups: groups}, PeerTimeout: 50 * time.Millisecond}
		start := time.Now()
		rep, err := r.Report(ctx, "b", 3)
		require.NoError(t, err)
		assert.Less(t, time.Since(start), 10*time.Second)
		assert.Contains(t, rep.SchedulerError, "deadline exceeded")
		assert.Equal(t, groups, rep.Entities)
	})
	t.Run("scheduler knows a batch with no result yet", func(t *testing.T) {
		running := BatchCounts{State: "running", Total: 3, Pending: 3}
		rep, err := (&Reporter{Index: idx, Scheduler: fakeSched{counts: running}}).Report(ctx, "new", 3)
		require.NoError(t, err)
		assert.Equal(t, &running, rep.Documents)
		assert.Zero(t, rep.Aggregate.Extraction.Documents)
	})
	t.Run("scheduler forgot a batch with results", func(t *testing.T) {
		rep, err := (&Reporter{Index: idx, Scheduler: fakeSched{err: unknown}}).Report(ctx, "b", 3)
		require.NoError(t, err)
		assert.Contains(t, rep.SchedulerError, "does not know")
	})
	t.Run("unknown everywhere", func(t *testing.T) {
		_, err := (&Reporter{Index: idx, Scheduler: fakeSched{err: unknown}, Resolver: fakeRes{}}).Report(ctx, "nope", 3)
		require.ErrorIs(t, err, ErrUnknownBatch)
		_, err = (&Reporter{Index: idx}).Report(ctx, "nope", 3)
		require.ErrorIs(t, err, ErrUnknownBatch)
	})
	t.Run("unknown here and the scheduler is down", func(t *testing.T) {
		_, err := (&Reporter{Index: idx, Scheduler: fakeSched{err: errors.New("connection refused")}}).Report(ctx, "nope", 3)
		require.ErrorIs(t, err, ErrCannotConfirm)
		assert.Contains(t, err.Error(), "connection refused")
	})
}
