// Package memstore is an in-memory scheduler.Store: nothing survives the
// process. It exists for simulations and benchmarks that study the
// scheduling policy or the dispatch path apart from durability; a real
// deployment uses jsstore.
package memstore

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/docbatch/docbatch/services/scheduler"
)

// Store keeps batches and journals in maps. Appends are applied at once.
type Store struct {
	mu          sync.Mutex
	records     map[string]scheduler.Record
	docs        map[string][]scheduler.DocSpec
	events      map[string][]scheduler.Event
	incarnation uint32
	model       map[string]scheduler.Factor
}

// New returns an empty store.
func New() *Store {
	return &Store{records: map[string]scheduler.Record{}, docs: map[string][]scheduler.DocSpec{}, events: map[string][]scheduler.Event{}}
}

// CreateBatch stores a batch.
func (s *Store) CreateBatch(_ context.Context, rec scheduler.Record, docs []scheduler.DocSpec) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.records[rec.Header.ID]; ok {
		return fmt.Errorf("batch %s exists", rec.Header.ID)
	}
	s.records[rec.Header.ID] = rec
	s.docs[rec.Header.ID] = docs
	return nil
}

// Append records ev and calls done before returning.
func (s *Store) Append(batchID string, ev scheduler.Event, done func(error)) {
	s.mu.Lock()
	s.events[batchID] = append(s.events[batchID], ev)
	s.mu.Unlock()
	done(nil)
}

// SaveRecord overwrites a batch record.
func (s *Store) SaveRecord(_ context.Context, rec scheduler.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[rec.Header.ID] = rec
	return nil
}

// Load replays what this process stored.
func (s *Store) Load(_ context.Context, fn func(scheduler.Record, []scheduler.DocSpec, []scheduler.Event) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, rec := range s.records {
		if err := fn(rec, s.docs[id], s.events[id]); err != nil {
			return err
		}
	}
	return nil
}

// SaveModel keeps the cost model.
func (s *Store) SaveModel(_ context.Context, m map[string]scheduler.Factor) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.model = maps.Clone(m)
	return nil
}

// LoadModel returns the saved cost model, nil if none.
func (s *Store) LoadModel(context.Context) (map[string]scheduler.Factor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.model), nil
}

// NextIncarnation counts starts.
func (s *Store) NextIncarnation(context.Context) (uint32, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.incarnation++
	return s.incarnation, nil
}
