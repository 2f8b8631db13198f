// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Command gin serves the demo MCP server (the quickstart's tools, built
// with the official MCP Go SDK) with the gin web framework, authorized by
// the mcpauth middleware as a gin.HandlerFunc:
//
//	r := gin.New()
//	r.Use(gin.Recovery())
//	r.Any("/mcp", mcpauthgin.Middleware(mw), gin.WrapH(mcpHandler))
//
// A denied request is answered MCP-correctly and the gin chain is aborted;
// handlers after the middleware read the decision and the principal with
// mcpauthgin.Decision and mcpauthgin.Principal. Run it with
//
//	cd examples && go run ./gin
//
// It takes the quickstart's settings (-addr/ADDR, MCP_JWT_SECRET,
// PERMIT_PDP_URL and PERMIT_API_KEY) and prints a token for user "client".
// The go-sdk handler keeps sessions, so use an MCP client.
package main
