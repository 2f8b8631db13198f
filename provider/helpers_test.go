// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/provider"
	"github.com/mcpauth/mcpauth/provider/providertest"
	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/memory"
)

// Upstream client credentials registered at the in-process OP.
const (
	upstreamClientID     = "mcpauth-upstream"
	upstreamClientSecret = "upstream-secret"
	// clientRedirect is the MCP client's loopback redirect URI; nothing
	// listens there: the test browser stops before following it.
	clientRedirect = "http://127.0.0.1:1/callback"
)

// clock is an injectable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

// newClock starts at the real time, because upstream token expiries come
// from the real clock of the in-process OP.
func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Second)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// handlerHolder lets a server start before its handler exists, so the
// handler can be built with the server's URL.
type handlerHolder struct {
	mu sync.RWMutex
	h  http.Handler
}

func (hh *handlerHolder) set(h http.Handler) {
	hh.mu.Lock()
	hh.h = h
	hh.mu.Unlock()
}

func (hh *handlerHolder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hh.mu.RLock()
	h := hh.h
	hh.mu.RUnlock()
	if h == nil {
		http.Error(w, "not ready", http.StatusServiceUnavailable)
		return
	}
	h.ServeHTTP(w, r)
}

// startOP starts the in-process OpenID Provider of providertest with one
// confidential client whose redirect URIs are redirectURIs.
func startOP(t *testing.T, redirectURIs ...string) *opServer {
	t.Helper()
	var hh handlerHolder
	op := &opServer{}
	op.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/auth" {
			op.mu.Lock()
			op.auth = append(op.auth, r.URL.Query())
			op.mu.Unlock()
		}
		hh.ServeHTTP(w, r)
	}))
	t.Cleanup(op.Close)
	hh.set(opHandler(t, op.URL, redirectURIs...))
	return op
}

// opServer is the in-process OP; it records its authorization requests.
type opServer struct {
	*httptest.Server
	mu   sync.Mutex
	auth []url.Values
}

func (op *opServer) authRequests() []url.Values {
	op.mu.Lock()
	defer op.mu.Unlock()
	return append([]url.Values(nil), op.auth...)
}

// opHandler builds the in-process OP for issuer.
func opHandler(t *testing.T, issuer string, redirectURIs ...string) http.Handler {
	t.Helper()
	h, err := providertest.NewOPHandler(issuer, redirectURIs...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// env is one provider (or several sharing a store) in front of an
// in-process OP.
type env struct {
	t     *testing.T
	op    *opServer
	srvs  []*httptest.Server
	ps    []*provider.Provider
	clock *clock
	store repository.Store
	// extra serves /test/ on every instance, for pages tests add.
	extra *http.ServeMux
}

// newEnv starts n provider instances sharing one memory store and one
// encryption key, each on its own server, with the OP as upstream.
// modify, when non-nil, adjusts the options of every instance.
func newEnv(t *testing.T, n int, modify func(*provider.Options)) *env {
	t.Helper()
	e := &env{t: t, clock: newClock(), extra: http.NewServeMux()}
	mem := memory.New(&memory.Options{Clock: e.clock.Now})
	e.store = mem
	holders := make([]*handlerHolder, n)
	var redirects []string
	for i := range n {
		holders[i] = &handlerHolder{}
		srv := httptest.NewServer(holders[i])
		t.Cleanup(srv.Close)
		e.srvs = append(e.srvs, srv)
		redirects = append(redirects, srv.URL+provider.DefaultCallbackPath)
	}
	e.op = startOP(t, redirects...)
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		// Every replica has its own URL here, so each is its own issuer;
		// what they share is the store and the key.
		opts := &provider.Options{
			BaseURL:       e.srvs[i].URL,
			Scopes:        []string{"mcp:tools", "mcp:admin"},
			Store:         mem,
			EncryptionKey: key,
			Now:           e.clock.Now,
			Upstream: provider.UpstreamOptions{
				Issuer:       e.op.URL,
				ClientID:     upstreamClientID,
				ClientSecret: upstreamClientSecret,
			},
			Clients: []provider.StaticClient{
				{ID: "static-public", Name: "Static Public", RedirectURIs: []string{clientRedirect}},
				{ID: "static-confidential", Secret: "s3cret", RedirectURIs: []string{clientRedirect}},
				{ID: "static-post", Secret: "p0st", AuthMethod: provider.AuthMethodClientSecretPost, RedirectURIs: []string{clientRedirect}},
			},
		}
		if modify != nil {
			modify(opts)
		}
		p, err := provider.New(opts)
		if err != nil {
			t.Fatalf("provider.New: %v", err)
		}
		e.ps = append(e.ps, p)
		mux := http.NewServeMux()
		p.Mount(mux)
		mux.Handle("/mcp", p.RequireBearer(http.HandlerFunc(echoPrincipal)))
		mux.Handle("/test/", e.extra)
		holders[i].set(mux)
	}
	return e
}

// url returns the base URL of instance i.
func (e *env) url(i int) string { return e.srvs[i].URL }

// browser is a user agent with a cookie jar that follows redirects until
// it reaches the MCP client's redirect URI.
type browser struct {
	t *testing.T
	c *http.Client
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, c: &http.Client{
		Jar: jar,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), clientRedirect) {
				return http.ErrUseLastResponse
			}
			if len(via) > 20 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}}
}

