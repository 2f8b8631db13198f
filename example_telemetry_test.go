// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/mcpauth/mcpauth"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func ExampleTelemetryOptions() {
	// The program installs an OpenTelemetry SDK; mcpauth uses the API only.
	reader := sdkmetric.NewManualReader() // a Prometheus or OTLP exporter in production
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	mw, err := mcpauth.New(allowGreetOnly, &mcpauth.Options{
		Telemetry: mcpauth.TelemetryOptions{MeterProvider: mp},
	})
	if err != nil {
		panic(err)
	}

	for _, tool := range []string{"greet", "greet", "delete_everything"} {
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":{}}}`
		r := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		mw.Check(r)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name != "mcpauth.decisions" {
			continue
		}
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			outcome, _ := dp.Attributes.Value("mcpauth.decision.outcome")
			source, _ := dp.Attributes.Value("mcpauth.decision.source")
			fmt.Println(outcome.Emit(), source.Emit(), dp.Value)
		}
	}
	// Unordered output:
	// allow pdp 1
	// allow cache 1
	// deny pdp 1
}
