// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package pangeaauthntest is an in-process double of Pangea AuthN for
// tests: its hosted OAuth login (GET /v2/oauth/authorize, auto-approving or
// behind a test login form), its token endpoint (POST /v2/oauth/token, form
// encoded, client_secret_basic, PKCE checked when a challenge was sent) and
// the service API's token check (POST /v2/client/token/check with the
// Pangea response envelope). It serves both the hosted-login and the
// service API on one httptest server and records every request.
package pangeaauthntest

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"
)

// User is an AuthN user.
type User struct {
	// ID is the AuthN identity ("pui_…").
	ID       string
	Email    string
	Password string
}

// Options configure a [Server]. Zero fields take the defaults shown.
type Options struct {
	// ClientID and ClientSecret are the OAuth client's credentials.
	// Defaults "psa_testclient" and "test-client-secret".
	ClientID     string
	ClientSecret string
	// ServiceToken is the AuthN service token the token check demands.
	// Default "pts_testservicetoken".
	ServiceToken string
	// RedirectURIs, when set, are the only redirect URIs accepted.
	RedirectURIs []string
	// Users are the known users. Default: one user, pui_testuser1 /
	// test-user@example.com / password "verysecure".
	Users []User
	// Login requires the test login form instead of approving at once.
	Login bool
}

// Request is a recorded request.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Query  url.Values
	Form   url.Values // form-encoded bodies
	Body   []byte
}

// Server is the AuthN double. Its URL is both the hosted-login issuer and
// the service API base URL.
type Server struct {
	URL          string
	ClientID     string
	ClientSecret string
	ServiceToken string

	srv  *httptest.Server
	opts Options

	mu        sync.Mutex
	requests  []Request
	codes     map[string]*codeGrant
	tokens    map[string]*User
	nextError string
	user      *User
}

type codeGrant struct {
	redirectURI string
	challenge   string
	method      string
	scope       string
	user        *User
}

// New starts a double that is closed when the test ends.
func New(t testing.TB, opts *Options) *Server {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.ClientID == "" {
		o.ClientID = "psa_testclient"
	}
	if o.ClientSecret == "" {
		o.ClientSecret = "test-client-secret"
	}
	if o.ServiceToken == "" {
		o.ServiceToken = "pts_testservicetoken"
	}
	if len(o.Users) == 0 {
		o.Users = []User{{ID: "pui_testuser1", Email: "test-user@example.com", Password: "verysecure"}}
	}
	s := &Server{
		ClientID:     o.ClientID,
		ClientSecret: o.ClientSecret,
		ServiceToken: o.ServiceToken,
		opts:         o,
		codes:        make(map[string]*codeGrant),
		tokens:       make(map[string]*User),
		user:         &o.Users[0],
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v2/oauth/authorize", s.authorize)
	mux.HandleFunc("/v2/oauth/token", s.token)
	mux.HandleFunc("/v2/client/token/check", s.tokenCheck)
	s.srv = httptest.NewServer(s.record(mux))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Requests returns a copy of the recorded requests, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// FailNextAuthorize makes the next authorization request redirect back
// with ?error=code (for example "access_denied").
func (s *Server) FailNextAuthorize(code string) {
	s.mu.Lock()
	s.nextError = code
	s.mu.Unlock()
}

// LoginAs selects the user auto-approved logins resolve to.
func (s *Server) LoginAs(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.opts.Users {
		if s.opts.Users[i].ID == id {
			s.user = &s.opts.Users[i]
			return
		}
	}
	panic("pangeaauthntest: unknown user " + id)
}

// IssueToken returns a fresh user access token for id, as if the user had
// logged in.
func (s *Server) IssueToken(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.opts.Users {
		if s.opts.Users[i].ID == id {
			tok := "ptu_" + randomHex(16)
			s.tokens[tok] = &s.opts.Users[i]
			return tok
		}
	}
	panic("pangeaauthntest: unknown user " + id)
}

func (s *Server) record(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Query: r.URL.Query(), Body: body}
		if r.Header.Get("Content-Type") == "application/x-www-form-urlencoded" {
			rec.Form, _ = url.ParseQuery(string(body))
		}
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

var loginPage = template.Must(template.New("login").Parse(`<!DOCTYPE html>
<html><head><title>Pangea AuthN test login</title></head><body>
<form method="post" action="/v2/oauth/authorize">
{{range $k, $v := .}}<input type="hidden" name="{{$k}}" value="{{index $v 0}}">
{{end}}<input name="email"> <input name="password" type="password">
<button id="login" type="submit">Sign in</button>
</form></body></html>`))

func (s *Server) authorize(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	q := r.Form
	if q.Get("client_id") != s.ClientID {
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	}
	redirect := q.Get("redirect_uri")
	u, err := url.Parse(redirect)
	if redirect == "" || err != nil || (len(s.opts.RedirectURIs) > 0 && !slices.Contains(s.opts.RedirectURIs, redirect)) {
		http.Error(w, "invalid redirect_uri", http.StatusBadRequest)
		return
	}
	back := func(params url.Values) {
		v := u.Query()
		for k, p := range params {
			v[k] = p
		}
		if st := q.Get("state"); st != "" {
			v.Set("state", st)
		}
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	if q.Get("response_type") != "code" {
		back(url.Values{"error": {"unsupported_response_type"}})
		return
	}
	s.mu.Lock()
	fail := s.nextError
	s.nextError = ""
	user := s.user
	s.mu.Unlock()
	if fail != "" {
		back(url.Values{"error": {fail}, "error_description": {"injected by the test"}})
		return
	}
	if s.opts.Login {
		if r.Method != http.MethodPost {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = loginPage.Execute(w, r.URL.Query())
			return
		}
		user = nil
		for i := range s.opts.Users {
			cand := &s.opts.Users[i]
			if cand.Email == q.Get("email") && subtle.ConstantTimeCompare([]byte(cand.Password), []byte(q.Get("password"))) == 1 {
				user = cand
			}
		}
		if user == nil {
			back(url.Values{"error": {"access_denied"}})
			return
		}
	}
	code := randomHex(16)
	s.mu.Lock()
	s.codes[code] = &codeGrant{
		redirectURI: redirect,
		challenge:   q.Get("code_challenge"),
		method:      q.Get("code_challenge_method"),
		scope:       q.Get("scope"),
		user:        user,
	}
	s.mu.Unlock()
	back(url.Values{"code": {code}})
}

func tokenError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		tokenError(w, http.StatusMethodNotAllowed, "invalid_request", "POST only")
		return
	}
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		tokenError(w, http.StatusBadRequest, "invalid_request", "form body required")
		return
	}
	if err := r.ParseForm(); err != nil {
		tokenError(w, http.StatusBadRequest, "invalid_request", "bad form")
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	if !ok || id != s.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(s.ClientSecret)) != 1 {
		w.Header().Set("WWW-Authenticate", `Basic realm="pangea"`)
		tokenError(w, http.StatusUnauthorized, "invalid_client", "client_secret_basic authentication failed")
		return
	}
	if r.PostForm.Get("grant_type") != "authorization_code" {
		tokenError(w, http.StatusBadRequest, "unsupported_grant_type", "authorization_code only")
		return
	}
	code := r.PostForm.Get("code")
	s.mu.Lock()
	g := s.codes[code]
	delete(s.codes, code)
	s.mu.Unlock()
	if g == nil {
		tokenError(w, http.StatusBadRequest, "invalid_grant", "unknown or used code")
		return
	}
	if r.PostForm.Get("redirect_uri") != g.redirectURI {
		tokenError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri mismatch")
		return
	}
	if g.challenge != "" {
		h := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if g.method != "S256" || base64.RawURLEncoding.EncodeToString(h[:]) != g.challenge {
			tokenError(w, http.StatusBadRequest, "invalid_grant", "PKCE verification failed")
			return
		}
	}
	tok := "ptu_" + randomHex(16)
	s.mu.Lock()
	s.tokens[tok] = g.user
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token":  tok,
		"token_type":    "Bearer",
		"expires_in":    3600,
		"refresh_token": "ptr_" + randomHex(16),
		"scope":         g.scope,
	})
}

