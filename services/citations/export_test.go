package citations

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exportGraph is a small network with the awkward cases: markup and BibTeX
// specials in titles, a control character, non-Latin names, a work cited
// twice by one document, authors written three ways, pages and volumes.
func exportGraph(t *testing.T) *Graph {
	t.Helper()
	docs := corpus()
	docs = append(docs,
		Contribution{
			DocumentID: "odd <&> \"id\"", Title: "Title with \x01 control & <markup> {braces} 100% $x_1$ #1 ~ ^", Year: 2000,
			Authors: []string{"Ludwig van Beethoven", "Łukasz Żółw", "Smith, John"}, Venue: "J. Odd & Co.",
			References: []Reference{
				{Index: 1, Title: "W1", DOI: "10.7/w1", Authors: []string{"Ann Author"}, Venue: "Nature", Volume: "12", Pages: "1–10"},
				{Index: 2, Title: "W1 again", DOI: "10.7/w1"},
				{Index: 3, Title: "Back\\slash and _under_", Year: 1999, Authors: []string{"Kim T-K", "Müller H"}, Pages: "e00367"},
			},
		})
	x := NewIndex()
	for _, d := range docs {
		x.Apply("batch <1>", d)
	}
	return x.Network("batch <1>").Snapshot()
}

func exportBytes(t *testing.T, g *Graph, f Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, g.Export(&buf, f))
	return buf.Bytes()
}

// python returns a Python 3 interpreter that can import every module, or
// skips the test saying what is missing. Debian's /usr/bin/python3 comes
// first: CI installs python3-networkx and python3-bibtexparser there.
// DOCBATCH_TEST_PYTHON names another interpreter to try before it.
func python(t *testing.T, modules ...string) string {
	t.Helper()
	var tried []string
	for _, p := range []string{os.Getenv("DOCBATCH_TEST_PYTHON"), "/usr/bin/python3", "python3"} {
		if p == "" {
			continue
		}
		py, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		tried = append(tried, py)
		if exec.Command(py, "-c", "import "+strings.Join(modules, ", ")).Run() == nil {
			return py
		}
	}
	t.Skipf("no python3 with %s (tried %v); install python3-networkx python3-bibtexparser (.ci/run does) to read the exports back", strings.Join(modules, ", "), tried)
	return ""
}

func runPython(t *testing.T, py, script string, data []byte, ext string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export."+ext)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	out, err := exec.Command(py, "-c", script, path).CombinedOutput()
	require.NoError(t, err, string(out))
	return strings.TrimSpace(string(out))
}

func TestExportsAreDeterministic(t *testing.T) {
	g := exportGraph(t)
	for _, f := range Formats {
		a, b := exportBytes(t, g, f), exportBytes(t, exportGraph(t), f)
		assert.NotEmpty(t, a, f)
		assert.Equal(t, string(a), string(b), f)
	}
}

// TestExportsReadBack reads GraphML and GEXF back with networkx.
func TestExportsReadBack(t *testing.T) {
	g := exportGraph(t)
	py := python(t, "networkx")
	years := 0
	for _, n := range g.Nodes {
		if n.Year != 0 {
			years++
		}
	}
	want := fmt.Sprintf("%d %d document,external %d", len(g.Nodes), len(g.Edges), years)
	for _, tt := range []struct {
		f      Format
		ext    string
		reader string
	}{{FormatGraphML, "graphml", "nx.read_graphml"}, {FormatGEXF, "gexf", "nx.read_gexf"}} {
		t.Run(string(tt.f), func(t *testing.T) {
			script := `import sys, networkx as nx
from networkx.readwrite import gexf
if "1.3" not in gexf.GEXF.versions:
    # networkx < 3 (Debian bookworm's 2.8) predates GEXF 1.3; register the
    # entry networkx 3 ships (1.3 reads like 1.2 for what we write).
    v = dict(gexf.GEXF.versions["1.2draft"])
    v.update(NS_GEXF="http://gexf.net/1.3", NS_VIZ="http://gexf.net/1.3/viz", VERSION="1.3")
    gexf.GEXF.versions["1.3"] = v
g = ` + tt.reader + `(sys.argv[1])
assert g.is_directed()
years = [d["year"] for _, d in g.nodes(data=True) if "year" in d]
assert all(isinstance(y, int) for y in years), years
kinds = sorted({d["kind"] for _, d in g.nodes(data=True)})
weights = [d.get("weight") for _, _, d in g.edges(data=True)]
assert all(w is not None and float(w) >= 1 for w in weights), weights
assert max(float(w) for w in weights) == 2, weights
odd = [d for _, d in g.nodes(data=True) if d.get("document_id") == 'odd <&> "id"']
assert len(odd) == 1 and "& <markup> {braces}" in odd[0]["title"], odd
print(g.number_of_nodes(), g.number_of_edges(), ",".join(kinds), len(years))`
			assert.Equal(t, want, runPython(t, py, script, exportBytes(t, g, tt.f), tt.ext))
		})
	}
}

