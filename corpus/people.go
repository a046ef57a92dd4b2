package corpus

import (
	"fmt"
	"strings"
)

type nameParts struct {
	Given, Middle, Family string // Middle is a single letter or ""
}

// initials renders "Christopher"+"J" as "C. J."; hyphenated or multi-word given names
// keep one initial per part, as citation styles do.
func (n nameParts) initials() string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(n.Given, func(r rune) bool { return r == ' ' || r == '-' }) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(firstRune(part))
		b.WriteByte('.')
	}
	if n.Middle != "" {
		b.WriteByte(' ')
		b.WriteString(n.Middle)
		b.WriteByte('.')
	}
	return b.String()
}

// compactInitials renders Vancouver-style "CJ".
func (n nameParts) compactInitials() string {
	s := firstRune(n.Given)
	if n.Middle != "" {
		s += n.Middle
	}
	return s
}

func (n nameParts) full() string {
	if n.Middle != "" {
		return n.Given + " " + n.Middle + ". " + n.Family
	}
	return n.Given + " " + n.Family
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}

type person struct {
	name   nameParts
	nick   string
	orcid  string
	org    int
	domain int
}

// Byline variants of a person's name. Which one a document prints is drawn per document,
// so the same person appears differently across the corpus.
const (
	varFull = iota
	varNoMiddle
	varInitials
	varNick
	numBylineVariants
)

// byline returns the given and family parts printed for variant v; variants that do not
// apply to this person (no middle initial, no nickname) fall back to the full form.
func (p *person) byline(v int) (given, family string) {
	switch v {
	case varNoMiddle:
		return p.name.Given, p.name.Family
	case varInitials:
		return p.name.initials(), p.name.Family
	case varNick:
		if p.nick != "" {
			return p.nick, p.name.Family
		}
	}
	if p.name.Middle != "" {
		return p.name.Given + " " + p.name.Middle + ".", p.name.Family
	}
	return p.name.Given, p.name.Family
}

// variants lists every form the generator may print for this person, bylines and
// reference lists alike, in a fixed order.
func (p *person) variants() []string {
	out := make([]string, 0, 7)
	add := func(s string) {
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	for v := 0; v < numBylineVariants; v++ {
		g, f := p.byline(v)
		add(g + " " + f)
	}
	add(p.name.Family + ", " + p.name.initials())
	add(p.name.Family + " " + p.name.compactInitials())
	return out
}

// orcidFor derives a unique, checksum-valid ORCID iD from the person index (an affine map
// that is a bijection on 7-digit numbers), so no two people collide.
func orcidFor(idx int) string {
	base := fmt.Sprintf("00000002%07d", (idx*7919+12345)%10_000_000)
	total := 0
	for _, c := range base {
		total = (total + int(c-'0')) * 2
	}
	check := (12 - total%11) % 11
	cs := byte('0' + check)
	if check == 10 {
		cs = 'X'
	}
	s := base + string(cs)
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

type org struct {
	long, short string
	pl          place
}

func makeOrgs(n int) []org {
	orgs := make([]org, n)
	for k := range orgs {
		pl := places[k%len(places)]
		t := orgTemplates[(k/len(places))%len(orgTemplates)]
		orgs[k] = org{long: fmt.Sprintf(t.Long, pl.City), short: fmt.Sprintf(t.Short, pl.City), pl: pl}
	}
	return orgs
}

// affiliation renders one of the byline forms of an organisation; dept comes from the
// document's domain.
func (o *org) affiliation(form int, dept string) string {
	switch form {
	case 1:
		return "Department of " + dept + ", " + o.long
	case 2:
		return "Dept. of " + dept + ", " + o.short
	case 3:
		return o.long + ", " + o.pl.Country
	}
	return o.long
}

const numAffForms = 4

func (o *org) gold(id int) GoldOrg {
	return GoldOrg{
		ID:       orgID(id),
		Name:     o.long,
		Country:  o.pl.Country,
		Variants: []string{o.long, o.short, o.long + ", " + o.pl.Country},
	}
}

func personID(i int) string { return fmt.Sprintf("P%06d", i) }
func orgID(i int) string    { return fmt.Sprintf("O%04d", i) }
func workID(i int) string   { return fmt.Sprintf("W%07d", i) }
