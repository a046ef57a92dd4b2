// Package corpus generates synthetic research-paper collections together with their
// ground truth ("gold"), so that docbatch's extraction, entity resolution and citation
// analysis can be measured end to end, and its scheduler benchmarked, on collections of
// any size without shipping real papers.
//
// Generate writes N documents in a mix of formats (plain text, Markdown, HTML with
// Highwire citation_* tags, JATS XML and real PDFs), DIR/gold.json and DIR/manifest.jsonl.
// The collection is built to exercise the hard parts of the real problem:
//
//   - people appear under varying name forms ("Christopher J. Smith", "C. J. Smith",
//     "Chris Smith", "Smith, C. J.") and organisations under varying affiliation strings;
//   - documents cite earlier documents by preferential attachment, so citation counts are
//     heavy-tailed, and outside works from a shared pool, in three reference styles, some
//     without DOIs;
//   - document sizes are log-normal, optionally scaled to a total byte target;
//   - a fraction of documents depend on earlier ones (acyclic by construction), with
//     priorities, for the scheduler.
//
// Output is a pure function of Options (byte-identical across runs), and memory stays
// bounded for a million documents: every entity is regenerated from (seed, index) when
// needed instead of being kept, documents are written one at a time and gold.json is
// streamed. Gold strings are exactly what each document prints (for PDFs, after the
// Latin-1 transliteration the core fonts require), so an ideal extractor scores 1.0.
package corpus
