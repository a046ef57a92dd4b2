package eval

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScoreClustersByHand(t *testing.T) {
	// Gold {0,1,2} {3,4}; predicted {0,1} {2,3,4}.
	gold := []string{"a", "a", "a", "b", "b"}
	pred := []int{0, 0, 1, 1, 1}
	inc := []bool{true, true, true, true, true}
	cands := [][2]int{{0, 1}, {0, 2}, {2, 3}, {3, 4}}
	f := erScoreClusters(pred, gold, inc, cands)
	// Pairs: predicted (0,1) (2,3) (2,4) (3,4); gold (0,1) (0,2) (1,2) (3,4).
	// TP = 2 → P = 2/4, R = 2/4.
	if !near(f.PairwisePrecision, 0.5) || !near(f.PairwiseRecall, 0.5) || !near(f.PairwiseF1, 0.5) {
		t.Errorf("pairwise %+v", f)
	}
	// B3 precision: 1,1,1/3,2/3,2/3 → 11/15; recall: 2/3,2/3,1/3,1,1 → 11/15.
	if !near(f.B3Precision, 11.0/15) || !near(f.B3Recall, 11.0/15) {
		t.Errorf("b3 %v %v", f.B3Precision, f.B3Recall)
	}
	// Gold pairs surviving blocking: (0,1) (0,2) (3,4) of 4.
	if !near(f.BlockingRecall, 0.75) || !near(f.ReductionRatio, 1-4.0/10) {
		t.Errorf("blocking %v %v", f.BlockingRecall, f.ReductionRatio)
	}
	// Restricting to records 0..2 drops everything about 3 and 4.
	f = erScoreClusters(pred, gold, []bool{true, true, true, false, false}, cands)
	if !near(f.PairwisePrecision, 1) || !near(f.PairwiseRecall, 1.0/3) || f.ScoredMentions != 3 {
		t.Errorf("restricted %+v", f)
	}
}

// writeTinyData writes a small data folder in the layout of
// ../shared/data, generated here (no shared data is read).
func writeTinyData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	topics := []string{"adaptive query processing for streams", "indexing moving objects in road networks",
		"learning to rank with click data", "compressed bitmap indexes revisited", "consistent hashing in peer networks",
		"probabilistic skyline queries", "schema matching with neural nets", "transaction repair for optimistic concurrency"}
	people := []string{"Alice Martin", "Bogdan Novak", "Chen Wei", "Dana Oduya", "Erik Lindqvist", "Fatima Haddad", "Goran Petrov", "Hiro Tanaka"}
	var dblp, acm, gt strings.Builder
	dblp.WriteString("id%title%authors%venue%year\n")
	acm.WriteString("id%title%authors%venue%year\n")
	gt.WriteString("D1%D2\n")
	for i, tp := range topics {
		a := people[i] + ", " + people[(i+3)%len(people)]
		fmt.Fprintf(&dblp, "%d%%%s%%%s%%VLDB%%%d\n", i, strings.ToUpper(tp[:1])+tp[1:], a, 2000+i)
		if i < 6 { // two DBLP records without an ACM twin
			fmt.Fprintf(&acm, "%d%%%s%%%s%%Very Large Data Bases%%%d\n", 10+i, tp, a, 2000+i)
			fmt.Fprintf(&gt, "%d%%%d\n", i, 10+i)
		}
	}
	write("er/dblp-acm/dblp.csv", dblp.String())
	write("er/dblp-acm/acm.csv", acm.String())
	write("er/dblp-acm/gt.csv", gt.String())

	var cora strings.Builder
	cora.WriteString("id,label,author,year,title,type,institution,journal,volume,pages,address,date,booktitle,publisher\n")
	id := 0
	for i, tp := range topics {
		for v := range 3 {
			title := tp
			if v == 1 {
				title = strings.Replace(tp, " ", "  ", 1) + "."
			}
			if v == 2 {
				title = strings.ToUpper(tp)
			}
			fmt.Fprintf(&cora, "%d,lab%d,\" %s and %s \", (%d). ,\" %s \",,,,,,,,Proc. ICDE,\n", id, i, people[i], people[(i+1)%8], 1990+i, title)
			id++
		}
	}
	write("er/cora/cora.csv", cora.String())

	var s2 strings.Builder
	s2.WriteString("signature_id,paper_id,position,block,first,middle,last,suffix,affiliations,gold_cluster_id\n")
	sig := 0
	for i, p := range people {
		first, last, _ := strings.Cut(p, " ")
		for k := range 3 {
			aff := fmt.Sprintf("University of Place%d", i)
			fmt.Fprintf(&s2, "%d,%d,0,%s %s,%s,,%s,,%s,%d\n", sig, 1000+sig, strings.ToLower(first[:1]), strings.ToLower(last), first, last, aff, i)
			sig++
			_ = k
		}
	}
	write("er/s2and-authors/signatures_with_gold.csv", s2.String())

	for a := range 4 {
		var x strings.Builder
		x.WriteString(`<?xml version="1.0"?><article><front><article-meta><title-group><article-title>Paper ` + fmt.Sprint(a) + `</article-title></title-group><contrib-group>`)
		for k := range 3 {
			p := people[(a+k)%4]
			first, last, _ := strings.Cut(p, " ")
			orcid := ""
			if k < 2 {
				orcid = fmt.Sprintf(`<contrib-id contrib-id-type="orcid">http://orcid.org/0000-0000-0000-000%d</contrib-id>`, (a+k)%4)
			}
			fmt.Fprintf(&x, `<contrib contrib-type="author">%s<name><surname>%s</surname><given-names>%s</given-names></name><xref ref-type="aff" rid="aff1"/></contrib>`, orcid, last, first)
		}
		x.WriteString(`<aff id="aff1"><label>1</label><institution>Institute of Things</institution>, <country>Nowhere</country></aff></contrib-group></article-meta></front><body><p>text</p></body></article>`)
		write(fmt.Sprintf("papers/elife-jats/elife%05d.xml", a), x.String())
	}
	return dir
}

