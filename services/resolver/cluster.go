package resolver

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
)

// view is the clustering of one batch at one moment. It is immutable once
// built, so queries read it without holding the batch lock.
type view struct {
	clusters []Cluster // canonical order: type, member count desc, id
	byID     map[string]int
	// byIdentifier maps "<type>/<identifier key>" to a cluster id.
	byIdentifier map[string]string
	// blocks maps "<type>/<blocking key>" to what the block holds.
	blocks   map[string]block
	mentions int
}

// block records, for one blocking key, the identifiers seen in it and the
// cluster its identifier-less mentions belong to; Resolve needs both to
// place a new mention the way Apply would.
type block struct {
	identifiers []string // "<type>/<identifier key>", sorted, distinct
	keyCluster  string   // empty when every mention of the block had an identifier
}

// clusterPrefix makes cluster ids self-describing.
var clusterPrefix = map[EntityType]string{TypePerson: "p-", TypeOrganization: "o-", TypeWork: "w-"}

// ClusterID is the stable id of the cluster whose canonical key is key: a
// hash, so it survives restarts and does not depend on arrival order.
func ClusterID(t EntityType, key string) string {
	h := sha256.Sum256([]byte(t.String() + "/" + key))
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

// buildView clusters every mention of a batch. Mentions are sorted first so
// that union-find, and everything derived from it, sees the same input
// whatever order the documents arrived in.
func buildView(batchID string, docs map[string]docEntry) *view {
	var all []Mention
	for _, d := range docs {
		all = append(all, d.mentions...)
	}
	slices.SortFunc(all, compareMentions)

	uf := newUnionFind(len(all))
	idKeys := make([]string, len(all))
	blockKeys := make([]string, len(all))
	clustered := make([]bool, len(all))
	firstWithID := map[string]int{}     // identifier key → first mention
	firstWithoutID := map[string]int{}  // blocking key → first identifier-less mention
	idsInBlock := map[string][]string{} // blocking key → identifier keys seen in it
	for i, m := range all {
		if _, ok := clusterPrefix[m.Type]; !ok {
			continue // places and concepts are not resolved by the spine
		}
		id, blk := matchKeys(m)
		tp := m.Type.String() + "/"
		switch {
		case id != "":
			id = tp + id
			idKeys[i] = id
			if j, ok := firstWithID[id]; ok {
				uf.union(i, j)
			} else {
				firstWithID[id] = i
			}
			if blk != "" {
				idsInBlock[tp+blk] = append(idsInBlock[tp+blk], id)
			}
		case blk != "":
			blk = tp + blk
			blockKeys[i] = blk
			if j, ok := firstWithoutID[blk]; ok {
				uf.union(i, j)
			} else {
				firstWithoutID[blk] = i
			}
		default:
			continue // nothing to match on
		}
		clustered[i] = true
	}
	// A key cluster joins the identifier cluster of its block only when the
	// identifier is unambiguous.
	blocks := map[string]block{}
	for blk, ids := range idsInBlock {
		slices.Sort(ids)
		blocks[blk] = block{identifiers: slices.Compact(ids)}
	}
	for blk, i := range firstWithoutID {
		if b := blocks[blk]; len(b.identifiers) == 1 {
			uf.union(i, firstWithID[b.identifiers[0]])
		}
	}

	groups := map[int][]int{}
	var roots []int
	for i := range all {
		if !clustered[i] {
			continue
		}
		r := uf.find(i)
		if _, ok := groups[r]; !ok {
			roots = append(roots, r)
		}
		groups[r] = append(groups[r], i)
	}
	v := &view{
		byID:         make(map[string]int, len(roots)),
		byIdentifier: make(map[string]string, len(firstWithID)),
		blocks:       blocks,
		mentions:     len(all),
	}
	rootID := make(map[int]string, len(roots))
	for _, r := range roots {
		c := newCluster(batchID, all, groups[r], idKeys, blockKeys)
		rootID[r] = c.ID
		v.clusters = append(v.clusters, c)
	}
	slices.SortFunc(v.clusters, func(a, b Cluster) int {
		return cmp.Or(cmp.Compare(a.Type, b.Type), cmp.Compare(b.MemberCount, a.MemberCount), strings.Compare(a.ID, b.ID))
	})
	for i, c := range v.clusters {
		v.byID[c.ID] = i
	}
	for id, i := range firstWithID {
		v.byIdentifier[id] = rootID[uf.find(i)]
	}
	for blk, i := range firstWithoutID {
		b := blocks[blk]
		b.keyCluster = rootID[uf.find(i)]
		blocks[blk] = b
	}
	return v
}

// newCluster builds the cluster of the mentions all[idx...] (idx ascending,
// so members come out in canonical order).
func newCluster(batchID string, all []Mention, idx []int, idKeys, blockKeys []string) Cluster {
	t := all[idx[0]].Type
	key, allByID := "", true
	for _, i := range idx {
		if idKeys[i] != "" {
			key = idKeys[i] // at most one identifier per cluster, by construction
		} else {
			allByID = false
		}
	}
	if key == "" {
		key = blockKeys[idx[0]] // a key cluster has one blocking key
	}
	key = strings.TrimPrefix(key, t.String()+"/")
	c := Cluster{
		ID:          ClusterID(t, key),
		BatchID:     batchID,
		Type:        t,
		Method:      methodOf(t, key),
		Confidence:  ConfidenceKey,
		MemberCount: len(idx),
		Members:     make([]Mention, 0, len(idx)),
	}
	if allByID {
		c.Confidence = ConfidenceIdentifier
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
	if c.CanonicalName == "" {
		c.CanonicalName = key[strings.IndexByte(key, ':')+1:]
	}
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

// resolve places one mention the way Apply would, without changing anything.
func (v *view) resolve(m Mention) Resolution {
	if _, ok := clusterPrefix[m.Type]; !ok {
		return Resolution{}
	}
	id, blk := matchKeys(m)
	tp := m.Type.String() + "/"
	b, haveBlock := v.blocks[tp+blk]
	haveBlock = haveBlock && blk != ""
	switch {
	case id != "":
		if c, ok := v.byIdentifier[tp+id]; ok {
			return v.resolution(c, ConfidenceIdentifier)
		}
		// A new identifier would pull in its block's key cluster only if the
		// block had no identifier yet.
		if haveBlock && len(b.identifiers) == 0 && b.keyCluster != "" {
			return v.resolution(b.keyCluster, ConfidenceKey)
		}
	case haveBlock:
		if b.keyCluster != "" {
			return v.resolution(b.keyCluster, ConfidenceKey)
		}
		if len(b.identifiers) == 1 {
			return v.resolution(v.byIdentifier[b.identifiers[0]], ConfidenceKey)
		}
	}
	return Resolution{}
}

func (v *view) resolution(clusterID string, score float64) Resolution {
	i, ok := v.byID[clusterID]
	if !ok {
		return Resolution{}
	}
	return Resolution{ClusterID: clusterID, CanonicalName: v.clusters[i].CanonicalName, Score: score}
}

// unionFind is a disjoint-set forest with path halving and union by size.
type unionFind struct{ parent, size []int }

func newUnionFind(n int) *unionFind {
	u := &unionFind{parent: make([]int, n), size: make([]int, n)}
	for i := range u.parent {
		u.parent[i], u.size[i] = i, 1
	}
	return u
}

func (u *unionFind) find(i int) int {
	for u.parent[i] != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = u.parent[i]
	}
	return i
}

func (u *unionFind) union(a, b int) {
	a, b = u.find(a), u.find(b)
	if a == b {
		return
	}
	if u.size[a] < u.size[b] {
		a, b = b, a
	}
	u.parent[b] = a
	u.size[a] += u.size[b]
}
