package citations

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/docbatch/docbatch/services/platform/disjoint"
)

// NodeKind tells batch documents from the outside works they cite.
type NodeKind int

// Node kinds.
const (
	KindDocument NodeKind = 1
	KindExternal NodeKind = 2
)

func (k NodeKind) String() string {
	switch k {
	case KindDocument:
		return "document"
	case KindExternal:
		return "external"
	}
	return "unknown"
}

// Match kinds: how a reference was linked to its target.
const (
	MatchDOI   = "doi"
	MatchTitle = "title"
)

// minLinkTitle is the shortest normalised title that may link a reference to
// a batch document without a DOI: short titles ("introduction", "data") are
// too common to identify a work.
const minLinkTitle = 12

// Node is a vertex of the network.
type Node struct {
	// ID is "d:" + a hash of the document id for batch documents, "x:" + a
	// hash of the DOI or of the normalised title and year for outside works.
	ID         string
	Kind       NodeKind
	DocumentID string
	Title      string
	DOI        string
	Year       int32
	Authors    []string
	Venue      string
	// Volume and Pages of an outside work, as its references give them.
	Volume    string
	Pages     string
	InDegree  int
	OutDegree int
}

// Edge is a citation from a batch document to a node, with its provenance.
type Edge struct {
	Source         string
	Target         string
	CitingDocument string
	ReferenceIndex int32
	Match          string
	// Weight is how many of the citing document's references resolved to
	// the target (a work listed twice, or cited in two forms); the edge
	// keeps the first of them.
	Weight int
}

// Graph is an immutable snapshot of a batch's network. Nodes are sorted by
// id, edges by (source, target); both are shared and must not be modified.
type Graph struct {
	Batch string
	Nodes []Node
	Edges []Edge

	docs       []Contribution // sorted by document id
	nodeIndex  map[string]int
	edgeEnds   [][2]int32 // node indexes of each edge's source and target
	references int64
	// What became of the references: see RefLinks.
	refLinks   RefLinks
	components int64
	// byCitations holds node indexes sorted by in-degree descending, then id.
	byCitations []int

	domainsOnce sync.Once
	domains     []Domain
	modularity  float64
}

// DocumentNodeID is the node id of a batch document.
func DocumentNodeID(documentID string) string { return "d:" + shortHash(documentID) }

func externalNodeID(key string) string { return "x:" + shortHash(key) }

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// Node returns the node with id, if any.
func (g *Graph) Node(id string) (Node, bool) {
	i, ok := g.nodeIndex[id]
	if !ok {
		return Node{}, false
	}
	return g.Nodes[i], true
}

// Documents returns the number of batch documents.
func (g *Graph) Documents() int { return len(g.docs) }

// docRef is a batch document a reference may link to.
type docRef struct {
	node string
	doi  string
	year int32
}

// pendingRef is a reference that did not link to a batch document and will
// become or join an outside work.
type pendingRef struct {
	source   string
	citing   string
	ref      Reference
	doi      string
	title    string // normalised
	key      string // external key, once resolved
	matchKey string
}

