// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeavaulttest

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/internal/pangeawire"
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
	StatusInvalidPayloadReceived  = "InvalidPayloadReceived"
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
	StatusInvalidPayloadReceived:  http.StatusBadRequest,
}

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

// AddDuplicate stores a secret item directly, bypassing the API (and its
// validation), for tests of duplicate-name handling. The folder is
// normalized as the API does. It returns the new item's id.
func (s *Server) AddDuplicate(name, folder, secret string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.create(name, NormalizeFolder(folder), secret).ID
}

// --- HTTP -----------------------------------------------------------------

// fieldError is one entry of result.errors.
type fieldError = pangeawire.FieldError

func fe(code, detail, source string) fieldError {
	return fieldError{Code: code, Detail: detail, Source: source}
}

// failure is an error answer.
type failure struct {
	status, summary string
	code            int // 0: the status's usual code
	errs            []fieldError
}

// validation is a ValidationError (HTTP 400) with result.errors.
func validation(errs ...fieldError) *failure {
	return &failure{status: StatusValidationError, summary: "There was an error validating the payload", errs: errs}
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
		pangeawire.Write(w, code, pangeawire.Envelope{
			RequestID:    reqID,
			RequestTime:  pangeawire.Stamp(start),
			ResponseTime: pangeawire.Stamp(s.now()),
			Status:       status,
			Summary:      summary,
			Result:       result,
		})
	}
	fail := func(f *failure) {
		var result any
		if len(f.errs) > 0 {
			result = pangeawire.Errors(f.errs)
		}
		reply(f.status, f.summary, result, f.code)
	}
	if err != nil {
		fail(invalidPayload("the body is larger than the double's 32 MiB cap or unreadable"))
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
		_ = json.NewEncoder(&buf).Encode(pangeawire.Envelope{
			RequestID: reqID, RequestTime: pangeawire.Stamp(start), ResponseTime: pangeawire.Stamp(s.now()),
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

// NormalizeFolder returns the form the double stores and compares folders
// in: a leading "/", no trailing "/", and "/" for the root (the form of the
// spec's examples: vault-folder "/personal", vault-list-filter "/" and
// "/encryption").
func NormalizeFolder(f string) string {
	return "/" + strings.Trim(f, "/")
}

func (s *Server) secretStore(body []byte) (any, *failure) {
	var req struct {
		Type   string  `json:"type"`
		Secret string  `json:"secret"`
		Name   string  `json:"name"`
		Folder *string `json:"folder"`
	}
	if f := storeSchema.validate(body, &req); f != nil {
		return nil, f
	}
	switch {
	case req.Type != "" && req.Type != "secret":
		// The other branches of the oneOf (pangea_token, client
		// secrets) are not modelled.
		return nil, validation(fe(codeInvalidConst, `type must be "secret" (other item types are not modelled)`, "/type"))
	case s.names != nil && !s.names.MatchString(req.Name):
		return nil, validation(fe(codeDoesNotMatchPattern, "name does not match "+s.names.String(), "/name"))
	}
	folder := "/"
	if req.Folder != nil {
		folder = NormalizeFolder(*req.Folder)
	}
	return latest(s.create(req.Name, folder, req.Secret)), nil
}

// create adds a secret item; s.mu must be held.
func (s *Server) create(name, folder, secret string) *Item {
	now := pangeawire.Stamp(s.now())
	it := &Item{
		ID: "pvi_" + randID(), Type: "secret", Enabled: true, Name: name, Folder: folder, CreatedAt: now,
		NumVersions:  1,
		ItemVersions: []ItemVersion{{Version: 1, State: "active", CreatedAt: now, Secret: secret}},
	}
	s.add(it)
	return it
}

// add appends it in creation order; s.mu must be held.
func (s *Server) add(it *Item) {
	s.items = append(s.items, it)
	s.nextSeq++
	s.seq[it.ID] = s.nextSeq
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
	return &failure{status: StatusVaultItemNotFound, summary: "Item " + id + " not found"}
}

func (s *Server) secretRotate(body []byte) (any, *failure) {
	var req struct {
		ID            string `json:"id"`
		Secret        string `json:"secret"`
		RotationState string `json:"rotation_state"`
	}
	if f := rotateSchema.validate(body, &req); f != nil {
		return nil, f
	}
	state := req.RotationState
	if state == "" {
		state = "deactivated" // "the current rotation policy": assumed deactivated
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
	it.ItemVersions = append(it.ItemVersions, ItemVersion{Version: n, State: "active", CreatedAt: pangeawire.Stamp(s.now()), Secret: req.Secret})
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
		ID      string          `json:"id"`
		Version json.RawMessage `json:"version"`
	}
	if f := getSchema.validate(body, &req); f != nil {
		return nil, f
	}
	it := s.find(req.ID)
	if it == nil {
		return nil, notFound(req.ID)
	}
	if req.Version == nil {
		return latest(it), nil
	}
	var n int
	if json.Unmarshal(req.Version, &n) != nil {
		// "all", "-<num>" and "-<num>:" are not modelled.
		return nil, validation(fe(codeBadFormat, "only a version number is modelled", "/version"))
	}
	for _, v := range it.ItemVersions {
		if v.Version == n {
			c := *it
			c.ItemVersions = []ItemVersion{v}
			return c, nil
		}
	}
	return nil, &failure{status: StatusVaultItemNotFound, summary: "Item version not found"}
}

// pageRequest is get_bulk's and list's body (list has no version).
type pageRequest struct {
	Filter  map[string]json.RawMessage `json:"filter"`
	Version map[string]json.RawMessage `json:"version"`
	Size    *int                       `json:"size"`
	Order   string                     `json:"order"`
	OrderBy string                     `json:"order_by"`
	Last    string                     `json:"last"`
}

// filterKeys are the vault-list-filter members the double models. The
// spec's filter is a free-form object whose examples also use tags,
// name__contains and created_at__gt; those are refused as not modelled.
var filterKeys = []string{"type", "name", "folder", "id"}

// sortKey is the value order_by sorts an item by.
func sortKey(it *Item, by string) string {
	switch by {
	case "id":
		return it.ID
	case "type":
		return it.Type
	case "name":
		return it.Name
	case "folder":
		return it.Folder
	case "item_state":
		return "enabled"
	case "created_at", "":
		return it.CreatedAt
	}
	return "" // algorithm, purpose, expiration, rotation: none on secrets
}

// cursor is the position after the last item of a page: its sort key and
// creation sequence. Deleting items between pages does not move it.
type cursor struct {
	Key string `json:"k"`
	Seq int    `json:"s"`
}

func encodeCursor(c cursor) string {
	b, _ := json.Marshal(c)
	return idEncoding.EncodeToString(b)
}

func decodeCursor(last string) (cursor, bool) {
	var c cursor
	b, err := idEncoding.DecodeString(last)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Seq < 1 {
		return c, false
	}
	return c, true
}

// page selects the items a filtered, ordered, paginated request returns.
func (s *Server) page(body []byte, sc schema) ([]*Item, string, *failure) {
	var req pageRequest
	if f := sc.validate(body, &req); f != nil {
		return nil, "", f
	}
	filter := map[string]string{}
	var errs []fieldError
	for k, raw := range req.Filter {
		var v string
		switch {
		case !slices.Contains(filterKeys, k):
			errs = append(errs, fe(codeUnexpectedProperty, "filter "+k+" is not modelled by pangeavaulttest", "/filter/"+k))
		case json.Unmarshal(raw, &v) != nil:
			errs = append(errs, fe(codeInvalidString, "filter "+k+" must be a string", "/filter/"+k))
		default:
			filter[k] = v
		}
	}
	if len(req.Version) > 0 {
		errs = append(errs, fe(codeUnexpectedProperty, "version maps are not modelled by pangeavaulttest", "/version"))
	}
	var after *cursor
	if req.Last != "" {
		c, ok := decodeCursor(req.Last)
		if !ok {
			errs = append(errs, fe(codeBadFormat, "last is not a cursor this server returned", "/last"))
		}
		after = &c
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b fieldError) int { return strings.Compare(a.Source, b.Source) })
		return nil, "", validation(errs...)
	}
	size := DefaultSize
	if req.Size != nil {
		size = *req.Size
	}
	if f, ok := filter["folder"]; ok {
		filter["folder"] = NormalizeFolder(f)
	}
	var match []*Item
	for _, it := range s.items {
		if v, ok := filter["type"]; ok && it.Type != v {
			continue
		}
		if v, ok := filter["name"]; ok && it.Name != v {
			continue
		}
		if v, ok := filter["folder"]; ok && it.Folder != v {
			continue
		}
		if v, ok := filter["id"]; ok && it.ID != v {
			continue
		}
		match = append(match, it)
	}
	// Ascending by (sort key, creation sequence); "desc" reverses it.
	pos := func(it *Item) cursor { return cursor{Key: sortKey(it, req.OrderBy), Seq: s.seq[it.ID]} }
	cmpPos := func(a, b cursor) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return a.Seq - b.Seq
	}
	dir := 1
	if req.Order == "desc" {
		dir = -1
	}
	slices.SortFunc(match, func(a, b *Item) int { return dir * cmpPos(pos(a), pos(b)) })
	if after != nil {
		match = slices.DeleteFunc(match, func(it *Item) bool { return dir*cmpPos(pos(it), *after) <= 0 })
	}
	last := ""
	if len(match) > size {
		match = match[:size]
		last = encodeCursor(pos(match[size-1]))
	}
	return match, last, nil
}

