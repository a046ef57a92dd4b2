package grpcapi

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

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
