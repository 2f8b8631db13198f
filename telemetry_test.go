// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/internal/oteltest"
	"github.com/mcpauth/mcpauth/internal/permittest"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// telemetryE2E is a go-sdk server behind the middleware, with an SDK meter
// provider (manual reader) and tracer provider (span recorder). In front of
// the middleware the trace context is extracted from the request headers,
// as otelhttp would; the client injects a fixed remote parent.
type telemetryE2E struct {
	pdp    *permittest.Server
	mw     *mcpauth.Middleware
	srv    *httptest.Server
	rec    *oteltest.Recorder
	parent trace.SpanContext
}

func newTelemetryE2E(t *testing.T, opts *mcpauth.Options) *telemetryE2E {
	t.Helper()
	e := &telemetryE2E{pdp: permittest.New(t), rec: oteltest.New(t)}
	authz, err := mcpauth.NewPermit(&mcpauth.PermitOptions{PDPURL: e.pdp.URL, APIKey: e.pdp.APIKey})
	if err != nil {
		t.Fatal(err)
	}
	if opts == nil {
		opts = &mcpauth.Options{}
	}
	opts.Identity = mcpauth.HeaderIdentity("X-User", "")
	opts.Telemetry.MeterProvider = e.rec.MeterProvider
	opts.Telemetry.TracerProvider = e.rec.TracerProvider
	e.mw, err = mcpauth.New(authz, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.mw.Close() })
	server := newMCPServer(&toolLog{}, nil)
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return server },
		&mcp.StreamableHTTPOptions{JSONResponse: true})
	prop := propagation.TraceContext{}
	mux := http.NewServeMux()
	mux.Handle("/mcp", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		e.mw.Handler(h).ServeHTTP(w, r.WithContext(ctx))
	}))
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	e.parent = trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
		Remote:     true,
	})
	return e
}

// traceTransport injects the trace context of the request's context and
// the user header.
type traceTransport struct {
	user string
}

func (tt traceTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-User", tt.user)
	propagation.TraceContext{}.Inject(r.Context(), propagation.HeaderCarrier(r.Header))
	return http.DefaultTransport.RoundTrip(r)
}

func (e *telemetryE2E) connect(t *testing.T, user string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "telemetry-client", Version: "1.0.0"}, nil)
	tr := &mcp.StreamableClientTransport{
		Endpoint:             e.srv.URL + "/mcp",
		HTTPClient:           &http.Client{Transport: traceTransport{user: user}},
		DisableStandaloneSSE: true,
	}
	cs, err := client.Connect(context.Background(), tr, nil)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// ctx is a context whose span is the caller's (remote) span.
func (e *telemetryE2E) ctx() context.Context {
	return trace.ContextWithRemoteSpanContext(context.Background(), e.parent)
}

// point is an [oteltest.Point] that the tables below may write unkeyed.
type point struct {
	Attrs string
	Value int64
}

// points collects the middleware's metrics: "name unit" -> points sorted
// by attributes (a histogram gives its count).
func (e *telemetryE2E) points(t *testing.T) map[string][]point {
	t.Helper()
	out := map[string][]point{}
	for name, ps := range e.rec.Metrics(t, mcpauth.TelemetryScope) {
		for _, p := range ps {
			out[name] = append(out[name], point(p))
		}
	}
	return out
}

// span is an ended span, simplified for comparison.
type span struct {
	Name   string
	Kind   string
	Parent string // name of the parent span; "caller" for the remote parent
	Attrs  map[string]string
	Status codes.Code
}

// endedSpans returns the ended spans in end order, checking that each belongs
// to the caller's trace.
func (e *telemetryE2E) endedSpans(t *testing.T) []span {
	t.Helper()
	ended := e.rec.Ended()
	names := map[trace.SpanID]string{e.parent.SpanID(): "caller"}
	for _, s := range ended {
		names[s.SpanContext().SpanID()] = s.Name()
	}
	var out []span
	for _, s := range ended {
		if s.SpanContext().TraceID() != e.parent.TraceID() {
			t.Errorf("span %s: trace %s, want the caller's %s", s.Name(), s.SpanContext().TraceID(), e.parent.TraceID())
		}
		attrs := oteltest.AttrMap(s.Attributes())
		parent, ok := names[s.Parent().SpanID()]
		if !ok {
			parent = "unknown " + s.Parent().SpanID().String()
		}
		out = append(out, span{Name: s.Name(), Kind: s.SpanKind().String(), Parent: parent, Attrs: attrs, Status: s.Status().Code})
	}
	return out
}

