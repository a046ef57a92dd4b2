package eval

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/docbatch/docbatch/services/resolver/match"
)

// erReadCSV reads a whole delimited file with a header into maps.
func erReadCSV(path string, sep rune) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comma = sep
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var rows []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		row := make(map[string]string, len(head))
		for i, h := range head {
			if i < len(rec) {
				row[h] = strings.TrimSpace(rec[i])
			}
		}
		rows = append(rows, row)
	}
}

var erYearRe = regexp.MustCompile(`\b(1[89]\d\d|20\d\d)\b`)

func erFindYear(ss ...string) int {
	for _, s := range ss {
		if m := erYearRe.FindString(s); m != "" {
			y, _ := strconv.Atoi(m)
			return y
		}
	}
	return 0
}

// loadDBLPACM: both tables as works. Each table is duplicate-free (a
// clean–clean benchmark), which is said with Doc = the source table: two
// records of one table are never merged. Gold: gt.csv pairs; an unmatched
// record is its own cluster. The split key is the gold cluster (the DBLP id
// of a pair).
func loadDBLPACM(dataDir string) (*erData, error) {
	dir := filepath.Join(dataDir, "er", "dblp-acm")
	if !erExists(dir) {
		return nil, errERNoData
	}
	d := &erData{}
	index := map[string]int{}
	for _, src := range []string{"dblp", "acm"} {
		rows, err := erReadCSV(filepath.Join(dir, src+".csv"), '%')
		if err != nil {
			return nil, err
		}
		for _, row := range rows {
			id := src + ":" + row["id"]
			var authors []string
			for a := range strings.SplitSeq(row["authors"], ",") {
				if a = strings.TrimSpace(a); a != "" {
					authors = append(authors, a)
				}
			}
			y, _ := strconv.Atoi(row["year"])
			index[id] = len(d.records)
			d.records = append(d.records, match.Record{ID: id, Kind: match.Work, Doc: src,
				Title: row["title"], Authors: authors, Venue: row["venue"], Year: y})
			d.gold = append(d.gold, id)
		}
	}
	gt, err := erReadCSV(filepath.Join(dir, "gt.csv"), '%')
	if err != nil {
		return nil, err
	}
	for _, row := range gt {
		a, okA := index["dblp:"+row["D1"]]
		b, okB := index["acm:"+row["D2"]]
		if !okA || !okB {
			return nil, fmt.Errorf("gt.csv: unknown pair %s/%s", row["D1"], row["D2"])
		}
		d.gold[b] = d.gold[a]
	}
	d.splitKey = d.gold
	return d, nil
}

// loadCora: citation records as works (no document: Cora does not say which
// paper cited them). Venue is the journal or book title; the year comes
// from the year or date field.
func loadCora(dataDir string) (*erData, error) {
	path := filepath.Join(dataDir, "er", "cora", "cora.csv")
	if !erExists(path) {
		return nil, errERNoData
	}
	rows, err := erReadCSV(path, ',')
	if err != nil {
		return nil, err
	}
	d := &erData{}
	for _, row := range rows {
		venue := strings.TrimSpace(row["journal"] + " " + row["booktitle"])
		d.records = append(d.records, match.Record{
			ID: "cora:" + row["id"], Kind: match.Work,
			Title: row["title"], Authors: []string{row["author"]}, Venue: venue,
			Year: erFindYear(row["year"], row["date"]),
		})
		d.gold = append(d.gold, row["label"])
	}
	d.splitKey = d.gold
	return d, nil
}

// loadS2AND: author signatures as persons, Doc = paper. The split key is
// S2AND's name block, so dev and test share no namesakes.
func loadS2AND(dataDir string) (*erData, error) {
	path := filepath.Join(dataDir, "er", "s2and-authors", "signatures_with_gold.csv")
	if !erExists(path) {
		return nil, errERNoData
	}
	rows, err := erReadCSV(path, ',')
	if err != nil {
		return nil, err
	}
	d := &erData{}
	for _, row := range rows {
		d.records = append(d.records, match.Record{
			ID: "s2and:" + row["signature_id"], Kind: match.Person, Doc: row["paper_id"],
			Given: row["first"], Middle: row["middle"], Family: row["last"],
			Name:        strings.Join(strings.Fields(row["first"]+" "+row["middle"]+" "+row["last"]), " "),
			Affiliation: row["affiliations"],
		})
		d.gold = append(d.gold, row["gold_cluster_id"])
		d.splitKey = append(d.splitKey, row["block"])
	}
	return d, nil
}

