package chaos

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	citationsv1 "github.com/docbatch/docbatch/proto/docbatch/citations/v1"
	resolverv1 "github.com/docbatch/docbatch/proto/docbatch/resolver/v1"
	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	citationsservice "github.com/docbatch/docbatch/services/citations/service"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	resolverconsumer "github.com/docbatch/docbatch/services/resolver/consumer"
)

// recorder is the checker's history of one run: every document the
// scheduler showed DONE (acknowledged to a client) and when, every rise of
// the batch's done counter, and the faults with their start and end.
type recorder struct {
	mu       sync.Mutex
	doneAt   map[string]time.Time // first time shown DONE
	progress []time.Time          // times at which a new document was shown DONE
	maxDone  int64
	watches  int // WatchBatch streams opened (1 + reconnects)
}

func newRecorder() *recorder { return &recorder{doneAt: map[string]time.Time{}} }

func (r *recorder) observe(m *schedulerv1.WatchBatchResponse, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	moved := false
	for _, t := range m.GetTransitions() {
		if t.GetState() != schedulerv1.DocumentState_DOCUMENT_STATE_DONE {
			continue
		}
		if _, ok := r.doneAt[t.GetDocumentId()]; !ok {
			r.doneAt[t.GetDocumentId()] = now
			moved = true
		}
	}
	if d := m.GetBatch().GetCounts().GetDone(); d > r.maxDone {
		r.maxDone = d
		moved = true
	}
	if moved {
		r.progress = append(r.progress, now)
	}
}

// observePage records documents a GetBatch page showed DONE.
func (r *recorder) observePage(docs []*schedulerv1.DocumentStatus, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, d := range docs {
		if d.GetState() == schedulerv1.DocumentState_DOCUMENT_STATE_DONE {
			if _, ok := r.doneAt[d.GetDocumentId()]; !ok {
				r.doneAt[d.GetDocumentId()] = now
			}
		}
	}
}

// done is how many distinct documents have been shown DONE.
func (r *recorder) done() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return max(len(r.doneAt), int(r.maxDone))
}

// firstProgressAfter is the first progress strictly after t.
func (r *recorder) firstProgressAfter(t time.Time) (time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := sort.Search(len(r.progress), func(i int) bool { return r.progress[i].After(t) })
	if i == len(r.progress) {
		return time.Time{}, false
	}
	return r.progress[i], true
}