// connectPoints are the decisions of a go-sdk client's connection
// (server/discover, initialize and notifications/initialized pass without
// a check).
var connectPoints = []point{
	{"mcp.method.name=server/discover,mcpauth.decision.outcome=allow,mcpauth.decision.source=bypass", 1},
	{"mcp.method.name=initialize,mcpauth.decision.outcome=allow,mcpauth.decision.source=bypass", 1},
	{"mcp.method.name=notifications/initialized,mcpauth.decision.outcome=allow,mcpauth.decision.source=bypass", 1},
}

func decisionPoints(extra ...point) []point {
	ps := append(slices.Clone(connectPoints), extra...)
	sort.Slice(ps, func(i, j int) bool { return ps[i].Attrs < ps[j].Attrs })
	return ps
}

// cachePoints are the observed cache counters.
func cachePoints(hits, misses, size int64) map[string][]point {
	return map[string][]point{
		"mcpauth.cache.hits {hit}":              {{"", hits}},
		"mcpauth.cache.misses {miss}":           {{"", misses}},
		"mcpauth.cache.evictions {eviction}":    {{"", 0}},
		"mcpauth.cache.size {entry}":            {{"", size}},
		"mcpauth.coalesced {call}":              {{"", 0}},
		"mcpauth.requests.refused {request}":    nil,
		"mcpauth.list.items {item}":             nil,
		"mcpauth.pdp.active_requests {request}": nil,
		"mcpauth.pdp.duration s":                nil,
	}
}

// want merges the expected points over the cache points, dropping
// instruments that recorded nothing.
func want(base map[string][]point, more map[string][]point) map[string][]point {
	out := map[string][]point{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	for k, v := range out {
		if v == nil {
			delete(out, k)
		}
	}
	return out
}

func telCall(t *testing.T, ctx context.Context, cs *mcp.ClientSession, name string) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: map[string]any{"name": "Ada"}})
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	return res
}

