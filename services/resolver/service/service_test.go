package service_test

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"

	processorv1 "github.com/docbatch/docbatch/proto/docbatch/processor/v1"
	resolverv1 "github.com/docbatch/docbatch/proto/docbatch/resolver/v1"
	"github.com/docbatch/docbatch/services/platform/grpcserver"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/natsbus/natstest"
	"github.com/docbatch/docbatch/services/resolver/consumer"
	"github.com/docbatch/docbatch/services/resolver/service"
)

const (
	waitFor = 10 * time.Second
	tick    = 10 * time.Millisecond
)

func startNATS(t *testing.T) *nats.Conn {
	t.Helper()
	return connect(t, natstest.Server(t))
}

func connect(t *testing.T, srv *server.Server) *nats.Conn {
	t.Helper()
	nc, err := natsbus.Dialer{Embedded: srv, Log: testLog(t)}.Connect("resolver-test")
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

func testLog(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// running is a resolver served over bufconn, optionally consuming.
type running struct {
	client resolverv1.ResolverServiceClient
	health healthpb.HealthClient
	stop   func()
}

func startService(t *testing.T, nc *nats.Conn, consume bool) *running {
	t.Helper()
	log := testLog(t)
	ctx, cancel := context.WithCancel(t.Context())
	svc, err := service.New(ctx, service.Config{Replicas: 1}, service.Deps{NATS: nc, Log: log})
	require.NoError(t, err)

	srv := grpcserver.New(log)
	svc.Register(srv.GRPC)
	srv.SetServing(svc.HealthNames()...)
	lis := bufconn.Listen(1 << 20)
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ctx, lis, time.Second) })
	if consume {
		wg.Go(func() { assert.NoError(t, svc.Run(ctx)) })
	}
	cc, err := grpc.NewClient("passthrough:///bufconn",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			_ = cc.Close()
			cancel()
			wg.Wait()
		})
	}
	t.Cleanup(stop)
	return &running{client: resolverv1.NewResolverServiceClient(cc), health: healthpb.NewHealthClient(cc), stop: stop}
}

type publisher struct {
	t  *testing.T
	js jetstream.JetStream
}

// publish sends a result the way a processor does; msgSuffix makes a
// distinct Nats-Msg-Id, as a retried assignment would, so the stream's
// dedup does not hide the duplicate from the resolver.
func (p publisher) publish(r *processorv1.DocumentResult, msgSuffix string) uint64 {
	p.t.Helper()
	data, err := proto.Marshal(r)
	require.NoError(p.t, err)
	ack, err := p.js.PublishMsg(p.t.Context(), &nats.Msg{Subject: natsbus.ResultSubject(r.GetBatchId()), Data: data, Header: nats.Header{}},
		jetstream.WithMsgID(natsbus.MsgID(r.GetBatchId(), r.GetDocumentId())+msgSuffix))
	require.NoError(p.t, err)
	return ack.Sequence
}

func publishRaw(t *testing.T, js jetstream.JetStream, subject string, data []byte) uint64 {
	t.Helper()
	ack, err := js.Publish(t.Context(), subject, data)
	require.NoError(t, err)
	return ack.Sequence
}

func result(batch, doc string, epoch uint64, authors ...*processorv1.Author) *processorv1.DocumentResult {
	return &processorv1.DocumentResult{
		BatchId: batch, DocumentId: doc, Epoch: epoch, Format: "jats",
		Metadata: &processorv1.Metadata{Authors: authors},
		References: []*processorv1.Reference{
			{Index: 1, Title: "Deep Learning", Year: 2015, Doi: "10.1038/nature14539"},
		},
	}
}

func list(t *testing.T, c resolverv1.ResolverServiceClient, req *resolverv1.ListClustersRequest) *resolverv1.ListClustersResponse {
	t.Helper()
	resp, err := c.ListClusters(t.Context(), req)
	require.NoError(t, err)
	return resp
}

func stats(ctx context.Context, c resolverv1.ResolverServiceClient, batch string) *resolverv1.GetResolverStatsResponse {
	s, err := c.GetResolverStats(ctx, &resolverv1.GetResolverStatsRequest{BatchId: batch})
	if err != nil {
		return nil
	}
	return s
}

