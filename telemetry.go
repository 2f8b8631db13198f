// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/mcpauth/mcpauth/internal/mcpspec"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// TelemetryOptions configures the OpenTelemetry metrics and traces of a
// [Middleware]. The middleware uses only the OpenTelemetry API: it records
// nothing until the program installs an SDK (a MeterProvider and a
// TracerProvider), globally or here. The README's Telemetry section lists
// every metric, attribute and span.
//
// No attribute ever holds a user key, a tenant, a tool argument or a
// credential. Metric attributes have bounded values: the JSON-RPC method
// (a method the middleware does not know is recorded as "_OTHER") and, with
// ToolNameAttribute, the tool name.
type TelemetryOptions struct {
	// MeterProvider creates the middleware's instruments. Nil uses the
	// global provider (otel.GetMeterProvider), a no-op until one is set.
	MeterProvider metric.MeterProvider
	// TracerProvider creates the middleware's spans. Nil uses the global
	// provider (otel.GetTracerProvider), a no-op until one is set. Spans
	// start from the request's context, so a span that an instrumentation
	// in front (otelhttp, say) put there is their parent.
	TracerProvider trace.TracerProvider
	// ToolNameAttribute adds gen_ai.tool.name to the decisions of
	// tools/call and to the mcpauth.decide span. Tool names are chosen by
	// the caller, so the first MaxTelemetryToolNames distinct names are
	// recorded as they are and any later one as "_OTHER". Off by default.
	ToolNameAttribute bool
}

// MaxTelemetryToolNames bounds the distinct tool names a middleware records
// with [TelemetryOptions.ToolNameAttribute].
const MaxTelemetryToolNames = 256

// maxTelemetryToolNameLen bounds the length of a recorded tool name; a
// longer one is recorded as "_OTHER".
const maxTelemetryToolNameLen = 128

// TelemetryScope is the OpenTelemetry instrumentation scope of the middleware's
// meter and tracer.
const TelemetryScope = "github.com/mcpauth/mcpauth"

// Span names.
const (
	spanDecide   = "mcpauth.decide"    // one check: the cache, else the decision point
	spanPDPCheck = "mcpauth.pdp.check" // one decision point call
	spanPDPBulk  = "mcpauth.pdp.bulk"  // one bulk decision point call (list filtering)
)

// Attribute keys. Keys from the OpenTelemetry semantic conventions keep
// their names there (mcp.method.name, gen_ai.tool.name, error.type).
const (
	keyMethod           = attribute.Key("mcp.method.name")
	keyToolName         = attribute.Key("gen_ai.tool.name")
	keyErrorType        = attribute.Key("error.type")
	keyOutcome          = attribute.Key("mcpauth.decision.outcome") // allow, deny, error
	keySource           = attribute.Key("mcpauth.decision.source")  // cache, pdp, bypass, mapping
	keyCached           = attribute.Key("mcpauth.decision.cached")  // span only
	keyResourceType     = attribute.Key("mcpauth.resource.type")    // span only
	keyAction           = attribute.Key("mcpauth.action")           // span only
	keyPDPOperation     = attribute.Key("mcpauth.pdp.operation")    // check, bulk
	keyPDPChecks        = attribute.Key("mcpauth.pdp.checks")       // span only: checks in a bulk call
	keyListOutcome      = attribute.Key("mcpauth.list.outcome")     // kept, filtered
	keyRefusalReason    = attribute.Key("mcpauth.refusal.reason")
	otherValue          = "_OTHER"
	errTypeTimeout      = "timeout"
	errTypeCanceled     = "canceled"
	errTypeDecisionFail = "decision_failed"
)

// decision outcomes and sources, as indexes into the precomputed tables.
const (
	outAllow = iota
	outDeny
	outError
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"allow", "deny", "error"}

const (
	srcCache = iota
	srcPDP
	srcBypass
	srcMapping
	numSources
)

var sourceNames = [numSources]string{sourceCache, sourcePDP, sourceBypass, sourceMapping}

// telemetryMethods are the methods recorded by name (every method the
// middleware knows); index len(telemetryMethods) is "_OTHER".
var telemetryMethods = mcpspec.Names(func(mcpspec.Method) bool { return true })

var numMethods = len(telemetryMethods) + 1

// methodIndex returns the index of method in telemetryMethods, or
// len(telemetryMethods) ("_OTHER") for a method the middleware does not know.
func methodIndex(method string) int {
	if i := mcpspec.Index(method); i >= 0 {
		return i
	}
	return len(telemetryMethods)
}

func methodName(i int) string {
	if i == len(telemetryMethods) {
		return otherValue
	}
	return telemetryMethods[i]
}

