// Package grpcapi serves docbatch.resolver.v1.ResolverService over the
// resolver core: it validates requests, maps between wire and core types and
// chooses the status code of every failure.
package grpcapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	resolverv1 "github.com/docbatch/docbatch/proto/docbatch/resolver/v1"
	"github.com/docbatch/docbatch/services/resolver"
	"github.com/docbatch/docbatch/services/resolver/llm"
)

// Limits of the API.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
	// MaxResolveMentions caps one ResolveMentions call; larger sets are
	// split by the caller.
	MaxResolveMentions = 10000
	// MaxPageBytes ends a ListClusters page early, before page_size, once
	// its clusters reach this encoded size: big clusters (a much-cited work
	// with thousands of member mentions) would otherwise push a page past
	// gRPC's message limit. The next page token continues after it.
	MaxPageBytes = 4 << 20
)

// Server implements resolverv1.ResolverServiceServer.
type Server struct {
	resolverv1.UnimplementedResolverServiceServer
	index *resolver.Index
	llm   *llm.Client // nil when no adjudicator is configured
}

// New returns a server answering from index; adjudicator, when not nil, is
// the language model the index asks, whose counters the stats report.
func New(index *resolver.Index, adjudicator *llm.Client) *Server {
	return &Server{index: index, llm: adjudicator}
}

var _ resolverv1.ResolverServiceServer = (*Server)(nil)

// ListClusters pages through a batch's clusters in canonical order. Paging
// is by offset into that order: while results are still arriving, a later
// page may repeat or skip a cluster whose size changed.
func (s *Server) ListClusters(_ context.Context, req *resolverv1.ListClustersRequest) (*resolverv1.ListClustersResponse, error) {
	if err := requireBatch(req.GetBatchId()); err != nil {
		return nil, err
	}
	t, err := entityType(req.GetType(), "type", true)
	if err != nil {
		return nil, err
	}
	size := int(req.GetPageSize())
	switch {
	case size < 0:
		return nil, status.Error(codes.InvalidArgument, "page_size must not be negative")
	case size > MaxPageSize:
		return nil, status.Errorf(codes.InvalidArgument, "page_size must be at most %d", MaxPageSize)
	case size == 0:
		size = DefaultPageSize
	}
	if req.GetMinMembers() < 0 {
		return nil, status.Error(codes.InvalidArgument, "min_members must not be negative")
	}
	fp := fingerprint(req)
	offset, err := decodePageToken(req.GetPageToken(), fp)
	if err != nil {
		return nil, err
	}
	cs, total, err := s.index.ListClusters(req.GetBatchId(), t, int(req.GetMinMembers()), offset, size)
	if err != nil {
		return nil, coreError(err, req.GetBatchId())
	}
	resp := &resolverv1.ListClustersResponse{Total: int64(total)}
	bytes := 0
	for _, c := range cs {
		pc := clusterToProto(c)
		// Always at least one cluster per page, so paging progresses.
		if bytes += proto.Size(pc); bytes > MaxPageBytes && len(resp.Clusters) > 0 {
			break
		}
		resp.Clusters = append(resp.Clusters, pc)
	}
	if next := offset + len(resp.Clusters); next < total {
		resp.NextPageToken = encodePageToken(next, fp)
	}
	return resp, nil
}

// GetCluster returns one cluster with all its members.
func (s *Server) GetCluster(_ context.Context, req *resolverv1.GetClusterRequest) (*resolverv1.GetClusterResponse, error) {
	if err := requireBatch(req.GetBatchId()); err != nil {
		return nil, err
	}
	if req.GetClusterId() == "" {
		return nil, status.Error(codes.InvalidArgument, "cluster_id is required")
	}
	c, err := s.index.GetCluster(req.GetBatchId(), req.GetClusterId())
	if errors.Is(err, resolver.ErrUnknownCluster) {
		return nil, status.Errorf(codes.NotFound, "cluster %q not found in batch %q", req.GetClusterId(), req.GetBatchId())
	}
	if err != nil {
		return nil, coreError(err, req.GetBatchId())
	}
	return &resolverv1.GetClusterResponse{Cluster: clusterToProto(c)}, nil
}

