package citations

import (
	"io"
	"strconv"
	"strings"
)

// gexfHeader declares GEXF 1.3 and every attribute, typed, so that Gephi,
// Cytoscape and networkx read them as such.
const gexfHeader = `<?xml version="1.0" encoding="UTF-8"?>
<gexf xmlns="http://gexf.net/1.3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://gexf.net/1.3 http://gexf.net/1.3/gexf.xsd" version="1.3">
  <meta>
    <creator>docbatch</creator>
    <description>citation network of batch `

const gexfAttributes = `</description>
  </meta>
  <graph defaultedgetype="directed" mode="static">
    <attributes class="node">
      <attribute id="kind" title="kind" type="string"/>
      <attribute id="document_id" title="document_id" type="string"/>
      <attribute id="title" title="title" type="string"/>
      <attribute id="doi" title="doi" type="string"/>
      <attribute id="year" title="year" type="integer"/>
      <attribute id="authors" title="authors" type="string"/>
      <attribute id="venue" title="venue" type="string"/>
      <attribute id="in_degree" title="in_degree" type="integer"/>
      <attribute id="out_degree" title="out_degree" type="integer"/>
    </attributes>
    <attributes class="edge">
      <attribute id="citing_document" title="citing_document" type="string"/>
      <attribute id="reference_index" title="reference_index" type="integer"/>
      <attribute id="match" title="match" type="string"/>
    </attributes>
`

// attvalue writes one attribute value, skipping empty ones.
func (x *xmlWriter) attvalue(key, v string) {
	if v == "" {
		return
	}
	x.raw(`          <attvalue for="` + key + `" value="`)
	x.text(v)
	x.raw("\"/>\n")
}

// nodeLabel is what a graph tool shows on a node: its title, else its DOI,
// else its document id, else its node id.
func nodeLabel(n *Node) string {
	for _, s := range []string{n.Title, n.DOI, n.DocumentID} {
		if s != "" {
			return s
		}
	}
	return n.ID
}

func (g *Graph) writeGEXF(w io.Writer) error {
	x := &xmlWriter{w: w}
	x.raw(gexfHeader)
	x.text(g.Batch)
	x.raw(gexfAttributes)
	x.raw("    <nodes>\n")
	for i := range g.Nodes {
		n := &g.Nodes[i]
		x.raw(`      <node id="`)
		x.text(n.ID)
		x.raw(`" label="`)
		x.text(nodeLabel(n))
		x.raw("\">\n        <attvalues>\n")
		x.attvalue("kind", n.Kind.String())
		x.attvalue("document_id", n.DocumentID)
		x.attvalue("title", n.Title)
		x.attvalue("doi", n.DOI)
		x.attvalue("year", yearString(n.Year))
		x.attvalue("authors", strings.Join(n.Authors, "; "))
		x.attvalue("venue", n.Venue)
		x.attvalue("in_degree", itoa(n.InDegree))
		x.attvalue("out_degree", itoa(n.OutDegree))
		x.raw("        </attvalues>\n      </node>\n")
	}
	x.raw("    </nodes>\n    <edges>\n")
	for i, e := range g.Edges {
		x.raw(`      <edge id="e` + itoa(i) + `" source="`)
		x.text(e.Source)
		x.raw(`" target="`)
		x.text(e.Target)
		x.raw(`" weight="` + strconv.Itoa(max(e.Weight, 1)) + "\">\n        <attvalues>\n")
		x.attvalue("citing_document", e.CitingDocument)
		x.attvalue("reference_index", itoa(e.ReferenceIndex))
		x.attvalue("match", e.Match)
		x.raw("        </attvalues>\n      </edge>\n")
	}
	x.raw("    </edges>\n  </graph>\n</gexf>\n")
	return x.err
}