// Refusal reasons (mcpauth.refusal.reason).
const (
	refusedUnauthenticated = "unauthenticated"
	refusedNoTenant        = "no_tenant"
	refusedMalformed       = "malformed"
	refusedTooLarge        = "too_large"
	refusedTimeout         = "timeout"
	refusedSession         = "session_mismatch"
)

var refusalReasons = [...]string{
	refusedUnauthenticated, refusedNoTenant, refusedMalformed, refusedTooLarge, refusedTimeout, refusedSession,
}

// decisionTable holds the options of every outcome and source of one
// method (and tool name).
type decisionTable [numOutcomes][numSources][]metric.AddOption

// telemetry holds the instruments and the attribute sets built once, so
// that recording allocates nothing.
type telemetry struct {
	tracer   trace.Tracer
	toolName bool

	decisions   metric.Int64Counter
	pdpDuration metric.Float64Histogram
	pdpActive   metric.Int64UpDownCounter
	listItems   metric.Int64Counter
	refused     metric.Int64Counter
	reg         metric.Registration

	byMethod   []decisionTable
	tools      sync.Map // tool name -> *decisionTable
	toolCount  atomic.Int32
	toolOther  decisionTable
	listOpts   [][2][]metric.AddOption // kept, filtered
	refuseOpts map[string][]metric.AddOption
	// PDP: [operation check/bulk], and for the duration [ok, timeout,
	// canceled, failed].
	activeOpts [2][]metric.AddOption
	durOpts    [2][4][]metric.RecordOption
}

const (
	opCheck = iota
	opBulk
)

var opNames = [2]string{"check", "bulk"}

var durErrTypes = [4]string{"", errTypeTimeout, errTypeCanceled, errTypeDecisionFail}

func addOpts(kvs ...attribute.KeyValue) []metric.AddOption {
	return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}
}

// newTelemetry creates the instruments of a middleware whose cache is c.
func newTelemetry(o TelemetryOptions, c *decisionCache) (*telemetry, error) {
	mp, tp := o.MeterProvider, o.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	t := &telemetry{
		tracer:   tp.Tracer(TelemetryScope),
		toolName: o.ToolNameAttribute,
	}
	meter := mp.Meter(TelemetryScope)
	var err error
	if t.decisions, err = meter.Int64Counter("mcpauth.decisions", metric.WithUnit("{decision}"),
		metric.WithDescription("Authorization decisions, by outcome and source.")); err != nil {
		return nil, err
	}
	if t.pdpDuration, err = meter.Float64Histogram("mcpauth.pdp.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of decision point calls."),
		metric.WithExplicitBucketBoundaries(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)); err != nil {
		return nil, err
	}
	if t.pdpActive, err = meter.Int64UpDownCounter("mcpauth.pdp.active_requests", metric.WithUnit("{request}"),
		metric.WithDescription("Decision point calls in flight.")); err != nil {
		return nil, err
	}
	if t.listItems, err = meter.Int64Counter("mcpauth.list.items", metric.WithUnit("{item}"),
		metric.WithDescription("Items of list results, kept or filtered out.")); err != nil {
		return nil, err
	}
	if t.refused, err = meter.Int64Counter("mcpauth.requests.refused", metric.WithUnit("{request}"),
		metric.WithDescription("Requests refused before any authorization check, by reason.")); err != nil {
		return nil, err
	}
	hits, err := meter.Int64ObservableCounter("mcpauth.cache.hits", metric.WithUnit("{hit}"),
		metric.WithDescription("Checks (and list items) answered by the decision cache."))
	if err != nil {
		return nil, err
	}
	misses, err := meter.Int64ObservableCounter("mcpauth.cache.misses", metric.WithUnit("{miss}"),
		metric.WithDescription("Checks (and list items) the decision cache could not answer."))
	if err != nil {
		return nil, err
	}
	evictions, err := meter.Int64ObservableCounter("mcpauth.cache.evictions", metric.WithUnit("{eviction}"),
		metric.WithDescription("Decisions dropped from the cache to respect its size bound."))
	if err != nil {
		return nil, err
	}
	size, err := meter.Int64ObservableUpDownCounter("mcpauth.cache.size", metric.WithUnit("{entry}"),
		metric.WithDescription("Decisions held by the cache, expired ones not yet dropped included."))
	if err != nil {
		return nil, err
	}
	coalesced, err := meter.Int64ObservableCounter("mcpauth.coalesced", metric.WithUnit("{call}"),
		metric.WithDescription("Checks that shared another caller's decision point call."))
	if err != nil {
		return nil, err
	}
	t.reg, err = meter.RegisterCallback(func(_ context.Context, ob metric.Observer) error {
		s := c.stats()
		ob.ObserveInt64(hits, int64(s.Hits))
		ob.ObserveInt64(misses, int64(s.Misses))
		ob.ObserveInt64(evictions, int64(s.Evictions))
		ob.ObserveInt64(size, int64(s.Entries))
		ob.ObserveInt64(coalesced, int64(s.Coalesced))
		return nil
	}, hits, misses, evictions, size, coalesced)
	if err != nil {
		return nil, err
	}

	t.byMethod = make([]decisionTable, numMethods)
	t.listOpts = make([][2][]metric.AddOption, numMethods)
	for mi := range numMethods {
		t.byMethod[mi] = newDecisionTable(keyMethod.String(methodName(mi)))
		t.listOpts[mi][0] = addOpts(keyMethod.String(methodName(mi)), keyListOutcome.String("kept"))
		t.listOpts[mi][1] = addOpts(keyMethod.String(methodName(mi)), keyListOutcome.String("filtered"))
	}
	if t.toolName {
		t.toolOther = newDecisionTable(keyMethod.String(MethodToolsCall), keyToolName.String(otherValue))
	}
	t.refuseOpts = make(map[string][]metric.AddOption, len(refusalReasons))
	for _, r := range refusalReasons {
		t.refuseOpts[r] = addOpts(keyRefusalReason.String(r))
	}
	for op := range opNames {
		t.activeOpts[op] = addOpts(keyPDPOperation.String(opNames[op]))
		for e, et := range durErrTypes {
			kvs := []attribute.KeyValue{keyPDPOperation.String(opNames[op])}
			if et != "" {
				kvs = append(kvs, keyErrorType.String(et))
			}
			t.durOpts[op][e] = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}
		}
	}
	return t, nil
}

