// Package grpcapi adapts the citation core to docbatch.citations.v1
// CitationService: it validates requests, chooses the status codes, converts
// core values to protobuf, and pages and chunks the streams.
package grpcapi

import (
	"context"
	"errors"

	citationsv1 "github.com/docbatch/docbatch/proto/docbatch/citations/v1"
	"github.com/docbatch/docbatch/services/citations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Limits of the API.
const (
	DefaultPageSize = 500
	MaxPageSize     = 5000
	DefaultTop      = 10
	MaxTop          = 1000
	// ChunkSize is the size of every Export message but the last.
	ChunkSize = 64 << 10
)

// Server implements citationsv1.CitationServiceServer over a core index.
type Server struct {
	citationsv1.UnimplementedCitationServiceServer
	idx      *citations.Index
	reporter *citations.Reporter
}

var _ citationsv1.CitationServiceServer = (*Server)(nil)

// New returns a server reading idx, whose batch reports name the scheduler
// and the resolver as not configured.
func New(idx *citations.Index) *Server {
	return NewWithReporter(&citations.Reporter{Index: idx})
}

// NewWithReporter returns a server reading r.Index, whose batch reports
// ask r's peers.
func NewWithReporter(r *citations.Reporter) *Server { return &Server{idx: r.Index, reporter: r} }

// network finds the batch's network or returns the status to send.
func (s *Server) network(batch string) (*citations.Network, error) {
	if batch == "" {
		return nil, status.Error(codes.InvalidArgument, "batch_id is required")
	}
	n := s.idx.Network(batch)
	if n == nil {
		return nil, status.Errorf(codes.NotFound, "batch %q has no documents in the citation network", batch)
	}
	return n, nil
}

// GetNetwork streams the nodes, then the edges, page_size per message.
func (s *Server) GetNetwork(req *citationsv1.GetNetworkRequest, stream grpc.ServerStreamingServer[citationsv1.GetNetworkResponse]) error {
	size := int(req.GetPageSize())
	switch {
	case size == 0:
		size = DefaultPageSize
	case size < 0 || size > MaxPageSize:
		return status.Errorf(codes.InvalidArgument, "page_size must be between 0 and %d, got %d", MaxPageSize, size)
	}
	n, err := s.network(req.GetBatchId())
	if err != nil {
		return err
	}
	g := n.Snapshot()
	for i := 0; i < len(g.Nodes); i += size {
		page := g.Nodes[i:min(i+size, len(g.Nodes))]
		msg := &citationsv1.GetNetworkResponse{Nodes: make([]*citationsv1.Node, len(page))}
		for j := range page {
			msg.Nodes[j] = NodeProto(&page[j])
		}
		if err := stream.Send(msg); err != nil {
			return err
		}
	}
	for i := 0; i < len(g.Edges); i += size {
		page := g.Edges[i:min(i+size, len(g.Edges))]
		msg := &citationsv1.GetNetworkResponse{Edges: make([]*citationsv1.Edge, len(page))}
		for j, e := range page {
			msg.Edges[j] = &citationsv1.Edge{
				Source: e.Source, Target: e.Target, CitingDocument: e.CitingDocument,
				ReferenceIndex: e.ReferenceIndex, Match: e.Match,
			}
		}
		if err := stream.Send(msg); err != nil {
			return err
		}
	}
	return nil
}

// NodeProto converts a core node.
func NodeProto(n *citations.Node) *citationsv1.Node {
	kind := citationsv1.NodeKind_NODE_KIND_EXTERNAL
	if n.Kind == citations.KindDocument {
		kind = citationsv1.NodeKind_NODE_KIND_DOCUMENT
	}
	return &citationsv1.Node{
		NodeId: n.ID, Kind: kind, Title: n.Title, Doi: n.DOI, Year: n.Year,
		Authors: n.Authors, Venue: n.Venue, DocumentId: n.DocumentID,
		InDegree: int32(n.InDegree), OutDegree: int32(n.OutDegree),
	}
}

// GetMetrics returns the batch's metrics.
func (s *Server) GetMetrics(_ context.Context, req *citationsv1.GetMetricsRequest) (*citationsv1.GetMetricsResponse, error) {
	top := int(req.GetTop())
	switch {
	case top == 0:
		top = DefaultTop
	case top < 0 || top > MaxTop:
		return nil, status.Errorf(codes.InvalidArgument, "top must be between 0 and %d, got %d", MaxTop, top)
	}
	n, err := s.network(req.GetBatchId())
	if err != nil {
		return nil, err
	}
	if req.GetProgressOnly() {
		return &citationsv1.GetMetricsResponse{Documents: n.Documents(), LastAppliedSeq: n.LastSeq()}, nil
	}
	m := n.Snapshot().Metrics(top)
	resp := &citationsv1.GetMetricsResponse{
		Documents: m.Documents, Nodes: m.Nodes, Edges: m.Edges, InternalEdges: m.InternalEdges,
		References: m.References, Components: m.Components, LastAppliedSeq: n.LastSeq(),
	}
	for _, c := range m.TopCited {
		resp.TopCited = append(resp.TopCited, &citationsv1.CitedWork{Node: NodeProto(&c.Node), Citations: int32(c.Citations)})
	}
	for _, y := range m.PerYear {
		resp.PerYear = append(resp.PerYear, &citationsv1.YearCount{Year: y.Year, Count: y.Count})
	}
	return resp, nil
}

// ListDomains returns the batch's research domains.
func (s *Server) ListDomains(_ context.Context, req *citationsv1.ListDomainsRequest) (*citationsv1.ListDomainsResponse, error) {
	n, err := s.network(req.GetBatchId())
	if err != nil {
		return nil, err
	}
	resp := &citationsv1.ListDomainsResponse{}
	for _, d := range n.Snapshot().Domains() {
		resp.Domains = append(resp.Domains, &citationsv1.Domain{
			DomainId: d.ID, Keywords: d.Keywords, DocumentIds: d.DocumentIDs, Size: int32(len(d.DocumentIDs)),
		})
	}
	return resp, nil
}

// Export streams the network in the requested format, ChunkSize bytes per
// message.
func (s *Server) Export(req *citationsv1.ExportRequest, stream grpc.ServerStreamingServer[citationsv1.ExportResponse]) error {
	var f citations.Format
	switch req.GetFormat() {
	case citationsv1.ExportFormat_EXPORT_FORMAT_CSV_NODES:
		f = citations.FormatCSVNodes
	case citationsv1.ExportFormat_EXPORT_FORMAT_CSV_EDGES:
		f = citations.FormatCSVEdges
	case citationsv1.ExportFormat_EXPORT_FORMAT_GRAPHML:
		f = citations.FormatGraphML
	case citationsv1.ExportFormat_EXPORT_FORMAT_GEXF:
		f = citations.FormatGEXF
	case citationsv1.ExportFormat_EXPORT_FORMAT_CSL_JSON:
		f = citations.FormatCSLJSON
	case citationsv1.ExportFormat_EXPORT_FORMAT_BIBTEX:
		f = citations.FormatBibTeX
	case citationsv1.ExportFormat_EXPORT_FORMAT_UNSPECIFIED:
		return status.Error(codes.InvalidArgument, "format is required")
	default:
		return status.Errorf(codes.InvalidArgument, "unknown format %d", int32(req.GetFormat()))
	}
	n, err := s.network(req.GetBatchId())
	if err != nil {
		return err
	}
	cw := &chunkWriter{send: func(b []byte) error { return stream.Send(&citationsv1.ExportResponse{Data: b}) }}
	if err := n.Snapshot().Export(cw, f); err != nil {
		if cw.sendErr != nil {
			return cw.sendErr // the stream broke (client gone, deadline); its status says why
		}
		return status.Errorf(codes.Internal, "exporting batch %q: %v", req.GetBatchId(), err)
	}
	if err := cw.flush(); err != nil {
		return err
	}
	return nil
}

// chunkWriter cuts a byte stream into messages of exactly ChunkSize bytes
// (the last one shorter), whatever sizes it is written in.
type chunkWriter struct {
	buf     []byte
	send    func([]byte) error
	sendErr error
}

func (c *chunkWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if c.buf == nil {
			c.buf = make([]byte, 0, ChunkSize)
		}
		k := min(ChunkSize-len(c.buf), len(p))
		c.buf = append(c.buf, p[:k]...)
		p = p[k:]
		if len(c.buf) == ChunkSize {
			if err := c.flush(); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

func (c *chunkWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	// A fresh buffer per chunk: the message owns the bytes it was sent with.
	err := c.send(c.buf)
	c.buf = nil
	if err != nil {
		c.sendErr = err
	}
	return err
}

// GetBatchReport returns the batch's aggregated report. Only the request
// and the batch's existence decide the status: a peer that fails is named
// in the report (scheduler_error, resolver_error), not in the status.
func (s *Server) GetBatchReport(ctx context.Context, req *citationsv1.GetBatchReportRequest) (*citationsv1.GetBatchReportResponse, error) {
	if req.GetBatchId() == "" {
		return nil, status.Error(codes.InvalidArgument, "batch_id is required")
	}
	top := int(req.GetTopN())
	switch {
	case top == 0:
		top = DefaultTop
	case top < 0 || top > MaxTop:
		return nil, status.Errorf(codes.InvalidArgument, "top_n must be between 0 and %d, got %d", MaxTop, top)
	}
	r, err := s.reporter.Report(ctx, req.GetBatchId(), top)
	switch {
	case errors.Is(err, citations.ErrUnknownBatch):
		return nil, status.Error(codes.NotFound, err.Error())
	case errors.Is(err, citations.ErrCannotConfirm):
		return nil, status.Error(codes.Unavailable, err.Error())
	case ctx.Err() != nil:
		return nil, status.FromContextError(ctx.Err()).Err()
	case err != nil:
		return nil, status.Errorf(codes.Internal, "batch report of %q: %v", req.GetBatchId(), err)
	}
	return &citationsv1.GetBatchReportResponse{Report: BatchReportProto(&r)}, nil
}

// BatchReportProto converts a core batch report.
func BatchReportProto(r *citations.BatchReport) *citationsv1.BatchReport {
	a := &r.Aggregate
	x := &a.Extraction
	out := &citationsv1.BatchReport{
		BatchId:        r.Batch,
		SchedulerError: r.SchedulerError,
		ResolverError:  r.ResolverError,
		LastAppliedSeq: r.LastSeq,
		Extraction: &citationsv1.ExtractionSummary{
			Documents: x.Documents, Formats: x.Formats, Failed: x.Failed, Errors: x.Errors,
			References: x.References, ReferencesToBatch: x.Links.ToBatch, ReferencesToOutside: x.Links.ToOutside,
			SelfCitations: x.Links.Self, ReferencesUnidentified: x.Links.Unidentified, Mentions: x.Mentions,
		},
		Network: &citationsv1.NetworkSummary{
			Documents: a.Metrics.Documents, Nodes: a.Metrics.Nodes, Edges: a.Metrics.Edges,
			InternalEdges: a.Metrics.InternalEdges, Components: a.Metrics.Components,
			Domains: int64(a.DomainCount), Modularity: a.Modularity,
		},
	}
	if d := r.Documents; d != nil {
		out.Documents = &citationsv1.BatchDocuments{
			State: d.State, Total: d.Total, Pending: d.Pending, Running: d.Running, Done: d.Done,
			Failed: d.Failed, Skipped: d.Skipped, Cancelled: d.Cancelled,
		}
		if !d.CreatedAt.IsZero() {
			out.Documents.CreatedAt = timestamppb.New(d.CreatedAt)
		}
		if !d.FinishedAt.IsZero() {
			out.Documents.FinishedAt = timestamppb.New(d.FinishedAt)
		}
	}
	for _, y := range a.Metrics.PerYear {
		out.Network.PerYear = append(out.Network.PerYear, &citationsv1.YearCount{Year: y.Year, Count: y.Count})
	}
	for _, c := range a.TopCitedInBatch {
		out.TopCitedInBatch = append(out.TopCitedInBatch, &citationsv1.CitedWork{Node: NodeProto(&c.Node), Citations: int32(c.Citations)})
	}
	for _, c := range a.TopCitedOutside {
		out.TopCitedOutside = append(out.TopCitedOutside, &citationsv1.CitedWork{Node: NodeProto(&c.Node), Citations: int32(c.Citations)})
	}
	for _, d := range a.Domains {
		out.Domains = append(out.Domains, &citationsv1.DomainSummary{DomainId: d.ID, Keywords: d.Keywords, Size: int32(d.Size)})
	}
	for _, g := range r.Entities {
		pg := &citationsv1.EntityTypeSummary{Type: g.Type, Clusters: g.Clusters}
		for _, e := range g.Top {
			pg.Top = append(pg.Top, &citationsv1.Entity{
				ClusterId: e.ClusterID, CanonicalName: e.CanonicalName,
				MemberCount: int32(e.Members), DocumentCount: int32(e.Documents),
			})
		}
		out.Entities = append(out.Entities, pg)
	}
	return out
}
