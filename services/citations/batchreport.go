package citations

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// RefLinks says what became of a network's references when it was built.
// The four counts add up to Metrics.References.
type RefLinks struct {
	// ToBatch references link to another document of the batch, ToOutside
	// ones to an outside work.
	ToBatch, ToOutside int64
	// Self references name the citing document itself.
	Self int64
	// Unidentified references carry neither a DOI nor a title.
	Unidentified int64
}

// Extraction counts what the processors extracted, from the latest result
// of every document.
type Extraction struct {
	Documents int64
	// Formats counts extracted documents by detected format.
	Formats map[string]int64
	// Failed counts documents whose latest result is an error, Errors those
	// by class.
	Failed int64
	Errors map[string]int64
	// References counts every reference of every extracted document.
	References int64
	Links      RefLinks
	// Mentions counts entity mentions by type, as the resolver derives them
	// from the same results: a person per author, an organization per
	// distinct affiliation of a document, a work per reference.
	Mentions map[string]int64
}

// Entity types of Extraction.Mentions and of EntityGroup.Type, named as the
// resolver's EntityType values without their prefix.
const (
	EntityPerson       = "person"
	EntityOrganization = "organization"
	EntityWork         = "work"
)

// DomainSize is a domain without its member list.
type DomainSize struct {
	ID       string
	Keywords []string
	Size     int
}

// Aggregate is the part of a batch report the citation network answers by
// itself.
type Aggregate struct {
	Extraction Extraction
	Metrics    Metrics
	// TopCitedInBatch are the most cited documents of the batch,
	// TopCitedOutside the most cited outside works.
	TopCitedInBatch []CitedWork
	TopCitedOutside []CitedWork
	// Domains are the largest domains; DomainCount counts them all.
	Domains     []DomainSize
	DomainCount int
	Modularity  float64
}

// Aggregate summarises g with top-n lists. Like everything derived from a
// graph it depends only on the set of contributions, not on the order
// they arrived in.
func (g *Graph) Aggregate(top int) Aggregate {
	a := Aggregate{Metrics: g.Metrics(0), Modularity: g.Modularity()}
	x := Extraction{
		Documents: int64(len(g.docs)),
		Formats:   map[string]int64{},
		Errors:    map[string]int64{},
		Mentions:  map[string]int64{},
		Links:     g.refLinks,
	}
	for _, d := range g.docs {
		if d.Failed {
			x.Failed++
			class := d.ErrorClass
			if class == "" {
				class = "unknown"
			}
			x.Errors[class]++
			continue
		}
		format := d.Format
		if format == "" {
			format = "unknown" // stored before formats were kept
		}
		x.Formats[format]++
		x.References += int64(len(d.References))
		x.Mentions[EntityPerson] += int64(len(d.Authors))
		x.Mentions[EntityOrganization] += int64(d.Organizations)
		x.Mentions[EntityWork] += int64(len(d.References))
	}
	a.Extraction = x
	for _, i := range g.byCitations {
		n := g.Nodes[i]
		list := &a.TopCitedOutside
		if n.Kind == KindDocument {
			list = &a.TopCitedInBatch
		}
		if len(*list) < top {
			*list = append(*list, CitedWork{Node: n, Citations: n.InDegree})
		}
		if len(a.TopCitedInBatch) >= top && len(a.TopCitedOutside) >= top {
			break
		}
	}
	domains := g.Domains()
	a.DomainCount = len(domains)
	for _, d := range domains[:min(top, len(domains))] {
		a.Domains = append(a.Domains, DomainSize{ID: d.ID, Keywords: d.Keywords, Size: len(d.DocumentIDs)})
	}
	return a
}

// ErrUnknownBatch is what a BatchSource or EntitySource returns (wrapped)
// for a batch it does not know, and what Reporter.Report returns when no
// one knows the batch.
var ErrUnknownBatch = errors.New("unknown batch")

// ErrCannotConfirm is what Reporter.Report returns for a batch with no
// result here when the scheduler, which could vouch for it, failed: the
// batch may exist, so asking again later may succeed.
var ErrCannotConfirm = errors.New("cannot confirm the batch")

// BatchCounts is the scheduler's view of a batch.
type BatchCounts struct {
	// State is running, succeeded, completed_with_errors or cancelled.
	State                                                     string
	Total, Pending, Running, Done, Failed, Skipped, Cancelled int64
	CreatedAt, FinishedAt                                     time.Time
}

