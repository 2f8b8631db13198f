// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mcpauth/mcpauth/authzen"
	"github.com/mcpauth/mcpauth/internal/loopback"
)

// defaultAuthZENSubjectType is the AuthZEN subject type of translated
// checks when [AuthZENOptions.SubjectType] is empty.
const defaultAuthZENSubjectType = "user"

// defaultAuthZENMetadataTTL is how long discovered PDP metadata is reused
// when [AuthZENOptions.MetadataTTL] is zero.
const defaultAuthZENMetadataTTL = time.Hour

// ContextAuthZENRequest is the [Check.Context] key of a complete AuthZEN
// request. A mapping whose requests cannot be expressed as one Permit-shaped
// check (the COAZ mapping module, authzen/coaz, builds requests with their
// own subject type, context and several evaluations) stores the
// *[authzen.Request] to send under this key. [AuthZEN] then sends that
// request as it is, instead of translating the check, and allows the check
// only when every decision is a permit; the check's other fields serve the
// audit log, the deny reason and the cache (whose key covers the whole
// request). Other authorizers do not know the key: use such mappings with
// [AuthZEN] only.
const ContextAuthZENRequest = "io.github.mcpauth/authzen-request"

// maxAuthZENAnswerBytes caps the body of one PDP answer or metadata
// document.
const maxAuthZENAnswerBytes = 8 << 20

// AuthZENOptions configures [NewAuthZEN].
type AuthZENOptions struct {
	// PDPURL is the PDP identifier (section 9.1 of the AuthZEN
	// specification): its base URL, such as "https://pdp.example.com" or
	// "https://pdp.example.com/tenant1", without query or fragment. Required.
	// Unless Discover is set, requests go to PDPURL+"/access/v1/evaluation"
	// and PDPURL+"/access/v1/evaluations". The scheme must be https, or http
	// for a loopback host (or any host with AllowInsecureHTTP).
	PDPURL string

	// Discover reads the endpoints from the PDP's metadata at
	// /.well-known/authzen-configuration (inserted after the host of
	// PDPURL), fetched on first use and again after MetadataTTL. Metadata
	// whose policy_decision_point is not exactly PDPURL (without a trailing
	// slash) is refused, as are endpoints on another scheme, host or port:
	// requests carry the PDP credential. A PDP whose metadata names no
	// access_evaluations_endpoint gets one Access Evaluation per check.
	Discover bool

	// MetadataTTL is how long discovered metadata is reused. Default
	// 1 hour. When a refresh fails, the previous
	// metadata stays in use and the refresh is retried a minute later.
	MetadataTTL time.Duration

	// BearerToken is sent as "Authorization: Bearer <token>" (an OAuth
	// access token or a static PDP token). At most one of BearerToken,
	// TokenSource and APIKey may be set; none means no credential.
	BearerToken string

	// TokenSource returns the bearer token for each request, for tokens
	// that expire (for example an OAuth client-credentials token source).
	// An error fails the decision.
	TokenSource func(ctx context.Context) (string, error)

	// APIKey is sent in the APIKeyHeader header.
	APIKey string

	// APIKeyHeader is the header carrying APIKey. Default "X-API-Key".
	APIKeyHeader string

	// SubjectType is the subject type of translated checks. Default
	// "user".
	SubjectType string

	// DisableEvaluations never uses the Access Evaluations API: a bulk
	// check sends one Access Evaluation per check.
	DisableEvaluations bool

	// Timeout bounds each HTTP request to the PDP, from sending it to
	// reading the whole answer. Default: HTTPClient.Timeout when HTTPClient
	// is set and has one, otherwise [defaultPDPTimeout]. Negative values
	// are refused.
	Timeout time.Duration

	// HTTPClient supplies the transport (connection pool). Redirects are
	// never followed, whatever its CheckRedirect says: a redirect would take
	// the credential elsewhere. Default: a keep-alive transport cloned from
	// http.DefaultTransport, keeping up to 64 idle
	// connections.
	HTTPClient *http.Client

	// AllowInsecureHTTP accepts an http PDPURL on a host that is not
	// loopback. The specification requires TLS between PEP and PDP; use it
	// only on a network you trust.
	AllowInsecureHTTP bool

	// Logger receives a Debug record per PDP request and a Warn record per
	// failed one. Credentials are never logged. Nil discards them.
	Logger *slog.Logger
}

