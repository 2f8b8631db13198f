// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package providertest runs the provider against real components in tests:
// an in-process OpenID Provider built on zitadel's op package, with a
// login form a test can fill in ([NewOPHandler]), a cookie-jar browser that drives the
// consent page and the OP's login form, and [ReplicaFlow], a whole login
// whose steps alternate between two provider instances sharing one
// [repository.Store]. Storage backends use ReplicaFlow to show that a
// multi-replica deployment works on them.
//
// For MCP clients, [OAuthHandler] gives the go-sdk client an OAuth handler
// that registers dynamically and logs in with a [Browser], and [EndToEnd]
// runs that client through the whole login against a router integration
// (such as the chi and gin adapters) that serves the provider and an MCP
// endpoint behind mcpauth.
package providertest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mcpauth/mcpauth/provider"
	"github.com/mcpauth/mcpauth/repository"
)

// Credentials of the confidential client registered at the [OP], and the
// redirect URI of the MCP client the browser stops at.
const (
	UpstreamClientID     = "mcpauth-upstream"
	UpstreamClientSecret = "upstream-secret"
	ClientRedirect       = "http://127.0.0.1:1/callback"
)

// OP is an in-process OpenID Provider on an httptest server (see
// [NewOPHandler]).
type OP struct {
	*httptest.Server
}

// StartOP starts the OpenID Provider of [NewOPHandler] with its confidential
// client allowed to redirect to redirectURIs. The server closes when the
// test ends.
func StartOP(t testing.TB, redirectURIs ...string) *OP {
	t.Helper()
	var h atomic.Pointer[http.Handler]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*h.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	oph, err := NewOPHandler(srv.URL, redirectURIs...)
	if err != nil {
		t.Fatalf("providertest: %v", err)
	}
	h.Store(&oph)
	return &OP{Server: srv}
}

// Upstream returns upstream options for the OP.
func (op *OP) Upstream() provider.UpstreamOptions {
	return provider.UpstreamOptions{Issuer: op.URL, ClientID: UpstreamClientID, ClientSecret: UpstreamClientSecret}
}

// Browser is a user agent with a cookie jar. It follows redirects until the
// MCP client's redirect URI ([ClientRedirect]).
type Browser struct {
	c *http.Client

	// Username is the account Authorize logs in as at the OP's login form.
	// Default: the OP's test user at the OP's host, "test-user@<host>"
	// (subject id1); "test-user2" is the OP's other user (subject id2).
	Username string
	// NoUpstreamLogin makes Authorize expect the upstream to send the
	// browser straight back after the consent, with no login form (as the
	// Pangea AuthN test double does), instead of logging in at the OP.
	NoUpstreamLogin bool

	authorizations atomic.Int32
}

// NewBrowser returns a browser with an empty cookie jar.
func NewBrowser() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{c: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), ClientRedirect) || len(via) > 20 {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

var hiddenRE = regexp.MustCompile(`name="(consent_id|csrf_token)" value="([^"]*)"`)

// Authorize opens authURL, approves the consent page at the provider whose
// issuer is base, logs in at the OP (see [Browser.Username] and
// [Browser.NoUpstreamLogin]) and returns the parameters the MCP client's
// redirect URI received.
func (b *Browser) Authorize(base, authURL string) (url.Values, error) {
	return b.AuthorizeContext(context.Background(), base, authURL)
}

// AuthorizeContext is [Browser.Authorize] with a context for its requests.
func (b *Browser) AuthorizeContext(ctx context.Context, base, authURL string) (url.Values, error) {
	b.authorizations.Add(1)
	page, at, _, err := b.do(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	form := url.Values{"action": {"approve"}}
	for _, m := range hiddenRE.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], m[2])
	}
	if form.Get("csrf_token") == "" {
		return nil, fmt.Errorf("providertest: no consent page at %s: %.200s", at, page)
	}
	page, at, loc, err := b.do(ctx, http.MethodPost, base+provider.PathConsent, form)
	if err != nil {
		return nil, err
	}
	if !b.NoUpstreamLogin {
		if !strings.Contains(at.Path, "/login/username") {
			return nil, fmt.Errorf("providertest: no OP login page at %s", at)
		}
		username := b.Username
		if username == "" {
			username = "test-user@" + at.Hostname()
		}
		login := *at
		login.RawQuery = ""
		page, _, loc, err = b.do(ctx, http.MethodPost, login.String(), url.Values{
			"id": {at.Query().Get("authRequestID")}, "username": {username}, "password": {"verysecure"},
		})
		if err != nil {
			return nil, err
		}
	}
	if !strings.HasPrefix(loc, ClientRedirect) {
		return nil, fmt.Errorf("providertest: the login ended at %q, not at the client: %.200s", loc, page)
	}
	u, err := url.Parse(loc)
	if err != nil {
		return nil, err
	}
	return u.Query(), nil
}

