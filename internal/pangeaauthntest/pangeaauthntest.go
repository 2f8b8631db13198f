// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package pangeaauthntest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"
)

// Patterns of the AuthN OpenAPI specification
// (pangeacyber/pangea-python,
// packages/pangea-sdk/tests/testdata/specs/authn.openapi.json), by
// component name. They are the spec's text: TokenPattern and
// UserTokenPattern anchor only their first alternative at the start and
// their second at the end, exactly as written there.
var (
	// TokenPattern is authn-token, the token POST /v2/client/token/check
	// accepts: a Pangea token (pti_, ptr_, pts_, ptu_ or pcl_ and 32
	// lower-case base32 characters) or a JWS compact serialization.
	TokenPattern = regexp.MustCompile(`^(p(ti|tr|ts|tu|cl)_[a-z2-7]{32})|([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$`)
	// UserTokenPattern is authn-token-user.
	UserTokenPattern = regexp.MustCompile(`^(ptu_[a-z2-7]{32})|([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$`)
	// ClientIDPattern is authn-serviceaccount-id, an OAuth client's id.
	ClientIDPattern = regexp.MustCompile(`^psa_[a-z2-7]{32}$`)
	// ClientSecretPattern is authn-oauth-client-secret.
	ClientSecretPattern = regexp.MustCompile(`^pck_[a-z2-7]{32}$`)
	// UserIDPattern is authn-identity-user.
	UserIDPattern = regexp.MustCompile(`^pui_[a-z2-7]{32}$`)
	// ScopePattern is authn-oauth-scope, a space-separated scope list.
	ScopePattern = regexp.MustCompile(`^$|^[a-zA-Z0-9:*/_=-]+(?:\s+[a-zA-Z0-9:*/_=-]+)*$`)
	// StatePattern is authn-callback-state.
	StatePattern = regexp.MustCompile(`^[a-zA-Z0-9_\-+/=.]{8,999}$`)
	// TicketPattern is authn-ticket-id; the double's authorization codes
	// are tickets.
	TicketPattern = regexp.MustCompile(`^p[a-z][a-z2]_[a-z2-7]{32}$`)
)

// Defaults, each of the form the spec gives it.
const (
	DefaultClientID     = "psa_testclientaaaaaaaaaaaaaaaaaaaaaa"
	DefaultClientSecret = "pck_testsecretaaaaaaaaaaaaaaaaaaaaaa"
	DefaultServiceToken = "pts_testserviceaaaaaaaaaaaaaaaaaaaaa"
	DefaultUserID       = "pui_testuseraaaaaaaaaaaaaaaaaaaaaaaa"
	DefaultUserEmail    = "test-user@example.com"
	DefaultUserPassword = "verysecure"
	// AccessTokenLife is the expires_in of the access tokens, in seconds.
	AccessTokenLife = 3600
)

// DefaultScopes are the scopes the OAuth client may request when
// [Options.Scopes] is nil.
var DefaultScopes = []string{"openid", "user"}

// TokenFormat is the form of the access tokens POST /v2/oauth/token issues.
type TokenFormat int

const (
	// TokenOpaque: "ptu_" and 32 lower-case base32 characters, a user
	// token as authn-token-user describes it. The token check knows it.
	TokenOpaque TokenFormat = iota
	// TokenJWT: an ES256 JWT signed with the key POST /v2/client/jwks
	// publishes (AuthN can issue JWTs when JWT signing is configured:
	// authn-userpool-token-conf.jwt_signing). The token check knows it.
	TokenJWT
	// TokenForeign: "pat_" and 40 hex digits, a form outside
	// authn-token's pattern. No such token is documented; it models a
	// service whose OAuth access tokens the token check cannot take, so
	// clients can be tested against that case.
	TokenForeign
)

// User is an AuthN user.
type User struct {
	// ID is the AuthN identity, "pui_" and 32 base32 characters.
	ID       string
	Email    string
	Password string
}

