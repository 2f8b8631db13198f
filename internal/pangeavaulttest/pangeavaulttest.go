// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavaulttest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// DefaultToken is the bearer token a [Server] accepts when
// [Options.Token] is empty.
const DefaultToken = "pts_testvaulttoken"

// Pangea status names.
const (
	StatusSuccess                 = "Success"
	StatusAccepted                = "Accepted"
	StatusValidationError         = "ValidationError"
	StatusUnauthorized            = "Unauthorized"
	StatusForbiddenVaultOperation = "ForbiddenVaultOperation"
	StatusVaultItemNotFound       = "VaultItemNotFound"
	StatusNotFound                = "NotFound"
	StatusTooManyRequests         = "TooManyRequests"
	StatusInternalError           = "InternalError"
)

// httpStatus is the HTTP code of each status the double answers with.
var httpStatus = map[string]int{
	StatusSuccess:                 http.StatusOK,
	StatusAccepted:                http.StatusAccepted,
	StatusValidationError:         http.StatusBadRequest,
	StatusUnauthorized:            http.StatusUnauthorized,
	StatusForbiddenVaultOperation: http.StatusForbidden,
	StatusVaultItemNotFound:       http.StatusNotFound,
	StatusNotFound:                http.StatusNotFound,
	StatusTooManyRequests:         http.StatusTooManyRequests,
	StatusInternalError:           http.StatusInternalServerError,
}

// FolderPattern is the pattern folder names must match.
var FolderPattern = regexp.MustCompile(`^[0-9a-zA-Z_.\-/ ]*$`)

// MaxSize is the largest page size get_bulk and list accept.
const MaxSize = 100

// defaultSize is the page size when the request gives none (assumed).
const defaultSize = 20

// maxBody caps request bodies.
const maxBody = 32 << 20

// Options configure a [Server]. A nil *Options means the defaults.
type Options struct {
	// Token is the bearer token the server accepts. Default DefaultToken.
	Token string
	// Clock stamps created_at and the envelope times. Default time.Now.
	Clock func() time.Time
	// NamePattern, when set, is a pattern every item name must match, or
	// the store is a ValidationError. Nil accepts any name.
	NamePattern *regexp.Regexp
}

// ItemVersion is one version of an item.
type ItemVersion struct {
	Version   int    `json:"version"`
	State     string `json:"state"`
	CreatedAt string `json:"created_at"`
	Secret    string `json:"secret,omitempty"`
}

// Item is a Vault item as the API returns it.
type Item struct {
	ID           string        `json:"id"`
	Type         string        `json:"type"`
	Enabled      bool          `json:"enabled"`
	Name         string        `json:"name,omitempty"`
	Folder       string        `json:"folder"`
	CreatedAt    string        `json:"created_at"`
	NumVersions  int           `json:"num_versions"`
	ItemVersions []ItemVersion `json:"item_versions"`
}

// Request is a recorded request.
type Request struct {
	Method        string
	Path          string
	Authorization string
	ContentType   string
	UserAgent     string
	// Body is the decoded JSON body (nil for GET).
	Body map[string]any
	// Raw is the body as sent.
	Raw []byte
}

// Server is the Pangea Vault double. It is safe for concurrent use.
type Server struct {
	// URL is the base URL, "http://127.0.0.1:port".
	URL   string
	token string
	now   func() time.Time
	names *regexp.Regexp
	srv   *httptest.Server

	mu       sync.Mutex // guards everything below
	items    []*Item    // creation order, deleted items removed
	seq      map[string]int
	nextSeq  int
	requests []Request
	faults   []fault // failures to answer the next calls with
	accept   int     // next calls answered 202
	polls    int     // polls before a queued result is ready
	queued   map[string]*queued
}

type fault struct {
	status      string
	code        int
	path        string // "" matches every path
	afterEffect bool   // the call takes effect before failing
}

type queued struct {
	polls int
	body  []byte
}

// New starts a double and closes it when tb's test ends.
func New(tb testing.TB, opts *Options) *Server {
	tb.Helper()
	s := Start(opts)
	tb.Cleanup(s.Close)
	return s
}

