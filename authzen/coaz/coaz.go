// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package coaz

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/authzen"
)

// Defaults of [Options].
const (
	DefaultSubjectClaim       = "sub"
	DefaultCostLimit          = 10000
	DefaultMaxMappingBytes    = 64 << 10
	DefaultMaxExpressions     = 256
	DefaultMaxExpressionBytes = 4096
	DefaultMaxEvaluations     = 64
	DefaultMaxTools           = 10000
)

// JSON-RPC error codes of the binding (section "Error Handling").
const (
	// CodeDenied is the code of an authorization denial.
	CodeDenied = -32001
	// CodeMappingError is the code of a mapping error (JSON-RPC Invalid
	// params).
	CodeMappingError = -32602
	// CodePDPError is the code of a PDP communication failure (JSON-RPC
	// Internal error).
	CodePDPError = -32603
)

// PassThrough are the methods the binding lets through without asking the
// PDP: ping and every notification. [Mapping.Configure] makes them the
// middleware's BypassMethods.
var PassThrough = []string{"ping", "notifications/*"}

// Options configures [New]. The zero value (or nil) uses the defaults.
type Options struct {
	// SubjectClaim is the subject-identity claim (section "The
	// Subject-Identity Claim"): the token claim every subject.id must equal.
	// Default "sub"; set an on-behalf-of claim agreed with the token issuer.
	SubjectClaim string

	// ServerID is this MCP server's resource identifier (RFC 8707). When
	// set, the default mappings of server-wide methods use it as
	// resource.id; otherwise they resolve the token's aud claim: a string,
	// or an array of exactly one string (anything else is a mapping error).
	ServerID string

	// CostLimit bounds the CEL runtime cost of one expression evaluation;
	// an expression over it fails (a mapping error). Default 10,000.
	CostLimit uint64

	// MaxMappingBytes, MaxExpressions, MaxExpressionBytes and
	// MaxEvaluations bound a declared mapping: its JSON size (default 64
	// KiB), its number of expressions (256), the size of one expression
	// (4096 code points) and its number of evaluations (64). A mapping
	// over a bound is malformed.
	MaxMappingBytes    int
	MaxExpressions     int
	MaxExpressionBytes int
	MaxEvaluations     int

	// MaxTools bounds the number of tools whose declarations are kept.
	// Past it, a tools/call of a tool not seen before is a mapping error
	// rather than falling back to the default mapping. Default 10,000.
	MaxTools int

	// Logger receives a Warn record for every malformed declared mapping
	// seen in a tools/list result. Nil discards them.
	Logger *slog.Logger
}

// Mapping is the COAZ-MCP mapping: an [mcpauth.MappingFunc] building
// AuthZEN requests from the binding's default mappings and from the
// mappings tools declare in tools/list results. It is safe for concurrent
// use.
type Mapping struct {
	opts     Options
	comp     *compiler
	defaults map[string]*compiled
	logger   *slog.Logger

	mu       sync.RWMutex         // guards declared and overflow
	declared map[string]*declared // by tool name
	overflow bool                 // a declaration was dropped for MaxTools
}

// declared is what a tool declares: its mapping, compiled, or why it is
// malformed.
type declared struct {
	canon []byte // the mapping's canonical JSON, to skip recompiling
	m     *compiled
	err   error
}

