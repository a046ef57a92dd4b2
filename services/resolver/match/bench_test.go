package match

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// synthetic builds n person mentions of about n/5 people (with namesakes,
// initials, nicknames and missing affiliations) and n/2 work records.
func synthetic(n int) []Record {
	rng := rand.New(rand.NewPCG(7, 11))
	givens := []string{"Wei", "Li", "Maria", "John", "Anna", "Chris", "Christopher", "Peter", "Yuki", "Omar", "Sara", "David"}
	families := make([]string, n/20+10)
	for i := range families {
		families[i] = fmt.Sprintf("Fam%dson", i)
	}
	words := make([]string, 5000)
	for i := range words {
		words[i] = fmt.Sprintf("w%dx", i)
	}
	var recs []Record
	people := n / 5
	for i := range n {
		p := rng.IntN(people)
		g := givens[p%len(givens)]
		if rng.IntN(4) == 0 {
			g = g[:1] + "."
		}
		aff := ""
		if rng.IntN(2) == 0 {
			aff = fmt.Sprintf("University of City%d", p%97)
		}
		recs = append(recs, Record{ID: fmt.Sprintf("p%07d", i), Kind: Person, Doc: fmt.Sprintf("d%d", i/4),
			Given: g, Family: families[p%len(families)], Affiliation: aff})
	}
	for i := range n / 2 {
		w := rng.IntN(n / 6)
		title := ""
		for k := range 6 {
			title += words[(w*7+k*131)%len(words)] + " "
		}
		recs = append(recs, Record{ID: fmt.Sprintf("w%07d", i), Kind: Work, Title: title, Year: 1990 + w%30,
			Authors: []string{families[w%len(families)], families[(w+1)%len(families)]}})
	}
	return recs
}

var benchSizes = []int{10_000, 100_000}

// BenchmarkPipeline times New + Cluster (blocking, scoring, clustering)
// and reports mentions per second.
func BenchmarkPipeline(b *testing.B) {
	for _, n := range benchSizes {
		recs := synthetic(n)
		b.Run(fmt.Sprint(len(recs)), func(b *testing.B) {
			for b.Loop() {
				New(recs, Options{}).Cluster()
			}
			b.ReportMetric(float64(len(recs)*b.N)/b.Elapsed().Seconds(), "mentions/s")
		})
	}
}