// Start starts a double; the caller closes it with [Server.Close].
func Start(opts *Options) *Server {
	var o Options
	if opts != nil {
		o = *opts
	}
	s := &Server{token: o.Token, now: o.Clock, names: o.NamePattern, seq: map[string]int{}, queued: map[string]*queued{}}
	if s.token == "" {
		s.token = DefaultToken
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Token returns the bearer token the server accepts.
func (s *Server) Token() string { return s.token }

// Close shuts the server down; later calls fail to connect.
func (s *Server) Close() { s.srv.Close() }

// Requests returns a copy of the recorded requests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// ResetRequests forgets the recorded requests.
func (s *Server) ResetRequests() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// Items returns a deep copy of the stored items (every version), oldest
// first.
func (s *Server) Items() []Item {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Item, len(s.items))
	for i, it := range s.items {
		out[i] = *it
		out[i].ItemVersions = slices.Clone(it.ItemVersions)
	}
	return out
}

// FailNext makes the next n API calls (after authentication) fail with
// status, such as StatusTooManyRequests or StatusInternalError, and its
// usual HTTP code, without taking effect. A status this package does not
// know is answered with HTTP 400.
func (s *Server) FailNext(n int, status string) {
	code, ok := httpStatus[status]
	if !ok {
		code = http.StatusBadRequest
	}
	s.FailNextWith(n, status, code)
}

// FailNextWith is FailNext with an explicit HTTP code.
func (s *Server) FailNextWith(n int, status string, httpCode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{status: status, code: httpCode})
	}
}

// LoseNextAnswer makes the next n calls to path take effect and then fail
// with status anyway, as when an answer is lost after the server acted
// (a gateway timeout, say). Calls to other paths are unaffected.
func (s *Server) LoseNextAnswer(path string, n int, status string) {
	code, ok := httpStatus[status]
	if !ok {
		code = http.StatusBadRequest
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{status: status, code: code, path: path, afterEffect: true})
	}
}

// AcceptNext makes the next n API calls answer 202 Accepted (after taking
// effect); polling their request id answers 202 polls times, then the
// result.
func (s *Server) AcceptNext(n, polls int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accept, s.polls = n, polls
}

// AddDuplicate stores a secret item directly, bypassing the API, for tests
// of duplicate-name handling. It returns the new item's id.
func (s *Server) AddDuplicate(name, folder, secret string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.create(name, folder, secret).ID
}

// --- HTTP -----------------------------------------------------------------

type apiError struct {
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Source string `json:"source,omitempty"`
}

type envelope struct {
	RequestID    string `json:"request_id"`
	RequestTime  string `json:"request_time"`
	ResponseTime string `json:"response_time"`
	Status       string `json:"status"`
	Summary      string `json:"summary"`
	Result       any    `json:"result"`
}

// failure is an error answer.
type failure struct {
	status, summary string
	code            int // 0: the status's usual code
	errs            []apiError
}

func validation(source, code, detail string) *failure {
	return &failure{status: StatusValidationError, summary: "There was an error validating the payload", errs: []apiError{{Code: code, Detail: detail, Source: source}}}
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := s.now()
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	rec := Request{
		Method:        r.Method,
		Path:          r.URL.Path,
		Authorization: r.Header.Get("Authorization"),
		ContentType:   r.Header.Get("Content-Type"),
		UserAgent:     r.Header.Get("User-Agent"),
		Raw:           raw,
	}
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &rec.Body)
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()

	reqID := "prq_" + randID()
	reply := func(status, summary string, result any, code int) {
		if code == 0 {
			code = httpStatus[status]
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(envelope{
			RequestID:    reqID,
			RequestTime:  stamp(start),
			ResponseTime: stamp(s.now()),
			Status:       status,
			Summary:      summary,
			Result:       result,
		})
	}
	fail := func(f *failure) {
		var result any
		if len(f.errs) > 0 {
			result = map[string]any{"errors": f.errs}
		}
		reply(f.status, f.summary, result, f.code)
	}
	if err != nil {
		fail(validation("/", "RequestTooLarge", "request body too large or unreadable"))
		return
	}
	want := "Bearer " + s.token
	if got := r.Header.Get("Authorization"); subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		fail(&failure{status: StatusUnauthorized, summary: "Not authorized to access this resource"})
		return
	}

	if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/request/") {
		s.poll(w, strings.TrimPrefix(r.URL.Path, "/request/"), reply)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	op, ok := ops[r.URL.Path]
	if !ok {
		fail(&failure{status: StatusNotFound, summary: "Not found"})
		return
	}

	s.mu.Lock()
	var injected *fault
	if i := slices.IndexFunc(s.faults, func(f fault) bool { return f.path == "" || f.path == r.URL.Path }); i >= 0 {
		f := s.faults[i]
		s.faults = slices.Delete(s.faults, i, i+1)
		injected = &f
	}
	if injected != nil && !injected.afterEffect {
		s.mu.Unlock()
		fail(&failure{status: injected.status, code: injected.code, summary: "Injected " + injected.status})
		return
	}
	result, f := op(s, raw)
	if injected != nil {
		s.mu.Unlock()
		fail(&failure{status: injected.status, code: injected.code, summary: "Injected " + injected.status + " after the call took effect"})
		return
	}
	accepted := false
	if f == nil && s.accept > 0 {
		s.accept--
		accepted = true
	}
	var body []byte
	if accepted {
		var buf bytes.Buffer
		_ = json.NewEncoder(&buf).Encode(envelope{
			RequestID: reqID, RequestTime: stamp(start), ResponseTime: stamp(s.now()),
			Status: StatusSuccess, Summary: "Request completed", Result: result,
		})
		body = buf.Bytes()
		s.queued[reqID] = &queued{polls: s.polls, body: body}
	}
	s.mu.Unlock()

	switch {
	case f != nil:
		fail(f)
	case accepted:
		reply(StatusAccepted, "Your request is in progress, use the request_id to poll for results", nil, 0)
	default:
		reply(StatusSuccess, "Request completed", result, 0)
	}
}

