package extract

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
)

var htmlRefsHeadingRe = regexp.MustCompile(`(?i)^\s*(?:[\dIVX]+\.?\s*)?(references?|bibliography|works cited|literature cited|cited literature)\b`)

var htmlBlock = map[string]bool{"p": true, "div": true, "br": true, "li": true, "tr": true, "section": true,
	"article": true, "blockquote": true, "pre": true, "dd": true, "dt": true, "table": true, "ul": true, "ol": true,
	"header": true, "footer": true, "figure": true, "figcaption": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "hr": true, "main": true, "aside": true, "td": true, "th": true}

var htmlSkip = map[string]bool{"script": true, "style": true, "noscript": true, "template": true, "svg": true,
	"nav": true, "math": true, "button": true, "select": true}

// parseHTML tokenises (no DOM, so no deep recursion on hostile nesting):
// Highwire citation_* meta tags first, then <h1>/<title> as fallbacks, body
// text without scripts and styles, headings as sections, and the items
// (li/p) following a references heading as references.
func parseHTML(ctx context.Context, data []byte, doc *Document) error {
	poll := &poller{ctx: ctx}
	var r io.Reader = bytes.NewReader(data)
	// Honour <meta charset> / BOM; default UTF-8.
	if enc, name, _ := charset.DetermineEncoding(data[:min(len(data), 1024)], ""); name != "utf-8" && name != "" {
		r = enc.NewDecoder().Reader(r)
	}
	z := html.NewTokenizer(r)
	z.SetMaxBuf(0)

	body := &capture{}
	meta := map[string][]string{}
	var authors []Author
	var titleTag, h1 string
	var title, heading, item *capture
	headLevel, refsLevel, itemDepth, skip := 0, 0, 0, 0
	inRefs := false
	var refItems []string
	var sections []Section

	for {
		if err := poll.err(); err != nil {
			return err
		}
		tt := z.Next()
		if tt == html.ErrorToken {
			if z.Err() == io.EOF {
				break
			}
			return z.Err()
		}
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken:
			nameB, hasAttr := z.TagName()
			name := string(nameB)
			if skip > 0 {
				if htmlSkip[name] && tt == html.StartTagToken {
					skip++
				}
				continue
			}
			if htmlSkip[name] {
				if tt == html.StartTagToken {
					skip = 1
				}
				continue
			}
			if name == "meta" && hasAttr {
				var key, content string
				for {
					k, v, more := z.TagAttr()
					switch strings.ToLower(string(k)) {
					case "name", "property":
						key = strings.ToLower(strings.TrimSpace(string(v)))
					case "content":
						content = string(v)
					}
					if !more {
						break
					}
				}
				if strings.HasPrefix(key, "citation_") || strings.HasPrefix(key, "dc.") {
					if len(meta[key]) < MaxReferences {
						meta[key] = append(meta[key], clean(content))
					}
					switch key {
					case "citation_author":
						if len(authors) < maxAuthors {
							authors = append(authors, htmlAuthor(clean(content)))
						}
					case "citation_author_institution":
						if n := len(authors); n > 0 {
							a := &authors[n-1]
							a.Affiliation = joinNonEmpty(a.Affiliation, clean(content), "; ")
						}
					case "citation_author_orcid":
						if n := len(authors); n > 0 {
							authors[n-1].ORCID = normalizeORCID(content)
						}
					}
				}
				continue
			}
			if htmlBlock[name] {
				body.pendingBreak = true
			} else {
				body.pendingSpace = body.pendingSpace || name == "img" || name == "input"
			}
			switch {
			case name == "title" && tt == html.StartTagToken:
				title = &capture{max: fieldMax}
			case len(name) == 2 && name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && tt == html.StartTagToken:
				headLevel = int(name[1] - '0')
				heading = &capture{max: fieldMax}
				body.flush()
				if item != nil {
					refItems = append(refItems, item.String())
					item = nil
				}
				sections = closeSection(sections, body.b.Len())
				sections = append(sections, Section{Start: body.b.Len(), End: -1})
			case inRefs && item == nil && (name == "li" || name == "p" || name == "div" && htmlHasClass(z, hasAttr, "csl-entry")) && tt == html.StartTagToken:
				item = &capture{max: fieldMax}
				itemDepth = 1
			case item != nil && name == nameOfItem(name) && tt == html.StartTagToken:
				itemDepth++
			}
		case html.EndTagToken:
			nameB, _ := z.TagName()
			name := string(nameB)
			if skip > 0 {
				if htmlSkip[name] {
					skip--
				}
				continue
			}
			if htmlBlock[name] {
				body.pendingBreak = true
			}
			switch {
			case name == "title" && title != nil:
				titleTag = title.String()
				title = nil
			case heading != nil && len(name) == 2 && name[0] == 'h' && int(name[1]-'0') == headLevel:
				h := heading.String()
				heading = nil
				if n := len(sections); n > 0 {
					sections[n-1].Heading = h
				}
				if headLevel == 1 && h1 == "" {
					h1 = h
				}
				switch {
				case htmlRefsHeadingRe.MatchString(h) && len(h) < 60:
					inRefs, refsLevel = true, headLevel
					refItems = nil // the last references heading wins
				case inRefs && headLevel <= refsLevel:
					inRefs = false
				}
			case item != nil && (name == "li" || name == "p" || name == "div"):
				itemDepth--
				if itemDepth <= 0 {
					if s := item.String(); s != "" && len(refItems) < MaxReferences {
						refItems = append(refItems, s)
					}
					item = nil
				}
			case name == "head":
				body.b.Reset()
				// Room for the whole text at once (see xmlWalker.size).
				body.b.Grow(len(data))
				sections = nil
			}
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text())
			switch {
			case title != nil:
				title.write(t)
				continue
			case heading != nil:
				heading.write(t)
			}
			if item != nil {
				item.write(t)
			}
			body.write(t)
		}
	}
	doc.Text = body.String()
	doc.Sections = closeSection(sections, len(doc.Text))

	get := func(keys ...string) string {
		for _, k := range keys {
			if v := meta[k]; len(v) > 0 && v[0] != "" {
				return v[0]
			}
		}
		return ""
	}
	doc.Title = get("citation_title", "dc.title")
	if doc.Title == "" {
		doc.Title = h1
	}
	if doc.Title == "" {
		doc.Title = titleTag
	}
	doc.Authors = authors
	if len(doc.Authors) == 0 {
		for _, n := range meta["dc.creator"] {
			doc.Authors = append(doc.Authors, htmlAuthor(n))
		}
	}
	doc.DOI = findDOI(get("citation_doi", "dc.identifier"))
	if doc.DOI == "" {
		doc.DOI = findDOI(doc.Text[:min(len(doc.Text), 5000)])
	}
	doc.Year = parseYear(get("citation_publication_date", "citation_date", "citation_online_date", "citation_cover_date", "citation_year", "dc.date"))
	doc.Venue = get("citation_journal_title", "citation_conference_title", "citation_book_title", "citation_publisher")
	for _, k := range meta["citation_keywords"] {
		doc.Keywords = append(doc.Keywords, splitKeywords(k)...)
	}
	doc.Abstract = get("citation_abstract", "dc.description")
	if doc.Abstract == "" {
		for _, s := range doc.Sections {
			if strings.EqualFold(strings.TrimSpace(s.Heading), "abstract") {
				var kw []string
				doc.Abstract, kw = abstractKeywords(doc.Text[min(s.Start+len(s.Heading), s.End):s.End])
				if len(doc.Keywords) == 0 {
					doc.Keywords = kw
				}
				break
			}
		}
	}
	if item != nil {
		refItems = append(refItems, item.String())
	}
	for i, it := range refItems {
		if err := poll.err(); err != nil {
			return err
		}
		r := ParseReference(it)
		if r.Index == 0 {
			r.Index = i + 1
		}
		doc.References = append(doc.References, r)
	}
	if len(doc.References) == 0 {
		for i, v := range meta["citation_reference"] {
			doc.References = append(doc.References, highwireReference(v, i+1))
		}
	}
	return nil
}

