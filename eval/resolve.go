package eval

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docbatch/docbatch/services/resolver/match"
)

// Entity-resolution data sets scored by Resolve, in report order.
const (
	DatasetDBLPACM = "dblp_acm"
	DatasetCora    = "cora"
	DatasetS2AND   = "s2and"
	DatasetELife   = "elife_authors"
)

// ResolveDatasets lists every data set Resolve knows.
var ResolveDatasets = []string{DatasetDBLPACM, DatasetCora, DatasetS2AND, DatasetELife}

// Splits of the gold: every record is in the dev or the test half by a hash
// of its gold cluster (or name block, for s2and), so no entity straddles the
// halves. Thresholds of package match were chosen on dev; the figures to
// quote are test.
const (
	SplitTest = "test"
	SplitDev  = "dev"
	SplitAll  = "all"
)

// ResolveOptions tune Resolve.
type ResolveOptions struct {
	// Datasets to score (names above); empty means all.
	Datasets []string
	// Split is SplitTest (default), SplitDev or SplitAll.
	Split string
	// Match is passed to match.New (adjudicator, workers).
	Match match.Options
}

// ResolveFigures are one data set's scores on the chosen split. The
// resolver always runs end to end on every record of the data set; the
// scores count only records of the split (and, for elife_authors, only
// mentions whose gold ORCID is known): pairs and B-cubed sets are
// restricted to them.
type ResolveFigures struct {
	Records        int `json:"records"`         // records resolved (whole data set)
	ScoredMentions int `json:"scored_mentions"` // records of the split that are scored
	GoldClusters   int `json:"gold_clusters"`   // among scored mentions
	PredClusters   int `json:"pred_clusters"`   // among scored mentions
	GoldPairs      int `json:"gold_pairs"`
	CandidatePairs int `json:"candidate_pairs"` // whole data set

	BlockingRecall    float64 `json:"blocking_recall"`
	ReductionRatio    float64 `json:"reduction_ratio"`
	PairwisePrecision float64 `json:"pairwise_precision"`
	PairwiseRecall    float64 `json:"pairwise_recall"`
	PairwiseF1        float64 `json:"pairwise_f1"`
	B3Precision       float64 `json:"b3_precision"`
	B3Recall          float64 `json:"b3_recall"`
	B3F1              float64 `json:"b3_f1"`
	// MentionsPerSec and Seconds time match.New + Cluster on the whole
	// data set (blocking, scoring, clustering), not the file parsing.
	MentionsPerSec float64 `json:"mentions_per_sec"`
	Seconds        float64 `json:"seconds"`
}

// ResolveReport holds the figures per data set; a data set whose folder is
// missing is nil and listed in Missing.
type ResolveReport struct {
	Data         string          `json:"data"`
	Split        string          `json:"split"`
	DBLPACM      *ResolveFigures `json:"dblp_acm,omitempty"`
	Cora         *ResolveFigures `json:"cora,omitempty"`
	S2AND        *ResolveFigures `json:"s2and,omitempty"`
	ELifeAuthors *ResolveFigures `json:"elife_authors,omitempty"`
	Missing      []string        `json:"missing,omitempty"`
}

// Figures returns the figures of a data set by name (nil when not run).
func (r *ResolveReport) Figures(name string) *ResolveFigures {
	switch name {
	case DatasetDBLPACM:
		return r.DBLPACM
	case DatasetCora:
		return r.Cora
	case DatasetS2AND:
		return r.S2AND
	case DatasetELife:
		return r.ELifeAuthors
	}
	return nil
}

func (r *ResolveReport) set(name string, f *ResolveFigures) {
	switch name {
	case DatasetDBLPACM:
		r.DBLPACM = f
	case DatasetCora:
		r.Cora = f
	case DatasetS2AND:
		r.S2AND = f
	case DatasetELife:
		r.ELifeAuthors = f
	}
}

// erData is a data set turned into records with gold.
type erData struct {
	records []match.Record
	// gold cluster per record; "" = not scorable (no gold)
	gold []string
	// splitKey per record: what decides dev/test
	splitKey []string
}

// erLoaders read a data set from the data folder; errERNoData when absent.
var erLoaders = map[string]func(dataDir string) (*erData, error){
	DatasetDBLPACM: loadDBLPACM,
	DatasetCora:    loadCora,
	DatasetS2AND:   loadS2AND,
	DatasetELife:   loadELifeAuthors,
}

var errERNoData = errors.New("data set folder not found")

