// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/internal/oteltest"
	"github.com/mcpauth/mcpauth/provider"
	"github.com/mcpauth/mcpauth/repository/memory"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// telPoint is an [oteltest.Point] that the tables below may write
// unkeyed.
type telPoint struct {
	Attrs string
	Value int64
}

// collect returns the provider's metrics: "name unit" -> points sorted by
// attributes (a histogram gives its count).
func collect(t *testing.T, rec *oteltest.Recorder) map[string][]telPoint {
	t.Helper()
	out := map[string][]telPoint{}
	for name, ps := range rec.Metrics(t, provider.TelemetryScope) {
		for _, p := range ps {
			out[name] = append(out[name], telPoint(p))
		}
	}
	return out
}

// TestTelemetry runs a login, a token exchange, a refresh, a revocation
// and failures against the in-process OP and checks the exact metrics and
// the upstream span.
func TestTelemetry(t *testing.T) {
	rec := oteltest.New(t)
	e := newEnv(t, 1, func(o *provider.Options) {
		o.Telemetry = provider.TelemetryOptions{MeterProvider: rec.MeterProvider, TracerProvider: rec.TracerProvider}
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

	got := collect(t, rec)
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
		spans = append(spans, span{s.Name(), s.SpanKind().String(), oteltest.AttrMap(s.Attributes()), !s.Parent().IsValid()})
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
	rec := oteltest.New(t)
	e := newEnv(t, 1, func(o *provider.Options) {
		o.Telemetry = provider.TelemetryOptions{TracerProvider: rec.TracerProvider}
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
		got = append(got, s.Name()+" "+oteltest.Attrs(attribute.NewSet(s.Attributes()...)))
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

// downStore fails every read while down is set.
type downStore struct {
	*memory.Store
	down atomic.Bool
}

func (s *downStore) Get(ctx context.Context, key string) ([]byte, error) {
	if s.down.Load() {
		return nil, errors.New("store down")
	}
	return s.Store.Get(ctx, key)
}

// TestTelemetryBearerRejections presents the MCP endpoint's bearer check
// with every kind of bad credential and checks that each rejection is
// counted under its reason, and nothing else: no token reaches an
// attribute, and an accepted request is not counted.
func TestTelemetryBearerRejections(t *testing.T) {
	rec := oteltest.New(t)
	var store *downStore
	e := newEnv(t, 1, func(o *provider.Options) {
		store = &downStore{Store: o.Store.(*memory.Store)}
		o.Store = store
		o.Telemetry = provider.TelemetryOptions{MeterProvider: rec.MeterProvider}
	})
	base := e.url(0)
	e.extra.Handle("/test/admin", e.ps[0].RequireScopes("never-granted")(http.HandlerFunc(echoPrincipal)))
	token := func() (string, string) {
		t.Helper()
		id, pk, code := codeFor(t, e, base)
		tok := exchange(t, base, id, code, pk.verifier)
		if tok.status != http.StatusOK {
			t.Fatalf("exchange: %d %v", tok.status, tok.body)
		}
		return id, tok.str("access_token")
	}
	wellFormed := func(b byte) string { return "mcp_" + strings.Repeat(string(b), 64) }
	id, revoked := token()
	_, expiring := token()

	// status calls base+path (the MCP endpoint, by default) with tok.
	status := func(path, tok string) int {
		t.Helper()
		if path == "" {
			path = "/mcp"
		}
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader("{}"))
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	var got []int
	got = append(got,
		status("", ""),                 // missing
		status("", "two words"),        // malformed header: missing
		status("", "mcp_short"),        // invalid
		status("", wellFormed('0')),    // unknown: invalid
		status("", revoked),            // valid: not counted
		status("/test/admin", revoked), // insufficient_scope
	)
	if res := postForm(t, base+provider.PathRevoke, url.Values{"token": {revoked}, "client_id": {id}}, "", ""); res.status != http.StatusOK {
		t.Fatalf("revoke: %d %v", res.status, res.body)
	}
	got = append(got, status("", revoked)) // revoked: invalid
	e.clock.Advance(provider.DefaultAccessTokenTTL + time.Second)
	got = append(got, status("", expiring)) // expired: invalid
	store.down.Store(true)
	got = append(got, status("", wellFormed('1'))) // unavailable
	store.down.Store(false)
	want := []int{401, 401, 401, 401, 200, 403, 401, 401, 503}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("statuses (-want +got):\n%s", diff)
	}

	wantPoints := []telPoint{
		{"mcpauth.provider.bearer.reason=insufficient_scope", 1},
		{"mcpauth.provider.bearer.reason=invalid_token", 4},
		{"mcpauth.provider.bearer.reason=missing", 2},
		{"mcpauth.provider.bearer.reason=unavailable", 1},
	}
	if diff := cmp.Diff(wantPoints, collect(t, rec)["mcpauth.provider.bearer.rejections {request}"]); diff != "" {
		t.Errorf("mcpauth.provider.bearer.rejections (-want +got):\n%s", diff)
	}
}