// build links the contributions into a graph. Its output depends only on the
// set of contributions: they are sorted first, and every choice among
// candidates takes the smallest id.
func build(batch string, docs []Contribution) *Graph {
	slices.SortFunc(docs, func(a, b Contribution) int { return strings.Compare(a.DocumentID, b.DocumentID) })
	g := &Graph{Batch: batch, docs: docs}

	byDOI := map[string][]docRef{}
	byTitle := map[string][]docRef{}
	nodes := make([]Node, 0, len(docs))
	for _, d := range docs {
		id := DocumentNodeID(d.DocumentID)
		doi := NormalizeDOI(d.DOI)
		nodes = append(nodes, Node{
			ID: id, Kind: KindDocument, DocumentID: d.DocumentID,
			Title: d.Title, DOI: doi, Year: d.Year, Authors: d.Authors, Venue: d.Venue,
		})
		dr := docRef{node: id, doi: doi, year: d.Year}
		if doi != "" {
			byDOI[doi] = append(byDOI[doi], dr)
		}
		if t := NormalizeTitle(d.Title); len(t) >= minLinkTitle {
			byTitle[t] = append(byTitle[t], dr)
		}
	}

	type edgeKey struct{ source, target string }
	edges := map[edgeKey]Edge{}
	addEdge := func(e Edge) {
		k := edgeKey{e.Source, e.Target}
		// A document citing the same work twice gives one edge, the first
		// reference's, weighted by the count: the network is simple, and
		// in-degrees count citing documents.
		e.Weight = 1
		if old, ok := edges[k]; ok {
			e.Weight += old.Weight
			if old.ReferenceIndex <= e.ReferenceIndex {
				e = old
				e.Weight++
			}
		}
		edges[k] = e
	}

	var pending []pendingRef
	var fuzzy *fuzzyIndex
	for _, d := range docs {
		source := DocumentNodeID(d.DocumentID)
		g.references += int64(len(d.References))
		for _, r := range d.References {
			doi := NormalizeDOI(r.DOI)
			title := NormalizeTitle(r.Title)
			target, match := linkInternal(byDOI, byTitle, doi, title, r.Year)
			if target == "" && title != "" {
				if fuzzy == nil {
					fuzzy = newFuzzyIndex(docs)
				}
				if target = fuzzy.link(&r, doi, title); target != "" {
					match = MatchFuzzy
				}
			}
			if target == source {
				g.refLinks.Self++
				continue // self-citation
			}
			if target != "" {
				g.refLinks.ToBatch++
				addEdge(Edge{Source: source, Target: target, CitingDocument: d.DocumentID, ReferenceIndex: r.Index, Match: match})
				continue
			}
			if doi == "" && title == "" {
				// Nothing identifies the work; it counts as a reference but
				// makes no node (a node per unparsed string would be noise).
				g.refLinks.Unidentified++
				continue
			}
			g.refLinks.ToOutside++
			pending = append(pending, pendingRef{source: source, citing: d.DocumentID, ref: r, doi: doi, title: title})
		}
	}

	externals := resolveExternals(pending)
	for _, x := range externals {
		nodes = append(nodes, x.node)
	}
	for _, p := range pending {
		addEdge(Edge{Source: p.source, Target: externalNodeID(p.key), CitingDocument: p.citing, ReferenceIndex: p.ref.Index, Match: p.matchKey})
	}

	slices.SortFunc(nodes, func(a, b Node) int { return strings.Compare(a.ID, b.ID) })
	g.Nodes = nodes
	g.nodeIndex = make(map[string]int, len(nodes))
	for i, n := range nodes {
		g.nodeIndex[n.ID] = i
	}
	g.Edges = make([]Edge, 0, len(edges))
	for _, e := range edges {
		g.Edges = append(g.Edges, e)
	}
	slices.SortFunc(g.Edges, func(a, b Edge) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), strings.Compare(a.Target, b.Target))
	})

	uf := disjoint.New(len(nodes))
	g.edgeEnds = make([][2]int32, len(g.Edges))
	for k, e := range g.Edges {
		s, t := g.nodeIndex[e.Source], g.nodeIndex[e.Target]
		g.edgeEnds[k] = [2]int32{int32(s), int32(t)}
		g.Nodes[s].OutDegree++
		g.Nodes[t].InDegree++
		uf.Union(s, t)
	}
	g.components = int64(uf.Count())

	g.byCitations = make([]int, 0)
	for i, n := range g.Nodes {
		if n.InDegree > 0 {
			g.byCitations = append(g.byCitations, i)
		}
	}
	slices.SortFunc(g.byCitations, func(a, b int) int {
		return cmp.Or(cmp.Compare(g.Nodes[b].InDegree, g.Nodes[a].InDegree), strings.Compare(g.Nodes[a].ID, g.Nodes[b].ID))
	})
	return g
}

// linkInternal finds the batch document a reference cites: by DOI, else by
// normalised title with equal years (or one missing). A title link is not
// made when both sides carry a DOI: two different DOIs are two works.
func linkInternal(byDOI, byTitle map[string][]docRef, doi, title string, year int32) (string, string) {
	if doi != "" {
		if c := byDOI[doi]; len(c) > 0 {
			return minNode(c), MatchDOI
		}
	}
	if len(title) < minLinkTitle {
		return "", ""
	}
	var cands []docRef
	for _, c := range byTitle[title] {
		if doi != "" && c.doi != "" {
			continue
		}
		if year != 0 && c.year != 0 && year != c.year {
			continue
		}
		cands = append(cands, c)
	}
	if len(cands) == 0 {
		return "", ""
	}
	return minNode(cands), MatchTitle
}

