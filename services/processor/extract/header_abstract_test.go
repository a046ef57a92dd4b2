package extract

import (
	"strings"
	"testing"
)

func TestAbstractAcrossPageFooter(t *testing.T) {
	// Page 1's footer (dates, DOI, licence, journal line) is set inside
	// the abstract, which goes on in mid-sentence on page 2 under the
	// running head.
	page1 := strings.Join([]string{
		"Camera Trap Surveys of Wildlife in Rhode Island",
		"Amy Mayer1, Brian Gerber1",
		"1 Department of Natural Resources Science, University of Rhode Island, Kingston, USA",
		"Abstract",
		"We surveyed wildlife with cameras at many sites over five years and recorded every",
		"species detected, which supports analyses including single species,",
		"Received: 16 February 2024 Revised: 17 December 2024 Accepted: 3 March 2025",
		"DOI: 10.1002/ecy.70094",
		"This is an open access article under the terms of the Creative Commons Attribution License, which permits use",
		"the original work is properly cited.",
		"Ecology. 2025;106:e70094. https://onlinelibrary.wiley.com/r/ecy 1 of 2",
	}, "\n")
	page2 := strings.Join([]string{
		"Ecology | https://doi.org/10.1002/ecy.70094",
		"multi-species and occupancy modeling of the data.",
		"KEYWORDS",
		"camera traps, mammals",
		"1 | Introduction",
		"Camera traps are used widely.",
	}, "\n")
	doc := pdfDoc(t, "Camera Trap Surveys of Wildlife in Rhode Island", page1, page2)
	want := "We surveyed wildlife with cameras at many sites over five years and recorded every species detected, which supports analyses including single species, multi-species and occupancy modeling of the data."
	if doc.Abstract != want {
		t.Errorf("abstract = %q", doc.Abstract)
	}
	if doc.Venue != "Ecology" {
		t.Errorf("venue = %q", doc.Venue)
	}

	// A complete sentence before the footer: the abstract ends there, and
	// a correspondence footnote is not part of it.
	page1 = strings.Join([]string{
		"Camera Trap Surveys of Wildlife in Rhode Island",
		"Amy Mayer, Brian Gerber",
		"ABSTRACT",
		"We surveyed wildlife with cameras at many sites over five years and recorded every species detected.",
		"* Corresponding author. Department of Natural Resources, University of Rhode Island.",
		"E-mail addresses: amy@example.edu (A. Mayer).",
	}, "\n")
	doc = pdfDoc(t, "Camera Trap Surveys of Wildlife in Rhode Island", page1, "more text on page two.")
	if want := "We surveyed wildlife with cameras at many sites over five years and recorded every species detected."; doc.Abstract != want {
		t.Errorf("abstract = %q", doc.Abstract)
	}
}

func TestJoinSpacingAccents(t *testing.T) {
	for in, want := range map[string]string{
		"L\u00b4evy flight":          "Lévy flight",
		"Sch\u00a8onberg":            "Schönberg",
		"don\u00b4t":                 "don\u00b4t", // no precomposed t with acute
		"plain text":                 "plain text",
		"end with \u00b4":            "end with \u00b4",
		"Garc\u00b4\u0131a":          "Garc\u00b4\u0131a", // dotless i: left as it is
		"Se\u02c7sko and Pe\u02dcna": "Seško and Peña",
	} {
		if got := joinSpacingAccents(in); got != want {
			t.Errorf("joinSpacingAccents(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMarkdownAbstractKeywords(t *testing.T) {
	doc := extractString(t, "k.md", strings.Join([]string{
		"# Soil Carbon Under Grazing Pressure",
		"",
		"Maria Silva, João Costa",
		"",
		"## Abstract",
		"",
		"Grazing changes soil carbon.",
		"",
		"**Keywords:** soil, carbon; grazing",
		"",
		"## 1. Introduction",
		"",
		"Text.",
	}, "\n"))
	if doc.Abstract != "Grazing changes soil carbon." {
		t.Errorf("abstract = %q", doc.Abstract)
	}
	if got := strings.Join(doc.Keywords, "|"); got != "soil, carbon|grazing" {
		t.Errorf("keywords = %q", got)
	}
}

func TestKeywordsWrapped(t *testing.T) {
	head := []string{
		"Soil Carbon Under Grazing Pressure",
		"Maria Silva, João Costa",
		"Abstract",
		"Grazing changes soil carbon.",
	}
	for _, c := range []struct {
		lines []string
		want  string
	}{
		// A list wrapped after a separator, and a last keyword wrapped.
		{[]string{"Keywords: soil carbon; grazing pressure; land use;", "measurement data", "1. Introduction"}, "soil carbon|grazing pressure|land use|measurement data"},
		{[]string{"Keywords Socioeconomic status, COPD, China", "Kadoorie Biobank", "INTRODUCTION"}, "Socioeconomic status|COPD|China Kadoorie Biobank"},
		// The label alone, the list under it, wrapped inside a keyword.
		{[]string{"KEYWORDS", "camera traps, mammals, occupancy", "modeling, Rhode Island", "CONFLICT OF INTEREST STATEMENT"}, "camera traps|mammals|occupancy modeling|Rhode Island"},
		// One keyword a line.
		{[]string{"Keywords:", "Energy analysis", "Exergy analysis", "System sizing", "ABSTRACT"}, "Energy analysis|Exergy analysis|System sizing"},
		// A sentence after the list is not part of it.
		{[]string{"Keywords: soil, carbon", "The study was funded by the Soil Council."}, "soil|carbon"},
	} {
		doc := extractString(t, "k.txt", strings.Join(append(append([]string{}, head...), c.lines...), "\n")+"\nText.\n")
		if got := strings.Join(doc.Keywords, "|"); got != c.want {
			t.Errorf("%q: keywords = %q, want %q", c.lines, got, c.want)
		}
	}
}