// Resolve runs the resolver on each data set under dataDir (laid out like
// ../shared/data: er/dblp-acm, er/cora, er/s2and-authors,
// papers/elife-jats) and scores it against its gold.
func Resolve(ctx context.Context, dataDir string, opts ResolveOptions) (*ResolveReport, error) {
	split := opts.Split
	if split == "" {
		split = SplitTest
	}
	if split != SplitTest && split != SplitDev && split != SplitAll {
		return nil, fmt.Errorf("unknown split %q (test, dev or all)", split)
	}
	names := opts.Datasets
	if len(names) == 0 {
		names = ResolveDatasets
	}
	rep := &ResolveReport{Data: dataDir, Split: split}
	for _, name := range names {
		load, ok := erLoaders[name]
		if !ok {
			return nil, fmt.Errorf("unknown data set %q (have %s)", name, strings.Join(ResolveDatasets, ", "))
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		d, err := load(dataDir)
		if errors.Is(err, errERNoData) {
			rep.Missing = append(rep.Missing, name)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		f, err := erScoreDataset(ctx, d, split, opts.Match)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		rep.set(name, f)
	}
	return rep, nil
}

// erInSplit: FNV-1a of the split key, even → dev, odd → test.
func erInSplit(key, split string) bool {
	if split == SplitAll {
		return true
	}
	h := fnv.New64a()
	h.Write([]byte(key))
	dev := h.Sum64()%2 == 0
	return dev == (split == SplitDev)
}

func erScoreDataset(ctx context.Context, d *erData, split string, mo match.Options) (*ResolveFigures, error) {
	runtime.GC() // do not charge this run with the garbage of the loader
	start := time.Now()
	m := match.New(d.records, mo)
	res, err := m.ClusterContext(ctx)
	if err != nil {
		return nil, err
	}
	secs := time.Since(start).Seconds()
	include := make([]bool, len(d.records))
	for i := range include {
		include[i] = d.gold[i] != "" && erInSplit(d.splitKey[i], split)
	}
	f := erScoreClusters(res.Cluster, d.gold, include, m.CandidatePairs())
	f.Records = len(d.records)
	f.CandidatePairs = res.Stats.CandidatePairs
	f.Seconds = secs
	if secs > 0 {
		f.MentionsPerSec = float64(len(d.records)) / secs
	}
	return f, nil
}

// erScoreClusters compares predicted clusters with gold over the included
// records.
func erScoreClusters(pred []int, gold []string, include []bool, candidates [][2]int) *ResolveFigures {
	f := &ResolveFigures{}
	type pg struct {
		p int
		g string
	}
	predN, goldN, bothN := map[int]int{}, map[string]int{}, map[pg]int{}
	for i, ok := range include {
		if !ok {
			continue
		}
		f.ScoredMentions++
		predN[pred[i]]++
		goldN[gold[i]]++
		bothN[pg{pred[i], gold[i]}]++
	}
	f.PredClusters, f.GoldClusters = len(predN), len(goldN)
	c2 := func(n int) int { return n * (n - 1) / 2 }
	var predPairs, goldPairs, tp int
	for _, n := range predN {
		predPairs += c2(n)
	}
	for _, n := range goldN {
		goldPairs += c2(n)
	}
	for _, n := range bothN {
		tp += c2(n)
	}
	f.GoldPairs = goldPairs
	f.PairwisePrecision, f.PairwiseRecall, f.PairwiseF1 = erPRF(float64(tp), float64(predPairs), float64(goldPairs))
	// B-cubed: per mention, |P∩G|/|P| and |P∩G|/|G|.
	var bp, br float64
	for i, ok := range include {
		if !ok {
			continue
		}
		inter := float64(bothN[pg{pred[i], gold[i]}])
		bp += inter / float64(predN[pred[i]])
		br += inter / float64(goldN[gold[i]])
	}
	if f.ScoredMentions > 0 {
		f.B3Precision, f.B3Recall = bp/float64(f.ScoredMentions), br/float64(f.ScoredMentions)
		if f.B3Precision+f.B3Recall > 0 {
			f.B3F1 = 2 * f.B3Precision * f.B3Recall / (f.B3Precision + f.B3Recall)
		}
	}
	// Blocking.
	var candIn, goldCand int
	for _, c := range candidates {
		a, b := c[0], c[1]
		if !include[a] || !include[b] {
			continue
		}
		candIn++
		if gold[a] == gold[b] {
			goldCand++
		}
	}
	f.BlockingRecall = 1
	if goldPairs > 0 {
		f.BlockingRecall = float64(goldCand) / float64(goldPairs)
	}
	if all := c2(f.ScoredMentions); all > 0 {
		f.ReductionRatio = 1 - float64(candIn)/float64(all)
	}
	return f
}

func erPRF(tp, predicted, gold float64) (p, r, f1 float64) {
	p, r = 1, 1
	if predicted > 0 {
		p = tp / predicted
	}
	if gold > 0 {
		r = tp / gold
	}
	if p+r > 0 {
		f1 = 2 * p * r / (p + r)
	}
	return p, r, f1
}

// WriteTable prints the report for people.
func (r *ResolveReport) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "eval resolve %s (%s split)\n\n", r.Data, r.Split)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "dataset\trecords\tscored\tblk recall\treduction\tpair P\tpair R\tpair F1\tB3 P\tB3 R\tB3 F1\tmentions/s\tseconds\t")
	for _, name := range ResolveDatasets {
		f := r.Figures(name)
		if f == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.4f\t%.0f\t%.3f\t\n",
			name, f.Records, f.ScoredMentions, f.BlockingRecall, f.ReductionRatio,
			f.PairwisePrecision, f.PairwiseRecall, f.PairwiseF1, f.B3Precision, f.B3Recall, f.B3F1,
			f.MentionsPerSec, f.Seconds)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Missing) > 0 {
		fmt.Fprintf(w, "\nmissing (folder not found): %s\n", strings.Join(r.Missing, ", "))
	}
	_, err := fmt.Fprintln(w)
	return err
}

func erExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
