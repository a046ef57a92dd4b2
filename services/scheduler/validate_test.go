package scheduler

import (
	"errors"
	"fmt"
	"testing"
)

func chain(n int) []DocSpec {
	docs := make([]DocSpec, n)
	for i := range docs {
		docs[i] = DocSpec{ID: fmt.Sprintf("d%d", i), Path: fmt.Sprintf("d%d.txt", i)}
		if i > 0 {
			docs[i].DependsOn = []string{docs[i-1].ID}
		}
	}
	return docs
}

// A chain 100,000 deep validates and ranks without recursion.
func TestDeepChain(t *testing.T) {
	docs := chain(100_000)
	_, deps, err := validateDocs(docs)
	if err != nil {
		t.Fatal(err)
	}
	b := (&Scheduler{batches: map[string]*batch{}, cfg: Config{DefaultMaxRetries: 3}}).buildBatch(Record{Header: BatchHeader{ID: "x"}}, docs, deps)
	if first, last := b.docs[0].rank, b.docs[len(docs)-1].rank; first <= last {
		t.Fatalf("head of chain must outrank its tail: %v <= %v", first, last)
	}
	if b.docs[0].spec.Priority != PriorityCritical || b.docs[len(docs)-1].spec.Priority != PriorityNormal {
		t.Fatalf("blocking documents are derived CRITICAL, leaves NORMAL")
	}
	// Closing the chain into a ring is a cycle through all of it.
	docs[0].DependsOn = []string{docs[len(docs)-1].ID}
	_, _, err = validateDocs(docs)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("want ErrInvalid, got %v", err)
	}
}

func TestCheckRelPath(t *testing.T) {
	for p, ok := range map[string]bool{
		"a/b.pdf": true, "": false, "/etc/passwd": false, "../x": false, "a/../../x": false, "a//b": false, "./a": false, "a\\b": false,
	} {
		if got := checkRelPath(p) == ""; got != ok {
			t.Errorf("checkRelPath(%q) ok=%v, want %v", p, got, ok)
		}
	}
}
