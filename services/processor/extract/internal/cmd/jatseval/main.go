// Command jatseval measures the JATS reader against the gold in the JATS
// files themselves, read independently with encoding/xml Unmarshal:
//
//	go run ./extract/internal/cmd/jatseval ../../../shared/data/papers/elife-jats/*.xml
//
// It prints title/DOI/year/author exact-match rates and extracted vs gold
// reference counts. Evaluation only; not used by the service.
package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/docbatch/docbatch/services/processor/extract"
	"golang.org/x/text/unicode/norm"
)

type gold struct {
	Titles  []inner  `xml:"front>article-meta>title-group>article-title"`
	IDs     []pubID  `xml:"front>article-meta>article-id"`
	Contrib []contrb `xml:"front>article-meta>contrib-group>contrib"`
	Refs    []inner  `xml:"back>ref-list>ref"`
	Refs2   []inner  `xml:"back>sec>ref-list>ref"`
	Refs3   []inner  `xml:"back>ref-list>ref-list>ref"`
}
type inner struct {
	Inner string `xml:",innerxml"`
}
type pubID struct {
	Type string `xml:"pub-id-type,attr"`
	V    string `xml:",chardata"`
}
type contrb struct {
	Type    string `xml:"contrib-type,attr"`
	Surname string `xml:"name>surname"`
	Given   string `xml:"name>given-names"`
	Collab  inner  `xml:"collab"`
}

func text(s string) string {
	d := xml.NewDecoder(strings.NewReader("<x>" + s + "</x>"))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	var b strings.Builder
	for {
		t, err := d.Token()
		if err != nil {
			break
		}
		if c, ok := t.(xml.CharData); ok {
			b.Write(c)
		}
	}
	return strings.Join(strings.Fields(norm.NFKC.String(b.String())), " ")
}

func key(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > 127 {
			return r
		}
		return -1
	}, strings.ToLower(s))
}

func lastWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return strings.ToLower(f[len(f)-1])
}

func main() {
	var n, title, doi, authExact, authN, authGold, refGold, refGot, refDOI, refTitle, refYear, fail int
	var dur time.Duration
	var sp struct{ n, year, doi, title, auth int }
	for _, f := range os.Args[1:] {
		data, err := os.ReadFile(f)
		if err != nil {
			panic(err)
		}
		var g gold
		if err := xml.Unmarshal(data, &g); err != nil {
			fmt.Println("gold:", f, err)
			continue
		}
		t0 := time.Now()
		doc, err := extract.Extract(context.Background(), strings.NewReader(string(data)), f, extract.Options{MaxBytes: 64 << 20})
		dur += time.Since(t0)
		n++
		if err != nil {
			fail++
			fmt.Println("extract:", f, err)
			continue
		}
		if len(g.Titles) > 0 && text(g.Titles[0].Inner) == doc.Title {
			title++
		} else if os.Getenv("V") != "" {
			fmt.Printf("TITLE %s\n  gold %q\n  got  %q\n", f, text(g.Titles[0].Inner), doc.Title)
		}
		for _, id := range g.IDs {
			if id.Type == "doi" && strings.TrimSpace(id.V) == doc.DOI {
				doi++
			}
		}
		var ga []string
		for _, c := range g.Contrib {
			if c.Type != "author" {
				continue
			}
			if c.Surname != "" {
				ga = append(ga, strings.Join(strings.Fields(c.Given+" "+c.Surname), " "))
			} else if s := text(c.Collab.Inner); s != "" {
				ga = append(ga, s)
			}
		}
		var got []string
		for _, a := range doc.Authors {
			got = append(got, a.Full)
		}
		if strings.Join(ga, "|") == strings.Join(got, "|") {
			authExact++
		} else if os.Getenv("V") != "" {
			fmt.Printf("AUTH %s\n  gold %q\n  got  %q\n", f, ga, got)
		}
		authGold += len(ga)
		authN += len(got)
		refGold += len(g.Refs) + len(g.Refs2) + len(g.Refs3)
		refGot += len(doc.References)
		for _, r := range doc.References {
			// The string parser against the structured fields of the same
			// citation (meaningful for mixed-citation, whose Raw is the
			// printed string).
			if r.Title != "" {
				pr := extract.ParseReference(r.Raw)
				sp.n++
				if pr.Year == r.Year {
					sp.year++
				}
				if r.DOI == "" || strings.EqualFold(pr.DOI, r.DOI) {
					sp.doi++
				}
				if key(pr.Title) == key(r.Title) {
					sp.title++
				}
				if len(r.Authors) > 0 && len(pr.Authors) > 0 && lastWord(pr.Authors[0]) == lastWord(r.Authors[0]) {
					sp.auth++
				}
			}
			if r.DOI != "" {
				refDOI++
			}
			if r.Title != "" {
				refTitle++
			}
			if r.Year != 0 {
				refYear++
			}
		}
	}
	pct := func(a, b int) float64 { return 100 * float64(a) / float64(max(b, 1)) }
	fmt.Printf("files %d (extract errors %d), %.1f ms/file\n", n, fail, float64(dur.Milliseconds())/float64(max(n, 1)))
	fmt.Printf("title exact %d/%d (%.1f%%)\n", title, n, pct(title, n))
	fmt.Printf("doi exact   %d/%d (%.1f%%)\n", doi, n, pct(doi, n))
	fmt.Printf("author list exact %d/%d (%.1f%%); authors got %d, gold %d\n", authExact, n, pct(authExact, n), authN, authGold)
	fmt.Printf("references got %d, gold <ref> %d (%.1f%%); with DOI %d, title %d (%.1f%%), year %d (%.1f%%)\n",
		refGot, refGold, pct(refGot, refGold), refDOI, refTitle, pct(refTitle, refGot), refYear, pct(refYear, refGot))
	fmt.Printf("ParseReference(Raw) vs structured fields on %d refs: year %.1f%%, doi %.1f%%, title %.1f%%, first-author surname %.1f%%\n",
		sp.n, pct(sp.year, sp.n), pct(sp.doi, sp.n), pct(sp.title, sp.n), pct(sp.auth, sp.n))
}
