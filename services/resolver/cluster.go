package resolver

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/docbatch/docbatch/services/resolver/match"
)

// view is the clustering of one batch at one moment. Its clusters are
// immutable once built, so queries read them without holding the batch
// lock; the per-type models behind them answer Explain and Resolve under
// their own lock.
type view struct {
	clusters []Cluster // canonical order: type, member count desc, id
	byID     map[string]int
	all      []Mention          // every mention, canonical order
	byRef    map[mentionRef]int // (document, locator) → index in all
	models   map[EntityType]*typeModel
	stats    match.Stats // summed over types
}

type mentionRef struct{ doc, locator string }

// typeModel is the matcher of one entity type and what it decided.
type typeModel struct {
	mu       sync.Mutex // match.Model computes lazily
	model    *match.Model
	mention  []int       // record i is all[mention[i]]
	record   map[int]int // index in all → record i
	res      match.Result
	clusters []string // match cluster → Cluster.ID
}

// clusterPrefix makes cluster ids self-describing.
var clusterPrefix = map[EntityType]string{
	TypePerson: "p-", TypeOrganization: "o-", TypeWork: "w-", TypePlace: "l-", TypeConcept: "c-",
}

var kinds = map[EntityType]match.Kind{
	TypePerson: match.Person, TypeOrganization: match.Organization, TypeWork: match.Work,
	TypePlace: match.Place, TypeConcept: match.Concept,
}

// ClusterID is the stable id of a cluster: a hash of its type and of its
// first member in canonical order, so the same documents give the same ids
// whatever order they arrived in and after a restart.
func ClusterID(t EntityType, first Mention) string {
	h := sha256.Sum256([]byte(t.String() + "\x00" + first.DocumentID + "\x00" + first.Locator))
	return clusterPrefix[t] + hex.EncodeToString(h[:8])
}

func compareMentions(a, b Mention) int {
	return cmp.Or(
		strings.Compare(a.DocumentID, b.DocumentID),
		strings.Compare(a.Locator, b.Locator),
		cmp.Compare(a.Type, b.Type),
		strings.Compare(a.Text, b.Text),
	)
}

// buildView clusters every mention of a batch, one matcher per entity type.
// Mentions are sorted first, and the matcher is order-independent, so the
// clusters depend only on the set of documents.
func buildView(ctx context.Context, batchID string, docs map[string]docEntry, opts match.Options) *view {
	var all []Mention
	for _, d := range docs {
		all = append(all, d.mentions...)
	}
	slices.SortFunc(all, compareMentions)
	v := &view{byID: map[string]int{}, all: all, byRef: make(map[mentionRef]int, len(all)), models: map[EntityType]*typeModel{}}
	for i, m := range all {
		v.byRef[mentionRef{m.DocumentID, m.Locator}] = i
	}
	// Co-authors come from the same document's person mentions.
	people := map[string][]string{}
	for _, m := range all {
		if m.Type == TypePerson {
			people[m.DocumentID] = append(people[m.DocumentID], m.Text)
		}
	}
	byType := map[EntityType][]int{}
	for i, m := range all {
		if _, ok := kinds[m.Type]; ok {
			byType[m.Type] = append(byType[m.Type], i)
		}
	}
	for _, t := range slices.Sorted(mapsKeys(byType)) {
		idx := byType[t]
		recs := make([]match.Record, len(idx))
		tm := &typeModel{mention: idx, record: make(map[int]int, len(idx))}
		for r, i := range idx {
			recs[r] = toRecord(all[i], people[all[i].DocumentID])
			tm.record[i] = r
		}
		tm.model = match.New(recs, opts)
		res, err := tm.model.ClusterContext(ctx)
		if err != nil {
			// Only the adjudicator can fail, and it falls back to
			// similarity; a cancelled context still leaves a result.
			res = tm.model.Cluster()
		}
		tm.res = res
		v.stats.Records += res.Stats.Records
		v.stats.CandidatePairs += res.Stats.CandidatePairs
		v.stats.AdjudicatorCalls += res.Stats.AdjudicatorCalls
		groups := make([][]int, res.NumClusters)
		for r, c := range res.Cluster {
			groups[c] = append(groups[c], idx[r]) // idx ascending: canonical order
		}
		tm.clusters = make([]string, res.NumClusters)
		for c, members := range groups {
			cl := newCluster(batchID, t, all, members, res.Confidence[c], res.Method[c])
			tm.clusters[c] = cl.ID
			v.clusters = append(v.clusters, cl)
		}
		v.models[t] = tm
	}
	slices.SortFunc(v.clusters, func(a, b Cluster) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(b.MemberCount, a.MemberCount), strings.Compare(a.ID, b.ID))
	})
	for i, c := range v.clusters {
		v.byID[c.ID] = i
	}
	return v
}

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// toRecord is what the matcher sees of a mention. coauthors are the person
// mentions of the same document (the mention itself is left out).
func toRecord(m Mention, docPeople []string) match.Record {
	r := match.Record{
		ID:   m.DocumentID + "\x00" + m.Locator,
		Kind: kinds[m.Type],
		// Two authors of one paper, or two entries of one reference
		// list, are different entities.
		Doc:  m.DocumentID,
		Name: m.Text,
	}
	a := m.Attributes
	switch m.Type {
	case TypePerson:
		r.Given, r.Family = a[AttrGiven], a[AttrFamily]
		r.ORCID = match.NormalizeORCID(a[AttrORCID])
		r.Affiliation = a[AttrAffiliation]
		for _, p := range docPeople {
			if p != m.Text {
				r.Coauthors = append(r.Coauthors, p)
			}
		}
	case TypeWork:
		r.Title = a[AttrTitle]
		r.DOI = match.NormalizeDOI(a[AttrDOI])
		r.Year, _ = strconv.Atoi(a[AttrYear])
		if fa := a[AttrFirstAuthor]; fa != "" {
			r.Authors = []string{fa}
		}
	}
	return r
}