// TestCSLJSON checks the CSL-JSON export with Python's json module (the
// consumer's reader) and the item shape CSL processors expect.
func TestCSLJSON(t *testing.T) {
	g := exportGraph(t)
	data := exportBytes(t, g, FormatCSLJSON)
	var items []map[string]any
	require.NoError(t, json.Unmarshal(data, &items))
	require.Len(t, items, len(g.Nodes))
	ids := map[string]bool{}
	for _, it := range items {
		id, _ := it["id"].(string)
		require.NotEmpty(t, id)
		require.False(t, ids[id], "duplicate id %s", id)
		ids[id] = true
		assert.Contains(t, []any{"article", "article-journal"}, it["type"])
		if a, ok := it["author"]; ok {
			for _, n := range a.([]any) {
				m := n.(map[string]any)
				_, fam := m["family"]
				_, lit := m["literal"]
				assert.True(t, fam || lit, "%v", m)
			}
		}
		if d, ok := it["issued"]; ok {
			parts := d.(map[string]any)["date-parts"].([]any)
			require.Len(t, parts, 1)
		}
	}
	var odd map[string]any
	for _, it := range items {
		if strings.Contains(it["note"].(string), `document odd <&> "id"`) {
			odd = it
		}
	}
	require.NotNil(t, odd)
	assert.Equal(t, "article-journal", odd["type"])
	assert.Equal(t, []any{
		map[string]any{"family": "van Beethoven", "given": "Ludwig"},
		map[string]any{"family": "Żółw", "given": "Łukasz"},
		map[string]any{"family": "Smith", "given": "John"},
	}, odd["author"])
	assert.Equal(t, map[string]any{"date-parts": []any{[]any{2000.0}}}, odd["issued"])
	assert.NotContains(t, odd["title"], "\x01")

	py := python(t, "json")
	script := `import sys, json
items = json.load(open(sys.argv[1], encoding="utf-8"))
assert isinstance(items, list)
for it in items:
    assert isinstance(it["id"], str) and it["type"] in ("article", "article-journal")
    for a in it.get("author", []):
        assert "family" in a or "literal" in a
    if "issued" in it:
        assert all(isinstance(p, int) for p in it["issued"]["date-parts"][0])
w1 = [it for it in items if it.get("DOI") == "10.7/w1"]
assert len(w1) == 1 and w1[0]["volume"] == "12" and w1[0]["page"] == "1–10" and w1[0]["container-title"] == "Nature", w1
print(len(items), len({it["id"] for it in items}))`
	assert.Equal(t, fmt.Sprintf("%d %d", len(g.Nodes), len(g.Nodes)), runPython(t, py, script, data, "json"))
}