// EntityGroup is the resolver's largest clusters of one entity type.
type EntityGroup struct {
	Type string
	// Clusters counts every cluster of the type.
	Clusters int64
	Top      []Entity
}

// Entity is one resolver cluster, without its members.
type Entity struct {
	ClusterID     string
	CanonicalName string
	Members       int
	Documents     int
}

// BatchSource tells a batch's document counts (the scheduler).
type BatchSource interface {
	BatchCounts(ctx context.Context, batch string) (BatchCounts, error)
}

// EntitySource tells a batch's largest entity clusters per type (the
// resolver), types with no cluster left out.
type EntitySource interface {
	TopEntities(ctx context.Context, batch string, top int) ([]EntityGroup, error)
}

// BatchReport is everything docbatch knows of a batch.
type BatchReport struct {
	Batch string
	// Documents is nil when SchedulerError says why.
	Documents      *BatchCounts
	SchedulerError string
	// Aggregate is zero when this service has no result of the batch yet.
	Aggregate Aggregate
	LastSeq   uint64
	// Entities is empty when ResolverError says why (or when the resolver
	// has no result of the batch yet).
	Entities      []EntityGroup
	ResolverError string
}

// DefaultPeerTimeout bounds each call to another service, so a peer that
// does not answer costs a report its part, not the whole call.
const DefaultPeerTimeout = 10 * time.Second

// Reporter assembles batch reports from the index and, when set, the other
// services. It holds no state of its own.
type Reporter struct {
	Index *Index
	// Scheduler and Resolver are optional: a nil one is reported as not
	// configured.
	Scheduler BatchSource
	Resolver  EntitySource
	// PeerTimeout bounds each peer call (0 = DefaultPeerTimeout).
	PeerTimeout time.Duration
}

// Report assembles the report of batch with top-n lists. Only an unknown
// batch fails it (ErrUnknownBatch): known to neither this index nor the
// scheduler. A peer that is missing, failing or slow is named in its error
// field, and the rest of the report is still returned.
func (r *Reporter) Report(ctx context.Context, batch string, top int) (BatchReport, error) {
	rep := BatchReport{Batch: batch}
	timeout := r.PeerTimeout
	if timeout <= 0 {
		timeout = DefaultPeerTimeout
	}
	var wg sync.WaitGroup
	var schedErr, resErr error
	var counts BatchCounts
	// The two peers are asked at once: a report waits for the slower one,
	// not for both in turn.
	if r.Scheduler != nil {
		wg.Go(func() {
			c, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			counts, schedErr = r.Scheduler.BatchCounts(c, batch)
		})
	}
	if r.Resolver != nil {
		wg.Go(func() {
			c, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			rep.Entities, resErr = r.Resolver.TopEntities(c, batch, top)
		})
	}
	var n *Network
	if r.Index != nil {
		if n = r.Index.Network(batch); n != nil {
			rep.Aggregate = n.Snapshot().Aggregate(top)
			rep.LastSeq = n.LastSeq()
		}
	}
	wg.Wait()

	switch {
	case r.Scheduler == nil:
		rep.SchedulerError = "scheduler not configured"
	case errors.Is(schedErr, ErrUnknownBatch):
		if n == nil {
			return BatchReport{}, fmt.Errorf("batch %q: %w", batch, ErrUnknownBatch)
		}
		rep.SchedulerError = fmt.Sprintf("the scheduler does not know batch %q", batch)
	case schedErr != nil:
		rep.SchedulerError = "scheduler: " + schedErr.Error()
	default:
		rep.Documents = &counts
	}
	if rep.Documents == nil && n == nil {
		// Nothing here and no scheduler to vouch for the batch.
		if r.Scheduler == nil {
			return BatchReport{}, fmt.Errorf("batch %q has no results here (and no scheduler is configured to ask): %w", batch, ErrUnknownBatch)
		}
		return BatchReport{}, fmt.Errorf("batch %q has no results here and the %s: %w", batch, rep.SchedulerError, ErrCannotConfirm)
	}
	switch {
	case r.Resolver == nil:
		rep.ResolverError = "resolver not configured"
	case errors.Is(resErr, ErrUnknownBatch):
		rep.Entities = nil // nothing resolved for the batch yet
	case resErr != nil:
		rep.Entities = nil
		rep.ResolverError = "resolver: " + resErr.Error()
	}
	return rep, nil
}
