// Package jsstore persists the scheduler in JetStream: a KV bucket holds one
// record per batch (its checkpoint) and the incarnation counter; a stream
// holds each batch's documents (in chunks) and its journal of terminal
// transitions, so that replaying a batch's subject rebuilds it exactly.
package jsstore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/scheduler"
)

// Names of the scheduler's JetStream resources.
const (
	Bucket        = "docbatch-scheduler"
	Stream        = "DOCBATCH_SCHEDULER"
	subjectPrefix = "docbatch.sched."
	recordPrefix  = "batch."
	incarnKey     = "incarnation"
	modelKey      = "cost-model"
	// chunkBytes keeps spec chunks well under the default max payload.
	chunkBytes = 512 << 10
	// maxGroup bounds how many journal events one commit carries.
	maxGroup = 4096
	// A journal commit is tried for up to commitTimeout, in attempts of
	// commitAttempt, commitBackoff apart; after that its events fail and
	// the scheduler re-queues their documents.
	commitTimeout = 30 * time.Second
	commitAttempt = 3 * time.Second
	commitBackoff = 100 * time.Millisecond
)

// Store is a scheduler.Store over JetStream.
type Store struct {
	js     jetstream.JetStream
	kv     jetstream.KeyValue
	stream jetstream.Stream
	log    *slog.Logger
	queue  chan pendingEvent
	done   chan struct{}
	// writerID and groups name every journal message (Nats-Msg-Id), so a
	// commit retried after a lost acknowledgement is stored once.
	writerID string
	groups   uint64
}

type pendingEvent struct {
	batch string
	ev    scheduler.Event
	done  func(error)
}

// Options tune the store.
type Options struct {
	Replicas int
	Log      *slog.Logger
}

// Open creates (or opens) the bucket and stream and starts the journal
// writer; Close stops it.
func Open(ctx context.Context, js jetstream.JetStream, o Options) (*Store, error) {
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	kv, err := natsbus.OpenKeyValue(ctx, js, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "docbatch scheduler: batch records and incarnation",
		Storage:     jetstream.FileStorage,
		Replicas:    o.Replicas,
		History:     1,
	})
	if err != nil {
		return nil, err
	}
	var st jetstream.Stream
	err = natsbus.WhileForming(ctx, func() (err error) {
		st, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
			Name:        Stream,
			Description: "docbatch scheduler: batch documents and journals",
			Subjects:    []string{subjectPrefix + ">"},
			Storage:     jetstream.FileStorage,
			Replicas:    o.Replicas,
			MaxMsgSize:  2 << 20,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ensuring stream %s: %w", Stream, err)
	}
	s := &Store{js: js, kv: kv, stream: st, log: o.Log, queue: make(chan pendingEvent, 1<<16), done: make(chan struct{}), writerID: rand.Text()}
	go s.writer()
	return s, nil
}

// Close stops the journal writer after flushing what is queued.
func (s *Store) Close() {
	close(s.queue)
	<-s.done
}

func specSubject(id string) string   { return subjectPrefix + id + ".spec" }
func eventsSubject(id string) string { return subjectPrefix + id + ".events" }

// CreateBatch writes the documents, then the record: a batch exists once its
// record does, so a crash in between leaves only chunks that the next
// create of that id purges.
func (s *Store) CreateBatch(ctx context.Context, rec scheduler.Record, docs []scheduler.DocSpec) error {
	id := rec.Header.ID
	if err := s.stream.Purge(ctx, jetstream.WithPurgeSubject(subjectPrefix+id+".>")); err != nil {
		return fmt.Errorf("purging leftovers of %s: %w", id, err)
	}
	var futures []jetstream.PubAckFuture
	start, size := 0, 0
	flush := func(end int) error {
		data, err := json.Marshal(docs[start:end])
		if err != nil {
			return fmt.Errorf("encoding documents: %w", err)
		}
		f, err := s.js.PublishAsync(specSubject(id), data)
		if err != nil {
			return fmt.Errorf("publishing documents of %s: %w", id, err)
		}
		futures = append(futures, f)
		start, size = end, 0
		return nil
	}
	for i := range docs {
		size += len(docs[i].ID) + len(docs[i].Path) + 64
		for _, d := range docs[i].DependsOn {
			size += len(d) + 3
		}
		if size >= chunkBytes {
			if err := flush(i + 1); err != nil {
				return err
			}
		}
	}
	if start < len(docs) {
		if err := flush(len(docs)); err != nil {
			return err
		}
	}
	if err := waitAll(ctx, futures); err != nil {
		return fmt.Errorf("storing documents of %s: %w", id, err)
	}
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encoding record: %w", err)
	}
	if _, err := s.kv.Create(ctx, recordPrefix+id, data); err != nil {
		return fmt.Errorf("creating record of %s: %w", id, err)
	}
	return nil
}

