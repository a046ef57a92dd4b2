// Package store persists the citation core in a JetStream key-value bucket,
// so a restarted citations service rebuilds its networks without replaying
// the result stream: one key per (batch, document) holds that document's
// contribution, and one key per batch holds the highest stream sequence
// applied to it.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/docbatch/docbatch/services/citations"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/nats-io/nats.go/jetstream"
)

// Bucket is the KV bucket of the citations service.
const Bucket = "docbatch-citations"

// lastSeqSuffix ends the key of a batch's last applied sequence. Document
// keys end with 32 hex digits (natsbus.DocKey), so the two never collide.
const lastSeqSuffix = ".lastseq"

// casRetries bounds the compare-and-set loop of AdvanceSeq; conflicts only
// arise when two service instances share the bucket.
const casRetries = 16

// Store is the persistent side of the citation core.
type Store struct {
	kv jetstream.KeyValue
}

// Open creates or updates the bucket (file storage, replicas copies).
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Store, error) {
	if replicas <= 0 {
		replicas = 1
	}
	kv, err := natsbus.OpenKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "docbatch citation network contributions, one per (batch, document)",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
		// Only the latest contribution of a document matters.
		History: 1,
	})
	if err != nil {
		return nil, err
	}
	return &Store{kv: kv}, nil
}

// record is the stored form of a contribution; the batch is kept in the
// value because document keys hash the document id.
type record struct {
	Batch string                 `json:"b"`
	Doc   citations.Contribution `json:"d"`
}

// Put stores c as the contribution of its document to batch, replacing any
// earlier one.
func (s *Store) Put(ctx context.Context, batch string, c citations.Contribution) error {
	b, err := json.Marshal(record{Batch: batch, Doc: c})
	if err != nil {
		return fmt.Errorf("encoding contribution of %q: %w", c.DocumentID, err)
	}
	if _, err := s.kv.Put(ctx, natsbus.DocKey(batch, c.DocumentID), b); err != nil {
		return fmt.Errorf("storing contribution of %q in batch %q: %w", c.DocumentID, batch, err)
	}
	return nil
}

// AdvanceSeq raises the stored last applied sequence of batch to seq,
// never lowering it.
func (s *Store) AdvanceSeq(ctx context.Context, batch string, seq uint64) error {
	key := batch + lastSeqSuffix
	val := []byte(strconv.FormatUint(seq, 10))
	for range casRetries {
		e, err := s.kv.Get(ctx, key)
		switch {
		case errors.Is(err, jetstream.ErrKeyNotFound):
			if _, err := s.kv.Create(ctx, key, val); err == nil {
				return nil
			} else if !errors.Is(err, jetstream.ErrKeyExists) {
				return fmt.Errorf("storing last sequence of batch %q: %w", batch, err)
			}
		case err != nil:
			return fmt.Errorf("reading last sequence of batch %q: %w", batch, err)
		default:
			cur, perr := strconv.ParseUint(string(e.Value()), 10, 64)
			if perr == nil && cur >= seq {
				return nil
			}
			if _, err := s.kv.Update(ctx, key, val, e.Revision()); err == nil {
				return nil
			} else if !errors.Is(err, jetstream.ErrKeyExists) {
				return fmt.Errorf("storing last sequence of batch %q: %w", batch, err)
			}
		}
		// Another writer got there first: read again.
	}
	return fmt.Errorf("storing last sequence of batch %q: still conflicting after %d attempts", batch, casRetries)
}

// Record is one stored entry handed to Load's callback: either a document's
// contribution (Contribution set) or a batch's last applied sequence.
type Record struct {
	Batch        string
	Contribution *citations.Contribution
	LastSeq      uint64
}

// Load calls fn for every stored entry, then returns. It reads the bucket
// with one ordered watcher rather than a Get per key.
func (s *Store) Load(ctx context.Context, fn func(Record) error) error {
	w, err := s.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("watching bucket %s: %w", Bucket, err)
	}
	defer func() { _ = w.Stop() }()
	for {
		var e jetstream.KeyValueEntry
		select {
		case <-ctx.Done():
			return fmt.Errorf("loading bucket %s: %w", Bucket, ctx.Err())
		case e = <-w.Updates():
		}
		if e == nil {
			return nil // every current value has been delivered
		}
		rec, err := decode(e)
		if err != nil {
			return err
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
}

// Apply loads every stored entry into idx.
func (s *Store) Apply(ctx context.Context, idx *citations.Index) error {
	return s.Load(ctx, func(r Record) error {
		if r.Contribution != nil {
			idx.Apply(r.Batch, *r.Contribution)
		} else {
			idx.AdvanceSeq(r.Batch, r.LastSeq)
		}
		return nil
	})
}

func decode(e jetstream.KeyValueEntry) (Record, error) {
	if batch, ok := strings.CutSuffix(e.Key(), lastSeqSuffix); ok {
		seq, err := strconv.ParseUint(string(e.Value()), 10, 64)
		if err != nil {
			return Record{}, fmt.Errorf("decoding %s: %w", e.Key(), err)
		}
		return Record{Batch: batch, LastSeq: seq}, nil
	}
	var r record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		return Record{}, fmt.Errorf("decoding %s: %w", e.Key(), err)
	}
	return Record{Batch: r.Batch, Contribution: &r.Doc}, nil
}
