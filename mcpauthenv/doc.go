// Copyright 2026 The mcpauth Authors. SPDX-License-Identifier: Apache-2.0

// Package mcpauthenv configures the mcpauth middleware and its Permit.io
// or AuthZEN authorizer from environment variables: permit-fastmcp's PERMIT_MCP_*
// settings, the example runner's PERMIT_PDP_URL and PERMIT_API_KEY, and
// names for the options permit-fastmcp lacks. [Vars] lists them all; the
// README's table is generated from it.
//
//	opts, permitOpts, err := mcpauthenv.FromEnv()
//	if err != nil {
//		log.Fatal(err)
//	}
//	pdp, err := mcpauth.NewPermit(permitOpts)
//	...
//	mw, err := mcpauth.New(pdp, opts)
//
// [AuthorizerFromEnv] builds the decision point the variables choose: an
// AuthZEN 1.0 PDP when PERMIT_MCP_AUTHZEN_URL is set, Permit otherwise.
//
//	authz, err := mcpauthenv.AuthorizerFromEnv(logger)
//	...
//	mw, err := mcpauth.New(authz, opts)
//
// [FromLookup] reads from any lookup function, and [LoadFile] adds a .env
// file behind the process environment, as pydantic-settings does.
//
// It is a package of its own because it is a configuration loader, not
// middleware: programs configured in Go never need it.
package mcpauthenv
