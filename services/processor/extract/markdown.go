package extract

import (
	"context"
	"regexp"
	"strings"
)

var (
	mdATXRe     = regexp.MustCompile(`^(#{1,6})\s+(.*?)\s*#*\s*$`)
	mdImageRe   = regexp.MustCompile(`!\[[^\]]*\]\([^)]*\)`)
	mdLinkTxtRe = regexp.MustCompile(`\[([^\]]+)\]\([^)]*\)`)
	mdEmphRe    = regexp.MustCompile(`\*\*(\S(?:[^*]*?\S)?)\*\*|__(\S(?:[^_]*?\S)?)__|\*(\S(?:[^*]*?\S)?)\*|` + "`([^`]+)`")
	fmKeyRe     = regexp.MustCompile(`^([A-Za-z_][\w-]*)\s*:\s*(.*)$`)
	fmItemRe    = regexp.MustCompile(`^\s*-\s+(.*)$`)
)

// stripInline removes Markdown inline markup, keeping the visible text.
// It runs on every line, and ReplaceAllString copies its input even when
// nothing matches, so each expression runs only when the characters its
// matches must contain are there (a 1.7 MB document took half a second and
// 31 MB of allocation without these checks).
func stripInline(s string) string {
	if strings.Contains(s, "](") {
		s = mdImageRe.ReplaceAllString(s, "")
		s = mdLinkTxtRe.ReplaceAllString(s, "$1")
	}
	for i := 0; i < 3 && strings.ContainsAny(s, "*_`"); i++ { // nested emphasis
		t := mdEmphRe.ReplaceAllString(s, "$1$2$3$4")
		if t == s {
			break
		}
		s = t
	}
	return s
}

// frontMatter parses the simple YAML subset used for paper metadata:
// "key: value" and "key:" followed by "- item" lines.
func frontMatter(lines []string) map[string][]string {
	fm := map[string][]string{}
	key := ""
	for _, l := range lines {
		if m := fmItemRe.FindStringSubmatch(l); m != nil && key != "" {
			fm[key] = append(fm[key], unquote(m[1]))
			continue
		}
		if m := fmKeyRe.FindStringSubmatch(l); m != nil {
			key = strings.ToLower(m[1])
			if v := strings.TrimSpace(m[2]); v != "" {
				if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
					for _, it := range strings.Split(v[1:len(v)-1], ",") {
						fm[key] = append(fm[key], unquote(it))
					}
				} else {
					fm[key] = append(fm[key], unquote(v))
				}
			}
		}
	}
	return fm
}

func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '"' && s[len(s)-1] == '"' || s[0] == '\'' && s[len(s)-1] == '\'') {
		s = s[1 : len(s)-1]
	}
	// "name: Jane Doe" items inside author lists.
	if i := strings.Index(s, "name:"); i >= 0 {
		s = strings.TrimSpace(s[i+5:])
	}
	return s
}

// parseMarkdown: YAML front matter or the first "# " heading gives the
// title; the line below the title is the author line; "##" headings are
// sections; a References heading's list items are the references.
func parseMarkdown(ctx context.Context, raw string, doc *Document) error {
	poll := &poller{ctx: ctx}
	src := normalizeText(raw)
	lines := strings.Split(src, "\n")
	var fm map[string][]string
	if len(lines) > 0 && strings.TrimSpace(lines[0]) == "---" {
		for i := 1; i < len(lines); i++ {
			if t := strings.TrimSpace(lines[i]); t == "---" || t == "..." {
				fm = frontMatter(lines[1:i])
				lines = lines[i+1:]
				break
			}
		}
	}
	first := func(k ...string) string {
		for _, key := range k {
			if v := fm[key]; len(v) > 0 {
				return v[0]
			}
		}
		return ""
	}
	doc.Title = first("title")
	doc.DOI = findDOI(first("doi"))
	doc.Year = parseYear(first("date", "year", "published"))
	doc.Abstract = first("abstract")
	doc.Venue = first("journal", "venue", "container-title")
	for _, k := range append(fm["keywords"], fm["tags"]...) {
		doc.Keywords = append(doc.Keywords, splitKeywords(k)...)
	}
	for _, a := range append(fm["author"], fm["authors"]...) {
		for _, n := range splitNameList(a) {
			g, f := splitGivenFamily(n)
			doc.Authors = append(doc.Authors, Author{Given: g, Family: f, Full: n})
		}
	}

	// Render plain text and record headings; the text is at most the
	// source's length, so one allocation holds it.
	var b strings.Builder
	b.Grow(len(src))
	type head struct {
		level   int
		text    string
		start   int
		textEnd int
	}
	var heads []head
	titleLine := -1
	inFence := false
	for i, l := range lines {
		if err := poll.err(); err != nil {
			return err
		}
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			inFence = !inFence
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		if m := mdATXRe.FindStringSubmatch(l); m != nil && !inFence {
			h := head{level: len(m[1]), text: collapseSpace(stripInline(m[2])), start: b.Len()}
			b.WriteString(h.text)
			heads = append(heads, h)
			if h.level == 1 && titleLine < 0 {
				titleLine = i
				if doc.Title == "" {
					doc.Title = h.text
				}
			}
			continue
		}
		if inFence {
			b.WriteString(l)
		} else {
			b.WriteString(stripInline(l))
		}
	}
	doc.Text = b.String()

	// Sections: each heading (except the title) to the next heading of the
	// same or a higher level.
	for k, h := range heads {
		if h.level == 1 && k == 0 && titleLine >= 0 {
			continue
		}
		end := len(doc.Text)
		for _, n := range heads[k+1:] {
			if n.level <= h.level {
				end = n.start
				break
			}
		}
		doc.Sections = append(doc.Sections, Section{Heading: h.text, Start: h.start, End: end})
	}

	// Author line below the title; DOI/year in the header (before the
	// first section).
	headerEnd := len(lines)
	for i, l := range lines {
		if m := mdATXRe.FindStringSubmatch(l); m != nil && len(m[1]) >= 2 {
			headerEnd = i
			break
		}
	}
	if titleLine >= 0 && len(doc.Authors) == 0 {
		for i := titleLine + 1; i < headerEnd; i++ {
			t := strings.TrimSpace(stripInline(lines[i]))
			if t == "" {
				continue
			}
			if looksLikeAuthorLine(t) || (isNameLike(t) && len(t) < 60) {
				doc.Authors = parseAuthorLine(t)
			}
			break
		}
	}
	header := strings.Join(lines[:headerEnd], "\n")
	enrichPlainHeader(doc, header, doc.Text, lines[:min(headerEnd, 40)])
	if doc.DOI == "" {
		doc.DOI = findDOI(header)
	}
	if doc.Year == 0 {
		if m := copyYearRe.FindStringSubmatch(header); m != nil {
			doc.Year = parseYear(m[1] + m[2])
		}
	}
	if doc.Year == 0 {
		doc.Year = citeLineYear(header)
	}
	for _, s := range doc.Sections {
		h := strings.ToLower(s.Heading)
		switch {
		case doc.Abstract == "" && (h == "abstract" || h == "summary"):
			var kw []string
			doc.Abstract, kw = abstractKeywords(doc.Text[min(s.Start+len(s.Heading), s.End):s.End])
			if len(doc.Keywords) == 0 {
				doc.Keywords = kw
			}
		case refsHeadingRe.MatchString(s.Heading):
			refs, err := parseReferenceList(poll, doc.Text[min(s.Start+len(s.Heading), s.End):s.End])
			if err != nil {
				return err
			}
			doc.References = refs // the last references section wins
		}
	}
	return nil
}
