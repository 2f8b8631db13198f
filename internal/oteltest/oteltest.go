// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package oteltest records the metrics and spans of a test in memory with
// the OpenTelemetry SDK, and simplifies them into plain values that go-cmp
// compares. The telemetry tests of the root module and of the provider
// module share it; only tests import it, so the SDK stays out of the
// library's builds.
package oteltest

import (
	"context"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// Recorder is an SDK meter provider read on demand (a manual reader) and
// an SDK tracer provider that keeps every span in memory.
type Recorder struct {
	MeterProvider  *sdkmetric.MeterProvider
	TracerProvider *sdktrace.TracerProvider

	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
}

// New returns a recorder whose providers are shut down when t ends.
func New(t testing.TB) *Recorder {
	t.Helper()
	r := &Recorder{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	r.MeterProvider = sdkmetric.NewMeterProvider(sdkmetric.WithReader(r.reader))
	r.TracerProvider = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(r.spans))
	t.Cleanup(func() {
		_ = r.MeterProvider.Shutdown(context.Background())
		_ = r.TracerProvider.Shutdown(context.Background())
	})
	return r
}

// Point is one metric data point: its attributes (see [Attrs]) and its
// value, the count of a histogram.
type Point struct {
	Attrs string
	Value int64
}

// Metrics collects the metrics recorded so far, all of which must come
// from the instrumentation scope named scope: "name unit" (as "mcpauth.pdp.duration s")
// -> its points sorted by attributes. Int64 sums (counters, up-down
// counters, observable ones) and float64 histograms are understood; any
// other data fails the test.
func (r *Recorder) Metrics(t testing.TB, scope string) map[string][]Point {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string][]Point{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != scope {
			t.Errorf("metrics of scope %q, want only %q", sm.Scope.Name, scope)
			continue
		}
		for _, m := range sm.Metrics {
			var ps []Point
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					ps = append(ps, Point{Attrs(dp.Attributes), dp.Value})
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					ps = append(ps, Point{Attrs(dp.Attributes), int64(dp.Count)})
				}
			default:
				t.Fatalf("metric %s: unexpected data %T", m.Name, m.Data)
			}
			sort.Slice(ps, func(i, j int) bool { return ps[i].Attrs < ps[j].Attrs })
			out[m.Name+" "+m.Unit] = ps
		}
	}
	return out
}

// Ended returns the spans ended so far, in the order they ended.
func (r *Recorder) Ended() []sdktrace.ReadOnlySpan { return r.spans.Ended() }

// Attrs renders an attribute set as its "key=value" pairs, sorted by key
// and joined by commas ("" for the empty set).
func Attrs(s attribute.Set) string {
	parts := make([]string, 0, s.Len())
	for _, kv := range s.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.Emit())
	}
	return strings.Join(parts, ",")
}

// AttrMap returns attributes (a span's, say) as key -> value.
func AttrMap(kvs []attribute.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}
