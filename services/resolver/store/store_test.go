package store_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/natsbus/natstest"
	"github.com/docbatch/docbatch/services/resolver"
	"github.com/docbatch/docbatch/services/resolver/store"
)

func TestStore(t *testing.T) {
	_, js := natstest.Connect(t, natstest.Server(t), "store-test")
	ctx := t.Context()
	st, err := store.Open(ctx, js, store.Options{})
	require.NoError(t, err)

	ada := []resolver.Mention{{Locator: "author[0]", Text: "Ada Lovelace", Type: resolver.TypePerson, Attributes: map[string]string{"orcid": "X"}}}
	for _, d := range []store.Document{
		{BatchID: "b", ID: "docs/a.pdf", Version: resolver.Version{Seq: 1}, Mentions: ada},
		{BatchID: "b", ID: "docs/a.pdf", Version: resolver.Version{Seq: 4}, Mentions: ada}, // replaces
		{BatchID: "b", ID: "docs/failed.pdf", Version: resolver.Version{Epoch: 2, Seq: 2}},
	} {
		require.NoError(t, st.Put(ctx, d))
	}
	for _, seq := range []uint64{3, 9, 4} {
		require.NoError(t, st.RecordSeq(ctx, "b", seq))
	}
	require.ErrorIs(t, st.Put(ctx, store.Document{BatchID: "bad batch", ID: "x"}), store.ErrInvalidBatchID)

	// A corrupt value is skipped, not fatal.
	kv, err := js.KeyValue(ctx, store.Bucket)
	require.NoError(t, err)
	_, err = kv.Put(ctx, natsbus.DocKey("b", "corrupt"), []byte("{not json"))
	require.NoError(t, err)

	got := map[string]store.Document{}
	seqs, err := st.Load(ctx, func(d store.Document) error { got[d.ID] = d; return nil })
	require.NoError(t, err)
	require.Equal(t, map[string]uint64{"b": 9}, seqs, "the sequence never moves back")
	require.Len(t, got, 2)
	ada[0].DocumentID = "docs/a.pdf"
	require.Equal(t, store.Document{BatchID: "b", ID: "docs/a.pdf", Version: resolver.Version{Seq: 4}, Mentions: ada}, got["docs/a.pdf"])
	require.Empty(t, got["docs/failed.pdf"].Mentions)
	require.Equal(t, resolver.Version{Epoch: 2, Seq: 2}, got["docs/failed.pdf"].Version)

	for id, ok := range map[string]bool{"b1": true, "2024-run_7": true, "a.b": true, "": false, ".a": false, "a..b": false, "a b": false, "é": false, "a*": false} {
		require.Equal(t, ok, store.ValidBatchID(id), "%q", id)
	}
}
