package service_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	citationsv1 "github.com/docbatch/docbatch/proto/docbatch/citations/v1"
	processorv1 "github.com/docbatch/docbatch/proto/docbatch/processor/v1"
	resolverv1 "github.com/docbatch/docbatch/proto/docbatch/resolver/v1"
	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/citations/service"
	"github.com/docbatch/docbatch/services/platform/natsbus/natstest"
)

// schedulerStub answers GetBatch for the batches it holds, NotFound for others.
type schedulerStub struct {
	schedulerv1.UnimplementedSchedulerServiceServer
	batches map[string]*schedulerv1.Batch
}

func (s *schedulerStub) GetBatch(_ context.Context, req *schedulerv1.GetBatchRequest) (*schedulerv1.GetBatchResponse, error) {
	b, ok := s.batches[req.GetBatchId()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "batch %q not found", req.GetBatchId())
	}
	return &schedulerv1.GetBatchResponse{Batch: b}, nil
}

// resolverStub pages its clusters one per response, like a resolver whose
// byte cap ends pages early, so the report has to follow page tokens.
type resolverStub struct {
	resolverv1.UnimplementedResolverServiceServer
	batch    string
	clusters []*resolverv1.Cluster // in the resolver's order: type, size descending, id
}

func (s *resolverStub) ListClusters(_ context.Context, req *resolverv1.ListClustersRequest) (*resolverv1.ListClustersResponse, error) {
	if req.GetBatchId() != s.batch {
		return nil, status.Errorf(codes.NotFound, "batch %q has no resolved documents", req.GetBatchId())
	}
	var of []*resolverv1.Cluster
	for _, c := range s.clusters {
		if c.Type == req.GetType() {
			of = append(of, c)
		}
	}
	off := 0
	if req.GetPageToken() != "" {
		off, _ = strconv.Atoi(req.GetPageToken())
	}
	resp := &resolverv1.ListClustersResponse{Total: int64(len(of))}
	if off < len(of) {
		resp.Clusters = of[off : off+1]
		if off+1 < len(of) {
			resp.NextPageToken = strconv.Itoa(off + 1)
		}
	}
	return resp, nil
}

// serveLoopback serves register's services on a loopback port and returns
// a client connection to it.
func serveLoopback(t *testing.T, register func(*grpc.Server)) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer()
	register(srv)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return dialLoopback(t, lis.Addr().String())
}

func dialLoopback(t *testing.T, addr string) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// reportService starts a consuming citations service on an embedded NATS
// server with the given peers and returns a client of it and a publisher.
func reportService(t *testing.T, deps service.Deps) (citationsv1.CitationServiceClient, func(*processorv1.DocumentResult) uint64) {
	t.Helper()
	ns := natstest.Server(t)
	nc, _ := natstest.Connect(t, ns, "citations")
	_, pubJS := natstest.Connect(t, ns, "publisher")
	deps.NATS, deps.Log = nc, slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := service.New(ctx, service.Config{Replicas: 1}, deps)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	cc := serveLoopback(t, func(s *grpc.Server) { svc.Register(s) })
	pub := func(r *processorv1.DocumentResult) uint64 {
		return publish(t, context.Background(), pubJS, r, r.BatchId+"/"+r.DocumentId)
	}
	return citationsv1.NewCitationServiceClient(cc), pub
}

// reportBatch publishes a four-document batch: three extracted (two
// formats), one failed for good; b and c cite a, everyone cites one
// outside work.
func reportBatch(pub func(*processorv1.DocumentResult) uint64) uint64 {
	outside := &processorv1.Reference{Title: "The outside classic", Doi: "10.9/x"}
	toA := &processorv1.Reference{Title: "Paper A about graphs", Doi: "10.1/a"}
	doc := func(id, format, title, doi string, refs ...*processorv1.Reference) *processorv1.DocumentResult {
		r := result("rb", id, title, doi, 2021, refs...)
		r.Format = format
		r.Metadata.Authors = []*processorv1.Author{{FullName: "Ann Lee", Affiliation: "MIT"}}
		return r
	}
	var last uint64
	for _, r := range []*processorv1.DocumentResult{
		doc("a", "jats", "Paper A about graphs", "10.1/a", outside),
		doc("b", "jats", "Paper B about graphs", "10.1/b", toA, outside),
		doc("c", "html", "Paper C about graphs", "10.1/c", toA, outside),
		{BatchId: "rb", DocumentId: "d", Epoch: 1, Error: &processorv1.DocumentError{Class: "permanent", Message: "not a PDF"}},
	} {
		last = pub(r)
	}
	return last
}