func (s *Server) poll(w http.ResponseWriter, id string, reply func(status, summary string, result any, code int)) {
	s.mu.Lock()
	q, ok := s.queued[id]
	var body []byte
	switch {
	case !ok:
	case q.polls > 0:
		q.polls--
	default:
		body = q.body
		delete(s.queued, id)
	}
	s.mu.Unlock()
	switch {
	case !ok:
		reply(StatusNotFound, "Request not found", nil, 0)
	case body == nil:
		reply(StatusAccepted, "Your request is in progress, use the request_id to poll for results", nil, 0)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}
}

// ops are the POST endpoints; each runs with s.mu held.
var ops = map[string]func(s *Server, body []byte) (any, *failure){
	"/v2/secret/store":  (*Server).secretStore,
	"/v2/secret/rotate": (*Server).secretRotate,
	"/v2/get":           (*Server).get,
	"/v2/get_bulk":      (*Server).getBulk,
	"/v2/list":          (*Server).list,
	"/v2/delete":        (*Server).delete,
	"/v2/folder/create": (*Server).folderCreate,
}

// decode decodes body strictly into v.
func decode(body []byte, v any) *failure {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return validation("/", "InvalidPayload", err.Error())
	}
	if dec.More() {
		return validation("/", "InvalidPayload", "trailing data after the JSON body")
	}
	return nil
}

func (s *Server) secretStore(body []byte) (any, *failure) {
	var req struct {
		Type     string            `json:"type"`
		Secret   *string           `json:"secret"`
		Name     string            `json:"name"`
		Folder   *string           `json:"folder"`
		Metadata map[string]string `json:"metadata"`
		Tags     []string          `json:"tags"`
	}
	if f := decode(body, &req); f != nil {
		return nil, f
	}
	switch {
	case req.Type != "secret":
		return nil, validation("/type", "InvalidValue", `type must be "secret"`)
	case req.Secret == nil:
		return nil, validation("/secret", "MissingRequiredProperty", "secret is required")
	case req.Folder != nil && !FolderPattern.MatchString(*req.Folder):
		return nil, validation("/folder", "DoesNotMatchPattern", "folder does not match "+FolderPattern.String())
	case s.names != nil && !s.names.MatchString(req.Name):
		return nil, validation("/name", "DoesNotMatchPattern", "name does not match "+s.names.String())
	}
	folder := "/"
	if req.Folder != nil && *req.Folder != "" {
		folder = *req.Folder
	}
	return latest(s.create(req.Name, folder, *req.Secret)), nil
}

// create adds a secret item; s.mu must be held.
func (s *Server) create(name, folder, secret string) *Item {
	now := stamp(s.now())
	it := &Item{
		ID: "pvi_" + randID(), Type: "secret", Enabled: true, Name: name, Folder: folder, CreatedAt: now,
		NumVersions:  1,
		ItemVersions: []ItemVersion{{Version: 1, State: "active", CreatedAt: now, Secret: secret}},
	}
	s.items = append(s.items, it)
	s.nextSeq++
	s.seq[it.ID] = s.nextSeq
	return it
}

