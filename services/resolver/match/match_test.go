package match

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func person(id, doc, given, family, aff string, coauthors ...string) Record {
	return Record{ID: id, Kind: Person, Doc: doc, Given: given, Family: family, Affiliation: aff, Coauthors: coauthors}
}

// sameCluster reports whether the records with the given IDs share a cluster.
func sameCluster(t *testing.T, recs []Record, res Result, a, b string) bool {
	t.Helper()
	ia := slices.IndexFunc(recs, func(r Record) bool { return r.ID == a })
	ib := slices.IndexFunc(recs, func(r Record) bool { return r.ID == b })
	if ia < 0 || ib < 0 {
		t.Fatalf("unknown id %s or %s", a, b)
	}
	return res.Cluster[ia] == res.Cluster[ib]
}

func TestIdentifiersTrusted(t *testing.T) {
	recs := []Record{
		// Different spellings, same ORCID: one person.
		{ID: "a", Kind: Person, Doc: "d1", Name: "Jane Q. Doe", ORCID: "https://orcid.org/0000-0001-2345-6789"},
		{ID: "b", Kind: Person, Doc: "d2", Name: "J. Doe-Smith", ORCID: "0000-0001-2345-6789"},
		// Same title, same DOI (case-insensitive): one work.
		{ID: "w1", Kind: Work, Title: "A study of things", DOI: "10.1000/ABC", Year: 2020},
		{ID: "w2", Kind: Work, Title: "Completely different words", DOI: "https://doi.org/10.1000/abc"},
	}
	m := New(recs, Options{})
	res := m.Cluster()
	if !sameCluster(t, recs, res, "a", "b") {
		t.Fatal("equal ORCIDs not merged")
	}
	if !sameCluster(t, recs, res, "w1", "w2") {
		t.Fatal("equal DOIs not merged")
	}
	c := res.Cluster[0]
	if res.Method[c] != MethodORCID || res.Confidence[c] != 1 {
		t.Fatalf("method %q confidence %v, want orcid 1", res.Method[c], res.Confidence[c])
	}
	if c := res.Cluster[2]; res.Method[c] != MethodDOI {
		t.Fatalf("work method %q, want doi", res.Method[c])
	}
	if res.Stats.IdentifierMerges != 2 {
		t.Fatalf("identifier merges %d, want 2", res.Stats.IdentifierMerges)
	}
}

func TestConflictingORCIDsNeverMerged(t *testing.T) {
	// Identical names and affiliations; two different ORCIDs. A third
	// mention without ORCID may join one of them, but never both.
	recs := []Record{
		{ID: "a", Kind: Person, Doc: "d1", Given: "Wei", Family: "Zhang", Affiliation: "Tsinghua University", ORCID: "0000-0002-0000-0001"},
		{ID: "b", Kind: Person, Doc: "d2", Given: "Wei", Family: "Zhang", Affiliation: "Tsinghua University", ORCID: "0000-0002-0000-0002"},
		{ID: "c", Kind: Person, Doc: "d3", Given: "Wei", Family: "Zhang", Affiliation: "Tsinghua University"},
	}
	res := New(recs, Options{}).Cluster()
	if sameCluster(t, recs, res, "a", "b") {
		t.Fatal("different ORCIDs merged")
	}
	m := New(recs, Options{})
	if e := m.Explain(0, 1); e.Decision != decIdentifierConflict || e.Probability != 0 {
		t.Fatalf("explain: %v", e)
	}
}

func TestSameDocumentAuthorsNeverMerged(t *testing.T) {
	// Two "J. Smith" on one paper are two people, even though each looks
	// like the J. Smith of another paper.
	recs := []Record{
		person("p1a", "paper1", "J", "Smith", "MIT"),
		person("p1b", "paper1", "J", "Smith", "MIT"),
		person("p2", "paper2", "John", "Smith", "MIT"),
		person("p3", "paper3", "John", "Smith", "MIT"),
	}
	res := New(recs, Options{}).Cluster()
	if sameCluster(t, recs, res, "p1a", "p1b") {
		t.Fatal("two authors of the same document merged")
	}
	if !sameCluster(t, recs, res, "p2", "p3") {
		t.Fatal("same person across documents not merged")
	}
}