// AuthZEN is an [Authorizer] that asks any policy decision point speaking
// the OpenID AuthZEN Authorization API 1.0. It is safe for concurrent use;
// the middleware's decision cache and coalescing apply to it as to any
// Authorizer.
//
// # Translation
//
// A [Check] becomes an AuthZEN evaluation as follows (see
// [CheckToAuthZEN]; the policy package's Handler applies the inverse,
// [CheckFromAuthZEN]):
//
//	Check                   AuthZEN
//	User.Key                subject.id
//	(SubjectType)           subject.type ("user" by default)
//	User.Attributes         subject.properties
//	Action                  action.name
//	Resource.Type           resource.type
//	Resource.Key            resource.id; the type itself when Key is empty
//	                        (AuthZEN requires an id)
//	Resource.Attributes     resource.properties
//	Resource.Tenant         resource.properties.tenant ("default" when empty)
//	Context                 context
//
// A check carrying an AuthZEN request under [ContextAuthZENRequest] is not
// translated: that request is sent as it is.
//
// # Requests
//
// Allowed sends one Access Evaluation (POST {PDPURL}/access/v1/evaluation,
// or the metadata's access_evaluation_endpoint) and allows the check when
// the answer's decision is true. AllowedBulk, which list filtering uses,
// sends one Access Evaluations request with the execute_all semantic, the
// subject and context moved to the top level when every check shares them;
// it falls back to one Access Evaluation per check when the PDP lacks the
// API (no access_evaluations_endpoint in its metadata, or, without
// discovery, an answer of 404, 405 or 501, which is remembered).
//
// Every request carries Content-Type and Accept application/json, the
// credential, and a fresh random X-Request-ID; an answer echoing another
// X-Request-ID is refused.
//
// # Failures
//
// Only HTTP 200 with an application/json body holding the decision(s) is an
// answer. Everything else (transport errors, timeouts, other statuses, a
// body that is not one JSON object without repeated members, a missing or
// non-boolean decision, the wrong number of decisions, redirects, the
// caller's context ending) is a [*DecisionError] wrapping
// [ErrDecisionFailed], which the middleware treats as a deny. Decision
// contexts (reasons, obligations) are not interpreted. Error messages never
// contain credentials.
type AuthZEN struct {
	pdp         string // the identifier, without a trailing slash
	origin      string // scheme://host[:port] of the identifier
	logURL      string // the identifier for logs
	client      *http.Client
	timeout     time.Duration
	bearer      string
	tokens      func(context.Context) (string, error)
	keyHeader   string
	apiKey      string
	subjectType string
	discover    bool
	ttl         time.Duration
	batchOff    bool
	logger      *slog.Logger
	static      *azEndpoints

	eps     atomic.Pointer[azEndpoints] // discovered endpoints
	fetchMu sync.Mutex                  // serializes metadata fetches
	noBatch atomic.Bool                 // the PDP answered that it has no Access Evaluations API
}

var _ Authorizer = (*AuthZEN)(nil)

// azEndpoints are the endpoint URLs in use, and until when.
type azEndpoints struct {
	evaluation  string
	evaluations string // empty: the PDP has no Access Evaluations API
	refresh     time.Time
	meta        *authzen.Metadata
}

