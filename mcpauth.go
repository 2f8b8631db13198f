// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcpauth/mcpauth/internal/jsonrpc"
	"github.com/mcpauth/mcpauth/internal/mcpspec"
)

// Middleware authorizes MCP Streamable HTTP requests. It is safe for
// concurrent use. Create it with [New].
type Middleware struct {
	authz        Authorizer
	opts         Options // normalized copy
	mappingLayer         // chooses how each message is mapped (mapping.go)
	ident        *identifier
	bypass       []string
	public       map[string]bool
	logger       *slog.Logger
	cache        *decisionCache
	sessions     *sessions
	maxBody      int64
	maxAnon      int64 // body cap for requests without a credential
	filtering    bool  // per-item list filtering

	tools toolRecord // actions shared by listed tools (ambiguous.go)

	tel *telemetry // OpenTelemetry instruments (telemetry.go)

	unsubscribe func() // ends the Notifier subscription; nil without one
	closeOnce   sync.Once
}

// Decision is the outcome of authorizing one HTTP request, as returned by
// [Middleware.Check] and stored in the request context for the next handler
// (see [DecisionFromContext]).
type Decision struct {
	// Allowed reports whether the request may proceed.
	Allowed bool
	// Method is the JSON-RPC method ("batch" for an authorized batch, "" for
	// requests without a JSON-RPC body such as GET and DELETE).
	Method string
	// Bypassed is true when no check was needed (bypassed methods, public
	// tools, client responses, GET and DELETE).
	Bypassed bool
	// Checks are the checks that were decided, in order.
	Checks []Check
	// Identity is the identified caller; nil when identification was not
	// needed.
	Identity *Identity
	// Cached is true when every check was answered by the decision cache.
	Cached bool
	// Reason says why a request was denied.
	Reason string
}

type decisionKey struct{}

// DecisionFromContext returns the decision the middleware stored in the
// context of the request it passed on.
func DecisionFromContext(ctx context.Context) (*Decision, bool) {
	d, ok := ctx.Value(decisionKey{}).(*Decision)
	return d, ok
}

