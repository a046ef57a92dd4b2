package scheduler

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

var batchIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidBatchID reports whether id can name a batch (it is used as a NATS
// subject token and a KV key, so the alphabet is restricted).
func ValidBatchID(id string) bool { return batchIDPattern.MatchString(id) }

// maxListed bounds how many offending ids an error names.
const maxListed = 10

// validateDocs checks a batch's documents as a whole and returns the
// dependency graph in index form: deps[i] are the documents i waits for.
// Every problem names the offending ids; a cycle is reported as its path.
func validateDocs(docs []DocSpec) (index map[string]int32, deps [][]int32, err error) {
	if len(docs) == 0 {
		return nil, nil, fmt.Errorf("%w: the batch has no documents", ErrInvalid)
	}
	index = make(map[string]int32, len(docs))
	var dups, bad []string
	for i := range docs {
		d := &docs[i]
		if d.ID == "" {
			d.ID = d.Path
		}
		if d.ID == "" {
			bad = append(bad, fmt.Sprintf("#%d has neither id nor path", i))
			continue
		}
		if msg := checkRelPath(d.Path); msg != "" {
			bad = append(bad, fmt.Sprintf("%q: %s", d.ID, msg))
		}
		if _, ok := index[d.ID]; ok {
			dups = append(dups, d.ID)
			continue
		}
		index[d.ID] = int32(i)
	}
	if len(bad) > 0 {
		return nil, nil, fmt.Errorf("%w: bad document specs: %s", ErrInvalid, listSome(bad))
	}
	if len(dups) > 0 {
		return nil, nil, fmt.Errorf("%w: duplicate document ids: %s", ErrInvalid, listSome(quoteAll(dups)))
	}
	deps = make([][]int32, len(docs))
	var unknown, self []string
	for i := range docs {
		for _, dep := range docs[i].DependsOn {
			j, ok := index[dep]
			switch {
			case !ok:
				unknown = append(unknown, fmt.Sprintf("%q depends on unknown %q", docs[i].ID, dep))
			case j == int32(i):
				self = append(self, docs[i].ID)
			default:
				deps[i] = append(deps[i], j)
			}
		}
		slices.Sort(deps[i])
		deps[i] = slices.Compact(deps[i])
	}
	if len(unknown) > 0 {
		return nil, nil, fmt.Errorf("%w: unknown dependencies: %s", ErrInvalid, listSome(unknown))
	}
	if len(self) > 0 {
		return nil, nil, fmt.Errorf("%w: documents depend on themselves: %s", ErrInvalid, listSome(quoteAll(self)))
	}
	if cyc := findCycle(deps); cyc != nil {
		names := make([]string, len(cyc))
		for k, i := range cyc {
			names[k] = fmt.Sprintf("%q", docs[i].ID)
		}
		return nil, nil, fmt.Errorf("%w: dependency cycle: %s", ErrInvalid, strings.Join(names, " -> "))
	}
	return index, deps, nil
}

// checkRelPath returns why p cannot be a document path, or "".
func checkRelPath(p string) string {
	switch {
	case p == "":
		return "path is empty"
	case strings.HasPrefix(p, "/"):
		return "path must be relative to the batch root"
	case strings.Contains(p, "\\") || strings.ContainsRune(p, 0):
		return "path has a backslash or NUL"
	case path.Clean(p) != p || p == "." || strings.HasPrefix(p, "../") || p == "..":
		return "path must be clean and stay inside the root"
	}
	return ""
}

// findCycle returns one dependency cycle as a path of indices (first ==
// last), or nil. Iterative DFS: chains 100,000 deep must not overflow.
func findCycle(deps [][]int32) []int32 {
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, len(deps))
	parent := make([]int32, len(deps))
	type frame struct{ node, next int32 }
	var stack []frame
	for start := range deps {
		if color[start] != white {
			continue
		}
		stack = append(stack[:0], frame{int32(start), 0})
		color[start] = grey
		parent[start] = -1
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if int(top.next) >= len(deps[top.node]) {
				color[top.node] = black
				stack = stack[:len(stack)-1]
				continue
			}
			child := deps[top.node][top.next]
			top.next++
			switch color[child] {
			case white:
				color[child] = grey
				parent[child] = top.node
				stack = append(stack, frame{child, 0})
			case grey:
				// top.node depends on child, which is on the stack: walk back.
				cyc := []int32{child}
				for n := top.node; n != child; n = parent[n] {
					cyc = append(cyc, n)
				}
				cyc = append(cyc, child)
				slices.Reverse(cyc)
				return cyc
			}
		}
	}
	return nil
}

// digest identifies a batch's documents (ids, paths, dependencies, in order).
func digest(docs []DocSpec) string {
	h := sha256.New()
	for _, d := range docs {
		fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s\n", d.ID, d.Path, d.Priority, strings.Join(d.DependsOn, "\x00"))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func listSome(items []string) string {
	if len(items) <= maxListed {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:maxListed], ", "), len(items)-maxListed)
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = fmt.Sprintf("%q", v)
	}
	return out
}
