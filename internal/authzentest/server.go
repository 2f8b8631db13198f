// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package authzentest

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mcpauth/mcpauth/internal/doubletest"
)

// Paths of the HTTPS binding (section 10.1) and of the metadata (section 9.2).
const (
	PathEvaluation  = "/access/v1/evaluation"
	PathEvaluations = "/access/v1/evaluations"
	PathWellKnown   = "/.well-known/authzen-configuration"
)

const maxBody = 16 << 20

// Entity is a subject or a resource.
type Entity struct {
	Type       string
	ID         string
	Properties map[string]any
}

// Action is an action.
type Action struct {
	Name       string
	Properties map[string]any
}

// Evaluation is one effective evaluation, after defaults.
type Evaluation struct {
	Subject  Entity
	Action   Action
	Resource Entity
	Context  map[string]any
}

// Request is one HTTP request the double received.
type Request struct {
	Method, Path string
	// Header holds the request's headers.
	Header http.Header
	// Body is the raw body.
	Body []byte
	// Evaluations are the effective evaluations, after defaults; nil when
	// the request was refused before or during validation.
	Evaluations []Evaluation
	// Batch reports a request to the Access Evaluations endpoint with an
	// evaluations array, and Semantic its evaluations semantic.
	Batch    bool
	Semantic string
	// Status is the HTTP status answered.
	Status int
}

// Option configures a [Server].
type Option func(*Server)

// WithBearer requires "Authorization: Bearer <token>".
func WithBearer(token string) Option { return func(s *Server) { s.bearer = token } }

// WithAPIKey requires the header with the key.
func WithAPIKey(header, key string) Option {
	return func(s *Server) { s.keyHeader, s.apiKey = header, key }
}

// WithBasePath serves the API under a base path: the PDP identifier is
// URL+path and the metadata is at /.well-known/authzen-configuration+path.
func WithBasePath(path string) Option { return func(s *Server) { s.base = path } }

// WithoutEvaluations serves no Access Evaluations API: the metadata names no
// access_evaluations_endpoint and the path answers 404.
func WithoutEvaluations() Option { return func(s *Server) { s.noBatch = true } }

// WithMetadata lets f change the metadata document before it is served.
func WithMetadata(f func(md map[string]any)) Option { return func(s *Server) { s.editMeta = f } }

// WithPolicy sets the initial policy.
func WithPolicy(decide func(Evaluation) bool) Option { return func(s *Server) { s.decide = decide } }

// WithoutRecording keeps no requests (for benchmarks); Calls still counts.
func WithoutRecording() Option { return func(s *Server) { s.noRecord = true } }

// Server is an AuthZEN PDP double on 127.0.0.1. Its methods are safe for
// concurrent use.
//
// The embedded [doubletest.Base] gives it Close, Calls (the number of
// requests received on a path), Conns (TCP connections accepted), and the
// gate: Hold (later requests park after validation), Release and
// WaitHeld.
type Server struct {
	// URL is the server's root URL; PDP is the PDP identifier (URL plus
	// the base path).
	URL, PDP string

	doubletest.Base[Request]
	bearer    string
	keyHeader string
	apiKey    string
	base      string
	noBatch   bool
	editMeta  func(map[string]any)
	noRecord  bool

	mu        sync.Mutex // guards the fields below
	decide    func(Evaluation) bool
	failWith  int
	rawStatus int
	rawType   string
	rawBody   []byte
	badID     bool
}

// New starts a double and closes it when the test ends.
func New(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := Start(opts...)
	t.Cleanup(s.Close)
	return s
}

// Start starts a double; the caller must Close it.
func Start(opts ...Option) *Server {
	s := &Server{}
	for _, o := range opts {
		o(s)
	}
	s.URL = s.Serve(http.HandlerFunc(s.serveHTTP), !s.noRecord)
	s.PDP = s.URL + s.base
	return s
}

// Decide sets the policy; nil denies everything.
func (s *Server) Decide(f func(Evaluation) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.decide = f
}

// AllowAll allows every evaluation.
func (s *Server) AllowAll() { s.Decide(func(Evaluation) bool { return true }) }

// FailWith answers every later request with status and a message, before
// authentication; 0 restores normal answers.
func (s *Server) FailWith(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failWith = status
}

// RespondRaw answers every later valid request with status, contentType
// and body verbatim; status 0 restores normal answers.
func (s *Server) RespondRaw(status int, contentType, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rawStatus, s.rawType, s.rawBody = status, contentType, []byte(body)
}

// BreakRequestID makes the double echo a different X-Request-ID.
func (s *Server) BreakRequestID(broken bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.badID = broken
}

