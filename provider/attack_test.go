// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/provider"
	"github.com/mcpauth/mcpauth/repository"
)

// codeFor runs a login for a freshly registered public client and returns
// the client ID, its PKCE pair and the code.
func codeFor(t *testing.T, e *env, base string) (string, pkce, string) {
	t.Helper()
	reg := register(t, base, nil)
	if reg.status != http.StatusCreated {
		t.Fatalf("register: got %d %v", reg.status, reg.body)
	}
	id := reg.str("client_id")
	pk := newPKCE()
	return id, pk, e.authorize(newBrowser(t), base, id, pk)
}

func TestBrowserFlowIssuesWorkingTokens(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id, pk, code := codeFor(t, e, base)
	tok := exchange(t, base, id, code, pk.verifier)
	if tok.status != http.StatusOK {
		t.Fatalf("exchange: got %d %v", tok.status, tok.body)
	}
	if got := tok.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("got Cache-Control %q, want no-store", got)
	}
	if tok.str("token_type") != "Bearer" || !strings.HasPrefix(tok.str("access_token"), "mcp_") || tok.str("refresh_token") == "" {
		t.Errorf("got token response %v, want a Bearer mcp_ token and a refresh token", tok.body)
	}
	if got, want := tok.body["expires_in"], float64(3600); got != want {
		t.Errorf("got expires_in %v, want %v", got, want)
	}
	status, _, body := callMCP(t, base, tok.str("access_token"))
	if status != http.StatusOK {
		t.Fatalf("MCP call: got %d %s", status, body)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"client_id": id, "subject": "id1", "email": "test-user@zitadel.ch",
		"source":   provider.IdentitySourceIDToken + "+" + provider.IdentitySourceUserinfo,
		"scopes":   []any{"mcp:tools", "mcp:admin"},
		"resource": base + "/mcp",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("principal (-want +got):\n%s", diff)
	}
	// Upstream: our own state, PKCE and a nonce; the configured scopes; no
	// MCP resource or client scopes.
	reqs := e.op.authRequests()
	if len(reqs) != 1 {
		t.Fatalf("got %d upstream authorization requests, want 1", len(reqs))
	}
	az := reqs[0]
	if az.Get("client_id") != upstreamClientID || az.Get("redirect_uri") != base+provider.DefaultCallbackPath ||
		az.Get("scope") != "openid email profile" || az.Get("code_challenge_method") != "S256" ||
		len(az.Get("code_challenge")) != 43 || len(az.Get("nonce")) < 32 || len(az.Get("state")) < 32 {
		t.Errorf("upstream authorization request %v", az)
	}
	if az.Get("state") == "client-state-1" || az.Has("resource") {
		t.Errorf("upstream authorization request forwards the client's state or resource: %v", az)
	}
}

func TestAttackCodeReplay(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id, pk, code := codeFor(t, e, base)
	first := exchange(t, base, id, code, pk.verifier)
	if first.status != http.StatusOK {
		t.Fatalf("first exchange: got %d %v", first.status, first.body)
	}
	wantOAuthError(t, exchange(t, base, id, code, pk.verifier), http.StatusBadRequest, "invalid_grant")
	// The replay revoked what the code had issued.
	if status, _, _ := callMCP(t, base, first.str("access_token")); status != http.StatusUnauthorized {
		t.Errorf("access token after code replay: got %d, want 401", status)
	}
	wantOAuthError(t, refresh(t, base, id, first.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
}

func TestAttackPKCEVerifier(t *testing.T) {
	tests := []struct {
		name     string
		verifier func(pkce) string
		omit     bool
	}{
		{name: "wrong", verifier: func(pkce) string { return newPKCE().verifier }},
		{name: "missing", omit: true},
		{name: "empty", verifier: func(pkce) string { return "" }},
		{name: "challenge instead of verifier", verifier: func(p pkce) string { return p.challenge }},
		{name: "too short", verifier: func(p pkce) string { return p.verifier[:42] }},
	}
	e := newEnv(t, 1, nil)
	base := e.url(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, pk, code := codeFor(t, e, base)
			form := url.Values{
				"grant_type": {"authorization_code"}, "client_id": {id}, "code": {code},
				"redirect_uri": {clientRedirect},
			}
			if !tt.omit {
				form.Set("code_verifier", tt.verifier(pk))
			}
			wantOAuthError(t, postForm(t, base+provider.PathToken, form, "", ""), http.StatusBadRequest, "invalid_grant")
			// The code is burned: even the right verifier fails now.
			wantOAuthError(t, exchange(t, base, id, code, pk.verifier), http.StatusBadRequest, "invalid_grant")
		})
	}
}

