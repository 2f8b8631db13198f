// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpauth/mcpauth/provider"
	"github.com/mcpauth/mcpauth/repository"
)

// storedClients counts the client records in the env's store.
func (e *env) storedClients() int {
	e.t.Helper()
	keys, err := e.store.(repository.Lister).List(context.Background(), "mcpauth/provider/client/")
	if err != nil {
		e.t.Fatal(err)
	}
	return len(keys)
}

// registerRaw posts body to the registration endpoint.
func registerRaw(t *testing.T, base string, body io.Reader) *tokenResult {
	t.Helper()
	resp, err := http.Post(base+provider.PathRegister, "application/json", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	res := &tokenResult{status: resp.StatusCode, header: resp.Header, body: map[string]any{}}
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &res.body); err != nil {
		t.Fatalf("registration answered %d with a body that is not JSON: %q", resp.StatusCode, raw)
	}
	return res
}

// paddedMetadata is valid client metadata of at least n bytes: the
// attacker's padding is in redirect URIs, which are stored.
func paddedMetadata(n int) []byte {
	var uris []string
	for size := 0; size < n; size += 1000 {
		uris = append(uris, fmt.Sprintf("https://app.example/%d/%s", len(uris), strings.Repeat("p", 950)))
	}
	b, _ := json.Marshal(map[string]any{"redirect_uris": uris, "token_endpoint_auth_method": "none"})
	return b
}

// TestAttackRegistrationFlood is the attacker's loop: 600 anonymous
// registrations from one address. With the default options the first
// DefaultRegistrationsPerAddressPerMinute succeed, the rest get 429 with an
// OAuth error and Retry-After, and the store holds only what was created;
// the bucket refills with time, and unused registrations expire.
func TestAttackRegistrationFlood(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	created := 0
	for i := range 600 {
		res := register(t, base, nil)
		switch res.status {
		case http.StatusCreated:
			created++
		case http.StatusTooManyRequests:
			if res.str("error") != "temporarily_unavailable" || res.str("error_description") == "" {
				t.Fatalf("registration %d: got 429 with body %v, want an OAuth error", i, res.body)
			}
			if s, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
				t.Fatalf("registration %d: got Retry-After %q, want 1 to 60 seconds", i, res.header.Get("Retry-After"))
			}
		default:
			t.Fatalf("registration %d: got %d %v", i, res.status, res.body)
		}
	}
	if created != provider.DefaultRegistrationsPerAddressPerMinute {
		t.Errorf("created %d clients, want %d (the per-address burst)", created, provider.DefaultRegistrationsPerAddressPerMinute)
	}
	if n := e.storedClients(); n != created {
		t.Errorf("the store holds %d clients, want %d", n, created)
	}
	// A token comes back every minute/limit; Retry-After rounds up.
	res := register(t, base, nil)
	retry, _ := strconv.Atoi(res.header.Get("Retry-After"))
	if want := int(time.Minute / time.Second / provider.DefaultRegistrationsPerAddressPerMinute); res.status != http.StatusTooManyRequests || retry < want || retry > want+1 {
		t.Fatalf("got %d Retry-After %d, want 429 and %d or %d", res.status, retry, want, want+1)
	}
	e.clock.Advance(time.Duration(retry) * time.Second)
	if res := register(t, base, nil); res.status != http.StatusCreated {
		t.Errorf("after Retry-After: got %d %v, want 201", res.status, res.body)
	}
	e.clock.Advance(provider.DefaultUnusedClientTTL)
	if n := e.storedClients(); n != 0 {
		t.Errorf("after DefaultUnusedClientTTL the store still holds %d never-used clients", n)
	}
}

