package extract

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/unicode/norm"
)

// xmlWalker is the streaming token loop shared by the JATS and TEI readers.
// It keeps an explicit element stack (no recursion, depth capped at
// maxDepth) and a set of open text captures: a capture collects the
// character data of the element it was opened in, so a reader asks "give me
// the text of this element" without building a tree.
type xmlWalker struct {
	dec       *xml.Decoder
	stack     []string // local names of open elements
	caps      []*capture
	skipDepth int // >0: inside an element whose content is ignored
	poll      poller
	inline    map[string]bool
	block     map[string]bool
	// size is the input's length when known (0 otherwise): an unbounded
	// capture (the body) starts with room for that much text, instead of
	// doubling its way there and leaving three times the text as garbage.
	size int
}

type capMode int

const (
	capRaw   capMode = iota // one line; element boundaries become soft spaces
	capBlock                // paragraphs: block elements become "\n\n"
)

// capture accumulates normalised text. Spaces and paragraph breaks are kept
// pending and written only before the next content, so the text never ends
// in white space and offsets taken after flush() are final.
type capture struct {
	depth        int
	mode         capMode
	b            strings.Builder
	pendingSpace bool
	pendingBreak bool
	atBreak      bool // the text ends with a paragraph break
	mixed        bool // mixed content: the text carries its own spacing
	done         func(string)
	max          int // bytes; beyond it content is dropped (bounded memory)
}

func (c *capture) write(s string) {
	if c.max > 0 && c.b.Len() >= c.max {
		return
	}
	s = norm.NFKC.String(dehyphenate(s))
	for _, r := range s {
		if unicode.IsSpace(r) || r == '\u00A0' {
			c.pendingSpace = true
			continue
		}
		if unicode.IsControl(r) || r == '\u00AD' || r == '\u200B' || r == '\uFEFF' {
			continue
		}
		c.flush()
		c.b.WriteRune(r)
		c.atBreak = false
	}
}

// flush emits pending separators; call it before taking an offset.
func (c *capture) flush() {
	if c.b.Len() > 0 && !c.atBreak {
		if c.pendingBreak {
			c.b.WriteString("\n\n")
			c.atBreak = true
		} else if c.pendingSpace {
			c.b.WriteByte(' ')
		}
	}
	c.pendingBreak, c.pendingSpace = false, false
}

func (c *capture) String() string { return c.b.String() }

func newXMLWalker(ctx context.Context, r io.Reader, inline, block []string) *xmlWalker {
	dec := xml.NewDecoder(r)
	dec.Strict = true
	// Publishers' XML uses HTML named entities without shipping the DTD.
	dec.Entity = xml.HTMLEntity
	dec.CharsetReader = charset.NewReaderLabel
	w := &xmlWalker{dec: dec, poll: poller{ctx: ctx}, inline: map[string]bool{}, block: map[string]bool{}}
	if l, ok := r.(interface{ Len() int }); ok {
		w.size = l.Len()
	}
	for _, n := range inline {
		w.inline[n] = true
	}
	for _, n := range block {
		w.block[n] = true
	}
	return w
}

// capture starts collecting the text of the element just opened.
func (w *xmlWalker) capture(mode capMode, max int, done func(string)) *capture {
	c := &capture{depth: len(w.stack), mode: mode, done: done, max: max}
	if max == 0 && w.size > 0 {
		c.b.Grow(w.size)
	}
	w.caps = append(w.caps, c)
	return c
}

// skip ignores the content of the element just opened.
func (w *xmlWalker) skip() { w.skipDepth = len(w.stack) }

// in reports whether an element with this local name is open.
func (w *xmlWalker) in(name string) bool {
	for i := len(w.stack) - 1; i >= 0; i-- {
		if w.stack[i] == name {
			return true
		}
	}
	return false
}

// parent is the local name of the element enclosing the current one.
func (w *xmlWalker) parent() string {
	if len(w.stack) < 2 {
		return ""
	}
	return w.stack[len(w.stack)-2]
}

func attr(attrs []xml.Attr, name string) string {
	for _, a := range attrs {
		if a.Name.Local == name {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// nameParts are separated even in mixed content, where publishers often
// write <surname>Smith</surname><given-names>J</given-names> with no space.
var nameParts = map[string]bool{"surname": true, "given-names": true, "name": true, "string-name": true,
	"prefix": true, "suffix": true}

func (w *xmlWalker) boundary(name string) {
	if w.inline[name] {
		return
	}
	for _, c := range w.caps {
		if c.mixed && !nameParts[name] {
			continue
		}
		if c.mode == capBlock && w.block[name] {
			c.pendingBreak = true
		} else {
			c.pendingSpace = true
		}
	}
}

// walk runs the token loop. start is called after an element is pushed
// (w.stack ends with it); end is called after the captures opened in the
// element are closed, before it is popped. Elements inside a skipped
// element reach neither.
func (w *xmlWalker) walk(start func(name string, attrs []xml.Attr) error, end func(name string)) error {
	sawRoot := false
	for {
		if err := w.poll.err(); err != nil {
			return err
		}
		tok, err := w.dec.Token()
		if err == io.EOF {
			if !sawRoot {
				return fmt.Errorf("%w: no XML root element", ErrMalformed)
			}
			if len(w.stack) > 0 {
				return fmt.Errorf("%w: unexpected EOF inside <%s> at line %d", ErrMalformed, w.stack[len(w.stack)-1], w.line())
			}
			return nil
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return fmt.Errorf("%w: %v", ErrMalformed, err) // message carries the line
			}
			return fmt.Errorf("%w: line %d: %v", ErrMalformed, w.line(), err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			sawRoot = true
			if len(w.stack) >= maxDepth {
				return fmt.Errorf("%w: nesting deeper than %d at line %d", ErrMalformed, maxDepth, w.line())
			}
			w.stack = append(w.stack, t.Name.Local)
			if w.skipDepth == 0 {
				w.boundary(t.Name.Local)
				if err := start(t.Name.Local, t.Attr); err != nil {
					return err
				}
			}
		case xml.EndElement:
			d := len(w.stack)
			if d == 0 {
				return fmt.Errorf("%w: unbalanced end element at line %d", ErrMalformed, w.line())
			}
			name := w.stack[d-1]
			switch {
			case w.skipDepth == d:
				w.skipDepth = 0
				w.boundary(name)
			case w.skipDepth == 0:
				w.closeCaptures(d)
				w.boundary(name)
				end(name)
			}
			w.stack = w.stack[:d-1]
		case xml.CharData:
			if w.skipDepth == 0 && len(w.caps) > 0 {
				s := string(t)
				for _, c := range w.caps {
					c.write(s)
				}
			}
		}
	}
}

func (w *xmlWalker) closeCaptures(depth int) {
	for len(w.caps) > 0 {
		c := w.caps[len(w.caps)-1]
		if c.depth < depth {
			return
		}
		w.caps = w.caps[:len(w.caps)-1]
		if c.done != nil {
			c.done(c.String())
		}
	}
}

func (w *xmlWalker) line() int {
	line, _ := w.dec.InputPos()
	return line
}
