package extract

import (
	"bytes"
	"path"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	teiTagRe     = regexp.MustCompile(`<(?:[a-z0-9_]+:)?tei(?:corpus|header)?[\s>/]`)
	articleTagRe = regexp.MustCompile(`<(?:[a-z0-9_]+:)?article[\s>]`)
	mdHeadingRe  = regexp.MustCompile(`(?m)^#{1,6} \S`)
	mdListRe     = regexp.MustCompile(`(?m)^\s{0,3}[-*+] \S`)
	mdLinkRe     = regexp.MustCompile(`!?\[[^\]\n]+\]\([^)\s]+\)`)
	mdFenceRe    = regexp.MustCompile("(?m)^```")
	mdBoldRe     = regexp.MustCompile(`\*\*[^*\n]+\*\*|__[^_\n]+__`)
	mdQuoteRe    = regexp.MustCompile(`(?m)^> \S`)
	frontMatRe   = regexp.MustCompile(`^---[ \t]*\r?\n(?:[A-Za-z_][\w-]*:.*\r?\n|\s*-.*\r?\n|\s*\r?\n)*?---[ \t]*(?:\r?\n|$)`)
)

// Detect sniffs the format from the first bytes of a document. Content
// decides; the file name's extension only breaks ties (plain text named .md
// is Markdown, XML without a known root named .xml/.nxml is JATS when it has
// an <article>). Binary content is FormatUnknown.
func Detect(head []byte, name string) Format {
	ext := strings.ToLower(path.Ext(strings.ReplaceAll(name, `\`, "/")))
	b := bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF"))
	t := bytes.TrimLeft(b, " \t\r\n\f")
	if bytes.HasPrefix(t, []byte("%PDF-")) {
		return FormatPDF
	}
	// The PDF spec tolerates junk before the header within the first 1 KiB.
	if i := bytes.Index(b[:min(len(b), 1024)], []byte("%PDF-")); i >= 0 && (ext == ".pdf" || !isText(b[:i])) {
		return FormatPDF
	}
	if len(t) > 0 && t[0] == '<' {
		low := bytes.ToLower(t[:min(len(t), 16<<10)])
		switch {
		case bytes.Contains(low, []byte("<!doctype html")) || bytes.Contains(low, []byte("<html")):
			return FormatHTML
		case teiTagRe.Match(low):
			return FormatTEI
		case articleTagRe.Match(low) && (bytes.HasPrefix(low, []byte("<?xml")) || bytes.Contains(low, []byte("<!doctype article")) ||
			bytes.Contains(low, []byte("<front")) || bytes.Contains(low, []byte("jats")) || bytes.Contains(low, []byte("dtd-version")) ||
			bytes.HasPrefix(low, []byte("<article")) || ext == ".xml" || ext == ".nxml"):
			return FormatJATS
		case bytes.Contains(low, []byte("<body")) || bytes.Contains(low, []byte("<head")) || bytes.Contains(low, []byte("<p>")) ||
			bytes.Contains(low, []byte("<div")) || bytes.Contains(low, []byte("<meta ")):
			return FormatHTML
		case bytes.HasPrefix(low, []byte("<?xml")):
			if ext == ".html" || ext == ".htm" || ext == ".xhtml" {
				return FormatHTML
			}
			return FormatUnknown // some other XML vocabulary
		}
	}
	if !isText(b) {
		return FormatUnknown
	}
	if isMarkdown(t) || ext == ".md" || ext == ".markdown" {
		return FormatMarkdown
	}
	if (ext == ".html" || ext == ".htm") && bytes.IndexByte(t, '<') >= 0 {
		return FormatHTML
	}
	if len(t) == 0 {
		return FormatUnknown
	}
	return FormatText
}

// isText reports whether b is UTF-8 (a rune cut at the end of the sniffed
// prefix is tolerated) and at least 95% printable or white space.
func isText(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	// Tolerate an incomplete rune at the cut.
	for i := 0; i < 3 && len(b) > 0 && !utf8.Valid(b); i++ {
		r, size := utf8.DecodeLastRune(b)
		if r != utf8.RuneError || size != 1 {
			break
		}
		b = b[:len(b)-1]
	}
	if !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
		return false
	}
	total, bad := 0, 0
	for _, r := range string(b) {
		total++
		if r == '\n' || r == '\r' || r == '\t' || r == '\f' || r == '\x02' {
			continue
		}
		if !unicode.IsPrint(r) && !unicode.IsSpace(r) {
			bad++
		}
	}
	return bad*20 <= total
}

// isMarkdown: a leading "# " heading or YAML front matter decides; otherwise
// several distinct Markdown constructs must be present, since one "- item"
// or a lone link is common in plain text too.
func isMarkdown(t []byte) bool {
	if bytes.HasPrefix(t, []byte("# ")) || frontMatRe.Match(t) {
		return true
	}
	score, kinds := 0, 0
	for _, c := range mdConstructs {
		if n := c.count(t); n > 0 {
			kinds++
			score += min(n, 5) * c.weight
		}
	}
	return kinds >= 2 && score >= 4
}

// mdConstructs are the Markdown constructs isMarkdown counts, each with
// its weight and the strings one of which it needs.
var mdConstructs = []mdConstruct{
	{mdHeadingRe, 2, []string{"# "}}, {mdFenceRe, 2, []string{"```"}}, {mdLinkRe, 1, []string{"]("}},
	{mdBoldRe, 1, []string{"**", "__"}}, {mdQuoteRe, 1, []string{"> "}}, {mdListRe, 1, []string{"- ", "* ", "+ "}},
}

type mdConstruct struct {
	re     *regexp.Regexp
	weight int
	need   []string
}

// count counts the construct's matches in t, up to 6. The expression runs
// only where one of the strings it needs occurs: a byte search is far
// cheaper than an expression over a 16 KiB head, and most plain text has
// none of them (FuzzMarkdownPrefilters checks the test never skips a
// match).
func (c mdConstruct) count(t []byte) int {
	for _, n := range c.need {
		if bytes.Contains(t, []byte(n)) {
			return len(c.re.FindAllIndex(t, 6))
		}
	}
	return 0
}