func waitAll(ctx context.Context, futures []jetstream.PubAckFuture) error {
	for _, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// Append queues an event for the group-committing writer.
func (s *Store) Append(batchID string, ev scheduler.Event, done func(error)) {
	s.queue <- pendingEvent{batch: batchID, ev: ev, done: done}
}

// writer commits queued events in groups: one message per batch per group,
// published together and acknowledged by JetStream before any callback
// runs. Groups are committed one after another, so a batch's events keep
// their order.
func (s *Store) writer() {
	defer close(s.done)
	group := make([]pendingEvent, 0, maxGroup)
	for first := range s.queue {
		group = append(group[:0], first)
	drain:
		for len(group) < maxGroup {
			select {
			case p, ok := <-s.queue:
				if !ok {
					break drain
				}
				group = append(group, p)
			default:
				break drain
			}
		}
		s.commit(group)
	}
}

func (s *Store) commit(group []pendingEvent) {
	byBatch := map[string][]scheduler.Event{}
	var order []string
	for _, p := range group {
		if _, ok := byBatch[p.batch]; !ok {
			order = append(order, p.batch)
		}
		byBatch[p.batch] = append(byBatch[p.batch], p.ev)
	}
	errs := map[string]error{}
	payloads := map[string][]byte{}
	for _, b := range order {
		data, err := json.Marshal(byBatch[b])
		if err != nil {
			errs[b] = err
			continue
		}
		payloads[b] = data
	}
	s.groups++
	gid := s.groups
	// Attempts are short and repeated with the same message ids: when a
	// stream leader dies mid-commit (a NATS node lost), its publish is
	// never acknowledged, and waiting out one long timeout would hold every
	// transition of the scheduler for that long; a retry reaches the new
	// leader within seconds, and deduplication keeps a commit that did land
	// from being journaled twice.
	deadline := time.Now().Add(commitTimeout)
	closed := false // the connection is gone for good (shutdown): no retry can succeed
	for len(payloads) > 0 {
		end := time.Now().Add(commitAttempt)
		if end.After(deadline) {
			end = deadline
		}
		ctx, cancel := context.WithDeadline(context.Background(), end)
		futures := make(map[string]jetstream.PubAckFuture, len(payloads))
		for b, data := range payloads {
			f, err := s.js.PublishAsync(eventsSubject(b), data, jetstream.WithMsgID(fmt.Sprintf("%s.%d.%s", s.writerID, gid, b)))
			if err != nil {
				errs[b] = err
				if errors.Is(err, nats.ErrConnectionClosed) {
					closed = true
				}
				continue
			}
			futures[b] = f
		}
		for b, f := range futures {
			select {
			case <-f.Ok():
				delete(payloads, b)
				delete(errs, b)
			case err := <-f.Err():
				errs[b] = err
				if errors.Is(err, nats.ErrConnectionClosed) {
					closed = true
				}
			case <-ctx.Done():
				errs[b] = ctx.Err()
			}
		}
		cancel()
		if len(payloads) == 0 || closed || !time.Now().Add(commitBackoff).Before(deadline) {
			break
		}
		time.Sleep(commitBackoff)
	}
	for _, p := range group {
		if err := errs[p.batch]; err != nil {
			p.done(fmt.Errorf("journaling %s: %w", p.batch, err))
		} else {
			p.done(nil)
		}
	}
}

// SaveRecord overwrites a batch's checkpoint.
func (s *Store) SaveRecord(ctx context.Context, rec scheduler.Record) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encoding record: %w", err)
	}
	if _, err := s.kv.Put(ctx, recordPrefix+rec.Header.ID, data); err != nil {
		return fmt.Errorf("saving record of %s: %w", rec.Header.ID, err)
	}
	return nil
}

