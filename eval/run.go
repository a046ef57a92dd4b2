package eval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docbatch/docbatch/corpus"
	"github.com/docbatch/docbatch/services/processor"
	"github.com/docbatch/docbatch/services/processor/extract"
	"github.com/docbatch/docbatch/services/processor/pdf"
)

// Layouts of a gold folder.
const (
	LayoutGenerated = "generated" // DIR/gold.json from docbatch gen
	LayoutPDFJATS   = "pdf-jats"  // <ID>.pdf scored against <ID>.xml
	LayoutJATS      = "jats"      // JATS XML scored against an independent read
)

// Options tune Extract.
type Options struct {
	// Limit scores only the first Limit documents (in path order, or gold
	// order for a generated corpus); <= 0 means all.
	Limit int
	// Workers is how many documents are extracted at once, and how many
	// PDFium instances the engine gets; <= 0 means GOMAXPROCS.
	Workers int
	// MaxBytes is passed to extract.Options; <= 0 means 1 GiB.
	MaxBytes int64
	// PDF, when set, is used instead of starting a PDFium engine (tests, or
	// a caller that already has one).
	PDF extract.PDFTextSource
	// Diff, when set, receives one tab-separated line per disagreement
	// (document, field, gold, prediction): what to read to see why a score
	// is below 1.
	Diff io.Writer
}

// Result is one evaluation. JSON keys are the figures named in the
// processor issue and docs/benchmarks.md.
type Result struct {
	Dir       string `json:"dir"`
	Layout    string `json:"layout"`
	Documents int    `json:"documents"`
	Failed    int    `json:"failed"` // extraction errors; their gold fields count as missed

	TitleF1  float64 `json:"title_f1"`
	AuthorF1 float64 `json:"author_f1"`
	DOIF1    float64 `json:"doi_f1"`
	YearF1   float64 `json:"year_f1"`

	TitlePrecision  float64 `json:"title_precision"`
	TitleRecall     float64 `json:"title_recall"`
	AuthorPrecision float64 `json:"author_precision"`
	AuthorRecall    float64 `json:"author_recall"`
	DOIPrecision    float64 `json:"doi_precision"`
	DOIRecall       float64 `json:"doi_recall"`
	YearPrecision   float64 `json:"year_precision"`
	YearRecall      float64 `json:"year_recall"`

	// Header fields the gold may lack, counted only where it has them:
	// venue and abstract per document, keywords per keyword (as a set),
	// ORCID and affiliation per gold author that has one (paired with a
	// predicted author as author_f1 pairs them).
	VenueF1              float64 `json:"venue_f1"`
	VenuePrecision       float64 `json:"venue_precision"`
	VenueRecall          float64 `json:"venue_recall"`
	AbstractF1           float64 `json:"abstract_f1"`
	AbstractPrecision    float64 `json:"abstract_precision"`
	AbstractRecall       float64 `json:"abstract_recall"`
	KeywordsF1           float64 `json:"keywords_f1"`
	KeywordsPrecision    float64 `json:"keywords_precision"`
	KeywordsRecall       float64 `json:"keywords_recall"`
	ORCIDF1              float64 `json:"orcid_f1"`
	ORCIDPrecision       float64 `json:"orcid_precision"`
	ORCIDRecall          float64 `json:"orcid_recall"`
	AffiliationF1        float64 `json:"affiliation_f1"`
	AffiliationPrecision float64 `json:"affiliation_precision"`
	AffiliationRecall    float64 `json:"affiliation_recall"`

	// RefFound is the share of gold references matched to a predicted one;
	// RefPrecision the share of predicted references matched to a gold one.
	RefFound     float64 `json:"ref_found"`
	RefPrecision float64 `json:"ref_precision"`
	GoldRefs     int     `json:"gold_refs"`
	PredRefs     int     `json:"pred_refs"`
	MatchedRefs  int     `json:"matched_refs"`
	// MatchedByTitleDOIConflict counts pairs matched by title although both
	// had a DOI and the DOIs differed.
	MatchedByTitleDOIConflict int `json:"matched_by_title_doi_conflict"`

	// RefFieldF1 is micro F1 over the five reference fields of matched
	// pairs; RefFieldF1All also counts the fields of unmatched references
	// (missed gold ones as false negatives, spurious predictions as false
	// positives), comparable with GROBID's end-to-end citation-field F1.
	RefFieldF1        float64 `json:"ref_field_f1"`
	RefFieldPrecision float64 `json:"ref_field_precision"`
	RefFieldRecall    float64 `json:"ref_field_recall"`
	RefFieldF1All     float64 `json:"ref_field_f1_all"`
	// In-text citations, where the gold marks them (JATS <xref
	// ref-type="bibr"> in the body): per matched reference, how many of its
	// citations were found (precision, recall, F1 over the counts);
	// CitationDocuments is how many documents were scored on them.
	CitationF1        float64 `json:"citation_f1"`
	CitationPrecision float64 `json:"citation_precision"`
	CitationRecall    float64 `json:"citation_recall"`
	GoldCitations     int     `json:"gold_citations"`
	CitationDocuments int     `json:"citation_documents"`

	// Fields has every score with its counts: title, author, doi, year,
	// venue, abstract, keywords, orcid, affiliation, ref_authors, ref_title, ref_year, ref_venue, ref_doi, ref_fields.
	Fields map[string]Score `json:"fields"`

	Seconds            float64 `json:"seconds"` // wall clock of extraction and scoring
	DocsPerSec         float64 `json:"docs_per_sec"`
	EngineStartSeconds float64 `json:"engine_start_seconds"` // PDFium start, not in seconds
	Workers            int     `json:"workers"`

	Errors []DocError `json:"errors,omitempty"` // the first maxErrors failures
}