// New returns a middleware that asks authz. It validates opts (nil means
// defaults) and returns an error naming the first bad field.
func New(authz Authorizer, opts *Options) (*Middleware, error) {
	if authz == nil {
		return nil, errors.New("mcpauth: nil Authorizer")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if err := normalize(&o); err != nil {
		return nil, err
	}
	m := &Middleware{
		authz:     authz,
		opts:      o,
		bypass:    o.BypassMethods,
		maxBody:   o.Limits.MaxBodyBytes,
		logger:    o.Logger,
		filtering: o.ListFiltering != ListCheckOnly,
	}
	if m.logger == nil {
		m.logger = slog.New(slog.DiscardHandler)
	}
	m.mappingLayer = newMappingLayer(&o)
	if len(o.PublicTools) > 0 {
		m.public = make(map[string]bool, len(o.PublicTools))
		for _, t := range o.PublicTools {
			m.public[t] = true
		}
	}
	id, err := newIdentifier(o.Identity, o.AllowUnknownUser, o.Tenant, m.logger)
	if err != nil {
		return nil, err
	}
	m.ident = id
	m.cache = newDecisionCache(o.Cache)
	if m.tel, err = newTelemetry(o.Telemetry, m.cache); err != nil {
		return nil, fmt.Errorf("mcpauth: Options.Telemetry: %w", err)
	}
	m.cache.tel = m.tel
	m.sessions = newSessions(o.Sessions, m.logger)
	m.maxAnon = min(o.Limits.MaxAnonymousBodyBytes, o.Limits.MaxBodyBytes)
	if err := m.listen(); err != nil {
		return nil, err
	}
	return m, nil
}

func normalize(o *Options) error {
	if o.ServerName == "" {
		o.ServerName = DefaultServerName
	}
	if o.BypassMethods == nil {
		o.BypassMethods = DefaultBypassMethods
	}
	o.BypassMethods = append([]string(nil), o.BypassMethods...)
	for i, p := range o.BypassMethods {
		if p == "" || !validPattern(p) {
			return fmt.Errorf("mcpauth: Options.BypassMethods[%d]: malformed pattern %q", i, p)
		}
	}
	for i, t := range o.PublicTools {
		if t == "" {
			return fmt.Errorf("mcpauth: Options.PublicTools[%d] is empty", i)
		}
	}
	o.PublicTools = append([]string(nil), o.PublicTools...)
	switch {
	case o.Limits.MaxBodyBytes == 0:
		o.Limits.MaxBodyBytes = defaultMaxBodyBytes
	case o.Limits.MaxBodyBytes < 0:
		return errors.New("mcpauth: Options.Limits.MaxBodyBytes is negative")
	}
	l := &o.Limits
	orDefault(&l.MaxAnonymousBodyBytes, defaultMaxAnonymousBodyBytes)
	orDefault(&l.BodyReadTimeout, defaultBodyReadTimeout)
	orDefault(&l.MaxArgumentValues, defaultMaxArgumentValues)
	orDefault(&l.MaxArgumentDepth, defaultMaxArgumentDepth)
	if l.MaxAnonymousBodyBytes < 0 || l.MaxArgumentValues < 0 || l.MaxArgumentDepth < 0 {
		return errors.New("mcpauth: Options.Limits: negative limit")
	}
	orDefault(&o.Sessions.IdleTimeout, defaultSessionIdleTimeout)
	orDefault(&o.Sessions.MaxSessions, defaultMaxSessions)
	if o.Sessions.MaxSessions < 0 {
		return errors.New("mcpauth: Options.Sessions.MaxSessions is negative")
	}
	if o.ArgumentCollision != CollisionDeny && o.ArgumentCollision != CollisionRename {
		return fmt.Errorf("mcpauth: Options.ArgumentCollision: unknown value %d", o.ArgumentCollision)
	}
	switch o.ListFiltering {
	case ListFilterItems, ListFilterAndCheck, ListCheckOnly:
	default:
		return fmt.Errorf("mcpauth: Options.ListFiltering: unknown value %d", o.ListFiltering)
	}
	if o.UnknownMethods != UnknownDeny && o.UnknownMethods != UnknownCheckAccess {
		return fmt.Errorf("mcpauth: Options.UnknownMethods: unknown value %d", o.UnknownMethods)
	}
	orDefault(&o.Deny.Code, defaultDenyCode)
	orDefault(&o.Deny.Message, defaultDenyMessage)
	switch o.Deny.ToolCall {
	case ToolDenyResult, ToolDenyError, ToolDenyHTTP403:
	default:
		return fmt.Errorf("mcpauth: Options.Deny.ToolCall: unknown value %d", o.Deny.ToolCall)
	}
	c := &o.Cache
	orDefault(&c.Size, defaultCacheSize)
	orDefault(&c.AllowTTL, defaultAllowTTL)
	orDefault(&c.DenyTTL, defaultDenyTTL)
	orDefault(&c.PDPTimeout, defaultPDPTimeout)
	if c.AllowTTL < 0 || c.DenyTTL < 0 || c.PDPTimeout < 0 {
		return errors.New("mcpauth: Options.Cache: negative duration")
	}
	return nil
}

// orDefault sets *p to def when *p is the zero value.
func orDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// Handler returns next wrapped by the middleware:
//
//   - POST requests are decoded strictly and every JSON-RPC request in them
//     is authorized; denied requests are answered by the middleware and
//     never reach next. A request that presents a credential is identified
//     before its body is read, even when its methods need no check.
//   - Every other method except OPTIONS (GET for the SSE stream, DELETE to
//     end a session, and any other) reaches next once the caller is
//     identified. OPTIONS (CORS preflight) reaches next untouched.
//   - A request naming a session (Mcp-Session-Id) reaches next only when it
//     comes from the identity that created the session; see
//     [SessionOptions].
//
// The request next receives carries the [Decision] in its context and a
// body byte-for-byte identical to the one sent.
func (m *Middleware) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
		case http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		default:
			id, d := m.identify(r)
			if d != nil {
				m.deny(w, r, d)
				return
			}
			st, d := m.checkSession(r, id)
			if d != nil {
				m.deny(w, r, d)
				return
			}
			dec := &Decision{Allowed: true, Bypassed: true, Identity: id}
			if r.Method == http.MethodGet && m.opts.Limits.BodyReadTimeout >= 0 {
				liftReadDeadline(w)
			}
			w, done := m.watchSession(w, r, &st)
			defer done()
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), decisionKey{}, dec)))
			return
		}
		ev := m.evaluate(w, r)
		if ev.denial != nil {
			m.deny(w, r, ev.denial)
			return
		}
		r2 := r.WithContext(context.WithValue(r.Context(), decisionKey{}, ev.decision))
		w, done := m.watchSession(w, r, &ev.session)
		defer done()
		if len(ev.lists) > 0 {
			fw := m.newListFilter(w, r2, ev)
			defer fw.finish()
			next.ServeHTTP(fw, r2)
			return
		}
		next.ServeHTTP(w, r2)
	})
}