// Authorizations returns how many times b has run Authorize.
func (b *Browser) Authorizations() int { return int(b.authorizations.Load()) }

// do sends a request and returns the body, the final URL and the Location
// of a final redirect.
func (b *Browser) do(ctx context.Context, method, u string, form url.Values) (string, *url.URL, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return "", nil, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		return "", nil, "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw), resp.Request.URL, resp.Header.Get("Location"), nil
}

// PKCE returns a random verifier and its S256 challenge.
func PKCE() (verifier, challenge string) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	verifier = base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(h[:])
}

// AuthorizeURL builds an authorization request for a public client.
func AuthorizeURL(base, clientID, challenge, resource string) string {
	return base + provider.PathAuthorize + "?" + url.Values{
		"client_id": {clientID}, "redirect_uri": {ClientRedirect}, "response_type": {"code"},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"}, "state": {"xyz"}, "resource": {resource},
	}.Encode()
}

// roundRobin sends each request to the next replica.
type roundRobin struct {
	mu       sync.Mutex
	replicas []http.Handler
	next     int
	first    map[string]int // "METHOD path" → replica that served it first
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rr.mu.Lock()
	i := rr.next
	rr.next = (rr.next + 1) % len(rr.replicas)
	if _, ok := rr.first[r.Method+" "+r.URL.Path]; !ok {
		rr.first[r.Method+" "+r.URL.Path] = i
	}
	h := rr.replicas[i]
	rr.mu.Unlock()
	h.ServeHTTP(w, r)
}

// ReplicaFlow runs a whole login through a round-robin load balancer in
// front of two provider instances that share only store and an encryption
// key, so each step lands on the other instance than the step before:
// registration, authorize, consent, callback, token exchange, MCP calls on
// both instances (each decrypting the upstream token), refresh with
// rotation, refresh-token reuse detection, authorization-code replay
// detection and revocation. The verified-token
// cache is off, so revocation is seen at once everywhere. store must
// implement [repository.Taker].
func ReplicaFlow(t *testing.T, store repository.Store) {
	t.Helper()
	ReplicaFlowStores(t, store, store)
}

