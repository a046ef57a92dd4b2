package grpcapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	citationsv1 "github.com/docbatch/docbatch/proto/docbatch/citations/v1"
	"github.com/docbatch/docbatch/services/citations"
	"github.com/docbatch/docbatch/services/citations/grpcapi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

func client(t *testing.T, idx *citations.Index) citationsv1.CitationServiceClient {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	citationsv1.RegisterCitationServiceServer(srv, grpcapi.New(idx))
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	cc, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	t.Cleanup(func() { _ = cc.Close() })
	return citationsv1.NewCitationServiceClient(cc)
}

// bigIndex holds one batch of n documents, each citing two outside works,
// with long titles so the exports span several chunks.
func bigIndex(n int) *citations.Index {
	idx := citations.NewIndex()
	for i := range n {
		idx.Apply("big", citations.Contribution{
			DocumentID: fmt.Sprintf("doc-%04d", i),
			Title:      fmt.Sprintf("A rather long title of document number %d about citation networks", i),
			Year:       2000 + int32(i%20),
			References: []citations.Reference{
				{Index: 1, Title: "Common work", DOI: "10.1/common"},
				{Index: 2, Title: fmt.Sprintf("Own work %d", i), Year: 1990},
			},
		})
	}
	return idx
}

// drain reads a server stream to its end.
func drain[T any](t *testing.T, recv func() (*T, error)) ([]*T, error) {
	t.Helper()
	var out []*T
	for {
		m, err := recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
}

func TestGetNetworkPages(t *testing.T) {
	c := client(t, bigIndex(1200))
	ctx := context.Background()
	st, err := c.GetNetwork(ctx, &citationsv1.GetNetworkRequest{BatchId: "big"})
	require.NoError(t, err)
	msgs, err := drain(t, st.Recv)
	require.NoError(t, err)
	var nodes, edges []int
	seenEdge := false
	for _, m := range msgs {
		if len(m.Nodes) > 0 {
			require.False(t, seenEdge, "nodes come before edges")
			require.Empty(t, m.Edges)
			nodes = append(nodes, len(m.Nodes))
		} else {
			seenEdge = true
			edges = append(edges, len(m.Edges))
		}
	}
	// 1200 documents + 1 common work + 1200 own works; 2400 edges.
	assert.Equal(t, []int{500, 500, 500, 500, 401}, nodes)
	assert.Equal(t, []int{500, 500, 500, 500, 400}, edges)

	st, err = c.GetNetwork(ctx, &citationsv1.GetNetworkRequest{BatchId: "big", PageSize: 5000})
	require.NoError(t, err)
	msgs, err = drain(t, st.Recv)
	require.NoError(t, err)
	require.Len(t, msgs, 2)
	assert.Len(t, msgs[0].Nodes, 2401)
	assert.Len(t, msgs[1].Edges, 2400)
}

func TestExportChunks(t *testing.T) {
	idx := bigIndex(1200)
	c := client(t, idx)
	st, err := c.Export(context.Background(), &citationsv1.ExportRequest{BatchId: "big", Format: citationsv1.ExportFormat_EXPORT_FORMAT_GRAPHML})
	require.NoError(t, err)
	msgs, err := drain(t, st.Recv)
	require.NoError(t, err)
	require.Greater(t, len(msgs), 2)
	var got bytes.Buffer
	for i, m := range msgs {
		if i < len(msgs)-1 {
			assert.Len(t, m.Data, grpcapi.ChunkSize)
		}
		got.Write(m.Data)
	}
	var want bytes.Buffer
	require.NoError(t, idx.Network("big").Snapshot().Export(&want, citations.FormatGraphML))
	assert.Equal(t, want.String(), got.String())
}

// TestExportEveryFormat streams each format and compares it with the
// core's bytes.
func TestExportEveryFormat(t *testing.T) {
	idx := bigIndex(40)
	c := client(t, idx)
	for f, core := range map[citationsv1.ExportFormat]citations.Format{
		citationsv1.ExportFormat_EXPORT_FORMAT_CSV_NODES: citations.FormatCSVNodes,
		citationsv1.ExportFormat_EXPORT_FORMAT_CSV_EDGES: citations.FormatCSVEdges,
		citationsv1.ExportFormat_EXPORT_FORMAT_GRAPHML:   citations.FormatGraphML,
		citationsv1.ExportFormat_EXPORT_FORMAT_GEXF:      citations.FormatGEXF,
		citationsv1.ExportFormat_EXPORT_FORMAT_CSL_JSON:  citations.FormatCSLJSON,
		citationsv1.ExportFormat_EXPORT_FORMAT_BIBTEX:    citations.FormatBibTeX,
	} {
		t.Run(f.String(), func(t *testing.T) {
			st, err := c.Export(context.Background(), &citationsv1.ExportRequest{BatchId: "big", Format: f})
			require.NoError(t, err)
			msgs, err := drain(t, st.Recv)
			require.NoError(t, err)
			var got bytes.Buffer
			for _, m := range msgs {
				got.Write(m.Data)
			}
			var want bytes.Buffer
			require.NoError(t, idx.Network("big").Snapshot().Export(&want, core))
			assert.NotZero(t, want.Len())
			assert.Equal(t, want.String(), got.String())
		})
	}
}

func TestMetricsAndDomains(t *testing.T) {
	c := client(t, bigIndex(30))
	ctx := context.Background()
	m, err := c.GetMetrics(ctx, &citationsv1.GetMetricsRequest{BatchId: "big", Top: 3})
	require.NoError(t, err)
	assert.Equal(t, int64(30), m.Documents)
	assert.Equal(t, int64(61), m.Nodes)
	assert.Equal(t, int64(60), m.Edges)
	assert.Equal(t, int64(60), m.References)
	assert.Equal(t, int64(1), m.Components)
	require.Len(t, m.TopCited, 3)
	assert.Equal(t, "10.1/common", m.TopCited[0].Node.Doi)
	assert.Equal(t, int32(30), m.TopCited[0].Citations)
	assert.Equal(t, citationsv1.NodeKind_NODE_KIND_EXTERNAL, m.TopCited[0].Node.Kind)

	// Progress only: the documents and the sequence, no network figures.
	p, err := c.GetMetrics(ctx, &citationsv1.GetMetricsRequest{BatchId: "big", ProgressOnly: true})
	require.NoError(t, err)
	assert.Equal(t, int64(30), p.Documents)
	assert.Equal(t, m.LastAppliedSeq, p.LastAppliedSeq)
	assert.Zero(t, p.Nodes)
	assert.Empty(t, p.TopCited)
	_, err = c.GetMetrics(ctx, &citationsv1.GetMetricsRequest{BatchId: "nope", ProgressOnly: true})
	assert.Equal(t, codes.NotFound, status.Code(err))

	d, err := c.ListDomains(ctx, &citationsv1.ListDomainsRequest{BatchId: "big"})
	require.NoError(t, err)
	total := 0
	for _, dom := range d.Domains {
		total += int(dom.Size)
		assert.Len(t, dom.DocumentIds, int(dom.Size))
	}
	assert.Equal(t, 30, total)
}

func TestBadInput(t *testing.T) {
	c := client(t, bigIndex(3))
	ctx := context.Background()
	exportErr := func(req *citationsv1.ExportRequest) error {
		st, err := c.Export(ctx, req)
		if err != nil {
			return err
		}
		_, err = drain(t, st.Recv)
		return err
	}
	networkErr := func(req *citationsv1.GetNetworkRequest) error {
		st, err := c.GetNetwork(ctx, req)
		if err != nil {
			return err
		}
		_, err = drain(t, st.Recv)
		return err
	}
	metricsErr := func(req *citationsv1.GetMetricsRequest) error {
		_, err := c.GetMetrics(ctx, req)
		return err
	}
	tests := []struct {
		name string
		err  error
		code codes.Code
		msg  string
	}{
		{"network without batch", networkErr(&citationsv1.GetNetworkRequest{}), codes.InvalidArgument, "batch_id is required"},
		{"network of unknown batch", networkErr(&citationsv1.GetNetworkRequest{BatchId: "nope"}), codes.NotFound, `batch "nope" has no documents in the citation network`},
		{"page too large", networkErr(&citationsv1.GetNetworkRequest{BatchId: "big", PageSize: 5001}), codes.InvalidArgument, "page_size must be between 0 and 5000, got 5001"},
		{"negative page", networkErr(&citationsv1.GetNetworkRequest{BatchId: "big", PageSize: -1}), codes.InvalidArgument, "page_size must be between 0 and 5000, got -1"},
		{"metrics without batch", metricsErr(&citationsv1.GetMetricsRequest{}), codes.InvalidArgument, "batch_id is required"},
		{"metrics of unknown batch", metricsErr(&citationsv1.GetMetricsRequest{BatchId: "nope"}), codes.NotFound, `batch "nope" has no documents in the citation network`},
		{"negative top", metricsErr(&citationsv1.GetMetricsRequest{BatchId: "big", Top: -2}), codes.InvalidArgument, "top must be between 0 and 1000, got -2"},
		{"domains without batch", func() error { _, err := c.ListDomains(ctx, &citationsv1.ListDomainsRequest{}); return err }(), codes.InvalidArgument, "batch_id is required"},
		{"export unspecified", exportErr(&citationsv1.ExportRequest{BatchId: "big"}), codes.InvalidArgument, "format is required"},
		{"export unknown enum", exportErr(&citationsv1.ExportRequest{BatchId: "big", Format: 99}), codes.InvalidArgument, "unknown format 99"},
		{"export without batch", exportErr(&citationsv1.ExportRequest{Format: citationsv1.ExportFormat_EXPORT_FORMAT_CSV_NODES}), codes.InvalidArgument, "batch_id is required"},
		{"export of unknown batch", exportErr(&citationsv1.ExportRequest{BatchId: "nope", Format: citationsv1.ExportFormat_EXPORT_FORMAT_CSV_EDGES}), codes.NotFound, `batch "nope" has no documents in the citation network`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ok := status.FromError(tt.err)
			require.True(t, ok, "%v", tt.err)
			assert.Equal(t, tt.code, s.Code())
			assert.Equal(t, tt.msg, s.Message())
		})
	}
}
