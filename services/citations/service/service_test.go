package service_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	citationsv1 "github.com/docbatch/docbatch/proto/docbatch/citations/v1"
	processorv1 "github.com/docbatch/docbatch/proto/docbatch/processor/v1"
	"github.com/docbatch/docbatch/services/citations/service"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/platform/natsbus/natstest"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
)

// instance is one running citations service with a gRPC client on it.
type instance struct {
	svc    *service.Service
	client citationsv1.CitationServiceClient
	stop   func()
}

// start builds a service on its own NATS connection, serves it over bufconn
// and, when run is set, consumes results until stop.
func start(t *testing.T, srv *natsbus.Dialer, run bool) *instance {
	t.Helper()
	nc, err := srv.Connect("citations-test")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := service.New(ctx, service.Config{Replicas: 1}, service.Deps{NATS: nc, Log: log})
	require.NoError(t, err)

	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer()
	svc.Register(gs)
	go func() { _ = gs.Serve(lis) }()
	cc, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)

	done := make(chan error, 1)
	if run {
		go func() { done <- svc.Run(ctx) }()
	} else {
		done <- nil
	}
	inst := &instance{svc: svc, client: citationsv1.NewCitationServiceClient(cc)}
	stopped := false
	inst.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		require.NoError(t, <-done)
		_ = cc.Close()
		gs.Stop()
		nc.Close()
	}
	t.Cleanup(inst.stop)
	return inst
}

func result(batch, doc, title, doi string, year int32, refs ...*processorv1.Reference) *processorv1.DocumentResult {
	return &processorv1.DocumentResult{
		BatchId: batch, DocumentId: doc, Epoch: 1,
		Metadata:   &processorv1.Metadata{Title: title, Doi: doi, Year: year, Keywords: []string{"citations"}},
		References: refs,
	}
}

func publish(t *testing.T, ctx context.Context, js jetstream.JetStream, r *processorv1.DocumentResult, msgID string) uint64 {
	t.Helper()
	data, err := proto.Marshal(r)
	require.NoError(t, err)
	return publishRaw(t, ctx, js, r.BatchId, data, msgID)
}

func publishRaw(t *testing.T, ctx context.Context, js jetstream.JetStream, batch string, data []byte, msgID string) uint64 {
	t.Helper()
	msg := &nats.Msg{Subject: natsbus.ResultSubject(batch), Data: data, Header: nats.Header{}}
	natsbus.InjectTrace(ctx, msg.Header)
	ack, err := js.PublishMsg(ctx, msg, jetstream.WithMsgID(msgID))
	require.NoError(t, err)
	return ack.Sequence
}

func metrics(t *testing.T, c citationsv1.CitationServiceClient, batch string) *citationsv1.GetMetricsResponse {
	t.Helper()
	m, err := c.GetMetrics(context.Background(), &citationsv1.GetMetricsRequest{BatchId: batch})
	if status.Code(err) == codes.NotFound {
		return &citationsv1.GetMetricsResponse{}
	}
	require.NoError(t, err)
	return m
}

func export(t *testing.T, c citationsv1.CitationServiceClient, batch string, f citationsv1.ExportFormat) []byte {
	t.Helper()
	st, err := c.Export(context.Background(), &citationsv1.ExportRequest{BatchId: batch, Format: f})
	require.NoError(t, err)
	var buf bytes.Buffer
	for {
		m, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return buf.Bytes()
		}
		require.NoError(t, err)
		buf.Write(m.Data)
	}
}

func network(t *testing.T, c citationsv1.CitationServiceClient, batch string) (nodes []*citationsv1.Node, edges []*citationsv1.Edge) {
	t.Helper()
	st, err := c.GetNetwork(context.Background(), &citationsv1.GetNetworkRequest{BatchId: batch, PageSize: 2})
	require.NoError(t, err)
	for {
		m, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return nodes, edges
		}
		require.NoError(t, err)
		nodes = append(nodes, m.Nodes...)
		edges = append(edges, m.Edges...)
	}
}