// elifeFront is what loadELifeAuthors reads of an article's front matter.
type elifeFront struct {
	Meta struct {
		Title    xmlText `xml:"title-group>article-title"`
		Contribs []struct {
			Type string `xml:"contrib-type,attr"`
			Name *struct {
				Surname xmlText `xml:"surname"`
				Given   xmlText `xml:"given-names"`
			} `xml:"name"`
			IDs []struct {
				Type  string `xml:"contrib-id-type,attr"`
				Value string `xml:",chardata"`
			} `xml:"contrib-id"`
			Xrefs []struct {
				Type string `xml:"ref-type,attr"`
				Rid  string `xml:"rid,attr"`
			} `xml:"xref"`
		} `xml:"contrib-group>contrib"`
		GroupAffs []elifeAff `xml:"contrib-group>aff"`
		Affs      []elifeAff `xml:"aff"`
	} `xml:"front>article-meta"`
}

type elifeAff struct {
	ID  string `xml:"id,attr"`
	All string `xml:",innerxml"`
}

var erTagRe = regexp.MustCompile(`<[^>]*>`)

// affText is the text of an <aff> without its label.
func (a elifeAff) text() string {
	s := a.All
	if i := strings.Index(s, "</label>"); i >= 0 {
		s = s[i+len("</label>"):]
	}
	return strings.Join(strings.Fields(erTagRe.ReplaceAllString(s, " ")), " ")
}

// loadELifeAuthors: the authors of each eLife article as person mentions
// (Doc = article, co-authors = the article's other authors, affiliation =
// the affiliations the author points to). ORCIDs are gold only: they are
// never put in the records, and only mentions with an ORCID are scored.
func loadELifeAuthors(dataDir string) (*erData, error) {
	dir := filepath.Join(dataDir, "papers", "elife-jats")
	if !erExists(dir) {
		return nil, errERNoData
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.xml"))
	if err != nil {
		return nil, err
	}
	d := &erData{}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, err
		}
		// Only the front matter is read.
		if i := bytes.Index(data, []byte("</front>")); i >= 0 {
			data = append(data[:i+len("</front>"):i+len("</front>")], "</article>"...)
		}
		dec := xml.NewDecoder(bytes.NewReader(data))
		dec.Strict = false
		dec.Entity = xml.HTMLEntity
		var a elifeFront
		if err := dec.Decode(&a); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
		}
		doc := strings.TrimSuffix(filepath.Base(path), ".xml")
		affs := map[string]string{}
		for _, af := range append(a.Meta.GroupAffs, a.Meta.Affs...) {
			if af.ID != "" {
				affs[af.ID] = af.text()
			}
		}
		type author struct {
			given, family, orcid string
			affs                 []string
		}
		var authors []author
		for _, c := range a.Meta.Contribs {
			if c.Type != "author" || c.Name == nil || c.Name.Surname == "" {
				continue
			}
			au := author{given: string(c.Name.Given), family: string(c.Name.Surname)}
			for _, id := range c.IDs {
				if id.Type == "orcid" {
					au.orcid = strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(id.Value), "http://orcid.org/"), "https://orcid.org/")
				}
			}
			for _, x := range c.Xrefs {
				if x.Type == "aff" && affs[x.Rid] != "" {
					au.affs = append(au.affs, affs[x.Rid])
				}
			}
			authors = append(authors, au)
		}
		for k, au := range authors {
			var co []string
			for j, o := range authors {
				if j != k {
					co = append(co, strings.TrimSpace(o.given+" "+o.family))
				}
			}
			d.records = append(d.records, match.Record{
				ID: fmt.Sprintf("elife:%s#%d", doc, k), Kind: match.Person, Doc: doc,
				Name:  strings.TrimSpace(au.given + " " + au.family),
				Given: au.given, Family: au.family,
				Affiliation: strings.Join(au.affs, " | "), Coauthors: co,
				Title: string(a.Meta.Title),
			})
			d.gold = append(d.gold, au.orcid) // "" = unknown, not scored
			d.splitKey = append(d.splitKey, au.orcid)
		}
	}
	return d, nil
}
