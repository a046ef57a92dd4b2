// Package store persists the resolver's state in a JetStream key-value
// bucket so a restarted resolver serves the same clusters without replaying
// the result stream. It holds one key per (batch, document) with the
// mentions that document contributes, and one key per batch with the last
// applied stream sequence. Clusters are not stored: they are a function of
// the mentions and are recomputed after loading.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/resolver"
)

// Bucket is the name of the key-value bucket.
const Bucket = "docbatch-resolver"

// lastSeqSuffix ends the key holding a batch's last applied sequence. Document
// keys end in a 32-digit hex hash (natsbus.DocKey), so the two never collide.
const lastSeqSuffix = ".lastseq"

// recordVersion is the encoding version of document values.
const recordVersion = 1

// ErrInvalidBatchID means a batch id cannot be part of a key.
var ErrInvalidBatchID = errors.New("batch id is not a valid key")

// validBatch mirrors the KV key rules: the batch id is used verbatim in keys.
var validBatch = regexp.MustCompile(`^[-/_=a-zA-Z0-9]+(\.[-/_=a-zA-Z0-9]+)*$`)

// ValidBatchID reports whether a batch id can be stored.
func ValidBatchID(batchID string) bool { return validBatch.MatchString(batchID) }

// Options configure the bucket.
type Options struct {
	// Replicas of the bucket: 1 on one machine, 3 on a cluster.
	Replicas int
	Log      *slog.Logger
}

// Store is the resolver's bucket.
type Store struct {
	kv  jetstream.KeyValue
	log *slog.Logger
}

// Open creates the bucket if needed (file storage, one revision per key:
// only the latest contribution of a document matters) and returns it.
func Open(ctx context.Context, js jetstream.JetStream, o Options) (*Store, error) {
	replicas := o.Replicas
	if replicas <= 0 {
		replicas = 1
	}
	kv, err := natsbus.OpenKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "docbatch resolver: mentions per (batch, document) and last applied sequence per batch",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, err
	}
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	return &Store{kv: kv, log: log}, nil
}

// Document is the stored contribution of one document.
type Document struct {
	BatchID  string
	ID       string
	Version  resolver.Version
	Mentions []resolver.Mention
}

// record is the JSON form of a Document. Short field names keep values of
// documents with thousands of references well under the message size cap.
type record struct {
	V        int             `json:"v"`
	Batch    string          `json:"b"`
	Doc      string          `json:"d"`
	Epoch    uint64          `json:"e,omitempty"`
	Seq      uint64          `json:"s,omitempty"`
	Mentions []mentionRecord `json:"m,omitempty"`
}

type mentionRecord struct {
	Locator string `json:"l"`
	Text    string `json:"t,omitempty"`
	// Type by name, so a renumbered enum cannot corrupt stored state.
	Type  string            `json:"y"`
	Attrs map[string]string `json:"a,omitempty"`
}

// Put stores a document's contribution, replacing any earlier one. Writing
// the same document twice leaves the same state, so a redelivered result
// that is written again is harmless.
func (s *Store) Put(ctx context.Context, d Document) error {
	if !ValidBatchID(d.BatchID) {
		return fmt.Errorf("storing %q: %w", d.BatchID, ErrInvalidBatchID)
	}
	r := record{V: recordVersion, Batch: d.BatchID, Doc: d.ID, Epoch: d.Version.Epoch, Seq: d.Version.Seq}
	for _, m := range d.Mentions {
		r.Mentions = append(r.Mentions, mentionRecord{Locator: m.Locator, Text: m.Text, Type: m.Type.String(), Attrs: m.Attributes})
	}
	val, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding document %q of batch %q: %w", d.ID, d.BatchID, err)
	}
	if _, err := s.kv.Put(ctx, natsbus.DocKey(d.BatchID, d.ID), val); err != nil {
		return fmt.Errorf("storing document %q of batch %q: %w", d.ID, d.BatchID, err)
	}
	return nil
}

// RecordSeq raises the batch's last applied sequence to seq; it never lowers
// it, so a redelivered old message cannot move it back. Compare-and-set
// keeps it monotone even with concurrent writers.
func (s *Store) RecordSeq(ctx context.Context, batchID string, seq uint64) error {
	if !ValidBatchID(batchID) {
		return fmt.Errorf("recording sequence of %q: %w", batchID, ErrInvalidBatchID)
	}
	key := batchID + lastSeqSuffix
	val := []byte(strconv.FormatUint(seq, 10))
	for range 16 {
		e, err := s.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			_, err = s.kv.Create(ctx, key, val)
			if errors.Is(err, jetstream.ErrKeyExists) {
				continue // created meanwhile; compare with that value
			}
		} else if err == nil {
			cur, perr := strconv.ParseUint(string(e.Value()), 10, 64)
			if perr == nil && cur >= seq {
				return nil
			}
			_, err = s.kv.Update(ctx, key, val, e.Revision())
			if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
				continue // changed meanwhile; compare again
			}
		}
		if err != nil {
			return fmt.Errorf("recording sequence %d of batch %q: %w", seq, batchID, err)
		}
		return nil
	}
	return fmt.Errorf("recording sequence %d of batch %q: too many concurrent updates", seq, batchID)
}

// Load reads the whole bucket, calling fn for every stored document, and
// returns the last applied sequence of every batch. An entry that cannot be
// decoded is logged and skipped rather than failing start-up: one corrupt
// value must not keep the resolver from serving every other batch.
func (s *Store) Load(ctx context.Context, fn func(Document) error) (lastSeq map[string]uint64, err error) {
	w, err := s.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("watching bucket %s: %w", Bucket, err)
	}
	defer func() { _ = w.Stop() }()
	lastSeq = map[string]uint64{}
	for {
		var e jetstream.KeyValueEntry
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("loading bucket %s: %w", Bucket, ctx.Err())
		case v, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("loading bucket %s: watcher closed", Bucket)
			}
			e = v
		}
		if e == nil {
			return lastSeq, nil // the initial values are all delivered
		}
		if batch, ok := strings.CutSuffix(e.Key(), lastSeqSuffix); ok {
			seq, perr := strconv.ParseUint(string(e.Value()), 10, 64)
			if perr != nil {
				s.log.Error("skipping corrupt sequence entry", "key", e.Key(), "err", perr)
				continue
			}
			lastSeq[batch] = max(lastSeq[batch], seq)
			continue
		}
		d, derr := decode(e.Value())
		if derr != nil {
			s.log.Error("skipping corrupt document entry", "key", e.Key(), "err", derr)
			continue
		}
		if err := fn(d); err != nil {
			return nil, fmt.Errorf("loading %s: %w", e.Key(), err)
		}
	}
}

func decode(val []byte) (Document, error) {
	var r record
	if err := json.Unmarshal(val, &r); err != nil {
		return Document{}, fmt.Errorf("decoding: %w", err)
	}
	if r.V != recordVersion {
		return Document{}, fmt.Errorf("unsupported record version %d", r.V)
	}
	if r.Batch == "" || r.Doc == "" {
		return Document{}, errors.New("record without batch or document id")
	}
	d := Document{BatchID: r.Batch, ID: r.Doc, Version: resolver.Version{Epoch: r.Epoch, Seq: r.Seq}}
	for _, m := range r.Mentions {
		t, err := resolver.ParseEntityType(m.Type)
		if err != nil {
			return Document{}, fmt.Errorf("mention %s: %w", m.Locator, err)
		}
		d.Mentions = append(d.Mentions, resolver.Mention{DocumentID: r.Doc, Locator: m.Locator, Text: m.Text, Type: t, Attributes: m.Attrs})
	}
	return d, nil
}