// New compiles the default mappings and returns a [Mapping].
func New(opts *Options) (*Mapping, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	orDefault(&o.SubjectClaim, DefaultSubjectClaim)
	orDefault(&o.CostLimit, DefaultCostLimit)
	orDefault(&o.MaxMappingBytes, DefaultMaxMappingBytes)
	orDefault(&o.MaxExpressions, DefaultMaxExpressions)
	orDefault(&o.MaxExpressionBytes, DefaultMaxExpressionBytes)
	orDefault(&o.MaxEvaluations, DefaultMaxEvaluations)
	orDefault(&o.MaxTools, DefaultMaxTools)
	if o.MaxMappingBytes < 0 || o.MaxExpressions < 0 || o.MaxExpressionBytes < 0 || o.MaxEvaluations < 0 || o.MaxTools < 0 {
		return nil, errors.New("coaz: Options: negative limit")
	}
	env, err := newEnv(o.MaxExpressionBytes)
	if err != nil {
		return nil, fmt.Errorf("coaz: %w", err)
	}
	m := &Mapping{
		opts:     o,
		comp:     &compiler{env: env, cost: o.CostLimit},
		defaults: make(map[string]*compiled, len(defaultMappings)),
		declared: make(map[string]*declared),
		logger:   o.Logger,
	}
	if m.logger == nil {
		m.logger = slog.New(slog.DiscardHandler)
	}
	for method, src := range defaultMappings {
		v, err := decodeStrict([]byte(src))
		if err != nil {
			return nil, fmt.Errorf("coaz: default mapping of %s: %w", method, err)
		}
		c := &compiler{env: env, cost: o.CostLimit, maxExprs: o.MaxExpressions, defaults: true}
		cm, err := c.compileMapping(v, o.MaxEvaluations)
		if err != nil {
			return nil, fmt.Errorf("coaz: default mapping of %s: %w", method, err)
		}
		m.defaults[method] = cm
	}
	return m, nil
}

func orDefault[T comparable](p *T, def T) {
	var zero T
	if *p == zero {
		*p = def
	}
}

// Configure sets opts up for the binding: Mapping and OnToolsList (kept
// and called too when already set) to m; BypassMethods, when nil, to
// [PassThrough] (so initialize and every other method is mapped);
// ListFiltering to [mcpauth.ListCheckOnly], since the binding authorizes
// list methods as a whole; Deny.Code, when zero, to [CodeDenied]; and,
// when Deny.Handler is nil, a handler answering decision failures with
// [CodePDPError] as a JSON-RPC error. Mapping errors are answered by the
// middleware with [CodeMappingError].
//
// Use it with an [mcpauth.AuthZEN] authorizer: the checks m returns carry
// their AuthZEN request under [mcpauth.ContextAuthZENRequest], which other
// authorizers ignore.
func (m *Mapping) Configure(opts *mcpauth.Options) {
	opts.Mapping = m.Map
	if prev := opts.OnToolsList; prev != nil {
		opts.OnToolsList = func(r *http.Request, tools []json.RawMessage) {
			prev(r, tools)
			m.ObserveTools(r, tools)
		}
	} else {
		opts.OnToolsList = m.ObserveTools
	}
	if opts.BypassMethods == nil {
		opts.BypassMethods = append([]string(nil), PassThrough...)
	}
	opts.ListFiltering = mcpauth.ListCheckOnly
	if opts.Deny.Code == 0 {
		opts.Deny.Code = CodeDenied
	}
	if opts.Deny.Handler == nil {
		expose, style, rm := opts.Deny.ExposeReason, opts.Deny.ToolCall, opts.ResourceMetadataURL
		opts.Deny.Handler = func(w http.ResponseWriter, r *http.Request, d *mcpauth.Denial) {
			if errors.Is(d.Err, mcpauth.ErrDecisionFailed) {
				pd := *d
				pd.Code, pd.Message = CodePDPError, "Authorization service unavailable"
				mcpauth.WriteDenial(w, &pd, expose, mcpauth.ToolDenyError, rm)
				return
			}
			mcpauth.WriteDenial(w, d, expose, style, rm)
		}
	}
}

// ObserveTools records the mappings that tools declare in
// inputSchema["x-authzen-mapping"]: it is the [mcpauth.Options.OnToolsList]
// hook. A tool that declares none goes back to the default tools/call
// mapping; a malformed declaration is kept as such, so that calls of the
// tool fail with a mapping error instead of falling back.
func (m *Mapping) ObserveTools(r *http.Request, tools []json.RawMessage) {
	for _, raw := range tools {
		name, mapping, has, err := readTool(raw, m.opts.MaxMappingBytes)
		if name == "" {
			continue
		}
		d := &declared{err: err}
		if err == nil && has {
			d.canon, _ = json.Marshal(mapping)
			if prev := m.lookup(name); prev != nil && prev.err == nil && string(prev.canon) == string(d.canon) {
				continue
			}
			c := &compiler{env: m.comp.env, cost: m.opts.CostLimit, maxExprs: m.opts.MaxExpressions}
			d.m, d.err = c.compileMapping(mapping, m.opts.MaxEvaluations)
		}
		if d.err != nil {
			m.logger.LogAttrs(r.Context(), slog.LevelWarn, "coaz: malformed x-authzen-mapping; calls of the tool will be refused",
				slog.String("tool", name), slog.String("error", d.err.Error()))
		}
		m.mu.Lock()
		switch {
		case err == nil && !has:
			delete(m.declared, name)
		case m.declared[name] == nil && len(m.declared) >= m.opts.MaxTools:
			m.overflow = true
		default:
			m.declared[name] = d
		}
		m.mu.Unlock()
	}
}

