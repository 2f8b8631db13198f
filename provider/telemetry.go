// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mcpauth/mcpauth/repository"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// TelemetryOptions configures the OpenTelemetry metrics and traces of a
// [Provider]. The provider uses only the OpenTelemetry API: it records
// nothing until the program installs an SDK, globally or here. No
// attribute ever holds a token, a code, a client secret, a user or a
// storage key; OAuth error codes outside RFC 6749, 7009, 7591, 6750 and
// 8707 are recorded as "_OTHER". See the README's Telemetry section.
type TelemetryOptions struct {
	// MeterProvider creates the provider's instruments. Nil uses the global
	// provider (otel.GetMeterProvider), a no-op until one is set.
	MeterProvider metric.MeterProvider
	// TracerProvider creates the provider's spans. Nil uses the global
	// provider (otel.GetTracerProvider), a no-op until one is set.
	TracerProvider trace.TracerProvider
}

// TelemetryScope is the OpenTelemetry instrumentation scope of the
// provider's meter and tracer.
const TelemetryScope = "github.com/mcpauth/mcpauth/provider"

const (
	keyEndpoint   = attribute.Key("mcpauth.provider.endpoint")
	keyOAuthError = attribute.Key("oauth.error")
	keyGrantType  = attribute.Key("oauth.grant_type")
	keyStatus     = attribute.Key("http.response.status_code")
	keyUpstreamOp = attribute.Key("mcpauth.provider.upstream.operation")
	keyStoreOp    = attribute.Key("mcpauth.provider.store.operation")
	keyErrorType  = attribute.Key("error.type")
	keyBearer     = attribute.Key("mcpauth.provider.bearer.reason")
	otherValue    = "_OTHER"
)

// Reasons a bearer check rejects a request (mcpauth.provider.bearer.reason).
// The check does not tell an unknown, expired or revoked token apart (one
// answer for all, which tells a caller probing tokens nothing), so neither
// does the metric.
const (
	// bearerMissing: no "Authorization: Bearer <token>" header, or a
	// malformed one (401, no error code).
	bearerMissing = "missing"
	// bearerInvalid: a token that is not a live access token of this
	// provider for this MCP URL (401 invalid_token).
	bearerInvalid = "invalid_token"
	// bearerScope: a valid token without a required scope (403
	// insufficient_scope).
	bearerScope = "insufficient_scope"
	// bearerUnavailable: the token could not be verified, the store
	// failing (503 temporarily_unavailable).
	bearerUnavailable = "unavailable"
)

var bearerReasons = [...]string{bearerMissing, bearerInvalid, bearerScope, bearerUnavailable}

// oauthErrors are the error codes recorded by name.
var oauthErrors = map[string]bool{
	"invalid_request": true, "invalid_client": true, "invalid_grant": true, "unauthorized_client": true,
	"unsupported_grant_type": true, "invalid_scope": true, "access_denied": true,
	"unsupported_response_type": true, "server_error": true, "temporarily_unavailable": true,
	"unsupported_token_type": true, "invalid_redirect_uri": true, "invalid_client_metadata": true,
	"invalid_target": true, "invalid_token": true, "insufficient_scope": true,
}

// boundedError returns code when it is a known OAuth error code, else
// "_OTHER".
func boundedError(code string) string {
	if oauthErrors[code] {
		return code
	}
	return otherValue
}

// telemetry holds the provider's tracer and instruments.
type telemetry struct {
	tracer           trace.Tracer
	authorizations   metric.Int64Counter
	tokens           metric.Int64Counter
	revocations      metric.Int64Counter
	registrations    metric.Int64Counter
	errors           metric.Int64Counter
	bearerRejections metric.Int64Counter
	upstreamDuration metric.Float64Histogram

	bearerOpts map[string][]metric.AddOption // by reason, built once
}

