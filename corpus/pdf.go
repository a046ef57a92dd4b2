package corpus

import (
	"bytes"
	"strconv"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"
)

// translit maps the non-Latin-1 characters the name pools use to their closest Latin-1
// form: fpdf's core fonts are WinAnsi-encoded, and a '?' in a surname would make the
// PDF's gold unreachable for any extractor.
var translit = map[rune]string{
	'Ł': "L", 'ł': "l", 'ś': "s", 'Ś': "S", 'ř': "r", 'Ř': "R", 'ş': "s", 'Ş': "S", 'ğ': "g", 'ı': "i",
	'İ': "I", 'ć': "c", 'ń': "n", 'ź': "z", 'ż': "z", 'ą': "a", 'ę': "e", 'č': "c", 'š': "s", 'ž': "z",
	'ě': "e", 'ů': "u", 'ő': "o", 'ű': "u", '–': "-", '—': "-", '’': "'", '‘': "'", '“': "\"", '”': "\"",
}

// latin1 returns s with every rune above U+00FF transliterated (or replaced by '?').
func latin1(s string) string {
	ok := true
	for _, r := range s {
		if r > 0xFF {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r <= 0xFF:
			b.WriteRune(r)
		case translit[r] != "":
			b.WriteString(translit[r])
		default:
			b.WriteByte('?')
		}
	}
	return b.String()
}

// win converts a Latin-1-safe UTF-8 string to the single-byte encoding fpdf's core
// fonts expect.
func win(s string) string {
	s = latin1(s)
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return string(b)
}

// latin1Gold rewrites a PDF document's gold to what the PDF can actually show.
func latin1Gold(g *GoldDocument) {
	g.Title = latin1(g.Title)
	g.Abstract = latin1(g.Abstract)
	g.Venue = latin1(g.Venue)
	for i := range g.Authors {
		a := &g.Authors[i]
		a.Given, a.Family, a.Affiliation = latin1(a.Given), latin1(a.Family), latin1(a.Affiliation)
	}
	for i := range g.Keywords {
		g.Keywords[i] = latin1(g.Keywords[i])
	}
	for i := range g.References {
		r := &g.References[i]
		r.Raw, r.Title, r.Venue = latin1(r.Raw), latin1(r.Title), latin1(r.Venue)
		for k := range r.Authors {
			r.Authors[k] = latin1(r.Authors[k])
		}
	}
}

// pdfWriter lays a document out with fpdf. It is also the emitter for the body, whose
// size is measured in characters of text (the sizer converts bytes to text).
type pdfWriter struct {
	f     *fpdf.Fpdf
	text  int
	tail  int
	para0 bytes.Buffer
}

func (w *pdfWriter) render(rd *renderers, d *docModel, textTarget int) ([]byte, int, error) {
	g := &d.gold
	f := fpdf.New("P", "mm", "A4", "")
	w.f, w.text, w.tail = f, 0, 0
	// Fixed dates and sorted catalogue make the bytes a function of the content only.
	tm := time.Date(g.Year, time.Month(1+d.core.issue%12), 1+d.core.idx%28, 12, 0, 0, 0, time.UTC)
	f.SetCreationDate(tm)
	f.SetModificationDate(tm)
	f.SetCatalogSort(true)
	f.SetCompression(true)
	f.SetProducer("docbatch corpus generator", false)
	f.SetCreator("docbatch corpus generator", false)
	f.SetTitle(g.Title, true)
	names := make([]string, len(g.Authors))
	for i, a := range g.Authors {
		names[i] = a.Given + " " + a.Family
	}
	f.SetAuthor(strings.Join(names, "; "), true)
	f.SetKeywords(strings.Join(g.Keywords, "; "), true)
	f.SetSubject("doi:"+g.DOI, true)
	f.SetMargins(20, 20, 20)
	f.SetAutoPageBreak(true, 20)
	f.AliasNbPages("")
	f.SetFooterFunc(func() {
		f.SetY(-14)
		f.SetFont("Helvetica", "", 8)
		f.CellFormat(0, 6, strconv.Itoa(f.PageNo()), "", 0, "C", false, 0, "")
	})
	f.AddPage()

	f.SetFont("Helvetica", "B", 17)
	f.MultiCell(0, 8, win(g.Title), "", "L", false)
	f.Ln(3)
	var b bytes.Buffer
	authorsLine(d, &b, " ", "")
	f.SetFont("Helvetica", "", 11)
	f.MultiCell(0, 5.5, win(b.String()), "", "L", false)
	f.Ln(1)
	f.SetFont("Helvetica", "I", 8.5)
	for i, a := range d.affs {
		s := a
		if len(d.affs) > 1 {
			s = strconv.Itoa(i+1) + " " + a
		}
		f.MultiCell(0, 4.2, win(s), "", "L", false)
	}
	f.Ln(2)
	f.SetFont("Helvetica", "", 9)
	f.MultiCell(0, 4.5, win(venueLine(d)), "", "L", false)
	f.MultiCell(0, 4.5, "DOI: "+g.DOI, "", "L", false)
	f.Ln(3)
	f.SetFont("Helvetica", "B", 11)
	f.MultiCell(0, 6, "Abstract", "", "L", false)
	f.SetFont("Helvetica", "", 9.5)
	f.MultiCell(0, 4.6, win(g.Abstract), "", "J", false)
	f.Ln(1)
	f.MultiCell(0, 4.6, win("Keywords: "+strings.Join(g.Keywords, ", ")), "", "L", false)
	w.text = len(g.Title) + b.Len() + len(g.Abstract) + 200
	for k := range g.References {
		w.tail += len(g.References[k].Raw) + 6
	}

	rd.body(d, w, textTarget)

	f.Ln(4)
	f.SetFont("Helvetica", "B", 12)
	f.MultiCell(0, 7, "References", "", "L", false)
	f.SetFont("Helvetica", "", 8)
	for k := range g.References {
		f.MultiCell(0, 3.8, win(refLabel(d.style, k)+g.References[k].Raw), "", "L", false)
		f.Ln(0.8)
	}
	rd.main.Reset()
	if err := f.Output(&rd.main); err != nil {
		return nil, 0, err
	}
	w.f = nil
	return rd.main.Bytes(), w.text + w.tail, nil
}

func (w *pdfWriter) section(level int, num, title string) {
	w.f.Ln(2)
	if level == 1 {
		w.f.SetFont("Helvetica", "B", 12)
		w.f.MultiCell(0, 7, num+" "+title, "", "L", false)
	} else {
		w.f.SetFont("Helvetica", "B", 10)
		w.f.MultiCell(0, 6, num+" "+title, "", "L", false)
	}
	w.text += len(title) + 4
}

func (w *pdfWriter) para(d *docModel, p []seg) {
	b := &w.para0
	b.Reset()
	for _, s := range p {
		if s.refs != nil {
			marker(b, d, s.refs, plainLink)
		} else {
			b.WriteString(s.text)
		}
	}
	w.f.SetFont("Helvetica", "", 10)
	w.f.MultiCell(0, 4.8, win(b.String()), "", "J", false)
	w.f.Ln(1.5)
	w.text += b.Len()
}

func (w *pdfWriter) size() int { return w.text + w.tail }