// watch follows the batch with WatchBatch until ctx ends, reconnecting
// whenever the stream breaks (a killed scheduler, a reset connection).
func (r *recorder) watch(ctx context.Context, sc schedulerv1.SchedulerServiceClient, batchID string) {
	for ctx.Err() == nil {
		r.mu.Lock()
		r.watches++
		r.mu.Unlock()
		st, err := sc.WatchBatch(ctx, &schedulerv1.WatchBatchRequest{BatchId: batchID, IncludeDocuments: true})
		if err == nil {
			for {
				m, err := st.Recv()
				if err != nil {
					break
				}
				r.observe(m, time.Now())
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Outputs are the final, canonicalised outputs of a run.
type Outputs struct {
	// Hashes of the canonical forms (sha256, hex), by part.
	SchedulerHash string `json:"scheduler_hash"`
	ResolverHash  string `json:"resolver_hash"`
	CitationsHash string `json:"citations_hash"`

	Documents      int            `json:"documents"`
	States         map[string]int `json:"states"`
	Clusters       int            `json:"clusters"`
	ResolverDocs   int64          `json:"resolver_documents"`
	CitationsDocs  int64          `json:"citations_documents"`
	NetworkNodes   int            `json:"network_nodes"`
	NetworkEdges   int            `json:"network_edges"`
	Domains        int            `json:"domains"`
	ResultMessages int            `json:"result_messages"`

	// For the checker, not printed.
	done      map[string]bool
	canonical map[string][]string // part → canonical lines
}

// finalState is what the checker reads at the end of a run.
type finalState struct {
	Outputs
	dupIDs        int // document ids listed twice by GetBatch
	countsExcess  int // counts.done above DONE documents
	seqShared     int // result sequences claimed by two DONE documents
	missingResult int // DONE documents whose result_seq is not their result in the stream
	dupResults    int // (batch, document) with more than one message in the results stream
	batchState    string
	countsDone    int64
}

const pageSize = 1000

// waitBatchEnd polls GetBatch until the batch is no longer running.
func waitBatchEnd(ctx context.Context, sc schedulerv1.SchedulerServiceClient, batchID string, rec *recorder) (*schedulerv1.Batch, error) {
	for {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		r, err := sc.GetBatch(cctx, &schedulerv1.GetBatchRequest{BatchId: batchID})
		cancel()
		if err == nil && r.GetBatch().GetState() != schedulerv1.BatchState_BATCH_STATE_RUNNING {
			return r.GetBatch(), nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for batch %s to end (%d documents shown done): %w", batchID, rec.done(), ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitJetStreamCluster waits until JetStream answers (a meta leader exists).
func waitJetStreamCluster(ctx context.Context, url string, timeout time.Duration) error {
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true))
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := js.AccountInfo(cctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("jetstream not ready after %s: %w", timeout, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitConsumersCaughtUp waits until the resolver's and the citations
// service's durable consumers have applied and acknowledged everything in
// the results stream.
func waitConsumersCaughtUp(ctx context.Context, js jetstream.JetStream) error {
	var last string
	for {
		ok := true
		for _, durable := range []string{resolverconsumer.Durable, citationsservice.Durable} {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			ci, err := js.Consumer(cctx, natsbus.ResultsStream, durable)
			var info *jetstream.ConsumerInfo
			if err == nil {
				info, err = ci.Info(cctx)
			}
			cancel()
			if err != nil {
				ok, last = false, fmt.Sprintf("%s: %v", durable, err)
				continue
			}
			if info.NumPending != 0 || info.NumAckPending != 0 {
				ok, last = false, fmt.Sprintf("%s: pending %d, ack pending %d", durable, info.NumPending, info.NumAckPending)
			}
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for consumers to catch up (%s): %w", last, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// readResults reads every message of the batch's results subject: for each
// stream sequence, the Nats-Msg-Id it carries.
func readResults(ctx context.Context, js jetstream.JetStream, batchID string) (map[uint64]string, error) {
	st, err := js.Stream(ctx, natsbus.ResultsStream)
	if err != nil {
		return nil, err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return nil, err
	}
	out := map[uint64]string{}
	if info.State.Msgs == 0 {
		return out, nil
	}
	oc, err := st.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{natsbus.ResultSubject(batchID)}})
	if err != nil {
		return nil, err
	}
	for {
		ci := oc.CachedInfo()
		if ci != nil && ci.NumPending == 0 && len(out) > 0 {
			break
		}
		batch, err := oc.FetchNoWait(500)
		if err != nil {
			return nil, err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			md, err := m.Metadata()
			if err != nil {
				return nil, err
			}
			out[md.Sequence.Stream] = m.Headers().Get(nats.MsgIdHdr)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return nil, err
		}
		if n == 0 {
			info, err := oc.Info(ctx)
			if err != nil {
				return nil, err
			}
			if info.NumPending == 0 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return out, nil
}

// readFinal reads and canonicalises the outputs of a finished run.
func readFinal(ctx context.Context, sc schedulerv1.SchedulerServiceClient, rc resolverv1.ResolverServiceClient, cc citationsv1.CitationServiceClient,
	js jetstream.JetStream, batchID string) (*finalState, error) {
	f := &finalState{Outputs: Outputs{States: map[string]int{}, done: map[string]bool{}, canonical: map[string][]string{}}}

	// Scheduler: every document's final state.
	seen := map[string]bool{}
	seqOwner := map[uint64]string{}
	var sched []string
	tok := ""
	var batch *schedulerv1.Batch
	for {
		r, err := sc.GetBatch(ctx, &schedulerv1.GetBatchRequest{BatchId: batchID, PageSize: pageSize, PageToken: tok})
		if err != nil {
			return nil, fmt.Errorf("GetBatch: %w", err)
		}
		if batch == nil {
			batch = r.GetBatch()
		}
		for _, d := range r.GetDocuments() {
			id := d.GetDocumentId()
			if seen[id] {
				f.dupIDs++
				continue
			}
			seen[id] = true
			st := strings.TrimPrefix(d.GetState().String(), "DOCUMENT_STATE_")
			f.States[st]++
			sched = append(sched, id+"\t"+st)
			if d.GetState() == schedulerv1.DocumentState_DOCUMENT_STATE_DONE {
				f.done[id] = true
				if o, ok := seqOwner[d.GetResultSeq()]; ok && o != id {
					f.seqShared++
				}
				seqOwner[d.GetResultSeq()] = id
			}
		}
		if tok = r.GetNextPageToken(); tok == "" {
			break
		}
	}
	f.Documents = len(seen)
	f.batchState = batch.GetState().String()
	f.countsDone = batch.GetCounts().GetDone()
	f.countsExcess = max(0, int(f.countsDone)-len(f.done))
	c := batch.GetCounts()
	sched = append(sched, fmt.Sprintf("#state %s total %d done %d failed %d skipped %d cancelled %d", batch.GetState(), c.GetTotal(), c.GetDone(), c.GetFailed(), c.GetSkipped(), c.GetCancelled()))
	f.canonical["scheduler"] = sched

	// The results stream: one message per (batch, document), and each DONE
	// document's result_seq is its own result.
	// A cluster may still be electing the stream's leader after a fault.
	var results map[uint64]string
	var err error
	for attempt := 0; ; attempt++ {
		if results, err = readResults(ctx, js, batchID); err == nil || attempt == 30 {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
	if err != nil {
		return nil, fmt.Errorf("reading results stream: %w", err)
	}
	f.ResultMessages = len(results)
	perID := map[string]int{}
	for _, id := range results {
		perID[id]++
	}
	for _, n := range perID {
		f.dupResults += n - 1
	}
	for seq, id := range seqOwner {
		if results[seq] != natsbus.MsgID(batchID, id) {
			f.missingResult++
		}
	}

	// Resolver: clusters with their members, by type, and the stats.
	var res []string
	for _, typ := range []resolverv1.EntityType{resolverv1.EntityType_ENTITY_TYPE_PERSON, resolverv1.EntityType_ENTITY_TYPE_ORGANIZATION,
		resolverv1.EntityType_ENTITY_TYPE_WORK, resolverv1.EntityType_ENTITY_TYPE_PLACE, resolverv1.EntityType_ENTITY_TYPE_CONCEPT} {
		tok := ""
		for {
			r, err := rc.ListClusters(ctx, &resolverv1.ListClustersRequest{BatchId: batchID, Type: typ, PageSize: 200, PageToken: tok})
			if err != nil {
				return nil, fmt.Errorf("ListClusters: %w", err)
			}
			for _, cl := range r.GetClusters() {
				f.Clusters++
				var members []string
				for _, m := range cl.GetMembers() {
					members = append(members, m.GetDocumentId()+"#"+m.GetLocator()+"="+m.GetText())
				}
				slices.Sort(members)
				docs := slices.Clone(cl.GetSourceDocuments())
				slices.Sort(docs)
				res = append(res, fmt.Sprintf("%s\t%s\t%s\t%s\tn=%d\tconf=%.6f\tmembers=%s\tdocs=%s", typ, cl.GetClusterId(), cl.GetCanonicalName(), cl.GetMethod(),
					cl.GetMemberCount(), cl.GetConfidence(), strings.Join(members, "|"), strings.Join(docs, "|")))
			}
			if tok = r.GetNextPageToken(); tok == "" {
				break
			}
		}
	}
	slices.Sort(res)
	rs, err := rc.GetResolverStats(ctx, &resolverv1.GetResolverStatsRequest{BatchId: batchID})
	if err != nil {
		return nil, fmt.Errorf("GetResolverStats: %w", err)
	}
	f.ResolverDocs = rs.GetDocuments()
	res = append(res, fmt.Sprintf("#stats documents %d mentions %d clusters %d", rs.GetDocuments(), rs.GetMentions(), rs.GetClusters()))
	f.canonical["resolver"] = res

	// Citations: the network, the metrics and the domains.
	var cit []string
	ns, err := cc.GetNetwork(ctx, &citationsv1.GetNetworkRequest{BatchId: batchID, PageSize: 1000})
	if err != nil {
		return nil, fmt.Errorf("GetNetwork: %w", err)
	}
	var nodes, edges []string
	for {
		m, err := ns.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("GetNetwork: %w", err)
		}
		for _, n := range m.GetNodes() {
			nodes = append(nodes, fmt.Sprintf("node\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\tin=%d\tout=%d", n.GetNodeId(), n.GetKind(), n.GetTitle(), n.GetDoi(), n.GetYear(),
				strings.Join(n.GetAuthors(), ";"), n.GetVenue(), n.GetDocumentId(), n.GetInDegree(), n.GetOutDegree()))
		}
		for _, e := range m.GetEdges() {
			edges = append(edges, fmt.Sprintf("edge\t%s\t%s\t%s\t%d\t%s", e.GetSource(), e.GetTarget(), e.GetCitingDocument(), e.GetReferenceIndex(), e.GetMatch()))
		}
	}
	slices.Sort(nodes)
	slices.Sort(edges)
	f.NetworkNodes, f.NetworkEdges = len(nodes), len(edges)
	cit = append(cit, nodes...)
	cit = append(cit, edges...)
	met, err := cc.GetMetrics(ctx, &citationsv1.GetMetricsRequest{BatchId: batchID, Top: 20})
	if err != nil {
		return nil, fmt.Errorf("GetMetrics: %w", err)
	}
	f.CitationsDocs = met.GetDocuments()
	cit = append(cit, fmt.Sprintf("#metrics documents %d nodes %d edges %d internal %d references %d components %d", met.GetDocuments(), met.GetNodes(),
		met.GetEdges(), met.GetInternalEdges(), met.GetReferences(), met.GetComponents()))
	for _, t := range met.GetTopCited() {
		cit = append(cit, fmt.Sprintf("#top %s %d", t.GetNode().GetNodeId(), t.GetCitations()))
	}
	for _, y := range met.GetPerYear() {
		cit = append(cit, fmt.Sprintf("#year %d %d", y.GetYear(), y.GetCount()))
	}
	doms, err := cc.ListDomains(ctx, &citationsv1.ListDomainsRequest{BatchId: batchID})
	if err != nil {
		return nil, fmt.Errorf("ListDomains: %w", err)
	}
	var dl []string
	for _, d := range doms.GetDomains() {
		ids := slices.Clone(d.GetDocumentIds())
		slices.Sort(ids)
		dl = append(dl, fmt.Sprintf("#domain %s size %d keywords %s docs %s", d.GetDomainId(), d.GetSize(), strings.Join(d.GetKeywords(), ","), strings.Join(ids, ",")))
	}
	slices.Sort(dl)
	f.Domains = len(dl)
	cit = append(cit, dl...)
	f.canonical["citations"] = cit

	f.SchedulerHash = hashLines(f.canonical["scheduler"])
	f.ResolverHash = hashLines(f.canonical["resolver"])
	f.CitationsHash = hashLines(f.canonical["citations"])
	return f, nil
}

func hashLines(lines []string) string {
	h := sha256.New()
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// firstDiff describes the first line where two canonical forms differ.
func firstDiff(a, b []string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf("line %d: clean %q, faulted %q", i, trunc(a[i]), trunc(b[i]))
		}
	}
	if len(a) != len(b) {
		return fmt.Sprintf("clean has %d lines, faulted %d", len(a), len(b))
	}
	return ""
}

func trunc(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