func (s *Server) find(id string) *Item {
	for _, it := range s.items {
		if it.ID == id {
			return it
		}
	}
	return nil
}

func notFound(id string) *failure {
	return &failure{status: StatusVaultItemNotFound, summary: "Item not found", errs: []apiError{{Code: "NotFound", Detail: "item " + id + " not found", Source: "/id"}}}
}

func (s *Server) secretRotate(body []byte) (any, *failure) {
	var req struct {
		ID            string  `json:"id"`
		Secret        *string `json:"secret"`
		RotationState string  `json:"rotation_state"`
	}
	if f := decode(body, &req); f != nil {
		return nil, f
	}
	switch {
	case req.ID == "":
		return nil, validation("/id", "MissingRequiredProperty", "id is required")
	case req.Secret == nil:
		return nil, validation("/secret", "MissingRequiredProperty", "secret is required")
	}
	state := req.RotationState
	switch state {
	case "":
		state = "deactivated"
	case "deactivated", "destroyed":
	default:
		return nil, validation("/rotation_state", "InvalidValue", "rotation_state must be deactivated or destroyed")
	}
	it := s.find(req.ID)
	if it == nil {
		return nil, notFound(req.ID)
	}
	if it.Type != "secret" {
		return nil, &failure{status: StatusForbiddenVaultOperation, summary: "Item is not a secret"}
	}
	for i := range it.ItemVersions {
		if v := &it.ItemVersions[i]; v.State == "active" {
			v.State = state
			if state == "destroyed" {
				v.Secret = ""
			}
		}
	}
	n := len(it.ItemVersions) + 1
	it.ItemVersions = append(it.ItemVersions, ItemVersion{Version: n, State: "active", CreatedAt: stamp(s.now()), Secret: *req.Secret})
	it.NumVersions = n
	return latest(it), nil
}

// latest returns a copy of it with only its newest version.
func latest(it *Item) Item {
	c := *it
	c.ItemVersions = slices.Clone(it.ItemVersions[len(it.ItemVersions)-1:])
	return c
}

func (s *Server) get(body []byte) (any, *failure) {
	var req struct {
		ID      string `json:"id"`
		Version *int   `json:"version"`
	}
	if f := decode(body, &req); f != nil {
		return nil, f
	}
	if req.ID == "" {
		return nil, validation("/id", "MissingRequiredProperty", "id is required")
	}
	it := s.find(req.ID)
	if it == nil {
		return nil, notFound(req.ID)
	}
	if req.Version == nil {
		return latest(it), nil
	}
	for _, v := range it.ItemVersions {
		if v.Version == *req.Version {
			c := *it
			c.ItemVersions = []ItemVersion{v}
			return c, nil
		}
	}
	return nil, &failure{status: StatusVaultItemNotFound, summary: "Item version not found"}
}

type pageRequest struct {
	Filter map[string]string `json:"filter"`
	Size   *int              `json:"size"`
	Last   string            `json:"last"`
}

// page selects the items a filtered, paginated request returns.
func (s *Server) page(body []byte) ([]*Item, string, *failure) {
	var req pageRequest
	if f := decode(body, &req); f != nil {
		return nil, "", f
	}
	for k := range req.Filter {
		switch k {
		case "type", "name", "folder", "id":
		default:
			return nil, "", validation("/filter/"+k, "InvalidFilter", "unsupported filter "+k)
		}
	}
	size := defaultSize
	if req.Size != nil {
		size = *req.Size
	}
	if size < 1 || size > MaxSize {
		return nil, "", validation("/size", "OutOfRange", fmt.Sprintf("size must be between 1 and %d", MaxSize))
	}
	after := 0
	if req.Last != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(req.Last, "cursor_"))
		if err != nil || !strings.HasPrefix(req.Last, "cursor_") {
			return nil, "", validation("/last", "InvalidValue", "invalid cursor")
		}
		after = n
	}
	var match []*Item
	for _, it := range s.items {
		if s.seq[it.ID] <= after {
			continue
		}
		if v, ok := req.Filter["type"]; ok && it.Type != v {
			continue
		}
		if v, ok := req.Filter["name"]; ok && it.Name != v {
			continue
		}
		if v, ok := req.Filter["folder"]; ok && it.Folder != v {
			continue
		}
		if v, ok := req.Filter["id"]; ok && it.ID != v {
			continue
		}
		match = append(match, it)
	}
	last := ""
	if len(match) > size {
		match = match[:size]
		last = "cursor_" + strconv.Itoa(s.seq[match[size-1].ID])
	}
	return match, last, nil
}

