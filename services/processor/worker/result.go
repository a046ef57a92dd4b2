package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	processorv1 "github.com/docbatch/docbatch/proto/docbatch/processor/v1"
	schedulerv1 "github.com/docbatch/docbatch/proto/docbatch/scheduler/v1"
	"github.com/docbatch/docbatch/services/platform/natsbus"
	"github.com/docbatch/docbatch/services/processor"
	"github.com/docbatch/docbatch/services/processor/extract"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel/attribute"
	"google.golang.org/protobuf/proto"
)

// headerAllowance is kept free of the max payload for headers (message id,
// trace context) and the rest of the protocol framing.
const headerAllowance = 16 << 10

// ErrResultTooLarge: even with its text in the object store, a document's
// result does not fit NATS's max payload (an absurd reference list).
var ErrResultTooLarge = fmt.Errorf("%w: result too large to publish", extract.ErrTooLarge)

func docAttrs(a *schedulerv1.Assignment) []attribute.KeyValue {
	return []attribute.KeyValue{
		attribute.String("docbatch.batch_id", a.GetBatchId()),
		attribute.String("docbatch.document_id", a.GetDocumentId()),
		attribute.String("docbatch.assignment_id", a.GetAssignmentId()),
		attribute.Int64("docbatch.epoch", int64(a.GetEpoch())),
		attribute.Int("docbatch.attempt", int(a.GetAttempt())),
	}
}

// publish builds the document's result (from res, or from xerr when it
// failed), moves a large text to the object store, publishes it with the
// document's message id and waits for the PubAck. It returns the stream
// sequence; on a dedup hit that is the sequence of the earlier, identical
// publication.
func (w *Worker) publish(ctx context.Context, a *schedulerv1.Assignment, res *processor.Result, xerr error) (uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.PublishTimeout)
	defer cancel()
	out := w.result(a, res, xerr)
	maxPayload := int(w.js.Conn().MaxPayload()) - headerAllowance
	if out.Text != "" && (len(out.Text) > w.cfg.InlineTextLimit || proto.Size(out) > maxPayload) {
		key := natsbus.DocKey(a.GetBatchId(), a.GetDocumentId())
		store, err := w.textStore(ctx)
		if err != nil {
			return 0, err
		}
		if _, err := store.PutString(ctx, key, out.Text); err != nil {
			return 0, fmt.Errorf("storing text of %s as %s: %w", a.GetDocumentId(), key, err)
		}
		out.Text, out.TextObject = "", key
	}
	if n := proto.Size(out); n > maxPayload {
		return 0, fmt.Errorf("%w: %d bytes, the limit is %d", ErrResultTooLarge, n, maxPayload)
	}
	data, err := proto.Marshal(out)
	if err != nil {
		return 0, fmt.Errorf("encoding result of %s: %w", a.GetDocumentId(), err)
	}
	msg := nats.NewMsg(natsbus.ResultSubject(a.GetBatchId()))
	msg.Data = data
	natsbus.InjectTrace(ctx, msg.Header)
	ack, err := w.publishRetrying(ctx, msg, a.GetBatchId(), a.GetDocumentId())
	if err != nil {
		return 0, fmt.Errorf("publishing result of %s: %w", a.GetDocumentId(), err)
	}
	if ack.Duplicate {
		w.log.DebugContext(ctx, "result already published; dedup kept the first", "seq", ack.Sequence, "document", a.GetDocumentId())
	}
	return ack.Sequence, nil
}

// publishAttempt bounds one PubAck wait inside the publish timeout, so an
// attempt lost to a NATS restart or a stream leader election is retried
// soon instead of using up the whole timeout.
const publishAttempt = 2 * time.Second

