// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// newTestProvider returns a provider whose upstream is never contacted.
func newTestProvider(t testing.TB) *Provider {
	t.Helper()
	p, err := New(&Options{
		BaseURL:  "https://mcp.example.com",
		Upstream: UpstreamOptions{Issuer: "https://idp.example.com", ClientID: "c"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// grantToken stores a family and an access token for it, as a login would.
func grantToken(t testing.TB, p *Provider) (string, string) {
	t.Helper()
	ctx := context.Background()
	c := &clientRecord{ClientID: "client", GrantTypes: []string{"authorization_code"}}
	req := &authRequest{ClientID: "client", Scopes: []string{"mcp"}, Resource: p.resource}
	code, err := p.issueCode(ctx, req, &UpstreamToken{AccessToken: "upstream"}, &Identity{Subject: "user", Source: IdentitySourceCustom})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := getJSON[codeRecord](ctx, p.store, keyCode+hashSecret(code))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.mintTokens(ctx, c, rec.Scopes, rec.Resource, rec.Family, familyOf(t, p, rec.Family))
	if err != nil {
		t.Fatal(err)
	}
	return resp.AccessToken, rec.Family
}

// familyOf returns the live grant family's record.
func familyOf(t testing.TB, p *Provider, family string) *familyRecord {
	t.Helper()
	fam, err := p.loadFamily(context.Background(), family)
	if err != nil {
		t.Fatal(err)
	}
	return fam
}

// TestRevokedFamilyCannotBeResurrected: a request racing with revocation
// that re-writes the family record does not bring the grant back.
func TestRevokedFamilyCannotBeResurrected(t *testing.T) {
	p := newTestProvider(t)
	ctx := context.Background()
	at, family := grantToken(t, p)
	fam, err := p.loadFamily(ctx, family)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.revokeFamily(ctx, family); err != nil {
		t.Fatal(err)
	}
	// The racing writer.
	if err := setJSON(ctx, p.store, keyFamily+family, fam, time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, err := p.verify(ctx, at); !errors.Is(err, errInvalidToken) {
		t.Errorf("got %v, want errInvalidToken after revocation", err)
	}
}

func TestTokenCacheBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newTokenCache(time.Minute, 3, func() time.Time { return now })
	for i := range 10 {
		c.put(strings.Repeat("k", i+1), &Grant{Expiry: now.Add(time.Hour), family: "f"}, c.generation())
		if n := c.len(); n > 3 {
			t.Fatalf("got %d entries, want at most 3", n)
		}
	}
	if _, ok := c.get(strings.Repeat("k", 10)); !ok {
		t.Error("the newest entry was evicted")
	}
	// An entry never outlives its token.
	c.put("short", &Grant{Expiry: now.Add(time.Second), family: "g"}, c.generation())
	now = now.Add(2 * time.Second)
	if _, ok := c.get("short"); ok {
		t.Error("got an entry past its token's expiry")
	}
	c.dropFamily("f")
	if n := c.len(); n != 0 {
		t.Errorf("got %d entries after dropping the family, want 0", n)
	}
	off := newTokenCache(0, 3, time.Now)
	off.put("k", &Grant{Expiry: time.Now().Add(time.Hour)}, off.generation())
	if _, ok := off.get("k"); ok {
		t.Error("a disabled cache returned an entry")
	}
}

func FuzzCheckResource(f *testing.F) {
	p := newTestProvider(f)
	for _, s := range []string{"", p.resource, p.resource + "/", "HTTPS://MCP.EXAMPLE.COM/mcp", "https://mcp.example.com", "https://mcp.example.com/mcp?x", "https://mcp.example.com/mcp#f", "https://mcp.example.com/%6dcp", "//mcp.example.com/mcp"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := p.checkResource(raw)
		if ok && got != p.resource {
			t.Fatalf("checkResource(%q) = %q, true; want only the MCP URL", raw, got)
		}
		if ok && raw != "" && !strings.EqualFold(strings.TrimSuffix(raw, "/"), p.resource) && !strings.Contains(raw, "%") {
			t.Fatalf("checkResource(%q) accepted a different resource", raw)
		}
	})
}

func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer abc", "Basic abc", "Bearer", "Bearer  abc", "Bearer a b", "BEARER\tabc", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", h)
		tok, ok := bearerToken(r)
		if ok && (tok == "" || strings.ContainsAny(tok, " \t") || !strings.Contains(h, tok)) {
			t.Fatalf("bearerToken(%q) = %q", h, tok)
		}
	})
}

func FuzzValidVerifier(f *testing.F) {
	for _, s := range []string{strings.Repeat("a", 43), strings.Repeat("a", 128), strings.Repeat("a", 129), "short", strings.Repeat("~", 50), strings.Repeat("é", 43)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if validVerifier(v) {
			if len(v) < 43 || len(v) > 128 {
				t.Fatalf("accepted length %d", len(v))
			}
			for _, c := range v {
				if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~", c) {
					t.Fatalf("accepted character %q", c)
				}
			}
		}
	})
}

// BenchmarkRequireBearerCached measures a protected request whose token is
// in the verified-token cache (the common case: no store round trip).
func BenchmarkRequireBearerCached(b *testing.B) {
	p := newTestProvider(b)
	at, _ := grantToken(b, p)
	h := p.RequireBearer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest(http.MethodPost, "https://mcp.example.com/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+at)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("got %d", rec.Code)
		}
	}
}

// BenchmarkRequireBearerUncached measures verification with the cache off:
// one in-memory store read per request.
func BenchmarkRequireBearerUncached(b *testing.B) {
	p := newTestProvider(b)
	p.cache = newTokenCache(0, 1, p.now)
	at, _ := grantToken(b, p)
	h := p.RequireBearer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest(http.MethodPost, "https://mcp.example.com/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+at)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("got %d", rec.Code)
		}
	}
}
