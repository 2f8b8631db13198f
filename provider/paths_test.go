// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package provider_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/mcpauth/mcpauth/provider"
)

// newOfflineProvider returns a provider whose upstream is never contacted
// (no login happens), configured by modify.
func newOfflineProvider(t *testing.T, baseURL string, modify func(*provider.Options)) *provider.Provider {
	t.Helper()
	o := &provider.Options{
		BaseURL: baseURL,
		Upstream: provider.UpstreamOptions{
			Issuer:       "http://127.0.0.1:1",
			ClientID:     "upstream-client",
			ClientSecret: "upstream-secret",
		},
	}
	if modify != nil {
		modify(o)
	}
	p, err := provider.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func TestPaths(t *testing.T) {
	tests := []struct {
		name   string
		base   string
		modify func(*provider.Options)
		want   []string
	}{
		{"root", "http://127.0.0.1:8080", nil, []string{
			"/.well-known/oauth-authorization-server",
			"/.well-known/openid-configuration",
			"/.well-known/oauth-protected-resource/mcp",
			"/.well-known/oauth-protected-resource",
			provider.PathAuthorize, provider.PathConsent, provider.PathToken, provider.PathRegister, provider.PathRevoke,
			provider.DefaultCallbackPath,
		}},
		{"base path", "http://127.0.0.1:8080/auth", nil, []string{
			"/.well-known/oauth-authorization-server/auth",
			"/.well-known/openid-configuration/auth",
			"/auth/.well-known/openid-configuration",
			"/.well-known/oauth-protected-resource/auth/mcp",
			"/.well-known/oauth-protected-resource",
			"/auth" + provider.PathAuthorize, "/auth" + provider.PathConsent, "/auth" + provider.PathToken,
			"/auth" + provider.PathRegister, "/auth" + provider.PathRevoke,
			"/auth" + provider.DefaultCallbackPath,
		}},
		{"registration disabled, own MCP and callback paths", "http://127.0.0.1:8080/auth", func(o *provider.Options) {
			o.Registration.Disabled = true
			o.MCPPath = "/tools/mcp"
			o.CallbackPath = "/oidc/callback"
		}, []string{
			"/.well-known/oauth-authorization-server/auth",
			"/.well-known/openid-configuration/auth",
			"/auth/.well-known/openid-configuration",
			"/.well-known/oauth-protected-resource/auth/tools/mcp",
			"/.well-known/oauth-protected-resource",
			"/auth" + provider.PathAuthorize, "/auth" + provider.PathConsent, "/auth" + provider.PathToken,
			"/auth" + provider.PathRevoke,
			"/auth/oidc/callback",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := newOfflineProvider(t, tt.base, tt.modify).Paths()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Paths mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPathsMatchHandler checks that Handler serves every path Paths
// returns, for every method, and nothing else below the well-known and
// endpoint prefixes: a route added to one but not the other fails here.
func TestPathsMatchHandler(t *testing.T) {
	tests := []struct {
		name   string
		base   string
		modify func(*provider.Options)
	}{
		{"root", "http://127.0.0.1:8080", nil},
		{"base path", "http://127.0.0.1:8080/auth", nil},
		{"registration disabled", "http://127.0.0.1:8080/auth", func(o *provider.Options) { o.Registration.Disabled = true }},
		{"own MCP and callback paths", "http://127.0.0.1:8080", func(o *provider.Options) {
			o.MCPPath = "/tools/mcp"
			o.CallbackPath = "/oidc/callback"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newOfflineProvider(t, tt.base, tt.modify)
			paths := p.Paths()
			if len(paths) == 0 {
				t.Fatal("Paths returned nothing")
			}
			basePath := tt.base[len("http://127.0.0.1:8080"):]
			// Probes: the returned paths, and their near misses below the
			// prefixes the provider owns.
			probes := slices.Clone(paths)
			for _, name := range []string{"oauth-authorization-server", "openid-configuration", "oauth-protected-resource", "jwks.json", "other"} {
				for _, suffix := range []string{"", "/", "/auth", "/mcp", "/auth/mcp", "/tools/mcp", "/other", basePath + "/other"} {
					probes = append(probes, "/.well-known/"+name+suffix, basePath+"/.well-known/"+name+suffix)
				}
			}
			for _, prefix := range []string{"", basePath} {
				for _, e := range []string{
					provider.PathAuthorize, provider.PathConsent, provider.PathToken, provider.PathRegister, provider.PathRevoke,
					provider.DefaultCallbackPath, "/oidc/callback",
				} {
					probes = append(probes, prefix+e, prefix+e+"/", prefix+e+"/other")
				}
				probes = append(probes, prefix+"/", prefix+"/mcp", prefix+"/callback", prefix+"/authorize/other")
			}

			h := p.Handler()
			for _, path := range probes {
				served := slices.Contains(paths, path)
				for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodOptions} {
					w := httptest.NewRecorder()
					h.ServeHTTP(w, httptest.NewRequest(method, path, nil))
					if got := w.Code != http.StatusNotFound; got != served {
						t.Errorf("%s %s: got status %d, want served=%v (Paths: %q)", method, path, w.Code, served, paths)
					}
				}
			}
		})
	}
}
