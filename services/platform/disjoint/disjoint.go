// Package disjoint is a disjoint-set forest (union-find) over the integers
// 0..n-1, shared by the resolver (identifier groups) and the citations
// service (connected components).
package disjoint

// Sets is a disjoint-set forest with path halving. The root of a set is
// always its smallest element, so roots do not depend on union order and
// results built from them are deterministic.
type Sets struct {
	parent []int
	count  int
}

// New returns n singleton sets.
func New(n int) *Sets {
	s := &Sets{parent: make([]int, n), count: n}
	for i := range s.parent {
		s.parent[i] = i
	}
	return s
}

// Find returns the root (smallest element) of i's set.
func (s *Sets) Find(i int) int {
	for s.parent[i] != i {
		s.parent[i] = s.parent[s.parent[i]]
		i = s.parent[i]
	}
	return i
}

// Union merges the sets of a and b and reports whether they were apart.
func (s *Sets) Union(a, b int) bool {
	a, b = s.Find(a), s.Find(b)
	if a == b {
		return false
	}
	if b < a {
		a, b = b, a
	}
	s.parent[b] = a
	s.count--
	return true
}

// Count is the number of sets.
func (s *Sets) Count() int { return s.count }