func TestServiceOverJetStream(t *testing.T) {
	// Spans go to a recorder so the test can check they continue the
	// publisher's trace. This sets process-wide otel state, so the test is
	// not parallel.
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })

	dialer := &natsbus.Dialer{Embedded: natstest.Server(t)}

	a := start(t, dialer, true)

	pc, err := dialer.Connect("publisher")
	require.NoError(t, err)
	t.Cleanup(pc.Close)
	js, err := jetstream.New(pc)
	require.NoError(t, err)
	ctx, parent := tp.Tracer("test").Start(context.Background(), "publish")
	parent.End()

	const batch = "b1"
	docs := []*processorv1.DocumentResult{
		result(batch, "papers/a.pdf", "Alpha: a study of citation graphs", "10.1/alpha", 2020,
			&processorv1.Reference{Index: 1, Title: "Shared classic", Doi: "10.9/classic"}),
		result(batch, "papers/b.pdf", "Beta", "", 2021,
			&processorv1.Reference{Index: 1, Doi: "https://doi.org/10.1/ALPHA"},
			&processorv1.Reference{Index: 2, Title: "Shared classic", Doi: "10.9/classic"}),
		result(batch, "papers/c.pdf", "Gamma", "", 2021,
			&processorv1.Reference{Index: 1, Title: "alpha a study of citation graphs", Year: 2020}),
	}
	failed := &processorv1.DocumentResult{BatchId: batch, DocumentId: "papers/broken.pdf", Epoch: 1,
		Error: &processorv1.DocumentError{Class: "permanent", Message: "not a PDF"}}
	docs = append(docs, failed)
	var last uint64
	for _, d := range docs {
		last = publish(t, ctx, js, d, natsbus.MsgID(d.BatchId, d.DocumentId))
	}
	// A malformed message is dropped without blocking what follows.
	publishRaw(t, ctx, js, batch, []byte("\xff\xff not protobuf"), "garbage")

	require.Eventually(t, func() bool {
		return metrics(t, a.client, batch).LastAppliedSeq == last
	}, 10*time.Second, 10*time.Millisecond)
	m := metrics(t, a.client, batch)
	assert.Equal(t, int64(4), m.Documents)
	assert.Equal(t, int64(5), m.Nodes) // 4 documents + the classic
	assert.Equal(t, int64(4), m.Edges)
	assert.Equal(t, int64(2), m.InternalEdges)
	assert.Equal(t, int64(4), m.References)
	assert.Equal(t, int64(2), m.Components) // the broken document stands alone
	require.NotEmpty(t, m.TopCited)
	assert.Equal(t, int32(2), m.TopCited[0].Citations)
	nodes, edges := network(t, a.client, batch)
	assert.Len(t, nodes, 5)
	assert.Len(t, edges, 4)

	// The same (batch, document) again under another message id (a retry
	// past the dedup window, a re-run) replaces, never adds.
	again := publish(t, ctx, js, docs[1], natsbus.MsgID(batch, docs[1].DocumentId)+"-retry")
	require.Greater(t, again, last)
	require.Eventually(t, func() bool {
		return metrics(t, a.client, batch).LastAppliedSeq == again
	}, 10*time.Second, 10*time.Millisecond)
	m2 := metrics(t, a.client, batch)
	m.LastAppliedSeq = again
	assert.True(t, proto.Equal(m, m2), "re-applied document changed the metrics:\n%v\n%v", m, m2)

	// Every handled message has a span continuing the publisher's trace. The
	// span ends just after the index is updated, hence Eventually.
	require.Eventually(t, func() bool {
		var applied int
		for _, s := range rec.Ended() {
			if s.Name() == "citations.apply_result" {
				applied++
			}
		}
		return applied == 6 // 4 documents, the garbage, the retry
	}, 10*time.Second, 10*time.Millisecond)
	for _, s := range rec.Ended() {
		if s.Name() == "citations.apply_result" {
			assert.Equal(t, parent.SpanContext().TraceID(), s.Parent().TraceID())
			assert.Equal(t, parent.SpanContext().SpanID(), s.Parent().SpanID())
		}
	}

	exports := map[citationsv1.ExportFormat][]byte{}
	for _, f := range []citationsv1.ExportFormat{citationsv1.ExportFormat_EXPORT_FORMAT_CSV_NODES, citationsv1.ExportFormat_EXPORT_FORMAT_CSV_EDGES, citationsv1.ExportFormat_EXPORT_FORMAT_GRAPHML} {
		exports[f] = export(t, a.client, batch, f)
	}
	domains, err := a.client.ListDomains(context.Background(), &citationsv1.ListDomainsRequest{BatchId: batch})
	require.NoError(t, err)
	a.stop()

	// A restarted service serves the same network from the bucket alone,
	// before it consumes anything.
	b := start(t, dialer, false)
	assert.True(t, proto.Equal(m2, metrics(t, b.client, batch)), "restarted service differs")
	for f, want := range exports {
		assert.Equal(t, string(want), string(export(t, b.client, batch, f)), "export %s after restart", f)
	}
	domains2, err := b.client.ListDomains(context.Background(), &citationsv1.ListDomainsRequest{BatchId: batch})
	require.NoError(t, err)
	assert.True(t, proto.Equal(domains, domains2))
	b.stop()

	// Consuming resumes where the durable consumer left off: nothing is
	// applied twice and new results arrive.
	c := start(t, dialer, true)
	late := publish(t, ctx, js, result(batch, "papers/d.pdf", "Delta", "", 2022,
		&processorv1.Reference{Index: 1, Doi: "10.9/classic"}), natsbus.MsgID(batch, "papers/d.pdf"))
	require.Eventually(t, func() bool {
		return metrics(t, c.client, batch).LastAppliedSeq == late
	}, 10*time.Second, 10*time.Millisecond)
	m3 := metrics(t, c.client, batch)
	assert.Equal(t, int64(5), m3.Documents)
	assert.Equal(t, int64(5), m3.References)
	assert.Equal(t, int32(3), m3.TopCited[0].Citations)
	assert.Equal(t, 5, c.svc.Core().Network(batch).Snapshot().Documents(), "in-process readers see the same core")
}
