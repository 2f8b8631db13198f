// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/internal/pangeaauthntest"
	"github.com/mcpauth/mcpauth/provider"
	"github.com/mcpauth/mcpauth/repository"
	"github.com/mcpauth/mcpauth/repository/memory"
)

// plainStore is a Store without the optional Taker ability.
type plainStore struct{ s *memory.Store }

func (p plainStore) Get(ctx context.Context, k string) ([]byte, error) { return p.s.Get(ctx, k) }
func (p plainStore) Set(ctx context.Context, k string, v []byte, ttl time.Duration) error {
	return p.s.Set(ctx, k, v, ttl)
}
func (p plainStore) Delete(ctx context.Context, k string) error { return p.s.Delete(ctx, k) }

func TestNewValidation(t *testing.T) {
	up := provider.UpstreamOptions{Issuer: "https://idp.example", ClientID: "c"}
	tests := []struct {
		name string
		opts provider.Options
		want string // substring of the error
	}{
		{name: "no base URL", opts: provider.Options{Upstream: up}, want: "BaseURL"},
		{name: "relative base URL", opts: provider.Options{BaseURL: "/mcp", Upstream: up}, want: "BaseURL"},
		{name: "http base URL", opts: provider.Options{BaseURL: "http://mcp.example.com", Upstream: up}, want: "https"},
		{name: "base URL with query", opts: provider.Options{BaseURL: "https://mcp.example.com/?a=1", Upstream: up}, want: "BaseURL"},
		{name: "short key", opts: provider.Options{BaseURL: "https://x.example", Upstream: up, EncryptionKey: make([]byte, 16)}, want: "32 bytes"},
		{name: "long key", opts: provider.Options{BaseURL: "https://x.example", Upstream: up, EncryptionKey: make([]byte, 33)}, want: "32 bytes"},
		{name: "store without take", opts: provider.Options{BaseURL: "https://x.example", Upstream: up, Store: plainStore{memory.New(nil)}}, want: "Taker"},
		{name: "no upstream", opts: provider.Options{BaseURL: "https://x.example"}, want: "ClientID"},
		{name: "upstream without issuer", opts: provider.Options{BaseURL: "https://x.example", Upstream: provider.UpstreamOptions{ClientID: "c"}}, want: "Issuer"},
		{name: "half static endpoints", opts: provider.Options{BaseURL: "https://x.example", Upstream: provider.UpstreamOptions{ClientID: "c", AuthURL: "https://idp/a"}}, want: "TokenURL"},
		{name: "bad auth style", opts: provider.Options{BaseURL: "https://x.example", Upstream: provider.UpstreamOptions{ClientID: "c", Issuer: "https://i", AuthStyle: "jwt"}}, want: "AuthStyle"},
		{name: "bad scope", opts: provider.Options{BaseURL: "https://x.example", Upstream: up, Scopes: []string{"a b"}}, want: "scope"},
		{name: "registration scope outside scopes", opts: provider.Options{BaseURL: "https://x.example", Upstream: up, Registration: provider.RegistrationOptions{ValidScopes: []string{"other"}}}, want: "registration scope"},
		{name: "static client with URL id", opts: provider.Options{BaseURL: "https://x.example", Upstream: up, Clients: []provider.StaticClient{{ID: "https://c.example/c", RedirectURIs: []string{"https://c.example/cb"}}}}, want: "CIMD"},
		{name: "static client without redirect", opts: provider.Options{BaseURL: "https://x.example", Upstream: up, Clients: []provider.StaticClient{{ID: "c"}}}, want: "redirect"},
		{name: "static client bad redirect", opts: provider.Options{BaseURL: "https://x.example", Upstream: up, Clients: []provider.StaticClient{{ID: "c", RedirectURIs: []string{"http://evil.example/cb"}}}}, want: "https"},
		{name: "static client secret without method", opts: provider.Options{BaseURL: "https://x.example", Upstream: up, Clients: []provider.StaticClient{{ID: "c", AuthMethod: "none", Secret: "s", RedirectURIs: []string{"https://c.example/cb"}}}}, want: "secret"},
		{name: "duplicate static client", opts: provider.Options{BaseURL: "https://x.example", Upstream: up, Clients: []provider.StaticClient{{ID: "c", RedirectURIs: []string{"https://c.example/cb"}}, {ID: "c", RedirectURIs: []string{"https://c.example/cb"}}}}, want: "duplicate"},
		{name: "relative MCP path", opts: provider.Options{BaseURL: "https://x.example", Upstream: up, MCPPath: "mcp"}, want: "MCPPath"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := provider.New(&tt.opts)
			if err == nil {
				p.Close()
				t.Fatalf("got no error, want one mentioning %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "provider: ") {
				t.Errorf("got %q, want a provider: error mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := provider.New(nil); err == nil {
		t.Error("New(nil): got no error")
	}
	p, err := provider.New(&provider.Options{BaseURL: "http://127.0.0.1:8080/", Upstream: up})
	if err != nil {
		t.Fatalf("loopback http base URL: %v", err)
	}
	defer p.Close()
	if p.Issuer() != "http://127.0.0.1:8080" {
		t.Errorf("got issuer %q, want the trailing slash removed", p.Issuer())
	}
}

func TestBasePathPrefix(t *testing.T) {
	e := newEnv(t, 1, func(o *provider.Options) { o.BaseURL += "/auth" })
	base := e.url(0) + "/auth"
	status, _, md := getJSONDoc(t, e.url(0)+"/.well-known/oauth-authorization-server/auth")
	if status != http.StatusOK || md["issuer"] != base || md["token_endpoint"] != base+"/token" {
		t.Errorf("got %d %v, want the path-inserted metadata for issuer %s", status, md, base)
	}
	if status, _, _ := getJSONDoc(t, base+"/.well-known/openid-configuration"); status != http.StatusOK {
		t.Errorf("OIDC alias below the issuer path: got %d", status)
	}
	if status, _, prm := getJSONDoc(t, e.url(0)+"/.well-known/oauth-protected-resource/auth/mcp"); status != http.StatusOK || prm["resource"] != base+"/mcp" {
		t.Errorf("got %d %v, want PRM for %s/mcp", status, prm, base)
	}
}

// TestLazyUpstreamDiscovery: New succeeds while the issuer is down, the
// login fails cleanly (relayed to the client), and the next login after the
// issuer comes up works.
func TestLazyUpstreamDiscovery(t *testing.T) {
	var hh handlerHolder
	issuer := httptest.NewServer(&hh) // answers 503 until hh is set
	t.Cleanup(issuer.Close)
	var front handlerHolder
	srv := httptest.NewServer(&front)
	t.Cleanup(srv.Close)
	p, err := provider.New(&provider.Options{
		BaseURL:  srv.URL,
		Upstream: provider.UpstreamOptions{Issuer: issuer.URL, ClientID: upstreamClientID, ClientSecret: upstreamClientSecret},
	})
	if err != nil {
		t.Fatalf("New with the issuer down: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	front.set(p.Handler())
	id := register(t, srv.URL, nil).str("client_id")
	b := newBrowser(t)
	q := clientRedirectOf(t, b.consent(b.get(authorizeURL(srv.URL, id, newPKCE(), nil)), srv.URL, "approve"))
	if q.Get("error") != "temporarily_unavailable" {
		t.Fatalf("got %v, want temporarily_unavailable while the issuer is down", q)
	}
	// The issuer comes up; the next login discovers it and completes.
	hh.set(opHandler(t, issuer.URL, srv.URL+provider.DefaultCallbackPath))
	pk := newPKCE()
	q = clientRedirectOf(t, b.loginOP(b.consent(b.get(authorizeURL(srv.URL, id, pk, nil)), srv.URL, "approve")))
	if tok := exchange(t, srv.URL, id, q.Get("code"), pk.verifier); tok.status != http.StatusOK {
		t.Errorf("login after the issuer came up: got %d %v", tok.status, tok.body)
	}
}

// countingStore counts Get calls.
type countingStore struct {
	*memory.Store
	gets atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, k string) ([]byte, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, k)
}

var _ repository.Taker = (*countingStore)(nil)

func TestTokenCache(t *testing.T) {
	var cs *countingStore
	e := newEnv(t, 1, func(o *provider.Options) {
		cs = &countingStore{Store: o.Store.(*memory.Store)}
		o.Store = cs
	})
	base := e.url(0)
	id, pk, code := codeFor(t, e, base)
	at := exchange(t, base, id, code, pk.verifier).str("access_token")
	if status, _, _ := callMCP(t, base, at); status != http.StatusOK {
		t.Fatalf("first call: got %d", status)
	}
	before := cs.gets.Load()
	for range 5 {
		if status, _, _ := callMCP(t, base, at); status != http.StatusOK {
			t.Fatalf("cached call: got %d", status)
		}
	}
	if got := cs.gets.Load() - before; got != 0 {
		t.Errorf("got %d store reads for 5 cached verifications, want 0", got)
	}
	// Another replica, without a Notifier, revokes the token by deleting
	// its record from the shared store: this instance trusts its cache
	// until the TTL passes.
	keys, err := cs.List(context.Background(), "mcpauth/provider/access/")
	if err != nil || len(keys) != 1 {
		t.Fatalf("got access-token keys %v, %v; want one", keys, err)
	}
	if err := cs.Delete(context.Background(), keys[0]); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := callMCP(t, base, at); status != http.StatusOK {
		t.Errorf("within the cache TTL: got %d, want 200 (cached)", status)
	}
	e.clock.Advance(provider.DefaultTokenCacheTTL)
	if status, _, _ := callMCP(t, base, at); status != http.StatusUnauthorized {
		t.Errorf("after the cache TTL: got %d, want 401", status)
	}
}

func TestAccessTokenExpiry(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id, pk, code := codeFor(t, e, base)
	tok := exchange(t, base, id, code, pk.verifier)
	if status, _, _ := callMCP(t, base, tok.str("access_token")); status != http.StatusOK {
		t.Fatalf("fresh token: got %d", status)
	}
	e.clock.Advance(provider.DefaultAccessTokenTTL)
	if status, ch, _ := callMCP(t, base, tok.str("access_token")); status != http.StatusUnauthorized || !strings.Contains(ch, "invalid_token") {
		t.Errorf("expired token: got %d %q, want 401 invalid_token", status, ch)
	}
	if next := refresh(t, base, id, tok.str("refresh_token")); next.status != http.StatusOK {
		t.Errorf("refresh after access expiry: got %d %v", next.status, next.body)
	}
}

func TestCodeExpiry(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id, pk, code := codeFor(t, e, base)
	e.clock.Advance(provider.DefaultCodeTTL)
	wantOAuthError(t, exchange(t, base, id, code, pk.verifier), http.StatusBadRequest, "invalid_grant")
}

func TestRefreshTokenExpiry(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id, pk, code := codeFor(t, e, base)
	tok := exchange(t, base, id, code, pk.verifier)
	e.clock.Advance(provider.DefaultRefreshTokenTTL)
	wantOAuthError(t, refresh(t, base, id, tok.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
}

// TestNoSecretsInStore scans every stored record after a login: no token,
// code or upstream token appears in plaintext.
func TestNoSecretsInStore(t *testing.T) {
	dbl := pangeaauthntest.New(t, nil)
	store := memory.New(nil)
	var hh handlerHolder
	srv := httptest.NewServer(&hh)
	t.Cleanup(srv.Close)
	p, err := provider.New(&provider.Options{BaseURL: srv.URL, Store: store, Upstream: provider.Pangea(pangeaOptions(dbl))})
	if err != nil {
		t.Fatal(err)
	}
	dbl.AllowRedirectURI(p.CallbackURL())
	hh.set(p.Handler())
	reg := register(t, srv.URL, map[string]any{"redirect_uris": []string{clientRedirect}, "token_endpoint_auth_method": "client_secret_post"})
	id, secret := reg.str("client_id"), reg.str("client_secret")
	pk := newPKCE()
	b := newBrowser(t)
	code := clientRedirectOf(t, b.consent(b.get(authorizeURL(srv.URL, id, pk, nil)), srv.URL, "approve")).Get("code")
	tok := postForm(t, srv.URL+provider.PathToken, map[string][]string{
		"grant_type": {"authorization_code"}, "client_id": {id}, "client_secret": {secret}, "code": {code},
		"redirect_uri": {clientRedirect}, "code_verifier": {pk.verifier},
	}, "", "")
	if tok.status != http.StatusOK {
		t.Fatalf("exchange: got %d %v", tok.status, tok.body)
	}
	var upstream string
	for _, r := range dbl.Requests() {
		if r.Path == "/v2/client/token/check" {
			upstream = strings.Split(strings.Split(string(r.Body), `"token":"`)[1], `"`)[0]
		}
	}
	secrets := map[string]string{
		"client secret": secret, "code": code, "access token": tok.str("access_token"),
		"refresh token": tok.str("refresh_token"), "upstream token": upstream, "PKCE verifier": pk.verifier,
	}
	keys, err := store.List(context.Background(), "")
	if err != nil || len(keys) == 0 {
		t.Fatalf("list: %v %v", keys, err)
	}
	for _, k := range keys {
		v, err := store.Get(context.Background(), k)
		if err != nil {
			continue
		}
		for name, s := range secrets {
			if s == "" {
				t.Fatalf("test bug: empty %s", name)
			}
			if strings.Contains(k, s) || strings.Contains(string(v), s) {
				t.Errorf("record %s holds the %s in plaintext", k, name)
			}
		}
	}
}

// TestUpstreamTokenRefresh: tool code asking for the upstream token after
// it has expired gets a refreshed one, stored for the next request.
func TestUpstreamTokenRefresh(t *testing.T) {
	e := newEnv(t, 1, func(o *provider.Options) {
		o.Upstream.Scopes = []string{"openid", "email", "offline_access"}
		o.Upstream.AuthStyle = "basic"
	})
	base := e.url(0)
	e.extra.Handle("/test/upstream", e.ps[0].RequireBearer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ut, err := provider.UpstreamTokenFromContext(r.Context())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_, _ = w.Write([]byte(ut.AccessToken + " " + ut.Expiry.UTC().Format(time.RFC3339)))
	})))
	id, pk, code := codeFor(t, e, base)
	at := exchange(t, base, id, code, pk.verifier).str("access_token")
	get := func() (string, time.Time) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+"/test/upstream", nil)
		req.Header.Set("Authorization", "Bearer "+at)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		tok, exp, _ := strings.Cut(string(b), " ")
		ts, err := time.Parse(time.RFC3339, exp)
		if resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("got %d %s", resp.StatusCode, b)
		}
		return tok, ts
	}
	first, exp := get()
	if again, _ := get(); again != first {
		t.Fatalf("a fresh upstream token was replaced")
	}
	start := e.clock.Now()
	e.clock.Advance(exp.Sub(start)) // at the upstream token's expiry
	refreshed, _ := get()
	if refreshed == first {
		t.Errorf("got the expired upstream token, want a refreshed one")
	}
	// The OP dates its tokens by the real clock, so go back to it before
	// checking that the new token was stored (and is not refreshed again).
	e.clock.Advance(start.Sub(e.clock.Now()))
	if again, _ := get(); again != refreshed {
		t.Errorf("the refreshed upstream token was not stored")
	}
}