// DocError is one document that could not be extracted or whose gold could
// not be read.
type DocError struct {
	Document string `json:"document"`
	Error    string `json:"error"`
}

const maxErrors = 20

// job is one document to score: the input and how to get its gold.
type job struct {
	index int
	id    string // shown in diffs and errors
	path  string
	gold  func(input []byte) (Record, error)
}

// startPDF starts the processor's default PDF engine (the sandbox) with
// workers children and sets it as *dst; it returns how to stop it and how
// long the start took (the sandbox starts its children with the first PDF,
// so that time falls in the first documents instead).
func startPDF(ctx context.Context, workers int, dst *extract.PDFTextSource) (stop func(), seconds float64, err error) {
	start := time.Now()
	eng, err := processor.NewPDFEngine(processor.PDFEngineSandbox, pdf.Options{Workers: workers})
	if err != nil {
		return nil, 0, fmt.Errorf("starting the PDF engine: %w", err)
	}
	*dst = eng
	return func() { _ = eng.Close() }, time.Since(start).Seconds(), nil
}

// Extract scores extraction of the documents in dir against their gold.
func Extract(ctx context.Context, dir string, opts Options) (*Result, error) {
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 30
	}
	layout, jobs, needPDF, err := plan(dir, opts.Limit)
	if err != nil {
		return nil, err
	}
	res := &Result{Dir: dir, Layout: layout, Workers: opts.Workers}
	if needPDF && opts.PDF == nil {
		// Started before the clock so that seconds measures extraction,
		// not PDFium's one-off compilation.
		stop, secs, err := startPDF(ctx, opts.Workers, &opts.PDF)
		if err != nil {
			return nil, err
		}
		defer stop()
		res.EngineStartSeconds = secs
	}

	start := time.Now()
	scores := make([]docScore, len(jobs))
	diffs := make([]bytes.Buffer, len(jobs))
	errs := make([]error, len(jobs))
	if err := parallel(ctx, len(jobs), opts.Workers, func(i int) {
		var diff io.Writer
		if opts.Diff != nil {
			diff = &diffs[i]
		}
		scores[i], errs[i] = score(ctx, jobs[i], opts, diff)
	}); err != nil {
		return nil, err
	}
	res.Seconds = time.Since(start).Seconds()

	var title, author, doi, year, citations Counts
	var venue, abstract, keywords, orcid, affiliation Counts
	var refField, refFieldAll [nRefFields]Counts
	for i, s := range scores {
		if opts.Diff != nil {
			if _, err := opts.Diff.Write(diffs[i].Bytes()); err != nil {
				return nil, err
			}
		}
		if errs[i] != nil {
			res.Failed++
			if len(res.Errors) < maxErrors {
				res.Errors = append(res.Errors, DocError{Document: jobs[i].id, Error: errs[i].Error()})
			}
		}
		title.add(s.title)
		author.add(s.author)
		doi.add(s.doi)
		year.add(s.year)
		venue.add(s.venue)
		abstract.add(s.abstract)
		keywords.add(s.keywords)
		orcid.add(s.orcid)
		affiliation.add(s.affiliation)
		for f := range nRefFields {
			refField[f].add(s.refField[f])
			refFieldAll[f].add(s.refFieldAll[f])
		}
		res.GoldRefs += s.goldRefs
		res.PredRefs += s.predRefs
		res.MatchedRefs += s.matched
		res.MatchedByTitleDOIConflict += s.matchedByTitle
		if s.citationsScored {
			citations.add(s.citations)
			res.CitationDocuments++
		}
	}
	res.Documents = len(jobs)
	if res.Seconds > 0 {
		res.DocsPerSec = float64(res.Documents) / res.Seconds
	}
	res.RefFound = ratio(res.MatchedRefs, res.GoldRefs)
	res.RefPrecision = ratio(res.MatchedRefs, res.PredRefs)

	res.Fields = map[string]Score{"title": title.Score(), "author": author.Score(), "doi": doi.Score(), "year": year.Score(),
		"venue": venue.Score(), "abstract": abstract.Score(), "keywords": keywords.Score(), "orcid": orcid.Score(),
		"affiliation": affiliation.Score()}
	var all, allEnd Counts
	for f := range nRefFields {
		res.Fields["ref_"+refFieldNames[f]] = refField[f].Score()
		all.add(refField[f])
		allEnd.add(refFieldAll[f])
	}
	res.Fields["ref_fields"] = all.Score()
	res.Fields["ref_fields_all"] = allEnd.Score()

	t, a, d, y, rf := res.Fields["title"], res.Fields["author"], res.Fields["doi"], res.Fields["year"], res.Fields["ref_fields"]
	res.TitleF1, res.TitlePrecision, res.TitleRecall = t.F1, t.Precision, t.Recall
	res.AuthorF1, res.AuthorPrecision, res.AuthorRecall = a.F1, a.Precision, a.Recall
	res.DOIF1, res.DOIPrecision, res.DOIRecall = d.F1, d.Precision, d.Recall
	res.YearF1, res.YearPrecision, res.YearRecall = y.F1, y.Precision, y.Recall
	v, ab, k, o, af := res.Fields["venue"], res.Fields["abstract"], res.Fields["keywords"], res.Fields["orcid"], res.Fields["affiliation"]
	res.VenueF1, res.VenuePrecision, res.VenueRecall = v.F1, v.Precision, v.Recall
	res.AbstractF1, res.AbstractPrecision, res.AbstractRecall = ab.F1, ab.Precision, ab.Recall
	res.KeywordsF1, res.KeywordsPrecision, res.KeywordsRecall = k.F1, k.Precision, k.Recall
	res.ORCIDF1, res.ORCIDPrecision, res.ORCIDRecall = o.F1, o.Precision, o.Recall
	res.AffiliationF1, res.AffiliationPrecision, res.AffiliationRecall = af.F1, af.Precision, af.Recall
	res.RefFieldF1, res.RefFieldPrecision, res.RefFieldRecall = rf.F1, rf.Precision, rf.Recall
	res.RefFieldF1All = res.Fields["ref_fields_all"].F1
	if res.CitationDocuments > 0 {
		c := citations.Score()
		res.Fields["citations"] = c
		res.CitationF1, res.CitationPrecision, res.CitationRecall = c.F1, c.Precision, c.Recall
		res.GoldCitations = citations.TP + citations.FN
	}
	return res, nil
}

