// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/permitio/permit-golang/pkg/config"
	"github.com/permitio/permit-golang/pkg/enforcement"
	"go.uber.org/zap"
)

// defaultPDPURL is the address of a local Permit PDP container, used when
// [PermitOptions.PDPURL] is empty.
const defaultPDPURL = "http://localhost:7766"

// defaultPDPMaxIdleConns is the number of idle keep-alive connections to
// the PDP that the default HTTP client of [NewPermit] keeps.
const defaultPDPMaxIdleConns = 64

// maxPDPAnswerBytes caps the body of one PDP answer.
const maxPDPAnswerBytes = 8 << 20

// PermitOptions configures [NewPermit].
type PermitOptions struct {
	// PDPURL is the base URL of the Permit PDP, such as
	// "http://localhost:7766" for a local container or
	// "https://cloudpdp.api.permit.io" for the cloud PDP (RBAC only).
	// Default "http://localhost:7766".
	PDPURL string

	// APIKey is the Permit environment API key, sent as a bearer token.
	// Required: NewPermit refuses an empty key.
	APIKey string

	// Timeout bounds each HTTP request to the PDP, from sending it to
	// reading the whole answer. Default: HTTPClient.Timeout when HTTPClient
	// is set and has one, otherwise [defaultPDPTimeout]. Negative values
	// are refused.
	Timeout time.Duration

	// HTTPClient supplies the transport (connection pool) used for every
	// request; its Timeout is used only as the default of Timeout. Default:
	// a client with its own keep-alive transport, cloned from
	// http.DefaultTransport, keeping up to 64 idle
	// connections.
	HTTPClient *http.Client

	// Logger receives a Debug record per PDP request and a Warn record per
	// failed one. The API key is never logged. Nil discards them.
	Logger *slog.Logger
}

// Permit is an [Authorizer] that asks a Permit.io policy decision point,
// through the official SDK github.com/permitio/permit-golang. It is safe
// for concurrent use.
//
// # Wire format
//
// Allowed sends POST {PDPURL}/allowed with "Authorization: Bearer <key>"
// and "Content-Type: application/json" and the body
//
//	{"user":{"key":...,"attributes":{...}},
//	 "action":...,
//	 "resource":{"type":...,"key":...,"tenant":...,"attributes":{...},
//	             "context":{"tenant":...}},
//	 "context":{...}}
//
// where an empty tenant becomes "default" and is copied into
// resource.context, as Permit's Python SDK does. The decision is the
// answer's "allow" member; only HTTP 200 counts as an answer. Compared with
// the Python SDK (permit-fastmcp), permit-golang omits empty members (user
// and resource attributes, resource key, the top-level context) instead of
// sending {}; the PDP's schema defaults them to {}, so the decision is the
// same. Top-level context values travel as strings (permit-golang's type):
// a non-string value is sent as its JSON text.
//
// AllowedBulk sends POST {PDPURL}/allowed/bulk with a JSON array of the same
// objects. permit-golang splits the checks by tenant and sends one request
// per tenant, one after the other, so a bulk check spanning n tenants costs
// n round trips; results come back in the order of the checks.
//
// # Failures
//
// Every failure (transport error, timeout, a status other than 200, an
// answer that is not JSON or has the wrong number of results, the caller's
// context ending) is an error wrapping [ErrDecisionFailed], which the
// middleware treats as a deny. Error messages never contain the API key.
//
// permit-golang's calls take no context. Permit gives each call its own
// HTTP client whose transport applies the caller's context and Timeout to
// every request, so a cancelled context aborts the request in flight and
// returns at once; no goroutine outlives the call.
type Permit struct {
	cfg     config.PermitConfig // built once, copied per call
	base    http.RoundTripper   // shared connection pool
	timeout time.Duration
	pdpURL  string // for logs, with any password redacted
	apiKey  string // only for redacting error messages
	logger  *slog.Logger
}

var _ Authorizer = (*Permit)(nil)

// NewPermit returns a [Permit] for opts. It does no I/O.
func NewPermit(opts *PermitOptions) (*Permit, error) {
	if opts == nil || opts.APIKey == "" {
		return nil, errors.New("mcpauth: PermitOptions.APIKey is empty")
	}
	pdp := opts.PDPURL
	if pdp == "" {
		pdp = defaultPDPURL
	}
	u, err := url.Parse(pdp)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		// The URL is not echoed: it may carry credentials.
		return nil, errors.New("mcpauth: PermitOptions.PDPURL is not an absolute http or https URL without query")
	}
	pdp = strings.TrimRight(pdp, "/")
	logURL := strings.TrimRight(u.Redacted(), "/")

	if opts.Timeout < 0 {
		return nil, errors.New("mcpauth: PermitOptions.Timeout is negative")
	}
	timeout := opts.Timeout
	if timeout == 0 && opts.HTTPClient != nil {
		timeout = opts.HTTPClient.Timeout
	}
	if timeout == 0 {
		timeout = defaultPDPTimeout
	}

	var base http.RoundTripper
	if opts.HTTPClient != nil {
		base = opts.HTTPClient.Transport
	}
	if base == nil {
		if opts.HTTPClient != nil {
			base = http.DefaultTransport
		} else {
			base = defaultPDPTransport()
		}
	}

	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Permit{
		// zap.NewNop: permit-golang must never log on its own (its default
		// is a production zap logger writing to stderr).
		cfg:     config.NewConfigBuilder(opts.APIKey).WithPdpUrl(pdp).WithLogger(zap.NewNop()).Build(),
		base:    base,
		timeout: timeout,
		pdpURL:  logURL,
		apiKey:  opts.APIKey,
		logger:  logger,
	}, nil
}