func waitReport(t *testing.T, c citationsv1.CitationServiceClient, lastSeq uint64) *citationsv1.BatchReport {
	t.Helper()
	var rep *citationsv1.BatchReport
	require.Eventually(t, func() bool {
		r, err := c.GetBatchReport(context.Background(), &citationsv1.GetBatchReportRequest{BatchId: "rb", TopN: 2})
		if err != nil {
			return false
		}
		rep = r.Report
		return rep.LastAppliedSeq >= lastSeq
	}, 10*time.Second, 20*time.Millisecond)
	return rep
}

func TestGetBatchReportWithPeers(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sched := serveLoopback(t, func(s *grpc.Server) {
		schedulerv1.RegisterSchedulerServiceServer(s, &schedulerStub{batches: map[string]*schedulerv1.Batch{
			"rb": {BatchId: "rb", State: schedulerv1.BatchState_BATCH_STATE_COMPLETED_WITH_ERRORS, CreatedAt: timestamppb.New(created),
				Counts: &schedulerv1.BatchCounts{Total: 4, Done: 3, Failed: 1}},
			"empty": {BatchId: "empty", State: schedulerv1.BatchState_BATCH_STATE_RUNNING, Counts: &schedulerv1.BatchCounts{Total: 2, Pending: 2}},
		}})
	})
	person := resolverv1.EntityType_ENTITY_TYPE_PERSON
	work := resolverv1.EntityType_ENTITY_TYPE_WORK
	res := serveLoopback(t, func(s *grpc.Server) {
		resolverv1.RegisterResolverServiceServer(s, &resolverStub{batch: "rb", clusters: []*resolverv1.Cluster{
			{ClusterId: "p1", Type: person, CanonicalName: "Ann Lee", MemberCount: 3, SourceDocuments: []string{"a", "b", "c"}},
			{ClusterId: "w1", Type: work, CanonicalName: "The outside classic", MemberCount: 3, SourceDocuments: []string{"a", "b", "c"}},
			{ClusterId: "w2", Type: work, CanonicalName: "Paper A about graphs", MemberCount: 2, SourceDocuments: []string{"b", "c"}},
			{ClusterId: "w3", Type: work, CanonicalName: "Something else", MemberCount: 1, SourceDocuments: []string{"c"}},
		}})
	})
	c, pub := reportService(t, service.Deps{Scheduler: sched, Resolver: res})
	rep := waitReport(t, c, reportBatch(pub))

	assert.Empty(t, rep.SchedulerError)
	assert.Empty(t, rep.ResolverError)
	require.NotNil(t, rep.Documents)
	assert.Equal(t, "completed_with_errors", rep.Documents.State)
	assert.Equal(t, int64(4), rep.Documents.Total)
	assert.Equal(t, int64(3), rep.Documents.Done)
	assert.Equal(t, int64(1), rep.Documents.Failed)
	assert.True(t, rep.Documents.CreatedAt.AsTime().Equal(created))

	x := rep.Extraction
	assert.Equal(t, int64(4), x.Documents)
	assert.Equal(t, map[string]int64{"jats": 2, "html": 1}, x.Formats)
	assert.Equal(t, map[string]int64{"permanent": 1}, x.Errors)
	assert.Equal(t, int64(5), x.References)
	assert.Equal(t, int64(2), x.ReferencesToBatch)
	assert.Equal(t, int64(3), x.ReferencesToOutside)
	assert.Equal(t, map[string]int64{"person": 3, "organization": 3, "work": 5}, x.Mentions)

	require.Len(t, rep.TopCitedInBatch, 1)
	assert.Equal(t, "a", rep.TopCitedInBatch[0].Node.DocumentId)
	assert.Equal(t, int32(2), rep.TopCitedInBatch[0].Citations)
	require.Len(t, rep.TopCitedOutside, 1)
	assert.Equal(t, "10.9/x", rep.TopCitedOutside[0].Node.Doi)
	assert.Equal(t, int32(3), rep.TopCitedOutside[0].Citations)
	assert.Equal(t, int64(4), rep.Network.Documents)
	assert.NotEmpty(t, rep.Domains)
	assert.LessOrEqual(t, len(rep.Domains), 2, "top_n bounds the domains")

	// Types with no cluster are left out; top_n cuts each type's list even
	// though the resolver pages one cluster at a time.
	require.Len(t, rep.Entities, 2)
	assert.Equal(t, "person", rep.Entities[0].Type)
	assert.Equal(t, int64(1), rep.Entities[0].Clusters)
	assert.Equal(t, "work", rep.Entities[1].Type)
	assert.Equal(t, int64(3), rep.Entities[1].Clusters)
	require.Len(t, rep.Entities[1].Top, 2)
	assert.Equal(t, &citationsv1.Entity{ClusterId: "w1", CanonicalName: "The outside classic", MemberCount: 3, DocumentCount: 3}, rep.Entities[1].Top[0])
	assert.Equal(t, "w2", rep.Entities[1].Top[1].ClusterId)

	// A batch the scheduler knows but that has no result yet: counts only.
	r, err := c.GetBatchReport(context.Background(), &citationsv1.GetBatchReportRequest{BatchId: "empty"})
	require.NoError(t, err)
	assert.Equal(t, "running", r.Report.Documents.State)
	assert.Zero(t, r.Report.Extraction.Documents)
	assert.Empty(t, r.Report.Entities, "the resolver has nothing for it: not an error")
	assert.Empty(t, r.Report.ResolverError)
}