// Options configure a [Server]. Zero fields take the defaults shown.
type Options struct {
	// ClientID and ClientSecret are the OAuth client's credentials.
	// Default DefaultClientID and DefaultClientSecret.
	ClientID     string
	ClientSecret string
	// ClientAuth is the client's token_endpoint_auth_method:
	// "client_secret_basic" (default) or "client_secret_post"
	// (authn-oauth-client-token-auth). The other is refused.
	ClientAuth string
	// Scopes are the scopes the client may request. Default DefaultScopes.
	Scopes []string
	// RedirectURIs are the client's registered redirect URIs; more can be
	// added with [Server.AllowRedirectURI]. Any other is refused.
	RedirectURIs []string
	// ServiceToken is the AuthN service token the service API demands.
	// Default DefaultServiceToken.
	ServiceToken string
	// Users are the known users. Default: one user, DefaultUserID,
	// DefaultUserEmail, DefaultUserPassword.
	Users []User
	// Login requires the test login form instead of approving at once.
	Login bool
	// AccessTokens is the form of issued access tokens. Default
	// TokenOpaque.
	AccessTokens TokenFormat
	// TokenCheckUnaware makes the token check answer for the OAuth access
	// tokens as for tokens it does not know, modelling a service whose
	// OAuth tokens and session tokens live apart.
	TokenCheckUnaware bool
	// WithholdScopes are scopes the server never grants: a request for them
	// succeeds without them (RFC 6749 §3.3 lets a server grant less than
	// asked; the token response's scope says what was granted).
	WithholdScopes []string
	// Issuer is the iss of issued JWTs. Default the server's URL.
	Issuer string
	// UserinfoPath, when set, serves an OpenID Connect userinfo endpoint
	// (GET, bearer access token, {"sub","email"}) at that path. AuthN's
	// specification has none for OAuth access tokens; this models a
	// deployment that offers one.
	UserinfoPath string
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
// the service API base URL. It is safe for concurrent use.
type Server struct {
	URL          string
	ClientID     string
	ClientSecret string
	ServiceToken string

	srv  *httptest.Server
	opts Options
	key  *ecdsa.PrivateKey
	kid  string

	mu        sync.Mutex // guards everything below
	requests  []Request
	redirects []string
	codes     map[string]*codeGrant
	tokens    map[string]*tokenInfo
	nextError string
	user      *User
}

// codeGrant is an issued authorization code.
type codeGrant struct {
	redirectURI string
	challenge   string
	scope       string
	nonce       string
	user        *User
}

// tokenInfo is what the double knows of an issued token.
type tokenInfo struct {
	user     *User
	clientID string
	scope    string
	issued   time.Time
	oauth    bool // issued by /v2/oauth/token
}

// New starts a double that is closed when the test ends.
func New(t testing.TB, opts *Options) *Server {
	t.Helper()
	var o Options
	if opts != nil {
		o = *opts
	}
	o.ClientID = or(o.ClientID, DefaultClientID)
	o.ClientSecret = or(o.ClientSecret, DefaultClientSecret)
	o.ClientAuth = or(o.ClientAuth, "client_secret_basic")
	o.ServiceToken = or(o.ServiceToken, DefaultServiceToken)
	if o.Scopes == nil {
		o.Scopes = DefaultScopes
	}
	if len(o.Users) == 0 {
		o.Users = []User{{ID: DefaultUserID, Email: DefaultUserEmail, Password: DefaultUserPassword}}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{
		ClientID:     o.ClientID,
		ClientSecret: o.ClientSecret,
		ServiceToken: o.ServiceToken,
		opts:         o,
		key:          key,
		kid:          "pvi_" + randBase32() + "|1", // a Vault key id and version, as /v2/client/jwks shows them
		redirects:    slices.Clone(o.RedirectURIs),
		codes:        make(map[string]*codeGrant),
		tokens:       make(map[string]*tokenInfo),
		user:         &o.Users[0],
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v2/oauth/authorize", s.authorize)
	mux.HandleFunc("/v2/oauth/token", s.token)
	mux.HandleFunc("/v2/client/token/check", s.tokenCheck)
	mux.HandleFunc("/v2/client/jwks", s.jwks)
	if o.UserinfoPath != "" {
		mux.HandleFunc(o.UserinfoPath, s.userinfo)
	}
	s.srv = httptest.NewServer(s.record(mux))
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Issuer returns the iss of the JWTs the server issues.
func (s *Server) Issuer() string {
	if s.opts.Issuer != "" {
		return s.opts.Issuer
	}
	return s.srv.URL // set before the server serves
}

// AllowRedirectURI registers uri as a redirect URI of the OAuth client.
func (s *Server) AllowRedirectURI(uri string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.redirects = append(s.redirects, uri)
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
	s.user = s.findUser(id)
}

// findUser returns the user with id; s.mu must be held.
func (s *Server) findUser(id string) *User {
	for i := range s.opts.Users {
		if s.opts.Users[i].ID == id {
			return &s.opts.Users[i]
		}
	}
	panic("pangeaauthntest: unknown user " + id)
}

// IssueToken returns a fresh user token ("ptu_…") for id, as if the user
// had logged in through AuthN's own flow.
func (s *Server) IssueToken(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	tok := "ptu_" + randBase32()
	s.tokens[tok] = &tokenInfo{user: s.findUser(id), issued: time.Now()}
	return tok
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

// idEncoding is lower-case unpadded base32: the [a-z2-7] of Pangea ids.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// randBase32 returns 32 random characters of [a-z2-7].
func randBase32() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("pangeaauthntest: %v", err))
	}
	return idEncoding.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