func newTelemetry(o TelemetryOptions) (*telemetry, error) {
	mp, tp := o.MeterProvider, o.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	meter := mp.Meter(TelemetryScope)
	t := &telemetry{tracer: tp.Tracer(TelemetryScope)}
	var err error
	counter := func(dst *metric.Int64Counter, name, unit, desc string) {
		if err == nil {
			*dst, err = meter.Int64Counter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		}
	}
	counter(&t.authorizations, "mcpauth.provider.authorizations", "{authorization}",
		"Logins completed: authorization codes sent to clients.")
	counter(&t.tokens, "mcpauth.provider.tokens", "{token}",
		"Token responses issued, by grant type (authorization_code: issuance, refresh_token: refresh).")
	counter(&t.revocations, "mcpauth.provider.revocations", "{revocation}",
		"Revocation requests answered with success (RFC 7009).")
	counter(&t.registrations, "mcpauth.provider.registrations", "{registration}",
		"Clients registered dynamically (RFC 7591).")
	counter(&t.errors, "mcpauth.provider.errors", "{error}",
		"OAuth errors answered, by endpoint and error code.")
	counter(&t.bearerRejections, "mcpauth.provider.bearer.rejections", "{request}",
		"Requests the bearer check (RequireBearer, RequireScopes) rejected, by reason.")
	if err != nil {
		return nil, err
	}
	t.bearerOpts = make(map[string][]metric.AddOption, len(bearerReasons))
	for _, r := range bearerReasons {
		t.bearerOpts[r] = []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(keyBearer.String(r)))}
	}
	t.upstreamDuration, err = meter.Float64Histogram("mcpauth.provider.upstream.duration", metric.WithUnit("s"),
		metric.WithDescription("Duration of calls to the upstream identity provider."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
	if err != nil {
		return nil, err
	}
	return t, nil
}

// rejectBearer counts a request the bearer check rejected for reason (one
// of the bearer* constants).
func (t *telemetry) rejectBearer(ctx context.Context, reason string) {
	t.bearerRejections.Add(ctx, 1, t.bearerOpts[reason]...)
}

// traced reports whether ctx carries a span a child would join (a
// recording span, or a sampled one): storage spans are started only then.
func traced(ctx context.Context) bool {
	s := trace.SpanFromContext(ctx)
	return s.IsRecording() || s.SpanContext().IsSampled()
}

// Endpoint names (mcpauth.provider.endpoint).
const (
	endpointAuthorize = "authorize"
	endpointConsent   = "consent"
	endpointCallback  = "callback"
	endpointToken     = "token"
	endpointRegister  = "register"
	endpointRevoke    = "revoke"
	endpointMetadata  = "metadata"
)

// instrument wraps every route's handler so that its outcome is counted.
func (p *Provider) instrument(rs []route) []route {
	for i := range rs {
		rs[i].handler = p.tel.wrap(p.endpointOf(rs[i].path), rs[i].handler)
	}
	return rs
}

func (p *Provider) endpointOf(path string) string {
	switch path {
	case p.basePath + PathAuthorize:
		return endpointAuthorize
	case p.basePath + PathConsent:
		return endpointConsent
	case p.basePath + PathToken:
		return endpointToken
	case p.basePath + PathRegister:
		return endpointRegister
	case p.basePath + PathRevoke:
		return endpointRevoke
	case p.callbackPath:
		return endpointCallback
	}
	return endpointMetadata
}

// wrap returns h counting what it answers: successes of the token,
// revocation and registration endpoints and of logins, and every OAuth
// error (a JSON error body, or an error redirect to the client).
func (t *telemetry) wrap(endpoint string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ow := &outcomeWriter{ResponseWriter: w}
		h.ServeHTTP(ow, r)
		t.record(r, endpoint, ow)
	})
}

func (t *telemetry) record(r *http.Request, endpoint string, ow *outcomeWriter) {
	ctx := r.Context()
	status := ow.status
	if status == 0 {
		status = http.StatusOK
	}
	if status == http.StatusFound || status == http.StatusSeeOther {
		loc, err := url.Parse(ow.Header().Get("Location"))
		if err != nil {
			return
		}
		q := loc.Query()
		switch {
		case q.Has("error"):
			t.errors.Add(ctx, 1, metric.WithAttributes(keyEndpoint.String(endpoint),
				keyOAuthError.String(boundedError(q.Get("error"))), keyStatus.Int(status)))
		case endpoint == endpointCallback && q.Has("code"):
			t.authorizations.Add(ctx, 1)
		}
		return
	}
	if status >= 400 {
		t.errors.Add(ctx, 1, metric.WithAttributes(keyEndpoint.String(endpoint),
			keyOAuthError.String(boundedError(ow.errorCode)), keyStatus.Int(status)))
		return
	}
	if status >= 300 {
		return
	}
	switch endpoint {
	case endpointToken:
		grant := r.PostForm.Get("grant_type")
		if grant != "authorization_code" && grant != "refresh_token" {
			grant = otherValue
		}
		t.tokens.Add(ctx, 1, metric.WithAttributes(keyGrantType.String(grant)))
	case endpointRevoke:
		t.revocations.Add(ctx, 1)
	case endpointRegister:
		if status == http.StatusCreated {
			t.registrations.Add(ctx, 1)
		}
	}
}

// maxErrorBody bounds the error response bytes read for the error code.
const maxErrorBody = 4 << 10

// outcomeWriter records the status and, for an error answer, the OAuth
// error code of its JSON body.
type outcomeWriter struct {
	http.ResponseWriter
	status    int
	errorCode string
	buf       []byte
}

