package service

import (
	"context"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/docbatch/docbatch/services/scheduler"
)

// instruments are the scheduler's OpenTelemetry metrics. They read the
// core's snapshot at collection time (one lock per scrape), except the
// assignment wait, a histogram fed as assignments happen.
type instruments struct {
	wait metric.Float64Histogram
}

// newInstruments creates the histogram the core feeds; registerMetrics
// adds the observed ones once the core exists.
func newInstruments() (*instruments, error) {
	m := otel.Meter("docbatch/scheduler")
	wait, err := m.Float64Histogram("docbatch.scheduler.assign_wait",
		metric.WithUnit("s"), metric.WithDescription("time from a document becoming ready to its assignment"),
		metric.WithExplicitBucketBoundaries(0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10, 60, 600))
	if err != nil {
		return nil, err
	}
	return &instruments{wait: wait}, nil
}

func (in *instruments) onAssign(wait time.Duration) {
	in.wait.Record(context.Background(), wait.Seconds())
}

// registerMetrics registers the instruments observed from core.Metrics.
func registerMetrics(core *scheduler.Scheduler) error {
	m := otel.Meter("docbatch/scheduler")
	queue, err := m.Int64ObservableGauge("docbatch.scheduler.queue_depth", metric.WithDescription("documents ready to run, by batch and priority class"))
	if err != nil {
		return err
	}
	docs, err := m.Int64ObservableGauge("docbatch.scheduler.documents", metric.WithDescription("documents of running batches, by state"))
	if err != nil {
		return err
	}
	rate, err := m.Float64ObservableGauge("docbatch.scheduler.batch_rate", metric.WithUnit("{document}/s"), metric.WithDescription("documents finished per second over the last 10 s"))
	if err != nil {
		return err
	}
	assignments, err := m.Int64ObservableCounter("docbatch.scheduler.assignments", metric.WithDescription("assignments made"))
	if err != nil {
		return err
	}
	retries, err := m.Int64ObservableCounter("docbatch.scheduler.retries", metric.WithDescription("retries scheduled after transient or out-of-memory failures"))
	if err != nil {
		return err
	}
	quarantined, err := m.Int64ObservableCounter("docbatch.scheduler.quarantined", metric.WithDescription("documents failed for good, kept with their error history"))
	if err != nil {
		return err
	}
	fenced, err := m.Int64ObservableCounter("docbatch.scheduler.processors_fenced", metric.WithDescription("processors fenced off after missing heartbeats"))
	if err != nil {
		return err
	}
	memAvail, err := m.Int64ObservableGauge("docbatch.processor.memory_available", metric.WithUnit("By"), metric.WithDescription("memory headroom a processor last reported"))
	if err != nil {
		return err
	}
	memReserved, err := m.Int64ObservableGauge("docbatch.processor.memory_reserved", metric.WithUnit("By"), metric.WithDescription("memory reserved by assignments outstanding on a processor"))
	if err != nil {
		return err
	}
	memBudget, err := m.Int64ObservableGauge("docbatch.processor.memory_budget", metric.WithUnit("By"), metric.WithDescription("a processor's memory budget"))
	if err != nil {
		return err
	}
	slots, err := m.Int64ObservableGauge("docbatch.processor.slots", metric.WithDescription("documents a processor runs at once"))
	if err != nil {
		return err
	}
	running, err := m.Int64ObservableGauge("docbatch.processor.running", metric.WithDescription("documents running on a processor"))
	if err != nil {
		return err
	}
	_, err = m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		s := core.Metrics()
		o.ObserveInt64(assignments, s.Assignments)
		o.ObserveInt64(retries, s.Retries)
		o.ObserveInt64(quarantined, s.Quarantined)
		o.ObserveInt64(fenced, s.Fenced)
		for _, b := range s.Batches {
			batch := attribute.String("batch", b.ID)
			for p := scheduler.PriorityLow; p <= scheduler.PriorityCritical; p++ {
				o.ObserveInt64(queue, b.Ready[p], metric.WithAttributes(batch, attribute.String("priority", p.String())))
			}
			for state, n := range map[string]int64{"pending": b.Counts.Pending, "running": b.Counts.Running, "done": b.Counts.Done, "failed": b.Counts.Failed, "skipped": b.Counts.Skipped} {
				o.ObserveInt64(docs, n, metric.WithAttributes(batch, attribute.String("state", state)))
			}
			o.ObserveFloat64(rate, b.RatePerSec, metric.WithAttributes(batch))
		}
		for _, p := range s.Processors {
			id := metric.WithAttributes(attribute.String("processor", p.ID))
			o.ObserveInt64(memAvail, int64(min(p.Available, 1<<62)), id)
			o.ObserveInt64(memReserved, int64(min(p.Reserved, 1<<62)), id)
			o.ObserveInt64(memBudget, int64(min(p.Budget, 1<<62)), id)
			o.ObserveInt64(slots, int64(p.Slots), id)
			o.ObserveInt64(running, int64(p.Running), id)
		}
		return nil
	}, queue, docs, rate, assignments, retries, quarantined, fenced, memAvail, memReserved, memBudget, slots, running)
	return err
}
