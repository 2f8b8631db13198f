// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package vaulttest

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

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"

	"github.com/mcpauth/mcpauth/provider"
	"github.com/mcpauth/mcpauth/repository/hcvault"
)

// The MCP client of the flow: a public client with a loopback redirect URI
// that nothing listens on (the test's browser stops at the redirect).
const (
	upstreamID     = "mcpauth-upstream"
	upstreamSecret = "upstream-secret"
	clientRedirect = "http://127.0.0.1:1/callback"
)

// alternating is a load balancer that sends each request to the other
// replica than the request before, and records who served what.
type alternating struct {
	mu       sync.Mutex // guards next, served
	replicas []http.Handler
	next     int
	served   []served
}

type served struct {
	replica int
	step    string // "<method> <path>"
}

func (a *alternating) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	i := a.next
	a.next = (a.next + 1) % len(a.replicas)
	a.served = append(a.served, served{i, r.Method + " " + r.URL.Path})
	h := a.replicas[i]
	a.mu.Unlock()
	h.ServeHTTP(w, r)
}

// replicaOf returns the replica that served the first request for step.
func (a *alternating) replicaOf(step string) (int, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range a.served {
		if s.step == step {
			return s.replica, true
		}
	}
	return 0, false
}

// TestProviderReplicasShareVault runs a whole OAuth flow through two
// provider instances whose only shared state is one hcvault store on a real
// Vault (and the encryption key): each step of the flow lands on the other
// replica than the step before.
func TestProviderReplicasShareVault(t *testing.T) {
	v := startVault(t)
	clock := newClock()
	lb := &alternating{}
	front := httptest.NewServer(lb)
	t.Cleanup(front.Close)
	op := startUpstream(t, front.URL+provider.DefaultCallbackPath)

	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		// Each replica has its own client and store, as separate processes
		// would; they meet only in Vault.
		store := v.newStore(t, hcvault.Options{Prefix: "replicas", Clock: clock.Now, Client: v.newClient(t, v.root)})
		p, err := provider.New(&provider.Options{
			BaseURL:       front.URL,
			Store:         store,
			EncryptionKey: key,
			Now:           clock.Now,
			Upstream:      provider.UpstreamOptions{Issuer: op.URL, ClientID: upstreamID, ClientSecret: upstreamSecret},
		})
		if err != nil {
			t.Fatalf("provider.New: %v", err)
		}
		mux := http.NewServeMux()
		p.Mount(mux)
		mux.Handle("/mcp", p.RequireBearer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			g, ok := provider.GrantFromContext(r.Context())
			ut, err := provider.UpstreamTokenFromContext(r.Context())
			if !ok || err != nil || ut.AccessToken == "" {
				http.Error(w, "no grant or no upstream token", http.StatusInternalServerError)
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]string{"client_id": g.ClientID, "subject": g.Subject})
		})))
		lb.replicas = append(lb.replicas, mux)
	}
	base := front.URL

	reg := postJSON(t, base+provider.PathRegister, map[string]any{
		"redirect_uris":              []string{clientRedirect},
		"token_endpoint_auth_method": "none",
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"client_name":                "Vault replicas test",
	})
	clientID, _ := reg.body["client_id"].(string)
	if reg.status != http.StatusCreated || clientID == "" {
		t.Fatalf("register: got %d %v", reg.status, reg.body)
	}

	verifier, challenge := pkce(t)
	b := newBrowser(t)
	consentPage := b.get(base + provider.PathAuthorize + "?" + url.Values{
		"client_id":             {clientID},
		"redirect_uri":          {clientRedirect},
		"response_type":         {"code"},
		"code_challenge":        {challenge},
		"code_challenge_method": {"S256"},
		"state":                 {"client-state"},
		"resource":              {base + "/mcp"},
	}.Encode())
	form := hiddenFields(consentPage.body)
	if consentPage.status != http.StatusOK || form.Get("csrf_token") == "" {
		t.Fatalf("authorize: got %d, want the consent page; body: %.300s", consentPage.status, consentPage.body)
	}
	form.Set("action", "approve")
	loginPage := b.post(base+provider.PathConsent, form)
	if loginPage.status != http.StatusOK || !strings.Contains(loginPage.url.Path, "/login/username") {
		t.Fatalf("consent: got %d at %s, want the upstream login page", loginPage.status, loginPage.url)
	}
	loginURL := *loginPage.url
	loginURL.RawQuery = ""
	end := b.post(loginURL.String(), url.Values{
		"id":       {loginPage.url.Query().Get("authRequestID")},
		"username": {"test-user@" + loginPage.url.Hostname()},
		"password": {"verysecure"},
	})
	loc, err := url.Parse(end.header.Get("Location"))
	if end.status != http.StatusFound || err != nil || !strings.HasPrefix(loc.String(), clientRedirect) {
		t.Fatalf("login: got %d redirect to %q, want a redirect to the client", end.status, end.header.Get("Location"))
	}
	code := loc.Query().Get("code")
	if code == "" || loc.Query().Get("state") != "client-state" {
		t.Fatalf("client redirect %v: want a code and the client's state", loc.Query())
	}

	redeem := url.Values{
		"grant_type":    {"authorization_code"},
		"client_id":     {clientID},
		"code":          {code},
		"redirect_uri":  {clientRedirect},
		"code_verifier": {verifier},
		"resource":      {base + "/mcp"},
	}
	tok := postForm(t, base+provider.PathToken, redeem)
	access, _ := tok.body["access_token"].(string)
	refreshToken, _ := tok.body["refresh_token"].(string)
	if tok.status != http.StatusOK || access == "" || refreshToken == "" {
		t.Fatalf("token: got %d %v", tok.status, tok.body)
	}
	for i := range 2 { // one call per replica
		status, body := callMCP(t, base, access)
		if status != http.StatusOK || !strings.Contains(body, clientID) {
			t.Errorf("MCP call %d: got %d %s", i, status, body)
		}
	}
	next := postForm(t, base+provider.PathToken, url.Values{"grant_type": {"refresh_token"}, "client_id": {clientID}, "refresh_token": {refreshToken}})
	nextAccess, _ := next.body["access_token"].(string)
	if next.status != http.StatusOK || nextAccess == "" {
		t.Fatalf("refresh: got %d %v", next.status, next.body)
	}
	for i := range 2 {
		if status, body := callMCP(t, base, nextAccess); status != http.StatusOK {
			t.Errorf("MCP call %d with the refreshed token: got %d %s", i, status, body)
		}
	}
	// The code was taken from Vault: redeeming it again fails, and (as a
	// replayed code must) revokes what it granted, on both replicas (a
	// replica that cached the token notices after the cache TTL).
	if again := postForm(t, base+provider.PathToken, redeem); again.status != http.StatusBadRequest || again.body["error"] != "invalid_grant" {
		t.Errorf("second redemption of the code: got %d %v, want 400 invalid_grant", again.status, again.body)
	}
	clock.Advance(provider.DefaultTokenCacheTTL + time.Second)
	for i := range 2 {
		if status, _ := callMCP(t, base, nextAccess); status != http.StatusUnauthorized {
			t.Errorf("MCP call %d after the code replay: got %d, want 401", i, status)
		}
	}

	steps := []string{
		"POST " + provider.PathRegister,
		"GET " + provider.PathAuthorize,
		"POST " + provider.PathConsent,
		"GET " + provider.DefaultCallbackPath,
		"POST " + provider.PathToken,
	}
	for i := 1; i < len(steps); i++ {
		a, okA := lb.replicaOf(steps[i-1])
		b, okB := lb.replicaOf(steps[i])
		if !okA || !okB || a == b {
			t.Errorf("steps %q (replica %d, seen %v) and %q (replica %d, seen %v) did not alternate", steps[i-1], a, okA, steps[i], b, okB)
		}
	}
	if names := listSecrets(t, v, "replicas"); len(names) == 0 {
		t.Errorf("Vault holds no records under the replicas' prefix: the flow did not go through Vault")
	}
}

