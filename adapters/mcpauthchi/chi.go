// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauthchi

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/mcpauth/mcpauth"
)

// Middleware returns mw as chi middleware, for r.Use and r.With. Denied
// requests are answered by mw (an MCP-correct JSON-RPC error or tool
// result, or 401 with a Bearer challenge) and never reach the next handler.
func Middleware(mw *mcpauth.Middleware) func(http.Handler) http.Handler {
	return mw.Handler
}

// AuthorizationServer is the part of the provider module's
// *provider.Provider that [MountProvider] uses; *provider.Provider
// implements it. Taking the interface keeps the provider module (and its
// OpenID Connect dependencies) out of programs that use only [Middleware].
type AuthorizationServer interface {
	// Handler serves every authorization-server route.
	Handler() http.Handler
	// Issuer is the server's BaseURL; its path prefixes every endpoint.
	Issuer() string
	// ResourceMetadataURL is the RFC 9728 metadata URL of the MCP endpoint.
	ResourceMetadataURL() string
	// CallbackURL is the upstream identity provider's redirect URI.
	CallbackURL() string
}

// Endpoint paths of the provider below its base path (the values of the
// provider module's Path constants).
var endpointPaths = []string{"/authorize", "/authorize/consent", "/token", "/register", "/revoke"}

// ProviderPaths returns the absolute paths the provider serves: its RFC
// 8414 and RFC 9728 metadata documents, the OAuth endpoints below the
// base path, and the upstream callback.
func ProviderPaths(p AuthorizationServer) []string {
	base := strings.TrimRight(pathOf(p.Issuer()), "/")
	prm := pathOf(p.ResourceMetadataURL())
	var paths []string
	if base == "" {
		paths = append(paths, "/.well-known/oauth-authorization-server", "/.well-known/openid-configuration")
	} else {
		paths = append(paths,
			"/.well-known/oauth-authorization-server"+base,
			"/.well-known/openid-configuration"+base,
			base+"/.well-known/openid-configuration")
	}
	paths = append(paths, prm)
	if root := "/.well-known/oauth-protected-resource"; prm != root {
		paths = append(paths, root)
	}
	for _, e := range endpointPaths {
		paths = append(paths, base+e)
	}
	return append(paths, pathOf(p.CallbackURL()))
}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}

// MountProvider registers every route of p (see [ProviderPaths]) on r,
// for all HTTP methods, served by p.Handler(). The provider's paths are
// absolute, so r must be the root router, not one made by r.Route or
// r.Mount. Routes p does not serve (such as /register when registration is
// disabled) answer 404 from p.
func MountProvider(r chi.Router, p AuthorizationServer) {
	h := p.Handler()
	for _, path := range ProviderPaths(p) {
		r.Handle(path, h)
	}
}
