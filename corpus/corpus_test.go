package corpus

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func generate(t *testing.T, opts Options) (string, *Gold) {
	t.Helper()
	dir := t.TempDir()
	g, err := Generate(context.Background(), dir, opts)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", opts, err)
	}
	return dir, g
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestDeterminism(t *testing.T) {
	for _, opts := range []Options{
		{Docs: 80, Seed: 42, DepFraction: 0.3},
		{Docs: 40, Seed: 42, Bytes: 800_000, Formats: []Format{FormatPDF, FormatJATS}},
	} {
		d1, _ := generate(t, opts)
		d2, _ := generate(t, opts)
		a, b := readTree(t, d1), readTree(t, d2)
		if len(a) != len(b) {
			t.Fatalf("file counts differ: %d vs %d", len(a), len(b))
		}
		for name, data := range a {
			if !bytes.Equal(data, b[name]) {
				t.Errorf("%s differs between runs with the same seed", name)
			}
		}
		opts.Seed++
		d3, _ := generate(t, opts)
		if bytes.Equal(a[GoldFile], readTree(t, d3)[GoldFile]) {
			t.Error("a different seed produced the same gold")
		}
	}
}

func TestCorpusInvariants(t *testing.T) {
	cases := []struct {
		name string
		opts Options
	}{
		{"minimal", Options{Docs: MinDocs, Seed: 1}},
		{"deps", Options{Docs: 300, Seed: 2, DepFraction: 0.5}},
		{"text only", Options{Docs: 60, Seed: 3, Formats: []Format{FormatText}, ExternalWorks: 30}},
		{"all deps", Options{Docs: 100, Seed: 4, DepFraction: 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, g := generate(t, c.opts)
			if len(g.Documents) != c.opts.Docs {
				t.Fatalf("got %d documents, want %d", len(g.Documents), c.opts.Docs)
			}
			pos := map[string]int{}
			dois := map[string]bool{}
			withDeps := 0
			for i, d := range g.Documents {
				if _, dup := pos[d.ID]; dup {
					t.Fatalf("duplicate id %s", d.ID)
				}
				pos[d.ID] = i
				if dois[d.DOI] {
					t.Errorf("duplicate DOI %s", d.DOI)
				}
				dois[d.DOI] = true
				if len(c.opts.Formats) > 0 && d.Format != c.opts.Formats[0] {
					t.Errorf("%s: format %s not requested", d.ID, d.Format)
				}
				st, err := os.Stat(filepath.Join(dir, filepath.FromSlash(d.ID)))
				if err != nil || st.Size() != d.SizeBytes {
					t.Errorf("%s: stat %v, size %d vs gold %d", d.ID, err, st.Size(), d.SizeBytes)
				}
				if d.Title == "" || len(d.Authors) == 0 || d.Abstract == "" || len(d.References) == 0 || d.Domain == "" {
					t.Errorf("%s: incomplete gold %+v", d.ID, d)
				}
				if len(d.DependsOn) > 0 {
					withDeps++
				}
				for _, dep := range d.DependsOn {
					if j, ok := pos[dep]; !ok || j >= i {
						t.Errorf("%s depends on %s, which is not an earlier document", d.ID, dep)
					}
				}
				for _, r := range d.References {
					if r.CitesDocument == "" {
						if !strings.HasPrefix(r.WorkID, "W") {
							t.Errorf("%s: outside reference without work id: %+v", d.ID, r)
						}
						continue
					}
					if j, ok := pos[r.CitesDocument]; !ok || j >= i {
						t.Errorf("%s cites %s, which is not an earlier document", d.ID, r.CitesDocument)
					}
				}
			}
			if c.opts.DepFraction == 0 && withDeps > 0 {
				t.Errorf("%d documents have dependencies with DepFraction 0", withDeps)
			}
			if c.opts.DepFraction >= 0.5 && withDeps < c.opts.Docs/4 {
				t.Errorf("only %d of %d documents have dependencies", withDeps, c.opts.Docs)
			}
			if c.opts.ExternalWorks > 0 && len(g.Works) != c.opts.ExternalWorks {
				t.Errorf("got %d works, want %d", len(g.Works), c.opts.ExternalWorks)
			}

			// The manifest lists every document once, dependencies first.
			f, err := os.Open(filepath.Join(dir, ManifestFile))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			seen := map[string]bool{}
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var m ManifestEntry
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					t.Fatalf("manifest line %q: %v", sc.Text(), err)
				}
				for _, dep := range m.DependsOn {
					if !seen[dep] {
						t.Errorf("manifest: %s listed before its dependency %s", m.ID, dep)
					}
				}
				if m.Path != m.ID || seen[m.ID] {
					t.Errorf("manifest: bad or duplicate entry %+v", m)
				}
				switch m.Priority {
				case "NORMAL", "HIGH", "LOW", "CRITICAL":
				default:
					t.Errorf("manifest: priority %q", m.Priority)
				}
				seen[m.ID] = true
			}
			if len(seen) != c.opts.Docs {
				t.Errorf("manifest has %d entries, want %d", len(seen), c.opts.Docs)
			}

			// gold.json round-trips, both whole and streamed.
			loaded, err := LoadGold(filepath.Join(dir, GoldFile))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(loaded, g) {
				t.Error("LoadGold(gold.json) differs from the Gold Generate returned")
			}
			n := 0
			rest, err := StreamGold(filepath.Join(dir, GoldFile), func(d *GoldDocument) error {
				if !reflect.DeepEqual(*d, g.Documents[n]) {
					t.Errorf("streamed document %d differs", n)
				}
				n++
				return nil
			})
			if err != nil || n != c.opts.Docs || len(rest.People) != len(g.People) {
				t.Errorf("StreamGold: err %v, %d docs, %d people", err, n, len(rest.People))
			}
		})
	}
}

