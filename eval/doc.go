// Package eval scores docbatch's extraction against gold answers, in
// process: the real extract package (and, for PDFs, the real PDFium engine)
// reads each document, and the result is compared field by field with a gold
// record.
//
// Three folder layouts carry gold, and Extract detects which one DIR has:
//
//   - generated corpora (DIR/gold.json written by `docbatch gen`): the
//     generator's gold, streamed with corpus.StreamGold;
//   - PDF + JATS twins (<ID>.pdf next to <ID>.xml): the PDF is scored against
//     the JATS twin read by the extract package's own JATS reader, which was
//     verified to be exact on these files (venue, abstract, keywords, ORCID
//     and affiliation too, against ReadJATS), so the score is the PDF path's;
//   - JATS only: each XML is extracted and compared with a gold record read
//     independently here with encoding/xml, so that the check is not the
//     reader grading itself.
//
// Scoring follows ../shared/data/README.md "How to score": header fields are
// per-document field F1 after normalisation (Unicode NFKC, case folding,
// white space, hyphenation, punctuation at the ends); authors are matched by
// family name and first initial and micro-averaged; venue, abstract,
// keywords (as a set) and each author's ORCID and affiliation are counted
// only where the gold has them; references are matched
// one to one (DOI first, then title similarity ≥ 0.9) and their fields
// (authors, title, year, venue, DOI) scored on the matched pairs.
package eval
