package grpcapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	resolverv1 "github.com/docbatch/docbatch/proto/docbatch/resolver/v1"
	"github.com/docbatch/docbatch/services/resolver"
)

// The adapter converts entity types by number; this pins the two enums
// together so a change to either fails here rather than mislabels clusters.
func TestEntityTypesMatchTheWire(t *testing.T) {
	for n, name := range resolverv1.EntityType_name {
		want := strings.ToLower(strings.TrimPrefix(name, "ENTITY_TYPE_"))
		require.Equal(t, want, resolver.EntityType(n).String(), "wire value %d", n)
	}
}

func TestPageTokens(t *testing.T) {
	req := &resolverv1.ListClustersRequest{BatchId: "b", MinMembers: 2}
	fp := fingerprint(req)
	for _, off := range []int{0, 1, 999, 1 << 30} {
		got, err := decodePageToken(encodePageToken(off, fp), fp)
		require.NoError(t, err)
		require.Equal(t, off, got)
	}
	other := fingerprint(&resolverv1.ListClustersRequest{BatchId: "c", MinMembers: 2})
	for _, tok := range []string{"x", "AAAA", encodePageToken(5, fp) + "A", encodePageToken(5, other)} {
		_, err := decodePageToken(tok, fp)
		require.Equal(t, codes.InvalidArgument, status.Code(err), "token %q", tok)
	}
}

// A page stops early once its clusters reach MaxPageBytes, so clusters with
// thousands of members never push a response past gRPC's message limit; the
// token continues after the last cluster sent.
func TestPagesStopAtTheByteBudget(t *testing.T) {
	x := resolver.NewIndex()
	long := strings.Repeat("a reference string long enough to weigh something ", 7)
	for d := range 8000 {
		var ms []resolver.Mention
		for w := range 2 {
			ms = append(ms, resolver.Mention{Locator: fmt.Sprintf("reference[%d]", w), Text: long, Type: resolver.TypeWork,
				Attributes: map[string]string{resolver.AttrDOI: fmt.Sprintf("10.1/w%d", w)}})
		}
		x.Apply("b", fmt.Sprintf("doc-%05d", d), resolver.Version{}, ms)
	}
	s := New(x, nil)
	first, err := s.ListClusters(context.Background(), &resolverv1.ListClustersRequest{BatchId: "b", PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if first.GetTotal() != 2 || len(first.GetClusters()) != 1 || first.GetNextPageToken() == "" {
		t.Fatalf("first page: %d of %d clusters, token %q; want 1 of 2 and a token", len(first.GetClusters()), first.GetTotal(), first.GetNextPageToken())
	}
	if n := proto.Size(first); n > MaxPageBytes {
		t.Fatalf("page of %d bytes, budget %d", n, MaxPageBytes)
	}
	second, err := s.ListClusters(context.Background(), &resolverv1.ListClustersRequest{BatchId: "b", PageSize: 10, PageToken: first.GetNextPageToken()})
	if err != nil {
		t.Fatal(err)
	}
	if len(second.GetClusters()) != 1 || second.GetNextPageToken() != "" || second.GetClusters()[0].GetClusterId() == first.GetClusters()[0].GetClusterId() {
		t.Fatalf("second page: %d clusters, token %q", len(second.GetClusters()), second.GetNextPageToken())
	}
}
