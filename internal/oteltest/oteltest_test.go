// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package oteltest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

func TestRecorder(t *testing.T) {
	r := New(t)
	meter := r.MeterProvider.Meter("scope")
	c, err := meter.Int64Counter("c", metric.WithUnit("{x}"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := meter.Float64Histogram("h", metric.WithUnit("s"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	c.Add(ctx, 2, metric.WithAttributes(attribute.String("b", "2"), attribute.String("a", "1")))
	c.Add(ctx, 3)
	h.Record(ctx, 0.5)
	h.Record(ctx, 1.5)
	_, span := r.TracerProvider.Tracer("scope").Start(ctx, "s")
	span.SetAttributes(attribute.Int("n", 7), attribute.Bool("ok", true))
	span.End()

	want := map[string][]Point{
		"c {x}": {{"", 3}, {"a=1,b=2", 2}},
		"h s":   {{"", 2}},
	}
	if diff := cmp.Diff(want, r.Metrics(t, "scope")); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	ended := r.Ended()
	if len(ended) != 1 || ended[0].Name() != "s" {
		t.Fatalf("ended spans: %v", ended)
	}
	if diff := cmp.Diff(map[string]string{"n": "7", "ok": "true"}, AttrMap(ended[0].Attributes())); diff != "" {
		t.Errorf("span attributes (-want +got):\n%s", diff)
	}
}