// Load replays every batch that has a record.
func (s *Store) Load(ctx context.Context, fn func(scheduler.Record, []scheduler.DocSpec, []scheduler.Event) error) error {
	lister, err := s.kv.ListKeysFiltered(ctx, recordPrefix+"*")
	if err != nil {
		return fmt.Errorf("listing batch records: %w", err)
	}
	var keys []string
	for k := range lister.Keys() {
		keys = append(keys, k)
	}
	for _, k := range keys {
		e, err := s.kv.Get(ctx, k)
		if err != nil {
			return fmt.Errorf("reading %s: %w", k, err)
		}
		var rec scheduler.Record
		if err := json.Unmarshal(e.Value(), &rec); err != nil {
			return fmt.Errorf("decoding %s: %w", k, err)
		}
		docs, events, err := s.replay(ctx, rec.Header.ID)
		if err != nil {
			return err
		}
		if len(docs) != rec.Header.Docs {
			return fmt.Errorf("batch %s: record says %d documents, stream holds %d", rec.Header.ID, rec.Header.Docs, len(docs))
		}
		if err := fn(rec, docs, events); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) replay(ctx context.Context, id string) ([]scheduler.DocSpec, []scheduler.Event, error) {
	var docs []scheduler.DocSpec
	var events []scheduler.Event
	err := natsbus.ReadAll(ctx, s.stream, subjectPrefix+id+".>", func(msg jetstream.Msg) error {
		switch {
		case strings.HasSuffix(msg.Subject(), ".spec"):
			var chunk []scheduler.DocSpec
			if err := json.Unmarshal(msg.Data(), &chunk); err != nil {
				return fmt.Errorf("decoding documents of %s: %w", id, err)
			}
			docs = append(docs, chunk...)
		case strings.HasSuffix(msg.Subject(), ".events"):
			var evs []scheduler.Event
			if err := json.Unmarshal(msg.Data(), &evs); err != nil {
				return fmt.Errorf("decoding journal of %s: %w", id, err)
			}
			events = append(events, evs...)
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("replaying %s: %w", id, err)
	}
	return docs, events, nil
}

// SaveModel stores the learned cost model.
func (s *Store) SaveModel(ctx context.Context, m map[string]scheduler.Factor) error {
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding cost model: %w", err)
	}
	if _, err := s.kv.Put(ctx, modelKey, data); err != nil {
		return fmt.Errorf("saving cost model: %w", err)
	}
	return nil
}

// LoadModel reads the stored cost model; nil when none was saved.
func (s *Store) LoadModel(ctx context.Context) (map[string]scheduler.Factor, error) {
	e, err := s.kv.Get(ctx, modelKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading cost model: %w", err)
	}
	var m map[string]scheduler.Factor
	if err := json.Unmarshal(e.Value(), &m); err != nil {
		return nil, fmt.Errorf("decoding cost model: %w", err)
	}
	return m, nil
}

// NextIncarnation increments the stored counter with compare-and-set.
func (s *Store) NextIncarnation(ctx context.Context) (uint32, error) {
	for range 100 {
		e, err := s.kv.Get(ctx, incarnKey)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			if _, err := s.kv.Create(ctx, incarnKey, []byte("1")); err == nil {
				return 1, nil
			} else if !errors.Is(err, jetstream.ErrKeyExists) {
				return 0, fmt.Errorf("creating incarnation: %w", err)
			}
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("reading incarnation: %w", err)
		}
		n, err := strconv.ParseUint(string(e.Value()), 10, 32)
		if err != nil {
			return 0, fmt.Errorf("decoding incarnation %q: %w", e.Value(), err)
		}
		if _, err := s.kv.Update(ctx, incarnKey, []byte(strconv.FormatUint(n+1, 10)), e.Revision()); err == nil {
			return uint32(n + 1), nil
		}
	}
	return 0, errors.New("incarnation: too many concurrent updates")
}
