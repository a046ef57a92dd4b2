package disjoint

import "testing"

func TestSets(t *testing.T) {
	s := New(6)
	if s.Count() != 6 {
		t.Fatalf("Count %d, want 6", s.Count())
	}
	if !s.Union(4, 2) || !s.Union(2, 5) || s.Union(5, 4) {
		t.Fatal("Union reported the wrong merges")
	}
	if !s.Union(1, 3) {
		t.Fatal("1 and 3 were apart")
	}
	for i, want := range []int{0, 1, 2, 1, 2, 2} {
		if got := s.Find(i); got != want {
			t.Errorf("Find(%d) = %d, want %d (the smallest of its set)", i, got, want)
		}
	}
	if s.Count() != 3 {
		t.Fatalf("Count %d, want 3", s.Count())
	}
}

// A long chain stays shallow enough that Find does not recurse or slow
// down: a million unions in a line.
func TestLongChain(t *testing.T) {
	const n = 1 << 20
	s := New(n)
	for i := n - 1; i > 0; i-- {
		s.Union(i, i-1)
	}
	if s.Count() != 1 || s.Find(n-1) != 0 {
		t.Fatalf("Count %d, Find %d", s.Count(), s.Find(n-1))
	}
}