func TestResolveTinyData(t *testing.T) {
	dir := writeTinyData(t)
	rep, err := Resolve(t.Context(), dir, ResolveOptions{Split: SplitAll})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing) != 0 {
		t.Fatalf("missing %v", rep.Missing)
	}
	want := map[string]int{DatasetDBLPACM: 14, DatasetCora: 24, DatasetS2AND: 24, DatasetELife: 12}
	for _, name := range ResolveDatasets {
		f := rep.Figures(name)
		if f == nil {
			t.Fatalf("%s: no figures", name)
		}
		if f.Records != want[name] {
			t.Errorf("%s: %d records, want %d", name, f.Records, want[name])
		}
		for k, v := range map[string]float64{"pairwise F1": f.PairwiseF1, "B3 F1": f.B3F1, "blocking recall": f.BlockingRecall} {
			if v < 0.99 {
				t.Errorf("%s: %s %.3f on an easy generated set", name, k, v)
			}
		}
		if f.ReductionRatio <= 0 || f.ReductionRatio >= 1 || math.IsNaN(f.MentionsPerSec) {
			t.Errorf("%s: %+v", name, f)
		}
	}
	// ORCIDs are gold only: 8 of the 12 eLife mentions have one.
	if got := rep.ELifeAuthors.ScoredMentions; got != 8 {
		t.Errorf("elife scored mentions %d, want 8", got)
	}
	// The two splits partition the scored mentions.
	dev, err := Resolve(t.Context(), dir, ResolveOptions{Split: SplitDev})
	if err != nil {
		t.Fatal(err)
	}
	test, err := Resolve(t.Context(), dir, ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range ResolveDatasets {
		if d, s, a := dev.Figures(name).ScoredMentions, test.Figures(name).ScoredMentions, rep.Figures(name).ScoredMentions; d+s != a {
			t.Errorf("%s: dev %d + test %d ≠ all %d", name, d, s, a)
		}
	}
	b, err := json.Marshal(test)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"dblp_acm"`, `"cora"`, `"s2and"`, `"elife_authors"`, `"blocking_recall"`, `"reduction_ratio"`,
		`"pairwise_precision"`, `"pairwise_recall"`, `"pairwise_f1"`, `"b3_precision"`, `"b3_recall"`, `"b3_f1"`, `"mentions_per_sec"`, `"seconds"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("JSON lacks %s", k)
		}
	}
	var sb strings.Builder
	if err := test.WriteTable(&sb); err != nil || !strings.Contains(sb.String(), "elife_authors") {
		t.Errorf("table: %v\n%s", err, sb.String())
	}
}

func TestResolveMissingAndUnknown(t *testing.T) {
	rep, err := Resolve(t.Context(), t.TempDir(), ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Missing) != len(ResolveDatasets) {
		t.Fatalf("missing %v", rep.Missing)
	}
	if _, err := Resolve(t.Context(), t.TempDir(), ResolveOptions{Datasets: []string{"nope"}}); err == nil {
		t.Fatal("unknown data set accepted")
	}
	if _, err := Resolve(t.Context(), t.TempDir(), ResolveOptions{Split: "train"}); err == nil {
		t.Fatal("unknown split accepted")
	}
}