// TestAttackRegistrationOversize: metadata larger than
// DefaultMaxMetadataBytes is refused with 413 and an RFC 7591 error, with
// or without a Content-Length, before anything is stored.
func TestAttackRegistrationOversize(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	for _, n := range []int{provider.DefaultMaxMetadataBytes + 1, 60 << 10, 1 << 20} {
		body := paddedMetadata(n)
		for _, chunked := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d bytes chunked=%v", len(body), chunked), func(t *testing.T) {
				var r io.Reader = strings.NewReader(string(body))
				if chunked {
					r = io.MultiReader(r) // no Content-Length: sent chunked
				}
				res := registerRaw(t, base, r)
				if res.status != http.StatusRequestEntityTooLarge || res.str("error") != "invalid_client_metadata" {
					t.Errorf("got %d %q, want 413 invalid_client_metadata", res.status, res.str("error"))
				}
			})
		}
	}
	if n := e.storedClients(); n != 0 {
		t.Errorf("the store holds %d clients, want none", n)
	}
	body := paddedMetadata(provider.DefaultMaxMetadataBytes - 2000)
	if len(body) > provider.DefaultMaxMetadataBytes {
		t.Fatalf("test metadata is %d bytes", len(body))
	}
	// Within the size limit, but more redirect URIs than allowed.
	if res := registerRaw(t, base, strings.NewReader(string(body))); res.status != http.StatusBadRequest || res.str("error") != "invalid_client_metadata" {
		t.Errorf("%d bytes with many redirect URIs: got %d %q, want 400 invalid_client_metadata", len(body), res.status, res.str("error"))
	}
}

// TestAttackRegistrationRedirectURICaps: at most DefaultMaxRedirectURIs
// redirect URIs, each at most DefaultMaxRedirectURILength bytes.
func TestAttackRegistrationRedirectURICaps(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	uris := func(n int) []string {
		var l []string
		for i := range n {
			l = append(l, fmt.Sprintf("http://127.0.0.1:%d/cb", 1000+i))
		}
		return l
	}
	long := func(n int) string {
		u := "https://app.example/"
		return u + strings.Repeat("a", n-len(u))
	}
	tests := []struct {
		name    string
		uris    []string
		status  int
		errCode string
	}{
		{"at the count cap", uris(provider.DefaultMaxRedirectURIs), http.StatusCreated, ""},
		{"over the count cap", uris(provider.DefaultMaxRedirectURIs + 1), http.StatusBadRequest, "invalid_client_metadata"},
		{"hundreds", uris(500), http.StatusBadRequest, "invalid_client_metadata"},
		{"at the length cap", []string{long(provider.DefaultMaxRedirectURILength)}, http.StatusCreated, ""},
		{"over the length cap", []string{long(provider.DefaultMaxRedirectURILength + 1)}, http.StatusBadRequest, "invalid_redirect_uri"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := register(t, base, map[string]any{"redirect_uris": tt.uris, "token_endpoint_auth_method": "none"})
			if res.status != tt.status || res.str("error") != tt.errCode {
				t.Errorf("got %d %q, want %d %q", res.status, res.str("error"), tt.status, tt.errCode)
			}
			if d := res.str("error_description"); len(d) > 200 {
				t.Errorf("the error description echoes the input: %d bytes", len(d))
			}
		})
	}
}

// TestAttackRegistrationUnusedClientExpires: a registration that never
// completes an authorization is deleted after DefaultUnusedClientTTL and
// its client_id is refused everywhere.
func TestAttackRegistrationUnusedClientExpires(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id := register(t, base, nil).str("client_id")
	e.clock.Advance(provider.DefaultUnusedClientTTL - time.Second)
	if p := newBrowser(t).get(authorizeURL(base, id, newPKCE(), nil)); p.status != http.StatusOK {
		t.Fatalf("before the deadline: got %d, want the consent page", p.status)
	}
	e.clock.Advance(time.Second)
	if p := newBrowser(t).get(authorizeURL(base, id, newPKCE(), nil)); p.status != http.StatusBadRequest || !strings.Contains(p.body, "Unknown client") {
		t.Errorf("after the deadline: got %d, want the unknown client page", p.status)
	}
	wantOAuthError(t, refresh(t, base, id, "mcpr_unknown"), http.StatusUnauthorized, "invalid_client")
	if n := e.storedClients(); n != 0 {
		t.Errorf("the store still holds %d clients", n)
	}
}

