package llm

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/docbatch/docbatch/services/resolver/match"
)

// The matcher asks the model only about uncertain pairs, and a confident
// "same" joins them with the method "llm"; with no model the same records
// stay apart, so the join is the model's doing.
func TestAdjudicatorJoinsUncertainPairs(t *testing.T) {
	recs := []match.Record{
		{ID: "a", Kind: match.Person, Doc: "d1", Name: "J. Smith", Family: "Smith", Given: "J."},
		{ID: "b", Kind: match.Person, Doc: "d2", Name: "John Smith", Family: "Smith", Given: "John"},
		{ID: "c", Kind: match.Person, Doc: "d3", Name: "Maria Garcia", Family: "Garcia", Given: "Maria"},
	}
	plain := match.New(recs, match.Options{})
	ex := plain.Explain(0, 1)
	if ex.Probability < match.DefaultUncertainLow || ex.Probability > match.DefaultUncertainHigh {
		t.Fatalf("the pair is not uncertain (p=%.3f); the test needs one that is", ex.Probability)
	}
	if r := plain.Cluster(); r.Cluster[0] == r.Cluster[1] {
		t.Fatal("without a model the uncertain pair was joined")
	}

	var asked []string
	srv, hits := chatServer(t, func(user string) (int, string) {
		asked = append(asked, user)
		b, _ := json.Marshal(map[string]any{"same": true, "confidence": 0.95, "reason": "same surname, compatible initial"})
		return http.StatusOK, string(b)
	})
	c, err := New(Config{BaseURL: srv.URL + "/v1", Model: "tiny", APIKey: "sekret"})
	if err != nil {
		t.Fatal(err)
	}
	m := match.New(recs, match.Options{Adjudicator: Adjudicator{Client: c, MinConfidence: 0.7}})
	r, err := m.ClusterContext(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Cluster[0] != r.Cluster[1] || r.Method[r.Cluster[0]] != match.MethodLLM {
		t.Fatalf("the model's verdict was not applied: clusters %v, methods %v", r.Cluster, r.Method)
	}
	if r.Cluster[2] == r.Cluster[0] {
		t.Fatal("a pair the matcher was sure about was joined")
	}
	if hits.Load() != 1 || r.Stats.AdjudicatorCalls != 1 || c.Stats().Calls != 1 {
		t.Fatalf("want exactly one question; server hits %d, matcher calls %d, client %+v", hits.Load(), r.Stats.AdjudicatorCalls, c.Stats())
	}
	if !strings.Contains(asked[0], "J.") || !strings.Contains(asked[0], "John") || strings.Contains(asked[0], "d1") {
		t.Fatalf("the question should show both names and no internal ids:\n%s", asked[0])
	}
}
