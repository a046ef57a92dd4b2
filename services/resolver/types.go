// Package resolver links the people, organisations and cited works that the
// documents of a batch mention into cross-document clusters. It is the
// transport-free core of the resolver service: it knows nothing of NATS,
// gRPC or protobuf, so the same logic serves the consumer, the query API,
// tests and evaluation.
//
// Resolution is the match package's: per-type blocking, Fellegi-Sunter
// pairwise scores from several signals (names with a nickname table,
// co-authors, affiliations, titles, venues, years), trusted identifiers
// (ORCID, DOI) and average-linkage clustering that never joins conflicting
// identifiers or two mentions of one document. An optional adjudicator (a
// language model, see package llm) is asked about uncertain pairs only.
//
// Clusters are a function of the set of documents only: contributions are
// keyed by (batch, document), applying a document again replaces what it
// contributed, and clusters are recomputed from scratch in a canonical
// order, so any arrival order, redelivery or restart gives the same result.
package resolver

import (
	"errors"
	"fmt"
)

// Sentinel errors returned by the query methods of Index.
var (
	// ErrUnknownBatch means no document of the batch has been applied.
	ErrUnknownBatch = errors.New("unknown batch")
	// ErrUnknownCluster means the batch has no cluster with that id.
	ErrUnknownCluster = errors.New("unknown cluster")
	// ErrUnknownMention means the batch has no mention at that locator.
	ErrUnknownMention = errors.New("unknown mention")
	// ErrDifferentTypes means a pair of mentions that cannot be compared.
	ErrDifferentTypes = errors.New("mentions of different types")
)

// EntityType is the kind of thing a mention names.
type EntityType int

// Entity types; the numbering matches the wire enum but the core does not
// depend on it.
const (
	TypeUnspecified EntityType = iota
	TypePerson
	TypeOrganization
	TypeWork
	TypePlace
	TypeConcept
)

var typeNames = [...]string{"unspecified", "person", "organization", "work", "place", "concept"}

// String returns the lower-case name of t ("person", "work", ...).
func (t EntityType) String() string {
	if t < 0 || int(t) >= len(typeNames) {
		return fmt.Sprintf("EntityType(%d)", int(t))
	}
	return typeNames[t]
}

// ParseEntityType is the inverse of String.
func ParseEntityType(s string) (EntityType, error) {
	for i, n := range typeNames {
		if n == s {
			return EntityType(i), nil
		}
	}
	return 0, fmt.Errorf("unknown entity type %q", s)
}

// Attribute names carried by mentions.
const (
	AttrORCID       = "orcid"
	AttrAffiliation = "affiliation"
	AttrGiven       = "given"
	AttrFamily      = "family"
	AttrDOI         = "doi"
	AttrYear        = "year"
	AttrTitle       = "title"
	AttrFirstAuthor = "first_author"
)

// Methods name how a cluster's members were linked (match.Method*):
// "singleton", "orcid", "doi", "score" or "llm".

// Mention is one occurrence of an entity in one document.
type Mention struct {
	DocumentID string
	// Locator says where in the document: "author[2]", "reference[14]".
	// It is unique within the document.
	Locator    string
	Text       string
	Type       EntityType
	Attributes map[string]string
}

// Cluster is a set of mentions believed to name the same entity. Values
// returned by Index share memory with its cache: treat them as read-only.
type Cluster struct {
	ID            string
	BatchID       string
	Type          EntityType
	CanonicalName string
	// Members in canonical order (document id, then locator).
	Members    []Mention
	Confidence float64
	// SourceDocuments are the distinct document ids of the members, sorted.
	SourceDocuments []string
	Method          string
	MemberCount     int
}

// Resolution is where an ad-hoc mention would land.
type Resolution struct {
	// ClusterID is empty when no cluster matched.
	ClusterID     string
	CanonicalName string
	Score         float64
}

// Stats summarises what the index holds for a batch.
type Stats struct {
	Documents      int
	Mentions       int
	Clusters       int
	LastAppliedSeq uint64
	// CandidatePairs the last clustering scored.
	CandidatePairs int
}

// Version orders the contributions of one document: a result produced under
// a later assignment epoch wins, and within an epoch the later stream
// sequence wins. The zero Version is the oldest.
type Version struct {
	Epoch uint64
	Seq   uint64
}

// Less reports whether v is older than o.
func (v Version) Less(o Version) bool {
	if v.Epoch != o.Epoch {
		return v.Epoch < o.Epoch
	}
	return v.Seq < o.Seq
}