// Check authorizes r as [Middleware.Handler] would, without writing a
// response or calling a handler. For a POST it reads the body and replaces
// r.Body with an identical copy, so r can still be served. It returns the
// decision and, when the request is denied, a *[Denial] error. Check binds
// no session: only [Middleware.Handler] sees the server create one.
func (m *Middleware) Check(r *http.Request) (*Decision, error) {
	switch r.Method {
	case http.MethodPost:
	case http.MethodOptions:
		return &Decision{Allowed: true, Bypassed: true}, nil
	default:
		id, d := m.identify(r)
		if d != nil {
			m.tel.refuse(r.Context(), d)
			return &Decision{Reason: d.Reason}, d
		}
		if _, d := m.checkSession(r, id); d != nil {
			m.tel.refuse(r.Context(), d)
			return &Decision{Reason: d.Reason, Identity: id}, d
		}
		return &Decision{Allowed: true, Bypassed: true, Identity: id}, nil
	}
	ev := m.evaluate(nil, r)
	if ev.denial != nil {
		m.tel.refuse(r.Context(), ev.denial)
		return ev.decision, ev.denial
	}
	return ev.decision, nil
}

// Purge empties the decision cache, for example after a policy change.
// With [Options.Notifier] it also publishes the purge to the other
// instances (a failure is logged; they then keep their decisions until
// their TTL).
func (m *Middleware) Purge() {
	m.cache.purge()
	m.announce(purgeMessage)
}

// InvalidateUser removes the cached decisions of one user key. With
// [Options.Notifier] it also publishes the invalidation, user key included,
// to the other instances.
func (m *Middleware) InvalidateUser(userKey string) {
	m.cache.invalidateUser(userKey)
	m.announce(userMessagePrefix + userKey)
}

// Stats returns the decision cache counters.
func (m *Middleware) Stats() CacheStats { return m.cache.stats() }

// evaluation is the full outcome of evaluating one POST request.
type evaluation struct {
	decision *Decision
	denial   *Denial
	dec      Decision // backs decision
	checks   [1]Check // backs decision.Checks for single requests
	check    Check    // the mapped check of a single request
	req      Request  // the mapping request of a single message
	// lists maps the raw id of each list request to its list method, for
	// per-item filtering of the response.
	lists    map[string]string
	identity *Identity
	tenant   string
	batch    bool
	session  sessionState
}

// identify identifies the caller or returns the denial for an
// unauthenticated request.
func (m *Middleware) identify(r *http.Request) (*Identity, *Denial) {
	id, err := m.ident.identify(r)
	if err == nil {
		return id, nil
	}
	return nil, m.identityDenial(r, err)
}

// identifyPresented identifies the caller when the request presents a
// credential; see identifier.identifyPresented. A nil identity and denial
// means anonymous.
func (m *Middleware) identifyPresented(r *http.Request) (*Identity, *Denial) {
	id, err := m.ident.identifyPresented(r)
	if err == nil {
		return id, nil
	}
	return nil, m.identityDenial(r, err)
}

