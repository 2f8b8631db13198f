// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"net/http/httptest"
	"testing"

	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// BenchmarkTelemetryDecide measures one cached decision (the warm path's
// decision step) without telemetry (the cache alone) and through the
// telemetry wrapper with the global providers (no SDK installed), explicit
// no-op providers, and an SDK (manual reader; tracer sampling nothing and
// everything, outside and inside a caller's recorded span).
func BenchmarkTelemetryDecide(b *testing.B) {
	cases := []struct {
		name    string
		tel     TelemetryOptions
		bare    bool
		inTrace bool // the request context holds a recording span
	}{
		{name: "none", bare: true},
		{name: "global"},
		{name: "noop", tel: TelemetryOptions{MeterProvider: metricnoop.NewMeterProvider(), TracerProvider: tracenoop.NewTracerProvider()}},
		{name: "sdk-unsampled", tel: TelemetryOptions{
			MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())),
			TracerProvider: sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample())),
		}},
		{name: "sdk-sampled", tel: TelemetryOptions{
			MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())),
			TracerProvider: sdktrace.NewTracerProvider(),
		}},
		{name: "sdk-in-trace", inTrace: true, tel: TelemetryOptions{
			MeterProvider:  sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader())),
			TracerProvider: sdktrace.NewTracerProvider(),
		}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			m, err := New(allowAllAuthz(), &Options{Telemetry: tc.tel})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			chk := baseCheck()
			req := &Request{Method: MethodToolsCall, Name: "conditional-greet"}
			ctx := httptest.NewRequest("POST", "/mcp", nil).Context()
			if tc.inTrace {
				var span trace.Span
				ctx, span = tc.tel.TracerProvider.Tracer("caller").Start(ctx, "POST /mcp")
				defer span.End()
			}
			if _, _, err := m.decide(ctx, req, &chk, nil); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				var allow, cached bool
				if tc.bare {
					allow, cached, err = m.cache.decide(ctx, m.authz, &chk, nil)
				} else {
					allow, cached, err = m.decide(ctx, req, &chk, nil)
				}
				if !allow || !cached || err != nil {
					b.Fatal("not a cached allow")
				}
			}
		})
	}
}

// BenchmarkTelemetryWarmAdded measures only what telemetry adds to a
// cached decision outside a trace: the trace check and the decision count.
func BenchmarkTelemetryWarmAdded(b *testing.B) {
	for _, tc := range []struct {
		name string
		tel  TelemetryOptions
	}{
		{"global", TelemetryOptions{}},
		{"noop", TelemetryOptions{MeterProvider: metricnoop.NewMeterProvider(), TracerProvider: tracenoop.NewTracerProvider()}},
		{"sdk", TelemetryOptions{MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))}},
		{"sdk-toolname", TelemetryOptions{ToolNameAttribute: true,
			MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			m, err := New(allowAllAuthz(), &Options{Telemetry: tc.tel})
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			ctx := httptest.NewRequest("POST", "/mcp", nil).Context()
			b.ReportAllocs()
			for b.Loop() {
				if traced(ctx) {
					b.Fatal("traced")
				}
				m.tel.decided(ctx, MethodToolsCall, "greet", outAllow, srcCache)
			}
		})
	}
}
