// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package adapters_test

import (
	"net/http"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/mcpauth/mcpauth/adapters/mcpauthgin"
	"github.com/mcpauth/mcpauth/provider/providertest"
)

// TestGinProviderEndToEnd serves the provider and the MCP endpoint with gin
// (MountProvider, Wrap(p.RequireBearer), Middleware) and drives the whole
// OAuth login and MCP calls with the go-sdk client; the MCP route reads the
// decision and the principal through the gin.Context.
func TestGinProviderEndToEnd(t *testing.T) {
	providertest.EndToEnd(t, "gin end-to-end", func(app *providertest.App) http.Handler {
		r := gin.New()
		if err := mcpauthgin.MountProvider(&r.RouterGroup, app.Provider); err != nil {
			t.Fatal(err)
		}
		r.Any("/mcp", mcpauthgin.Wrap(app.Provider.RequireBearer), mcpauthgin.Middleware(app.Middleware), func(c *gin.Context) {
			d, _ := mcpauthgin.Decision(c)
			pr, _ := mcpauthgin.Principal(c)
			app.Saw(pr, d)
		}, gin.WrapH(app.MCP))
		return r
	})
}