// ResolveMentions places ad-hoc mentions against a batch's clusters.
func (s *Server) ResolveMentions(_ context.Context, req *resolverv1.ResolveMentionsRequest) (*resolverv1.ResolveMentionsResponse, error) {
	if err := requireBatch(req.GetBatchId()); err != nil {
		return nil, err
	}
	if n := len(req.GetMentions()); n > MaxResolveMentions {
		return nil, status.Errorf(codes.ResourceExhausted, "%d mentions in one call; at most %d are allowed", n, MaxResolveMentions)
	}
	ms := make([]resolver.Mention, len(req.GetMentions()))
	for i, m := range req.GetMentions() {
		t, err := entityType(m.GetType(), fmt.Sprintf("mentions[%d].type", i), false)
		if err != nil {
			return nil, err
		}
		ms[i] = resolver.Mention{DocumentID: m.GetDocumentId(), Locator: m.GetLocator(), Text: m.GetText(), Type: t, Attributes: m.GetAttributes()}
	}
	rs, err := s.index.Resolve(req.GetBatchId(), ms)
	if err != nil {
		return nil, coreError(err, req.GetBatchId())
	}
	resp := &resolverv1.ResolveMentionsResponse{Resolutions: make([]*resolverv1.Resolution, len(rs))}
	for i, r := range rs {
		resp.Resolutions[i] = &resolverv1.Resolution{
			Mention:       req.GetMentions()[i],
			ClusterId:     r.ClusterID,
			CanonicalName: r.CanonicalName,
			Score:         r.Score,
		}
	}
	return resp, nil
}

// GetResolverStats reports what has been consumed for a batch.
func (s *Server) GetResolverStats(_ context.Context, req *resolverv1.GetResolverStatsRequest) (*resolverv1.GetResolverStatsResponse, error) {
	if err := requireBatch(req.GetBatchId()); err != nil {
		return nil, err
	}
	stats := s.index.Stats
	if req.GetProgressOnly() {
		stats = s.index.Progress
	}
	st, err := stats(req.GetBatchId())
	if err != nil {
		return nil, coreError(err, req.GetBatchId())
	}
	resp := &resolverv1.GetResolverStatsResponse{
		Documents:      int64(st.Documents),
		Mentions:       int64(st.Mentions),
		Clusters:       int64(st.Clusters),
		LastAppliedSeq: st.LastAppliedSeq,
		CandidatePairs: int64(st.CandidatePairs),
	}
	if s.llm != nil {
		ls := s.llm.Stats()
		resp.LlmCalls, resp.LlmPromptTokens, resp.LlmCompletionTokens = ls.Calls, ls.PromptTokens, ls.CompletionTokens
	}
	return resp, nil
}

// ExplainPair says how the resolver judged two mentions of a batch.
func (s *Server) ExplainPair(_ context.Context, req *resolverv1.ExplainPairRequest) (*resolverv1.ExplainPairResponse, error) {
	if err := requireBatch(req.GetBatchId()); err != nil {
		return nil, err
	}
	for _, r := range []struct {
		name string
		ref  *resolverv1.MentionRef
	}{{"a", req.GetA()}, {"b", req.GetB()}} {
		if r.ref.GetDocumentId() == "" || r.ref.GetLocator() == "" {
			return nil, status.Errorf(codes.InvalidArgument, "%s.document_id and %s.locator are required", r.name, r.name)
		}
	}
	e, err := s.index.Explain(req.GetBatchId(), req.GetA().GetDocumentId(), req.GetA().GetLocator(), req.GetB().GetDocumentId(), req.GetB().GetLocator())
	if err != nil {
		return nil, coreError(err, req.GetBatchId())
	}
	resp := &resolverv1.ExplainPairResponse{
		A: mentionToProto(e.A), B: mentionToProto(e.B),
		Score: finite(e.Score), Probability: e.Probability,
		SameCluster: e.SameCluster, ClusterId: e.ClusterID, Decision: e.Decision,
	}
	for _, sg := range e.Signals {
		detail := sg.Detail
		if sg.Level != "" {
			detail = sg.Level + ": " + detail
		}
		resp.Signals = append(resp.Signals, &resolverv1.Signal{Name: sg.Name, Weight: finite(sg.Weight), Detail: detail})
	}
	return resp, nil
}

