package match

// Frozen weights and thresholds.
//
// Every weight is a Fellegi–Sunter log-likelihood ratio log(m/u) of one
// comparison level, where m is the share of true matches and u the share of
// non-matching candidate pairs (pairs that survived blocking) falling into
// that level. They were set on the DEV halves only of the evaluation sets
// of `docbatch eval resolve` (records are split 50/50 by an FNV hash of
// their gold cluster — of the name block for s2and — and the TEST halves
// were not looked at while tuning):
//
//  1. starting values were set by hand from the usual m/u orders of
//     magnitude (an exact rare name or title is strong evidence, a
//     conflicting given name or a distant year strong counter-evidence),
//     then corrected by reading the dev false positives and false
//     negatives with Model.Explain (this added the trigram title
//     similarity and the title-containment level);
//  2. the priors, merge thresholds and a few weights were then chosen by
//     small grids on dev (persons on s2and + elife_authors: personPrior
//     −2.5/−2/−1.5, thresholdPerson 0.5–0.8, wGivenCommon 0.3/0.5/0.8,
//     wAffNone −1.5/−2.5, wAffHigh 3/4; works on dblp_acm + cora:
//     workPrior −3.5/−3/−2.5, thresholdWork 0.5/0.6, wTitleContained 2/3),
//     maximising the mean of dev pairwise F1 and dev B-cubed F1 over the
//     data sets of the kind. The landscape was flat (±0.005) around the
//     chosen values.
//
// Organisations, places and concepts have no gold set here: their weights
// mirror the work title levels and are untuned.
//
// Nothing here refers to an id, a string or a file of the data sets.
const (
	// Persons.
	personPrior = -2.5

	wFamilyExact    = 1.5
	wFamilyCompound = 0.5 // one part of a compound family name equals the other
	wFamilySimilar  = -1.0
	wFamilyDiffer   = -8.0

	// Given names. An exact full first name is worth wGivenExact minus
	// wGivenCommon per e-fold of how many records share the full name
	// (namesakes make an exact name weaker evidence), at least
	// wGivenExactMin.
	wGivenExact      = 3.5
	wGivenCommon     = 0.5
	wGivenExactMin   = 1.0
	wGivenNickname   = 1.5
	wGivenSimilar    = 0.0
	wGivenInitial    = 0.3  // an initial consistent with a full name
	wGivenInitials   = 0.8  // two equal initials
	wGivenConflict   = -7.0 // different full names, or different initials
	wGivenMissing    = 0.0
	wMiddleMatch     = 1.0
	wMiddleConflict  = -3.0
	wMiddleOneAbsent = -0.2

	wCoauthNone = -0.5 // both have co-authors, none shared
	wCoauthOne  = 3.0
	wCoauthMany = 5.0

	wAffHigh = 3.0 // affiliation TF-IDF cosine ≥ 0.8
	wAffMid  = 2.0 // ≥ 0.5
	wAffLow  = 0.5 // ≥ 0.25
	wAffNone = -1.5

	wVenueSameP = 0.5 // persons: the documents' venues agree (cosine ≥ 0.5)

	// Works.
	workPrior = -2.5

	// Title similarity is max(TF-IDF cosine, trigram Dice).
	wTitleContained = 2.0 // one title's tokens (idf mass ≥ 95%) inside the other's
	wTitle95        = 7.0 // similarity ≥ 0.95
	// minCosineForTrigrams: below this TF-IDF cosine the trigram Dice is
	// not computed (speed; no dev figure changed).
	minCosineForTrigrams = 0.15
	wTitle85             = 5.0
	wTitle70             = 2.0
	wTitle50             = -1.0
	wTitle30             = -4.0
	wTitle00             = -8.0

	wAuthHigh = 2.0 // idf-weighted author-token overlap ≥ 0.8
	wAuthMid  = 0.5 // ≥ 0.5
	wAuthLow  = -1.0
	wAuthNone = -3.0

	wYearSame = 0.5
	wYearOne  = -0.5
	wYearFar  = -2.5

	wVenueHigh = 0.5 // venue cosine ≥ 0.5
	wVenueLow  = -0.3

	// Organisations, places, concepts.
	otherPrior = -3.0
	wName95    = 6.0
	wName80    = 4.0
	wName60    = 1.0
	wName40    = -2.0
	wName00    = -6.0

	// Merge thresholds on the mean pair probability of two clusters.
	thresholdPerson = 0.5
	thresholdWork   = 0.5
	thresholdOther  = 0.5
)

func threshold(k Kind) float64 {
	switch k {
	case Person:
		return thresholdPerson
	case Work:
		return thresholdWork
	}
	return thresholdOther
}
