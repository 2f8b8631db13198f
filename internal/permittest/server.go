// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package permittest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/internal/doubletest"
)

// PDP paths served by [Server].
const (
	PathAllowed     = "/allowed"
	PathAllowedBulk = "/allowed/bulk"
)

// maxBody caps the request bodies the double reads.
const maxBody = 16 << 20

// Request is one HTTP request the double received.
type Request struct {
	// Method and Path are the HTTP method and URL path.
	Method string
	Path   string
	// Authorization and ContentType are the raw header values.
	Authorization string
	ContentType   string
	// Body is the raw request body.
	Body []byte
	// Checks are the decoded checks: one for /allowed, one per element for
	// /allowed/bulk. Nil when the request was rejected before decoding or
	// failed validation.
	Checks []Check
	// Status is the HTTP status the double answered with; 0 while the
	// request is still being handled.
	Status int
}

// Rule matches checks in a rule table; see [Server.Allow]. An empty field
// matches anything.
type Rule struct {
	User   string
	Action string
	// Type and Key match resource.type and resource.key.
	Type string
	Key  string
	// Tenant matches resource.tenant, where an absent tenant is "default".
	Tenant string
}

// Matches reports whether c matches every non-empty field of r.
func (r Rule) Matches(c Check) bool {
	tenant := c.Resource.Tenant
	if tenant == "" {
		tenant = "default"
	}
	return (r.User == "" || r.User == c.User.Key) &&
		(r.Action == "" || r.Action == c.Action) &&
		(r.Type == "" || r.Type == c.Resource.Type) &&
		(r.Key == "" || r.Key == c.Resource.Key) &&
		(r.Tenant == "" || r.Tenant == tenant)
}

// Rules returns a policy that allows a check when any of rules matches it.
func Rules(rules ...Rule) func(Check) bool {
	rules = append([]Rule(nil), rules...)
	return func(c Check) bool {
		for _, r := range rules {
			if r.Matches(c) {
				return true
			}
		}
		return false
	}
}

// Option configures a [Server].
type Option func(*Server)

// WithAPIKey sets the API key the double accepts. By default each server
// makes up a random one, available as [Server.APIKey].
func WithAPIKey(key string) Option {
	return func(s *Server) { s.APIKey = key }
}

// WithPolicy sets the initial policy, as [Server.Decide] does.
func WithPolicy(decide func(Check) bool) Option {
	return func(s *Server) { s.decide = decide }
}

// WithoutRecording stops the double from keeping requests (for
// benchmarks); [Server.Calls] still counts them.
func WithoutRecording() Option {
	return func(s *Server) { s.noRecord = true }
}

// Server is a Permit PDP double listening on 127.0.0.1. Its methods are
// safe for concurrent use.
//
// The embedded [doubletest.Base] gives it Close, Client, Calls (an empty
// path counts every request), Conns, Reset (forgets recorded requests and
// call counts, keeps the policy and any failure, delay or gate settings),
// and the gate: Hold (later requests are recorded and validated, then
// park), Release, Held and WaitHeld.
type Server struct {
	// URL is the base URL to give a PDP client, such as
	// "http://127.0.0.1:40123".
	URL string
	// APIKey is the bearer key the double accepts.
	APIKey string

	doubletest.Base[Request]
	noRecord bool

	mu        sync.Mutex // guards the fields below
	decide    func(Check) bool
	failWith  int
	rawStatus int
	rawBody   []byte
	delay     time.Duration
}

// New starts a double and closes it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := Start(opts...)
	t.Cleanup(s.Close)
	return s
}

// Start starts a double outside a test (for examples and benchmarks
// harnesses); the caller must Close it.
func Start(opts ...Option) *Server {
	s := &Server{}
	for _, o := range opts {
		o(s)
	}
	if s.APIKey == "" {
		var b [16]byte
		_, _ = rand.Read(b[:])
		s.APIKey = "permit_key_" + hex.EncodeToString(b[:])
	}
	s.URL = s.Serve(http.HandlerFunc(s.serveHTTP), !s.noRecord)
	return s
}

// Decide sets the policy: decide is called once per check and its result
// is the decision. Nil denies everything.
func (s *Server) Decide(decide func(Check) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decide = decide
}

// AllowAll allows every check.
func (s *Server) AllowAll() { s.Decide(func(Check) bool { return true }) }

// DenyAll denies every check (the initial policy).
func (s *Server) DenyAll() { s.Decide(nil) }

// Allow sets the policy to a rule table: a check is allowed when any rule
// matches it, denied otherwise.
func (s *Server) Allow(rules ...Rule) { s.Decide(Rules(rules...)) }

