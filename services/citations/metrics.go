package citations

import (
	"maps"
	"slices"
)

// Metrics summarise a network.
type Metrics struct {
	Documents int64
	Nodes     int64
	Edges     int64
	// InternalEdges link two batch documents.
	InternalEdges int64
	// References counts every reference of every document, including those
	// that made no edge (self-citations, repeats, unidentifiable entries).
	References int64
	TopCited   []CitedWork
	// PerYear counts batch documents by publication year, ascending;
	// documents of unknown year are not counted.
	PerYear []YearCount
	// Components counts the weakly connected components over all nodes.
	Components int64
}

// CitedWork is a node with the number of batch documents citing it.
type CitedWork struct {
	Node      Node
	Citations int
}

// YearCount is the number of batch documents of a year.
type YearCount struct {
	Year  int32
	Count int64
}

// Metrics computes the metrics of g with the top most cited nodes (ties
// broken by node id).
func (g *Graph) Metrics(top int) Metrics {
	m := Metrics{
		Documents:  int64(len(g.docs)),
		Nodes:      int64(len(g.Nodes)),
		Edges:      int64(len(g.Edges)),
		References: g.references,
		Components: g.components,
	}
	for _, e := range g.Edges {
		if g.Nodes[g.nodeIndex[e.Target]].Kind == KindDocument {
			m.InternalEdges++
		}
	}
	for _, i := range g.byCitations[:min(top, len(g.byCitations))] {
		m.TopCited = append(m.TopCited, CitedWork{Node: g.Nodes[i], Citations: g.Nodes[i].InDegree})
	}
	years := map[int32]int64{}
	for _, d := range g.docs {
		if d.Year != 0 {
			years[d.Year]++
		}
	}
	for _, y := range slices.Sorted(maps.Keys(years)) {
		m.PerYear = append(m.PerYear, YearCount{Year: y, Count: years[y]})
	}
	return m
}
