// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Command chi serves the demo MCP server (the quickstart's tools, built
// with the official MCP Go SDK) on a chi router, authorized by the mcpauth
// middleware installed with r.With:
//
//	r := chi.NewRouter()
//	r.Use(middleware.Recoverer)
//	r.Get("/healthz", ...)
//	r.With(mcpauthchi.Middleware(mw)).Handle("/mcp", mcpHandler)
//
// Run it with
//
//	cd examples && go run ./chi
//
// It takes the quickstart's settings (-addr/ADDR, MCP_JWT_SECRET,
// PERMIT_PDP_URL and PERMIT_API_KEY) and prints a token for user "client".
// Unlike the quickstart, the go-sdk handler keeps sessions (the default),
// so use an MCP client rather than single curl requests.
package main