func corpusRecords() []Record {
	recs := []Record{
		person("1", "d1", "Christopher", "Manning", "Stanford University", "Hinrich Schutze", "Prabhakar Raghavan"),
		person("2", "d2", "Chris", "Manning", "Stanford Univ.", "Hinrich Schutze"),
		person("3", "d3", "C. D.", "Manning", "", "Dan Klein"),
		person("4", "d4", "Christopher", "Manning", "University of Leeds", "Anne Other"),
		person("5", "d5", "Maria", "García-López", "Universidad de Sevilla"),
		person("6", "d6", "María", "Garcia Lopez", "Universidad de Sevilla"),
		person("7", "d7", "Mario", "Garcia", "Politecnico di Milano"),
		person("8", "d1", "Hinrich", "Schütze", "Stanford University", "Christopher Manning"),
		person("9", "d2", "Hinrich", "Schutze", "Stanford", "Chris Manning"),
		{ID: "w1", Kind: Work, Doc: "x", Title: "Foundations of Statistical Natural Language Processing", Authors: []string{"Christopher D. Manning", "Hinrich Schütze"}, Venue: "MIT Press", Year: 1999},
		{ID: "w2", Kind: Work, Doc: "y", Title: "Foundations of statistical natural language processing.", Authors: []string{"C. Manning", "H. Schutze"}, Year: 1999},
		{ID: "w3", Kind: Work, Doc: "z", Title: "Introduction to Information Retrieval", Authors: []string{"Christopher D. Manning", "Prabhakar Raghavan", "Hinrich Schütze"}, Year: 2008},
		{ID: "o1", Kind: Organization, Name: "The Univ. of Oxford"},
		{ID: "o2", Kind: Organization, Name: "University of Oxford"},
		{ID: "o3", Kind: Organization, Name: "Oxford Brookes University"},
	}
	return recs
}

func TestResolvesCorpus(t *testing.T) {
	recs := corpusRecords()
	res := New(recs, Options{}).Cluster()
	for _, p := range [][2]string{{"1", "2"}, {"5", "6"}, {"8", "9"}, {"w1", "w2"}, {"o1", "o2"}} {
		if !sameCluster(t, recs, res, p[0], p[1]) {
			t.Errorf("%s and %s should be one entity", p[0], p[1])
		}
	}
	for _, p := range [][2]string{{"1", "8"}, {"5", "7"}, {"w1", "w3"}, {"o1", "o3"}, {"1", "w1"}} {
		if sameCluster(t, recs, res, p[0], p[1]) {
			t.Errorf("%s and %s should be different entities", p[0], p[1])
		}
	}
	if res.Stats.CandidatePairs == 0 || int64(res.Stats.CandidatePairs) >= res.Stats.AllPairs {
		t.Errorf("blocking compared %d of %d pairs", res.Stats.CandidatePairs, res.Stats.AllPairs)
	}
	for c, meth := range res.Method {
		if meth == "" || res.Confidence[c] < 0 || res.Confidence[c] > 1 {
			t.Errorf("cluster %d: method %q confidence %v", c, meth, res.Confidence[c])
		}
	}
}

func TestOrderIndependence(t *testing.T) {
	recs := corpusRecords()
	ref := New(recs, Options{}).Cluster()
	// Partition as a set of ID sets, plus the cluster numbering by ID.
	byID := func(rs []Record, res Result) map[string]int {
		out := map[string]int{}
		for i, r := range rs {
			out[r.ID] = res.Cluster[i]
		}
		return out
	}
	want := byID(recs, ref)
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 20 {
		sh := slices.Clone(recs)
		rng.Shuffle(len(sh), func(i, j int) { sh[i], sh[j] = sh[j], sh[i] })
		res := New(sh, Options{Workers: 1 + trial%3}).Cluster()
		got := byID(sh, res)
		for id, c := range want {
			if got[id] != c {
				t.Fatalf("trial %d: %s in cluster %d, want %d", trial, id, got[id], c)
			}
		}
		for i := range sh {
			c := res.Cluster[i]
			rc := ref.Cluster[slices.IndexFunc(recs, func(r Record) bool { return r.ID == sh[i].ID })]
			if res.Confidence[c] != ref.Confidence[rc] || res.Method[c] != ref.Method[rc] {
				t.Fatalf("trial %d: cluster metadata differs for %s", trial, sh[i].ID)
			}
		}
	}
}

func TestExplainListsSignals(t *testing.T) {
	recs := corpusRecords()
	m := New(recs, Options{})
	e := m.Explain(0, 1) // Christopher / Chris Manning
	names := map[string]bool{}
	var sum float64
	for _, s := range e.Signals {
		names[s.Name] = true
		sum += s.Weight
		if s.Level == "" || s.Detail == "" {
			t.Errorf("signal %+v lacks level or detail", s)
		}
	}
	for _, n := range []string{"family", "given", "coauthors", "affiliation"} {
		if !names[n] {
			t.Errorf("signal %q missing from %v", n, e)
		}
	}
	if d := e.Score - (e.Prior + sum); d > 1e-9 || d < -1e-9 {
		t.Errorf("score %v ≠ prior %v + Σ weights %v", e.Score, e.Prior, sum)
	}
	if !e.Candidate || e.Probability < 0.5 {
		t.Errorf("Christopher/Chris Manning: %v", e)
	}
	if !strings.Contains(e.String(), "given") {
		t.Errorf("String() = %q", e.String())
	}
	w := m.Explain(9, 11) // two different works
	if w.Probability >= 0.5 {
		t.Errorf("different works: %v", w)
	}
	found := false
	for _, s := range w.Signals {
		found = found || s.Name == "title"
	}
	if !found {
		t.Errorf("work explanation has no title signal: %v", w)
	}
}