// waitApplied waits until the resolver has applied the batch up to seq.
func waitApplied(t *testing.T, c resolverv1.ResolverServiceClient, batch string, seq uint64) {
	t.Helper()
	require.Eventually(t, func() bool {
		s := stats(t.Context(), c, batch)
		return s != nil && s.GetLastAppliedSeq() >= seq
	}, waitFor, tick, "batch %s never reached seq %d", batch, seq)
}

func TestResolverOverRealNATS(t *testing.T) {
	nc := startNATS(t)
	r1 := startService(t, nc, true)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	pub := publisher{t: t, js: js}

	h, err := r1.health.Check(t.Context(), &healthpb.HealthCheckRequest{Service: resolverv1.ResolverService_ServiceDesc.ServiceName})
	require.NoError(t, err)
	require.Equal(t, healthpb.HealthCheckResponse_SERVING, h.GetStatus())

	// Poison first: it must be acknowledged and skipped, not block the rest.
	publishRaw(t, js, natsbus.ResultSubject("b1"), []byte("not a protobuf \xff\xff"))
	pub.publish(result("b1", "doc-1", 2,
		&processorv1.Author{FullName: "Christopher Smith", Given: "Christopher", Family: "Smith", Affiliation: "The Univ. of Oxford"},
		&processorv1.Author{FullName: "Jane Doe", Orcid: "0000-0002-1825-0097"},
	), "")
	pub.publish(result("b1", "doc-2", 1,
		&processorv1.Author{FullName: "C. J. Smith", Affiliation: "University of Oxford"},
		&processorv1.Author{FullName: "Jane Roe", Orcid: "https://orcid.org/0000-0002-1825-0097"},
	), "")
	seq := pub.publish(&processorv1.DocumentResult{BatchId: "b1", DocumentId: "doc-3", Epoch: 1,
		Error: &processorv1.DocumentError{Class: "permanent", Message: "malformed PDF"}}, "")
	waitApplied(t, r1.client, "b1", seq)

	st := stats(t.Context(), r1.client, "b1")
	require.EqualValues(t, 3, st.GetDocuments(), "the failed document counts")
	all := list(t, r1.client, &resolverv1.ListClustersRequest{BatchId: "b1"})
	require.EqualValues(t, 4, all.GetTotal(), "Smith, Doe/Roe, Oxford, Deep Learning")
	require.Len(t, all.GetClusters(), 4)
	for _, c := range all.GetClusters() {
		require.EqualValues(t, 2, c.GetMemberCount(), "cluster %s (%s)", c.GetCanonicalName(), c.GetMethod())
		require.Equal(t, []string{"doc-1", "doc-2"}, c.GetSourceDocuments())
	}
	people := list(t, r1.client, &resolverv1.ListClustersRequest{BatchId: "b1", Type: resolverv1.EntityType_ENTITY_TYPE_PERSON})
	require.Len(t, people.GetClusters(), 2)
	got, err := r1.client.GetCluster(t.Context(), &resolverv1.GetClusterRequest{BatchId: "b1", ClusterId: people.GetClusters()[0].GetClusterId()})
	require.NoError(t, err)
	require.True(t, proto.Equal(people.GetClusters()[0], got.GetCluster()))

	// The same (batch, document) again under a new message id: replaced, not added.
	seq = pub.publish(result("b1", "doc-2", 1,
		&processorv1.Author{FullName: "C. J. Smith", Affiliation: "University of Oxford"},
		&processorv1.Author{FullName: "Jane Roe", Orcid: "https://orcid.org/0000-0002-1825-0097"},
	), "/retry-1")
	// A stale result (earlier epoch) for doc-1 arriving late: ignored.
	seq2 := pub.publish(result("b1", "doc-1", 1, &processorv1.Author{FullName: "Somebody Else"}), "/stale")
	require.Greater(t, seq2, seq)
	waitApplied(t, r1.client, "b1", seq2)
	again := list(t, r1.client, &resolverv1.ListClustersRequest{BatchId: "b1"})
	require.True(t, proto.Equal(all, again), "re-applied and stale results changed the clusters:\n%v\n%v", all, again)
	st2 := stats(t.Context(), r1.client, "b1")
	require.Equal(t, st.GetMentions(), st2.GetMentions())
	require.Equal(t, seq2, st2.GetLastAppliedSeq())
	// Progress only: the same documents and sequence, without resolving.
	prog, err := r1.client.GetResolverStats(t.Context(), &resolverv1.GetResolverStatsRequest{BatchId: "b1", ProgressOnly: true})
	require.NoError(t, err)
	require.Equal(t, st2.GetDocuments(), prog.GetDocuments())
	require.Equal(t, seq2, prog.GetLastAppliedSeq())
	require.Zero(t, prog.GetMentions())
	require.Zero(t, prog.GetClusters())

	// Everything, the poison message included, has been acknowledged.
	cons, err := js.Consumer(t.Context(), natsbus.ResultsStream, consumer.Durable)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		info, err := cons.Info(t.Context())
		return err == nil && info.NumPending == 0 && info.NumAckPending == 0
	}, waitFor, tick)

	// A new resolver on the same NATS serves the same clusters from the
	// bucket alone, before consuming anything.
	r1.stop()
	r2 := startService(t, nc, false)
	restarted := list(t, r2.client, &resolverv1.ListClustersRequest{BatchId: "b1"})
	require.True(t, proto.Equal(all, restarted), "restarted resolver differs:\n%v\n%v", all, restarted)
	require.True(t, proto.Equal(st2, stats(t.Context(), r2.client, "b1")))
}

