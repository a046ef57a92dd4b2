package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// Metrics is a running Prometheus scrape endpoint fed by OpenTelemetry
// instruments (and the Go runtime and process collectors).
type Metrics struct {
	Addr     string // where /metrics is served
	provider *sdkmetric.MeterProvider
	srv      *http.Server
}

// ServeMetrics installs the global MeterProvider, exporting every
// instrument the services create through otel.Meter to a Prometheus
// registry, and serves it at http://addr/metrics. service names the
// process in the exported resource.
func ServeMetrics(addr, service string, log *slog.Logger) (*Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exp, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(service)))
	if err != nil {
		return nil, err
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithResource(res))
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		_ = mp.Shutdown(context.Background())
		return nil, fmt.Errorf("metrics: listening on %s: %w", addr, err)
	}
	otel.SetMeterProvider(mp)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}))
	m := &Metrics{Addr: lis.Addr().String(), provider: mp, srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}}
	go func() {
		if err := m.srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "err", err)
		}
	}()
	log.Info("metrics serving", "addr", "http://"+m.Addr+"/metrics")
	return m, nil
}

// Close stops serving and flushes the provider.
func (m *Metrics) Close(ctx context.Context) error {
	if m == nil {
		return nil
	}
	return errors.Join(m.srv.Shutdown(ctx), m.provider.Shutdown(ctx))
}
