// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/provider"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

type telPoint struct {
	Attrs string
	Value int64
}

func telAttrs(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.Emit())
	}
	return strings.Join(parts, ",")
}

// collect returns the provider's metrics: "name unit" -> points sorted by
// attributes (a histogram gives its count).
func collect(t *testing.T, r *sdkmetric.ManualReader) map[string][]telPoint {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string][]telPoint{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != provider.TelemetryScope {
			t.Errorf("unexpected scope %q", sm.Scope.Name)
			continue
		}
		for _, m := range sm.Metrics {
			var ps []telPoint
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, dp := range d.DataPoints {
					ps = append(ps, telPoint{telAttrs(dp.Attributes), dp.Value})
				}
			case metricdata.Histogram[float64]:
				for _, dp := range d.DataPoints {
					ps = append(ps, telPoint{telAttrs(dp.Attributes), int64(dp.Count)})
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

// TestTelemetry runs a login, a token exchange, a refresh, a revocation
// and failures against the in-process OP and checks the exact metrics and
// the upstream span.
func TestTelemetry(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() {
		_ = mp.Shutdown(context.Background())
		_ = tp.Shutdown(context.Background())
	})
	e := newEnv(t, 1, func(o *provider.Options) {
		o.Telemetry = provider.TelemetryOptions{MeterProvider: mp, TracerProvider: tp}
	})
	base := e.url(0)
	id, pk, code := codeFor(t, e, base) // registration + login
	tok := exchange(t, base, id, code, pk.verifier)
	if tok.status != http.StatusOK {
		t.Fatalf("exchange: %d %v", tok.status, tok.body)
	}
	next := refresh(t, base, id, tok.str("refresh_token"))
	if next.status != http.StatusOK {
		t.Fatalf("refresh: %d %v", next.status, next.body)
	}
	// A refresh token a caller made up; an error code a caller made up
	// is never echoed into an attribute (grant_type is, bounded).
	wantOAuthError(t, refresh(t, base, id, "mcpr_invented"), http.StatusBadRequest, "invalid_grant")
	wantOAuthError(t, postForm(t, base+provider.PathToken, url.Values{"client_id": {id}, "grant_type": {"attacker-chosen"}}, "", ""),
		http.StatusBadRequest, "unsupported_grant_type")
	wantOAuthError(t, postForm(t, base+provider.PathToken, url.Values{"client_id": {"nobody"}, "grant_type": {"refresh_token"}}, "", ""),
		http.StatusUnauthorized, "invalid_client")
	if res := postForm(t, base+provider.PathRevoke, url.Values{"token": {next.str("refresh_token")}, "client_id": {id}}, "", ""); res.status != http.StatusOK {
		t.Fatalf("revoke: %d %v", res.status, res.body)
	}
	// The code is single-use.
	wantOAuthError(t, exchange(t, base, id, code, pk.verifier), http.StatusBadRequest, "invalid_grant")
	// The user denies consent: access_denied is redirected to the client.
	b := newBrowser(t)
	q := clientRedirectOf(t, b.consent(b.get(authorizeURL(base, id, newPKCE(), nil)), base, "deny"))
	if q.Get("error") != "access_denied" {
		t.Fatalf("deny redirect: %v", q)
	}

	got := collect(t, reader)
	want := map[string][]telPoint{
		"mcpauth.provider.registrations {registration}":   {{"", 1}},
		"mcpauth.provider.authorizations {authorization}": {{"", 1}},
		"mcpauth.provider.tokens {token}": {
			{"oauth.grant_type=authorization_code", 1},
			{"oauth.grant_type=refresh_token", 1},
		},
		"mcpauth.provider.revocations {revocation}": {{"", 1}},
		"mcpauth.provider.errors {error}": {
			{"http.response.status_code=302,mcpauth.provider.endpoint=consent,oauth.error=access_denied", 1},
			{"http.response.status_code=400,mcpauth.provider.endpoint=token,oauth.error=invalid_grant", 2},
			{"http.response.status_code=400,mcpauth.provider.endpoint=token,oauth.error=unsupported_grant_type", 1},
			{"http.response.status_code=401,mcpauth.provider.endpoint=token,oauth.error=invalid_client", 1},
		},
		"mcpauth.provider.upstream.duration s": {{"mcpauth.provider.upstream.operation=exchange", 1}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}

	// Requests carried no trace: the upstream exchange is a root span and
	// no storage call was traced.
	type span struct {
		Name, Kind string
		Attrs      map[string]string
		Root       bool
	}
	var spans []span
	for _, s := range rec.Ended() {
		attrs := map[string]string{}
		for _, kv := range s.Attributes() {
			attrs[string(kv.Key)] = kv.Value.Emit()
		}
		spans = append(spans, span{s.Name(), s.SpanKind().String(), attrs, !s.Parent().IsValid()})
	}
	wantSpans := []span{{"mcpauth.provider.upstream.exchange", "client",
		map[string]string{"mcpauth.provider.upstream.operation": "exchange"}, true}}
	if diff := cmp.Diff(wantSpans, spans); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
}

// TestTelemetryStoreSpans checks that storage calls made inside a caller's
// trace are its children, and carry no key.
func TestTelemetryStoreSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	e := newEnv(t, 1, func(o *provider.Options) {
		o.Telemetry = provider.TelemetryOptions{TracerProvider: tp}
	})
	base := e.url(0)
	id := register(t, base, nil).str("client_id")
	// A front that joins the caller's trace, as otelhttp would.
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := propagation.TraceContext{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		e.ps[0].Handler().ServeHTTP(w, r.WithContext(ctx))
	}))
	t.Cleanup(front.Close)
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
		SpanID:  trace.SpanID{1, 2, 3, 4, 5, 6, 7, 8}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	req, _ := http.NewRequest(http.MethodPost, front.URL+provider.PathRevoke,
		strings.NewReader(url.Values{"token": {"mcpa_unknown"}, "client_id": {id}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	propagation.TraceContext{}.Inject(trace.ContextWithRemoteSpanContext(context.Background(), parent), propagation.HeaderCarrier(req.Header))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	var got []string
	for _, s := range rec.Ended() {
		if s.Parent().SpanID() != parent.SpanID() || s.SpanContext().TraceID() != parent.TraceID() {
			t.Errorf("span %s is not a child of the caller's span", s.Name())
		}
		var attrs []string
		for _, kv := range s.Attributes() {
			attrs = append(attrs, string(kv.Key)+"="+kv.Value.Emit())
		}
		got = append(got, s.Name()+" "+strings.Join(attrs, ","))
	}
	// The client lookup, then both token kinds looked up.
	want := []string{
		"mcpauth.provider.store.get mcpauth.provider.store.operation=get",
		"mcpauth.provider.store.get mcpauth.provider.store.operation=get",
		"mcpauth.provider.store.get mcpauth.provider.store.operation=get",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
}