type pageResult struct {
	Items []Item `json:"items"`
	Count int    `json:"count"`
	Last  string `json:"last,omitempty"`
}

func (s *Server) getBulk(body []byte) (any, *failure) {
	items, last, f := s.page(body)
	if f != nil {
		return nil, f
	}
	res := pageResult{Items: []Item{}, Last: last}
	for _, it := range items {
		res.Items = append(res.Items, latest(it))
	}
	res.Count = len(res.Items)
	return res, nil
}

func (s *Server) list(body []byte) (any, *failure) {
	items, last, f := s.page(body)
	if f != nil {
		return nil, f
	}
	res := pageResult{Items: []Item{}, Last: last}
	for _, it := range items {
		c := latest(it)
		c.ItemVersions = []ItemVersion{{Version: c.ItemVersions[0].Version, State: c.ItemVersions[0].State, CreatedAt: c.ItemVersions[0].CreatedAt}}
		res.Items = append(res.Items, c)
	}
	res.Count = len(res.Items)
	return res, nil
}

func (s *Server) delete(body []byte) (any, *failure) {
	var req struct {
		ID        string `json:"id"`
		Recursive *bool  `json:"recursive"`
	}
	if f := decode(body, &req); f != nil {
		return nil, f
	}
	if req.ID == "" {
		return nil, validation("/id", "MissingRequiredProperty", "id is required")
	}
	i := slices.IndexFunc(s.items, func(it *Item) bool { return it.ID == req.ID })
	if i < 0 {
		return nil, notFound(req.ID)
	}
	if s.items[i].Type == "folder" {
		path := strings.TrimPrefix(strings.TrimSuffix(s.items[i].Folder, "/")+"/"+s.items[i].Name, "/")
		inside := func(it *Item) bool {
			f := strings.TrimPrefix(it.Folder, "/")
			return f == path || strings.HasPrefix(f, path+"/")
		}
		if slices.ContainsFunc(s.items, inside) {
			if req.Recursive == nil || !*req.Recursive {
				return nil, validation("/recursive", "FolderNotEmpty", "folder is not empty; set recursive")
			}
			s.items = slices.DeleteFunc(s.items, func(it *Item) bool {
				if inside(it) {
					delete(s.seq, it.ID)
					return true
				}
				return false
			})
			i = slices.IndexFunc(s.items, func(it *Item) bool { return it.ID == req.ID })
		}
	}
	delete(s.seq, req.ID)
	s.items = slices.Delete(s.items, i, i+1)
	return map[string]string{"id": req.ID}, nil
}

func (s *Server) folderCreate(body []byte) (any, *failure) {
	var req struct {
		Name     string            `json:"name"`
		Folder   string            `json:"folder"`
		Metadata map[string]string `json:"metadata"`
		Tags     []string          `json:"tags"`
	}
	if f := decode(body, &req); f != nil {
		return nil, f
	}
	switch {
	case req.Name == "":
		return nil, validation("/name", "MissingRequiredProperty", "name is required")
	case !FolderPattern.MatchString(req.Name):
		return nil, validation("/name", "DoesNotMatchPattern", "name does not match "+FolderPattern.String())
	case !FolderPattern.MatchString(req.Folder):
		return nil, validation("/folder", "DoesNotMatchPattern", "folder does not match "+FolderPattern.String())
	}
	folder := req.Folder
	if folder == "" {
		folder = "/"
	}
	now := stamp(s.now())
	it := &Item{ID: "pvi_" + randID(), Type: "folder", Enabled: true, Name: req.Name, Folder: folder, CreatedAt: now, ItemVersions: []ItemVersion{}}
	s.items = append(s.items, it)
	s.nextSeq++
	s.seq[it.ID] = s.nextSeq
	return *it, nil
}

// --- helpers --------------------------------------------------------------

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func randID() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return idEncoding.EncodeToString(b)
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