// identityDenial is the denial for an identification failure.
func (m *Middleware) identityDenial(r *http.Request, err error) *Denial {
	if errors.Is(err, ErrForbidden) {
		// Identified, but the request lacks what the configuration requires
		// (a tenant): a new token would not help, so 403, not 401.
		m.logger.LogAttrs(r.Context(), slog.LevelWarn, "mcpauth: request refused before the check",
			slog.String("method", r.Method), slog.String("error", err.Error()))
		return &Denial{
			Status:  http.StatusForbidden,
			Code:    m.opts.Deny.Code,
			Message: m.opts.Deny.Message,
			Reason:  "no tenant",
			Err:     err,
		}
	}
	reason := "no valid identity"
	m.logger.LogAttrs(r.Context(), slog.LevelWarn, "mcpauth: unauthenticated request",
		slog.String("method", r.Method), slog.String("reason", reason), slog.String("error", err.Error()))
	return &Denial{
		Status:       http.StatusUnauthorized,
		Code:         m.opts.Deny.Code,
		Message:      "Unauthenticated",
		Reason:       reason,
		Err:          fmt.Errorf("%w: %w", ErrUnauthenticated, err),
		invalidToken: invalidCredential(err),
	}
}

var errBodyTooLarge = errors.New("mcpauth: request body too large")

