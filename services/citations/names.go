package citations

import (
	"strings"
)

// particles are lowercase name prefixes that belong to the family name
// ("Ludwig van Beethoven" → family "van Beethoven").
var particles = map[string]bool{
	"van": true, "von": true, "de": true, "der": true, "den": true, "da": true, "di": true, "du": true,
	"la": true, "le": true, "del": true, "della": true, "dos": true, "das": true, "ten": true, "ter": true,
	"bin": true, "al": true, "el": true,
}

// SplitName splits an author name as bibliographies write it into family
// and given parts: "Family, Given"; "Given Family" (with lowercase
// particles joining the family); "Family GH" (initials last). A single word
// is a family name.
func SplitName(name string) (family, given string) {
	name = strings.Join(strings.Fields(name), " ")
	if f, g, ok := strings.Cut(name, ","); ok {
		return strings.TrimSpace(f), strings.TrimSpace(g)
	}
	f := strings.Fields(name)
	switch {
	case len(f) == 0:
		return "", ""
	case len(f) == 1:
		return f[0], ""
	case isInitials(f[len(f)-1]):
		return strings.Join(f[:len(f)-1], " "), f[len(f)-1]
	}
	k := len(f) - 1
	for k > 1 && particles[f[k-1]] {
		k--
	}
	return strings.Join(f[k:], " "), strings.Join(f[:k], " ")
}
