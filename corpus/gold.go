package corpus

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

// Gold is the ground truth of a generated corpus, written to DIR/gold.json.
//
// For large corpora the Documents (and Works) held in the *Gold returned by Generate are
// left empty to keep memory bounded; gold.json always has everything, and StreamGold reads
// it one document at a time.
type Gold struct {
	Seed      int64          `json:"seed"`
	Documents []GoldDocument `json:"documents"`
	People    []GoldPerson   `json:"people"`
	Orgs      []GoldOrg      `json:"orgs"`
	Works     []GoldWork     `json:"works"`
}

// GoldDocument is what an ideal extractor recovers from one document, as it is written in
// that document (names appear in the variant that document uses).
type GoldDocument struct {
	ID         string          `json:"id"` // relative path, slash-separated
	Format     Format          `json:"format"`
	Title      string          `json:"title"`
	Authors    []GoldAuthor    `json:"authors"`
	DOI        string          `json:"doi"`
	Year       int             `json:"year"`
	Venue      string          `json:"venue"`
	Abstract   string          `json:"abstract"`
	Keywords   []string        `json:"keywords"`
	References []GoldReference `json:"references"`
	DependsOn  []string        `json:"depends_on"`
	Priority   string          `json:"priority"`
	SizeBytes  int64           `json:"size_bytes"`
	Domain     string          `json:"domain"`
	// RefStyle names the reference style the document uses: "numbered", "author-year" or
	// "vancouver"; useful to break extraction accuracy down by style.
	RefStyle string `json:"ref_style"`
}

// GoldAuthor is one byline entry; Given/Family are as printed in this document.
type GoldAuthor struct {
	Given       string `json:"given"`
	Family      string `json:"family"`
	PersonID    string `json:"person_id"`
	ORCID       string `json:"orcid,omitempty"`
	Affiliation string `json:"affiliation"`
	OrgID       string `json:"org_id"`
}

// GoldReference is one entry of a References section. Authors are the names as printed
// in Raw. WorkID identifies the cited work: a GoldWork.ID for outside works, and the
// cited document's ID (equal to CitesDocument) for works inside the corpus.
type GoldReference struct {
	Raw           string   `json:"raw"`
	Authors       []string `json:"authors"`
	Title         string   `json:"title"`
	Year          int      `json:"year"`
	Venue         string   `json:"venue"`
	Volume        string   `json:"volume"`
	Pages         string   `json:"pages"`
	DOI           string   `json:"doi"`
	CitesDocument string   `json:"cites_document"`
	WorkID        string   `json:"work_id"`
}

// GoldPerson is one real person behind possibly many name variants.
type GoldPerson struct {
	ID       string   `json:"id"`
	Given    string   `json:"given"`
	Family   string   `json:"family"`
	ORCID    string   `json:"orcid,omitempty"`
	Variants []string `json:"variants"`
}

// GoldOrg is one organisation behind possibly many affiliation strings. Variants lists the
// forms without a department; bylines may prefix "Department of X, " / "Dept. of X, ".
type GoldOrg struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Country  string   `json:"country"`
	Variants []string `json:"variants"`
}

// GoldWork is a cited work outside the corpus.
type GoldWork struct {
	ID      string   `json:"id"`
	Title   string   `json:"title"`
	DOI     string   `json:"doi"`
	Year    int      `json:"year"`
	Authors []string `json:"authors"`
	Venue   string   `json:"venue"`
}

// LoadGold reads a whole gold.json into memory. For a million-document corpus prefer
// StreamGold.
func LoadGold(path string) (*Gold, error) {
	g := &Gold{}
	_, err := streamGold(path, g, func(d *GoldDocument) error {
		g.Documents = append(g.Documents, *d)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// StreamGold reads gold.json calling fn for each document in file order (dependencies
// first), without holding all documents in memory. It returns the rest of the gold
// (seed, people, orgs, works) with Documents left empty. The *GoldDocument passed to fn is
// reused between calls; copy it to keep it.
func StreamGold(path string, fn func(*GoldDocument) error) (*Gold, error) {
	return streamGold(path, &Gold{}, fn)
}

func streamGold(path string, g *Gold, fn func(*GoldDocument) error) (*Gold, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening gold: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("reading gold: %w", err)
		}
		key, _ := tok.(string)
		switch key {
		case "seed":
			err = dec.Decode(&g.Seed)
		case "people":
			err = dec.Decode(&g.People)
		case "orgs":
			err = dec.Decode(&g.Orgs)
		case "works":
			err = dec.Decode(&g.Works)
		case "documents":
			err = streamDocs(dec, fn)
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, fmt.Errorf("reading gold %q: %w", key, err)
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	return g, nil
}

func streamDocs(dec *json.Decoder, fn func(*GoldDocument) error) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if tok == nil { // "documents": null
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return fmt.Errorf("documents: want array, got %v", tok)
	}
	var d GoldDocument
	for dec.More() {
		d = GoldDocument{}
		if err := dec.Decode(&d); err != nil {
			return err
		}
		if err := fn(&d); err != nil {
			return err
		}
	}
	return expectDelim(dec, ']')
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("reading gold: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("reading gold: want %q, got %v", want, tok)
	}
	return nil
}

// goldWriter writes gold.json incrementally: documents are encoded as they are produced,
// and the (bounded) people/org tables and the regenerable works are appended at the end.
type goldWriter struct {
	w     *bufio.Writer
	enc   *json.Encoder
	first bool
}

func newGoldWriter(w io.Writer, seed int64) (*goldWriter, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	gw := &goldWriter{w: bw, enc: enc, first: true}
	_, err := fmt.Fprintf(bw, "{\"seed\":%d,\"documents\":[\n", seed)
	return gw, err
}

func (g *goldWriter) doc(d *GoldDocument) error {
	if !g.first {
		if err := g.w.WriteByte(','); err != nil {
			return err
		}
	}
	g.first = false
	return g.enc.Encode(d) // Encode appends '\n', so the file stays line-per-document
}

// finish closes the documents array and writes the remaining tables; works are produced
// by the callback one at a time.
func (g *goldWriter) finish(people []GoldPerson, orgs []GoldOrg, nWorks int, work func(i int) GoldWork) error {
	if _, err := g.w.WriteString("],\n\"people\":"); err != nil {
		return err
	}
	if err := g.enc.Encode(people); err != nil {
		return err
	}
	if _, err := g.w.WriteString(",\"orgs\":"); err != nil {
		return err
	}
	if err := g.enc.Encode(orgs); err != nil {
		return err
	}
	if _, err := g.w.WriteString(",\"works\":[\n"); err != nil {
		return err
	}
	for i := 0; i < nWorks; i++ {
		if i > 0 {
			if err := g.w.WriteByte(','); err != nil {
				return err
			}
		}
		if err := g.enc.Encode(work(i)); err != nil {
			return err
		}
	}
	if _, err := g.w.WriteString("]}\n"); err != nil {
		return err
	}
	return g.w.Flush()
}