// TestBibTeX parses the BibTeX export strictly here (balanced braces,
// fields, unique keys) and, when Debian's python3-bibtexparser is at hand,
// with that independent reader too.
func TestBibTeX(t *testing.T) {
	g := exportGraph(t)
	data := exportBytes(t, g, FormatBibTeX)
	entries, err := parseBibTeX(string(data))
	require.NoError(t, err)
	require.Len(t, entries, len(g.Nodes))
	keys := map[string]bool{}
	var odd, back bibEntry
	for _, e := range entries {
		require.False(t, keys[e.key], "duplicate key %s", e.key)
		keys[e.key] = true
		assert.Contains(t, []string{"article", "misc"}, e.typ)
		if strings.Contains(e.fields["note"], "odd") {
			odd = e
		}
		if strings.Contains(e.fields["title"], "Back") {
			back = e
		}
	}
	assert.Equal(t, "article", odd.typ)
	assert.Equal(t, `Title with control \& <markup> \{braces\} 100\% \$x\_1\$ \#1 \textasciitilde{} \textasciicircum{}`, odd.fields["title"])
	assert.Equal(t, `van Beethoven, Ludwig and Żółw, Łukasz and Smith, John`, odd.fields["author"])
	assert.Equal(t, "2000", odd.fields["year"])
	assert.Equal(t, `J. Odd \& Co.`, odd.fields["journal"])
	assert.True(t, strings.HasPrefix(odd.key, "vanbeethoven2000title"), odd.key)
	assert.Equal(t, "misc", back.typ)
	assert.Equal(t, `Back\textbackslash{}slash and \_under\_`, back.fields["title"])
	assert.Equal(t, "Kim, T-K and Müller, H", back.fields["author"])
	assert.Equal(t, "e00367", back.fields["pages"])

	py, err := exec.LookPath("/usr/bin/python3")
	if err != nil || exec.Command(py, "-c", "import bibtexparser").Run() != nil {
		t.Skip("python3-bibtexparser not installed (.ci/run installs it); the strict parse above passed")
	}
	script := `import sys, bibtexparser
from bibtexparser.bparser import BibTexParser
p = BibTexParser(common_strings=False)
p.ignore_nonstandard_types = False
db = bibtexparser.load(open(sys.argv[1], encoding="utf-8"), parser=p)
keys = [e["ID"] for e in db.entries]
assert len(keys) == len(set(keys))
w1 = [e for e in db.entries if e.get("doi") == "10.7/w1"]
assert len(w1) == 1 and w1[0]["pages"] == "1--10" and w1[0]["volume"] == "12", w1
print(len(db.entries))`
	assert.Equal(t, fmt.Sprint(len(g.Nodes)), runPython(t, py, script, data, "bib"))
}

type bibEntry struct {
	typ, key string
	fields   map[string]string
}

// parseBibTeX is a strict reader of the subset the export writes:
// @type{key, name = {value}, ...} with balanced braces, no string
// concatenation, no @string; anything else is an error.
func parseBibTeX(s string) ([]bibEntry, error) {
	var out []bibEntry
	i := 0
	skipSpace := func() {
		for i < len(s) && strings.ContainsRune(" \t\r\n", rune(s[i])) {
			i++
		}
	}
	ident := func() string {
		j := i
		for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9' || strings.ContainsRune("-_:.", rune(s[i]))) {
			i++
		}
		return s[j:i]
	}
	for {
		skipSpace()
		if i == len(s) {
			return out, nil
		}
		if s[i] != '@' {
			return nil, fmt.Errorf("offset %d: want @, got %q", i, s[i])
		}
		i++
		e := bibEntry{typ: ident(), fields: map[string]string{}}
		if e.typ == "" || i >= len(s) || s[i] != '{' {
			return nil, fmt.Errorf("offset %d: bad entry start", i)
		}
		i++
		if e.key = ident(); e.key == "" || i >= len(s) || s[i] != ',' {
			return nil, fmt.Errorf("offset %d: bad key", i)
		}
		i++
		for {
			skipSpace()
			if i < len(s) && s[i] == '}' {
				i++
				break
			}
			name := ident()
			skipSpace()
			if name == "" || i >= len(s) || s[i] != '=' {
				return nil, fmt.Errorf("entry %s offset %d: bad field", e.key, i)
			}
			i++
			skipSpace()
			if i >= len(s) || s[i] != '{' {
				return nil, fmt.Errorf("entry %s field %s: value not braced", e.key, name)
			}
			depth, j := 0, i
			for ; j < len(s); j++ {
				switch s[j] {
				case '\\':
					j++ // an escaped character, brace or not
				case '{':
					depth++
				case '}':
					depth--
				}
				if depth == 0 {
					break
				}
			}
			if depth != 0 || j >= len(s) {
				return nil, fmt.Errorf("entry %s field %s: unbalanced braces", e.key, name)
			}
			if _, dup := e.fields[name]; dup {
				return nil, fmt.Errorf("entry %s: field %s twice", e.key, name)
			}
			e.fields[name] = s[i+1 : j]
			i = j + 1
			skipSpace()
			if i < len(s) && s[i] == ',' {
				i++
			}
		}
		out = append(out, e)
	}
}