func TestTelemetryDecisions(t *testing.T) {
	const check = "mcpauth.pdp.operation=check"
	decideAttrs := func(action, outcome, cached string) map[string]string {
		return map[string]string{
			"mcp.method.name":          "tools/call",
			"mcpauth.resource.type":    "mcp_server",
			"mcpauth.action":           action,
			"mcpauth.decision.outcome": outcome,
			"mcpauth.decision.cached":  cached,
		}
	}
	pdpAttrs := func(action, outcome string) map[string]string {
		return map[string]string{"mcpauth.resource.type": "mcp_server", "mcpauth.action": action, "mcpauth.decision.outcome": outcome}
	}
	// calls calls tool n times, wanting it allowed or denied.
	calls := func(tool string, n int, allowed bool) func(*testing.T, *telemetryE2E, *mcp.ClientSession) {
		return func(t *testing.T, e *telemetryE2E, cs *mcp.ClientSession) {
			for range n {
				if res := telCall(t, e.ctx(), cs, tool); res.IsError == allowed {
					t.Fatalf("%s: isError = %v, want %v: %+v", tool, res.IsError, !allowed, res)
				}
			}
		}
	}
	// oneCheck is the metrics of tools/call decisions that made one
	// decision point check (failed with errType, if not "").
	oneCheck := func(hits, misses, size int64, errType string, decisions ...point) map[string][]point {
		pdp := check
		if errType != "" {
			pdp = "error.type=" + errType + "," + check
		}
		return want(cachePoints(hits, misses, size), map[string][]point{
			"mcpauth.decisions {decision}":          decisionPoints(decisions...),
			"mcpauth.pdp.duration s":                {{pdp, 1}},
			"mcpauth.pdp.active_requests {request}": {{check, 0}},
		})
	}
	// checked is the spans of a decision made by one decision point check.
	checked := func(action, outcome string) []span {
		return []span{
			{Name: "mcpauth.pdp.check", Kind: "client", Parent: "mcpauth.decide", Attrs: pdpAttrs(action, outcome)},
			{Name: "mcpauth.decide", Kind: "internal", Parent: "caller", Attrs: decideAttrs(action, outcome, "false")},
		}
	}
	toolsCall := func(outcome, source string) point {
		return point{"mcp.method.name=tools/call,mcpauth.decision.outcome=" + outcome + ",mcpauth.decision.source=" + source, 1}
	}
	tests := []struct {
		name    string
		run     func(t *testing.T, e *telemetryE2E, cs *mcp.ClientSession)
		metrics map[string][]point
		spans   []span
	}{{
		name:    "allow",
		run:     calls("greet", 1, true),
		metrics: oneCheck(0, 1, 1, "", toolsCall("allow", "pdp")),
		spans:   checked("greet", "allow"),
	}, {
		name:    "cached",
		run:     calls("greet", 2, true),
		metrics: oneCheck(1, 1, 1, "", toolsCall("allow", "cache"), toolsCall("allow", "pdp")),
		spans: append(checked("greet", "allow"),
			span{Name: "mcpauth.decide", Kind: "internal", Parent: "caller", Attrs: decideAttrs("greet", "allow", "true")}),
	}, {
		name:    "deny",
		run:     calls("delete_all", 1, false),
		metrics: oneCheck(0, 1, 1, "", toolsCall("deny", "pdp")),
		spans:   checked("delete-all", "deny"),
	}, {
		name: "pdp error",
		run: func(t *testing.T, e *telemetryE2E, cs *mcp.ClientSession) {
			e.pdp.FailWith(http.StatusInternalServerError)
			calls("greet", 1, false)(t, e, cs)
		},
		metrics: oneCheck(0, 1, 0, "decision_failed", toolsCall("error", "pdp")),
		spans: []span{
			{Name: "mcpauth.pdp.check", Kind: "client", Parent: "mcpauth.decide", Status: codes.Error, Attrs: map[string]string{
				"mcpauth.resource.type": "mcp_server", "mcpauth.action": "greet", "error.type": "decision_failed"}},
			{Name: "mcpauth.decide", Kind: "internal", Parent: "caller", Status: codes.Error, Attrs: map[string]string{
				"mcp.method.name": "tools/call", "mcpauth.resource.type": "mcp_server", "mcpauth.action": "greet",
				"mcpauth.decision.outcome": "error", "mcpauth.decision.cached": "false", "error.type": "decision_failed"}},
		},
	}, {
		name: "list filtering",
		run: func(t *testing.T, e *telemetryE2E, cs *mcp.ClientSession) {
			lt, err := cs.ListTools(e.ctx(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tool := range lt.Tools {
				names = append(names, tool.Name)
			}
			if diff := cmp.Diff([]string{"greet"}, names); diff != "" {
				t.Fatalf("listed tools (-want +got):\n%s", diff)
			}
		},
		metrics: want(cachePoints(0, 4, 4), map[string][]point{
			"mcpauth.decisions {decision}": decisionPoints(),
			"mcpauth.list.items {item}": {
				{"mcp.method.name=tools/list,mcpauth.list.outcome=filtered", 3},
				{"mcp.method.name=tools/list,mcpauth.list.outcome=kept", 1},
			},
			"mcpauth.pdp.duration s":                {{"mcpauth.pdp.operation=bulk", 1}},
			"mcpauth.pdp.active_requests {request}": {{"mcpauth.pdp.operation=bulk", 0}},
		}),
		spans: []span{
			{Name: "mcpauth.pdp.bulk", Kind: "client", Parent: "caller", Attrs: map[string]string{"mcpauth.pdp.checks": "4"}},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newTelemetryE2E(t, nil)
			e.pdp.Allow(permittest.Rule{User: "alice", Type: "mcp_server", Action: "greet"})
			cs := e.connect(t, "alice")
			tc.run(t, e, cs)
			if diff := cmp.Diff(tc.metrics, e.points(t)); diff != "" {
				t.Errorf("metrics (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.spans, e.endedSpans(t)); diff != "" {
				t.Errorf("spans (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTelemetryRefused sends requests the middleware refuses before any
// check, and a method it does not know.
func TestTelemetryRefused(t *testing.T) {
	e := newTelemetryE2E(t, &mcpauth.Options{Limits: mcpauth.Limits{MaxBodyBytes: 1024}})
	post := func(user, body string, hdr ...string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		if user != "" {
			req.Header.Set("X-User", user)
		}
		for i := 0; i < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	call := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{}}}`
	statuses := []int{
		post("", call),               // no identity
		post("alice", `{"jsonrpc":`), // malformed
		post("alice", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"`+strings.Repeat("x", 2048)+`"}}`),
		post("alice", call, "Mcp-Session-Id", "not-a-session"),
		post("bob", `{"jsonrpc":"2.0","id":1,"method":"attacker/chosen-`+strings.Repeat("y", 64)+`"}`),
	}
	if diff := cmp.Diff([]int{401, 400, 413, 404, 200}, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	got := e.points(t)
	wantPoints := map[string][]point{
		"mcpauth.requests.refused {request}": {
			{"mcpauth.refusal.reason=malformed", 1},
			{"mcpauth.refusal.reason=session_mismatch", 1},
			{"mcpauth.refusal.reason=too_large", 1},
			{"mcpauth.refusal.reason=unauthenticated", 1},
		},
		// A method the middleware does not know is denied by the mapping
		// and recorded as _OTHER, not by its (caller-chosen) name.
		"mcpauth.decisions {decision}": {
			{"mcp.method.name=_OTHER,mcpauth.decision.outcome=deny,mcpauth.decision.source=mapping", 1},
		},
	}
	for name, w := range wantPoints {
		if diff := cmp.Diff(w, got[name]); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
	if n := len(e.rec.Ended()); n != 0 {
		t.Errorf("%d spans for requests that reached no check, want 0", n)
	}
}

// TestTelemetryToolNames checks the opt-in tool name attribute, and that a
// caller inventing tool names cannot grow the metric's attribute sets past
// MaxTelemetryToolNames (+ "_OTHER").
func TestTelemetryToolNames(t *testing.T) {
	e := newTelemetryE2E(t, &mcpauth.Options{Telemetry: mcpauth.TelemetryOptions{ToolNameAttribute: true}})
	e.pdp.Allow(permittest.Rule{User: "alice", Type: "mcp_server", Action: "greet"})
	check := func(name string) {
		t.Helper()
		body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":%q,"arguments":{}}}`, name)
		req := httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-User", "alice")
		_, _ = e.mw.Check(req.WithContext(e.ctx()))
	}
	check("greet")
	for i := range mcpauth.MaxTelemetryToolNames + 10 {
		check(fmt.Sprintf("invented-%d", i))
	}
	got := e.points(t)["mcpauth.decisions {decision}"]
	counts := map[string]int64{}
	for _, p := range got {
		if strings.Contains(p.Attrs, "gen_ai.tool.name=greet,") || strings.Contains(p.Attrs, "gen_ai.tool.name=_OTHER,") {
			counts[p.Attrs] = p.Value
		}
	}
	wantCounts := map[string]int64{
		"gen_ai.tool.name=greet,mcp.method.name=tools/call,mcpauth.decision.outcome=allow,mcpauth.decision.source=pdp": 1,
		"gen_ai.tool.name=_OTHER,mcp.method.name=tools/call,mcpauth.decision.outcome=deny,mcpauth.decision.source=pdp": 11,
	}
	if diff := cmp.Diff(wantCounts, counts); diff != "" {
		t.Errorf("decisions (-want +got):\n%s", diff)
	}
	if n := len(got); n != mcpauth.MaxTelemetryToolNames+1 {
		t.Errorf("%d attribute sets, want %d (the first %d names and _OTHER)", n, mcpauth.MaxTelemetryToolNames+1, mcpauth.MaxTelemetryToolNames)
	}
	var tool string
	for _, s := range e.rec.Ended() {
		if s.Name() == "mcpauth.decide" {
			for _, kv := range s.Attributes() {
				if kv.Key == "gen_ai.tool.name" {
					tool = kv.Value.Emit()
				}
			}
			break
		}
	}
	if tool != "greet" {
		t.Errorf("first decide span gen_ai.tool.name = %q, want greet", tool)
	}
}

// TestTelemetryNoCallerTrace checks that without a caller's trace a cached
// decision starts no span, and a decision point call a root span.
func TestTelemetryNoCallerTrace(t *testing.T) {
	e := newTelemetryE2E(t, nil)
	e.pdp.Allow(permittest.Rule{User: "alice", Type: "mcp_server", Action: "greet"})
	check := func() {
		t.Helper()
		req := httptest.NewRequest(http.MethodPost, "/mcp",
			strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet","arguments":{}}}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-User", "alice")
		if d, err := e.mw.Check(req); err != nil || !d.Allowed {
			t.Fatalf("Check = %+v, %v; want allowed", d, err)
		}
	}
	check()
	check()
	var got []string
	for _, s := range e.rec.Ended() {
		got = append(got, fmt.Sprintf("%s parent=%v", s.Name(), s.Parent().IsValid()))
	}
	if diff := cmp.Diff([]string{"mcpauth.pdp.check parent=false"}, got); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
}

// TestTelemetryCoalesced parks the first decision point call on the PDP
// double's gate while more callers make the same check: they share that
// call, and the metrics say so exactly.
func TestTelemetryCoalesced(t *testing.T) {
	const n = 4
	e := newTelemetryE2E(t, nil)
	e.pdp.Allow(permittest.Rule{User: "alice", Type: "mcp_server", Action: "greet"})
	cs := e.connect(t, "alice")
	e.pdp.Hold()
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// No caller's trace: the one decision point call is a root span.
			res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "greet", Arguments: map[string]any{"name": "Ada"}})
			if err == nil && res.IsError {
				err = fmt.Errorf("greet denied: %+v", res)
			}
			errs <- err
		}()
	}
	e.pdp.WaitHeld(1)
	waitSharing(t, n)
	e.pdp.Release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := e.pdp.Calls(permittest.PathAllowed); got != 1 {
		t.Errorf("PDP calls = %d, want 1", got)
	}
	const check = "mcpauth.pdp.operation=check"
	wantMetrics := want(cachePoints(0, n, 1), map[string][]point{
		"mcpauth.decisions {decision}": decisionPoints(
			point{"mcp.method.name=tools/call,mcpauth.decision.outcome=allow,mcpauth.decision.source=pdp", n}),
		"mcpauth.coalesced {call}":              {{"", n - 1}},
		"mcpauth.pdp.duration s":                {{check, 1}},
		"mcpauth.pdp.active_requests {request}": {{check, 0}},
	})
	if diff := cmp.Diff(wantMetrics, e.points(t)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
	var names []string
	for _, s := range e.rec.Ended() {
		names = append(names, s.Name())
	}
	if diff := cmp.Diff([]string{"mcpauth.pdp.check"}, names); diff != "" {
		t.Errorf("spans (-want +got):\n%s", diff)
	}
}

// waitSharing waits until n goroutines wait in the decision cache for the
// result of a decision point call (its caller and those sharing it). The
// middleware offers no hook for the moment a caller joins a call in
// flight, and a caller that joined only after the call ended would find
// the stored decision instead (a hit, not a coalesced call), so the test
// reads the goroutines' stacks: a caller that waits there has joined.
func waitSharing(t *testing.T, n int) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for {
		m := runtime.Stack(buf, true)
		if m == len(buf) {
			buf = make([]byte, 2*len(buf))
			continue
		}
		waiting := 0
		for _, g := range strings.Split(string(buf[:m]), "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			if strings.Contains(header, "[select") && strings.Contains(g, "mcpauth.(*decisionCache).miss(") {
				waiting++
			}
		}
		if waiting >= n {
			return
		}
		runtime.Gosched()
	}
}

// TestTelemetryEvictions fills a two-entry cache with three decisions and
// asks for the first again: each store beyond the bound evicts the least
// recently used decision.
func TestTelemetryEvictions(t *testing.T) {
	e := newTelemetryE2E(t, &mcpauth.Options{Cache: mcpauth.CacheOptions{Size: 2}})
	e.pdp.Allow(permittest.Rule{User: "alice", Type: "mcp_server", Action: "greet"})
	cs := e.connect(t, "alice")
	for _, call := range []struct {
		tool    string
		allowed bool
	}{
		{"greet", true},
		{"conditional-greet", false},
		{"delete_all", false}, // evicts greet
		{"greet", true},       // a miss again; evicts conditional-greet
	} {
		if res := telCall(t, context.Background(), cs, call.tool); res.IsError == call.allowed {
			t.Fatalf("%s: isError = %v, want %v", call.tool, res.IsError, !call.allowed)
		}
	}
	const check = "mcpauth.pdp.operation=check"
	wantMetrics := want(cachePoints(0, 4, 2), map[string][]point{
		"mcpauth.decisions {decision}": decisionPoints(
			point{"mcp.method.name=tools/call,mcpauth.decision.outcome=allow,mcpauth.decision.source=pdp", 2},
			point{"mcp.method.name=tools/call,mcpauth.decision.outcome=deny,mcpauth.decision.source=pdp", 2}),
		"mcpauth.cache.evictions {eviction}":    {{"", 2}},
		"mcpauth.pdp.duration s":                {{check, 4}},
		"mcpauth.pdp.active_requests {request}": {{check, 0}},
	})
	if diff := cmp.Diff(wantMetrics, e.points(t)); diff != "" {
		t.Errorf("metrics (-want +got):\n%s", diff)
	}
}
