// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package mcpauthchi connects mcpauth to the chi router
// (github.com/go-chi/chi/v5).
//
// The mcpauth middleware is plain net/http middleware, so chi needs almost
// nothing: [Middleware] returns it as a func(http.Handler) http.Handler for
// r.Use and r.With, and [MountProvider] registers the OAuth routes of the
// provider module on a chi router.
//
//	mw, err := mcpauth.New(authz, &mcpauth.Options{...})
//	...
//	r := chi.NewRouter()
//	r.Use(middleware.Recoverer)
//	r.With(mcpauthchi.Middleware(mw)).Handle("/mcp", mcpHandler)
//
// With the OAuth provider in front (the middleware in context identity
// mode):
//
//	mcpauthchi.MountProvider(r, p)
//	r.With(p.RequireBearer, mcpauthchi.Middleware(mw)).Handle("/mcp", mcpHandler)
//
// The next handler finds the decision with [mcpauth.DecisionFromContext]
// and, behind the provider, the principal with
// [mcpauth.PrincipalFromContext]. The package uses only the exported API
// of mcpauth and adds no dependency but chi.
package mcpauthchi