func (m *Mapping) lookup(name string) *declared {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.declared[name]
}

// readTool returns a tool's name and its declared mapping, if any. A tool
// whose JSON or mapping is malformed still gives its name when it can be
// read, with the error.
func readTool(raw []byte, maxBytes int) (name string, mapping any, has bool, err error) {
	v, err := decodeStrict(raw)
	if err != nil {
		var loose struct {
			Name string `json:"name"`
		}
		_ = json.Unmarshal(raw, &loose)
		return loose.Name, nil, true, fmt.Errorf("tool: %w", err)
	}
	tool, _ := v.(map[string]any)
	name, _ = tool["name"].(string)
	schema, _ := tool["inputSchema"].(map[string]any)
	mapping, has = schema["x-authzen-mapping"]
	if has && len(raw) > maxBytes {
		if b, _ := json.Marshal(mapping); len(b) > maxBytes {
			return name, nil, true, fmt.Errorf("x-authzen-mapping larger than %d bytes", maxBytes)
		}
	}
	return name, mapping, has, nil
}

// Map is the [mcpauth.MappingFunc]: it selects the declared mapping of a
// tools/call when the tool declared one, else the default mapping of the
// method, resolves it against the request's params and the caller's token
// claims, and returns a check carrying the AuthZEN request under
// [mcpauth.ContextAuthZENRequest]. A method without a mapping is an error
// wrapping [mcpauth.ErrNoMapping] (an authorization denial); any other
// error is a mapping error (JSON-RPC Invalid params). r is read as the
// middleware fills it: Name and URI, when not empty, are params.name and
// params.uri, and Arguments, when not nil, is params.arguments; params is
// decoded only when an expression needs more.
func (m *Mapping) Map(_ context.Context, r *mcpauth.Request) (*mcpauth.Check, bool, error) {
	if r.ListMethod != "" {
		// The binding authorizes list methods as a whole: list filtering
		// has no COAZ meaning (Configure turns it off).
		return nil, false, fmt.Errorf("%w: COAZ has no per-item list checks", mcpauth.ErrNoMapping)
	}
	cm := m.defaults[r.Method]
	if r.Method == mcpauth.MethodToolsCall {
		m.mu.RLock()
		d, overflow := m.declared[r.Name], m.overflow
		m.mu.RUnlock()
		switch {
		case d != nil && d.err != nil:
			return nil, false, fmt.Errorf("COAZ mapping error: tool %q declares a malformed mapping: %v", r.Name, d.err)
		case d != nil:
			cm = d.m
		case overflow:
			return nil, false, fmt.Errorf("COAZ mapping error: tool %q: too many tools declared to tell whether it declares a mapping", r.Name)
		}
	}
	if cm == nil {
		return nil, false, fmt.Errorf("%w %q", mcpauth.ErrNoMapping, r.Method)
	}
	req, err := m.resolveRequest(cm, r)
	if err != nil {
		return nil, false, err
	}
	// The check names the first effective evaluation (the top-level
	// members are the defaults of the entries).
	action, resource := req.Action, req.Resource
	if len(req.Evaluations) > 0 {
		if e := req.Evaluations[0]; e.Action != nil {
			action = e.Action
		}
		if e := req.Evaluations[0]; e.Resource != nil {
			resource = e.Resource
		}
	}
	return &mcpauth.Check{
		User:     mcpauth.User{Key: req.Subject.ID},
		Action:   action.Name,
		Resource: mcpauth.Resource{Type: resource.Type, Key: resource.ID, Tenant: r.Tenant},
		Context:  map[string]any{mcpauth.ContextAuthZENRequest: req},
	}, true, nil
}