func TestAttackCodeRedeemedByAnotherClient(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	_, pk, code := codeFor(t, e, base)
	other := register(t, base, nil).str("client_id")
	wantOAuthError(t, exchange(t, base, other, code, pk.verifier), http.StatusBadRequest, "invalid_grant")
}

func TestAttackRedirectURIMismatch(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	t.Run("at authorize", func(t *testing.T) {
		id := register(t, base, nil).str("client_id")
		b := newBrowser(t)
		for _, bad := range []string{"http://127.0.0.1:1/callback/", "http://127.0.0.1:2/callback", "https://evil.example/callback", clientRedirect + "?x=1"} {
			p := b.get(authorizeURL(base, id, newPKCE(), url.Values{"redirect_uri": {bad}}))
			if p.status != http.StatusBadRequest || !strings.Contains(p.body, "redirect URI") {
				t.Errorf("redirect_uri %q: got %d, want a 400 error page (no redirect)", bad, p.status)
			}
		}
	})
	t.Run("at token", func(t *testing.T) {
		id, pk, code := codeFor(t, e, base)
		res := postForm(t, base+provider.PathToken, url.Values{
			"grant_type": {"authorization_code"}, "client_id": {id}, "code": {code},
			"redirect_uri": {"http://127.0.0.1:1/other"}, "code_verifier": {pk.verifier},
		}, "", "")
		wantOAuthError(t, res, http.StatusBadRequest, "invalid_grant")
	})
}