// score extracts one document and compares it with its gold. A document
// that cannot be extracted is scored as an empty prediction, so failures
// lower recall instead of vanishing from the denominator; a document whose
// gold cannot be read is an error of the gold folder and scores nothing.
func score(ctx context.Context, j job, opts Options, diff io.Writer) (docScore, error) {
	data, err := os.ReadFile(j.path)
	if err != nil {
		return docScore{}, err
	}
	gold, err := j.gold(data)
	if err != nil {
		return docScore{}, fmt.Errorf("reading gold: %w", err)
	}
	var pred Record
	doc, xerr := extract.Extract(ctx, bytes.NewReader(data), filepath.Base(j.path), extract.Options{MaxBytes: opts.MaxBytes, PDF: opts.PDF})
	if xerr == nil {
		pred = FromDocument(doc)
	} else if diff != nil {
		fmt.Fprintf(diff, "%s\terror\t%v\n", j.id, xerr)
	}
	return compare(j.id, gold, pred, diff), xerr
}

// plan detects dir's layout and lists the documents to score.
func plan(dir string, limit int) (layout string, jobs []job, needPDF bool, err error) {
	goldPath := filepath.Join(dir, corpus.GoldFile)
	if _, err := os.Stat(goldPath); err == nil {
		return planGenerated(dir, goldPath, limit)
	}
	var pdfs, xmls []string
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && path != dir {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			switch strings.ToLower(filepath.Ext(path)) {
			case ".pdf":
				pdfs = append(pdfs, path)
			case ".xml":
				xmls = append(xmls, path)
			}
		}
		return nil
	})
	if err != nil {
		return "", nil, false, err
	}
	sort.Strings(pdfs)
	sort.Strings(xmls)
	for _, p := range pdfs {
		twin := strings.TrimSuffix(p, filepath.Ext(p)) + ".xml"
		if _, err := os.Stat(twin); err == nil {
			jobs = append(jobs, job{index: len(jobs), id: rel(dir, p), path: p, gold: twinGold(twin)})
		}
	}
	if len(jobs) > 0 {
		return LayoutPDFJATS, limited(jobs, limit), true, nil
	}
	for _, x := range xmls {
		jobs = append(jobs, job{index: len(jobs), id: rel(dir, x), path: x, gold: ReadJATS})
	}
	if len(jobs) > 0 {
		jobs, err = onlyJATS(jobs, limit)
		return LayoutJATS, jobs, false, err
	}
	return "", nil, false, fmt.Errorf("%s: no gold found (want %s from docbatch gen, <ID>.pdf with <ID>.xml JATS twins, or JATS .xml files)", dir, corpus.GoldFile)
}