// noFollow returns a client sharing the browser's cookies that stops at the
// first redirect.
func (b *browser) noFollow() *http.Client {
	return &http.Client{Jar: b.c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

type page struct {
	status int
	body   string
	header http.Header
	url    *url.URL // final URL
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return &page{status: resp.StatusCode, body: string(body), header: resp.Header, url: resp.Request.URL}
}

func (b *browser) get(u string) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) *page {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var hiddenRE = regexp.MustCompile(`name="(consent_id|csrf_token|id)" value="([^"]*)"`)

// hidden returns the hidden form fields of a page.
func hidden(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], m[2])
	}
	return v
}

// clientRedirectOf returns the parameters of the redirect to the MCP client
// that ended p, failing the test if p did not end there.
func clientRedirectOf(t *testing.T, p *page) url.Values {
	t.Helper()
	if p.status != http.StatusFound {
		t.Fatalf("got status %d at %s, want a redirect to the client; body: %.300s", p.status, p.url, p.body)
	}
	loc, err := url.Parse(p.header.Get("Location"))
	if err != nil || !strings.HasPrefix(loc.String(), clientRedirect) {
		t.Fatalf("got redirect to %q, want %s", p.header.Get("Location"), clientRedirect)
	}
	return loc.Query()
}

// consent answers the consent page (approve or deny) and follows redirects.
func (b *browser) consent(consentPage *page, base, action string) *page {
	b.t.Helper()
	if consentPage.status != http.StatusOK || !strings.Contains(consentPage.body, "csrf_token") {
		b.t.Fatalf("got status %d, want the consent page; body: %.300s", consentPage.status, consentPage.body)
	}
	f := hidden(consentPage.body)
	f.Set("action", action)
	return b.post(base+provider.PathConsent, f)
}

// loginOP completes the OP's login form (the OP redirected the browser to
// its login page) and follows redirects to the MCP client.
func (b *browser) loginOP(loginPage *page) *page {
	b.t.Helper()
	if loginPage.status != http.StatusOK || !strings.Contains(loginPage.url.Path, "/login/username") {
		b.t.Fatalf("got status %d at %s, want the OP login page; body: %.300s", loginPage.status, loginPage.url, loginPage.body)
	}
	id := loginPage.url.Query().Get("authRequestID")
	u := *loginPage.url
	u.RawQuery = ""
	return b.post(u.String(), url.Values{
		"id":       {id},
		"username": {"test-user@" + loginPage.url.Hostname()},
		"password": {"verysecure"},
	})
}

// pkce is a verifier and its S256 challenge.
type pkce struct{ verifier, challenge string }

func newPKCE() pkce {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	h := sha256.Sum256([]byte(v))
	return pkce{verifier: v, challenge: base64.RawURLEncoding.EncodeToString(h[:])}
}

