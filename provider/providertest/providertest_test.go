// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

package providertest_test

import (
	"log/slog"
	"net/http"
	"os"
	"testing"

	"github.com/mcpauth/mcpauth"
	"github.com/mcpauth/mcpauth/provider/providertest"
	"github.com/mcpauth/mcpauth/repository/memory"
)

func TestMain(m *testing.M) {
	// zitadel's op package (the in-process OP) logs through the default logger.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

func TestReplicaFlowMemory(t *testing.T) {
	providertest.ReplicaFlow(t, memory.New(nil))
}

// TestEndToEndServeMux runs EndToEnd against the provider and mcpauth on a
// plain http.ServeMux, the integration every router adapter mirrors.
func TestEndToEndServeMux(t *testing.T) {
	providertest.EndToEnd(t, "net/http end-to-end", func(app *providertest.App) http.Handler {
		mux := http.NewServeMux()
		app.Provider.Mount(mux)
		mux.Handle("/mcp", app.Provider.RequireBearer(app.Middleware.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d, _ := mcpauth.DecisionFromContext(r.Context())
			pr, _ := mcpauth.PrincipalFromContext(r.Context())
			app.Saw(pr, d)
			app.MCP.ServeHTTP(w, r)
		}))))
		return mux
	})
}
