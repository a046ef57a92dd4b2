package extract

import (
	"strings"
	"testing"
)

// benchRefs are references in the styles ParseReference meets, most
// without URLs, identifiers or access dates (as in most papers).
var benchRefs = []string{
	"[3] A. Author, B. Author. Graph methods for citation networks. Journal of Informetrics, 12(3):45-67, 2019.",
	"Smith J, Jones K (2019) Learning in cortex: a review. Neuron 75:556–570. https://doi.org/10.1016/j.neuron.2019.01.001",
	"Markram H, Lubke J, Frotscher M, Sakmann B. Regulation of synaptic efficacy by coincidence of postsynaptic APs and EPSPs. Science. 1997;275(5297):213-5.",
	`J. Smith, "Quoted titles in engineering," IEEE Trans. Softw. Eng., vol. 1, no. 2, pp. 2-3, 2000.`,
	"Beever, E. 2003. Management implications of the ecology of free-roaming horses. Wildlife Society Bulletin 31: 887–895.",
	"World Health Organization. Global tuberculosis report 2020. Geneva: WHO; 2020. Available from: https://www.who.int/publications/i/item/9789240013131 (accessed 3 May 2021).",
	"Vaswani A, Shazeer N, Parmar N, et al. Attention is all you need. arXiv:1706.03762, 2017.",
	"Lund H, Østergaard PA, Chang M, Werner S. The status of 4th generation district heating. Energy 2018;164:147–59. doi:10.1016/j.energy.2018.08.206",
	"Kideghesho JR, Røskaft E, Kaltenborn BP. Factors influencing conservation attitudes of local people in Western Serengeti, Tanzania. Biodiversity and Conservation. 2007;16(7):2213–2230.",
	"Hall, E. R. 1946. Mammals of Nevada. University of California Press.",
}

func BenchmarkParseReference(b *testing.B) {
	for b.Loop() {
		for _, r := range benchRefs {
			ParseReference(r)
		}
	}
	b.ReportMetric(float64(len(benchRefs)*b.N)/b.Elapsed().Seconds(), "refs/s")
}

// benchHeads are the first 16 KiB of a plain-text paper, a Markdown one
// and an HTML one, as Detect sees them.
var benchHeads = func() [][]byte {
	para := "Citation graphs are studied widely in scientometrics, and later work extended them to co-authorship. " +
		"We measure things that are worth measuring, carefully and twice, over 20,000 papers of 2019.\n\n"
	plain := "Graph Methods for Citation Networks\n\nAnn Lee, Bo Chen\nUniversity of Oslo, Norway\n\nAbstract\n" + strings.Repeat(para, 80)
	md := "---\ntitle: x\n---\n" + strings.Repeat("## Methods\n\n- one item\n- [a link](https://example.org) and **bold**\n\n"+para, 40)
	md = "Intro line\n" + md[len("---\ntitle: x\n---\n"):] // no front matter: the constructs decide
	html := "<!DOCTYPE html><html><head><title>x</title></head><body>" + strings.Repeat("<p>"+para+"</p>", 80)
	var out [][]byte
	for _, s := range []string{plain, md, html} {
		out = append(out, []byte(s[:min(len(s), sniffLen)]))
	}
	return out
}()

func BenchmarkDetect(b *testing.B) {
	for b.Loop() {
		for _, h := range benchHeads {
			Detect(h, "")
		}
	}
}

func TestBenchHeadsDetected(t *testing.T) {
	for i, want := range []Format{FormatText, FormatMarkdown, FormatHTML} {
		if got := Detect(benchHeads[i], ""); got != want {
			t.Errorf("head %d detected as %s, want %s", i, got, want)
		}
	}
}
