// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package mcpauthchi

import (
	"net/http"

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
	// Paths returns the absolute path of every route Handler serves: the
	// provider's metadata documents, OAuth endpoints and upstream callback.
	Paths() []string
}

// MountProvider registers every route of p (each of p.Paths()) on r, for
// all HTTP methods, served by p.Handler(). The provider's paths are
// absolute, so r must be the root router, not one made by r.Route or
// r.Mount. Routes p does not serve (such as /register when registration is
// disabled) are not registered and answer as r answers unknown paths.
func MountProvider(r chi.Router, p AuthorizationServer) {
	h := p.Handler()
	for _, path := range p.Paths() {
		r.Handle(path, h)
	}
}