func TestAttackRefreshReuse(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id, pk, code := codeFor(t, e, base)
	first := exchange(t, base, id, code, pk.verifier)
	second := refresh(t, base, id, first.str("refresh_token"))
	if second.status != http.StatusOK || second.str("refresh_token") == first.str("refresh_token") {
		t.Fatalf("refresh: got %d %v, want a rotated refresh token", second.status, second.body)
	}
	// Reusing the old refresh token fails and revokes the family.
	wantOAuthError(t, refresh(t, base, id, first.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	wantOAuthError(t, refresh(t, base, id, second.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	for _, at := range []string{first.str("access_token"), second.str("access_token")} {
		if status, _, _ := callMCP(t, base, at); status != http.StatusUnauthorized {
			t.Errorf("access token after refresh reuse: got %d, want 401", status)
		}
	}
}

func TestAttackRefreshByAnotherClient(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id, pk, code := codeFor(t, e, base)
	first := exchange(t, base, id, code, pk.verifier)
	other := register(t, base, nil).str("client_id")
	wantOAuthError(t, refresh(t, base, other, first.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	// The stolen token is dead for its owner too, and the grant is revoked.
	wantOAuthError(t, refresh(t, base, id, first.str("refresh_token")), http.StatusBadRequest, "invalid_grant")
	if status, _, _ := callMCP(t, base, first.str("access_token")); status != http.StatusUnauthorized {
		t.Errorf("access token after refresh theft: got %d, want 401", status)
	}
}

// upstreamCallback drives a login up to the upstream's redirect back to
// our callback and returns that callback URL without following it.
func upstreamCallback(t *testing.T, e *env, b *browser, base, clientID string) string {
	t.Helper()
	cp := b.get(authorizeURL(base, clientID, newPKCE(), nil))
	lp := b.consent(cp, base, "approve")
	id := lp.url.Query().Get("authRequestID")
	u := *lp.url
	u.RawQuery = ""
	req, _ := http.NewRequest(http.MethodPost, u.String(), strings.NewReader(url.Values{
		"id": {id}, "username": {"test-user@" + lp.url.Hostname()}, "password": {"verysecure"},
	}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c := b.noFollow()
	for {
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil {
			t.Fatalf("no redirect from %s (status %d)", req.URL, resp.StatusCode)
		}
		if strings.HasPrefix(loc.String(), base+provider.DefaultCallbackPath) {
			return loc.String()
		}
		req, _ = http.NewRequest(http.MethodGet, loc.String(), nil)
	}
}

func TestAttackStateReplay(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id := register(t, base, nil).str("client_id")
	b := newBrowser(t)
	cb := upstreamCallback(t, e, b, base, id)
	q := clientRedirectOf(t, b.get(cb))
	if q.Get("code") == "" {
		t.Fatalf("first callback: got %v, want a code", q)
	}
	p := b.get(cb)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Login expired") {
		t.Errorf("replayed callback: got %d %.200s, want the 400 expired page", p.status, p.body)
	}
}

func TestAttackCallbackFromAnotherBrowser(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id := register(t, base, nil).str("client_id")
	cb := upstreamCallback(t, e, newBrowser(t), base, id)
	p := newBrowser(t).get(cb)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "different browser") {
		t.Errorf("callback in another browser: got %d %.200s, want 400", p.status, p.body)
	}
}

func TestAttackExpiredPendingLogin(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id := register(t, base, nil).str("client_id")
	b := newBrowser(t)
	cb := upstreamCallback(t, e, b, base, id)
	e.clock.Advance(provider.DefaultPendingLoginTTL + time.Second)
	p := b.get(cb)
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Login expired") {
		t.Errorf("expired pending login: got %d %.200s, want the 400 expired page", p.status, p.body)
	}
}

func TestAttackExpiredConsent(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id := register(t, base, nil).str("client_id")
	b := newBrowser(t)
	cp := b.get(authorizeURL(base, id, newPKCE(), nil))
	e.clock.Advance(provider.DefaultPendingLoginTTL + time.Second)
	p := b.consent(cp, base, "approve")
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Request expired") {
		t.Errorf("expired consent: got %d %.200s, want 400", p.status, p.body)
	}
}

func TestAttackConsentCSRF(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id := register(t, base, nil).str("client_id")
	tests := []struct {
		name   string
		mutate func(url.Values)
		other  bool // submit from another browser (no binding cookie)
	}{
		{name: "wrong csrf token", mutate: func(f url.Values) { f.Set("csrf_token", strings.Repeat("0", 64)) }},
		{name: "missing csrf token", mutate: func(f url.Values) { f.Del("csrf_token") }},
		{name: "another browser", mutate: func(url.Values) {}, other: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBrowser(t)
			cp := b.get(authorizeURL(base, id, newPKCE(), nil))
			f := hidden(cp.body)
			f.Set("action", "approve")
			tt.mutate(f)
			sub := b
			if tt.other {
				sub = newBrowser(t)
			}
			p := sub.post(base+provider.PathConsent, f)
			if p.status != http.StatusBadRequest || !strings.Contains(p.body, "not verified") {
				t.Errorf("got %d %.200s, want 400 not verified", p.status, p.body)
			}
		})
	}
}

func TestAttackUpstreamErrorRelayed(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id := register(t, base, nil).str("client_id")
	b := newBrowser(t)
	cb := upstreamCallback(t, e, b, base, id)
	u, _ := url.Parse(cb)
	q := u.Query()
	q.Del("code")
	q.Set("error", "access_denied")
	u.RawQuery = q.Encode()
	got := clientRedirectOf(t, b.get(u.String()))
	if got.Get("error") != "access_denied" || got.Get("state") != "client-state-1" || got.Get("iss") != base || got.Get("code") != "" {
		t.Errorf("got client redirect %v, want error access_denied with state and iss", got)
	}

	// A failed code exchange (the upstream rejects a forged code) is a
	// server_error at the client, not a 500 page.
	cb = upstreamCallback(t, e, b, base, id)
	u, _ = url.Parse(cb)
	q = u.Query()
	q.Set("code", "forged")
	u.RawQuery = q.Encode()
	got = clientRedirectOf(t, b.get(u.String()))
	if got.Get("error") != "server_error" || got.Get("state") != "client-state-1" {
		t.Errorf("got client redirect %v, want error server_error with state", got)
	}
}

func TestAttackUnknownState(t *testing.T) {
	e := newEnv(t, 1, nil)
	p := newBrowser(t).get(e.url(0) + provider.DefaultCallbackPath + "?code=x&state=" + strings.Repeat("a", 64))
	if p.status != http.StatusBadRequest || p.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("got %d %q, want a 400 HTML page", p.status, p.header.Get("Content-Type"))
	}
}

func TestAttackUpstreamTokenNotAccepted(t *testing.T) {
	e := newEnv(t, 1, nil)
	for _, tok := range []string{"eyJhbGciOiJSUzI1NiJ9.e30.sig", "mcp_" + strings.Repeat("a", 64), "mcpr_" + strings.Repeat("a", 64)} {
		status, challenge, _ := callMCP(t, e.url(0), tok)
		if status != http.StatusUnauthorized || !strings.Contains(challenge, `error="invalid_token"`) {
			t.Errorf("token %.10s…: got %d %q, want 401 invalid_token", tok, status, challenge)
		}
	}
}

// TestAttackIDTokenNonceMismatch: an ID token whose nonce is not the one
// bound to the pending login is rejected (here the stored nonce is
// altered between the upstream redirect and the callback).
func TestAttackIDTokenNonceMismatch(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id := register(t, base, nil).str("client_id")
	b := newBrowser(t)
	cb := upstreamCallback(t, e, b, base, id)
	ctx := context.Background()
	lister := e.store.(repository.Lister)
	keys, err := lister.List(ctx, "mcpauth/provider/pending/")
	if err != nil || len(keys) != 1 {
		t.Fatalf("got pending keys %v, %v; want one", keys, err)
	}
	raw, err := e.store.Get(ctx, keys[0])
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	rec["upstream_nonce"] = strings.Repeat("0", 64)
	raw, _ = json.Marshal(rec)
	if err := e.store.Set(ctx, keys[0], raw, time.Minute); err != nil {
		t.Fatal(err)
	}
	q := clientRedirectOf(t, b.get(cb))
	if q.Get("error") != "server_error" || q.Get("code") != "" {
		t.Errorf("got %v, want server_error and no code", q)
	}
}

// TestAttackTokenForAnotherResource: a token minted for one MCP server is
// refused by another that shares the same store (audience binding).
func TestAttackTokenForAnotherResource(t *testing.T) {
	e := newEnv(t, 2, nil)
	id, pk, code := codeFor(t, e, e.url(0))
	at := exchange(t, e.url(0), id, code, pk.verifier).str("access_token")
	if status, _, _ := callMCP(t, e.url(0), at); status != http.StatusOK {
		t.Fatalf("own resource: got %d, want 200", status)
	}
	if status, ch, _ := callMCP(t, e.url(1), at); status != http.StatusUnauthorized || !strings.Contains(ch, `error="invalid_token"`) {
		t.Errorf("other resource: got %d %q, want 401 invalid_token", status, ch)
	}
}

// TestBearerOnEveryMethod: GET (the SSE stream) and DELETE (session end)
// need the token as much as POST; a token in the query string is ignored.
func TestBearerOnEveryMethod(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id, pk, code := codeFor(t, e, base)
	at := exchange(t, base, id, code, pk.verifier).str("access_token")
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		req, _ := http.NewRequest(m, base+"/mcp?access_token="+at, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s without header: got %d, want 401 with a challenge", m, resp.StatusCode)
		}
	}
	for _, h := range []string{"Basic " + at, "Bearer", "Bearer " + at + " extra", "Token " + at} {
		req, _ := http.NewRequest(http.MethodPost, base+"/mcp", nil)
		req.Header.Set("Authorization", h)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("Authorization %.12q…: got %d, want 401", h, resp.StatusCode)
		}
	}
}
