package eval

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/docbatch/docbatch/services/citations"
)

// readCitationGold reads the gold links (columns citing_file and cited_file)
// and maps each file to the id of a document of the folder: the id itself,
// else the one document whose base name it is. Links with a file that is not
// in the folder are counted in outside and left out; self links and repeats
// are dropped.
func readCitationGold(file string, ids []string) (gold [][2]string, outside int, err error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, 0, fmt.Errorf("%s: reading the header: %w", file, err)
	}
	citing, cited := -1, -1
	for i, h := range header {
		switch strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) {
		case "citing_file":
			citing = i
		case "cited_file":
			cited = i
		}
	}
	if citing < 0 || cited < 0 {
		return nil, 0, fmt.Errorf("%s: want columns citing_file and cited_file, got %q", file, header)
	}
	byID := map[string]string{}
	byBase := map[string][]string{}
	for _, id := range ids {
		byID[id] = id
		byBase[path.Base(id)] = append(byBase[path.Base(id)], id)
	}
	resolve := func(name string) string {
		name = strings.TrimSpace(strings.ReplaceAll(name, "\\", "/"))
		if id, ok := byID[name]; ok {
			return id
		}
		if c := byBase[path.Base(name)]; len(c) == 1 {
			return c[0]
		}
		return ""
	}
	seen := map[[2]string]bool{}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, fmt.Errorf("%s: %w", file, err)
		}
		if len(rec) <= max(citing, cited) {
			return nil, 0, fmt.Errorf("%s:%d: %d fields", file, line, len(rec))
		}
		a, b := resolve(rec[citing]), resolve(rec[cited])
		if a == "" || b == "" {
			outside++
			continue
		}
		k := [2]string{a, b}
		if a == b || seen[k] {
			continue
		}
		seen[k] = true
		gold = append(gold, k)
	}
	return gold, outside, nil
}

// scoreEdges compares predicted edges with the gold ones.
func scoreEdges(gold [][2]string, pred map[[2]string]string) (matched int, p, r, f1 float64) {
	for _, e := range gold {
		if _, ok := pred[e]; ok {
			matched++
		}
	}
	if len(pred) > 0 {
		p = float64(matched) / float64(len(pred))
	}
	if len(gold) > 0 {
		r = float64(matched) / float64(len(gold))
	}
	if p+r > 0 {
		f1 = 2 * p * r / (p + r)
	}
	return matched, p, r, f1
}

// scoreDomains compares the domains with the gold labels over the labelled
// documents: NMI (mutual information over the arithmetic mean of the
// entropies, as scikit-learn's default) and ARI. It also returns how many
// documents were scored and how many gold classes they fall in.
func scoreDomains(labels map[string]string, domains []citations.Domain) (nmi, ari float64, n, classes int) {
	var gold, pred []string
	for _, d := range domains {
		for _, id := range d.DocumentIDs {
			if l, ok := labels[id]; ok {
				gold = append(gold, l)
				pred = append(pred, d.ID)
			}
		}
	}
	nmi, ari = clusterAgreement(gold, pred)
	cls := map[string]bool{}
	for _, l := range gold {
		cls[l] = true
	}
	return nmi, ari, len(gold), len(cls)
}

// clusterAgreement returns the NMI and ARI of two labelings of the same
// items.
func clusterAgreement(a, b []string) (nmi, ari float64) {
	n := len(a)
	if n == 0 {
		return 0, 0
	}
	type pair struct{ a, b string }
	ca, cb, cab := map[string]int{}, map[string]int{}, map[pair]int{}
	for i := range a {
		ca[a[i]]++
		cb[b[i]]++
		cab[pair{a[i], b[i]}]++
	}
	// Sums over sorted keys: the figures do not depend on map order.
	entropy := func(c map[string]int) float64 {
		h := 0.0
		for _, k := range slices.Sorted(maps.Keys(c)) {
			p := float64(c[k]) / float64(n)
			h -= p * math.Log(p)
		}
		return h
	}
	ha, hb := entropy(ca), entropy(cb)
	pairs := make([]pair, 0, len(cab))
	for k := range cab {
		pairs = append(pairs, k)
	}
	slices.SortFunc(pairs, func(x, y pair) int {
		if c := strings.Compare(x.a, y.a); c != 0 {
			return c
		}
		return strings.Compare(x.b, y.b)
	})
	mi := 0.0
	for _, k := range pairs {
		nij := float64(cab[k])
		mi += nij / float64(n) * math.Log(nij*float64(n)/(float64(ca[k.a])*float64(cb[k.b])))
	}
	switch {
	case ha == 0 && hb == 0:
		nmi = 1 // one class, one cluster: identical partitions
	case ha+hb > 0:
		nmi = max(0, mi/((ha+hb)/2))
	}

	comb2 := func(x int) float64 { return float64(x) * float64(x-1) / 2 }
	var index, sa, sb float64
	for _, k := range pairs {
		index += comb2(cab[k])
	}
	for _, k := range slices.Sorted(maps.Keys(ca)) {
		sa += comb2(ca[k])
	}
	for _, k := range slices.Sorted(maps.Keys(cb)) {
		sb += comb2(cb[k])
	}
	total := comb2(n)
	if total == 0 {
		return nmi, 1
	}
	expected := sa * sb / total
	maxIndex := (sa + sb) / 2
	if maxIndex == expected {
		return nmi, 1 // both partitions trivial the same way
	}
	ari = (index - expected) / (maxIndex - expected)
	return nmi, ari
}

// subjectHeadings returns the subjects of a JATS article's
// <subj-group subj-group-type="heading"> groups in its front matter, sorted
// and distinct (nil when it is not JATS or has none). They are read here,
// for scoring only, with their own decoder.
func subjectHeadings(data []byte) []string {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = false
	dec.Entity = xml.HTMLEntity
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var out []string
	depth := 0 // level of the open heading subj-group, 0 when none
	inSubject := false
	var text strings.Builder
	level := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch t := tok.(type) {
		case xml.StartElement:
			level++
			switch t.Name.Local {
			case "subj-group":
				if depth == 0 {
					for _, a := range t.Attr {
						if a.Name.Local == "subj-group-type" && a.Value == "heading" {
							depth = level
						}
					}
				}
			case "subject":
				if depth > 0 && level == depth+1 {
					inSubject = true
					text.Reset()
				}
			case "body", "back", "sub-article":
				level = -1 << 30 // stop: the front matter is over
			}
		case xml.CharData:
			if inSubject {
				text.Write(t)
			}
		case xml.EndElement:
			if inSubject && t.Name.Local == "subject" {
				if s := strings.Join(strings.Fields(text.String()), " "); s != "" {
					out = append(out, s)
				}
				inSubject = false
			}
			if depth == level {
				depth = 0
			}
			level--
		}
		if level < 0 {
			break
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