// FailWith makes the double answer every later request with status and a
// {"detail":...} body, before looking at authentication or the body, as a
// failing PDP or a proxy in front of it would. Status 0 restores normal
// answers.
func (s *Server) FailWith(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failWith = status
}

// RespondRaw makes the double answer every later request that passes
// authentication and validation with status and body verbatim (with
// Content-Type application/json), to simulate garbage or mismatched
// answers. Status 0 restores normal answers.
func (s *Server) RespondRaw(status int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rawStatus, s.rawBody = status, []byte(body)
}

// Delay makes the double wait d before answering each request (or until
// the client goes away). It simulates PDP latency in benchmarks; tests
// should use [Server.Hold] instead.
func (s *Server) Delay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Requests returns a copy of every request received since the start or the
// last Reset, in arrival order.
func (s *Server) Requests() []Request { return s.Snapshot() }

// Checks returns every successfully decoded check, in arrival order,
// flattening bulk requests.
func (s *Server) Checks() []Check {
	var out []Check
	for _, r := range s.Snapshot() {
		out = append(out, r.Checks...)
	}
	return out
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	rec := &Request{
		Method:        r.Method,
		Path:          r.URL.Path,
		Authorization: r.Header.Get("Authorization"),
		ContentType:   r.Header.Get("Content-Type"),
		Body:          body,
	}
	s.Record(rec.Path, rec)
	s.mu.Lock()
	failWith := s.failWith
	s.mu.Unlock()

	status := s.answer(w, r, rec, err, failWith)
	s.Locked(func() { rec.Status = status })
}

// answer writes the response and returns its status.
func (s *Server) answer(w http.ResponseWriter, r *http.Request, rec *Request, readErr error, failWith int) int {
	bulk := false
	switch rec.Path {
	case PathAllowed:
	case PathAllowedBulk:
		bulk = true
	default:
		return writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
	}
	if failWith != 0 {
		return writeJSON(w, failWith, map[string]any{"detail": "simulated PDP failure"})
	}
	if readErr != nil {
		return writeJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"detail": "request body too large"})
	}
	if detail, ok := s.authenticate(rec.Authorization); !ok {
		return writeJSON(w, http.StatusUnauthorized, map[string]any{"detail": detail})
	}
	checks, verrs := decodeBody(rec.ContentType, rec.Body, bulk)
	if verrs != nil {
		return writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": verrs})
	}

	s.Locked(func() { rec.Checks = checks })
	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()

	s.Park(r.Context())
	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
		}
	}
	if r.Context().Err() != nil {
		// The client went away; nobody reads the answer.
		return 499
	}

	s.mu.Lock()
	decide, rawStatus, rawBody := s.decide, s.rawStatus, s.rawBody
	s.mu.Unlock()
	if rawStatus != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rawStatus)
		_, _ = w.Write(rawBody)
		return rawStatus
	}
	results := make([]Result, len(checks))
	for i, c := range checks {
		allow := decide != nil && decide(c)
		results[i] = Result{Allow: allow, Result: allow}
	}
	if bulk {
		return writeJSON(w, http.StatusOK, BulkResult{Allow: results})
	}
	return writeJSON(w, http.StatusOK, results[0])
}

// authenticate checks the bearer key as the PDP's enforce_pdp_token does:
// FastAPI's HTTPBearer parses "<scheme> <token>" with a case-insensitive
// scheme, and the token is compared in constant time.
func (s *Server) authenticate(header string) (detail string, ok bool) {
	scheme, token, found := strings.Cut(header, " ")
	if header == "" || !found || !strings.EqualFold(scheme, "bearer") || token == "" {
		return "Missing Authorization header", false
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.APIKey)) != 1 {
		return "Invalid PDP token", false
	}
	return "", true
}

// decodeBody reads the body the way FastAPI does: as JSON when there is no
// Content-Type or an application/json (or application/*+json) one,
// otherwise as raw bytes, which never validate as an object or a list.
func decodeBody(contentType string, body []byte, bulk bool) ([]Check, []ValidationError) {
	if contentType != "" {
		mt, _, err := mime.ParseMediaType(contentType)
		if err != nil || !(mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
			if bulk {
				return nil, []ValidationError{{Loc: []any{"body"}, Msg: "value is not a valid list", Type: "type_error.list"}}
			}
			return nil, []ValidationError{{Loc: []any{"body"}, Msg: "value is not a valid dict", Type: "type_error.dict"}}
		}
	}
	return decodeChecks(body, bulk)
}

// decodeJSON decodes exactly one JSON value, keeping numbers as
// json.Number.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"detail":"Internal Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
	return status
}
