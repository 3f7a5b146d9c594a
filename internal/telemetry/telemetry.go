// Package telemetry sends OpenTelemetry traces and metrics over OTLP when the
// standard OTEL_* environment asks for it, and is off otherwise: the global
// tracer and meter stay OpenTelemetry's no-ops, whose calls cost next to
// nothing. Spans never carry keys, tokens or bodies.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// scope names Patchbay's spans and instruments.
const scope = "github.com/patchbayhq/patchbay"

// tracesOn and metricsOn say what Setup turned on: with them off, Start and
// Duration return at once, so that an untraced call builds no span name and
// no attributes.
var tracesOn, metricsOn atomic.Bool

// MetricsOn reports whether metrics are exported.
func MetricsOn() bool { return metricsOn.Load() }

// tracer is Patchbay's tracer; made before Setup, it follows the provider
// Setup installs.
var tracer = otel.Tracer(scope)

// noSpan is what Start gives when tracing is off.
var noSpan = trace.SpanFromContext(context.Background())

// Start starts a span named prefix+name of kind, a child of ctx's, when
// tracing is on; otherwise it returns ctx and a span that does nothing.
// Callers set attributes only on a span that IsRecording.
func Start(ctx context.Context, kind trace.SpanKind, prefix, name string) (context.Context, trace.Span) {
	if !tracesOn.Load() {
		return ctx, noSpan
	}
	return tracer.Start(ctx, prefix+name, trace.WithSpanKind(kind))
}

// Duration records a duration in seconds on h, with attrs; callers check
// MetricsOn first, so that attributes are built only when they are sent.
func Duration(ctx context.Context, h metric.Float64Histogram, d time.Duration, attrs ...attribute.KeyValue) {
	h.Record(ctx, d.Seconds(), metric.WithAttributes(attrs...))
}

// Histogram is a duration histogram in seconds on Patchbay's meter; it
// starts sending once Setup turns metrics on.
func Histogram(name, description string) metric.Float64Histogram {
	h, err := Meter().Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(description))
	if err != nil {
		otel.Handle(err)
	}
	return h
}

// Meter is Patchbay's meter (a no-op until Setup turns metrics on).
func Meter() metric.Meter { return otel.Meter(scope) }

// Inject writes the trace context of ctx into h (traceparent, tracestate),
// for a provider call or a webhook delivery; nothing when tracing is off.
func Inject(ctx context.Context, h http.Header) {
	if tracesOn.Load() {
		otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(h))
	}
}

// Extract returns ctx continuing the trace h names (an inbound traceparent),
// when tracing is on.
func Extract(ctx context.Context, h http.Header) context.Context {
	if !tracesOn.Load() {
		return ctx
	}
	return otel.GetTextMapPropagator().Extract(ctx, propagation.HeaderCarrier(h))
}

// TraceParent is ctx's trace context as a traceparent value, "" without one:
// what a stored event keeps so that its later delivery joins the trace.
func TraceParent(ctx context.Context) string {
	if !tracesOn.Load() {
		return ""
	}
	h := http.Header{}
	Inject(ctx, h)
	return h.Get("Traceparent")
}

// WithTraceParent returns ctx continuing the trace traceparent names.
func WithTraceParent(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return Extract(ctx, http.Header{"Traceparent": {traceparent}})
}

// Setup turns on what the environment (read with getenv) asks for:
//
//   - traces when OTEL_TRACES_EXPORTER is otlp, or an OTLP endpoint is set
//     (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
//   - metrics when OTEL_METRICS_EXPORTER is otlp, or an endpoint is set
//     (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
//   - neither when OTEL_SDK_DISABLED is true, or an exporter is "none".
//
// The protocol is OTEL_EXPORTER_OTLP_PROTOCOL (or the per-signal one):
// http/protobuf (the default) or grpc. The exporters read the other OTLP
// variables (headers, timeout, certificates) and the SDK the sampler
// (OTEL_TRACES_SAMPLER, OTEL_TRACES_SAMPLER_ARG) and the resource
// (OTEL_SERVICE_NAME, default patchbay; OTEL_RESOURCE_ATTRIBUTES). shutdown
// flushes what is buffered; it is safe to call when nothing was turned on.
func Setup(ctx context.Context, version string, getenv func(string) string) (on []string, shutdown func(context.Context) error, err error) {
	shutdown = func(context.Context) error { return nil }
	if strings.EqualFold(getenv("OTEL_SDK_DISABLED"), "true") {
		return nil, shutdown, nil
	}
	wantTraces := wants(getenv, "OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
	wantMetrics := wants(getenv, "OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT")
	if !wantTraces && !wantMetrics {
		return nil, shutdown, nil
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName("patchbay"), semconv.ServiceVersion(version)))
	if err == nil {
		res, err = resource.Merge(res, resource.Environment()) // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	}
	if err != nil {
		return nil, shutdown, fmt.Errorf("OpenTelemetry resource: %w", err)
	}
	var stops []func(context.Context) error
	if wantTraces {
		exp, err := traceExporter(ctx, protocol(getenv, "TRACES"))
		if err != nil {
			return nil, shutdown, err
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
		otel.SetTracerProvider(tp)
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
		tracesOn.Store(true)
		stops, on = append(stops, tp.Shutdown), append(on, "traces")
	}
	if wantMetrics {
		exp, err := metricExporter(ctx, protocol(getenv, "METRICS"))
		if err != nil {
			return nil, shutdown, err
		}
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewPeriodicReader(exp)), sdkmetric.WithResource(res))
		otel.SetMeterProvider(mp)
		metricsOn.Store(true)
		stops, on = append(stops, mp.Shutdown), append(on, "metrics")
	}
	return on, func(ctx context.Context) error {
		var errs []error
		for _, stop := range stops {
			errs = append(errs, stop(ctx))
		}
		return errors.Join(errs...)
	}, nil
}

// wants says whether a signal is asked for: its exporter variable says
// otlp, or an endpoint for it (or for every signal) is set.
func wants(getenv func(string) string, exporter, endpoint string) bool {
	switch strings.ToLower(getenv(exporter)) {
	case "otlp":
		return true
	case "none":
		return false
	}
	return getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || getenv(endpoint) != ""
}

// protocol is the OTLP protocol of a signal (TRACES, METRICS).
func protocol(getenv func(string) string, signal string) string {
	if p := getenv("OTEL_EXPORTER_OTLP_" + signal + "_PROTOCOL"); p != "" {
		return p
	}
	if p := getenv("OTEL_EXPORTER_OTLP_PROTOCOL"); p != "" {
		return p
	}
	return "http/protobuf"
}

func traceExporter(ctx context.Context, proto string) (sdktrace.SpanExporter, error) {
	switch proto {
	case "grpc":
		return otlptracegrpc.New(ctx)
	case "http/protobuf":
		return otlptracehttp.New(ctx)
	}
	return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL: %q is not grpc or http/protobuf", proto)
}

func metricExporter(ctx context.Context, proto string) (sdkmetric.Exporter, error) {
	switch proto {
	case "grpc":
		return otlpmetricgrpc.New(ctx)
	case "http/protobuf":
		return otlpmetrichttp.New(ctx)
	}
	return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL: %q is not grpc or http/protobuf", proto)
}