func TestBytesTarget(t *testing.T) {
	cases := []struct {
		docs  int
		bytes int64
	}{
		{200, 5 << 20},
		{400, 2 << 20}, // small documents: headers and references are most of each one
		{30, 6 << 20},  // few, large documents
	}
	for _, c := range cases {
		_, g := generate(t, Options{Docs: c.docs, Bytes: c.bytes, Seed: 9})
		var total, maxDoc, minDoc int64 = 0, 0, 1 << 62
		for _, d := range g.Documents {
			total += d.SizeBytes
			maxDoc = max(maxDoc, d.SizeBytes)
			minDoc = min(minDoc, d.SizeBytes)
		}
		ratio := float64(total) / float64(c.bytes)
		t.Logf("docs %d target %d: total %d (%.3f), min %d max %d", c.docs, c.bytes, total, ratio, minDoc, maxDoc)
		if ratio < 0.75 || ratio > 1.25 {
			t.Errorf("docs %d: total %d bytes is not within 25%% of %d", c.docs, total, c.bytes)
		}
		if maxDoc < 4*minDoc {
			t.Errorf("docs %d: sizes %d..%d are not heavy-tailed", c.docs, minDoc, maxDoc)
		}
	}
}

func TestNamesAndCitations(t *testing.T) {
	_, g := generate(t, Options{Docs: 400, Seed: 5})
	forms := map[string]map[string]bool{}
	orgForms := map[string]map[string]bool{}
	cited := map[string]int{}
	for _, d := range g.Documents {
		for _, a := range d.Authors {
			if forms[a.PersonID] == nil {
				forms[a.PersonID] = map[string]bool{}
				orgForms[a.OrgID] = map[string]bool{}
			}
			forms[a.PersonID][a.Given+" "+a.Family] = true
			if orgForms[a.OrgID] == nil {
				orgForms[a.OrgID] = map[string]bool{}
			}
			orgForms[a.OrgID][a.Affiliation] = true
		}
		for _, r := range d.References {
			if r.CitesDocument != "" {
				cited[r.CitesDocument]++
			}
		}
	}
	varied := 0
	for _, f := range forms {
		if len(f) >= 2 {
			varied++
		}
	}
	if varied < 10 {
		t.Errorf("only %d people appear under more than one name form", varied)
	}
	variedOrgs := 0
	for _, f := range orgForms {
		if len(f) >= 2 {
			variedOrgs++
		}
	}
	if variedOrgs < 5 {
		t.Errorf("only %d organisations appear under more than one affiliation form", variedOrgs)
	}
	// Preferential attachment: the most cited document gets far more than the mean.
	total, top := 0, 0
	for _, n := range cited {
		total += n
		top = max(top, n)
	}
	mean := float64(total) / float64(len(cited))
	t.Logf("%d cited documents, mean %.1f, max %d citations", len(cited), mean, top)
	if float64(top) < 5*mean {
		t.Errorf("citation counts are not heavy-tailed: max %d, mean %.1f", top, mean)
	}
	for _, p := range g.People {
		if len(p.Variants) < 3 {
			t.Errorf("person %s has only variants %v", p.ID, p.Variants)
		}
	}
}

func TestFormatsParse(t *testing.T) {
	dir, g := generate(t, Options{Docs: 60, Seed: 11})
	count := map[Format]int{}
	for _, d := range g.Documents {
		count[d.Format]++
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(d.ID)))
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		want := func(sub string) {
			t.Helper()
			if !strings.Contains(s, sub) {
				t.Errorf("%s: missing %q", d.ID, sub)
			}
		}
		switch d.Format {
		case FormatText:
			if first, _, _ := strings.Cut(s, "\n"); first != d.Title {
				t.Errorf("%s: first line %q, want title", d.ID, first)
			}
			want("DOI: " + d.DOI)
			want("\nReferences\n")
			want(d.References[0].Raw)
			want(d.Authors[0].Given + " " + d.Authors[0].Family)
		case FormatMarkdown:
			if !strings.HasPrefix(s, "# "+d.Title+"\n") {
				t.Errorf("%s: does not start with the title", d.ID)
			}
			want("**DOI:** " + d.DOI)
			want("## Abstract")
			want("## References")
			want(d.References[len(d.References)-1].Raw)
		case FormatHTML:
			want("<title>" + esc(d.Title) + "</title>")
			want(`<meta name="citation_title" content="` + esc(d.Title) + `">`)
			want(`<meta name="citation_doi" content="` + d.DOI + `">`)
			want(`<meta name="citation_author" content="` + esc(d.Authors[0].Family+", "+d.Authors[0].Given) + `">`)
			want(`<meta name="citation_publication_date"`)
			want("<h2>References</h2>\n<ol>")
			checkXMLish(t, d.ID, strings.NewReader(strings.TrimPrefix(s, "<!DOCTYPE html>\n")), true)
		case FormatJATS:
			checkJATS(t, &d, data)
		case FormatPDF:
			if !bytes.HasPrefix(data, []byte("%PDF-")) || !bytes.HasSuffix(bytes.TrimSpace(data), []byte("%%EOF")) {
				t.Errorf("%s: not a PDF", d.ID)
			}
		}
	}
	for _, m := range defaultMix {
		if count[m.f] == 0 {
			t.Errorf("default mix produced no %s documents: %v", m.f, count)
		}
	}
}

