// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/mcpauth/mcpauth"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// DefaultMetricsAddr is where -telemetry=prometheus serves /metrics unless
// -metrics-addr says otherwise: loopback only.
const DefaultMetricsAddr = "127.0.0.1:9464"

// stdoutInterval is how often -telemetry=stdout writes the metrics.
const stdoutInterval = 10 * time.Second

// telemetry is the OpenTelemetry SDK the quickstart installs for the
// middleware (mcpauth itself uses only the API).
type telemetry struct {
	opts mcpauth.TelemetryOptions
	// note is the banner line saying where the telemetry goes.
	note string
	// serve, when not nil, serves the metrics endpoint until ctx is done.
	serve    func(ctx context.Context) error
	shutdown func(ctx context.Context) error
}

// newTelemetry sets up kind: "" (none), "stdout" (metrics every 10 s and
// spans as JSON on stdout) or "prometheus" (metrics on
// http://metricsAddr/metrics).
func newTelemetry(kind, metricsAddr string, stdout io.Writer) (*telemetry, error) {
	res := resource.NewSchemaless(attribute.String("service.name", "mcpauth-quickstart"))
	switch kind {
	case "":
		return &telemetry{shutdown: func(context.Context) error { return nil }}, nil
	case "stdout":
		mexp, err := stdoutmetric.New(stdoutmetric.WithWriter(stdout))
		if err != nil {
			return nil, err
		}
		texp, err := stdouttrace.New(stdouttrace.WithWriter(stdout))
		if err != nil {
			return nil, err
		}
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res),
			sdkmetric.WithReader(sdkmetric.NewPeriodicReader(mexp, sdkmetric.WithInterval(stdoutInterval))))
		tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithBatcher(texp))
		return &telemetry{
			opts: mcpauth.TelemetryOptions{MeterProvider: mp, TracerProvider: tp},
			note: fmt.Sprintf("Telemetry: metrics every %s and spans are written to standard output as JSON.", stdoutInterval),
			shutdown: func(ctx context.Context) error {
				return errors.Join(mp.Shutdown(ctx), tp.Shutdown(ctx))
			},
		}, nil
	case "prometheus":
		reg := prometheus.NewRegistry()
		exp, err := otelprom.New(otelprom.WithRegisterer(reg))
		if err != nil {
			return nil, err
		}
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(exp))
		ln, err := net.Listen("tcp", metricsAddr)
		if err != nil {
			return nil, err
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		return &telemetry{
			opts: mcpauth.TelemetryOptions{MeterProvider: mp},
			note: "Metrics (Prometheus): http://" + ln.Addr().String() + "/metrics",
			serve: func(ctx context.Context) error {
				go func() {
					<-ctx.Done()
					sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
					defer cancel()
					_ = srv.Shutdown(sctx)
				}()
				if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
					return err
				}
				return nil
			},
			shutdown: func(ctx context.Context) error {
				_ = ln.Close() // when Serve never ran
				return mp.Shutdown(ctx)
			},
		}, nil
	}
	return nil, fmt.Errorf("-telemetry %q: want stdout or prometheus", kind)
}