// Requests returns the requests received so far.
func (s *Server) Requests() []*Request { return s.Records() }

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone()}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	rec.Body = body
	s.Record(r.URL.Path, rec)
	s.mu.Lock()
	failWith := s.failWith
	s.mu.Unlock()
	w = &recorder{ResponseWriter: w, rec: rec, s: s}
	if id := r.Header.Get("X-Request-ID"); id != "" {
		s.mu.Lock()
		if s.badID {
			id = "not-" + id
		}
		s.mu.Unlock()
		w.Header().Set("X-Request-ID", id)
	}
	if failWith != 0 {
		http.Error(w, "the PDP is failing", failWith)
		return
	}
	switch r.URL.Path {
	case PathWellKnown + s.base:
		s.serveMetadata(w, r)
		return
	case s.base + PathEvaluation, s.base + PathEvaluations:
	default:
		http.Error(w, "no such endpoint", http.StatusNotFound)
		return
	}
	batchPath := r.URL.Path == s.base+PathEvaluations
	if batchPath && s.noBatch {
		http.Error(w, "no such endpoint", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if !s.authenticated(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="authzentest"`)
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		http.Error(w, "Content-Type must be application/json", http.StatusBadRequest)
		return
	}
	if len(body) > maxBody {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	doc, err := decodeStrict(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	evals, batch, semantic, err := parse(doc, batchPath)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.Locked(func() { rec.Evaluations, rec.Batch, rec.Semantic = evals, batch, semantic })
	s.Park(r.Context())

	s.mu.Lock()
	decide := s.decide
	rawStatus, rawType, rawBody := s.rawStatus, s.rawType, s.rawBody
	s.mu.Unlock()
	if rawStatus != 0 {
		w.Header().Set("Content-Type", rawType)
		w.WriteHeader(rawStatus)
		w.Write(rawBody)
		return
	}
	if decide == nil {
		decide = func(Evaluation) bool { return false }
	}
	w.Header().Set("Content-Type", "application/json")
	if !batch {
		json.NewEncoder(w).Encode(map[string]any{"decision": decide(evals[0])})
		return
	}
	out := []map[string]any{}
	for _, e := range evals {
		d := decide(e)
		out = append(out, map[string]any{"decision": d})
		if (semantic == "deny_on_first_deny" && !d) || (semantic == "permit_on_first_permit" && d) {
			break
		}
	}
	json.NewEncoder(w).Encode(map[string]any{"evaluations": out})
}

func (s *Server) authenticated(r *http.Request) bool {
	switch {
	case s.bearer != "":
		scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		return ok && strings.EqualFold(scheme, "bearer") &&
			subtle.ConstantTimeCompare([]byte(tok), []byte(s.bearer)) == 1
	case s.apiKey != "":
		return subtle.ConstantTimeCompare([]byte(r.Header.Get(s.keyHeader)), []byte(s.apiKey)) == 1
	}
	return true
}

func (s *Server) serveMetadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	md := map[string]any{
		"policy_decision_point":      s.PDP,
		"access_evaluation_endpoint": s.PDP + PathEvaluation,
	}
	if !s.noBatch {
		md["access_evaluations_endpoint"] = s.PDP + PathEvaluations
	}
	if s.editMeta != nil {
		s.editMeta(md)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(md)
}

// recorder notes the status of the answer in the request record.
type recorder struct {
	http.ResponseWriter
	rec *Request
	s   *Server
}

func (w *recorder) WriteHeader(status int) {
	w.s.Locked(func() { w.rec.Status = status })
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(p []byte) (int, error) {
	w.s.Locked(func() {
		if w.rec.Status == 0 {
			w.rec.Status = http.StatusOK
		}
	})
	return w.ResponseWriter.Write(p)
}

// decodeStrict decodes one JSON object, refusing repeated member names at
// any depth and trailing data.
func decodeStrict(body []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	v, err := value(d, 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("trailing data after the JSON object")
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("the body must be a JSON object")
	}
	return m, nil
}

func value(d *json.Decoder, depth int) (any, error) {
	if depth > 64 {
		return nil, errors.New("JSON nested too deeply")
	}
	tok, err := d.Token()
	if err != nil {
		return nil, errors.New("malformed JSON")
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := map[string]any{}
			for d.More() {
				k, err := d.Token()
				if err != nil {
					return nil, errors.New("malformed JSON")
				}
				key := k.(string)
				if _, dup := m[key]; dup {
					return nil, fmt.Errorf("member %q repeated", key)
				}
				if m[key], err = value(d, depth+1); err != nil {
					return nil, err
				}
			}
			_, _ = d.Token()
			return m, nil
		case '[':
			a := []any{}
			for d.More() {
				v, err := value(d, depth+1)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			_, _ = d.Token()
			return a, nil
		}
		return nil, errors.New("malformed JSON")
	default:
		return t, nil
	}
}

// partial is an evaluation whose members may be missing.
type partial struct {
	subject, resource *Entity
	action            *Action
	context           map[string]any
}

// parse validates a request and returns its effective evaluations.
func parse(doc map[string]any, batchPath bool) (evals []Evaluation, batch bool, semantic string, err error) {
	top, err := parsePartial(doc, "")
	if err != nil {
		return nil, false, "", err
	}
	semantic = "execute_all"
	var entries []partial
	if batchPath {
		if v, ok := doc["options"]; ok {
			o, ok := v.(map[string]any)
			if !ok {
				return nil, false, "", errors.New("options must be an object")
			}
			if sv, ok := o["evaluations_semantic"]; ok {
				str, _ := sv.(string)
				switch str {
				case "execute_all", "deny_on_first_deny", "permit_on_first_permit":
					semantic = str
				default:
					return nil, false, "", fmt.Errorf("unknown evaluations_semantic %v", sv)
				}
			}
		}
		if v, ok := doc["evaluations"]; ok {
			list, ok := v.([]any)
			if !ok {
				return nil, false, "", errors.New("evaluations must be an array")
			}
			for i, item := range list {
				o, ok := item.(map[string]any)
				if !ok {
					return nil, false, "", fmt.Errorf("evaluations[%d] must be an object", i)
				}
				p, err := parsePartial(o, fmt.Sprintf("evaluations[%d].", i))
				if err != nil {
					return nil, false, "", err
				}
				entries = append(entries, p)
			}
		}
	}
	if len(entries) == 0 {
		e, err := complete(top, "")
		if err != nil {
			return nil, false, "", err
		}
		return []Evaluation{e}, false, semantic, nil
	}
	for i, p := range entries {
		if p.subject == nil {
			p.subject = top.subject
		}
		if p.action == nil {
			p.action = top.action
		}
		if p.resource == nil {
			p.resource = top.resource
		}
		if p.context == nil {
			p.context = top.context
		}
		e, err := complete(p, fmt.Sprintf("evaluations[%d].", i))
		if err != nil {
			return nil, false, "", err
		}
		evals = append(evals, e)
	}
	return evals, true, semantic, nil
}

func complete(p partial, where string) (Evaluation, error) {
	switch {
	case p.subject == nil:
		return Evaluation{}, fmt.Errorf("%ssubject is required", where)
	case p.action == nil:
		return Evaluation{}, fmt.Errorf("%saction is required", where)
	case p.resource == nil:
		return Evaluation{}, fmt.Errorf("%sresource is required", where)
	}
	return Evaluation{Subject: *p.subject, Action: *p.action, Resource: *p.resource, Context: p.context}, nil
}

func parsePartial(o map[string]any, where string) (partial, error) {
	var p partial
	var err error
	if v, ok := o["subject"]; ok {
		if p.subject, err = entity(v, where+"subject"); err != nil {
			return p, err
		}
	}
	if v, ok := o["resource"]; ok {
		if p.resource, err = entity(v, where+"resource"); err != nil {
			return p, err
		}
	}
	if v, ok := o["action"]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return p, fmt.Errorf("%saction must be an object", where)
		}
		name, ok := m["name"].(string)
		if !ok {
			return p, fmt.Errorf("%saction.name must be a string", where)
		}
		props, err := object(m, "properties", where+"action")
		if err != nil {
			return p, err
		}
		p.action = &Action{Name: name, Properties: props}
	}
	if p.context, err = object(o, "context", strings.TrimSuffix(where, ".")); err != nil {
		return p, err
	}
	return p, nil
}

func entity(v any, where string) (*Entity, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an object", where)
	}
	typ, ok := m["type"].(string)
	if !ok {
		return nil, fmt.Errorf("%s.type must be a string", where)
	}
	id, ok := m["id"].(string)
	if !ok {
		return nil, fmt.Errorf("%s.id must be a string", where)
	}
	props, err := object(m, "properties", where)
	if err != nil {
		return nil, err
	}
	return &Entity{Type: typ, ID: id, Properties: props}, nil
}

func object(m map[string]any, key, where string) (map[string]any, error) {
	v, ok := m[key]
	if !ok {
		return nil, nil
	}
	o, ok := v.(map[string]any)
	if !ok {
		if where != "" {
			where += "."
		}
		return nil, fmt.Errorf("%s%s must be an object", where, key)
	}
	return o, nil
}