// TestRegistrationUsedClientStays: a client that completed an authorization
// is no longer subject to the unused-client deadline.
func TestRegistrationUsedClientStays(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id, pk, code := codeFor(t, e, base)
	tok := exchange(t, base, id, code, pk.verifier)
	if tok.status != http.StatusOK {
		t.Fatalf("exchange: got %d %v", tok.status, tok.body)
	}
	e.clock.Advance(2 * provider.DefaultUnusedClientTTL)
	if p := newBrowser(t).get(authorizeURL(base, id, newPKCE(), nil)); p.status != http.StatusOK {
		t.Errorf("got %d, want the consent page of a used client", p.status)
	}
	// The refresh token outlives the deadline too.
	if next := refresh(t, base, id, tok.str("refresh_token")); next.status != http.StatusOK {
		t.Errorf("refresh: got %d %v", next.status, next.body)
	}
	if n := e.storedClients(); n != 1 {
		t.Errorf("the store holds %d clients, want 1", n)
	}
}

// TestRegistrationRateLimitPerAddressIsolation: one address using up its
// bucket does not block another (the env's second instance is reached
// from the same loopback address, so this uses two providers' handlers
// with distinct RemoteAddr values instead).
func TestRegistrationRateLimitPerAddressIsolation(t *testing.T) {
	e := newEnv(t, 1, nil)
	h := e.ps[0].Handler()
	post := func(remote string) int {
		body := `{"redirect_uris":["` + clientRedirect + `"],"token_endpoint_auth_method":"none"}`
		req, _ := http.NewRequest(http.MethodPost, e.url(0)+provider.PathRegister, strings.NewReader(body))
		req.RemoteAddr = remote
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	for range provider.DefaultRegistrationsPerAddressPerMinute {
		if got := post("192.0.2.1:1234"); got != http.StatusCreated {
			t.Fatalf("got %d, want 201", got)
		}
	}
	if got := post("192.0.2.1:5678"); got != http.StatusTooManyRequests {
		t.Errorf("same address, other port: got %d, want 429", got)
	}
	if got := post("192.0.2.2:1234"); got != http.StatusCreated {
		t.Errorf("other address: got %d, want 201", got)
	}
	for i := range provider.DefaultRegistrationsPerAddressPerMinute {
		if got := post(fmt.Sprintf("[2001:db8:1:2::%x]:443", i+1)); got != http.StatusCreated {
			t.Fatalf("IPv6 %d: got %d, want 201", i, got)
		}
	}
	if got := post("[2001:db8:1:2:ffff::1]:443"); got != http.StatusTooManyRequests {
		t.Errorf("same IPv6 /64: got %d, want 429", got)
	}
	if got := post("[2001:db8:1:3::1]:443"); got != http.StatusCreated {
		t.Errorf("other IPv6 /64: got %d, want 201", got)
	}
}

// TestAttackRegistrationFloodManyAddresses: an attacker spreading 600
// registrations over 600 addresses is held by the global limit.
func TestAttackRegistrationFloodManyAddresses(t *testing.T) {
	e := newEnv(t, 1, nil)
	h := e.ps[0].Handler()
	created := 0
	for i := range 600 {
		body := `{"redirect_uris":["` + clientRedirect + `"],"token_endpoint_auth_method":"none"}`
		req, _ := http.NewRequest(http.MethodPost, e.url(0)+provider.PathRegister, strings.NewReader(body))
		req.RemoteAddr = fmt.Sprintf("198.51.%d.%d:1234", i/250, i%250+1)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code == http.StatusCreated {
			created++
		}
	}
	if created != provider.DefaultRegistrationsPerMinute {
		t.Errorf("created %d clients, want %d (the global burst)", created, provider.DefaultRegistrationsPerMinute)
	}
	if n := e.storedClients(); n != created {
		t.Errorf("the store holds %d clients, want %d", n, created)
	}
}