// startUpstream starts zitadel's example OpenID provider with one
// confidential client for the replicas' callback.
func startUpstream(t *testing.T, redirectURI string) *httptest.Server {
	t.Helper()
	var (
		mu sync.RWMutex
		h  http.Handler
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.RLock()
		defer mu.RUnlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	clients := map[string]*storage.Client{upstreamID: storage.WebClient(upstreamID, upstreamSecret, redirectURI)}
	mu.Lock()
	h = exampleop.SetupServer(srv.URL, storage.NewStorageWithClients(storage.NewUserStore(srv.URL), clients), nil, false)
	mu.Unlock()
	return srv
}

func pkce(t *testing.T) (verifier, challenge string) {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	verifier = base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// browser is a user agent with cookies that follows redirects until the
// MCP client's redirect URI.
type browser struct {
	t *testing.T
	c *http.Client
}

type page struct {
	status int
	body   string
	header http.Header
	url    *url.URL
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, c: &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), clientRedirect) || len(via) > 20 {
			return http.ErrUseLastResponse
		}
		return nil
	}}}
}

func (b *browser) do(req *http.Request) *page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
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

// hiddenFields returns the hidden fields of the consent form.
func hiddenFields(body string) url.Values {
	v := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], m[2])
	}
	return v
}

type jsonResult struct {
	status int
	body   map[string]any
}

func decodeResult(t *testing.T, resp *http.Response) *jsonResult {
	t.Helper()
	defer resp.Body.Close()
	res := &jsonResult{status: resp.StatusCode, body: map[string]any{}}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &res.body); err != nil {
			t.Fatalf("response body %q: %v", raw, err)
		}
	}
	return res
}

func postForm(t *testing.T, u string, form url.Values) *jsonResult {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return decodeResult(t, resp)
}

func postJSON(t *testing.T, u string, v any) *jsonResult {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(u, "application/json", strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return decodeResult(t, resp)
}

// callMCP calls the protected endpoint with a bearer token.
func callMCP(t *testing.T, base, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}