// ReplicaFlowStores is [ReplicaFlow] with a store of its own for each
// instance, as separate processes have: a and b must be two clients of one
// shared backend.
func ReplicaFlowStores(t *testing.T, a, b repository.Store) {
	t.Helper()
	rr := &roundRobin{first: map[string]int{}}
	front := httptest.NewServer(rr)
	t.Cleanup(front.Close)
	op := StartOP(t, front.URL+provider.DefaultCallbackPath)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	for _, store := range []repository.Store{a, b} {
		p, err := provider.New(&provider.Options{
			BaseURL:       front.URL,
			Store:         store,
			EncryptionKey: key,
			TokenCacheTTL: -1,
			Upstream:      op.Upstream(),
		})
		if err != nil {
			t.Fatalf("providertest: New: %v", err)
		}
		mux := http.NewServeMux()
		p.Mount(mux)
		mux.Handle("/mcp", p.RequireBearer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			g, _ := provider.GrantFromContext(r.Context())
			ut, err := provider.UpstreamTokenFromContext(r.Context())
			if err != nil || ut.AccessToken == "" {
				http.Error(w, "no upstream token", http.StatusInternalServerError)
				return
			}
			_, _ = io.WriteString(w, g.Subject)
		})))
		rr.replicas = append(rr.replicas, mux)
	}
	base := front.URL

	reg := post(t, base+provider.PathRegister, "application/json", `{"redirect_uris":["`+ClientRedirect+`"],"token_endpoint_auth_method":"none","client_name":"replica test"}`)
	clientID, _ := reg["client_id"].(string)
	if clientID == "" {
		t.Fatalf("providertest: registration failed: %v", reg)
	}
	// login runs authorize, consent, the OP's login and the callback, and
	// returns the form that redeems the code.
	login := func() string {
		t.Helper()
		verifier, challenge := PKCE()
		q, err := NewBrowser().Authorize(base, AuthorizeURL(base, clientID, challenge, base+"/mcp"))
		if err != nil {
			t.Fatal(err)
		}
		if q.Get("code") == "" {
			t.Fatalf("providertest: the client got %v, want a code", q)
		}
		return url.Values{
			"grant_type": {"authorization_code"}, "client_id": {clientID}, "code": {q.Get("code")},
			"redirect_uri": {ClientRedirect}, "code_verifier": {verifier}, "resource": {base + "/mcp"},
		}.Encode()
	}
	tok := post(t, base+provider.PathToken, "application/x-www-form-urlencoded", login())
	at, _ := tok["access_token"].(string)
	rt, _ := tok["refresh_token"].(string)
	if at == "" || rt == "" {
		t.Fatalf("providertest: token exchange failed: %v", tok)
	}
	for i := range 2 {
		if status, body := callMCP(t, base, at); status != http.StatusOK || body != "id1" {
			t.Fatalf("providertest: MCP call %d: got %d %q, want 200 id1", i, status, body)
		}
	}
	refresh := func(rt string) map[string]any {
		return post(t, base+provider.PathToken, "application/x-www-form-urlencoded", url.Values{
			"grant_type": {"refresh_token"}, "client_id": {clientID}, "refresh_token": {rt},
		}.Encode())
	}
	next := refresh(rt)
	at2, _ := next["access_token"].(string)
	if at2 == "" || next["refresh_token"] == rt {
		t.Fatalf("providertest: refresh failed: %v", next)
	}
	if reuse := refresh(rt); reuse["error"] != "invalid_grant" {
		t.Fatalf("providertest: refresh-token reuse: got %v, want invalid_grant", reuse)
	}
	for i := range 2 {
		if status, _ := callMCP(t, base, at2); status != http.StatusUnauthorized {
			t.Errorf("providertest: MCP call %d after the reuse revoked the grant: got %d, want 401", i, status)
		}
	}
	// A second login's code, redeemed twice: the replay fails and revokes
	// what the code granted, on both instances.
	redeem := login()
	at3, _ := post(t, base+provider.PathToken, "application/x-www-form-urlencoded", redeem)["access_token"].(string)
	if status, body := callMCP(t, base, at3); status != http.StatusOK || body != "id1" {
		t.Fatalf("providertest: MCP call with the second login's token: got %d %q, want 200 id1", status, body)
	}
	if again := post(t, base+provider.PathToken, "application/x-www-form-urlencoded", redeem); again["error"] != "invalid_grant" {
		t.Errorf("providertest: second redemption of a code: got %v, want invalid_grant", again)
	}
	for i := range 2 {
		if status, _ := callMCP(t, base, at3); status != http.StatusUnauthorized {
			t.Errorf("providertest: MCP call %d after the code replay: got %d, want 401", i, status)
		}
	}
	rr.mu.Lock()
	first := rr.first
	rr.mu.Unlock()
	steps := []string{"POST /register", "GET /authorize", "POST /authorize/consent", "GET " + provider.DefaultCallbackPath, "POST /token"}
	for i := 1; i < len(steps); i++ {
		if first[steps[i-1]] == first[steps[i]] {
			t.Errorf("providertest: %q and %q ran on the same replica", steps[i-1], steps[i])
		}
	}
}

func post(t *testing.T, u, contentType, body string) map[string]any {
	t.Helper()
	resp, err := http.Post(u, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return m
}

func callMCP(t *testing.T, base, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
