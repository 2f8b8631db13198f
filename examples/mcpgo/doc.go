// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Command mcpgo is the demo MCP server built with
// github.com/mark3labs/mcp-go instead of the official SDK, wrapped by the
// same mcpauth middleware. mcp-go's StreamableHTTPServer is a plain
// http.Handler:
//
//	mcpHandler := server.NewStreamableHTTPServer(s)
//	mux.Handle("/mcp", mw.Handler(mcpHandler))
//
// mcp-go derives each tool call's context from the HTTP request, so the
// greet-jwt tool reads the verified caller straight from
// mcpauth.DecisionFromContext(ctx).
//
// Run it with
//
//	cd examples && go run ./mcpgo
//
// It takes the quickstart's settings (-addr/ADDR, MCP_JWT_SECRET,
// PERMIT_PDP_URL and PERMIT_API_KEY) and prints a token for user "client".
package main