// authorizeURL builds an authorization request for clientID.
func authorizeURL(base, clientID string, pk pkce, extra url.Values) string {
	q := url.Values{
		"client_id":             {clientID},
		"redirect_uri":          {clientRedirect},
		"response_type":         {"code"},
		"code_challenge":        {pk.challenge},
		"code_challenge_method": {"S256"},
		"state":                 {"client-state-1"},
		"resource":              {base + "/mcp"},
	}
	for k, v := range extra {
		if len(v) == 0 {
			q.Del(k)
		} else {
			q[k] = v
		}
	}
	return base + provider.PathAuthorize + "?" + q.Encode()
}

// authorize runs authorize → consent (approve) → OP login → callback and
// returns the code sent to the client.
func (e *env) authorize(b *browser, base, clientID string, pk pkce) string {
	e.t.Helper()
	cp := b.get(authorizeURL(base, clientID, pk, nil))
	lp := b.consent(cp, base, "approve")
	q := clientRedirectOf(e.t, b.loginOP(lp))
	if q.Get("code") == "" || q.Get("state") != "client-state-1" || q.Get("iss") != base {
		e.t.Fatalf("got client redirect %v, want code, state client-state-1 and iss %s", q, base)
	}
	return q.Get("code")
}

// tokenResult is a decoded token endpoint response.
type tokenResult struct {
	status int
	header http.Header
	body   map[string]any
}

func (r *tokenResult) str(k string) string { s, _ := r.body[k].(string); return s }

// postForm posts a form to the token or revocation endpoint, with basic
// credentials if basicID is not empty.
func postForm(t *testing.T, u string, form url.Values, basicID, basicSecret string) *tokenResult {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	res := &tokenResult{status: resp.StatusCode, header: resp.Header, body: map[string]any{}}
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &res.body); err != nil {
			t.Fatalf("token endpoint body %q: %v", raw, err)
		}
	}
	return res
}

// exchange redeems code as a public client.
func exchange(t *testing.T, base, clientID, code, verifier string) *tokenResult {
	t.Helper()
	return postForm(t, base+provider.PathToken, url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {clientID},
		"code":          {code},
		"redirect_uri":  {clientRedirect},
		"code_verifier": {verifier},
		"resource":      {base + "/mcp"},
	}, "", "")
}

// refresh uses a refresh token as a public client.
func refresh(t *testing.T, base, clientID, rt string) *tokenResult {
	t.Helper()
	return postForm(t, base+provider.PathToken, url.Values{
		"grant_type":    {"refresh_token"},
		"client_id":     {clientID},
		"refresh_token": {rt},
	}, "", "")
}

// wantOAuthError checks a token endpoint error.
func wantOAuthError(t *testing.T, r *tokenResult, status int, code string) {
	t.Helper()
	if r.status != status || r.str("error") != code {
		t.Fatalf("got %d %v, want %d error %q", r.status, r.body, status, code)
	}
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", r.header.Get("Cache-Control"))
	}
}

// callMCP calls the protected endpoint with a bearer token and returns the
// status, the WWW-Authenticate header and the body.
func callMCP(t *testing.T, base, token string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate"), string(body)
}

// echoPrincipal is the protected handler of the test servers: it returns the
// verified grant as JSON.
func echoPrincipal(w http.ResponseWriter, r *http.Request) {
	g, ok := provider.GrantFromContext(r.Context())
	if !ok {
		http.Error(w, "no grant", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"client_id": g.ClientID, "subject": g.Subject, "email": g.Email,
		"source": g.IdentitySource, "scopes": g.Scopes, "resource": g.Resource,
	})
}

// register registers a public client dynamically.
func register(t *testing.T, base string, md map[string]any) *tokenResult {
	t.Helper()
	if md == nil {
		md = map[string]any{
			"redirect_uris":              []string{clientRedirect},
			"token_endpoint_auth_method": "none",
			"grant_types":                []string{"authorization_code", "refresh_token"},
			"client_name":                "Test Client",
		}
	}
	b, _ := json.Marshal(md)
	resp, err := http.Post(base+provider.PathRegister, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	res := &tokenResult{status: resp.StatusCode, header: resp.Header, body: map[string]any{}}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &res.body)
	return res
}
