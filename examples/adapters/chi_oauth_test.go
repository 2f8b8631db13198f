// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package adapters_test

import (
	"net/http"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/adapters/mcpauthchi"
	"github.com/mcpauth/mcpauth/provider/providertest"
)

// TestChiProviderEndToEnd serves the provider and the MCP endpoint with chi
// (MountProvider, r.With(p.RequireBearer, Middleware)) and drives the whole
// OAuth login and MCP calls with the go-sdk client.
func TestChiProviderEndToEnd(t *testing.T) {
	providertest.EndToEnd(t, "chi end-to-end", func(app *providertest.App) http.Handler {
		r := chi.NewRouter()
		mcpauthchi.MountProvider(r, app.Provider)
		r.With(app.Provider.RequireBearer, mcpauthchi.Middleware(app.Middleware)).Handle("/mcp", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			d, _ := mcpauth.DecisionFromContext(req.Context())
			pr, _ := mcpauth.PrincipalFromContext(req.Context())
			app.Saw(pr, d)
			app.MCP.ServeHTTP(w, req)
		}))
		return r
	})
}