func newDecisionTable(base ...attribute.KeyValue) decisionTable {
	var tab decisionTable
	for o := range numOutcomes {
		for s := range numSources {
			kvs := append(append([]attribute.KeyValue(nil), base...),
				keyOutcome.String(outcomeNames[o]), keySource.String(sourceNames[s]))
			tab[o][s] = addOpts(kvs...)
		}
	}
	return tab
}

// close unregisters the cache observation.
func (t *telemetry) close() {
	if t != nil && t.reg != nil {
		_ = t.reg.Unregister()
	}
}

// table returns the attribute table of a decision on method (and tool).
func (t *telemetry) table(method, tool string) *decisionTable {
	mi := methodIndex(method)
	if !t.toolName || method != MethodToolsCall {
		return &t.byMethod[mi]
	}
	if v, ok := t.tools.Load(tool); ok {
		return v.(*decisionTable)
	}
	if len(tool) > maxTelemetryToolNameLen || !utf8.ValidString(tool) {
		return &t.toolOther
	}
	if t.toolCount.Add(1) > MaxTelemetryToolNames {
		t.toolCount.Add(-1)
		return &t.toolOther
	}
	tab := newDecisionTable(keyMethod.String(MethodToolsCall), keyToolName.String(tool))
	v, loaded := t.tools.LoadOrStore(tool, &tab)
	if loaded {
		t.toolCount.Add(-1)
	}
	return v.(*decisionTable)
}

// decided counts one decision in mcpauth.decisions.
func (t *telemetry) decided(ctx context.Context, method, tool string, outcome, source int) {
	t.decisions.Add(ctx, 1, t.table(method, tool)[outcome][source]...)
}

// decide answers c from the cache or the authorizer, counts the decision
// and, inside a caller's trace (see traced), wraps it in a mcpauth.decide
// span.
func (m *Middleware) decide(ctx context.Context, req *Request, c *Check, id *Identity) (allow, cached bool, err error) {
	t := m.tel
	var span trace.Span
	if traced(ctx) {
		ctx, span = t.tracer.Start(ctx, spanDecide)
	}
	allow, cached, err = m.cache.decide(ctx, m.authz, c, id)
	outcome := outDeny
	switch {
	case err != nil:
		outcome = outError
	case allow:
		outcome = outAllow
	}
	source := srcPDP
	if cached {
		source = srcCache
	}
	t.decided(ctx, req.Method, req.Name, outcome, source)
	if span == nil {
		return allow, cached, err
	}
	if span.IsRecording() {
		attrs := []attribute.KeyValue{
			keyMethod.String(methodName(methodIndex(req.Method))),
			keyResourceType.String(c.Resource.Type),
			keyAction.String(c.Action),
			keyOutcome.String(outcomeNames[outcome]),
			keyCached.Bool(cached),
		}
		if t.toolName && req.Method == MethodToolsCall {
			attrs = append(attrs, keyToolName.String(req.Name))
		}
		if err != nil {
			attrs = append(attrs, keyErrorType.String(durErrTypes[errIndex(err)]))
			span.SetStatus(codes.Error, "decision failed")
		}
		span.SetAttributes(attrs...)
	}
	span.End()
	return allow, cached, err
}