// resolveRequest builds the AuthZEN request of cm for r.
func (m *Mapping) resolveRequest(cm *compiled, r *mcpauth.Request) (*authzen.Request, error) {
	in := inputs{m: m, r: r, token: tokenClaims(r.Identity)}
	sub, _ := in.token[m.opts.SubjectClaim].(string)
	if sub == "" {
		return nil, fmt.Errorf("COAZ mapping error: the token has no %q claim", m.opts.SubjectClaim)
	}
	if r.Method != mcpauth.MethodToolsCall && !isObjectOrAbsent(r.Params) {
		return nil, errors.New("COAZ mapping error: params: not a JSON object")
	}
	req, err := cm.resolve(&in, sub)
	if err != nil {
		return nil, fmt.Errorf("COAZ mapping error: %w", err)
	}
	return req, nil
}

// isObjectOrAbsent tells whether raw params are absent, null or (by their
// first byte; the middleware has checked the rest) an object. Params are
// decoded only when an expression reads them.
func isObjectOrAbsent(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || b[0] == '{' || string(b) == "null"
}

// paramsOf returns the params input variable of r: for tools/call, the
// tool name and the arguments the middleware decoded; for other methods,
// the params object. The middleware has decoded the body strictly (no
// repeated or case-variant member names) before, so plain decoding is
// enough here. Numbers stay json.Number values, which CEL reads as doubles.
func paramsOf(r *mcpauth.Request) (map[string]any, error) {
	if r.Method == mcpauth.MethodToolsCall {
		p := map[string]any{"name": r.Name}
		if r.Arguments != nil {
			p["arguments"] = r.Arguments
		} else if len(r.Params) > 0 {
			var args struct {
				Arguments json.RawMessage `json:"arguments"`
			}
			if err := json.Unmarshal(r.Params, &args); err != nil {
				return nil, errors.New("not a JSON object")
			}
			if len(args.Arguments) > 0 && string(args.Arguments) != "null" {
				v, err := decodeNumbers(args.Arguments)
				if err != nil {
					return nil, err
				}
				p["arguments"] = v
			}
		}
		return p, nil
	}
	if len(r.Params) == 0 || string(r.Params) == "null" {
		return map[string]any{}, nil
	}
	v, err := decodeNumbers(r.Params)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// decodeNumbers decodes one JSON value with numbers as json.Number.
func decodeNumbers(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, errors.New("malformed JSON")
	}
	return v, nil
}

// serverID resolves the server identifier of server-wide default mappings.
func (m *Mapping) serverID(token map[string]any) (string, error) {
	if m.opts.ServerID != "" {
		return m.opts.ServerID, nil
	}
	switch aud := token["aud"].(type) {
	case string:
		if aud != "" {
			return aud, nil
		}
	case []any:
		if len(aud) == 1 {
			if s, ok := aud[0].(string); ok && s != "" {
				return s, nil
			}
		}
	}
	return "", errors.New("$token.aud does not resolve to exactly one server identifier (set Options.ServerID)")
}

// tokenClaims returns the claims the token variable holds: the verified
// JWT's claims in the middleware's JWT mode (User.Attributes["jwt"]);
// otherwise, for a context principal, sub, client_id, aud, scope, email and
// exp from it; otherwise only sub, the user key.
func tokenClaims(id *mcpauth.Identity) map[string]any {
	if id == nil {
		return map[string]any{}
	}
	if claims, ok := id.User.Attributes["jwt"].(map[string]any); ok {
		// Read, never changed.
		return claims
	}
	if p := id.Principal; p != nil {
		t := map[string]any{"sub": p.Subject}
		if p.ClientID != "" {
			t["client_id"] = p.ClientID
		}
		if p.Resource != "" {
			t["aud"] = p.Resource
		}
		if len(p.Scopes) > 0 {
			t["scope"] = strings.Join(p.Scopes, " ")
		}
		if p.Email != "" {
			t["email"] = p.Email
		}
		if !p.Expiry.IsZero() {
			t["exp"] = float64(p.Expiry.Unix())
		}
		return t
	}
	return map[string]any{"sub": id.User.Key}
}