// envelope is Pangea's response envelope.
type envelope struct {
	RequestID    string `json:"request_id"`
	RequestTime  string `json:"request_time"`
	ResponseTime string `json:"response_time"`
	Status       string `json:"status"`
	Summary      string `json:"summary"`
	Result       any    `json:"result"`
}

func writeEnvelope(w http.ResponseWriter, status int, st, summary string, result any) {
	now := time.Now().UTC().Format(time.RFC3339Nano)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(envelope{
		RequestID:    "prq_" + randomHex(16),
		RequestTime:  now,
		ResponseTime: now,
		Status:       st,
		Summary:      summary,
		Result:       result,
	})
}

func (s *Server) tokenCheck(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeEnvelope(w, http.StatusMethodNotAllowed, "ValidationError", "POST only", nil)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+s.ServiceToken)) != 1 {
		writeEnvelope(w, http.StatusUnauthorized, "Unauthorized", "Not authorized to access this resource", nil)
		return
	}
	var in struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Token == "" {
		writeEnvelope(w, http.StatusBadRequest, "ValidationError", "token is required", nil)
		return
	}
	s.mu.Lock()
	u := s.tokens[in.Token]
	s.mu.Unlock()
	if u == nil {
		writeEnvelope(w, http.StatusBadRequest, "InvalidToken", "Invalid token", nil)
		return
	}
	now := time.Now().UTC()
	writeEnvelope(w, http.StatusOK, "Success", "Token is valid", map[string]any{
		"id":         "pmt_" + randomHex(8),
		"type":       "user",
		"life":       3600,
		"expire":     now.Add(time.Hour).Format(time.RFC3339),
		"identity":   u.ID,
		"email":      u.Email,
		"scopes":     []string{},
		"profile":    map[string]string{"first_name": "Test", "last_name": "User"},
		"created_at": now.Format(time.RFC3339),
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("pangeaauthntest: %v", err))
	}
	return hex.EncodeToString(b)
}