// traced reports whether ctx carries a span that a child span would join:
// a recording span, or a sampled one (a caller's span context extracted
// from the request headers). Without one, mcpauth.decide is not started: a
// decision answered by the cache would otherwise start a root span (and
// allocate) on every call. Decision point calls are traced either way.
func traced(ctx context.Context) bool {
	s := trace.SpanFromContext(ctx)
	return s.IsRecording() || s.SpanContext().IsSampled()
}

// errIndex classifies a decision point error for error.type (an index into
// durErrTypes).
func errIndex(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, context.DeadlineExceeded):
		return 1
	case errors.Is(err, context.Canceled):
		return 2
	}
	return 3
}

// allowed is authz.Allowed inside a mcpauth.pdp.check span, timed in
// mcpauth.pdp.duration. t may be nil (a cache made outside New).
func (t *telemetry) allowed(ctx context.Context, authz Authorizer, c *Check) (bool, error) {
	if t == nil {
		return authz.Allowed(ctx, *c)
	}
	ctx, span := t.tracer.Start(ctx, spanPDPCheck, trace.WithSpanKind(trace.SpanKindClient))
	t.pdpActive.Add(ctx, 1, t.activeOpts[opCheck]...)
	start := time.Now()
	allow, err := authz.Allowed(ctx, *c)
	t.pdpDone(ctx, span, opCheck, start, err)
	if span.IsRecording() {
		span.SetAttributes(keyResourceType.String(c.Resource.Type), keyAction.String(c.Action))
		if err == nil {
			o := outcomeNames[outDeny]
			if allow {
				o = outcomeNames[outAllow]
			}
			span.SetAttributes(keyOutcome.String(o))
		}
	}
	span.End()
	return allow, err
}

// allowedBulk is authz.AllowedBulk inside a mcpauth.pdp.bulk span, timed
// in mcpauth.pdp.duration. t may be nil.
func (t *telemetry) allowedBulk(ctx context.Context, authz Authorizer, cs []Check) ([]bool, error) {
	if t == nil {
		return authz.AllowedBulk(ctx, cs)
	}
	ctx, span := t.tracer.Start(ctx, spanPDPBulk, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(keyPDPChecks.Int(len(cs))))
	t.pdpActive.Add(ctx, 1, t.activeOpts[opBulk]...)
	start := time.Now()
	res, err := authz.AllowedBulk(ctx, cs)
	t.pdpDone(ctx, span, opBulk, start, err)
	span.End()
	return res, err
}

func (t *telemetry) pdpDone(ctx context.Context, span trace.Span, op int, start time.Time, err error) {
	e := errIndex(err)
	t.pdpDuration.Record(ctx, time.Since(start).Seconds(), t.durOpts[op][e]...)
	t.pdpActive.Add(ctx, -1, t.activeOpts[op]...)
	if err != nil && span.IsRecording() {
		span.SetAttributes(keyErrorType.String(durErrTypes[e]))
		span.SetStatus(codes.Error, "decision point call failed")
	}
}

// listed counts the items of a filtered list result.
func (t *telemetry) listed(ctx context.Context, method string, keep []bool) {
	kept := 0
	for _, k := range keep {
		if k {
			kept++
		}
	}
	mi := methodIndex(method)
	if kept > 0 {
		t.listItems.Add(ctx, int64(kept), t.listOpts[mi][0]...)
	}
	if n := len(keep) - kept; n > 0 {
		t.listItems.Add(ctx, int64(n), t.listOpts[mi][1]...)
	}
}

// refusal returns the mcpauth.refusal.reason of d, or "" when d is the
// outcome of a decision (counted in mcpauth.decisions instead).
func refusal(d *Denial) string {
	switch {
	case d == nil || d.Check != nil || errors.Is(d.Err, ErrDecisionFailed) || errors.Is(d.Err, ErrNoMapping):
		return ""
	case errors.Is(d.Err, ErrUnauthenticated):
		return refusedUnauthenticated
	case errors.Is(d.Err, ErrUnknownSession):
		return refusedSession
	case errors.Is(d.Err, ErrMalformedRequest):
		switch d.Status {
		case 413:
			return refusedTooLarge
		case 408:
			return refusedTimeout
		}
		return refusedMalformed
	case errors.Is(d.Err, ErrForbidden):
		return refusedNoTenant
	}
	return ""
}

// refuse counts d in mcpauth.requests.refused when it refused a request
// before any check.
func (t *telemetry) refuse(ctx context.Context, d *Denial) {
	if r := refusal(d); r != "" {
		t.refused.Add(ctx, 1, t.refuseOpts[r]...)
	}
}