func nameOfItem(name string) string {
	if name == "li" || name == "p" || name == "div" {
		return name
	}
	return ""
}

func htmlHasClass(z *html.Tokenizer, hasAttr bool, class string) bool {
	// TagAttr was not consumed for non-meta tags; read it now.
	for hasAttr {
		k, v, more := z.TagAttr()
		if string(k) == "class" && strings.Contains(string(v), class) {
			return true
		}
		hasAttr = more
	}
	return false
}

func closeSection(secs []Section, at int) []Section {
	if n := len(secs); n > 0 && secs[n-1].End < 0 {
		secs[n-1].End = max(at, secs[n-1].Start)
	}
	return secs
}

// htmlAuthor reads "Family, Given" or "Given Family".
func htmlAuthor(s string) Author {
	if i := strings.Index(s, ","); i > 0 {
		f, g := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
		return Author{Given: g, Family: f, Full: joinName(g, f)}
	}
	g, f := splitGivenFamily(s)
	return Author{Given: g, Family: f, Full: collapseSpace(s)}
}

func joinNonEmpty(a, b, sep string) string {
	if a == "" {
		return b
	}
	if b == "" {
		return a
	}
	return a + sep + b
}

// highwireReference parses a citation_reference meta value:
// "citation_title=...; citation_author=...; citation_year=...".
func highwireReference(v string, idx int) Reference {
	r := Reference{Index: idx, Raw: v}
	for _, part := range strings.Split(v, ";") {
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(k) {
		case "citation_title":
			r.Title = val
		case "citation_author":
			if len(r.Authors) < maxAuthors {
				r.Authors = append(r.Authors, htmlAuthor(val).Full)
			}
		case "citation_journal_title":
			r.Venue = val
		case "citation_year", "citation_publication_date":
			r.Year = parseYear(val)
		case "citation_volume":
			r.Volume = val
		case "citation_firstpage":
			r.Pages = val
		case "citation_lastpage":
			if r.Pages != "" && val != r.Pages {
				r.Pages += "-" + val
			}
		case "citation_doi":
			r.DOI = findDOIOr(val)
		}
	}
	return r
}