// NewAuthZEN returns an [AuthZEN] for opts. It does no I/O.
func NewAuthZEN(opts *AuthZENOptions) (*AuthZEN, error) {
	if opts == nil || opts.PDPURL == "" {
		return nil, errors.New("mcpauth: AuthZENOptions.PDPURL is empty")
	}
	u, err := url.Parse(opts.PDPURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
		// The URL is not echoed: it may carry credentials.
		return nil, errors.New("mcpauth: AuthZENOptions.PDPURL is not an absolute http or https URL without user info, query or fragment")
	}
	if u.Scheme == "http" && !opts.AllowInsecureHTTP && !loopback.Host(u.Hostname()) {
		return nil, errors.New("mcpauth: AuthZENOptions.PDPURL: http is only allowed for a loopback host unless AllowInsecureHTTP is set")
	}
	n := 0
	for _, set := range []bool{opts.BearerToken != "", opts.TokenSource != nil, opts.APIKey != ""} {
		if set {
			n++
		}
	}
	if n > 1 {
		return nil, errors.New("mcpauth: AuthZENOptions: set at most one of BearerToken, TokenSource and APIKey")
	}
	if opts.APIKeyHeader != "" && opts.APIKey == "" {
		return nil, errors.New("mcpauth: AuthZENOptions.APIKeyHeader without APIKey")
	}
	if opts.Timeout < 0 || opts.MetadataTTL < 0 {
		return nil, errors.New("mcpauth: AuthZENOptions: negative duration")
	}
	timeout := opts.Timeout
	if timeout == 0 && opts.HTTPClient != nil {
		timeout = opts.HTTPClient.Timeout
	}
	orDefault(&timeout, defaultPDPTimeout)
	var base http.RoundTripper
	if opts.HTTPClient != nil {
		base = opts.HTTPClient.Transport
		if base == nil {
			base = http.DefaultTransport
		}
	} else {
		base = defaultPDPTransport()
	}
	client := &http.Client{
		Transport: base,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	if opts.HTTPClient != nil {
		client.Jar = opts.HTTPClient.Jar
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	pdp := strings.TrimSuffix(opts.PDPURL, "/")
	a := &AuthZEN{
		pdp:         pdp,
		origin:      u.Scheme + "://" + u.Host,
		logURL:      strings.TrimSuffix(u.Redacted(), "/"),
		client:      client,
		timeout:     timeout,
		bearer:      opts.BearerToken,
		tokens:      opts.TokenSource,
		keyHeader:   opts.APIKeyHeader,
		apiKey:      opts.APIKey,
		subjectType: opts.SubjectType,
		discover:    opts.Discover,
		ttl:         opts.MetadataTTL,
		batchOff:    opts.DisableEvaluations,
		logger:      logger,
		static: &azEndpoints{
			evaluation:  pdp + authzen.PathEvaluation,
			evaluations: pdp + authzen.PathEvaluations,
		},
	}
	if a.keyHeader == "" {
		a.keyHeader = "X-API-Key"
	}
	if a.subjectType == "" {
		a.subjectType = defaultAuthZENSubjectType
	}
	orDefault(&a.ttl, defaultAuthZENMetadataTTL)
	return a, nil
}

// CheckToAuthZEN translates c into an AuthZEN evaluation by the table in
// the [AuthZEN] documentation. An empty subjectType means
// "user". It fails when c's resource attributes hold a
// "tenant" that differs from c.Resource.Tenant, which the translation would
// have to overwrite.
func CheckToAuthZEN(c Check, subjectType string) (authzen.Evaluation, error) {
	if subjectType == "" {
		subjectType = defaultAuthZENSubjectType
	}
	tenant := c.Resource.Tenant
	if tenant == "" {
		tenant = DefaultTenant
	}
	if v, ok := c.Resource.Attributes[AttrTenant]; ok && v != tenant {
		return authzen.Evaluation{}, fmt.Errorf("resource attribute %q differs from the check's tenant", AttrTenant)
	}
	props := make(map[string]any, len(c.Resource.Attributes)+1)
	for k, v := range c.Resource.Attributes {
		props[k] = v
	}
	props[AttrTenant] = tenant
	id := c.Resource.Key
	if id == "" {
		id = c.Resource.Type
	}
	return authzen.Evaluation{
		Subject:  &authzen.Subject{Type: subjectType, ID: c.User.Key, Properties: c.User.Attributes},
		Action:   &authzen.Action{Name: c.Action},
		Resource: &authzen.Resource{Type: c.Resource.Type, ID: id, Properties: props},
		Context:  c.Context,
	}, nil
}

// CheckFromAuthZEN is the inverse of [CheckToAuthZEN]: it rebuilds the
// check an evaluation stands for. The subject type and action properties
// have no place in a check and are dropped; a resource id equal to the
// resource type means no key; resource.properties.tenant becomes the
// tenant and must be a string. e must have a subject, action and resource.
func CheckFromAuthZEN(e authzen.Evaluation) (Check, error) {
	if e.Subject == nil || e.Action == nil || e.Resource == nil {
		return Check{}, fmt.Errorf("%w: subject, action and resource", authzen.ErrMissing)
	}
	c := Check{
		User:    User{Key: e.Subject.ID, Attributes: e.Subject.Properties},
		Action:  e.Action.Name,
		Context: e.Context,
	}
	c.Resource.Type = e.Resource.Type
	if e.Resource.ID != e.Resource.Type {
		c.Resource.Key = e.Resource.ID
	}
	if len(e.Resource.Properties) > 0 {
		attrs := make(map[string]any, len(e.Resource.Properties))
		for k, v := range e.Resource.Properties {
			if k == AttrTenant {
				t, ok := v.(string)
				if !ok {
					return Check{}, errors.New("authzen: resource.properties.tenant must be a string")
				}
				c.Resource.Tenant = t
				continue
			}
			attrs[k] = v
		}
		if len(attrs) > 0 {
			c.Resource.Attributes = attrs
		}
	}
	return c, nil
}

// carriedRequest returns the AuthZEN request c carries under
// ContextAuthZENRequest, if any. A value of another type is an error.
func carriedRequest(c *Check) (*authzen.Request, bool, error) {
	v, ok := c.Context[ContextAuthZENRequest]
	if !ok {
		return nil, false, nil
	}
	r, ok := v.(*authzen.Request)
	if !ok || r == nil {
		return nil, true, fmt.Errorf("context %q is not an *authzen.Request", ContextAuthZENRequest)
	}
	return r, true, nil
}

// Allowed asks the PDP whether c is allowed (Access Evaluation).
func (a *AuthZEN) Allowed(ctx context.Context, c Check) (bool, error) {
	start := time.Now()
	if err := ctx.Err(); err != nil {
		return false, a.failed(ctx, authzen.PathEvaluation, 1, start, err)
	}
	req, carried, err := carriedRequest(&c)
	if err != nil {
		return false, a.failed(ctx, authzen.PathEvaluation, 1, start, &buildError{err})
	}
	if carried {
		return a.allowedRequest(ctx, req)
	}
	ev, err := CheckToAuthZEN(c, a.subjectType)
	if err != nil {
		return false, a.failed(ctx, authzen.PathEvaluation, 1, start, &buildError{err})
	}
	return a.evaluate(ctx, &ev)
}

// evaluate sends one Access Evaluation.
func (a *AuthZEN) evaluate(ctx context.Context, ev *authzen.Evaluation) (bool, error) {
	start := time.Now()
	eps, err := a.endpoints(ctx)
	if err != nil {
		return false, a.failed(ctx, authzen.WellKnownPath, 1, start, err)
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return false, a.failed(ctx, authzen.PathEvaluation, 1, start, &buildError{err})
	}
	answer, err := a.post(ctx, eps.evaluation, body)
	if err != nil {
		return false, a.failed(ctx, pathOf(eps.evaluation), 1, start, err)
	}
	d, err := authzen.ParseDecision(answer)
	if err != nil {
		return false, a.failed(ctx, pathOf(eps.evaluation), 1, start, &answerError{err})
	}
	a.logCall(ctx, pathOf(eps.evaluation), 1, start)
	return d.Decision, nil
}

// allowedRequest sends a carried request and reports whether every
// decision is a permit.
func (a *AuthZEN) allowedRequest(ctx context.Context, req *authzen.Request) (bool, error) {
	start := time.Now()
	effective, err := req.Effective()
	if err != nil {
		return false, a.failed(ctx, authzen.PathEvaluation, 1, start, &buildError{err})
	}
	if len(req.Evaluations) == 0 {
		return a.evaluate(ctx, &req.Evaluation)
	}
	if req.Options != nil {
		return false, a.failed(ctx, authzen.PathEvaluations, len(effective), start,
			&buildError{errors.New("a carried request must leave options to the authorizer")})
	}
	batch := *req
	batch.Options = map[string]any{"evaluations_semantic": authzen.ExecuteAll}
	decisions, err := a.evaluateAll(ctx, &batch, effective, true)
	if err != nil {
		return false, err
	}
	for _, ok := range decisions {
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// AllowedBulk decides every check: one Access Evaluations request, or one
// Access Evaluation per check when the PDP lacks that API. An empty cs
// needs no request.
func (a *AuthZEN) AllowedBulk(ctx context.Context, cs []Check) ([]bool, error) {
	start := time.Now()
	if len(cs) == 0 {
		return []bool{}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, a.failed(ctx, authzen.PathEvaluations, len(cs), start, err)
	}
	evs := make([]authzen.Evaluation, len(cs))
	for i := range cs {
		_, carried, _ := carriedRequest(&cs[i])
		if carried {
			// Each carried request is a decision of its own.
			return a.bulkOneByOne(ctx, cs)
		}
		ev, err := CheckToAuthZEN(cs[i], a.subjectType)
		if err != nil {
			return nil, a.failed(ctx, authzen.PathEvaluations, len(cs), start, &buildError{err})
		}
		evs[i] = ev
	}
	return a.evaluateAll(ctx, batchRequest(evs), evs, false)
}

func (a *AuthZEN) bulkOneByOne(ctx context.Context, cs []Check) ([]bool, error) {
	out := make([]bool, len(cs))
	for i := range cs {
		ok, err := a.Allowed(ctx, cs[i])
		if err != nil {
			return nil, err
		}
		out[i] = ok
	}
	return out, nil
}

// batchRequest builds an Access Evaluations request for evs with the
// execute_all semantic, moving the subject and context to the top level
// when every evaluation shares them (section 7.1.1, default values).
func batchRequest(evs []authzen.Evaluation) *authzen.Request {
	req := &authzen.Request{
		Evaluations: make([]authzen.Evaluation, len(evs)),
		Options:     map[string]any{"evaluations_semantic": authzen.ExecuteAll},
	}
	copy(req.Evaluations, evs)
	if len(evs) < 2 {
		return req
	}
	sameSubject, sameContext := true, true
	first, _ := json.Marshal(evs[0].Subject)
	firstCtx, _ := json.Marshal(evs[0].Context)
	for _, e := range evs[1:] {
		if sameSubject {
			b, _ := json.Marshal(e.Subject)
			sameSubject = bytes.Equal(b, first)
		}
		if sameContext {
			b, _ := json.Marshal(e.Context)
			sameContext = bytes.Equal(b, firstCtx)
		}
	}
	if sameSubject {
		req.Subject = evs[0].Subject
		for i := range req.Evaluations {
			req.Evaluations[i].Subject = nil
		}
	}
	if sameContext && evs[0].Context != nil {
		req.Context = evs[0].Context
		for i := range req.Evaluations {
			req.Evaluations[i].Context = nil
		}
	}
	return req
}

// evaluateAll decides the evaluations of req (whose effective evaluations
// are effective) with the execute_all semantic: one Access Evaluations
// request when the PDP has the API, one Access Evaluation each otherwise,
// stopping at the first deny (the rest count as denied) when stopOnDeny.
func (a *AuthZEN) evaluateAll(ctx context.Context, req *authzen.Request, effective []authzen.Evaluation, stopOnDeny bool) ([]bool, error) {
	start := time.Now()
	n := len(effective)
	eps, err := a.endpoints(ctx)
	if err != nil {
		return nil, a.failed(ctx, authzen.WellKnownPath, n, start, err)
	}
	if eps.evaluations != "" && !a.batchOff && !a.noBatch.Load() {
		body, err := json.Marshal(req)
		if err != nil {
			return nil, a.failed(ctx, authzen.PathEvaluations, n, start, &buildError{err})
		}
		answer, err := a.post(ctx, eps.evaluations, body)
		var se *azStatusError
		switch {
		case err == nil:
			ds, err := authzen.ParseEvaluations(answer)
			if err == nil && len(ds) != n {
				err = fmt.Errorf("got %d decisions for %d evaluations", len(ds), n)
			}
			if err != nil {
				return nil, a.failed(ctx, pathOf(eps.evaluations), n, start, &answerError{err})
			}
			a.logCall(ctx, pathOf(eps.evaluations), n, start)
			out := make([]bool, n)
			for i, d := range ds {
				out[i] = d.Decision
			}
			return out, nil
		case !a.discover && errors.As(err, &se) && unsupported(se.status):
			// No Access Evaluations API at the default path: remember,
			// and ask one evaluation at a time.
			a.noBatch.Store(true)
			a.logger.LogAttrs(ctx, slog.LevelInfo, "authzen pdp has no access evaluations api; sending single evaluations",
				slog.String("pdp", a.logURL), slog.Int("status", se.status))
		default:
			return nil, a.failed(ctx, pathOf(eps.evaluations), n, start, err)
		}
	}
	out := make([]bool, n)
	for i := range effective {
		ok, err := a.evaluate(ctx, &effective[i])
		if err != nil {
			return nil, err
		}
		out[i] = ok
		if !ok && stopOnDeny {
			break
		}
	}
	return out, nil
}

// unsupported reports whether an answer's status says the endpoint does not
// exist.
func unsupported(status int) bool {
	return status == http.StatusNotFound || status == http.StatusMethodNotAllowed || status == http.StatusNotImplemented
}

// endpoints returns the endpoint URLs to use, discovering them when asked.
func (a *AuthZEN) endpoints(ctx context.Context) (*azEndpoints, error) {
	if !a.discover {
		return a.static, nil
	}
	if e := a.eps.Load(); e != nil && time.Now().Before(e.refresh) {
		return e, nil
	}
	a.fetchMu.Lock()
	defer a.fetchMu.Unlock()
	old := a.eps.Load()
	if old != nil && time.Now().Before(old.refresh) {
		return old, nil
	}
	e, err := a.fetchEndpoints(ctx)
	if err == nil {
		a.eps.Store(e)
		return e, nil
	}
	if old == nil {
		return nil, err
	}
	// Keep the previous metadata; try again in a minute.
	a.logger.LogAttrs(ctx, slog.LevelWarn, "authzen pdp metadata refresh failed; keeping the previous metadata",
		slog.String("pdp", a.logURL), slog.String("error", a.redact(err.Error())))
	kept := *old
	kept.refresh = time.Now().Add(min(time.Minute, a.ttl))
	a.eps.Store(&kept)
	return &kept, nil
}

// Metadata fetches and validates the PDP's metadata now. With
// [AuthZENOptions.Discover], the endpoints it names are used from then on;
// calling it at startup makes a misconfigured PDP fail early.
func (a *AuthZEN) Metadata(ctx context.Context) (*authzen.Metadata, error) {
	e, err := a.fetchEndpoints(ctx)
	if err != nil {
		return nil, a.failed(ctx, authzen.WellKnownPath, 0, time.Now(), err)
	}
	if a.discover {
		a.eps.Store(e)
	}
	md := *e.meta
	return &md, nil
}

// fetchEndpoints reads and validates the metadata document.
func (a *AuthZEN) fetchEndpoints(ctx context.Context) (*azEndpoints, error) {
	wk, err := authzen.WellKnownURL(a.pdp)
	if err != nil {
		return nil, &buildError{err}
	}
	body, err := a.do(ctx, http.MethodGet, wk, nil)
	if err != nil {
		return nil, err
	}
	md, err := authzen.ParseMetadata(body)
	if err == nil {
		err = authzen.ValidateMetadata(md, a.pdp)
	}
	if err != nil {
		return nil, &metadataError{err}
	}
	e := &azEndpoints{refresh: time.Now().Add(a.ttl), meta: md}
	if e.evaluation, err = a.sameOrigin(md.AccessEvaluationEndpoint); err != nil {
		return nil, &metadataError{fmt.Errorf("access_evaluation_endpoint: %w", err)}
	}
	if md.AccessEvaluationsEndpoint != "" {
		if e.evaluations, err = a.sameOrigin(md.AccessEvaluationsEndpoint); err != nil {
			return nil, &metadataError{fmt.Errorf("access_evaluations_endpoint: %w", err)}
		}
	}
	return e, nil
}

// sameOrigin resolves an endpoint against the PDP identifier and requires
// it to be on the identifier's scheme, host and port.
func (a *AuthZEN) sameOrigin(endpoint string) (string, error) {
	base, err := url.Parse(a.pdp + "/")
	if err != nil {
		return "", err
	}
	u, err := base.Parse(endpoint)
	if err != nil {
		return "", errors.New("not a URL")
	}
	if u.Scheme+"://"+u.Host != a.origin || u.User != nil || u.Fragment != "" {
		return "", errors.New("not on the PDP's scheme, host and port")
	}
	return u.String(), nil
}

// pathOf returns the path of an endpoint URL, for logs and errors.
func pathOf(endpoint string) string {
	if u, err := url.Parse(endpoint); err == nil {
		return u.EscapedPath()
	}
	return ""
}

// post sends body to endpoint and returns the answer's body.
func (a *AuthZEN) post(ctx context.Context, endpoint string, body []byte) ([]byte, error) {
	return a.do(ctx, http.MethodPost, endpoint, body)
}

// do sends one request: with the credential, a fresh X-Request-ID and the
// timeout, accepting only HTTP 200 with an application/json body of
// bounded size that echoes the request id, if it echoes one.
func (a *AuthZEN) do(ctx context.Context, method, endpoint string, body []byte) ([]byte, error) {
	rctx, cancel := context.WithTimeoutCause(ctx, a.timeout, errPDPTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(rctx, method, endpoint, rd)
	if err != nil {
		return nil, &buildError{err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	id := newRequestID()
	req.Header.Set(authzen.HeaderRequestID, id)
	switch {
	case a.bearer != "":
		req.Header.Set("Authorization", "Bearer "+a.bearer)
	case a.tokens != nil:
		tok, err := a.tokens(ctx)
		if err != nil {
			return nil, &buildError{fmt.Errorf("token source: %w", err)}
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	case a.apiKey != "":
		req.Header.Set(a.keyHeader, a.apiKey)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		if context.Cause(rctx) == errPDPTimeout {
			err = fmt.Errorf("timed out after %v: %w", a.timeout, context.DeadlineExceeded)
		}
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, &azStatusError{status: resp.StatusCode}
	}
	if echo := resp.Header.Get(authzen.HeaderRequestID); echo != "" && echo != id {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, &answerError{errors.New("the answer's X-Request-ID is not the request's")}
	}
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, &answerError{errors.New("the answer is not application/json")}
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAuthZENAnswerBytes+1))
	if err != nil {
		if context.Cause(rctx) == errPDPTimeout {
			err = fmt.Errorf("timed out after %v: %w", a.timeout, context.DeadlineExceeded)
		}
		return nil, err
	}
	if len(b) > maxAuthZENAnswerBytes {
		return nil, &answerError{fmt.Errorf("answer larger than %d bytes", maxAuthZENAnswerBytes)}
	}
	return b, nil
}

// newRequestID returns a random request identifier.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Errors that say which stage failed.
type (
	// buildError: the request could not be built.
	buildError struct{ err error }
	// answerError: the PDP answered 200 with something that is not a
	// usable answer.
	answerError struct{ err error }
	// metadataError: the metadata document is unusable.
	metadataError struct{ err error }
	// azStatusError: an answer with a status other than 200.
	azStatusError struct{ status int }
)

func (e *buildError) Error() string    { return "cannot build the request: " + e.err.Error() }
func (e *buildError) Unwrap() error    { return e.err }
func (e *answerError) Error() string   { return "invalid answer: " + e.err.Error() }
func (e *answerError) Unwrap() error   { return e.err }
func (e *metadataError) Error() string { return "unusable metadata: " + e.err.Error() }
func (e *metadataError) Unwrap() error { return e.err }
func (e *azStatusError) Error() string {
	msg := "HTTP " + strconv.Itoa(e.status)
	switch e.status {
	case http.StatusUnauthorized:
		msg += " (the PDP refused the credential)"
	case http.StatusForbidden:
		msg += " (the PDP refused this enforcement point)"
	case http.StatusBadRequest:
		msg += " (the PDP refused the request as malformed)"
	}
	return msg
}

// failed builds the error for a failed call and logs it.
func (a *AuthZEN) failed(ctx context.Context, path string, checks int, start time.Time, err error) error {
	de := &DecisionError{Path: path, pdp: "authzen pdp"}
	var se *azStatusError
	switch {
	case ctx.Err() != nil:
		// The caller gave up; report that rather than what it caused.
		de.msg, de.cause = ctx.Err().Error(), ctx.Err()
	case errors.As(err, &se):
		de.msg, de.Status = se.Error(), se.status
	default:
		de.msg, de.cause = err.Error(), err
	}
	de.msg = a.redact(de.msg)
	a.log().failure(ctx, path, checks, start, de.msg)
	return de
}

func (a *AuthZEN) logCall(ctx context.Context, path string, checks int, start time.Time) {
	a.log().request(ctx, path, checks, start)
}

func (a *AuthZEN) log() pdpLog { return pdpLog{logger: a.logger, name: "authzen pdp", url: a.logURL} }

// redact removes the static credentials from s, in case an error quotes
// them.
func (a *AuthZEN) redact(s string) string {
	for _, secret := range []string{a.bearer, a.apiKey} {
		if secret != "" {
			s = strings.ReplaceAll(s, secret, "[redacted]")
		}
	}
	return s
}