func defaultPDPTransport() http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	t = t.Clone()
	t.MaxIdleConns = defaultPDPMaxIdleConns
	t.MaxIdleConnsPerHost = defaultPDPMaxIdleConns
	return t
}

// Allowed asks the PDP whether c is allowed (POST /allowed).
func (p *Permit) Allowed(ctx context.Context, c Check) (bool, error) {
	const path = "/allowed"
	if err := ctx.Err(); err != nil {
		return false, p.failed(ctx, nil, path, 1, time.Now(), err)
	}
	req, err := permitRequest(c)
	if err != nil {
		return false, p.failed(ctx, nil, path, 1, time.Now(), err)
	}
	call := p.newCall(ctx)
	defer call.finish()
	start := time.Now()
	allowed, err := call.enforcer().Check(req.User, req.Action, req.Resource, req.Context)
	if err != nil {
		return false, p.failed(ctx, call, path, 1, start, err)
	}
	p.logCall(ctx, path, 1, start)
	return allowed, nil
}

// AllowedBulk asks the PDP about every check (POST /allowed/bulk, once per
// tenant). An empty cs needs no request.
func (p *Permit) AllowedBulk(ctx context.Context, cs []Check) ([]bool, error) {
	const path = "/allowed/bulk"
	if len(cs) == 0 {
		return []bool{}, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, p.failed(ctx, nil, path, len(cs), time.Now(), err)
	}
	reqs := make([]enforcement.CheckRequest, len(cs))
	for i, c := range cs {
		r, err := permitRequest(c)
		if err != nil {
			return nil, p.failed(ctx, nil, path, len(cs), time.Now(), err)
		}
		reqs[i] = r
	}
	call := p.newCall(ctx)
	defer call.finish()
	start := time.Now()
	allowed, err := call.enforcer().BulkCheck(reqs...)
	if err == nil && len(allowed) != len(cs) {
		err = fmt.Errorf("got %d results for %d checks", len(allowed), len(cs))
	}
	if err != nil {
		return nil, p.failed(ctx, call, path, len(cs), start, err)
	}
	p.logCall(ctx, path, len(cs), start)
	return allowed, nil
}

// permitRequest maps a Check to permit-golang's request type.
func permitRequest(c Check) (enforcement.CheckRequest, error) {
	tenant := c.Resource.Tenant
	if tenant == "" {
		tenant = DefaultTenant
	}
	var pctx map[string]string
	if len(c.Context) > 0 {
		pctx = make(map[string]string, len(c.Context))
		for k, v := range c.Context {
			if s, ok := v.(string); ok {
				pctx[k] = s
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				return enforcement.CheckRequest{}, fmt.Errorf("context value %q cannot be encoded: %w", k, err)
			}
			pctx[k] = string(b)
		}
	}
	return enforcement.CheckRequest{
		User:   enforcement.User{Key: c.User.Key, Attributes: c.User.Attributes},
		Action: enforcement.Action(c.Action),
		Resource: enforcement.Resource{
			Type:       c.Resource.Type,
			Key:        c.Resource.Key,
			Tenant:     tenant,
			Attributes: c.Resource.Attributes,
			Context:    map[string]string{"tenant": tenant},
		},
		Context: pctx,
	}, nil
}

// pdpCall is the transport of one Allowed or AllowedBulk call: it carries
// the caller's context into the requests permit-golang builds without one,
// bounds each by the timeout, accepts only HTTP 200 and caps the answer.
// permit-golang uses it from one goroutine, one request at a time.
type pdpCall struct {
	p       *Permit
	ctx     context.Context
	cancels []context.CancelFunc
	sent    int   // requests sent
	err     error // first failure seen by the transport
}

func (p *Permit) newCall(ctx context.Context) *pdpCall {
	return &pdpCall{p: p, ctx: ctx}
}

// enforcer returns a permit-golang enforcer whose HTTP client uses c.
func (c *pdpCall) enforcer() *enforcement.PermitEnforcer {
	cfg := c.p.cfg
	cfg.WithHTTPClient(&http.Client{Transport: c})
	return enforcement.NewPermitEnforcerClient(&cfg)
}

// finish releases every request context of the call.
func (c *pdpCall) finish() {
	for _, cancel := range c.cancels {
		cancel()
	}
}

func (c *pdpCall) fail(err error) error {
	if c.err == nil {
		c.err = err
	}
	return err
}