// readBody reads at most max bytes of r's body and replaces r.Body with an
// identical, re-readable copy. The buffer grows as bytes arrive; it is never
// sized from the declared Content-Length, so a request that declares a large
// body and sends little reserves little.
func readBody(r *http.Request, max int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > max {
		return nil, errBodyTooLarge
	}
	// A small first buffer serves the common small request in one read.
	limit := int(max) + 1
	size := readBodyChunk
	if r.ContentLength >= 0 && r.ContentLength < int64(size) {
		size = int(r.ContentLength) + 1
	}
	buf := make([]byte, 0, min(size, limit))
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Body.Read(buf[len(buf):min(cap(buf), limit)])
		buf = buf[:len(buf)+n]
		if len(buf) > int(max) {
			return nil, errBodyTooLarge
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	rb := &replayBody{orig: r.Body}
	rb.Reset(buf)
	r.Body = rb
	return buf, nil
}

// readBodyTimed reads the body as readBody does, within
// Limits.BodyReadTimeout when w can set the connection's read deadline.
// Once the body is read whole it lifts the deadline, so that neither its own nor
// the server's ReadTimeout cuts a long response (an SSE stream): a read
// deadline ends the request's context once the connection is idle.
func (m *Middleware) readBodyTimed(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	d := m.opts.Limits.BodyReadTimeout
	if w == nil || d < 0 {
		return readBody(r, max)
	}
	if err := setReadDeadline(w, time.Now().Add(d)); err != nil {
		// The writer cannot set deadlines (a test recorder, a framework's
		// writer without Unwrap): the server's own ReadTimeout applies.
		return readBody(r, max)
	}
	body, err := readBody(r, max)
	if err == nil {
		_ = setReadDeadline(w, time.Time{})
	}
	// On an error the deadline stays: the server's drain of the unread
	// body before answering must not wait on a stalled client.
	return body, err
}

// liftReadDeadline lifts the connection's read deadline for a request with
// no body to read (GET opens an SSE stream that a server's ReadTimeout would
// otherwise end).
func liftReadDeadline(w http.ResponseWriter) {
	_ = setReadDeadline(w, time.Time{})
}

// setReadDeadline is http.ResponseController's SetReadDeadline without its
// allocation: it unwraps w until a writer can set the deadline.
func setReadDeadline(w http.ResponseWriter, t time.Time) error {
	for {
		switch u := w.(type) {
		case interface{ SetReadDeadline(time.Time) error }:
			return u.SetReadDeadline(t)
		case interface{ Unwrap() http.ResponseWriter }:
			w = u.Unwrap()
		default:
			return http.ErrNotSupported
		}
	}
}

// readBodyChunk is the first buffer size of readBody.
const readBodyChunk = 8 << 10

// replayBody serves the body the middleware read; closing it closes the
// original body.
type replayBody struct {
	bytes.Reader
	orig io.Closer
}

func (b *replayBody) Close() error { return b.orig.Close() }

// isJSON reports whether the Content-Type is application/json.
func isJSON(ct string) bool {
	if ct == "application/json" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == "application/json"
}

// evaluate decodes and authorizes a POST request. w is the response writer
// when serving (nil from Check): it bounds the time to read the body.
func (m *Middleware) evaluate(w http.ResponseWriter, r *http.Request) *evaluation {
	ev := &evaluation{}
	ev.decision = &ev.dec
	ev.dec.Checks = ev.checks[:0]
	fail := func(d *Denial) *evaluation {
		ev.denial = d
		ev.decision.Allowed = false
		ev.decision.Reason = d.Reason
		return ev
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return fail(m.protocolDenial(http.StatusUnsupportedMediaType, mcpspec.CodeInvalidRequest,
			"Unsupported Media Type", "content type is not application/json", nil))
	}
	// Identify a caller who presents a credential before reading the body:
	// a bad credential costs no body read.
	id, d := m.identifyPresented(r)
	if d != nil {
		return fail(d)
	}
	if id != nil {
		ev.identity, ev.tenant = id, id.Tenant
	}
	st, d := m.checkSession(r, id)
	if d != nil {
		ev.decision.Identity = id
		return fail(d)
	}
	ev.session = st
	max := m.maxBody
	if id == nil {
		// No credential: only what needs no identity can pass. A client on
		// protocol 2026-07-28 names the method in a header (checked against
		// the body below), so what needs an identity is refused unread.
		if v := r.Header["Mcp-Method"]; len(v) == 1 && m.needsIdentity(v[0], r.Header["Mcp-Name"]) {
			return fail(m.unauthenticated(r))
		}
		max = m.maxAnon
	}
	body, err := m.readBodyTimed(w, r, max)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return fail(m.protocolDenial(http.StatusRequestTimeout, mcpspec.CodeInvalidRequest, "Request Timeout",
				"body not received within "+m.opts.Limits.BodyReadTimeout.String(), err))
		}
		if errors.Is(err, errBodyTooLarge) && max < m.maxBody {
			return fail(m.unauthenticated(r))
		}
		if errors.Is(err, errBodyTooLarge) {
			return fail(m.protocolDenial(http.StatusRequestEntityTooLarge, mcpspec.CodeInvalidRequest,
				"Request Entity Too Large", "body exceeds "+strconv.FormatInt(m.maxBody, 10)+" bytes", err))
		}
		return fail(m.protocolDenial(http.StatusBadRequest, mcpspec.CodeParseError, "Parse error", "body could not be read", err))
	}
	msgs, batch, err := jsonrpc.Decode(body)
	if err != nil {
		var je *jsonrpc.Error
		if errors.As(err, &je) {
			return fail(m.protocolDenial(http.StatusBadRequest, je.Code, codeMessage(je.Code), je.Message, err))
		}
		return fail(m.protocolDenial(http.StatusBadRequest, mcpspec.CodeParseError, "Parse error", "malformed JSON", err))
	}
	if batch && !m.opts.AllowBatch {
		return fail(m.protocolDenial(http.StatusBadRequest, mcpspec.CodeInvalidRequest, "Invalid Request",
			"batch requests are not supported", nil))
	}
	if !batch {
		if reason := headerMismatch(r.Header, &msgs[0]); reason != "" {
			return fail(m.protocolDenial(http.StatusBadRequest, mcpspec.CodeInvalidRequest, "Invalid Request", reason, nil))
		}
	}
	ev.batch = batch
	if st.id == "" {
		for i := range msgs {
			if msgs[i].Method == mcpspec.Initialize {
				ev.session.creates = true
			}
		}
	}
	if batch {
		ev.decision.Method = "batch"
	} else {
		ev.decision.Method = msgs[0].Method
	}
	allCached, checked := true, false
	for i := range msgs {
		msg := &msgs[i]
		d, cached, did := m.authorizeMessage(r, ev, msg)
		if did {
			checked = true
			allCached = allCached && cached
		}
		if d != nil {
			if batch {
				d.batch = true
				d.batchIDs = batchIDs(msgs)
			}
			return fail(d)
		}
	}
	ev.decision.Allowed = true
	ev.decision.Bypassed = !checked && len(ev.lists) == 0
	ev.decision.Cached = checked && allCached
	ev.decision.Identity = ev.identity
	return ev
}

