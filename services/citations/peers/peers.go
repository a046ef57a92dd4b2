// Package peers adapts the scheduler's and the resolver's gRPC APIs to the
// sources the citation core's batch report asks (citations.BatchSource and
// citations.EntitySource), so the core stays free of transport code. A
// NotFound from a peer becomes citations.ErrUnknownBatch; any other error is
// returned as is for the report to name.
package peers

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	resolverv1 "github.com/docbatch/docbatch/proto/docbatch/resolver/v1"
	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/citations"
)

// Scheduler reads batch counts from a SchedulerService.
type Scheduler struct {
	Client schedulerv1.SchedulerServiceClient
}

// NewScheduler returns a source over cc.
func NewScheduler(cc grpc.ClientConnInterface) *Scheduler {
	return &Scheduler{Client: schedulerv1.NewSchedulerServiceClient(cc)}
}

// BatchCounts asks GetBatch for the batch alone (no document page).
func (s *Scheduler) BatchCounts(ctx context.Context, batch string) (citations.BatchCounts, error) {
	r, err := s.Client.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: batch})
	if err != nil {
		return citations.BatchCounts{}, peerError(err)
	}
	b := r.GetBatch()
	c := b.GetCounts()
	out := citations.BatchCounts{
		State: strings.ToLower(strings.TrimPrefix(b.GetState().String(), "BATCH_STATE_")),
		Total: c.GetTotal(), Pending: c.GetPending(), Running: c.GetRunning(), Done: c.GetDone(),
		Failed: c.GetFailed(), Skipped: c.GetSkipped(), Cancelled: c.GetCancelled(),
	}
	if t := b.GetCreatedAt(); t != nil {
		out.CreatedAt = t.AsTime()
	}
	if t := b.GetFinishedAt(); t != nil {
		out.FinishedAt = t.AsTime()
	}
	return out, nil
}

// Resolver reads the largest clusters from a ResolverService.
type Resolver struct {
	Client resolverv1.ResolverServiceClient
}

// NewResolver returns a source over cc.
func NewResolver(cc grpc.ClientConnInterface) *Resolver {
	return &Resolver{Client: resolverv1.NewResolverServiceClient(cc)}
}

// entityTypes are asked in this order, which is the order of the report.
var entityTypes = []resolverv1.EntityType{
	resolverv1.EntityType_ENTITY_TYPE_PERSON,
	resolverv1.EntityType_ENTITY_TYPE_ORGANIZATION,
	resolverv1.EntityType_ENTITY_TYPE_WORK,
	resolverv1.EntityType_ENTITY_TYPE_PLACE,
	resolverv1.EntityType_ENTITY_TYPE_CONCEPT,
}

// TopEntities lists, per type, the top largest clusters. ListClusters
// returns a type's clusters by member count (descending), then id, so the
// first page is the answer; a page may end early under the resolver's byte
// cap (clusters carry their members), hence the loop.
func (r *Resolver) TopEntities(ctx context.Context, batch string, top int) ([]citations.EntityGroup, error) {
	var out []citations.EntityGroup
	for _, t := range entityTypes {
		g := citations.EntityGroup{Type: strings.ToLower(strings.TrimPrefix(t.String(), "ENTITY_TYPE_"))}
		tok := ""
		for len(g.Top) < top {
			resp, err := r.Client.ListClusters(ctx, &resolverv1.ListClustersRequest{
				BatchId: batch, Type: t, PageSize: int32(top - len(g.Top)), PageToken: tok,
			})
			if err != nil {
				return nil, peerError(err)
			}
			g.Clusters = resp.GetTotal()
			for _, c := range resp.GetClusters() {
				members := int(c.GetMemberCount())
				if members == 0 {
					members = len(c.GetMembers())
				}
				g.Top = append(g.Top, citations.Entity{
					ClusterID: c.GetClusterId(), CanonicalName: c.GetCanonicalName(),
					Members: members, Documents: len(c.GetSourceDocuments()),
				})
			}
			if tok = resp.GetNextPageToken(); tok == "" {
				break
			}
		}
		if g.Clusters > 0 {
			out = append(out, g)
		}
	}
	return out, nil
}

func peerError(err error) error {
	if status.Code(err) == codes.NotFound {
		return fmt.Errorf("%s: %w", status.Convert(err).Message(), citations.ErrUnknownBatch)
	}
	return err
}