// errPDPTimeout is the cause of a request context that hit the timeout.
var errPDPTimeout = errors.New("timeout")

// RoundTrip implements http.RoundTripper.
func (c *pdpCall) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeoutCause(c.ctx, c.p.timeout, errPDPTimeout)
	c.cancels = append(c.cancels, cancel)
	c.sent++
	resp, err := c.p.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		if context.Cause(ctx) == errPDPTimeout {
			err = fmt.Errorf("timed out after %v: %w", c.p.timeout, context.DeadlineExceeded)
		}
		return nil, c.fail(err)
	}
	if resp.StatusCode != http.StatusOK {
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		cancel()
		return nil, c.fail(&pdpStatusError{status: resp.StatusCode})
	}
	resp.Body = &pdpBody{rc: resp.Body, call: c, ctx: ctx, left: maxPDPAnswerBytes}
	return resp, nil
}

// pdpBody caps the answer and closes it as soon as it is read to the end:
// permit-golang reads answers to EOF but never closes them.
type pdpBody struct {
	rc   io.ReadCloser
	call *pdpCall
	ctx  context.Context
	left int64
	done bool
}

func (b *pdpBody) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		b.Close()
		return 0, b.call.fail(fmt.Errorf("answer larger than %d bytes", maxPDPAnswerBytes))
	}
	if err != nil {
		b.Close()
		if err != io.EOF {
			if context.Cause(b.ctx) == errPDPTimeout {
				err = fmt.Errorf("timed out after %v: %w", b.call.p.timeout, context.DeadlineExceeded)
			}
			b.call.fail(err)
		}
	}
	return n, err
}

func (b *pdpBody) Close() error {
	if !b.done {
		b.done = true
		return b.rc.Close()
	}
	return nil
}

// pdpStatusError is an answer with a status other than 200.
type pdpStatusError struct{ status int }

func (e *pdpStatusError) Error() string {
	msg := "HTTP " + strconv.Itoa(e.status)
	switch e.status {
	case http.StatusUnauthorized:
		msg += " (the PDP refused the API key)"
	case http.StatusNotImplemented:
		msg += " (the cloud PDP cannot evaluate ABAC or ReBAC policies; use a local PDP)"
	}
	return msg
}

// DecisionError is the error [Permit] and [AuthZEN] return when the PDP
// could not decide. It wraps [ErrDecisionFailed] and, where there is one, the cause
// (such as context.Canceled or context.DeadlineExceeded).
type DecisionError struct {
	// Path is the PDP path that failed, such as "/allowed".
	Path string
	// Status is the HTTP status of the PDP's answer, or 0 if there was
	// none.
	Status int
	msg    string
	cause  error
	pdp    string // what failed, for the message; "permit pdp" when empty
}

// Error implements error.
func (e *DecisionError) Error() string {
	pdp := e.pdp
	if pdp == "" {
		pdp = "permit pdp"
	}
	return ErrDecisionFailed.Error() + ": " + pdp + " " + e.Path + ": " + e.msg
}

// Is reports whether target is [ErrDecisionFailed].
func (e *DecisionError) Is(target error) bool { return target == ErrDecisionFailed }

// Unwrap returns the cause, if any.
func (e *DecisionError) Unwrap() error { return e.cause }

// failed builds the error for a failed call and logs it.
func (p *Permit) failed(ctx context.Context, call *pdpCall, path string, checks int, start time.Time, err error) error {
	de := &DecisionError{Path: path}
	var se *pdpStatusError
	switch {
	case ctx.Err() != nil:
		// The caller gave up; report that rather than what it caused.
		de.msg, de.cause = ctx.Err().Error(), ctx.Err()
	case call == nil:
		de.msg, de.cause = "cannot build the request: "+err.Error(), err
	case call.err != nil && errors.As(call.err, &se):
		de.msg, de.Status = se.Error(), se.status
	case call.err != nil:
		de.msg, de.cause = call.err.Error(), call.err
	case call.sent == 0:
		de.msg, de.cause = "cannot send the request: "+permitMessage(err), err
	default:
		// The PDP answered 200 but permit-golang could not use the answer.
		de.msg, de.cause = "invalid answer: "+permitMessage(err), err
	}
	de.msg = p.redact(de.msg)
	pdpLog{logger: p.logger, name: "permit pdp", url: p.pdpURL}.failure(ctx, path, checks, start, de.msg)
	return de
}

func (p *Permit) logCall(ctx context.Context, path string, checks int, start time.Time) {
	pdpLog{logger: p.logger, name: "permit pdp", url: p.pdpURL}.request(ctx, path, checks, start)
}

// redact removes the API key from s, in case an error ever quotes it.
func (p *Permit) redact(s string) string {
	return strings.ReplaceAll(s, p.apiKey, "[redacted]")
}

// permitMessage strips permit-golang's "ErrorCode: ..., ErrorType: ...,
// Message: " prefix.
func permitMessage(err error) string {
	s := err.Error()
	if _, msg, ok := strings.Cut(s, "Message: "); ok {
		return msg
	}
	return s
}