func TestGetBatchReportStatuses(t *testing.T) {
	sched := serveLoopback(t, func(s *grpc.Server) {
		schedulerv1.RegisterSchedulerServiceServer(s, &schedulerStub{})
	})
	c, pub := reportService(t, service.Deps{Scheduler: sched})
	waitReport(t, c, reportBatch(pub))
	ctx := context.Background()
	for _, tt := range []struct {
		req  *citationsv1.GetBatchReportRequest
		code codes.Code
	}{
		{&citationsv1.GetBatchReportRequest{}, codes.InvalidArgument},
		{&citationsv1.GetBatchReportRequest{BatchId: "rb", TopN: -1}, codes.InvalidArgument},
		{&citationsv1.GetBatchReportRequest{BatchId: "rb", TopN: 1001}, codes.InvalidArgument},
		{&citationsv1.GetBatchReportRequest{BatchId: "no-such-batch"}, codes.NotFound},
		{&citationsv1.GetBatchReportRequest{BatchId: "rb", TopN: 1000}, codes.OK},
	} {
		_, err := c.GetBatchReport(ctx, tt.req)
		assert.Equal(t, tt.code, status.Code(err), "%v: %v", tt.req, err)
	}
	// The scheduler lost the batch, but this service holds its results.
	r, err := c.GetBatchReport(ctx, &citationsv1.GetBatchReportRequest{BatchId: "rb"})
	require.NoError(t, err)
	assert.Nil(t, r.Report.Documents)
	assert.Contains(t, r.Report.SchedulerError, "does not know")
	assert.Equal(t, "resolver not configured", r.Report.ResolverError)
}

// With the resolver and the scheduler down, the report still carries what
// this service knows and names both failures; an unknown batch is then
// Unavailable (nobody can say it does not exist), not NotFound.
func TestGetBatchReportPeersDown(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	down := lis.Addr().String()
	require.NoError(t, lis.Close()) // connections to it are refused
	c, pub := reportService(t, service.Deps{Scheduler: dialLoopback(t, down), Resolver: dialLoopback(t, down)})
	rep := waitReport(t, c, reportBatch(pub))
	assert.Nil(t, rep.Documents)
	assert.Contains(t, rep.SchedulerError, "Unavailable")
	assert.Empty(t, rep.Entities)
	assert.Contains(t, rep.ResolverError, "Unavailable")
	assert.Equal(t, int64(4), rep.Extraction.Documents)
	assert.Len(t, rep.TopCitedOutside, 1)

	_, err = c.GetBatchReport(context.Background(), &citationsv1.GetBatchReportRequest{BatchId: "no-such-batch"})
	assert.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
}
