// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/provider"
)

func getJSONDoc(t *testing.T, u string) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &m)
	return resp.StatusCode, resp.Header, m
}

func TestAuthorizationServerMetadata(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	want := map[string]any{
		"issuer":                 base,
		"authorization_endpoint": base + "/authorize",
		"token_endpoint":         base + "/token",
		"registration_endpoint":  base + "/register",
		"revocation_endpoint":    base + "/revoke",
		"revocation_endpoint_auth_methods_supported":     []any{"none", "client_secret_post", "client_secret_basic"},
		"scopes_supported":                               []any{"mcp:tools", "mcp:admin"},
		"response_types_supported":                       []any{"code"},
		"response_modes_supported":                       []any{"query"},
		"grant_types_supported":                          []any{"authorization_code", "refresh_token"},
		"token_endpoint_auth_methods_supported":          []any{"none", "client_secret_post", "client_secret_basic"},
		"code_challenge_methods_supported":               []any{"S256"},
		"client_id_metadata_document_supported":          true,
		"authorization_response_iss_parameter_supported": true,
		"resource_indicators_supported":                  true,
	}
	for _, path := range []string{"/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"} {
		t.Run(path, func(t *testing.T) {
			status, h, got := getJSONDoc(t, base+path)
			if status != http.StatusOK {
				t.Fatalf("got status %d, want 200", status)
			}
			if h.Get("Access-Control-Allow-Origin") != "*" {
				t.Errorf("got CORS origin %q, want *", h.Get("Access-Control-Allow-Origin"))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProtectedResourceMetadata(t *testing.T) {
	e := newEnv(t, 1, func(o *provider.Options) { o.ResourceName = "Test MCP" })
	base := e.url(0)
	want := map[string]any{
		"resource":                 base + "/mcp",
		"authorization_servers":    []any{base},
		"scopes_supported":         []any{"mcp:tools", "mcp:admin"},
		"bearer_methods_supported": []any{"header"},
		"resource_name":            "Test MCP",
	}
	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource"} {
		t.Run(path, func(t *testing.T) {
			status, h, got := getJSONDoc(t, base+path)
			if status != http.StatusOK || h.Get("Access-Control-Allow-Origin") != "*" {
				t.Fatalf("got status %d, CORS %q; want 200 and *", status, h.Get("Access-Control-Allow-Origin"))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("PRM (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("preflight", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodOptions, base+"/.well-known/oauth-protected-resource/mcp", nil)
		req.Header.Set("Origin", "https://app.example")
		req.Header.Set("Access-Control-Request-Headers", "mcp-protocol-version")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "MCP-Protocol-Version") {
			t.Errorf("got %d %q, want 204 allowing MCP-Protocol-Version", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Headers"))
		}
	})
}

func TestBearerChallenges(t *testing.T) {
	e := newEnv(t, 1, func(o *provider.Options) { o.RequiredScopes = []string{"mcp:admin"} })
	base := e.url(0)
	prm := `resource_metadata="` + base + `/.well-known/oauth-protected-resource/mcp"`
	t.Run("no token", func(t *testing.T) {
		status, ch, body := callMCP(t, base, "")
		if want := `Bearer ` + prm + `, scope="mcp:admin"`; status != http.StatusUnauthorized || ch != want {
			t.Errorf("got %d %q, want 401 %q", status, ch, want)
		}
		if !strings.Contains(body, `"invalid_token"`) {
			t.Errorf("got body %s, want an OAuth error", body)
		}
	})
	t.Run("bad token", func(t *testing.T) {
		status, ch, _ := callMCP(t, base, "mcp_nope")
		if status != http.StatusUnauthorized || !strings.Contains(ch, prm) || !strings.Contains(ch, `error="invalid_token"`) {
			t.Errorf("got %d %q, want 401 invalid_token with resource_metadata", status, ch)
		}
	})
	t.Run("insufficient scope", func(t *testing.T) {
		id := register(t, base, nil).str("client_id")
		pk := newPKCE()
		b := newBrowser(t)
		cp := b.get(authorizeURL(base, id, pk, url.Values{"scope": {"mcp:tools"}}))
		q := clientRedirectOf(t, b.loginOP(b.consent(cp, base, "approve")))
		tok := exchange(t, base, id, q.Get("code"), pk.verifier)
		if tok.str("scope") != "mcp:tools" {
			t.Fatalf("got scope %q, want mcp:tools", tok.str("scope"))
		}
		status, ch, body := callMCP(t, base, tok.str("access_token"))
		if status != http.StatusForbidden || !strings.Contains(ch, `error="insufficient_scope"`) || !strings.Contains(ch, `scope="mcp:tools mcp:admin"`) || !strings.Contains(ch, prm) {
			t.Errorf("got %d %q %s, want 403 insufficient_scope", status, ch, body)
		}
	})
}

func TestRegistration(t *testing.T) {
	// The table registers more often than one address may by default.
	e := newEnv(t, 1, func(o *provider.Options) { o.Registration.PerAddressPerMinute = -1 })
	base := e.url(0)
	tests := []struct {
		name    string
		md      map[string]any
		status  int
		errCode string
	}{
		{name: "public loopback", md: map[string]any{"redirect_uris": []string{"http://127.0.0.1:9999/cb"}, "token_endpoint_auth_method": "none"}, status: 201},
		{name: "localhost", md: map[string]any{"redirect_uris": []string{"http://localhost:9999/cb"}, "token_endpoint_auth_method": "none"}, status: 201},
		{name: "https confidential", md: map[string]any{"redirect_uris": []string{"https://app.example/cb"}}, status: 201},
		{name: "no redirect", md: map[string]any{"token_endpoint_auth_method": "none"}, status: 400, errCode: "invalid_redirect_uri"},
		{name: "http non-loopback", md: map[string]any{"redirect_uris": []string{"http://app.example/cb"}}, status: 400, errCode: "invalid_redirect_uri"},
		{name: "custom scheme", md: map[string]any{"redirect_uris": []string{"myapp://cb"}}, status: 400, errCode: "invalid_redirect_uri"},
		{name: "fragment", md: map[string]any{"redirect_uris": []string{"https://app.example/cb#x"}}, status: 400, errCode: "invalid_redirect_uri"},
		{name: "javascript", md: map[string]any{"redirect_uris": []string{"javascript:alert(1)"}}, status: 400, errCode: "invalid_redirect_uri"},
		{name: "unknown auth method", md: map[string]any{"redirect_uris": []string{clientRedirect}, "token_endpoint_auth_method": "private_key_jwt"}, status: 400, errCode: "invalid_client_metadata"},
		{name: "implicit grant", md: map[string]any{"redirect_uris": []string{clientRedirect}, "grant_types": []string{"implicit"}}, status: 400, errCode: "invalid_client_metadata"},
		{name: "refresh only", md: map[string]any{"redirect_uris": []string{clientRedirect}, "grant_types": []string{"refresh_token"}}, status: 400, errCode: "invalid_client_metadata"},
		{name: "token response type", md: map[string]any{"redirect_uris": []string{clientRedirect}, "response_types": []string{"token"}}, status: 400, errCode: "invalid_client_metadata"},
		{name: "unknown scope", md: map[string]any{"redirect_uris": []string{clientRedirect}, "scope": "mcp:tools root"}, status: 400, errCode: "invalid_client_metadata"},
		{name: "bad application type", md: map[string]any{"redirect_uris": []string{clientRedirect}, "application_type": "tv"}, status: 400, errCode: "invalid_client_metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := register(t, base, tt.md)
			if res.status != tt.status || res.str("error") != tt.errCode {
				t.Fatalf("got %d %v, want %d %q", res.status, res.body, tt.status, tt.errCode)
			}
			if tt.status != 201 {
				return
			}
			method, _ := tt.md["token_endpoint_auth_method"].(string)
			if method == "none" && res.str("client_secret") != "" {
				t.Errorf("public client got a secret")
			}
			if method == "" && (res.str("client_secret") == "" || res.str("token_endpoint_auth_method") != "client_secret_basic" || res.body["client_secret_expires_at"] != float64(0)) {
				t.Errorf("got %v, want a client_secret_basic client with a secret", res.body)
			}
			if res.str("client_id") == "" || res.body["client_id_issued_at"] == nil || res.str("scope") != "mcp:tools mcp:admin" {
				t.Errorf("got %v, want client_id, client_id_issued_at and the default scopes", res.body)
			}
		})
	}
	t.Run("malformed JSON", func(t *testing.T) {
		resp, err := http.Post(base+"/register", "application/json", strings.NewReader(`{"redirect_uris":`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("got %d, want 400", resp.StatusCode)
		}
	})
}

func TestRegistrationDisabled(t *testing.T) {
	e := newEnv(t, 1, func(o *provider.Options) { o.Registration.Disabled = true })
	_, _, md := getJSONDoc(t, e.url(0)+"/.well-known/oauth-authorization-server")
	if _, ok := md["registration_endpoint"]; ok {
		t.Errorf("registration_endpoint advertised while disabled")
	}
	if res := register(t, e.url(0), nil); res.status != http.StatusNotFound {
		t.Errorf("got %d, want 404", res.status)
	}
}

func TestAuthorizeValidation(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id := register(t, base, nil).str("client_id")
	tests := []struct {
		name  string
		extra url.Values
		want  string // error redirected to the client
	}{
		{name: "no PKCE", extra: url.Values{"code_challenge": nil, "code_challenge_method": nil}, want: "invalid_request"},
		{name: "plain PKCE", extra: url.Values{"code_challenge_method": {"plain"}}, want: "invalid_request"},
		{name: "malformed challenge", extra: url.Values{"code_challenge": {"short"}}, want: "invalid_request"},
		{name: "token response type", extra: url.Values{"response_type": {"token"}}, want: "unsupported_response_type"},
		{name: "unknown scope", extra: url.Values{"scope": {"mcp:tools root"}}, want: "invalid_scope"},
		{name: "other resource", extra: url.Values{"resource": {"https://other.example/mcp"}}, want: "invalid_target"},
		{name: "origin resource", extra: url.Values{"resource": {base}}, want: "invalid_target"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := clientRedirectOf(t, newBrowser(t).get(authorizeURL(base, id, newPKCE(), tt.extra)))
			if q.Get("error") != tt.want || q.Get("state") != "client-state-1" || q.Get("iss") != base {
				t.Errorf("got %v, want error %q with state and iss", q, tt.want)
			}
		})
	}
	accepted := []struct {
		name  string
		extra url.Values
	}{
		{name: "no resource", extra: url.Values{"resource": nil}},
		{name: "trailing slash resource", extra: url.Values{"resource": {base + "/mcp/"}}},
		{name: "upper-case host resource", extra: url.Values{"resource": {strings.Replace(base, "http://", "HTTP://", 1) + "/mcp"}}},
		{name: "no redirect_uri with one registered", extra: url.Values{"redirect_uri": nil}},
	}
	for _, tt := range accepted {
		t.Run(tt.name, func(t *testing.T) {
			p := newBrowser(t).get(authorizeURL(base, id, newPKCE(), tt.extra))
			if p.status != http.StatusOK || !strings.Contains(p.body, "csrf_token") {
				t.Errorf("got %d, want the consent page", p.status)
			}
		})
	}
	t.Run("unknown client", func(t *testing.T) {
		p := newBrowser(t).get(authorizeURL(base, "nobody", newPKCE(), nil))
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "Unknown client") {
			t.Errorf("got %d, want 400 Unknown client page", p.status)
		}
	})
}

func TestConsentPage(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id := register(t, base, map[string]any{
		"redirect_uris": []string{clientRedirect}, "token_endpoint_auth_method": "none",
		"client_name": `<script>alert("x")</script>`,
	}).str("client_id")
	p := newBrowser(t).get(authorizeURL(base, id, newPKCE(), nil))
	for k, want := range map[string]string{
		"X-Frame-Options": "DENY",
		"Cache-Control":   "no-store",
	} {
		if got := p.header.Get(k); got != want {
			t.Errorf("got %s %q, want %q", k, got, want)
		}
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("got CSP %q, want frame-ancestors 'none'", csp)
	}
	for _, want := range []string{"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;", "127.0.0.1:1", "<code>mcp:tools</code>", "<code>mcp:admin</code>", id} {
		if !strings.Contains(p.body, want) {
			t.Errorf("consent page lacks %q", want)
		}
	}
	if strings.Contains(p.body, "<script>") {
		t.Errorf("consent page contains an unescaped script tag")
	}
	var cookie string
	for _, c := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "mcpauth-login=") {
			cookie = c
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("got cookie %q, want %s", cookie, want)
		}
	}
}

func TestConsentDeny(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id := register(t, base, nil).str("client_id")
	b := newBrowser(t)
	q := clientRedirectOf(t, b.consent(b.get(authorizeURL(base, id, newPKCE(), nil)), base, "deny"))
	if q.Get("error") != "access_denied" || q.Get("state") != "client-state-1" {
		t.Errorf("got %v, want access_denied with state", q)
	}
}

func TestClientAuthentication(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	type cred struct {
		form          url.Values
		basicID, pass string
	}
	tests := []struct {
		name     string
		clientID string
		cred     cred
		ok       bool
	}{
		{name: "basic", clientID: "static-confidential", cred: cred{basicID: "static-confidential", pass: "s3cret"}, ok: true},
		{name: "basic wrong secret", clientID: "static-confidential", cred: cred{basicID: "static-confidential", pass: "wrong"}},
		{name: "basic client as post", clientID: "static-confidential", cred: cred{form: url.Values{"client_id": {"static-confidential"}, "client_secret": {"s3cret"}}}},
		{name: "basic client as none", clientID: "static-confidential", cred: cred{form: url.Values{"client_id": {"static-confidential"}}}},
		{name: "post", clientID: "static-post", cred: cred{form: url.Values{"client_id": {"static-post"}, "client_secret": {"p0st"}}}, ok: true},
		{name: "post wrong secret", clientID: "static-post", cred: cred{form: url.Values{"client_id": {"static-post"}, "client_secret": {"p0sT"}}}},
		{name: "post client as basic", clientID: "static-post", cred: cred{basicID: "static-post", pass: "p0st"}},
		{name: "none", clientID: "static-public", cred: cred{form: url.Values{"client_id": {"static-public"}}}, ok: true},
		{name: "none with a secret", clientID: "static-public", cred: cred{form: url.Values{"client_id": {"static-public"}, "client_secret": {"x"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pk := newPKCE()
			code := e.authorize(newBrowser(t), base, tt.clientID, pk)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {clientRedirect}, "code_verifier": {pk.verifier}}
			for k, v := range tt.cred.form {
				form[k] = v
			}
			res := postForm(t, base+provider.PathToken, form, tt.cred.basicID, tt.cred.pass)
			if tt.ok {
				if res.status != http.StatusOK {
					t.Fatalf("got %d %v, want 200", res.status, res.body)
				}
				// Revocation authenticates the same way.
				rform := url.Values{"token": {res.str("refresh_token")}, "token_type_hint": {"refresh_token"}}
				for k, v := range tt.cred.form {
					rform[k] = v
				}
				if rv := postForm(t, base+provider.PathRevoke, rform, tt.cred.basicID, tt.cred.pass); rv.status != http.StatusOK {
					t.Errorf("revoke: got %d %v, want 200", rv.status, rv.body)
				}
				return
			}
			wantOAuthError(t, res, http.StatusUnauthorized, "invalid_client")
		})
	}
}

func TestRevoke(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id, pk, code := codeFor(t, e, base)
	tok := exchange(t, base, id, code, pk.verifier)
	at := tok.str("access_token")
	revoke := func(token, hint, client string) int {
		return postForm(t, base+provider.PathRevoke, url.Values{"token": {token}, "token_type_hint": {hint}, "client_id": {client}}, "", "").status
	}
	if got := revoke("mcp_unknown", "", id); got != http.StatusOK {
		t.Errorf("unknown token: got %d, want 200", got)
	}
	if got := revoke("garbage", "refresh_token", id); got != http.StatusOK {
		t.Errorf("unknown refresh token: got %d, want 200", got)
	}
	other := register(t, base, nil).str("client_id")
	if got := revoke(at, "", other); got != http.StatusOK {
		t.Errorf("another client's token: got %d, want 200", got)
	}
	if status, _, _ := callMCP(t, base, at); status != http.StatusOK {
		t.Fatalf("token revoked by another client: got %d, want it still valid", status)
	}
	if got := revoke(at, "access_token", id); got != http.StatusOK {
		t.Errorf("own token: got %d, want 200", got)
	}
	if status, _, _ := callMCP(t, base, at); status != http.StatusUnauthorized {
		t.Errorf("revoked access token: got %d, want 401", status)
	}
	// The refresh token still works after the access token is revoked;
	// revoking it ends the grant.
	next := refresh(t, base, id, tok.str("refresh_token"))
	if next.status != http.StatusOK {
		t.Fatalf("refresh: got %d %v", next.status, next.body)
	}
	if got := revoke(next.str("refresh_token"), "refresh_token", id); got != http.StatusOK {
		t.Errorf("refresh token: got %d, want 200", got)
	}
	if status, _, _ := callMCP(t, base, next.str("access_token")); status != http.StatusUnauthorized {
		t.Errorf("access token of a revoked grant: got %d, want 401", status)
	}
	if res := postForm(t, base+provider.PathRevoke, url.Values{"token": {at}}, "", ""); res.status != http.StatusUnauthorized {
		t.Errorf("revoke without client: got %d, want 401", res.status)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id := register(t, base, nil).str("client_id")
	tests := []struct {
		name   string
		form   url.Values
		status int
		code   string
	}{
		{name: "no grant type", form: url.Values{"client_id": {id}}, status: 400, code: "invalid_request"},
		{name: "password grant", form: url.Values{"client_id": {id}, "grant_type": {"password"}}, status: 400, code: "unsupported_grant_type"},
		{name: "client credentials", form: url.Values{"client_id": {id}, "grant_type": {"client_credentials"}}, status: 400, code: "unsupported_grant_type"},
		{name: "no code", form: url.Values{"client_id": {id}, "grant_type": {"authorization_code"}}, status: 400, code: "invalid_request"},
		{name: "unknown code", form: url.Values{"client_id": {id}, "grant_type": {"authorization_code"}, "code": {"mcpc_x"}, "code_verifier": {strings.Repeat("a", 43)}}, status: 400, code: "invalid_grant"},
		{name: "unknown client", form: url.Values{"client_id": {"nobody"}, "grant_type": {"authorization_code"}}, status: 401, code: "invalid_client"},
		{name: "repeated parameter", form: url.Values{"client_id": {id}, "grant_type": {"authorization_code", "refresh_token"}}, status: 400, code: "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantOAuthError(t, postForm(t, base+provider.PathToken, tt.form, "", ""), tt.status, tt.code)
		})
	}
	t.Run("wrong resource", func(t *testing.T) {
		id, pk, code := codeFor(t, e, base)
		res := postForm(t, base+provider.PathToken, url.Values{
			"grant_type": {"authorization_code"}, "client_id": {id}, "code": {code},
			"redirect_uri": {clientRedirect}, "code_verifier": {pk.verifier}, "resource": {"https://other.example/mcp"},
		}, "", "")
		wantOAuthError(t, res, http.StatusBadRequest, "invalid_target")
	})
	t.Run("refresh with wider scope", func(t *testing.T) {
		id, pk, code := codeFor(t, e, base)
		tok := exchange(t, base, id, code, pk.verifier)
		res := postForm(t, base+provider.PathToken, url.Values{"grant_type": {"refresh_token"}, "client_id": {id}, "refresh_token": {tok.str("refresh_token")}, "scope": {"mcp:tools other"}}, "", "")
		wantOAuthError(t, res, http.StatusBadRequest, "invalid_scope")
		// The refresh token survives a bad request; a narrower scope works.
		res = postForm(t, base+provider.PathToken, url.Values{"grant_type": {"refresh_token"}, "client_id": {id}, "refresh_token": {tok.str("refresh_token")}, "scope": {"mcp:tools"}}, "", "")
		if res.status != http.StatusOK || res.str("scope") != "mcp:tools" {
			t.Errorf("narrowed refresh: got %d %v, want 200 with scope mcp:tools", res.status, res.body)
		}
	})
}

func TestRegistrationRateLimit(t *testing.T) {
	e := newEnv(t, 1, func(o *provider.Options) { o.Registration.PerMinute = 2 })
	for i, want := range []int{201, 201, 429} {
		if got := register(t, e.url(0), nil); got.status != want {
			t.Errorf("registration %d: got %d, want %d", i, got.status, want)
		}
	}
	e.clock.Advance(time.Minute)
	if got := register(t, e.url(0), nil); got.status != 201 {
		t.Errorf("next minute: got %d, want 201", got.status)
	}
}
