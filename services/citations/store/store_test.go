package store_test

import (
	"context"
	"testing"

	"github.com/docbatch/docbatch/services/citations"
	"github.com/docbatch/docbatch/services/citations/store"
	"github.com/docbatch/docbatch/services/platform/natsbus/natstest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStoreRoundTrip(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t), "store-test")
	ctx := context.Background()
	st, err := store.Open(ctx, js, 1)
	require.NoError(t, err)

	// An empty bucket loads at once (the watcher's end-of-initial-values
	// marker comes even when there is nothing).
	require.NoError(t, st.Load(ctx, func(store.Record) error { t.Fatal("unexpected record"); return nil }))

	c := citations.Contribution{DocumentID: "dir/a b.pdf", Title: "A", Year: 2020, Epoch: 2, Seq: 7,
		Format: "pdf", Organizations: 2, References: []citations.Reference{{Index: 1, Title: "W", DOI: "10.1/w"}}}
	require.NoError(t, st.Put(ctx, "batch-1", c))
	c.Title = "A, second version"
	require.NoError(t, st.Put(ctx, "batch-1", c)) // replaces
	require.NoError(t, st.AdvanceSeq(ctx, "batch-1", 9))
	require.NoError(t, st.AdvanceSeq(ctx, "batch-1", 4)) // never lowers

	idx := citations.NewIndex()
	require.NoError(t, st.Apply(ctx, idx))
	n := idx.Network("batch-1")
	require.NotNil(t, n)
	assert.Equal(t, uint64(9), n.LastSeq())
	g := n.Snapshot()
	assert.Equal(t, 1, g.Documents())
	d, ok := g.Node(citations.DocumentNodeID("dir/a b.pdf"))
	require.True(t, ok)
	assert.Equal(t, "A, second version", d.Title)
	assert.Len(t, g.Edges, 1)
	// What the batch report counts survives a restart.
	x := g.Aggregate(1).Extraction
	assert.Equal(t, map[string]int64{"pdf": 1}, x.Formats)
	assert.Equal(t, int64(2), x.Mentions[citations.EntityOrganization])
}