// finite keeps ±Inf (a decision by identifier or constraint) out of JSON,
// which cannot carry it: ±1e9 reads as "certain" and survives grpcurl.
func finite(f float64) float64 {
	switch {
	case math.IsInf(f, 1):
		return 1e9
	case math.IsInf(f, -1):
		return -1e9
	}
	return f
}

func requireBatch(id string) error {
	if id == "" {
		return status.Error(codes.InvalidArgument, "batch_id is required")
	}
	return nil
}

// coreError chooses the status of an error from the core. Anything not
// named here is a bug, hence Internal.
func coreError(err error, batchID string) error {
	switch {
	case errors.Is(err, resolver.ErrUnknownBatch):
		return status.Errorf(codes.NotFound, "batch %q has no resolved documents", batchID)
	case errors.Is(err, resolver.ErrUnknownMention):
		return status.Errorf(codes.NotFound, "%v", err)
	case errors.Is(err, resolver.ErrDifferentTypes):
		return status.Errorf(codes.InvalidArgument, "%v", err)
	default:
		return status.Errorf(codes.Internal, "resolver: %v", err)
	}
}

// entityType maps the wire enum; unspecified is allowed only as a filter
// ("all types"), and values this build does not know are rejected.
func entityType(t resolverv1.EntityType, field string, allowUnspecified bool) (resolver.EntityType, error) {
	if _, known := resolverv1.EntityType_name[int32(t)]; !known {
		return 0, status.Errorf(codes.InvalidArgument, "%s: unknown entity type %d", field, int32(t))
	}
	if t == resolverv1.EntityType_ENTITY_TYPE_UNSPECIFIED && !allowUnspecified {
		return 0, status.Errorf(codes.InvalidArgument, "%s is required", field)
	}
	// The core's numbering matches the wire's; the table test pins it.
	return resolver.EntityType(t), nil
}

func clusterToProto(c resolver.Cluster) *resolverv1.Cluster {
	out := &resolverv1.Cluster{
		ClusterId:       c.ID,
		BatchId:         c.BatchID,
		Type:            resolverv1.EntityType(c.Type),
		CanonicalName:   c.CanonicalName,
		Confidence:      c.Confidence,
		SourceDocuments: c.SourceDocuments,
		Method:          c.Method,
		MemberCount:     int32(c.MemberCount),
		Members:         make([]*resolverv1.Mention, len(c.Members)),
	}
	for i, m := range c.Members {
		out.Members[i] = mentionToProto(m)
	}
	return out
}

func mentionToProto(m resolver.Mention) *resolverv1.Mention {
	return &resolverv1.Mention{
		DocumentId: m.DocumentID,
		Locator:    m.Locator,
		Text:       m.Text,
		Type:       resolverv1.EntityType(m.Type),
		Attributes: m.Attributes,
	}
}

// Page tokens are opaque to clients: base64 of a version byte, the offset
// and a fingerprint of the query, so a token replayed against another batch
// or filter is rejected instead of silently paging something else.
const tokenVersion = 1

func fingerprint(req *resolverv1.ListClustersRequest) uint32 {
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", req.GetBatchId(), req.GetType(), req.GetMinMembers()))
	return binary.BigEndian.Uint32(h[:4])
}

func encodePageToken(offset int, fp uint32) string {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+4)
	b = append(b, tokenVersion)
	b = binary.AppendUvarint(b, uint64(offset))
	b = binary.BigEndian.AppendUint32(b, fp)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageToken(tok string, fp uint32) (int, error) {
	if tok == "" {
		return 0, nil
	}
	bad := status.Error(codes.InvalidArgument, "page_token is invalid")
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(b) < 6 || b[0] != tokenVersion {
		return 0, bad
	}
	off, n := binary.Uvarint(b[1:])
	if n <= 0 || len(b) != 1+n+4 || off > 1<<31 {
		return 0, bad
	}
	if binary.BigEndian.Uint32(b[1+n:]) != fp {
		return 0, status.Error(codes.InvalidArgument, "page_token does not belong to this query (batch_id, type and min_members must not change between pages)")
	}
	return int(off), nil
}