func TestBest(t *testing.T) {
	recs := corpusRecords()
	m := New(recs, Options{})
	res := m.Cluster()
	c, s := m.Best(Record{ID: "q", Kind: Person, Doc: "new", Given: "Christopher", Family: "Manning", Affiliation: "Stanford University", Coauthors: []string{"Hinrich Schütze"}})
	if c != res.Cluster[0] || s < 0.5 {
		t.Fatalf("Best = %d, %.3f; want cluster %d", c, s, res.Cluster[0])
	}
	if c, _ := m.Best(Record{ID: "q2", Kind: Person, Given: "Zebulon", Family: "Quux"}); c != -1 {
		t.Fatalf("unknown person placed in cluster %d", c)
	}
	// Best must not change the model.
	again := m.Cluster()
	if !slices.Equal(again.Cluster, res.Cluster) {
		t.Fatal("Best changed the clustering")
	}
}

type fakeJudge struct {
	calls int
	same  bool
	err   error
}

func (f *fakeJudge) Same(_ context.Context, a, b Record) (bool, error) {
	f.calls++
	return f.same, f.err
}

func TestAdjudicator(t *testing.T) {
	// An initial and a full name with no other evidence: uncertain.
	recs := []Record{
		person("a", "d1", "J", "Kowalczyk", ""),
		person("b", "d2", "Jan", "Kowalczyk", ""),
	}
	m0 := New(recs, Options{})
	p := m0.Explain(0, 1).Probability
	if p < DefaultUncertainLow || p > DefaultUncertainHigh {
		t.Fatalf("test pair not uncertain: p=%.3f", p)
	}
	for _, same := range []bool{true, false} {
		j := &fakeJudge{same: same}
		res := New(recs, Options{Adjudicator: j}).Cluster()
		if j.calls != 1 || res.Stats.AdjudicatorCalls != 1 {
			t.Fatalf("calls %d / %d, want 1", j.calls, res.Stats.AdjudicatorCalls)
		}
		if got := res.Cluster[0] == res.Cluster[1]; got != same {
			t.Fatalf("adjudicator said %v, merged %v", same, got)
		}
		if same && res.Method[res.Cluster[0]] != MethodLLM {
			t.Fatalf("method %q, want llm", res.Method[res.Cluster[0]])
		}
	}
	j := &fakeJudge{err: errors.New("down")}
	res := New(recs, Options{Adjudicator: j}).Cluster()
	if res.Stats.AdjudicatorErrors != 1 {
		t.Fatalf("errors %d", res.Stats.AdjudicatorErrors)
	}
	// A certain pair is never sent.
	sure := []Record{person("a", "d1", "Jan", "Kowalczyk", "Warsaw University", "Anna Nowak"), person("b", "d2", "Jan", "Kowalczyk", "Warsaw University", "Anna Nowak")}
	j = &fakeJudge{}
	New(sure, Options{Adjudicator: j}).Cluster()
	if j.calls != 0 {
		t.Fatalf("certain pair adjudicated")
	}
}

func TestNormalization(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"Müller", "muller"}, {"Łukasz", "lukasz"}, {"Lud&#228;scher", "ludascher"}, {"Straße", "strasse"},
	} {
		if got := fold(c.in); got != c.want {
			t.Errorf("fold(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if g := givenTokens("Jason ND"); !slices.Equal(g, []string{"jason", "n", "d"}) {
		t.Errorf("givenTokens = %v", g)
	}
	if g, f := splitName("Jan van der Berg"); g != "Jan" || f != "van der Berg" {
		t.Errorf("splitName = %q, %q", g, f)
	}
	if c, parts := familyForms("García-López"); c != "garcialopez" || len(parts) != 2 {
		t.Errorf("familyForms = %q %v", c, parts)
	}
	if !isNickname("robert", "rob") || !isNickname("chris", "christopher") || isNickname("rob", "william") {
		t.Error("nickname table")
	}
	if jw := jaroWinkler("martha", "marhta"); jw < 0.96 || jw > 0.962 {
		t.Errorf("jaroWinkler(martha, marhta) = %v", jw)
	}
}

func TestLargeBlockIsWindowed(t *testing.T) {
	var recs []Record
	for i := range maxBlock + 100 {
		recs = append(recs, person(fmt.Sprintf("r%04d", i), fmt.Sprintf("d%d", i), "J", "Smith", ""))
	}
	res := New(recs, Options{}).Cluster()
	if res.Stats.WindowedBlocks != 1 {
		t.Fatalf("windowed blocks %d", res.Stats.WindowedBlocks)
	}
	if max := (maxBlock + 100) * blockWindow; res.Stats.CandidatePairs > max {
		t.Fatalf("%d candidate pairs, more than the window allows (%d)", res.Stats.CandidatePairs, max)
	}
}