func TestBadInput(t *testing.T) {
	nc := startNATS(t)
	r := startService(t, nc, true)
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	seq := publisher{t: t, js: js}.publish(result("b1", "doc-1", 1, &processorv1.Author{FullName: "Ada Lovelace"}), "")
	waitApplied(t, r.client, "b1", seq)
	c := r.client
	ctx := t.Context()

	tooMany := make([]*resolverv1.Mention, 10001)
	for i := range tooMany {
		tooMany[i] = &resolverv1.Mention{Text: "x", Type: resolverv1.EntityType_ENTITY_TYPE_PERSON}
	}
	first := list(t, c, &resolverv1.ListClustersRequest{BatchId: "b1", PageSize: 1})
	require.NotEmpty(t, first.GetNextPageToken())

	tests := []struct {
		name string
		call func() error
		code codes.Code
		msg  string
	}{
		{"list without batch", func() error { _, err := c.ListClusters(ctx, &resolverv1.ListClustersRequest{}); return err }, codes.InvalidArgument, "batch_id is required"},
		{"get without batch", func() error { _, err := c.GetCluster(ctx, &resolverv1.GetClusterRequest{ClusterId: "p-1"}); return err }, codes.InvalidArgument, "batch_id is required"},
		{"resolve without batch", func() error { _, err := c.ResolveMentions(ctx, &resolverv1.ResolveMentionsRequest{}); return err }, codes.InvalidArgument, "batch_id is required"},
		{"stats without batch", func() error { _, err := c.GetResolverStats(ctx, &resolverv1.GetResolverStatsRequest{}); return err }, codes.InvalidArgument, "batch_id is required"},
		{"unknown batch", func() error {
			_, err := c.ListClusters(ctx, &resolverv1.ListClustersRequest{BatchId: "nope"})
			return err
		}, codes.NotFound, `batch "nope" has no resolved documents`},
		{"unknown batch stats", func() error {
			_, err := c.GetResolverStats(ctx, &resolverv1.GetResolverStatsRequest{BatchId: "nope"})
			return err
		}, codes.NotFound, `batch "nope" has no resolved documents`},
		{"unknown cluster", func() error {
			_, err := c.GetCluster(ctx, &resolverv1.GetClusterRequest{BatchId: "b1", ClusterId: "p-0"})
			return err
		}, codes.NotFound, `cluster "p-0" not found in batch "b1"`},
		{"get without cluster id", func() error { _, err := c.GetCluster(ctx, &resolverv1.GetClusterRequest{BatchId: "b1"}); return err }, codes.InvalidArgument, "cluster_id is required"},
		{"page too large", func() error {
			_, err := c.ListClusters(ctx, &resolverv1.ListClustersRequest{BatchId: "b1", PageSize: 1001})
			return err
		}, codes.InvalidArgument, "page_size must be at most 1000"},
		{"negative page size", func() error {
			_, err := c.ListClusters(ctx, &resolverv1.ListClustersRequest{BatchId: "b1", PageSize: -1})
			return err
		}, codes.InvalidArgument, "page_size must not be negative"},
		{"garbage page token", func() error {
			_, err := c.ListClusters(ctx, &resolverv1.ListClustersRequest{BatchId: "b1", PageToken: "%%%"})
			return err
		}, codes.InvalidArgument, "page_token is invalid"},
		{"page token of another query", func() error {
			_, err := c.ListClusters(ctx, &resolverv1.ListClustersRequest{BatchId: "b1", PageToken: first.GetNextPageToken(), MinMembers: 2})
			return err
		}, codes.InvalidArgument, "page_token does not belong to this query"},
		{"unknown type", func() error {
			_, err := c.ListClusters(ctx, &resolverv1.ListClustersRequest{BatchId: "b1", Type: 42})
			return err
		}, codes.InvalidArgument, "type: unknown entity type 42"},
		{"too many mentions", func() error {
			_, err := c.ResolveMentions(ctx, &resolverv1.ResolveMentionsRequest{BatchId: "b1", Mentions: tooMany})
			return err
		}, codes.ResourceExhausted, "at most 10000"},
		{"explain without locator", func() error {
			_, err := c.ExplainPair(ctx, &resolverv1.ExplainPairRequest{BatchId: "b1", A: &resolverv1.MentionRef{DocumentId: "doc-1"}, B: &resolverv1.MentionRef{DocumentId: "doc-1", Locator: "author[0]"}})
			return err
		}, codes.InvalidArgument, "a.document_id and a.locator are required"},
		{"explain an unknown mention", func() error {
			_, err := c.ExplainPair(ctx, &resolverv1.ExplainPairRequest{BatchId: "b1", A: &resolverv1.MentionRef{DocumentId: "doc-1", Locator: "author[7]"}, B: &resolverv1.MentionRef{DocumentId: "doc-1", Locator: "author[0]"}})
			return err
		}, codes.NotFound, "unknown mention"},
		{"mention without type", func() error {
			_, err := c.ResolveMentions(ctx, &resolverv1.ResolveMentionsRequest{BatchId: "b1", Mentions: []*resolverv1.Mention{{Text: "x"}}})
			return err
		}, codes.InvalidArgument, "mentions[0].type is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			require.Equal(t, tc.code, status.Code(err), "%v", err)
			require.Contains(t, status.Convert(err).Message(), tc.msg)
		})
	}

	// The token of the first page continues where it stopped.
	second := list(t, c, &resolverv1.ListClustersRequest{BatchId: "b1", PageSize: 1, PageToken: first.GetNextPageToken()})
	require.Len(t, second.GetClusters(), 1)
	require.NotEqual(t, first.GetClusters()[0].GetClusterId(), second.GetClusters()[0].GetClusterId())

	res, err := c.ResolveMentions(ctx, &resolverv1.ResolveMentionsRequest{BatchId: "b1", Mentions: []*resolverv1.Mention{
		{Text: "Lovelace, Ada", Type: resolverv1.EntityType_ENTITY_TYPE_PERSON},
		{Text: "Grace Hopper", Type: resolverv1.EntityType_ENTITY_TYPE_PERSON},
	}})
	require.NoError(t, err)
	require.Equal(t, "Ada Lovelace", res.GetResolutions()[0].GetCanonicalName())
	require.Greater(t, res.GetResolutions()[0].GetScore(), 0.5)
	require.Empty(t, res.GetResolutions()[1].GetClusterId())
}