// publishRetrying publishes msg until JetStream acknowledges it or ctx
// ends. Every attempt carries the same Nats-Msg-Id, so an attempt whose
// acknowledgement was lost and its retry store the result once: the retry
// gets the first one's sequence back as a duplicate. Only errors of the
// infrastructure are retried; they are not the document's fault and must
// not use up its retry budget at the scheduler.
func (w *Worker) publishRetrying(ctx context.Context, msg *nats.Msg, batchID, docID string) (*jetstream.PubAck, error) {
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, publishAttempt)
		ack, err := w.js.PublishMsg(actx, msg,
			jetstream.WithMsgID(natsbus.MsgID(batchID, docID)),
			jetstream.WithExpectStream(natsbus.ResultsStream))
		cancel()
		if err == nil || ctx.Err() != nil || !retryablePublish(err) {
			return ack, err
		}
		w.log.WarnContext(ctx, "publishing result failed; retrying", "document", docID, "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// retryablePublish reports errors that say nothing about the result itself:
// no acknowledgement in time, no stream leader (an election), no responders
// (NATS restarting).
func retryablePublish(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrNoStreamResponse) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrConnectionReconnecting)
}

func (w *Worker) textStore(ctx context.Context) (jetstream.ObjectStore, error) {
	w.storeMu.Lock()
	defer w.storeMu.Unlock()
	if w.store != nil {
		return w.store, nil
	}
	st, err := w.js.ObjectStore(ctx, natsbus.TextObjectStore)
	if err != nil {
		return nil, fmt.Errorf("opening object store %s: %w", natsbus.TextObjectStore, err)
	}
	w.store = st
	return st, nil
}

// result converts an extraction to its wire form.
func (w *Worker) result(a *schedulerv1.Assignment, res *processor.Result, xerr error) *processorv1.DocumentResult {
	out := &processorv1.DocumentResult{
		BatchId:     a.GetBatchId(),
		DocumentId:  a.GetDocumentId(),
		Path:        a.GetPath(),
		Epoch:       a.GetEpoch(),
		ProcessorId: w.cfg.ID,
	}
	if xerr != nil {
		out.Error = &processorv1.DocumentError{Class: processor.Classify(xerr).String(), Message: xerr.Error()}
		return out
	}
	d := res.Doc
	out.Format = string(d.Format)
	out.Metadata = &processorv1.Metadata{
		Title:    d.Title,
		Doi:      d.DOI,
		Year:     int32(d.Year),
		Venue:    d.Venue,
		Abstract: d.Abstract,
		Keywords: d.Keywords,
	}
	for _, au := range d.Authors {
		out.Metadata.Authors = append(out.Metadata.Authors, &processorv1.Author{
			FullName: au.Full, Given: au.Given, Family: au.Family, Orcid: au.ORCID, Affiliation: au.Affiliation,
		})
	}
	for _, r := range d.References {
		out.References = append(out.References, &processorv1.Reference{
			Index: int32(r.Index), Raw: r.Raw, Authors: r.Authors, Title: r.Title, Year: int32(r.Year),
			Venue: r.Venue, Volume: r.Volume, Pages: r.Pages, Doi: r.DOI,
		})
	}
	for _, s := range d.Sections {
		out.Sections = append(out.Sections, &processorv1.Section{Heading: s.Heading, Start: int64(s.Start), End: int64(s.End)})
	}
	for _, c := range d.Citations {
		refs := make([]int32, len(c.Refs))
		for i, r := range c.Refs {
			refs[i] = int32(r)
		}
		out.Citations = append(out.Citations, &processorv1.Citation{
			Start: int64(c.Start), End: int64(c.End), Page: int32(c.Page), Refs: refs, Context: c.Context,
		})
	}
	for _, e := range d.Entities {
		out.Entities = append(out.Entities, &processorv1.Entity{
			Type: string(e.Type), Text: e.Text, Name: e.Name, Start: int64(e.Start), End: int64(e.End), Page: int32(e.Page),
		})
	}
	for _, p := range d.PageStarts {
		out.PageStarts = append(out.PageStarts, int64(p))
	}
	out.Text = d.Text
	out.TextBytes = int64(len(d.Text))
	out.Stats = &processorv1.Stats{SizeBytes: res.Size, Pages: int32(d.Pages), DurationMs: res.Duration.Milliseconds()}
	return out
}