// twinGold reads a PDF's JATS twin with the extract package's JATS reader,
// the designated gold for PDF extraction.
func twinGold(xmlPath string) func([]byte) (Record, error) {
	return func([]byte) (Record, error) {
		data, err := os.ReadFile(xmlPath)
		if err != nil {
			return Record{}, err
		}
		doc, err := extract.Extract(context.Background(), bytes.NewReader(data), filepath.Base(xmlPath), extract.Options{})
		if err != nil {
			return Record{}, err
		}
		if doc.Format != extract.FormatJATS {
			return Record{}, fmt.Errorf("%s is %s, not JATS", xmlPath, doc.Format)
		}
		rec := FromDocument(doc)
		rec.CitedTimes = twinCitations(data, rec.References)
		return rec, nil
	}
}

// twinCitations is the gold of in-text citations for a twin's references:
// not what the extract package finds in the twin's text (that would score
// the citation finder against itself) but the body's <xref ref-type="bibr">
// elements, read by ReadJATS, carried over to refs through the same
// reference matching the scoring uses. nil when the twin cannot be read so.
func twinCitations(data []byte, refs []Ref) []int {
	g, err := ReadJATS(data)
	if err != nil || g.CitedTimes == nil {
		return nil
	}
	pairs, _ := matchRefs(g.References, refs)
	cited := make([]int, len(refs))
	for gi, pi := range pairs {
		if pi >= 0 {
			cited[pi] += g.CitedTimes[gi]
		}
	}
	return cited
}

// onlyJATS drops XML files that are not JATS articles (a README.xml, a
// TEI file) so they neither score nor count, then applies the limit.
func onlyJATS(jobs []job, limit int) ([]job, error) {
	var keep []job
	for _, j := range jobs {
		if limit > 0 && len(keep) >= limit {
			break
		}
		data, err := os.ReadFile(j.path)
		if err != nil {
			return nil, err
		}
		if _, err := ReadJATS(data); errors.Is(err, errNotJATS) {
			continue
		}
		j.index = len(keep)
		keep = append(keep, j)
	}
	return keep, nil
}

func planGenerated(dir, goldPath string, limit int) (string, []job, bool, error) {
	var jobs []job
	needPDF := false
	stop := errors.New("limit reached")
	_, err := corpus.StreamGold(goldPath, func(g *corpus.GoldDocument) error {
		if limit > 0 && len(jobs) >= limit {
			return stop
		}
		rec := FromGold(g)
		needPDF = needPDF || g.Format == corpus.FormatPDF
		jobs = append(jobs, job{
			index: len(jobs),
			id:    g.ID,
			path:  filepath.Join(dir, filepath.FromSlash(g.ID)),
			gold:  func([]byte) (Record, error) { return rec, nil },
		})
		return nil
	})
	if err != nil && !errors.Is(err, stop) {
		return "", nil, false, err
	}
	return LayoutGenerated, jobs, needPDF, nil
}

func limited(jobs []job, limit int) []job {
	if limit > 0 && len(jobs) > limit {
		return jobs[:limit]
	}
	return jobs
}

func rel(dir, path string) string {
	if r, err := filepath.Rel(dir, path); err == nil {
		return filepath.ToSlash(r)
	}
	return path
}

// parallel calls fn(i) for every i in [0, n) on workers goroutines and
// returns ctx's error if it ended before every index was handed out.
func parallel(ctx context.Context, n, workers int, fn func(i int)) error {
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range next {
				fn(i)
			}
		})
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return ctx.Err()
}