// pageResult is get_bulk's and list's result: items and, when more match,
// the cursor of the next page. The spec's results have no count.
type pageResult struct {
	Items []Item `json:"items"`
	Last  string `json:"last,omitempty"`
}

func (s *Server) getBulk(body []byte) (any, *failure) {
	items, last, f := s.page(body, getBulkSchema)
	if f != nil {
		return nil, f
	}
	res := pageResult{Items: []Item{}, Last: last}
	for _, it := range items {
		res.Items = append(res.Items, latest(it))
	}
	return res, nil
}

func (s *Server) list(body []byte) (any, *failure) {
	items, last, f := s.page(body, listSchema)
	if f != nil {
		return nil, f
	}
	res := pageResult{Items: []Item{}, Last: last}
	for _, it := range items {
		c := latest(it)
		c.ItemVersions = []ItemVersion{{Version: c.ItemVersions[0].Version, State: c.ItemVersions[0].State, CreatedAt: c.ItemVersions[0].CreatedAt}}
		res.Items = append(res.Items, c)
	}
	return res, nil
}

// path is the folder path a folder item stands for.
func (it *Item) path() string {
	return NormalizeFolder(it.Folder + "/" + it.Name)
}

func (s *Server) delete(body []byte) (any, *failure) {
	var req struct {
		ID        string `json:"id"`
		Recursive bool   `json:"recursive"`
	}
	if f := deleteSchema.validate(body, &req); f != nil {
		return nil, f
	}
	it := s.find(req.ID)
	if it == nil {
		return nil, notFound(req.ID)
	}
	doomed := map[string]bool{it.ID: true}
	if it.Type == "folder" {
		p := it.path()
		for _, c := range s.items {
			if c.Folder == p || strings.HasPrefix(c.Folder, p+"/") {
				doomed[c.ID] = true
			}
		}
		if len(doomed) > 1 && !req.Recursive {
			return nil, validation(fe(codeBadState, "the folder is not empty; set recursive", "/recursive"))
		}
	}
	s.items = slices.DeleteFunc(s.items, func(c *Item) bool {
		if doomed[c.ID] {
			delete(s.seq, c.ID)
			return true
		}
		return false
	})
	return map[string]string{"id": req.ID}, nil
}

func (s *Server) folderCreate(body []byte) (any, *failure) {
	var req struct {
		Name   string `json:"name"`
		Folder string `json:"folder"`
	}
	if f := folderCreateSchema.validate(body, &req); f != nil {
		return nil, f
	}
	now := pangeawire.Stamp(s.now())
	it := &Item{ID: "pvi_" + randID(), Type: "folder", Enabled: true, Name: req.Name, Folder: NormalizeFolder(req.Folder), CreatedAt: now, ItemVersions: []ItemVersion{}}
	s.add(it)
	return *it, nil
}

// --- helpers --------------------------------------------------------------

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

func randID() string {
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	return idEncoding.EncodeToString(b)
}