// needsIdentity reports whether a request for method (with the Mcp-Name
// header values name) cannot pass without an identity.
func (m *Middleware) needsIdentity(method string, name []string) bool {
	if m.bypassed(method) {
		return false
	}
	if method == MethodToolsCall && m.public != nil && len(name) == 1 {
		if n, ok := decodeNameHeader(name[0]); ok && m.public[n] {
			return false
		}
	}
	return true
}

// unauthenticated is the denial for a request that needs an identity and
// presents no credential.
func (m *Middleware) unauthenticated(r *http.Request) *Denial {
	if _, d := m.identify(r); d != nil {
		return d
	}
	// identify found a credential identifyPresented did not see: refuse
	// all the same.
	return &Denial{
		Status:  http.StatusUnauthorized,
		Code:    m.opts.Deny.Code,
		Message: "Unauthenticated",
		Reason:  "no valid identity",
		Err:     ErrUnauthenticated,
	}
}

// decodeNameHeader decodes an Mcp-Name header value, which is either the
// name itself or "=?base64?<base64 of the name>?=".
func decodeNameHeader(v string) (string, bool) {
	if strings.HasPrefix(v, "=?base64?") && strings.HasSuffix(v, "?=") && len(v) >= len("=?base64??=") {
		b, err := base64.StdEncoding.DecodeString(v[len("=?base64?") : len(v)-len("?=")])
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	return v, true
}

// headerMismatch cross-checks the Mcp-Method and Mcp-Name headers that
// clients send from protocol 2026-07-28 on against the body, which is what
// the middleware authorizes. Servers reject a mismatch too; refusing it here
// keeps a confused proxy or server from acting on the header instead.
func headerMismatch(h http.Header, msg *jsonrpc.Message) string {
	if v, ok := h["Mcp-Method"]; ok && msg.HasMethod {
		if len(v) != 1 || v[0] != msg.Method {
			return "Mcp-Method header does not match the body"
		}
	}
	v, ok := h["Mcp-Name"]
	if !ok {
		return ""
	}
	var name string
	switch msg.Method {
	case MethodToolsCall, MethodPromptsGet:
		name = msg.Name
	case MethodResourcesRead:
		name = msg.URI
	default:
		return ""
	}
	if len(v) != 1 {
		return "Mcp-Name header does not match the body"
	}
	got, ok := decodeNameHeader(v[0])
	if !ok {
		return "Mcp-Name header is not valid base64"
	}
	if got != name {
		return "Mcp-Name header does not match the body"
	}
	return ""
}

func batchIDs(msgs []jsonrpc.Message) []json.RawMessage {
	var ids []json.RawMessage
	for i := range msgs {
		if msgs[i].HasMethod && msgs[i].ID != nil {
			ids = append(ids, msgs[i].ID)
		}
	}
	return ids
}

func codeMessage(code int) string {
	switch code {
	case mcpspec.CodeParseError:
		return "Parse error"
	case mcpspec.CodeInvalidRequest:
		return "Invalid Request"
	case mcpspec.CodeInvalidParams:
		return "Invalid params"
	}
	return "Invalid Request"
}

func (m *Middleware) protocolDenial(status, code int, msg, reason string, err error) *Denial {
	if err == nil {
		err = ErrMalformedRequest
	} else {
		err = fmt.Errorf("%w: %w", ErrMalformedRequest, err)
	}
	return &Denial{Status: status, Code: code, Message: msg, Reason: reason, Err: err, protocol: true}
}

func (m *Middleware) bypassed(method string) bool {
	for _, p := range m.bypass {
		if matchMethod(p, method) {
			return true
		}
	}
	return false
}

// authorizeMessage authorizes one JSON-RPC message. It returns a denial or
// nil, whether the decision came from the cache, and whether a check was
// made.
func (m *Middleware) authorizeMessage(r *http.Request, ev *evaluation, msg *jsonrpc.Message) (*Denial, bool, bool) {
	if msg.IsResponse {
		return nil, false, false
	}
	if m.bypassed(msg.Method) || (msg.Method == MethodToolsCall && m.public != nil && msg.HasName && m.public[msg.Name]) {
		m.tel.decided(r.Context(), msg.Method, msg.Name, outAllow, srcBypass)
		if !m.opts.DisableAudit && m.logger.Enabled(r.Context(), slog.LevelDebug) {
			m.audit(r.Context(), &Request{Method: msg.Method, Name: msg.Name, Identity: ev.identity, Tenant: ev.tenant},
				nil, nil, 0, sourceBypass)
		}
		return nil, false, false
	}
	if ev.identity == nil {
		id, d := m.identify(r)
		if d != nil {
			d.Method, d.ID = msg.Method, msg.ID
			return d, false, false
		}
		ev.identity = id
		ev.tenant = id.Tenant
	}
	if len(msg.Arguments) > 0 {
		if err := jsonrpc.CheckSize(msg.Arguments, m.opts.Limits.MaxArgumentValues, m.opts.Limits.MaxArgumentDepth,
			`"params.arguments"`); err != nil {
			return m.invalidParams(msg, err.(*jsonrpc.Error).Message, err), false, false
		}
	}
	req := &ev.req
	if req.HTTP != nil {
		// A batch: every message after the first gets its own Request.
		req = new(Request)
	}
	*req = Request{
		HTTP:     r,
		Method:   msg.Method,
		ID:       msg.ID,
		Params:   msg.Params,
		Name:     msg.Name,
		URI:      msg.URI,
		Identity: ev.identity,
		Tenant:   ev.tenant,
	}
	c, ok, err := m.mapMessage(r.Context(), req, msg, &ev.check, !ev.batch)
	if err != nil {
		var pe *paramsError
		switch {
		case errors.As(err, &pe):
			return m.invalidParams(msg, pe.reason, pe.err), false, false
		case errors.Is(err, ErrNoMapping):
			d := m.forbidden(msg, nil, "method "+strconv.Quote(msg.Method)+" is not allowed", err)
			m.tel.decided(r.Context(), msg.Method, msg.Name, outDeny, srcMapping)
			m.audit(r.Context(), req, nil, d, 0, sourceMapping)
			return d, false, false
		default:
			return m.invalidParams(msg, "request cannot be authorized", err), false, false
		}
	}
	if mcpspec.IsList(msg.Method) && msg.ID != nil && (m.filtering || m.observesTools(msg.Method)) {
		if ev.lists == nil {
			ev.lists = make(map[string]string, 1)
		}
		ev.lists[canonicalID(msg.ID)] = msg.Method
	}
	if !ok || c == nil {
		return nil, false, false
	}
	// One tool, one action: refuse a tool whose action a listed tool with
	// another name shares (ambiguous.go).
	if msg.Method == MethodToolsCall {
		if reason, ambiguous := m.ambiguousTool(msg.Name); ambiguous {
			d := m.forbidden(msg, c, reason, ErrAmbiguousTool)
			m.tel.decided(r.Context(), msg.Method, msg.Name, outDeny, srcMapping)
			m.audit(r.Context(), req, c, d, 0, sourceMapping)
			return d, false, true
		}
	}
	// Latency is measured only for the audit record.
	timed := !m.opts.DisableAudit && m.logger.Enabled(r.Context(), slog.LevelWarn)
	var start time.Time
	if timed {
		start = time.Now()
	}
	allow, cached, err := m.decide(r.Context(), req, c, ev.identity) // m.cache.decide, with telemetry
	var elapsed time.Duration
	if timed {
		elapsed = time.Since(start)
	}
	ev.decision.Checks = append(ev.decision.Checks, *c)
	if err != nil {
		d := m.forbidden(msg, c, "authorization system error", fmt.Errorf("%w: %w", ErrDecisionFailed, err))
		m.audit(r.Context(), req, c, d, elapsed, decisionSource(cached))
		return d, cached, true
	}
	if !allow {
		d := m.forbidden(msg, c, denyReason(c), ErrForbidden)
		m.audit(r.Context(), req, c, d, elapsed, decisionSource(cached))
		return d, cached, true
	}
	m.audit(r.Context(), req, c, nil, elapsed, decisionSource(cached))
	return nil, cached, true
}

func denyReason(c *Check) string {
	target := c.Resource.Type
	if c.Resource.Key != "" {
		target += " " + strconv.Quote(c.Resource.Key)
	}
	return "user " + strconv.Quote(c.User.Key) + " may not " + strconv.Quote(c.Action) + " on " + target
}

func (m *Middleware) forbidden(msg *jsonrpc.Message, c *Check, reason string, err error) *Denial {
	status := http.StatusOK
	if msg.ID == nil {
		status = http.StatusForbidden
	} else if msg.Method == MethodToolsCall && m.opts.Deny.ToolCall == ToolDenyHTTP403 {
		status = http.StatusForbidden
	}
	return &Denial{
		Status:  status,
		Code:    m.opts.Deny.Code,
		Message: m.opts.Deny.Message,
		Reason:  reason,
		Method:  msg.Method,
		ID:      msg.ID,
		Check:   c,
		Err:     err,
		tool:    msg.Name,
	}
}

func (m *Middleware) invalidParams(msg *jsonrpc.Message, reason string, err error) *Denial {
	code := mcpspec.CodeInvalidParams
	var je *jsonrpc.Error
	if errors.As(err, &je) && je.Code != 0 {
		code = je.Code
	}
	status := http.StatusOK
	if msg.ID == nil {
		status = http.StatusBadRequest
	}
	return &Denial{
		Status:   status,
		Code:     code,
		Message:  codeMessage(code),
		Reason:   reason,
		Method:   msg.Method,
		ID:       msg.ID,
		Err:      fmt.Errorf("%w: %w", ErrMalformedRequest, err),
		protocol: true,
	}
}

// Where a decision came from, as the audit record's "source" says.
const (
	sourceBypass  = "bypass"  // a bypassed method or public tool: nothing was asked
	sourceMapping = "mapping" // decided by the mapping (no rule): nothing was asked
	sourceCache   = "cache"   // answered by the decision cache
	sourcePDP     = "pdp"     // answered (or failed) by the decision point
)

func decisionSource(cached bool) string {
	if cached {
		return sourceCache
	}
	return sourcePDP
}

// audit writes one record per decision: allow at Info, deny at Warn, and
// bypassed messages (which need no decision) at Debug.
func (m *Middleware) audit(ctx context.Context, req *Request, c *Check, d *Denial, elapsed time.Duration, source string) {
	if m.opts.DisableAudit {
		return
	}
	level := slog.LevelInfo
	switch {
	case d != nil:
		level = slog.LevelWarn
	case source == sourceBypass:
		level = slog.LevelDebug
	}
	if !m.logger.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 12)
	decision := "allow"
	if d != nil {
		decision = "deny"
	}
	user := ""
	if req.Identity != nil {
		user = req.Identity.User.Key
	}
	attrs = append(attrs,
		slog.String("decision", decision),
		slog.String("user", user),
		slog.String("tenant", req.Tenant),
		slog.String("method", req.Method),
	)
	if req.Method == MethodToolsCall {
		// The raw name: tool names that differ only in characters the
		// action mapping folds share an action, so the action alone does
		// not say which tool ran.
		attrs = append(attrs, slog.String("tool_name", req.Name))
	}
	if c != nil {
		attrs = append(attrs,
			slog.String("resource", c.Resource.Type),
			slog.String("action", c.Action))
		if c.Resource.Key != "" {
			attrs = append(attrs, slog.String("resource_key", c.Resource.Key))
		}
	}
	if req.Identity != nil && req.Identity.Principal != nil && req.Identity.Principal.ClientID != "" {
		attrs = append(attrs, slog.String("client_id", req.Identity.Principal.ClientID))
	}
	attrs = append(attrs, slog.String("source", source))
	if source == sourcePDP {
		attrs = append(attrs, slog.Duration("latency", elapsed))
	}
	if d != nil {
		attrs = append(attrs, slog.String("reason", d.Reason))
		if errors.Is(d.Err, ErrDecisionFailed) {
			attrs = append(attrs, slog.String("error", d.Err.Error()))
		}
	}
	if m.opts.AuditArguments && req.Arguments != nil {
		attrs = append(attrs, slog.Any("arguments", req.Arguments))
	}
	m.logger.LogAttrs(ctx, level, "mcpauth decision", attrs...)
}
