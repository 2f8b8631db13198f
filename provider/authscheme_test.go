// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mcpauth/mcpauth/provider"
)

// TestAuthorizationSchemeCaseBearer: the auth-scheme of the Authorization
// header is case-insensitive (RFC 7235 §2.1, RFC 6750 §2.1) and separated
// from the token by one or more spaces; everything else is refused.
func TestAuthorizationSchemeCaseBearer(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	id, pk, code := codeFor(t, e, base)
	at := exchange(t, base, id, code, pk.verifier).str("access_token")
	tests := []struct {
		name    string
		headers []string
		want    int
	}{
		{"Bearer", []string{"Bearer " + at}, http.StatusOK},
		{"bearer", []string{"bearer " + at}, http.StatusOK},
		{"BEARER", []string{"BEARER " + at}, http.StatusOK},
		{"BeArEr", []string{"BeArEr " + at}, http.StatusOK},
		{"two spaces", []string{"Bearer  " + at}, http.StatusOK},
		{"no token", []string{"Bearer"}, http.StatusUnauthorized},
		{"no space", []string{"Bearer" + at}, http.StatusUnauthorized},
		{"tab", []string{"Bearer\t" + at}, http.StatusUnauthorized},
		{"other scheme", []string{"Basic " + at}, http.StatusUnauthorized},
		{"scheme prefix", []string{"Bearerx " + at}, http.StatusUnauthorized},
		{"token and more", []string{"bearer " + at + " x"}, http.StatusUnauthorized},
		{"two headers", []string{"Bearer " + at, "bearer " + at}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader("{}"))
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range tt.headers {
				req.Header.Add("Authorization", h)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want {
				t.Fatalf("got %d %s, want %d", resp.StatusCode, body, tt.want)
			}
			if tt.want == http.StatusUnauthorized {
				var oe map[string]any
				if err := json.Unmarshal(body, &oe); err != nil || oe["error"] != "invalid_token" || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
					t.Errorf("got %q, WWW-Authenticate %q; want an OAuth invalid_token error and a Bearer challenge", body, resp.Header.Get("WWW-Authenticate"))
				}
			}
		})
	}
}

// TestAuthorizationSchemeCaseBasic: client_secret_basic works whatever the
// case of "Basic", at the token and the revocation endpoints; a header
// that says Basic but does not carry valid credentials is refused instead
// of being ignored.
func TestAuthorizationSchemeCaseBasic(t *testing.T) {
	e := newEnv(t, 1, nil)
	base := e.url(0)
	cred := base64.StdEncoding.EncodeToString([]byte("static-confidential:s3cret"))
	wrong := base64.StdEncoding.EncodeToString([]byte("static-confidential:wrong"))
	tests := []struct {
		name   string
		header string
		form   url.Values // added to the request
		ok     bool
	}{
		{"Basic", "Basic " + cred, nil, true},
		{"basic", "basic " + cred, nil, true},
		{"BASIC", "BASIC " + cred, nil, true},
		{"bAsIc", "bAsIc " + cred, nil, true},
		{"two spaces", "Basic  " + cred, nil, true},
		{"wrong secret", "basic " + wrong, nil, false},
		{"no credentials", "Basic", nil, false},
		{"not base64", "BASIC !!!", url.Values{"client_id": {"static-public"}}, false},
		{"no colon", "basic " + base64.StdEncoding.EncodeToString([]byte("static-public")), url.Values{"client_id": {"static-public"}}, false},
		{"scheme prefix", "Basicx " + cred, nil, false},
	}
	for _, tt := range tests {
		for _, ep := range []string{provider.PathToken, provider.PathRevoke} {
			t.Run(tt.name+" "+ep, func(t *testing.T) {
				form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"mcpr_unknown"}, "token": {"mcp_unknown"}}
				for k, v := range tt.form {
					form[k] = v
				}
				req, err := http.NewRequest(http.MethodPost, base+ep, strings.NewReader(form.Encode()))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", tt.header)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var body map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&body)
				// Authenticated: the token endpoint refuses the unknown
				// refresh token, the revocation endpoint accepts it.
				authenticated := resp.StatusCode == http.StatusOK || (resp.StatusCode == http.StatusBadRequest && body["error"] == "invalid_grant")
				if authenticated != tt.ok {
					t.Fatalf("got %d %v, want client authenticated = %v", resp.StatusCode, body, tt.ok)
				}
				if !tt.ok && (resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_client") {
					t.Errorf("got %d %v, want 401 invalid_client", resp.StatusCode, body)
				}
			})
		}
	}
}