// newCluster builds the cluster of the mentions all[idx...] (idx ascending,
// so members come out in canonical order).
func newCluster(batchID string, t EntityType, all []Mention, idx []int, confidence float64, method string) Cluster {
	c := Cluster{
		ID:          ClusterID(t, all[idx[0]]),
		BatchID:     batchID,
		Type:        t,
		Method:      method,
		Confidence:  confidence,
		MemberCount: len(idx),
		Members:     make([]Mention, 0, len(idx)),
	}
	counts := map[string]int{}
	for _, i := range idx {
		m := all[i]
		c.Members = append(c.Members, m)
		if n := len(c.SourceDocuments); n == 0 || c.SourceDocuments[n-1] != m.DocumentID {
			c.SourceDocuments = append(c.SourceDocuments, m.DocumentID)
		}
		if m.Text != "" {
			counts[m.Text]++
		}
	}
	c.CanonicalName = canonicalName(counts)
	return c
}

// canonicalName is the most frequent surface form, ties broken by the
// lexicographically smallest so the choice is deterministic.
func canonicalName(counts map[string]int) string {
	best, bestN := "", 0
	for s, n := range counts {
		if n > bestN || (n == bestN && s < best) {
			best, bestN = s, n
		}
	}
	return best
}

// resolve places one mention the way clustering would, without changing
// anything: the cluster whose members it matches best, or none.
func (v *view) resolve(m Mention) Resolution {
	tm, ok := v.models[m.Type]
	if !ok {
		return Resolution{}
	}
	tm.mu.Lock()
	c, score := tm.model.Best(toRecord(m, nil))
	tm.mu.Unlock()
	if c < 0 {
		return Resolution{}
	}
	id := tm.clusters[c]
	return Resolution{ClusterID: id, CanonicalName: v.clusters[v.byID[id]].CanonicalName, Score: score}
}

// Decisions of an explained pair.
const (
	DecisionIdentifier = "identifier" // equal ORCID or DOI
	DecisionConflict   = "conflict"   // different identifiers, or the same document
	DecisionBlocked    = "blocked"    // never compared: no shared blocking key
	DecisionScore      = "score"      // compared; the probability decided
)

// Explanation says how the resolver judged a pair of mentions.
type Explanation struct {
	A, B        Mention
	Score       float64 // log-odds: prior plus the signals' weights
	Probability float64
	Signals     []match.Signal
	SameCluster bool
	ClusterID   string // when SameCluster
	Decision    string
}

// explain judges two mentions of the view.
func (v *view) explain(a, b mentionRef) (Explanation, error) {
	ia, oka := v.byRef[a]
	ib, okb := v.byRef[b]
	switch {
	case !oka:
		return Explanation{}, fmt.Errorf("mention %s %s: %w", a.doc, a.locator, ErrUnknownMention)
	case !okb:
		return Explanation{}, fmt.Errorf("mention %s %s: %w", b.doc, b.locator, ErrUnknownMention)
	}
	ma, mb := v.all[ia], v.all[ib]
	if ma.Type != mb.Type {
		return Explanation{}, fmt.Errorf("%w: %s is a %s and %s a %s", ErrDifferentTypes, a.locator, ma.Type, b.locator, mb.Type)
	}
	tm := v.models[ma.Type]
	ra, rb := tm.record[ia], tm.record[ib]
	tm.mu.Lock()
	ex := tm.model.Explain(ra, rb)
	tm.mu.Unlock()
	out := Explanation{A: ma, B: mb, Score: ex.Score, Probability: ex.Probability, Signals: ex.Signals}
	if ca, cb := tm.res.Cluster[ra], tm.res.Cluster[rb]; ca == cb {
		out.SameCluster, out.ClusterID = true, tm.clusters[ca]
	}
	switch {
	case ex.Decision == "identifier-match":
		out.Decision = DecisionIdentifier
	case ex.Decision != "":
		out.Decision = DecisionConflict
	case !ex.Candidate:
		out.Decision = DecisionBlocked
	default:
		out.Decision = DecisionScore
	}
	return out, nil
}
