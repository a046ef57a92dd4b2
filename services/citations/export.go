package citations

import (
	"bufio"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Format is an export format.
type Format string

// Export formats implemented by the core.
const (
	FormatCSVNodes Format = "csv-nodes"
	FormatCSVEdges Format = "csv-edges"
	FormatGraphML  Format = "graphml"
	FormatGEXF     Format = "gexf"
	FormatCSLJSON  Format = "csl-json"
	FormatBibTeX   Format = "bibtex"
)

// Formats lists every export format, in the order the API numbers them.
var Formats = []Format{FormatCSVNodes, FormatCSVEdges, FormatGraphML, FormatGEXF, FormatCSLJSON, FormatBibTeX}

// ErrUnsupportedFormat is returned by Export for a format it cannot write.
var ErrUnsupportedFormat = errors.New("unsupported export format")

// Export writes g in format f to w. The bytes depend only on the graph, so
// the same documents give the same file whatever order they arrived in.
func (g *Graph) Export(w io.Writer, f Format) error {
	bw := bufio.NewWriter(w)
	var err error
	switch f {
	case FormatCSVNodes:
		err = g.writeCSVNodes(bw)
	case FormatCSVEdges:
		err = g.writeCSVEdges(bw)
	case FormatGraphML:
		err = g.writeGraphML(bw)
	case FormatGEXF:
		err = g.writeGEXF(bw)
	case FormatCSLJSON:
		err = g.writeCSLJSON(bw)
	case FormatBibTeX:
		err = g.writeBibTeX(bw)
	default:
		return fmt.Errorf("%w: %q", ErrUnsupportedFormat, f)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", f, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing %s: %w", f, err)
	}
	return nil
}

func itoa[T ~int | ~int32](v T) string { return strconv.Itoa(int(v)) }

// yearString leaves unknown years empty rather than 0.
func yearString(y int32) string {
	if y == 0 {
		return ""
	}
	return itoa(y)
}

func (g *Graph) writeCSVNodes(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"node_id", "kind", "document_id", "title", "doi", "year", "authors", "venue", "in_degree", "out_degree"}); err != nil {
		return err
	}
	for _, n := range g.Nodes {
		if err := cw.Write([]string{
			n.ID, n.Kind.String(), n.DocumentID, n.Title, n.DOI, yearString(n.Year),
			strings.Join(n.Authors, "; "), n.Venue, itoa(n.InDegree), itoa(n.OutDegree),
		}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (g *Graph) writeCSVEdges(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"source", "target", "citing_document", "reference_index", "match", "weight"}); err != nil {
		return err
	}
	for _, e := range g.Edges {
		if err := cw.Write([]string{e.Source, e.Target, e.CitingDocument, itoa(e.ReferenceIndex), e.Match, itoa(max(e.Weight, 1))}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// graphmlHeader declares every attribute, so Gephi, yEd and networkx read
// typed values.
const graphmlHeader = `<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">
  <key id="kind" for="node" attr.name="kind" attr.type="string"/>
  <key id="document_id" for="node" attr.name="document_id" attr.type="string"/>
  <key id="title" for="node" attr.name="title" attr.type="string"/>
  <key id="doi" for="node" attr.name="doi" attr.type="string"/>
  <key id="year" for="node" attr.name="year" attr.type="int"/>
  <key id="authors" for="node" attr.name="authors" attr.type="string"/>
  <key id="venue" for="node" attr.name="venue" attr.type="string"/>
  <key id="in_degree" for="node" attr.name="in_degree" attr.type="int"/>
  <key id="out_degree" for="node" attr.name="out_degree" attr.type="int"/>
  <key id="citing_document" for="edge" attr.name="citing_document" attr.type="string"/>
  <key id="reference_index" for="edge" attr.name="reference_index" attr.type="int"/>
  <key id="match" for="edge" attr.name="match" attr.type="string"/>
  <key id="weight" for="edge" attr.name="weight" attr.type="double"/>
`

// xmlWriter writes escaped XML, remembering the first error so the writing
// code reads straight.
type xmlWriter struct {
	w   io.Writer
	err error
}

func (x *xmlWriter) raw(s string) {
	if x.err == nil {
		_, x.err = io.WriteString(x.w, s)
	}
}

// text escapes s; xml.EscapeText also replaces characters XML 1.0 forbids
// (control characters from broken PDFs) with U+FFFD.
func (x *xmlWriter) text(s string) {
	if x.err == nil {
		x.err = xml.EscapeText(x.w, []byte(s))
	}
}

// data writes one attribute value, skipping empty ones (GraphML's default is
// "absent").
func (x *xmlWriter) data(key, v string) {
	if v == "" {
		return
	}
	x.raw(`      <data key="` + key + `">`)
	x.text(v)
	x.raw("</data>\n")
}

func (g *Graph) writeGraphML(w io.Writer) error {
	x := &xmlWriter{w: w}
	x.raw(graphmlHeader)
	x.raw(`  <graph id="`)
	x.text(g.Batch)
	x.raw("\" edgedefault=\"directed\">\n")
	for _, n := range g.Nodes {
		x.raw(`    <node id="`)
		x.text(n.ID)
		x.raw("\">\n")
		x.data("kind", n.Kind.String())
		x.data("document_id", n.DocumentID)
		x.data("title", n.Title)
		x.data("doi", n.DOI)
		x.data("year", yearString(n.Year))
		x.data("authors", strings.Join(n.Authors, "; "))
		x.data("venue", n.Venue)
		x.data("in_degree", itoa(n.InDegree))
		x.data("out_degree", itoa(n.OutDegree))
		x.raw("    </node>\n")
	}
	for i, e := range g.Edges {
		x.raw(`    <edge id="e` + itoa(i) + `" source="`)
		x.text(e.Source)
		x.raw(`" target="`)
		x.text(e.Target)
		x.raw("\">\n")
		x.data("citing_document", e.CitingDocument)
		x.data("reference_index", itoa(e.ReferenceIndex))
		x.data("match", e.Match)
		x.data("weight", itoa(max(e.Weight, 1)))
		x.raw("    </edge>\n")
	}
	x.raw("  </graph>\n</graphml>\n")
	return x.err
}
