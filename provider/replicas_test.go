// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/provider"
	"github.com/mcpauth/mcpauth/repository/memory"
)

// roundRobin is a load balancer that sends each request to the next
// replica and records which replica served which path.
type roundRobin struct {
	mu       sync.Mutex
	replicas []http.Handler
	next     int
	served   []string // "<replica> <method> <path>"
}

func (rr *roundRobin) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rr.mu.Lock()
	i := rr.next
	rr.next = (rr.next + 1) % len(rr.replicas)
	rr.served = append(rr.served, string(rune('0'+i))+" "+r.Method+" "+r.URL.Path)
	h := rr.replicas[i]
	rr.mu.Unlock()
	h.ServeHTTP(w, r)
}

func (rr *roundRobin) log() []string {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	return append([]string(nil), rr.served...)
}

// TestReplicasShareOneStore runs a whole flow through a round-robin load
// balancer in front of two provider instances that share only the memory
// store and the encryption key: every step lands on the other instance
// than the step before.
func TestReplicasShareOneStore(t *testing.T) {
	clk := newClock()
	store := memory.New(&memory.Options{Clock: clk.Now})
	rr := &roundRobin{}
	front := httptest.NewServer(rr)
	t.Cleanup(front.Close)
	op := startOP(t, front.URL+provider.DefaultCallbackPath)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	for range 2 {
		p, err := provider.New(&provider.Options{
			BaseURL:       front.URL,
			Store:         store,
			EncryptionKey: key,
			Now:           clk.Now,
			Upstream:      provider.UpstreamOptions{Issuer: op.URL, ClientID: upstreamClientID, ClientSecret: upstreamClientSecret},
		})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		p.Mount(mux)
		mux.Handle("/mcp", p.RequireBearer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ut, err := provider.UpstreamTokenFromContext(r.Context())
			if err != nil || ut.AccessToken == "" || ut.IDToken == "" {
				http.Error(w, "no upstream token", http.StatusInternalServerError)
				return
			}
			echoPrincipal(w, r)
		})))
		rr.replicas = append(rr.replicas, mux)
	}
	base := front.URL

	reg := register(t, base, nil) // replica 0
	id := reg.str("client_id")
	pk := newPKCE()
	b := newBrowser(t)
	cp := b.get(authorizeURL(base, id, pk, nil))                        // replica 1
	q := clientRedirectOf(t, b.loginOP(b.consent(cp, base, "approve"))) // consent 0, callback 1
	tok := exchange(t, base, id, q.Get("code"), pk.verifier)            // replica 0
	if tok.status != http.StatusOK {
		t.Fatalf("exchange: got %d %v", tok.status, tok.body)
	}
	for i := range 2 { // both replicas accept the token and decrypt the upstream token
		if status, _, body := callMCP(t, base, tok.str("access_token")); status != http.StatusOK {
			t.Fatalf("MCP call %d: got %d %s", i, status, body)
		}
	}
	next := refresh(t, base, id, tok.str("refresh_token"))
	if next.status != http.StatusOK {
		t.Fatalf("refresh: got %d %v", next.status, next.body)
	}
	wantOAuthError(t, refresh(t, base, id, tok.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	// The reuse revoked the family; a replica that cached the new token
	// notices after TokenCacheTTL.
	clk.Advance(provider.DefaultTokenCacheTTL + time.Second)
	for i := range 2 {
		if status, _, _ := callMCP(t, base, next.str("access_token")); status != http.StatusUnauthorized {
			t.Errorf("MCP call %d after family revocation: got %d, want 401", i, status)
		}
	}
	if rv := postForm(t, base+provider.PathRevoke, url.Values{"token": {"unknown"}, "client_id": {id}}, "", ""); rv.status != http.StatusOK {
		t.Errorf("revoke: got %d", rv.status)
	}

	// The first time each step ran, it ran on the other replica than the
	// step before; the MCP calls hit both.
	first := map[string]byte{}
	mcp := map[byte]bool{}
	for _, s := range rr.log() {
		if _, ok := first[s[2:]]; !ok {
			first[s[2:]] = s[0]
		}
		if s[2:] == "POST /mcp" {
			mcp[s[0]] = true
		}
	}
	steps := []string{"POST /register", "GET /authorize", "POST /authorize/consent", "GET " + provider.DefaultCallbackPath, "POST /token"}
	for i := 1; i < len(steps); i++ {
		a, okA := first[steps[i-1]]
		b, okB := first[steps[i]]
		if !okA || !okB || a == b {
			t.Errorf("steps %q (replica %c) and %q (replica %c) did not alternate", steps[i-1], a, steps[i], b)
		}
	}
	if len(mcp) != 2 {
		t.Errorf("MCP calls served by %v, want both replicas", mcp)
	}
}