func (w *outcomeWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *outcomeWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	if w.status >= 400 && len(w.buf) < maxErrorBody &&
		strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		w.buf = append(w.buf, b[:min(len(b), maxErrorBody-len(w.buf))]...)
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(w.buf, &e) == nil {
			w.errorCode = e.Error
		}
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *outcomeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Upstream operations (mcpauth.provider.upstream.operation).
const (
	upstreamExchange = "exchange"
	upstreamRefresh  = "refresh"
)

// upstreamErrorType is the error.type of a failed upstream call: the
// upstream's OAuth error code, "timeout", or "_OTHER".
func upstreamErrorType(err error) string {
	var ue *upstreamError
	switch {
	case errors.As(err, &ue):
		return boundedError(ue.code)
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return otherValue
}

// startUpstream starts the span of one upstream call.
func (t *telemetry) startUpstream(ctx context.Context, op string) (context.Context, trace.Span, time.Time) {
	ctx, span := t.tracer.Start(ctx, "mcpauth.provider.upstream."+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(keyUpstreamOp.String(op)))
	return ctx, span, time.Now()
}

func (t *telemetry) endUpstream(ctx context.Context, span trace.Span, op string, start time.Time, err error) {
	attrs := []attribute.KeyValue{keyUpstreamOp.String(op)}
	if err != nil {
		et := upstreamErrorType(err)
		attrs = append(attrs, keyErrorType.String(et))
		span.SetAttributes(keyErrorType.String(et))
		span.SetStatus(codes.Error, "upstream "+op+" failed")
	}
	t.upstreamDuration.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attrs...))
	span.End()
}

// exchange is up.exchange inside a mcpauth.provider.upstream.exchange span,
// timed in mcpauth.provider.upstream.duration.
func (t *telemetry) exchange(ctx context.Context, up *upstream, code, verifier, nonce string) (*UpstreamToken, *Identity, error) {
	ctx, span, start := t.startUpstream(ctx, upstreamExchange)
	ut, id, err := up.exchange(ctx, code, verifier, nonce)
	t.endUpstream(ctx, span, upstreamExchange, start, err)
	return ut, id, err
}

// refresh is up.refresh inside a mcpauth.provider.upstream.refresh span,
// timed in mcpauth.provider.upstream.duration.
func (t *telemetry) refresh(ctx context.Context, up *upstream, old *UpstreamToken) (*UpstreamToken, error) {
	ctx, span, start := t.startUpstream(ctx, upstreamRefresh)
	nt, err := up.refresh(ctx, old)
	t.endUpstream(ctx, span, upstreamRefresh, start, err)
	return nt, err
}

// tracedStore traces the storage calls made inside a trace as
// mcpauth.provider.store.<operation> spans. Keys are never recorded: they
// hold hashes of tokens and codes.
type tracedStore struct {
	repository.Store
	taker repository.Taker
	t     *telemetry
}

// wrapStore returns the store and taker the provider uses, traced. The
// traced store keeps the optional abilities of s that the provider may
// look for later (repository.Lister, repository.Creator); the Notifier is
// looked up before the store is wrapped.
func (t *telemetry) wrapStore(s repository.Store, tk repository.Taker) (repository.Store, repository.Taker) {
	ts := &tracedStore{Store: s, taker: tk, t: t}
	l, lister := s.(repository.Lister)
	c, creator := s.(repository.Creator)
	switch {
	case lister && creator:
		return struct {
			*tracedStore
			repository.Lister
			repository.Creator
		}{ts, l, c}, ts
	case lister:
		return struct {
			*tracedStore
			repository.Lister
		}{ts, l}, ts
	case creator:
		return struct {
			*tracedStore
			repository.Creator
		}{ts, c}, ts
	}
	return ts, ts
}

func (s *tracedStore) start(ctx context.Context, op string) (context.Context, trace.Span) {
	if !traced(ctx) {
		return ctx, nil
	}
	return s.t.tracer.Start(ctx, "mcpauth.provider.store."+op, trace.WithAttributes(keyStoreOp.String(op)))
}

func endStore(span trace.Span, err error) {
	if span == nil {
		return
	}
	if err != nil && !errors.Is(err, repository.ErrNotFound) {
		span.SetStatus(codes.Error, "storage call failed")
	}
	span.End()
}

func (s *tracedStore) Get(ctx context.Context, key string) ([]byte, error) {
	ctx, span := s.start(ctx, "get")
	v, err := s.Store.Get(ctx, key)
	endStore(span, err)
	return v, err
}

func (s *tracedStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	ctx, span := s.start(ctx, "set")
	err := s.Store.Set(ctx, key, value, ttl)
	endStore(span, err)
	return err
}

func (s *tracedStore) Delete(ctx context.Context, key string) error {
	ctx, span := s.start(ctx, "delete")
	err := s.Store.Delete(ctx, key)
	endStore(span, err)
	return err
}

func (s *tracedStore) Take(ctx context.Context, key string) ([]byte, error) {
	ctx, span := s.start(ctx, "take")
	v, err := s.taker.Take(ctx, key)
	endStore(span, err)
	return v, err
}