func minNode(c []docRef) string {
	m := c[0].node
	for _, d := range c[1:] {
		m = min(m, d.node)
	}
	return m
}

type external struct {
	node Node
	refs []Reference
}

// resolveExternals assigns every pending reference the key of its outside
// work and returns those works. References with a DOI are keyed by it. A
// reference with only a title joins the DOI work whose references carry the
// same title and a compatible year when there is exactly one such work;
// otherwise it is keyed by title and year, a missing year taking the year of
// the other title-only references when they agree on one.
func resolveExternals(pending []pendingRef) []*external {
	type titleYear struct {
		key  string
		year int32
	}
	doiByTitle := map[string]map[titleYear]bool{}
	titleYears := map[string]map[int32]bool{}
	for i := range pending {
		p := &pending[i]
		switch {
		case p.doi != "":
			p.key, p.matchKey = "doi:"+p.doi, MatchDOI
			if p.title != "" {
				if doiByTitle[p.title] == nil {
					doiByTitle[p.title] = map[titleYear]bool{}
				}
				doiByTitle[p.title][titleYear{p.key, p.ref.Year}] = true
			}
		case p.ref.Year != 0:
			if titleYears[p.title] == nil {
				titleYears[p.title] = map[int32]bool{}
			}
			titleYears[p.title][p.ref.Year] = true
		}
	}
	for i := range pending {
		p := &pending[i]
		if p.key != "" {
			continue
		}
		p.matchKey = MatchTitle
		joined := map[string]bool{}
		for ty := range doiByTitle[p.title] {
			if p.ref.Year == 0 || ty.year == 0 || ty.year == p.ref.Year {
				joined[ty.key] = true
			}
		}
		if len(joined) == 1 {
			for k := range joined {
				p.key = k
			}
			continue
		}
		year := p.ref.Year
		if ys := titleYears[p.title]; year == 0 && len(ys) == 1 {
			for y := range ys {
				year = y
			}
		}
		p.key = fmt.Sprintf("title:%s|%d", p.title, year)
	}

	byKey := map[string]*external{}
	for _, p := range pending {
		x := byKey[p.key]
		if x == nil {
			x = &external{node: Node{ID: externalNodeID(p.key), Kind: KindExternal}}
			if d, ok := strings.CutPrefix(p.key, "doi:"); ok {
				x.node.DOI = d
			}
			byKey[p.key] = x
		}
		x.refs = append(x.refs, p.ref)
	}
	out := make([]*external, 0, len(byKey))
	for _, x := range byKey {
		// Different documents describe the same work differently; each field
		// takes its most frequent value, ties to the smallest, so the choice
		// does not depend on arrival order.
		x.node.Title = mostFrequent(x.refs, func(r Reference) string { return r.Title })
		x.node.Venue = mostFrequent(x.refs, func(r Reference) string { return r.Venue })
		x.node.Volume = mostFrequent(x.refs, func(r Reference) string { return r.Volume })
		x.node.Pages = mostFrequent(x.refs, func(r Reference) string { return r.Pages })
		if a := mostFrequent(x.refs, func(r Reference) string { return strings.Join(r.Authors, "\x00") }); a != "" {
			x.node.Authors = strings.Split(a, "\x00")
		}
		x.node.Year = mostFrequentYear(x.refs)
		out = append(out, x)
	}
	return out
}

// mostFrequent returns the most frequent non-empty value of field over refs,
// ties going to the lexicographically smallest.
func mostFrequent(refs []Reference, field func(Reference) string) string {
	counts := map[string]int{}
	for _, r := range refs {
		if v := field(r); v != "" {
			counts[v]++
		}
	}
	best, bestN := "", 0
	for v, n := range counts {
		if n > bestN || (n == bestN && v < best) {
			best, bestN = v, n
		}
	}
	return best
}

// mostFrequentYear returns the most frequent known year of refs, ties going
// to the earliest, or 0.
func mostFrequentYear(refs []Reference) int32 {
	counts := map[int32]int{}
	for _, r := range refs {
		if r.Year != 0 {
			counts[r.Year]++
		}
	}
	var best int32
	bestN := 0
	for y, n := range counts {
		if n > bestN || (n == bestN && y < best) {
			best, bestN = y, n
		}
	}
	return best
}
