// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package mcpauthgin connects mcpauth to the gin web framework
// (github.com/gin-gonic/gin).
//
// [Middleware] turns an [mcpauth.Middleware] into a gin.HandlerFunc. A
// denied request is answered the way MCP clients expect (a JSON-RPC error,
// a tool result with isError set, or 401 with a Bearer challenge) and the
// chain is aborted; an allowed one continues with the decision and the
// principal available through the gin.Context ([Decision], [Principal]).
// List results written by later handlers are filtered per item, exactly as
// with net/http.
//
//	mw, err := mcpauth.New(authz, &mcpauth.Options{...})
//	...
//	r := gin.New()
//	r.Any("/mcp", mcpauthgin.Middleware(mw), gin.WrapH(mcpHandler))
//
// # With the OAuth provider
//
// [MountProvider] registers the provider module's OAuth routes on a router
// group, and [Wrap] turns its bearer middleware into a gin.HandlerFunc:
//
//	if err := mcpauthgin.MountProvider(&r.RouterGroup, p); err != nil {
//		log.Fatal(err)
//	}
//	r.Any("/mcp", mcpauthgin.Wrap(p.RequireBearer), mcpauthgin.Middleware(mw), gin.WrapH(mcpHandler))
//
// The package uses only the exported API of mcpauth; it does not import
// the provider module (see [AuthorizationServer]).
package mcpauthgin