// checkXMLish checks that the HTML is well nested; html mode lets void <meta> tags pass.
func checkXMLish(t *testing.T, id string, r io.Reader, htmlMode bool) {
	t.Helper()
	dec := xml.NewDecoder(r)
	if htmlMode {
		dec.Strict = false
		dec.AutoClose = xml.HTMLAutoClose
		dec.Entity = xml.HTMLEntity
	}
	for {
		_, err := dec.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Errorf("%s: %v", id, err)
			return
		}
	}
}

type jatsArticle struct {
	Title    string `xml:"front>article-meta>title-group>article-title"`
	DOI      string `xml:"front>article-meta>article-id"`
	Year     int    `xml:"front>article-meta>pub-date>year"`
	Contribs []struct {
		ORCID   string `xml:"contrib-id"`
		Surname string `xml:"name>surname"`
		Given   string `xml:"name>given-names"`
	} `xml:"front>article-meta>contrib-group>contrib"`
	Kwds []string `xml:"front>article-meta>kwd-group>kwd"`
	Secs []struct {
		Title string `xml:"title"`
	} `xml:"body>sec"`
	Refs []struct {
		Title string   `xml:"element-citation>article-title"`
		Names []string `xml:"element-citation>person-group>name>surname"`
		Year  int      `xml:"element-citation>year"`
		DOI   string   `xml:"element-citation>pub-id"`
	} `xml:"back>ref-list>ref"`
}

func checkJATS(t *testing.T, d *GoldDocument, data []byte) {
	t.Helper()
	var a jatsArticle
	if err := xml.Unmarshal(data, &a); err != nil {
		t.Errorf("%s: %v", d.ID, err)
		return
	}
	if a.Title != d.Title || a.DOI != d.DOI || a.Year != d.Year || len(a.Kwds) != len(d.Keywords) {
		t.Errorf("%s: front matter %q %q %d differs from gold", d.ID, a.Title, a.DOI, a.Year)
	}
	if len(a.Contribs) != len(d.Authors) {
		t.Fatalf("%s: %d contribs, gold %d", d.ID, len(a.Contribs), len(d.Authors))
	}
	for i, c := range a.Contribs {
		ga := d.Authors[i]
		if c.Surname != ga.Family || c.Given != ga.Given || (ga.ORCID != "") != (c.ORCID != "") {
			t.Errorf("%s: contrib %d %+v, gold %+v", d.ID, i, c, ga)
		}
	}
	if len(a.Secs) < 4 || a.Secs[0].Title != "Introduction" {
		t.Errorf("%s: sections %+v", d.ID, a.Secs)
	}
	if len(a.Refs) != len(d.References) {
		t.Fatalf("%s: %d refs, gold %d", d.ID, len(a.Refs), len(d.References))
	}
	for i, r := range a.Refs {
		gr := d.References[i]
		if r.Title != gr.Title || r.Year != gr.Year || r.DOI != gr.DOI || len(r.Names) != len(gr.Authors) {
			t.Errorf("%s: ref %d %+v, gold %+v", d.ID, i, r, gr)
		}
	}
}

func TestCancelAndInvalid(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Generate(ctx, t.TempDir(), Options{Docs: 100}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: got %v", err)
	}
	for _, o := range []Options{
		{Docs: 5}, {Docs: MaxDocs + 1}, {Docs: 20, Bytes: -1}, {Docs: 20, DepFraction: 1.5},
		{Docs: 20, Formats: []Format{"docx"}}, {Docs: 20, ExternalWorks: -3},
	} {
		if _, err := Generate(context.Background(), t.TempDir(), o); !errors.Is(err, ErrInvalidOptions) {
			t.Errorf("%+v: got %v, want ErrInvalidOptions", o, err)
		}
	}
}

func TestORCIDChecksum(t *testing.T) {
	// The example iD from ORCID's documentation uses the same ISO 7064 11,2 checksum.
	seen := map[string]bool{}
	for i := 0; i < 5000; i++ {
		o := orcidFor(i)
		if len(o) != 19 || seen[o] {
			t.Fatalf("bad or duplicate ORCID %q", o)
		}
		seen[o] = true
	}
}
